"""ember.utils.viz.make_dot (torchviz-style DOT) and the text tree of ember.autograd._print_graph."""

import io
import re
import shutil

import pytest

import ember
import ember.utils.viz  # noqa: F401 - until ember.utils imports it
from ember.autograd._print_graph import format_graph, print_graph
from ember.utils.viz import make_dot


def seed_example():
    x = ember.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    return x, y, z, out


def parse(src):
    """{node id: label} and [(tail, head)] from DOT text."""
    nodes, edges = {}, []
    for m in re.finditer(r'^\t("?[^\s"]+"?) \[label=("(?:[^"\\]|\\.)*"|[^\s\]]+)', src, re.M):
        nodes[m.group(1).strip('"')] = m.group(2).strip('"')
    for m in re.finditer(r'^\t("?[^\s"]+"?) -> ("?[^\s"]+"?)', src, re.M):
        edges.append((m.group(1).strip('"'), m.group(2).strip('"')))
    return nodes, edges


def test_seed_example_nodes_and_edges():
    x, y, z, out = seed_example()
    dot = make_dot(out, params={"x": x})
    src = dot.source
    assert src.startswith("digraph {")
    nodes, edges = parse(src)
    labels = sorted(v for v in nodes.values())
    names = [v for v in labels if "Backward" in v or v == "AccumulateGrad"]
    assert sorted(names) == ["AccumulateGrad", "AddBackward0", "MeanBackward0", "MulBackward0", "MulBackward0"]
    by_label = {}
    for k, v in nodes.items():
        by_label.setdefault(v, []).append(k)
    mean = by_label["MeanBackward0"][0]
    add = by_label["AddBackward0"][0]
    acc = by_label["AccumulateGrad"][0]
    mul_outer = str(id(z.grad_fn))
    mul_inner = str(id(z.grad_fn.next_functions[0][0]))
    assert set(by_label["MulBackward0"]) == {mul_outer, mul_inner}
    # output node (dark green), leaf (light blue, named from params)
    assert re.search(rf"\t{id(out)} \[label=\"\n \(\)\" fillcolor=darkolivegreen1\]", src)
    assert re.search(rf"\t{id(x)} \[label=\"x\n \(2, 2\)\" fillcolor=lightblue\]", src)
    expected = {
        (mean, str(id(out))),
        (mul_outer, mean),
        (mul_inner, mul_outer),
        (add, mul_inner),
        (acc, add),
        (str(id(x)), acc),
    }
    assert expected <= set(edges)
    assert edges.count((add, mul_inner)) == 2  # y * y: both inputs come from AddBackward0
    assert len(set(edges)) == len(expected)


def test_show_saved_and_attrs():
    x, y, z, out = seed_example()
    src = make_dot(out, show_saved=True).source
    assert src.count("fillcolor=orange") == 2  # y * y saved both operands
    assert "saved[0]\n (2, 2)" in src and "dir=none" in src
    src = make_dot(out, show_attrs=True, max_attr_chars=5).source
    assert "MeanBackward0\n" in src


def test_tuple_of_outputs_and_views():
    a = ember.ones(3, requires_grad=True)
    b = a * 2
    v = b[1:]
    src = make_dot((b.sum(), v.exp())).source
    assert src.count("darkolivegreen1") == 2
    assert "ExpBackward0" in src and "SumBackward0" in src


def test_leaf_only_and_deep_graph():
    a = ember.ones(2, requires_grad=True)
    src = make_dot(a).source
    assert "(2)" in src
    t = a
    for _ in range(3000):  # deeper than the recursion limit
        t = t + 1
    nodes, edges = parse(make_dot(t).source)
    assert len(nodes) == 3000 + 3


def test_save_and_render(tmp_path):
    x, y, z, out = seed_example()
    dot = make_dot(out)
    path = dot.save(str(tmp_path / "g.gv"))
    assert open(path).read() == dot.source
    if shutil.which("dot") is None:
        if type(dot).__name__ == "Dot":
            with pytest.raises(RuntimeError, match="Graphviz `dot` program"):
                dot.render(str(tmp_path / "g2"), format="svg")
        pytest.skip("Graphviz `dot` is not on PATH")
    out_path = dot.render(str(tmp_path / "g3"), format="svg")
    assert open(out_path).read().lstrip().startswith(("<?xml", "<svg"))


def test_print_graph_tree():
    x, y, z, out = seed_example()
    buf = io.StringIO()
    text = print_graph(out, file=buf)
    assert buf.getvalue() == text + "\n"
    lines = text.splitlines()
    assert lines[0] == "MeanBackward0"
    assert lines[1] == "└── MulBackward0"
    assert lines[2].startswith("    └── MulBackward0  saved: (2, 2) float32, (2, 2) float32")
    assert lines[3] == "        ├── AddBackward0"
    assert lines[4] == "        │   └── AccumulateGrad  leaf (2, 2) float32"
    assert lines[5] == "        └── AddBackward0  (see above)"
    assert len(lines) == 6
    assert "saved" not in format_graph(out, show_saved=False)


def test_print_graph_leaf_and_freed():
    a = ember.ones(3, requires_grad=True)
    assert format_graph(a) == "<leaf tensor (3) float32, requires_grad>"
    b = (a * a).sum()
    b.backward()
    assert "[freed]" in format_graph(b)

"""ember.utils.viz: a picture of the autograd graph, drawn like torchviz's `make_dot`.

`make_dot(var)` returns a `graphviz.Digraph` when the optional `graphviz` Python package is installed,
else a small `Dot` object with the same `.source`, `.save()`, `.render()` (render runs Graphviz's `dot`).
Colours as torchviz: leaf tensors light blue, saved tensors orange, outputs dark olive green, backward
nodes grey boxes; edges follow `next_functions` from inputs towards the output.
"""

import os
import re
import shutil
import subprocess

__all__ = ["make_dot", "Dot", "resize_graph"]

_NODE_ATTR = {
    "style": "filled",
    "shape": "box",
    "align": "left",
    "fontsize": "10",
    "ranksep": "0.1",
    "height": "0.2",
    "fontname": "monospace",
}

_ID = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?))$")


def _quote(s):
    s = str(s)
    if _ID.match(s):
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _attrs(d):
    return " ".join(f"{k}={_quote(v)}" for k, v in d.items())


class Dot:
    """A minimal stand-in for `graphviz.Digraph` (used when the graphviz package is not installed)."""

    def __init__(self, name=None, node_attr=None, graph_attr=None, format="svg"):
        self.name = name
        self.node_attr = dict(node_attr or {})
        self.graph_attr = dict(graph_attr or {})
        self.format = format
        self.body = []

    def node(self, name, label=None, **attrs):
        a = {"label": label} if label is not None else {}
        a.update(attrs)
        self.body.append(f"\t{_quote(name)} [{_attrs(a)}]\n" if a else f"\t{_quote(name)}\n")

    def edge(self, tail_name, head_name, **attrs):
        tail = f"\t{_quote(tail_name)} -> {_quote(head_name)}"
        self.body.append(f"{tail} [{_attrs(attrs)}]\n" if attrs else tail + "\n")

    def attr(self, kw=None, **attrs):
        if kw is None or kw == "graph":
            self.graph_attr.update(attrs)
        elif kw == "node":
            self.node_attr.update(attrs)

    @property
    def source(self):
        head = "digraph " + (_quote(self.name) + " " if self.name else "") + "{\n"
        lines = [head]
        if self.graph_attr:
            lines.append(f"\tgraph [{_attrs(self.graph_attr)}]\n")
        if self.node_attr:
            lines.append(f"\tnode [{_attrs(self.node_attr)}]\n")
        lines.extend(self.body)
        lines.append("}\n")
        return "".join(lines)

    def __str__(self):
        return self.source

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": self.source}

    def save(self, filename=None, directory=None):
        """Write the DOT source to `filename` (default `<name or 'Digraph'>.gv`); returns the path."""
        path = filename or (self.name or "Digraph") + ".gv"
        if directory:
            path = os.path.join(directory, path)
        d = os.path.dirname(path)
        if d:
            os.makedirs(d, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.source)
        return path

    def pipe(self, format=None):
        """The rendered bytes (runs Graphviz's `dot`)."""
        exe = _dot_exe()
        return subprocess.run(
            [exe, f"-T{format or self.format}"], input=self.source.encode(), capture_output=True, check=True
        ).stdout

    def render(self, filename=None, directory=None, view=False, cleanup=False, format=None, **kwargs):
        """Save the source and run `dot -T<format>` on it; returns the path of the rendered file."""
        fmt = format or self.format
        exe = _dot_exe()
        src = self.save(filename, directory)
        out = f"{src}.{fmt}"
        subprocess.run([exe, f"-T{fmt}", "-o", out, src], check=True, capture_output=True)
        if cleanup:
            os.remove(src)
        return out


def _dot_exe():
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError(
            "make_dot(...).render() needs the Graphviz `dot` program, which was not found on PATH. Install "
            "Graphviz (e.g. `apt-get install graphviz` or `brew install graphviz`), or use `.source` / `.save()` "
            "to get the DOT text."
        )
    return exe


def _new_graph():
    try:
        from graphviz import Digraph  # noqa: PLC0415 - optional dependency
    except ImportError:
        return Dot(node_attr=_NODE_ATTR, graph_attr={"size": "12,12"})
    return Digraph(node_attr=_NODE_ATTR, graph_attr={"size": "12,12"})


def _size_str(shape):
    return "(" + ", ".join(str(int(v)) for v in shape) + ")"


def _node_attrs_text(fn, max_attr_chars):
    """Non-tensor attributes a node keeps (dims, flags, scalars), as torchviz's show_attrs lists them."""
    d = getattr(fn, "__dict__", {})
    items = []
    for k in sorted(d):
        if k.startswith("_") or k in ("variable", "metadata", "needs_input_grad"):
            continue
        v = d[k]
        if isinstance(v, (bool, int, float, str, type(None))) or (
            isinstance(v, tuple) and all(isinstance(x, (bool, int, float)) for x in v)
        ):
            s = str(v)
            if len(s) > max_attr_chars:
                s = s[: max_attr_chars - 3] + "..."
            items.append(f"{k}: {s}")
    return items


def resize_graph(dot, size_per_element=0.15, min_size=12):
    """Grow the drawing size with the number of statements (torchviz's resize_graph)."""
    size = max(min_size, len(dot.body) * size_per_element)
    dot.graph_attr.update(size=f"{size},{size}")


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """Draw the autograd graph of `var` (a tensor or a tuple of tensors).

    params: a dict name -> tensor (e.g. dict(model.named_parameters())) to label leaf tensors.
    show_saved: also draw the tensors each node saved for backward (orange).
    show_attrs: list each node's non-tensor attributes under its name.
    """
    from .._tensor import Tensor  # noqa: PLC0415
    from ..autograd._print_graph import saved_descriptions  # noqa: PLC0415

    if params is not None:
        if not all(isinstance(p, Tensor) for p in params.values()):
            raise AssertionError("params values must be Tensors")
        param_map = {id(v): k for k, v in params.items()}
    else:
        param_map = {}
    dot = _new_graph()
    seen = set()

    def var_label(t, name=None):
        if not name:
            name = param_map.get(id(t), "")
        return f"{name}\n {_size_str(t.shape)}"

    def fn_label(fn):
        name = fn.name() if hasattr(fn, "name") else type(fn).__name__
        if not show_attrs:
            return name
        attrs = _node_attrs_text(fn, max_attr_chars)
        if not attrs:
            return name
        width = max(len(name), *(len(a) for a in attrs))
        return "\n".join([name, "-" * width, *attrs])

    stack = []

    def add_fn(fn):
        if id(fn) in seen:
            return
        seen.add(id(fn))
        fid = str(id(fn))
        if show_saved:
            for i, desc in enumerate(saved_descriptions(fn)):
                if desc is None:
                    continue
                sid = f"{fid}_saved_{i}"
                shape, _dt = desc
                label = f"saved[{i}]\n " + ("(packed)" if shape == "packed" else _size_str(shape))
                dot.node(sid, label, fillcolor="orange")
                dot.edge(sid, fid, dir="none")
        dot.node(fid, fn_label(fn))
        v = getattr(fn, "variable", None)
        if v is not None:
            seen.add(id(v))
            dot.node(str(id(v)), var_label(v), fillcolor="lightblue")
            dot.edge(str(id(v)), fid)
        for nxt, _nr in getattr(fn, "next_functions", ()):
            if nxt is not None:
                dot.edge(str(id(nxt)), fid)
                stack.append(nxt)

    def add_base(t, color="darkolivegreen1"):
        if id(t) in seen:
            return
        seen.add(id(t))
        dot.node(str(id(t)), var_label(t), fillcolor=color)
        fn = t.grad_fn
        if fn is not None:
            stack.append(fn)
            dot.edge(str(id(fn)), str(id(t)))
            while stack:  # iterative: graphs may be deeper than the recursion limit
                add_fn(stack.pop())
        base = getattr(t, "_base", None)
        if base is not None:
            add_base(base, color="darkolivegreen3")
            dot.edge(str(id(base)), str(id(t)), style="dotted")

    for t in var if isinstance(var, (tuple, list)) else (var,):
        add_base(t)
    resize_graph(dot)
    return dot

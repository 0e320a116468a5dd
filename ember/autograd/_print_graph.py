"""A text picture of an autograd graph, for terminals: one line per backward node, children indented.

    >>> print_graph(out)
    MeanBackward0
    └── MulBackward0  saved: (2, 2) float32, (2, 2) float32
        ├── MulBackward0  saved: ...
        ...
            └── AccumulateGrad  leaf (2, 2) float32

A node reached a second time (shared subgraphs) is printed once more with "(see above)" and not expanded.
"""

import sys

__all__ = ["print_graph", "format_graph"]


def _shape(shape):
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


def _tensor_desc(t):
    return f"{_shape(t.shape)} {str(t.dtype).split('.')[-1]}"


def saved_descriptions(node):
    """Shape and dtype of each tensor a node saved, without unpacking it (no version check, no recompute)."""
    from .graph import _Packed, _SavedOutput  # noqa: PLC0415

    saved = getattr(node, "_saved", None)
    if not saved:
        return []
    out = []
    for item in saved:
        if item is None:
            out.append(None)
            continue
        t = item[0]
        if type(t) is _SavedOutput:
            out.append((tuple(t.data.shape), str(t.data.dtype)))
        elif type(t) is _Packed:
            out.append(("packed", ""))
        else:
            out.append((tuple(t.shape), str(t.dtype).split(".")[-1]))
    return out


def _node_label(node, show_saved):
    name = node.name() if hasattr(node, "name") else type(node).__name__
    var = getattr(node, "variable", None)
    if var is not None:
        extra = f"  leaf {_tensor_desc(var)}"
        return name + extra
    if show_saved:
        descs = [d for d in saved_descriptions(node) if d is not None]
        if descs:
            parts = ["packed" if s == "packed" else f"{_shape(s)} {dt}".rstrip() for s, dt in descs]
            name += "  saved: " + ", ".join(parts)
    if getattr(node, "_freed", False):
        name += "  [freed]"
    return name


def format_graph(output, show_saved=True):
    """The indented tree of `output`'s graph (a tensor, a node, or a tuple of tensors) as a string."""
    from .._tensor import Tensor  # noqa: PLC0415

    roots = output if isinstance(output, (tuple, list)) else (output,)
    lines = []
    seen = set()
    for r in roots:
        if isinstance(r, Tensor):
            fn = r.grad_fn
            if fn is None:
                state = "requires_grad" if r.requires_grad else "no grad"
                lines.append(f"<leaf tensor {_tensor_desc(r)}, {state}>")
                continue
        else:
            fn = r
        # iterative DFS: graphs may be deeper than Python's recursion limit
        stack = [(fn, "", "", True)]
        while stack:
            node, prefix, branch, last = stack.pop()
            if id(node) in seen:
                lines.append(prefix + branch + _node_label(node, False) + "  (see above)")
                continue
            seen.add(id(node))
            lines.append(prefix + branch + _node_label(node, show_saved))
            children = [n for n, _ in getattr(node, "next_functions", ()) if n is not None]
            child_prefix = prefix + ("" if not branch else ("    " if last else "│   "))
            for i in range(len(children) - 1, -1, -1):
                is_last = i == len(children) - 1
                stack.append((children[i], child_prefix, "└── " if is_last else "├── ", is_last))
    return "\n".join(lines)


def print_graph(output, show_saved=True, file=None):
    """Print the autograd graph of `output` as an indented tree (node names, leaf shapes, saved tensor shapes)."""
    text = format_graph(output, show_saved=show_saved)
    print(text, file=file if file is not None else sys.stdout)
    return text

"""A minimal pytree: tuples, lists, dicts and namedtuples are nodes; everything else is a leaf."""

__all__ = ["tree_flatten", "tree_unflatten", "tree_map", "LeafSpec", "TreeSpec"]


class LeafSpec:
    __slots__ = ()

    def __repr__(self):
        return "*"


_LEAF = LeafSpec()


class TreeSpec:
    __slots__ = ("kind", "typ", "context", "children")

    def __init__(self, kind, typ, context, children):
        self.kind, self.typ, self.context, self.children = kind, typ, context, children

    def __repr__(self):
        inner = ", ".join(map(repr, self.children))
        if self.kind == "dict":
            inner = ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.context, self.children))
            return "{" + inner + "}"
        if self.kind == "list":
            return f"[{inner}]"
        if self.kind == "tuple" and len(self.children) == 1:
            inner += ","
        return f"({inner})"


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def tree_flatten(tree):
    leaves = []
    spec = _flatten(tree, leaves)
    return leaves, spec


def _flatten(x, leaves):
    if isinstance(x, list):
        return TreeSpec("list", list, None, [_flatten(e, leaves) for e in x])
    if isinstance(x, tuple):
        kind = "namedtuple" if _is_namedtuple(x) else "tuple"
        return TreeSpec(kind, type(x), None, [_flatten(e, leaves) for e in x])
    if isinstance(x, dict):
        keys = list(x.keys())
        return TreeSpec("dict", type(x), keys, [_flatten(x[k], leaves) for k in keys])
    leaves.append(x)
    return _LEAF


def tree_unflatten(leaves, spec):
    it = iter(leaves)
    return _unflatten(it, spec)


def _unflatten(it, spec):
    if spec is _LEAF or isinstance(spec, LeafSpec):
        return next(it)
    kids = [_unflatten(it, c) for c in spec.children]
    if spec.kind == "list":
        return kids
    if spec.kind == "tuple":
        return tuple(kids)
    if spec.kind == "namedtuple":
        return spec.typ(*kids)
    d = spec.typ() if spec.typ is not dict else {}
    for k, v in zip(spec.context, kids):
        d[k] = v
    return d


def tree_map(fn, tree):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)


def broadcast_prefix(prefix, tree):
    """Flatten `prefix` (an int/None, or a tuple/list/dict matching `tree`'s structure down to some depth)
    to one entry per leaf of `tree`; None when the structures don't match."""
    out = []
    if not _bcast(prefix, tree, out):
        return None
    return out


def _bcast(prefix, tree, out):
    if isinstance(prefix, (tuple, list)) and not _is_namedtuple(prefix):
        if not isinstance(tree, (tuple, list)) or len(prefix) != len(tree):
            return False
        if isinstance(prefix, list) != isinstance(tree, list) and not isinstance(prefix, tuple):
            return False
        return all(_bcast(p, t, out) for p, t in zip(prefix, tree))
    if isinstance(prefix, dict):
        if not isinstance(tree, dict) or set(prefix) != set(tree):
            return False
        return all(_bcast(prefix[k], tree[k], out) for k in tree)
    n = len(tree_flatten(tree)[0])
    out.extend([prefix] * n)
    return True

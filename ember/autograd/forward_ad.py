"""ember.autograd.forward_ad (matches `torch.autograd.forward_ad`): dual tensors for forward-mode AD.

A dual tensor is an alias of its primal (same memory) that records a graph back to a private leaf.
Tangents of results are computed lazily, when `unpack_dual` asks for them, as Jacobian-vector products
through the recorded graph with the double-vjp trick: for g(u) = J^T u (linear in a dummy cotangent u
that requires grad), the gradient of <g(u), tangent> with respect to u is J tangent.

Deviations from torch: the ops between `make_dual` and `unpack_dual` must run with grad mode enabled
(the graph is what carries the tangents), and dual tensors report `requires_grad=True`.
"""

import weakref
from collections import namedtuple

from .grad_mode import enable_grad
from .graph import AccumulateGrad, Node

__all__ = [
    "UnpackedDualTensor",
    "dual_level",
    "enter_dual_level",
    "exit_dual_level",
    "make_dual",
    "unpack_dual",
]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])


class _Level:
    __slots__ = ("index", "duals", "cache")

    def __init__(self, index):
        self.index = index
        self.duals = {}  # id(dual) -> (weakref(dual), base leaf, primal, tangent)
        self.cache = {}  # id(tensor) -> (weakref(tensor), version, tangent)


_LEVELS = []


def _current():
    return _LEVELS[-1] if _LEVELS else None


def enter_dual_level():
    """Matches `torch.autograd.forward_ad.enter_dual_level`: returns the new level's index."""
    if _LEVELS:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    lvl = _Level(len(_LEVELS))
    _LEVELS.append(lvl)
    return lvl.index


def exit_dual_level(*, level=None):
    """Matches `torch.autograd.forward_ad.exit_dual_level`: forgets every tangent of the level."""
    cur = _LEVELS[-1].index if _LEVELS else -1
    if level is None:
        level = cur
    if level != cur:
        raise RuntimeError(
            "Trying to exit a forward AD level that was not the last one that was created. This is not supported."
        )
    lvl = _LEVELS.pop()
    lvl.duals.clear()
    lvl.cache.clear()


class dual_level:
    """Matches `torch.autograd.forward_ad.dual_level`: a context manager for one forward AD level."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()
        return False


class MakeDualBackward0(Node):
    """The dual alias passes its gradient to the private tangent leaf and to the primal."""

    def backward(self, g):
        return g, g


def _level_obj(level):
    if level is None:
        return _current()
    for lvl in _LEVELS:
        if lvl.index == level:
            return lvl
    return None


def make_dual(tensor, tangent, *, level=None):
    """Matches `torch.autograd.forward_ad.make_dual`: a tensor aliased to `tensor` carrying `tangent`."""
    from .. import _ops as O  # noqa: PLC0415 - ember._ops imports this package
    from .._tensor import _vc_of, make  # noqa: PLC0415

    lvl = _level_obj(level)
    if lvl is None:
        raise RuntimeError(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to enter_dual_level() first."
        )
    if not (tensor.is_floating_point() or tensor.is_complex()):
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not (tangent.is_floating_point() or tangent.is_complex()):
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original Tensor, this is "
            f"not supported. Tensor is of size {list(tensor.shape)} while the given forward gradient is of size "
            f"{list(tangent.shape)}."
        )
    if tangent.dtype != tensor.dtype:
        tangent = O.to(tangent, tensor.dtype)
    base = make(tensor._data)
    base._vc = _vc_of(tensor)
    base._requires_grad = True
    dual = make(tensor._data)
    dual._vc = _vc_of(tensor)
    node = MakeDualBackward0()
    nf = [(_acc(base), 0)]
    meta = [(tensor._data.shape, tensor._data.dtype)]
    if tensor._requires_grad:
        from .._tensor import edge  # noqa: PLC0415

        nf.append(edge(tensor))
        meta.append((tensor._data.shape, tensor._data.dtype))
    else:
        nf.append((None, 0))
        meta.append(None)
    node.next_functions = tuple(nf)
    node._in_meta = tuple(meta)
    dual._grad_fn = node
    dual._requires_grad = True
    lvl.duals[id(dual)] = (weakref.ref(dual), base, tensor, tangent)
    return dual


def _acc(t):
    from .._tensor import edge  # noqa: PLC0415

    return edge(t)[0]


def _find_dual(lvl, t):
    e = lvl.duals.get(id(t))
    if e is not None and e[0]() is t:
        return e
    return None


def _reaches_other_leaf(outs, private):
    """Whether the graph of the tensors `outs` (None allowed) reaches a leaf that requires grad other than
    those whose ids are in `private`."""
    seen = set()
    stack = []
    for t in outs:
        if t is None or not t.requires_grad:
            continue
        fn = t.grad_fn
        if fn is None:
            if id(t) not in private:
                return True
            continue
        stack.append(fn)
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if type(n) is AccumulateGrad:
            if id(n.variable) not in private:
                return True
            continue
        for nxt, _ in n.next_functions:
            if nxt is not None and nxt not in seen:
                stack.append(nxt)
    return False


def _jvp(lvl, t):
    from .. import _ops as O  # noqa: PLC0415
    from . import grad  # noqa: PLC0415

    entries = [e for e in lvl.duals.values() if e[0]() is not None]
    if not entries or not t._requires_grad:
        return None
    bases = [e[1] for e in entries]
    tangents = [e[3] for e in entries]
    with enable_grad():
        u = O.zeros_like(t).requires_grad_(True)
        gs = grad((t,), bases, (u,), create_graph=True, allow_unused=True)
        s = None
        for g, tan in zip(gs, tangents):
            if g is None:
                continue
            term = O.sum(g * tan)
            s = term if s is None else s + term
        if s is None:
            return None
        if not s._requires_grad:
            return O.zeros_like(t)
        keep = any(tan._requires_grad for tan in tangents)
        (res,) = grad((s,), (u,), create_graph=keep, allow_unused=True)
    if res is None:
        return O.zeros_like(t)
    return res


def unpack_dual(tensor, *, level=None):
    """Matches `torch.autograd.forward_ad.unpack_dual`: (primal, tangent); tangent is None for a tensor
    that does not depend on any dual tensor of the level."""
    from .._tensor import Tensor  # noqa: PLC0415

    lvl = _level_obj(level)
    if lvl is None or not isinstance(tensor, Tensor):
        return UnpackedDualTensor(tensor, None)
    e = _find_dual(lvl, tensor)
    if e is not None:
        return UnpackedDualTensor(e[2], e[3])
    if not tensor._requires_grad:
        return UnpackedDualTensor(tensor, None)
    ver = tensor._version
    c = lvl.cache.get(id(tensor))
    if c is not None and c[0]() is tensor and c[1] == ver:
        tangent = c[2]
    else:
        tangent = _jvp(lvl, tensor)
        lvl.cache[id(tensor)] = (weakref.ref(tensor), ver, tangent)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    bases = {id(e[1]) for e in lvl.duals.values()}
    primal = tensor if _reaches_other_leaf([tensor], bases) else tensor.detach()
    return UnpackedDualTensor(primal, tangent)

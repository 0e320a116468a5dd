"""Reductions: sum and mean (the rest of the family is added alongside)."""

import numpy as np

from .. import _dtype as D
from ._core import GRAD, Node, Tensor, arr, attach, bind, make, scalar_type_name, wrap_dims, xp_of

__all__ = ["sum", "mean"]


def expand_reduced(g, shape, dims, keepdim):
    """Broadcast a reduction's gradient `g` back to the input `shape` (dims: the reduced dims)."""
    from .shape import expand, reshape  # noqa: PLC0415

    if not keepdim and dims:
        kshape = list(shape)
        for d in dims:
            kshape[d] = 1
        g = reshape(g, tuple(kshape))
    return expand(g, shape)


def _reduce_args(input, dim, opname):
    nd = input._data.ndim
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None, tuple(range(nd))
    dims = wrap_dims(dim, nd, opname)
    return dims, dims


class SumBackward0(Node):
    def backward(self, g):
        from .shape import expand  # noqa: PLC0415

        return expand(g, self.shape)


class SumBackward1(Node):
    def backward(self, g):
        return expand_reduced(g, self.shape, self.dims, self.keepdim)


def _sum_dtype(d, dtype):
    if dtype is not None:
        return dtype.np
    if d.dtype.kind in "biu":
        return np.int64
    return None


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A001
    """Matches `torch.sum`."""
    if not isinstance(input, Tensor):
        raise TypeError(f"sum(): argument 'input' must be Tensor, not {type(input).__name__}")
    d = input._data
    axes, dims = _reduce_args(input, dim, "sum")
    npdt = _sum_dtype(d, dtype)
    if npdt is not None and d.dtype != npdt:
        d = d.astype(npdt)
    r = make(arr(xp_of(d).sum(d, axis=dims if d.ndim else None, keepdims=keepdim and d.ndim > 0)))
    if GRAD.enabled and input._requires_grad:
        if axes is None and not keepdim:
            node = SumBackward0()
        else:
            node = SumBackward1()
            node.dims, node.keepdim = dims, keepdim
        node.shape = input._data.shape
        attach(r, node, (input,))
    return r


class MeanBackward0(Node):
    def backward(self, g):
        from .shape import expand  # noqa: PLC0415

        return expand(g / self.n, self.shape)


class MeanBackward1(Node):
    def backward(self, g):
        return expand_reduced(g / self.n, self.shape, self.dims, self.keepdim)


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Matches `torch.mean`."""
    d = input._data
    src = dtype or D.FROM_NP[d.dtype]
    if not (src.is_floating_point or src.is_complex):
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
            f"Got: {scalar_type_name(src)}"
        )
    if dtype is not None and d.dtype != dtype.np:
        d = d.astype(dtype.np)
    axes, dims = _reduce_args(input, dim, "mean")
    xp = xp_of(d)
    if d.dtype.itemsize == 2 and d.dtype.kind == "f" or d.dtype == D.bfloat16.np:
        # accumulate low precision in float32, as torch does
        r = xp.mean(d.astype(np.float32), axis=dims if d.ndim else None, keepdims=keepdim and d.ndim > 0).astype(
            d.dtype
        )
    else:
        r = xp.mean(d, axis=dims if d.ndim else None, keepdims=keepdim and d.ndim > 0)
    out = make(arr(r))
    if GRAD.enabled and input._requires_grad:
        n = 1
        for k in dims:
            n *= d.shape[k]
        if axes is None and not keepdim:
            node = MeanBackward0()
        else:
            node = MeanBackward1()
            node.dims, node.keepdim = dims, keepdim
        node.shape, node.n = d.shape, n
        attach(out, node, (input,))
    return out


bind("sum", sum)
bind("mean", mean)

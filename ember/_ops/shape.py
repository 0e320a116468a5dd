"""Shape and view ops: view reshape expand broadcast_to unsqueeze squeeze transpose permute t flatten.

Every view goes through `view_of`, so it shares memory and the version counter with its base, and
records how to replay itself (for in-place writes through views)."""

import numpy as np

from .._backend import xp_of
from .._tensor import Size
from ._core import GRAD, Node, Tensor, attach, bind, make, view_of, wrap_dim

__all__ = [
    "view",
    "reshape",
    "expand",
    "expand_as",
    "broadcast_to",
    "unsqueeze",
    "squeeze",
    "transpose",
    "swapaxes",
    "swapdims",
    "permute",
    "t",
    "flatten",
    "view_as",
    "reshape_as",
]


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _infer(shape, numel, opname, src_shape):
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
    return shape


class ViewBackward0(Node):
    def backward(self, g):
        return reshape(g, self.shape)


class UnsafeViewBackward0(ViewBackward0):
    pass


def view(input, *shape):
    """Matches `torch.Tensor.view` (also `view(dtype)`)."""
    from .. import _dtype as D  # noqa: PLC0415

    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        dt = shape[0]
        d = input._data
        if dt.itemsize != d.dtype.itemsize and d.ndim and not d.flags.c_contiguous:
            raise RuntimeError("view(dtype): self must be contiguous when the itemsize changes")
        return view_of(input, d.view(dt.np), lambda b: view(b, dt))
    shape = _infer(_shape_args(shape), input._data.size, "view", input._data.shape)
    try:
        d = (
            np.reshape(input._data, shape, copy=False)
            if type(input._data) is np.ndarray
            else _cupy_view(input._data, shape)
        )
    except ValueError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans across "
            "two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    out = view_of(input, d, lambda b: view(b, shape))
    if GRAD.enabled and input._requires_grad:
        node = ViewBackward0()
        node.shape = input._data.shape
        attach(out, node, (input,))
    return out


def _cupy_view(d, shape):
    """d reshaped without a copy (CuPy's reshape copies silently where the strides do not allow a view)."""
    if d.flags.c_contiguous or not d.size:
        return d.reshape(shape)
    strides = _nocopy_strides(d.shape, d.strides, shape, d.itemsize)
    if strides is None:
        raise ValueError("copy")
    return xp_of(d).lib.stride_tricks.as_strided(d, shape, strides)


def _nocopy_strides(oshape, ostrides, nshape, itemsize):
    """Strides that view an array shaped `oshape` with `ostrides` as `nshape`, or None where no view exists
    (NumPy's rule: each group of old dims merged or split must be contiguous within itself)."""
    olds = [(n, st) for n, st in zip(oshape, ostrides) if n != 1]
    odims = [n for n, _ in olds]
    ostr = [st for _, st in olds]
    nd = len(nshape)
    nstr = [0] * nd
    oi, oj, ni, nj = 0, 1, 0, 1
    while ni < nd and oi < len(odims):
        np_, op = nshape[ni], odims[oi]
        while np_ != op:
            if np_ < op:
                np_ *= nshape[nj]
                nj += 1
            else:
                op *= odims[oj]
                oj += 1
        for k in range(oi, oj - 1):
            if ostr[k] != odims[k + 1] * ostr[k + 1]:
                return None
        nstr[nj - 1] = ostr[oj - 1]
        for k in range(nj - 1, ni, -1):
            nstr[k - 1] = nstr[k] * nshape[k]
        ni, nj, oi, oj = nj, nj + 1, oj, oj + 1
    last = nstr[ni - 1] if ni >= 1 else itemsize
    for k in range(ni, nd):
        nstr[k] = last
    return tuple(nstr)


def view_as(input, other):
    return view(input, other._data.shape)


def reshape(input, *shape):
    """Matches `torch.reshape`: a view when the strides allow it, else a copy."""
    shape = _infer(_shape_args(shape), input._data.size, "reshape", input._data.shape)
    d = input._data
    if d.flags.c_contiguous or d.size <= 1:
        return view(input, shape)
    try:
        return view(input, shape)
    except RuntimeError:
        pass
    out = make(d.reshape(shape))
    if GRAD.enabled and input._requires_grad:
        node = UnsafeViewBackward0()
        node.shape = d.shape
        attach(out, node, (input,))
    return out


def reshape_as(input, other):
    return reshape(input, other._data.shape)


class ExpandBackward0(Node):
    def backward(self, g):
        from .reduction import sum as _sum  # noqa: PLC0415

        shape = self.shape
        lead = g._data.ndim - len(shape)
        dims = list(range(lead)) + [lead + i for i, s in enumerate(shape) if s == 1 and g._data.shape[lead + i] != 1]
        if not dims:
            return g
        r = _sum(g, dims, keepdim=True)
        return reshape(r, shape) if lead else r


def expand(input, *sizes):
    """Matches `torch.Tensor.expand` (-1 keeps a size; a view with zero strides)."""
    sizes = _shape_args(sizes)
    d = input._data
    nd = d.ndim
    if len(sizes) < nd:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({nd})"
        )
    lead = len(sizes) - nd
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"expand: the expanded size of the tensor ({s}) isn't allowed in a leading, non-existing dimension {i}"
                )
            target.append(s)
        else:
            cur = d.shape[i - lead]
            if s == -1:
                s = cur
            elif cur != s and cur != 1:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at non-singleton "
                    f"dimension {i}.  Target sizes: [{', '.join(map(str, sizes))}].  Tensor sizes: [{', '.join(map(str, d.shape))}]"
                )
            target.append(s)
    target = tuple(target)
    if target == d.shape:
        out = view_of(input, d.view(), lambda b: b)
    else:
        xp = np if type(d) is np.ndarray else None
        out = view_of(input, (xp or _xp(d)).broadcast_to(d, target), lambda b: expand(b, target))
    if GRAD.enabled and input._requires_grad:
        node = ExpandBackward0()
        node.shape = d.shape
        attach(out, node, (input,))
    return out


def _xp(d):
    from .._backend import xp_of  # noqa: PLC0415

    return xp_of(d)


def expand_as(input, other):
    return expand(input, other._data.shape)


def broadcast_to(input, size):
    """Matches `torch.broadcast_to`."""
    return expand(input, tuple(size))


class UnsqueezeBackward0(Node):
    def backward(self, g):
        return squeeze(g, self.dim)


def unsqueeze(input, dim):
    """Matches `torch.unsqueeze`."""
    d = input._data
    dim = wrap_dim(dim, d.ndim + 1, "unsqueeze")
    out = view_of(
        input,
        np.expand_dims(d, dim) if type(d) is np.ndarray else _xp(d).expand_dims(d, dim),
        lambda b: unsqueeze(b, dim),
    )
    if GRAD.enabled and input._requires_grad:
        node = UnsqueezeBackward0()
        node.dim = dim
        attach(out, node, (input,))
    return out


class SqueezeBackward0(Node):
    def backward(self, g):
        return reshape(g, self.shape)


SqueezeBackward1 = type("SqueezeBackward1", (SqueezeBackward0,), {})
SqueezeBackward2 = type("SqueezeBackward2", (SqueezeBackward0,), {})


def squeeze(input, dim=None):
    """Matches `torch.squeeze` (dim: int or tuple; sizes other than 1 are left alone)."""
    d = input._data
    if dim is None:
        axes = tuple(i for i, s in enumerate(d.shape) if s == 1)
        cls = SqueezeBackward0
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        axes = tuple(i for i in (wrap_dim(x, d.ndim, "squeeze") for x in dims) if d.ndim and d.shape[i] == 1)
        cls = SqueezeBackward1 if isinstance(dim, int) else SqueezeBackward2
    r = d.squeeze(axis=axes) if axes else d.view()
    out = view_of(input, r, lambda b: squeeze(b, dim))
    if GRAD.enabled and input._requires_grad:
        node = cls()
        node.shape = d.shape
        attach(out, node, (input,))
    return out


class TransposeBackward0(Node):
    def backward(self, g):
        return transpose(g, self.d0, self.d1)


def transpose(input, dim0, dim1):
    """Matches `torch.transpose`."""
    d = input._data
    nd = d.ndim
    d0, d1 = wrap_dim(dim0, nd, "transpose"), wrap_dim(dim1, nd, "transpose")
    r = d.swapaxes(d0, d1) if nd else d.view()
    out = view_of(input, r, lambda b: transpose(b, d0, d1))
    if GRAD.enabled and input._requires_grad:
        node = TransposeBackward0()
        node.d0, node.d1 = d0, d1
        attach(out, node, (input,))
    return out


swapaxes = swapdims = transpose


class TBackward0(Node):
    def backward(self, g):
        return t(g)


def t(input):
    """Matches `torch.t` (tensors of at most 2 dims)."""
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    out = view_of(input, input._data.T, t)
    if GRAD.enabled and input._requires_grad:
        attach(out, TBackward0(), (input,))
    return out


class PermuteBackward0(Node):
    def backward(self, g):
        inv = [0] * len(self.dims)
        for i, p in enumerate(self.dims):
            inv[p] = i
        return permute(g, inv)


def permute(input, *dims):
    """Matches `torch.permute`."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
            f"desired ordering of dimensions i.e. input.dim() = {nd} is not equal to len(dims) = {len(dims)}"
        )
    dims = tuple(wrap_dim(x, nd, "permute") for x in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    out = view_of(input, input._data.transpose(dims), lambda b: permute(b, dims))
    if GRAD.enabled and input._requires_grad:
        node = PermuteBackward0()
        node.dims = dims
        attach(out, node, (input,))
    return out


def flatten(input, start_dim=0, end_dim=-1):
    """Matches `torch.flatten`."""
    d = input._data
    nd = d.ndim
    if nd == 0:
        return reshape(input, (1,))
    s = wrap_dim(start_dim, nd, "flatten")
    e = wrap_dim(end_dim, nd, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    n = 1
    for k in d.shape[s : e + 1]:
        n *= k
    return reshape(input, d.shape[:s] + (n,) + d.shape[e + 1 :])


def _T(self):
    nd = self._data.ndim
    return permute(self, tuple(range(nd - 1, -1, -1)))


def _mT(self):
    if self._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return transpose(self, -2, -1)


bind("view", view)
bind("view_as", view_as)
bind("reshape", reshape)
bind("reshape_as", reshape_as)
bind("expand", expand)
bind("expand_as", expand_as)
bind("broadcast_to", broadcast_to)
bind("unsqueeze", unsqueeze)
bind("squeeze", squeeze)
bind(("transpose", "swapaxes", "swapdims"), transpose)
bind("t", t)
bind("permute", permute)
bind("flatten", flatten)
Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.H = property(lambda self: _T(self).conj() if self.is_complex() else _T(self))
Tensor.mH = property(lambda self: _mT(self).conj() if self.is_complex() else _mT(self))

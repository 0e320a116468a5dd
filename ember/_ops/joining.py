"""Joining and copying ops: cat stack h/v/d/column_stack flip roll rot90 repeat repeat_interleave tile
tril triu diag diag_embed diagflat block_diag cartesian_prod combinations.

All results are new tensors. Backward formulas are ember ops (cat <-> narrow, stack <-> unbind,
flip <-> flip, ...), so double backward works."""

import numpy as np

from .. import _dtype as D
from .._autocast import AUTOCAST, autocast_call
from .._backend import device_of, to_device
from ._core import (
    GRAD,
    Node,
    Tensor,
    _vc_of,
    attach,
    bind,
    check_same_device,
    inplace,
    make,
    scalar_type_name,
    take_flat,
    wrap_dim,
    xp_of,
)
from .arith import _out as _arith_out
from .convert import clone
from .reduction import sum as _sum
from .shape import expand, reshape, unsqueeze
from .shape2 import (
    DiagonalBackward0,
    _a1,
    _a2,
    _a3,
    _slice,
    diag_view_arr,
    diagonal,
    meshgrid,
    narrow,
    unbind,
)

__all__ = [
    "cat",
    "concat",
    "concatenate",
    "stack",
    "hstack",
    "vstack",
    "row_stack",
    "dstack",
    "column_stack",
    "flip",
    "fliplr",
    "flipud",
    "roll",
    "rot90",
    "repeat_interleave",
    "tile",
    "tril",
    "triu",
    "diag",
    "diag_embed",
    "diagflat",
    "block_diag",
    "cartesian_prod",
    "combinations",
]

_PROMOTE = D._PROMOTE


def _tensor_list(tensors, opname):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{opname}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    tensors = list(tensors)
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{opname}(): argument 'tensors' (position 1) must be tuple of Tensors, not {type(t).__name__}"
            )
    return tensors


def _common_dtype(tensors):
    dt = D.FROM_NP[tensors[0]._data.dtype]
    for t in tensors[1:]:
        o = D.FROM_NP[t._data.dtype]
        if o is not dt:
            dt = _PROMOTE[(dt, o)]
    return dt.np


def _cast(d, npdt):
    return d if d.dtype == npdt else d.astype(npdt)


def _write_out(out, r, opname):
    """Write result array r into a user-given `out=` tensor (resized when its shape differs)."""
    if out._data.shape != r.shape:
        out._data = r.astype(out._data.dtype)
        _vc_of(out).v += 1
        return out
    return inplace(out, r, None, (), opname)


# -- cat / stack ---------------------------------------------------------------------------------


class CatBackward0(Node):
    def backward(self, g):
        dim = self.dim
        res = []
        for i, (start, n) in enumerate(self.spans):
            if not self.needs(i):
                res.append(None)
            elif start is None:
                res.append(make(xp_of(g._data).zeros((0,), dtype=g._data.dtype)))
            else:
                res.append(narrow(g, dim, start, n))
        return tuple(res)


def cat(tensors, dim=0, *, out=None):
    """Matches `torch.cat`: dtype promotion across inputs; 1-D empty tensors are skipped (legacy)."""
    if AUTOCAST.on and out is None:
        return autocast_call("cat", cat, (tensors, dim), {})
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    npdt = _common_dtype(tensors)
    ref = None
    for t in tensors:
        if not (t._data.ndim == 1 and t._data.shape[0] == 0):
            ref = t
            break
    if ref is None:
        r = xp_of(tensors[0]._data).zeros((0,), dtype=npdt)
        dim = 0
        spans = [(None, 0)] * len(tensors)
    else:
        rs = ref._data.shape
        nd = len(rs)
        dim = wrap_dim(dim, nd, "cat")
        arrays, spans = [], []
        pos = 0
        for i, t in enumerate(tensors):
            s = t._data.shape
            if len(s) == 1 and s[0] == 0:
                spans.append((None, 0))
                continue
            if len(s) != nd:
                raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and {len(s)}")
            for k in range(nd):
                if k != dim and s[k] != rs[k]:
                    raise RuntimeError(
                        f"Sizes of tensors must match except in dimension {dim}. Expected size {rs[k]} but got size "
                        f"{s[k]} for tensor number {i} in the list."
                    )
            arrays.append(_cast(t._data, npdt))
            spans.append((pos, s[dim]))
            pos += s[dim]
        try:
            r = xp_of(arrays[0]).concatenate(arrays, axis=dim) if len(arrays) > 1 else arrays[0].copy()
        except (TypeError, ValueError):
            check_same_device("cat", *tensors)  # arrays on two devices: torch's error
            raise
    if out is not None:
        return _write_out(out, r, "cat")
    res = make(r)
    if GRAD.enabled and any(t._requires_grad for t in tensors):
        node = CatBackward0()
        node.dim, node.spans = dim, spans
        attach(res, node, tensors)
    return res


concat = concatenate = cat


class StackBackward0(Node):
    def backward(self, g):
        return unbind(g, self.dim)


def stack(tensors, dim=0, *, out=None):
    """Matches `torch.stack`."""
    if AUTOCAST.on and out is None:
        return autocast_call("stack", stack, (tensors, dim), {})
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    s0 = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != s0:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got [{', '.join(map(str, s0))}] at entry 0 and "
                f"[{', '.join(map(str, t._data.shape))}] at entry {i}"
            )
    dim = wrap_dim(dim, len(s0) + 1, "stack")
    npdt = _common_dtype(tensors)
    arrays = [_cast(t._data, npdt) for t in tensors]
    try:
        r = xp_of(arrays[0]).stack(arrays, axis=dim)
    except (TypeError, ValueError):
        check_same_device("stack", *tensors)  # arrays on two devices: torch's error
        raise
    if out is not None:
        return _write_out(out, r, "stack")
    res = make(r)
    if GRAD.enabled and any(t._requires_grad for t in tensors):
        node = StackBackward0()
        node.dim = dim
        attach(res, node, tensors)
    return res


def _seq(tensors, opname):
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        tensors = tensors[0]
    return _tensor_list(tensors, opname)


def hstack(tensors, *, out=None):
    """Matches `torch.hstack`."""
    ts = [_a1(t) for t in _tensor_list(tensors, "hstack")]
    if not ts:
        raise RuntimeError("hstack expects a non-empty TensorList")
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    """Matches `torch.vstack` (alias row_stack)."""
    ts = [_a2(t) for t in _tensor_list(tensors, "vstack")]
    if not ts:
        raise RuntimeError("vstack expects a non-empty TensorList")
    return cat(ts, 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    """Matches `torch.dstack`."""
    ts = [_a3(t) for t in _tensor_list(tensors, "dstack")]
    if not ts:
        raise RuntimeError("dstack expects a non-empty TensorList")
    return cat(ts, 2, out=out)


def column_stack(tensors, *, out=None):
    """Matches `torch.column_stack`."""
    ts = _tensor_list(tensors, "column_stack")
    if not ts:
        raise RuntimeError("column_stack expects a non-empty TensorList")
    ts = [reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in ts]
    return cat(ts, 1, out=out)


# -- flip / roll / rot90 -------------------------------------------------------------------------


class FlipBackward0(Node):
    def backward(self, g):
        return flip(g, self.dims)


def flip(input, dims):
    """Matches `torch.flip` (a copy)."""
    if isinstance(dims, (int, np.integer)):
        raise TypeError(f"flip(): argument 'dims' (position 2) must be tuple of ints, not {type(dims).__name__}")
    d = input._data
    axes = _unique_dims(dims, d.ndim, "flip")
    r = xp_of(d).flip(d, axis=axes).copy() if axes and d.ndim else d.copy()
    out = make(r)
    if GRAD.enabled and input._requires_grad:
        node = FlipBackward0()
        node.dims = axes
        attach(out, node, (input,))
    return out


def _unique_dims(dims, nd, opname):
    out = []
    for x in dims:
        w = wrap_dim(x, nd, opname)
        if w in out:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        out.append(w)
    return tuple(out)


def _flip_method(self, *dims):
    if len(dims) == 1 and not isinstance(dims[0], (int, np.integer)):
        dims = dims[0]
    return flip(self, tuple(dims))


def fliplr(input):
    """Matches `torch.fliplr`."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input):
    """Matches `torch.flipud`."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


class RollBackward0(Node):
    def backward(self, g):
        return roll(g, tuple(-s for s in self.shifts), self.dims)


def roll(input, shifts, dims=None):
    """Matches `torch.roll` (no dims: the flattened tensor is rolled, then restored to shape)."""
    shifts = (int(shifts),) if isinstance(shifts, (int, np.integer)) else tuple(int(s) for s in shifts)
    d = input._data
    if dims is None or (not isinstance(dims, (int, np.integer)) and len(dims) == 0):
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        axes = None
        r = xp_of(d).roll(d, shifts[0]) if d.size else d.copy()
    else:
        dl = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
        if len(dl) != len(shifts):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dl)}")
        axes = tuple(wrap_dim(x, d.ndim, "roll") for x in dl)
        r = xp_of(d).roll(d, shifts, axis=axes) if d.size and d.ndim else d.copy()
    out = make(r)
    if GRAD.enabled and input._requires_grad:
        node = RollBackward0()
        node.shifts, node.dims = shifts, axes
        attach(out, node, (input,))
    return out


class Rot90Backward0(Node):
    def backward(self, g):
        return rot90(g, -self.k, self.dims)


def rot90(input, k=1, dims=(0, 1)):
    """Matches `torch.rot90`."""
    d = input._data
    dims = tuple(int(x) for x in dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    nd = d.ndim
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    axes = (wrap_dim(dims[0], nd, "rot90"), wrap_dim(dims[1], nd, "rot90"))
    if axes[0] == axes[1]:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    k = int(k)
    xp = xp_of(d)
    out = make(xp.ascontiguousarray(xp.rot90(d, k % 4, axes=axes)))
    if GRAD.enabled and input._requires_grad:
        node = Rot90Backward0()
        node.k, node.dims = k, axes
        attach(out, node, (input,))
    return out


# -- repeat / tile / repeat_interleave -----------------------------------------------------------


class RepeatBackward0(Node):
    def backward(self, g):
        reps, shape = self.reps, self.shape
        lead = len(reps) - len(shape)
        padded = (1,) * lead + tuple(shape)
        inter = []
        for r, s in zip(reps, padded):
            inter += [r, s]
        g = reshape(g, tuple(inter))
        g = _sum(g, tuple(range(0, 2 * len(reps), 2)))
        return reshape(g, shape)


def repeat(self, *sizes):
    """Matches `torch.Tensor.repeat`."""
    if len(sizes) == 1 and not isinstance(sizes[0], (int, np.integer)):
        sizes = sizes[0]
    reps = tuple(int(s) for s in sizes)
    d = self._data
    if len(reps) < d.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    padded = (1,) * (len(reps) - d.ndim) + d.shape
    target = [r * s for r, s in zip(reps, padded)]
    for r in reps:
        if r < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(target)}: {target}")
    out = make(xp_of(d).tile(d, reps) if reps else d.copy())
    if GRAD.enabled and self._requires_grad:
        node = RepeatBackward0()
        node.reps, node.shape = reps, d.shape
        attach(out, node, (self,))
    return out


def tile(input, dims):
    """Matches `torch.tile`."""
    dims = (int(dims),) if isinstance(dims, (int, np.integer)) else tuple(int(x) for x in dims)
    nd = input._data.ndim
    if len(dims) < nd:
        dims = (1,) * (nd - len(dims)) + dims
    return repeat(input, dims)


def _tile_method(self, *dims):
    if len(dims) == 1 and not isinstance(dims[0], (int, np.integer)):
        dims = dims[0]
    return tile(self, dims)


class IndexSelectBackward0(Node):
    def backward(self, g):
        return _index_add_zeros(g, self.dim, self.index, self.shape)


class _IndexAddZerosBackward(Node):
    def backward(self, g):
        return _index_select(g, self.dim, self.index)


def _index_select(t, dim, index):
    """t.index_select(dim, index) for an int64 NumPy index (differentiable)."""
    d = t._data
    xp = xp_of(d)
    out = make(xp.take(d, index if xp is np else xp.asarray(index), axis=dim))
    if GRAD.enabled and t._requires_grad:
        node = IndexSelectBackward0()
        node.dim, node.index, node.shape = dim, index, d.shape
        attach(out, node, (t,))
    return out


def _index_add_zeros(g, dim, index, shape):
    d = g._data
    xp = xp_of(d)
    r = xp.zeros(shape, dtype=d.dtype)
    moved = xp.moveaxis(r, dim, 0)
    xp.add.at(moved, index if xp is np else xp.asarray(index), xp.moveaxis(d, dim, 0))
    out = make(r)
    if GRAD.enabled and g._requires_grad:
        node = _IndexAddZerosBackward()
        node.dim, node.index = dim, index
        attach(out, node, (g,))
    return out


def _host(a):
    return a if type(a) is np.ndarray else a.get()


def _repeats_index(rep, opname="repeat_interleave"):
    """The output->input index of repeat_interleave for a 1-D int64 repeats array."""
    if rep.ndim > 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if rep.dtype.kind not in "iu":
        raise NotImplementedError(
            f"\"repeat_interleave_cpu\" not implemented for '{scalar_type_name(D.FROM_NP[rep.dtype])}'"
        )
    if rep.size and rep.min() < 0:
        raise RuntimeError("repeats can not be negative")
    return np.repeat(np.arange(rep.size, dtype=np.int64), rep.reshape(-1))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Matches `torch.repeat_interleave` (repeats: int or tensor; no dim: the flattened input)."""
    if repeats is None:
        idx = _repeats_index(_host(input._data))
        return make(idx if type(input._data) is np.ndarray else to_device(idx, device_of(input._data)))
    if dim is None:
        input = reshape(input, (-1,))
        dim = 0
    elif input._data.ndim == 0:
        input = reshape(input, (1,))
    d = input._data
    dim = wrap_dim(dim, d.ndim, "repeat_interleave")
    size = d.shape[dim]
    if isinstance(repeats, Tensor):
        rep = _host(repeats._data)
        if rep.size == 1 and rep.ndim <= 1:
            rep = np.repeat(rep.reshape(-1), size)
        elif rep.ndim == 1 and rep.size != size:
            raise RuntimeError(
                f"repeats must have the same size as input along dim, but got repeats.size(0) = {rep.size} and "
                f"input.size(0) = {size}"
            )
        idx = _repeats_index(rep)
        if output_size is not None and output_size != idx.size:
            raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {idx.size} but got {output_size}")
        return _index_select(input, dim, idx)
    n = int(repeats)
    if n < 0:
        raise RuntimeError("Repeats must be non-negative")
    total = size * n
    if output_size is not None and output_size != total:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {total} but got {output_size}")
    e = unsqueeze(input, dim + 1)
    e = expand(e, d.shape[: dim + 1] + (n,) + d.shape[dim + 1 :])
    return reshape(clone(e), d.shape[:dim] + (total,) + d.shape[dim + 1 :])


# -- triangles and diagonals ---------------------------------------------------------------------


class TrilBackward0(Node):
    def backward(self, g):
        return tril(g, self.k)


class TriuBackward0(Node):
    def backward(self, g):
        return triu(g, self.k)


def _tri(input, k, lower, opname):
    d = input._data
    if d.ndim < 2:
        raise RuntimeError(f"{opname}: input tensor must have at least 2 dimensions")
    k = int(k)
    xp = xp_of(d)
    m, n = d.shape[-2:]
    mask = xp.tri(m, n, k, dtype=bool) if lower else ~xp.tri(m, n, k - 1, dtype=bool)
    return xp.where(mask, d, xp.zeros((), dtype=d.dtype)), k


def _tri_node(t, k, lower):
    """TrilBackward0 / TriuBackward0 for diagonal k when t needs a gradient, else None."""
    if not (GRAD.enabled and t._requires_grad):
        return None
    node = TrilBackward0() if lower else TriuBackward0()
    node.k = k
    return node


def _tri_out(input, diagonal, lower, opname):
    r, k = _tri(input, diagonal, lower, opname)
    res = make(r)
    node = _tri_node(input, k, lower)
    if node is not None:
        attach(res, node, (input,))
    return res


def _tri_inplace(self, diagonal, lower, opname):
    r, k = _tri(self, diagonal, lower, opname)
    return inplace(self, r, _tri_node(self, k, lower), (self,), opname + "_")


def tril(input, diagonal=0, *, out=None):
    """Matches `torch.tril`."""
    r = _tri_out(input, diagonal, True, "tril")
    return r if out is None else _arith_out(r, out)


def triu(input, diagonal=0, *, out=None):
    """Matches `torch.triu`."""
    r = _tri_out(input, diagonal, False, "triu")
    return r if out is None else _arith_out(r, out)


def tril_(self, diagonal=0):
    return _tri_inplace(self, diagonal, True, "tril")


def triu_(self, diagonal=0):
    return _tri_inplace(self, diagonal, False, "triu")


class DiagEmbedBackward0(Node):
    def backward(self, g):
        return diagonal(g, self.offset, self.d1, self.d2)


def _embed(input, offset, d1, d2):
    """zeros with input's last dim written on the (offset, d1, d2) diagonal (dims of the output)."""
    d = input._data
    n = d.shape[-1]
    m = n + abs(offset)
    shape = list(d.shape[:-1])
    lo, hi = sorted((d1, d2))
    shape.insert(lo, m)
    shape.insert(hi, m)
    xp = xp_of(d)
    r = xp.zeros(tuple(shape), dtype=d.dtype)
    diag_view_arr(r, offset, d1, d2)[...] = d
    out = make(r)
    if GRAD.enabled and input._requires_grad:
        node = DiagEmbedBackward0()
        node.offset, node.d1, node.d2 = offset, d1, d2
        attach(out, node, (input,))
    return out


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matches `torch.diag_embed`."""
    nd = input._data.ndim + 1
    d1 = wrap_dim(dim1, nd, "diag_embed")
    d2 = wrap_dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return _embed(input, int(offset), d1, d2)


class DiagonalBackward0_copy(Node):  # noqa: N801 - torch's name
    def backward(self, g):
        return DiagonalBackward0.backward(self, g)


def diag(input, diagonal=0, *, out=None):
    """Matches `torch.diag`: 1-D -> a 2-D matrix with it on a diagonal; 2-D -> that diagonal (a copy)."""
    d = input._data
    nd = d.ndim
    k = int(diagonal)
    if nd == 1:
        return _embed(input, k, 0, 1)
    if nd != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")
    res = make(diag_view_arr(d, k, 0, 1).copy())
    if GRAD.enabled and input._requires_grad:
        node = DiagonalBackward0_copy()
        node.shape, node.offset, node.d1, node.d2 = d.shape, k, 0, 1
        attach(res, node, (input,))
    return res


def diagflat(input, offset=0):
    """Matches `torch.diagflat`."""
    return _embed(reshape(input, (-1,)), int(offset), 0, 1)


class BlockDiagBackward0(Node):
    def backward(self, g):
        res = []
        for i, (r0, c0, rows, cols, shape) in enumerate(self.blocks):
            if not self.needs(i):
                res.append(None)
                continue
            part = _slice(_slice(g, 0, r0, r0 + rows), 1, c0, c0 + cols)
            res.append(reshape(part, shape))
        return tuple(res)


def block_diag(*tensors):
    """Matches `torch.block_diag`."""
    ts = list(tensors)
    for i, t in enumerate(ts):
        if t._data.ndim > 2:
            raise RuntimeError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has {t._data.ndim} "
                "dimensions"
            )
    if not ts:
        return make(np.zeros((1, 0), dtype=D.get_default_dtype().np))
    npdt = _common_dtype(ts)
    mats = []
    for t in ts:
        d = t._data
        mats.append(d.reshape(1, -1) if d.ndim < 2 else d)
    rows = sum(m.shape[0] for m in mats)
    cols = sum(m.shape[1] for m in mats)
    xp = xp_of(mats[0])
    r = xp.zeros((rows, cols), dtype=npdt)
    blocks = []
    r0 = c0 = 0
    for t, m in zip(ts, mats):
        h, w = m.shape
        r[r0 : r0 + h, c0 : c0 + w] = m
        blocks.append((r0, c0, h, w, t._data.shape))
        r0 += h
        c0 += w
    out = make(r)
    if GRAD.enabled and any(t._requires_grad for t in ts):
        node = BlockDiagBackward0()
        node.blocks = blocks
        attach(out, node, ts)
    return out


def cartesian_prod(*tensors):
    """Matches `torch.cartesian_prod`."""
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape [{', '.join(map(str, t._data.shape))}]")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """Matches `torch.combinations`."""
    d = input._data
    if d.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape [{', '.join(map(str, d.shape))}]")
    r = int(r)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return make(xp_of(d).zeros((0,), dtype=d.dtype))
    n = d.shape[0]
    grid = np.indices((n,) * r).reshape(r, -1)
    mask = np.ones(grid.shape[1], dtype=bool)
    for i in range(r - 1):
        mask &= grid[i] <= grid[i + 1] if with_replacement else grid[i] < grid[i + 1]
    idx = grid[:, mask]
    return stack([take_flat(input, idx[i]) for i in range(r)], 1)


bind("flip", _flip_method)
bind("fliplr", fliplr)
bind("flipud", flipud)
bind("roll", roll)
bind("rot90", rot90)
bind("repeat", repeat)
bind("repeat_interleave", repeat_interleave)
bind("tile", _tile_method)
bind("tril", tril)
bind("triu", triu)
bind("tril_", tril_)
bind("triu_", triu_)
bind("diag", diag)
bind("diag_embed", diag_embed)
bind("diagflat", diagflat)

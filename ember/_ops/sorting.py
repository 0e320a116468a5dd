"""Sorting and searching: sort argsort msort topk kthvalue, unique unique_consecutive, bincount histc
histogram, searchsorted bucketize.

Sorting is always stable (torch's CPU sort is too): a descending sort keeps equal elements in their
original order, and NaN sorts as the largest value. The value-selecting ops (sort, topk, kthvalue) share
one gradient: the upstream gradient scattered into zeros at the selected indices, through a private
differentiable scatter/gather pair so that higher-order gradients work.
"""

import numpy as np

from .. import _dtype as D
from .. import return_types as _return_types
from .._tensor import _vc_of
from ._core import GRAD, Node, Tensor, arr, attach, attach_multi, bind, make, scalar_type_name, wrap_dim, xp_of
from .shape import unsqueeze

__all__ = [
    "sort",
    "argsort",
    "msort",
    "topk",
    "kthvalue",
    "unique",
    "unique_consecutive",
    "bincount",
    "histc",
    "histogram",
    "searchsorted",
    "bucketize",
]

_int64 = np.dtype(np.int64)
_int32 = np.dtype(np.int32)


# -- return types -----------------------------------------------------------------------------


def _ret(name, a, b):
    return getattr(_return_types, name)(a, b)


# -- argument checks --------------------------------------------------------------------------


def _tensor_arg(x, opname, name="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{opname}(): argument '{name}' (position 1) must be Tensor, not {type(x).__name__}")
    return x


def _int_arg(x, opname, name):
    if type(x) is bool or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{opname}(): argument '{name}' must be int, not {type(x).__name__}")
    return int(x)


def _dtype_name(d):
    return scalar_type_name(d.dtype) if d.dtype.kind != "V" else "BFloat16"


def _write_out(res, out, opname):
    """Copy the result (a tensor or a named tuple) into `out=` (resized when its shape differs), as torch does."""
    if out is None:
        return res
    single = isinstance(res, Tensor)
    ress = (res,) if single else tuple(res)
    outs = (out,) if isinstance(out, Tensor) else tuple(out) if isinstance(out, (tuple, list)) else None
    if outs is None or len(outs) != len(ress) or not all(isinstance(o, Tensor) for o in outs):
        raise TypeError(f"{opname}(): argument 'out' must be {'Tensor' if single else f'tuple of {len(ress)} Tensors'}")
    for r, o in zip(ress, outs):
        if GRAD.enabled and (r._requires_grad or o._requires_grad):
            raise RuntimeError(
                f"{opname}(): functions with out=... arguments don't support automatic differentiation, but one of "
                "the arguments requires grad."
            )
        if o._data.dtype != r._data.dtype:
            raise RuntimeError(f"Expected out tensor to have dtype {r.dtype}, but got {o.dtype} instead")
    for r, o in zip(ress, outs):
        if o._data.shape != r._data.shape:
            o._data = xp_of(r._data).empty(r._data.shape, dtype=r._data.dtype)
        xp_of(o._data).copyto(o._data, r._data)
        _vc_of(o).v += 1
    return outs[0] if single else type(res)(*outs)


# -- the differentiable scatter / gather pair -------------------------------------------------


class _GatherBackward(Node):
    """History of take_along_axis(x, idx, axis): its gradient scatters into zeros of x's shape."""

    def backward(self, g):
        return _scatter_along(g, self.idx, self.axis, self.shape)


_GatherBackward.__name__ = _GatherBackward.__qualname__ = "GatherBackward0"


class _ScatterBackward(Node):
    """History of zeros(shape) with g put at idx along axis: its gradient gathers at idx."""

    def backward(self, g):
        return _gather_along(g, self.idx, self.axis)


_ScatterBackward.__name__ = _ScatterBackward.__qualname__ = "ScatterBackward0"


def _gather_along(t, idx, axis):
    """t gathered at the int64 array idx along axis (same rank as t), differentiable."""
    d = t._data
    if d.ndim == 0:
        out = make(d.copy())
    else:
        out = make(xp_of(d).take_along_axis(d, idx, axis))
    if GRAD.enabled and t._requires_grad:
        node = _GatherBackward()
        node.idx, node.axis, node.shape = idx, axis, d.shape
        attach(out, node, (t,))
    return out


def _scatter_along(g, idx, axis, shape):
    """zeros(shape) with g put at the (per-slice distinct) indices idx along axis, differentiable."""
    d = g._data
    if len(shape) == 0:
        out = make(d.copy())
    else:
        xp = xp_of(d)
        z = xp.zeros(shape, dtype=d.dtype)
        if d.size:
            xp.put_along_axis(z, idx, d, axis)
        out = make(z)
    if GRAD.enabled and g._requires_grad:
        node = _ScatterBackward()
        node.idx, node.axis = idx, axis
        attach(out, node, (g,))
    return out


class _SelectBackward(Node):
    """Shared gradient of sort / topk / kthvalue: scatter g into zeros at the selected indices."""

    keepdim = True

    def backward(self, g, _gi=None):
        if g is None:
            return (None,)
        if not self.keepdim:
            g = unsqueeze(g, self.axis)
        return _scatter_along(g, self.idx, self.axis, self.shape)


class SortBackward0(_SelectBackward):
    pass


class SortBackward1(_SelectBackward):
    """sort called with `stable=` (torch's sort.stable overload)."""


class TopkBackward0(_SelectBackward):
    pass


class KthvalueBackward0(_SelectBackward):
    pass


def _select_out(input, values, idx, axis, node_cls, rt, keepdim=True, idx_out=None):
    """Wrap values/indices arrays as the op's named tuple, with history when input requires grad."""
    v = make(values)
    i = make(idx if idx_out is None else idx_out)
    if GRAD.enabled and input._requires_grad:
        node = node_cls()
        node.idx, node.axis, node.shape = idx, axis, input._data.shape
        if not keepdim:
            node.keepdim = False
        attach_multi((v, i), node, (input,), (True, False))
    return _ret(rt, v, i)


# -- sort -------------------------------------------------------------------------------------


def _argsort(d, axis, descending):
    """Stable argsort of d (ndim >= 1) along axis; NaN is the largest value."""
    xp = xp_of(d)
    if not descending:
        return xp.argsort(d, axis=axis, kind="stable")
    # a stable descending sort: sort the reversed array stably, then reverse back
    n = d.shape[axis]
    idx = xp.argsort(xp.flip(d, axis), axis=axis, kind="stable")
    return xp.flip((n - 1) - idx, axis)


def _check_sortable(d, opname):
    if d.dtype.kind == "c":
        raise RuntimeError(f"{opname} does not support complex dtypes on CPU")


def _sort_arrays(d, dim, descending, opname):
    """(values, indices, axis) of a stable sort of d along dim; 0-dim inputs give 0-dim results."""
    axis = wrap_dim(dim, d.ndim, opname)
    if d.ndim == 0:
        return d.copy(), xp_of(d).zeros((), dtype=_int64), 0
    idx = _argsort(d, axis, descending)
    return xp_of(d).take_along_axis(d, idx, axis), idx, axis


_UNSET = object()


def sort(input, dim=-1, descending=False, *, stable=_UNSET, out=None):
    """Matches `torch.sort`: returns (values, indices); always stable."""
    _tensor_arg(input, "sort")
    d = input._data
    _check_sortable(d, " Sort")
    v, idx, axis = _sort_arrays(d, dim, descending, "sort")
    return _write_out(
        _select_out(input, v, idx, axis, SortBackward0 if stable is _UNSET else SortBackward1, "sort"), out, "sort"
    )


def argsort(input, dim=-1, descending=False, *, stable=False):
    """Matches `torch.argsort`."""
    _tensor_arg(input, "argsort")
    d = input._data
    _check_sortable(d, " Sort")
    axis = wrap_dim(dim, d.ndim, "argsort")
    if d.ndim == 0:
        return make(xp_of(d).zeros((), dtype=_int64))
    return make(_argsort(d, axis, descending))


def msort(input, *, out=None):
    """Matches `torch.msort`: the values of a sort along dim 0."""
    return _write_out(sort(input, 0).values, out, "msort")


# -- topk / kthvalue --------------------------------------------------------------------------


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):  # noqa: A002
    """Matches `torch.topk`: the k largest (or smallest) elements along dim, sorted (always, here)."""
    _tensor_arg(input, "topk")
    k = _int_arg(k, "topk", "k")
    d = input._data
    if d.dtype.kind == "c":
        raise RuntimeError(" topk does not support complex dtypes on CPU")
    if d.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    axis = wrap_dim(dim, d.ndim, "topk")
    n = d.shape[axis] if d.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if d.ndim == 0:
        return _write_out(
            _select_out(input, d.copy(), xp_of(d).zeros((), dtype=_int64), 0, TopkBackward0, "topk"), out, "topk"
        )
    idx = _argsort(d, axis, largest)
    if k != n:
        idx = xp_of(d).take(idx, np.arange(k), axis=axis)
    return _write_out(
        _select_out(input, xp_of(d).take_along_axis(d, idx, axis), idx, axis, TopkBackward0, "topk"), out, "topk"
    )


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    """Matches `torch.kthvalue`: the k-th smallest element along dim (1-based) and its index."""
    _tensor_arg(input, "kthvalue")
    k = _int_arg(k, "kthvalue", "k")
    d = input._data
    if d.dtype.kind in "bc":
        raise NotImplementedError(f"\"kthvalue_cpu\" not implemented for '{_dtype_name(d)}'")
    axis = wrap_dim(dim, d.ndim, "kthvalue")
    n = d.shape[axis] if d.ndim else 1
    if n == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {axis} to have non-zero size.")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    if d.ndim == 0:
        return _write_out(
            _select_out(input, d.copy(), xp_of(d).zeros((), dtype=_int64), 0, KthvalueBackward0, "kthvalue"),
            out,
            "kthvalue",
        )
    xp = xp_of(d)
    idx = xp.take(_argsort(d, axis, False), [k - 1], axis=axis)
    v = xp.take_along_axis(d, idx, axis)
    if keepdim:
        return _write_out(_select_out(input, v, idx, axis, KthvalueBackward0, "kthvalue"), out, "kthvalue")
    return _write_out(
        _select_out(
            input, v.squeeze(axis), idx, axis, KthvalueBackward0, "kthvalue", keepdim=False, idx_out=idx.squeeze(axis)
        ),
        out,
        "kthvalue",
    )


# -- unique -----------------------------------------------------------------------------------


def _no_derivative(name):
    msg = f"the derivative for '{name}' is not implemented."

    def backward(self, *grads):
        raise NotImplementedError(msg)

    return backward


Unique2Backward0 = type("Unique2Backward0", (Node,), {"backward": _no_derivative("_unique2")})
UniqueDimBackward0 = type("UniqueDimBackward0", (Node,), {"backward": _no_derivative("unique_dim")})
UniqueConsecutiveBackward0 = type(
    "UniqueConsecutiveBackward0", (Node,), {"backward": _no_derivative("unique_consecutive")}
)
_NotImplementedBackward = type("NotImplemented", (Node,), {"backward": _no_derivative("this op")})


def _groups(rows, is_new):
    """From `is_new` (a bool per row after the first: differs from the previous row) build the start of
    each group, the group of each row and each group's size (on is_new's device)."""
    n = rows
    xp = xp_of(is_new)
    if not n:
        empty = xp.zeros(0, dtype=np.int64)
        return empty, empty, empty
    new = xp.concatenate((xp.ones(1, dtype=bool), is_new))
    starts = xp.flatnonzero(new)
    group = xp.cumsum(new.astype(np.int64)) - 1
    counts = xp.diff(xp.concatenate((starts, xp.full(1, n, dtype=starts.dtype)))).astype(np.int64)
    return starts, group.astype(np.int64), counts


def _unique_impl(input, sort_first, return_inverse, return_counts, dim, opname, node_cls):
    d = input._data
    if d.dtype.kind == "c":
        raise NotImplementedError(f"\"{opname}\" not implemented for '{_dtype_name(d)}'")
    xp = xp_of(d)
    if dim is None:
        flat = d.reshape(-1)
        if sort_first:
            order = xp.argsort(flat, kind="stable")
            s = flat[order]
        else:
            s = flat
        is_new = s[1:] != s[:-1]
        starts, group, counts = _groups(s.shape[0], is_new)
        values = s[starts]
        inv = None
        if return_inverse:
            inv = xp.empty(flat.shape[0], dtype=_int64)
            if sort_first:
                inv[order] = group
            else:
                inv[:] = group
            inv = inv.reshape(d.shape)
    else:
        if d.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        axis = wrap_dim(dim, d.ndim, opname)
        for i, s_ in enumerate(d.shape):
            if s_ == 0 and i != axis:
                raise RuntimeError(
                    "There are 0 sized dimensions, and they aren't selected, so unique cannot be applied"
                )
        moved = xp.moveaxis(d, axis, 0)
        rows = moved.reshape(moved.shape[0], int(np.prod(moved.shape[1:])))
        n = rows.shape[0]
        if sort_first and n:
            order = xp.lexsort(rows.T[::-1])  # lexicographic by row: column 0 is the primary key
            s = rows[order]
        else:
            order = None
            s = rows
        is_new = xp.any(s[1:] != s[:-1], axis=1) if n else xp.zeros(0, dtype=bool)
        starts, group, counts = _groups(n, is_new)
        values = xp.moveaxis(moved[order[starts] if order is not None else starts], 0, axis)
        inv = None
        if return_inverse:
            inv = xp.empty(n, dtype=_int64)
            if order is not None:
                inv[order] = group
            else:
                inv[:] = group
    out = make(xp.ascontiguousarray(values))
    if GRAD.enabled and input._requires_grad:
        attach(out, node_cls(), (input,))
    if not return_inverse and not return_counts:
        return out
    res = (out,)
    if return_inverse:
        res += (make(inv),)
    if return_counts:
        res += (make(counts),)
    return res


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """Matches `torch.unique` (the output is sorted even with sorted=False, as on torch's CPU)."""
    _tensor_arg(input, "unique")
    node = Unique2Backward0 if dim is None else UniqueDimBackward0
    return _unique_impl(input, True, return_inverse, return_counts, dim, "unique", node)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Matches `torch.unique_consecutive`."""
    _tensor_arg(input, "unique_consecutive")
    return _unique_impl(
        input, False, return_inverse, return_counts, dim, "unique_consecutive", UniqueConsecutiveBackward0
    )


# -- counting ---------------------------------------------------------------------------------


def bincount(input, weights=None, minlength=0):
    """Matches `torch.bincount`."""
    _tensor_arg(input, "bincount")
    d = input._data
    if d.dtype.kind not in "iu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{_dtype_name(d)}'")
    minlength = _int_arg(minlength, "bincount", "minlength")
    if d.ndim != 1 or (d.size and d.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None or d.shape[0] == 0:  # torch counts in int64 for an empty input, even with weights
        return make(np.bincount(d, minlength=minlength).astype(_int64, copy=False))
    w = weights._data
    if w.ndim != 1 or w.shape[0] != d.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    odt = np.float32 if w.dtype == np.float32 else np.float64
    r = np.bincount(d, weights=w.astype(np.float64), minlength=minlength).astype(odt)
    out = make(r)
    if GRAD.enabled and weights._requires_grad:
        attach(out, _NotImplementedBackward(), (weights,))
    return out


def _check_hist_dtype(d, name):
    if d.dtype.kind not in "fV":
        raise NotImplementedError(f"\"{name}\" not implemented for '{_dtype_name(d)}'")


def histc(input, bins=100, min=0, max=0, *, out=None):  # noqa: A002
    """Matches `torch.histc`: bins equal-width bins over [min, max] (the data's range when min == max)."""
    _tensor_arg(input, "histc")
    d = input._data
    _check_hist_dtype(d, "histogram_cpu")
    bins = _int_arg(bins, "histc", "bins")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo == hi and d.size:
        lo, hi = float(d.min()), float(d.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo:g}, {hi:g}] is not finite")
    if not lo < hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    dt = d.dtype
    flat = d.reshape(-1)
    left, right = dt.type(lo), dt.type(hi)
    keep = (flat >= left) & (flat <= right)
    x = flat[keep]
    # torch's linear interpolation, in the input dtype
    pos = ((x - left) * dt.type(bins) / (right - left)).astype(np.int64)
    pos[pos == bins] = bins - 1
    return _write_out(make(np.bincount(pos, minlength=bins).astype(dt)), out, "histc")


def _linspace(lo, hi, steps, dt):
    """torch.linspace(lo, hi, steps) in dtype dt: the first half counts up from lo, the rest down from hi."""
    cdt = np.float32 if dt.itemsize < 4 else dt
    start, end = cdt.type(lo), cdt.type(hi)
    step = (end - start) / cdt.type(steps - 1) if steps > 1 else cdt.type(0)
    i = np.arange(steps).astype(cdt)
    half = steps // 2
    r = np.where(np.arange(steps) < half, start + step * i, end - step * (cdt.type(steps - 1) - i))
    return r.astype(dt)


def histogram(input, bins, *, range=None, weight=None, density=False, out=None):  # noqa: A002
    """Matches `torch.histogram`: returns (hist, bin_edges)."""
    _tensor_arg(input, "histogram")
    d = input._data
    _check_hist_dtype(d, "histogramdd")
    dt = d.dtype
    flat = d.reshape(-1)
    if isinstance(bins, Tensor):
        edges = bins._data
        if edges.dtype != dt:
            raise RuntimeError(
                "torch.histogramdd: input tensor and bins tensors should have the same dtype, but got input with "
                f"dtype {D.FROM_NP[dt].name} and bins for dimension 0 with dtype {D.FROM_NP[edges.dtype].name}"
            )
        if edges.ndim != 1:
            raise RuntimeError(
                "torch.histogramdd: bins tensor should have one dimension, but got "
                f"{edges.ndim} dimensions in the bins tensor for dimension 0"
            )
        if edges.shape[0] < 2:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {edges.shape[0] - 1} for dimension 0")
        edges = edges.copy()
    else:
        nb = _int_arg(bins, "histogram", "bins")
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
        elif flat.size:
            lo, hi = float(flat.min()), float(flat.max())
        else:
            lo, hi = 0.0, 1.0
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise RuntimeError(f"torch.histogramdd: dimension 0's range [{lo:g}, {hi:g}] is not finite")
        if lo > hi:
            raise RuntimeError(
                f"torch.histogramdd: min should not exceed max, but got min {lo:g} max {hi:g} for dimension 0"
            )
        if nb <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {nb} for dimension 0")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = xp_of(d).asarray(_linspace(lo, hi, nb + 1, dt))
    w = None
    if weight is not None:
        w = weight._data
        if w.dtype != dt:
            raise RuntimeError(
                "torch.histogramdd: if weight tensor is provided, input tensor and weight tensor should have the "
                f"same dtype, but got input({D.FROM_NP[dt].name}), and weight({D.FROM_NP[w.dtype].name})"
            )
        if w.shape != d.shape:
            raise RuntimeError(
                "torch.histogramdd: if weight tensor is provided it should have the same shape as the input "
                f"tensor excluding its innermost dimension, but got input with shape {list(flat.shape) + [1]} and "
                f"weight with shape {list(w.shape)}"
            )
        w = w.reshape(-1)
    nb = edges.shape[0] - 1
    keep = (flat >= edges[0]) & (flat <= edges[-1])
    x = flat[keep]
    pos = np.searchsorted(edges, x, side="right") - 1
    pos[pos == nb] = nb - 1
    hist = np.bincount(pos, weights=None if w is None else w[keep].astype(np.float64), minlength=nb).astype(dt)
    if density:
        hist = hist / hist.sum(dtype=dt)
        hist = (hist / np.diff(edges)).astype(dt)
    h, e = make(hist), make(edges)
    if GRAD.enabled and (input._requires_grad or (weight is not None and weight._requires_grad)):
        attach_multi((h, e), _NotImplementedBackward(), (input, weight))
    return _write_out(_ret("histogram", h, e), out, "histogram")


# -- searching --------------------------------------------------------------------------------


def _search_arrays(boundaries, input, opname):
    """The boundaries and values as arrays of their common dtype."""
    dt = D.result_type_of((boundaries, input))
    if dt._cat in (D._BOOL, D._COMPLEX):
        raise NotImplementedError(f"\"searchsorted_out_cpu\" not implemented for '{scalar_type_name(dt.np)}'")
    b = boundaries._data
    v = input._data if isinstance(input, Tensor) else xp_of(b).asarray(input)
    npdt = dt.np
    return (b if b.dtype == npdt else b.astype(npdt)), (v if v.dtype == npdt else v.astype(npdt))


def _search(b, v, side, out_int32):
    odt = _int32 if out_int32 else _int64
    if b.ndim == 1:
        return arr(np.searchsorted(b, v, side=side)).astype(odt, copy=False)
    lead = b.shape[:-1]
    b2 = b.reshape(-1, b.shape[-1])
    v2 = v.reshape(b2.shape[0], -1)
    xp = xp_of(b)
    res = xp.empty(v2.shape, dtype=odt)
    for r in np.ndindex(b2.shape[0]):  # one binary search per boundary row
        res[r] = xp.searchsorted(b2[r], v2[r], side=side)
    return res.reshape(lead + v.shape[-1:])


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None, out=None):  # noqa: A002
    """Matches `torch.searchsorted`."""
    _tensor_arg(sorted_sequence, "searchsorted", "sorted_sequence")
    bd = sorted_sequence._data
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of left while right was True"
            )
        right = side == "right"
    if bd.ndim == 0:
        raise RuntimeError(
            f"torch.searchsorted(): boundaries tensor should have positive dimension, but got {bd.ndim} dimension"
        )
    scalar = not isinstance(input, Tensor)
    if scalar:
        if bd.ndim != 1:
            raise RuntimeError(
                "torch.searchsorted(): input value can be a scalar only when boundaries tensor dimension is 1, but "
                f"we got boundaries tensor dim({bd.ndim}) and input value's dim(0) numel(1)"
            )
    else:
        vd = input._data
        if bd.ndim != 1 and (vd.ndim != bd.ndim or vd.shape[:-1] != bd.shape[:-1]):
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of "
                "boundaries tensor and input value tensor must match, but we got boundaries tensor "
                f"{list(bd.shape)} and input value tensor {list(vd.shape)}"
            )
    if sorter is not None:
        sd = sorter._data
        if sd.dtype != _int64:
            raise RuntimeError(
                f"torch.searchsorted(): sorter must be a tensor of long dtype but got dtype {D.FROM_NP[sd.dtype]}"
            )
        if sd.shape != bd.shape:
            raise RuntimeError(
                "torch.searchsorted(): boundary and sorter must have the same size, but got boundary tensor "
                f"{list(bd.shape)}and got sorter tensor {list(sd.shape)}"
            )
        if sd.size and (sd.min() < 0 or sd.max() >= bd.shape[-1]):
            raise RuntimeError("torch.searchsorted(): sorter index out of range")
    b, v = _search_arrays(sorted_sequence, input, "searchsorted")
    if sorter is not None:
        b = np.take_along_axis(b, sorter._data, -1)
    return _write_out(make(_search(b, v, "right" if right else "left", out_int32)), out, "searchsorted")


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """Matches `torch.bucketize`: the index of the bucket of each value (boundaries: 1-d, increasing)."""
    _tensor_arg(boundaries, "bucketize", "boundaries")
    bd = boundaries._data
    if bd.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({bd.ndim})")
    b, v = _search_arrays(boundaries, input, "bucketize")
    return _write_out(make(_search(b, v, "right" if right else "left", out_int32)), out, "bucketize")


bind("sort", sort)
bind("argsort", argsort)
bind("msort", msort)
bind("topk", topk)
bind("kthvalue", kthvalue)
bind("unique", unique)
bind("unique_consecutive", unique_consecutive)
bind("bincount", bincount)
bind("histc", histc)
bind("histogram", histogram)

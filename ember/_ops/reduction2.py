"""Reductions, part two: max/min and friends, median, mode, and the cumulative ops."""

from operator import attrgetter

import numpy as np

from .. import _dtype as D
from .. import return_types as R
from .._autocast import AUTOCAST, autocast_call
from ._core import (
    GRAD,
    Node,
    Tensor,
    arr,
    attach,
    attach_multi,
    bind,
    inplace,
    make,
    scalar_type_name,
    scatter_flat,
    wrap_dim,
    xp_of,
)
from .reduction import (
    _axes,
    _const,
    _exp,
    _keep,
    _keep_saved,
    _low_precision,
    _masked_fill,
    _reduce_args,
    _sum_dtype,
    _with_out,
)
from .reduction import sum as _sum
from .shape import expand, transpose, unsqueeze

__all__ = [
    "max",
    "min",
    "amax",
    "amin",
    "aminmax",
    "argmax",
    "argmin",
    "median",
    "nanmedian",
    "mode",
    "cumsum",
    "cumprod",
    "cummax",
    "cummin",
    "logcumsumexp",
]

_max, _min = max, min


# == helpers ================================================================================


def _flat_index(idx, shape, dim):
    """Flat indices into an array of `shape` for `idx` (keepdim-shaped indices along `dim`)."""
    xp = xp_of(idx)
    if not shape:
        return xp.zeros(idx.shape, dtype=np.int64)
    strides = [1] * len(shape)
    for i in range(len(shape) - 2, -1, -1):
        strides[i] = strides[i + 1] * shape[i + 1]
    flat = idx.astype(np.int64) * strides[dim]
    for i, n in enumerate(shape):
        if i != dim and n != 1:
            sh = [1] * len(shape)
            sh[i] = n
            flat = flat + (xp.arange(n, dtype=np.int64) * strides[i]).reshape(sh)
    return xp.ascontiguousarray(xp.broadcast_to(flat, idx.shape))


class _ValueSelectingBackward(Node):
    """Backward of a reduction that picks one element per slice (max/min/median/mode with dim)."""

    def backward(self, g, _gi=None):
        gk = _keep(g, self.shape, (self.dim,), self.keepdim) if self.shape else g
        return scatter_flat(gk, self.vidx, self.shape)


class MaxBackward0(_ValueSelectingBackward):
    pass


class MinBackward0(_ValueSelectingBackward):
    pass


class MedianBackward1(_ValueSelectingBackward):
    pass


class NanmedianBackward1(_ValueSelectingBackward):
    pass


class ModeBackward0(_ValueSelectingBackward):
    pass


def _select_result(input, values, idx, dim, keepdim, node_cls, rtype):
    """Named tuple (values, indices) from keepdim-shaped arrays; attaches a value-selecting node."""
    d = input._data
    if not keepdim and d.ndim:
        v, i = values.squeeze(dim), idx.squeeze(dim)
    elif not d.ndim:
        v, i = values.reshape(()), idx.reshape(())
    else:
        v, i = values, idx
    vt, it = make(arr(v)), make(arr(i.astype(np.int64, copy=False)))
    if GRAD.enabled and input._requires_grad:
        node = node_cls()
        node.shape, node.dim, node.keepdim = d.shape, dim, keepdim
        node.vidx = _flat_index(idx if d.ndim else idx.reshape(()), d.shape, dim)
        attach_multi((vt, it), node, (input,), (True, False))
    return rtype(vt, it)


def _select_degenerate(d, dim, xp):
    """(indices, values), keepdim-shaped, of a one-element selection from a 0-dim or empty d."""
    if d.ndim == 0:
        return xp.zeros((), dtype=np.int64), d.copy()
    kshape = d.shape[:dim] + (1,) + d.shape[dim + 1 :]
    return xp.zeros(kshape, dtype=np.int64), xp.zeros(kshape, dtype=d.dtype)


def _check_nonempty_dim(d, dim, opname, sep="():"):
    if d.ndim and d.shape[dim] == 0:
        raise IndexError(f"{opname}{sep} Expected reduction dim {dim} to have non-zero size.")


def _evenly(g, x, val):
    """torch's evenly_distribute_backward: g split equally among the elements equal to val (NaN-aware)."""
    xd, vd = x._data, val._data
    xp = xp_of(xd)
    if xd.dtype.kind in "fc" and bool(xp.isnan(vd)):
        mask = xp.isnan(xd)
    else:
        mask = xd == vd
    return g * _const(mask / _max(int(mask.sum()), 1), xd.dtype)


def _scale_by_count(gk, x, ok, dims):
    """torch's scale_grad_by_count for amax/amin: g split equally among the maximal elements of each slice."""
    xd = x._data
    xp = xp_of(xd)
    mask = xd == ok._data
    cnt = xp.sum(mask, axis=_axes(xd, dims), keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return gk * _const(mask / cnt, xd.dtype)


# == max / min ==============================================================================


class MaxBackward1(Node):
    def backward(self, g):
        x, out = self.saved
        return _evenly(g, x, out)


class MinBackward1(MaxBackward1):
    pass


def _binary(name):
    """ember.maximum / ember.minimum (the elementwise family), for max(a, b) and min(a, b)."""
    from .. import _ops  # noqa: PLC0415

    return getattr(_ops, name)


def _max_min(input, dim, keepdim, is_max):
    name = "max" if is_max else "min"
    if isinstance(dim, Tensor):
        return _binary("maximum" if is_max else "minimum")(input, dim)
    d = input._data
    xp = xp_of(d)
    if dim is None:
        if d.size == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim "
                "with the 'dim' argument."
            )
        r = make(arr(xp.max(d) if is_max else xp.min(d)))
        if GRAD.enabled and input._requires_grad:
            node = MaxBackward1() if is_max else MinBackward1()
            attach(r, node, (input,))
            node.save(input, r)
        return r
    dim = wrap_dim(dim, d.ndim, name)
    _check_nonempty_dim(d, dim, name)
    if d.ndim == 0:
        idx = xp.zeros((), dtype=np.int64)
        values = d.copy()
    elif d.size == 0:
        kshape = d.shape[:dim] + (1,) + d.shape[dim + 1 :]
        idx, values = xp.zeros(kshape, dtype=np.int64), xp.zeros(kshape, dtype=d.dtype)
    else:
        idx = (xp.argmax if is_max else xp.argmin)(d, axis=dim, keepdims=True)
        values = xp.take_along_axis(d, idx, axis=dim)
    return _select_result(
        input, values, idx, dim, keepdim, MaxBackward0 if is_max else MinBackward0, R.max if is_max else R.min
    )


def max(input, dim=None, keepdim=False, *, out=None):  # noqa: A001
    """Matches `torch.max`: the max value; with dim, (values, indices); with a tensor, `maximum`."""
    res = _max_min(input, dim, keepdim, True)
    return res if out is None else _with_out(res, out)


def min(input, dim=None, keepdim=False, *, out=None):  # noqa: A001
    """Matches `torch.min`: the min value; with dim, (values, indices); with a tensor, `minimum`."""
    res = _max_min(input, dim, keepdim, False)
    return res if out is None else _with_out(res, out)


class AmaxBackward0(Node):
    def backward(self, g):
        x, gk, ok = _keep_saved(self, g)
        return _scale_by_count(gk, x, ok, self.dims)


class AminBackward0(AmaxBackward0):
    pass


def _amax_amin(input, dim, keepdim, is_max):
    name = "amax" if is_max else "amin"
    d = input._data
    axes, dims = _reduce_args(input, dim, name)
    if axes is None:
        if d.size == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim "
                "with the 'dim' argument."
            )
    else:
        for k in dims:
            _check_nonempty_dim(d, k, name)
    xp = xp_of(d)
    kd = keepdim and d.ndim > 0
    if d.size == 0:
        shape = [1 if i in dims else s for i, s in enumerate(d.shape)]
        r = xp.zeros(shape, dtype=d.dtype)
        if not kd:
            r = r.reshape([s for i, s in enumerate(d.shape) if i not in dims])
    else:
        r = (xp.max if is_max else xp.min)(d, axis=_axes(d, dims), keepdims=kd)
    res = make(arr(r))
    if GRAD.enabled and input._requires_grad:
        node = AmaxBackward0() if is_max else AminBackward0()
        node.dims, node.keepdim = dims, keepdim
        attach(res, node, (input,))
        node.save(input, res)
    return res


def amax(input, dim=(), keepdim=False, *, out=None):
    """Matches `torch.amax` (gradient split equally among the maximal elements)."""
    res = _amax_amin(input, dim, keepdim, True)
    return res if out is None else _with_out(res, out)


def amin(input, dim=(), keepdim=False, *, out=None):
    """Matches `torch.amin`."""
    res = _amax_amin(input, dim, keepdim, False)
    return res if out is None else _with_out(res, out)


class AminmaxBackward0(Node):
    def backward(self, gmin, gmax):
        x, lo, hi = self.saved
        shape = x._data.shape
        res = None
        for g, o in ((gmin, lo), (gmax, hi)):
            if g is None:
                continue
            gk = _keep(g, shape, self.dims, self.keepdim)
            ok = _keep(o, shape, self.dims, self.keepdim)
            r = _scale_by_count(gk, x, ok, self.dims)
            res = r if res is None else res + r
        return res


def aminmax(input, *, dim=None, keepdim=False, out=None):
    """Matches `torch.aminmax`: (min, max)."""
    d = input._data
    xp = xp_of(d)
    if dim is None:
        if d.size == 0:
            raise RuntimeError(
                "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity."
            )
        dims = tuple(range(d.ndim))
    else:
        k = wrap_dim(dim, d.ndim, "aminmax")
        _check_nonempty_dim(d, k, "aminmax", ":")
        dims = (k,) if d.ndim else ()
    kd = keepdim and d.ndim > 0
    if d.size == 0:
        shape = (
            [s for i, s in enumerate(d.shape) if i not in dims]
            if not kd
            else [1 if i in dims else s for i, s in enumerate(d.shape)]
        )
        lo = hi = xp.zeros(shape, dtype=d.dtype)
    else:
        lo = xp.min(d, axis=_axes(d, dims), keepdims=kd)
        hi = xp.max(d, axis=_axes(d, dims), keepdims=kd)
    if dim is None and keepdim and d.ndim:
        lo, hi = lo.reshape([1] * d.ndim), hi.reshape([1] * d.ndim)
    lt, ht = make(arr(lo)), make(arr(hi))
    if GRAD.enabled and input._requires_grad:
        node = AminmaxBackward0()
        node.dims, node.keepdim = dims, keepdim
        attach_multi((lt, ht), node, (input,))
        node.save(input, lt, ht)
    res = R.aminmax(lt, ht)
    return res if out is None else _with_out(res, out)


def _arg(input, dim, keepdim, is_max):
    name = "argmax" if is_max else "argmin"
    d = input._data
    if d.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    xp = xp_of(d)
    fn = xp.argmax if is_max else xp.argmin
    if dim is None:
        if d.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        r = fn(d.reshape(-1))
        r = arr(r).astype(np.int64)
        if keepdim:
            r = r.reshape([1] * d.ndim)
        return make(r)
    dim = wrap_dim(dim, d.ndim, name)
    _check_nonempty_dim(d, dim, name)
    if d.ndim == 0:
        return make(xp.zeros((), dtype=np.int64))
    if d.size == 0:
        shape = list(d.shape)
        if keepdim:
            shape[dim] = 1
        else:
            del shape[dim]
        return make(xp.zeros(shape, dtype=np.int64))
    return make(arr(fn(d, axis=dim, keepdims=keepdim)).astype(np.int64))


def argmax(input, dim=None, keepdim=False, *, out=None):
    """Matches `torch.argmax` (dim=None: index into the flattened input)."""
    res = _arg(input, dim, keepdim, True)
    return res if out is None else _with_out(res, out)


def argmin(input, dim=None, keepdim=False, *, out=None):
    """Matches `torch.argmin`."""
    res = _arg(input, dim, keepdim, False)
    return res if out is None else _with_out(res, out)


# == median / nanmedian / mode ==============================================================


class MedianBackward0(MaxBackward1):
    pass


class NanmedianBackward0(MaxBackward1):
    pass


def _median_all(input, ignore_nan):
    name = "nanmedian" if ignore_nan else "median"
    d = input._data
    if d.dtype == np.bool_:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Bool'")
    xp = xp_of(d)
    flat = d.reshape(-1)
    isf = d.dtype.kind in "fV"
    if flat.size == 0:
        v = xp.asarray(np.nan if isf else 0, dtype=d.dtype)
    else:
        nan = xp.isnan(flat) if isf else None
        if nan is not None and nan.any() and not ignore_nan:
            v = xp.asarray(np.nan, dtype=d.dtype)
        else:
            n = flat.size - (int(nan.sum()) if nan is not None else 0)
            if n == 0:
                v = xp.asarray(np.nan, dtype=d.dtype)
            else:
                v = xp.partition(flat, (n - 1) // 2)[(n - 1) // 2]
    r = make(arr(xp.asarray(v)))
    if GRAD.enabled and input._requires_grad:
        node = NanmedianBackward0() if ignore_nan else MedianBackward0()
        attach(r, node, (input,))
        node.save(input, r)
    return r


def _median_dim(input, dim, keepdim, ignore_nan):
    name = "nanmedian" if ignore_nan else "median"
    d = input._data
    if d.dtype == np.bool_:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Bool'")
    dim = wrap_dim(dim, d.ndim, name)
    _check_nonempty_dim(d, dim, name)
    xp = xp_of(d)
    if d.ndim == 0 or d.size == 0:
        idx, values = _select_degenerate(d, dim, xp)
    else:
        n = d.shape[dim]
        order = xp.argsort(d, axis=dim, kind="stable")  # NaNs sort last
        if d.dtype.kind in "fV":
            nnan = xp.sum(xp.isnan(d), axis=dim, keepdims=True)
            if ignore_nan:
                cnt = n - nnan
                pos = xp.where(cnt > 0, (cnt - 1) // 2, 0)
            else:
                pos = xp.where(nnan > 0, n - nnan, (n - 1) // 2)
        else:
            shape = list(d.shape)
            shape[dim] = 1
            pos = xp.full(shape, (n - 1) // 2, dtype=np.int64)
        idx = xp.take_along_axis(order, pos, axis=dim)
        values = xp.take_along_axis(d, idx, axis=dim)
    rtype = R.nanmedian if ignore_nan else R.median
    return _select_result(
        input, values, idx, dim, keepdim, NanmedianBackward1 if ignore_nan else MedianBackward1, rtype
    )


def _median(input, dim, keepdim, out, ignore_nan):
    res = _median_all(input, ignore_nan) if dim is None else _median_dim(input, dim, keepdim, ignore_nan)
    return res if out is None else _with_out(res, out)


def median(input, dim=None, keepdim=False, *, out=None):
    """Matches `torch.median`: the lower median; with dim, (values, indices). NaN propagates."""
    return _median(input, dim, keepdim, out, False)


def nanmedian(input, dim=None, keepdim=False, *, out=None):
    """Matches `torch.nanmedian`: the lower median of the non-NaN values."""
    return _median(input, dim, keepdim, out, True)


def mode(input, dim=-1, keepdim=False, *, out=None):
    """Matches `torch.mode`: the most frequent value of each slice (smallest on ties), and the index of
    its last occurrence."""
    d = input._data
    dim = wrap_dim(dim, d.ndim, "mode")
    _check_nonempty_dim(d, dim, "mode")
    xp = xp_of(d)
    if d.ndim == 0 or d.size == 0:
        idx, values = _select_degenerate(d, dim, xp)
    else:
        moved = xp.moveaxis(d, dim, -1)
        lead = moved.shape[:-1]
        n = moved.shape[-1]
        rows = moved.reshape(-1, n)
        s = xp.sort(rows, axis=-1)
        starts = xp.ones(s.shape, dtype=bool)
        starts[:, 1:] = s[:, 1:] != s[:, :-1]
        run = xp.cumsum(starts.reshape(-1)) - 1  # a run id per element, unique across rows
        counts = xp.bincount(run)
        per = counts[run].reshape(s.shape)
        best = xp.argmax(per, axis=-1)  # first maximal run: the smallest value on ties
        v = s[xp.arange(s.shape[0]), best]
        eq = rows == v[:, None]
        last = n - 1 - xp.argmax(eq[:, ::-1], axis=-1)
        values = xp.moveaxis(v.reshape(lead + (1,)), -1, dim)
        idx = xp.moveaxis(last.reshape(lead + (1,)), -1, dim)
    res = _select_result(input, values, idx, dim, keepdim, ModeBackward0, R.mode)
    return res if out is None else _with_out(res, out)


# == cumulative ops =========================================================================


def _cum_dtype(input, dtype):
    d = input._data
    npdt = _sum_dtype(d, dtype)
    if npdt is not None and d.dtype != npdt:
        d = d.astype(npdt)
    return d


class _RevCumsum(Node):
    def backward(self, g):
        return cumsum(g, self.dim)


def _rev_cumsum(t, dim):
    """Sum of the elements at and after each position along dim, differentiable."""
    d = t._data
    xp = xp_of(d)
    if d.ndim == 0:
        r = d.copy()
    else:
        r = xp.flip(xp.cumsum(xp.flip(d, dim), axis=dim), dim)
    out = make(arr(r).astype(d.dtype, copy=False))
    if GRAD.enabled and t._requires_grad:
        node = _RevCumsum()
        node.dim = dim
        attach(out, node, (t,))
    return out


class CumsumBackward0(Node):
    def backward(self, g):
        return _rev_cumsum(g, self.dim)


def _accumulate(xp, name):
    """`xp.<name>.accumulate`; CuPy accumulates only add and multiply, so there a log-step scan of the
    (associative) ufunc: ceil(log2 n) array calls."""
    uf = getattr(xp, name)
    if xp is np:
        return uf.accumulate

    def scan(d, axis=0):
        v = xp.moveaxis(d, axis, 0).copy()
        k, n = 1, v.shape[0]
        while k < n:
            v[k:] = uf(v[k:], v[:-k])
            k *= 2
        return xp.ascontiguousarray(xp.moveaxis(v, 0, axis))

    return scan


_CUMSUM, _CUMPROD = attrgetter("cumsum"), attrgetter("cumprod")


def _LOGCUMSUMEXP(xp):  # noqa: N802 - a scan getter, like _CUMSUM
    return _accumulate(xp, "logaddexp")


def _scan(d, dim, scan):
    """The running `scan(xp)` along dim (float16/bfloat16 accumulate in float32; a 0-dim array is copied)."""
    if d.ndim == 0:
        return d.copy()
    fn = scan(xp_of(d))
    if _low_precision(d):
        return fn(d.astype(np.float32), axis=dim).astype(d.dtype)
    return fn(d, axis=dim)


def _cum_op(input, dim, dtype, out, opname, scan, node_cls, save_io):
    """cumsum / cumprod: the scan in torch's accumulation dtype, with its node (saving input and output)."""
    if out is not None and dtype is None:
        dtype = out.dtype  # torch computes in the dtype of out=
    d = _cum_dtype(input, dtype)
    dim = wrap_dim(dim, d.ndim, opname)
    r = make(arr(_scan(d, dim, scan)))
    if GRAD.enabled and input._requires_grad:
        node = node_cls()
        node.dim = dim
        attach(r, node, (input,))
        if save_io:
            node.save(input, r)
    return r if out is None else _with_out(r, out)


def cumsum(input, dim, *, dtype=None, out=None):
    """Matches `torch.cumsum` (integer and bool inputs accumulate in int64)."""
    if AUTOCAST.on and out is None:
        return autocast_call("cumsum", cumsum, (input, dim), {"dtype": dtype})
    return _cum_op(input, dim, dtype, out, "cumsum", _CUMSUM, CumsumBackward0, False)


def _check_cum_inplace(self, dtype, opname):
    d = self._data
    if dtype is not None and dtype.np != d.dtype:
        raise RuntimeError(
            f"Bad in-place call: input tensor dtype {_c_name(d.dtype)} and output tensor dtype {_c_name(dtype.np)} "
            "should match"
        )
    if d.dtype == np.bool_:
        raise NotImplementedError(f"\"{opname}_out_cpu\" not implemented for 'Bool'")
    return d


def _c_name(npdt):
    return {"float32": "float", "float64": "double", "int64": "long int", "int32": "int"}.get(npdt.name, npdt.name)


def _cum_op_(self, dim, dtype, opname, scan, node_cls, save_io):
    """cumsum_ / cumprod_: the in-place scan with its node (cumprod_ saves the old value and the result)."""
    d = _check_cum_inplace(self, dtype, opname)
    dim = wrap_dim(dim, d.ndim, opname + "_")
    r = _scan(d, dim, scan)
    node = None
    if GRAD.enabled and self._requires_grad:
        node = node_cls()
        node.dim = dim
        if save_io:
            node.save(self, None)
    inplace(self, arr(r), node, (self,), opname + "_")
    if save_io and node is not None:
        node.save(node.saved[0], self)  # the old value (kept by inplace) and the result
    return self


def cumsum_(self, dim, *, dtype=None):
    return _cum_op_(self, dim, dtype, "cumsum", _CUMSUM, CumsumBackward0, False)


class CumprodBackward0(Node):
    def backward(self, g):
        x, out = self.saved
        dim = self.dim
        if x._data.ndim == 0:
            return g * 1
        if not (x._data == 0).any():
            return _rev_cumsum(g * out, dim) / x
        return _cumprod_grad_zeros(g, x, dim)


def _cumprod_grad_zeros(g, x, dim):
    """sum_{k >= i} g_k * prod_{j <= k, j != i} x_j, safe with zeros (O(n^2) along dim)."""
    xt = transpose(x, dim, -1)
    gt = transpose(g, dim, -1)
    n = xt._data.shape[-1]
    m = expand(unsqueeze(xt, -2), xt._data.shape[:-1] + (n, n))  # [.., i, j] = x_j
    c = cumprod(_masked_fill(m, np.eye(n, dtype=bool), 1), -1)  # [.., i, k] = prod_{j<=k, j!=i} x_j
    c = _masked_fill(c, np.tri(n, n, -1, dtype=bool), 0)  # keep k >= i
    r = _sum(c * unsqueeze(gt, -2), -1)
    return transpose(r, dim, -1)


def cumprod(input, dim, *, dtype=None, out=None):
    """Matches `torch.cumprod`."""
    if AUTOCAST.on and out is None:
        return autocast_call("cumprod", cumprod, (input, dim), {"dtype": dtype})
    return _cum_op(input, dim, dtype, out, "cumprod", _CUMPROD, CumprodBackward0, True)


def cumprod_(self, dim, *, dtype=None):
    return _cum_op_(self, dim, dtype, "cumprod", _CUMPROD, CumprodBackward0, True)


class CummaxBackward0(Node):
    def backward(self, g, _gi=None):
        if self.empty:
            (x,) = self.saved
            return x  # as torch: an empty input is its own gradient
        return scatter_flat(g, self.vidx, self.shape)


class CumminBackward0(CummaxBackward0):
    pass


def _cumext(input, dim, is_max):
    name = "cummax" if is_max else "cummin"
    d = input._data
    dim = wrap_dim(dim, d.ndim, name)
    xp = xp_of(d)
    if d.ndim == 0:
        values, idx = d.copy(), xp.zeros((), dtype=np.int64)
    elif d.size == 0:
        values, idx = d.copy(), xp.zeros(d.shape, dtype=np.int64)
    else:
        values = _accumulate(xp, "maximum" if is_max else "minimum")(d, axis=dim)
        hit = d == values
        if d.dtype.kind in "fV":
            hit |= xp.isnan(d)
        sh = [1] * d.ndim
        sh[dim] = d.shape[dim]
        pos = xp.arange(d.shape[dim], dtype=np.int64).reshape(sh)
        idx = _accumulate(xp, "maximum")(xp.where(hit, pos, 0), axis=dim)
    vt, it = make(arr(values)), make(arr(idx))
    if GRAD.enabled and input._requires_grad:
        node = CummaxBackward0() if is_max else CumminBackward0()
        node.shape, node.empty = d.shape, d.size == 0
        node.vidx = _flat_index(idx, d.shape, dim)
        attach_multi((vt, it), node, (input,), (True, False))
        if node.empty:
            node.save(input)
    return (R.cummax if is_max else R.cummin)(vt, it)


def cummax(input, dim, *, out=None):
    """Matches `torch.cummax`: running max and the index where it was found (latest on ties)."""
    res = _cumext(input, dim, True)
    return res if out is None else _with_out(res, out)


def cummin(input, dim, *, out=None):
    """Matches `torch.cummin`."""
    res = _cumext(input, dim, False)
    return res if out is None else _with_out(res, out)


class LogcumsumexpBackward0(Node):
    def backward(self, g):
        x, out = self.saved
        dim = self.dim
        if x._data.ndim == 0:
            return g * 1
        if GRAD.enabled:
            return _logcumsumexp_grad_graph(g, x, out, dim)
        return make(_logcumsumexp_grad_array(g._data, x._data, out._data, dim))


def _rev_logcumsumexp(a, dim):
    xp = xp_of(a)
    return xp.flip(_accumulate(xp, "logaddexp")(xp.flip(a, dim), axis=dim), dim)


def _logcumsumexp_grad_array(g, x, out, dim):
    """grad_i = sum_{k >= i} g_k exp(x_i - out_k), with positive and negative parts of g in log space."""
    xp = xp_of(g)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lg = xp.log(xp.abs(g))
        lp = xp.where(g > 0, lg, -np.inf) - out
        ln = xp.where(g < 0, lg, -np.inf) - out
        r = xp.exp(_rev_logcumsumexp(lp, dim) + x) - xp.exp(_rev_logcumsumexp(ln, dim) + x)
    return r.astype(x.dtype, copy=False)


def _logcumsumexp_grad_graph(g, x, out, dim):
    """The same in ember ops (O(n^2) along dim), for higher-order gradients."""
    xt, ot, gt = transpose(x, dim, -1), transpose(out, dim, -1), transpose(g, dim, -1)
    n = xt._data.shape[-1]
    diff = unsqueeze(xt, -1) - unsqueeze(ot, -2)  # [.., i, k] = x_i - out_k
    e = _exp(_masked_fill(diff, np.tri(n, n, -1, dtype=bool), -np.inf))
    r = _sum(e * unsqueeze(gt, -2), -1)
    return transpose(r, dim, -1)


def logcumsumexp(input, dim, *, out=None):
    """Matches `torch.logcumsumexp`."""
    d = input._data
    if d.dtype.kind not in "fcV":
        raise NotImplementedError(
            f"\"logcumsumexp_out_cpu\" not implemented for '{scalar_type_name(D.FROM_NP[d.dtype])}'"
        )
    dim = wrap_dim(dim, d.ndim, "logcumsumexp")
    res = make(arr(_scan(d, dim, _LOGCUMSUMEXP)))
    if GRAD.enabled and input._requires_grad:
        node = LogcumsumexpBackward0()
        node.dim = dim
        attach(res, node, (input,))
        node.save(input, res)
    return res if out is None else _with_out(res, out)


bind("max", max)
bind("min", min)
bind("amax", amax)
bind("amin", amin)
bind("aminmax", aminmax)
bind("argmax", argmax)
bind("argmin", argmin)
bind("median", median)
bind("nanmedian", nanmedian)
bind("mode", mode)
bind("cumsum", cumsum)
bind("cumsum_", cumsum_)
bind("cumprod", cumprod)
bind("cumprod_", cumprod_)
bind("cummax", cummax)
bind("cummin", cummin)
bind("logcumsumexp", logcumsumexp)

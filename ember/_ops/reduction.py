"""Reductions: sum and mean (the rest of the family is added alongside)."""

import warnings

import numpy as np

from .. import _dtype as D
from .._autocast import AUTOCAST, autocast_call
from .._backend import ones_like_rows
from ..cuda import _fused
from ._core import (
    GRAD,
    Node,
    Tensor,
    arr,
    attach,
    attach_multi,
    bind,
    make,
    scalar_type_name,
    wrap_dim,
    wrap_dims,
    xp_of,
)
from .arith import _out
from .convert import to
from .shape import expand, reshape, transpose, unsqueeze

__all__ = ["sum", "mean"]


def expand_reduced(g, shape, dims, keepdim):
    """Broadcast a reduction's gradient `g` back to the input `shape` (dims: the reduced dims)."""
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


def _over_leading_axes(d, dims):
    """Whether a CuPy sum over `dims` is over the leading axes of a contiguous float array: CuPy reduces those
    with one thread per output walking a strided column; a column-sum kernel (or, without the fused kernels, a
    GEMV with a ones vector) reads them coalesced."""
    if d.dtype.kind != "f" or d.dtype.itemsize < 4 or not d.size or not d.flags.c_contiguous or d.ndim < 2 or not dims:
        return False
    k = len(dims)
    return k < d.ndim and tuple(dims) == tuple(range(k))


def _leading_sum(d, k, keepdim):
    rows = 1
    for s in d.shape[:k]:
        rows *= s
    d2 = d.reshape(rows, -1)
    r = _fused.col_sum(d2) if _fused.usable(d2) else ones_like_rows(d, rows) @ d2
    return r.reshape((1,) * k + d.shape[k:] if keepdim else d.shape[k:])


def _count(d, dims):
    """How many elements of d a reduction over dims takes per output."""
    n = 1
    for k in dims:
        n *= d.shape[k]
    return n


def _sum_arr(d, dims, keepdim):
    """The sum of array d over dims (over the leading axes of a contiguous CuPy float array: column sums)."""
    if type(d) is np.ndarray or not _over_leading_axes(d, dims):
        return xp_of(d).sum(d, axis=dims if d.ndim else None, keepdims=keepdim and d.ndim > 0)
    return _leading_sum(d, len(dims), keepdim)


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A001
    """Matches `torch.sum`."""
    if AUTOCAST.on and out is None:
        return autocast_call("sum", sum, (input, dim, keepdim), {"dtype": dtype})
    if out is not None and dtype is None:
        dtype = out.dtype  # torch computes in the dtype of out=
    if not isinstance(input, Tensor):
        raise TypeError(f"sum(): argument 'input' must be Tensor, not {type(input).__name__}")
    d = input._data
    axes, dims = _reduce_args(input, dim, "sum")
    npdt = _sum_dtype(d, dtype)
    if npdt is not None and d.dtype != npdt:
        d = d.astype(npdt)
    r = make(arr(_sum_arr(d, dims, keepdim)))
    if GRAD.enabled and input._requires_grad:
        if axes is None and not keepdim:
            node = SumBackward0()
        else:
            node = SumBackward1()
            node.dims, node.keepdim = dims, keepdim
        node.shape = input._data.shape
        attach(r, node, (input,))
    return r if out is None else _with_out(r, out)


class MeanBackward0(Node):
    def backward(self, g):
        return expand(g / self.n, self.shape)


class MeanBackward1(Node):
    def backward(self, g):
        return expand_reduced(g / self.n, self.shape, self.dims, self.keepdim)


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Matches `torch.mean`."""
    if out is not None and dtype is None:
        dtype = out.dtype  # torch computes in the dtype of out=
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
    elif xp is np or d.dtype.kind != "f":
        r = xp.mean(d, axis=dims if d.ndim else None, keepdims=keepdim and d.ndim > 0)
    else:  # CuPy: its mean is ~2.5x a sum's host time; a sum (column sums over leading axes) then one division
        r = _sum_arr(d, dims, keepdim)
        n = _count(d, dims)
        r /= d.dtype.type(n) if n else d.dtype.type("nan")  # an empty mean is NaN, as torch's
    res = make(arr(r))
    if GRAD.enabled and input._requires_grad:
        n = _count(d, dims)
        if axes is None and not keepdim:
            node = MeanBackward0()
        else:
            node = MeanBackward1()
            node.dims, node.keepdim = dims, keepdim
        node.shape, node.n = d.shape, n
        attach(res, node, (input,))
    return res if out is None else _with_out(res, out)


bind("sum", sum)
bind("mean", mean)


# == private differentiable helpers (used by backward formulas in this family) ===============


class ExpBackward0(Node):
    def backward(self, g):
        (out,) = self.saved
        return g * out


def _exp(t):
    out = make(arr(xp_of(t._data).exp(t._data)))
    if GRAD.enabled and t._requires_grad:
        node = ExpBackward0()
        attach(out, node, (t,))
        node.save(out)
    return out


class MaskedFillBackward0(Node):
    def backward(self, g):
        return _masked_fill(g, self.mask, 0)


def _masked_fill(t, mask, value):
    """t with the positions of the boolean array `mask` (broadcastable to t) set to `value`."""
    d = t._data
    xp = xp_of(d)
    if xp is not np:
        mask = xp.asarray(mask)
    out = make(arr(xp.where(mask, xp.asarray(value, dtype=d.dtype), d)))
    if out._data.shape != d.shape:
        out = make(xp.ascontiguousarray(xp.broadcast_to(out._data, np.broadcast_shapes(out._data.shape, d.shape))))
    if GRAD.enabled and t._requires_grad:
        node = MaskedFillBackward0()
        node.mask = mask
        attach(out, node, (t,))
    return out


class PowBackward0(Node):
    def backward(self, g):
        (t,) = self.saved
        p = self.p
        if p == 0:
            return g * 0
        return g * _pow(t, p - 1) * p


def _pow(t, p):
    """t ** p for a Python scalar p, differentiable."""
    if p == 1:
        return t
    d = t._data
    with np.errstate(divide="ignore", invalid="ignore"):
        out = make(arr(xp_of(d).power(d, d.dtype.type(p))))
    if GRAD.enabled and t._requires_grad:
        node = PowBackward0()
        node.p = p
        node.save(t)
        attach(out, node, (t,))
    return out


class AbsBackward0(Node):
    def backward(self, g):
        return g * self.sgn


def _abs(t):
    d = t._data
    xp = xp_of(d)
    out = make(arr(xp.abs(d)))
    if GRAD.enabled and t._requires_grad:
        node = AbsBackward0()
        node.sgn = make(_sgn(d))
        attach(out, node, (t,))
    return out


class SgnBackward0(Node):
    def backward(self, g):
        return g * 0


def _sgn_t(t):
    """sgn(t) as a tensor with a (zero) gradient, as torch's sgn: higher-order graphs stay connected."""
    out = make(arr(_sgn(t._data)))
    if GRAD.enabled and t._requires_grad:
        attach(out, SgnBackward0(), (t,))
    return out


def _sgn(d):
    xp = xp_of(d)
    if d.dtype.kind == "c":
        a = xp.abs(d)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.where(a == 0, 0, d / a).astype(d.dtype)
    return xp.sign(d)


def _const(a, dtype):
    """A constant tensor (no history) holding array `a` cast to the NumPy dtype `dtype`."""
    a = arr(a)
    return make(a.astype(dtype, copy=False) if a.dtype != dtype else a)


def _keep(g, shape, dims, keepdim):
    """Reshape a reduction result `g` to its keepdim shape (so that it broadcasts against the input)."""
    if keepdim or not dims or not shape:
        return g
    k = list(shape)
    for d in dims:
        k[d] = 1
    return reshape(g, tuple(k))


def _keep_saved(node, g):
    """(x, g, out) for a node that saved (x, out): g and out reshaped to broadcast against x."""
    x, out = node.saved
    shape = x._data.shape
    return x, _keep(g, shape, node.dims, node.keepdim), _keep(out, shape, node.dims, node.keepdim)


def _axes(d, dims):
    """NumPy's axis argument for reducing `dims` of array `d` (0-dim arrays take None)."""
    return dims if d.ndim else None


def _is_float(d):
    return d.dtype.kind in "fcV"


def _low_precision(d):
    return (d.dtype.kind == "f" and d.dtype.itemsize == 2) or d.dtype.kind == "V"


def _int_dim(dim, opname):
    if isinstance(dim, (tuple, list)):
        raise TypeError(
            f"{opname}() received an invalid combination of arguments - got (Tensor, {type(dim).__name__}), "
            "but expected one of: (Tensor input, int dim, bool keepdim)"
        )
    return dim


# == prod ===================================================================================


class ProdBackward0(Node):
    def backward(self, g):
        x, out = self.saved
        xf = reshape(x, (-1,))
        return reshape(_prod_grad(g, xf, out, 0), x._data.shape)


class ProdBackward1(Node):
    def backward(self, g):
        x, out = self.saved
        if x._data.ndim == 0:
            return g * 1
        gk = _keep(g, x._data.shape, (self.dim,), self.keepdim)
        ok = _keep(out, x._data.shape, (self.dim,), self.keepdim)
        return _prod_grad(gk, x, ok, self.dim)


def _prod_grad(gk, x, ok, dim):
    """Gradient of prod over `dim` of x (gk, ok: upstream grad and result, broadcastable to x)."""
    if not (x._data == 0).any():
        return gk * ok / x
    return gk * _prod_others(x, dim)


def _prod_others(x, dim):
    """For each element, the product of the other elements along `dim` (safe with zeros), differentiable."""
    xt = transpose(x, dim, -1)
    n = xt._data.shape[-1]
    m = expand(unsqueeze(xt, -2), xt._data.shape[:-1] + (n, n))
    eye = np.eye(n, dtype=bool)
    others = prod(_masked_fill(m, eye, 1), -1)
    return transpose(others, dim, -1)


def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Matches `torch.prod` (dim: one int or None)."""
    if AUTOCAST.on and out is None:
        return autocast_call("prod", prod, (input, dim, keepdim), {"dtype": dtype})
    if out is not None and dtype is None:
        dtype = out.dtype  # torch computes in the dtype of out=
    if not isinstance(input, Tensor):
        raise TypeError(f"prod(): argument 'input' must be Tensor, not {type(input).__name__}")
    d = input._data
    npdt = _sum_dtype(d, dtype)
    if npdt is not None and d.dtype != npdt:
        d = d.astype(npdt)
    xp = xp_of(d)
    if dim is None:
        r = make(arr(xp.prod(d)))
    else:
        dim = wrap_dim(_int_dim(dim, "prod"), d.ndim, "prod")
        r = make(arr(xp.prod(d, axis=dim, keepdims=keepdim) if d.ndim else d.copy()))
    if GRAD.enabled and input._requires_grad:
        if dim is None:
            node = ProdBackward0()
        else:
            node = ProdBackward1()
            node.dim, node.keepdim = dim, keepdim
        attach(r, node, (input,))
        node.save(input, r)
    return r if out is None else _with_out(r, out)


# == nansum / nanmean =======================================================================


class NansumBackward0(Node):
    def backward(self, g):
        gk = _keep(g, self.shape, self.dims, self.keepdim)
        return gk * self.mask


def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Matches `torch.nansum` (NaNs count as zero)."""
    if out is not None and dtype is None:
        dtype = out.dtype  # torch computes in the dtype of out=
    d = input._data
    axes, dims = _reduce_args(input, dim, "nansum")
    npdt = _sum_dtype(d, dtype)
    if npdt is not None and d.dtype != npdt:
        d = d.astype(npdt)
    xp = xp_of(d)
    nan = xp.isnan(d) if _is_float(d) else None
    src = xp.where(nan, d.dtype.type(0), d) if nan is not None else d
    if _low_precision(src):
        r = xp.sum(src.astype(np.float32), axis=_axes(d, dims), keepdims=keepdim and d.ndim > 0).astype(d.dtype)
    else:
        r = xp.sum(src, axis=_axes(d, dims), keepdims=keepdim and d.ndim > 0)
    res = make(arr(r))
    if GRAD.enabled and input._requires_grad:
        node = NansumBackward0()
        node.shape, node.dims, node.keepdim = d.shape, dims, keepdim
        node.mask = _const(~nan, d.dtype)
        attach(res, node, (input,))
    return res if out is None else _with_out(res, out)


def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Matches `torch.nanmean`: nansum over the count of non-NaN elements."""
    src = dtype or D.FROM_NP[input._data.dtype]
    if not (src.is_floating_point or src.is_complex):
        raise RuntimeError(
            f"nanmean(): expected input to have floating point or complex dtype but got {scalar_type_name(src)}"
        )
    d = input._data
    _, dims = _reduce_args(input, dim, "nanmean")
    cnt = xp_of(d).sum(~xp_of(d).isnan(d), axis=_axes(d, dims), keepdims=keepdim and d.ndim > 0)
    res = nansum(input, dim, keepdim, dtype=dtype) / make(arr(cnt).astype(np.int64))
    return res if out is None else _with_out(res, out)


# == var / std ==============================================================================


def _var_args(opname, dim, unbiased, correction):
    if isinstance(dim, bool):
        unbiased, dim = dim, None
    if unbiased is not None and correction is not None:
        raise TypeError(
            f"{opname}() received an invalid combination of arguments - got both 'correction' and 'unbiased'"
        )
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


def _var_forward(input, dims, correction, keepdim, opname):
    """(variance array, mean array keepdim-shaped, N) over `dims` with torch's divisor max(N - correction, 0)."""
    d = input._data
    if d.dtype.kind not in "fcV":
        what = "std_mean" if opname == "std_mean" else "var_mean" if opname == "var_mean" else "std and var"
        raise RuntimeError(f"{what} only support floating point and complex dtypes")
    xp = xp_of(d)
    w = d.astype(np.float32) if _low_precision(d) else d
    n = _count(d, dims)
    ax = _axes(d, dims)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = (
            xp.mean(w, axis=ax, keepdims=True)
            if w.size
            else xp.full([1 if i in dims else s for i, s in enumerate(w.shape)], np.nan, w.dtype)
        )
        dev = w - m
        sq = (dev.real**2 + dev.imag**2) if w.dtype.kind == "c" else dev * dev
        div = n - correction
        if div <= 0:
            warnings.warn(
                f"{opname.split('_')[0]}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                "reduction factor (input numel divided by output numel).",
                UserWarning,
                stacklevel=3,
            )
        v = arr(xp.sum(sq, axis=ax, keepdims=keepdim and d.ndim > 0) / max(div, 0))
    return v, m, n


def _mean_kept(m, d, keepdim, dims):
    if not d.ndim:
        return m.reshape(())
    if keepdim:
        return m
    return m.reshape(tuple(s for i, s in enumerate(m.shape) if i not in dims))


def _var_grad(g, x, dims, keepdim, correction, n):
    """Gradient of var over dims given upstream g (in ember ops)."""
    gk = _keep(g, x._data.shape, dims, keepdim)
    div = n - correction
    factor = 2.0 / div if div != 0 else float("inf")
    return gk * (x - mean(x, list(dims), keepdim=True)) * factor


def _std_to_var_grad(g, s, dims, shape, keepdim):
    """d std = d var / (2 std), zero where std == 0 (torch's std_backward)."""
    zero = s._data == 0
    if zero.any():
        dt = s._data.dtype
        s = s + _const(zero, dt)
        return g / (s * 2) * _const(~zero, dt)
    return g / (s * 2)


class VarBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return _var_grad(g, x, self.dims, self.keepdim, self.correction, self.n)


class StdBackward0(Node):
    def backward(self, g):
        x, s = self.saved
        gv = _std_to_var_grad(g, s, self.dims, x._data.shape, self.keepdim)
        return _var_grad(gv, x, self.dims, self.keepdim, self.correction, self.n)


class VarMeanBackward0(Node):
    def backward(self, gv, gm):
        (x,) = self.saved
        return _var_mean_grad(self, x, gv, gm)


class StdMeanBackward0(Node):
    def backward(self, gs, gm):
        x, s = self.saved
        gv = None if gs is None else _std_to_var_grad(gs, s, self.dims, x._data.shape, self.keepdim)
        return _var_mean_grad(self, x, gv, gm)


def _var_mean_grad(node, x, gv, gm):
    res = None
    if gv is not None:
        res = _var_grad(gv, x, node.dims, node.keepdim, node.correction, node.n)
    if gm is not None:
        r = expand(_keep(gm, x._data.shape, node.dims, node.keepdim) / node.n, x._data.shape)
        res = r if res is None else res + r
    return res


def _var_impl(input, dim, unbiased, keepdim, correction, opname):
    dim, correction = _var_args(opname, dim, unbiased, correction)
    axes, dims = _reduce_args(input, dim, opname)
    v, m, n = _var_forward(input, dims, correction, keepdim, opname)
    d = input._data
    rdt = d.dtype if d.dtype.kind != "c" else (np.float32 if d.dtype == np.complex64 else np.float64)
    return v, m, n, dims, correction, rdt


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Matches `torch.var` (correction= or unbiased=; divisor max(N - correction, 0))."""
    v, m, n, dims, correction, rdt = _var_impl(input, dim, unbiased, keepdim, correction, "var")
    r = make(arr(v).astype(rdt, copy=False))
    if GRAD.enabled and input._requires_grad:
        node = VarBackward0()
        node.dims, node.keepdim, node.correction, node.n = dims, keepdim, correction, n
        node.save(input)
        attach(r, node, (input,))
    return r if out is None else _with_out(r, out)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Matches `torch.std`."""
    v, m, n, dims, correction, rdt = _var_impl(input, dim, unbiased, keepdim, correction, "std")
    r = make(arr(xp_of(v).sqrt(v)).astype(rdt, copy=False))
    if GRAD.enabled and input._requires_grad:
        node = StdBackward0()
        node.dims, node.keepdim, node.correction, node.n = dims, keepdim, correction, n
        attach(r, node, (input,))
        node.save(input, r)
    return r if out is None else _with_out(r, out)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Matches `torch.var_mean`: a plain tuple (var, mean)."""
    v, m, n, dims, correction, rdt = _var_impl(input, dim, unbiased, keepdim, correction, "var_mean")
    d = input._data
    r = make(arr(v).astype(rdt, copy=False))
    mm = make(arr(_mean_kept(m, d, keepdim, dims)).astype(d.dtype, copy=False))
    if GRAD.enabled and input._requires_grad:
        node = VarMeanBackward0()
        node.dims, node.keepdim, node.correction, node.n = dims, keepdim, correction, n
        node.save(input)
        attach_multi((r, mm), node, (input,))
    res = r, mm
    return res if out is None else _with_out(res, out)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Matches `torch.std_mean`: a plain tuple (std, mean)."""
    v, m, n, dims, correction, rdt = _var_impl(input, dim, unbiased, keepdim, correction, "std_mean")
    d = input._data
    r = make(arr(xp_of(v).sqrt(v)).astype(rdt, copy=False))
    mm = make(arr(_mean_kept(m, d, keepdim, dims)).astype(d.dtype, copy=False))
    if GRAD.enabled and input._requires_grad:
        node = StdMeanBackward0()
        node.dims, node.keepdim, node.correction, node.n = dims, keepdim, correction, n
        attach_multi((r, mm), node, (input,))
        node.save(input, r)
    res = r, mm
    return res if out is None else _with_out(res, out)


# == logsumexp ==============================================================================


class LogsumexpBackward0(Node):
    def backward(self, g):
        x, gk, ok = _keep_saved(self, g)
        return gk * _exp(x - ok)


def logsumexp(input, dim, keepdim=False, *, out=None):
    """Matches `torch.logsumexp` (integer inputs give the default float dtype)."""
    if AUTOCAST.on and out is None:
        return autocast_call("logsumexp", logsumexp, (input, dim, keepdim), {})
    d = input._data
    if d.dtype.kind not in "fcV":
        d = d.astype(D.get_default_dtype().np)
    xp = xp_of(d)
    _, dims = _reduce_args(input, dim, "logsumexp")
    ax = _axes(d, dims)
    w = d.astype(np.float32) if _low_precision(d) else d
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        m = xp.max(w, axis=ax, keepdims=True) if w.size else xp.full([1] * w.ndim, -np.inf, w.dtype)
        m = xp.where(xp.isfinite(m), m, w.dtype.type(0))
        s = xp.log(xp.sum(xp.exp(w - m), axis=ax, keepdims=True)) + m
    if not keepdim and d.ndim:
        s = s.reshape(tuple(n for i, n in enumerate(d.shape) if i not in dims))
    elif not d.ndim:
        s = s.reshape(())
    r = make(arr(s).astype(d.dtype, copy=False))
    if GRAD.enabled and input._requires_grad:
        node = LogsumexpBackward0()
        node.dims, node.keepdim = dims, keepdim
        attach(r, node, (input,))
        node.save(input, r)
    return r if out is None else _with_out(r, out)


# == norm ===================================================================================


class LinalgVectorNormBackward0(Node):
    def backward(self, g):
        x, gk, nk = _keep_saved(self, g)
        p = self.p
        if p == 0:
            return x * 0
        if p == 1:
            return _sgn_t(x) * gk
        if p == float("inf") or p == float("-inf"):
            xd = x._data
            mask = xp_of(xd).abs(xd) == nk._data
            cnt = xp_of(xd).sum(mask, axis=_axes(xd, self.dims), keepdims=True)
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = mask / cnt
            return _sgn_t(x) * _const(scale, nk._data.dtype) * gk
        zero = nk._data == 0
        if zero.any():
            dt = nk._data.dtype
            nsafe = nk + _const(zero, dt)
            scale = gk / _pow(nsafe, p - 1) * _const(~zero, dt)
        else:
            scale = gk / _pow(nk, p - 1)
        if p == 2:
            return x * scale
        ax = _abs(x)
        if p < 1:
            sc = _masked_fill(_pow(ax, p - 1), x._data == 0, 0) * _const(_sgn(x._data), x._data.dtype)
        elif p < 2:
            sc = _pow(ax, p - 1) * _const(_sgn(x._data), x._data.dtype)
        else:
            sc = x * _pow(ax, p - 2)
        return sc * scale


def _vector_norm(input, ord, dim, keepdim, dtype, opname="linalg.vector_norm"):
    d = input._data
    if d.dtype.kind not in "fcV":
        raise RuntimeError(
            f"{opname}: Expected a floating point or complex tensor as input. Got {scalar_type_name(D.FROM_NP[d.dtype])}"
        )
    x = input
    if dtype is not None and dtype.np != d.dtype:
        x = to(input, dtype)
        d = x._data
    _, dims = _reduce_args(x, dim, opname)
    xp = xp_of(d)
    ax = _axes(d, dims)
    w = d.astype(np.float32) if _low_precision(d) else d
    a = xp.abs(w)
    p = float(ord)
    kd = keepdim and d.ndim > 0
    if p in (float("inf"), float("-inf")):
        if 0 in [d.shape[k] for k in dims]:
            raise RuntimeError(
                f"{opname} cannot compute the {ord} norm on an empty tensor because the operation does not have an identity"
            )
        r = xp.max(a, axis=ax, keepdims=kd) if p > 0 else xp.min(a, axis=ax, keepdims=kd)
    elif p == 0:
        r = xp.sum(a != 0, axis=ax, keepdims=kd).astype(a.dtype)
    elif p == 1:
        r = xp.sum(a, axis=ax, keepdims=kd)
    elif p == 2:
        r = xp.sqrt(xp.sum(a * a, axis=ax, keepdims=kd))
    else:
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            r = xp.power(xp.sum(xp.power(a, a.dtype.type(p)), axis=ax, keepdims=kd), a.dtype.type(1.0 / p))
    rdt = d.dtype if d.dtype.kind != "c" else a.dtype
    out = make(arr(r).astype(rdt, copy=False))
    if GRAD.enabled and x._requires_grad:
        node = LinalgVectorNormBackward0()
        node.dims, node.keepdim, node.p = dims, keepdim, p
        attach(out, node, (x,))
        node.save(x, out)
    return out


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """Matches `torch.norm` (vector norms; 'fro' over at most two dims; 'nuc' is not supported)."""
    if AUTOCAST.on and out is None:
        return autocast_call("norm", norm, (input, p, dim, keepdim, None, dtype), {})
    if isinstance(dim, int):
        dim = [dim]
    if isinstance(p, str):
        if p == "fro" and (dim is None or len(dim) <= 2):
            res = _vector_norm(input, 2, dim, keepdim, dtype)
            return res if out is None else _with_out(res, out)
        if p == "nuc":
            raise NotImplementedError("norm(): the nuclear norm ('nuc') is not supported by ember")
        nd = input._data.ndim if dim is None else len(dim)
        if nd != 2:
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim or range(nd)))}")
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    res = _vector_norm(input, 2.0 if p is None else p, dim, keepdim, dtype)
    return res if out is None else _with_out(res, out)


# == all / any / count_nonzero ==============================================================


def _logical_reduce(fn, input, dim, keepdim, opname):
    d = input._data
    _, dims = _reduce_args(input, dim, opname)
    r = fn(d, axis=_axes(d, dims), keepdims=keepdim and d.ndim > 0)
    r = arr(r)
    if d.dtype == np.uint8:
        r = r.astype(np.uint8)
    return make(r)


def all(input, dim=None, keepdim=False, *, out=None):  # noqa: A001
    """Matches `torch.all` (bool result; uint8 input gives uint8)."""
    res = _logical_reduce(xp_of(input._data).all, input, dim, keepdim, "all")
    return res if out is None else _with_out(res, out)


def any(input, dim=None, keepdim=False, *, out=None):  # noqa: A001
    """Matches `torch.any` (bool result; uint8 input gives uint8)."""
    res = _logical_reduce(xp_of(input._data).any, input, dim, keepdim, "any")
    return res if out is None else _with_out(res, out)


def count_nonzero(input, dim=None):
    """Matches `torch.count_nonzero` (int64)."""
    d = input._data
    _, dims = _reduce_args(input, dim, "count_nonzero")
    xp = xp_of(d)
    return make(arr(xp.sum(d != 0, axis=_axes(d, dims))).astype(np.int64))


__all__ += [
    "prod",
    "nansum",
    "nanmean",
    "var",
    "std",
    "var_mean",
    "std_mean",
    "logsumexp",
    "norm",
    "all",
    "any",
    "count_nonzero",
]

bind("prod", prod)
bind("nansum", nansum)
bind("nanmean", nanmean)
bind("var", var)
bind("std", std)
bind("logsumexp", logsumexp)
bind("norm", norm)
bind("all", all)
bind("any", any)
bind("count_nonzero", count_nonzero)


def _with_out(res, out):
    """Write a result (a tensor or a tuple of them) into `out=` as torch does, and return it."""
    if isinstance(res, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(res):
            raise TypeError(f"argument 'out' must be tuple of {len(res)} Tensors")
        vals = [_out(r, o) for r, o in zip(res, out)]
        return type(res)(*vals) if hasattr(res, "_fields") else tuple(vals)
    return _out(res, out)

"""Unary pointwise math: abs sign sqrt exp log trig/hyperbolic sigmoid logit erf rounding clamp nan_to_num,
the is* predicates, and their Tensor methods and in-place `_` variants."""

import math

import numpy as np

from .. import _dtype as D
from ._core import (
    GRAD,
    Node,
    Tensor,
    arr,
    attach,
    attach1,
    bind,
    inplace,
    make,
    new_node,
    quiet,
    quiet_float_fn,
    requires_grad,
    scalar_type_name,
    xp_of,
)
from .arith import _out
from .arith import conj as _cj

__all__ = [
    "abs",
    "absolute",
    "sign",
    "sgn",
    "sqrt",
    "rsqrt",
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "sin",
    "cos",
    "tan",
    "asin",
    "arcsin",
    "acos",
    "arccos",
    "atan",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "asinh",
    "arcsinh",
    "acosh",
    "arccosh",
    "atanh",
    "arctanh",
    "sigmoid",
    "logit",
    "erf",
    "erfc",
    "erfinv",
    "floor",
    "ceil",
    "round",
    "trunc",
    "fix",
    "frac",
    "square",
    "clamp",
    "clip",
    "clamp_min",
    "clamp_max",
    "nan_to_num",
    "isinf",
    "isnan",
    "isfinite",
    "isposinf",
    "isneginf",
    "isreal",
    "signbit",
    "positive",
    "deg2rad",
    "rad2deg",
]

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_2_SQRTPI = 2.0 / math.sqrt(math.pi)
_HALF_SQRTPI = 0.5 * math.sqrt(math.pi)
_D2R = math.pi / 180.0
_R2D = 180.0 / math.pi


# -- helpers --------------------------------------------------------------------------------


def _check(input, opname):
    if not isinstance(input, Tensor):
        raise TypeError(f"{opname}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return input._data


def _float_arr(d):
    """Integer and bool arrays compute in the default float dtype, as torch's float functions do."""
    if d.dtype.kind in "biu":
        return d.astype(D.get_default_dtype().np)
    return d


def _apply(fn, d):
    """fn(d) without NumPy warnings; float16/bfloat16 compute in float32 and round, as torch does."""
    dt = d.dtype
    if dt.itemsize == 2 and dt.kind in "fV":
        return arr(quiet(fn, d.astype(np.float32))).astype(dt)
    return arr(quiet(fn, d))


def _not_impl(opname, d):
    return NotImplementedError(f"\"{opname}_cpu\" not implemented for '{scalar_type_name(D.FROM_NP[d.dtype])}'")


def _special(name, d):
    if type(d) is np.ndarray:
        import scipy.special as sp  # noqa: PLC0415 - scipy is slow to import; erf* are rare

        return getattr(sp, name)
    import cupyx.scipy.special as csp  # noqa: PLC0415

    return getattr(csp, name)


def _zeros_like(g):
    return make(xp_of(g._data).zeros_like(g._data))


def _mask(t, cond_array):
    """A constant tensor of t's dtype: 1 where cond_array, else 0."""
    return make(arr(cond_array).astype(t._data.dtype))


class WhereBackward0(Node):
    def __init__(self, cond):
        Node.__init__(self)
        self.cond = cond

    def backward(self, g):
        c = self.cond
        return (
            _where(c, g, 0.0) if self.needs(0) else None,
            _where(c, 0.0, g) if self.needs(1) else None,
        )


def _where(cond, a, b):
    """where(cond, a, b) for a bool array `cond` and tensors or Python scalars a, b (differentiable)."""
    ta = a if isinstance(a, Tensor) else None
    tb = b if isinstance(b, Tensor) else None
    ref = ta if ta is not None else tb
    dt = ref._data.dtype
    if ta is not None and tb is not None and ta._data.dtype != tb._data.dtype:
        dt = D.promote_types(ta.dtype, tb.dtype).np
    da = a._data if ta is not None else a
    db = b._data if tb is not None else b
    r = xp_of(ref._data).where(cond, da, db)
    if r.dtype != dt:
        r = r.astype(dt)
    out = make(arr(r))
    if GRAD.enabled and ((ta is not None and ta._requires_grad) or (tb is not None and tb._requires_grad)):
        attach(out, WhereBackward0(cond), (a, b))
    return out


def _unary(name, compute, node_cls=None, save=None, real_only=False, err=None):
    """Build an out-of-place op and its in-place variant.

    compute(d) -> result array (d is the input array; dtype handling is compute's job).
    save: "in" (the input) or "out" (the result) for node_cls; err(d) may raise for bad dtypes."""

    plain_node = node_cls is not None and node_cls.__init__ is Node.__init__

    def op(input, *, out=None):
        d = input._data if input.__class__ is Tensor else _check(input, name)
        if err is not None:
            err(d)
        r = make(compute(d))
        if node_cls is not None and GRAD.enabled and input._requires_grad:
            node = new_node(node_cls) if plain_node else node_cls()
            attach1(r, node, input)
            if save is not None:
                node.save1(r if save == "out" else input)
        return _out(r, out) if out is not None else r

    def op_(self):
        d = self._data
        if err is not None:
            err(d)
        res = compute(d)
        node = None
        if node_cls is not None and GRAD.enabled and self._requires_grad:
            node = node_cls()
            if save == "in":
                node.save(self)
        inplace(self, res, node, (self,), name + "_")
        if node is not None and save == "out":
            node.save(self)
        return self

    op.__name__ = name
    op.__qualname__ = name
    op.__doc__ = f"Matches `torch.{name}`."
    op_.__name__ = name + "_"
    return op, op_


def _no_complex(opname):
    def err(d):
        if d.dtype.kind == "c":
            raise _not_impl(opname, d)

    return err


def _float_fn(fn):
    return quiet_float_fn(fn, lambda d: _apply(fn, _float_arr(d)))


# -- exp / log family -----------------------------------------------------------------------


class ExpBackward0(Node):
    def backward(self, g):
        (r,) = self.saved
        return g * _cj(r)


class Exp2Backward0(Node):
    def backward(self, g):
        (r,) = self.saved
        return g * _cj(r) * _LN2


class Expm1Backward0(Node):
    def backward(self, g):
        (r,) = self.saved
        return g * (_cj(r) + 1)


class LogBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return g / _cj(x)


class Log2Backward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return g / (_cj(x) * _LN2)


class Log10Backward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return g / (_cj(x) * _LN10)


class Log1PBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return g / _cj(x + 1)


class SqrtBackward0(Node):
    def backward(self, g):
        (r,) = self.saved
        return g / (2 * _cj(r))


class RsqrtBackward0(Node):
    def backward(self, g):
        (r,) = self.saved
        return -0.5 * g * _cj(r * r * r)


def _rsqrt_np(d):
    return 1 / np.sqrt(d)


exp, exp_ = _unary("exp", _float_fn(np.exp), ExpBackward0, "out")
exp2, exp2_ = _unary("exp2", _float_fn(np.exp2), Exp2Backward0, "out")
expm1, expm1_ = _unary("expm1", _float_fn(np.expm1), Expm1Backward0, "out")
log, log_ = _unary("log", _float_fn(np.log), LogBackward0, "in")
log2, log2_ = _unary("log2", _float_fn(np.log2), Log2Backward0, "in")
log10, log10_ = _unary("log10", _float_fn(np.log10), Log10Backward0, "in")
log1p, log1p_ = _unary("log1p", _float_fn(np.log1p), Log1PBackward0, "in")
sqrt, sqrt_ = _unary("sqrt", _float_fn(np.sqrt), SqrtBackward0, "out")
rsqrt, rsqrt_ = _unary("rsqrt", _float_fn(_rsqrt_np), RsqrtBackward0, "out")


# -- trigonometric and hyperbolic -----------------------------------------------------------


class SinBackward0(Node):
    def backward(self, g):
        if not GRAD.enabled:
            (xd,) = self.saved_data()
            if xd.dtype.kind == "f" and g._data.dtype is xd.dtype:
                return make(arr(g._data * np.cos(xd)))  # no graph to build: arrays directly
        (x,) = self.saved
        return g * _cj(cos(x))


class CosBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return g * -_cj(sin(x))


class TanBackward0(Node):
    def backward(self, g):
        (r,) = self.saved
        return g * _cj(1 + r * r)


class AsinBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return g * _cj(rsqrt(-x * x + 1))


class AcosBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return g * -_cj(rsqrt(-x * x + 1))


class AtanBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return g / _cj(x * x + 1)


class SinhBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return g * _cj(cosh(x))


class CoshBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return g * _cj(sinh(x))


class TanhBackward0(Node):
    def backward(self, g):
        if not GRAD.enabled:
            (rd,) = self.saved_data()
            if rd.dtype.kind == "f" and g._data.dtype is rd.dtype:
                return make(arr(g._data * (1 - rd * rd)))  # no graph to build: arrays directly
        (r,) = self.saved
        return g * _cj(1 - r * r)


class AsinhBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return g * _cj(rsqrt(x * x + 1))


class AcoshBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        if x._data.dtype.kind == "c":
            return g * _cj(rsqrt(x + 1) * rsqrt(x - 1))
        return g * rsqrt(x * x - 1)


class AtanhBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return g / _cj(1 - x * x)


class SigmoidBackward0(Node):
    def backward(self, g):
        (r,) = self.saved
        return g * _cj(r * (1 - r))


def _sigmoid_np(d):
    if d.dtype.kind == "c":
        return 1 / (1 + np.exp(-d))
    if type(d) is np.ndarray:
        from scipy.special import expit  # noqa: PLC0415

        return expit(d)
    return 1 / (1 + xp_of(d).exp(-d))


sin, sin_ = _unary("sin", _float_fn(np.sin), SinBackward0, "in")
cos, cos_ = _unary("cos", _float_fn(np.cos), CosBackward0, "in")
tan, tan_ = _unary("tan", _float_fn(np.tan), TanBackward0, "out")
asin, asin_ = _unary("asin", _float_fn(np.arcsin), AsinBackward0, "in")
acos, acos_ = _unary("acos", _float_fn(np.arccos), AcosBackward0, "in")
atan, atan_ = _unary("atan", _float_fn(np.arctan), AtanBackward0, "in")
sinh, sinh_ = _unary("sinh", _float_fn(np.sinh), SinhBackward0, "in")
cosh, cosh_ = _unary("cosh", _float_fn(np.cosh), CoshBackward0, "in")
tanh, tanh_ = _unary("tanh", _float_fn(np.tanh), TanhBackward0, "out")
asinh, asinh_ = _unary("asinh", _float_fn(np.arcsinh), AsinhBackward0, "in")
acosh, acosh_ = _unary("acosh", _float_fn(np.arccosh), AcoshBackward0, "in")
atanh, atanh_ = _unary("atanh", _float_fn(np.arctanh), AtanhBackward0, "in")
sigmoid, sigmoid_ = _unary("sigmoid", _float_fn(_sigmoid_np), SigmoidBackward0, "out")
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


# -- erf family -----------------------------------------------------------------------------


class ErfBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return _2_SQRTPI * exp(-(x * x)) * g


class ErfcBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return -_2_SQRTPI * exp(-(x * x)) * g


class ErfinvBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        y = erfinv(x)
        return _HALF_SQRTPI * exp(y * y) * g


def _special_fn(name):
    def compute(d):
        d = _float_arr(d)
        return _apply(_special(name, d), d)

    return compute


erf, erf_ = _unary("erf", _special_fn("erf"), ErfBackward0, "in", err=_no_complex("erf"))
erfc, erfc_ = _unary("erfc", _special_fn("erfc"), ErfcBackward0, "in", err=_no_complex("erfc"))
erfinv, erfinv_ = _unary("erfinv", _special_fn("erfinv"), ErfinvBackward0, "in", err=_no_complex("erfinv"))


# -- logit ----------------------------------------------------------------------------------


class LogitBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        xd = x._data
        eps = self.eps
        with np.errstate(invalid="ignore"):
            if eps is None:
                cond = (xd >= 0) & (xd <= 1)
            else:
                cond = (xd >= eps) & (xd <= 1 - eps)
        return _where(cond, g / (x * (1 - x)), math.nan if eps is None else 0.0)


def _logit_np(eps):
    def fn(d):
        if eps is not None:
            d = np.clip(d, eps, 1 - eps)
        return np.log(d / (1 - d))

    return fn


def logit(input, eps=None, *, out=None):
    """Matches `torch.logit`."""
    d = _check(input, "logit")
    if d.dtype.kind == "c":
        raise _not_impl("logit", d)
    r = make(_apply(_logit_np(eps), _float_arr(d)))
    if GRAD.enabled and input._requires_grad:
        node = LogitBackward0()
        node.eps = eps
        attach(r, node, (input,))
        node.save(input)
    return _out(r, out) if out is not None else r


def logit_(self, eps=None):
    d = self._data
    if d.dtype.kind == "c":
        raise _not_impl("logit", d)
    res = _apply(_logit_np(eps), _float_arr(d))
    node = None
    if GRAD.enabled and self._requires_grad:
        node = LogitBackward0()
        node.eps = eps
        node.save(self)
    return inplace(self, res, node, (self,), "logit_")


# -- abs / sign / sgn -----------------------------------------------------------------------


class AbsBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return g * sgn(x)


class SignBackward0(Node):
    def backward(self, g):
        return _zeros_like(g)


class SgnBackward0(Node):
    def backward(self, g):
        x, s = self.saved
        if x._data.dtype.kind != "c":
            return _zeros_like(g)
        a = abs(x)
        zero = a._data == 0
        res = (g - (s * s) * _cj(g)) / (2 * _where(zero, 1.0, a))
        return _where(zero, 0.0, res)


def _abs_err(d):
    if d.dtype.kind == "b":
        raise _not_impl("abs", d)


def _abs_np(d):
    if d.dtype.itemsize == 2 and d.dtype.kind == "V":
        return arr(np.abs(d.astype(np.float32))).astype(d.dtype)
    return arr(np.abs(d))


def _sign_err(d):
    if d.dtype.kind == "c":
        raise NotImplementedError(
            "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use torch.sgn instead."
        )


def _sign_np(d):
    k = d.dtype.kind
    if k == "b":
        return d.copy()
    if k in "iu":
        return arr(np.sign(d))
    with np.errstate(all="ignore"):
        if d.dtype.kind == "V":
            r = arr(np.sign(d.astype(np.float32)))
        else:
            r = arr(np.sign(d))
        xp_of(r).copyto(r, 0, where=r != r)  # torch: sign(nan) == 0
    return r.astype(d.dtype) if r.dtype != d.dtype else r


def _sgn_np(d):
    if d.dtype.kind != "c":
        return _sign_np(d)
    with np.errstate(all="ignore"):
        a = np.abs(d)
        r = arr(np.where(a == 0, 0, d / a).astype(d.dtype))
    return r


abs, abs_ = _unary("abs", _abs_np, AbsBackward0, "in", err=_abs_err)  # noqa: A001
absolute = abs
sign, sign_ = _unary("sign", _sign_np, SignBackward0, err=_sign_err)


def sgn(input, *, out=None):
    """Matches `torch.sgn`: x / |x| for complex tensors, sign otherwise."""
    r = make(_sgn_np(_check(input, "sgn")))
    if GRAD.enabled and input._requires_grad:
        node = SgnBackward0()
        attach(r, node, (input,))
        node.save(input, r)
    return _out(r, out) if out is not None else r


def sgn_(self):
    res = _sgn_np(self._data)
    node = None
    if GRAD.enabled and self._requires_grad:
        node = SgnBackward0()
        node.save(self, make(res))
    return inplace(self, res, node, (self,), "sgn_")


# -- rounding -------------------------------------------------------------------------------


class FloorBackward0(Node):
    def backward(self, g):
        return _zeros_like(g)


class CeilBackward0(FloorBackward0):
    pass


class TruncBackward0(FloorBackward0):
    pass


class RoundBackward0(FloorBackward0):
    pass


class RoundBackward1(FloorBackward0):
    pass


class FracBackward0(Node):
    def backward(self, g):
        return g


def _round_err(opname):
    def err(d):
        k = d.dtype.kind
        if k == "c":
            raise NotImplementedError(f"{opname} is not supported for complex inputs")
        if k == "b":
            raise _not_impl(opname, d)

    return err


def _rounder(fn):
    def compute(d):
        if d.dtype.kind in "iu":
            return d.copy()
        return _apply(fn, d)

    return compute


floor, floor_ = _unary("floor", _rounder(np.floor), FloorBackward0, err=_round_err("floor"))
ceil, ceil_ = _unary("ceil", _rounder(np.ceil), CeilBackward0, err=_round_err("ceil"))
trunc, trunc_ = _unary("trunc", _rounder(np.trunc), TruncBackward0, err=_round_err("trunc"))
_round0, _round0_ = _unary("round", _rounder(np.rint), RoundBackward0, err=_round_err("round"))
fix = trunc


def _round_dec(d, decimals):
    if d.dtype.kind not in "fV":
        raise _not_impl("round", d)

    def fn(x):
        if decimals >= 0:
            p = x.dtype.type(10.0**decimals)
            return np.rint(x * p) / p
        p = x.dtype.type(10.0 ** (-decimals))
        return np.rint(x / p) * p

    return _apply(fn, d)


def round(input, *, decimals=None, out=None):  # noqa: A001
    """Matches `torch.round` (half to even; `decimals` rounds to that many decimal places)."""
    if decimals is None:
        return _round0(input, out=out)
    d = _check(input, "round")
    r = make(_round_dec(d, decimals))
    if GRAD.enabled and input._requires_grad:
        attach(r, RoundBackward1(), (input,))
    return _out(r, out) if out is not None else r


def round_(self, *, decimals=None):
    if decimals is None:
        return _round0_(self)
    res = _round_dec(self._data, decimals)
    node = RoundBackward1() if GRAD.enabled and self._requires_grad else None
    return inplace(self, res, node, (self,), "round_")


def _frac_err(d):
    if d.dtype.kind in "biuc":
        raise _not_impl("frac", d)


frac, frac_ = _unary("frac", lambda d: _apply(lambda x: x - np.trunc(x), d), FracBackward0, err=_frac_err)


# -- square ---------------------------------------------------------------------------------


class PowBackward0(Node):
    """torch.square is pow(x, 2): its node is PowBackward0."""

    def backward(self, g):
        (x,) = self.saved
        return g * _cj(x * 2)


def _square_np(d):
    if d.dtype.kind == "b":
        d = d.astype(np.int64)
    return _apply(np.square, d) if d.dtype.kind in "fV" else arr(np.square(d))


square, square_ = _unary("square", _square_np, PowBackward0, "in")


# -- clamp ----------------------------------------------------------------------------------


class ClampBackward1(Node):
    """clamp with Python-number bounds."""

    def backward(self, g):
        (x,) = self.saved
        xd = x._data
        lo, hi = self.lo, self.hi
        if lo is not None and hi is not None:
            cond = (xd >= lo) & (xd <= hi)
        elif lo is not None:
            cond = xd >= lo
        else:
            cond = xd <= hi
        return _where(cond, g, 0.0)


class ClampMinBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return _where(x._data >= self.lo, g, 0.0)


class ClampMaxBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return _where(x._data <= self.hi, g, 0.0)


class ClampBackward0(Node):
    """clamp with tensor bounds (either may be None)."""

    def backward(self, g):
        x, lo, hi = self.saved
        xd = x._data
        gx = glo = ghi = None
        if lo is not None and hi is not None:
            ld, hd = lo._data, hi._data
            if self.needs(0):
                gx = _where((xd >= ld) & (xd <= hd), g, 0.0)
            if self.needs(1):
                glo = _where((xd < ld) & (ld < hd), g, 0.0)
            if self.needs(2):
                ghi = _where((xd > hd) | (hd < ld), g, 0.0)
        elif lo is not None:
            ld = lo._data
            if self.needs(0):
                gx = _where(xd >= ld, g, 0.0)
            if self.needs(1):
                glo = _where(xd < ld, g, 0.0)
        else:
            hd = hi._data
            if self.needs(0):
                gx = _where(xd <= hd, g, 0.0)
            if self.needs(2):
                ghi = _where(xd > hd, g, 0.0)
        return gx, glo, ghi


class ClampMinBackward1(Node):
    def backward(self, g):
        x, lo = self.saved
        xd, ld = x._data, lo._data
        return (
            _where(xd >= ld, g, 0.0) if self.needs(0) else None,
            _where(xd < ld, g, 0.0) if self.needs(1) else None,
        )


class ClampMaxBackward1(Node):
    def backward(self, g):
        x, hi = self.saved
        xd, hd = x._data, hi._data
        return (
            _where(xd <= hd, g, 0.0) if self.needs(0) else None,
            _where(xd > hd, g, 0.0) if self.needs(1) else None,
        )


_NUMBERS = (int, float, bool)


def _clamp_kind(input, min, max, opname):
    """'s' for number bounds, 't' for tensor bounds; raises torch's errors for bad arguments."""
    d = _check(input, opname)
    if min is None and max is None:
        raise RuntimeError(f"torch.{opname}: At least one of 'min' or 'max' must not be None")
    if d.dtype.kind == "c":
        raise NotImplementedError(f"{opname} is not supported for complex types")
    tmin, tmax = isinstance(min, Tensor), isinstance(max, Tensor)
    nmin = min is None or (not tmin and isinstance(min, _NUMBERS + (np.generic,)))
    nmax = max is None or (not tmax and isinstance(max, _NUMBERS + (np.generic,)))
    if nmin and nmax:
        return "s"
    if (tmin or min is None) and (tmax or max is None):
        return "t"
    raise TypeError(
        f"{opname}() received an invalid combination of arguments - got (Tensor, {type(min).__name__}, "
        f"{type(max).__name__})"
    )


def _bound(b, npdt):
    """A bound as an array / scalar of the result dtype."""
    if b is None:
        return None
    if isinstance(b, Tensor):
        d = b._data
        return d if d.dtype == npdt else d.astype(npdt)
    if npdt.kind in "fc" and type(b) in (int, float):
        return b  # a weak Python scalar keeps the array's dtype
    return np.array(b).astype(npdt)[()]


def _clamp_compute(input, min, max, opname):
    dt = D.result_type_of((input, min, max)).np
    d = input._data
    if d.dtype != dt:
        d = d.astype(dt)
    lo, hi = _bound(min, dt), _bound(max, dt)
    xp = xp_of(d)
    r = d
    try:
        if lo is not None:
            r = xp.maximum(r, lo)
        if hi is not None:
            r = xp.minimum(r, hi)
    except ValueError:
        raise _bcast_error(input, min, max) from None
    if r is d:
        r = d.copy()
    return arr(r)


def _bcast_error(*ts):
    shapes = [list(t.shape) for t in ts if isinstance(t, Tensor)]
    return RuntimeError(f"The size of tensors {shapes} must match: shapes cannot be broadcast together")


def _clamp_node(kind, input, min, max, which):
    """which: None for clamp, 'min' / 'max' for clamp_min / clamp_max."""
    if kind == "s":
        if which == "min":
            node = ClampMinBackward0()
            node.lo = min
        elif which == "max":
            node = ClampMaxBackward0()
            node.hi = max
        else:
            node = ClampBackward1()
            node.lo, node.hi = min, max
        return node, (input,), (input,)
    if which == "min":
        return ClampMinBackward1(), (input, min), (input, min)
    if which == "max":
        return ClampMaxBackward1(), (input, max), (input, max)
    return ClampBackward0(), (input, min, max), (input, min, max)


def _clamp(input, min, max, opname, which, out):
    kind = _clamp_kind(input, min, max, opname)
    r = make(_clamp_compute(input, min, max, opname))
    if GRAD.enabled and (input._requires_grad or requires_grad(min) or requires_grad(max)):
        node, inputs, saves = _clamp_node(kind, input, min, max, which)
        attach(r, node, inputs)
        node.save(*saves)
    return _out(r, out) if out is not None else r


def _clamp_(self, min, max, opname, which):
    kind = _clamp_kind(self, min, max, opname)
    res = _clamp_compute(self, min, max, opname)
    node = inputs = None
    if GRAD.enabled and (self._requires_grad or requires_grad(min) or requires_grad(max)):
        node, inputs, saves = _clamp_node(kind, self, min, max, which)
        node.save(*saves)
    return inplace(self, res, node, inputs, opname)


def clamp(input, min=None, max=None, *, out=None):  # noqa: A002
    """Matches `torch.clamp` (bounds: numbers or tensors; min > max gives max)."""
    return _clamp(input, min, max, "clamp", None, out)


def clamp_(self, min=None, max=None):  # noqa: A002
    return _clamp_(self, min, max, "clamp_", None)


def clamp_min(input, min, *, out=None):  # noqa: A002
    """Matches `torch.clamp_min`."""
    return _clamp(input, min, None, "clamp_min", "min", out)


def clamp_min_(self, min):  # noqa: A002
    return _clamp_(self, min, None, "clamp_min_", "min")


def clamp_max(input, max, *, out=None):  # noqa: A002
    """Matches `torch.clamp_max`."""
    return _clamp(input, None, max, "clamp_max", "max", out)


def clamp_max_(self, max):  # noqa: A002
    return _clamp_(self, None, max, "clamp_max_", "max")


clip, clip_ = clamp, clamp_


# -- nan_to_num -----------------------------------------------------------------------------


class NanToNumBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return g * _mask(g, xp_of(x._data).isfinite(x._data))


def _nan_to_num_np(d, nan, posinf, neginf):
    k = d.dtype.kind
    if k in "biu":
        return d.copy()
    if k == "c":
        xp = xp_of(d)
        re = _nan_to_num_np(xp.ascontiguousarray(d.real), nan, posinf, neginf)
        im = _nan_to_num_np(xp.ascontiguousarray(d.imag), nan, posinf, neginf)
        return arr(re + 1j * im).astype(d.dtype)
    fi = D.finfo(D.FROM_NP[d.dtype])
    nan = 0.0 if nan is None else nan
    posinf = fi.max if posinf is None else posinf
    neginf = fi.min if neginf is None else neginf
    xp = xp_of(d)
    r = d.copy()
    xp.copyto(r, np.array(nan).astype(d.dtype)[()], where=xp.isnan(d))
    xp.copyto(r, np.array(posinf).astype(d.dtype)[()], where=xp.isposinf(d) if k == "f" else d == np.inf)
    xp.copyto(r, np.array(neginf).astype(d.dtype)[()], where=xp.isneginf(d) if k == "f" else d == -np.inf)
    return arr(r)


def _nan_to_num_args(nan, posinf, neginf):
    for name, v in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
        if v is not None and not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"nan_to_num(): argument '{name}' must be float, not {type(v).__name__}")


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """Matches `torch.nan_to_num` (infinities default to the dtype's largest finite values)."""
    d = _check(input, "nan_to_num")
    _nan_to_num_args(nan, posinf, neginf)
    r = make(_nan_to_num_np(d, nan, posinf, neginf))
    if GRAD.enabled and input._requires_grad:
        if d.dtype.kind == "c":
            raise RuntimeError("nan_to_num does not support automatic differentiation for outputs with complex dtype.")
        node = NanToNumBackward0()
        attach(r, node, (input,))
        node.save(input)
    return _out(r, out) if out is not None else r


def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
    d = self._data
    _nan_to_num_args(nan, posinf, neginf)
    res = _nan_to_num_np(d, nan, posinf, neginf)
    node = None
    if GRAD.enabled and self._requires_grad:
        if d.dtype.kind == "c":
            raise RuntimeError("nan_to_num does not support automatic differentiation for outputs with complex dtype.")
        node = NanToNumBackward0()
        node.save(self)
    return inplace(self, res, node, (self,), "nan_to_num_")


# -- predicates -----------------------------------------------------------------------------


def _pred(name, fn, complex_msg=None, exc=RuntimeError):
    def op(input, *, out=None):
        d = _check(input, name)
        if complex_msg is not None and d.dtype.kind == "c":
            raise exc(complex_msg)
        r = make(fn(d))
        return _out(r, out) if out is not None else r

    op.__name__ = name
    op.__qualname__ = name
    op.__doc__ = f"Matches `torch.{name}`."
    return op


def _const_bool(d, value):
    return xp_of(d).full(d.shape, value, dtype=np.bool_)


def _isinf_np(d):
    if d.dtype.kind in "biu":
        return _const_bool(d, False)
    return arr(xp_of(d).isinf(d))


def _isnan_np(d):
    if d.dtype.kind in "biu":
        return _const_bool(d, False)
    return arr(d != d)


def _isfinite_np(d):
    if d.dtype.kind in "biu":
        return _const_bool(d, True)
    return arr(xp_of(d).isfinite(d))


def _isposinf_np(d):
    if d.dtype.kind in "biu":
        return _const_bool(d, False)
    return arr(d == np.inf)


def _isneginf_np(d):
    if d.dtype.kind in "biu":
        return _const_bool(d, False)
    return arr(d == -np.inf)


def _isreal_np(d):
    if d.dtype.kind == "c":
        return arr(d.imag == 0)
    return _const_bool(d, True)


def _signbit_np(d):
    k = d.dtype.kind
    if k == "b" or k == "u":
        return _const_bool(d, False)
    if k == "i":
        return arr(d < 0)
    if k == "V":
        d = d.astype(np.float32)
    return arr(xp_of(d).signbit(d))


isinf = _pred("isinf", _isinf_np)
isnan = _pred("isnan", _isnan_np)
isfinite = _pred("isfinite", _isfinite_np)
isposinf = _pred("isposinf", _isposinf_np, "isposinf does not support complex inputs.")
isneginf = _pred("isneginf", _isneginf_np, "isneginf does not support complex inputs.")
isreal = _pred("isreal", _isreal_np)
signbit = _pred("signbit", _signbit_np, "signbit is not implemented for complex tensors.", NotImplementedError)


# -- positive / deg2rad / rad2deg -----------------------------------------------------------


def positive(input):
    """Matches `torch.positive`: returns input itself."""
    d = _check(input, "positive")
    if d.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


class Deg2RadBackward0(Node):
    def backward(self, g):
        return g * _D2R


class Rad2DegBackward0(Node):
    def backward(self, g):
        return g * _R2D


def _angle_err(opname):
    def err(d):
        if d.dtype.kind == "c":
            raise RuntimeError(f"{opname} is not supported for complex tensors.")

    return err


def _scale(c):
    def compute(d):
        d = _float_arr(d)
        if d.dtype.kind == "V":
            return arr(np.multiply(d.astype(np.float32), c)).astype(d.dtype)
        return arr(np.multiply(d, c))

    return compute


deg2rad, deg2rad_ = _unary("deg2rad", _scale(_D2R), Deg2RadBackward0, err=_angle_err("deg2rad"))
rad2deg, rad2deg_ = _unary("rad2deg", _scale(_R2D), Rad2DegBackward0, err=_angle_err("rad2deg"))


# -- Tensor methods -------------------------------------------------------------------------

for _names, _f, _f_ in [
    (("abs", "absolute"), abs, abs_),
    (("sign",), sign, sign_),
    (("sgn",), sgn, sgn_),
    (("sqrt",), sqrt, sqrt_),
    (("rsqrt",), rsqrt, rsqrt_),
    (("exp",), exp, exp_),
    (("exp2",), exp2, exp2_),
    (("expm1",), expm1, expm1_),
    (("log",), log, log_),
    (("log2",), log2, log2_),
    (("log10",), log10, log10_),
    (("log1p",), log1p, log1p_),
    (("sin",), sin, sin_),
    (("cos",), cos, cos_),
    (("tan",), tan, tan_),
    (("asin", "arcsin"), asin, asin_),
    (("acos", "arccos"), acos, acos_),
    (("atan", "arctan"), atan, atan_),
    (("sinh",), sinh, sinh_),
    (("cosh",), cosh, cosh_),
    (("tanh",), tanh, tanh_),
    (("asinh", "arcsinh"), asinh, asinh_),
    (("acosh", "arccosh"), acosh, acosh_),
    (("atanh", "arctanh"), atanh, atanh_),
    (("sigmoid",), sigmoid, sigmoid_),
    (("logit",), logit, logit_),
    (("erf",), erf, erf_),
    (("erfc",), erfc, erfc_),
    (("erfinv",), erfinv, erfinv_),
    (("floor",), floor, floor_),
    (("ceil",), ceil, ceil_),
    (("round",), round, round_),
    (("trunc", "fix"), trunc, trunc_),
    (("frac",), frac, frac_),
    (("square",), square, square_),
    (("clamp", "clip"), clamp, clamp_),
    (("clamp_min",), clamp_min, clamp_min_),
    (("clamp_max",), clamp_max, clamp_max_),
    (("nan_to_num",), nan_to_num, nan_to_num_),
    (("deg2rad",), deg2rad, deg2rad_),
    (("rad2deg",), rad2deg, rad2deg_),
]:
    bind(_names, _f)
    bind(tuple(n + "_" for n in _names), _f_)

for _f in (isinf, isnan, isfinite, isposinf, isneginf, isreal, signbit, positive):
    bind(_f.__name__, _f)
bind("__abs__", abs)
del _names, _f, _f_

"""Binary and ternary pointwise ops: pow, float_power, atan2, lerp, addcmul, addcdiv, hypot, maximum/minimum,
fmax/fmin, fmod, remainder, floor_divide, xlogy, logaddexp(2), copysign, nextafter, ldexp, logical and bitwise
ops (with their operators), isclose/allclose/equal and where."""

import cmath
import math
import warnings

import numpy as np

from .. import _dtype as D
from .._autocast import AUTOCAST, autocast_call
from ._core import (
    GRAD,
    Node,
    Tensor,
    arr,
    attach,
    binary_arrays,
    bind,
    inplace,
    make,
    scalar_type_name,
    xp_of,
)
from .arith import _out, _shape_error, conj, div
from .blas import _CPP_NAMES
from .convert import to
from .creation import zeros_like

__all__ = [
    "pow",
    "float_power",
    "atan2",
    "arctan2",
    "lerp",
    "addcmul",
    "addcdiv",
    "hypot",
    "maximum",
    "minimum",
    "fmax",
    "fmin",
    "fmod",
    "remainder",
    "floor_divide",
    "xlogy",
    "logaddexp",
    "logaddexp2",
    "copysign",
    "nextafter",
    "ldexp",
    "logical_and",
    "logical_or",
    "logical_xor",
    "logical_not",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "bitwise_not",
    "bitwise_left_shift",
    "bitwise_right_shift",
    "isclose",
    "allclose",
    "equal",
    "where",
]

_SCALAR_TYPES = (int, float, bool, complex)
_ndarray = np.ndarray
_LN2 = math.log(2.0)


# -- helpers --------------------------------------------------------------------------------


def _is_scalar(x):
    return type(x) in _SCALAR_TYPES or isinstance(x, np.generic)


def _rg(x):
    return isinstance(x, Tensor) and x._requires_grad


def _need_tensor(x, opname, argname, pos):
    if not isinstance(x, Tensor):
        raise TypeError(f"{opname}(): argument '{argname}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _not_implemented(kernel, dt):
    return NotImplementedError(f"\"{kernel}\" not implemented for '{scalar_type_name(dt)}'")


def _tensors(*args):
    return tuple(a for a in args if isinstance(a, Tensor))


def _is_array(x):
    """An ndarray of either backend (NumPy scalars have a dtype too, but are no arrays here)."""
    return type(x) is _ndarray or (hasattr(x, "dtype") and not isinstance(x, np.generic))


def _arrs(x, y):
    """Python/NumPy scalars from binary_arrays as 0-d arrays of the other operand's dtype, on its device, so
    that array functions applied to them (log, comparisons, ...) keep the tensors' dtype."""
    xa = type(x) is _ndarray or _is_array(x)
    ya = type(y) is _ndarray or _is_array(y)
    if not xa:
        x = (xp_of(y) if ya else np).asarray(x, dtype=y.dtype if ya else None)
    if not ya:
        y = (np if type(x) is _ndarray else xp_of(x)).asarray(y, dtype=x.dtype)
    return x, y


def _apply(a, b, fn, opname, dtype=None):
    x, y = binary_arrays(a, b, opname, dtype)
    try:
        return arr(fn(x, y))
    except ValueError:
        raise _shape_error(opname, a, b) from None


def _float_dtype(a, b):
    """Integer/bool inputs compute in the default float dtype (None: the promoted dtype is already float)."""
    dt = D.result_type_of((a, b))
    return D.get_default_dtype() if dt._cat < D._FLOAT else None


def _node(cls, out, inputs, *saved, **attrs):
    node = cls()
    for k, v in attrs.items():
        setattr(node, k, v)
    attach(out, node, inputs)
    if saved:
        node.save(*saved)
    return node


def _write(self, res, inputs, opname):
    """In-place: write the out-of-place result `res` into self, taking over its graph node."""
    node = res._grad_fn if res._requires_grad else None
    return inplace(self, res._data, node, inputs, opname)


def _zero_div_check(y):
    if hasattr(y, "dtype"):
        if (y == 0).any():
            raise RuntimeError("ZeroDivisionError")
    elif y == 0:
        raise RuntimeError("ZeroDivisionError")


class _NotImplementedBackward(Node):
    """torch's `NotImplemented` node: the op has no derivative formula."""

    def backward(self, *grads):
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


_NotImplementedBackward.__name__ = _NotImplementedBackward.__qualname__ = "NotImplemented"


def _mask(d):
    return make(arr(d))


# differentiable log / exp for the derivative formulas (private; the unary family owns the public ones)


class LogBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        return g / conj(x)


class ExpBackward0(Node):
    def backward(self, g):
        (r,) = self.saved
        return g * conj(r)


def _log(x):
    d = x._data
    if d.dtype.kind in "biu":
        d = d.astype(D.get_default_dtype().np)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = make(arr(np.log(d)))
    if GRAD.enabled and x._requires_grad:
        _node(LogBackward0, out, (x,), x)
    return out


def _exp(x):
    with np.errstate(over="ignore"):
        out = make(arr(np.exp(x._data)))
    if GRAD.enabled and x._requires_grad:
        node = _node(ExpBackward0, out, (x,))
        node.save(out)
    return out


# -- where ----------------------------------------------------------------------------------

_MISSING = object()


class WhereBackward0(Node):
    def backward(self, g):
        (c,) = self.saved
        return (where(c, g, 0) if self.needs(0) else None, where(c, 0, g) if self.needs(1) else None)


def _condition(condition):
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' (position 1) must be Tensor, not {type(condition).__name__}")
    c = condition._data
    if c.dtype != np.bool_:
        if c.dtype == np.uint8:
            warnings.warn(
                "where received a uint8 condition tensor. This behavior is deprecated and will be removed in a "
                "future version of PyTorch. Use a boolean condition instead.",
                UserWarning,
                stacklevel=3,
            )
            return make(c.astype(np.bool_))
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype {scalar_type_name(c.dtype)}"
        )
    return condition


def where(condition, input=_MISSING, other=_MISSING, *, out=None):  # noqa: A002
    """Matches `torch.where` (three-argument form; `where(condition)` is `nonzero(condition, as_tuple=True)`)."""
    if input is _MISSING and other is _MISSING:
        if not isinstance(condition, Tensor):
            raise TypeError(f"where(): argument 'condition' must be Tensor, not {type(condition).__name__}")
        c = condition._data
        return tuple(make(i.astype(np.int64, copy=False)) for i in np.nonzero(c.reshape(-1) if c.ndim == 0 else c))
    if input is _MISSING or other is _MISSING:
        raise TypeError("where() received an invalid combination of arguments: expected (condition, input, other)")
    cond = _condition(condition)
    c = cond._data
    if isinstance(input, Tensor) or isinstance(other, Tensor):
        for v in (input, other):
            if not isinstance(v, Tensor) and not _is_scalar(v):
                raise TypeError(
                    f"where() received an invalid combination of arguments - got (Tensor, {type(input).__name__}, "
                    f"{type(other).__name__})"
                )
        x, y = binary_arrays(input, other, "where")
        rdt = x.dtype if hasattr(x, "dtype") else y.dtype
    else:
        if not (_is_scalar(input) and _is_scalar(other)):
            raise TypeError(
                f"where() received an invalid combination of arguments - got (Tensor, {type(input).__name__}, "
                f"{type(other).__name__})"
            )
        rdt = D.result_type_of((input, other)).np
        xp = xp_of(c)
        x, y = xp.asarray(input).astype(rdt), xp.asarray(other).astype(rdt)
    try:
        r = np.where(c, x, y)
    except ValueError:
        shapes = [list(t.shape) for t in (condition, input, other) if isinstance(t, Tensor)]
        raise RuntimeError(f"where: shapes {shapes} cannot be broadcast together") from None
    if r.dtype != rdt:
        r = r.astype(rdt)
    res = make(r)
    if GRAD.enabled and (_rg(input) or _rg(other)):
        _node(WhereBackward0, res, (input, other), cond)
    return _out(res, out)


def _tensor_where(self, condition, other):
    return where(condition, self, other)


# -- pow ------------------------------------------------------------------------------------


class PowBackward0(Node):
    """tensor ** scalar."""

    def backward(self, g):
        (x,) = self.saved
        e = self.exponent
        if e == 0:
            return zeros_like(x)
        return g * conj(e * pow(x, e - 1))


class PowBackward1(Node):
    """tensor ** tensor."""

    def backward(self, g):
        x, e, r = self.saved
        gx = ge = None
        if self.needs(0):
            gx = where(_mask(e._data == 0), 0, g * conj(e * pow(x, e - 1)))
        if self.needs(1):
            cond = _mask((x._data == 0) & (e._data >= 0))
            xp = x
            if x._data.dtype != r._data.dtype:
                xp = to(x, D.FROM_NP[r._data.dtype])
            ge = g * where(cond, 0, conj(r * _log(xp)))
        return gx, ge


class PowBackward2(Node):
    """scalar ** tensor."""

    def backward(self, g):
        e, r = self.saved
        base = self.base
        if isinstance(base, complex):
            lg = cmath.log(base) if base != 0 else complex(-math.inf)
        elif base > 0:
            lg = math.log(base)
        else:
            lg = -math.inf if base == 0 else math.nan
        with np.errstate(invalid="ignore"):
            t = conj(r * lg)
        if base == 0:
            return g * where(_mask(e._data >= 0), 0, t)
        return g * t


def _int_pow(x, y):
    """Integer power with torch's rules for negative exponents (1 -> 1, -1 -> +-1, else 0)."""
    x, y = _arrs(x, y)
    if y.dtype.kind == "u" or not (y < 0).any():
        return np.power(x, y)
    neg = y < 0
    r = np.power(x, np.where(neg, 0, y).astype(y.dtype))
    special = np.where(x == 1, 1, np.where(x == -1, np.where(y % 2 == 0, 1, -1), 0))
    return np.where(neg, special, r).astype(r.dtype)


def _bool_pow(x, y):
    x, y = _arrs(x, y)
    return np.logical_or(x, np.logical_not(y))


def _pow_scalar_exp(input, exponent):
    d = input._data
    te = type(exponent)
    if d.dtype.kind in "fc" and (te is int or te is float):  # fast path: the tensor's dtype is the result's
        if te is int and exponent >= 0:
            r = np.power(d, exponent)
        else:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                r = np.power(d, exponent)
        out = make(arr(r))
        if GRAD.enabled and input._requires_grad:
            _node(PowBackward0, out, (input,), input, exponent=exponent)
        return out
    rdt = D.result_type_of((input, exponent))
    if rdt._cat < D._FLOAT and type(exponent) is not bool and not isinstance(exponent, np.bool_) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    x, y = binary_arrays(input, exponent, "pow")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = _bool_pow(x, y) if rdt is D.bool else np.power(x, y)
    out = make(arr(r))
    if GRAD.enabled and input._requires_grad:
        _node(PowBackward0, out, (input,), input, exponent=exponent)
    return out


def _pow_tensors(input, exponent):
    rdt = D.result_type_of((input, exponent))
    if rdt is D.bool:
        raise _not_implemented("pow", rdt)
    x, y = binary_arrays(input, exponent, "pow")
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            r = _int_pow(x, y) if rdt._cat == D._INT else np.power(x, y)
    except ValueError:
        raise _shape_error("pow", input, exponent) from None
    out = make(arr(r))
    if GRAD.enabled and (input._requires_grad or exponent._requires_grad):
        node = _node(PowBackward1, out, (input, exponent))
        node.save(input, exponent, out)
    return out


def _pow_scalar_base(base, exponent):
    rdt = D.result_type_of((base, exponent))
    x, y = binary_arrays(base, exponent, "pow")
    if rdt is D.bool:
        raise _not_implemented("pow", rdt)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if rdt._cat == D._INT:
            r = _int_pow(x, y)
        else:
            r = np.power(x, y)
    out = make(arr(r))
    if GRAD.enabled and exponent._requires_grad:
        node = _node(PowBackward2, out, (exponent,), base=base)
        node.save(exponent, out)
    return out


def pow(input, exponent, *, out=None):  # noqa: A001
    """Matches `torch.pow` (tensor ** scalar, scalar ** tensor, tensor ** tensor)."""
    if AUTOCAST.on and out is None:
        return autocast_call("pow", pow, (input, exponent), {})
    if isinstance(input, Tensor):
        if isinstance(exponent, Tensor):
            return _out(_pow_tensors(input, exponent), out)
        if _is_scalar(exponent):
            return _out(_pow_scalar_exp(input, exponent), out)
        raise TypeError(f"pow(): argument 'exponent' must be Tensor or Number, not {type(exponent).__name__}")
    if isinstance(exponent, Tensor) and _is_scalar(input):
        return _out(_pow_scalar_base(input, exponent), out)
    raise TypeError(
        f"pow() received an invalid combination of arguments - got ({type(input).__name__}, {type(exponent).__name__})"
    )


def pow_(self, exponent):
    return _write(self, pow(self, exponent), _tensors(self, exponent), "pow_")


def float_power(input, exponent, *, out=None):
    """Matches `torch.float_power`: pow computed in float64 (complex128 for complex operands)."""
    cplx = any(
        (isinstance(v, Tensor) and v._data.dtype.kind == "c") or isinstance(v, (complex, np.complexfloating))
        for v in (input, exponent)
    )
    dt = D.complex128 if cplx else D.float64
    if isinstance(input, Tensor):
        input = to(input, dt)
    if isinstance(exponent, Tensor):
        exponent = to(exponent, dt)
    return pow(input, exponent, out=out)


def float_power_(self, exponent):
    cplx = self._data.dtype.kind == "c" or (
        (isinstance(exponent, Tensor) and exponent._data.dtype.kind == "c") or isinstance(exponent, complex)
    )
    dt = D.complex128 if cplx else D.float64
    if self.dtype is not dt:
        raise RuntimeError(
            f"the base given to float_power_ has dtype {scalar_type_name(self.dtype)} but the operation's result "
            f"requires dtype {scalar_type_name(dt)}"
        )
    if isinstance(exponent, Tensor):
        exponent = to(exponent, dt)
    return pow_(self, exponent)


# -- float binary ops: atan2, hypot, logaddexp, logaddexp2, nextafter, copysign, xlogy, ldexp ---------


class Atan2Backward0(Node):
    def backward(self, g):
        a, b = self.saved
        recip = (a * a + b * b).reciprocal()
        return (g * b * recip if self.needs(0) else None, g * -a * recip if self.needs(1) else None)


class HypotBackward0(Node):
    def backward(self, g):
        a, b, r = self.saved
        return (g * a / r if self.needs(0) else None, g * b / r if self.needs(1) else None)


class LogaddexpBackward0(Node):
    def backward(self, g):
        a, b = self.saved
        return (
            g / (1 + _exp(b - a)) if self.needs(0) else None,
            g / (1 + _exp(a - b)) if self.needs(1) else None,
        )


class Logaddexp2Backward0(Node):
    def backward(self, g):
        a, b = self.saved
        return (
            g / (1 + pow(2, b - a)) if self.needs(0) else None,
            g / (1 + pow(2, a - b)) if self.needs(1) else None,
        )


class NextafterBackward0(Node):
    def backward(self, g):
        a, b = self.saved
        ga = where(_mask(a._data != b._data), g, 0) if self.needs(0) else None
        return ga, zeros_like(b) if self.needs(1) else None


def _float_op(input, other, ufunc, opname, node_cls, kernel=None, save_out=False):
    """A tensor-tensor op computed in floating point: integer inputs either give the default float dtype or,
    with `kernel`, raise torch's 'not implemented' error."""
    _need_tensor(input, opname, "input", 1)
    _need_tensor(other, opname, "other", 2)
    dt = _float_dtype(input, other)
    if dt is not None and kernel is not None:
        raise _not_implemented(kernel, D.result_type_of((input, other)))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        r = _apply(input, other, ufunc, opname, dt)
    out = make(r)
    if GRAD.enabled and (input._requires_grad or other._requires_grad):
        node = _node(node_cls, out, (input, other))
        if save_out:
            node.save(input, other, out)
        else:
            node.save(input, other)
    return out


def atan2(input, other, *, out=None):  # noqa: A002
    """Matches `torch.atan2`."""
    if AUTOCAST.on and out is None:
        return autocast_call("atan2", atan2, (input, other), {})
    return _out(_float_op(input, other, np.arctan2, "atan2", Atan2Backward0), out)


arctan2 = atan2


def atan2_(self, other):
    return _write(self, atan2(self, other), (self, other), "atan2_")


def hypot(input, other, *, out=None):  # noqa: A002
    """Matches `torch.hypot`."""
    return _out(_float_op(input, other, np.hypot, "hypot", HypotBackward0, "hypot_cpu", True), out)


def hypot_(self, other):
    return _write(self, hypot(self, other), (self, other), "hypot_")


def logaddexp(input, other, *, out=None):  # noqa: A002
    """Matches `torch.logaddexp`."""
    return _out(_float_op(input, other, np.logaddexp, "logaddexp", LogaddexpBackward0, "logaddexp_cpu"), out)


def logaddexp2(input, other, *, out=None):  # noqa: A002
    """Matches `torch.logaddexp2`."""
    return _out(_float_op(input, other, np.logaddexp2, "logaddexp2", Logaddexp2Backward0, "logaddexp2_cpu"), out)


def nextafter(input, other, *, out=None):  # noqa: A002
    """Matches `torch.nextafter`."""
    return _out(_float_op(input, other, np.nextafter, "nextafter", NextafterBackward0, "nextafter_cpu"), out)


def nextafter_(self, other):
    return _write(self, nextafter(self, other), (self, other), "nextafter_")


class CopysignBackward0(Node):
    def backward(self, g):
        a, b, r = self.saved
        ga = g * where(_mask(a._data == 0), 0, r / a) if self.needs(0) else None
        return ga, zeros_like(b) if self.needs(1) else None


class CopysignBackward1(Node):
    def backward(self, g):
        a, r = self.saved
        return g * where(_mask(a._data == 0), 0, r / a)


def copysign(input, other, *, out=None):  # noqa: A002
    """Matches `torch.copysign`."""
    _need_tensor(input, "copysign", "input", 1)
    r = make(_apply(input, other, np.copysign, "copysign", _float_dtype(input, other)))
    if GRAD.enabled and (input._requires_grad or _rg(other)):
        if isinstance(other, Tensor):
            _node(CopysignBackward0, r, (input, other)).save(input, other, r)
        else:
            _node(CopysignBackward1, r, (input,)).save(input, r)
    return _out(r, out)


def copysign_(self, other):
    return _write(self, copysign(self, other), _tensors(self, other), "copysign_")


class XlogyBackward0(Node):
    def backward(self, g):
        a, b = self.saved
        ga = None
        if self.needs(0):
            # zero at x == 0, y <= 0: the directional derivative along x = 0 (torch's convention)
            ga = where(_mask((a._data == 0) & (b._data <= 0)), 0, xlogy(g, b))
        gb = g * a / b if self.needs(1) else None
        return ga, gb


class XlogyBackward1(Node):
    """scalar self."""

    def backward(self, g):
        (b,) = self.saved
        return g * self.scalar / b


class XlogyBackward2(Node):
    """scalar other."""

    def backward(self, g):
        (a,) = self.saved
        y = self.scalar
        if y > 0:
            return xlogy(g, y)
        return where(_mask(a._data == 0), 0, xlogy(g, y))


def _xlogy_np(x, y):
    x, y = _arrs(x, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = x * np.log(y)
    zero = (x == 0) & ~np.isnan(y)
    if zero.any():
        r = np.where(zero, 0, r).astype(r.dtype, copy=False)
    return r


def xlogy(input, other, *, out=None):  # noqa: A002
    """Matches `torch.xlogy`: input * log(other), 0 where input == 0 (unless other is NaN)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(
            f"xlogy() received an invalid combination of arguments - got ({type(input).__name__}, "
            f"{type(other).__name__})"
        )
    r = make(_apply(input, other, _xlogy_np, "xlogy", _float_dtype(input, other)))
    if GRAD.enabled and (_rg(input) or _rg(other)):
        if isinstance(input, Tensor) and isinstance(other, Tensor):
            _node(XlogyBackward0, r, (input, other), input, other)
        elif isinstance(input, Tensor):
            _node(XlogyBackward2, r, (input,), input, scalar=other)
        else:
            _node(XlogyBackward1, r, (other,), other, scalar=input)
    return _out(r, out)


def xlogy_(self, other):
    return _write(self, xlogy(self, other), _tensors(self, other), "xlogy_")


class LdexpBackward0(Node):
    def backward(self, g):
        a, b, r = self.saved
        ga = g * conj(pow(2, b)) if self.needs(0) else None
        gb = g * conj(r) * _LN2 if self.needs(1) else None
        return ga, gb


def _ldexp_np(x, y):
    x, y = _arrs(x, y)
    with np.errstate(over="ignore", invalid="ignore"):
        return x * np.power(2, y)


def ldexp(input, other, *, out=None):  # noqa: A002
    """Matches `torch.ldexp`: input * 2 ** other."""
    _need_tensor(input, "ldexp", "input", 1)
    _need_tensor(other, "ldexp", "other", 2)
    dt = _float_dtype(input, other)
    od = other._data
    if od.dtype.kind in "biu":
        x = input._data
        npdt = (dt or D.result_type_of((input, other))).np
        if x.dtype != npdt:
            x = x.astype(npdt)
        try:
            r = np.ldexp(x, np.clip(od, -(2**30), 2**30).astype(np.int32, copy=False)).astype(npdt, copy=False)
        except ValueError:
            raise _shape_error("ldexp", input, other) from None
        r = arr(r)
    else:
        r = _apply(input, other, _ldexp_np, "ldexp", dt)
    res = make(r)
    if GRAD.enabled and (input._requires_grad or other._requires_grad):
        _node(LdexpBackward0, res, (input, other)).save(input, other, res)
    return _out(res, out)


def ldexp_(self, other):
    return _write(self, ldexp(self, other), (self, other), "ldexp_")


# -- lerp, addcmul, addcdiv -----------------------------------------------------------------


class LerpBackward0(Node):
    """Scalar weight."""

    def backward(self, g):
        w = self.weight
        return (g * (1 - w) if self.needs(0) else None, g * w if self.needs(1) else None)


class LerpBackward1(Node):
    """Tensor weight."""

    def backward(self, g):
        a, b, w = self.saved
        return (
            g * conj(1 - w) if self.needs(0) else None,
            g * conj(w) if self.needs(1) else None,
            g * conj(b - a) if self.needs(2) else None,
        )


def _lerp_np(x, e, w, small):
    return np.where(small, x + w * (e - x), e - (e - x) * (1 - w))


def lerp(input, end, weight, *, out=None):  # noqa: A002
    """Matches `torch.lerp`."""
    _need_tensor(input, "lerp", "input", 1)
    _need_tensor(end, "lerp", "end", 2)
    x, e = input._data, end._data
    if x.dtype != e.dtype:
        raise RuntimeError(
            f"expected dtype {_CPP_NAMES[x.dtype.name]} for `end` but got dtype {_CPP_NAMES[e.dtype.name]}"
        )
    wt = isinstance(weight, Tensor)
    if wt:
        w = weight._data
        if w.dtype != x.dtype:
            if w.ndim:
                raise RuntimeError(
                    f"expected dtype {_CPP_NAMES[x.dtype.name]} for `weight` but got dtype {_CPP_NAMES[w.dtype.name]}"
                )
            w = w.astype(x.dtype)
    elif _is_scalar(weight):
        w = weight
    else:
        raise TypeError(f"lerp(): argument 'weight' must be Tensor or Number, not {type(weight).__name__}")
    if x.dtype.kind not in "fcV":
        raise _not_implemented("lerp_kernel_tensor" if wt else "lerp_kernel_scalar", x.dtype)
    low = x.dtype.itemsize == 2  # half precision computes in float32, as torch's opmath
    xc, ec = (x.astype(np.float32), e.astype(np.float32)) if low else (x, e)
    try:
        if wt:
            wc = w.astype(np.float32) if low else w
            r = _lerp_np(xc, ec, wc, np.abs(wc) < 0.5)
        elif abs(w) < 0.5:
            r = xc + w * (ec - xc)
        else:
            r = ec - (ec - xc) * (1 - w)
    except ValueError:
        raise _shape_error("lerp", input, end if not wt or end.ndim >= weight.ndim else weight) from None
    r = arr(r)
    if r.dtype != x.dtype:
        r = r.astype(x.dtype)
    res = make(r)
    if GRAD.enabled and (input._requires_grad or end._requires_grad or (wt and weight._requires_grad)):
        if wt:
            _node(LerpBackward1, res, (input, end, weight), input, end, weight)
        else:
            _node(LerpBackward0, res, (input, end), weight=weight)
    return _out(res, out)


def lerp_(self, end, weight):
    return _write(self, lerp(self, end, weight), _tensors(self, end, weight), "lerp_")


class AddcmulBackward0(Node):
    def backward(self, g):
        t1, t2 = self.saved
        v = self.value
        return (
            g if self.needs(0) else None,
            g * conj(t2 * v) if self.needs(1) else None,
            g * conj(t1 * v) if self.needs(2) else None,
        )


class AddcdivBackward0(Node):
    def backward(self, g):
        t1, t2 = self.saved
        v = self.value
        return (
            g if self.needs(0) else None,
            g * conj(v / t2) if self.needs(1) else None,
            -g * conj(v * t1 / (t2 * t2)) if self.needs(2) else None,
        )


def _ternary_arrays(opname, input, tensor1, tensor2, value):
    _need_tensor(input, opname, "input", 1)
    _need_tensor(tensor1, opname, "tensor1", 2)
    _need_tensor(tensor2, opname, "tensor2", 3)
    if isinstance(value, Tensor):
        value = value.item()
    rdt = D.result_type_of((input, tensor1, tensor2))
    npdt = rdt.np
    arrays = []
    for t in (input, tensor1, tensor2):
        d = t._data
        arrays.append(d if d.dtype == npdt else d.astype(npdt))
    if rdt._cat < D._FLOAT and type(value) is not bool and not isinstance(value, (int, np.integer)):
        value = int(value.real if isinstance(value, complex) else value)
    return rdt, arrays, value


def _addc(opname, rdt, compute, input, tensor1, tensor2, value, node_cls, out):
    """addcmul / addcdiv: `compute()` (input + value * (tensor1 op tensor2)) in rdt, with its node."""
    try:
        r = arr(compute())
    except ValueError:
        raise RuntimeError(
            f"{opname}: shapes {list(input.shape)}, {list(tensor1.shape)} and {list(tensor2.shape)} cannot be "
            "broadcast together"
        ) from None
    res = make(r if r.dtype == rdt.np else r.astype(rdt.np))
    if GRAD.enabled and (input._requires_grad or tensor1._requires_grad or tensor2._requires_grad):
        _node(node_cls, res, (input, tensor1, tensor2), tensor1, tensor2, value=value)
    return _out(res, out)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):  # noqa: A002
    """Matches `torch.addcmul`: input + value * tensor1 * tensor2."""
    if AUTOCAST.on and out is None:
        return autocast_call("addcmul", addcmul, (input, tensor1, tensor2), {"value": value})
    rdt, (x, a, b), value = _ternary_arrays("addcmul", input, tensor1, tensor2, value)
    if rdt is D.bool:
        raise _not_implemented("addcmul_cpu_out", rdt)
    return _addc("addcmul", rdt, lambda: x + value * a * b, input, tensor1, tensor2, value, AddcmulBackward0, out)


def addcmul_(self, tensor1, tensor2, *, value=1):
    return _write(self, addcmul(self, tensor1, tensor2, value=value), (self, tensor1, tensor2), "addcmul_")


_ADDCDIV_INT_MSG = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a true "
    "division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * "
    "torch.trunc(tensor1 / tensor2)).to(input.dtype) for non-integer inputs and as (input + value * tensor1 // "
    "tensor2).to(input.dtype) for integer inputs."
)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):  # noqa: A002
    """Matches `torch.addcdiv`: input + value * tensor1 / tensor2."""
    if AUTOCAST.on and out is None:
        return autocast_call("addcdiv", addcdiv, (input, tensor1, tensor2), {"value": value})
    if (
        isinstance(tensor1, Tensor)
        and isinstance(tensor2, Tensor)
        and tensor1._data.dtype.kind in "biu"
        and tensor2._data.dtype.kind in "biu"
    ):
        raise RuntimeError(_ADDCDIV_INT_MSG)
    rdt, (x, a, b), value = _ternary_arrays("addcdiv", input, tensor1, tensor2, value)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _addc("addcdiv", rdt, lambda: x + value * a / b, input, tensor1, tensor2, value, AddcdivBackward0, out)


def addcdiv_(self, tensor1, tensor2, *, value=1):
    return _write(self, addcdiv(self, tensor1, tensor2, value=value), (self, tensor1, tensor2), "addcdiv_")


# -- maximum / minimum / fmax / fmin --------------------------------------------------------


class MaximumBackward0(Node):
    """Ties split the gradient equally, as torch does."""

    def backward(self, g):
        a, b = self.saved
        x, y = a._data, b._data
        h = where(_mask(x == y), g / 2, g)
        return (
            where(_mask(x < y), 0, h) if self.needs(0) else None,
            where(_mask(x > y), 0, h) if self.needs(1) else None,
        )


class MinimumBackward0(Node):
    def backward(self, g):
        a, b = self.saved
        x, y = a._data, b._data
        h = where(_mask(x == y), g / 2, g)
        return (
            where(_mask(x > y), 0, h) if self.needs(0) else None,
            where(_mask(x < y), 0, h) if self.needs(1) else None,
        )


class FmaxBackward0(Node):
    def backward(self, g):
        a, b = self.saved
        x, y = a._data, b._data
        keep = (x >= y) | np.isnan(y)
        return (
            where(_mask(keep), g, 0) if self.needs(0) else None,
            where(_mask(keep), 0, g) if self.needs(1) else None,
        )


class FminBackward0(Node):
    def backward(self, g):
        a, b = self.saved
        x, y = a._data, b._data
        keep = (x <= y) | np.isnan(y)
        return (
            where(_mask(keep), g, 0) if self.needs(0) else None,
            where(_mask(keep), 0, g) if self.needs(1) else None,
        )


def _minmax(input, other, ufunc, opname, node_cls):
    _need_tensor(input, opname, "input", 1)
    _need_tensor(other, opname, "other", 2)
    if input._data.dtype.kind == "c" or other._data.dtype.kind == "c":
        raise RuntimeError(f"{opname} not implemented for complex tensors.")
    with np.errstate(invalid="ignore"):
        out = make(_apply(input, other, ufunc, opname))
    if GRAD.enabled and (input._requires_grad or other._requires_grad):
        _node(node_cls, out, (input, other), input, other)
    return out


def maximum(input, other, *, out=None):  # noqa: A002
    """Matches `torch.maximum` (NaN propagates)."""
    return _out(_minmax(input, other, np.maximum, "maximum", MaximumBackward0), out)


def minimum(input, other, *, out=None):  # noqa: A002
    """Matches `torch.minimum` (NaN propagates)."""
    return _out(_minmax(input, other, np.minimum, "minimum", MinimumBackward0), out)


def fmax(input, other, *, out=None):  # noqa: A002
    """Matches `torch.fmax` (NaN is ignored)."""
    return _out(_minmax(input, other, np.fmax, "fmax", FmaxBackward0), out)


def fmin(input, other, *, out=None):  # noqa: A002
    """Matches `torch.fmin` (NaN is ignored)."""
    return _out(_minmax(input, other, np.fmin, "fmin", FminBackward0), out)


# -- fmod / remainder / floor_divide --------------------------------------------------------


class _DivModScalarBackward(Node):
    """a - k * b with a scalar b: the gradient passes through."""

    def backward(self, g):
        return g


class _DivModBackward(Node):
    """a - div(a, b, rounding_mode) * b: g for a, -g * div(a, b, rounding_mode) for b."""

    def backward(self, g):
        a, b = self.saved
        return (g if self.needs(0) else None, -g * div(a, b, rounding_mode=self.rounding) if self.needs(1) else None)


class FmodBackward0(_DivModScalarBackward):
    pass


class FmodBackward1(_DivModBackward):
    rounding = "trunc"


class RemainderBackward0(_DivModScalarBackward):
    pass


class RemainderBackward1(_DivModBackward):
    rounding = "floor"


def _divmod_op(input, other, ufunc, opname, kernel):
    rdt = D.result_type_of((input, other))
    if rdt is D.bool:
        raise _not_implemented(kernel, rdt)
    x, y = binary_arrays(input, other, opname)
    if rdt._cat == D._INT:
        _zero_div_check(y)
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            return make(arr(ufunc(x, y)))
    except ValueError:
        raise _shape_error(opname, input, other) from None


def fmod(input, other, *, out=None):  # noqa: A002
    """Matches `torch.fmod` (C fmod: the result has the sign of input)."""
    _need_tensor(input, "fmod", "input", 1)
    r = _divmod_op(input, other, np.fmod, "fmod", "fmod_cpu")
    if GRAD.enabled and (input._requires_grad or _rg(other)):
        if isinstance(other, Tensor):
            _node(FmodBackward1, r, (input, other), input, other)
        else:
            _node(FmodBackward0, r, (input,))
    return _out(r, out)


def fmod_(self, other):
    return _write(self, fmod(self, other), _tensors(self, other), "fmod_")


def _remainder_np(x, y):
    if getattr(x, "dtype", getattr(y, "dtype", None)).kind in "iu":
        return np.remainder(x, y)
    r = np.remainder(x, y)
    zero = r == 0
    if zero.any():  # torch keeps fmod's zero, signed as x (NumPy signs it as y)
        r = np.where(zero, np.fmod(x, y), r)
    return r


def remainder(input, other, *, out=None):  # noqa: A002
    """Matches `torch.remainder` (Python's %: the result has the sign of other)."""
    r = _divmod_op(input, other, _remainder_np, "remainder", "remainder_cpu")
    if GRAD.enabled and (_rg(input) or _rg(other)):
        if not isinstance(input, Tensor):
            _node(_NotImplementedBackward, r, (other,), op="remainder")
        elif isinstance(other, Tensor):
            _node(RemainderBackward1, r, (input, other), input, other)
        else:
            _node(RemainderBackward0, r, (input,))
    return _out(r, out)


def remainder_(self, other):
    return _write(self, remainder(self, other), _tensors(self, other), "remainder_")


def floor_divide(input, other, *, out=None):  # noqa: A002
    """Matches `torch.floor_divide` (not differentiable: its grad_fn is torch's NotImplemented)."""
    r = _divmod_op(input, other, np.floor_divide, "floor_divide", "div_floor_cpu")
    if GRAD.enabled and (_rg(input) or _rg(other)):
        _node(_NotImplementedBackward, r, _tensors(input, other), op="floor_divide")
    return _out(r, out)


def floor_divide_(self, other):
    return _write(self, floor_divide(self, other), _tensors(self, other), "floor_divide_")


# -- logical ops ----------------------------------------------------------------------------


def _truth(d):
    if d.dtype == np.bool_:
        return d
    if d.dtype.kind == "V":
        return d.astype(np.float32) != 0
    return d


def _logical(ufunc, opname):
    def op(input, other, *, out=None):  # noqa: A002
        _need_tensor(input, opname, "input", 1)
        _need_tensor(other, opname, "other", 2)
        try:
            r = make(arr(ufunc(_truth(input._data), _truth(other._data))))
        except ValueError:
            raise _shape_error(opname, input, other) from None
        return _out(r, out)

    def op_(self, other):
        return inplace(self, op(self, other)._data, None, (self, other), opname + "_")

    op.__name__ = opname
    op.__doc__ = f"Matches `torch.{opname}`."
    return op, op_


logical_and, logical_and_ = _logical(np.logical_and, "logical_and")
logical_or, logical_or_ = _logical(np.logical_or, "logical_or")
logical_xor, logical_xor_ = _logical(np.logical_xor, "logical_xor")


def logical_not(input, *, out=None):  # noqa: A002
    """Matches `torch.logical_not`."""
    _need_tensor(input, "logical_not", "input", 1)
    return _out(make(arr(np.logical_not(_truth(input._data)))), out)


def logical_not_(self):
    return inplace(self, logical_not(self)._data, None, (self,), "logical_not_")


# -- bitwise ops ----------------------------------------------------------------------------


def _lshift_np(x, y):
    x, y = _arrs(x, y)
    bits = x.dtype.itemsize * 8
    bad = (y < 0) | (y >= bits) if y.dtype.kind == "i" else y >= bits
    if not bad.any():
        return np.left_shift(x, y)
    r = np.left_shift(x, np.where(bad, 0, y).astype(y.dtype))
    return np.where(bad, 0, r).astype(r.dtype)


def _rshift_np(x, y):
    x, y = _arrs(x, y)
    bits = x.dtype.itemsize * 8
    bad = (y < 0) | (y >= bits) if y.dtype.kind == "i" else y >= bits
    if not bad.any():
        return np.right_shift(x, y)
    r = np.right_shift(x, np.where(bad, 0, y).astype(y.dtype))
    fill = np.right_shift(x, bits - 1) if x.dtype.kind == "i" else 0
    return np.where(bad, fill, r).astype(r.dtype)


def _bitwise(ufunc, opname, kernel, allow_bool=True):
    def op(input, other, *, out=None):  # noqa: A002
        rdt = D.result_type_of((input, other))
        if rdt._cat > D._INT or (rdt is D.bool and not allow_bool):
            raise _not_implemented(kernel, rdt)
        return _out(make(_apply(input, other, ufunc, opname)), out)

    def op_(self, other):
        return inplace(self, op(self, other)._data, None, (self, other), opname + "_")

    op.__name__ = opname
    op.__doc__ = f"Matches `torch.{opname}`."
    return op, op_


bitwise_and, bitwise_and_ = _bitwise(np.bitwise_and, "bitwise_and", "bitwise_and_cpu")
bitwise_or, bitwise_or_ = _bitwise(np.bitwise_or, "bitwise_or", "bitwise_or_cpu")
bitwise_xor, bitwise_xor_ = _bitwise(np.bitwise_xor, "bitwise_xor", "bitwise_xor_cpu")
bitwise_left_shift, bitwise_left_shift_ = _bitwise(_lshift_np, "bitwise_left_shift", "lshift_cpu", False)
bitwise_right_shift, bitwise_right_shift_ = _bitwise(_rshift_np, "bitwise_right_shift", "rshift_cpu", False)


def bitwise_not(input, *, out=None):  # noqa: A002
    """Matches `torch.bitwise_not` (logical not on bool tensors)."""
    _need_tensor(input, "bitwise_not", "input", 1)
    d = input._data
    if d.dtype.kind not in "biu":
        raise _not_implemented("bitwise_not_cpu", d.dtype)
    return _out(make(arr(np.invert(d))), out)


def bitwise_not_(self):
    return inplace(self, bitwise_not(self)._data, None, (self,), "bitwise_not_")


def _invert(self):
    if self._data.dtype.kind not in "biu":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(self)


# -- isclose / allclose / equal -------------------------------------------------------------


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    """Matches `torch.isclose`: |input - other| <= atol + rtol * |other| (elementwise)."""
    _need_tensor(input, "isclose", "input", 1)
    _need_tensor(other, "isclose", "other", 2)
    x, y = input._data, other._data
    if x.dtype != y.dtype:
        raise RuntimeError(f"{scalar_type_name(x.dtype)} did not match {scalar_type_name(y.dtype)}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol:g}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol:g}")
    if x.dtype == np.bool_ or x.dtype.kind == "V":
        f = D.get_default_dtype().np if x.dtype == np.bool_ else np.float32
        x, y = x.astype(f), y.astype(f)
    try:
        close = x == y
    except ValueError:
        raise _shape_error("isclose", input, other) from None
    if x.dtype.kind == "b":
        return make(arr(close))
    if equal_nan and x.dtype.kind in "fc":
        close = close | (np.isnan(x) & np.isnan(y))
    if x.dtype.kind in "iu":
        diff = np.abs(x.astype(np.float64) - y)
        allowed = atol + np.abs(rtol * y.astype(np.float64))
    else:
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(x - y)
            allowed = atol + np.abs(rtol * y)
    with np.errstate(invalid="ignore"):
        close = close | (np.isfinite(diff) & (diff <= allowed))
    return make(arr(close))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    """Matches `torch.allclose` (a Python bool)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other):  # noqa: A002
    """Matches `torch.equal`: same shape and same values (a Python bool)."""
    _need_tensor(input, "equal", "input", 1)
    _need_tensor(other, "equal", "other", 2)
    if input._data.shape != other._data.shape:
        return False
    x, y = binary_arrays(input, other, "equal")
    return bool((x == y).all())


# -- Tensor methods and operators -----------------------------------------------------------


def _num_or_tensor(fn):
    def op(self, other):
        if not isinstance(other, Tensor) and not _is_scalar(other):
            return NotImplemented
        return fn(self, other)

    return op


def _reflected(fn):
    def op(self, other):
        if not _is_scalar(other) and not isinstance(other, Tensor):
            return NotImplemented
        return fn(other, self)

    return op


def _iop(fn_):
    def iop(self, other):
        return fn_(self, other)

    return iop


bind("pow", pow)
bind("pow_", pow_)
bind("__pow__", _num_or_tensor(pow))
bind("__rpow__", _reflected(pow))
bind("__ipow__", _iop(pow_))
bind("float_power", float_power)
bind("float_power_", float_power_)
bind(("atan2", "arctan2"), atan2)
bind(("atan2_", "arctan2_"), atan2_)
bind("lerp", lerp)
bind("lerp_", lerp_)
bind("addcmul", addcmul)
bind("addcmul_", addcmul_)
bind("addcdiv", addcdiv)
bind("addcdiv_", addcdiv_)
bind("hypot", hypot)
bind("hypot_", hypot_)
bind("maximum", maximum)
bind("minimum", minimum)
bind("fmax", fmax)
bind("fmin", fmin)
bind("fmod", fmod)
bind("fmod_", fmod_)
bind("remainder", remainder)
bind("remainder_", remainder_)
bind("__mod__", _num_or_tensor(remainder))
bind("__rmod__", _reflected(remainder))
bind("__imod__", _iop(remainder_))
bind("floor_divide", floor_divide)
bind("floor_divide_", floor_divide_)
bind("__floordiv__", _num_or_tensor(floor_divide))
bind("__rfloordiv__", _reflected(floor_divide))
bind("__ifloordiv__", _iop(floor_divide_))
bind("xlogy", xlogy)
bind("xlogy_", xlogy_)
bind("logaddexp", logaddexp)
bind("logaddexp2", logaddexp2)
bind("copysign", copysign)
bind("copysign_", copysign_)
bind("nextafter", nextafter)
bind("nextafter_", nextafter_)
bind("ldexp", ldexp)
bind("ldexp_", ldexp_)
for _n, _f, _f_ in [
    ("logical_and", logical_and, logical_and_),
    ("logical_or", logical_or, logical_or_),
    ("logical_xor", logical_xor, logical_xor_),
    ("logical_not", logical_not, logical_not_),
    ("bitwise_and", bitwise_and, bitwise_and_),
    ("bitwise_or", bitwise_or, bitwise_or_),
    ("bitwise_xor", bitwise_xor, bitwise_xor_),
    ("bitwise_not", bitwise_not, bitwise_not_),
    ("bitwise_left_shift", bitwise_left_shift, bitwise_left_shift_),
    ("bitwise_right_shift", bitwise_right_shift, bitwise_right_shift_),
]:
    bind(_n, _f)
    bind(_n + "_", _f_)
for _d, _f, _f_ in [
    ("and", bitwise_and, bitwise_and_),
    ("or", bitwise_or, bitwise_or_),
    ("xor", bitwise_xor, bitwise_xor_),
    ("lshift", bitwise_left_shift, bitwise_left_shift_),
    ("rshift", bitwise_right_shift, bitwise_right_shift_),
]:
    bind(f"__{_d}__", _num_or_tensor(_f))
    bind(f"__r{_d}__", _reflected(_f))
    bind(f"__i{_d}__", _iop(_f_))
bind("__invert__", _invert)
bind("isclose", isclose)
bind("allclose", allclose)
bind("equal", equal)
bind("where", _tensor_where)

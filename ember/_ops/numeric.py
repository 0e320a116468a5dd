"""Numerical helpers: diff, cov and corrcoef, trapezoid / trapz / cumulative_trapezoid, vander, isin, ravel
and frexp.

Most are compositions of other ember ops (so autograd, double backward and the CuPy path come with them),
following ATen's formulas step by step so that values, dtypes and grad_fn names agree with torch."""

import warnings

import numpy as np

from .. import _dtype as D
from .. import return_types as R
from ._core import (
    GRAD,
    Node,
    Tensor,
    arr,
    attach_multi,
    bind,
    check_same_device,
    make,
    scalar_type_name,
    wrap_dim,
    xp_of,
)
from .arith import DivBackward0, MulBackward0, _div_dtype, add, binary, conj, div, eq, mul, ne, sub
from .binary import logical_xor
from .blas import mm
from .complex import complex as _complex
from .complex import imag, real
from .convert import clone
from .creation import zeros_like
from .indexing import copy_, fill_, zero_
from .joining import cat, flip
from .pointwise import clip, exp2, sqrt
from .reduction import sum as _sum
from .reduction2 import cumprod, cumsum
from .shape import reshape, squeeze, t, unsqueeze, view
from .shape2 import _slice, diagonal, select
from .sorting import _int_arg

__all__ = ["diff", "cov", "corrcoef", "trapezoid", "trapz", "cumulative_trapezoid", "vander", "isin", "ravel", "frexp"]


def _tensor_arg(v, fn, arg):
    if not isinstance(v, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' must be Tensor, not {type(v).__name__}")


def _narrow(x, dim, start, stop):
    """x[start:stop] along dim with ATen's slice clamping (stop may be negative: counted from the end)."""
    n = x._data.shape[dim]
    if stop < 0:
        stop += n
    stop = min(max(stop, 0), n)
    start = min(start, n)
    return _slice(x, dim, start, max(start, stop))


class MulBackward1(MulBackward0):
    """A product with a scalar computed inside an op (ATen's mul.Scalar)."""

    __slots__ = ()


class DivBackward1(DivBackward0):
    """A quotient by a scalar computed inside an op (ATen's div.Scalar)."""

    __slots__ = ()


def _mul_scalar(x, s):
    return binary(x, s, np.multiply, MulBackward1, "mul")


def _div_scalar(x, s):
    return binary(x, s, np.true_divide, DivBackward1, "div", dtype=_div_dtype(x, s))


# -- diff ----------------------------------------------------------------------------------------


def _check_diff_other(input, other, dim, name):
    if other is None:
        return
    _tensor_arg(other, "diff", name)
    shape, oshape = input._data.shape, other._data.shape
    wrapped = wrap_dim(dim, len(shape), "diff")
    if len(oshape) != len(shape):
        raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    for i, (a, b) in enumerate(zip(shape, oshape)):
        if i != wrapped and a != b:
            raise RuntimeError(
                "diff expects the shape of tensor to prepend or append to match that of input except along the "
                f"differencing dimension; input.size({i}) = {a}, but got tensor.size({i}) = {b}"
            )


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """Matches `torch.diff` (n-th forward difference along dim; bool inputs use logical xor)."""
    if input._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    n = _int_arg(n, "diff", "n")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    _check_diff_other(input, prepend, dim, "prepend")
    _check_diff_other(input, append, dim, "append")
    if n == 0:
        return copy_(zeros_like(input), input)
    x = input
    if prepend is not None or append is not None:
        parts = [p for p in (prepend, input, append) if p is not None]
        x = cat(parts, dim)
    d = x._data
    dim = wrap_dim(dim, d.ndim, "diff")
    size = d.shape[dim]
    op = logical_xor if d.dtype == np.bool_ else sub
    for k in range(min(n, size)):
        m = size - 1 - k
        x = op(_slice(x, dim, 1, m + 1), _slice(x, dim, 0, m))
    return x


# -- cov / corrcoef ------------------------------------------------------------------------------


def _check_weights(w, nobs, name, integral):
    d = w._data
    if d.ndim > 1:
        raise RuntimeError(
            f"cov(): expected {name} to have one or fewer dimensions but got {name} with {d.ndim} dimensions"
        )
    ok = d.dtype.kind in "iu" if integral else (d.dtype.kind == "f" or d.dtype == D.bfloat16.np)
    if not ok:
        kind = "integral" if integral else "floating point"
        raise RuntimeError(
            f"cov(): expected {name} to have {kind} dtype but got {name} with {scalar_type_name(d.dtype)} dtype"
        )
    if d.size != nobs:
        raise RuntimeError(
            f"cov(): expected {name} to have the same numel as there are observations in the input but got "
            f"{d.size} != {nobs}"
        )
    if nobs and not bool((d >= 0).all()):
        raise RuntimeError(f"cov(): {name} cannot be negative")


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Matches `torch.cov`: rows are variables, columns observations (ATen's algorithm, corner cases
    included)."""
    d = input._data
    if d.ndim > 2:
        raise RuntimeError(
            f"cov(): expected input to have two or fewer dimensions but got an input with {d.ndim} dimensions"
        )
    if d.dtype == np.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    correction = _int_arg(correction, "cov", "correction")
    x = view(input, (1, -1)) if d.ndim < 2 else input
    nobs = x._data.shape[1]
    w = None
    if fweights is not None:
        _tensor_arg(fweights, "cov", "fweights")
        _check_weights(fweights, nobs, "fweights", True)
        w = fweights
    if aweights is not None:
        _tensor_arg(aweights, "cov", "aweights")
        _check_weights(aweights, nobs, "aweights", False)
        w = aweights if w is None else mul(w, aweights)
    if w is None:
        w_sum = nobs
        avg = div(_sum(x, 1), nobs)
        norm = nobs - correction
    else:
        w_sum = _sum(w)
        if not bool(w_sum._data != 0):
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
        avg = div(_sum(mul(x, w), 1), w_sum)
        if correction == 0:
            norm = w_sum
        elif aweights is None:
            norm = sub(w_sum, correction)
        elif fweights is None and nobs == 1 and correction == 1:
            norm = 0
        else:
            norm = sub(w_sum, div(_mul_scalar(_sum(mul(w, aweights)), correction), w_sum))
    if (norm <= 0) if type(norm) is int else bool(norm._data <= 0):
        warnings.warn(
            "cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of observations.",
            UserWarning,
            stacklevel=2,
        )
        norm = 0 if type(norm) is int else zero_(norm)
    if nobs == 1 and (fweights is None) != (aweights is None):
        # one observation and one kind of weight: the centred input is exactly zero (ATen zeroes it
        # in place; here a zeroed copy keeps the caller's tensor intact)
        if x._data.dtype.kind in "iu":
            x = zeros_like(x, dtype=D.float32)
        elif x._requires_grad and GRAD.enabled:
            x = zero_(mul(x, 1))
        else:
            x = zeros_like(x)
    else:
        x = sub(x, unsqueeze(avg, 1))
    c = mm(x, conj(t(x if w is None else mul(x, w))))
    return squeeze(div(c, norm))


def corrcoef(input):
    """Matches `torch.corrcoef`: cov normalised by the standard deviations, clipped to [-1, 1]."""
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(
            f"corrcoef(): expected input to have two or fewer dimensions but got an input with {nd} dimensions"
        )
    c = cov(input)
    if c._data.ndim == 0:
        return div(c, c)  # nan for a variance of 0, inf or nan; 1 otherwise
    is_complex = c._data.dtype.kind == "c"
    # the real part of the diagonal (taken in this order, the diagonal's backward scatters real gradients)
    std = sqrt(diagonal(real(c) if is_complex else c))
    c = div(c, unsqueeze(std, 1))
    c = div(c, unsqueeze(std, 0))
    if is_complex:
        return _complex(clip(real(c), -1, 1), clip(imag(c), -1, 1))
    return clip(c, -1, 1)


# -- trapezoid / trapz / cumulative_trapezoid ----------------------------------------------------


def _no_dims(dim):
    raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")


def _real_dx(dx, fn):
    if isinstance(dx, Tensor):
        dx = dx.item()
    if isinstance(dx, (bool, np.bool_, complex, np.complexfloating)):
        raise RuntimeError(f"{fn}: Currently, we only support dx as a real number.")
    return float(dx)


def _x_spacing(y, x, dim, fn):
    """The spacings x[1:] - x[:-1] along dim, shaped to broadcast against y's differences (ATen's rules: a
    1-D x lies along dim, a lower-dimensional x gets leading ones, a higher-dimensional one is taken as is)."""
    _tensor_arg(x, fn, "x")
    check_same_device(fn, y, x)
    nd = y._data.ndim
    xs = x._data.shape
    if len(xs) == 1:
        if xs[0] != y._data.shape[dim]:
            raise RuntimeError(f"{fn}: There must be one `x` value for each sample point")
        shape = [1] * nd
        shape[dim] = xs[0]
        x = reshape(x, shape)
    elif len(xs) < nd:
        x = reshape(x, (1,) * (nd - len(xs)) + xs)
    return sub(_narrow(x, dim, 1, x._data.shape[dim]), _narrow(x, dim, 0, -1))


def _spaced_pairs(y, x, dim, fn):
    """(y[i] + y[i+1]) * (x[i+1] - x[i]) along dim: the trapezoids' doubled areas."""
    _check_bool(y, x, fn)
    spacing = _x_spacing(y, x, dim, fn)
    return mul(add(_narrow(y, dim, 0, -1), _narrow(y, dim, 1, y._data.shape[dim])), spacing)


def _check_bool(y, x, fn):
    if y._data.dtype == np.bool_ or (x is not None and x._data.dtype == np.bool_):
        which = "`y`" if x is None else "`x` or `y`"
        raise RuntimeError(f"{fn}: received a bool input for {which}, but bool is not supported")


def _trapezoid(y, x, dx, dim, fn):
    d = y._data
    if x is not None:
        if d.ndim == 0:
            _no_dims(0)
        dim = wrap_dim(dim, d.ndim, fn)
    elif d.ndim == 0:
        _no_dims(dim)
    else:
        dim = wrap_dim(dim, d.ndim, fn)
    if d.shape[dim] == 0:  # no samples: zeros, as NumPy
        return make(xp_of(d).zeros(d.shape[:dim] + d.shape[dim + 1 :], dtype=d.dtype))
    if x is not None:
        return _div_scalar(_sum(_spaced_pairs(y, x, dim, fn), dim), 2.0)
    _check_bool(y, None, fn)
    dx = _real_dx(dx, fn)
    ends = add(select(y, dim, 0), select(y, dim, -1))
    return _mul_scalar(sub(_sum(y, dim), _mul_scalar(ends, 0.5)), dx)


def _x_or_dx(fn, y, x, dx):
    _tensor_arg(y, fn, "y")
    if x is not None:
        _tensor_arg(x, fn, "x")
        if dx is not None:
            raise TypeError(f"{fn}() received an invalid combination of arguments: both x and dx were given")
    return 1 if dx is None else dx


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """Matches `torch.trapezoid`: the trapezoid rule along dim, with sample points x or spacing dx."""
    dx = _x_or_dx("trapezoid", y, x, dx)
    return _trapezoid(y, x, dx, dim, "trapezoid")


def trapz(y, x=None, *, dx=None, dim=-1):
    """Matches `torch.trapz` (trapezoid; dx must be a real number)."""
    dx = _x_or_dx("trapz", y, x, dx)
    if x is None and isinstance(dx, (complex, np.complexfloating)):
        raise TypeError(f"trapz(): argument 'dx' must be float, not {type(dx).__name__}")
    if x is None:
        dx = float(dx.item() if isinstance(dx, Tensor) else dx)
    return _trapezoid(y, x, dx, dim, "trapezoid")


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """Matches `torch.cumulative_trapezoid`: the running trapezoid-rule integral along dim."""
    fn = "cumulative_trapezoid"
    dx = _x_or_dx(fn, y, x, dx)
    d = y._data
    if x is not None:
        if d.ndim == 0:
            _no_dims(0)
        dim = wrap_dim(dim, d.ndim, fn)
        return _div_scalar(cumsum(_spaced_pairs(y, x, dim, fn), dim), 2.0)
    _check_bool(y, None, fn)
    dx = _real_dx(dx, fn)
    if d.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, d.ndim, fn)
    both = add(_narrow(y, dim, 0, -1), _narrow(y, dim, 1, d.shape[dim]))
    return cumsum(_mul_scalar(both, dx / 2.0), dim)


# -- vander ----------------------------------------------------------------------------------------


def vander(x, N=None, increasing=False):
    """Matches `torch.vander`: columns x**(N-1) ... x**0 (increasing: x**0 ... x**(N-1)), built as ATen does
    (a cumulative product written into the result, then a flip); integer inputs give int64."""
    d = x._data
    if d.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = d.shape[0]
    if N is not None:
        n = _int_arg(N, "vander", "N")
        if n < 0:
            raise RuntimeError("N must be non-negative.")
    dt = D.promote_types(D.FROM_NP[d.dtype], D.int64)
    result = make(xp_of(d).empty((d.shape[0], n), dtype=dt.np))
    if n > 0:
        fill_(select(result, 1, 0), 1)
    if n > 1:
        copy_(_slice(result, 1, 1, n), unsqueeze(x, 1))
        copy_(_slice(result, 1, 1, n), cumprod(_slice(result, 1, 1, n), 1))
    return result if increasing else flip(result, (1,))


# -- isin ----------------------------------------------------------------------------------------


def _isin_dtype_check(v):
    if isinstance(v, Tensor):
        dt = v._data.dtype
        if dt == np.bool_ or dt.kind == "c":
            raise RuntimeError(f"Unsupported input type encountered for isin(): {scalar_type_name(dt)}")
        return
    if isinstance(v, (bool, np.bool_)):
        raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    if isinstance(v, (complex, np.complexfloating)):
        raise RuntimeError("Unsupported input type encountered for isin(): ComplexDouble")
    if not isinstance(v, (int, float, np.number)):
        raise TypeError(
            f"isin() received an invalid combination of arguments - got ({type(v).__name__}), but expected a "
            "Tensor or a Number"
        )


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Matches `torch.isin`: whether each element is in test_elements (either may be a Python number)."""
    te, tt = isinstance(elements, Tensor), isinstance(test_elements, Tensor)
    if not te and not tt:
        raise TypeError(
            f"isin() received an invalid combination of arguments - got ({type(elements).__name__}, "
            f"{type(test_elements).__name__}), but expected at least one Tensor"
        )
    _isin_dtype_check(elements)
    _isin_dtype_check(test_elements)
    if not tt:  # a scalar test element: an elementwise comparison
        return ne(elements, test_elements) if invert else eq(elements, test_elements)
    b = test_elements._data
    xp = xp_of(b)
    dt = D.result_type_of((elements, test_elements)).np
    if te:
        check_same_device("isin", elements, test_elements)
        a = elements._data
        if type(a) is not type(b):  # a 0-dim CPU tensor with a device tensor
            a = xp.asarray(a)
    else:
        a = xp.asarray(elements)
    if a.dtype != dt:
        a = a.astype(dt)
    if b.dtype != dt:
        b = b.astype(dt)
    na = a.size
    if na == 0:
        return make(xp.zeros(a.shape, dtype=np.bool_))
    if assume_unique and b.size >= int(10.0 * float(na) ** 0.145):
        # ATen's sorting algorithm (its result for non-unique inputs is what torch gives too)
        allv = xp.concatenate((a.reshape(-1), b.reshape(-1)))
        order = xp.argsort(allv, kind="stable")
        s = allv[order]
        dup = xp.empty(s.shape, dtype=np.bool_)
        dup[:-1] = (s[1:] != s[:-1]) if invert else (s[1:] == s[:-1])
        dup[-1] = invert
        mask = xp.empty_like(dup)
        mask[order] = dup
        return make(mask[:na].reshape(a.shape))
    return make(arr(xp.isin(a, b, invert=invert)))


# -- ravel / frexp -------------------------------------------------------------------------------


def ravel(input):
    """Matches `torch.ravel`: a flattened view of the input, made contiguous first (a copy) when it is not."""
    d = input._data
    return view(input if d.flags.c_contiguous else clone(input), (-1,))


class FrexpBackward0(Node):
    def backward(self, g, _g_exponent=None):
        (exponent,) = self.saved
        return div(g, exp2(exponent))


def frexp(input):
    """Matches `torch.frexp`: (mantissa, exponent) with input = mantissa * 2**exponent, exponent int32."""
    d = input._data
    dt = d.dtype
    bf16 = dt == D.bfloat16.np
    if dt.kind != "f" and not bf16:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    xp = xp_of(d)
    m, e = xp.frexp(d.astype(np.float32) if bf16 else d)
    if bf16:
        m = m.astype(dt)
    mantissa = make(arr(m))
    exponent = make(arr(e).astype(np.int32, copy=False))
    if GRAD.enabled and input._requires_grad:
        node = FrexpBackward0()
        attach_multi((mantissa, exponent), node, (input,), (True, False))
        node.save(exponent)
    return R.frexp(mantissa, exponent)


bind("diff", diff)
bind("cov", cov)
bind("corrcoef", corrcoef)
bind("ravel", ravel)
bind("frexp", frexp)

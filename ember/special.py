"""ember.special: torch.special's functions. Forward values come from scipy.special on the CPU and
cupyx.scipy.special on CUDA (computed in the input's dtype: float32 stays float32; half/bfloat16 go through
float32; integers give the default float dtype); what cupyx lacks (airy) goes through `_on_host`. Gradients
follow torch's derivatives.yaml, written with ember ops so higher-order gradients work."""

import math

import numpy as np

from . import _dtype as D
from ._backend import xp_of
from ._ops import binary as _B
from ._ops import pointwise as _P
from ._ops import reduction as _R
from ._ops._core import GRAD, Node, Tensor, arr, attach, binary_arrays, make, requires_grad

__all__ = [
    "airy_ai",
    "bessel_j0",
    "bessel_j1",
    "bessel_y0",
    "bessel_y1",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammainc",
    "gammaincc",
    "gammaln",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "modified_bessel_k0",
    "modified_bessel_k1",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1",
    "sinc",
    "softmax",
    "spherical_bessel_j0",
    "xlog1py",
    "xlogy",
    "zeta",
]

_SC = None
_CUPYX_SC = None


def _sc(a):
    """The special-function module for array `a`: scipy.special, or cupyx.scipy.special for a device array."""
    global _SC, _CUPYX_SC
    if type(a) is np.ndarray or isinstance(a, np.generic):
        if _SC is None:
            import scipy.special  # noqa: PLC0415

            _SC = scipy.special
        return _SC
    if _CUPYX_SC is None:
        xp_of(a)  # CuPy is importable (or the error that says why not)
        import cupyx.scipy.special  # noqa: PLC0415

        _CUPYX_SC = cupyx.scipy.special
    return _CUPYX_SC


def _on_host(fn, a):
    """`fn(a)` computed with scipy.special on the host, for what cupyx.scipy.special lacks: a device array is
    copied to the host (which synchronizes with the device) and the result is copied back to its device."""
    if type(a) is np.ndarray or isinstance(a, np.generic):
        return fn(a)
    from ._backend import device_of, to_device  # noqa: PLC0415
    from ._device import CPU  # noqa: PLC0415

    return to_device(np.asarray(fn(to_device(a, CPU))), device_of(a))


def _is_array(v):
    """An operand array from binary_arrays (a host or device ndarray), not a weak Python/NumPy scalar."""
    return not isinstance(v, (int, float, complex, np.generic))


_SQRT_2PI = math.sqrt(2 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


# -- machinery ---------------------------------------------------------------------------------


def _check(x, fname, argname="input", pos=1):
    if not isinstance(x, Tensor):
        raise TypeError(
            f"special_{fname}(): argument '{argname}' (position {pos}) must be Tensor, not {type(x).__name__}"
        )


def _float_array(d):
    """The array in the dtype the result has (integers/bool -> default float)."""
    if d.dtype.kind in "biu":
        return d.astype(D.get_default_dtype().np)
    return d


def _compute(fn, d, *more):
    """fn on `d` (and more arrays/scalars), in float32 for half/bfloat16, cast back to d's dtype."""
    work = d if d.dtype.itemsize >= 4 or d.dtype.kind == "c" else d.astype(np.float32)
    with np.errstate(all="ignore"):
        r = fn(work, *more)
    return r.astype(d.dtype, copy=False)


def _unary(x, fname, fn, node_cls=None, save_out=False):
    _check(x, fname)
    d = _float_array(x._data)
    out = make(arr(_compute(fn, d)))
    if node_cls is not None and GRAD.enabled and x._requires_grad:
        node = node_cls()
        attach(out, node, (x,))
        node.save(x, out if save_out else None)
    return out


def _binary(a, b, fname, fn, node_cls):
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"special_{fname}(): expected at least one Tensor argument")
    x, y = binary_arrays(a, b, fname)
    ref = x if _is_array(x) else y
    xp = xp_of(ref)
    if ref.dtype.kind in "biu":
        dt = D.get_default_dtype().np
        x = x.astype(dt) if _is_array(x) else x
        y = y.astype(dt) if _is_array(y) else y
        ref = x if _is_array(x) else y
    xa = x if _is_array(x) else xp.asarray(x, dtype=ref.dtype)
    ya = y if _is_array(y) else xp.asarray(y, dtype=ref.dtype)
    work = np.float32 if ref.dtype.itemsize < 4 else ref.dtype
    try:
        np.broadcast_shapes(xa.shape, ya.shape)
    except ValueError:
        from ._ops.arith import _shape_error  # noqa: PLC0415

        raise _shape_error(fname, a, b) from None
    with np.errstate(all="ignore"):
        r = fn(xa.astype(work, copy=False), ya.astype(work, copy=False)).astype(ref.dtype, copy=False)
    out = make(arr(r))
    if node_cls is not None and GRAD.enabled and (requires_grad(a) or requires_grad(b)):
        node = node_cls()
        node.scalars = (a, b)
        attach(out, node, (a, b))
        node.save(a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None)
    return out


def _operand(t, s, like):
    """A saved tensor operand, or the Python scalar it was (as a 0-dim tensor of like's dtype)."""
    if t is not None:
        return t
    return make(xp_of(like._data).asarray(s, dtype=like._data.dtype))


# -- functions ember already has (same behaviour as the top-level ops) -----------------------------

erf = _P.erf
erfc = _P.erfc
erfinv = _P.erfinv
exp2 = _P.exp2
expm1 = _P.expm1
log1p = _P.log1p
xlogy = _B.xlogy


def expit(input, *, out=None):
    """Matches `torch.special.expit` (= sigmoid)."""
    return _P.sigmoid(input, out=out)


def logit(input, eps=None, *, out=None):
    """Matches `torch.special.logit`."""
    return _P.logit(input, eps, out=out)


def round(input, *, decimals=0, out=None):  # noqa: A001
    """Matches `torch.special.round`."""
    return _P.round(input, decimals=decimals, out=out)


def logsumexp(input, dim, keepdim=False, *, out=None):
    """Matches `torch.special.logsumexp`."""
    return _R.logsumexp(input, dim, keepdim, out=out)


def softmax(input, dim, *, dtype=None):
    """Matches `torch.special.softmax`."""
    from ._nn_methods import softmax as _softmax  # noqa: PLC0415

    return _softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """Matches `torch.special.log_softmax`."""
    from ._nn_methods import log_softmax as _log_softmax  # noqa: PLC0415

    return _log_softmax(input, dim, dtype=dtype)


# -- gamma family ------------------------------------------------------------------------------


class LgammaBackward0(Node):
    def backward(self, g):
        x, _ = self.saved
        return g * digamma(x)


class DigammaBackward0(Node):
    def backward(self, g):
        x, _ = self.saved
        return g * polygamma(1, x)


class PolygammaBackward0(Node):
    def backward(self, g):
        x, _ = self.saved
        return None, g * polygamma(self.n + 1, x)


def gammaln(input, *, out=None):
    """Matches `torch.special.gammaln` (= torch.lgamma)."""
    return _out(_unary(input, "gammaln", _lgamma_fn, LgammaBackward0), out)


def _lgamma_fn(a):
    r = _sc(a).gammaln(a)
    return xp_of(a).where(a == -np.inf, np.inf, r)  # torch: lgamma(-inf) = inf


def digamma(input, *, out=None):
    """Matches `torch.special.digamma` (= torch.digamma)."""
    return _out(_unary(input, "digamma", lambda a: _sc(a).psi(a), DigammaBackward0), out)


psi = digamma


def polygamma(n, input, *, out=None):
    """Matches `torch.special.polygamma`."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if n == 0:
        return digamma(input, out=out)
    _check(input, "polygamma", "self", 2)
    d = _float_array(input._data)
    res = make(arr(_compute(lambda a: _polygamma(n, a), d)))
    if GRAD.enabled and input._requires_grad:
        node = PolygammaBackward0()
        node.n = n
        attach(res, node, (None, input))
        node.save(input, None)
    return _out(res, out)


def _polygamma(n, a):
    if type(a) is np.ndarray or isinstance(a, np.generic):
        return _sc(a).polygamma(n, a)
    return _sc(a).polygamma(xp_of(a).asarray(n), a)  # cupyx broadcasts n with a: it takes an array


class MvlgammaBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        p = self.p
        total = None
        for j in range(p):
            term = digamma(x - j / 2.0)
            total = term if total is None else total + term
        return g * total


def multigammaln(input, p, *, out=None):
    """Matches `torch.special.multigammaln` (= torch.mvlgamma)."""
    _check(input, "multigammaln")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    d = _float_array(input._data)

    def fn(a):
        js = xp_of(a).arange(p, dtype=a.dtype) / a.dtype.type(2)
        r = _sc(a).gammaln(a[..., None] - js).sum(-1)
        return r + a.dtype.type(p * (p - 1) / 4.0 * math.log(math.pi))

    res = make(arr(_compute(fn, d)))
    if GRAD.enabled and input._requires_grad:
        node = MvlgammaBackward0()
        node.p = p
        attach(res, node, (input,))
        node.save(input)
    return _out(res, out)


class IgammaBackward0(Node):
    def backward(self, g):
        if self.needs(0):
            raise NotImplementedError("the derivative for 'igamma: input' is not implemented.")
        a, x = self.saved
        a = _operand(a, self.scalars[0], g)
        x = _operand(x, self.scalars[1], g)
        return None, g * _P.exp((a - 1) * _P.log(x) - x - gammaln(a))


class IgammacBackward0(Node):
    def backward(self, g):
        if self.needs(0):
            raise NotImplementedError("the derivative for 'igammac: input' is not implemented.")
        a, x = self.saved
        a = _operand(a, self.scalars[0], g)
        x = _operand(x, self.scalars[1], g)
        return None, -g * _P.exp((a - 1) * _P.log(x) - x - gammaln(a))


def gammainc(input, other, *, out=None):
    """Matches `torch.special.gammainc` (= torch.igamma, the regularized lower incomplete gamma)."""
    _check(input, "gammainc")
    _check(other, "gammainc", "other", 2)
    return _out(_binary(input, other, "gammainc", lambda a, b: _sc(a).gammainc(a, b), IgammaBackward0), out)


def gammaincc(input, other, *, out=None):
    """Matches `torch.special.gammaincc` (= torch.igammac, the regularized upper incomplete gamma)."""
    _check(input, "gammaincc")
    _check(other, "gammaincc", "other", 2)
    return _out(_binary(input, other, "gammaincc", lambda a, b: _sc(a).gammaincc(a, b), IgammacBackward0), out)


# -- error function family --------------------------------------------------------------------


class SpecialErfcxBackward0(Node):
    def backward(self, g):
        x, r = self.saved
        return (2.0 * x * r - _TWO_OVER_SQRT_PI) * g


class SpecialLogNdtrBackward0(Node):
    def backward(self, g):
        x, r = self.saved
        return g / _SQRT_2PI * _P.exp(-(r + x * x / 2))


class SpecialNdtriBackward0(Node):
    def backward(self, g):
        _, r = self.saved
        return g * _SQRT_2PI * _P.exp(r * r / 2)


def erfcx(input, *, out=None):
    """Matches `torch.special.erfcx`: exp(x^2) * erfc(x)."""
    return _out(_unary(input, "erfcx", lambda a: _sc(a).erfcx(a), SpecialErfcxBackward0, save_out=True), out)


def log_ndtr(input, *, out=None):
    """Matches `torch.special.log_ndtr`."""
    return _out(_unary(input, "log_ndtr", lambda a: _sc(a).log_ndtr(a), SpecialLogNdtrBackward0, save_out=True), out)


def ndtri(input, *, out=None):
    """Matches `torch.special.ndtri`."""
    return _out(_unary(input, "ndtri", lambda a: _sc(a).ndtri(a), SpecialNdtriBackward0, save_out=True), out)


def ndtr(input, *, out=None):
    """Matches `torch.special.ndtr`: (1 + erf(x / sqrt(2))) / 2, composed of ember ops as torch does."""
    _check(input, "ndtr")
    x = input
    if x._data.dtype.kind in "biu":
        x = x.to(D.get_default_dtype())
    return _out((1 + _P.erf(x * (1 / math.sqrt(2)))) * 0.5, out)


# -- Bessel functions -----------------------------------------------------------------------------


class I0Backward0(Node):
    def backward(self, g):
        x, _ = self.saved
        return g * i1(x)


class SpecialI0EBackward0(Node):
    def backward(self, g):
        x, r = self.saved
        return g * (i1e(x) - _P.sgn(x) * r)


def _safe(x):
    eps = float(np.finfo(x._data.dtype).eps)
    tiny = abs(x._data) <= eps
    return tiny, _P._where(tiny, eps, x)


class SpecialI1Backward0(Node):
    def backward(self, g):
        x, r = self.saved
        tiny, sx = _safe(x)
        return g * _P._where(tiny, 0.5, i0(sx) - r / sx)


class SpecialI1EBackward0(Node):
    def backward(self, g):
        x, r = self.saved
        tiny, sx = _safe(x)
        return g * _P._where(tiny, 0.5, i0e(sx) - r * (_P.sgn(sx) + 1 / sx))


def i0(input, *, out=None):
    """Matches `torch.special.i0` (= torch.i0)."""
    return _out(_unary(input, "i0", lambda a: _sc(a).i0(a), I0Backward0), out)


def i0e(input, *, out=None):
    """Matches `torch.special.i0e`."""
    return _out(_unary(input, "i0e", lambda a: _sc(a).i0e(a), SpecialI0EBackward0, save_out=True), out)


def i1(input, *, out=None):
    """Matches `torch.special.i1`."""
    return _out(_unary(input, "i1", lambda a: _sc(a).i1(a), SpecialI1Backward0, save_out=True), out)


def i1e(input, *, out=None):
    """Matches `torch.special.i1e`."""
    return _out(_unary(input, "i1e", lambda a: _sc(a).i1e(a), SpecialI1EBackward0, save_out=True), out)


def _nograd(name, fn):
    """A function torch defines without a derivative: the result never requires grad."""

    def f(input, *, out=None):
        return _out(_unary(input, name, fn), out)

    f.__name__ = name
    f.__doc__ = f"Matches `torch.special.{name}` (not differentiable, as in torch)."
    return f


def _spherical_j0(a):
    xp = xp_of(a)
    with np.errstate(all="ignore"):
        r = xp.sin(a) / a
    return xp.where(a == 0, 1.0, xp.where(xp.isinf(a), 0.0, r))


bessel_j0 = _nograd("bessel_j0", lambda a: _sc(a).j0(a))
bessel_j1 = _nograd("bessel_j1", lambda a: _sc(a).j1(a))
bessel_y0 = _nograd("bessel_y0", lambda a: _sc(a).y0(a))
bessel_y1 = _nograd("bessel_y1", lambda a: _sc(a).y1(a))
modified_bessel_i0 = _nograd("modified_bessel_i0", lambda a: _sc(a).i0(a))
modified_bessel_i1 = _nograd("modified_bessel_i1", lambda a: _sc(a).i1(a))
modified_bessel_k0 = _nograd("modified_bessel_k0", lambda a: _sc(a).k0(a))
modified_bessel_k1 = _nograd("modified_bessel_k1", lambda a: _sc(a).k1(a))
scaled_modified_bessel_k0 = _nograd("scaled_modified_bessel_k0", lambda a: _sc(a).k0e(a))
scaled_modified_bessel_k1 = _nograd("scaled_modified_bessel_k1", lambda a: _sc(a).k1e(a))
spherical_bessel_j0 = _nograd("spherical_bessel_j0", _spherical_j0)
airy_ai = _nograd("airy_ai", lambda a: _on_host(lambda h: _sc(h).airy(h)[0], a))  # cupyx has no airy


# -- sinc, entr, xlog1py, zeta --------------------------------------------------------------------


class SincBackward0(Node):
    def backward(self, g):
        x, _ = self.saved
        px = x * math.pi
        d = g * (_P.cos(px) * px - _P.sin(px)) / (px * x)  # 0/0 at x == 0, masked as torch does
        return _P._where(x._data == 0, 0.0, d)


def _sinc_fn(a):
    p = a * a.dtype.type(math.pi)
    xp = xp_of(a)
    with np.errstate(all="ignore"):
        r = xp.sin(p) / p
    return xp.where(a == 0, a.dtype.type(1), r)


def sinc(input, *, out=None):
    """Matches `torch.special.sinc` (= torch.sinc): sin(pi x) / (pi x), 1 at 0."""
    return _out(_unary(input, "sinc", _sinc_fn, SincBackward0), out)


class SpecialEntrBackward0(Node):
    def backward(self, g):
        x, _ = self.saved
        return g * (-(1 + _P.log(x)))


def entr(input, *, out=None):
    """Matches `torch.special.entr`: -x log x (0 at 0, -inf below 0)."""
    return _out(_unary(input, "entr", lambda a: _sc(a).entr(a), SpecialEntrBackward0), out)


class SpecialXlog1PyBackward0(Node):
    def backward(self, g):
        x, y = self.saved
        sx, sy = self.scalars
        gx = gy = None
        if self.needs(0):
            yy = y if y is not None else sy
            gx = xlog1py(g, yy)
            if y is not None:
                bad = (x._data == 0) & (y._data <= -1)
                if bad.any():
                    gx = _P._where(bad, 0.0, gx)
            elif sy <= -1:
                gx = _P._where(x._data == 0, 0.0, gx)
        if self.needs(1):
            xx = x if x is not None else sx
            gy = g * xx / (y + 1)
        return gx, gy


class SpecialXlog1PyBackward1(SpecialXlog1PyBackward0):
    """xlog1py(Python scalar, tensor)."""


class SpecialXlog1PyBackward2(SpecialXlog1PyBackward0):
    """xlog1py(tensor, Python scalar)."""


def _xlog1py_fn(x, y):
    r = _sc(x).xlog1py(x, y)
    xp = xp_of(x)
    return xp.where(xp.isnan(y), np.nan, r)


def xlog1py(input, other, *, out=None):
    """Matches `torch.special.xlog1py`: x * log1p(y), 0 where x == 0 (unless y is NaN)."""
    node = SpecialXlog1PyBackward0
    if not isinstance(input, Tensor):
        node = SpecialXlog1PyBackward1
    elif not isinstance(other, Tensor):
        node = SpecialXlog1PyBackward2
    return _out(_binary(input, other, "xlog1py", _xlog1py_fn, node), out)


class SpecialZetaBackward0(Node):
    def backward(self, g):
        if self.needs(0):
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        x, q = self.saved
        x = _operand(x, self.scalars[0], g)
        return None, g * -x * zeta(x + 1.0, q)


def zeta(input, other, *, out=None):
    """Matches `torch.special.zeta`: the Hurwitz zeta function."""
    return _out(_binary(input, other, "zeta", lambda x, q: _sc(x).zeta(x, q), SpecialZetaBackward0), out)


def _out(res, out):
    if out is None:
        return res
    from ._ops.arith import _out as arith_out  # noqa: PLC0415

    return arith_out(res, out)

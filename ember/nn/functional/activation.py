"""Activation functions and the softmax family (torch.nn.functional.*).

Each common activation is one fused NumPy forward plus a graph node named as torch names it. Backward
formulas are written in ember ops so that double backward works; when grad mode is off in the engine
(no create_graph), the hot ones take a NumPy fast path that computes the same formula on arrays.
"""

import math
import warnings

import numpy as np

from ... import _dtype as D
from ... import _ops as O
from ..._autocast import AUTOCAST, autocast_call
from ..._backend import to_device, xp_of
from ..._ops._core import GRAD, Node, Tensor, arr, attach, make, scalar_type_name
from ..._ops._core import inplace as _write_inplace
from ...cuda import _fused

__all__ = [
    "softmax",
    "log_softmax",
    "softmin",
    "gumbel_softmax",
    "threshold",
    "threshold_",
    "relu",
    "relu_",
    "relu6",
    "hardtanh",
    "hardtanh_",
    "leaky_relu",
    "leaky_relu_",
    "prelu",
    "rrelu",
    "rrelu_",
    "elu",
    "elu_",
    "selu",
    "selu_",
    "celu",
    "celu_",
    "gelu",
    "silu",
    "mish",
    "sigmoid",
    "tanh",
    "hardsigmoid",
    "hardswish",
    "softplus",
    "softsign",
    "softshrink",
    "hardshrink",
    "tanhshrink",
    "logsigmoid",
    "glu",
]

_F32 = np.dtype(np.float32)
_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_K = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _erf_fn():
    from scipy.special import erf  # noqa: PLC0415

    return erf


def _expit_fn():
    from scipy.special import expit  # noqa: PLC0415

    return expit


_erf = None
_expit = None


def _np_erf(x):
    global _erf
    if _erf is None:
        _erf = _erf_fn()
    return _erf(x)


def _np_sigmoid(x):
    global _expit
    if _expit is None:
        _expit = _expit_fn()
    return _expit(x)


# -- helpers --------------------------------------------------------------------------------


def _tensor_arg(input, opname):
    if not isinstance(input, Tensor):
        raise TypeError(f"{opname}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return input._data


def _float_only(d, kernel):
    if d.dtype.kind not in "fV":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{scalar_type_name(D.FROM_NP[d.dtype])}'")


def _compute(fn, d, *args):
    """fn(d, *args) without NumPy warnings; half and bfloat16 compute in float32 and round, as torch does."""
    with np.errstate(all="ignore"):
        if d.dtype.itemsize == 2 and d.dtype.kind in "fV":
            return arr(fn(d.astype(_F32), *args)).astype(d.dtype)
        return arr(fn(d, *args))


def _compute2(fn, g, s, *args):
    with np.errstate(all="ignore"):
        if g.dtype.itemsize == 2 and g.dtype.kind in "fV":
            return arr(fn(g.astype(_F32), s.astype(_F32), *args)).astype(g.dtype)
        return arr(fn(g, s, *args))


class _PointwiseBackward(Node):
    """Backward of a one-input pointwise op. Subclasses give `np_grad(g, s, *args)` on arrays (fast path)
    and/or `grad(g, s, *args)` on tensors (differentiable); `s` is the saved input (or output)."""

    np_grad = None
    xp_grad = False  # np_grad uses only what NumPy and CuPy share, so it serves CuPy arrays too

    def backward(self, g):
        (s,) = self.saved
        if self.np_grad is not None and not GRAD.enabled and (self.xp_grad or type(g._data) is np.ndarray):
            return make(_compute2(self.np_grad, g._data, s._data, *self.args))
        return self.grad(g, s, *self.args)


def _pointwise(input, fwd, node_cls, args, opname, kernel, inplace_=False, save_out=False, float_only=True):
    d = _tensor_arg(input, opname)
    if float_only:
        _float_only(d, kernel)
    r = _compute(fwd, d, *args)
    if inplace_:
        node = None
        if GRAD.enabled and input._requires_grad:
            node = node_cls()
            node.args = args
            if not save_out:
                node.save(input)
        _write_inplace(input, r, node, (input,), opname + "_")
        if node is not None and save_out:
            node.save(input)
        return input
    out = make(r)
    if GRAD.enabled and input._requires_grad:
        node = node_cls()
        node.args = args
        attach(out, node, (input,))
        node.save(out if save_out else input)
    return out


def _mask(cond, like):
    """A constant tensor of `like`'s dtype from a bool tensor."""
    return cond.to(like.dtype)


def wrap_dim(dim, ndim):
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


class _ZeroLinkBackward(Node):
    """Second-order history of a masked gradient: the gradient w.r.t. the saved tensor is zero, as torch's."""

    def backward(self, g):
        (s,) = self.saved
        return g if self.needs(0) else None, O.zeros_like(s) if self.needs(1) else None


def _link(out, s):
    """`out` (a first-order gradient) with a zero-gradient edge to `s`, so that grad-of-grad sees s as used."""
    if not s._requires_grad:
        return out
    res = make(out._data)
    node = _ZeroLinkBackward()
    attach(res, node, (out, s))
    node.save(s)
    return res


# -- softmax family -------------------------------------------------------------------------


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def _np_softmax(x, dim):
    e = x - x.max(axis=dim, keepdims=True)
    np.exp(e, out=e)
    e /= e.sum(axis=dim, keepdims=True)
    return e


def _np_log_softmax(x, dim):
    s = x - x.max(axis=dim, keepdims=True)
    lse = np.log(np.exp(s).sum(axis=dim, keepdims=True))
    s -= lse
    return s


def _fused_softmax_bwd(g, y, dim, log):
    """The fused CUDA backward of softmax/log_softmax over the last dim, or None where it does not apply."""
    gd, yd = g._data, y._data
    if GRAD.enabled or not _fused.usable(yd) or dim != yd.ndim - 1 or gd.dtype != yd.dtype or not yd.flags.c_contiguous:
        return None
    return make(_fused.softmax_bwd(xp_of(gd).ascontiguousarray(gd), yd, log))


class SoftmaxBackward0(Node):
    def backward(self, g):
        (y,) = self.saved
        dim = self.dim
        r = _fused_softmax_bwd(g, y, dim, False)
        if r is not None:
            return r
        if not GRAD.enabled and type(g._data) is np.ndarray:
            gd, yd = g._data, y._data
            if gd.dtype.itemsize == 2:
                gd, yd = gd.astype(_F32), yd.astype(_F32)
            gy = gd * yd
            r = gy - yd * gy.sum(axis=dim if gd.ndim else None, keepdims=True)
            return make(np.asarray(r).astype(g._data.dtype, copy=False))
        gy = g * y
        return gy - y * gy.sum(dim, keepdim=True)


class LogSoftmaxBackward0(Node):
    def backward(self, g):
        (y,) = self.saved
        dim = self.dim
        r = _fused_softmax_bwd(g, y, dim, True)
        if r is not None:
            return r
        if not GRAD.enabled and type(g._data) is np.ndarray:
            gd, yd = g._data, y._data
            if gd.dtype.itemsize == 2:
                gd, yd = gd.astype(_F32), yd.astype(_F32)
            with np.errstate(all="ignore"):
                r = gd - np.exp(yd) * gd.sum(axis=dim if gd.ndim else None, keepdims=True)
            return make(np.asarray(r).astype(g._data.dtype, copy=False))
        return g - O.exp(y) * g.sum(dim, keepdim=True)


def _softmax_impl(input, dim, dtype, fwd, node_cls, kernel, name, stacklevel):
    d = _tensor_arg(input, name)
    if dim is None:
        dim = _softmax_dim(name, d.ndim, stacklevel + 1)
    if dtype is not None:
        input = input.to(dtype)
        d = input._data
    dim = wrap_dim(dim, d.ndim)
    _float_only(d, kernel)
    if d.ndim == 0:
        r = _compute(lambda x, _: fwd(x.reshape(1), 0).reshape(()), d, dim)
    elif d.size == 0:
        r = d.copy()
    elif dim == d.ndim - 1 and _fused.usable(d):
        r = _fused.softmax_fwd(xp_of(d).ascontiguousarray(d), fwd is _np_log_softmax)
    else:
        r = _compute(fwd, d, dim)
    out = make(r)
    if GRAD.enabled and input._requires_grad:
        node = node_cls()
        node.dim = dim if d.ndim else 0
        attach(out, node, (input,))
        node.save(out)
    return out


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Matches `torch.nn.functional.softmax`."""
    if AUTOCAST.on:
        return autocast_call("softmax", softmax, (input, dim, _stacklevel), {"dtype": dtype})
    return _softmax_impl(input, dim, dtype, _np_softmax, SoftmaxBackward0, _softmax_kernel(input, dim), "softmax", 3)


def _softmax_kernel(input, dim):
    if isinstance(input, Tensor) and dim is not None and input.ndim and wrap_dim(dim, input.ndim) == input.ndim - 1:
        return "softmax_lastdim_kernel_impl"
    return "softmax_kernel_impl"


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Matches `torch.nn.functional.log_softmax`."""
    if AUTOCAST.on:
        return autocast_call("log_softmax", log_softmax, (input, dim, _stacklevel), {"dtype": dtype})
    kernel = _softmax_kernel(input, dim).replace("softmax", "log_softmax")
    return _softmax_impl(input, dim, dtype, _np_log_softmax, LogSoftmaxBackward0, kernel, "log_softmax", 3)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """Matches `torch.nn.functional.softmin`."""
    if AUTOCAST.on:  # torch: softmax(-input), autocast as softmax
        return autocast_call("softmax", softmin, (input, dim, _stacklevel), {"dtype": dtype})
    d = _tensor_arg(input, "softmin")
    if dim is None:
        dim = _softmax_dim("softmin", d.ndim, 3)
    if dtype is not None:
        input = input.to(dtype)
    return softmax(-input, dim)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """Matches `torch.nn.functional.gumbel_softmax`."""
    gumbels = -O.empty_like(logits).exponential_().log()
    y_soft = softmax((logits + gumbels) / tau, dim)
    if hard:
        index = y_soft.max(dim, keepdim=True)[1]
        y_hard = O.zeros_like(logits).scatter_(dim, index, 1.0)
        return y_hard - y_soft.detach() + y_soft
    return y_soft


# -- relu family ----------------------------------------------------------------------------


class ReluBackward0(_PointwiseBackward):
    # torch's threshold_backward: 0 where the output is <= 0, whatever the gradient (an inf or NaN there gives
    # 0, not NaN), the gradient elsewhere (a NaN output passes it)
    xp_grad = True

    @staticmethod
    def np_grad(g, r):
        if type(g) is np.ndarray and g.dtype.kind == "f" and g.dtype.itemsize in (4, 8):
            # NumPy's where is ~7x a multiply; clearing the bits where out <= 0 is exact and ~1.3x
            it = np.int32 if g.dtype.itemsize == 4 else np.int64
            keep = np.less_equal(r, 0).astype(it)
            keep -= 1  # 0 where the output is <= 0, all ones elsewhere
            return np.bitwise_and(g.view(it), keep).view(g.dtype)
        if (
            _fused.usable(g)
            and g.dtype == r.dtype
            and g.shape == r.shape
            and g.flags.c_contiguous
            and r.flags.c_contiguous
        ):
            return _fused.relu_bwd(g, r)  # one launch (CuPy's where takes a comparison launch first)
        return np.where(r <= 0, g.dtype.type(0), g)

    @staticmethod
    def grad(g, r):
        return _link(O.where(r <= 0, 0.0, g), r)


def _relu_np(x):
    if x.dtype.kind == "b":
        return x.copy()
    if _fused.usable(x) and x.flags.c_contiguous:
        return _fused.relu(x)
    return np.maximum(x, 0)


def relu(input, inplace=False):
    """Matches `torch.nn.functional.relu`."""
    return _pointwise(input, _relu_np, ReluBackward0, (), "relu", "relu", inplace, save_out=True, float_only=False)


def relu_(input):
    return relu(input, inplace=True)


class ThresholdBackward0(_PointwiseBackward):
    @staticmethod
    def np_grad(g, x, th, v):
        return g * (x > th)

    @staticmethod
    def grad(g, x, th, v):
        return _link(g * _mask(x > th, g), x)


def _threshold_np(x, th, v):
    return np.where(x > th, x, x.dtype.type(v))


def threshold(input, threshold, value, inplace=False):
    """Matches `torch.nn.functional.threshold`."""
    return _pointwise(
        input,
        _threshold_np,
        ThresholdBackward0,
        (threshold, value),
        "threshold",
        "threshold_cpu",
        inplace,
        float_only=False,
    )


def threshold_(input, threshold, value):
    return _pointwise(
        input,
        _threshold_np,
        ThresholdBackward0,
        (threshold, value),
        "threshold",
        "threshold_cpu",
        True,
        float_only=False,
    )


class HardtanhBackward0(_PointwiseBackward):
    @staticmethod
    def np_grad(g, x, lo, hi):
        return g * ((x > lo) & (x < hi))

    @staticmethod
    def grad(g, x, lo, hi):
        return _link(g * _mask((x > lo).logical_and(x < hi), g), x)


def _hardtanh_np(x, lo, hi):
    if x.dtype.kind in "iu":
        return np.clip(x, int(lo) if lo == int(lo) else lo, hi).astype(x.dtype)
    return np.clip(x, lo, hi)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """Matches `torch.nn.functional.hardtanh`."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    _tensor_arg(input, "hardtanh")
    if input._data.dtype.kind == "b":
        raise NotImplementedError("\"clamp_scalar_cpu\" not implemented for 'Bool'")
    return _pointwise(
        input, _hardtanh_np, HardtanhBackward0, (min_val, max_val), "hardtanh", "hardtanh", inplace, float_only=False
    )


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    """Matches `torch.nn.functional.relu6`."""
    return hardtanh(input, 0.0, 6.0, inplace)


class LeakyReluBackward0(_PointwiseBackward):
    @staticmethod
    def np_grad(g, x, slope):
        return np.where(x > 0, g, g * slope)

    @staticmethod
    def grad(g, x, slope):
        return _link(O.where(x > 0, g, g * slope), x)


def _leaky_np(x, slope):
    return np.where(x > 0, x, x * slope)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """Matches `torch.nn.functional.leaky_relu`."""
    return _pointwise(input, _leaky_np, LeakyReluBackward0, (negative_slope,), "leaky_relu", "leaky_relu_cpu", inplace)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


class PreluKernelBackward0(Node):
    def backward(self, g):
        x, w = self.saved
        wb = w.reshape(self.wshape)
        pos = x > 0
        gx = O.where(pos, g, g * wb) if self.needs(0) else None
        gw = None
        if self.needs(1):
            gwf = O.where(pos, O.zeros_like(g), g * x)
            if w.numel() == 1:
                gw = gwf.sum().reshape(w.shape)
            else:
                gw = gwf.sum([i for i in range(gwf.ndim) if i != 1]).reshape(w.shape)
        return gx, gw


def prelu(input, weight):
    """Matches `torch.nn.functional.prelu`."""
    if AUTOCAST.on:
        return autocast_call("prelu", prelu, (input, weight), {})
    d = _tensor_arg(input, "prelu")
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu(): argument 'weight' (position 2) must be Tensor, not {type(weight).__name__}")
    _float_only(d, "prelu_cpu")
    w = weight._data
    if w.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {w.ndim}")
    n = w.size
    wshape = w.shape
    if n != 1:
        if d.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        ch = d.shape[1] if d.ndim >= 2 else 1
        if ch != n:
            raise RuntimeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter numbers = {n} and channel "
                f"size = {ch}."
            )
        wshape = (1, n) + (1,) * (d.ndim - 2)
    else:
        wshape = (1,) * d.ndim
    wa = w.reshape(wshape).astype(d.dtype, copy=False)
    r = _compute(lambda x, ww: np.where(x > 0, x, x * ww), d, wa)
    out = make(r)
    if GRAD.enabled and (input._requires_grad or weight._requires_grad):
        node = PreluKernelBackward0()
        node.wshape = wshape
        node.save(input, weight)
        attach(out, node, (input, weight))
    return out


class RreluWithNoiseBackward0(_PointwiseBackward):
    @staticmethod
    def np_grad(g, noise):
        return g * noise

    @staticmethod
    def grad(g, noise):
        return g * noise


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Matches `torch.nn.functional.rrelu`: random negative slopes from ember's generator in training."""
    d = _tensor_arg(input, "rrelu")
    _float_only(d, "rrelu_with_noise_cpu")
    if lower > upper:
        raise RuntimeError(
            f"Lower bound should be less than or equal to the upper bound, but got lower={lower} and upper={upper}"
        )
    if training:
        neg = d <= 0
        k = int(neg.sum())
        noise = xp_of(d).ones(d.shape, dtype=d.dtype if d.dtype.itemsize > 2 else _F32)
        if k:
            draws = O.empty(k, dtype=D.float64).uniform_(lower, upper)._data
            if type(d) is not np.ndarray:
                draws = to_device(draws, input.device)
            noise[neg] = draws.astype(noise.dtype)
    else:
        slope = (lower + upper) / 2
        noise = xp_of(d).where(d > 0, 1.0, slope).astype(d.dtype if d.dtype.itemsize > 2 else _F32)
    nt = make(noise)
    r = _compute(lambda x, nz: x * nz, d, noise)
    if inplace:
        node = None
        if GRAD.enabled and input._requires_grad:
            node = RreluWithNoiseBackward0()
            node.args = ()
            node.save(nt)
        return _write_inplace(input, r, node, (input,), "rrelu_")
    out = make(r)
    if GRAD.enabled and input._requires_grad:
        node = RreluWithNoiseBackward0()
        node.args = ()
        attach(out, node, (input,))
        node.save(nt)
    return out


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


# -- elu family -----------------------------------------------------------------------------


class _EluLike(_PointwiseBackward):
    @staticmethod
    def np_grad(g, x, alpha, scale, iscale):
        return np.where(x > 0, g * scale, g * (scale * alpha * iscale) * np.exp(x * iscale))

    @staticmethod
    def grad(g, x, alpha, scale, iscale):
        return O.where(x > 0, g * scale, g * (scale * alpha * iscale) * O.exp(x * iscale))


class EluBackward0(_EluLike):
    pass


class CeluBackward0(_EluLike):
    pass


def _elu_np(x, alpha, scale, iscale):
    return np.where(x > 0, x * scale, (scale * alpha) * np.expm1(x * iscale))


def elu(input, alpha=1.0, inplace=False):
    """Matches `torch.nn.functional.elu`."""
    return _pointwise(input, _elu_np, EluBackward0, (alpha, 1.0, 1.0), "elu", "elu_cpu", inplace)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


def selu(input, inplace=False):
    """Matches `torch.nn.functional.selu`."""
    return _pointwise(input, _elu_np, EluBackward0, (_SELU_ALPHA, _SELU_SCALE, 1.0), "selu", "elu_cpu", inplace)


def selu_(input):
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    """Matches `torch.nn.functional.celu`."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _pointwise(input, _elu_np, CeluBackward0, (alpha, 1.0, 1.0 / alpha), "celu", "elu_cpu", inplace)


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


# -- smooth activations ---------------------------------------------------------------------


class GeluBackward0(_PointwiseBackward):
    dg = None  # d gelu / dx from the fused float32 forward (plain backward then costs one multiply)

    def backward(self, g):
        dg = self.dg
        if dg is not None and not GRAD.enabled and type(g._data) is type(dg):
            (_x,) = self.saved  # torch's check that the input was not modified in place
            gd = g._data
            if gd.dtype == dg.dtype:
                return make(np.multiply(gd, dg))
            return make((gd.astype(_F32) * dg).astype(gd.dtype))
        return _PointwiseBackward.backward(self, g)

    def _release_extra(self):
        self.dg = None

    @staticmethod
    def np_grad(g, x, approx):
        if approx == "tanh":
            x2 = x * x
            t = np.tanh(_GELU_K * (x + _GELU_C * x2 * x))
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _GELU_K * (1 + 3 * _GELU_C * x2))
        if x.dtype is _F32:
            return g * _gelu_f32(x, True)[1]
        cdf = 0.5 * (1 + _np_erf(x * _SQRT1_2))
        pdf = np.exp(-0.5 * x * x) * _INV_SQRT_2PI
        return g * (cdf + x * pdf)

    @staticmethod
    def grad(g, x, approx):
        if approx == "tanh":
            x2 = x * x
            t = O.tanh(_GELU_K * (x + _GELU_C * x2 * x))
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _GELU_K * (1 + 3 * _GELU_C * x2))
        cdf = 0.5 * (1 + O.erf(x * _SQRT1_2))
        pdf = O.exp(-0.5 * x * x) * _INV_SQRT_2PI
        return g * (cdf + x * pdf)


# erf as torch's vectorized float kernel computes it (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7):
# erf(|u|) = 1 - (((((A5 t + A4) t + A3) t + A2) t + A1) t) exp(-u^2), t = 1 / (1 + P |u|); _AS_A holds A/2
# and _AS_PS = P / sqrt(2), so that u = x / sqrt(2) and the polynomial gives 1 - cdf(|x|) directly.
_AS_A = tuple(np.float32(0.5 * c) for c in (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429))
_AS_PS = np.float32(0.3275911 * _SQRT1_2)
_F32_INV_SQRT_2PI = np.float32(_INV_SQRT_2PI)


def _gelu_f32(x, want_grad):
    """gelu(x) = x cdf(x) for a float32 array and, if `want_grad`, its derivative cdf(x) + x pdf(x): ~25
    in-place NumPy passes over three fresh buffers, two of which become the results (SciPy's erf is ~50x
    slower). The tail q = 1 - cdf(|x|) is computed directly, so cdf(x) = q for negative x loses no bits to
    cancellation; the sign goes in by a multiply with the mask x >= 0 (a select on a random-sign mask is
    slower than all the rest)."""
    one = _F32.type(1)
    with np.errstate(all="ignore"):
        t = np.abs(x)
        t *= _AS_PS
        t += one
        np.divide(one, t, out=t)
        e = np.multiply(x, x)
        e *= _F32.type(-0.5)
        np.exp(e, out=e)  # exp(-x^2 / 2)
        a1, a2, a3, a4, a5 = _AS_A
        q = np.multiply(t, a5)
        q += a4
        q *= t
        q += a3
        q *= t
        q += a2
        q *= t
        q += a1
        q *= t
        q *= e  # q = 1 - cdf(|x|) = (1 - erf(|x| / sqrt(2))) / 2 (_AS_A holds the 1/2)
        cdf = np.multiply(q, _F32.type(-2), out=t)
        cdf += one
        cdf *= x >= 0
        cdf += q  # q where x < 0, 1 - q elsewhere
        q = None
        dg = None
        if want_grad:
            dg = e
            dg *= x
            dg *= _F32_INV_SQRT_2PI
            dg += cdf
        cdf *= x
    return cdf, dg


def _gelu_np(x, approx):
    if approx == "tanh":
        return 0.5 * x * (1 + np.tanh(_GELU_K * (x + _GELU_C * x * x * x)))
    if x.dtype is _F32:
        return _gelu_f32(x, False)[0]
    return 0.5 * x * (1 + _np_erf(x * _SQRT1_2))


def _gelu_out(input, y, dg, approximate):
    """gelu's result from a fused forward; dg (the derivative, None without grad) goes on the node."""
    out = make(y)
    if dg is not None:
        node = GeluBackward0()
        node.args = (approximate,)
        node.dg = dg
        attach(out, node, (input,))
        node.save(input)
    return out


def gelu(input, approximate="none"):
    """Matches `torch.nn.functional.gelu`."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    if isinstance(input, Tensor):
        d = input._data
        need = GRAD.enabled and input._requires_grad
        if approximate == "none" and type(d) is np.ndarray and d.dtype.kind in "fV" and d.dtype.itemsize <= 4:
            # float32 (half and bfloat16 compute in float32 and round, as torch does)
            y, dg = _gelu_f32(d if d.dtype is _F32 else d.astype(_F32), need)
            return _gelu_out(input, y if d.dtype is _F32 else y.astype(d.dtype), dg, approximate)
        if _fused.usable(d):
            y, dg = _fused.gelu_fwd(xp_of(d).ascontiguousarray(d), approximate, need)
            return _gelu_out(input, y, dg, approximate)
    return _pointwise(input, _gelu_np, GeluBackward0, (approximate,), "gelu", "GeluKernelImpl")


class SiluBackward0(_PointwiseBackward):
    @staticmethod
    def np_grad(g, x):
        s = _np_sigmoid(x)
        return g * s * (1 + x * (1 - s))

    @staticmethod
    def grad(g, x):
        s = O.sigmoid(x)
        return g * s * (1 + x * (1 - s))


def _silu_np(x):
    return x * _np_sigmoid(x)


def silu(input, inplace=False):
    """Matches `torch.nn.functional.silu`."""
    return _pointwise(input, _silu_np, SiluBackward0, (), "silu", "silu_cpu", inplace)


def _softplus_np1(x):
    return np.logaddexp(x, 0)


class MishBackward0(_PointwiseBackward):
    @staticmethod
    def np_grad(g, x):
        t = np.tanh(_softplus_np1(x))
        return g * (t + x * _np_sigmoid(x) * (1 - t * t))

    @staticmethod
    def grad(g, x):
        t = O.tanh(softplus(x))
        return g * (t + x * O.sigmoid(x) * (1 - t * t))


def mish(input, inplace=False):
    """Matches `torch.nn.functional.mish`."""
    return _pointwise(input, lambda x: x * np.tanh(_softplus_np1(x)), MishBackward0, (), "mish", "mish_cpu", inplace)


class SoftplusBackward0(_PointwiseBackward):
    @staticmethod
    def np_grad(g, x, beta, th):
        xb = x * beta
        return np.where(xb > th, g, g * _np_sigmoid(xb))

    @staticmethod
    def grad(g, x, beta, th):
        xb = x * beta
        return O.where(xb > th, g, g * O.sigmoid(xb))


def _softplus_np(x, beta, th):
    xb = x * beta
    return np.where(xb > th, x, np.log1p(np.exp(xb)) / beta)


def softplus(input, beta=1.0, threshold=20.0):
    """Matches `torch.nn.functional.softplus`."""
    if AUTOCAST.on:
        return autocast_call("softplus", softplus, (input, beta, threshold), {})
    return _pointwise(input, _softplus_np, SoftplusBackward0, (beta, threshold), "softplus", "softplus_cpu")


def sigmoid(input):
    """Matches `torch.nn.functional.sigmoid`."""
    return O.sigmoid(input)


def tanh(input):
    """Matches `torch.nn.functional.tanh`."""
    return O.tanh(input)


class HardsigmoidBackward0(_PointwiseBackward):
    @staticmethod
    def np_grad(g, x):
        return g * (((x > -3) & (x < 3)) / 6).astype(g.dtype)

    @staticmethod
    def grad(g, x):
        return _link(g * _mask((x > -3).logical_and(x < 3), g) / 6, x)


def hardsigmoid(input, inplace=False):
    """Matches `torch.nn.functional.hardsigmoid`."""
    return _pointwise(
        input, lambda x: np.clip(x / 6 + 0.5, 0, 1), HardsigmoidBackward0, (), "hardsigmoid", "hardsigmoid_cpu", inplace
    )


class HardswishBackward0(_PointwiseBackward):
    @staticmethod
    def np_grad(g, x):
        return np.where(x < -3, 0, np.where(x <= 3, g * (x / 3 + 0.5), g)).astype(g.dtype, copy=False)

    @staticmethod
    def grad(g, x):
        return O.where(x < -3, O.zeros_like(g), O.where(x <= 3, g * (x / 3 + 0.5), g))


def hardswish(input, inplace=False):
    """Matches `torch.nn.functional.hardswish`."""
    return _pointwise(
        input, lambda x: x * np.clip(x + 3, 0, 6) / 6, HardswishBackward0, (), "hardswish", "hardswish_cpu", inplace
    )


class LogSigmoidBackward0(_PointwiseBackward):
    @staticmethod
    def np_grad(g, x):
        return g * _np_sigmoid(-x)

    @staticmethod
    def grad(g, x):
        return g * O.sigmoid(-x)


def logsigmoid(input):
    """Matches `torch.nn.functional.logsigmoid`."""
    return _pointwise(
        input,
        lambda x: np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))),
        LogSigmoidBackward0,
        (),
        "log_sigmoid_forward",
        "log_sigmoid_cpu",
    )


# -- shrinkage ------------------------------------------------------------------------------


def _check_lambd(lambd, d, opname):
    if lambd < 0:
        dt = D.FROM_NP[d.dtype]
        mx = float(np.finfo(np.float32).max) if d.dtype.kind == "V" else float(np.finfo(d.dtype).max)
        raise RuntimeError(
            f"lambda must be in range [0, {mx:.6g}] for input dtype {scalar_type_name(dt)}, but found {lambd:.6g}"
        )


class SoftshrinkBackward0(_PointwiseBackward):
    @staticmethod
    def np_grad(g, x, lambd):
        return g * ((x > lambd) | (x < -lambd))

    @staticmethod
    def grad(g, x, lambd):
        return _link(g * _mask((x > lambd).logical_or(x < -lambd), g), x)


class HardshrinkBackward0(SoftshrinkBackward0):
    pass


def softshrink(input, lambd=0.5):
    """Matches `torch.nn.functional.softshrink`."""
    d = _tensor_arg(input, "softshrink")
    _check_lambd(lambd, d, "softshrink")
    return _pointwise(
        input,
        lambda x, l: np.where(x > l, x - l, np.where(x < -l, x + l, 0)).astype(x.dtype),
        SoftshrinkBackward0,
        (lambd,),
        "softshrink",
        "softshrink_cpu",
    )


def hardshrink(input, lambd=0.5):
    """Matches `torch.nn.functional.hardshrink`."""
    return _pointwise(
        input,
        lambda x, l: np.where((x >= -l) & (x <= l), 0, x).astype(x.dtype),
        HardshrinkBackward0,
        (lambd,),
        "hardshrink",
        "hardshrink_cpu",
    )


def softsign(input):
    """Matches `torch.nn.functional.softsign`."""
    return input / (input.abs() + 1)


def tanhshrink(input):
    """Matches `torch.nn.functional.tanhshrink`."""
    return input - input.tanh()


# -- glu ------------------------------------------------------------------------------------


class GluBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        dim = self.dim
        a, b = x.chunk(2, dim)
        sb = O.sigmoid(b)
        return O.cat([g * sb, g * a * sb * (1 - sb)], dim)


def glu(input, dim=-1):
    """Matches `torch.nn.functional.glu`."""
    d = _tensor_arg(input, "glu")
    if d.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    dim = wrap_dim(dim, d.ndim)
    _float_only(d, "glu_cpu")
    n = d.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {n}")
    h = n // 2

    def fwd(x):
        a = x[(slice(None),) * dim + (slice(0, h),)]
        b = x[(slice(None),) * dim + (slice(h, n),)]
        return a * _np_sigmoid(b)

    out = make(_compute(fwd, d))
    if GRAD.enabled and input._requires_grad:
        node = GluBackward0()
        node.dim = dim
        attach(out, node, (input,))
        node.save(input)
    return out

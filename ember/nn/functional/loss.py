"""Loss functionals, as torch.nn.functional: l1/mse/huber/smooth_l1, cross_entropy, nll_loss, binary cross
entropy (with logits), kl_div, the margin losses, poisson/gaussian NLL and CTC.

The hot losses (cross_entropy, nll_loss, mse_loss, binary_cross_entropy[_with_logits], smooth_l1/huber,
soft_margin) are fused: the forward is one NumPy pass, and a graph node named as torch names it computes
the gradient in NumPy on a plain `.backward()`. With `create_graph=True` the node re-derives its gradient
through an ember-op composite of the same loss, so higher-order gradients are exact. Losses that torch
itself composes from tensor ops (l1_loss, kl_div, hinge/cosine/ranking/triplet, poisson/gaussian NLL...)
are composed from ember ops here too, so their grad_fn names match.
"""

import math
import warnings

import numpy as np

import ember

from ..._backend import to_device, xp_of
from ..._device import CPU
from ..._dtype import result_type_of
from ..._ops._core import GRAD, Node, Tensor, arr, attach, make, scalar_type_name
from ..._ops._core import requires_grad as _rg
from ...cuda import _fused

__all__ = [
    "l1_loss",
    "mse_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "huber_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "multilabel_margin_loss",
    "multi_margin_loss",
    "cosine_embedding_loss",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "ctc_loss",
]

_NONE, _MEAN, _SUM = 0, 1, 2


# -- reductions (torch.nn._reduction) --------------------------------------------------------------------


def _get_enum(reduction):
    if reduction == "none":
        return _NONE
    if reduction == "mean":
        return _MEAN
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.", stacklevel=3)
        return _MEAN
    if reduction == "sum":
        return _SUM
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _legacy_get_string(size_average, reduce, emit_warning=True):
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    if emit_warning:
        warnings.warn(
            f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.", stacklevel=3
        )
    return ret


def _red(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        reduction = _legacy_get_string(size_average, reduce)
    return _get_enum(reduction)


def _reduce_t(loss, red):
    if red == _MEAN:
        return loss.mean()
    if red == _SUM:
        return loss.sum()
    return loss


def _np_reduce(loss, red):
    if red == _NONE:
        return loss
    s = loss.sum(dtype=loss.dtype)
    if red == _SUM:
        return arr(s)
    if not loss.size:
        return xp_of(loss).asarray(float("nan"), dtype=loss.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return arr(s / loss.size)


def _np_grad_scale(g, red, n):
    """The upstream gradient of each element of an unreduced loss of n elements."""
    if red == _MEAN:
        return g / n if n else g
    return g


# -- helpers -----------------------------------------------------------------------------------------------


def _sz(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _tsize(t):
    return f"torch.Size({_sz(t.shape)})"


def _float_dtype(*ts):
    return result_type_of(tuple(t for t in ts if t is not None)).np


def _cast(a, dt):
    return a if a.dtype == dt else a.astype(dt)


def _warn_size(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({_tsize(target)}) that is different to the input size ({_tsize(input)}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )


def _broadcast_check(a, b):
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        sa, sb = list(a.shape), list(b.shape)
        for i in range(1, min(len(sa), len(sb)) + 1):
            if sa[-i] != sb[-i] and sa[-i] != 1 and sb[-i] != 1:
                raise RuntimeError(
                    f"The size of tensor a ({sa[-i]}) must match the size of tensor b ({sb[-i]}) at non-singleton "
                    f"dimension {max(len(sa), len(sb)) - i}"
                ) from None
        raise


def _check_float(opname, dt):
    if dt.kind not in "fV":
        raise NotImplementedError(f"\"{opname}\" not implemented for '{scalar_type_name(dt)}'")


def _with_grad(fn, *args):
    prev = GRAD.enabled
    GRAD.enabled = True
    try:
        return fn(*args)
    finally:
        GRAD.enabled = prev


def _composite_grads(node, fn, inputs, g):
    """Gradients of fn(*inputs) for the inputs `node` needs (a graph when create_graph is on)."""
    create = GRAD.enabled
    idx = [i for i in range(len(inputs)) if node.needs(i)]
    y = _with_grad(fn, *inputs)
    gs = ember.autograd.grad(y, [inputs[i] for i in idx], g, create_graph=create, allow_unused=True)
    out = [None] * len(inputs)
    for i, gi in zip(idx, gs):
        out[i] = gi
    return tuple(out)


class _LossNode(Node):
    """A fused loss: `bwd(g_array)` gives NumPy gradients per input (None: use the composite `fn`)."""

    fn = None
    bwd = None

    def backward(self, g):
        ins = self.saved
        if GRAD.enabled or self.bwd is None:
            return _composite_grads(self, self.fn, ins, g)
        res = self.bwd(g._data)
        return tuple(None if r is None or not self.needs(i) else make(r) for i, r in enumerate(res))

    def _release_extra(self):
        self.bwd = None
        self.fn = None


def _finish(out, cls, inputs, fn, bwd):
    if GRAD.enabled and any(_rg(t) for t in inputs):
        node = cls()
        node.fn = fn
        node.bwd = bwd
        node.save(*inputs)
        attach(out, node, inputs)
    return out


def _composite_node(cls, inputs, fn):
    """Forward of the composite fn without a graph, history as one node named `cls`."""
    if GRAD.enabled and any(_rg(t) for t in inputs):
        prev = GRAD.enabled
        GRAD.enabled = False
        try:
            out = fn(*inputs)
        finally:
            GRAD.enabled = prev
        return _finish(make(out._data), cls, inputs, fn, None)
    return fn(*inputs)


def _const(a):
    return make(np.asarray(a))


# -- mse / l1 / smooth_l1 / huber / soft margin ------------------------------------------------------------


class MseLossBackward0(_LossNode):
    pass


class SmoothL1LossBackward0(_LossNode):
    pass


class HuberLossBackward0(_LossNode):
    pass


class SoftMarginLossBackward0(_LossNode):
    pass


def _pointwise_pair(input, target, opname):
    dt = _float_dtype(input, target)
    _broadcast_check(input._data, target._data)
    _check_float(opname, dt)
    return _cast(input._data, dt), _cast(target._data, dt)


def _weighted(loss, weight, red, mean_by_weight):
    if tuple(weight.shape) != tuple(loss.shape):
        raise ValueError("Weights and input must have the same size.")
    w = loss * weight
    if red == _NONE:
        return w
    if red == _SUM:
        return ember.sum(w)
    return ember.sum(w) / ember.sum(weight) if mean_by_weight else w.mean()


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Matches `torch.nn.functional.mse_loss`."""
    _warn_size(input, target)
    red = _red(size_average, reduce, reduction)
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError("Weights and input must have the same size.")
        a, b = ember.broadcast_tensors(input, target)
        return _weighted((a - b) ** 2, weight, red, True)
    x, y = _pointwise_pair(input, target, "mse_cpu")
    d = x - y
    if red == _NONE or d.ndim == 0 or not d.size:
        out = make(_np_reduce(d * d, red))
    else:
        df = d.reshape(-1)
        s = np.dot(df, df)  # BLAS sum of squares, in d's dtype
        out = make(arr(s / d.size if red == _MEAN else s).astype(d.dtype, copy=False))

    def fn(a, b):
        return _reduce_t((a - b) ** 2, red)

    def bwd(g):
        gx = d * (2 * _np_grad_scale(g, red, d.size))
        return gx, (-gx if _rg(target) else None)

    return _finish(out, MseLossBackward0, (input, target), fn, bwd)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Matches `torch.nn.functional.l1_loss`."""
    _warn_size(input, target)
    red = _red(size_average, reduce, reduction)
    _broadcast_check(input._data, target._data)
    a, b = ember.broadcast_tensors(input, target)
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError("Weights and input must have the same size.")
        return _weighted((a - b).abs(), weight, red, True)
    loss = (a - b).abs()
    if red == _MEAN and not loss.dtype.is_floating_point and not loss.dtype.is_complex:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
            f"Got: {scalar_type_name(loss._data.dtype)}"
        )
    return _reduce_t(loss, red)


def _smooth_l1_t(d, beta):
    ad = d.abs()
    return ember.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Matches `torch.nn.functional.smooth_l1_loss`."""
    _warn_size(input, target)
    red = _red(size_average, reduce, reduction)
    if beta == 0.0:
        return l1_loss(input, target, reduction=["none", "mean", "sum"][red])
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    x, y = _pointwise_pair(input, target, "smooth_l1_cpu")
    d = x - y
    ad = np.abs(d)
    # np.where of bfloat16 operands gives float32: keep the input's dtype, as torch does
    out = make(_np_reduce(np.where(ad < beta, (0.5 / beta) * d * d, ad - 0.5 * beta).astype(d.dtype, copy=False), red))

    def fn(a, b):
        return _reduce_t(_smooth_l1_t(a - b, beta), red)

    def bwd(g):
        d = x - y
        gx = (np.clip(d / beta, -1, 1) * _np_grad_scale(g, red, d.size)).astype(d.dtype, copy=False)
        return gx, -gx

    return _finish(out, SmoothL1LossBackward0, (input, target), fn, bwd)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Matches `torch.nn.functional.huber_loss`."""
    _warn_size(input, target)
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError("Weights and input must have the same size.")
        if reduction not in ("none", "mean", "sum"):
            raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
        return _weighted(huber_loss(input, target, "none", delta), weight, _get_enum(reduction), False)
    red = _get_enum(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _broadcast_check(input._data, target._data)
    _check_float("huber_cpu", input._data.dtype)
    x, y = input._data, _cast(target._data, input._data.dtype)
    d = x - y
    ad = np.abs(d)
    out = make(
        _np_reduce(np.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta)).astype(d.dtype, copy=False), red)
    )

    def fn(a, b):
        d = a - b
        ad = d.abs()
        return _reduce_t(ember.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta)), red)

    def bwd(g):
        d = x - y
        gx = (np.clip(d, -delta, delta) * _np_grad_scale(g, red, d.size)).astype(d.dtype, copy=False)
        return gx, -gx

    return _finish(out, HuberLossBackward0, (input, target), fn, bwd)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Matches `torch.nn.functional.soft_margin_loss`."""
    red = _red(size_average, reduce, reduction)
    x, y = _pointwise_pair(input, target, "soft_margin_loss")
    out = make(_np_reduce(np.log1p(np.exp(-y * x)), red))

    def fn(a, b):
        return _reduce_t(ember.log1p(ember.exp(-b * a)), red)

    def bwd(g):
        z = np.exp(-y * x)
        return -y * z / (1 + z) * _np_grad_scale(g, red, z.size), None

    return _finish(out, SoftMarginLossBackward0, (input, target), fn, bwd)


# -- binary cross entropy --------------------------------------------------------------------------------


class BinaryCrossEntropyBackward0(_LossNode):
    pass


class BinaryCrossEntropyWithLogitsBackward0(_LossNode):
    pass


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Matches `torch.nn.functional.binary_cross_entropy`."""
    red = _red(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({_tsize(target)}) that is different to the input size ({_tsize(input)}) is "
            "deprecated. Please ensure they have the same size."
        )
    dt = _float_dtype(input, target)
    _check_float("binary_cross_entropy", dt)
    x, y = _cast(input._data, dt), _cast(target._data, dt)
    w = None
    if weight is not None:
        _broadcast_check(weight._data, y)
        w = _cast(weight._data, dt)
    if not ((x >= 0) & (x <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    if not ((y >= 0) & (y <= 1)).all():
        raise RuntimeError("all elements of target should be between 0 and 1")
    with np.errstate(divide="ignore", invalid="ignore"):
        lx = np.maximum(np.log(x), -100)
        l1x = np.maximum(np.log1p(-x), -100)
    loss = -(y * lx + (1 - y) * l1x)
    if w is not None:
        loss = loss * w
    out = make(_np_reduce(loss, red))

    def fn(a, b):
        la = ember.clamp_min(ember.log(a), -100)
        l1a = ember.clamp_min(ember.log1p(-a), -100)
        lo = -(b * la + (1 - b) * l1a)
        if weight is not None:
            lo = lo * weight
        return _reduce_t(lo, red)

    def bwd(g):
        gs = _np_grad_scale(g, red, x.size)
        if w is not None:
            gs = gs * w
        gx = gy = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if _rg(input):
                gx = (x - y) / np.maximum((1 - x) * x, 1e-12) * gs
            if _rg(target):
                gy = (np.log1p(-x) - np.log(x)) * gs
        return gx, gy

    return _finish(out, BinaryCrossEntropyBackward0, (input, target), fn, bwd)


def _logsigmoid_np(x):
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def _logsigmoid_t(x):
    return ember.clamp_max(x, 0) - ember.log1p(ember.exp(-x.abs()))


def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
):
    """Matches `torch.nn.functional.binary_cross_entropy_with_logits` (stable in the logits)."""
    red = _red(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({_tsize(target)}) must be the same as input size ({_tsize(input)})")
    dt = _float_dtype(input, target)
    _check_float("binary_cross_entropy_with_logits", dt)
    x, y = _cast(input._data, dt), _cast(target._data, dt)
    w = _cast(weight._data, dt) if weight is not None else None
    pw = _cast(pos_weight._data, dt) if pos_weight is not None else None
    ls = _logsigmoid_np(x)
    if pw is not None:
        loss = (1 - y) * x - (1 + (pw - 1) * y) * ls
    else:
        loss = (1 - y) * x - ls
    if w is not None:
        loss = loss * w
    out = make(_np_reduce(loss, red))

    def fn(a, b):
        lsa = _logsigmoid_t(a)
        if pos_weight is not None:
            lo = (1 - b) * a - (1 + (pos_weight - 1) * b) * lsa
        else:
            lo = (1 - b) * a - lsa
        if weight is not None:
            lo = lo * weight
        return _reduce_t(lo, red)

    def bwd(g):
        gs = _np_grad_scale(g, red, loss.size)
        if w is not None:
            gs = gs * w
        gx = gy = None
        if _rg(input):
            sig = np.exp(_logsigmoid_np(x))
            if pw is not None:
                gx = ((1 - y) - (1 + (pw - 1) * y) * (1 - sig)) * gs
            else:
                gx = (sig - y) * gs
        if _rg(target):
            lsx = _logsigmoid_np(x)
            gy = (-x - (pw - 1) * lsx if pw is not None else -x) * gs
        return gx, gy

    return _finish(out, BinaryCrossEntropyWithLogitsBackward0, (input, target), fn, bwd)


# -- nll_loss / cross_entropy --------------------------------------------------------------------------------


class NllLossBackward0(_LossNode):
    pass


class NllLoss2DBackward0(_LossNode):
    pass


class NegBackward0(_LossNode):
    pass


class AddBackward0(_LossNode):
    """cross_entropy with label smoothing: torch's output is (1 - ls) * nll + ls / C * smooth."""


class DivBackward1(_LossNode):
    pass


def _check_weight(weight, C, dim_le2):
    if weight is None:
        return
    if dim_le2:
        if weight.dim() != 1 or weight.numel() != C:
            raise RuntimeError(
                f"weight tensor should be defined either for all {C} classes or no classes but got weight tensor "
                f"of shape: {_sz(weight.shape)}"
            )
    elif weight.numel() != C:
        raise RuntimeError("weight tensor should be defined either for all or no classes")


def _nll_prep(input, target, weight, ignore_index):
    """torch's nll_loss_nd checks; returns (rows (M, C) of the input, flat target, valid mask, C)."""
    x = input._data
    t = target._data
    nd = x.ndim
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    if nd == 1 and t.ndim == 1 and t.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {t.shape[0]}")
    if nd != 1:
        if t.ndim == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        if x.shape[0] != t.shape[0]:
            raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size ({t.shape[0]}).")
    C = x.shape[1] if nd >= 2 else x.shape[0]
    if nd <= 2:
        if t.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if not (nd == 1 and t.ndim == 0) and x.shape[0] != t.shape[0]:
            raise RuntimeError(f"size mismatch (got input: {_sz(x.shape)}, target: {_sz(t.shape)})")
        _check_weight(weight, C, True)
    elif nd == 4:
        if t.ndim != 3:
            raise RuntimeError(
                f"only batches of spatial targets supported (3D tensors) but got targets of dimension: {t.ndim}"
            )
        _check_weight(weight, C, False)
        if t.shape != (x.shape[0],) + x.shape[2:]:
            raise RuntimeError(f"size mismatch (got input: {_sz(x.shape)} , target: {_sz(t.shape)}")
    else:
        if t.shape[1:] != x.shape[2:]:
            raise RuntimeError(f"Expected target size {_sz((x.shape[0],) + x.shape[2:])}, got {_sz(t.shape)}")
        _check_weight(weight, C, False)
    if t.dtype != np.int64 and t.dtype != np.uint8:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {scalar_type_name(t.dtype)}")
    tt = t.reshape(-1)
    if tt.dtype != np.int64:
        tt = tt.astype(np.int64)
    valid = tt != ignore_index
    bad = valid & ((tt < 0) | (tt >= C))
    if bad.any():
        raise IndexError(f"Target {tt[bad][0]} is out of bounds.")
    if not valid.all():
        tt = np.where(valid, tt, 0)
    else:
        valid = None
    return _rows(x), tt, valid, C


def _rows(x):
    if x.ndim == 2:
        return x
    if x.ndim == 1:
        return x.reshape(1, -1)
    n, c = x.shape[0], x.shape[1]
    return xp_of(x).ascontiguousarray(x.reshape(n, c, -1).transpose(0, 2, 1)).reshape(-1, c)


def _unrows(g2, shape):
    if len(shape) == 2:
        return g2
    if len(shape) == 1:
        return g2.reshape(shape)
    n, c = shape[0], shape[1]
    return xp_of(g2).ascontiguousarray(g2.reshape(n, -1, c).transpose(0, 2, 1)).reshape(shape)


def _rows_t(t):
    nd = t.dim()
    if nd == 2:
        return t
    if nd == 1:
        return t.reshape(1, -1)
    n, c = t.shape[0], t.shape[1]
    return t.reshape(n, c, -1).transpose(1, 2).reshape(-1, c)


def _row_weights(tt, valid, w, dt):
    """Per-row weight w[target] (zero where ignored), and the weighted-mean denominator."""
    if w is not None:
        wt = w[tt]
        if valid is not None:
            wt = wt * valid
    elif valid is not None:
        wt = valid.astype(dt)
    else:
        wt = None
    return wt


def _nll_core(rows, tt, valid, wt, red, tshape, dt):
    """The NLL of log-probability rows as arrays: (output, per-row coefficient maker)."""
    m = rows.shape[0]
    picked = rows[xp_of(rows).arange(m), tt]
    loss = -picked if wt is None else -(picked * wt)
    if red == _NONE:
        return loss.reshape(tshape), None
    s = loss.sum(dtype=dt)
    if red == _SUM:
        return arr(s), None
    denom = dt.type(m) if wt is None else wt.sum(dtype=dt)
    with np.errstate(invalid="ignore", divide="ignore"):
        return arr(s / denom), denom


def _coef(g, red, denom, wt, m, dt):
    """d loss / d (-logp[target]) per row, as an (m,) array."""
    if red == _NONE:
        a = g.reshape(-1).astype(dt, copy=False)
        return a if wt is None else a * wt
    with np.errstate(invalid="ignore", divide="ignore"):
        a = g if red == _SUM else g / denom
        a = xp_of(arr(g)).full(m, a, dtype=dt) if wt is None else wt * a
    if red == _MEAN and wt is not None and not denom:
        a = np.where(wt != 0, a, dt.type(0))  # ignored rows get no gradient, even over a zero total weight
    return a


def _nll_t(logp, tt, valid, wt, red, tshape, denom):
    """The same NLL through ember ops (for create_graph)."""
    rows = _rows_t(logp)
    picked = rows.gather(1, make(tt.reshape(-1, 1))).reshape(-1)
    loss = -picked if wt is None else -(picked * make(wt))
    if red == _NONE:
        return loss.reshape(tshape)
    if red == _SUM:
        return loss.sum()
    return loss.sum() / make(xp_of(tt).asarray(denom))


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Matches `torch.nn.functional.nll_loss`."""
    red = _red(size_average, reduce, reduction)
    rows, tt, valid, C = _nll_prep(input, target, weight, ignore_index)
    dt = rows.dtype
    w = _cast(weight._data, dt).reshape(-1) if weight is not None else None
    wt = _row_weights(tt, valid, w, dt)
    tshape = target._data.shape
    out, denom = _nll_core(rows, tt, valid, wt, red, tshape, dt)
    xshape = input._data.shape

    def fn(x):
        return _nll_t(x, tt, valid, wt, red, tshape, denom)

    def bwd(g):
        m = rows.shape[0]
        a = _coef(g, red, denom, wt, m, dt)
        xp = xp_of(rows)
        g2 = xp.zeros((m, C), dtype=dt)
        g2[xp.arange(m), tt] = -a
        return (_unrows(g2, xshape),)

    cls = NllLoss2DBackward0 if input.dim() >= 3 else NllLossBackward0
    return _finish(make(out), cls, (input,), fn, bwd)


def _log_softmax_t(x, dim):
    return x - ember.logsumexp(x, dim, keepdim=True)


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """Matches `torch.nn.functional.cross_entropy`: fused log-softmax + NLL in one node."""
    red = _red(size_average, reduce, reduction)
    if tuple(input.shape) == tuple(target.shape):
        return _cross_entropy_prob(input, target, weight, ignore_index, red, label_smoothing)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    ls = float(label_smoothing) if label_smoothing > 0.0 else 0.0
    if not ls and weight is None and _ce_fusable(input._data, target._data):
        return _cross_entropy_cuda(input, target, ignore_index, red)
    rows, tt, valid, C = _nll_prep(input, target, weight, ignore_index)
    dt = rows.dtype
    if dt.kind not in "fV":
        raise NotImplementedError(f"\"log_softmax_lastdim_kernel_impl\" not implemented for '{scalar_type_name(dt)}'")
    m = rows.shape[0]
    w = _cast(weight._data, dt).reshape(-1) if weight is not None else None
    wt = _row_weights(tt, valid, w, dt)
    tshape = target._data.shape
    xshape = input._data.shape
    xp = xp_of(rows)
    mx = rows.max(axis=1, keepdims=True) if m and C else xp.zeros((m, 1), dt)
    z = rows - mx
    e = np.exp(z)
    s = e.sum(axis=1)
    lse = np.log(s)
    ar = xp.arange(m)
    nll = lse - z[ar, tt]
    if wt is not None:
        nll = nll * wt
    if red == _NONE:
        out = nll
    else:
        out = nll.sum(dtype=dt)
    if red == _MEAN:
        denom = dt.type(m) if wt is None else wt.sum(dtype=dt)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = out / denom
    else:
        denom = None
    if ls:
        wsum = dt.type(C) if w is None else w.sum(dtype=dt)
        if w is None:
            smooth = C * lse - z.sum(axis=1)
        else:
            smooth = wsum * lse - z @ w
        if valid is not None:
            smooth = smooth * valid
        if red == _NONE:
            sred = smooth
        else:
            sred = smooth.sum(dtype=dt)
            if red == _MEAN:
                with np.errstate(invalid="ignore", divide="ignore"):
                    sred = sred / denom
        out = (1 - ls) * out + sred * (ls / C)
    out = make(arr(out).reshape(tshape) if red == _NONE else arr(out).astype(dt, copy=False))

    def fn(x):
        logp = _log_softmax_t(x, 1 if x.dim() >= 2 else 0)
        loss = _nll_t(logp, tt, valid, wt, red, tshape, denom)
        if not ls:
            return loss
        rws = _rows_t(logp)
        sm = -(rws.sum(1) if w is None else (rws * make(w)).sum(1))
        if valid is not None:
            sm = sm * make(valid.astype(dt))
        if red == _NONE:
            sm = sm.reshape(tshape)
        elif red == _SUM:
            sm = sm.sum()
        else:
            sm = sm.sum() / make(xp.asarray(denom))
        return (1 - ls) * loss + sm * (ls / C)

    def bwd(g):
        a = _coef(g, red, denom, wt, m, dt)
        if ls:
            b = (
                g.reshape(-1).astype(dt, copy=False)
                if red == _NONE
                else xp.full(m, g if red == _SUM else g / denom, dt)
            )
            if valid is not None:
                b = b * valid
            b = b * dt.type(ls / C)
            a = a * dt.type(1 - ls)
            g2 = e * ((a + b * wsum) / s)[:, None]
            g2 -= b[:, None] * (w[None, :] if w is not None else dt.type(1))
        else:
            g2 = e * (a / s)[:, None]
        g2[ar, tt] -= a
        return (_unrows(g2, xshape),)

    cls = AddBackward0 if ls else NllLoss2DBackward0 if input.dim() >= 3 else NllLossBackward0
    return _finish(out, cls, (input,), fn, bwd)


def _ce_fusable(x, t):
    """The fused CUDA cross entropy covers (m, C) float32/float64 logits with (m,) int64 class targets."""
    return (
        _fused.usable(x)
        and x.ndim == 2
        and x.shape[0] > 0
        and x.shape[1] > 0
        and t.ndim == 1
        and t.shape[0] == x.shape[0]
        and t.dtype == np.int64
        and type(t) is type(x)
    )


_RED_NAMES = {_NONE: "none", _SUM: "sum", _MEAN: "mean"}


def _cross_entropy_cuda(input, target, ignore_index, red):
    """cross_entropy in two fused kernels (per-row log-sum-exp and NLL, then the reduction) and one for the
    backward. The out-of-range target check reads one number back from the device (one synchronisation)."""
    xp = xp_of(input._data)
    x = xp.ascontiguousarray(input._data)
    t = xp.ascontiguousarray(target._data)
    name = _RED_NAMES[red]
    loss, lse, count, bad = _fused.cross_entropy_fwd(x, t, ignore_index, name)
    if bad is not None:
        raise IndexError(f"Target {int(t[bad])} is out of bounds.")

    def fn(xt):
        with _fused.disabled():
            return cross_entropy(xt, target, ignore_index=ignore_index, reduction=name)

    def bwd(g):
        return (_fused.cross_entropy_bwd(g, x, lse, t, count, ignore_index, name),)

    return _finish(make(loss), NllLossBackward0, (input,), fn, bwd)


def _cross_entropy_prob(input, target, weight, ignore_index, red, label_smoothing):
    tdt = target._data.dtype
    if tdt.kind != "f" and tdt.kind != "V":
        raise RuntimeError(
            f"Expected floating point type for target with class probabilities, got {scalar_type_name(tdt)}"
        )
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    nd = input.dim()
    if nd == 0:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    cdim = 1 if nd >= 2 else 0
    C = input.shape[cdim]
    if weight is not None and (weight.dim() != 1 or weight.numel() != C):
        raise RuntimeError(
            f"cross_entropy: weight tensor should be defined either for all {C} classes or no classes but got "
            f"weight tensor of shape: {_sz(weight.shape)}"
        )
    ls = float(label_smoothing) if label_smoothing > 0.0 else 0.0
    dt = _float_dtype(input, target)
    x = _cast(input._data, dt)
    y = _cast(target._data, dt)
    bshape = [1] * nd
    bshape[cdim] = C
    w = _cast(weight._data, dt).reshape(bshape) if weight is not None else None
    xp = xp_of(x)
    mx = x.max(axis=cdim, keepdims=True) if x.size else xp.zeros(x.shape[:cdim] + (1,) + x.shape[cdim + 1 :], dt)
    z = x - mx
    e = np.exp(z)
    s = e.sum(axis=cdim, keepdims=True)
    logp = z - np.log(s)
    ys = y * dt.type(1 - ls) + dt.type(ls / C) if ls else y
    wy = ys if w is None else ys * w
    loss = arr(-(logp * wy).sum(axis=cdim))
    n = x.size // C if C else 0
    if red == _NONE:
        out = loss
    elif red == _SUM:
        out = arr(loss.sum(dtype=dt))
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            out = arr(loss.sum(dtype=dt) / dt.type(n)) if n else xp.asarray(dt.type("nan"))

    def fn(a, b):
        lp = _log_softmax_t(a, cdim)
        bb = b * (1 - ls) + ls / C if ls else b
        if weight is not None:
            bb = bb * weight.reshape(bshape)
        lo = -(lp * bb).sum(cdim)
        if red == _NONE:
            return lo
        if red == _SUM:
            return lo.sum()
        return lo.sum() / n

    def bwd(g):
        gs = g if red != _MEAN else g / dt.type(n)
        if red == _NONE:
            gs = np.expand_dims(g, cdim)
        gx = gy = None
        if _rg(input):
            gx = (e / s * wy.sum(axis=cdim, keepdims=True) - wy) * gs
        if _rg(target):
            gy = -logp * gs * dt.type(1 - ls)
            if w is not None:
                gy = gy * w
        return gx, gy

    cls = DivBackward1 if red == _MEAN else NegBackward0
    return _finish(make(out), cls, (input, target), fn, bwd)


# -- kl_div ------------------------------------------------------------------------------------------------


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Matches `torch.nn.functional.kl_div`."""
    if size_average is not None or reduce is not None:
        red = _get_enum(_legacy_get_string(size_average, reduce))
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the support size."
                "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                stacklevel=2,
            )
        red = _SUM if reduction == "batchmean" else _get_enum(reduction)
    if log_target:
        loss = ember.exp(target) * (target - input)
    else:
        loss = ember.xlogy(target, target) - target * input
    out = _reduce_t(loss, red)
    if reduction == "batchmean" and input.dim() != 0:
        out = out / input.shape[0]
    return out


# -- margin losses -------------------------------------------------------------------------------------------


class MultiMarginLossBackward0(_LossNode):
    pass


class MultilabelMarginLossBackward0(_LossNode):
    pass


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """Matches `torch.nn.functional.margin_ranking_loss`."""
    red = _red(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {_tsize(input1)}, input2: {_tsize(input2)}, target: {_tsize(target)} "
        )
    return _reduce_t(ember.clamp_min(-target * (input1 - input2) + margin, 0), red)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """Matches `torch.nn.functional.hinge_embedding_loss`."""
    red = _red(size_average, reduce, reduction)
    zeros = ember.zeros_like(input)
    margin_clamp = ember.clamp_min(margin - input, 0)
    out = ember.where(target != 1, margin_clamp, zeros) + ember.where(target != -1, input, zeros)
    return _reduce_t(out, red)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """Matches `torch.nn.functional.cosine_embedding_loss`."""
    red = _red(size_average, reduce, reduction)
    td = target.dim()
    if td > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if td == 1:
        if input1.dim() != 2 or input2.dim() != 2:
            raise RuntimeError(
                "1D target tensor expects 2D input tensors, but found inputs with sizes "
                f"{_sz(input1.shape)} and {_sz(input2.shape)}."
            )
    elif input1.dim() != 1 or input2.dim() != 1:
        raise RuntimeError(
            "0D target tensor expects 1D input tensors, but found inputs with sizes "
            f"{_sz(input1.shape)} and {_sz(input2.shape)}."
        )
    eps = 1e-12
    prod = (input1 * input2).sum(td)
    m1 = (input1 * input1).sum(td) + eps
    m2 = (input2 * input2).sum(td) + eps
    cos = prod / ember.sqrt(m1 * m2)
    zeros = ember.zeros_like(cos)
    out = ember.where(target == 1, 1 - cos, zeros) + ember.where(target == -1, ember.clamp_min(cos - margin, 0), zeros)
    return _reduce_t(out, red)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Matches `torch.nn.functional.multilabel_soft_margin_loss`."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_get_string(size_average, reduce)
    loss = -(target * _logsigmoid_t(input) + (1 - target) * _logsigmoid_t(-input))
    if weight is not None:
        loss = loss * weight
    cdim = input.dim() - 1
    loss = loss.sum(cdim) / input.shape[cdim]
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction + " is not valid")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Matches `torch.nn.functional.multi_margin_loss`."""
    red = _red(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    nd = input.dim()
    if nd > 2 or (nd >= 1 and input.shape[-1] == 0):
        raise RuntimeError(
            f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: {_sz(input.shape)}"
        )
    nframe = 1 if nd <= 1 else input.shape[0]
    C = 1 if nd == 0 else input.shape[-1]
    if target.dim() > 1 or target.numel() != nframe:
        raise RuntimeError(f"inconsistent target size, expected {nframe} but got {_sz(target.shape)}")
    if weight is not None and weight.numel() != C:
        raise RuntimeError(f"inconsistent weight size, expected {C} but got {_sz(weight.shape)}")
    t = target._data.reshape(-1).astype(np.int64)
    if ((t < 0) | (t >= C)).any():
        raise RuntimeError("target out of range")
    dt = input._data.dtype
    xp = xp_of(t)
    onehot = xp.zeros((nframe, C), dtype=dt)
    onehot[xp.arange(nframe), t] = 1
    keep = make(1 - onehot)
    tcol = make(t.reshape(-1, 1))
    wt = make(_cast(weight._data, dt)[t].reshape(-1, 1)) if weight is not None else None
    shape = tuple(input.shape)

    def fn(x):
        x2 = x.reshape(nframe, C)
        z = ember.clamp_min(margin - x2.gather(1, tcol) + x2, 0)
        if p == 2:
            z = z * z
        z = z * keep
        if wt is not None:
            z = z * wt
        lo = z.sum(1) / C
        if red == _NONE:
            return lo.reshape(shape[:1] if nd == 2 else ())
        return _reduce_t(lo, red)

    return _composite_node(MultiMarginLossBackward0, (input,), fn)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Matches `torch.nn.functional.multilabel_margin_loss`."""
    red = _red(size_average, reduce, reduction)
    nd = input.dim()
    if nd > 2 or (nd >= 1 and input.shape[-1] == 0):
        raise RuntimeError(
            f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: {_sz(input.shape)}"
        )
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"inconsistent target size: {_sz(target.shape)} for input of size: {_sz(input.shape)}")
    nframe = 1 if nd <= 1 else input.shape[0]
    C = 1 if nd == 0 else input.shape[-1]
    t = target._data.reshape(nframe, C).astype(np.int64)
    if ((t < -1) | (t >= C)).any():
        raise RuntimeError("argument #2 'target' is out of range")
    # a row's targets are its entries before the first -1
    slot = np.cumprod(t >= 0, axis=1).astype(bool)
    tcl = np.where(slot, t, 0)
    xp = xp_of(t)
    is_t = xp.zeros((nframe, C), dtype=bool)
    rr = xp.broadcast_to(xp.arange(nframe)[:, None], t.shape)
    is_t[rr[slot], tcl[slot]] = True
    dt = input._data.dtype
    mask = make((slot[:, :, None] & ~is_t[:, None, :]).astype(dt))
    tidx = make(tcl)
    shape = tuple(input.shape)

    def fn(x):
        x2 = x.reshape(nframe, C)
        xt = x2.gather(1, tidx)
        z = ember.clamp_min(1 - xt.unsqueeze(2) + x2.unsqueeze(1), 0) * mask
        lo = z.sum((1, 2)) / C
        if red == _NONE:
            return lo.reshape(shape[:1] if nd == 2 else ())
        return _reduce_t(lo, red)

    return _composite_node(MultilabelMarginLossBackward0, (input,), fn)


def _pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    dim = max(x1.dim(), x2.dim()) - 1
    return ember.norm(x1 - x2 + eps, p, dim, keepdim)


def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin=1.0,
    p=2,
    eps=1e-6,
    swap=False,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """Matches `torch.nn.functional.triplet_margin_loss`."""
    red = _red(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, pd, nd = anchor.dim(), positive.dim(), negative.dim()
    if not (a == pd and pd == nd):
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but "
            f"got: anchor {a}D, positive {pd}D, and negative {nd}D inputs"
        )
    dpos = _pairwise_distance(anchor, positive, p, eps)
    dneg = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        dneg = ember.minimum(dneg, _pairwise_distance(positive, negative, p, eps))
    return _reduce_t(ember.clamp_min(margin + dpos - dneg, 0), red)


def triplet_margin_with_distance_loss(
    anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False, reduction="mean"
):
    """Matches `torch.nn.functional.triplet_margin_with_distance_loss`."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, pd, nd = anchor.ndim, positive.ndim, negative.ndim
    if not (a == pd and pd == nd):
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but "
            f"got: anchor {a}D, positive {pd}D, and negative {nd}D inputs"
        )
    if distance_function is None:
        distance_function = _pairwise_distance
    dpos = distance_function(anchor, positive)
    dneg = distance_function(anchor, negative)
    if swap:
        dneg = ember.minimum(dneg, distance_function(positive, negative))
    loss = ember.clamp_min(margin + dpos - dneg, 0)
    if reduction == "sum":
        return ember.sum(loss)
    if reduction == "mean":
        return ember.mean(loss)
    return loss


# -- poisson / gaussian NLL -------------------------------------------------------------------------------


def poisson_nll_loss(
    input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"
):
    """Matches `torch.nn.functional.poisson_nll_loss`."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_get_string(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    if log_input:
        loss = ember.exp(input) - target * input
    else:
        loss = input - target * ember.log(input + eps)
    if full:
        stirling = target * ember.log(target) - target + 0.5 * ember.log(2 * math.pi * target)
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _reduce_t(loss, _get_enum(reduction))


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Matches `torch.nn.functional.gaussian_nll_loss`."""
    if isinstance(var, (int, float)) and not isinstance(var, Tensor):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ember.ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    ish, vsh = tuple(input.shape), tuple(var.shape)
    if vsh != ish:
        if ish[:-1] == vsh:
            var = var.unsqueeze(-1)
        elif input.dim() == var.dim() and sum(y for x, y in zip(ish, vsh) if x != y) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with ember.no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (ember.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce_t(loss, _get_enum(reduction))


# -- CTC ---------------------------------------------------------------------------------------------------


class CtcLossBackward0(Node):
    def backward(self, g):
        self.saved  # noqa: B018 - version check / freed check
        return make(self.bwd(g._data))

    def _release_extra(self):
        self.bwd = None


def _lengths(x, name):
    if isinstance(x, Tensor):
        return to_device(x._data, CPU).reshape(-1).astype(np.int64)
    return np.asarray(x, dtype=np.int64).reshape(-1)


def _lse(*arrs):
    m = arrs[0]
    for a in arrs[1:]:
        m = np.maximum(m, a)
    ms = np.where(np.isinf(m), 0, m)
    acc = np.exp(arrs[0] - ms)
    for a in arrs[1:]:
        acc += np.exp(a - ms)
    with np.errstate(divide="ignore"):
        return np.log(acc) + ms


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """Matches `torch.nn.functional.ctc_loss` (alpha recursion forward, beta recursion backward, NumPy).

    On cuda the recursions run on host copies; the loss and its gradient go back to the input's device."""
    red = _get_enum(reduction)
    dev = log_probs.device
    lp_all = to_device(log_probs._data, CPU)
    unbatched = lp_all.ndim == 2
    if unbatched:
        lp_all = lp_all[:, None, :]
    if lp_all.ndim != 3:
        raise RuntimeError(f"ctc_loss: expected log_probs to be 2D or 3D, but got {lp_all.ndim}D")
    T, N, C = lp_all.shape
    il = _lengths(input_lengths, "input_lengths")
    tl = _lengths(target_lengths, "target_lengths")
    if il.shape[0] != N:
        raise RuntimeError(f"input_lengths must be of size batch_size, but got {il.shape[0]}")
    if tl.shape[0] != N:
        raise RuntimeError(f"target_lengths must be of size batch_size, but got {tl.shape[0]}")
    if (il > T).any():
        raise RuntimeError(
            f"Expected input_lengths to have value at most {T}, but got value {int(il.max())} "
            "(while checking arguments for ctc_loss_allocate_outputs)"
        )
    tg = to_device(targets._data, CPU) if isinstance(targets, Tensor) else np.asarray(targets)
    if unbatched:
        tg = tg.reshape(1, -1)
    tg = tg.astype(np.int64)
    S = int(tl.max()) if N else 0
    if tg.ndim == 1:
        off = np.concatenate([[0], np.cumsum(tl)[:-1]])
        if tg.shape[0] < int(tl.sum()):
            raise RuntimeError("Expected tensor to have enough elements for all target lengths")
        pos = off[:, None] + np.arange(S)[None, :]
        inside = np.arange(S)[None, :] < tl[:, None]
        tpad = np.where(inside, tg[np.minimum(pos, max(tg.shape[0] - 1, 0))] if tg.size else 0, blank)
    else:
        if S > tg.shape[1]:
            raise RuntimeError(
                f"Expected tensor to have size at least {S} at dimension 1, but got size {tg.shape[1]} for argument "
                "#2 'targets' (while checking arguments for ctc_loss_allocate_outputs)"
            )
        inside = np.arange(S)[None, :] < tl[:, None]
        tpad = np.where(inside, tg[:, :S], blank)
    L = 2 * S + 1
    ext = np.full((N, L), blank, dtype=np.int64)
    ext[:, 1::2] = tpad
    # the skip transition s-2 -> s: a label differing from the label two before
    skip = np.zeros((N, L), dtype=bool)
    if L > 2:
        skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    dt = lp_all.dtype
    ninf = dt.type(-np.inf)
    lpe = np.take_along_axis(lp_all, np.broadcast_to(ext[None], (T, N, L)), axis=2)  # (T, N, L)
    la = np.full((T, N, L), ninf, dtype=dt)
    if T:
        la[0, :, 0] = lpe[0, :, 0]
        if L > 1:
            la[0, :, 1] = np.where(tl > 0, lpe[0, :, 1], ninf)
    for t in range(1, T):
        prev = la[t - 1]
        s1 = np.full_like(prev, ninf)
        s1[:, 1:] = prev[:, :-1]
        s2 = np.full_like(prev, ninf)
        s2[:, 2:] = prev[:, :-2]
        s2 = np.where(skip, s2, ninf)
        la[t] = _lse(prev, s1, s2) + lpe[t]
    nr = np.arange(N)
    tlast = np.maximum(il - 1, 0)
    end = la[tlast, nr]  # (N, L)
    e1 = end[nr, 2 * tl]
    e2 = np.where(tl > 0, end[nr, np.maximum(2 * tl - 1, 0)], ninf)
    nll = -_lse(e1, e2)
    nll = np.where(il > 0, nll, np.where(tl > 0, np.inf, 0)).astype(dt)
    out = make(to_device(nll.reshape(()) if unbatched else nll, dev))

    if GRAD.enabled and log_probs._requires_grad:

        def bwd(g):
            g = np.broadcast_to(to_device(g, CPU).astype(dt, copy=False).reshape(-1), (N,))
            lb = np.full((T, N, L), ninf, dtype=dt)
            for t in range(T - 1, -1, -1):
                last = tlast == t
                if t < T - 1:
                    nxt = lb[t + 1]
                    s1 = np.full_like(nxt, ninf)
                    s1[:, :-1] = nxt[:, 1:]
                    s2 = np.full_like(nxt, ninf)
                    s2[:, :-2] = np.where(skip[:, 2:], nxt[:, 2:], ninf)
                    lb[t] = np.where((t < tlast)[:, None], _lse(nxt, s1, s2) + lpe[t], ninf)
                if last.any():
                    idx = nr[last]
                    lb[t, idx, 2 * tl[idx]] = lpe[t, idx, 2 * tl[idx]]
                    has = idx[tl[idx] > 0]
                    lb[t, has, 2 * tl[has] - 1] = lpe[t, has, 2 * tl[has] - 1]
            ab = la + lb
            mx = ab.max(axis=2)
            mxs = np.where(np.isinf(mx), 0, mx)
            ex = np.exp(ab - mxs[:, :, None])
            flat = (np.arange(T)[:, None, None] * N + nr[None, :, None]) * C + ext[None]
            acc = np.bincount(flat.reshape(-1), weights=ex.reshape(-1), minlength=T * N * C).reshape(T, N, C)
            with np.errstate(divide="ignore", invalid="ignore"):
                lcab = np.log(acc.astype(dt)) + mxs[:, :, None]
                lp = lp_all
                grad = (np.exp(lp) - np.exp(lcab + nll[None, :, None] - lp)) * g[None, :, None]
            tmask = np.arange(T)[:, None] < il[None, :]
            gmask = tmask
            if zero_infinity:
                gmask = gmask & ~np.isinf(nll)[None, :]
            grad = np.where(gmask[:, :, None], grad, 0).astype(dt)
            return to_device(grad[:, 0, :] if unbatched else grad, dev)

        node = CtcLossBackward0()
        node.bwd = bwd
        node.save(log_probs)
        attach(out, node, (log_probs,))
    res = out
    if zero_infinity:
        res = ember.where(res == math.inf, ember.zeros_like(res), res)
    if red == _MEAN:
        tlt = make(to_device(np.maximum(tl, 1).astype(dt).reshape(res.shape), dev))
        return (res / tlt).mean()
    if red == _SUM:
        return res.sum()
    return res


def _wire_autocast():
    """Losses follow torch's autocast lists (most run in float32); one attribute check when autocast is off."""
    from ..._autocast import autocast_op  # noqa: PLC0415

    g = globals()
    for name in __all__:
        fn = g.get(name)
        if callable(fn) and not isinstance(fn, type):
            g[name] = autocast_op(name)(fn)


_wire_autocast()

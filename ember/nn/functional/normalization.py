"""Normalization functionals: batch_norm, layer_norm, group_norm, instance_norm, rms_norm, local_response_norm.

batch_norm, layer_norm and group_norm are fused: one NumPy pass forward, a graph node whose backward is
NumPy when no graph is being built (plain `.backward()`), and re-derived through ember ops when
`create_graph=True` (so double backward is exact).
"""

import numpy as np

import ember

from ..._autocast import AUTOCAST, autocast_call
from ..._backend import ones_like_rows, xp_of
from ..._ops._core import GRAD, Node, Tensor, attach, make
from ..._ops._core import requires_grad as _rg
from ..._tensor import _vc_of
from ...cuda import _fused

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm", "local_response_norm"]


def _np(t):
    return None if t is None else t._data


def _size_str(t):
    return f"torch.Size([{', '.join(str(s) for s in t.shape)}])"


def _composite_grads(node, fn, inputs, g):
    """Gradients of fn(*inputs) for the inputs node needs, as a differentiable graph (double backward)."""
    idx = [i for i in range(len(inputs)) if node.needs(i)]
    y = fn(*inputs)
    gs = ember.autograd.grad(y, [inputs[i] for i in idx], g, create_graph=True, allow_unused=True)
    out = [None] * len(inputs)
    for i, gi in zip(idx, gs):
        out[i] = gi
    return tuple(out)


# -- batch norm ----------------------------------------------------------------------------------------


class NativeBatchNormBackward0(Node):
    fused = False  # the forward ran the fused CUDA kernels (mean and invstd are (C,) device arrays)

    def backward(self, g):
        x, w, b = self.saved
        axes, shp, train = self.axes, self.shp, self.train
        if self.fused and not GRAD.enabled and _fused.usable(g._data) and g._data.dtype == x._data.dtype:
            xd = x._data
            x3 = xd.reshape(xd.shape[0], xd.shape[1], -1)
            g3 = xp_of(xd).ascontiguousarray(g._data).reshape(x3.shape)
            dx, dw, db = _fused.batch_norm_bwd(
                g3, x3, self.mean, self.invstd, _np(w), train, self.needs(0), self.needs(1), self.needs(2)
            )
            return (None if dx is None else make(dx.reshape(xd.shape)), _mk(dw), _mk(db))
        if GRAD.enabled:
            eps, mean, invstd = self.eps, self.mean, self.invstd

            def fn(x, w, b):
                if train:
                    m = x.mean(axes, keepdim=True)
                    v = x.var(axes, correction=0, keepdim=True)
                    y = (x - m) * ember.rsqrt(v + eps)
                else:
                    y = (x - make(mean.reshape(shp))) * make(invstd.reshape(shp))
                if w is not None:
                    y = y * w.reshape(shp)
                if b is not None:
                    y = y + b.reshape(shp)
                return y

            return _composite_grads(self, fn, (x, w, b), g)
        gd = g._data
        xd = x._data
        if type(gd) is np.ndarray and (gd.dtype is _BN_F32 or gd.dtype is _BN_F64) and gd.dtype is xd.dtype:
            return self._fast_backward(gd, xd, w)
        mean = self.mean.reshape(shp)
        invstd = self.invstd.reshape(shp)
        xhat = (xd - mean) * invstd
        gx = gw = gb = None
        if self.needs(0):
            gwd = gd * w._data.reshape(shp) if w is not None else gd
            if train:
                m = gd.size // max(1, mean.size)
                s1 = gwd.sum(axis=axes, keepdims=True) / m
                s2 = (gwd * xhat).sum(axis=axes, keepdims=True) / m
                gx = make((gwd - s1 - xhat * s2) * invstd)
            else:
                gx = make(gwd * invstd)
        if self.needs(1):
            gw = make((gd * xhat).sum(axis=axes))
        if self.needs(2):
            gb = make(gd.sum(axis=axes))
        return gx, gw, gb

    def _fast_backward(self, gd, xd, w):
        """float32/float64 on (N, C, L): per-channel sums of g and g * (x - mean) (row reductions), then
        gx = w invstd (g - mean(g) - xhat mean(g xhat)) in four in-place passes over one buffer."""
        N, C = xd.shape[:2]
        dt = xd.dtype
        g3 = gd.reshape(N, C, -1)
        x3 = xd.reshape(N, C, -1)
        m = g3.shape[0] * g3.shape[2]
        invstd = self.invstd
        xc = np.subtract(x3, self.mean[:, None])
        sg = _chan_sum(g3)
        sgxc = _chan_dot(g3, xc)
        gx = gw = gb = None
        if self.needs(0):
            a = invstd * w._data if w is not None else invstd
            if self.train:
                inv_m = dt.type(1.0 / m) if m else dt.type(0)
                xc *= (invstd * invstd * sgxc * inv_m)[:, None]
                xc += (sg * inv_m)[:, None]
                t = np.subtract(g3, xc, out=xc)
                t *= a[:, None]
            else:
                t = np.multiply(g3, a[:, None])
            gx = make(t.reshape(xd.shape))
        if self.needs(1):
            gw = make(sgxc * invstd)
        if self.needs(2):
            gb = make(sg)
        return gx, gw, gb


def _mk(a):
    return None if a is None else make(a)


def _bn_fusable(xd, tensors):
    """The fused CUDA batch norm takes a contiguous input and per-channel tensors of its dtype on its device."""
    if not xd.flags.c_contiguous:
        return False
    for t in tensors:
        if t is not None:
            a = t._data
            if type(a) is not type(xd) or a.dtype != xd.dtype or not a.flags.c_contiguous or a.device != xd.device:
                return False
    return True


def _bn_cuda(input, running_mean, running_var, weight, bias, training, momentum, eps, axes, shp):
    """batch_norm through the fused kernels: two launches forward (statistics with the running-stat update,
    then the normalisation), two backward."""
    xd = input._data
    x3 = xd.reshape(xd.shape[0], xd.shape[1], -1)
    if training:
        rm, rv = _np(running_mean), _np(running_var)
        mom = float(momentum) if momentum is not None else 0.0
        mean, invstd = _fused.batch_norm_stats(x3, eps, mom, rm, rv)  # torch leaves their versions alone
    else:
        mean = running_mean._data
        invstd = 1 / xp_of(xd).sqrt(running_var._data + xd.dtype.type(eps))
    out = make(_fused.batch_norm_apply(x3, mean, invstd, _np(weight), _np(bias)).reshape(xd.shape))
    if GRAD.enabled and (input._requires_grad or _rg(weight) or _rg(bias)):
        node = NativeBatchNormBackward0()
        node.axes, node.shp, node.train, node.eps = axes, shp, bool(training), eps
        node.mean, node.invstd, node.fused = mean, invstd, True
        node.save(input, weight, bias)
        attach(out, node, (input, weight, bias))
    return out


_BN_F32 = np.dtype(np.float32)
_BN_F64 = np.dtype(np.float64)


def _chan_sum(a3):
    """(N, C, L) -> (C,): contiguous row sums (pairwise, vectorized), then over the batch."""
    if a3.shape[2] >= 8:
        return np.add.reduce(a3, axis=2).sum(axis=0)
    return a3.sum(axis=(0, 2))


def _chan_dot(a3, b3):
    """(N, C, L) x2 -> (C,): sum over N and L of a * b (row dot products when rows are long)."""
    if a3.shape[2] >= 8:
        return np.vecdot(a3, b3).sum(axis=0)
    return np.einsum("ncl,ncl->c", a3, b3)


def _bn_stats(xd, axes):
    mean = xd.mean(axis=axes, keepdims=True)
    xc = xd - mean
    var = np.mean(xc * xc, axis=axes, keepdims=True)
    return mean, xc, var


def _bn_fast_train(xd, eps, w, b):
    """float32/float64 NumPy batch norm statistics and output on (N, C, L) rows: two-pass mean and variance (a
    row sum, then a row dot product of x - mean), then y = (x - mean) * (invstd * w) + b in place in the same
    buffer. Returns y, mean, var (biased), invstd, each per channel in the input's dtype."""
    N, C = xd.shape[:2]
    dt = xd.dtype
    x3 = xd.reshape(N, C, -1)
    inv_m = dt.type(1.0 / (x3.shape[0] * x3.shape[2]))
    mean = _chan_sum(x3)
    mean *= inv_m
    y = np.subtract(x3, mean[:, None])
    var = _chan_dot(y, y)
    var *= inv_m
    invstd = np.divide(dt.type(1), np.sqrt(var + dt.type(eps)))
    y *= (invstd * w if w is not None else invstd)[:, None]
    if b is not None:
        y += b[:, None]
    return y.reshape(xd.shape), mean, var, invstd


def _bn_update_running(running_mean, running_var, mean, var, n, momentum):
    mom = float(momentum) if momentum is not None else 0.0
    if running_mean is not None:
        rm = running_mean._data
        new = mom * mean.reshape(-1).astype(np.float64) + (1 - mom) * rm.astype(np.float64)
        rm[...] = new.astype(rm.dtype)  # in place without a version bump, as torch's kernel writes them
    if running_var is not None:
        rv = running_var._data
        unb = var.reshape(-1).astype(np.float64) * (n / (n - 1))
        rv[...] = (mom * unb + (1 - mom) * rv.astype(np.float64)).astype(rv.dtype)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Matches `torch.nn.functional.batch_norm`."""
    if not isinstance(input, Tensor):
        raise TypeError(f"batch_norm(): argument 'input' must be Tensor, not {type(input).__name__}")
    xd = input._data
    if xd.ndim < 2:
        raise ValueError(f"Expected 2D or higher input (got {xd.ndim}D input)")
    c = xd.shape[1]
    if training:
        n = xd.size // c if c else 0
        if n == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {_size_str(input)}")
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and t._data.size != c:
            raise RuntimeError(f"{name} should contain {t._data.size} elements not {c}")
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError(
            "running_mean must be defined in evaluation mode"
            if running_mean is None
            else "running_var must be defined in evaluation mode"
        )
    axes = (0,) + tuple(range(2, xd.ndim))
    shp = (1, c) + (1,) * (xd.ndim - 2)
    dt = xd.dtype
    if xd.size and _fused.usable(xd) and _bn_fusable(xd, (weight, bias, running_mean, running_var)):
        return _bn_cuda(input, running_mean, running_var, weight, bias, training, momentum, eps, axes, shp)
    fast = (
        type(xd) is np.ndarray
        and (dt is _BN_F32 or dt is _BN_F64)
        and xd.size
        and (weight is None or weight._data.dtype is dt)
        and (bias is None or bias._data.dtype is dt)
    )
    if training and fast:
        y, mean, var, invstd = _bn_fast_train(xd, eps, _np(weight), _np(bias))
        if running_mean is not None or running_var is not None:
            _bn_update_running(running_mean, running_var, mean, var, xd.size // c, momentum)
        mean_s, invstd_s = mean, invstd
    elif fast:
        mean_s = running_mean._data.astype(dt, copy=False)
        invstd_s = np.divide(dt.type(1), np.sqrt(running_var._data.astype(dt, copy=False) + dt.type(eps)))
        alpha = invstd_s * weight._data if weight is not None else invstd_s
        beta = -mean_s * alpha
        if bias is not None:
            beta += bias._data
        y = np.multiply(xd.reshape(xd.shape[0], c, -1), alpha[:, None])
        y += beta[:, None]
        y = y.reshape(xd.shape)
    elif training:
        mean, xc, var = _bn_stats(xd, axes)
        invstd = (1.0 / np.sqrt(var + dt.type(eps))).astype(dt, copy=False)
        y = xc * invstd
        if running_mean is not None or running_var is not None:
            _bn_update_running(running_mean, running_var, mean, var, xd.size // c, momentum)
        mean_s, invstd_s = mean.reshape(-1), invstd.reshape(-1)
    else:
        mean_s = running_mean._data.astype(dt, copy=False)
        invstd_s = (1.0 / np.sqrt(running_var._data.astype(dt, copy=False) + dt.type(eps))).astype(dt, copy=False)
        y = (xd - mean_s.reshape(shp)) * invstd_s.reshape(shp)
    if not fast:
        if weight is not None:
            y *= weight._data.reshape(shp)
        if bias is not None:
            y += bias._data.reshape(shp)
    out = make(y)
    if GRAD.enabled and (input._requires_grad or _rg(weight) or _rg(bias)):
        node = NativeBatchNormBackward0()
        node.axes, node.shp, node.train, node.eps = axes, shp, bool(training), eps
        node.mean, node.invstd = mean_s, invstd_s
        node.save(input, weight, bias)
        attach(out, node, (input, weight, bias))
    return out


# -- layer norm ----------------------------------------------------------------------------------------


class NativeLayerNormBackward0(Node):
    xhat = None  # the normalized input as (rows, N), kept by the fused float32/float64 forward
    fused = False  # the forward ran the fused CUDA kernel: mean and rstd are (rows,) arrays

    def backward(self, g):
        x, w, b = self.saved
        axes, eps = self.axes, self.eps
        if self.fused and not GRAD.enabled:
            gx, gw, gb = _fused.layer_norm_bwd(
                xp_of(g._data).ascontiguousarray(g._data),
                x._data,
                None if w is None else w._data.ravel(),
                self.mean,
                self.rstd,
                self.n,
                self.needs(0),
                self.needs(1),
                self.needs(2),
            )
            shape = tuple(self.norm_shape)
            return (  # the weight gradients stay unreshaped arrays when they can (.grad then takes them uncopied)
                None if gx is None else make(gx),
                None if gw is None else make(gw if gw.shape == shape else gw.reshape(shape)),
                None if gb is None else make(gb if gb.shape == shape else gb.reshape(shape)),
            )
        if GRAD.enabled:

            def fn(x, w, b):
                m = x.mean(axes, keepdim=True)
                v = x.var(axes, correction=0, keepdim=True)
                y = (x - m) * ember.rsqrt(v + eps)
                if w is not None:
                    y = y * w
                if b is not None:
                    y = y + b
                return y

            return _composite_grads(self, fn, (x, w, b), g)
        if self.xhat is not None and type(g._data) is np.ndarray and g._data.dtype is self.xhat.dtype:
            return self._fast_backward(g._data, x, w)
        gd = g._data
        xd = x._data
        xhat = (xd - self.mean) * self.rstd
        lead = tuple(range(xd.ndim - len(axes)))
        gx = gw = gb = None
        if self.needs(0):
            gwd = gd * w._data if w is not None else gd
            s1 = gwd.mean(axis=axes, keepdims=True)
            s2 = (gwd * xhat).mean(axis=axes, keepdims=True)
            gx = make((gwd - s1 - xhat * s2) * self.rstd)
        if self.needs(1):
            gw = make((gd * xhat).sum(axis=lead))
        if self.needs(2):
            gb = make(gd.sum(axis=lead))
        return gx, gw, gb

    def _fast_backward(self, gd, x, w):
        """Rows of N: gx = rstd (gw - mean(gw) - xhat mean(gw xhat)) with gw = g * weight; the row sums
        are BLAS matrix-vector products and dot products, the rest four in-place passes."""
        xhat, rstd = self.xhat, self.rstd
        rows, n = xhat.shape
        dt = xhat.dtype
        g2 = gd.reshape(rows, n)
        gx = gw = gb = None
        if self.needs(0):
            gxh = g2 * w._data.reshape(n) if w is not None else g2
            inv_n = dt.type(1.0 / n) if n else dt.type(0)
            s1 = gxh @ ones_like_rows(gxh, n)
            s1 *= inv_n
            s2 = np.vecdot(gxh, xhat)
            s2 *= inv_n
            t = np.multiply(xhat, s2[:, None])
            t += s1[:, None]
            if gxh is g2:
                t = np.subtract(g2, t, out=t)
            else:
                t = np.subtract(gxh, t, out=gxh)
            t *= rstd[:, None]
            gx = make(t.reshape(x._data.shape))
        shape = self.norm_shape
        if self.needs(1):
            gw = make(np.einsum("ij,ij->j", g2, xhat).reshape(shape))
        if self.needs(2):
            gb = make((ones_like_rows(g2, rows) @ g2).reshape(shape))
        return gx, gw, gb

    def _release_extra(self):
        self.xhat = None


def _shape_str(s):
    return "[" + ", ".join(str(int(v)) for v in s) + "]"


def _normalized_shape(normalized_shape, shape):
    """normalized_shape as a tuple of ints, checked to be the trailing dims of an input shaped `shape`."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    k = len(normalized_shape)
    if k == 0 or len(shape) < k or tuple(shape[len(shape) - k :]) != normalized_shape:
        raise RuntimeError(
            f"Given normalized_shape={_shape_str(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size{_shape_str(shape)}"
        )
    return normalized_shape


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Matches `torch.nn.functional.layer_norm`."""
    if AUTOCAST.on:
        return autocast_call("layer_norm", layer_norm, (input, normalized_shape, weight, bias, eps), {})
    xd = input._data
    normalized_shape = _normalized_shape(normalized_shape, xd.shape)
    k = len(normalized_shape)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t._data.shape) != normalized_shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                f"{_shape_str(t._data.shape)} and normalized_shape = {_shape_str(normalized_shape)}"
            )
    axes = tuple(range(xd.ndim - k, xd.ndim))
    dt = xd.dtype
    if (
        (dt is _F32 or dt is _F64)
        and xd.size
        and (weight is None or weight._data.dtype is dt)
        and (bias is None or bias._data.dtype is dt)
    ):
        if type(xd) is np.ndarray:
            return _layer_norm_fast(input, normalized_shape, weight, bias, eps, axes)
        if _fused.usable(xd) and xd.flags.c_contiguous:
            return _layer_norm_cuda(input, normalized_shape, weight, bias, eps, axes)
    mean = xd.mean(axis=axes, keepdims=True)
    xc = xd - mean
    var = np.mean(xc * xc, axis=axes, keepdims=True)
    rstd = (1.0 / np.sqrt(var + dt.type(eps))).astype(dt, copy=False)
    y = xc * rstd
    if weight is not None:
        y *= weight._data
    if bias is not None:
        y += bias._data
    out = make(y)
    if GRAD.enabled and (input._requires_grad or _rg(weight) or _rg(bias)):
        node = NativeLayerNormBackward0()
        node.axes, node.eps, node.mean, node.rstd = axes, eps, mean, rstd
        node.save(input, weight, bias)
        attach(out, node, (input, weight, bias))
    return out


_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)


def _layer_norm_fast(input, normalized_shape, weight, bias, eps, axes):
    """layer_norm on float32/float64 NumPy arrays as (rows, N): two-pass mean and variance (a row sum and a
    row dot product), the normalized rows kept for the backward."""
    xd = input._data
    dt = xd.dtype
    n = 1
    for s in normalized_shape:
        n *= s
    rows = xd.size // n
    x2 = xd.reshape(rows, n)
    inv_n = dt.type(1.0 / n)
    mean = x2 @ ones_like_rows(x2, n)  # row sums as a BLAS matrix-vector product
    mean *= inv_n
    xhat = np.subtract(x2, mean[:, None])
    var = np.vecdot(xhat, xhat)
    var *= inv_n
    var += dt.type(eps)
    rstd = np.sqrt(var, out=var)
    np.divide(dt.type(1), rstd, out=rstd)
    xhat *= rstd[:, None]
    if weight is not None:
        y = np.multiply(xhat, weight._data.reshape(n))
        if bias is not None:
            y += bias._data.reshape(n)
    elif bias is not None:
        y = np.add(xhat, bias._data.reshape(n))
    else:
        y = xhat.copy()
    out = make(y.reshape(xd.shape))
    if GRAD.enabled and (input._requires_grad or _rg(weight) or _rg(bias)):
        node = NativeLayerNormBackward0()
        node.axes, node.eps, node.xhat, node.rstd, node.norm_shape = axes, eps, xhat, rstd, normalized_shape
        node.save(input, weight, bias)
        attach(out, node, (input, weight, bias))
    return out


def _layer_norm_cuda(input, normalized_shape, weight, bias, eps, axes):
    """layer_norm on a contiguous float32/float64 CuPy array in one fused kernel (mean and rstd per row kept
    for the fused backward)."""
    xd = input._data
    n = 1
    for s in normalized_shape:
        n *= s
    y, mean, rstd = _fused.layer_norm_fwd(
        xd, None if weight is None else weight._data.ravel(), None if bias is None else bias._data.ravel(), n, eps
    )
    out = make(y)
    if GRAD.enabled and (input._requires_grad or _rg(weight) or _rg(bias)):
        node = NativeLayerNormBackward0()
        node.axes, node.eps, node.norm_shape = axes, eps, normalized_shape
        node.fused, node.mean, node.rstd, node.n = True, mean, rstd, n
        node.save(input, weight, bias)
        attach(out, node, (input, weight, bias))
    return out


# -- group norm ----------------------------------------------------------------------------------------


class NativeGroupNormBackward0(Node):
    def backward(self, g):
        x, w, b = self.saved
        G, eps = self.G, self.eps
        xd = x._data
        N, C = xd.shape[0], xd.shape[1]
        cshp = (1, C) + (1,) * (xd.ndim - 2)
        if GRAD.enabled:

            def fn(x, w, b):
                xr = x.reshape(N, G, -1)
                m = xr.mean(-1, keepdim=True)
                v = xr.var(-1, correction=0, keepdim=True)
                y = ((xr - m) * ember.rsqrt(v + eps)).reshape(x.shape)
                if w is not None:
                    y = y * w.reshape(cshp)
                if b is not None:
                    y = y + b.reshape(cshp)
                return y

            return _composite_grads(self, fn, (x, w, b), g)
        gd = g._data
        xr = xd.reshape(N, G, -1)
        xhat_r = (xr - self.mean) * self.rstd
        xhat = xhat_r.reshape(xd.shape)
        axes = (0,) + tuple(range(2, xd.ndim))
        gx = gw = gb = None
        if self.needs(0):
            gwd = (gd * w._data.reshape(cshp) if w is not None else gd).reshape(N, G, -1)
            s1 = gwd.mean(axis=-1, keepdims=True)
            s2 = (gwd * xhat_r).mean(axis=-1, keepdims=True)
            gx = make(((gwd - s1 - xhat_r * s2) * self.rstd).reshape(xd.shape))
        if self.needs(1):
            gw = make((gd * xhat).sum(axis=axes))
        if self.needs(2):
            gb = make(gd.sum(axis=axes))
        return gx, gw, gb


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Matches `torch.nn.functional.group_norm`."""
    if AUTOCAST.on:
        return autocast_call("group_norm", group_norm, (input, num_groups, weight, bias, eps), {})
    xd = input._data
    if xd.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {xd.ndim}")
    N, C = xd.shape[0], xd.shape[1]
    if num_groups <= 0 or C % num_groups != 0:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input of shape "
            f"{_shape_str(xd.shape)} and num_groups={num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t._data.ndim != 1 or t._data.size != C):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in input, but got "
                f"{name} of shape {_shape_str(t._data.shape)} and input of shape {_shape_str(xd.shape)}"
            )
    dt = xd.dtype
    xr = xd.reshape(N, num_groups, -1)
    mean = xr.mean(axis=-1, keepdims=True)
    xc = xr - mean
    var = np.mean(xc * xc, axis=-1, keepdims=True)
    rstd = (1.0 / np.sqrt(var + dt.type(eps))).astype(dt, copy=False)
    y = (xc * rstd).reshape(xd.shape)
    cshp = (1, C) + (1,) * (xd.ndim - 2)
    if weight is not None:
        y *= weight._data.reshape(cshp)
    if bias is not None:
        y += bias._data.reshape(cshp)
    out = make(y)
    if GRAD.enabled and (input._requires_grad or _rg(weight) or _rg(bias)):
        node = NativeGroupNormBackward0()
        node.G, node.eps, node.mean, node.rstd = num_groups, eps, mean, rstd
        node.save(input, weight, bias)
        attach(out, node, (input, weight, bias))
    return out


# -- instance norm -------------------------------------------------------------------------------------


def instance_norm(
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats=True,
    momentum=0.1,
    eps=1e-5,
):
    """Matches `torch.nn.functional.instance_norm` (batch norm over a (1, N*C, ...) view, as torch)."""
    xd = input._data
    if xd.ndim < 2:
        raise ValueError(f"Expected 2D or higher input (got {xd.ndim}D input)")
    N, C = xd.shape[0], xd.shape[1]
    if use_input_stats:
        sp = 1
        for s in xd.shape[2:]:
            sp *= s
        if sp == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {_size_str(input)}")
    x2 = input.reshape((1, N * C) + tuple(xd.shape[2:]))
    w2 = weight.repeat(N) if weight is not None else None
    b2 = bias.repeat(N) if bias is not None else None
    rm2 = make(np.tile(running_mean._data, N)) if running_mean is not None else None
    rv2 = make(np.tile(running_var._data, N)) if running_var is not None else None
    out = batch_norm(x2, rm2, rv2, w2, b2, use_input_stats, momentum, eps)
    if use_input_stats:
        if running_mean is not None:
            running_mean._data[...] = rm2._data.reshape(N, C).mean(axis=0)
            _vc_of(running_mean).v += 1
        if running_var is not None:
            running_var._data[...] = rv2._data.reshape(N, C).mean(axis=0)
            _vc_of(running_var).v += 1
    return out.view(input.shape)


# -- rms norm / local response norm ----------------------------------------------------------------------


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Matches `torch.nn.functional.rms_norm`."""
    if AUTOCAST.on:
        return autocast_call("rms_norm", rms_norm, (input, normalized_shape, weight, eps), {})
    xd = input._data
    normalized_shape = _normalized_shape(normalized_shape, xd.shape)
    k = len(normalized_shape)
    if eps is None:
        eps = float(np.finfo(xd.dtype).eps) if xd.dtype.kind == "f" else float(np.finfo(np.float32).eps)
    dims = tuple(range(xd.ndim - k, xd.ndim))
    y = input * ember.rsqrt((input * input).mean(dims, keepdim=True) + eps)
    if weight is not None:
        y = y * weight
    return y


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Matches `torch.nn.functional.local_response_norm` (window over channels, zero-padded)."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    C = input.shape[1]
    sq = input * input
    lo, hi = size // 2, (size - 1) // 2
    zshape = list(input.shape)
    parts = []
    if lo:
        zshape[1] = lo
        parts.append(ember.zeros(zshape, dtype=input.dtype, device=input.device))
    parts.append(sq)
    if hi:
        zshape[1] = hi
        parts.append(ember.zeros(zshape, dtype=input.dtype, device=input.device))
    padded = ember.cat(parts, 1) if len(parts) > 1 else sq
    acc = padded.narrow(1, 0, C)
    for i in range(1, size):
        acc = acc + padded.narrow(1, i, C)
    div = (acc * (alpha / size) + k) ** beta
    return input / div

"""Convolutions (conv1d/2d/3d, conv_transpose1d/2d/3d) and unfold / fold (im2col / col2im).

One trilinear form underlies every op here: <conv(x, w), y>. Its three partial maps are
    F(x, w) -> y   the convolution              (im2col on a strided view + one batched GEMM)
    T(y, w) -> x   the transposed convolution   (one batched GEMM + col2im over kernel offsets)
    W(x, y) -> w   the weight gradient          (im2col + one batched GEMM summed over the batch)
and the gradient of each is expressed with the other two, as ember-level differentiable ops, so
first-, second- and higher-order gradients all reuse the same three array kernels.
"""

import itertools
import math

import numpy as np

from ... import _ops as O
from ..._autocast import autocast_op
from ..._backend import xp_of
from ..._ops._core import GRAD, Node, Tensor, attach, make, scalar_type_name
from ...cuda import _fused

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "unfold",
    "fold",
]

_as_strided = np.lib.stride_tricks.as_strided


def _tuple(v, n, name="argument"):
    if isinstance(v, Tensor):
        v = v.tolist()
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(i) for i in v)
    if len(v) == 1 and n > 1:
        return v * n
    if len(v) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values, but got {list(v)}")
    return v


def _fmt(shape, sep=", "):
    return sep.join(str(s) for s in shape)


# -- array kernels ---------------------------------------------------------------------------


class _Spec:
    """Geometry of one convolution: x spatial size S, kernel K, stride, dilation, padding (lo, hi), groups,
    output spatial size."""

    __slots__ = ("nd", "S", "K", "stride", "dil", "lo", "hi", "groups", "out")

    def __init__(self, S, K, stride, dil, lo, hi, groups, out=None):
        self.nd = len(S)
        self.S, self.K, self.stride, self.dil, self.lo, self.hi, self.groups = S, K, stride, dil, lo, hi, groups
        if out is None:
            out = tuple((s + a + b - d * (k - 1) - 1) // st + 1 for s, a, b, d, k, st in zip(S, lo, hi, dil, K, stride))
        self.out = out


def _pad_arr(x, lo, hi, value=0):
    """x (N, C, *S) padded by lo/hi per spatial dim (negative hi crops); one copy, none if no padding."""
    if not any(lo) and not any(hi):
        return x
    xp = xp_of(x)
    S = x.shape[2:]
    shp = x.shape[:2] + tuple(s + a + b for s, a, b in zip(S, lo, hi))
    out = xp.full(shp, value, dtype=x.dtype) if value != 0 else xp.zeros(shp, dtype=x.dtype)
    dst = (slice(None), slice(None)) + tuple(slice(a, a + min(s, s + b)) for a, s, b in zip(lo, S, hi))
    src = (slice(None), slice(None)) + tuple(slice(0, min(s, s + b)) for s, b in zip(S, hi))
    out[dst] = x[src]
    return out


def _patches(xpad, K, stride, dil, out):
    """Read-only strided view (N, C, *K, *out) of the padded input: no copy."""
    st = xpad.strides
    nd = len(K)
    shape = xpad.shape[:2] + tuple(K) + tuple(out)
    strides = st[:2] + tuple(st[2 + i] * dil[i] for i in range(nd)) + tuple(st[2 + i] * stride[i] for i in range(nd))
    if xp_of(xpad) is np:
        return _as_strided(xpad, shape, strides, writeable=False)
    return xp_of(xpad).lib.stride_tricks.as_strided(xpad, shape, strides)


_PLANS = {}


def _plan(sp):
    """Per kernel offset k: (k, index of the output positions that read real input, index of that input, zero
    strips: indices of the output positions that read padding), the spatial parts only. Cached per geometry."""
    key = (sp.S, sp.K, sp.stride, sp.dil, sp.lo, sp.out)
    plan = _PLANS.get(key)
    if plan is not None:
        return plan
    rng = []
    for s, kk, st, d, lo, o in zip(sp.S, sp.K, sp.stride, sp.dil, sp.lo, sp.out):
        r = []
        for k in range(kk):
            off = k * d - lo  # input index of output position o: o * st + off
            o0 = min(o, max(0, (st - 1 - off) // st))
            o1 = max(o0, min(o, (s - 1 - off) // st + 1))
            r.append((o0, o1, o0 * st + off))
        rng.append(r)
    nd = sp.nd
    full = (slice(None),) * nd
    plan = []
    for k in itertools.product(*(range(n) for n in sp.K)):
        r = [rng[i][k[i]] for i in range(nd)]
        zeros = []
        for i, (o0, o1, _) in enumerate(r):
            if o0 > 0:
                zeros.append(full[:i] + (slice(0, o0),))
            if o1 < sp.out[i]:
                zeros.append(full[:i] + (slice(o1, None),))
        if any(o1 == o0 for o0, o1, _ in r):
            plan.append((k, None, None, zeros))
            continue
        dst = tuple(slice(o0, o1) for o0, o1, _ in r)
        src = tuple(slice(i0, i0 + (o1 - o0 - 1) * t + 1, t) for (o0, o1, i0), t in zip(r, sp.stride))
        plan.append((k, dst, src, zeros))
    if len(_PLANS) >= 256:
        _PLANS.clear()
    _PLANS[key] = plan
    return plan


def _im2col(x, sp, batch_first=False):
    """(N, C, *S) -> contiguous columns (C, *K, N, *out) (batch_first: (N, C, *K, *out)): one strided copy per
    kernel offset, zeros where the kernel reads padding. Returned as (g, C/g * prod(K), N * L) (batch_first:
    (N, C * prod(K), L))."""
    xp = xp_of(x)
    N, C = x.shape[:2]
    K, out = sp.K, sp.out
    if sp.nd <= 2 and _fused.usable(x) and x.flags.c_contiguous:  # CuPy: one kernel, not a copy per offset
        cols = _fused.im2col(x, sp, batch_first)
    elif batch_first:
        cols = _im2col_copies(sp, xp.empty((N, C) + K + out, dtype=x.dtype), x, True)
    else:
        cols = _im2col_copies(sp, xp.empty((C,) + K + (N,) + out, dtype=x.dtype), x.swapaxes(0, 1), False)
    if batch_first:
        return cols.reshape(N, C * math.prod(K), math.prod(out))
    g = sp.groups
    return cols.reshape(g, (C // g) * math.prod(K), N * math.prod(out))


def _im2col_copies(sp, cols, src_arr, batch_first):
    """Fill cols with one strided copy per kernel offset, zeros where the kernel reads padding."""
    head = (slice(None), slice(None))
    for k, dst, src, zeros in _plan(sp):
        pre = head + k if batch_first else (slice(None),) + k + (slice(None),)
        for z in zeros:  # the output positions of this offset that read padding
            cols[pre + z] = 0
        if dst is not None:
            cols[pre + dst] = src_arr[head + src]
    return cols


def _col2im(d, C, N, sp):
    """Adjoint of _im2col: d viewable as (N, C, *K, *out) (any strides) -> (N, C, *S), summing overlaps."""
    xp = xp_of(d)
    if sp.nd <= 2 and _fused.usable(d):  # CuPy: one gather kernel over the columns as they lie
        if d.flags.c_contiguous:
            return _fused.col2im(d, N, C, sp, True)
        if d.ndim == 3 and d.swapaxes(0, 1).flags.c_contiguous:
            return _fused.col2im(d.swapaxes(0, 1), N, C, sp, False)
    d = d.reshape((N, C) + sp.K + sp.out)
    gx = xp.zeros((N, C) + sp.S, dtype=d.dtype)
    head = (slice(None), slice(None))
    for k, dst, src, _ in _plan(sp):
        if dst is not None:
            gx[head + src] += d[head + k + dst]
    return gx


def _gemm_groups(a, b, g, ta=False, tb=False):
    """Per-group 2-D GEMMs: a (g, m, k), b (g, k, n) (optionally transposed) -> (g, m, n)."""
    xp = xp_of(a)
    if g == 1:
        A = a[0].T if ta else a[0]
        B = b[0].T if tb else b[0]
        return xp.dot(A, B)[None]
    A = a.transpose(0, 2, 1) if ta else a
    B = b.transpose(0, 2, 1) if tb else b
    if g > 16:
        return xp.matmul(A, B)
    return xp.stack([xp.dot(A[i], B[i]) for i in range(g)])


def _gy2(y, g):
    """(N, O, *out) -> (g, O/g, N * L) contiguous."""
    N, O_ = y.shape[:2]
    t = y.reshape(N, O_, -1).transpose(1, 0, 2)
    return xp_of(y).ascontiguousarray(t).reshape(g, O_ // g, -1)


def _same_dtype(fn):
    """NumPy's matmul gives float32 for bfloat16 operands: keep the inputs' dtype, as torch does."""

    def wrapped(a, *args, **kwargs):
        out = fn(a, *args, **kwargs)
        if isinstance(out, tuple):
            y = out[0]
            return ((y if y.dtype == a.dtype else y.astype(a.dtype)),) + out[1:]
        return out if out.dtype == a.dtype else out.astype(a.dtype)

    wrapped.__name__ = fn.__name__
    return wrapped


@_same_dtype
def _conv_arr(x, w, sp):
    """F: x (N, C, *S), w (O, C/g, *K) -> (N, O, *out); also returns the columns (kept for backward)."""
    xp = xp_of(x)
    cols = _im2col(x, sp)
    g = sp.groups
    O_ = w.shape[0]
    N = x.shape[0]
    if g == 1 and type(x) is np.ndarray:
        # one GEMM per batch item, reading the (CK, N, L) columns in place: lands in (N, O, L), no transpose
        y = xp.matmul(w.reshape(O_, -1), cols.reshape(cols.shape[1], N, -1).swapaxes(0, 1))
        return y.reshape((N, O_) + tuple(sp.out)), cols
    y = _gemm_groups(w.reshape(g, O_ // g, -1), cols, g)  # (g, O/g, N * L)
    y = y.reshape((O_, N) + tuple(sp.out)).swapaxes(0, 1)
    return xp.ascontiguousarray(y), cols


@_same_dtype
def _convT_arr(y, w, sp, C, y2=None):
    """T: y (N, O, *out), w (O, C/g, *K) -> (N, C, *S)."""
    g = sp.groups
    N, O_ = y.shape[:2]
    if g == 1 and y2 is None and type(y) is np.ndarray:
        # (CK x O) @ (O x L) per batch item: columns land batch-first, as _col2im reads them best
        cols = xp_of(y).matmul(w.reshape(O_, -1).T, y.reshape(N, O_, -1))
        return _col2im(cols, C, N, sp)
    cols = _gemm_groups(w.reshape(g, O_ // g, -1), _gy2(y, g) if y2 is None else y2, g, ta=True)  # (g, CgK, N * L)
    return _col2im(cols.reshape(C * math.prod(sp.K), N, -1).swapaxes(0, 1), C, N, sp)


@_same_dtype
def _convW_arr(x, y, sp, wshape, cols=None, y2=None):
    """W: x (N, C, *S), y (N, O, *out) -> (O, C/g, *K)."""
    if cols is None:
        cols = _im2col(x, sp)
    g = sp.groups
    xp = xp_of(cols)
    N, O_ = y.shape[:2]
    CK = cols.shape[1]
    if g == 1 and y2 is None and N > 1 and CK * O_ < 4096 and type(cols) is np.ndarray:
        # a small (CK x O) result over a very long N * L reduction: per-item GEMMs on the columns and on y as
        # they lie (no transposed copy of y) beat one 2-D GEMM, whose packing dominates at this shape
        gwT = xp.matmul(cols.reshape(CK, N, -1).swapaxes(0, 1), y.reshape(N, O_, -1).swapaxes(1, 2)).sum(axis=0)
        return xp.ascontiguousarray(gwT.T).reshape(wshape)
    # (CgK x NL) @ (NL x Og), not (Og x NL) @ (NL x CgK): OpenBLAS is very slow on a short-M, long-K GEMM
    gwT = _gemm_groups(cols, _gy2(y, g) if y2 is None else y2, g, tb=True)
    return xp.ascontiguousarray(gwT.transpose(0, 2, 1)).reshape(wshape)


# -- differentiable ember-level ops ---------------------------------------------------------


def _sum_bias(g):
    return O.sum(g, [0] + list(range(2, g.dim())))


def _needs_any(*ts):
    return GRAD.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in ts)


class ConvolutionBackward0(Node):
    """History of F(x, w) + b (transposed=False) or T(y, w) + b (transposed=True)."""

    def backward(self, g):
        a, w = self.saved
        sp = self.sp
        ga = gw = gb = None
        if self.transposed:
            if self.needs(0):
                ga = _F(g, w, sp)
            if self.needs(1):
                gw = _W(g, a, sp, w._data.shape)
        else:
            # the transposed gradient serves both GEMMs; on CuPy (whose batched matmul copies strided operands and
            # builds pointer arrays to broadcast) it also makes each a single 2-D GEMM
            both = self.needs(0) and self.needs(1)
            g2 = _gy2(g._data, sp.groups) if both and (sp.groups > 1 or type(g._data) is not np.ndarray) else None
            if self.needs(0):
                ga = _T(g, w, sp, a._data.shape[1], y2=g2)
            if self.needs(1):
                gw = _W(a, g, sp, w._data.shape, self.cols, y2=g2)
        self.cols = None
        if self.needs(2):
            gb = _sum_bias(g)
        return ga, gw, gb

    def _release_extra(self):
        self.cols = None


class ConvolutionBackwardBackward0(Node):
    """History of the weight gradient W(x, y)."""

    def backward(self, g):
        x, y = self.saved
        sp = self.sp
        gx = _T(y, g, sp, x._data.shape[1]) if self.needs(0) else None
        gy = _F(x, g, sp) if self.needs(1) else None
        return gx, gy


_COLS_CACHE_LIMIT = 1 << 27  # bytes of im2col columns kept from forward for the weight gradient


def _F(x, w, sp, b=None):
    xd, wd = x._data, w._data
    y, cols = _conv_arr(xd, wd, sp)
    if b is not None:
        y += b._data.reshape((1, -1) + (1,) * sp.nd)
    out = make(y)
    if _needs_any(x, w, b):
        node = ConvolutionBackward0()
        node.sp = sp
        node.transposed = False
        node.cols = cols if w._requires_grad and cols.nbytes <= _COLS_CACHE_LIMIT else None
        node.save(x, w)
        attach(out, node, (x, w, b))
    return out


def _T(y, w, sp, C, b=None, y2=None):
    x = _convT_arr(y._data, w._data, sp, C, y2)
    if b is not None:
        x += b._data.reshape((1, -1) + (1,) * sp.nd)
    out = make(x)
    if _needs_any(y, w, b):
        node = ConvolutionBackward0()
        node.sp = sp
        node.transposed = True
        node.cols = None
        node.save(y, w)
        attach(out, node, (y, w, b))
    return out


def _W(x, y, sp, wshape, cols=None, y2=None):
    out = make(_convW_arr(x._data, y._data, sp, wshape, cols, y2))
    if _needs_any(x, y):
        node = ConvolutionBackwardBackward0()
        node.sp = sp
        node.save(x, y)
        attach(out, node, (x, y))
    return out


# -- argument checking -----------------------------------------------------------------------


def _check_dtypes(x, w, b):
    if x._data.dtype != w._data.dtype:
        raise RuntimeError(
            f"expected scalar type {scalar_type_name(x._data.dtype)} but found {scalar_type_name(w._data.dtype)}"
        )
    if b is not None and b._data.dtype != x._data.dtype:
        raise RuntimeError(f"Input type ({x.dtype._tname}) and bias type ({b.dtype._tname}) should be the same")


def _batched(input, nd, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}() argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    d = input.dim()
    if d == nd + 2:
        return input, True
    if d == nd + 1:
        return O.unsqueeze(input, 0), False
    raise RuntimeError(
        f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of size: "
        f"[{_fmt(input.shape)}]"
    )


def _check_weight(x, weight, bias, groups, nd, transposed):
    if not isinstance(weight, Tensor):
        raise TypeError(f"argument 'weight' must be Tensor, not {type(weight).__name__}")
    ws = tuple(weight.shape)
    if len(ws) != nd + 2:
        raise RuntimeError(
            f"Expected {nd + 2}-dimensional input for {nd + 2}-dimensional weight [{_fmt(ws)}], but got "
            f"{len(ws)}-dimensional weight"
        )
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    C = x.shape[1]
    if transposed:
        if C != ws[0]:
            raise RuntimeError(
                f"Given transposed=1, weight of size [{_fmt(ws)}], expected input[{_fmt(x.shape)}] to have "
                f"{ws[0]} channels, but got {C} channels instead"
            )
        if ws[0] % groups:
            raise RuntimeError(
                f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight "
                f"of size [[{_fmt(ws)}]] instead"
            )
        nout = ws[1] * groups
    else:
        if ws[0] % groups:
            raise RuntimeError(
                f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight "
                f"of size [[{_fmt(ws)}]] instead"
            )
        if C != ws[1] * groups:
            raise RuntimeError(
                f"Given groups={groups}, weight of size [{_fmt(ws)}], expected input[{_fmt(x.shape)}] to have "
                f"{ws[1] * groups} channels, but got {C} channels instead"
            )
        nout = ws[0]
    if bias is not None:
        if not isinstance(bias, Tensor):
            raise TypeError(f"argument 'bias' must be Tensor, not {type(bias).__name__}")
        if bias.dim() != 1 or bias.shape[0] != nout:
            raise RuntimeError(
                f"Given weight of size [{_fmt(ws)}], expected bias to be 1-dimensional with {nout} elements, but "
                f"got bias of size [{_fmt(bias.shape)}] instead"
            )
    _check_dtypes(x, weight, bias)


def _convnd(input, weight, bias, stride, padding, dilation, groups, nd, name):
    x, batched = _batched(input, nd, name)
    groups = int(groups)
    _check_weight(x, weight, bias, groups, nd, False)
    stride = _tuple(stride, nd, "stride")
    dilation = _tuple(dilation, nd, "dilation")
    K = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            lo = hi = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            tot = tuple(d * (k - 1) for d, k in zip(dilation, K))
            lo = tuple(t // 2 for t in tot)
            hi = tuple(t - t // 2 for t in tot)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        lo = hi = _tuple(padding, nd, "padding")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in lo):
        raise RuntimeError("negative padding is not supported")
    S = tuple(x.shape[2:])
    padded = tuple(s + a + b for s, a, b in zip(S, lo, hi))
    eff = tuple(d * (k - 1) + 1 for d, k in zip(dilation, K))
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({_fmt(padded, ' x ')}). Kernel size: ({_fmt(eff, ' x ')}). "
            "Kernel size can't be greater than actual input size"
        )
    sp = _Spec(S, K, stride, dilation, lo, hi, groups)
    out = _F(x, weight, sp, bias)
    return out if batched else O.squeeze(out, 0)


@autocast_op("conv1d")
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Matches `torch.nn.functional.conv1d`."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


@autocast_op("conv2d")
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Matches `torch.nn.functional.conv2d`."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


@autocast_op("conv3d")
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Matches `torch.nn.functional.conv3d`."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, nd, name):
    x, batched = _batched(input, nd, name)
    groups = int(groups)
    _check_weight(x, weight, bias, groups, nd, True)
    stride = _tuple(stride, nd, "stride")
    dilation = _tuple(dilation, nd, "dilation")
    padding = _tuple(padding, nd, "padding")
    opad = _tuple(output_padding, nd, "output_padding")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(op >= s and op >= d for op, s, d in zip(opad, stride, dilation)):
        names = ("depth", "height", "width")[3 - nd :] if nd > 1 else ("width",)
        parts = [f"output_padding_{n}: {v}" for n, v in zip(names, opad)]
        parts += [f"stride_{n}: {v}" for n, v in zip(names, stride)]
        parts += [f"dilation_{n}: {v}" for n, v in zip(names, dilation)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got " + " ".join(parts))
    K = tuple(weight.shape[2:])
    Y = tuple(x.shape[2:])
    S = tuple(
        (y - 1) * s - 2 * p + d * (k - 1) + op + 1 for y, s, p, d, k, op in zip(Y, stride, padding, dilation, K, opad)
    )
    if any(s <= 0 for s in S):
        raise RuntimeError(
            f"Given input size per channel: ({_fmt(Y, ' x ')}). Calculated output size per channel: "
            f"({_fmt(S, ' x ')}). Output size is too small"
        )
    sp = _Spec(S, K, stride, dilation, padding, padding, groups, out=Y)
    C = weight.shape[1] * groups
    out = _T(x, weight, sp, C, bias)
    return out if batched else O.squeeze(out, 0)


@autocast_op("conv_transpose1d")
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Matches `torch.nn.functional.conv_transpose1d`."""
    return _conv_transposend(
        input, weight, bias, stride, padding, output_padding, groups, dilation, 1, "conv_transpose1d"
    )


@autocast_op("conv_transpose2d")
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Matches `torch.nn.functional.conv_transpose2d`."""
    return _conv_transposend(
        input, weight, bias, stride, padding, output_padding, groups, dilation, 2, "conv_transpose2d"
    )


@autocast_op("conv_transpose3d")
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Matches `torch.nn.functional.conv_transpose3d`."""
    return _conv_transposend(
        input, weight, bias, stride, padding, output_padding, groups, dilation, 3, "conv_transpose3d"
    )


# -- unfold / fold ---------------------------------------------------------------------------


class Im2ColBackward0(Node):
    def backward(self, g):
        return _fold(g, self.sp, self.C, self.unb)


class Col2ImBackward0(Node):
    def backward(self, g):
        return _unfold(g, self.sp, self.unb)


def _unfold(x, sp, unb=False):
    d = x._data[None] if unb else x._data
    N, C = d.shape[:2]
    cols = _im2col(d, sp, batch_first=True)
    out = make(cols[0] if unb else cols)
    if _needs_any(x):
        node = Im2ColBackward0()
        node.sp, node.C, node.unb = sp, C, unb
        attach(out, node, (x,))
    return out


def _fold(cols, sp, C, unb=False):
    d = cols._data[None] if unb else cols._data
    N = d.shape[0]
    r = _col2im(d, C, N, sp)
    out = make(r[0] if unb else r)
    if _needs_any(cols):
        node = Col2ImBackward0()
        node.sp, node.unb = sp, unb
        attach(out, node, (cols,))
    return out


def _block_args(kernel_size, dilation, padding, stride):
    """unfold/fold's sliding-block arguments as pairs, in that order."""
    return (
        _tuple(kernel_size, 2, "kernel_size"),
        _tuple(dilation, 2, "dilation"),
        _tuple(padding, 2, "padding"),
        _tuple(stride, 2, "stride"),
    )


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Matches `torch.nn.functional.unfold` (im2col): (N, C, H, W) -> (N, C * kh * kw, L)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"unfold(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.dim() not in (3, 4):
        raise RuntimeError(
            f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got: "
            f"[{_fmt(input.shape)}]"
        )
    batched = input.dim() == 4
    K, dil, pad, st = _block_args(kernel_size, dilation, padding, stride)
    S = tuple(input.shape[-2:])
    sp = _Spec(S, K, st, dil, pad, pad, 1)
    if any(o <= 0 for o in sp.out):
        raise RuntimeError(
            f"Given input with spatial size ({_fmt(S)}), kernel_size=({_fmt(K)}), dilation=({_fmt(dil)}), "
            f"padding=({_fmt(pad)}), calculated shape of the array of sliding blocks as ({_fmt(sp.out)}), "
            "but its components must be at least one."
        )
    return _unfold(input, sp, not batched)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Matches `torch.nn.functional.fold` (col2im): (N, C * kh * kw, L) -> (N, C, H, W), summing overlaps."""
    if not isinstance(input, Tensor):
        raise TypeError(f"fold(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got: "
            f"[{_fmt(input.shape)}]"
        )
    batched = input.dim() == 3
    S = _tuple(output_size, 2, "output_size")
    K, dil, pad, st = _block_args(kernel_size, dilation, padding, stride)
    sp = _Spec(S, K, st, dil, pad, pad, 1)
    ck = input.shape[-2]
    kk = K[0] * K[1]
    if ck % kk:
        raise RuntimeError(
            f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got "
            f"input.size(1)={ck} and kernel_size=({_fmt(K)})"
        )
    L = sp.out[0] * sp.out[1]
    if input.shape[-1] != L:
        raise RuntimeError(
            f"Given output_size=({_fmt(S)}), kernel_size=({_fmt(K)}), dilation=({_fmt(dil)}), padding=({_fmt(pad)}), "
            f"stride=({_fmt(st)}), expected size of input's dimension 2 to match the calculated number of sliding "
            f"blocks {sp.out[0]} * {sp.out[1]} = {L}, but got input.size(2)={input.shape[-1]}."
        )
    return _fold(input, sp, ck // kk, not batched)

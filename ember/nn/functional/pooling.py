"""Pooling: max / avg / adaptive / lp pooling and max_unpool, 1-D to 3-D.

Every pool is a linear map P (max pool: a gather at the argmax indices; avg pool: a window mean; adaptive avg:
a separable averaging matrix) with its adjoint P^T as the gradient. Each op's node computes P^T with an
ember-level op whose own node computes P again, so gradients of any order work. 1-D pools run the 2-D
kernels on an unsqueezed input, as torch does (grad_fn SqueezeBackward1).
"""

import itertools
import math

import numpy as np

from ... import _ops as O
from ..._autocast import AUTOCAST, autocast_call
from ..._backend import xp_of
from ..._ops._core import GRAD, Node, Tensor, attach, make
from ...cuda import _fused
from .conv import _fmt, _pad_arr, _patches, _tuple

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_pool3d_with_indices",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
]


def _needs(x):
    return GRAD.enabled and x._requires_grad


def _check_input(input, nd, name, empty_ok=False):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    d = input.dim()
    if d == nd + 2:
        return input._data, True
    if d == nd + 1:
        return input._data[None], False
    raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")


# -- gather / scatter at flat spatial indices ------------------------------------------------


def _flat3(a):
    return a.reshape(a.shape[0], a.shape[1], -1)


def _scatter_arr(g, idx, S, unique):
    """zeros(N, C, *S) with g added at the flat spatial indices idx (same shape as g)."""
    xp = xp_of(g)
    N, C = g.shape[:2]
    P = math.prod(S)
    if unique or g.size == 0:
        out = xp.zeros((N, C, P), dtype=g.dtype)
        xp.put_along_axis(out, _flat3(idx), _flat3(g), axis=2)
    else:
        gi = _flat3(idx) + (xp.arange(N * C, dtype=idx.dtype) * P).reshape(N, C, 1)
        w = _flat3(g).ravel()
        out = xp.bincount(gi.ravel(), weights=w, minlength=N * C * P).astype(g.dtype, copy=False)
    return out.reshape((N, C) + tuple(S))


def _gather_arr(x, idx):
    xp = xp_of(x)
    return xp.take_along_axis(_flat3(x), _flat3(idx), axis=2).reshape(idx.shape)


class _PoolNode(Node):
    """A pool's node; `unb`: the op ran on an unbatched input (its kernels saw a batch of one)."""

    unb = False

    def backward(self, g):
        if self.unb:
            return O.squeeze(self._bw(O.unsqueeze(g, 0)), 0)
        return self._bw(g)


def _data(t, unb):
    return t._data[None] if unb else t._data


def _finish(src, res, node, unb):
    """Wrap array `res` (batched) as the output of `src`'s op, attaching `node` when needed."""
    out = make(res[0] if unb else res)
    if node is not None and _needs(src):
        node.unb = unb
        attach(out, node, (src,))
    return out


class _ScatterBackward(_PoolNode):
    def _bw(self, g):
        return _gather(g, self.idx, self.S, self.unique)


class _GatherBackward(_PoolNode):
    def _bw(self, g):
        return _scatter(g, self.idx, self.S, self.unique)


def _idx_node(cls, idx, S, unique):
    node = cls()
    node.idx, node.S, node.unique = idx, S, unique
    return node


def _scatter(g, idx, S, unique, cls=_ScatterBackward, unb=False):
    res = _scatter_arr(_data(g, unb), idx, S, unique)
    return _finish(g, res, _idx_node(cls, idx, S, unique) if _needs(g) else None, unb)


def _gather(x, idx, S, unique, cls=_GatherBackward):
    return _finish(x, _gather_arr(x._data, idx), _idx_node(cls, idx, S, unique) if _needs(x) else None, False)


# -- max pooling ------------------------------------------------------------------------------


def _out_size(S, K, st, pad, dil, ceil):
    out = []
    for s, k, t, p, d in zip(S, K, st, pad, dil):
        num = s + 2 * p - d * (k - 1) - 1 + (t - 1 if ceil else 0)
        o = num // t + 1
        if ceil and (o - 1) * t >= s + p:
            o -= 1
        out.append(o)
    return tuple(out)


def _pool_args(kernel_size, stride, padding, dilation, nd):
    K = _tuple(kernel_size, nd, "kernel_size")
    if stride is None or (not isinstance(stride, (int, np.integer)) and len(stride) == 0):
        st = K
    else:
        st = _tuple(stride, nd, "stride")
    pad = _tuple(padding, nd, "padding")
    dil = _tuple(dilation, nd, "dilation")
    if any(k <= 0 for k in K):
        raise RuntimeError(f"kernel_size must be greater than zero, but got kernel_size=({_fmt(K)})")
    if any(s <= 0 for s in st):
        raise RuntimeError("stride should not be zero")
    if any(d <= 0 for d in dil):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation=({_fmt(dil)})")
    return K, st, pad, dil


def _check_out(xd, out):
    if any(o <= 0 for o in out):
        S = tuple(xd.shape[1:])
        raise RuntimeError(
            f"Given input size: ({_fmt(S, 'x')}). Calculated output size: ({_fmt((S[0],) + tuple(out), 'x')}). "
            "Output size is too small"
        )


def _hi_pad(S, K, st, pad, dil, out):
    return tuple(max(p, (o - 1) * t + d * (k - 1) + 1 - s - p) for s, k, t, p, d, o in zip(S, K, st, pad, dil, out))


class _MaxPoolBackward(_PoolNode):
    gidx = None  # non-overlapping pools: flat indices into the whole (N, C, *S) input (idx built on demand)
    fused = False  # the forward ran the fused CUDA kernel (idx: torch's per-plane indices, on the device)

    def _bw(self, g):
        if self.fused and not GRAD.enabled and _fused.usable(g._data):
            gd = g._data
            return make(_fused.max_pool2d_bwd(xp_of(gd).ascontiguousarray(gd), self.idx, self.S))
        gidx = self.gidx
        if gidx is not None:
            if not GRAD.enabled:  # plain backward: one zero-fill and one flat scatter
                gd = g._data
                xp = xp_of(gd)
                res = xp.zeros(gd.shape[0] * gd.shape[1] * math.prod(self.S), dtype=gd.dtype)
                res[gidx.reshape(-1)] = gd.reshape(-1)
                return make(res.reshape(gd.shape[:2] + tuple(self.S)))
            if self.idx is None:
                self.idx = _plane_idx(gidx, self.S)
        return _scatter(g, self.idx, self.S, self.unique)


class MaxPool2DWithIndicesBackward0(_MaxPoolBackward):
    pass


class MaxPool3DWithIndicesBackward0(_MaxPoolBackward):
    pass


def _max_pool_arr(xd, K, st, pad, dil, out, want_arg=True):
    S = xd.shape[2:]
    xp = xp_of(xd)
    low = -np.inf if xd.dtype.kind in "fV" else np.iinfo(xd.dtype).min
    xpad = _pad_arr(xd, pad, _hi_pad(S, K, st, pad, dil, out), low)
    v = _patches(xpad, K, st, dil, out)
    ks = list(itertools.product(*(range(n) for n in K)))
    head = (slice(None), slice(None))
    views = [v[head + k] for k in ks]
    if len(views) == 1:
        best = views[0].copy()
    else:
        best = xp.maximum(views[0], views[1])
        for c in views[2:]:
            xp.maximum(best, c, out=best)  # NaN propagates, as in torch
    if not want_arg:
        return best, None
    # argmax: the first kernel position holding the max (scan in reverse, the earliest write wins)
    arg = xp.zeros(best.shape, dtype=np.int8 if len(ks) < 128 else np.int64)
    for j in range(len(ks) - 1, -1, -1):
        xp.copyto(arg, j, where=views[j] == best)
    if xd.dtype.kind in "fV" and xp.isnan(best).any():
        for j in range(len(ks)):  # torch keeps the last NaN of the window
            xp.copyto(arg, j, where=xp.isnan(views[j]))
    return best, arg


_BASE_CACHE = {}


def _block_base(xp, like, N, C, S, K, out):
    """int64 (N, C, *out): flat index of each window's first element in the whole (N, C, *S) input, on the
    device of array `like`."""
    key = (-1 if xp is np else like.device.id, N, C, S, K, out)
    base = _BASE_CACHE.get(key)
    if base is None:
        H, W = S
        base = (xp.arange(N * C, dtype=np.int64) * (H * W)).reshape(N, C, 1, 1) + (
            (xp.arange(out[0], dtype=np.int64) * (K[0] * W)).reshape(-1, 1) + xp.arange(out[1], dtype=np.int64) * K[1]
        )
        if len(_BASE_CACHE) >= 8:
            _BASE_CACHE.clear()
        _BASE_CACHE[key] = base
    return base


def _max_pool_blocks(xd, K, out, want_arg):
    """Non-overlapping 2-D max pool (stride == kernel, no padding or dilation). Returns (best, flat indices into the
    whole input of each window's first max in row-major order, or None), or None when an argmax is wanted and a
    window holds NaN (the general path applies torch's NaN rule)."""
    xp = xp_of(xd)
    N, C, H, W = xd.shape
    (kh, kw), (Ho, Wo) = K, out
    x6 = xd[:, :, : Ho * kh, : Wo * kw].reshape(N, C, Ho, kh, Wo, kw)
    if not want_arg:  # running max along rows (one long strided pass), then over the window's rows
        m = x6[..., 0]
        if kw > 1:
            m = xp.maximum(m, x6[..., 1])
            for c in range(2, kw):
                xp.maximum(m, x6[..., c], out=m)
        best = m[:, :, :, 0] if kh == 1 else xp.maximum(m[:, :, :, 0], m[:, :, :, 1])
        for r in range(2, kh):
            xp.maximum(best, m[:, :, :, r], out=best)
        return best, None
    # one copy makes each kernel position a contiguous plane; then a running max with branch-free index updates
    # (a later position wins only when strictly greater, so the offset can only grow: max(off, cond * off_j))
    planes = xp.ascontiguousarray(x6.transpose(3, 5, 0, 1, 2, 4))
    best = xp.maximum(planes[0, 0], planes[0, 1] if kw > 1 else planes[1, 0])
    off = None
    for j in range(1, kh * kw):
        r, c = divmod(j, kw)
        pj = planes[r, c]
        cond = xp.greater(pj, best if j > 1 else planes[0, 0])
        oj = xp.multiply(cond, np.int32(r * W + c), dtype=np.int32)
        if off is None:
            off = oj
        else:
            xp.maximum(off, oj, out=off)
        if j > 1:
            xp.maximum(best, pj, out=best)
    if xd.dtype.kind in "fV" and xp.isnan(best).any():
        return None
    return best, _block_base(xp, xd, N, C, (H, W), K, out) + off


def _plane_idx(gidx, S):
    """Flat indices into the whole input -> torch's indices within each (n, c) plane."""
    N, C = gidx.shape[:2]
    P = math.prod(S)
    return gidx - (xp_of(gidx).arange(N * C, dtype=np.int64) * P).reshape((N, C) + (1,) * (gidx.ndim - 2))


def _max_pool_idx(arg, S, K, st, pad, dil, out):
    """Flat index in the unpadded input: window origin + offset of the argmax kernel position."""
    xp = xp_of(arg)
    ks = list(itertools.product(*(range(n) for n in K)))
    nd = len(K)
    M = [math.prod(S[i + 1 :]) for i in range(nd)]
    base = 0
    for i in range(nd):
        shp = [1] * nd
        shp[i] = out[i]
        base = base + ((xp.arange(out[i], dtype=np.int64) * st[i] - pad[i]) * M[i]).reshape(shp)
    table = xp.asarray([sum(k[i] * dil[i] * M[i] for i in range(nd)) for k in ks], dtype=np.int64)
    idx = base + table[arg]
    if any(pad):
        # a window whose values are all -inf may leave its argmax on padding: point at its first real element
        lim = xp.asarray(np.prod(S), dtype=np.int64)
        idx = xp.clip(idx, 0, lim - 1)
    return idx


def _max_pool_arrays(xd, S, K, st, pad, dil, out, cls, needs, want, return_indices):
    """The array-op max pool: (best, torch's indices or None, the backward node or None)."""
    node = idx = r = None
    if (
        len(K) == 2
        and st == K
        and not any(pad)
        and dil == (1, 1)
        and K[0] * K[1] > 1
        and all(o * k <= s for o, k, s in zip(out, K, S))
    ):
        r = _max_pool_blocks(xd, K, out, want)
    if r is not None:
        best, gidx = r
        if return_indices:
            idx = _plane_idx(gidx, S)
        if needs:
            node = _idx_node(cls, idx, S, True)
            node.gidx = gidx
    else:
        best, arg = _max_pool_arr(xd, K, st, pad, dil, out, want)
        if want:
            idx = _max_pool_idx(arg, S, K, st, pad, dil, out)
        if needs:
            node = _idx_node(cls, idx, S, all(t >= d * (k - 1) + 1 for t, d, k in zip(st, dil, K)))
    return best, idx, node


def _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd, name):
    xd, batched = _check_input(input, nd, name)
    K, st, pad, dil = _pool_args(kernel_size, stride, padding, dilation, nd)
    for p, k, d in zip(pad, K, dil):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} and "
                f"dilation={d}"
            )
    S = tuple(xd.shape[2:])
    out = _out_size(S, K, st, pad, dil, ceil_mode)
    _check_out(xd, out)
    needs = _needs(input)
    want = needs or return_indices
    cls = MaxPool2DWithIndicesBackward0 if nd <= 2 else MaxPool3DWithIndicesBackward0
    node = idx = None
    if nd == 2 and xd.size and _fused.usable(xd) and xd.flags.c_contiguous:
        best, idx = _fused.max_pool2d_fwd(xd, out, K, st, pad, dil)
        if needs:
            node = _idx_node(cls, idx, S, all(t >= d * (k - 1) + 1 for t, d, k in zip(st, dil, K)))
            node.fused = True
    else:
        best, idx, node = _max_pool_arrays(xd, S, K, st, pad, dil, out, cls, needs, want, return_indices)
    res = _finish(input, best, node, not batched)
    if return_indices:
        return res, make(idx if batched else idx[0])
    return res


def _as2d(input, nd, fn):
    """Run a 2-D pool on an input with one spatial dim (1-D pools), as torch does."""
    if not isinstance(input, Tensor):
        raise TypeError(f"argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size, but got: "
            f"[{_fmt(input.shape)}]"
        )
    r = fn(O.unsqueeze(input, -2))
    if isinstance(r, tuple):
        return tuple(O.squeeze(t, -2) for t in r)
    return O.squeeze(r, -2)


def _one(v, name):
    v = _tuple(v, 1, name)
    return (1, v[0])


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Matches `torch.nn.functional.max_pool1d`."""
    K = _tuple(kernel_size, 1, "kernel_size")
    st = K if stride is None or (not isinstance(stride, (int, np.integer)) and len(stride) == 0) else stride
    st = _tuple(st, 1, "stride")
    pad = _tuple(padding, 1, "padding")
    dil = _tuple(dilation, 1, "dilation")
    if st[0] <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {st[0]}")
    if pad[0] > K[0] // 2:
        raise RuntimeError(
            f"max_pool1d() padding should be at most half of kernel size, but got padding={pad[0]} and "
            f"kernel_size={K[0]}"
        )
    if isinstance(input, Tensor) and input.dim() in (2, 3):
        o = _out_size(input.shape[-1:], K, st, pad, dil, ceil_mode)[0]
        if o <= 0:
            raise RuntimeError(f"max_pool1d() Invalid computed output size: {o}")
    return _as2d(
        input,
        1,
        lambda x: _max_poolnd(
            x, (1, K[0]), (1, st[0]), (0, pad[0]), (1, dil[0]), ceil_mode, return_indices, 2, "max_pool1d"
        ),
    )


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Matches `torch.nn.functional.max_pool2d`."""
    return _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2, "max_pool2d")


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Matches `torch.nn.functional.max_pool3d`."""
    if AUTOCAST.on and not return_indices:  # max_pool3d_with_indices is not on torch's lists
        args = (input, kernel_size, stride, padding, dilation, ceil_mode)
        return autocast_call("max_pool3d", max_pool3d, args, {})
    return _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3, "max_pool3d")


def max_pool1d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True
):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True
):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True
):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# -- average pooling --------------------------------------------------------------------------


class _AvgSpec:
    __slots__ = ("S", "K", "st", "lo", "hi", "out", "div")


def _avg_arr(xd, ps):
    xpad = _pad_arr(xd, ps.lo, ps.hi)
    v = _patches(xpad, ps.K, ps.st, (1,) * len(ps.K), ps.out)
    head = (slice(None), slice(None))
    ks = list(itertools.product(*(range(n) for n in ps.K)))
    acc = v[head + ks[0]].copy()
    for k in ks[1:]:
        acc += v[head + k]
    acc /= ps.div
    return acc


def _avg_adj_arr(g, ps):
    xp = xp_of(g)
    gd = g / ps.div
    N, C = g.shape[:2]
    Sp = tuple(s + a + b for s, a, b in zip(ps.S, ps.lo, ps.hi))
    gpad = xp.zeros((N, C) + Sp, dtype=g.dtype)
    head = (slice(None), slice(None))
    for k in itertools.product(*(range(n) for n in ps.K)):
        sl = tuple(slice(ki, ki + t * (o - 1) + 1, t) for ki, t, o in zip(k, ps.st, ps.out))
        gpad[head + sl] += gd
    crop = head + tuple(slice(a, a + s) for a, s in zip(ps.lo, ps.S))
    return xp.ascontiguousarray(gpad[crop])


class _AvgPoolBackward(_PoolNode):
    def _bw(self, g):
        return _avg_adj(g, self.ps)


class AvgPool2DBackward0(_AvgPoolBackward):
    pass


class AvgPool3DBackward0(_AvgPoolBackward):
    pass


class AvgPoolBackwardBackward0(_PoolNode):
    def _bw(self, g):
        return _avg(g, self.ps, AvgPoolBackwardBackward0)


def _ps_node(cls, ps):
    node = cls()
    node.ps = ps
    return node


def _avg(x, ps, cls, unb=False):
    return _finish(x, _avg_arr(_data(x, unb), ps), _ps_node(cls, ps) if _needs(x) else None, unb)


def _avg_adj(g, ps):
    return _finish(g, _avg_adj_arr(g._data, ps), _ps_node(AvgPoolBackwardBackward0, ps) if _needs(g) else None, False)


def _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd, name):
    xd, batched = _check_input(input, nd, name)
    K, st, pad, _ = _pool_args(kernel_size, stride, padding, 1, nd)
    for p, k in zip(pad, K):
        if p > k // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} and dilation=1"
            )
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    S = tuple(xd.shape[2:])
    out = _out_size(S, K, st, pad, (1,) * nd, ceil_mode)
    _check_out(xd, out)
    ps = _AvgSpec()
    ps.S, ps.K, ps.st, ps.lo, ps.out = S, K, st, pad, out
    ps.hi = _hi_pad(S, K, st, pad, (1,) * nd, out)
    xp = xp_of(xd)
    if divisor_override is not None:
        ps.div = xd.dtype.type(divisor_override) if xd.dtype.kind in "fV" else divisor_override
    else:
        div = None
        for i in range(nd):
            o = np.arange(out[i]) * st[i] - pad[i]
            end = np.minimum(o + K[i], S[i] + pad[i])
            if count_include_pad:
                cnt = end - o
            else:
                cnt = np.minimum(end, S[i]) - np.maximum(o, 0)
            shp = [1] * nd
            shp[i] = out[i]
            cnt = cnt.reshape(shp)
            div = cnt if div is None else div * cnt
        ps.div = xp.asarray(div.astype(xd.dtype if xd.dtype.kind in "fV" else np.int64))
    return _avg(input, ps, AvgPool2DBackward0 if nd <= 2 else AvgPool3DBackward0, not batched)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Matches `torch.nn.functional.avg_pool1d`."""
    K = _one(kernel_size, "kernel_size")
    st = None if stride is None else _one(stride, "stride")
    pad = (0, _tuple(padding, 1, "padding")[0])
    return _as2d(input, 1, lambda x: _avg_poolnd(x, K, st, pad, ceil_mode, count_include_pad, None, 2, "avg_pool1d"))


def avg_pool2d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """Matches `torch.nn.functional.avg_pool2d`."""
    return _avg_poolnd(
        input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2, "avg_pool2d"
    )


def avg_pool3d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """Matches `torch.nn.functional.avg_pool3d`."""
    if AUTOCAST.on:
        args = (input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
        return autocast_call("avg_pool3d", avg_pool3d, args, {})
    return _avg_poolnd(
        input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 3, "avg_pool3d"
    )


# -- adaptive pooling -------------------------------------------------------------------------


def _adaptive_size(output_size, S, nd):
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) == 1 and nd > 1:
        output_size = output_size * nd
    if len(output_size) != nd:
        raise RuntimeError(f"adaptive pool: output_size must be {nd}")
    return tuple(s if o is None else int(o) for o, s in zip(output_size, S))


def _windows(n_in, n_out):
    i = np.arange(n_out)
    start = (i * n_in) // n_out
    end = -((-(i + 1) * n_in) // n_out)
    return start, end


def _adaptive_input(input, nd, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    d = input.dim()
    if d not in (nd + 1, nd + 2):
        colon = ":" if "max" in name else ""
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got{colon} [{_fmt(input.shape)}]")
    for i in range(1, d):
        if input.shape[i] == 0:
            raise RuntimeError(
                f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input has sizes "
                f"[{_fmt(input.shape)}] with dimension {i} being empty"
            )
    if d == nd + 2:
        return input._data, True
    return input._data[None], False


def _avg_matrix(n_in, n_out, dtype):
    start, end = _windows(n_in, n_out)
    j = np.arange(n_in)
    m = (j[None, :] >= start[:, None]) & (j[None, :] < end[:, None])
    return (m / (end - start)[:, None]).astype(dtype)


def _apply_mats(d, mats):
    """Apply mats[i] (out_i, in_i) along spatial dim i of d (N, C, *S)."""
    xp = xp_of(d)
    nd = len(mats)
    src = d
    for i, m in enumerate(mats):
        if m is None:
            continue
        if i == nd - 1:
            d = xp.matmul(d, m.T)
        elif i == nd - 2:
            d = xp.matmul(m, d)
        else:
            ax = 2 + i
            d = xp.moveaxis(xp.matmul(xp.moveaxis(d, ax, -1), m.T), -1, ax)
    if d is src:
        return d.copy()
    return xp.ascontiguousarray(d)


class _AdaptiveAvgBackward(_PoolNode):
    def _bw(self, g):
        return _adaptive_apply(g, self.bwd, self.fwd, _AdaptiveAvgBackward)


class AdaptiveAvgPool2DBackward0(_AdaptiveAvgBackward):
    pass


class AdaptiveAvgPool3DBackward0(_AdaptiveAvgBackward):
    pass


def _adaptive_apply(x, mats, adj, cls, unb=False):
    node = None
    if _needs(x):
        node = cls()
        node.fwd, node.bwd = mats, adj
    return _finish(x, _apply_mats(_data(x, unb), mats), node, unb)


def _adaptive_avg_poolnd(input, output_size, nd, name):
    xd, batched = _adaptive_input(input, nd, name)
    S = tuple(xd.shape[2:])
    out = _adaptive_size(output_size, S, nd)
    dt = xd.dtype
    if dt.kind != "f":
        raise RuntimeError(f"\"{name}\" not implemented for '{input.dtype._tname}'")
    xp = xp_of(xd)
    mats, adj = [], []
    for s, o in zip(S, out):
        if s == o:
            mats.append(None)
            adj.append(None)
        else:
            m = xp.asarray(_avg_matrix(s, o, dt))
            mats.append(m)
            adj.append(xp.ascontiguousarray(m.T))
    cls = AdaptiveAvgPool2DBackward0 if nd <= 2 else AdaptiveAvgPool3DBackward0
    return _adaptive_apply(input, mats, adj, cls, not batched)


def adaptive_avg_pool1d(input, output_size):
    """Matches `torch.nn.functional.adaptive_avg_pool1d`."""
    osz = _tuple(output_size, 1, "output_size")
    return _as2d(input, 1, lambda x: _adaptive_avg_poolnd(x, (1, osz[0]), 2, "adaptive_avg_pool2d"))


def adaptive_avg_pool2d(input, output_size):
    """Matches `torch.nn.functional.adaptive_avg_pool2d` (None entries keep the input size)."""
    if isinstance(input, Tensor) and input.dim() in (3, 4) and input.numel() > 0:
        if _adaptive_size(output_size, tuple(input.shape[-2:]), 2) == (1, 1):
            return O.mean(input, (-1, -2), keepdim=True)
    return _adaptive_avg_poolnd(input, output_size, 2, "adaptive_avg_pool2d")


def adaptive_avg_pool3d(input, output_size):
    """Matches `torch.nn.functional.adaptive_avg_pool3d` (None entries keep the input size)."""
    if AUTOCAST.on:
        return autocast_call("adaptive_avg_pool3d", adaptive_avg_pool3d, (input, output_size), {})
    return _adaptive_avg_poolnd(input, output_size, 3, "adaptive_avg_pool3d")


class AdaptiveMaxPool2DBackward0(_MaxPoolBackward):
    pass


class AdaptiveMaxPool3DBackward0(_MaxPoolBackward):
    pass


def _adaptive_max_poolnd(input, output_size, return_indices, nd, name):
    xd, batched = _adaptive_input(input, nd, name)
    S = tuple(xd.shape[2:])
    out = _adaptive_size(output_size, S, nd)
    xp = xp_of(xd)
    N, C = xd.shape[:2]
    index = [slice(None), slice(None)]
    wins = []
    for i in range(nd):
        start, end = _windows(S[i], out[i])
        kmax = int((end - start).max())
        w = np.minimum(start[:, None] + np.arange(kmax)[None, :], end[:, None] - 1)  # (out_i, kmax)
        shp = [1] * (2 * nd)
        shp[i], shp[nd + i] = out[i], kmax
        wins.append(w)
        index.append(xp.asarray(w.reshape(shp)))
    cols = xd[tuple(index)]  # (N, C, *out, *kmax)
    cols = cols.reshape((N, C) + tuple(out) + (-1,))
    arg = cols.argmax(axis=-1)
    best = xp.take_along_axis(cols, arg[..., None], axis=-1)[..., 0]
    kshape = tuple(w.shape[1] for w in wins)
    sub = np.unravel_index(xp.asnumpy(arg) if xp is not np else arg, kshape)
    idx = 0
    for i in range(nd):
        shp = [1] * nd
        shp[i] = out[i]
        o = np.arange(out[i]).reshape(shp)
        coord = wins[i][o, sub[i]]
        idx = idx + coord * math.prod(S[i + 1 :])
    idx = xp.asarray(np.ascontiguousarray(idx, dtype=np.int64))
    node = None
    if _needs(input):
        cls = AdaptiveMaxPool2DBackward0 if nd <= 2 else AdaptiveMaxPool3DBackward0
        node = _idx_node(cls, idx, S, all(s % o == 0 for s, o in zip(S, out)))
    res = _finish(input, xp.ascontiguousarray(best), node, not batched)
    if not batched:
        idx = idx[0]
    if return_indices:
        return res, make(idx)
    return res


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Matches `torch.nn.functional.adaptive_max_pool1d`."""
    osz = _tuple(output_size, 1, "output_size")
    return _as2d(input, 1, lambda x: _adaptive_max_poolnd(x, (1, osz[0]), return_indices, 2, "adaptive_max_pool2d"))


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Matches `torch.nn.functional.adaptive_max_pool2d`."""
    return _adaptive_max_poolnd(input, output_size, return_indices, 2, "adaptive_max_pool2d")


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Matches `torch.nn.functional.adaptive_max_pool3d`."""
    if AUTOCAST.on:
        return autocast_call("adaptive_max_pool3d", adaptive_max_pool3d, (input, output_size, return_indices), {})
    return _adaptive_max_poolnd(input, output_size, return_indices, 3, "adaptive_max_pool3d")


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool3d(input, output_size, True)


# -- max_unpool -------------------------------------------------------------------------------


class _UnpoolBackward(_PoolNode):
    def _bw(self, g):
        return _gather(g, self.idx, self.S, self.unique)


class MaxUnpool2DBackward0(_UnpoolBackward):
    pass


class MaxUnpool3DBackward0(_UnpoolBackward):
    pass


def _max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, nd, name):
    if not isinstance(input, Tensor) or not isinstance(indices, Tensor):
        raise TypeError(f"{name}(): input and indices must be Tensors")
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {indices.dtype._tname.capitalize()}")
    if tuple(input.shape) != tuple(indices.shape):
        raise RuntimeError(
            f"Expected shape of indices to be same as that of the input tensor ({_fmt(input.shape)}) but got indices "
            f"tensor with shape: ({_fmt(indices.shape)})"
        )
    K = _tuple(kernel_size, nd, "kernel_size")
    st = K if stride is None else _tuple(stride, nd, "stride")
    pad = _tuple(padding, nd, "padding")
    xd, batched = _check_input(input, nd, name)
    idx = indices._data if batched else indices._data[None]
    S_in = tuple(xd.shape[2:])
    default = tuple((s - 1) * t - 2 * p + k for s, t, p, k in zip(S_in, st, pad, K))
    if output_size is None:
        S = default
    else:
        S = tuple(int(v) for v in output_size)
        if len(S) == nd + 2 or (len(S) == nd + 1 and not batched):
            S = S[-nd:]
        if len(S) != nd:
            raise ValueError(
                f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has a length of "
                f"'{len(S)}'"
            )
        for s, d, t in zip(S, default, st):
            if not d - t < s < d + t:
                raise ValueError(
                    f'invalid output_size "{list(S)}" (dim {S.index(s)} must be between {d - t} and {d + t})'
                )
    P = math.prod(S)
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= P:
            bad = lo if lo < 0 else hi
            raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size {_fmt(S, 'x')})")
    return _scatter(input, idx, S, True, MaxUnpool2DBackward0 if nd <= 2 else MaxUnpool3DBackward0, not batched)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Matches `torch.nn.functional.max_unpool1d`."""
    K = _tuple(kernel_size, 1, "kernel_size")
    st = K if stride is None else _tuple(stride, 1, "stride")
    pad = _tuple(padding, 1, "padding")
    if output_size is not None:
        output_size = list(output_size)[-1:]
        output_size = [1] + output_size
    if not isinstance(input, Tensor) or not isinstance(indices, Tensor):
        raise TypeError("max_unpool1d(): input and indices must be Tensors")
    return O.squeeze(
        _max_unpoolnd(
            O.unsqueeze(input, -2),
            O.unsqueeze(indices, -2),
            (1, K[0]),
            (1, st[0]),
            (0, pad[0]),
            output_size,
            2,
            "max_unpool1d",
        ),
        -2,
    )


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Matches `torch.nn.functional.max_unpool2d`."""
    if AUTOCAST.on:
        args = (input, indices, kernel_size, stride, padding, output_size)
        return autocast_call("max_unpool2d", max_unpool2d, args, {})
    return _max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, 2, "max_unpool2d")


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Matches `torch.nn.functional.max_unpool3d`."""
    if AUTOCAST.on:
        args = (input, indices, kernel_size, stride, padding, output_size)
        return autocast_call("max_unpool3d", max_unpool3d, args, {})
    return _max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, 3, "max_unpool3d")


# -- power-average pooling --------------------------------------------------------------------


def _lp_finish(out, norm_type, n):
    return (O.sign(out) * O.clamp(O.abs(out), min=0)).mul(n).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Matches `torch.nn.functional.lp_pool1d`."""
    out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp_finish(out, norm_type, _tuple(kernel_size, 1)[0])


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Matches `torch.nn.functional.lp_pool2d`."""
    kh, kw = _tuple(kernel_size, 2)
    out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp_finish(out, norm_type, kh * kw)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Matches `torch.nn.functional.lp_pool3d`."""
    kd, kh, kw = _tuple(kernel_size, 3)
    out = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp_finish(out, norm_type, kd * kh * kw)

"""pad, interpolate/upsample, grid_sample, affine_grid, pixel_shuffle/unshuffle, channel_shuffle.

Padding and resampling are separable: each padded or resized axis is a gather of a few "taps" (index,
weight) along that axis. The gather and its transpose (a scatter-add) are graph nodes of each other, so
gradients of any order are exact and every step is one NumPy call per tap.
"""

import math
import warnings

import numpy as np

import ember

from ..._autocast import AUTOCAST, autocast_call
from ..._backend import to_device, to_device_of, xp_of
from ..._ops._core import GRAD, Node, attach, make

__all__ = [
    "pad",
    "interpolate",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "grid_sample",
    "affine_grid",
    "pixel_shuffle",
    "pixel_unshuffle",
    "channel_shuffle",
    "native_channel_shuffle",
]


def _shape_str(s):
    return "[" + ", ".join(str(int(v)) for v in s) + "]"


# -- the separable gather ------------------------------------------------------------------------------


def _bshape(w, axis, ndim):
    s = [1] * ndim
    s[axis] = -1
    return w.reshape(s)


_dev = to_device_of


def _gather_np(xd, axis, taps):
    out = None
    for idx, w in taps:
        idx, w = _dev(idx, xd), _dev(w, xd)
        v = np.take(xd, idx, axis=axis)
        if w is not None:
            v = v * _bshape(w, axis, xd.ndim)
        out = v if out is None else out + v
    return out


def _scatter_np(gd, axis, taps, n_in):
    shape = list(gd.shape)
    shape[axis] = n_in
    xp = xp_of(gd)
    out = xp.zeros(shape, dtype=gd.dtype)
    om = xp.moveaxis(out, axis, 0)
    for idx, w in taps:
        w = _dev(w, gd)
        c = gd if w is None else gd * _bshape(w, axis, gd.ndim)
        c = np.moveaxis(c, axis, 0)
        if idx.size == 0:
            continue
        if np.all(idx[1:] >= idx[:-1]):
            starts = np.concatenate(([0], np.flatnonzero(np.diff(idx)) + 1))
            om[_dev(idx[starts], gd)] += xp.add.reduceat(c, _dev(starts, gd), axis=0)
        else:
            xp.add.at(om, _dev(idx, gd), c)
    return out


class _GatherNode(Node):
    def backward(self, g):
        return _scatter(g, self.axis, self.taps, self.n_in)


class _ScatterNode(Node):
    def backward(self, g):
        return _gather(g, self.axis, self.taps, None)


def _gather(x, axis, taps, cls=None):
    out = make(_gather_np(x._data, axis, taps))
    if GRAD.enabled and x._requires_grad:
        node = (cls or _GatherNode)()
        node.axis, node.taps, node.n_in = axis, taps, x._data.shape[axis]
        attach(out, node, (x,))
    return out


def _scatter(g, axis, taps, n_in):
    out = make(_scatter_np(g._data, axis, taps, n_in))
    if GRAD.enabled and g._requires_grad:
        node = _ScatterNode()
        node.axis, node.taps = axis, taps
        attach(out, node, (g,))
    return out


def _node_class(name):
    cls = _NODE_CLASSES.get(name)
    if cls is None:
        cls = _NODE_CLASSES[name] = type(name, (_GatherNode,), {})
    return cls


_NODE_CLASSES = {}


# -- pad -----------------------------------------------------------------------------------------------


class ConstantPadNdBackward0(Node):
    def backward(self, g):
        return _constant_pad(g, [-p for p in self.pad], 0)


def _constant_pad(x, pads, value):
    xd = x._data
    nd = xd.ndim
    new_shape = list(xd.shape)
    src, dst = [slice(None)] * nd, [slice(None)] * nd
    for i in range(len(pads) // 2):
        ax = nd - 1 - i
        lo, hi = pads[2 * i], pads[2 * i + 1]
        n = xd.shape[ax]
        m = n + lo + hi
        if m < 0:
            raise RuntimeError(
                f"The input size {n}, plus negative padding {lo} and {hi} resulted in a negative output size, "
                f"which is invalid. Check dimension {ax} of your input."
            )
        new_shape[ax] = m
        src[ax] = slice(max(0, -lo), n - max(0, -hi))
        dst[ax] = slice(max(0, lo), max(0, lo) + max(0, n - max(0, -lo) - max(0, -hi)))
    out = xp_of(xd).full(new_shape, value, dtype=xd.dtype)
    if all(s.start is None or s.start < s.stop for s in src):
        out[tuple(dst)] = xd[tuple(src)]
    res = make(out)
    if GRAD.enabled and x._requires_grad:
        node = ConstantPadNdBackward0()
        node.pad = list(pads)
        attach(res, node, (x,))
    return res


_MODES = {"reflect": "Reflection", "replicate": "Replication", "circular": "Circular"}


def _pad_index(n, lo, hi, mode):
    j = np.arange(-lo, n + hi, dtype=np.int64)
    if mode == "reflect":
        j = np.abs(j)
        j = np.where(j >= n, 2 * (n - 1) - j, j)
    elif mode == "replicate":
        j = np.clip(j, 0, n - 1)
    else:
        o = max(0, -lo)
        m = n - o - max(0, -hi)
        j = o + np.arange(-max(lo, 0), m + max(hi, 0), dtype=np.int64) % m
    return j


def pad(input, pad, mode="constant", value=None):
    """Matches `torch.nn.functional.pad`."""
    if AUTOCAST.on and mode in ("reflect", "replicate"):  # torch's reflection_padNd / replication_padNd
        name = f"{'reflection' if mode == 'reflect' else 'replication'}_pad{len(pad) // 2}d"
        return autocast_call(name, globals()["pad"], (input, pad, mode, value), {})
    pad = [int(p) for p in pad]
    nd = input.dim()
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * nd:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but got padding length "
            f"{len(pad)} and input of dimension {nd}"
        )
    if mode == "constant":
        return _constant_pad(input, pad, 0 if value is None else value)
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pad) // 2
    if k not in (1, 2, 3) or nd not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {nd}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    shape = input.shape
    for i in range(k):
        ax = nd - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        n = shape[ax]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input dimension, but got: "
                f"padding ({lo}, {hi}) at dimension {ax} of input {_shape_str(shape)}"
            )
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if n == 0 and (lo > 0 or hi > 0):
            raise RuntimeError(f"{mode} padding: input dimension {ax} of size 0 cannot be padded")
    cls = _node_class(f"{_MODES[mode]}Pad{k}DBackward0")
    out = input
    for i in range(k):
        ax = nd - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        if lo == 0 and hi == 0:
            continue
        out = _gather(out, ax, [(_pad_index(shape[ax], lo, hi, mode), None)], cls)
    return out if out is not input else _gather(input, nd - 1, [(np.arange(shape[-1]), None)], cls)


# -- interpolate ---------------------------------------------------------------------------------------


def _cubic_weights(t, A=-0.75):
    def c1(x):
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def c2(x):
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    return c2(t + 1), c1(t), c1(1 - t), c2(2 - t)


def _area_matrix(n_in, n_out, dt):
    i = np.arange(n_out)
    start = (i * n_in) // n_out
    end = -((-(i + 1) * n_in) // n_out)
    m = np.zeros((n_out, n_in), dtype=np.float64)
    cols = np.arange(n_in)
    mask = (cols[None, :] >= start[:, None]) & (cols[None, :] < end[:, None])
    m[mask] = 1
    m /= (end - start)[:, None]
    return m.astype(dt)


def _taps(mode, n_in, n_out, scale, align_corners, dt):
    f32 = np.float32 if dt == np.float32 else np.float64
    if mode in ("nearest", "nearest-exact"):
        if n_out == n_in and mode == "nearest" and not scale:
            return [(np.arange(n_out), None)]
        s = f32(1.0 / scale) if scale else f32(n_in / n_out)
        d = np.arange(n_out, dtype=f32)
        if mode == "nearest-exact":
            d = d + f32(0.5)
        idx = np.minimum(np.floor(d * s).astype(np.int64), n_in - 1)
        return [(idx, None)]
    if align_corners:
        s = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        s = 1.0 / scale if scale else n_in / n_out
    s = f32(s)
    d = np.arange(n_out, dtype=f32)
    src = s * d if align_corners else s * (d + f32(0.5)) - f32(0.5)
    if mode == "cubic":
        i0 = np.floor(src)
        t = (src - i0).astype(f32)
        i0 = i0.astype(np.int64)
        ws = _cubic_weights(t)
        return [(np.clip(i0 + k - 1, 0, n_in - 1), ws[k].astype(dt)) for k in range(4)]
    if not align_corners:
        src = np.maximum(src, f32(0))
    i0 = src.astype(np.int64)
    i0 = np.minimum(i0, n_in - 1)
    lam1 = (src - i0).astype(f32)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return [(i0, (f32(1) - lam1).astype(dt)), (i1, lam1.astype(dt))]


_INTERP = {
    "nearest": ("Nearest", "nearest"),
    "nearest-exact": ("NearestExact", "nearest-exact"),
    "linear": ("Linear", "linear"),
    "bilinear": ("Bilinear", "linear"),
    "trilinear": ("Trilinear", "linear"),
    "bicubic": ("Bicubic", "cubic"),
}
_NEED_DIM = {"linear": 3, "bilinear": 4, "trilinear": 5, "bicubic": 4}


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias=False,
):
    """Matches `torch.nn.functional.interpolate`."""
    if AUTOCAST.on:  # torch runs upsample_* kernels, or adaptive_avg_poolNd for mode='area'
        name = "interpolate" if mode != "area" else f"adaptive_avg_pool{input.dim() - 2}d"
        args = (input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias)
        return autocast_call(name, interpolate, args, {})
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | "
                "trilinear"
            )
    elif align_corners is None:
        align_corners = False
    nd = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != nd:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got input with spatial "
                    f"dimensions of {list(input.shape[2:])} and output size of {size}. Please provide input tensor "
                    "in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format."
                )
            out_size = [int(s) for s in size]
        else:
            out_size = [int(size)] * nd
        scales = [None] * nd
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != nd:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but got input with "
                    f"spatial dimensions of {list(input.shape[2:])} and scale_factor of shape {scale_factor}. Please "
                    "provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                    "format."
                )
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * nd
        out_size = [int(math.floor(float(input.shape[i + 2]) * scales[i])) for i in range(nd)]
        if recompute_scale_factor:
            scales = [None] * nd
    else:
        raise ValueError("either size or scale_factor should be defined")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported by ember")
    if mode not in _INTERP and mode != "area" or nd not in (1, 2, 3):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the modes: nearest | "
            f"linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact (got {mode})"
        )
    need = _NEED_DIM.get(mode)
    if need is not None and input.dim() != need:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {need}D input")
    dt = input._data.dtype
    if mode == "area":
        out = input
        for i in range(nd):
            ax = 2 + i
            m = make(to_device(_area_matrix(input.shape[ax], out_size[i], dt), input.device))
            out = (out.movedim(ax, -1) @ m.t()).movedim(-1, ax)
        return out
    name, kind = _INTERP[mode]
    cls = _node_class(f"Upsample{name}{nd}DBackward0")
    out = input
    for i in range(nd):
        ax = 2 + i
        taps = _taps(kind, input.shape[ax], out_size[i], scales[i], align_corners, dt)
        out = _gather(out, ax, taps, cls)
    if out is input:
        out = _gather(input, 2, [(np.arange(input.shape[2]), None)], cls)
    return out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of interpolate."""
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("nn.functional.upsample_nearest is deprecated. Use nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("nn.functional.upsample_bilinear is deprecated. Use nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# -- grid_sample / affine_grid ---------------------------------------------------------------------------

_GRID_WARN = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please specify "
    "align_corners=True if the old behavior is desired. See the documentation of grid_sample for details."
)


def _reflect(c, lo2, hi2):
    if lo2 == hi2:
        return c * 0
    mn = lo2 / 2
    span = (hi2 - lo2) / 2
    c = (c - mn).abs()
    extra = ember.fmod(c, span)
    flips = ember.floor(c.detach() / span)
    even = ember.remainder(flips, 2) == 0
    return ember.where(even, extra + mn, span - extra + mn)


def _source(coord, size, padding_mode, align_corners):
    if align_corners:
        c = (coord + 1) / 2 * (size - 1)
    else:
        c = ((coord + 1) * size - 1) / 2
    if padding_mode == "border":
        c = c.clamp(0, size - 1)
    elif padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (size - 1)) if align_corners else _reflect(c, -1, 2 * size - 1)
        c = c.clamp(0, size - 1)
    return c


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Matches `torch.nn.functional.grid_sample` for 4D input (bilinear and nearest)."""
    if AUTOCAST.on:
        return autocast_call("grid_sample", grid_sample, (input, grid, mode, padding_mode, align_corners), {})
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(
            f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '{mode}'"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', but got: "
            f"'{padding_mode}'"
        )
    if align_corners is None:
        warnings.warn(_GRID_WARN, stacklevel=2)
        align_corners = False
    if input.dim() != 4 or grid.dim() != 4 or mode == "bicubic":
        raise NotImplementedError("ember grid_sample supports 4D input with mode 'bilinear' or 'nearest'")
    N, C, H, W = input.shape
    if grid.shape[0] != N or grid.shape[-1] != 2:
        raise RuntimeError(
            "grid_sampler(): expected grid to have size 2 in last dimension and the same batch size as input, but "
            f"got grid with sizes {_shape_str(grid.shape)}"
        )
    Ho, Wo = grid.shape[1], grid.shape[2]
    ix = _source(grid[..., 0], W, padding_mode, align_corners)
    iy = _source(grid[..., 1], H, padding_mode, align_corners)
    flat = input.reshape(N, C, H * W)

    def corner(xi, yi):
        xd, yd = xi._data, yi._data
        valid = (xd >= 0) & (xd <= W - 1) & (yd >= 0) & (yd <= H - 1)
        lin = np.clip(yd, 0, H - 1).astype(np.int64) * W + np.clip(xd, 0, W - 1).astype(np.int64)
        idx = make(np.broadcast_to(lin.reshape(N, 1, Ho * Wo), (N, C, Ho * Wo)))
        v = flat.gather(2, idx).reshape(N, C, Ho, Wo)
        return v, make(valid.astype(input._data.dtype)[:, None])

    if mode == "nearest":
        with ember.no_grad():
            xn, yn = ember.round(ix), ember.round(iy)
        v, m = corner(xn, yn)
        out = v * m
        if grid.requires_grad and GRAD.enabled:
            out = out + (ix + iy).unsqueeze(1) * 0  # torch gives the grid a zero gradient
        return out
    with ember.no_grad():
        x0, y0 = ember.floor(ix), ember.floor(iy)
        x1, y1 = x0 + 1, y0 + 1
    wx1, wy1 = (ix - x0).unsqueeze(1), (iy - y0).unsqueeze(1)
    wx0, wy0 = 1 - wx1, 1 - wy1
    out = None
    for xi, yi, w in ((x0, y0, wx0 * wy0), (x1, y0, wx1 * wy0), (x0, y1, wx0 * wy1), (x1, y1, wx1 * wy1)):
        v, m = corner(xi, yi)
        t = v * (w * m)
        out = t if out is None else out + t
    return out


def _linspace(n, align_corners, dt):
    if n <= 1:
        return np.zeros(max(n, 0), dtype=dt)
    r = np.linspace(-1, 1, n, dtype=np.float64)
    if not align_corners:
        r = r * (n - 1) / n
    return r.astype(dt)


def affine_grid(theta, size, align_corners=None):
    """Matches `torch.nn.functional.affine_grid`."""
    if align_corners is None:
        warnings.warn(_GRID_WARN, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    dt = theta._data.dtype
    if len(size) == 4:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(
                f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got "
                f"torch.Size({list(theta.shape)})."
            )
        N, _, H, W = size
        xs, ys = _linspace(W, align_corners, dt), _linspace(H, align_corners, dt)
        base = np.empty((H, W, 3), dtype=dt)
        base[..., 0] = xs[None, :]
        base[..., 1] = ys[:, None]
        base[..., 2] = 1
        out_sp = (H, W)
    elif len(size) == 5:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(
                f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got "
                f"torch.Size({list(theta.shape)})."
            )
        N, _, D, H, W = size
        base = np.empty((D, H, W, 4), dtype=dt)
        base[..., 0] = _linspace(W, align_corners, dt)[None, None, :]
        base[..., 1] = _linspace(H, align_corners, dt)[None, :, None]
        base[..., 2] = _linspace(D, align_corners, dt)[:, None, None]
        base[..., 3] = 1
        out_sp = (D, H, W)
    else:
        raise NotImplementedError(
            f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. Got size "
            f"{size}."
        )
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != N:
        raise ValueError(
            f"Expected a batch of affine matrices of size {N} for size {size}. Got torch.Size({list(theta.shape)})."
        )
    b = make(to_device(base.reshape(1, -1, base.shape[-1]), theta.device))
    grid = b @ theta.transpose(1, 2)
    return grid.reshape((N,) + out_sp + (len(out_sp),))


# -- pixel / channel shuffle -----------------------------------------------------------------------------


def pixel_shuffle(input, upscale_factor):
    """Matches `torch.nn.functional.pixel_shuffle`."""
    r = int(upscale_factor)
    if input.dim() < 3:
        raise RuntimeError(
            f"pixel_shuffle expects input to have at least 3 dimensions, but got input with {input.dim()} dimension(s)"
        )
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, "
            f"but input.size(-3)={c} is not divisible by {r * r}"
        )
    k = len(lead)
    oc = c // (r * r)
    x = input.reshape(*lead, oc, r, r, h, w)
    perm = list(range(k)) + [k, k + 3, k + 1, k + 4, k + 2]
    return x.permute(perm).reshape(*lead, oc, h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """Matches `torch.nn.functional.pixel_unshuffle`."""
    r = int(downscale_factor)
    if input.dim() < 3:
        raise RuntimeError(
            "pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.dim()} dimension(s)"
        )
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r:
        raise RuntimeError(
            f"pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)={h} is not "
            f"divisible by {r}"
        )
    if w % r:
        raise RuntimeError(
            f"pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)={w} is not "
            f"divisible by {r}"
        )
    k = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    perm = list(range(k)) + [k, k + 2, k + 4, k + 1, k + 3]
    return x.permute(perm).reshape(*lead, c * r * r, h // r, w // r)


def channel_shuffle(input, groups):
    """Matches `torch.nn.functional.channel_shuffle`."""
    if input.dim() < 3:
        raise RuntimeError(
            f"channel_shuffle expects input to have at least 3 dimensions, but got input with {input.dim()} dims"
        )
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c = input.shape[0], input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    rest = tuple(input.shape[2:])
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(input.shape)


native_channel_shuffle = channel_shuffle

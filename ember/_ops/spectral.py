"""Window functions and the short-time Fourier transform: hann/hamming/blackman/bartlett/kaiser_window,
stft, istft (matching torch's values, grad_fn names, warnings and errors). The transforms themselves are
ember.fft's differentiable primitives."""

import math
import warnings

import numpy as np

from .. import _dtype as D
from .._autocast import AUTOCAST, autocast_call
from .._backend import to_device_of, xp_of
from ._core import GRAD, Node, Tensor, arr, attach, bind, make, scalar_type_name

__all__ = [
    "hann_window",
    "hamming_window",
    "blackman_window",
    "bartlett_window",
    "kaiser_window",
    "stft",
    "istft",
]


# -- windows -----------------------------------------------------------------------------------


def _window_checks(fname, window_length, dtype):
    if type(window_length) is not int and not (isinstance(window_length, np.integer)):
        raise TypeError(
            f"{fname}(): argument 'window_length' (position 1) must be int, not {type(window_length).__name__}"
        )
    if window_length < 0:
        raise RuntimeError(f"{fname} requires non-negative window_length, got window_length={window_length}")
    dt = dtype if dtype is not None else D.get_default_dtype()
    if not dt.is_floating_point:
        if dt.is_complex:
            raise NotImplementedError(f"\"arange_cpu\" not implemented for '{scalar_type_name(dt.np)}'")
        raise RuntimeError(f"{fname} expects floating point dtypes, got: {dt}")
    return dt


def _opmath(npdt):
    """torch computes half/bfloat16 element-wise math in float32 and rounds each step."""
    return np.dtype(np.float32) if npdt.itemsize <= 2 else npdt


def _finish(values, dt, device, requires_grad):
    t = make(np.ascontiguousarray(np.asarray(values).astype(dt.np)))
    if device is not None and str(device) != "cpu":
        t = t.to(device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _window(fname, window_length, periodic, dtype, device, requires_grad, body):
    dt = _window_checks(fname, window_length, dtype)
    if window_length == 0:
        return _finish(np.zeros(0), dt, device, requires_grad)
    if window_length == 1:
        return _finish(np.ones(1), dt, device, requires_grad)
    n = window_length + 1 if periodic else window_length
    w = body(n, dt.np, _opmath(dt.np))
    return _finish(w[:window_length] if periodic else w, dt, device, requires_grad)


def _hamming_body(alpha, beta):
    def body(n, npdt, op):
        def r(a):  # round to the result dtype after each step, as torch's in-place ops do
            return a.astype(npdt).astype(op)

        w = r(np.arange(n, dtype=np.float64))
        w = r(w * op.type(math.pi * 2.0 / (n - 1)))
        w = r(np.cos(w))
        w = r(w * op.type(-beta))
        return r(w + op.type(alpha))

    return body


def hann_window(
    window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False
):
    """Matches `torch.hann_window`."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad, _hamming_body(0.5, 0.5))


def hamming_window(
    window_length,
    periodic=True,
    alpha=0.54,
    beta=0.46,
    *,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=False,
    requires_grad=False,
):
    """Matches `torch.hamming_window`."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad, _hamming_body(alpha, beta))


def _blackman_body(n, npdt, op):
    def r(a):
        return a.astype(npdt).astype(op)

    w = r(np.arange(n, dtype=np.float64))
    w = r(w * op.type(math.pi / (n - 1)))
    a = r(r(np.cos(r(w * op.type(4)))) * op.type(0.08))
    b = r(r(np.cos(r(w * op.type(2)))) * op.type(0.5))
    return r(r(a - b) + op.type(0.42))


def blackman_window(
    window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False
):
    """Matches `torch.blackman_window`."""
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad, _blackman_body)


def _bartlett_body(n, npdt, op):
    def r(a):
        return a.astype(npdt).astype(op)

    w = r(np.arange(n, dtype=np.float64))
    w = r(w * op.type(2.0 / (n - 1)))
    half = ((n - 1) >> 1) + 1
    w[half:] = r(r(w[half:] * op.type(-1)) + op.type(2))
    return w


def bartlett_window(
    window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False
):
    """Matches `torch.bartlett_window`."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad, _bartlett_body)


def kaiser_window(
    window_length,
    periodic=True,
    beta=12.0,
    *,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=False,
    requires_grad=False,
):
    """Matches `torch.kaiser_window`: I0(beta * sqrt(1 - ((k - a) / a)^2)) / I0(beta), a = (N - 1) / 2."""

    def body(n, npdt, op):
        a = (n - 1) / 2.0
        k = np.arange(n, dtype=np.float64)
        return np.i0(beta * np.sqrt(np.abs(1 - ((k - a) / a) ** 2))) / np.i0(beta)

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, body)


# -- private differentiable helpers --------------------------------------------------------------


class _GatherLastBackward(Node):
    def backward(self, g):
        return _scatter_last(g, self.idx, self.valid, self.length)


class _ScatterLastBackward(Node):
    def backward(self, g):
        return _gather_last(g, self.idx, self.valid)


def _gather_last(x, idx, valid=None):
    """x[..., idx] (idx any shape; entries where `valid` is False give 0); differentiable."""
    d = x._data
    idx, valid = to_device_of(idx, d), to_device_of(valid, d)
    r = d[..., idx]
    if valid is not None:
        r = r * valid.astype(r.dtype)
    out = make(arr(xp_of(d).ascontiguousarray(r)))
    if GRAD.enabled and x._requires_grad:
        node = _GatherLastBackward()
        node.idx, node.valid, node.length = idx, valid, d.shape[-1]
        attach(out, node, (x,))
    return out


def _scatter_last(g, idx, valid, length):
    """The adjoint of _gather_last: zeros(..., length) with g[..., idx] added at idx (overlaps add up)."""
    d = g._data
    xp = xp_of(d)
    idx, valid = to_device_of(idx, d), to_device_of(valid, d)
    lead = d.shape[: d.ndim - idx.ndim]
    vals = d.reshape((-1, idx.size))
    if valid is not None:
        vals = vals * valid.reshape(-1).astype(vals.dtype)
    res = xp.zeros((vals.shape[0], length), dtype=d.dtype)
    flat = idx.reshape(-1)
    for b in range(vals.shape[0]):  # bincount per batch row: one vectorised call each
        if d.dtype.kind == "c":
            res[b] = xp.bincount(flat, vals[b].real, minlength=length) + 1j * xp.bincount(
                flat, vals[b].imag, minlength=length
            )
        else:
            res[b] = xp.bincount(flat, vals[b], minlength=length)
    out = make(res.reshape(lead + (length,)))
    if GRAD.enabled and g._requires_grad:
        node = _ScatterLastBackward()
        node.idx, node.valid = idx, valid
        attach(out, node, (g,))
    return out


class TransposeBackward1(Node):
    """torch's stft transposes its result in place (out.transpose_(1, 2))."""

    def backward(self, g):
        from .shape import transpose  # noqa: PLC0415

        return transpose(g, 1, 2)


def _transpose12_(x):
    out = make(np.swapaxes(x._data, 1, 2))
    if GRAD.enabled and x._requires_grad:
        attach(out, TransposeBackward1(), (x,))
    return out


class SqueezeBackward4(Node):
    """squeeze_(0) on stft's result for 1-D input."""

    def backward(self, g):
        from .shape import unsqueeze  # noqa: PLC0415

        return unsqueeze(g, 0)


def _squeeze0_(x):
    out = make(x._data[0])
    if GRAD.enabled and x._requires_grad:
        attach(out, SqueezeBackward4(), (x,))
    return out


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _pad_last(x, pad, mode):
    """F.pad(x, [pad, pad], mode) over the last dim (the center padding of stft)."""
    n = x._data.shape[-1]
    k = np.arange(-pad, n + pad)
    valid = None
    if mode == "reflect":
        if pad >= n:
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input dimension, but got: padding "
                f"({pad}, {pad}) at dimension {x._data.ndim} of input {[1] * (3 - x._data.ndim) + list(x._data.shape)}"
            )
        period = 2 * (n - 1)
        k = np.abs(k) % period if period else np.zeros_like(k)
        k = np.where(k >= n, period - k, k)
    elif mode == "replicate":
        k = np.clip(k, 0, n - 1)
    elif mode == "circular":
        if pad > n:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        k = k % n
    elif mode == "constant":
        valid = (k >= 0) & (k < n)
        k = np.clip(k, 0, max(n - 1, 0))
    else:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    return _gather_last(x, k, valid)


# -- stft / istft --------------------------------------------------------------------------------


def _desc(x):
    return f"{D.FROM_NP[x._data.dtype]._tname}{list(x._data.shape)}"


_NO_WINDOW_MSG = (
    "A window was not provided. A rectangular window will be applied,which is known to cause spectral leakage. "
    "Other windows such as torch.hann_window or torch.hamming_window are recommended to reduce spectral leakage."
    "To suppress this warning and use a rectangular window, explicitly set `window=torch.ones(n_fft, "
    "device=<device>)`."
)
_RC_FALSE_MSG = (
    "stft with return_complex=False is deprecated. In a future pytorch release, stft will return complex tensors "
    "for all inputs, and return_complex=False will raise an error.\nNote: you can still call torch.view_as_real on "
    "the complex output to recover the old return format."
)


def _padded_window(window, win_length, n_fft, like):
    """The window zero-padded (centered) to n_fft; None for a rectangular window of length n_fft."""
    if window is None:
        if win_length == n_fft:
            return None
        from .creation import ones  # noqa: PLC0415

        dt = D.FROM_NP[like._data.dtype].to_real()
        window = ones(win_length, dtype=dt)
    if win_length < n_fft:
        left = (n_fft - win_length) // 2
        idx = np.arange(n_fft) - left
        valid = (idx >= 0) & (idx < win_length)
        window = _gather_last(window, np.clip(idx, 0, win_length - 1), valid)
    return window


def stft(
    input,
    n_fft,
    hop_length=None,
    win_length=None,
    window=None,
    center=True,
    pad_mode="reflect",
    normalized=False,
    onesided=None,
    return_complex=None,
    align_to_window=None,
):
    """Matches `torch.stft`."""
    if AUTOCAST.on:
        return autocast_call(
            "stft",
            stft,
            (input, n_fft, hop_length, win_length, window, center, pad_mode, normalized, onesided, return_complex),
            {"align_to_window": align_to_window},
        )
    from ..fft import _c2c, _r2c  # noqa: PLC0415
    from .complex import view_as_real  # noqa: PLC0415

    if not isinstance(input, Tensor):
        raise TypeError(f"stft(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    x = input
    if center:
        if x._data.ndim not in (1, 2):
            pass  # rejected below with torch's message
        else:
            x = _pad_last(x, int(n_fft // 2), pad_mode)
    hop = n_fft // 4 if hop_length is None else hop_length
    wl = n_fft if win_length is None else win_length
    complex_in = x._data.dtype.kind == "c" or (window is not None and window._data.dtype.kind == "c")
    if return_complex is None:
        if not complex_in:
            raise RuntimeError(
                "stft requires the return_complex parameter be given for real inputs, and will further require that "
                "return_complex=True in a future PyTorch release."
            )
        return_complex = True
    elif not return_complex:
        warnings.warn(_RC_FALSE_MSG, UserWarning, stacklevel=2)
    if window is None:
        warnings.warn(_NO_WINDOW_MSG, UserWarning, stacklevel=2)
    rep = (
        f"stft({_desc(x)}, n_fft={n_fft}, hop_length={hop}, win_length={wl}, window="
        f"{'None' if window is None else 'tensor'}, normalized={int(bool(normalized))}, onesided="
        f"{onesided}, return_complex={int(bool(return_complex))}, align_to_window={align_to_window}) "
    )
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(rep + ": expected a tensor of floating point or complex values")
    if x._data.ndim not in (1, 2):
        raise RuntimeError(rep + ": expected a 1D or 2D tensor")
    if x._data.ndim == 1:
        from .shape import unsqueeze  # noqa: PLC0415

        x = unsqueeze(x, 0)
    length = x._data.shape[1]
    if n_fft <= 0 or n_fft > length:
        raise RuntimeError(rep + f": expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(rep + f": expected hop_length > 0, but got hop_length={hop}")
    if wl <= 0 or wl > n_fft:
        raise RuntimeError(rep + f": expected 0 < win_length <= n_fft, but got win_length={wl}")
    if window is not None and (window._data.ndim != 1 or window._data.shape[0] != wl):
        raise RuntimeError(
            rep + f": expected a 1D window tensor of size equal to win_length={wl}, but got window with size "
            f"{list(window._data.shape)}"
        )
    onesided = (not complex_in) if onesided is None else onesided
    if complex_in and onesided:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    if align_to_window:
        # frames start at the window's first sample instead of the padded frame's
        start = (n_fft - wl) // 2
        x = _gather_last(x, np.arange(start, length))
        length -= start
        if n_fft > length:
            raise RuntimeError(rep + f": expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    n_frames = 1 + (length - n_fft) // hop
    idx = (np.arange(n_frames)[:, None] * hop + np.arange(n_fft)[None, :]).astype(np.int64)
    frames = _gather_last(x, idx)  # (batch, n_frames, n_fft)
    win = _padded_window(window, wl, n_fft, x)
    if win is not None:
        frames = frames * win
    if frames._data.dtype.kind not in "fc":
        raise RuntimeError(rep + ": expected a tensor of floating point or complex values")
    norm = 1 if normalized else 0
    if frames._data.dtype.kind == "c":
        out = _c2c(frames, (2,), norm, True)
    else:
        out = _r2c(frames, (2,), norm, onesided)
    out = _transpose12_(out)
    if input._data.ndim == 1:
        out = _squeeze0_(out)
    if not return_complex:
        out = view_as_real(out)
    return out


def istft(
    input,
    n_fft,
    hop_length=None,
    win_length=None,
    window=None,
    center=True,
    normalized=False,
    onesided=None,
    length=None,
    return_complex=False,
):
    """Matches `torch.istft`."""
    from ..fft import _c2c, _c2r, _resize  # noqa: PLC0415
    from .shape import expand, reshape, transpose  # noqa: PLC0415

    if not isinstance(input, Tensor):
        raise TypeError(f"istft(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    d = input._data
    if d.dtype.kind != "c":
        raise RuntimeError(
            "istft requires a complex-valued input tensor matching the output from stft with return_complex=True."
        )
    hop = n_fft // 4 if hop_length is None else hop_length
    wl = n_fft if win_length is None else win_length
    rep = (
        f"istft({_desc(input)}, n_fft={n_fft}, hop_length={hop}, win_length={wl}, window="
        f"{'None' if window is None else 'tensor'}, center={int(bool(center))}, normalized={int(bool(normalized))}, "
        f"onesided={onesided}, length={length}, return_complex={int(bool(return_complex))})"
    )
    if d.ndim not in (2, 3):
        raise RuntimeError(rep + f": expected a tensor with 3 or 4 dimensions of real, but got {d.ndim + 1}")
    n_frames = d.shape[-1]
    fft_size = d.shape[-2]
    expected_len = n_fft + hop * (n_frames - 1)
    if hop <= 0 or hop > wl:
        raise RuntimeError(rep + ": expected 0 < hop_length <= win_length")
    if wl <= 0 or wl > n_fft:
        raise RuntimeError(rep + ": expected 0 < win_length <= n_fft")
    if window is not None and (window._data.ndim != 1 or window._data.shape[0] != wl):
        raise RuntimeError(
            rep + f": Invalid window shape. window has to be 1D and length of `win_length` but got window with size "
            f"{list(window._data.shape)}"
        )
    if onesided is None:
        onesided = fft_size != n_fft
    if onesided:
        if n_fft // 2 + 1 != fft_size:
            raise RuntimeError(
                rep + ": expected the frequency dimension (3rd to the last) of the input tensor to match n_fft / 2 "
                f"+ 1 when onesided=True, but got {fft_size}"
            )
    elif n_fft != fft_size:
        raise RuntimeError(
            rep + ": expected the frequency dimension (3rd to the last) of the input tensor to match n_fft when "
            f"onesided=False, but got {fft_size}"
        )
    x = input
    if d.ndim == 2:
        from .shape import unsqueeze  # noqa: PLC0415

        x = unsqueeze(x, 0)
    x = transpose(x, 1, 2)  # (channel, n_frames, fft_size)
    norm = 1 if normalized else 2
    if return_complex:
        if onesided:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        frames = _c2c(x, (2,), norm, False)
    else:
        if window is not None and window._data.dtype.kind == "c":
            raise RuntimeError("Complex windows are incompatible with return_complex=False")
        if not onesided:
            x = _resize(x, (2,), (n_fft // 2 + 1,))
        frames = _c2r(x, (2,), norm, n_fft)
    if window is None:
        from .creation import ones  # noqa: PLC0415

        warnings.warn(
            "A window was not provided. A rectangular window will be applied.Please provide the same window used by "
            "stft to make the inversion lossless.To suppress this warning and use a rectangular window, explicitly "
            "set `window=torch.ones(n_fft, device=<device>)`.",
            UserWarning,
            stacklevel=2,
        )
        window = ones(wl, dtype=D.FROM_NP[frames._data.dtype].to_real())
    win = _padded_window(window, wl, n_fft, frames)
    frames = frames * win
    idx = (np.arange(n_frames)[:, None] * hop + np.arange(n_fft)[None, :]).astype(np.int64)
    y = _scatter_last(frames, idx, None, expected_len)  # (channel, expected_len)
    wsq = win * win
    env = _scatter_last(expand(reshape(wsq, (1, 1, n_fft)), (1, n_frames, n_fft)), idx, None, expected_len)
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = -(n_fft // 2)
    else:
        end = expected_len
    sl = slice(start, end)
    keep = np.arange(expected_len)[sl]
    y = _gather_last(y, keep)
    env = _gather_last(env, keep)
    if env._data.size and np.abs(env._data).min() < 1e-11:
        raise RuntimeError(rep + " window overlap add min: 1")
    y = y / env
    if d.ndim == 2:
        from .shape import squeeze  # noqa: PLC0415

        y = squeeze(y, 0)
    if end > expected_len:
        warnings.warn(
            "The length of signal is shorter than the length parameter. Result is being padded with zeros in the "
            "tail. Please check your center and hop_length settings.",
            UserWarning,
            stacklevel=2,
        )
        y = _resize(y, (y._data.ndim - 1,), (y._data.shape[-1] + end - expected_len,))
    return y


def _stft_method(self, *args, **kwargs):
    return stft(self, *args, **kwargs)


def _istft_method(self, *args, **kwargs):
    return istft(self, *args, **kwargs)


bind("stft", _stft_method)
bind("istft", _istft_method)

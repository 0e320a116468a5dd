"""ember.fft: discrete Fourier transforms, matching `torch.fft`.

Three differentiable primitives do the work, as in torch:
  _c2c(x, dims, norm, forward)      complex -> complex            (FftC2CBackward0)
  _r2c(x, dims, norm, onesided)     real -> complex, forward      (FftR2CBackward0)
  _c2r(x, dims, norm, last_size)    complex -> real, inverse      (FftC2RBackward0)
`norm` is torch's normalization mode: 0 none, 1 by 1/sqrt(n), 2 by 1/n (n: product of the signal sizes).
The public functions promote dtypes, resize the input (zero-pad or slice) and combine the primitives
with conj the way torch does, so grad_fn names and gradients match. The transforms run on scipy.fft,
which keeps single precision (float32 -> complex64).
"""

import numpy as np

from . import _dtype as D
from ._autocast import AUTOCAST, autocast_call
from ._backend import to_device_of
from ._ops._core import GRAD, Node, Tensor, arr, attach, make, scalar_type_name
from ._ops.complex import conj as _conj
from ._ops.complex import real as _real

__all__ = [
    "fft",
    "ifft",
    "fft2",
    "ifft2",
    "fftn",
    "ifftn",
    "rfft",
    "irfft",
    "rfft2",
    "irfft2",
    "rfftn",
    "irfftn",
    "hfft",
    "ihfft",
    "hfft2",
    "ihfft2",
    "hfftn",
    "ihfftn",
    "fftfreq",
    "rfftfreq",
    "fftshift",
    "ifftshift",
]

_NONE, _ROOT_N, _BY_N = 0, 1, 2
_SP = None


def _sp(d):
    """scipy.fft for a NumPy array, cupyx.scipy.fft (the same API, cuFFT) for a CuPy one."""
    global _SP
    if type(d) is not np.ndarray:
        import cupyx.scipy.fft  # noqa: PLC0415 - installed with CuPy

        return cupyx.scipy.fft
    if _SP is None:
        import scipy.fft  # noqa: PLC0415

        _SP = scipy.fft
    return _SP


# scipy's norm names for each (torch mode, direction): a forward transform scales by 1/n with "forward",
# an inverse one by 1/n with "backward".
_FWD_NORM = ("backward", "ortho", "forward")
_INV_NORM = ("forward", "ortho", "backward")


# -- private differentiable helpers -----------------------------------------------------------


class _ResizeBackward(Node):
    def backward(self, g):
        return _resize(g, self.dims, self.old)


def _resize(x, dims, sizes):
    """x zero-padded or sliced (from 0) so that x.size(dims[i]) == sizes[i]; differentiable."""
    d = x._data
    old = tuple(d.shape[k] for k in dims)
    if old == tuple(sizes):
        return x
    sl = [slice(None)] * d.ndim
    pad = [(0, 0)] * d.ndim
    for k, s in zip(dims, sizes):
        if d.shape[k] > s:
            sl[k] = slice(0, s)
        elif d.shape[k] < s:
            pad[k] = (0, s - d.shape[k])
    r = d[tuple(sl)]
    r = np.pad(r, pad) if any(p[1] for p in pad) else r.copy()
    out = make(r)
    if GRAD.enabled and x._requires_grad:
        node = _ResizeBackward()
        node.dims, node.old = dims, old
        attach(out, node, (x,))
    return out


def _scale_mask(n_full, n_half, ndim, last, like):
    """Multiplier along the last transformed dim: 2 for the entries whose mirror image is not stored (in the
    dtype and on the device of array `like`)."""
    double = n_full - n_half
    m = np.ones(n_half, dtype=like.dtype)
    if double > 0:
        m[1 : 1 + double] = 2
    shape = [1] * ndim
    shape[last] = n_half
    return make(to_device_of(m.reshape(shape), like))


# -- primitives --------------------------------------------------------------------------------


class FftC2CBackward0(Node):
    def backward(self, g):
        return _c2c(g, self.dims, self.norm, not self.forward)


class FftR2CBackward0(Node):
    def backward(self, g):
        if self.onesided:
            last = self.dims[-1]
            g = _resize(g, (last,), (self.last_size,))
        return _real(_c2c(g, self.dims, self.norm, False))


class FftC2RBackward0(Node):
    def backward(self, g):
        gi = _r2c(g, self.dims, self.norm, True)
        last = self.dims[-1]
        n_full, n_half = g._data.shape[last], gi._data.shape[last]
        if n_full - n_half > 0:
            gi = gi * _scale_mask(n_full, n_half, g._data.ndim, last, g._data)
        return gi


def _c2c(x, dims, norm, forward):
    d = x._data
    if d.dtype.kind != "c":
        d = d.astype(np.complex128 if d.dtype == np.float64 else np.complex64)
    sp = _sp(d)
    if forward:
        r = sp.fftn(d, axes=dims, norm=_FWD_NORM[norm])
    else:
        r = sp.ifftn(d, axes=dims, norm=_INV_NORM[norm])
    out = make(arr(r))
    if GRAD.enabled and x._requires_grad:
        node = FftC2CBackward0()
        node.dims, node.norm, node.forward = dims, norm, forward
        attach(out, node, (x,))
    return out


def _r2c(x, dims, norm, onesided):
    d = x._data
    sp = _sp(d)
    if onesided:
        r = sp.rfftn(d, axes=dims, norm=_FWD_NORM[norm])
    else:
        r = sp.fftn(d, axes=dims, norm=_FWD_NORM[norm])
    out = make(arr(r))
    if GRAD.enabled and x._requires_grad:
        node = FftR2CBackward0()
        node.dims, node.norm, node.onesided = dims, norm, onesided
        node.last_size = d.shape[dims[-1]]
        attach(out, node, (x,))
    return out


def _c2r(x, dims, norm, last_size):
    d = x._data
    s = [d.shape[k] for k in dims]
    s[-1] = last_size
    r = _sp(d).irfftn(d, s=s, axes=dims, norm=_INV_NORM[norm])
    out = make(arr(r))
    if GRAD.enabled and x._requires_grad:
        node = FftC2RBackward0()
        node.dims, node.norm = dims, norm
        attach(out, node, (x,))
    return out


# -- argument handling ---------------------------------------------------------------------------


def _check_tensor(x, fname):
    if not isinstance(x, Tensor):
        raise TypeError(f"fft_{fname}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")


def _promote(x, require_complex=False):
    """torch's promote_tensor_fft: integers -> default float; only float32/64 (and complex) allowed."""
    dt = x._data.dtype
    if dt.kind == "c":
        return x
    if dt.kind in "biu":
        target = D.get_default_dtype()
    else:
        target = D.FROM_NP[dt]
    if target.np not in (np.float32, np.float64):
        raise RuntimeError(f"Unsupported dtype {scalar_type_name(target.np)}")
    if require_complex:
        target = D.FROM_NP[np.dtype(np.complex64 if target.np == np.float32 else np.complex128)]
    return x if target.np == dt else x.to(target)


def _norm_mode(norm, forward):
    if norm is None or norm == "backward":
        return _NONE if forward else _BY_N
    if norm == "forward":
        return _BY_N if forward else _NONE
    if norm == "ortho":
        return _ROOT_N
    raise RuntimeError(f'Invalid normalization mode: "{norm}"')


def _wrap(dim, ndim):
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})")
    return dim % ndim


def _check_n(n):
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _one_dim(x, n, dim):
    """(wrapped dim, n or the input size) for the 1-D transforms."""
    dim = _wrap(dim, x._data.ndim)
    if n is None:
        n = x._data.shape[dim]
    _check_n(n)
    return dim, n


def _shape_and_dims(x, s, dim):
    """torch's canonicalize_fft_shape_and_dim_args: (list of sizes, tuple of dims)."""
    ndim = x._data.ndim
    if dim is not None:
        if isinstance(dim, int):
            dim = (dim,)
        dims = tuple(_wrap(int(d), ndim) for d in dim)
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        s = [int(v) for v in s]
        if dim is not None:
            if len(s) != len(dims):
                raise RuntimeError("When given, dim and shape arguments must have the same length")
        else:
            if len(s) > ndim:
                raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {ndim} dimensions.")
            dims = tuple(range(ndim - len(s), ndim))
        shape = [x._data.shape[d] if v == -1 else v for v, d in zip(s, dims)]
    else:
        if dim is None:
            dims = tuple(range(ndim))
        shape = [x._data.shape[d] for d in dims]
    for v in shape:
        _check_n(v)
    return shape, dims


def _real_input(x, fname):
    if x._data.dtype.kind == "c":
        kind = "real-valued" if fname.endswith(("n", "2")) else "real"
        raise RuntimeError(f"{fname} expects a {kind} input tensor, but got {scalar_type_name(x._data.dtype)}")


# -- 1-D transforms ----------------------------------------------------------------------------


def _fft_r2c(x, n, dim, norm, forward, onesided, fname):
    _real_input(x, fname)
    x = _promote(x)
    dim, n = _one_dim(x, n, dim)
    x = _resize(x, (dim,), (n,))
    out = _r2c(x, (dim,), _norm_mode(norm, forward), onesided)
    return out if forward else _conj(out)


def _fft_c2c(x, n, dim, norm, forward):
    dim, n = _one_dim(x, n, dim)
    x = _resize(x, (dim,), (n,))
    return _c2c(x, (dim,), _norm_mode(norm, forward), forward)


def _fft_c2r(x, n, dim, norm, forward):
    x = _promote(x, True)
    dim = _wrap(dim, x._data.ndim)
    if n is None:
        n = 2 * (x._data.shape[dim] - 1)
    _check_n(n)
    x = _resize(x, (dim,), (n // 2 + 1,))
    if forward:
        x = _conj(x)
    return _c2r(x, (dim,), _norm_mode(norm, forward), n)


def fft(input, n=None, dim=-1, norm=None, *, out=None):
    """Matches `torch.fft.fft`."""
    if AUTOCAST.on and out is None:
        return autocast_call("fft_fft", fft, (input, n, dim, norm), {})
    _check_tensor(input, "fft")
    if input._data.dtype.kind == "c":
        return _out(_fft_c2c(input, n, dim, norm, True), out)
    return _out(_fft_r2c(input, n, dim, norm, True, False, "fft"), out)


def ifft(input, n=None, dim=-1, norm=None, *, out=None):
    """Matches `torch.fft.ifft`."""
    if AUTOCAST.on and out is None:
        return autocast_call("fft_ifft", ifft, (input, n, dim, norm), {})
    _check_tensor(input, "ifft")
    if input._data.dtype.kind == "c":
        return _out(_fft_c2c(input, n, dim, norm, False), out)
    return _out(_fft_r2c(input, n, dim, norm, False, False, "ifft"), out)


def rfft(input, n=None, dim=-1, norm=None, *, out=None):
    """Matches `torch.fft.rfft`."""
    if AUTOCAST.on and out is None:
        return autocast_call("fft_rfft", rfft, (input, n, dim, norm), {})
    _check_tensor(input, "rfft")
    return _out(_fft_r2c(input, n, dim, norm, True, True, "rfft"), out)


def ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    """Matches `torch.fft.ihfft`."""
    if AUTOCAST.on and out is None:
        return autocast_call("fft_ihfft", ihfft, (input, n, dim, norm), {})
    _check_tensor(input, "ihfft")
    return _out(_fft_r2c(input, n, dim, norm, False, True, "ihfft"), out)


def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    """Matches `torch.fft.irfft`."""
    if AUTOCAST.on and out is None:
        return autocast_call("fft_irfft", irfft, (input, n, dim, norm), {})
    _check_tensor(input, "irfft")
    return _out(_fft_c2r(input, n, dim, norm, False), out)


def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    """Matches `torch.fft.hfft`."""
    if AUTOCAST.on and out is None:
        return autocast_call("fft_hfft", hfft, (input, n, dim, norm), {})
    _check_tensor(input, "hfft")
    return _out(_fft_c2r(input, n, dim, norm, True), out)


# -- n-D transforms ----------------------------------------------------------------------------


def _fftn_c2c(x, s, dim, norm, forward):
    x = _promote(x, True)
    shape, dims = _shape_and_dims(x, s, dim)
    x = _resize(x, dims, shape)
    if not dims:
        return x
    return _c2c(x, dims, _norm_mode(norm, forward), forward)


def _real_nd_input(x, s, dim, fname):
    _real_input(x, fname)
    x = _promote(x)
    shape, dims = _shape_and_dims(x, s, dim)
    if not dims:
        raise RuntimeError(f"{fname} must transform at least one axis")
    return _resize(x, dims, shape), dims


def _rfftn(x, s, dim, norm, fname):
    x, dims = _real_nd_input(x, s, dim, fname)
    return _r2c(x, dims, _norm_mode(norm, True), True)


def _c2r_shape(x, s, dim, fname):
    x = _promote(x, True)
    shape, dims = _shape_and_dims(x, s, dim) if s is not None else _shape_and_dims(x, None, dim)
    if not dims:
        raise RuntimeError(f"{fname} must transform at least one axis")
    last = dims[-1]
    last_size = shape[-1] if s is not None and s[-1] != -1 else 2 * (x._data.shape[last] - 1)
    _check_n(last_size)
    shape = list(shape)
    shape[-1] = last_size // 2 + 1
    return _resize(x, dims, shape), dims, last_size


def _irfftn(x, s, dim, norm, fname):
    x, dims, last_size = _c2r_shape(x, s, dim, fname)
    return _c2r(x, dims, _norm_mode(norm, False), last_size)


def _hfftn(x, s, dim, norm, fname):
    x, dims, last_size = _c2r_shape(x, s, dim, fname)
    nm = _norm_mode(norm, True)
    if len(dims) > 1:
        x = _c2c(x, dims[:-1], nm, True)
    x = _conj(x)
    return _c2r(x, dims[-1:], nm, last_size)


def _ihfftn(x, s, dim, norm, fname):
    x, dims = _real_nd_input(x, s, dim, fname)
    nm = _norm_mode(norm, False)
    out = _conj(_r2c(x, dims[-1:], nm, True))
    if len(dims) > 1:
        out = _c2c(out, dims[:-1], nm, False)
    return out


def fftn(input, s=None, dim=None, norm=None, *, out=None):
    """Matches `torch.fft.fftn`."""
    if AUTOCAST.on and out is None:
        return autocast_call("fft_fftn", fftn, (input, s, dim, norm), {})
    _check_tensor(input, "fftn")
    return _out(_fftn_c2c(input, s, dim, norm, True), out)


def ifftn(input, s=None, dim=None, norm=None, *, out=None):
    """Matches `torch.fft.ifftn`."""
    if AUTOCAST.on and out is None:
        return autocast_call("fft_ifftn", ifftn, (input, s, dim, norm), {})
    _check_tensor(input, "ifftn")
    return _out(_fftn_c2c(input, s, dim, norm, False), out)


def fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """Matches `torch.fft.fft2`."""
    if AUTOCAST.on and out is None:
        return autocast_call("fft_fft2", fft2, (input, s, dim, norm), {})
    _check_tensor(input, "fft2")
    return _out(_fftn_c2c(input, s, dim, norm, True), out)


def ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """Matches `torch.fft.ifft2`."""
    if AUTOCAST.on and out is None:
        return autocast_call("fft_ifft2", ifft2, (input, s, dim, norm), {})
    _check_tensor(input, "ifft2")
    return _out(_fftn_c2c(input, s, dim, norm, False), out)


def rfftn(input, s=None, dim=None, norm=None, *, out=None):
    """Matches `torch.fft.rfftn`."""
    if AUTOCAST.on and out is None:
        return autocast_call("fft_rfftn", rfftn, (input, s, dim, norm), {})
    _check_tensor(input, "rfftn")
    return _out(_rfftn(input, s, dim, norm, "rfftn"), out)


def rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """Matches `torch.fft.rfft2`."""
    if AUTOCAST.on and out is None:
        return autocast_call("fft_rfft2", rfft2, (input, s, dim, norm), {})
    _check_tensor(input, "rfft2")
    return _out(_rfftn(input, s, dim, norm, "rfft2"), out)


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    """Matches `torch.fft.irfftn`."""
    if AUTOCAST.on and out is None:
        return autocast_call("fft_irfftn", irfftn, (input, s, dim, norm), {})
    _check_tensor(input, "irfftn")
    return _out(_irfftn(input, s, dim, norm, "irfftn"), out)


def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """Matches `torch.fft.irfft2`."""
    if AUTOCAST.on and out is None:
        return autocast_call("fft_irfft2", irfft2, (input, s, dim, norm), {})
    _check_tensor(input, "irfft2")
    return _out(_irfftn(input, s, dim, norm, "irfft2"), out)


def hfftn(input, s=None, dim=None, norm=None, *, out=None):
    """Matches `torch.fft.hfftn`."""
    _check_tensor(input, "hfftn")
    return _out(_hfftn(input, s, dim, norm, "hfftn"), out)


def hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """Matches `torch.fft.hfft2`."""
    _check_tensor(input, "hfft2")
    return _out(_hfftn(input, s, dim, norm, "hfft2"), out)


def ihfftn(input, s=None, dim=None, norm=None, *, out=None):
    """Matches `torch.fft.ihfftn`."""
    _check_tensor(input, "ihfftn")
    return _out(_ihfftn(input, s, dim, norm, "ihfftn"), out)


def ihfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """Matches `torch.fft.ihfft2`."""
    _check_tensor(input, "ihfft2")
    return _out(_ihfftn(input, s, dim, norm, "ihfft2"), out)


# -- helpers ---------------------------------------------------------------------------------


def _out(res, out):
    if out is None:
        return res
    from ._ops.arith import _out as arith_out  # noqa: PLC0415

    return arith_out(res, out)


def _freq(k, n, d, dtype, device, requires_grad, out, fname):
    dt = dtype if dtype is not None else D.get_default_dtype()
    if dt.np.kind not in "fc":
        raise RuntimeError(f"{fname} requires a floating point or complex dtype")
    work = np.float32 if dt.np.itemsize <= 2 or dt.np == np.complex64 else dt.np  # torch's opmath for half
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.float64(1.0) / np.float64(n * d)
        vals = k.astype(work) * np.dtype(work).type(scale)
    t = make(np.asarray(vals).astype(dt.np))
    if device is not None and str(device) != "cpu":
        t = t.to(device)
    if requires_grad:
        t.requires_grad_(True)
    return _out(t, out)


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """Matches `torch.fft.fftfreq`: [0, 1, ..., ceil(n/2)-1, -floor(n/2), ..., -1] / (d * n)."""
    k = np.arange(n, dtype=np.int64)
    k = np.where(k < (n + 1) // 2, k, k - n)
    return _freq(k, n, d, dtype, device, requires_grad, out, "fftfreq")


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """Matches `torch.fft.rfftfreq`: [0, 1, ..., n//2] / (d * n)."""
    k = np.arange(n // 2 + 1, dtype=np.int64)
    return _freq(k, n, d, dtype, device, requires_grad, out, "rfftfreq")


def _shift(input, dim, inverse):
    from ._ops.joining import roll  # noqa: PLC0415

    ndim = input._data.ndim
    if dim is None:
        dims = tuple(range(ndim))
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = tuple(_wrap(int(d), ndim) for d in dims)
    if not dims:
        raise RuntimeError("`shifts` required")
    shifts = tuple((input._data.shape[d] + 1) // 2 if inverse else input._data.shape[d] // 2 for d in dims)
    return roll(input, shifts, dims)


def fftshift(input, dim=None):
    """Matches `torch.fft.fftshift`."""
    _check_tensor(input, "fftshift")
    return _shift(input, dim, False)


def ifftshift(input, dim=None):
    """Matches `torch.fft.ifftshift`."""
    _check_tensor(input, "ifftshift")
    return _shift(input, dim, True)

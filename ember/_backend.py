"""The array module seam: NumPy for cpu, CuPy for cuda:N.

Op code gets its array module from `xp_of(array)`; nothing else in ember needs to know which
backend holds a tensor's data.
"""

import numpy as np

from . import _device_guard
from ._device import CPU, device

_cupy = None
_cupy_error = None


def _tune_malloc():
    """Keep freed activation memory in the process between steps (Linux/glibc).

    glibc returns freed blocks above a small, adaptive threshold to the OS, so every training step
    page-faults its activations back in (thousands of faults, several ms per step). torch avoids this
    with a caching allocator; raising glibc's trim and mmap thresholds does the same for NumPy arrays.
    Resident memory then stays at the high-water mark. EMBER_NO_MALLOPT=1 turns this off."""
    import os  # noqa: PLC0415
    import sys  # noqa: PLC0415

    if not sys.platform.startswith("linux") or os.environ.get("EMBER_NO_MALLOPT"):
        return
    try:
        import ctypes  # noqa: PLC0415

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


_tune_malloc()


class CudaUnavailableError(AssertionError, RuntimeError):
    """CUDA was asked for but cannot be had. torch's CPU build raises AssertionError here and its CUDA build
    without a GPU raises RuntimeError; this is both, so code written against either catches it."""


on_load = []  # fn(cupy), run once when CuPy is first loaded (settings recorded before then, e.g. TF32)


def cupy():
    """The CuPy module, or a RuntimeError that says what is missing."""
    global _cupy, _cupy_error
    if _cupy is None and _cupy_error is None:
        try:
            import cupy as cp  # noqa: PLC0415 - optional extra, imported on first CUDA use

            if cp.cuda.runtime.getDeviceCount() < 1:
                raise RuntimeError("no CUDA device is visible")
            _cupy = cp
        except Exception as e:  # ImportError, CUDARuntimeError...
            _cupy_error = e
        if _cupy is not None:
            for fn in on_load:
                fn(_cupy)
    if _cupy is None:
        raise CudaUnavailableError(
            "Torch not compiled with CUDA enabled: ember's cuda backend needs CuPy and an NVIDIA GPU "
            f"(install the extra: pip install 'ember[cuda]'); {type(_cupy_error).__name__}: {_cupy_error}"
        )
    return _cupy


def cuda_available():
    try:
        cupy()
        return True
    except CudaUnavailableError:
        return False


def xp_of(arr):
    """The array module that owns `arr`."""
    if type(arr) is np.ndarray:
        return np
    return cupy()


def xp_for(dev):
    """The array module for an ember.device."""
    if dev.type == "cpu":
        return np
    if dev.type == "cuda":
        return cupy()
    raise NotImplementedError(f"ember has no array backend for device '{dev}'")


_IN_FLIGHT = []  # (event, array): buffers that queued work still uses, kept alive until their event has passed


def keep_until_done(stream, arr):
    """Keep arr alive until the work queued on `stream` (a CuPy stream) so far has run, so that its memory is
    not handed out again meanwhile (an asynchronous copy's source; Tensor.record_stream)."""
    _IN_FLIGHT[:] = [(e, a) for e, a in _IN_FLIGHT if not e.done]
    _IN_FLIGHT.append((stream.record(), arr))


def bfloat16_error(dev):
    """What placing a bfloat16 array on a GPU raises: CuPy has no bfloat16 dtype."""
    return RuntimeError(
        f"bfloat16 tensors are not supported on {dev}: CuPy has no bfloat16 dtype (use float16 there; "
        "ember.cuda.is_bf16_supported() is False)"
    )


def pin(arr):
    """A copy of the NumPy array arr in page-locked host memory (from CuPy's pinned memory pool), which copies
    to and from a GPU can use asynchronously."""
    mem = cupy().cuda.alloc_pinned_memory(max(arr.nbytes, 1))
    out = np.frombuffer(mem, arr.dtype, arr.size).reshape(arr.shape)
    out[...] = arr
    return out


def is_pinned(arr):
    """Whether the NumPy array arr lives in page-locked memory (False without CUDA)."""
    if not cuda_available():
        return False
    return cupy().cuda.runtime.pointerGetAttributes(arr.ctypes.data).type == 1  # cudaMemoryTypeHost


def cuda_device(idx):
    """The `with` block that makes CUDA device idx current, for code that allocates on an explicit
    `cuda:N` (CuPy allocates on the current device)."""
    _device_guard.note_placement(idx)
    return cupy().cuda.Device(idx)


_ONES = {}


def contiguous_strides(shape):
    """C-order strides of `shape` in elements, as torch gives them (a zero-size dim counts as 1)."""
    st, acc = [], 1
    for s in reversed(shape):
        st.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(st))


def ones_like_rows(arr, n):
    """A cached read-only-by-convention vector of n ones in arr's dtype on arr's device: the left operand of
    the GEMVs that sum rows (a fresh one is a fill launch each call on the GPU). Never written to."""
    dev = -1 if type(arr) is np.ndarray else arr.device.id
    key = (dev, n, arr.dtype)
    v = _ONES.get(key)
    if v is None:
        if len(_ONES) >= 32:
            _ONES.clear()
        xp = xp_of(arr)
        if dev < 0:
            v = np.ones(n, arr.dtype)
        else:
            with xp.cuda.Device(dev):
                v = xp.ones(n, arr.dtype)
        _ONES[key] = v
    return v


def device_of(arr):
    if type(arr) is np.ndarray:
        return CPU
    return device("cuda", arr.device.id)


def to_device_of(a, like):
    """a (a host array, or None) on the device of the array `like`: a itself when `like` is a NumPy array (index
    and weight arrays an op builds on the host for data that may live on a GPU)."""
    if a is None or type(like) is np.ndarray:
        return a
    return to_device(a, device_of(like))


def to_device(arr, dev, non_blocking=False):
    """Copy `arr` onto `dev` (returns `arr` itself when it is already there). non_blocking: a page-locked host
    array goes up asynchronously on the current stream (as torch's non_blocking copy from pinned memory)."""
    if dev.type == "cpu":
        if type(arr) is np.ndarray:
            return arr
        return arr.get()
    if dev.type == "cuda":
        cp = cupy()
        idx = dev.index if dev.index is not None else cp.cuda.runtime.getDevice()
        if type(arr) is not np.ndarray and arr.device.id == idx:
            return arr
        _device_guard.note_placement(idx)
        with cp.cuda.Device(idx):
            if non_blocking and type(arr) is np.ndarray and arr.flags.c_contiguous and is_pinned(arr):
                out = cp.ndarray(arr.shape, arr.dtype)
                stream = cp.cuda.get_current_stream()
                out.set(arr, stream=stream)
                # the source must outlive the copy: freed early, its page-locked block could be handed out and
                # overwritten while the copy still reads it
                keep_until_done(stream, arr)
                return out
            try:
                return cp.asarray(arr)
            except (TypeError, ValueError) as e:
                if arr.dtype.kind == "V":
                    raise bfloat16_error(dev) from e
                raise
    raise NotImplementedError(f"ember has no array backend for device '{dev}'")

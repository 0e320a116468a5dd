"""CUDA initialisation for ember.cuda: CuPy is loaded on the first call that needs a GPU. Calls that
torch queues until CUDA is initialised (seeding, setting RNG states) are queued here too, so they
are quiet no-ops on a machine without a GPU, as on torch's CPU build."""

from .. import _backend
from .._backend import CudaUnavailableError, cupy
from .._device import device as _device

__all__ = ["is_initialized", "init", "lazy_init", "lazy_call", "cp", "device_index", "CudaUnavailableError"]

_initialized = False
_queued_calls = []
_queued_seed = {}  # "seed" / "seed_all": only the last of each kind runs, as in torch
_init_hooks = []  # run once CuPy is up (memory tracking, generators)


def is_initialized():
    """Matches `torch.cuda.is_initialized`."""
    return _initialized


def lazy_init():
    """Load CuPy and run the queued calls; raises CudaUnavailableError (an AssertionError and a RuntimeError)
    naming what is missing when there is no usable GPU."""
    global _initialized
    if _initialized:
        return
    cupy()
    _initialized = True
    for hook in _init_hooks:
        hook()
    calls = list(_queued_seed.values()) + _queued_calls
    _queued_seed.clear()
    _queued_calls.clear()
    for fn in calls:
        fn()


def init():
    """Matches `torch.cuda.init`."""
    lazy_init()


def lazy_call(fn, seed=False, seed_all=False):
    """Run `fn` now when CUDA is initialised, else when it is."""
    if _initialized:
        fn()
    elif seed_all:
        _queued_seed["seed_all"] = fn
    elif seed:
        _queued_seed["seed"] = fn
    else:
        _queued_calls.append(fn)


def cp():
    """The CuPy module, initialising ember.cuda on first use."""
    if not _initialized:
        lazy_init()
    return _backend._cupy


def cupy_loaded():
    """True when CuPy was loaded (by ember.cuda or by an op that put a tensor on the GPU)."""
    return _backend._cupy is not None


def device_index(device, optional=False, allow_cpu=False):
    """torch.cuda._utils._get_device_index: an int from an int, 'cuda:N' or ember.device('cuda', N);
    None / 'cuda' give the current device when `optional`."""
    if isinstance(device, str):
        device = _device(device)
    if isinstance(device, _device):
        if allow_cpu:
            if device.type not in ("cuda", "cpu"):
                raise ValueError(f"Expected a cuda or cpu device, but got: {device}")
        elif device.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {device}")
        if device.type == "cpu":
            return -1
        idx = device.index
    elif isinstance(device, bool):
        raise ValueError(f"Expected a torch.device with a specified index or an integer, but got:{device}")
    elif isinstance(device, int):
        return device
    elif device is None:
        idx = None
    else:
        raise ValueError(f"Expected a torch.device with a specified index or an integer, but got:{device}")
    if idx is None:
        if not optional:
            raise ValueError(f"Expected a torch.device with a specified index or an integer, but got:{device}")
        return cp().cuda.runtime.getDevice()
    return idx


def check_index(idx):
    n = cp().cuda.runtime.getDeviceCount()
    if not 0 <= idx < n:
        raise AssertionError("Invalid device id")
    return idx

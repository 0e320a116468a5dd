"""ember.cuda (matches `torch.cuda`): devices, streams, events, memory statistics and RNG state, on CuPy.

Without CuPy or a GPU, `is_available()` is False, `device_count()` is 0, `is_initialized()` is False,
and each call behaves as on torch's CPU build: the ones torch turns into no-ops (empty_cache, the
memory getters, seeding, set_rng_state, `stream(None)`) return quietly; the ones that need a device
raise `CudaUnavailableError` (an AssertionError, as torch's CPU build raises, and a RuntimeError, as
its CUDA build raises without a GPU) naming what is missing.
"""

from .. import _device_guard
from .._backend import CudaUnavailableError, cuda_available
from . import amp, memory, nvtx, random, streams
from ._lazy import check_index, cp, device_index, init, is_initialized, lazy_init
from .memory import (
    empty_cache,
    get_per_process_memory_fraction,
    max_memory_allocated,
    max_memory_cached,
    max_memory_reserved,
    mem_get_info,
    memory_allocated,
    memory_cached,
    memory_reserved,
    memory_stats,
    memory_summary,
    reset_accumulated_memory_stats,
    reset_max_memory_allocated,
    reset_max_memory_cached,
    reset_peak_memory_stats,
    set_per_process_memory_fraction,
)
from .random import (
    get_rng_state,
    get_rng_state_all,
    initial_seed,
    manual_seed,
    manual_seed_all,
    seed,
    seed_all,
    set_rng_state,
    set_rng_state_all,
)
from .streams import Event, ExternalStream, Stream, StreamContext, current_stream, default_stream, set_stream, stream

__all__ = [
    "CudaUnavailableError",
    "OutOfMemoryError",
    "is_available",
    "is_initialized",
    "init",
    "device_count",
    "current_device",
    "set_device",
    "device",
    "device_of",
    "get_device_name",
    "get_device_properties",
    "get_device_capability",
    "get_arch_list",
    "get_gencode_flags",
    "is_bf16_supported",
    "is_tf32_supported",
    "synchronize",
    "ipc_collect",
    "current_blas_handle",
    "can_device_access_peer",
    "empty_cache",
    "memory_stats",
    "memory_allocated",
    "max_memory_allocated",
    "memory_reserved",
    "max_memory_reserved",
    "memory_cached",
    "max_memory_cached",
    "reset_peak_memory_stats",
    "reset_max_memory_allocated",
    "reset_max_memory_cached",
    "reset_accumulated_memory_stats",
    "memory_summary",
    "mem_get_info",
    "set_per_process_memory_fraction",
    "get_per_process_memory_fraction",
    "Stream",
    "ExternalStream",
    "Event",
    "StreamContext",
    "stream",
    "set_stream",
    "current_stream",
    "default_stream",
    "manual_seed",
    "manual_seed_all",
    "seed",
    "seed_all",
    "initial_seed",
    "get_rng_state",
    "get_rng_state_all",
    "set_rng_state",
    "set_rng_state_all",
    "amp",
    "memory",
    "nvtx",
    "random",
    "streams",
]


class OutOfMemoryError(RuntimeError):
    """Matches `torch.cuda.OutOfMemoryError`."""


def is_available():
    """Matches `torch.cuda.is_available`: True when CuPy is installed and sees a GPU."""
    return cuda_available()


def device_count():
    """Matches `torch.cuda.device_count` (0 without CuPy or a GPU)."""
    if not cuda_available():
        return 0
    return cp().cuda.runtime.getDeviceCount()


def current_device():
    """Matches `torch.cuda.current_device`."""
    return cp().cuda.runtime.getDevice()


def set_device(device):
    """Matches `torch.cuda.set_device` (a negative index is a no-op)."""
    idx = device_index(device)
    if idx >= 0:
        c = cp()
        check_index(idx)
        _device_guard.note_switch(c.cuda.runtime.getDevice(), idx)
        c.cuda.runtime.setDevice(idx)


class device:
    """Matches `torch.cuda.device`: a context manager that selects a GPU (index -1 / None: no-op)."""

    def __init__(self, device):
        self.idx = -1 if device is None else device_index(device, optional=True)
        self.prev_idx = -1

    def __enter__(self):
        if self.idx == -1:
            return
        try:
            c = cp()
        except CudaUnavailableError as e:
            raise CudaUnavailableError(f"PyTorch was compiled without CUDA support ({e})") from None
        self.prev_idx = c.cuda.runtime.getDevice()
        if self.prev_idx != self.idx:
            check_index(self.idx)
            _device_guard.note_switch(self.prev_idx, self.idx)
            c.cuda.runtime.setDevice(self.idx)

    def __exit__(self, *exc):
        if self.idx != -1 and self.prev_idx != self.idx:
            _device_guard.note_switch(self.idx, self.prev_idx)
            cp().cuda.runtime.setDevice(self.prev_idx)
        return False


class device_of(device):
    """Matches `torch.cuda.device_of`: selects the device of a tensor (no-op for a CPU tensor)."""

    def __init__(self, obj):
        super().__init__(obj.get_device() if obj.is_cuda else -1)


def _props_dict(idx):
    c = cp()
    check_index(idx)
    return c.cuda.runtime.getDeviceProperties(idx)


class _CudaDeviceProperties:
    """What `torch.cuda.get_device_properties` returns (from cudaGetDeviceProperties)."""

    def __init__(self, p):
        name = p.get("name", b"")
        self.name = name.decode() if isinstance(name, bytes) else str(name)
        self.major = int(p.get("major", 0))
        self.minor = int(p.get("minor", 0))
        self.total_memory = int(p.get("totalGlobalMem", 0))
        self.multi_processor_count = int(p.get("multiProcessorCount", 0))
        self.is_integrated = int(p.get("integrated", 0))
        self.is_multi_gpu_board = int(p.get("isMultiGpuBoard", 0))
        self.max_threads_per_multi_processor = int(p.get("maxThreadsPerMultiProcessor", 0))
        self.warp_size = int(p.get("warpSize", 32))
        self.regs_per_multiprocessor = int(p.get("regsPerMultiprocessor", 0))
        self.shared_memory_per_block = int(p.get("sharedMemPerBlock", 0))
        self.shared_memory_per_multiprocessor = int(p.get("sharedMemPerMultiprocessor", 0))
        self.L2_cache_size = int(p.get("l2CacheSize", 0))
        self.pci_bus_id = int(p.get("pciBusID", 0))
        self.pci_device_id = int(p.get("pciDeviceID", 0))
        self.pci_domain_id = int(p.get("pciDomainID", 0))
        uuid = p.get("uuid", b"")
        self.uuid = uuid.hex() if isinstance(uuid, bytes) else str(uuid)
        self.gcnArchName = "NVIDIA"

    def __repr__(self):
        return (
            f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
            f"total_memory={self.total_memory // (1024 * 1024)}MB, multi_processor_count={self.multi_processor_count}, "
            f"uuid={self.uuid}, pci_bus_id={self.pci_bus_id}, pci_device_id={self.pci_device_id}, "
            f"pci_domain_id={self.pci_domain_id}, L2_cache_size={self.L2_cache_size // (1024 * 1024)}MB)"
        )


def get_device_properties(device=None):
    """Matches `torch.cuda.get_device_properties`."""
    lazy_init()
    return _CudaDeviceProperties(_props_dict(device_index(device, optional=True)))


def get_device_name(device=None):
    """Matches `torch.cuda.get_device_name`."""
    return get_device_properties(device).name


def get_device_capability(device=None):
    """Matches `torch.cuda.get_device_capability`: (major, minor)."""
    p = get_device_properties(device)
    return p.major, p.minor


def get_arch_list():
    """Matches `torch.cuda.get_arch_list`: [] without CUDA; CuPy compiles kernels for the device at run time."""
    if not is_available():
        return []
    return [f"sm_{a}{b}" for a, b in {get_device_capability(i) for i in range(device_count())}]


def get_gencode_flags():
    """Matches `torch.cuda.get_gencode_flags`."""
    return " ".join(f"-gencode compute=compute_{a[3:]},code={a}" for a in get_arch_list())


def _cupy_has_bfloat16():
    try:
        import ml_dtypes  # noqa: PLC0415

        cp().zeros(1, dtype=ml_dtypes.bfloat16) + 1
        return True
    except Exception:  # CuPy has no bfloat16 kernels
        return False


def is_bf16_supported(including_emulation=True):
    """Matches `torch.cuda.is_bf16_supported`: False without CUDA. With CuPy, True only where the device
    (compute capability 8.0+) and CuPy's kernels can both do bfloat16."""
    if not is_available():
        return False
    if get_device_capability()[0] < 8 and not including_emulation:
        return False
    return get_device_capability()[0] >= 8 and _cupy_has_bfloat16()


def is_tf32_supported():
    """Matches `torch.cuda.is_tf32_supported`: compute capability 8.0+."""
    return is_available() and get_device_capability()[0] >= 8


def synchronize(device=None):
    """Matches `torch.cuda.synchronize`: wait for all work on the device."""
    c = cp()
    idx = device_index(device, optional=True)
    with c.cuda.Device(idx):
        c.cuda.runtime.deviceSynchronize()


def ipc_collect():
    """Matches `torch.cuda.ipc_collect` (nothing to collect with CuPy)."""
    lazy_init()


def current_blas_handle():
    """Matches `torch.cuda.current_blas_handle`: the cuBLAS handle CuPy uses on the current device."""
    c = cp()
    return int(c.cuda.device.get_cublas_handle())


def can_device_access_peer(device, peer_device):
    """Matches `torch.cuda.can_device_access_peer`."""
    c = cp()
    a, b = device_index(device), device_index(peer_device)
    check_index(a)
    check_index(b)
    return bool(c.cuda.runtime.deviceCanAccessPeer(a, b))


def get_sync_debug_mode():
    """Matches `torch.cuda.get_sync_debug_mode` (ember has no sync debugging: 0)."""
    lazy_init()
    return 0


def set_sync_debug_mode(debug_mode):
    """Matches `torch.cuda.set_sync_debug_mode` (accepted, no effect)."""
    lazy_init()


# torch.cuda's legacy typed constructors: ember.cuda.FloatTensor([1, 2]) is a float32 tensor on the current GPU
_LEGACY = {
    "FloatTensor": "float32",
    "DoubleTensor": "float64",
    "HalfTensor": "float16",
    "BFloat16Tensor": "bfloat16",
    "ByteTensor": "uint8",
    "CharTensor": "int8",
    "ShortTensor": "int16",
    "IntTensor": "int32",
    "LongTensor": "int64",
    "BoolTensor": "bool",
}


def __getattr__(name):
    if name in _LEGACY:
        from .. import _dtype as D  # noqa: PLC0415 - ember.cuda is imported before the op layer is complete
        from .._ops.creation import _typed  # noqa: PLC0415

        cls = _typed(name, getattr(D, _LEGACY[name]), "cuda")
        globals()[name] = cls
        return cls
    if name == "default_generators":
        return random.default_generators
    raise AttributeError(f"module 'ember.cuda' has no attribute '{name}'")

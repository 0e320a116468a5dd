"""cupy.cuda stand-in: simulated devices, a runtime, streams and events (work runs eagerly, so they only
keep order and time), and a memory pool that counts the bytes of live arrays per device."""

import contextlib
import itertools
import time
import types
import warnings  # noqa: F401 - CuPy's cupy.cuda exposes it
import weakref

import numpy as np

from . import _core
from ._core import STATE

_ptrs = itertools.count(0x7F0000000000, 0x100)


class CUDARuntimeError(RuntimeError):
    pass


def _check(idx):
    if not 0 <= idx < _core.N_DEVICES:
        raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")
    return idx


# -- runtime -----------------------------------------------------------------------------------


def _props(idx):
    _check(idx)
    return {
        "name": b"Simulated GPU (NumPy)",
        "totalGlobalMem": 80 * 2**30,
        "major": 9,
        "minor": 0,
        "multiProcessorCount": 132,
        "integrated": 0,
        "isMultiGpuBoard": 0,
        "maxThreadsPerMultiProcessor": 2048,
        "warpSize": 32,
        "regsPerMultiprocessor": 65536,
        "sharedMemPerBlock": 49152,
        "sharedMemPerMultiprocessor": 233472,
        "l2CacheSize": 50 * 2**20,
        "pciBusID": 0x18 + idx,
        "pciDeviceID": 0,
        "pciDomainID": 0,
        "uuid": bytes(range(idx, idx + 16)),
    }


def _set_device(idx):
    STATE.device = _check(idx)


def _mem_info():
    total = 80 * 2**30
    return total - default_pool().total_bytes(), total


runtime = types.SimpleNamespace(
    CUDARuntimeError=CUDARuntimeError,
    getDeviceCount=lambda: _core.N_DEVICES,
    getDevice=lambda: STATE.device,
    setDevice=_set_device,
    getDeviceProperties=_props,
    deviceSynchronize=lambda: None,
    deviceCanAccessPeer=lambda a, b: 0,
    memGetInfo=_mem_info,
    pointerGetAttributes=lambda ptr: _pointer_attributes(ptr),
    runtimeGetVersion=lambda: 12040,
    driverGetVersion=lambda: 12040,
    is_hip=False,
)


# -- devices -----------------------------------------------------------------------------------


class Device:
    """cupy.cuda.Device: selects a device for a `with` block."""

    def __init__(self, device=None):
        self.id = STATE.device if device is None else _check(int(device))
        self._prev = []

    def __enter__(self):
        self._prev.append(STATE.device)
        STATE.device = self.id
        return self

    def __exit__(self, *exc):
        STATE.device = self._prev.pop()

    def use(self):
        STATE.device = self.id

    def synchronize(self):
        pass

    @property
    def compute_capability(self):
        return "90"

    @property
    def mem_info(self):
        return _mem_info()

    @property
    def cublas_handle(self):
        return 0x1000 + self.id

    def __int__(self):
        return self.id

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


def get_device_id():
    return STATE.device


def get_cublas_handle():
    return 0x1000 + STATE.device


device = types.SimpleNamespace(Device=Device, get_device_id=get_device_id, get_cublas_handle=get_cublas_handle)


# -- memory ------------------------------------------------------------------------------------


class Memory:
    """A block of (simulated) device memory; it goes back to its pool when collected."""

    def __init__(self, size, device_id, pool):
        self.size, self.device_id, self._pool = size, device_id, pool
        self.ptr = next(_ptrs)

    def __del__(self):
        pool = self._pool
        if pool is not None:
            pool._free(self.size, self.device_id)


class MemoryPointer:
    def __init__(self, mem, ptr=None, device_id=None):
        self.mem = mem
        self.ptr = mem.ptr if ptr is None else ptr
        self.device_id = mem.device_id if device_id is None else device_id

    @property
    def device(self):
        return Device(self.device_id)

    def __int__(self):
        return self.ptr


class MemoryPool:
    """cupy.cuda.MemoryPool: used bytes are those of live arrays; freed blocks stay reserved until
    free_all_blocks()."""

    def __init__(self, allocator=None):
        self._used = {}
        self._cached = {}
        self._limit = {}

    def malloc(self, size):
        dev = STATE.device
        size = (size + 511) // 512 * 512  # CuPy rounds allocations up to 512 bytes
        limit = self._limit.get(dev)
        if limit and self._used.get(dev, 0) + size > limit:
            raise MemoryError(
                f"Out of memory allocating {size} bytes (allocated so far: {self._used.get(dev, 0)} bytes)"
            )
        self._used[dev] = self._used.get(dev, 0) + size
        self._cached[dev] = max(0, self._cached.get(dev, 0) - size)
        return MemoryPointer(Memory(size, dev, self))

    def _free(self, size, dev):
        self._used[dev] = self._used.get(dev, 0) - size
        self._cached[dev] = self._cached.get(dev, 0) + size

    def used_bytes(self):
        return self._used.get(STATE.device, 0)

    def free_bytes(self):
        return self._cached.get(STATE.device, 0)

    def total_bytes(self):
        return self.used_bytes() + self.free_bytes()

    def free_all_blocks(self, stream=None):
        self._cached[STATE.device] = 0

    def n_free_blocks(self):
        return 1 if self.free_bytes() else 0

    def set_limit(self, size=None, fraction=None):
        if fraction is not None:
            size = int(80 * 2**30 * fraction)
        self._limit[STATE.device] = size or 0

    def get_limit(self):
        return self._limit.get(STATE.device, 0)


class PinnedMemoryPool:
    def free_all_blocks(self):
        pass

    def n_free_blocks(self):
        return 0


_POOL = MemoryPool()
_PINNED = PinnedMemoryPool()


def default_pool():
    return _POOL


def set_allocator(allocator=None):
    _core._allocator = allocator


def get_allocator():
    return _core._allocator or _POOL.malloc


_pinned = weakref.WeakValueDictionary()  # start address -> the live "page-locked" buffer there


def alloc_pinned_memory(size):
    """cupy.cuda.alloc_pinned_memory: page-locked host memory; here a host buffer with the buffer protocol
    (numpy.frombuffer reads and writes it, as with CuPy's PinnedMemoryPointer), recorded so that
    runtime.pointerGetAttributes reports its addresses as page-locked while it lives."""
    buf = np.zeros(max(int(size), 1), np.uint8)
    _pinned[buf.ctypes.data] = buf
    return buf


NVTX = []  # ("push" | "pop" | "mark" | "start" | "end", message or id): what the NVTX calls recorded
_nvtx_ids = itertools.count(1)


def _range_start(message, color):
    rid = next(_nvtx_ids)
    NVTX.append(("start", message, rid))
    return rid


# cupy.cuda.nvtx (CuPy's bindings of NVTX; names from cupy_backends/cuda/libs/nvtx.pyx)
nvtx = types.SimpleNamespace(
    available=True,
    Mark=lambda message, id_color=-1: NVTX.append(("mark", message)),
    MarkC=lambda message, color=0: NVTX.append(("mark", message)),
    RangePush=lambda message, id_color=-1: NVTX.append(("push", message)),
    RangePushC=lambda message, color=0: NVTX.append(("push", message)),
    RangePop=lambda: NVTX.append(("pop", None)),
    RangeStart=_range_start,
    RangeEnd=lambda range_id: NVTX.append(("end", range_id)),
)


def _pointer_attributes(ptr):
    """cudaPointerGetAttributes: type 1 (cudaMemoryTypeHost) inside a live pinned buffer, 2 (device) for a
    device address, 0 (unregistered host memory) otherwise."""
    kind = 0
    for start, buf in list(_pinned.items()):
        if start <= ptr < start + buf.size:
            kind = 1
            break
    return types.SimpleNamespace(type=kind, device=STATE.device if kind else -1, devicePointer=0, hostPointer=ptr)


def set_pinned_memory_allocator(allocator=None):
    pass


@contextlib.contextmanager
def using_allocator(allocator=None):
    prev = _core._allocator
    _core._allocator = allocator
    try:
        yield
    finally:
        _core._allocator = prev


memory = types.SimpleNamespace(
    MemoryPool=MemoryPool, MemoryPointer=MemoryPointer, Memory=Memory, set_allocator=set_allocator
)


# -- streams and events -------------------------------------------------------------------------

_current_stream = {}


class Stream:
    """cupy.cuda.Stream: work runs eagerly, so a stream is always done."""

    null = None

    def __init__(self, null=False, non_blocking=False, ptds=False, priority=None):
        self.ptr = 0 if null else next(_ptrs)
        self.device_id = STATE.device
        self.priority = priority or 0
        self._prev = []

    done = property(lambda self: True)

    def synchronize(self):
        pass

    def use(self):
        _current_stream[STATE.device] = self
        return self

    def wait_event(self, event):
        pass

    def record(self, event=None):
        if event is None:
            event = Event()
        event.record(self)
        return event

    def __enter__(self):
        self._prev.append(get_current_stream())
        return self.use()

    def __exit__(self, *exc):
        self._prev.pop().use()

    def __eq__(self, other):
        return isinstance(other, Stream) and other.ptr == self.ptr

    def __hash__(self):
        return hash(self.ptr)


Stream.null = Stream(null=True)


class ExternalStream(Stream):
    def __init__(self, ptr, device_id=-1):
        super().__init__()
        self.ptr = int(ptr)


def get_current_stream(device_id=None):
    return _current_stream.get(STATE.device if device_id is None else device_id, Stream.null)


class Event:
    """cupy.cuda.Event: records the host time when recorded."""

    def __init__(self, block=False, disable_timing=False, interprocess=False):
        if interprocess and not disable_timing:
            raise ValueError("Timing must be disabled for interprocess events")
        self.ptr = next(_ptrs)
        self._timing = not disable_timing
        self._t = None

    done = property(lambda self: True)

    def record(self, stream=None):
        self._t = time.perf_counter()

    def synchronize(self):
        pass


def get_elapsed_time(start_event, end_event):
    if not (start_event._timing and end_event._timing):
        raise CUDARuntimeError("cudaErrorInvalidResourceHandle: invalid resource handle")
    if start_event._t is None or end_event._t is None:
        raise CUDARuntimeError("cudaErrorInvalidResourceHandle: invalid resource handle")
    return (end_event._t - start_event._t) * 1e3


stream = types.SimpleNamespace(
    Stream=Stream, ExternalStream=ExternalStream, Event=Event, get_current_stream=get_current_stream
)


def is_available():
    return True


def get_local_runtime_version():
    return 12040

"""CUDA streams and events on CuPy (matches `torch.cuda.Stream` / `torch.cuda.Event`).

ember ops on CUDA tensors run on CuPy's current stream, so `with ember.cuda.stream(s):` (which makes
`s` CuPy's current stream) puts them on `s`, as in torch.
"""

from .. import _device_guard
from .._device import device as _device
from ._lazy import CudaUnavailableError, cp, device_index, lazy_init

__all__ = [
    "Stream",
    "ExternalStream",
    "Event",
    "StreamContext",
    "stream",
    "set_stream",
    "current_stream",
    "default_stream",
]


class Stream:
    """Matches `torch.cuda.Stream(device=None, priority=0)`: a CUDA stream (a CuPy stream underneath)."""

    def __init__(self, device=None, priority=0, **kwargs):
        try:
            lazy_init()
        except CudaUnavailableError as e:
            raise CudaUnavailableError(f"torch.cuda.Stream requires CUDA support ({e})") from None
        c = cp()
        wrap = kwargs.get("_cupy_stream")
        idx = kwargs.get("_device_index")
        if idx is None:
            idx = device_index(device, optional=True)
        if wrap is None:
            with c.cuda.Device(idx):
                if priority:
                    try:
                        wrap = c.cuda.Stream(non_blocking=False, priority=priority)
                    except TypeError:  # older CuPy without stream priorities
                        wrap = c.cuda.Stream(non_blocking=False)
                else:
                    wrap = c.cuda.Stream(non_blocking=False)
        self._cp = wrap
        self.device_index = idx
        self.device_type = 1  # torch's DeviceType::CUDA
        self.priority = priority

    @property
    def device(self):
        return _device("cuda", self.device_index)

    @property
    def cuda_stream(self):
        return int(self._cp.ptr)

    @property
    def stream_id(self):
        return self.cuda_stream

    def query(self):
        """True when all work submitted to the stream has finished."""
        return bool(self._cp.done)

    def synchronize(self):
        """Wait for all work on the stream to finish."""
        self._cp.synchronize()

    def wait_event(self, event):
        """Make future work on this stream wait for `event`."""
        self._cp.wait_event(event._ev)

    def wait_stream(self, stream):
        """Make future work on this stream wait for the work queued on `stream` so far."""
        self.wait_event(stream.record_event())

    def record_event(self, event=None):
        """Record `event` (a new Event if None) on this stream and return it."""
        if event is None:
            event = Event()
        event.record(self)
        return event

    def __enter__(self):
        self._ctx = StreamContext(self)
        self._ctx.__enter__()
        return self

    def __exit__(self, *exc):
        self._ctx.__exit__(*exc)
        return False

    def __eq__(self, other):
        return isinstance(other, Stream) and self.cuda_stream == other.cuda_stream and self.device == other.device

    def __hash__(self):
        return hash((self.cuda_stream, self.device_index))

    def __repr__(self):
        return f"<torch.cuda.Stream device={self.device} cuda_stream={hex(self.cuda_stream)}>"


class ExternalStream(Stream):
    """Matches `torch.cuda.ExternalStream(stream_ptr, device=None)`: wraps a stream made elsewhere."""

    def __init__(self, stream_ptr, device=None):
        lazy_init()
        c = cp()
        idx = device_index(device, optional=True)
        with c.cuda.Device(idx):
            wrap = c.cuda.ExternalStream(int(stream_ptr))
        super().__init__(_cupy_stream=wrap, _device_index=idx)


def current_stream(device=None):
    """Matches `torch.cuda.current_stream`: CuPy's current stream on the device."""
    c = cp()
    idx = device_index(device, optional=True)
    with c.cuda.Device(idx):
        s = c.cuda.get_current_stream()
    return Stream(_cupy_stream=s, _device_index=idx)


def default_stream(device=None):
    """Matches `torch.cuda.default_stream`: the device's null (legacy default) stream."""
    c = cp()
    idx = device_index(device, optional=True)
    return Stream(_cupy_stream=c.cuda.Stream.null, _device_index=idx)


def set_stream(stream):
    """Matches `torch.cuda.set_stream` (None: no-op)."""
    if stream is None:
        return
    c = cp()
    _device_guard.note_switch(c.cuda.runtime.getDevice(), stream.device_index)
    c.cuda.runtime.setDevice(stream.device_index)
    stream._cp.use()


class StreamContext:
    """Matches `torch.cuda.StreamContext`: selects `stream` (and its device) for the block; None: no-op."""

    def __init__(self, stream):
        self.stream = stream
        self.idx = -1 if stream is None else stream.device_index

    def __enter__(self):
        s = self.stream
        if s is None or self.idx == -1:
            return
        c = cp()
        self._prev_device = c.cuda.runtime.getDevice()
        if self._prev_device != s.device_index:
            _device_guard.note_switch(self._prev_device, s.device_index)
            c.cuda.runtime.setDevice(s.device_index)
        self._prev_stream = c.cuda.get_current_stream()
        s._cp.use()

    def __exit__(self, *exc):
        s = self.stream
        if s is None or self.idx == -1:
            return False
        c = cp()
        self._prev_stream.use()
        if self._prev_device != s.device_index:
            _device_guard.note_switch(s.device_index, self._prev_device)
            c.cuda.runtime.setDevice(self._prev_device)
        return False


def stream(stream):
    """Matches `torch.cuda.stream`: `with ember.cuda.stream(s):` runs the block's ops on `s`."""
    return StreamContext(stream)


class Event:
    """Matches `torch.cuda.Event(enable_timing=False, blocking=False, interprocess=False)`."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        try:
            lazy_init()
        except CudaUnavailableError as e:
            raise CudaUnavailableError(f"torch.cuda.Event requires CUDA support ({e})") from None
        self._ev = cp().cuda.Event(block=blocking, disable_timing=not enable_timing, interprocess=interprocess)
        self.enable_timing = enable_timing
        self._recorded = False

    def record(self, stream=None):
        """Record the event on `stream` (default: the current stream)."""
        if stream is None:
            stream = current_stream()
        self._ev.record(stream._cp)
        self._recorded = True

    def wait(self, stream=None):
        """Make future work on `stream` (default: current) wait for this event."""
        if stream is None:
            stream = current_stream()
        stream.wait_event(self)

    def query(self):
        """True when the work recorded before the event has finished."""
        return bool(self._ev.done)

    def elapsed_time(self, end_event):
        """Milliseconds between this event and `end_event` (both recorded, timing enabled)."""
        if not (self._recorded and end_event._recorded):
            raise RuntimeError("Both events must be recorded before calculating elapsed time.")
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
        return float(cp().cuda.get_elapsed_time(self._ev, end_event._ev))

    def synchronize(self):
        """Wait until the work recorded before the event has finished."""
        self._ev.synchronize()

    @property
    def cuda_event(self):
        return int(self._ev.ptr)

    def __repr__(self):
        return f"<torch.cuda.Event {hex(self.cuda_event)}>" if self._recorded else "<torch.cuda.Event uninitialized>"

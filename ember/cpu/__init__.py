"""ember.cpu (matches `torch.cpu`): the cpu device's trivial device API, and `ember.cpu.amp`."""

import contextlib

from . import amp

__all__ = [
    "is_available",
    "is_initialized",
    "synchronize",
    "current_device",
    "current_stream",
    "stream",
    "set_device",
    "device_count",
    "Stream",
    "StreamContext",
    "Event",
    "amp",
]


def is_available():
    """Matches `torch.cpu.is_available`: always True."""
    return True


def is_initialized():
    return True


def synchronize(device=None):
    """Matches `torch.cpu.synchronize`: nothing to wait for."""


def current_device():
    """Matches `torch.cpu.current_device`: 'cpu'."""
    return "cpu"


def device_count():
    """Matches `torch.cpu.device_count`: 1."""
    return 1


def set_device(device):
    """Matches `torch.cpu.set_device`: a no-op."""


class Stream:
    """Matches `torch.cpu.Stream`: a no-op stream."""

    def __init__(self, priority=-1):
        self.priority = priority

    def wait_stream(self, stream):
        pass

    def query(self):
        return True

    def synchronize(self):
        pass


class Event:
    """Matches `torch.cpu.Event`."""

    def query(self):
        return True

    def record(self, stream=None):
        pass

    def synchronize(self):
        pass

    def wait(self, stream=None):
        pass


_DEFAULT = Stream()


def current_stream(device=None):
    """Matches `torch.cpu.current_stream`."""
    return _DEFAULT


class StreamContext(contextlib.AbstractContextManager):
    """Matches `torch.cpu.StreamContext`: a no-op."""

    def __init__(self, stream):
        self.stream = stream

    def __exit__(self, *exc):
        return False


def stream(stream):
    """Matches `torch.cpu.stream`: a no-op context."""
    return StreamContext(stream)

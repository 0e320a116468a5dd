"""Matches `torch.cuda.nvtx`: NVTX ranges and marks, which profilers such as Nsight Systems show on their
timeline, through CuPy's NVTX bindings."""

import contextlib
import threading

from .._backend import CudaUnavailableError
from ._lazy import cp

__all__ = ["mark", "range", "range_end", "range_pop", "range_push", "range_start"]

_NO_NVTX = "NVTX functions not installed. Are you sure you have a CUDA build?"
_state = threading.local()  # the nesting depth of this thread's push/pop ranges


def _nvtx():
    try:
        n = cp().cuda.nvtx
        if getattr(n, "available", False):
            return n
    except (CudaUnavailableError, AttributeError, RuntimeError):
        pass
    raise RuntimeError(_NO_NVTX)


def range_push(msg):
    """Push a range onto this thread's stack of nested ranges; returns its zero-based depth."""
    _nvtx().RangePush(msg)
    depth = getattr(_state, "depth", 0)
    _state.depth = depth + 1
    return depth


def range_pop():
    """Pop the innermost range; returns the zero-based depth of the range ended (-1 with none open)."""
    _nvtx().RangePop()
    depth = getattr(_state, "depth", 0) - 1
    _state.depth = max(depth, 0)
    return depth


def range_start(msg):
    """Start a range that may end on another thread; returns its id for `range_end`."""
    return _nvtx().RangeStart(msg, None)


def range_end(range_id):
    """End the range `range_start` returned the id of."""
    _nvtx().RangeEnd(range_id)


def mark(msg):
    """An instantaneous event on the timeline."""
    _nvtx().Mark(msg)


@contextlib.contextmanager
def range(msg, *args, **kwargs):  # noqa: A001 - torch's name
    """`with ember.cuda.nvtx.range("step {}", i):` pushes msg.format(*args, **kwargs) for the block."""
    range_push(msg.format(*args, **kwargs))
    try:
        yield
    finally:
        range_pop()

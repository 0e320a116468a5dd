"""torch's thread-count API on NumPy's BLAS pool (ember has no intra-op pool of its own)."""

import builtins
import os

__all__ = ["set_num_threads", "get_num_threads", "set_num_interop_threads", "get_num_interop_threads"]

_interop = [None]


def set_num_threads(int):  # noqa: A002 - torch's parameter name
    """Matches `torch.set_num_threads`: sizes the BLAS thread pool NumPy uses."""
    from .utils.benchmark.utils import _threads  # noqa: PLC0415

    if not isinstance(int, builtins.int) or isinstance(int, bool):
        raise TypeError(f"set_num_threads(): argument 'int' (position 1) must be int, not {type(int).__name__}")
    if int <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _threads.set_num_threads(int)


def get_num_threads():
    """Matches `torch.get_num_threads`: the BLAS pool size (the CPU count when it cannot be read)."""
    from .utils.benchmark.utils import _threads  # noqa: PLC0415

    n = _threads.get_num_threads()
    return n if n is not None else (os.cpu_count() or 1)


def set_num_interop_threads(int):  # noqa: A002
    """Matches `torch.set_num_interop_threads` (recorded; ember runs ops on the calling thread)."""
    if int <= 0:
        raise RuntimeError("Expected positive number of threads")
    _interop[0] = int


def get_num_interop_threads():
    """Matches `torch.get_num_interop_threads`."""
    return _interop[0] if _interop[0] is not None else (os.cpu_count() or 1)

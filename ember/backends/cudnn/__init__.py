"""ember.backends.cudnn (matches `torch.backends.cudnn`): the switches programs set
(`enabled`, `benchmark`, `deterministic`, `allow_tf32`) and `flags(...)`. ember does not use cuDNN:
`is_available()` is False and `version()` None, and the switches have no effect on its kernels."""

import contextlib
import sys

__all__ = ["is_available", "version", "is_acceptable", "flags", "set_flags"]

enabled = True
benchmark = False
benchmark_limit = None
deterministic = False
allow_tf32 = True


def is_available():
    """Matches `torch.backends.cudnn.is_available`: ember has no cuDNN kernels."""
    return False


def version():
    """Matches `torch.backends.cudnn.version`: None without cuDNN."""
    return None


def is_acceptable(tensor):
    """Matches `torch.backends.cudnn.is_acceptable`."""
    return False


_mod = sys.modules[__name__]


def set_flags(_enabled=None, _benchmark=None, _benchmark_limit=None, _deterministic=None, _allow_tf32=None):
    """Matches `torch.backends.cudnn.set_flags`: sets the given switches, returns the previous ones."""
    orig = (_mod.enabled, _mod.benchmark, _mod.benchmark_limit, _mod.deterministic, _mod.allow_tf32)
    if _enabled is not None:
        _mod.enabled = _enabled
    if _benchmark is not None:
        _mod.benchmark = _benchmark
    if _benchmark_limit is not None:
        _mod.benchmark_limit = _benchmark_limit
    if _deterministic is not None:
        _mod.deterministic = _deterministic
    if _allow_tf32 is not None:
        _mod.allow_tf32 = _allow_tf32
    return orig


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
    """Matches `torch.backends.cudnn.flags`: the switches for the block, restored afterwards."""
    orig = set_flags(enabled, benchmark, benchmark_limit, deterministic, allow_tf32)
    try:
        yield
    finally:
        _mod.enabled, _mod.benchmark, _mod.benchmark_limit, _mod.deterministic, _mod.allow_tf32 = orig

"""ember.cuda: device queries. Without CuPy or a GPU, is_available() is False and the rest raise."""

from .._backend import cuda_available, cupy

__all__ = ["is_available", "device_count"]


def is_available():
    """Matches `torch.cuda.is_available`."""
    return cuda_available()


def device_count():
    """Matches `torch.cuda.device_count`."""
    if not cuda_available():
        return 0
    return cupy().cuda.runtime.getDeviceCount()

"""ember.backends.mkldnn (matches `torch.backends.mkldnn`): ember has no oneDNN kernels."""

__all__ = ["is_available", "enabled"]

enabled = True


def is_available():
    """False: ember computes with NumPy, not oneDNN."""
    return False

"""ember.backends.mps (matches `torch.backends.mps`): ember has no Metal backend."""

__all__ = ["is_available", "is_built", "is_macos13_or_newer", "is_macos_or_newer"]


def is_available():
    """Matches `torch.backends.mps.is_available`: False (ember has no MPS backend)."""
    return False


def is_built():
    """Matches `torch.backends.mps.is_built`: False."""
    return False


def is_macos_or_newer(major, minor):
    return False


def is_macos13_or_newer(minor=0):
    return False

"""Tensor methods and top-level functions that torch exposes but ember implements in nn.functional."""

from ._ops._core import bind
from .nn.functional import activation as _A

__all__ = ["softmax", "log_softmax", "relu", "relu_", "selu", "celu", "rrelu", "prelu", "hardshrink"]


def softmax(input, dim, dtype=None):
    """Matches `torch.softmax`."""
    return _A.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, dtype=None):
    """Matches `torch.log_softmax`."""
    return _A.log_softmax(input, dim, dtype=dtype)


def relu(input):
    """Matches `torch.relu`."""
    return _A.relu(input)


def relu_(input):
    """Matches `torch.relu_`."""
    return _A.relu_(input)


selu, celu, rrelu, prelu, hardshrink = _A.selu, _A.celu, _A.rrelu, _A.prelu, _A.hardshrink

bind("softmax", lambda self, dim, dtype=None: _A.softmax(self, dim, dtype=dtype))
bind("log_softmax", lambda self, dim, dtype=None: _A.log_softmax(self, dim, dtype=dtype))
bind("relu", relu)
bind("relu_", relu_)
bind("hardshrink", lambda self, lambd=0.5: _A.hardshrink(self, lambd))
bind("prelu", lambda self, weight: _A.prelu(self, weight))

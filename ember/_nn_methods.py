"""Tensor methods and top-level functions that torch exposes but ember implements in nn.functional."""

from ._ops._core import bind
from .nn import functional as _F
from .nn.functional import activation as _A

__all__ = ["softmax", "log_softmax", "relu", "relu_", "selu", "celu", "rrelu", "prelu", "hardshrink"]
# torch's top-level forms of nn.functional ops (the same arguments unless a wrapper below says otherwise)
__all__ += """conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d adaptive_avg_pool1d
adaptive_max_pool1d max_pool1d max_pool2d max_pool3d avg_pool1d pixel_shuffle pixel_unshuffle channel_shuffle
cosine_similarity pairwise_distance pdist bilinear rms_norm layer_norm group_norm threshold dropout alpha_dropout
feature_alpha_dropout detach""".split()


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

conv1d, conv2d, conv3d = _F.conv1d, _F.conv2d, _F.conv3d
conv_transpose1d, conv_transpose2d, conv_transpose3d = _F.conv_transpose1d, _F.conv_transpose2d, _F.conv_transpose3d
adaptive_avg_pool1d, pixel_shuffle, pixel_unshuffle = _F.adaptive_avg_pool1d, _F.pixel_shuffle, _F.pixel_unshuffle
channel_shuffle, cosine_similarity, pairwise_distance = _F.channel_shuffle, _F.cosine_similarity, _F.pairwise_distance
pdist, bilinear, rms_norm = _F.pdist, _F.bilinear, _F.rms_norm


def adaptive_max_pool1d(input, output_size):
    """Matches `torch.adaptive_max_pool1d`: (values, indices), always."""
    return _F.adaptive_max_pool1d(input, output_size, return_indices=True)


def _stride(stride):
    return None if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else stride


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """Matches `torch.max_pool1d` (an empty stride means the kernel size)."""
    return _F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """Matches `torch.max_pool2d` (an empty stride means the kernel size)."""
    return _F.max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """Matches `torch.max_pool3d` (an empty stride means the kernel size)."""
    return _F.max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True):
    """Matches `torch.avg_pool1d` (an empty stride means the kernel size)."""
    return _F.avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode, count_include_pad)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    """Matches `torch.layer_norm` (cudnn_enable has no effect)."""
    return _F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    """Matches `torch.group_norm` (cudnn_enabled has no effect)."""
    return _F.group_norm(input, num_groups, weight, bias, eps)


def threshold(input, threshold, value):
    """Matches `torch.threshold`."""
    return _F.threshold(input, threshold, value)


def dropout(input, p, train):
    """Matches `torch.dropout`."""
    return _F.dropout(input, p, train)


def alpha_dropout(input, p, train):
    """Matches `torch.alpha_dropout`."""
    return _F.alpha_dropout(input, p, train)


def feature_alpha_dropout(input, p, train):
    """Matches `torch.feature_alpha_dropout`."""
    return _F.feature_alpha_dropout(input, p, train)


def detach(input):
    """Matches `torch.detach`."""
    return input.detach()


bind("softmax", lambda self, dim, dtype=None: _A.softmax(self, dim, dtype=dtype))
bind("log_softmax", lambda self, dim, dtype=None: _A.log_softmax(self, dim, dtype=dtype))
bind("relu", relu)
bind("relu_", relu_)
bind("hardshrink", lambda self, lambd=0.5: _A.hardshrink(self, lambd))
bind("prelu", lambda self, weight: _A.prelu(self, weight))

"""Dropout functionals; masks come from `Tensor.bernoulli_(1 - p)` on ember's generator, as torch draws them."""

import warnings

import ember

from ..._ops.random import _scaled_bernoulli_cuda

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]

_ALPHA = 1.7580993408473766


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _impl(input, p, train, feature, alpha, inplace):
    if p == 0 or not train or input.numel() == 0:
        return input
    if p == 1:
        z = ember.zeros((), dtype=input.dtype, device=input.device)
        return input.mul_(z) if inplace else input * z
    if feature:
        if input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    else:
        shape = tuple(input.shape)
    if not alpha and input.is_cuda and input.dtype.is_floating_point:
        # mask and scale in one kernel: the numbers of bernoulli_(1 - p) then div_(1 - p)
        dt = input.dtype.np
        noise = _scaled_bernoulli_cuda(shape, input.dtype, input.device, 1 - p, dt.type(1) / dt.type(1 - p))
        if noise is not None:
            return input.mul_(noise) if inplace else input * noise
    noise = ember.empty(shape, dtype=input.dtype, device=input.device)
    with ember.no_grad():
        noise.bernoulli_(1 - p)
        if alpha:
            a = 1.0 / ((_ALPHA * _ALPHA * p + 1) * (1 - p)) ** 0.5
            b = noise.add(-1).mul_(_ALPHA * a).add_(_ALPHA * a * p)
            noise.mul_(a)
        else:
            noise.div_(1 - p)
    if inplace:
        input.mul_(noise)
        return input.add_(b) if alpha else input
    out = input * noise
    return out + b if alpha else out


def dropout(input, p=0.5, training=True, inplace=False):
    """Matches `torch.nn.functional.dropout`."""
    _check_p(p)
    return _impl(input, p, training, False, False, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Matches `torch.nn.functional.alpha_dropout`."""
    _check_p(p)
    return _impl(input, p, training, False, True, inplace)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Matches `torch.nn.functional.feature_alpha_dropout`."""
    _check_p(p)
    return _impl(input, p, training, True, True, inplace)


def _batched(input, p, training, inplace, batched):
    if batched:
        return _impl(input, p, training, True, False, inplace)
    out = _impl(input.unsqueeze(0), p, training, True, False, inplace)
    return input if inplace else out.squeeze(0)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Matches `torch.nn.functional.dropout1d`."""
    _check_p(p)
    d = input.dim()
    if d not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {d}D input. Note that dropout1d exists to "
            "provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an "
            "optional batch dimension (i.e. 2D or 3D inputs)."
        )
    return _batched(input, p, training, inplace, d == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Matches `torch.nn.functional.dropout2d` (a 3D input gets 1D channel-wise dropout, as in torch)."""
    _check_p(p)
    d = input.dim()
    if d not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {d}-D input to dropout2d, which is deprecated and will result in an error "
            "in a future release. To retain the behavior and silence this warning, please use dropout instead. "
            "Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial dimensions, a "
            "channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if d == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
            "desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will "
            "change in a future release to interpret the input as one without a batch dimension, i.e. shape "
            "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d "
            "instead.",
            stacklevel=2,
        )
    return _impl(input, p, training, True, False, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Matches `torch.nn.functional.dropout3d`."""
    _check_p(p)
    d = input.dim()
    if d not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {d}-D input to dropout3d, which is deprecated and will result in an error "
            "in a future release. To retain the behavior and silence this warning, please use dropout instead. "
            "Note that dropout3d exists to provide channel-wise dropout on inputs with 3 spatial dimensions, a "
            "channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    return _batched(input, p, training, inplace, d == 5)

"""Matches `torch.nn.utils.clip_grad`: gradient-norm and gradient-value clipping."""

import types
import warnings

import numpy as np

from ... import _device_guard
from ... import _ops as _E
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _as_list(tensors):
    if isinstance(tensors, Tensor):
        return [tensors]
    return list(tensors)


def _on_device_of(t, like, cache=None):
    """t, or its copy on like's device (cached per device in `cache`): a plain type check in the common case of
    one device."""
    a, b = t._data, like._data
    if type(a) is type(b) and (type(a) is np.ndarray or a.device.id == b.device.id):
        return t
    dev = like.device
    c = cache.get(dev) if cache is not None else None
    if c is None:
        c = t.to(dev)
        if cache is not None:
            cache[dev] = c
    return c


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Matches `torch.nn.utils.get_total_norm`: the norm of the norms of `tensors`, computed in their dtype."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return _E.tensor(0.0)
    with no_grad():
        if len(tensors) == 1:
            with _device_guard.on_device_of(tensors[0]._data):
                total = _E.norm(tensors[0], norm_type)
        else:
            # each tensor's norm on its device, then the norm of those on the first one's (as torch)
            norms = [_E.norm(t, norm_type) for t in _device_guard.each_on_device(tensors)]
            first = norms[0]
            with _device_guard.on_device_of(first._data):
                total = _E.norm(_E.stack([_on_device_of(n, first) for n in norms]), norm_type)
    if error_if_nonfinite and bool(_E.logical_or(total.isnan(), total.isinf())):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return total


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Matches `torch.nn.utils.clip_grads_with_norm_`: grad *= min(max_norm / (total_norm + 1e-6), 1)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    max_norm = float(max_norm)
    if not grads:
        return
    with no_grad():
        with _device_guard.on_device_of(total_norm._data):
            coef = _E.clamp(max_norm / (total_norm + 1e-6), max=1.0)
        coefs = {}  # the coefficient once per other device, as torch
        for g in _device_guard.each_on_device(grads):
            c = _on_device_of(coef, g, coefs)
            g.mul_(c)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Matches `torch.nn.utils.clip_grad_norm_`; returns the total norm of the gradients (before clipping)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of `clip_grad_norm_` (FutureWarning as torch)."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Matches `torch.nn.utils.clip_grad_value_`: clamps every gradient to [-clip_value, clip_value] in place."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    with no_grad():
        for p in parameters:
            g = p.grad
            if g is not None:
                g.clamp_(min=-clip_value, max=clip_value)

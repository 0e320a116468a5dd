"""Stochastic weight averaging and EMA: AveragedModel, SWALR, update_bn, matching `torch.optim.swa_utils`."""

import itertools
import math
import warnings
from copy import deepcopy

import numpy as np

from .. import _dtype as D
from .._ops.creation import _finish
from ..autograd.grad_mode import GRAD
from ..nn.modules.module import Module
from .lr_scheduler import LRScheduler, _format_param
from .optimizer import _bump

__all__ = [
    "AveragedModel",
    "update_bn",
    "SWALR",
    "get_ema_multi_avg_fn",
    "get_swa_multi_avg_fn",
    "get_ema_avg_fn",
    "get_swa_avg_fn",
]


def _is_float(t):
    return t._data.dtype.kind in "fc"


def _lerp_(a, b, w):
    """a.lerp_(b, w) on arrays, with torch's two-sided formula (exact at both ends)."""
    if abs(w) < 0.5:
        a += w * (b - a)
    else:
        a[...] = b - (b - a) * (1 - w)


def _set(t, array):
    t._data[...] = array
    _bump(t)


def get_ema_multi_avg_fn(decay=0.999):
    """Exponential moving average over lists of tensors, updated in place."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    def ema_update(ema_param_list, current_param_list, _):
        if _is_float(ema_param_list[0]):
            for e, c in zip(ema_param_list, current_param_list):
                _lerp_(e._data, c._data, 1 - decay)
                _bump(e)
        else:
            dt = D.get_default_dtype().np
            for e, c in zip(ema_param_list, current_param_list, strict=True):
                _set(e, e._data.astype(dt) * decay + c._data.astype(dt) * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """Running (equal-weight) average over lists of tensors, updated in place."""

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        n = int(num_averaged._data) if hasattr(num_averaged, "_data") else num_averaged
        if _is_float(averaged_param_list[0]):
            for a, c in zip(averaged_param_list, current_param_list):
                _lerp_(a._data, c._data, 1 / (n + 1))
                _bump(a)
        elif hasattr(num_averaged, "_data"):  # torch's foreach addcdiv rejects integer tensors
            raise RuntimeError(
                "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform "
                "a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as "
                "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as "
                "(input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter "
                "implementation: (input + value * tensor1 / tensor2), for all dtypes."
            )
        else:
            for a, c in zip(averaged_param_list, current_param_list):
                _set(a, a._data + (c._data - a._data) * (1.0 / (n + 1)))

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """Exponential moving average of one tensor (returns the new value)."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    def ema_update(ema_param, current_param, num_averaged):
        with _no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """Running (equal-weight) average of one tensor (returns the new value)."""

    def swa_update(averaged_param, current_param, num_averaged):
        with _no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class _no_grad:
    def __enter__(self):
        self.prev = GRAD.enabled
        GRAD.enabled = False

    def __exit__(self, *exc):
        GRAD.enabled = self.prev


class AveragedModel(Module):
    """Matches `torch.optim.swa_utils.AveragedModel` (SWA by default; EMA with get_ema_multi_avg_fn)."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", _finish(np.zeros((), dtype=np.int64), False))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        with _no_grad():
            self._update(model)

    def _update(self, model):
        if self.use_buffers:
            self_params = itertools.chain(self.module.parameters(), self.module.buffers())
            model_params = itertools.chain(model.parameters(), model.buffers())
        else:
            self_params, model_params = self.parameters(), model.parameters()
        mine, theirs = [], []
        n = int(self.n_averaged._data)
        for pa, pm in zip(self_params, model_params):
            pm = pm.detach()
            mine.append(pa.detach())
            theirs.append(pm)
            if n == 0:
                _set(pa, pm._data)
        if n > 0:
            if self.multi_avg_fn is not None or self.avg_fn is None:
                groups = {}
                for a, b in zip(mine, theirs):
                    ga, gb = groups.setdefault(a._data.dtype, ([], []))
                    ga.append(a)
                    gb.append(b)
                for ga, gb in groups.values():
                    if self.multi_avg_fn is not None:
                        self.multi_avg_fn(ga, gb, self.n_averaged)
                    else:  # torch's CPU path: the per-tensor formula (true division, cast back on copy)
                        for a, b in zip(ga, gb):
                            _set(a, a._data + (b._data - a._data) / (n + 1))
            else:
                for a, b in zip(mine, theirs):
                    _set(a, self.avg_fn(a, b, self.n_averaged)._data)
        if not self.use_buffers:
            for bs, bm in zip(self.module.buffers(), model.buffers(), strict=True):
                _set(bs, bm._data)
        self.n_averaged._data += 1
        _bump(self.n_averaged)


def update_bn(loader, model, device=None):
    """Recompute BatchNorm running statistics with one pass over `loader` (cumulative average, momentum=None)."""
    from ..nn.modules.batchnorm import _BatchNorm  # noqa: PLC0415

    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with _no_grad():
        for inp in loader:
            if isinstance(inp, list | tuple):
                inp = inp[0]
            if device is not None:
                inp = inp.to(device)
            model(inp)
    for module, m in momenta.items():
        module.momentum = m
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr to its swa_lr over anneal_epochs ('cos' or 'linear'), then hold it."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        if not self._get_lr_called_within_step:
            warnings.warn(
                "To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                UserWarning,
                stacklevel=2,
            )
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        groups = self.optimizer.param_groups
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(groups, prev_lrs, strict=True)]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)

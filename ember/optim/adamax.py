"""Adamax: Adam with the infinity norm."""

import numpy as np

from .. import _dtype as D
from .._ops.creation import _finish
from .optimizer import Optimizer, _bump

__all__ = ["Adamax"]


def _scalar_state(value):
    """A 0-dim step-like state tensor in torch's scalar dtype (float64 only under a float64 default)."""
    dt = np.float64 if D.get_default_dtype() is D.float64 else np.float32
    return _finish(np.array(value, dtype=dt), False)


def _check_common(lr, eps=None, betas=None, weight_decay=None):
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps is not None and not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if betas is not None:
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if weight_decay is not None and not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _grad_of(p, maximize, opt_name):
    g = p._grad
    if getattr(g, "is_sparse", False):
        raise RuntimeError(f"{opt_name} does not support sparse gradients")
    g = g._data
    return np.asarray(-g) if maximize else g


class Adamax(Optimizer):
    """Matches `torch.optim.Adamax` (the single-tensor CPU algorithm, op for op)."""

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        capturable=False,
    ):
        _check_common(lr, eps, betas, weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def step(self, closure=None):
        return self._run_step(closure, self._update)

    def _update(self):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, wd, maximize = group["lr"], group["eps"], group["weight_decay"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                g = _grad_of(p, maximize, "Adamax")
                w = p._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state(0.0)
                    state["exp_avg"] = _finish(np.zeros_like(w), False)
                    state["exp_inf"] = _finish(np.zeros_like(w), False)
                step_t = state["step"]
                step_t._data += 1
                if wd != 0:
                    g = np.asarray(g + wd * w)
                m = state["exp_avg"]._data
                u = state["exp_inf"]._data
                m += (1 - beta1) * (g - m)
                u *= beta2
                np.maximum(u, np.abs(g) + eps, out=u)
                clr = lr / (1 - beta1 ** float(step_t._data))
                w += (-clr * m) / u
                for key in state:
                    _bump(state[key])
                _bump(p)

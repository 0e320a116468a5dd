"""Adagrad with learning-rate decay and an initial accumulator value."""

import numpy as np

from .._ops.creation import _finish
from .adamax import _grad_of, _scalar_state
from .optimizer import Optimizer, _bump

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Matches `torch.optim.Adagrad` (dense gradients; the single-tensor CPU algorithm, op for op)."""

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        fused=None,
    ):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p):
        state = self.state[p]
        state["step"] = _scalar_state(0.0)
        state["sum"] = _finish(np.full_like(p._data, self.defaults["initial_accumulator_value"]), False)

    def share_memory(self):
        pass

    def step(self, closure=None):
        return self._run_step(closure, self._update)

    def _update(self):
        for group in self.param_groups:
            lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
            wd, maximize = group["weight_decay"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                g = _grad_of(p, maximize, "Adagrad")
                w = p._data
                state = self.state[p]
                if len(state) == 0:
                    self._init_state(p)
                step_t = state["step"]
                step_t._data += 1
                step = float(step_t._data)
                if wd != 0:
                    g = np.asarray(g + wd * w)
                clr = lr / (1 + (step - 1) * lr_decay)
                s = state["sum"]._data
                s += g * g
                std = np.sqrt(s)
                std += eps
                w += (-clr * g) / std
                for key in state:
                    _bump(state[key])
                _bump(p)

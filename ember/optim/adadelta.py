"""Adadelta."""

import numpy as np

from .._ops.creation import _finish
from .adamax import _grad_of, _scalar_state
from .optimizer import Optimizer, _bump

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Matches `torch.optim.Adadelta` (the single-tensor CPU algorithm, op for op)."""

    def __init__(
        self,
        params,
        lr=1.0,
        rho=0.9,
        eps=1e-6,
        weight_decay=0,
        foreach=None,
        *,
        capturable=False,
        maximize=False,
        differentiable=False,
    ):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(
            lr=lr,
            rho=rho,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            capturable=capturable,
            foreach=foreach,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def step(self, closure=None):
        return self._run_step(closure, self._update)

    def _update(self):
        for group in self.param_groups:
            lr, rho, eps, wd, maximize = (
                group["lr"],
                group["rho"],
                group["eps"],
                group["weight_decay"],
                group["maximize"],
            )
            for p in group["params"]:
                if p._grad is None:
                    continue
                g = _grad_of(p, maximize, "Adadelta")
                w = p._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state(0.0)
                    state["square_avg"] = _finish(np.zeros_like(w), False)
                    state["acc_delta"] = _finish(np.zeros_like(w), False)
                state["step"]._data += 1
                if wd != 0:
                    g = np.asarray(g + wd * w)
                sq = state["square_avg"]._data
                acc = state["acc_delta"]._data
                sq *= rho
                sq += ((1 - rho) * g) * g
                std = np.sqrt(sq + eps)
                delta = np.sqrt(acc + eps)
                delta = (delta / std) * g
                acc *= rho
                acc += ((1 - rho) * delta) * delta
                w += -lr * delta
                for key in state:
                    _bump(state[key])
                _bump(p)

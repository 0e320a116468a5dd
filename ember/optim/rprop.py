"""Rprop: resilient backpropagation."""

import numpy as np

from .._ops.creation import _finish
from .adamax import _grad_of, _scalar_state
from .optimizer import Optimizer, _bump

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Matches `torch.optim.Rprop` (the single-tensor CPU algorithm, op for op)."""

    def __init__(
        self,
        params,
        lr=1e-2,
        etas=(0.5, 1.2),
        step_sizes=(1e-6, 50),
        *,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(
            lr=lr,
            etas=etas,
            step_sizes=step_sizes,
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
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            lr, maximize = group["lr"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                g = _grad_of(p, maximize, "Rprop")
                w = p._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state(0.0)
                    state["prev"] = _finish(np.zeros_like(w), False)
                    state["step_size"] = _finish(np.full_like(g, lr), False)
                state["step"]._data += 1
                prev = state["prev"]._data
                ss = state["step_size"]._data
                sign = np.sign(g * prev)
                neg = sign < 0
                factor = np.where(sign > 0, etaplus, np.where(neg, etaminus, 1)).astype(g.dtype, copy=False)
                ss *= factor
                np.clip(ss, step_size_min, step_size_max, out=ss)
                g = np.where(neg, 0, g).astype(g.dtype, copy=False)
                w += (-np.sign(g)) * ss
                prev[...] = g
                for key in state:
                    _bump(state[key])
                _bump(p)

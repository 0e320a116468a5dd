"""ASGD: averaged stochastic gradient descent."""

import numpy as np

from .._ops.creation import _finish
from .adamax import _grad_of, _scalar_state
from .optimizer import Optimizer, _bump

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Matches `torch.optim.ASGD` (the single-tensor CPU algorithm, op for op; eta and mu are float32 state)."""

    def __init__(
        self,
        params,
        lr=1e-2,
        lambd=1e-4,
        alpha=0.75,
        t0=1e6,
        weight_decay=0,
        foreach=None,
        maximize=False,
        differentiable=False,
        capturable=False,
    ):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(
            lr=lr,
            lambd=lambd,
            alpha=alpha,
            t0=t0,
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
            lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
            wd, maximize = group["weight_decay"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                g = _grad_of(p, maximize, "ASGD")
                w = p._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state(0.0)
                    state["eta"] = _scalar_state(lr)
                    state["mu"] = _scalar_state(1.0)
                    state["ax"] = _finish(np.zeros_like(w), False)
                step_t = state["step"]
                step_t._data += 1
                if wd != 0:
                    g = np.asarray(g + wd * w)
                eta = float(state["eta"]._data)
                w *= 1 - lambd * eta
                w += -eta * g
                mu = float(state["mu"]._data)
                ax = state["ax"]._data
                if mu != 1:
                    ax += (w - ax) * mu
                else:
                    ax[...] = w
                step = float(step_t._data)
                state["eta"]._data[...] = lr / ((1 + lambd * lr * step) ** alpha)
                state["mu"]._data[...] = 1 / max(1, step - t0)
                for key in state:
                    _bump(state[key])
                _bump(p)

"""RMSprop with optional centering and momentum."""

import numpy as np

from .._ops.creation import _finish
from .adamax import _grad_of, _scalar_state
from .optimizer import Optimizer, _bump

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Matches `torch.optim.RMSprop` (the single-tensor CPU algorithm, op for op)."""

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            capturable=capturable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def step(self, closure=None):
        return self._run_step(closure, self._update)

    def _update(self):
        for group in self.param_groups:
            lr, alpha, eps, wd = group["lr"], group["alpha"], group["eps"], group["weight_decay"]
            momentum, centered, maximize = group["momentum"], group["centered"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                g = _grad_of(p, maximize, "RMSprop")
                w = p._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state(0.0)
                    state["square_avg"] = _finish(np.zeros_like(w), False)
                    if momentum > 0:
                        state["momentum_buffer"] = _finish(np.zeros_like(w), False)
                    if centered:
                        state["grad_avg"] = _finish(np.zeros_like(w), False)
                state["step"]._data += 1
                if wd != 0:
                    g = np.asarray(g + wd * w)
                sq = state["square_avg"]._data
                sq *= alpha
                sq += ((1 - alpha) * g) * g
                if centered:
                    ga = state["grad_avg"]._data
                    ga += (1 - alpha) * (g - ga)
                    avg = np.sqrt(sq + (-ga) * ga)
                else:
                    avg = np.sqrt(sq)
                avg += eps
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    buf += g / avg
                    w += -lr * buf
                else:
                    w += (-lr * g) / avg
                for key in state:
                    _bump(state[key])
                _bump(p)

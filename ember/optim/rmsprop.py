"""RMSprop with optional centering and momentum."""

import numpy as np

from ._util import SingleTensorOptimizer, bump_all, check_hparams, scalar_state, weight_decay, zeros_state

__all__ = ["RMSprop"]


class RMSprop(SingleTensorOptimizer):
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
        check_hparams(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
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

    def _update(self):
        for group in self.param_groups:
            lr, alpha, eps, wd = group["lr"], group["alpha"], group["eps"], group["weight_decay"]
            momentum, centered = group["momentum"], group["centered"]
            for p, g, w, state in self._params(group, "RMSprop"):
                if len(state) == 0:
                    state["step"] = scalar_state(0.0)
                    state["square_avg"] = zeros_state(w)
                    if momentum > 0:
                        state["momentum_buffer"] = zeros_state(w)
                    if centered:
                        state["grad_avg"] = zeros_state(w)
                state["step"]._data += 1
                g = weight_decay(g, w, lr, wd)
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
                bump_all(state, p)

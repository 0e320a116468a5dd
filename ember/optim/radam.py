"""RAdam: Adam with variance rectification (optional decoupled weight decay)."""

import numpy as np

from ._util import (
    SingleTensorOptimizer,
    bump_all,
    check_hparams,
    scalar_state,
    update_moments,
    weight_decay,
    zeros_state,
)

__all__ = ["RAdam"]


class RAdam(SingleTensorOptimizer):
    """Matches `torch.optim.RAdam` (the single-tensor CPU algorithm, op for op)."""

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ):
        check_hparams(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            decoupled_weight_decay=decoupled_weight_decay,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update(self):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
            decoupled = group["decoupled_weight_decay"]
            for p, g, w, state in self._params(group, "RAdam"):
                if len(state) == 0:
                    state["step"] = scalar_state(0.0)
                    state["exp_avg"] = zeros_state(w)
                    state["exp_avg_sq"] = zeros_state(w)
                step_t = state["step"]
                step_t._data += 1
                step = float(step_t._data)
                g = weight_decay(g, w, lr, wd, decoupled)
                m, v = update_moments(state, g, beta1, beta2)
                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                corrected = m / bias_correction1
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    sq = np.sqrt(v)
                    sq += eps
                    adaptive = (bias_correction2**0.5) / sq
                    w -= corrected * lr * adaptive * rect
                else:
                    w -= corrected * lr
                bump_all(state, p)

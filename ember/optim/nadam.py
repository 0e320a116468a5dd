"""NAdam: Adam with Nesterov momentum (momentum_decay schedule, optional decoupled weight decay)."""

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

__all__ = ["NAdam"]


class NAdam(SingleTensorOptimizer):
    """Matches `torch.optim.NAdam` (the single-tensor CPU algorithm, op for op)."""

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        momentum_decay=4e-3,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ):
        check_hparams(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay, momentum_decay=momentum_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update(self):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
            md, decoupled = group["momentum_decay"], group["decoupled_weight_decay"]
            for p, g, w, state in self._params(group, "NAdam"):
                if len(state) == 0:
                    state["step"] = scalar_state(0.0)
                    state["mu_product"] = scalar_state(1.0)
                    state["exp_avg"] = zeros_state(w)
                    state["exp_avg_sq"] = zeros_state(w)
                step_t = state["step"]
                step_t._data += 1
                step = float(step_t._data)
                bias_correction2 = 1 - beta2**step
                g = weight_decay(g, w, lr, wd, decoupled)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * md)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * md)))
                mp = state["mu_product"]._data
                mp *= mu
                mu_product = float(mp)
                m, v = update_moments(state, g, beta1, beta2)
                denom = np.sqrt(v / bias_correction2)
                denom += eps
                mu_product_next = mu_product * mu_next
                w += ((-lr * (1.0 - mu) / (1.0 - mu_product)) * g) / denom
                w += (((-lr * mu_next) / (1.0 - mu_product_next)) * m) / denom
                bump_all(state, p)

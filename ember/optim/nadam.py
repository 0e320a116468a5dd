"""NAdam: Adam with Nesterov momentum (momentum_decay schedule, optional decoupled weight decay)."""

import numpy as np

from .._ops.creation import _finish
from .adamax import _check_common, _grad_of, _scalar_state
from .optimizer import Optimizer, _bump

__all__ = ["NAdam"]


class NAdam(Optimizer):
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
        _check_common(lr, eps, betas, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
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

    def step(self, closure=None):
        return self._run_step(closure, self._update)

    def _update(self):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
            md, decoupled, maximize = group["momentum_decay"], group["decoupled_weight_decay"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                g = _grad_of(p, maximize, "NAdam")
                w = p._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state(0.0)
                    state["mu_product"] = _scalar_state(1.0)
                    state["exp_avg"] = _finish(np.zeros_like(w), False)
                    state["exp_avg_sq"] = _finish(np.zeros_like(w), False)
                step_t = state["step"]
                step_t._data += 1
                step = float(step_t._data)
                bias_correction2 = 1 - beta2**step
                if wd != 0:
                    if decoupled:
                        w *= 1 - lr * wd
                    else:
                        g = np.asarray(g + wd * w)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * md)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * md)))
                mp = state["mu_product"]._data
                mp *= mu
                mu_product = float(mp)
                m = state["exp_avg"]._data
                v = state["exp_avg_sq"]._data
                m += (1 - beta1) * (g - m)
                v *= beta2
                v += ((1 - beta2) * g) * g
                denom = np.sqrt(v / bias_correction2)
                denom += eps
                mu_product_next = mu_product * mu_next
                w += ((-lr * (1.0 - mu) / (1.0 - mu_product)) * g) / denom
                w += (((-lr * mu_next) / (1.0 - mu_product_next)) * m) / denom
                for key in state:
                    _bump(state[key])
                _bump(p)

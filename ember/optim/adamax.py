"""Adamax: Adam with the infinity norm."""

import numpy as np

from ._util import SingleTensorOptimizer, bump_all, check_hparams, scalar_state, weight_decay, zeros_state

__all__ = ["Adamax"]


class Adamax(SingleTensorOptimizer):
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
        check_hparams(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
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

    def _update(self):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
            for p, g, w, state in self._params(group, "Adamax"):
                if len(state) == 0:
                    state["step"] = scalar_state(0.0)
                    state["exp_avg"] = zeros_state(w)
                    state["exp_inf"] = zeros_state(w)
                step_t = state["step"]
                step_t._data += 1
                g = weight_decay(g, w, lr, wd)
                m = state["exp_avg"]._data
                u = state["exp_inf"]._data
                m += (1 - beta1) * (g - m)
                u *= beta2
                np.maximum(u, np.abs(g) + eps, out=u)
                clr = lr / (1 - beta1 ** float(step_t._data))
                w += (-clr * m) / u
                bump_all(state, p)

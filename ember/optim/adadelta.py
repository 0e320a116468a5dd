"""Adadelta."""

import numpy as np

from ._util import SingleTensorOptimizer, bump_all, check_hparams, scalar_state, weight_decay, zeros_state

__all__ = ["Adadelta"]


class Adadelta(SingleTensorOptimizer):
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
        check_hparams(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
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

    def _update(self):
        for group in self.param_groups:
            lr, rho, eps, wd = group["lr"], group["rho"], group["eps"], group["weight_decay"]
            for p, g, w, state in self._params(group, "Adadelta"):
                if len(state) == 0:
                    state["step"] = scalar_state(0.0)
                    state["square_avg"] = zeros_state(w)
                    state["acc_delta"] = zeros_state(w)
                state["step"]._data += 1
                g = weight_decay(g, w, lr, wd)
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
                bump_all(state, p)

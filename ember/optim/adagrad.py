"""Adagrad with learning-rate decay and an initial accumulator value."""

import numpy as np

from ._util import SingleTensorOptimizer, bump_all, check_hparams, full_state, scalar_state, weight_decay

__all__ = ["Adagrad"]


class Adagrad(SingleTensorOptimizer):
    """Matches `torch.optim.Adagrad` (dense gradients; the single-tensor CPU algorithm, op for op)."""

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        fused=None,
    ):
        check_hparams(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p):
        state = self.state[p]
        state["step"] = scalar_state(0.0)
        state["sum"] = full_state(p._data, self.defaults["initial_accumulator_value"])

    def share_memory(self):
        pass

    def _update(self):
        for group in self.param_groups:
            lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
            wd = group["weight_decay"]
            for p, g, w, state in self._params(group, "Adagrad"):
                if len(state) == 0:
                    self._init_state(p)
                step_t = state["step"]
                step_t._data += 1
                step = float(step_t._data)
                g = weight_decay(g, w, lr, wd)
                clr = lr / (1 + (step - 1) * lr_decay)
                s = state["sum"]._data
                s += g * g
                std = np.sqrt(s)
                std += eps
                w += (-clr * g) / std
                bump_all(state, p)

"""Rprop: resilient backpropagation."""

import numpy as np

from ._util import SingleTensorOptimizer, bump_all, check_hparams, full_state, scalar_state, zeros_state

__all__ = ["Rprop"]


class Rprop(SingleTensorOptimizer):
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
        check_hparams(lr=lr)
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

    def _update(self):
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            lr = group["lr"]
            for p, g, w, state in self._params(group, "Rprop"):
                if len(state) == 0:
                    state["step"] = scalar_state(0.0)
                    state["prev"] = zeros_state(w)
                    state["step_size"] = full_state(g, lr)
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
                bump_all(state, p)

"""ASGD: averaged stochastic gradient descent."""

from ._util import SingleTensorOptimizer, bump_all, check_hparams, scalar_state, weight_decay, zeros_state

__all__ = ["ASGD"]


class ASGD(SingleTensorOptimizer):
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
        check_hparams(lr=lr, weight_decay=weight_decay)
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

    def _update(self):
        for group in self.param_groups:
            lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
            wd = group["weight_decay"]
            for p, g, w, state in self._params(group, "ASGD"):
                if len(state) == 0:
                    state["step"] = scalar_state(0.0)
                    state["eta"] = scalar_state(lr)
                    state["mu"] = scalar_state(1.0)
                    state["ax"] = zeros_state(w)
                step_t = state["step"]
                step_t._data += 1
                g = weight_decay(g, w, lr, wd)
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
                bump_all(state, p)

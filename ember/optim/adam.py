"""Adam and AdamW (decoupled weight decay), with amsgrad and maximize."""

import math

import numpy as np

from ..cuda import _fused
from ._util import SingleTensorOptimizer, bump_all, check_hparams, fusable, scalar_state, weight_decay, zeros_state

__all__ = ["Adam", "AdamW"]


class Adam(SingleTensorOptimizer):
    """Matches `torch.optim.Adam` (the single-tensor CPU algorithm, op for op)."""

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
        fused=None,
        decoupled_weight_decay=False,
    ):
        check_hparams(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _update(self):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
            amsgrad, decoupled = group["amsgrad"], group["decoupled_weight_decay"]
            fused = {}  # (device, dtype, step) -> the group's CUDA parameters for one multi-tensor launch
            for p, g, w, state in self._params(group, "Adam"):
                if len(state) == 0:
                    state["step"] = scalar_state(0.0)  # float64 under a float64 default, as torch
                    state["exp_avg"] = zeros_state(w)
                    state["exp_avg_sq"] = zeros_state(w)
                    if amsgrad:
                        state["max_exp_avg_sq"] = zeros_state(w)
                step_t = state["step"]
                step_t._data += 1
                if type(lr) is float and _fused.usable(w):
                    m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                    vmax = state["max_exp_avg_sq"]._data if amsgrad else None
                    if fusable(w, g, m, v, vmax):
                        # the fused kernel updates these after the loop (grad_of has negated g under maximize)
                        key = (w.device.id, w.dtype, float(step_t._data))
                        fused.setdefault(key, []).append((w, g, m, v, vmax))
                        bump_all(state, p)
                        continue
                g = weight_decay(g, w, lr, wd, decoupled)
                m = state["exp_avg"]._data
                v = state["exp_avg_sq"]._data
                # torch's op order, each op one in-place pass into m, v or a single scratch buffer t:
                # lerp(m, g, 1 - beta1) as torch computes it for weights below 0.5: m + (1 - beta1) * (g - m)
                t = np.empty_like(m)
                np.subtract(g, m, out=t)
                t *= 1 - beta1
                m += t
                v *= beta2
                np.multiply(g, g, out=t)
                t *= 1 - beta2
                v += t
                step = float(step_t._data)
                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                step_size = lr / bias_correction1
                bias_correction2_sqrt = math.sqrt(bias_correction2)
                if amsgrad:
                    vmax = state["max_exp_avg_sq"]._data
                    np.maximum(vmax, v, out=vmax)
                    np.sqrt(vmax, out=t)
                else:
                    np.sqrt(v, out=t)
                t /= bias_correction2_sqrt
                t += eps  # denom
                np.divide(m, t, out=t)
                t *= step_size
                w -= t
                bump_all(state, p)
            for (dev, _, step), items in fused.items():
                with _fused.cupy().cuda.Device(dev):
                    _fused.adam_multi(
                        items, lr=lr, beta1=beta1, beta2=beta2, eps=eps, wd=wd, decoupled=decoupled, step=step
                    )


class AdamW(Adam):
    """Matches `torch.optim.AdamW`: Adam with decoupled weight decay (default 1e-2)."""

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
        foreach=None,
        capturable=False,
        differentiable=False,
        fused=None,
    ):
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

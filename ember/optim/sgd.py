"""SGD with momentum, dampening, Nesterov, weight decay and maximize."""

from .. import _device_guard
from .._ops._core import arr
from .._ops.creation import _finish
from ..cuda import _fused
from ._util import SingleTensorOptimizer, fusable, weight_decay
from .optimizer import _bump, required

__all__ = ["SGD"]


class SGD(SingleTensorOptimizer):
    """Matches `torch.optim.SGD` (the single-tensor CPU algorithm, step for step)."""

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
        foreach=None,
        differentiable=False,
        fused=None,
    ):
        if lr is not required and (not isinstance(lr, float | int) or lr < 0.0):
            if not isinstance(lr, float | int):
                raise TypeError(f"Tensor lr is not supported here: {lr}")
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _update(self):
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            wd, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            fused = {}  # (device, dtype, new buffers) -> the group's CUDA parameters for one multi-tensor launch
            for p in _device_guard.each_on_device(group["params"]):  # each on its GPU when several are in use
                if p._grad is None:
                    continue
                g = p._grad._data
                w = p._data
                if (
                    isinstance(lr, float | int)
                    and _fused.usable(w)
                    and fusable(w, g, _momentum_buffer(self.state[p], momentum))
                ):
                    buf = self.state[p].get("momentum_buffer") if momentum != 0 else None
                    first = momentum != 0 and buf is None
                    if first:
                        buf = self.state[p]["momentum_buffer"] = _finish(_fused.cupy().empty_like(w), False)
                    elif buf is not None:
                        _bump(buf)
                    b = None if buf is None else buf._data
                    fused.setdefault((w.device.id, w.dtype, first), []).append((w, g, b))
                    _bump(p)
                    continue
                if maximize:
                    g = arr(-g)  # 0-d arithmetic gives NumPy scalars: keep arrays
                g = weight_decay(g, w, lr, wd)
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = _finish(g.copy(), False)
                    else:
                        b = buf._data
                        b *= momentum
                        b += (1 - dampening) * g if dampening else g
                        _bump(buf)
                    g = arr(g + momentum * buf._data) if nesterov else buf._data
                w -= lr * g
                _bump(p)
            for (dev, _, first), items in fused.items():
                with _fused.cupy().cuda.Device(dev):
                    _fused.sgd_multi(
                        items,
                        lr=lr,
                        momentum=momentum,
                        dampening=dampening,
                        wd=wd,
                        nesterov=nesterov,
                        maximize=maximize,
                        first=first,
                    )


def _momentum_buffer(state, momentum):
    """The momentum buffer's array, or None (no momentum, or none made yet)."""
    buf = state.get("momentum_buffer") if momentum != 0 else None
    return None if buf is None else buf._data

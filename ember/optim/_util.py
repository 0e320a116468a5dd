"""Pieces the single-tensor optimizers share: hyperparameter checks, state tensors, the gradient preamble."""

import numpy as np

from .. import _device_guard
from .. import _dtype as D
from .._ops._core import arr
from .._ops.creation import _finish
from .._tensor import _vc_of
from .optimizer import Optimizer

# torch's wording for each checked hyperparameter; the others read "Invalid <name> value: <v>"
_LABELS = {"lr": "learning rate", "eps": "epsilon value"}


def check_hparams(**hparams):
    """Raise torch's ValueError for the first invalid hyperparameter, in the order given.

    Each must be >= 0; `betas` must both lie in [0, 1), `rho` in [0, 1].
    """
    for name, value in hparams.items():
        if name == "betas":
            for i in (0, 1):
                if not 0.0 <= value[i] < 1.0:
                    raise ValueError(f"Invalid beta parameter at index {i}: {value[i]}")
        elif not (0.0 <= value <= 1.0 if name == "rho" else 0.0 <= value):
            raise ValueError(f"Invalid {_LABELS.get(name, name + ' value')}: {value}")


def scalar_state(value):
    """A 0-dim step-like state tensor in torch's scalar dtype (float64 only under a float64 default)."""
    dt = np.float64 if D.get_default_dtype() is D.float64 else np.float32
    return _finish(np.array(value, dtype=dt), False)


def zeros_state(w):
    """A state tensor of zeros shaped and typed like the parameter array w (on w's device)."""
    with _device_guard.on_device_of(w):
        return _finish(np.zeros_like(w), False)


def full_state(a, value):
    """A state tensor filled with value, shaped and typed like the array a (on a's device)."""
    with _device_guard.on_device_of(a):
        return _finish(np.full_like(a, value), False)


def grad_of(p, maximize, opt_name):
    """p's gradient array, negated under maximize (sparse gradients are refused)."""
    g = p._grad
    if getattr(g, "is_sparse", False):
        raise RuntimeError(f"{opt_name} does not support sparse gradients")
    g = g._data
    return arr(-g) if maximize else g


def weight_decay(g, w, lr, wd, decoupled=False):
    """Apply weight decay: decoupled shrinks w in place, otherwise returns g + wd * w."""
    if wd != 0:
        if decoupled:
            w *= 1 - lr * wd
        else:
            g = arr(g + wd * w)
    return g


def update_moments(state, g, beta1, beta2):
    """Adam's running moments in place, in torch's op order: exp_avg lerps toward g, exp_avg_sq toward g * g.

    Returns the two arrays (exp_avg, exp_avg_sq).
    """
    m = state["exp_avg"]._data
    v = state["exp_avg_sq"]._data
    m += (1 - beta1) * (g - m)
    v *= beta2
    v += ((1 - beta2) * g) * g
    return m, v


def fusable(w, *arrays):
    """Whether a fused CUDA update can take parameter array w with `arrays` (its gradient and state; None
    entries skipped): all contiguous, of w's type, dtype and shape. Runs per parameter per step: plain checks."""
    if not w.flags.c_contiguous:
        return False
    t, dt, shape = type(w), w.dtype, w.shape
    for a in arrays:
        if a is not None and (type(a) is not t or a.dtype != dt or a.shape != shape or not a.flags.c_contiguous):
            return False
    return True


def bump_all(state, p):
    """Record the in-place updates of every state tensor and of p."""
    for t in state.values():
        _vc_of(t).v += 1
    _vc_of(p).v += 1


class SingleTensorOptimizer(Optimizer):
    """An optimizer whose `step` runs `_update` (the single-tensor algorithm) between the step hooks."""

    def step(self, closure=None):
        return self._run_step(closure, self._update)

    def _params(self, group, opt_name):
        """Yield (p, grad array, p's array, p's state) for each parameter of group that has a gradient."""
        maximize, state = group["maximize"], self.state
        for p in _device_guard.each_on_device(group["params"]):  # each on its GPU when several are in use
            if p._grad is not None:
                yield p, grad_of(p, maximize, opt_name), p._data, state[p]

"""ember.amp.GradScaler (matches `torch.amp.GradScaler`): dynamic loss scaling for mixed-precision training.

The scale lives in a float32 0-dim tensor on the device of the first scaled output, the growth tracker
in an int32 one, as in torch. `unscale_` multiplies every gradient by 1/scale (computed in float64 and
rounded to float32, as torch does) and records whether any gradient had an inf/NaN; `step` skips
`optimizer.step()` when one did; `update` backs the scale off on overflow and grows it after
`growth_interval` clean steps (torch's _amp_update_scale_ kernel).
"""

import warnings
from collections import abc, defaultdict
from enum import Enum

import numpy as np

from .. import _device_guard
from .. import _dtype as D
from .._backend import xp_of
from .._tensor import Tensor, _vc_of
from ..cuda import _fused

__all__ = ["OptState", "GradScaler"]


class OptState(Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _refresh_per_optimizer_state():
    return {"stage": OptState.READY, "found_inf_per_device": {}}


def _full(value, dtype, device):
    from .._ops.creation import full  # noqa: PLC0415 - keeps ember.amp importable before the op families

    return full((), value, dtype=dtype, device=device)


def _non_finite_check_and_unscale_(grads, found_inf, inv_scale):
    """torch._amp_foreach_non_finite_check_and_unscale_: grads *= inv_scale in place; found_inf = 1 if any
    grad holds an inf or NaN."""
    inv = inv_scale._data
    arrays = [g._data for g in grads if g._data.size]
    if (
        arrays
        and _fused.usable(arrays[0])
        and all(type(a) is type(arrays[0]) and a.dtype == arrays[0].dtype and a.flags.c_contiguous for a in arrays)
        and found_inf._data.dtype == np.float32
        and inv.dtype == np.float32
    ):
        # CUDA: one multi-tensor kernel, no synchronisation (the generic loop below reads the device twice per
        # gradient)
        with _fused.cupy().cuda.Device(arrays[0].device.id):
            _fused.amp_unscale(arrays, inv, found_inf._data)
        return
    for g in grads:
        d = g._data
        if d.size == 0:
            continue
        xp = xp_of(d)
        if not bool(xp.isfinite(d).all()):
            found_inf._data[...] = 1.0
        if float(inv) != 1.0:
            if d.dtype.kind == "V" or d.dtype == np.float16:  # bfloat16 / half: multiply in float32 (opmath)
                r = (d.astype(np.float32) * inv.astype(np.float32)).astype(d.dtype)
            else:
                r = d * inv.astype(d.dtype) if d.dtype.kind == "c" else d * inv
            xp.copyto(d, r, casting="unsafe")


def _bump_version(t):
    _vc_of(t).v += 1


def _update_scale_(scale, growth_tracker, found_inf, growth_factor, backoff_factor, growth_interval):
    """torch._amp_update_scale_ (CPU kernel semantics)."""
    s = scale._data
    gt = growth_tracker._data
    if _fused.usable(s) and s.dtype == np.float32 and gt.dtype == np.int32 and found_inf._data.dtype == np.float32:
        with _fused.cupy().cuda.Device(s.device.id):  # on the device: no synchronisation
            _fused.amp_update_scale(s, gt, found_inf._data, growth_factor, backoff_factor, growth_interval)
        _bump_version(scale)
        _bump_version(growth_tracker)
        return
    if float(found_inf._data) != 0.0:
        s[...] = np.float32(float(s) * backoff_factor)
        gt[...] = 0
    else:
        successful = int(gt) + 1
        if successful == growth_interval:
            new_scale = np.float32(float(s) * growth_factor)
            if np.isfinite(new_scale):
                s[...] = new_scale
            gt[...] = 0
        else:
            gt[...] = successful
    _bump_version(scale)
    _bump_version(growth_tracker)


class _MultiDeviceReplicator:
    def __init__(self, master):
        self.master = master
        self._per_device_tensors = {}

    def get(self, device):
        t = self._per_device_tensors.get(device)
        if t is None:
            t = self.master.to(device=device, copy=True)
            self._per_device_tensors[device] = t
        return t


class GradScaler:
    """Matches `torch.amp.GradScaler`."""

    def __init__(
        self,
        device="cuda",
        init_scale=2.0**16,
        growth_factor=2.0,
        backoff_factor=0.5,
        growth_interval=2000,
        enabled=True,
    ):
        self._device = device
        self._enabled = enabled
        if self._device == "cuda" and enabled:
            from .. import cuda  # noqa: PLC0415

            if not cuda.is_available():
                warnings.warn(
                    "torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.", stacklevel=2
                )
                self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
            self._init_scale = init_scale
            self._scale = None
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker = None
            self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

    def _check_scale_growth_tracker(self, funcname):
        fix = "This may indicate your script did not use scaler.scale(loss or outputs) earlier in the iteration."
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  " + fix)
        if self._growth_tracker is None:
            raise AssertionError(f"Attempted {funcname} but _growth_tracker is None.  " + fix)
        return self._scale, self._growth_tracker

    def _lazy_init_scale_growth_tracker(self, dev):

        self._scale = _full(self._init_scale, D.float32, dev)
        self._growth_tracker = _full(self._init_growth_tracker, D.int32, dev)

    def scale(self, outputs):
        """Multiply a tensor (or an iterable of tensors) by the scale factor."""

        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            if self._scale is None:
                self._lazy_init_scale_growth_tracker(outputs.device)
            return outputs * self._scale.to(device=outputs.device)
        stash = []

        def apply_scale(val):
            if isinstance(val, Tensor):
                if not stash:
                    if self._scale is None:
                        self._lazy_init_scale_growth_tracker(val.device)
                    stash.append(_MultiDeviceReplicator(self._scale))
                return val * stash[0].get(val.device)
            if isinstance(val, abc.Iterable):
                it = map(apply_scale, val)
                return type(val)(it) if isinstance(val, (list, tuple)) else it
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")

        return apply_scale(outputs)

    def _unscale_grads_(self, optimizer, inv_scale, found_inf, allow_fp16):

        per_device_inv_scale = _MultiDeviceReplicator(inv_scale)
        per_device_found_inf = _MultiDeviceReplicator(found_inf)
        grads_by = defaultdict(lambda: defaultdict(list))
        for group in optimizer.param_groups:
            for param in group["params"]:
                if not isinstance(param, Tensor):
                    raise AssertionError(f"expected param to be torch.Tensor, got {type(param).__name__}")
                g = param.grad
                if g is None:
                    continue
                if not allow_fp16 and g.dtype is D.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                grads_by[g.device][g.dtype].append(g)
        for device, per_dtype in grads_by.items():
            for grads in per_dtype.values():
                with _device_guard.on_device_of(grads[0]._data):  # when several GPUs are in use
                    _non_finite_check_and_unscale_(
                        grads, per_device_found_inf.get(device), per_device_inv_scale.get(device)
                    )
                for g in grads:
                    _bump_version(g)
        return per_device_found_inf._per_device_tensors

    def unscale_(self, optimizer):
        """Divide the optimizer's gradients by the scale factor (in place), recording inf/NaN."""

        if not self._enabled:
            return
        self._check_scale_growth_tracker("unscale_")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv_scale = self._scale.double().reciprocal().float()
        found_inf = _full(0.0, D.float32, self._scale.device)
        state["found_inf_per_device"] = self._unscale_grads_(optimizer, inv_scale, found_inf, False)
        state["stage"] = OptState.UNSCALED

    def _maybe_opt_step(self, optimizer, optimizer_state, *args, **kwargs):
        if not sum(v.item() for v in optimizer_state["found_inf_per_device"].values()):
            return optimizer.step(*args, **kwargs)
        return None

    def step(self, optimizer, *args, **kwargs):
        """Unscale the gradients (unless `unscale_` was called) and run `optimizer.step()` unless a
        gradient held an inf or NaN."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale_growth_tracker("step")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if getattr(optimizer, "_step_supports_amp_scaling", False):
            # optimizers that unscale and check for infs themselves (torch's fused ones)
            if state["stage"] is OptState.READY:
                self._check_inf_per_device(optimizer)
            scaler = self._scale
            found_inf = sum(t.to(scaler.device) for t in state["found_inf_per_device"].values())
            optimizer.grad_scale = (
                getattr(optimizer, "grad_scale", None)
                if state["stage"] == OptState.UNSCALED
                else scaler * getattr(optimizer, "grad_scale", 1)
            )
            optimizer.found_inf = found_inf
            retval = optimizer.step(*args, **kwargs)
            state["stage"] = OptState.STEPPED
            del optimizer.grad_scale
            del optimizer.found_inf
            return retval
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        if len(state["found_inf_per_device"]) == 0:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        retval = self._maybe_opt_step(optimizer, state, *args, **kwargs)
        state["stage"] = OptState.STEPPED
        return retval

    def update(self, new_scale=None):
        """Update the scale: back off after an overflow, grow after `growth_interval` clean steps."""

        if not self._enabled:
            return
        _scale, _growth_tracker = self._check_scale_growth_tracker("update")
        if new_scale is not None:
            if isinstance(new_scale, float):
                self._scale.fill_(new_scale)
            else:
                reason = (
                    "new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
                    "torch.FloatTensor with requires_grad=False."
                )
                if not isinstance(new_scale, Tensor) or new_scale.device.type != self._device:
                    raise AssertionError(reason)
                if new_scale.numel() != 1:
                    raise AssertionError(reason)
                if new_scale.requires_grad is True:
                    raise AssertionError(reason)
                self._scale.copy_(new_scale)
        else:
            found_infs = [
                f.to(device=_scale.device)
                for state in self._per_optimizer_states.values()
                for f in state["found_inf_per_device"].values()
            ]
            if len(found_infs) == 0:
                raise AssertionError("No inf checks were recorded prior to update.")
            combined = found_infs[0]
            for f in found_infs[1:]:
                combined = combined + f
            with _device_guard.on_device_of(_scale._data):  # when several GPUs are in use
                _update_scale_(
                    _scale, _growth_tracker, combined, self._growth_factor, self._backoff_factor, self._growth_interval
                )
        self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

    def _get_scale_async(self):
        return self._scale

    def get_scale(self):
        """The current scale as a Python float (1.0 when disabled)."""
        if self._enabled:
            return self._init_scale if self._scale is None else float(self._scale.item())
        return 1.0

    def get_growth_factor(self):
        return self._growth_factor

    def set_growth_factor(self, new_factor):
        self._growth_factor = new_factor

    def get_backoff_factor(self):
        return self._backoff_factor

    def set_backoff_factor(self, new_factor):
        self._backoff_factor = new_factor

    def get_growth_interval(self):
        return self._growth_interval

    def set_growth_interval(self, new_interval):
        self._growth_interval = new_interval

    def _get_growth_tracker(self):
        if self._enabled:
            return self._init_growth_tracker if self._growth_tracker is None else int(self._growth_tracker.item())
        return 0

    def is_enabled(self):
        return self._enabled

    def state_dict(self):
        if self._enabled:
            return {
                "scale": self.get_scale(),
                "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker(),
            }
        return {}

    def load_state_dict(self, state_dict):
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler."
            )
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale.fill_(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = state_dict["_growth_tracker"]
        if self._growth_tracker is not None:
            self._growth_tracker.fill_(state_dict["_growth_tracker"])

    def __getstate__(self):
        state = self.__dict__.copy()
        if self._enabled:
            if len(self._per_optimizer_states) != 0:
                raise AssertionError(
                    "A GradScaler instance may only be pickled at the beginning "
                    "of an iteration, or at the end after scaler.update()."
                )
            state["_init_scale"] = self.get_scale()
            state["_init_growth_tracker"] = self._get_growth_tracker()
            state["_scale"] = None
            state["_growth_tracker"] = None
            state["_per_optimizer_states"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if self.__dict__.get("_enabled") and self.__dict__.get("_per_optimizer_states") is None:
            self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

    def _check_inf_per_device(self, optimizer):

        _scale, _ = self._check_scale_growth_tracker("_check_inf_per_device")
        dummy_inv_scale = _full(1.0, D.float32, _scale.device)
        found_inf = _full(0.0, D.float32, _scale.device)
        self._per_optimizer_states[id(optimizer)]["found_inf_per_device"] = self._unscale_grads_(
            optimizer, dummy_inv_scale, found_inf, True
        )
        return self._per_optimizer_states[id(optimizer)]["found_inf_per_device"]

    def _found_inf_per_device(self, optimizer):
        return self._per_optimizer_states[id(optimizer)]["found_inf_per_device"]

"""ember.amp.autocast (matches `torch.amp.autocast_mode`)."""

import collections.abc
import functools
import warnings

import numpy as np

from .. import _autocast as A
from .. import _dtype as D
from .._autocast import is_autocast_available

__all__ = ["autocast_decorator", "autocast", "is_autocast_available", "custom_fwd", "custom_bwd"]


def _cuda_definitely_not_available():
    from .. import cuda  # noqa: PLC0415 - ember.cuda imports ember.amp

    return not cuda.is_available()


def autocast_decorator(autocast_instance, func):
    @functools.wraps(func)
    def decorate_autocast(*args, **kwargs):
        with autocast_instance:
            return func(*args, **kwargs)

    return decorate_autocast


class autocast:
    """Matches `torch.autocast` / `torch.amp.autocast`: a context manager and decorator in which the ops on
    torch's autocast lists run in a lower-precision dtype (bfloat16 on cpu, float16 on cuda by default)."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.fast_dtype = A.get_autocast_dtype(device_type) if dtype is None else dtype
        self.device = device_type
        if not is_autocast_available(self.device):
            raise RuntimeError(f"User specified an unsupported autocast device_type '{self.device}'")
        self._cache_enabled = A.is_autocast_cache_enabled() if cache_enabled is None else cache_enabled
        supported = (D.bfloat16, D.float16)
        name = self.device.upper()
        if enabled:
            if self.device == "cuda":
                if _cuda_definitely_not_available():
                    warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", stacklevel=2)
                    enabled = False
                elif self.fast_dtype is D.bfloat16:
                    from .. import cuda  # noqa: PLC0415

                    if not cuda.is_bf16_supported():
                        raise RuntimeError(
                            "Current CUDA Device does not support bfloat16. Please switch dtype to float16."
                        )
            elif self.fast_dtype not in supported:
                warnings.warn(
                    f"In {name} autocast, but the target dtype is not supported. Disabling autocast.\n"
                    f"{name} Autocast only supports dtypes of " + ", ".join(map(str, supported)) + " currently.",
                    stacklevel=2,
                )
                enabled = False
        self._enabled = enabled

    def __enter__(self):
        self.prev_cache_enabled = A.is_autocast_cache_enabled()
        self.prev = A.is_autocast_enabled(self.device)
        self.prev_fastdtype = A.get_autocast_dtype(self.device)
        A.set_autocast_enabled(self.device, self._enabled)
        A.set_autocast_dtype(self.device, self.fast_dtype)
        A.autocast_increment_nesting()
        A.set_autocast_cache_enabled(self._cache_enabled)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if A.autocast_decrement_nesting() == 0:
            A.clear_autocast_cache()
        A.set_autocast_enabled(self.device, self.prev)
        A.set_autocast_dtype(self.device, self.prev_fastdtype)
        A.set_autocast_cache_enabled(self.prev_cache_enabled)
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError(
                f"autocast()(func) requires a callable, but got {type(func).__name__}. "
                f"Did you mean to use autocast as a context manager? For example:\n"
                f"    with torch.autocast(device_type=...):\n"
                f"        output = model(input)"
            )
        return autocast_decorator(self, func)


def _cast(value, device_type, dtype):
    from .._tensor import Tensor  # noqa: PLC0415

    if isinstance(value, Tensor):
        ok = value.is_floating_point() and value.device.type == device_type and value.dtype is not D.float64
        return value.to(dtype) if ok else value
    if isinstance(value, (str, bytes, np.ndarray)):
        return value
    if isinstance(value, collections.abc.Mapping):
        return {_cast(k, device_type, dtype): _cast(v, device_type, dtype) for k, v in value.items()}
    if isinstance(value, collections.abc.Iterable):
        it = (_cast(v, device_type, dtype) for v in value)
        return type(value)(it) if isinstance(value, (list, tuple)) else it
    return value


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Matches `torch.amp.custom_fwd`: for the `forward` of a custom autograd Function."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        args[0]._dtype = A.get_autocast_dtype(device_type)
        if cast_inputs is None:
            args[0]._fwd_used_autocast = A.is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        args[0]._fwd_used_autocast = False
        if A.is_autocast_enabled(device_type):
            with autocast(device_type=device_type, enabled=False):
                return fwd(*_cast(args, device_type, cast_inputs), **_cast(kwargs, device_type, cast_inputs))
        return fwd(*args, **kwargs)

    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    """Matches `torch.amp.custom_bwd`: `backward` runs with the autocast state `forward` had."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        with autocast(device_type=device_type, enabled=args[0]._fwd_used_autocast, dtype=args[0]._dtype):
            return bwd(*args, **kwargs)

    return decorate_bwd

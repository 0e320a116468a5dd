"""The deprecated per-device aliases of ember.amp (`ember.cpu.amp` and `ember.cuda.amp`): each warns with
torch's FutureWarning, then builds the ember.amp object for its device."""

import warnings

from .autocast_mode import autocast as _autocast
from .grad_scaler import GradScaler as _GradScaler


def _warn(device_type, name):
    warnings.warn(
        f"`torch.{device_type}.amp.{name}(args...)` is deprecated. "
        f"Please use `torch.amp.{name}('{device_type}', args...)` instead.",
        FutureWarning,
        stacklevel=3,
    )


def _named(cls, module):
    cls.__module__ = module
    cls.__qualname__ = cls.__name__
    cls.__init__.__qualname__ = f"{cls.__name__}.__init__"
    return cls


def device_aliases(device_type, default_dtype, module):
    """(autocast, GradScaler) for `ember.<device_type>.amp`, named as that module's own classes."""

    class autocast(_autocast):
        __doc__ = f'Deprecated: use `ember.amp.autocast("{device_type}", ...)`.'

        def __init__(self, enabled=True, dtype=default_dtype, cache_enabled=True):
            _warn(device_type, "autocast")
            super().__init__(device_type, enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)

    class GradScaler(_GradScaler):
        __doc__ = f'Deprecated: use `ember.amp.GradScaler("{device_type}", ...)`.'

        def __init__(
            self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000, enabled=True
        ):
            _warn(device_type, "GradScaler")
            super().__init__(
                device_type,
                init_scale=init_scale,
                growth_factor=growth_factor,
                backoff_factor=backoff_factor,
                growth_interval=growth_interval,
                enabled=enabled,
            )

    return _named(autocast, module), _named(GradScaler, module)

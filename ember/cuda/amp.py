"""ember.cuda.amp: torch.cuda.amp's deprecated aliases of ember.amp (each warns with torch's FutureWarning)."""

import functools
import warnings

from .. import _dtype as D
from ..amp import autocast_mode as _am
from ..amp._device_aliases import device_aliases

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd"]


autocast, GradScaler = device_aliases("cuda", D.float16, __name__)


def custom_fwd(fwd=None, *, cast_inputs=None):
    """Deprecated: use `ember.amp.custom_fwd(device_type="cuda")`."""
    warnings.warn(
        "`torch.cuda.amp.custom_fwd(args...)` is deprecated. "
        "Please use `torch.amp.custom_fwd(args..., device_type='cuda')` instead.",
        FutureWarning,
        stacklevel=2,
    )
    return functools.partial(_am.custom_fwd, device_type="cuda")(fwd=fwd, cast_inputs=cast_inputs)


def custom_bwd(bwd):
    """Deprecated: use `ember.amp.custom_bwd(device_type="cuda")`."""
    warnings.warn(
        "`torch.cuda.amp.custom_bwd(args...)` is deprecated. "
        "Please use `torch.amp.custom_bwd(args..., device_type='cuda')` instead.",
        FutureWarning,
        stacklevel=2,
    )
    return functools.partial(_am.custom_bwd, device_type="cuda")(bwd)

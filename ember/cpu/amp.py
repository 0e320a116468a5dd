"""ember.cpu.amp: torch.cpu.amp's deprecated aliases of ember.amp (each warns with torch's FutureWarning)."""

from .. import _dtype as D
from ..amp._device_aliases import device_aliases

__all__ = ["autocast", "GradScaler"]

autocast, GradScaler = device_aliases("cpu", D.bfloat16, __name__)

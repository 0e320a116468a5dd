"""ember.utils (matches `torch.utils`): data loading lives in `ember.utils.data`."""

from . import data

__all__ = ["data"]

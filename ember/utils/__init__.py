"""ember.utils (matches `torch.utils`): data loading lives in `ember.utils.data`."""

from . import data

__all__ = ["data"]
from . import benchmark as benchmark
from . import checkpoint as checkpoint
from . import viz as viz

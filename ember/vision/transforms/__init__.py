"""torchvision.transforms (v1 API): classes in `transforms`, functions in `functional`."""

from . import functional as functional
from .transforms import *  # noqa: F403
from .transforms import __all__ as __all__

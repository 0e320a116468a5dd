"""Every op family; importing this package binds all Tensor methods.

Each family file (any module here not starting with "_") lists its public functions in `__all__`;
they are re-exported here and from `ember`. A new family needs no registration: add the file.
"""

import importlib
import pkgutil

import numpy as np  # noqa: F401 - machinery reaches numpy through this package

from .. import _dtype as D  # noqa: F401
from . import _core  # noqa: F401

PUBLIC = []
FAMILIES = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
for _name in FAMILIES:
    _mod = importlib.import_module(f"{__name__}.{_name}")
    for _fn in getattr(_mod, "__all__", ()):
        globals()[_fn] = getattr(_mod, _fn)
        PUBLIC.append(_fn)
del _name, _mod, _fn

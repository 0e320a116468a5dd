"""ember.optim: optimizers and learning-rate schedulers. Each file here (not starting with "_") is
imported and its __all__ re-exported."""

import importlib
import pkgutil

from . import optimizer
from .optimizer import Optimizer

__all__ = ["Optimizer"]
for _m in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
    if _m in ("optimizer", "lr_scheduler", "swa_utils"):
        importlib.import_module(f"{__name__}.{_m}")  # submodules, not re-exported (as in torch)
        continue
    _mod = importlib.import_module(f"{__name__}.{_m}")
    for _n in getattr(_mod, "__all__", ()):
        globals()[_n] = getattr(_mod, _n)
        __all__.append(_n)
_ = optimizer

"""ember.nn.functional: every file here (not starting with "_") is imported and its __all__ re-exported."""

import importlib
import pkgutil

__all__ = []
for _m in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
    _mod = importlib.import_module(f"{__name__}.{_m}")
    for _n in getattr(_mod, "__all__", ()):
        globals()[_n] = getattr(_mod, _n)
        __all__.append(_n)

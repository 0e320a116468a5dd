"""ember.utils.benchmark (matches `torch.utils.benchmark`): Timer, Measurement and Compare.

The names load on first use, so `import ember` does not pay for this package.
"""

import importlib

_EXPORTS = {
    "TaskSpec": "common",
    "Measurement": "common",
    "select_unit": "common",
    "unit_to_english": "common",
    "trim_sigfig": "common",
    "ordered_unique": "common",
    "set_torch_threads": "common",
    "Timer": "timer",
    "timer": "timer",
    "Language": "timer",
    "Colorize": "compare",
    "Compare": "compare",
}

__all__ = list(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        if name == "utils":
            return importlib.import_module(".utils", __name__)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".utils.{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *__all__, "utils"})

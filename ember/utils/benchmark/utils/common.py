"""Shared pieces of ember.utils.benchmark (matches `torch.utils.benchmark.utils.common`).

Statistics are computed with NumPy. Where torch rounds through a default-dtype (float32) tensor (the
significant-figure estimate, unit selection, `trim_sigfig`), the same float32 arithmetic is used here, so
tables and reprs print the same digits as torch's.
"""

import contextlib
import dataclasses
import math
import textwrap
from typing import Any

import numpy as np

from . import _threads

__all__ = [
    "TaskSpec",
    "Measurement",
    "select_unit",
    "unit_to_english",
    "trim_sigfig",
    "ordered_unique",
    "set_torch_threads",
]

_MAX_SIGNIFICANT_FIGURES = 4
_MIN_CONFIDENCE_INTERVAL = 25e-9  # seconds
_IQR_WARN_THRESHOLD = 0.1
_IQR_GROSS_WARN_THRESHOLD = 0.25

_f32 = np.float32


def _log10_f32(x: float) -> float:
    """log10 of x as a float32 value, rounded as torch's float32 log10 rounds it (NumPy's float32 log10 is
    not correctly rounded: it gives -6.0000005 for 1e-6, which would change the unit)."""
    x32 = float(_f32(x))
    if x32 <= 0.0:
        return float("-inf") if x32 == 0.0 else float("nan")
    return float(_f32(math.log10(x32)))


@dataclasses.dataclass(init=True, repr=False, eq=True, frozen=True)
class TaskSpec:
    """What a Timer measures (everything but its globals)."""

    stmt: str
    setup: str
    global_setup: str = ""
    label: str | None = None
    sub_label: str | None = None
    description: str | None = None
    env: str | None = None
    num_threads: int = 1

    @property
    def title(self) -> str:
        """A label for the measurement: the label, else a one-line stmt, else the indented stmt."""
        suffix = f": {self.sub_label}" if self.sub_label else ""
        if self.label is not None:
            return self.label + suffix
        if "\n" not in self.stmt:
            return self.stmt + suffix
        sub = f" ({self.sub_label})" if self.sub_label else ""
        return f"stmt:{sub}\n" + textwrap.indent(self.stmt, "  ")

    def setup_str(self) -> str:
        if not self.setup or self.setup == "pass":
            return ""
        if "\n" in self.setup:
            return "setup:\n" + textwrap.indent(self.setup, "  ")
        return f"setup: {self.setup}"

    def summarize(self) -> str:
        """The TaskSpec part of a Measurement's repr."""
        parts = [self.title, self.description or "", self.setup_str()]
        return "\n".join(p + "\n" if "\n" in p else p for p in parts if p)


_TASKSPEC_FIELDS = frozenset(f.name for f in dataclasses.fields(TaskSpec))


@dataclasses.dataclass(init=True, repr=False)
class Measurement:
    """The result of a Timer measurement: `raw_times[i]` is the time of `number_per_run` runs of the stmt."""

    number_per_run: int
    raw_times: list[float]
    task_spec: TaskSpec
    metadata: dict[Any, Any] | None = None  # free for the user's own payload

    def __post_init__(self) -> None:
        self._sorted_times: tuple[float, ...] = ()
        self._warnings: tuple[str, ...] = ()
        self._median = -1.0
        self._mean = -1.0
        self._p25 = -1.0
        self._p75 = -1.0

    def __getattr__(self, name: str) -> Any:
        # TaskSpec fields (stmt, label, env, num_threads...) read through the Measurement.
        if name in _TASKSPEC_FIELDS:
            return getattr(self.task_spec, name)
        return super().__getattribute__(name)

    # Statistics are over per-run times (raw time / number_per_run).
    @property
    def times(self) -> list[float]:
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def median(self) -> float:
        self._lazy_init()
        return self._median

    @property
    def mean(self) -> float:
        self._lazy_init()
        return self._mean

    @property
    def iqr(self) -> float:
        self._lazy_init()
        return self._p75 - self._p25

    @property
    def significant_figures(self) -> int:
        """A rough estimate (1 to 4) of how many digits of the median are trustworthy, from the spread of the
        interquartile points (z = 1.645). Used by `Compare.trim_significant_figures`."""
        self._lazy_init()
        n = len(self._sorted_times)
        points = self._sorted_times[n // 4 : int(math.ceil(_f32(3 * n / 4)))]
        std = float(np.std(np.asarray(points, dtype=_f32)))
        sqrt_n = float(np.sqrt(_f32(len(points))))
        ci = max(1.645 * std / sqrt_n, _MIN_CONFIDENCE_INTERVAL)
        relative = _log10_f32(self._median / ci)
        figures = int(np.floor(_f32(relative)))
        return min(max(figures, 1), _MAX_SIGNIFICANT_FIGURES)

    @property
    def has_warnings(self) -> bool:
        self._lazy_init()
        return bool(self._warnings)

    def _lazy_init(self) -> None:
        if not self.raw_times or self._sorted_times:
            return
        self._sorted_times = tuple(sorted(self.times))
        arr = np.asarray(self._sorted_times, dtype=np.float64)
        self._median = float(np.quantile(arr, 0.5))
        self._mean = float(arr.mean())
        self._p25 = float(np.quantile(arr, 0.25))
        self._p75 = float(np.quantile(arr, 0.75))
        if not self.meets_confidence(_IQR_GROSS_WARN_THRESHOLD):
            self._add_warning("This suggests significant environmental influence.")
        elif not self.meets_confidence(_IQR_WARN_THRESHOLD):
            self._add_warning("This could indicate system fluctuation.")

    def _add_warning(self, msg: str) -> None:
        rel_iqr = self.iqr / self.median * 100
        self._warnings += (
            f"  WARNING: Interquartile range is {rel_iqr:.1f}% of the median measurement.\n           {msg}",
        )

    def meets_confidence(self, threshold: float = _IQR_WARN_THRESHOLD) -> bool:
        return self.iqr / self.median < threshold

    @property
    def title(self) -> str:
        return self.task_spec.title

    @property
    def as_row_name(self) -> str:
        return self.sub_label or self.stmt or "[Unknown]"

    def __repr__(self) -> str:
        self._lazy_init()
        n = len(self._sorted_times)
        unit, scale = select_unit(self._median)
        lines = [object.__repr__(self), self.task_spec.summarize()]
        lines.append(f"  {'Median: ' if n > 1 else ''}{self._median / scale:.2f} {unit}")
        if n >= 4:
            lines.append(
                f"  IQR:    {self.iqr / scale:.2f} {unit} ({self._p25 / scale:.2f} to {self._p75 / scale:.2f})"
            )
        many = n > 1
        threads = self.num_threads
        lines.append(
            f"  {n} measurement{'s' if many else ''}, {self.number_per_run} runs "
            f"{'per measurement,' if many else ','} {threads} thread{'s' if threads > 1 else ''}"
        )
        lines.append("\n".join(self._warnings))
        return "\n".join(lines).strip()

    @staticmethod
    def merge(measurements):
        """Merge replicates with the same TaskSpec into one Measurement each (number_per_run=1, no metadata)."""
        groups: dict[TaskSpec, list[float]] = {}
        for m in measurements:
            groups.setdefault(m.task_spec, []).extend(m.times)
        return [Measurement(number_per_run=1, raw_times=times, task_spec=spec) for spec, times in groups.items()]


def select_unit(t: float) -> tuple[str, float]:
    """The unit (ns, us, ms or s) and its scale that print `t` seconds with O(1) magnitude."""
    exponent = int(_log10_f32(t) // 3)
    unit = {-3: "ns", -2: "us", -1: "ms"}.get(exponent, "s")
    return unit, {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}[unit]


def unit_to_english(u: str) -> str:
    return {"ns": "nanosecond", "us": "microsecond", "ms": "millisecond", "s": "second"}[u]


def trim_sigfig(x: float, n: int) -> float:
    """Round `x` to `n` significant figures (3.14159, 2 -> 3.1)."""
    if n != int(n):
        raise AssertionError("Number of significant figures must be an integer")
    magnitude = int(math.ceil(_log10_f32(abs(x))))
    scale = 10 ** (magnitude - n)
    return float(np.round(_f32(x / scale)) * _f32(scale))


def ordered_unique(elements):
    return list(dict.fromkeys(elements))


@contextlib.contextmanager
def set_torch_threads(n: int):
    """Run the block with NumPy's BLAS pool at `n` threads (torch's name; torch sets its intra-op pool)."""
    prior = _threads.get_num_threads()
    if prior is not None:
        _threads.set_num_threads(n)
    try:
        yield
    finally:
        if prior is not None:
            _threads.set_num_threads(prior)

"""Timer (matches `torch.utils.benchmark.Timer`): timeit with warmup, replicates and CUDA synchronization."""

import enum
import sys
import textwrap
import timeit
from collections.abc import Callable
from typing import Any

from . import common

__all__ = ["Timer", "timer", "Language"]


def _cupy_if_loaded():
    """CuPy when ember has already started its CUDA backend, else None (never imports CuPy itself)."""
    backend = sys.modules.get("ember._backend")
    return None if backend is None else backend._cupy


def timer() -> float:
    """`timeit.default_timer`, after waiting for queued CUDA work when ember's CuPy backend is in use."""
    cp = _cupy_if_loaded()
    if cp is not None:
        cp.cuda.runtime.deviceSynchronize()
    return timeit.default_timer()


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


def _clean(code: str) -> str:
    code = textwrap.dedent(code)
    if code.startswith("\n"):
        code = code[1:]
    return code.rstrip()


class Timer:
    """Measure the execution time of a Python statement (see `torch.utils.benchmark.Timer`).

    Args:
        stmt: code run in the timed loop.
        setup: code run once before timing (defines what `stmt` uses).
        timer: the clock; by default synchronizes CUDA (CuPy) before reading the time.
        globals: names visible to `stmt` and `setup`; `torch` and `ember` default to the ember module.
        label, sub_label, description, env: metadata shown by Measurement's repr and used by `Compare`
            (label = table, sub_label = row, description = column, env = A/B tag).
        num_threads: the BLAS thread-pool size while timing (default 1, as torch's).
        language: only Python; C++ timing is not available in ember.
    """

    _timer_cls = timeit.Timer

    def __init__(
        self,
        stmt: str = "pass",
        setup: str = "pass",
        global_setup: str = "",
        timer: Callable[[], float] = timer,
        globals: dict[str, Any] | None = None,
        label: str | None = None,
        sub_label: str | None = None,
        description: str | None = None,
        env: str | None = None,
        num_threads: int = 1,
        language: Language | str = Language.PYTHON,
    ) -> None:
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        if language in (Language.CPP, "cpp", "c++"):
            raise NotImplementedError("ember.utils.benchmark.Timer can only time Python statements.")
        if language not in (Language.PYTHON, "py", "python"):
            raise ValueError(f"Invalid language `{language}`.")
        if global_setup:
            raise ValueError(
                f"global_setup is C++ only, got `{global_setup}`. Most likely this code can simply be moved to `setup`."
            )
        self._language = Language.PYTHON
        self._globals = dict(globals or {})
        ember = sys.modules["ember"]
        self._globals.setdefault("torch", ember)
        self._globals.setdefault("ember", ember)

        stmt = _clean(stmt)
        setup = _clean(setup)
        self._timer = self._timer_cls(stmt=stmt, setup=setup, timer=timer, globals=self._globals)
        self._task_spec = common.TaskSpec(
            stmt=stmt,
            setup=setup,
            global_setup=global_setup,
            label=label,
            sub_label=sub_label,
            description=description,
            env=env,
            num_threads=num_threads,
        )

    def _timeit(self, number: int) -> float:
        return max(self._timer.timeit(number), 1e-9)

    def timeit(self, number: int = 1000000) -> common.Measurement:
        """Run `stmt` `number` times (after a warmup of number // 100 runs, at least 2) as one measurement."""
        with common.set_torch_threads(self._task_spec.num_threads):
            self._timeit(number=max(int(number // 100), 2))
            return common.Measurement(
                number_per_run=number, raw_times=[self._timeit(number=number)], task_spec=self._task_spec
            )

    def repeat(self, repeat: int = -1, number: int = -1) -> None:
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback: Callable[[int, float], Any] | None = None) -> None:
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _measure_blocks(self, number, stop_hook, min_run_time, max_run_time=None, callback=None) -> list[float]:
        times: list[float] = []
        total = 0.0
        can_stop = False
        with common.set_torch_threads(self._task_spec.num_threads):
            while total < min_run_time or not can_stop:
                spent = self._timeit(number)
                times.append(spent)
                total += spent
                if callback:
                    callback(number, spent)
                can_stop = stop_hook(times)
                if max_run_time and total > max_run_time:
                    break
        return times

    def _estimate_block_size(self, min_run_time: float) -> int:
        """Grow the block (x10) until the timer's own overhead is <= 0.01% of a block and a block takes at
        least min_run_time / 1000, or one block alone exceeds min_run_time."""
        with common.set_torch_threads(self._task_spec.num_threads):
            overhead = sorted(self._timeit(0) for _ in range(5))[2]
            number = 1
            while True:
                taken = self._timeit(number)
                if overhead / taken <= 1e-4 and taken >= min_run_time / 1000:
                    break
                if taken > min_run_time or number * 10 > 2147483647:
                    break
                number *= 10
        return number

    def blocked_autorange(
        self, callback: Callable[[int, float], Any] | None = None, min_run_time: float = 0.2
    ) -> common.Measurement:
        """Time blocks of `stmt` (block size from a warmup that makes timer overhead negligible) until
        `min_run_time` seconds have been spent; each block is one replicate."""
        number = self._estimate_block_size(min_run_time)
        times = self._measure_blocks(number, lambda times: True, min_run_time, callback=callback)
        return common.Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)

    def adaptive_autorange(
        self,
        threshold: float = 0.1,
        *,
        min_run_time: float = 0.01,
        max_run_time: float = 10.0,
        callback: Callable[[int, float], Any] | None = None,
    ) -> common.Measurement:
        """Like `blocked_autorange`, but keep measuring until IQR / median < `threshold` (with more than 3
        replicates and at least `min_run_time` spent) or `max_run_time` seconds have been spent."""
        number = self._estimate_block_size(min_run_time=0.05)

        def stop_hook(times: list[float]) -> bool:
            if len(times) <= 3:
                return False
            m = common.Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)
            return m.meets_confidence(threshold=threshold)

        times = self._measure_blocks(number, stop_hook, min_run_time, max_run_time, callback=callback)
        return common.Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)

    def collect_callgrind(self, *args, **kwargs):
        raise NotImplementedError("ember.utils.benchmark.Timer does not support Callgrind instruction counts.")

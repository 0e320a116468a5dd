"""Compare (matches `torch.utils.benchmark.Compare`): many Measurements as one text table per label.

Layout: one table per `label`; rows are (num_threads, env, sub_label or stmt), grouped under a
"N threads: ----" separator line when the thread count changes; columns are `description`s; cells are
medians in the unit chosen for the table's fastest measurement.
"""

import enum
import math

from . import common

__all__ = ["Colorize", "Compare"]

BEST = "\033[92m"
GOOD = "\033[34m"
BAD = "\033[2m\033[91m"
VERY_BAD = "\033[31m"
BOLD = "\033[1m"
TERMINATE = "\033[0m"


class Colorize(enum.Enum):
    NONE = "none"
    COLUMNWISE = "columnwise"
    ROWWISE = "rowwise"


def _leading_digits(x: float) -> int:
    return int(math.ceil(common._log10_f32(x)))


class _Column:
    """Number formatting shared by one column of the table (same width and decimals in every row)."""

    def __init__(self, groups, time_scale, trim_significant_figures, highlight_warnings):
        self._groups = groups  # per row group, a tuple of this column's Measurement (or None) per row
        flat = [m for g in groups for m in g if m is not None]
        self._trim = trim_significant_figures
        self._highlight = highlight_warnings and any(m.has_warnings for m in flat)
        digits = [(_leading_digits(m.median / time_scale), m) for m in flat]
        unit_digits = max(d for d, _ in digits)
        if self._trim:
            decimals = min(max(m.significant_figures - d, 0) for d, m in digits)
        else:
            decimals = 1
        width = unit_digits + decimals + (1 if decimals else 0)
        self._template = f"{{:>{width}.{decimals}f}}{{:>{7 if self._highlight else 0}}}"

    def results_for(self, group: int):
        return self._groups[group]

    def num_to_str(self, value, estimated_sigfigs, spread):
        if value is None:
            return " " * len(self.num_to_str(1, estimated_sigfigs, None))
        if self._trim:
            value = common.trim_sigfig(value, estimated_sigfigs)
        note = f" (! {spread * 100:.0f}%)" if self._highlight and spread is not None else ""
        return self._template.format(value, note)


class _Row:
    def __init__(self, results, group, show_env, env_width, time_scale, colorize, num_threads):
        self.results = results
        self.group = group
        self.show_env = show_env
        self.env_width = env_width
        self.time_scale = time_scale
        self.colorize = colorize
        self.num_threads = num_threads  # set on the first row of a thread group only
        self.columns = ()

    def cells(self):
        first = next(m for m in self.results if m is not None)
        env = f"({first.env})" if self.show_env else ""
        out = ["  " + env.ljust(self.env_width + 4) + first.as_row_name]
        for m, col in zip(self.results, self.columns):
            if m is None:
                out.append(col.num_to_str(None, 1, None))
            else:
                spread = m.iqr / m.median if m.has_warnings else None
                out.append(col.num_to_str(m.median / self.time_scale, m.significant_figures, spread))
        return out

    @staticmethod
    def color_segment(segment, value, best):
        if value <= best * 1.01 or value <= best + 100e-9:
            return BEST + BOLD + segment + TERMINATE * 2
        if value <= best * 1.1:
            return GOOD + BOLD + segment + TERMINATE * 2
        if value >= best * 5:
            return VERY_BAD + BOLD + segment + TERMINATE * 2
        if value >= best * 2:
            return BAD + segment + TERMINATE * 2
        return segment

    def separator(self, width):
        return [] if self.num_threads is None else [f"{self.num_threads} threads: ".ljust(width, "-")]

    def finalize(self, cells, widths):
        if self.colorize == Colorize.ROWWISE:
            row_best = min(m.median for m in self.results if m is not None)
            best = [row_best] * len(cells)
        elif self.colorize == Colorize.COLUMNWISE:
            best = []
            for col in self.columns:
                medians = [m.median for m in col.results_for(self.group) if m is not None]
                best.append(min(medians) if medians else None)
        else:
            best = [-1] * len(cells)
        out = [cells[0].ljust(widths[0])]
        for text, width, m, b in zip(cells[1:], widths[1:], self.results, best):
            text = text.center(width)
            if self.colorize != Colorize.NONE and m is not None and b is not None:
                text = self.color_segment(text, m.median, b)
            out.append(text)
        return out


class _Table:
    def __init__(self, results, colorize, trim_significant_figures, highlight_warnings):
        if len({r.label for r in results}) != 1:
            raise AssertionError("All results must share the same label")
        self.results = results
        self.label = results[0].label
        self.highlight_warnings = highlight_warnings
        self.time_unit, self.time_scale = common.select_unit(min(r.median for r in results))

        row_keys = common.ordered_unique((r.num_threads, r.env, r.as_row_name) for r in results)
        row_keys.sort(key=lambda k: (k[0], k[1]))  # stable: stmts keep their order within a thread/env group
        self.column_keys = common.ordered_unique(r.description for r in results)
        row_at = {k: i for i, k in enumerate(row_keys)}
        col_at = {k: j for j, k in enumerate(self.column_keys)}
        grid = [[None] * len(self.column_keys) for _ in row_keys]
        for r in results:
            grid[row_at[(r.num_threads, r.env, r.as_row_name)]][col_at[r.description]] = r

        envs = {r.env for r in results}
        show_envs = len(envs) > 1
        env_width = max(len(e) for e in envs) if show_envs else 0

        self.rows = []
        groups = []  # per thread group, the grid rows in it
        prior_threads, prior_env = -1, ""
        for (threads, env, _), row in zip(row_keys, grid):
            new_group = threads != prior_threads
            if new_group:
                prior_threads, prior_env = threads, ""
                groups.append([])
            self.rows.append(
                _Row(
                    row,
                    len(groups) - 1,
                    show_envs and env != prior_env,
                    env_width,
                    self.time_scale,
                    colorize,
                    threads if new_group else None,
                )
            )
            groups[-1].append(row)
            prior_env = env

        columns = tuple(
            _Column(
                [tuple(row[j] for row in g) for g in groups],
                self.time_scale,
                trim_significant_figures,
                highlight_warnings,
            )
            for j in range(len(self.column_keys))
        )
        for row in self.rows:
            row.columns = columns

    def render(self) -> str:
        table = [["", *self.column_keys]] + [row.cells() for row in self.rows]
        ncols = max(len(r) for r in table)
        for r in table:
            r.extend([""] * (ncols - len(r)))
        widths = [max(len(cell) for cell in col) for col in zip(*table)]
        header = "  |  ".join(cell.center(w) for cell, w in zip(table[0], widths))
        lines = [header]
        for cells, row in zip(table[1:], self.rows):
            lines.extend(row.separator(len(header)))
            lines.append("  |  ".join(row.finalize(cells, widths)))
        title = f"[{(' ' + (self.label or '') + ' ').center(len(header) - 2, '-')}]"
        footer = f"Times are in {common.unit_to_english(self.time_unit)}s ({self.time_unit}).\n"
        if self.highlight_warnings and any(r.has_warnings for r in self.results):
            footer += "(! XX%) Measurement has high variance, where XX is the IQR / median * 100.\n"
        return "\n".join([title, *lines, "", footer])


class Compare:
    """Format many Measurements as tables (see `torch.utils.benchmark.Compare`): `print()` or `str()`.

    Replicates (same TaskSpec) are merged; one table per label, rows per sub_label (or stmt), columns per
    description, a row group per num_threads, and an env column when the envs differ.
    """

    def __init__(self, results) -> None:
        self._results: list[common.Measurement] = []
        self.extend_results(results)
        self._trim_significant_figures = False
        self._colorize = Colorize.NONE
        self._highlight_warnings = False

    def __str__(self) -> str:
        return "\n".join(self._render())

    def extend_results(self, results) -> None:
        """Add more Measurements."""
        for r in results:
            if not isinstance(r, common.Measurement):
                raise ValueError(f"Expected an instance of `Measurement`, got {type(r)} instead.")
        self._results.extend(results)

    def trim_significant_figures(self) -> None:
        """Print only the digits each measurement's spread supports."""
        self._trim_significant_figures = True

    def colorize(self, rowwise=False) -> None:
        """Color cells relative to the best of their column (or of their row with rowwise=True)."""
        self._colorize = Colorize.ROWWISE if rowwise else Colorize.COLUMNWISE

    def highlight_warnings(self) -> None:
        """Mark high-variance cells with (! XX%)."""
        self._highlight_warnings = True

    def print(self) -> None:
        print(str(self))

    def _render(self):
        by_label: dict = {}
        for r in common.Measurement.merge(self._results):
            by_label.setdefault(r.label, []).append(r)
        return [
            _Table(group, self._colorize, self._trim_significant_figures, self._highlight_warnings).render()
            for group in by_label.values()
        ]

"""The tables gradcheck prints: one row per derivative, failing rows marked, with a note on why."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Difference:
    """A central difference of one quantity along one input: the quantity at x - h, x, x + h."""

    x: float
    x_minus: float
    x_plus: float
    minus: float
    center: float
    plus: float

    @property
    def step(self) -> float:
        return self.x_plus - self.x_minus

    @property
    def numerical(self) -> float:
        # Divide by the step the floats actually took: x + eps rounds, and at |x| >> eps it can
        # round all the way back to x, leaving no step at all.
        if self.step == 0.0:
            return math.nan
        return (self.plus - self.minus) / self.step

    def one_sided_slopes(self) -> tuple[float, float]:
        """The slope on the left of x and on the right (nan where there was no step)."""
        left = _slope(self.minus, self.center, self.x - self.x_minus)
        right = _slope(self.center, self.plus, self.x_plus - self.x)
        return left, right


def _slope(before: float, after: float, run: float) -> float:
    return (after - before) / run if run != 0.0 else math.nan


@dataclass(frozen=True)
class Row:
    """One derivative compared: d(output)/d(wrt), analytical against numerical."""

    output: int | None  # the output's index when f returns several, else None
    wrt: str  # what it is differentiated with respect to, e.g. "1 w"
    point: float | None  # the input's value (None when a row involves several inputs)
    analytical: float
    difference: Difference
    disconnected: str  # why, when the analytical side has no path from the input; else ""
    atol: float
    rtol: float

    @property
    def numerical(self) -> float:
        return self.difference.numerical

    @property
    def abs_error(self) -> float:
        return abs(self.analytical - self.numerical)

    @property
    def rel_error(self) -> float:
        numerical = abs(self.numerical)
        if numerical == 0.0:
            return 0.0 if self.abs_error == 0.0 else math.inf
        return self.abs_error / numerical

    @property
    def passed(self) -> bool:
        # A nan or inf on either side never passes: nothing was verified there.
        if not (math.isfinite(self.analytical) and math.isfinite(self.numerical)):
            return False
        return self.abs_error <= self.atol + self.rtol * abs(self.numerical)


def tolerance_line(eps: float, atol: float, rtol: float) -> str:
    return (
        f"a row passes when |analytical - numerical| <= atol + rtol * |numerical|, with "
        f"atol = {atol:g} and rtol = {rtol:g}\n"
        f"  numerical: central differences with eps = {eps:g}"
    )


def comparison_table(rows: Sequence[Row], derivative_name: str) -> str:
    """The rows as an aligned table, failing rows marked FAIL, then a note per failing row."""
    several_outputs = any(row.output is not None for row in rows)
    with_point = any(row.point is not None for row in rows)
    header = ["", *(["output"] if several_outputs else []), derivative_name,
              *(["point"] if with_point else []),
              "analytical", "numerical", "abs error", "rel error"]
    body = []
    for row in rows:
        errors_known = math.isfinite(row.analytical) and math.isfinite(row.numerical)
        body.append([
            "ok" if row.passed else "FAIL",
            *([str(row.output)] if several_outputs else []),
            row.wrt,
            *([_number(row.point)] if with_point else []),
            _number(row.analytical),
            _number(row.numerical),
            _error(row.abs_error) if errors_known else "-",
            _error(row.rel_error) if errors_known else "-",
        ])
    lines = [_aligned(header, body)]
    notes = [_note_line(row, several_outputs) for row in rows if not row.passed]
    notes = [note for note in notes if note]
    if notes:
        lines.append("")
        lines.extend(notes)
    return "\n".join(lines)


def paired_table(
    rows: Sequence[tuple[int | None, str, float, float]],
    derivative_name: str,
    titles: tuple[str, str],
    differ: Callable[[float, float], bool],
) -> str:
    """Rows of (output, wrt, first, second), the pairs that differ marked DIFF."""
    several_outputs = any(output is not None for output, *_ in rows)
    header = ["", *(["output"] if several_outputs else []), derivative_name, *titles]
    body = [
        ["DIFF" if differ(first, second) else "",
         *([str(output)] if several_outputs else []),
         wrt, _number(first), _number(second)]
        for output, wrt, first, second in rows
    ]
    return _aligned(header, body)


def same_float(a: float, b: float) -> bool:
    """Equal, counting nan as equal to nan (a repeatable backward may well give nan twice)."""
    return a == b or (a != a and b != b)


def _note_line(row: Row, several_outputs: bool) -> str:
    note = failure_note(row)
    if not note:
        return ""
    where = f"output {row.output}, " if several_outputs else ""
    return textwrap.fill(
        f"{where}{row.wrt}: {note}", width=100, initial_indent="  ", subsequent_indent="    "
    )


def failure_note(row: Row) -> str:
    """Why a failing row probably failed, in words; "" when nothing specific is known."""
    difference = row.difference
    if difference.step == 0.0:
        return (
            f"eps is too small to move the input at {difference.x:g} (x + eps rounds back to "
            f"x); pass a larger eps"
        )
    if not math.isfinite(row.analytical):
        return (
            f"the analytical derivative is {row.analytical}: the point is on a singularity or "
            f"outside the domain, or a partial divides by zero there; check a point inside the "
            f"domain"
        )
    if not math.isfinite(difference.center):
        return f"the value itself is {difference.center} here: the point is outside the domain"
    for side, value in (("x - eps", difference.minus), ("x + eps", difference.plus)):
        if not math.isfinite(value):
            return (
                f"the value is {value} at {side}: the point is within eps of the edge of the "
                f"domain or of a singularity; check a point further inside"
            )
    left, right = difference.one_sided_slopes()
    if abs(left - right) > max(row.atol, 0.1 * max(abs(left), abs(right))):
        return (
            f"a kink within eps of the point: the slope is {left:.6g} on the left and "
            f"{right:.6g} on the right, and the central difference averages them; check a "
            f"point further than eps from the kink"
        )
    if row.disconnected and row.numerical != 0.0:
        return row.disconnected
    if row.analytical != 0.0 and row.numerical != 0.0:
        ratio = row.analytical / row.numerical
        if abs(ratio + 1.0) < 1e-3:
            return "analytical = -numerical: a sign is flipped"
        return f"analytical / numerical = {ratio:.6g}"
    if row.analytical == 0.0:
        return "the analytical derivative is 0 but the value changes with this input"
    return "the analytical derivative is not 0 but the value does not change with this input"


def _number(x: float | None) -> str:
    return f"{x:.10g}"


def _error(x: float) -> str:
    return f"{x:.2e}"


def _aligned(header: list[str], body: list[list[str]]) -> str:
    widths = [max(len(cells[i]) for cells in [header, *body]) for i in range(len(header))]
    lines = []
    for cells in [header, *body]:
        line = "  ".join(cell.ljust(width) for cell, width in zip(cells, widths))
        lines.append("  " + line.rstrip())
    return "\n".join(lines)

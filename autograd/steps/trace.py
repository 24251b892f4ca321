"""`trace(root)`: the forward graph as a table, one row per node in topological order.

    >>> trace(o)
    name           op    inputs            data     grad
    x1             leaf                  2.0000   0.0000
    ...

`trace` returns a `Trace`: a REPL shows it as this text (`print()` it in a script), a notebook
as an HTML table. It only reads the nodes, so it can be called at any point of a
`backward_steps()` walk; with `step=` it shows the gradients and states as they were just
after that step.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, TextIO

from autograd.steps.formulas import format_number
from autograd.steps.stepping import Step, node_names, state_at
from autograd.steps.text import shown_name

MAX_INPUT_NAMES = 6  # a variadic node's inputs column lists this many names, then "… (+n)"


NUMERIC = (3, 4)  # the columns aligned to the right: data, grad


@dataclass(frozen=True, eq=False)
class Trace:
    """The table `trace` makes: `header` and `rows` (lists of texts), one row per node of
    `nodes` (topological order). Shown as text in a REPL and as an HTML table in a notebook."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    nodes: tuple[Any, ...]

    def __str__(self) -> str:
        return _columns([list(self.header), *map(list, self.rows)], numeric=NUMERIC)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        e = html.escape

        def cells(row: tuple[str, ...], tag: str) -> str:
            return "".join(
                f'<{tag} style="text-align:{"right" if i in NUMERIC else "left"}">{e(c)}</{tag}>'
                for i, c in enumerate(row)
            )

        body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in self.rows)
        return (f'<table class="chainrule-trace"><thead><tr>{cells(self.header, "th")}</tr>'
                f"</thead><tbody>{body}</tbody></table>")


def format_trace(root: Any, *, step: Step | None = None, precision: int = 4) -> str:
    """The table `trace` shows, as a string."""
    return str(make_trace(root, step=step, precision=precision))


def make_trace(root: Any, *, step: Step | None = None, precision: int = 4) -> Trace:
    """The table of `root`'s graph (see `trace`)."""
    if not callable(getattr(root, "graph", None)):
        raise TypeError(f"trace needs a Value, got {type(root).__name__}")
    if isinstance(precision, bool) or not isinstance(precision, int) or not 0 <= precision <= 17:
        raise ValueError(f"precision must be an int from 0 to 17, got {precision!r}")
    nodes = root.graph()
    names = node_names(nodes)
    position = {id(node): i for i, node in enumerate(nodes)}
    state = None
    if step is not None:
        if not isinstance(step, Step):
            raise TypeError(f"step must be a Step from backward_steps(), got {type(step).__name__}")
        if step.walk.root is not root:
            raise ValueError("step comes from the walk of another graph; trace that walk's root")
        state = state_at(step)

    header = ["name", "op", "inputs", "data", "grad"] + (["state"] if state else [])
    rows = []
    for node, name in zip(nodes, names):
        grad = state.grads[id(node)] if state else node.grad
        inputs = [names[position[id(parent)]] for parent in node.parents]
        row = [
            name,
            shown_name(node.op) if node.op else "leaf",
            _input_list(inputs),
            format_number(node.data, precision),
            "None" if grad is None else format_number(float(grad), precision),
        ]
        if state:
            row.append(state.states[id(node)])
        rows.append(tuple(row))
    return Trace(tuple(header), tuple(rows), tuple(nodes))


def trace(
    root: Any, *, step: Step | None = None, precision: int = 4, file: TextIO | None = None
) -> Trace | None:
    """The graph under `root` as a table in topological order (inputs first, root last).

    Returns a `Trace`, which a REPL shows as text and a notebook as an HTML table
    (`print(trace(o))` in a script); with `file=`, the text is written there instead and
    nothing is returned.

    Columns: name (the label, escaped and shortened as `autograd.steps.text.shown_name` does,
    or `v<i>` from the node's position), op (`leaf` for inputs,
    parameters and constants), inputs, data, grad. With `step=` (a Step of
    `root.backward_steps()`), the grads are those just after that step and a state column says
    where each node stands: unreached, reached, current, receiving or done.
    """
    table = make_trace(root, step=step, precision=precision)
    if file is None:
        return table
    print(table, file=file)
    return None


def _input_list(names: list[str]) -> str:
    if len(names) > MAX_INPUT_NAMES:
        shown = ", ".join(names[:MAX_INPUT_NAMES - 1])
        return f"{shown}, … (+{len(names) - MAX_INPUT_NAMES + 1})"
    return ", ".join(names)


def _columns(rows: list[list[str]], numeric: tuple[int, ...]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(width) if i in numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


__all__ = ["Trace", "format_trace", "make_trace", "trace"]

"""`trace(root)`: the forward graph as a table, one row per node in topological order.

    >>> trace(o)
    name           op    inputs            data     grad
    x1             leaf                  2.0000   0.0000
    ...

It only reads the nodes, so it can be called at any point of a `backward_steps()` walk; with
`step=` it shows the gradients and states as they were just after that step.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from autograd.steps.formulas import format_number
from autograd.steps.stepping import Step, node_names, state_at

MAX_INPUT_NAMES = 6  # a variadic node's inputs column lists this many names, then "… (+n)"


def format_trace(root: Any, *, step: Step | None = None, precision: int = 4) -> str:
    """The table `trace` prints, as a string."""
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
    rows = [header]
    for node, name in zip(nodes, names):
        grad = state.grads[id(node)] if state else node.grad
        inputs = [names[position[id(parent)]] for parent in node.parents]
        row = [
            name,
            node.op or "leaf",
            _input_list(inputs),
            format_number(node.data, precision),
            format_number(float(grad), precision),
        ]
        if state:
            row.append(state.states[id(node)])
        rows.append(row)
    return _columns(rows, numeric=(3, 4))


def trace(
    root: Any, *, step: Step | None = None, precision: int = 4, file: TextIO | None = None
) -> None:
    """Print the graph under `root` as a table in topological order (inputs first, root last).

    Columns: name (the label, or `v<i>` from the node's position), op (`leaf` for inputs,
    parameters and constants), inputs, data, grad. With `step=` (a Step of
    `root.backward_steps()`), the grads are those just after that step and a state column says
    where each node stands: unreached, reached, current, receiving or done.
    """
    print(format_trace(root, step=step, precision=precision), file=file or sys.stdout)


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


__all__ = ["format_trace", "trace"]

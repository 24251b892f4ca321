"""Gradient checking: the derivatives backward computes, against central differences.

    from autograd import gradcheck
    assert gradcheck(lambda x, w: (x * w).tanh(), [0.3, -1.2])

A failure raises :class:`GradcheckError` (an AssertionError) whose message is a table of every
derivative compared, the failing rows marked and explained.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from numbers import Real
from typing import Any

from autograd.backward import grad, topological_order
from autograd.check.report import (
    Difference,
    Row,
    comparison_table,
    paired_table,
    same_float,
    tolerance_line,
)
from autograd.value import Value

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "numerical_grad"]

Function = Callable[..., Any]


class GradcheckError(AssertionError):
    """A gradient check failed. The message is the report; ``rows`` the derivatives compared."""

    def __init__(self, message: str, rows: Sequence[Row] = ()) -> None:
        super().__init__(message)
        self.rows: tuple[Row, ...] = tuple(rows)

    @property
    def failures(self) -> tuple[Row, ...]:
        """The rows that did not pass."""
        return tuple(row for row in self.rows if not row.passed)


# ----- public API -------------------------------------------------------------------------------


def numerical_grad(f: Function, inputs: Sequence[Any], eps: float = 1e-6) -> list[float]:
    """Central differences of ``f`` at ``inputs``: ``(f(x + eps) - f(x - eps)) / 2eps`` per input.

    ``f`` takes one ``Value`` per input and returns a ``Value``; ``inputs`` is a list of numbers
    (or Values, whose numbers are used). Returns one float per input.
    """
    point, labels = _point(inputs)
    _check_tolerances(eps, 0.0, 0.0)
    name = _describe(f)

    def values_at(at: list[float]) -> list[float]:
        outputs = _outputs(f(*_leaves(at, labels)), name, at, allow_numbers=True)
        if len(outputs) != 1:
            raise TypeError(
                f"numerical_grad differentiates a function with one output, but {name} returned "
                f"{len(outputs)}; pass lambda *xs: f(*xs)[k] for output k, or use gradcheck, "
                f"which checks every output"
            )
        return [float(outputs[0])]

    return [along[0].numerical for along in _central_differences(values_at, point, eps)]


def gradcheck(
    f: Function,
    inputs: Sequence[Any],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check the gradients backward computes for ``f`` against central differences.

    ``f`` takes one ``Value`` per input and returns a ``Value`` (or a list of them: each output's
    row of the Jacobian is checked). ``inputs`` is the point: a list of numbers, or of Values to
    give the inputs labels. The leaves ``f`` receives are labelled ``x0, x1, ...`` (or with the
    label of the Value given); ``f`` may relabel them, and the report uses the labels they end
    up with.

    A derivative passes when ``|analytical - numerical| <= atol + rtol * |numerical|``. Returns
    True, or raises :class:`GradcheckError` with a table of every derivative, the failing rows
    marked and explained; also when ``f``'s result is not connected to its inputs' graph, when
    two runs at the same point give different results, or where a derivative is nan or inf.
    """
    __tracebackhide__ = True  # pytest shows the caller's line, then the report
    point, labels = _point(inputs)
    _check_tolerances(eps, atol, rtol)
    name = _describe(f)
    what = f"gradcheck of {name} at {_point_text(point)}"

    leaves, outputs = _graph_of(f, point, labels, name, what)
    wrt = [f"{i} {leaf.label}" for i, leaf in enumerate(leaves)]
    analytical = [_gradients(output, leaves) for output in outputs]

    repeated_leaves, repeated_outputs = _graph_of(f, point, labels, name, what)
    _check_same_outputs(outputs, repeated_outputs, what, name)
    repeated = [_gradients(output, repeated_leaves) for output in repeated_outputs]
    _check_repeatable(analytical, repeated, wrt, "input", what)

    def values_at(at: list[float]) -> list[float]:
        return [o.data for o in _outputs(f(*_leaves(at, labels)), name, at, allow_numbers=False)]

    differences = _central_differences(values_at, point, eps)
    several = len(outputs) > 1
    rows = [
        Row(
            output=k if several else None,
            wrt=wrt[i],
            point=point[i],
            analytical=analytical[k][i],
            difference=differences[i][k],
            disconnected=_NO_PATH if leaves[i] not in graph else "",
            atol=atol,
            rtol=rtol,
        )
        for k, graph in enumerate(_node_sets(outputs))
        for i in range(len(leaves))
    ]
    _raise_on_failures(rows, "input", what, eps, atol, rtol, len(outputs), "derivatives",
                       _hand_written_note(outputs))
    return True


def gradgradcheck(
    f: Function,
    inputs: Sequence[Any],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check second derivatives: ``grad(create_graph=True)`` against differences of gradients.

    Same arguments and tolerances as :func:`gradcheck`. For every output and every pair of
    inputs (i, j) it differentiates the first derivative d/dx_i, built as a graph, with respect
    to x_j, and compares it with central differences of the plain backward's d/dx_i along x_j.
    Also checks that ``create_graph=True`` gives the same first derivatives as plain backward.
    """
    __tracebackhide__ = True  # pytest shows the caller's line, then the report
    point, labels = _point(inputs)
    _check_tolerances(eps, atol, rtol)
    name = _describe(f)
    what = f"gradgradcheck of {name} at {_point_text(point)}"

    leaves, outputs = _graph_of(f, point, labels, name, what)
    n = len(leaves)
    pairs = [f"{i} {leaves[i].label}, {j} {leaves[j].label}" for i in range(n) for j in range(n)]
    firsts = [_gradients(output, leaves, create_graph=True) for output in outputs]
    _check_first_derivatives_agree(outputs, leaves, firsts, what, eps, atol, rtol)
    analytical = [_flat(_gradients(g, leaves) for g in first) for first in firsts]

    repeated_leaves, repeated_outputs = _graph_of(f, point, labels, name, what)
    _check_same_outputs(outputs, repeated_outputs, what, name)
    repeated = []
    for output in repeated_outputs:
        first = _gradients(output, repeated_leaves, create_graph=True)
        repeated.append(_flat(_gradients(g, repeated_leaves) for g in first))
    _check_repeatable(analytical, repeated, pairs, "inputs", what)

    def first_derivatives_at(at: list[float]) -> list[float]:
        at_leaves = _leaves(at, labels)
        at_outputs = _outputs(f(*at_leaves), name, at, allow_numbers=False)
        return _flat(_gradients(output, at_leaves) for output in at_outputs)

    differences = _central_differences(first_derivatives_at, point, eps)
    several = len(outputs) > 1
    rows = []
    for k, first in enumerate(firsts):
        graphs = _node_sets(first)
        for i in range(n):
            for j in range(n):
                rows.append(Row(
                    output=k if several else None,
                    wrt=pairs[i * n + j],
                    point=None,
                    analytical=analytical[k][i * n + j],
                    difference=differences[j][k * n + i],
                    disconnected=_NO_PATH_IN_FIRST if leaves[j] not in graphs[i] else "",
                    atol=atol,
                    rtol=rtol,
                ))
    _raise_on_failures(rows, "inputs", what, eps, atol, rtol, len(outputs),
                       "second derivatives")
    return True


# ----- evaluating f -----------------------------------------------------------------------------

_NO_PATH = (
    "backward finds no path from this input to the output, yet the value changes with it: f used "
    "its plain number (.data, float(), math.*) or detached it, which cuts it out of the graph"
)
_NO_PATH_IN_FIRST = (
    "the first derivative, built with create_graph=True, has no path to this input, yet it "
    "changes with it: a partial computes with plain numbers (.data, float(), math.*) instead of "
    "Value operations and autograd's functions, so it cannot be differentiated again"
)


def _point(inputs: Sequence[Any]) -> tuple[list[float], list[str]]:
    """The numbers to check at, and the label each input's leaf gets."""
    if isinstance(inputs, (Value, Real, str)) or not hasattr(inputs, "__iter__"):
        raise TypeError(
            f"inputs must be a list with one number per argument of f, e.g. [0.5, -1.2]; got "
            f"{type(inputs).__name__}"
        )
    point, labels = [], []
    for i, item in enumerate(inputs):
        if isinstance(item, Value):
            point.append(item.data)
            labels.append(item.label or f"x{i}")
        elif isinstance(item, Real) and not isinstance(item, bool):
            point.append(float(item))
            labels.append(f"x{i}")
        else:
            raise TypeError(
                f"inputs[{i}] must be a real number (or a Value), got {type(item).__name__}: "
                f"{item!r:.40}"
            )
    if not point:
        raise ValueError("inputs is empty: give the point to check at, one number per argument")
    return point, labels


def _check_tolerances(eps: float, atol: float, rtol: float) -> None:
    for name, value in (("atol", atol), ("rtol", rtol)):
        if not isinstance(value, Real) or not value >= 0.0 or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    if not isinstance(eps, Real) or not eps > 0.0 or not math.isfinite(eps):
        raise ValueError(f"eps (the finite-difference step) must be a finite number > 0, "
                         f"got {eps!r}")


def _leaves(point: list[float], labels: list[str]) -> list[Value]:
    return [Value(x, label=label) for x, label in zip(point, labels)]


def _outputs(result: Any, name: str, at: list[float], allow_numbers: bool) -> list[Any]:
    """f's result as a list of outputs; a plain number is a GradcheckError unless allowed."""
    __tracebackhide__ = True
    outputs = list(result) if isinstance(result, (list, tuple)) else [result]
    if not outputs:
        raise TypeError(f"{name} returned an empty {type(result).__name__}; return a Value")
    for k, output in enumerate(outputs):
        which = f"output {k} of {name}" if isinstance(result, (list, tuple)) else name
        if isinstance(output, Value):
            continue
        if isinstance(output, Real) and not isinstance(output, bool):
            if allow_numbers:
                continue
            raise GradcheckError(
                f"{which} returned a plain {type(output).__name__} ({output!r}) at "
                f"{_point_text(at)}, not a Value: it does not depend on the graph, so there is "
                f"no gradient to check. f computed it from plain numbers (.data, float(), "
                f"math.*); build it from the Values f receives, with their operators and "
                f"methods (x.exp(), not math.exp(x.data))"
            )
        hint = "; did f forget to return?" if output is None else ""
        raise TypeError(
            f"{which} returned {type(output).__name__}; f must return a Value or a list of "
            f"Values{hint}"
        )
    return outputs


def _graph_of(
    f: Function, point: list[float], labels: list[str], name: str, what: str
) -> tuple[list[Value], list[Value]]:
    """Call f on fresh leaves; the leaves and the outputs, each output connected to a leaf."""
    __tracebackhide__ = True
    leaves = _leaves(point, labels)
    outputs = _outputs(f(*leaves), name, point, allow_numbers=False)
    leaf_set = set(leaves)
    for k, graph in enumerate(_node_sets(outputs)):
        if graph.isdisjoint(leaf_set):
            which = f"output {k}" if len(outputs) > 1 else "the result"
            raise GradcheckError(
                f"{what}: {which} of {name} does not depend on the graph: it is a Value with no "
                f"path back to any input (made by Value(...), .detach(), or under no_grad()), "
                f"so backward gives it no gradient. Build it from the Values f receives, with "
                f"their operators and methods (x.exp(), not Value(math.exp(x.data)))"
            )
    return leaves, outputs


def _node_sets(outputs: Sequence[Value]) -> list[set[Value]]:
    return [set(topological_order(output)) for output in outputs]


def _flat(rows: Any) -> list[float]:
    return [x for row in rows for x in row]


def _central_differences(
    values_at: Callable[[list[float]], list[float]], point: list[float], eps: float
) -> list[list[Difference]]:
    """For each input i, a Difference of every quantity ``values_at`` returns, along input i."""
    __tracebackhide__ = True
    center = values_at(point)
    along = []
    for i, x in enumerate(point):
        x_plus, x_minus = x + eps, x - eps
        plus = values_at([*point[:i], x_plus, *point[i + 1:]])
        minus = values_at([*point[:i], x_minus, *point[i + 1:]])
        if not len(plus) == len(minus) == len(center):
            raise GradcheckError(
                f"f returns a different number of outputs at different points "
                f"({len(center)}, {len(plus)}, {len(minus)}); it must return the same number"
            )
        along.append([
            Difference(x, x_minus, x_plus, m, c, p) for m, c, p in zip(minus, center, plus)
        ])
    return along


# ----- the checks that come before the comparison -----------------------------------------------


def _check_same_outputs(
    first: list[Value], second: list[Value], what: str, name: str
) -> None:
    __tracebackhide__ = True
    if len(first) != len(second) or not all(
        same_float(a.data, b.data) for a, b in zip(first, second)
    ):
        values = lambda outputs: ", ".join(f"{o.data:.17g}" for o in outputs)  # noqa: E731
        raise GradcheckError(
            f"{what}: {name} is not deterministic: two calls at the same point returned "
            f"({values(first)}) and ({values(second)}). Finite differences need the same "
            f"result for the same inputs: seed or remove any randomness or state inside f"
        )


def _check_repeatable(
    first: Sequence[Sequence[float]],
    second: Sequence[Sequence[float]],
    wrt: list[str],
    derivative_name: str,
    what: str,
) -> None:
    __tracebackhide__ = True
    several = len(first) > 1
    rows = [
        (k if several else None, wrt[i], a, b)
        for k, (row_a, row_b) in enumerate(zip(first, second))
        for i, (a, b) in enumerate(zip(row_a, row_b))
    ]
    if all(same_float(a, b) for *_, a, b in rows):
        return
    raise GradcheckError(
        f"{what}: backward is not repeatable: two runs at the same point gave different "
        f"derivatives. A partial probably keeps state between calls or uses randomness; a "
        f"partial must depend only on its inputs and output.\n\n"
        f"{paired_table(rows, derivative_name, ('first run', 'second run'), _differ)}"
    )


def _differ(a: float, b: float) -> bool:
    return not same_float(a, b)


def _check_first_derivatives_agree(
    outputs: list[Value],
    leaves: list[Value],
    firsts: list[tuple[Any, ...]],
    what: str,
    eps: float,
    atol: float,
    rtol: float,
) -> None:
    """create_graph=True must give the same first derivatives as the plain backward."""
    __tracebackhide__ = True

    def differ(built: float, plain: float) -> bool:
        if same_float(built, plain):
            return False
        return not abs(built - plain) <= atol + rtol * abs(plain)

    several = len(outputs) > 1
    rows = [
        (k if several else None, f"{i} {leaves[i].label}", built.data, plain)
        for k, (output, first) in enumerate(zip(outputs, firsts))
        for i, (built, plain) in enumerate(zip(first, _gradients(output, leaves)))
    ]
    if any(differ(built, plain) for *_, built, plain in rows):
        table = paired_table(rows, "input", ("create_graph=True", "plain backward"), differ)
        raise GradcheckError(
            f"{what}: the first derivatives built with create_graph=True differ from the plain "
            f"backward's: a partial computes something different on Values than on floats.\n"
            f"  {tolerance_line(eps, atol, rtol)}\n\n{table}"
        )


def _raise_on_failures(
    rows: list[Row],
    derivative_name: str,
    what: str,
    eps: float,
    atol: float,
    rtol: float,
    output_count: int,
    kind: str,
    note: str = "",
) -> None:
    __tracebackhide__ = True
    failing = sum(not row.passed for row in rows)
    if not failing:
        return
    lines = [
        f"{what}: {failing} of {len(rows)} {kind} disagree with central differences",
        f"  {tolerance_line(eps, atol, rtol)}",
    ]
    if output_count > 1:
        lines.append(f"  f returns {output_count} outputs: each output's row is checked")
    lines += ["", comparison_table(rows, derivative_name)]
    if note:
        lines += ["", note]
    raise GradcheckError("\n".join(lines), rows)


def _hand_written_note(outputs: Sequence[Value]) -> str:
    """Names the nodes whose derivative is a hand-written _backward: the first suspects."""
    nodes = topological_order(*outputs)
    names = {node: node.label or f"v{i}" for i, node in enumerate(nodes)}
    described = [
        f"{names[node]} = {node.op}({', '.join(names[parent] for parent in node.parents)})"
        for node in nodes
        if node.rule is not None and node.rule.hand_written
    ]
    if not described:
        return ""
    return (
        f"  the graph has {len(described)} node(s) with a hand-written _backward, whose "
        f"derivative nothing else checks: {'; '.join(described)} (nodes named as in trace())"
    )


def _describe(f: Function) -> str:
    name = getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or repr(f)
    code = getattr(f, "__code__", None)
    if "<lambda>" in name and code is not None:
        return f"lambda ({os.path.basename(code.co_filename)}:{code.co_firstlineno})"
    return name


def _point_text(point: list[float]) -> str:
    return "(" + ", ".join(f"{x:.10g}" for x in point) + ")"


def _gradients(output: Value, leaves: list[Value], create_graph: bool = False) -> tuple[Any, ...]:
    """grad(), with 0 for a leaf the output does not depend on (a zero derivative is checked)."""
    return grad(output, leaves, create_graph=create_graph, materialize_grads=True)

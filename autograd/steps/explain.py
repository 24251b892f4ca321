"""`explain`: why a gradient has the value it has, with the graph's own numbers.

    explain(x, output=o)   # dL/dx as the sum over x's consumers of dL/dconsumer × local
    explain(o, wrt=x)      # every path from o down to x, the product along each, their sum

Both return an object: ``str()`` is a plain-text explanation, ``_repr_html_`` a table for
notebooks, and its fields (terms, paths, the numerical check) are data. Each comes with a
numerical check: the node nudged by ±h, the output computed again, (f(x+h) - f(x-h)) / 2h.
"""

from __future__ import annotations

import heapq
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

from autograd.backward import grad as backward_grad
from autograd.backward import last_output
from autograd.steps.formulas import forward_formula, is_constant_formula, partial_formulas
from autograd.steps.formulas import short_number as _short
from autograd.steps.stepping import BackwardWalk, derivative_name, node_names
from autograd.value import Value

MAX_PATHS = 20  # explain(o, wrt=x) lists this many paths at most: the largest |products| first
DEFAULT_H = 1e-6  # the numerical check's step, as gradcheck's eps


@dataclass(frozen=True)
class Term:
    """One consumer's share of a node's gradient: ``consumer_grad × local = contribution``."""

    consumer: Any
    consumer_name: str
    definition: str  # how the consumer is computed, e.g. "a = x * y"
    position: int  # which input of the consumer the node is (x * x has two terms)
    consumer_grad: float  # dL/d(consumer)
    local: float  # d(consumer)/d(node)
    formula: str | None  # the local derivative as text, e.g. "1 - o²"; None when unknown
    contribution: float


@dataclass(frozen=True)
class NumericalCheck:
    """The gradient estimated by central differences, beside the analytical one."""

    h: float
    plus: float  # the output with the node at x + h
    minus: float  # the output with the node at x - h
    estimate: float  # (plus - minus) / 2h
    analytical: float
    unavailable: str | None = None  # why the output could not be computed again (then nan)

    def agrees(self, rel_tol: float = 1e-4, abs_tol: float = 1e-6) -> bool:
        """Whether the estimate is within the tolerances of the analytical gradient."""
        return math.isclose(self.estimate, self.analytical, rel_tol=rel_tol, abs_tol=abs_tol)


@dataclass(frozen=True)
class Path:
    """One path from the output down to ``wrt``: its nodes and the local derivative of each edge."""

    nodes: tuple[Any, ...]  # output first, wrt last
    names: tuple[str, ...]
    locals: tuple[float, ...]  # d(nodes[i])/d(nodes[i + 1])
    formulas: tuple[str | None, ...]
    product: float


@dataclass(frozen=True, eq=False)
class NodeExplanation:
    """``explain(node, output=o)``: dL/dnode as the sum over the node's consumers (L is ``o``).

    ``gradient`` is the sum of the terms, added in the order ``backward`` adds them (so it is
    the number backward gives, bit for bit); ``backward_gradient`` is what ``autograd.grad``
    gives and ``node_grad`` what ``node.grad`` held when explained.
    """

    node: Any
    name: str
    output: Any
    output_name: str
    terms: tuple[Term, ...]
    gradient: float
    backward_gradient: float
    node_grad: Any
    numerical: NumericalCheck
    precision: int = 4

    @property
    def is_output(self) -> bool:
        return self.node is self.output

    def __str__(self) -> str:
        return "\n".join(self._lines())

    def __repr__(self) -> str:
        return f"<explanation of {self._d()} = {_short(self.gradient, self.precision)}>"

    def _d(self) -> str:
        return derivative_name(self.name)

    def _lines(self) -> list[str]:
        p, name, d = self.precision, self.name, self._d()
        lines = [f"{d}, where L is {self.output_name}:"]
        if self.is_output:
            lines.append(f"  {name} is the output: {d} = 1 (where backward starts)")
        elif not self.terms:
            lines.append(f"  {name} is not used on the way to {self.output_name}: {d} = 0")
        else:
            used = len(self.terms)
            lines.append(
                f"  {name} is used {_times(used)}: each use adds dL/d(consumer) × "
                f"d(consumer)/d{_wrap(name)}" + (" (backward's grad +=)" if used > 1 else "")
            )
            for term in self.terms:
                local = _local_text(term.formula, term.local, p)
                lines.append(
                    f"  via {term.definition}: {_short(term.consumer_grad, p)} × {local} = "
                    f"{_short(term.contribution, p)}"
                )
            if used > 1:
                parts = _sum_text([t.contribution for t in self.terms], p)
                lines.append(f"  {d} = {parts} = {_short(self.gradient, p)}")
            else:
                lines.append(f"  {d} = {_short(self.gradient, p)}")
            lines.append(f"  backward reaches {name} after every node that uses it (a topological "
                         f"order),\n  so each dL/d(consumer) above is complete when it is used")
        lines.append("  " + self._grad_line())
        lines.append("  " + _numerical_line(self.numerical, name, p))
        return lines

    def _grad_line(self) -> str:
        p, name = self.precision, self.name
        backward = _short(self.backward_gradient, p)
        held = self.node_grad
        if not isinstance(held, Real):
            return f"backward gives {backward}; {name}.grad holds {held!r:.60}"
        if _same(float(held), self.backward_gradient):
            return f"{name}.grad is {_short(float(held), p)}, as backward gives"
        if float(held) == 0.0:
            return f"backward has not run ({name}.grad is 0.0); it would give {backward}"
        return (f"backward gives {backward}; {name}.grad holds {_short(float(held), p)} "
                f"(gradients accumulate: several backward passes, or another output)")

    def _repr_html_(self) -> str:
        p, e = self.precision, html.escape
        rows = []
        for term in self.terms:
            rows.append([term.definition, _short(term.consumer_grad, p),
                         _local_text(term.formula, term.local, p), _short(term.contribution, p)])
        head = (f"<p><b>{e(self._d())}</b>, where L is <code>{e(self.output_name)}</code>: "
                f"the sum over the consumers of <code>{e(self.name)}</code> of "
                f"dL/d(consumer) × local derivative</p>")
        table = _html_table(
            ["consumer", "dL/d(consumer)", "local derivative", "contribution"], rows,
            numeric=(1, 3),
            total=["sum", "", "", _short(self.gradient, p)] if rows else None,
        )
        notes = [self._grad_line(), _numerical_line(self.numerical, self.name, p)]
        if self.is_output:
            notes.insert(0, f"{self.name} is the output: {self._d()} = 1 (where backward starts)")
        return _html_box(head + table + "".join(f"<p>{e(n)}</p>" for n in notes))


@dataclass(frozen=True, eq=False)
class PathExplanation:
    """``explain(o, wrt=x)``: every path from ``o`` down to ``x`` and the product along it.

    The multivariable chain rule: dL/dx is the sum over the paths of the products of their local
    derivatives. ``count`` is how many paths there are (an int, exact); ``paths`` holds the
    ``MAX_PATHS`` (or ``max_paths``) largest by |product|, and ``rest_count`` / ``rest_sum`` the
    others, whose sum is taken by difference from the gradient (they are not enumerated).
    """

    output: Any
    output_name: str
    wrt: Any
    wrt_name: str
    paths: tuple[Path, ...]
    count: int
    rest_count: int
    rest_sum: float
    gradient: float  # what backward gives
    numerical: NumericalCheck
    precision: int = 4

    @property
    def paths_sum(self) -> float:
        """The sum of every path's product (the shown ones and ``rest_sum``)."""
        return math.fsum([*(path.product for path in self.paths), self.rest_sum])

    def __str__(self) -> str:
        return "\n".join(self._lines())

    def __repr__(self) -> str:
        return (f"<explanation of d{self.output_name}/d{self.wrt_name} over {self.count} "
                f"path{'s' if self.count != 1 else ''}>")

    def _heading(self) -> str:
        d = f"d{_wrap(self.output_name)}/d{_wrap(self.wrt_name)}"
        paths = f"{self.count} path{'s' if self.count != 1 else ''}"
        return f"{d}: the sum over the {paths} from {self.output_name} down to {self.wrt_name} " \
               f"of the product of the local derivatives along each"

    def _lines(self) -> list[str]:
        p = self.precision
        lines = [self._heading() + ":"]
        if self.count == 0:
            lines.append(f"  {self.output_name} does not depend on {self.wrt_name}: the "
                         f"gradient is 0")
        for path in self.paths:
            lines.append(f"  {_path_route(path)}:  {_path_product(path, p)}")
        if self.rest_count:
            lines.append(f"  … and {self.rest_count} smaller path"
                         f"{'s' if self.rest_count != 1 else ''} (past the first "
                         f"{len(self.paths)}), summing to {_short(self.rest_sum, p)}")
        if self.count:
            lines.append(f"  sum of the paths = {_short(self.paths_sum, p)}; backward gives "
                         f"{_short(self.gradient, p)}")
        lines.append("  " + _numerical_line(self.numerical, self.wrt_name, p))
        return lines

    def _repr_html_(self) -> str:
        p, e = self.precision, html.escape
        rows = [[_path_route(path), _path_factors(path, p), _short(path.product, p)]
                for path in self.paths]
        if self.rest_count:
            rows.append([f"… {self.rest_count} more path{'s' if self.rest_count != 1 else ''}",
                         "", _short(self.rest_sum, p)])
        table = _html_table(
            ["path", "local derivatives", "product"], rows, numeric=(2,),
            total=["sum", "", _short(self.paths_sum, p)] if self.count else None,
        )
        notes = [f"backward gives {_short(self.gradient, p)}",
                 _numerical_line(self.numerical, self.wrt_name, p)]
        return _html_box(f"<p><b>{e(self._heading())}</b></p>" + table
                         + "".join(f"<p>{e(n)}</p>" for n in notes))


def explain(
    value: Value,
    wrt: Value | None = None,
    *,
    output: Value | None = None,
    h: float = DEFAULT_H,
    max_paths: int = MAX_PATHS,
    precision: int = 4,
) -> NodeExplanation | PathExplanation:
    """Explain a gradient with the graph's own numbers. Leaves every ``.grad`` as it is.

    ``explain(x, output=o)``: do/dx as the sum over x's consumers of (consumer's gradient ×
    local derivative), each term with its formula and numbers; after ``o.backward()``,
    ``explain(x)`` takes that ``o``. ``explain(o, wrt=x)``: every path
    from o down to x, the product of the local derivatives along it, and their sum (at most
    ``max_paths`` paths are listed, the largest first, then a count of the rest). Both add a
    numerical check, the node nudged by ±``h``; ``print()`` the result, or show it in a notebook.
    """
    if not isinstance(value, Value):
        raise TypeError(f"explain needs a Value, got {type(value).__name__}")
    if not isinstance(h, Real) or isinstance(h, bool) or not (0 < h < math.inf):
        raise ValueError(f"h must be a positive number (the numerical check's step), got {h!r}")
    if isinstance(precision, bool) or not isinstance(precision, int) or not 0 <= precision <= 17:
        raise ValueError(f"precision must be an int from 0 to 17, got {precision!r}")
    if wrt is not None and output is not None:
        raise TypeError("give either wrt= (explain(o, wrt=x): the paths from o to x) or "
                        "output= (explain(x, output=o): the sum over x's consumers), not both")
    if wrt is not None:
        if not isinstance(wrt, Value):
            raise TypeError(f"wrt must be a Value, got {type(wrt).__name__}")
        if isinstance(max_paths, bool) or not isinstance(max_paths, int) or max_paths < 1:
            raise ValueError(f"max_paths must be a positive int, got {max_paths!r}")
        return _explain_paths(value, wrt, float(h), max_paths, precision)
    if output is None:
        # A Value knows its inputs, not the nodes that use it: the output whose gradient is
        # meant is the one backward() last ran from, if the value is in its graph.
        output = last_output()
        if output is None or (output is not value and value not in output.graph()):
            raise TypeError(
                "explain needs to know which output's gradient to explain: explain(x, "
                "output=o) for dL/dx as a sum over x's consumers (after o.backward(), "
                "explain(x) takes that o), or explain(o, wrt=x) for the paths from o down to x"
            )
    if not isinstance(output, Value):
        raise TypeError(f"output must be a Value, got {type(output).__name__}")
    return _explain_node(value, output, float(h), precision)


# ----- the chain rule at a node -----------------------------------------------------------------


def _explain_node(node: Value, output: Value, h: float, precision: int) -> NodeExplanation:
    walk = BackwardWalk(output, 1.0, _keep_grads=True)  # from zero, .grad left alone
    steps = list(walk)
    names = {id(n): name for n, name in zip(walk.nodes, walk.names)}
    if id(node) not in names:
        raise ValueError(
            f"{node.label or 'the value'} is not in the graph of {names[id(output)]}: it has no "
            f"gradient there; give the output it was used for"
        )
    terms = []
    gradient = 1.0 if node is output else -0.0  # from -0.0, as backward sums
    for step in steps:
        for position, update in enumerate(step.updates):
            if update.input is node:
                definition = _definition(step.node, step.name, [u.name for u in step.updates])
                formula = (HAND_WRITTEN if getattr(step.node.rule, "hand_written", False)
                           else update.formula)
                terms.append(Term(step.node, step.name, definition, position, step.upstream,
                                  update.local, formula, update.contribution))
                gradient = gradient + update.contribution  # in backward's order
    (backward,) = backward_grad(output, [node], materialize_grads=True)
    return NodeExplanation(
        node=node, name=names[id(node)], output=output, output_name=names[id(output)],
        terms=tuple(terms), gradient=gradient, backward_gradient=backward,
        node_grad=node.grad, numerical=numerical_check(output, node, backward, h),
        precision=precision,
    )


# ----- every path from the output down to wrt ---------------------------------------------------


def _explain_paths(
    output: Value, wrt: Value, h: float, max_paths: int, precision: int
) -> PathExplanation:
    nodes = output.graph()
    names = _name_table(output, nodes)
    (gradient,) = backward_grad(output, [wrt], materialize_grads=True)
    numerical = numerical_check(output, wrt, gradient, h)
    wrt_name = names.get(id(wrt), wrt.label or "wrt")
    if id(wrt) not in names:
        return PathExplanation(output, names[id(output)], wrt, wrt_name, (), 0, 0, 0.0,
                               gradient, numerical, precision)
    on_a_path = _depending_on(nodes, wrt)
    edges = _edges(nodes, on_a_path, names)  # consumer id -> [(parent, local, formula)]
    count = _count_paths(nodes, output, on_a_path, edges)
    keep = min(count, max_paths)
    paths = _largest_paths(nodes, output, wrt, on_a_path, edges, keep, names)
    rest = count - len(paths)
    rest_sum = gradient - math.fsum(p.product for p in paths) if rest else 0.0
    return PathExplanation(output, names[id(output)], wrt, wrt_name, tuple(paths), count, rest,
                           rest_sum, gradient, numerical, precision)


def _depending_on(nodes: Sequence[Value], wrt: Value) -> set[int]:
    """The ids of the nodes whose value depends on ``wrt`` (``wrt`` included)."""
    found = {id(wrt)}
    for node in nodes:  # inputs first, so a node's inputs are decided before it
        if any(id(parent) in found for parent in node.parents):
            found.add(id(node))
    return found


def _edges(
    nodes: Sequence[Value], on_a_path: set[int], names: dict[int, str]
) -> dict[int, list[tuple[Value, float, str | None]]]:
    edges = {}
    for node in nodes:
        if id(node) not in on_a_path or node.rule is None:
            continue
        input_names = [names[id(parent)] for parent in node.parents]
        locals_ = node.rule.local_derivatives(node)
        formulas = partial_formulas(node, input_names, names[id(node)])
        if getattr(node.rule, "hand_written", False):
            formulas = [HAND_WRITTEN] * len(locals_)
        edges[id(node)] = [
            (parent, local, formula)
            for parent, local, formula in zip(node.parents, locals_, formulas)
            if id(parent) in on_a_path
        ]
    return edges


def _count_paths(nodes: Sequence[Value], output: Value, on_a_path: set[int],
                 edges: dict[int, list[tuple[Value, float, str | None]]]) -> int:
    if id(output) not in on_a_path:
        return 0
    count = {id(output): 1}
    total = 0
    for node in reversed(nodes):  # outputs first: a node's count is complete when reached
        here = count.get(id(node), 0)
        if not here:
            continue
        if id(node) not in edges:
            total += here  # wrt itself (the only node on a path with no edges below it)
            continue
        for parent, _, _ in edges[id(node)]:
            count[id(parent)] = count.get(id(parent), 0) + here
    return total


def _magnitude(x: float) -> float:
    return math.inf if math.isnan(x) else abs(x)


def _largest_paths(
    nodes: Sequence[Value], output: Value, wrt: Value, on_a_path: set[int],
    edges: dict[int, list[tuple[Value, float, str | None]]], keep: int, names: dict[int, str],
) -> list[Path]:
    """The ``keep`` paths from output to wrt with the largest |product|, largest first.

    Each node keeps the ``keep`` largest partial paths from the output down to it (a path's
    best continuation does not depend on how it got there), linked back, not copied.
    """
    if keep == 0:
        return []
    # An entry: (product, node, local, formula, previous entry); the output's has no previous.
    best: dict[int, list[tuple]] = {id(output): [(1.0, output, None, None, None)]}
    for node in reversed(nodes):
        entries = best.get(id(node))
        if not entries or id(node) not in edges:
            continue
        for parent, local, formula in edges[id(node)]:
            extended = [(entry[0] * local, parent, local, formula, entry) for entry in entries]
            merged = best.get(id(parent), []) + extended
            best[id(parent)] = heapq.nlargest(keep, merged, key=lambda e: _magnitude(e[0]))
    paths: list[Path] = []
    for entry in best.get(id(wrt), []):
        chain = []
        while entry is not None:
            chain.append(entry)
            entry = entry[4]
        chain.reverse()
        path_nodes = tuple(e[1] for e in chain)
        paths.append(Path(path_nodes, tuple(names[id(n)] for n in path_nodes),
                          tuple(e[2] for e in chain[1:]), tuple(e[3] for e in chain[1:]),
                          chain[-1][0]))
    return paths


# ----- the numerical check ----------------------------------------------------------------------


def numerical_check(output: Value, node: Value, analytical: float, h: float = DEFAULT_H
                    ) -> NumericalCheck:
    """Nudge ``node`` by ±h, compute ``output`` again from there, and compare the slope."""
    x = node.data
    try:
        plus = output_with(output, node, x + h)
        minus = output_with(output, node, x - h)
    except NoForwardError as error:
        return NumericalCheck(h, math.nan, math.nan, math.nan, analytical, str(error))
    return NumericalCheck(h, plus, minus, (plus - minus) / (2 * h), analytical)


class NoForwardError(ValueError):
    """The output cannot be computed again: a node on the way has no forward to re-run."""


def output_with(output: Value, node: Value, x: float) -> float:
    """``output``'s value had ``node`` held ``x``: every node that depends on it is recomputed
    with its op's forward (on plain numbers); nothing in the graph is changed."""
    if node is output:
        return x
    values: dict[int, float] = {id(node): x}
    for current in output.graph():
        if current.rule is None or id(current) in values:
            continue
        if not any(id(parent) in values for parent in current.parents):
            continue
        numbers = [values.get(id(parent), parent.data) for parent in current.parents]
        values[id(current)] = float(_forward_of(current)(*numbers))
    return values.get(id(output), output.data)


def _forward_of(node: Value) -> Any:
    rule = node.rule
    if getattr(rule, "hand_written", False):
        # micrograd's way: the node's number was computed by the user's own code, which the
        # graph does not keep; the op declared under the same name (if any) computes the same.
        if rule.declared is None:
            raise NoForwardError(
                f"op {rule.name!r} has a hand-written _backward and no declared forward to "
                f"compute it again"
            )
        return rule.declared.apply
    return rule.apply


# ----- text -------------------------------------------------------------------------------------


def _name_table(output: Value, nodes: Sequence[Value]) -> dict[int, str]:
    return {id(node): name for node, name in zip(nodes, node_names(nodes))}


def _times(count: int) -> str:
    return "once" if count == 1 else "twice" if count == 2 else f"{count} times"


def _wrap(name: str) -> str:
    return name if name.isidentifier() else f"({name})"


def _definition(node: Any, name: str, input_names: list[str]) -> str:
    formula = forward_formula(node, input_names, name)
    return name if formula == name else f"{name} = {formula}"


HAND_WRITTEN = "its hand-written _backward"  # a local derivative known only as a number


def _local_text(formula: str | None, local: float, precision: int) -> str:
    number = _short(local, precision)
    if formula == HAND_WRITTEN:
        return f"({number}, by {formula})"
    if formula is None or formula == number or is_constant_formula(formula):
        return number
    return f"({formula} = {number})"


def _numerical_line(check: NumericalCheck, name: str, precision: int) -> str:
    if check.unavailable is not None:
        return f"numerical check, {name} ± h: not possible ({check.unavailable})"
    verdict = "agrees" if check.agrees() else "DIFFERS (a kink, a discontinuity, or a wrong rule?)"
    digits = max(precision, 6)
    return (f"numerical check, {name} ± h (h = {check.h:g}): (f({name}+h) - f({name}-h)) / 2h = "
            f"{_short(check.estimate, digits)}, analytical {_short(check.analytical, digits)}: "
            f"{verdict}")


def _sum_text(numbers: list[float], precision: int) -> str:
    """`0.1411 - 2.97 + 3.0`: the terms of a sum with their signs as operators."""
    text = _short(numbers[0], precision)
    for x in numbers[1:]:
        shown = _short(x, precision)
        text += f" - {shown[1:]}" if shown.startswith("-") else f" + {shown}"
    return text


def _path_route(path: Path) -> str:
    return " → ".join(path.names)


def _path_factors(path: Path, precision: int) -> str:
    if not path.locals:
        return "1 (the output itself)"
    return " × ".join(_local_text(f, v, precision) for f, v in zip(path.formulas, path.locals))


def _path_product(path: Path, precision: int) -> str:
    return f"{_path_factors(path, precision)} = {_short(path.product, precision)}"


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b


def _html_table(header: list[str], rows: list[list[str]], numeric: tuple[int, ...],
                total: list[str] | None = None) -> str:
    e = html.escape

    def row(cells: list[str], tag: str) -> str:
        return "<tr>" + "".join(
            f'<{tag} style="text-align:{"right" if i in numeric else "left"}">{e(c)}</{tag}>'
            for i, c in enumerate(cells)
        ) + "</tr>"

    body = "".join(row(r, "td") for r in rows)
    foot = f"<tfoot>{row(total, 'th')}</tfoot>" if total else ""
    return (f"<table><thead>{row(header, 'th')}</thead><tbody>{body}</tbody>{foot}</table>")


def _html_box(inner: str) -> str:
    return f'<div class="chainrule-explain">{inner}</div>'


__all__ = [
    "MAX_PATHS",
    "NodeExplanation",
    "NumericalCheck",
    "Path",
    "PathExplanation",
    "Term",
    "explain",
    "numerical_check",
    "output_with",
]

"""The backward pass: order the graph, then apply each node's rule from the output back.

Nothing here knows any op's maths: a node's rule (its :class:`~autograd.op.Op`) turns the
gradient arriving at the node into contributions to its inputs.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from numbers import Real
from operator import add as _add
from operator import attrgetter
from typing import Any

from autograd.anomaly import propagate_checking
from autograd.grad_mode import grad_mode
from autograd.hooks import any_hooks, run_hooks
from autograd.ops import add, mul
from autograd.value import Value

_creation_order = attrgetter("_order")
_grad_of = attrgetter("grad")
_acc_of = attrgetter("_acc")
_FLOAT = {float}
_MUL, _ADD = mul.op, add.op


def topological_order(*roots: Value) -> list[Value]:
    """Every node of the graphs under ``roots``, inputs first; a node comes after its inputs."""
    if not roots:
        raise TypeError("topological_order() needs at least one Value")
    for i, root in enumerate(roots):
        _check_value(root, f"roots[{i}]" if len(roots) > 1 else "root")
    seen = set(roots)
    nodes = list(dict.fromkeys(roots))
    pending = nodes[:]
    mark, listed, visit = seen.add, nodes.append, pending.append
    while pending:  # every parent of every node, with no recursion; read as _collect's walk
        node = pending.pop()
        first = node._in0
        if first is None:  # a leaf
            continue
        if first.__class__ is tuple:  # three or more inputs
            for parent in first:
                if parent not in seen:
                    mark(parent)
                    listed(parent)
                    visit(parent)
            continue
        if first not in seen:
            mark(first)
            listed(first)
            visit(first)
        second = node._in1
        if second is not None and second not in seen:
            mark(second)
            listed(second)
            visit(second)
    nodes.sort(key=_creation_order)  # creation order is topological: inputs exist first
    return nodes


# A pass keeps its running sums on the nodes it visits, so two passes over shared nodes (two
# threads training one model) must not interleave. Python runs one thread at a time anyway:
# taking turns costs nothing. Re-entrant, so a nested pass in the same thread reaches the check
# in _start and gets an error, not a deadlock.
_one_pass_at_a_time = threading.RLock()


def backward(
    root: Value,
    gradient: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    *,
    grad: Any = None,
) -> None:
    """Add d(root)/d(node) * gradient to ``.grad`` of every node in the graph under ``root``.

    Also ``root.backward()``; ``gradient`` defaults to 1.0 (``grad=`` is its older name).
    Gradients accumulate, as in PyTorch: calling ``backward()`` twice doubles them; a ``.grad``
    of None counts as 0. Reset with ``zero_grad()`` (nn) or by setting ``.grad = 0.0``. With
    ``create_graph=True`` the gradients are Values that can be differentiated again.
    ``retain_graph`` is accepted for PyTorch's sake: graphs are always kept.
    """
    gradient = _one_name(gradient, grad, "gradient", "grad")
    with _one_pass_at_a_time:
        # In a function of its own: a `try:` line right inside the `with` would let a tracer's
        # KeyboardInterrupt skip the lock's release (CPython 3.11).
        _backward_pass(*_start((root,), (gradient,), create_graph), create_graph)
    global _last_output
    _last_output = weakref.ref(root)


_last_output: weakref.ref[Value] | None = None


def last_output() -> Value | None:
    """The output of the most recent ``backward()`` that completed, while it is alive."""
    return None if _last_output is None else _last_output()


def _backward_pass(
    nodes: list[Value], seeds: tuple[tuple[Value, Any], ...], create_graph: bool
) -> None:
    """Propagate, then add every node's total to its ``.grad``, all at once. If anything
    raises (Ctrl-C included), every ``.grad`` is put back as it was and every node unmarked."""
    before = None
    try:
        _propagate(nodes, seeds, create_graph)
        before = list(map(_grad_of, nodes))
        _commit(nodes, _totals(nodes, before, create_graph))
    except BaseException:
        if before is None:
            _clear_accumulators(nodes)
        else:
            _restore(nodes, before)
        raise


def _totals(nodes: list[Value], before: list[Any], create_graph: bool) -> list[Any]:
    """Each node's ``.grad`` after this pass (its earlier one plus the pass's total; None
    counts as 0), computed before any is written so that a failure here changes nothing."""
    accumulated = list(map(_acc_of, nodes))
    if create_graph:
        return [
            total if prior is None else _accumulate(prior, total)
            for prior, total in zip(before, accumulated)
        ]
    _check_floats(nodes, accumulated)
    try:
        return list(map(_add, before, accumulated))
    except TypeError:  # a None .grad, or one that is not a number
        return [
            _added(node, prior, total) for node, prior, total in zip(nodes, before, accumulated)
        ]


def _added(node: Value, prior: Any, total: float) -> Any:
    """``prior + total`` for one node, a None ``.grad`` counting as 0.0 (PyTorch's set_to_none)."""
    if prior is None:
        return total
    try:
        return prior + total
    except TypeError:
        raise TypeError(
            f"backward adds to .grad, but {_describe(node)} has .grad = {prior!r:.40} "
            f"({type(prior).__name__}); set it to 0.0 (or None) first, e.g. with zero_grad()"
        ) from None


def _commit(nodes: list[Value], totals: list[Any]) -> None:
    for node, total in zip(nodes, totals):
        node.grad = total
        node._acc = None


def _restore(nodes: list[Value], before: list[Any]) -> None:
    """Every ``.grad`` as it was before the pass, every node unmarked."""
    try:
        for node, prior in zip(nodes, before):
            node.grad = prior
            node._acc = None
    except BaseException:
        _restore(nodes, before)  # a second interrupt cut this short: finish, then pass it on
        raise


def _describe(node: Value) -> str:
    if node.label:
        return f"the value {node.label!r}"
    return f"a value made by op {node.op!r}" if node.rule is not None else "a leaf value"


def grad(
    outputs: Value | Sequence[Value],
    inputs: Value | Sequence[Value],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    *,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
    grad_output: Any = None,
) -> tuple[Any, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, leaving every ``.grad`` alone.

        dx, dy = grad(x * y + x, [x, y])
        d2x, = grad(dx, [x])          # with create_graph=True on the first call

    Several outputs are summed, each weighted by its entry of ``grad_outputs`` (default 1.0;
    ``grad_output=`` is the older name for one output's weight). With ``create_graph=True`` the
    gradients are Values, built from the graph, so they can be differentiated again. An input
    the outputs do not depend on is an error, unless ``allow_unused=True`` (its gradient is then
    None) or ``materialize_grads=True`` (then 0.0). ``retain_graph`` is accepted and ignored.
    """
    outputs = _as_values(outputs, "output")
    inputs = _as_values(inputs, "inputs")
    grad_outputs = _one_name(grad_outputs, grad_output, "grad_outputs", "grad_output")
    weights = _output_weights(grad_outputs, len(outputs))
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("grad(): materialize_grads=True needs allow_unused to be True or None")
    with _one_pass_at_a_time:
        grads = _gradient_pass(*_start(tuple(outputs), weights, create_graph), inputs,
                               create_graph)
    for i, g in enumerate(grads):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad(): inputs[{i}] ({inputs[i]!r}) is not in the graph of the outputs, "
                    "so it has no gradient; pass allow_unused=True to get None for it, or "
                    "materialize_grads=True to get 0.0"
                )
            grads[i] = 0.0 if materialize_grads else None
    if create_graph:
        grads = [g if g is None or isinstance(g, Value) else Value(g) for g in grads]
    return tuple(grads)


def _one_name(value: Any, old_value: Any, name: str, old_name: str) -> Any:
    """The argument given under its PyTorch name or its older chainrule name (not both)."""
    if old_value is None:
        return value
    if value is not None:
        raise TypeError(f"give {name}= or its older name {old_name}=, not both")
    return old_value


def _as_values(values: Value | Sequence[Value], what: str) -> list[Value]:
    if isinstance(values, Value):
        return [values]
    if not isinstance(values, (list, tuple)):
        raise TypeError(
            f"the {what} must be a Value or a list of Values, got {type(values).__name__}"
        )
    for i, value in enumerate(values):
        _check_value(value, f"{what}[{i}]")
    return list(values)


def _output_weights(grad_outputs: Any, count: int) -> tuple[Any, ...]:
    """One upstream gradient per output: None means 1.0, as PyTorch does for scalars."""
    if grad_outputs is None:
        return (None,) * count
    if isinstance(grad_outputs, (list, tuple)):
        if len(grad_outputs) != count:
            raise ValueError(
                f"grad(): {len(grad_outputs)} grad_outputs for {count} outputs; give one each"
            )
        return tuple(grad_outputs)
    if count != 1:
        raise TypeError(
            f"grad(): {count} outputs need a list of {count} grad_outputs, got one "
            f"{type(grad_outputs).__name__}"
        )
    return (grad_outputs,)


def _gradient_pass(
    nodes: list[Value], seeds: tuple[tuple[Value, Any], ...], inputs: list[Value],
    create_graph: bool,
) -> list[Any]:
    """Propagate, read the inputs' totals (None: not in the graph), unmark every node."""
    try:
        _propagate(nodes, seeds, create_graph)
        grads = [value._acc for value in inputs]
        if not create_graph:
            _check_floats(nodes, [g for g in grads if g is not None])
        _clear_accumulators(nodes)
    except BaseException:
        _clear_accumulators(nodes)  # (a finally: line would leave Ctrl-C a gap)
        raise
    return grads


def _start(
    roots: tuple[Value, ...], grads: tuple[Any, ...], create_graph: bool
) -> tuple[list[Value], tuple[tuple[Value, Any], ...]]:
    """The list a pass fills with the graph's nodes (the roots, each once, not yet marked) and
    (root, upstream gradient) for each root as given (a root given twice counts twice);
    refuses a pass nested in one running through the same graph."""
    for i, root in enumerate(roots):
        _check_value(root, "the output" if len(roots) == 1 else f"outputs[{i}]")
    seeds = tuple(_upstream(g, create_graph) for g in grads)
    if any(root._acc is not None for root in roots):
        # Refused before marking anything: clean-up would wipe the running pass's accumulators.
        raise RuntimeError(
            "a backward pass is already running through this graph: an op's rule started "
            "another pass through it; run one at a time"
        )
    return list(dict.fromkeys(roots)), tuple(zip(roots, seeds))


def _propagate(
    nodes: list[Value], seeds: tuple[tuple[Value, Any], ...], create_graph: bool
) -> None:
    """Fill ``nodes`` (the roots) with the graph and propagate each root's seed: every node's
    total ends up in ``node._acc``. The caller unmarks the nodes, even on error."""
    node = nodes[0]
    try:
        _collect(nodes)
        for root, seed in seeds:
            root._acc = _accumulate(root._acc, seed)
        if any_hooks():
            step = _step_for(create_graph)
            for node in nodes:
                run_hooks(node, create_graph)
                step((node,))
        elif create_graph:
            _propagate_building_graph(nodes)
        elif grad_mode.anomaly:
            propagate_checking(nodes)
        else:
            _propagate_floats(nodes)
    except TypeError as error:
        _explain_type_error(node, error)
        raise


def _step_for(create_graph: bool) -> Callable[[Iterable[Value]], None]:
    """The propagation for this pass, applied node by node when hooks must run in between."""
    if create_graph:
        return _propagate_building_graph
    if grad_mode.anomaly:
        return propagate_checking
    return _propagate_floats


def _clear_accumulators(nodes: list[Value]) -> None:
    """Mark every node as outside any pass again; an interrupt cannot leave one marked."""
    try:
        for node in nodes:
            node._acc = None
    except BaseException:
        _clear_accumulators(nodes)  # a second interrupt cut this short: finish, then pass it on
        raise


def _check_floats(nodes: list[Value], results: Sequence[Any]) -> None:
    """Raise the documented TypeError if a partial returned something other than a real number
    (a complex number, a Value), which the float backward's arithmetic would carry along."""
    if set(map(type, results)) <= _FLOAT or all(isinstance(r, float) for r in results):
        return
    for node in nodes:
        rule = node.rule
        if rule is not None:
            rule.local_derivatives(node)  # raises, naming the op and the partial
    bad = next(r for r in results if not isinstance(r, float))
    raise TypeError(f"the backward pass produced a {type(bad).__name__} gradient, not a float")


def _upstream(grad: Any, create_graph: bool) -> Any:
    """The gradient backward starts from, as a float (None is 1.0); a Value stays one only when
    the pass builds a graph (then the gradients depend on it too, as in PyTorch)."""
    if grad is None:
        return 1.0
    if isinstance(grad, Value):
        return grad if create_graph else grad.data
    if isinstance(grad, Real) and not isinstance(grad, bool):
        return float(grad)
    raise TypeError(
        f"the upstream gradient (grad) must be a real number or a Value, got "
        f"{type(grad).__name__}: {grad!r:.40}"
    )


def _explain_type_error(node: Value, error: TypeError) -> None:
    """After a TypeError in the float backward: if a partial of ``node``'s op returned something
    other than a number (which the fast path does not check), raise the error saying so."""
    rule = node.rule
    if rule is None:
        return
    try:
        rule.local_derivatives(node)  # checks every partial's result
    except TypeError as clearer:
        if str(clearer) != str(error):
            raise clearer from error


def _collect(nodes: list[Value]) -> None:
    """Extend the roots to every node under them, outputs first; mark each with ``_acc = -0.0``
    (IEEE's additive identity: a sum of negative zeros stays -0.0, as in PyTorch).

    The plain rule: ``for parent in node.parents``, list and mark every parent not yet marked,
    then sort by creation order. Written out below for speed, reading ``node.parents`` from
    its slots (value.py: ``_in0``, ``_in1``, or a tuple in ``_in0``); and depth first, newest
    input first, which lists the nodes nearly in creation order already, so the sort has little
    left to do.
    """
    for root in nodes:
        root._acc = -0.0
    listed = nodes.append
    pending = nodes[:]
    visit = pending.append
    while pending:
        node = pending.pop()
        first = node._in0
        if first is None:  # a leaf
            continue
        if first.__class__ is tuple:  # three or more inputs
            for parent in first:
                if parent._acc is None:
                    listed(parent)
                    parent._acc = -0.0
                    visit(parent)
            continue
        if first._acc is None:
            listed(first)
            first._acc = -0.0
            visit(first)
        second = node._in1
        if second is not None and second._acc is None:
            listed(second)
            second._acc = -0.0
            visit(second)
    nodes.sort(key=_creation_order, reverse=True)


def _propagate_floats(nodes: Iterable[Value]) -> None:
    # The plain rule, for every node: rule.backprop(node, node._acc) (op.py), which adds
    # g * d(node)/d(input) to each input's _acc. The two commonest ops are written out here,
    # saving a call per node: for x * y the partials are y and x, for x + y both are 1.
    node: Value | None = None
    try:
        for node in nodes:
            rule = node.rule
            if rule is _MUL:
                g = node._acc
                x, y = node._in0, node._in1
                x._acc += g * y._data
                y._acc += g * x._data
            elif rule is _ADD:
                g = node._acc
                node._in0._acc += g
                node._in1._acc += g
            elif rule is not None:
                rule.backprop(node, node._acc)
    except TypeError as error:
        if node is not None:
            _explain_type_error(node, error)
        raise


def _propagate_building_graph(nodes: Iterable[Value]) -> None:
    # Each rule is evaluated on the Values themselves, so the gradients are graph nodes.
    for node in nodes:
        rule = node.rule
        if rule is None:
            continue
        for parent, contribution in zip(node.parents, rule.contributions_on_graph(node, node._acc)):
            parent._acc = _accumulate(parent._acc, contribution)


def _accumulate(total: Any, contribution: Any) -> Any:
    # Skip "0.0 + contribution" so graph-building backward adds no node for it.
    if total.__class__ is float and total == 0.0:
        return contribution
    return total + contribution


def _check_value(value: Any, what: str) -> None:
    if not isinstance(value, Value):
        raise TypeError(f"{what} must be a Value, got {type(value).__name__}")


# The methods v.backward() and v.graph().
Value.backward = backward  # type: ignore[assignment]  # root is the method's self
Value.graph = topological_order  # type: ignore[assignment]  # v.graph(): v the one root

"""The backward pass: order the graph, then apply each node's rule from the output back.

Nothing here knows any op's maths: a node's rule (its :class:`~autograd.op.Op`) turns the
gradient arriving at the node into contributions to its inputs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from numbers import Real
from operator import attrgetter
from typing import Any

from autograd.anomaly import propagate_checking
from autograd.grad_mode import grad_mode
from autograd.value import Value

_creation_order = attrgetter("_order")


def topological_order(*roots: Value) -> list[Value]:
    """Every node of the graphs under ``roots``, inputs first; a node comes after its inputs."""
    if not roots:
        raise TypeError("topological_order() needs at least one Value")
    for i, root in enumerate(roots):
        _check_value(root, f"roots[{i}]" if len(roots) > 1 else "root")
    seen = set(roots)
    nodes = list(dict.fromkeys(roots))
    for node in nodes:  # the list grows while we walk it: a breadth-first search, no recursion
        for parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                nodes.append(parent)
    nodes.sort(key=_creation_order)  # creation order is topological: inputs exist first
    return nodes


# A pass keeps its running sums on the nodes it visits, so two passes over shared nodes (two
# threads training one model) must not interleave. Python runs one thread at a time anyway:
# taking turns costs nothing. Re-entrant, so a nested pass in the same thread reaches the check
# in _run and gets an error, not a deadlock.
_one_pass_at_a_time = threading.RLock()


def backward(root: Value, grad: Any = 1.0, create_graph: bool = False) -> None:
    """Add d(root)/d(node) * grad to ``.grad`` of every node in the graph under ``root``.

    Also ``root.backward()``. Gradients accumulate, as in PyTorch: calling ``backward()`` twice
    doubles them; a ``.grad`` of None (PyTorch's ``zero_grad(set_to_none=True)``) counts as 0.
    Reset with ``zero_grad()`` (nn) or by setting ``.grad = 0.0``. With
    ``create_graph=True`` the gradients are Values that can be differentiated again.
    """
    with _one_pass_at_a_time:
        nodes = _run(root, grad, create_graph)
        if create_graph:
            for node in nodes:
                total = node.grad
                node.grad = node._acc if total is None else _accumulate(total, node._acc)
                node._acc = None
        else:
            for node in nodes:
                total = node.grad
                node.grad = node._acc if total is None else total + node._acc
                node._acc = None


def grad(
    output: Value,
    inputs: Value | Sequence[Value],
    grad_output: Any = 1.0,
    create_graph: bool = False,
) -> tuple[Any, ...]:
    """The gradients of ``output`` with respect to ``inputs``, leaving every ``.grad`` alone.

        dx, dy = grad(x * y + x, [x, y])
        d2x, = grad(dx, [x])          # with create_graph=True on the first call

    With ``create_graph=True`` the gradients are Values, built from the graph, so they can be
    differentiated again. An input the output does not depend on gets 0.
    """
    inputs = [inputs] if isinstance(inputs, Value) else list(inputs)
    for i, value in enumerate(inputs):
        _check_value(value, f"inputs[{i}]")
    with _one_pass_at_a_time:
        nodes = _run(output, grad_output, create_graph)
        grads = tuple(0.0 if value._acc is None else value._acc for value in inputs)
        for node in nodes:
            node._acc = None
    if create_graph:
        grads = tuple(g if isinstance(g, Value) else Value(g) for g in grads)
    return grads


def _run(root: Value, grad: Any, create_graph: bool) -> list[Value]:
    """Propagate ``grad`` from ``root``; leaves each node's total in ``node._acc``."""
    _check_value(root, "the output")
    grad = _upstream(grad)
    if root._acc is not None:
        # Refused before the try below: its clean-up would wipe the running pass's accumulators.
        raise RuntimeError(
            "a backward pass is already running through this graph: an op's rule started "
            "another pass through it; run one at a time"
        )
    nodes = [root]
    node = root
    try:
        _collect(nodes)
        root._acc = grad
        if create_graph:
            _propagate_building_graph(nodes)
        elif grad_mode.anomaly:
            propagate_checking(nodes)
        else:
            for node in nodes:
                rule = node.rule
                if rule is not None:
                    rule.backprop(node, node._acc)
    except TypeError as error:
        _clear_accumulators(nodes)
        _explain_type_error(node, error)
        raise
    except BaseException:
        _clear_accumulators(nodes)
        raise
    return nodes


def _clear_accumulators(nodes: list[Value]) -> None:
    for node in nodes:
        node._acc = None


def _upstream(grad: Any) -> Any:
    """The gradient backward starts from: a real number (as a float), or a Value."""
    if isinstance(grad, Value):
        return grad
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
    """Extend ``[root]`` to every node under it, outputs first; mark each with ``_acc = 0.0``."""
    root = nodes[0]
    root._acc = 0.0
    for node in nodes:
        for parent in node.parents:
            if parent._acc is None:
                parent._acc = 0.0
                nodes.append(parent)
    nodes.sort(key=_creation_order, reverse=True)


def _propagate_building_graph(nodes: Iterable[Value]) -> None:
    # Each partial is evaluated on the Values themselves, so the gradients are graph nodes.
    for node in nodes:
        rule = node.rule
        if rule is None:
            continue
        upstream = node._acc
        for parent, local in zip(node.parents, rule.local_derivatives_on_graph(node)):
            parent._acc = _accumulate(parent._acc, upstream * local)


def _accumulate(total: Any, contribution: Any) -> Any:
    # Skip "0.0 + contribution" so graph-building backward adds no node for it.
    if total.__class__ is float and total == 0.0:
        return contribution
    return total + contribution


def _check_value(value: Any, what: str) -> None:
    if not isinstance(value, Value):
        raise TypeError(f"{what} must be a Value, got {type(value).__name__}")


# The methods v.backward() and v.graph().
Value.backward = backward
Value.graph = topological_order

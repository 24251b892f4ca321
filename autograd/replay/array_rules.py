"""An op's rules on arrays, and the check, at compile time, that they really work on arrays.

An op's array rules are its declared ``vectorized`` forms, or its scalar rules where none is
declared. Whether a scalar rule works on arrays cannot be told from its code, so it is tried:
on arrays of the graph's own numbers (a few nodes of the op, twice over so that a rule that
collapses an axis shows), compared with what the scalar rules gave. A rule that raises (a Python
``if`` on an array, ``math.exp``), returns the wrong shape or other numbers makes ``compile``
raise :class:`CompileError` naming the op.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd.op import Op
from autograd.replay.errors import CompileError
from autograd.replay.kernels import partial_blocks
from autograd.replay.positions import Positions
from autograd.value import Value

PROBE_NODES = 3
PROBE_UPSTREAM = -0.75  # the upstream gradient backward rules are tried with
PROBE_TOLERANCE = 1e-9  # array and scalar rules may differ by a few ulps (libm vs numpy)


@dataclass(frozen=True)
class ArrayRules:
    """What compiled replay runs for an op: forward and partials taking arrays."""

    op: Op
    forward: Callable[..., Any]
    partials: tuple[Any, ...]  # one per input (callable or constant); () for a variadic op
    all_partials: Callable[..., Any] | None  # a variadic op's partials, as blocks
    chain: bool = False  # a chain of additions run as one node (chain_rules)
    backward: tuple[Any, ...] = ()  # per input: rule(g, *inputs, out), None for g * partial

    @property
    def variadic(self) -> bool:
        return self.all_partials is not None


def array_rules(op: Op) -> ArrayRules:
    """The op's declared array forms, its scalar rules where it declares none."""
    declared = op.vectorized or (None,) * (2 if op.arity is None else 1 + op.arity)
    forward = declared[0] or op.forward
    if op.arity is None:
        return ArrayRules(op, forward, (), declared[1] or op.all_partials)
    partials = tuple(
        scalar if array is None else array for scalar, array in zip(op.partials, declared[1:])
    )
    backward: tuple[Any, ...] = ()
    if op.backward is not None:
        arrays = op.vectorized_backward or (None,) * op.arity
        backward = tuple(array or scalar for scalar, array in zip(op.backward, arrays))
    return ArrayRules(op, forward, partials, None, backward=backward)


def chain_rules(op: Op) -> ArrayRules:
    """A chain of ``+`` nodes, each the left input of the next (``((a + b) + c) + d``, what
    Python's ``sum`` and a running total build), run as one node of many inputs.

    The sum is taken left to right, exactly as the chain adds: ``np.add.accumulate`` computes
    every running total from the previous one, where ``np.add.reduce`` may add in pairs (another
    rounding). Every input's partial is 1, as through each ``+`` of the chain.
    """
    return ArrayRules(op, _sum_left_to_right, (), _ones, chain=True)


def _sum_left_to_right(xs: Positions) -> np.ndarray:
    shape = np.broadcast_shapes(*(np.shape(block)[1:] for block in xs.blocks))
    if len(xs) < math.prod(shape):
        # Many nodes, few inputs each: adding the inputs in one at a time is several times
        # quicker than accumulate along the first axis; the same sums, in the same order.
        terms = iter(xs)
        total = np.array(np.broadcast_to(next(terms), shape))
        for term in terms:
            total += term
        return total
    terms = xs[:]
    rows = terms.reshape(len(terms), -1)  # one row per position
    return np.add.accumulate(rows, axis=0)[-1].reshape(terms.shape[1:])


def _ones(xs: Positions, out: np.ndarray) -> tuple[np.ndarray]:
    return (np.ones((len(xs), 1, 1)),)


def check_on_graph(rules: ArrayRules, nodes: Sequence[Value]) -> None:
    """Raise CompileError unless the rules, on arrays of these nodes' numbers, agree with them."""
    if rules.variadic:
        width = len(nodes[0].parents)
        nodes = [node for node in nodes if len(node.parents) == width]
    nodes = list(nodes[:PROBE_NODES])
    shape = (len(nodes), 2)
    out = _probe([node.data for node in nodes])
    with np.errstate(all="ignore"):
        if rules.variadic:
            inputs = _probe([[parent.data for parent in node.parents] for node in nodes])
            xs = Positions([0], [np.moveaxis(inputs, 1, 0)])  # (inputs, nodes, samples)
            got = _call(rules, "forward", rules.forward, xs)
            _compare(rules, "forward", got, [node.data for node in nodes], shape)
            expected = _scalar_partials(rules, nodes)
            assert rules.all_partials is not None  # a variadic op has them
            result = _call(rules, "all_partials", rules.all_partials, xs, out)
            try:
                blocks = partial_blocks(result, len(xs))
            except (TypeError, ValueError) as error:
                raise _error(rules, "all_partials", f"returned {error}") from None
            for start, block in blocks:
                for i, row in enumerate(block):
                    _compare(rules, f"partial {start + i}", row, expected[start + i], shape)
            return
        arity = len(nodes[0].parents)
        args = [_probe([node.parents[i].data for node in nodes]) for i in range(arity)]
        got = _call(rules, "forward", rules.forward, *args)
        _compare(rules, "forward", got, [node.data for node in nodes], shape)
        expected = _scalar_partials(rules, nodes)
        for i, partial in enumerate(rules.partials):
            if callable(partial):
                got = _call(rules, f"partial {i}", partial, *args, out)
                _compare(rules, f"partial {i}", got, expected[i], shape)
        for i, rule in enumerate(rules.backward):
            if rule is not None:
                contributions = [rules.op.contributions(node, PROBE_UPSTREAM)[i] for node in nodes]
                got = _call(rules, f"backward {i}", rule, _probe([PROBE_UPSTREAM] * len(nodes)),
                            *args, out)
                _compare(rules, f"backward {i}", got, contributions, shape)


def _scalar_partials(rules: ArrayRules, nodes: Sequence[Value]) -> np.ndarray:
    """The partials as the scalar rules give them at these nodes: (inputs, nodes)."""
    try:
        return np.array([rules.op.local_derivatives(node) for node in nodes], dtype=float).T
    except Exception as error:
        raise CompileError(
            f"op {rules.op.name!r} cannot be compiled: its scalar partials raise "
            f"{type(error).__name__} on the graph's own numbers: {error}"
        ) from error


def _probe(numbers: Any) -> np.ndarray:
    """Numbers as an array with a second column repeating the first (nodes x samples)."""
    column = np.asarray(numbers, dtype=float)
    return np.stack([column, column], axis=-1)


def _call(rules: ArrayRules, what: str, rule: Callable[..., Any], *args: Any) -> Any:
    try:
        return rule(*args)
    except Exception as error:  # any failure means: this rule does not take arrays
        raise _error(rules, what, f"raised {type(error).__name__}: {error}") from error


def _compare(rules: ArrayRules, what: str, got: Any, expected: Any, shape: tuple) -> None:
    got_shape = np.shape(got)
    if got_shape and (len(got_shape) != len(shape)
                      or any(g not in (1, s) for g, s in zip(got_shape, shape))):
        raise _error(rules, what, f"gave shape {got_shape} on inputs of shape {shape}")
    try:
        got = np.broadcast_to(np.asarray(got, dtype=float), shape)
    except (TypeError, ValueError) as error:
        raise _error(rules, what, f"gave {type(got).__name__}, not numbers: {error}") from None
    expected = np.broadcast_to(np.asarray(expected, dtype=float)[..., None], shape)
    same = (got == expected) | (np.isnan(got) & np.isnan(expected))
    close = np.abs(got - expected) <= PROBE_TOLERANCE * np.abs(expected)
    if not np.all(same | close):
        raise _error(
            rules, what,
            f"gave {got[:, 0].tolist()} on arrays where the scalar rule gives "
            f"{expected[:, 0].tolist()}",
        )


def _error(rules: ArrayRules, what: str, problem: str) -> CompileError:
    declare = (
        "vectorized=(forward, all_partials)" if rules.variadic
        else "vectorized=(forward, partial_0, ...)"
    )
    return CompileError(
        f"op {rules.op.name!r} cannot be compiled: its {what}, run on NumPy arrays, {problem}. "
        f"Write its rules with arithmetic and autograd's functions (autograd.exp, not math.exp; "
        f"no Python if on a number), or declare array forms with {declare} "
        f"in define_op / define_variadic_op."
    )

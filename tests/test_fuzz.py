"""Property-based fuzzing: random expression graphs over every op (hypothesis).

A graph is a small program: 1-3 inputs, then up to 10 steps, each applying an op to earlier
nodes (recent ones likelier, so graphs grow deep as well as wide); its output is the sum of the
nodes nothing else uses. Ops: + - * / ** with Values and with a number on either side, x ** c,
c ** x, every element function, leaky_relu with drawn slopes, sum_values, dot and linear over
drawn numbers of inputs, micrograd's positional Value(data, children, op), and users' ops from
define_op (1, 2 and 3 inputs) and define_variadic_op. Each op gets its own run of examples in
which it is applied at least once, at a random place in the program, so none is left to chance.

Properties:
- on any finite inputs (the whole float64 range, so intermediate values overflow), forward,
  backward, grad and second derivatives never raise and give floats;
- where the function is smooth at the point, gradients agree with central differences
  (gradcheck), and grad(create_graph=True) gives the plain gradients.

"Smooth at the point" is decided while the graph is built: a step is kept only if every input
it takes is, at this point, farther from the op's kink (relu, abs, leaky_relu at 0) or domain
edge (log, sqrt, a fractional power at 0; a denominator or a negative power at 0; a Value
exponent's base at 0) than both a fixed margin and 100x the distance one central-difference step
(eps = 1e-6 on each input) can move it, given the input's gradient with respect to the graph's
inputs. Values stay within ±100 and gradients below 1e4, so differences are not drowned in
rounding. A step failing this is skipped, not the example, so hypothesis rarely discards one.

The fuzzers use derandomize=True: CI runs the same examples every time (no flaky failures);
``--hypothesis-profile=thorough`` runs many more. (Run with random seeds, 300 examples per op
and property, they found nothing; they do catch a dot partial with its halves swapped, a log
forward that raises, and a sigmoid derivative 1% off.)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, define_op, define_variadic_op, grad, gradcheck

EPS = 1e-6  # gradcheck's step
VALUE_LIMIT = 100.0
GRADIENT_LIMIT = 1e4
KINK_MARGIN = 1e-3
DOMAIN_MARGIN = 0.05
FUZZ = settings(derandomize=True)  # the profile's number of examples, per op

# ----- users' ops, written as the README says: plain arithmetic and autograd's functions --------

softsign = define_op(
    "fuzz_softsign", lambda x: x / (1 + abs(x)), lambda x, out: 1 / (1 + abs(x)) ** 2
)
logaddexp = define_op(
    "fuzz_logaddexp",
    lambda x, y: max(x, y) + autograd.softplus(-abs(x - y)),
    lambda x, y, out: autograd.sigmoid(x - y),
    lambda x, y, out: autograd.sigmoid(y - x),
)
fma = define_op(
    "fuzz_fma", lambda x, y, z: x * y + z,
    lambda x, y, z, out: y, lambda x, y, z, out: x, 1.0,
)
mean_square = define_variadic_op(
    "fuzz_mean_square",
    lambda xs: sum(x * x for x in xs) / len(xs),
    lambda xs, out: tuple(2 * x / len(xs) for x in xs),
)

# ----- the ops ------------------------------------------------------------------------------------
# edges(args, params) lists (operand index, distance from the kink or domain edge, margin); a
# negative distance means outside the domain.

Edges = Callable[[list[float], tuple], list[tuple[int, float, float]]]


def no_edges(args: list[float], params: tuple) -> list[tuple[int, float, float]]:
    return []


def kink(i: int) -> Edges:
    return lambda args, params: [(i, abs(args[i]), KINK_MARGIN)]


def positive(i: int) -> Edges:
    return lambda args, params: [(i, args[i], DOMAIN_MARGIN)]


def nonzero(i: int) -> Edges:
    return lambda args, params: [(i, abs(args[i]), DOMAIN_MARGIN)]


def power_edges(args: list[float], params: tuple) -> list[tuple[int, float, float]]:
    (c,) = params
    if c.is_integer() and c >= 0:
        return []
    return [(0, args[0] if not c.is_integer() else abs(args[0]), DOMAIN_MARGIN)]


@dataclass(frozen=True)
class FuzzOp:
    name: str
    inputs: tuple[int, int]  # how many operands: (fewest, most)
    apply: Callable[..., Value]  # apply(params, *operands)
    params: st.SearchStrategy[tuple] = st.just(())
    edges: Edges = no_edges


CONSTANT = st.sampled_from([-2.5, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0])
POSITIVE_CONSTANT = st.sampled_from([0.5, 1.7, 2.0, 3.0])
NONZERO_CONSTANT = st.sampled_from([-2.5, -1.0, 0.5, 4.0])
EXPONENT = st.sampled_from([0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, -0.5, 1.5, 1 / 3])
SLOPE = st.sampled_from([0.01, 0.2, 0.0, -0.5, 1.0])


def unary(name: str, method: Callable[[Value], Value], edges: Edges = no_edges) -> FuzzOp:
    return FuzzOp(name, (1, 1), lambda params, x: method(x), edges=edges)


def with_constant(name: str, apply: Callable[..., Value], constants, edges=no_edges) -> FuzzOp:
    return FuzzOp(name, (1, 1), lambda params, x: apply(x, *params),
                  st.tuples(constants), edges)


def binary(name: str, apply: Callable[[Value, Value], Value], edges=no_edges) -> FuzzOp:
    return FuzzOp(name, (2, 2), lambda params, x, y: apply(x, y), edges=edges)


def pairs(xs: tuple[Value, ...]) -> tuple[tuple[Value, ...], tuple[Value, ...]]:
    n = len(xs) // 2
    return xs[:n], xs[n:2 * n]


OPS = [
    binary("x + y", lambda x, y: x + y),
    binary("x - y", lambda x, y: x - y),
    binary("x * y", lambda x, y: x * y),
    binary("x / y", lambda x, y: x / y, nonzero(1)),
    binary("x ** y", lambda x, y: x**y, positive(0)),
    with_constant("x + c", lambda x, c: x + c, CONSTANT),
    with_constant("c + x", lambda x, c: c + x, CONSTANT),
    with_constant("x - c", lambda x, c: x - c, CONSTANT),
    with_constant("c - x", lambda x, c: c - x, CONSTANT),
    with_constant("x * c", lambda x, c: x * c, CONSTANT),
    with_constant("c * x", lambda x, c: c * x, CONSTANT),
    with_constant("x / c", lambda x, c: x / c, NONZERO_CONSTANT),
    with_constant("c / x", lambda x, c: c / x, CONSTANT, nonzero(0)),
    with_constant("x ** c", lambda x, c: x**c, EXPONENT, power_edges),
    with_constant("c ** x", lambda x, c: c**x, POSITIVE_CONSTANT),
    with_constant("leaky_relu(x, slope)", lambda x, s: x.leaky_relu(s), SLOPE, kink(0)),
    unary("-x", lambda x: -x),
    unary("abs", abs, kink(0)),
    unary("exp", Value.exp),
    unary("log", Value.log, positive(0)),
    unary("tanh", Value.tanh),
    unary("sigmoid", Value.sigmoid),
    unary("relu", Value.relu, kink(0)),
    unary("leaky_relu", Value.leaky_relu, kink(0)),
    unary("softplus", Value.softplus),
    unary("sin", Value.sin),
    unary("cos", autograd.cos),
    unary("sqrt", Value.sqrt, positive(0)),
    FuzzOp("sum_values", (1, 4), lambda params, *xs: autograd.sum_values(xs)),
    FuzzOp("dot", (2, 6), lambda params, *xs: autograd.dot(*pairs(xs))),
    FuzzOp("linear", (3, 7), lambda params, *xs: autograd.linear(*pairs(xs[:-1]), xs[-1])),
    binary("Value(data, (x, y), '*')", lambda x, y: Value(x.data * y.data, (x, y), "*")),
    unary("softsign (define_op)", softsign),
    binary("logaddexp (define_op)", logaddexp),
    FuzzOp("fma (define_op)", (3, 3), lambda params, x, y, z: fma(x, y, z)),
    FuzzOp("mean_square (define_variadic_op)", (1, 4), lambda params, *xs: mean_square(*xs)),
]


# ----- graphs as programs ------------------------------------------------------------------------


@dataclass
class Program:
    inputs: list[float]
    steps: list[tuple[FuzzOp, tuple, list[int]]] = field(default_factory=list)

    def __call__(self, *leaves: Value) -> Value:
        nodes = list(leaves)
        used: set[int] = set()
        for op, params, args in self.steps:
            nodes.append(op.apply(params, *(nodes[a] for a in args)))
            used.update(args)
        return autograd.sum_values([n for i, n in enumerate(nodes) if i not in used])

    def __repr__(self) -> str:  # what hypothesis prints for a failing example
        lines = [f"v{i} = {x!r}" for i, x in enumerate(self.inputs)]
        for k, (op, params, args) in enumerate(self.steps):
            operands = ", ".join(f"v{a}" for a in args)
            lines.append(f"v{len(self.inputs) + k} = {op.name}{params or ''}({operands})")
        return "Program:\n  " + "\n  ".join(lines)


def sensitivity(node: Value, leaves: list[Value]) -> float:
    """How far one central-difference step on each input can move ``node`` (to first order)."""
    return EPS * sum(abs(g) for g in grad(node, leaves, materialize_grads=True))


def smooth_here(op: FuzzOp, params: tuple, operands: list[Value], out: Value,
                leaves: list[Value]) -> bool:
    if not (math.isfinite(out.data) and abs(out.data) <= VALUE_LIMIT):
        return False
    if sensitivity(out, leaves) > GRADIENT_LIMIT * EPS * len(leaves):
        return False
    for i, distance, margin in op.edges([v.data for v in operands], params):
        if distance <= max(margin, 100 * sensitivity(operands[i], leaves)):
            return False
    return True


@st.composite
def programs(draw, inputs: st.SearchStrategy[float], smooth: bool, featured: FuzzOp) -> Program:
    """A program of random steps, one of which (at a random place) applies ``featured``."""
    program = Program(draw(st.lists(inputs, min_size=1, max_size=3), label="inputs"))
    leaves = [Value(x) for x in program.inputs]
    nodes = list(leaves)
    steps = draw(st.integers(1, 10), label="steps")
    featured_at = draw(st.integers(0, steps - 1), label="featured step")
    for step in range(steps):
        op = featured if step == featured_at else draw(st.sampled_from(OPS), label="op")
        for _attempt in range(5 if op is featured else 1):
            params = draw(op.params)
            count = draw(st.integers(*op.inputs), label="operands")
            recent = st.integers(max(0, len(nodes) - 4), len(nodes) - 1)
            anywhere = st.integers(0, len(nodes) - 1)
            args = [draw(st.one_of(recent, anywhere)) for _ in range(count)]
            operands = [nodes[a] for a in args]
            out = op.apply(params, *operands)
            if not smooth or smooth_here(op, params, operands, out, leaves):
                program.steps.append((op, params, args))
                nodes.append(out)
                break
    assume(any(op is featured for op, _, _ in program.steps))
    return program


FINITE = st.floats(allow_nan=False, allow_infinity=False)
TAME = st.floats(-2.0, 2.0, allow_nan=False)


def is_float(x: Any) -> bool:
    return type(x) is float


@pytest.mark.parametrize("featured", OPS, ids=lambda op: op.name)
@FUZZ
@given(data=st.data())
def test_backward_never_raises_on_finite_inputs(featured, data):
    program = data.draw(programs(FINITE, smooth=False, featured=featured), label="program")
    leaves = [Value(x) for x in program.inputs]
    out = program(*leaves)
    assert is_float(out.data)
    plain = grad(out, leaves, materialize_grads=True)
    assert all(map(is_float, plain))
    out.backward()
    assert all(is_float(leaf.grad) for leaf in leaves)
    firsts = grad(out, leaves, create_graph=True, materialize_grads=True)
    for first in firsts:
        assert all(map(is_float, grad(first, leaves, materialize_grads=True)))


@pytest.mark.parametrize("featured", OPS, ids=lambda op: op.name)
@FUZZ
@given(data=st.data())
def test_gradients_match_central_differences_where_smooth(featured, data):
    program = data.draw(programs(TAME, smooth=True, featured=featured), label="program")
    assert gradcheck(program, program.inputs)
    leaves = [Value(x) for x in program.inputs]
    out = program(*leaves)
    plain = grad(out, leaves, materialize_grads=True)
    built = grad(out, leaves, create_graph=True, materialize_grads=True)
    for a, b in zip(plain, built):
        assert math.isclose(a, b.data, rel_tol=1e-12, abs_tol=1e-300)
    out.backward()
    assert [leaf.grad for leaf in leaves] == list(plain)


def same_float(a: float, b: float) -> bool:
    """Bit for bit, as far as a float shows: nan is nan and the sign of a zero counts."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


@pytest.mark.parametrize("featured", OPS, ids=lambda op: op.name)
@FUZZ
@given(data=st.data())
def test_backward_steps_ends_where_backward_does(featured, data):
    # Any finite inputs: the walk must agree with backward() on inf and nan gradients too.
    program = data.draw(programs(FINITE, smooth=False, featured=featured), label="program")
    upstream = data.draw(st.sampled_from([1.0, -0.5, 0.0, -0.0]), label="upstream")
    stepped, backed = program(*map(Value, program.inputs)), program(*map(Value, program.inputs))
    steps = list(stepped.backward_steps(upstream))
    backed.backward(upstream)
    walked_nodes, backward_nodes = stepped.graph(), backed.graph()
    assert len(steps) == sum(node.rule is not None for node in walked_nodes)
    for i, (walked, backward) in enumerate(zip(walked_nodes, backward_nodes, strict=True)):
        assert same_float(walked.grad, backward.grad), (
            f"node v{i} ({walked.op or 'leaf'}): walk {walked.grad!r}, backward {backward.grad!r}"
        )

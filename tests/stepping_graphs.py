"""Graphs for the stepping tests: the lecture's neuron, and random graphs for hypothesis."""

from __future__ import annotations

import math

from hypothesis import strategies as st

import autograd
from autograd import Value
from demos.neuron import lecture_neuron  # noqa: F401 - the tests import it from here


def same_float(a: float, b: float) -> bool:
    """Equal bit for bit as far as arithmetic can tell: -0.0 is not 0.0, nan is nan."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


UNARY = [
    lambda a: a.tanh(), lambda a: a.exp(), lambda a: a.log(), lambda a: a.sigmoid(),
    lambda a: a.relu(), lambda a: -a, lambda a: abs(a), lambda a: a.sin(), lambda a: a.cos(),
    lambda a: a.sqrt(), lambda a: a.softplus(), lambda a: a.leaky_relu(0.2),
    lambda a: a ** 2, lambda a: a ** 0.5, lambda a: a ** -1, lambda a: a ** 0,
]  # fmt: skip
BINARY = [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
    lambda a, b: a ** b, lambda a, b: a * 2.5, lambda a, b: 1.5 - b,
]  # fmt: skip

numbers = st.one_of(
    st.floats(-4, 4, allow_nan=False),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 1e-300, 700.0, math.inf, math.nan]),
)


@st.composite
def random_graphs(draw: st.DrawFn) -> Value:
    """A graph of 1 to 4 leaves and up to 12 ops (unary, binary, linear, dot, sum_values), with
    shared nodes; its root is the last node made. Any number may turn up, nan and inf too."""
    nodes = [Value(draw(numbers), label=f"x{i}") for i in range(draw(st.integers(1, 4)))]
    pick = st.integers(0, 10**6).map(lambda i: nodes[i % len(nodes)])
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["unary", "binary", "binary", "variadic"]))
        if kind == "unary":
            nodes.append(draw(st.sampled_from(UNARY))(draw(pick)))
        elif kind == "binary":
            nodes.append(draw(st.sampled_from(BINARY))(draw(pick), draw(pick)))
        else:
            size = draw(st.integers(1, 3))
            xs = [draw(pick) for _ in range(size)]
            ys = [draw(pick) for _ in range(size)]
            which = draw(st.sampled_from(["linear", "dot", "sum"]))
            if which == "linear":
                nodes.append(autograd.linear(xs, ys, draw(pick)))
            elif which == "dot":
                nodes.append(autograd.dot(xs, ys))
            else:
                nodes.append(autograd.sum_values(xs + ys))
    return nodes[-1]


def priors(draw: st.DrawFn, nodes: list[Value]) -> list[float]:
    """A starting .grad for each node: mostly 0.0, sometimes -0.0 or another number."""
    choice = st.one_of(st.just(0.0), st.just(0.0), st.just(-0.0), numbers)
    return [draw(choice) for _ in nodes]

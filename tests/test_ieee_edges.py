"""No op raises on IEEE edge inputs: every combination of 0, -0.0, ±1e-300, ±1e300, ±inf and nan.

Forward, plain backward, backward with create_graph=True and the second derivatives through it,
micrograd's node-by-node ``_backward()``, and the functions on plain numbers: each gives floats
(inf and nan included), never a ``math domain error``, an OverflowError or a ZeroDivisionError.
What the numbers must be is PyTorch's business (tests/test_torch_oracle.py); this file needs no
torch and checks that nothing raises, for every op, a number on either side of every operator,
and users' ops whose Python arithmetic does raise (the engine re-evaluates them with IEEE
semantics).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import pytest

import autograd
from autograd import Value, define_op, define_variadic_op, grad

inf, nan = math.inf, math.nan
EDGES = [0.0, -0.0, 1e-300, -1e-300, 1e300, -1e300, inf, -inf, nan]

# Users' ops written with plain Python arithmetic, which raises at the edges (1 / 0, 1e300 ** 2):
# the engine catches that and evaluates the rule again with IEEE floats.
reciprocal = define_op("reciprocal", lambda x: 1 / x, lambda x, out: -1 / x**2)
softsign = define_op("softsign", lambda x: x / (1 + abs(x)), lambda x, out: 1 / (1 + abs(x)) ** 2)
ratio = define_op(
    "ratio", lambda x, y: x / y, lambda x, y, out: 1 / y, lambda x, y, out: -x / y**2
)
product = define_variadic_op(
    "product", math.prod,
    lambda xs, out: tuple(math.prod(xs[:i] + xs[i + 1:]) for i in range(len(xs))),
)
mean_square = define_variadic_op(
    "mean_square", lambda xs: sum(x * x for x in xs) / len(xs),
    lambda xs, out: tuple(2 * x / len(xs) for x in xs),
)

BINARY = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "/": lambda x, y: x / y,
    "**": lambda x, y: x**y,
}

OPS: dict[str, tuple[int, Callable[..., Any]]] = {
    **{f"x {name} y": (2, fn) for name, fn in BINARY.items()},
    # A plain number on either side: it becomes a constant leaf (x ** c is its own op).
    **{f"x {name} {c!r}": (1, lambda x, fn=fn, c=c: fn(x, c))
       for (name, fn), c in itertools.product(BINARY.items(), EDGES)},
    **{f"{c!r} {name} x": (1, lambda x, fn=fn, c=c: fn(c, x))
       for (name, fn), c in itertools.product(BINARY.items(), EDGES)},
    "-x": (1, lambda x: -x),
    "abs": (1, abs),
    **{name: (1, getattr(Value, name)) for name in (
        "exp", "log", "tanh", "sigmoid", "relu", "leaky_relu", "softplus", "sin", "cos", "sqrt",
    )},
    **{f"leaky_relu slope {c!r}": (1, lambda x, c=c: x.leaky_relu(c)) for c in EDGES},
    "sum_values": (3, lambda a, b, c: autograd.sum_values([a, b, c])),
    "dot": (4, lambda a, b, c, d: autograd.dot([a, b], [c, d])),
    "linear": (3, lambda w, x, b: autograd.linear([w], [x], b)),
    "reciprocal (define_op)": (1, reciprocal),
    "softsign (define_op)": (1, softsign),
    "ratio (define_op)": (2, ratio),
    "product (define_variadic_op)": (3, lambda a, b, c: product(a, b, c)),
    "mean_square (define_variadic_op)": (2, lambda a, b: mean_square(a, b)),
}


def points(arity: int):
    return itertools.product(EDGES, repeat=arity)


def is_float(x: Any) -> bool:
    return type(x) is float


@pytest.mark.parametrize("name", list(OPS))
def test_no_op_raises_at_any_edge_forward_or_backward(name):
    arity, op = OPS[name]
    for point in points(arity):
        leaves = [Value(x) for x in point]
        out = op(*leaves)
        assert is_float(out.data), f"{name} at {point}: value {out.data!r}"
        firsts = grad(out, leaves, materialize_grads=True)
        assert all(map(is_float, firsts)), f"{name} at {point}: gradients {firsts!r}"
        out.backward()
        assert [leaf.grad for leaf in leaves] == pytest.approx(firsts, nan_ok=True)
        built = grad(out, leaves, create_graph=True, materialize_grads=True)
        for first in built:  # second derivatives: backward through the partials' own graph
            seconds = grad(first, leaves, materialize_grads=True)
            assert all(map(is_float, seconds)), f"{name} at {point}: {seconds!r}"


@pytest.mark.parametrize("name", list(OPS))
def test_micrograd_node_by_node_backward_never_raises_at_the_edges(name):
    arity, op = OPS[name]
    for point in points(arity):
        leaves = [Value(x) for x in point]
        out = op(*leaves)
        out.grad = 1.0
        for node in reversed(out.graph()):
            node._backward()
        assert all(is_float(leaf.grad) for leaf in leaves), f"{name} at {point}"


FUNCTIONS = ["exp", "log", "tanh", "sigmoid", "relu", "leaky_relu", "softplus", "sin", "cos",
             "sqrt"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_functions_on_plain_numbers_never_raise_at_the_edges(name):
    function = getattr(autograd, name)
    for x in EDGES:
        result = function(x)
        assert is_float(result), f"autograd.{name}({x!r}) = {result!r}"
        assert same(result, function(Value(x)).data), f"autograd.{name}({x!r})"
    for a, b in points(2):
        assert same(autograd.dot([a], [b]), autograd.dot([Value(a)], [b]).data)
        assert same(autograd.linear([a], [b], a), autograd.linear([Value(a)], [b], a).data)
        assert same(autograd.sum_values([a, b]), autograd.sum_values([a, Value(b)]).data)


def same(a: float, b: float) -> bool:
    """Equal as IEEE bit patterns would say: nan is nan, and the sign of zero counts."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def test_a_rule_that_raises_even_in_ieee_arithmetic_names_the_op():
    # math.exp raises OverflowError on IEEE floats too: that is the user's rule, and the error
    # says which op, which rule, at which inputs, and what to use instead.
    bad_exp = define_op("bad_exp", math.exp, lambda x, out: out)
    with pytest.raises(ArithmeticError) as error:
        bad_exp(Value(1000.0))
    message = str(error.value)
    assert "op 'bad_exp'" in message and "forward" in message and "1000.0" in message
    assert "autograd's exp" in message

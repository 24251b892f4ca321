"""Every op in one table: a closed-form value and derivative written here, a domain, the kinks.

The machinery below runs each line, at random points of the domain (hypothesis) and on both
sides of every kink: value and gradient against the closed form, and gradients against central
differences (gradcheck); second derivatives through grad(create_graph=True) (gradgradcheck).
Gradients are back-propagated from a function of the op's output, (op * 1.7 + 0.3).sin(), so the
engine has to multiply its local derivative by an upstream gradient that is not 1.
"""

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Value, define_op, define_variadic_op, grad, gradcheck, gradgradcheck

inf, nan = math.inf, math.nan


def interval(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


REAL = interval(-3.0, 3.0)
POSITIVE = interval(0.5, 4.0)
NEAR_ZERO_UP = interval(0.05, 4.0)  # log and sqrt: towards the edge of their domain
NONZERO = st.one_of(interval(-4.0, -0.2), interval(0.2, 4.0))
# At an exponent of exactly 0, x ** y follows PyTorch: d/dx is the constant 0 (so 0 * 0 ** -1
# gives no nan), which also makes d/dy(d/dx) 0 there instead of x ** -1, as in PyTorch.
EXPONENT = REAL.filter(lambda y: y != 0.0)
KINK_CLEARANCE = 1e-3  # random points stay this far from a kink; the kink tests go closer


@dataclass(frozen=True)
class Case:
    name: str
    op: Callable[..., Any]  # the op applied through the engine
    value: Callable[..., float]  # closed form of the value
    derivative: Callable[..., Any]  # closed form: d/dx (one input) or a tuple of partials
    domain: tuple[st.SearchStrategy[float], ...]
    kinks: tuple[float, ...]  # where a derivative (first or second) jumps

    def partials(self, *point: float) -> tuple[float, ...]:
        d = self.derivative(*point)
        return tuple(d) if isinstance(d, tuple) else (d,)

    def points(self) -> st.SearchStrategy[list[float]]:
        point = st.tuples(*self.domain).map(list)
        return point.filter(
            lambda p: all(abs(x - k) > KINK_CLEARANCE for x in p for k in self.kinks)
        )


def case(name, op, value, derivative, *domain, kinks=()) -> Case:
    return Case(name, op, value, derivative, domain, kinks)


# ----- user ops, declared as a user would -------------------------------------------------------

softsign = define_op(
    "softsign", lambda x: x / (1 + abs(x)), lambda x, out: 1 / (1 + abs(x)) ** 2
)
logaddexp = define_op(
    "logaddexp", lambda x, y: max(x, y) + math.log1p(math.exp(-abs(x - y))),
    lambda x, y, out: autograd.sigmoid(x - y),
    lambda x, y, out: autograd.sigmoid(y - x),
)
fma = define_op(
    "fma", lambda x, y, z: x * y + z,
    lambda x, y, z, out: y, lambda x, y, z, out: x, lambda x, y, z, out: 1.0,
)
norm = define_variadic_op(
    "norm", lambda xs: math.sqrt(sum(x * x for x in xs)),
    lambda xs, out: tuple(x / out for x in xs),
)


def sech2(x):
    return 1 / np.cosh(x) ** 2


def sigmoid_cf(x):
    return 1 / (1 + np.exp(-x))


# ----- the table: one line per op --------------------------------------------------------------
# closed forms use numpy and formulas of their own, never the engine's code

OPS = [
    case("x + c", lambda x: x + 2.5, lambda x: x + 2.5, lambda x: 1.0, REAL),
    case("c + x", lambda x: 2.5 + x, lambda x: 2.5 + x, lambda x: 1.0, REAL),
    case("x - c", lambda x: x - 2.5, lambda x: x - 2.5, lambda x: 1.0, REAL),
    case("c - x", lambda x: 2.5 - x, lambda x: 2.5 - x, lambda x: -1.0, REAL),
    case("x * c", lambda x: x * -1.5, lambda x: -1.5 * x, lambda x: -1.5, REAL),
    case("c * x", lambda x: -1.5 * x, lambda x: -1.5 * x, lambda x: -1.5, REAL),
    case("x / c", lambda x: x / 4.0, lambda x: 0.25 * x, lambda x: 0.25, REAL),
    case("c / x", lambda x: 3.0 / x, lambda x: 3.0 / x, lambda x: -3.0 / (x * x), NONZERO),
    case("x + y", operator.add, lambda x, y: x + y, lambda x, y: (1.0, 1.0), REAL, REAL),
    case("x - y", operator.sub, lambda x, y: x - y, lambda x, y: (1.0, -1.0), REAL, REAL),
    case("x * y", operator.mul, lambda x, y: x * y, lambda x, y: (y, x), REAL, REAL),
    case("x / y", operator.truediv, lambda x, y: x / y, lambda x, y: (1 / y, -x / y**2), REAL,
         NONZERO),
    case("x * x", lambda x: x * x, lambda x: x**2, lambda x: 2 * x, REAL),
    case("x ** 2", lambda x: x**2, lambda x: x * x, lambda x: 2 * x, REAL),
    case("x ** 3", lambda x: x**3, lambda x: x * x * x, lambda x: 3 * x * x, REAL),
    case("x ** 0", lambda x: x**0, lambda x: 1.0, lambda x: 0.0, REAL),
    case("x ** -1", lambda x: x**-1, lambda x: 1 / x, lambda x: -1 / (x * x), NONZERO),
    case("x ** -2", lambda x: x**-2, lambda x: 1 / (x * x), lambda x: -2 / x**3, NONZERO),
    case("x ** 0.5", lambda x: x**0.5, np.sqrt, lambda x: 0.5 / np.sqrt(x), POSITIVE),
    case("x ** -2.5", lambda x: x**-2.5, lambda x: np.exp(-2.5 * np.log(x)),
         lambda x: -2.5 * np.exp(-3.5 * np.log(x)), POSITIVE),
    case("c ** x", lambda x: 1.7**x, lambda x: np.exp(x * np.log(1.7)),
         lambda x: np.log(1.7) * np.exp(x * np.log(1.7)), REAL),
    case("x ** y", operator.pow, lambda x, y: np.exp(y * np.log(x)),
         lambda x, y: (y * np.exp((y - 1) * np.log(x)), np.log(x) * np.exp(y * np.log(x))),
         POSITIVE, EXPONENT),
    case("-x", operator.neg, lambda x: -x, lambda x: -1.0, REAL),
    case("abs", abs, np.abs, np.sign, REAL, kinks=(0.0,)),
    case("exp", Value.exp, np.exp, np.exp, REAL),
    case("log", Value.log, np.log, lambda x: 1 / x, NEAR_ZERO_UP),
    case("tanh", Value.tanh, lambda x: np.expm1(2 * x) / (np.expm1(2 * x) + 2), sech2, REAL),
    case("sigmoid", Value.sigmoid, sigmoid_cf, lambda x: np.exp(-x) * sigmoid_cf(x) ** 2, REAL),
    case("relu", Value.relu, lambda x: max(x, 0.0), lambda x: float(x > 0), REAL, kinks=(0.0,)),
    case("leaky_relu", Value.leaky_relu, lambda x: x if x > 0 else x / 100,
         lambda x: 1.0 if x > 0 else 0.01, REAL, kinks=(0.0,)),
    case("leaky_relu(0.2)", lambda x: x.leaky_relu(0.2), lambda x: max(x, x / 5),
         lambda x: 1.0 if x > 0 else 0.2, REAL, kinks=(0.0,)),
    case("softplus", Value.softplus, lambda x: np.log1p(np.exp(x)), sigmoid_cf, REAL),
    case("sin", Value.sin, np.sin, np.cos, REAL),
    case("cos", Value.cos, np.cos, lambda x: -np.sin(x), REAL),
    case("sqrt", Value.sqrt, lambda x: x**0.5, lambda x: 0.5 * x**-0.5, NEAR_ZERO_UP),
    case("autograd.tanh", autograd.tanh, np.tanh, sech2, REAL),
    case("sum_values", lambda a, b, c: autograd.sum_values([a, b, c]), lambda a, b, c: a + b + c,
         lambda a, b, c: (1.0, 1.0, 1.0), REAL, REAL, REAL),
    case("dot", lambda a, b, c, d: autograd.dot([a, b], [c, d]), lambda a, b, c, d: a * c + b * d,
         lambda a, b, c, d: (c, d, a, b), REAL, REAL, REAL, REAL),
    case("linear", lambda w, v, x, y, b: autograd.linear([w, v], [x, y], b),
         lambda w, v, x, y, b: w * x + v * y + b, lambda w, v, x, y, b: (x, y, w, v, 1.0),
         REAL, REAL, REAL, REAL, REAL),
    case("softsign (define_op)", softsign, lambda x: x / (1 + abs(x)),
         lambda x: (1 + abs(x)) ** -2, REAL, kinks=(0.0,)),
    case("logaddexp (define_op)", logaddexp, lambda x, y: np.log(np.exp(x) + np.exp(y)),
         lambda x, y: (sigmoid_cf(x - y), sigmoid_cf(y - x)), REAL, REAL),
    case("fma (define_op, 3 inputs)", fma, lambda x, y, z: x * y + z,
         lambda x, y, z: (y, x, 1.0), REAL, REAL, REAL),
    case("norm (define_variadic_op)", norm, lambda *xs: np.hypot.reduce(xs),
         lambda *xs: tuple(x / np.hypot.reduce(xs) for x in xs), NONZERO, NONZERO, NONZERO),
]
KINKS = [(c, kink) for c in OPS for kink in c.kinks]


# ----- the machinery, once ---------------------------------------------------------------------


def upstream(out):
    """A function of the op's output to back-propagate from: its slope is not 1."""
    return (out * 1.7 + 0.3).sin()


def upstream_slope(value: float) -> float:
    return 1.7 * math.cos(1.7 * value + 0.3)


def through_upstream(c: Case) -> Callable[..., Any]:
    return lambda *xs: upstream(c.op(*xs))


def assert_close(actual: float, expected: float, what: str) -> None:
    assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12), (
        f"{what}: engine {actual!r}, closed form {float(expected)!r}"
    )


def check_against_closed_form(c: Case, point: list[float]) -> None:
    leaves = [Value(x) for x in point]
    out = c.op(*leaves)
    expected_value = c.value(*point)
    assert_close(out.data, expected_value, f"{c.name} at {point}: value")
    grads = grad(upstream(out), leaves)
    slope = upstream_slope(expected_value)
    for i, (g, partial) in enumerate(zip(grads, c.partials(*point), strict=True)):
        assert_close(g, slope * partial, f"{c.name} at {point}: d/dx{i} through the upstream")


def ids(c: Case) -> str:
    return c.name


def kink_ids(x: Any) -> str:
    return x.name if isinstance(x, Case) else f"at {x:g}"


@pytest.mark.parametrize("c", OPS, ids=ids)
@given(data=st.data())
def test_value_and_gradient_match_the_closed_form(c, data):
    check_against_closed_form(c, data.draw(c.points(), label="point"))


@pytest.mark.parametrize("c", OPS, ids=ids)
@given(data=st.data())
def test_gradient_matches_central_differences(c, data):
    assert gradcheck(through_upstream(c), data.draw(c.points(), label="point"))


@pytest.mark.parametrize("c", OPS, ids=ids)
@given(data=st.data())
def test_second_derivatives_match_central_differences(c, data):
    assert gradgradcheck(through_upstream(c), data.draw(c.points(), label="point"))


@pytest.mark.parametrize("side", [-1.0, 1.0], ids=["left", "right"])
@pytest.mark.parametrize(("c", "kink"), KINKS, ids=kink_ids)
@given(offset=st.floats(1e-4, 0.5))
def test_both_sides_of_every_kink(c, kink, side, offset):
    point = [kink + side * offset]
    check_against_closed_form(c, point)
    assert gradcheck(through_upstream(c), point)


@pytest.mark.parametrize(("c", "kink"), KINKS, ids=kink_ids)
def test_derivative_at_the_kink_follows_pytorch(c, kink):
    # relu'(0) = 0, abs'(0) = 0, leaky_relu'(0) = slope: the closed forms above say the same.
    x = Value(kink)
    (g,) = grad(c.op(x), [x])
    assert g == c.partials(kink)[0]


# ----- IEEE edge values, as the engine issue lists them -----------------------------------------

IEEE = [
    #  name                 op                          at       value           derivative
    ("log(0)", Value.log, 0.0, -inf, inf),
    ("log(-1)", Value.log, -1.0, nan, -1.0),
    ("sqrt(-1)", Value.sqrt, -1.0, nan, nan),
    ("1 / x at 0", lambda x: 1 / x, 0.0, inf, -inf),
    ("1 / x at -0.0", lambda x: 1 / x, -0.0, -inf, -inf),
    ("x / 0 at 1", lambda x: x / 0.0, 1.0, inf, inf),
    ("x / x at 0", lambda x: x / x, 0.0, nan, nan),
    ("exp(1000)", Value.exp, 1000.0, inf, inf),
    ("exp(-1000)", Value.exp, -1000.0, 0.0, 0.0),
    ("x ** (1/3) at -8", lambda x: x ** (1 / 3), -8.0, nan, nan),
    ("x ** y at (-8, 1/3)", lambda x: x ** Value(1 / 3), -8.0, nan, nan),
    ("sigmoid(1000)", Value.sigmoid, 1000.0, 1.0, 0.0),
    ("sigmoid(-1000)", Value.sigmoid, -1000.0, 0.0, 0.0),
    ("sigmoid(-700)", Value.sigmoid, -700.0, math.exp(-700.0), math.exp(-700.0)),
    ("tanh(1000)", Value.tanh, 1000.0, 1.0, 0.0),
    ("softplus(1000)", Value.softplus, 1000.0, 1000.0, 1.0),
    ("softplus(-1000)", Value.softplus, -1000.0, 0.0, 0.0),
    ("relu at 0", Value.relu, 0.0, 0.0, 0.0),
    ("abs at 0", abs, 0.0, 0.0, 0.0),
    ("leaky_relu at 0", Value.leaky_relu, 0.0, 0.0, 0.01),
    ("sqrt at 0", Value.sqrt, 0.0, 0.0, inf),
    ("x ** 0 at 0", lambda x: x**0, 0.0, 1.0, 0.0),
]


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize(("op", "at", "value", "derivative"), [row[1:] for row in IEEE],
                         ids=[row[0] for row in IEEE])
def test_ieee_edge_values(op, at, value, derivative):
    x = Value(at)
    out = op(x)
    (g,) = grad(out, [x])
    assert same(out.data, value), f"value {out.data!r}, expected {value!r}"
    assert same(g, derivative), f"derivative {g!r}, expected {derivative!r}"


def test_an_op_declares_how_the_upstream_gradient_combines():
    import autograd
    from autograd import Value, define_op, grad

    # g * (1 / x) overflows at x = 1e-310 where g / x does not: which one ran shows.
    my_log = define_op(
        "my_log", autograd.log, lambda x, out: 1 / x, backward=(lambda g, x, out: g / x,),
    )
    x = Value(1e-310)
    assert grad(my_log(x), [x], grad_output=1e-10) == (1.0000000000000030e300,)
    my_log(x).backward(1e-10)
    assert x.grad == 1.0000000000000030e300
    (d,) = grad(my_log(x), [x], grad_output=Value(1e-10), create_graph=True)
    assert d.data == 1.0000000000000030e300
    x.grad = 0.0
    steps = list(my_log(x).backward_steps(1e-10))
    assert steps[-1].updates[0].contribution == 1.0000000000000030e300
    tape = autograd.compile(my_log(x) * 1e-10)
    x.grad = 0.0
    tape.run()
    assert x.grad == 1.0000000000000030e300


def test_a_backward_rule_must_match_the_inputs():
    import pytest

    from autograd import define_op

    with pytest.raises(TypeError, match="backward must be a tuple of 1 rule"):
        define_op("f1", lambda x: x, lambda x, out: 1.0, backward=(None, None))
    with pytest.raises(TypeError, match="upstream gradient, the 1 input"):
        define_op("f2", lambda x: x, lambda x, out: 1.0, backward=(lambda g, x: g,))

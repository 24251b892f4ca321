"""The built-in ops: each one's forward and local derivatives, declared together.

A partial takes the op's inputs and then its output, and is written with ordinary arithmetic and
the functions declared here, so the same rule serves floats (plain backward) and Values (a
backward that builds a graph, for higher derivatives). Kinks follow PyTorch: relu'(0) = 0,
abs'(0) = 0.

Compiled replay (``autograd.compile``) runs the same rules on NumPy arrays. Where a scalar rule
cannot take arrays (a Python ``if``, ``math.tanh``), its array form is declared right after it,
``vectorized=(forward, partial, ...)``, with the same values at every edge (None: the scalar
rule works on arrays as it is).
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Sequence
from numbers import Real
from typing import Any

from autograd import ieee
from autograd.op import Op, OpFunction, _registry, define_op, define_variadic_op
from autograd.value import Value
from autograd.vectorize import apply_to_arrays, is_array, np, sign, sum_of_products


def _number(x: Any) -> float:
    return x.data if isinstance(x, Value) else x


def _reflected(apply: Callable[[Any, Any], Any]) -> Callable[[Value, Any], Any]:
    """The operator for ``number OP value``: Python calls value.__rOP__(number)."""

    def reflected(self: Value, other: Any) -> Any:
        return apply(other, self)

    return reflected


# Each op below is attached to Value right after its declaration (Value.__add__ = add.op.apply):
# the op's apply builds the node, with no method in between. The forwards of +, - and * are
# Python's own operator.add, .sub and .mul (x + y, x - y, x * y): the same results as a lambda,
# on floats and on arrays, for a cheaper call on the commonest nodes.

# Used in partials declared before them (a partial runs only after the module has loaded).
log: OpFunction
cos: OpFunction


# ----- arithmetic -------------------------------------------------------------------------------

add = define_op(
    "+", operator.add,
    1.0,
    1.0,
    formula="{0} + {1}", partial_formulas=("1", "1"),
)
Value.__add__ = add.op.apply
Value.__radd__ = _reflected(add.op.apply)

sub = define_op(
    "-", operator.sub,
    1.0,
    -1.0,
    formula="{0} - {1}", partial_formulas=("1", "-1"),
)
Value.__sub__ = sub.op.apply
Value.__rsub__ = _reflected(sub.op.apply)

mul = define_op(
    "*", operator.mul,
    lambda x, y, out: y,
    lambda x, y, out: x,
    formula="{0} * {1}", partial_formulas=("{1}", "{0}"),
)
Value.__mul__ = mul.op.apply
Value.__rmul__ = _reflected(mul.op.apply)

# Python raises on x / 0; the engine then re-evaluates with IEEE semantics (±inf or nan).
div = define_op(
    "/", lambda x, y: x / y,
    lambda x, y, out: 1 / y,
    lambda x, y, out: -out / y,
    formula="{0} / {1}", partial_formulas=("1 / {1}", "-{out} / {1}"),
)
Value.__truediv__ = div.op.apply
Value.__rtruediv__ = _reflected(div.op.apply)

# ieee.power, not **: a negative base with a fractional exponent gives nan, not a complex number.
# PyTorch's convention at the edges: no gradient to the base when the exponent is 0, and none to
# the exponent where the base is 0 and the exponent non-negative (else 0 * log(0) = nan).
pow_ = define_op(
    "**", ieee.power,
    lambda x, y, out: 0.0 if _number(y) == 0.0 else y * ieee.power(x, y - 1),
    lambda x, y, out: 0.0 if _number(x) == 0.0 and _number(y) >= 0.0 else out * log(x),
    formula="{0} ** {1}", partial_formulas=("{1} · {0}^({1} - 1)", "{out} · ln {0}"),
    vectorized=(
        lambda x, y: np.power(x, y),
        lambda x, y, out: np.where(y == 0.0, 0.0, y * np.power(x, y - 1)),
        lambda x, y, out: np.where((x == 0.0) & (y >= 0.0), 0.0, out * np.log(x)),
    ),
)


def _power_by_constant(x: Any, n: float) -> Any:
    # PyTorch computes x ** ±0.5 as sqrt: sqrt(-0.0) = -0.0 and sqrt(-inf) = nan, where C's pow
    # gives 0.0 and inf. Its derivative's x ** (n - 1) goes the same way (x ** 1.5 at -inf).
    if isinstance(x, Value):
        return x**n
    if n == 0.5:
        return ieee.sqrt(x)
    if n == -0.5:
        return ieee.div(1.0, ieee.sqrt(x))
    return ieee.power(x, n)


def _power_by_constant_array(x: Any, n: float) -> Any:
    if n == 0.5:
        return np.sqrt(x)
    if n == -0.5:
        return 1.0 / np.sqrt(x)
    return np.power(x, n)


@functools.lru_cache(maxsize=256)
def power_by(n: float) -> Op:
    """The op x ** n for a constant exponent n (drawn as ``**2``, as in micrograd)."""
    return Op(
        f"**{n:g}", lambda x: _power_by_constant(x, n),
        (lambda x, out: 0.0 if n == 0.0 else n * _power_by_constant(x, n - 1),),
        formula=f"{{0}} ** {n:g}", partial_formulas=(f"{n:g} · {{0}}^{n - 1:g}",),
        vectorized=(
            lambda x: _power_by_constant_array(x, n),
            lambda x, out: 0.0 if n == 0.0 else n * _power_by_constant_array(x, n - 1),
        ),
    )


def power_apply(base: Any, exponent: Any) -> Any:
    """base ** exponent: a constant exponent makes a one-input node, a Value exponent two."""
    if isinstance(exponent, Value):
        return pow_.op.apply(base, exponent)
    if isinstance(exponent, Real) and not isinstance(exponent, bool):
        return power_by(float(exponent)).apply(base)
    return NotImplemented


Value.__pow__ = power_apply
Value.__rpow__ = _reflected(power_apply)

neg = define_op(
    "neg", lambda x: -x,
    -1.0,
    formula="-{0}", partial_formulas=("-1",),
)
Value.__neg__ = neg.op.apply

abs_ = define_op(
    "abs", abs,
    lambda x, out: ieee.sign(_number(x)),
    formula="|{0}|", partial_formulas=("sign({0})",),
    vectorized=(None, lambda x, out: sign(x)),
)
Value.__abs__ = abs_.op.apply

# ----- element functions ------------------------------------------------------------------------

exp = define_op(
    "exp", ieee.exp,
    lambda x, out: out,
    formula="exp({0})", partial_formulas=("{out}",),
    vectorized=(lambda x: np.exp(x), None),
)
Value.exp = exp.op.apply

log = define_op(
    "log", ieee.log,
    lambda x, out: 1 / x,
    formula="ln({0})", partial_formulas=("1 / {0}",),
    vectorized=(lambda x: np.log(x), None),
)
Value.log = log.op.apply

tanh = define_op(
    "tanh", math.tanh,
    lambda x, out: 1 - out * out,
    formula="tanh({0})", partial_formulas=("1 - {out}²",),
    vectorized=(lambda x: np.tanh(x), None),
)
Value.tanh = tanh.op.apply


def _sigmoid(x: float) -> float:
    # Only ever exp of a non-positive number: no overflow at ±1000, and exact in both tails.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = ieee.exp(x)
    return e / (1.0 + e)


def _sigmoid_array(x: Any) -> Any:
    # The same two branches, each on the side where its exp cannot overflow.
    e = np.exp(np.minimum(x, 0.0))
    return np.where(x >= 0.0, 1.0 / (1.0 + np.exp(-np.maximum(x, 0.0))), e / (1.0 + e))


sigmoid = define_op(
    "sigmoid", _sigmoid,
    lambda x, out: out * (1 - out),
    formula="σ({0})", partial_formulas=("{out} · (1 - {out})",),
    vectorized=(_sigmoid_array, None),
)
Value.sigmoid = sigmoid.op.apply

# As in PyTorch: relu(nan) is nan and relu(-0.0) is -0.0; the derivative is 0 at 0 and 1 at nan
# (only x <= 0 stops it).
relu = define_op(
    "relu", lambda x: 0.0 if x < 0.0 else x,
    lambda x, out: 0.0 if out <= 0.0 else 1.0,
    formula="relu({0})", partial_formulas=("1 if {out} > 0 else 0",),
    vectorized=(
        lambda x: np.where(x <= 0.0, 0.0, x),
        lambda x, out: np.where(out <= 0.0, 0.0, 1.0),
    ),
)
Value.relu = relu.op.apply


@functools.lru_cache(maxsize=64)
def _leaky_relu_op(slope: float, sign: float) -> Op:
    # `sign` keeps slopes 0.0 and -0.0 apart: they are equal keys to the cache, but x * slope
    # differs in the sign of zero.
    return Op(
        "leaky_relu", lambda x: x if x > 0.0 else slope * x,
        (lambda x, out: 1.0 if x > 0.0 else slope,),
        formula=f"leaky_relu({{0}}, {slope:g})",
        partial_formulas=(f"1 if {{0}} > 0 else {slope:g}",),
        vectorized=(
            lambda x: np.where(x > 0.0, x, slope * x),
            lambda x, out: np.where(x > 0.0, 1.0, slope),
        ),
    )


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Any:
    """x if x > 0 else negative_slope * x, on a Value or a number."""
    if not isinstance(negative_slope, Real) or isinstance(negative_slope, bool):
        raise TypeError(
            f"leaky_relu: negative_slope must be a real number, got {negative_slope!r}"
        )
    slope = float(negative_slope)
    op = _leaky_relu_op(slope, math.copysign(1.0, slope))
    result = op.apply(x)
    if result is NotImplemented and is_array(x):
        return apply_to_arrays(op, (x,))
    if result is NotImplemented:
        raise TypeError(f"leaky_relu() takes a Value or a real number, got {type(x).__name__}")
    return result


Value.leaky_relu = leaky_relu  # type: ignore[assignment]  # x is the method's self


def _softplus(x: float) -> float:
    # log(1 + e^x) without overflow: for x > 0 it equals x + log(1 + e^-x).
    if x > 0.0:
        return x + math.log1p(math.exp(-x))
    return math.log1p(ieee.exp(x))


def _softplus_array(x: Any) -> Any:
    positive = np.maximum(x, 0.0)
    return np.where(
        x > 0.0, positive + np.log1p(np.exp(-positive)), np.log1p(np.exp(np.minimum(x, 0.0)))
    )


softplus = define_op(
    "softplus", _softplus,
    lambda x, out: sigmoid(x),
    formula="softplus({0})", partial_formulas=("σ({0})",),
    vectorized=(_softplus_array, None),
)
Value.softplus = softplus.op.apply


def _sin(x: float) -> float:
    try:
        return math.sin(x)
    except ValueError:  # sin(±inf)
        return ieee.nan


def _cos(x: float) -> float:
    try:
        return math.cos(x)
    except ValueError:  # cos(±inf)
        return ieee.nan


sin = define_op(
    "sin", _sin,
    lambda x, out: cos(x),
    formula="sin({0})", partial_formulas=("cos({0})",),
    vectorized=(lambda x: np.sin(x), None),
)
Value.sin = sin.op.apply

cos = define_op(
    "cos", _cos,
    lambda x, out: -sin(x),
    formula="cos({0})", partial_formulas=("-sin({0})",),
    vectorized=(lambda x: np.cos(x), None),
)
Value.cos = cos.op.apply

sqrt = define_op(
    "sqrt", ieee.sqrt,
    lambda x, out: 0.5 / out,
    formula="√{0}", partial_formulas=("1 / (2 · {out})",),
    vectorized=(lambda x: np.sqrt(x), None),
)
Value.sqrt = sqrt.op.apply

# ----- many inputs, one node -------------------------------------------------------------------
# A neuron's weighted sum as one node: the same numbers as 2n binary "*" and "+" nodes, with a
# fraction of the Python objects (and so of the time and memory).

# Sums start from -0.0, IEEE's additive identity: sum() starts from 0, and 0 + -0.0 is 0.0, so
# the sum of negative zeros would be +0.0 where x + y gives -0.0.
_sum = define_variadic_op(
    "sum", lambda xs: sum(xs, -0.0),
    lambda xs, out: (1.0,) * len(xs),
    formula="Σ xᵢ",
    # From -0.0 too, as the scalar rule: NumPy's own sum would start from 0.0.
    vectorized=(
        lambda xs: np.add.reduce(xs[:], axis=0, initial=-0.0),
        lambda xs, out: (np.ones((len(xs), 1, 1)),),
    ),
)


def _dot_forward(xs_then_ys: Sequence[Any]) -> Any:
    n = len(xs_then_ys) // 2
    return sum(map(operator.mul, xs_then_ys[:n], xs_then_ys[n:]), -0.0)


def _dot_partials(xs_then_ys: Sequence[Any], out: Any) -> tuple[Any, ...]:
    n = len(xs_then_ys) // 2
    return (*xs_then_ys[n:], *xs_then_ys[:n])  # d/dx_i = y_i, d/dy_i = x_i


_dot = define_variadic_op(
    "dot", _dot_forward, _dot_partials, formula="Σ xᵢ·yᵢ",
    vectorized=(
        # BLAS sums from 0.0: an all-negative-zero product sum is 0.0 here, -0.0 eagerly.
        lambda xs: sum_of_products(xs[:len(xs) // 2], xs[len(xs) // 2:]),
        lambda xs, out: (xs[len(xs) // 2:], xs[:len(xs) // 2]),
    ),
)


def _linear_forward(weights_inputs_bias: Sequence[Any]) -> Any:
    n = len(weights_inputs_bias) // 2
    weighted = sum(map(operator.mul, weights_inputs_bias[:n], weights_inputs_bias[n:-1]), -0.0)
    return weighted + weights_inputs_bias[-1]


def _linear_partials(weights_inputs_bias: Sequence[Any], out: Any) -> tuple[Any, ...]:
    n = len(weights_inputs_bias) // 2
    # d/dw_i = x_i, d/dx_i = w_i, d/db = 1
    return (*weights_inputs_bias[n:-1], *weights_inputs_bias[:n], 1.0)


def _linear_forward_array(xs: Any) -> Any:
    n = len(xs) // 2
    # BLAS sums from 0.0: only the sign of an all-zero weighted sum can differ from eager.
    return sum_of_products(xs[:n], xs[n:-1]) + xs[-1]


_linear = define_variadic_op(
    "linear", _linear_forward, _linear_partials, formula="Σ wᵢ·xᵢ + b",
    # The partials as blocks of inputs: weights get the inputs, inputs the weights, the bias 1.
    vectorized=(
        _linear_forward_array,
        lambda xs, out: (xs[len(xs) // 2:-1], xs[:len(xs) // 2], 1.0),
    ),
)


def sum_values(values: Sequence[Any]) -> Any:
    """The sum of ``values`` as one node (Python's ``sum`` makes a chain of n - 1 additions)."""
    values = list(values)
    if not values:
        raise ValueError("sum_values() needs at least one value")
    return _sum(*values)


def dot(xs: Sequence[Any], ys: Sequence[Any]) -> Any:
    """Σ xᵢ·yᵢ as one node."""
    _check_lengths("dot", "xs", xs, "ys", ys)
    return _dot(*xs, *ys)


def linear(weights: Sequence[Any], inputs: Sequence[Any], bias: Any = 0.0) -> Any:
    """Σ wᵢ·xᵢ + b as one node: a neuron's pre-activation."""
    _check_lengths("linear", "weights", weights, "inputs", inputs)
    # Straight to the op's apply: this runs once per neuron per sample.
    node = _apply_linear(*weights, *inputs, bias)
    if node is NotImplemented:
        return _linear(*weights, *inputs, bias)  # raises the TypeError naming the bad input
    return node


_apply_linear = _linear.op.apply


def _check_lengths(name: str, a_name: str, a: Sequence[Any], b_name: str, b: Sequence[Any]) -> None:
    if len(a) != len(b):
        raise ValueError(f"{name}(): {a_name} has {len(a)} items but {b_name} has {len(b)}")
    if not a:
        raise ValueError(f"{name}(): needs at least one pair of values")


# micrograd's spelling of an op name, for Value(data, children, "ReLU").
_registry["ReLU"] = relu.op

"""The built-in ops: each one's forward and local derivatives, declared together.

A partial takes the op's inputs and then its output, and is written with ordinary arithmetic and
the functions declared here, so the same rule serves floats (plain backward) and Values (a
backward that builds a graph, for higher derivatives). Kinks follow PyTorch: relu'(0) = 0,
abs'(0) = 0.

Each op computes as PyTorch's CPU float64 kernels do (docs/numerics.md): the same formulas,
thresholds and special cases, and, where ``g * partial`` would round differently from PyTorch's
backward, a ``backward`` rule per input saying how the upstream gradient g combines
(``g / x`` for log).

Compiled replay (``autograd.compile``) runs the same rules on NumPy arrays. Where a scalar rule
cannot take arrays (a Python ``if``, ``math.tanh``), its array form is declared right after it,
``vectorized=(forward, partial, ...)`` and ``vectorized_backward=(...)``, with the same values
at every edge (None: the scalar rule works on arrays as it is).
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Sequence
from numbers import Real
from typing import Any

from autograd import ieee
from autograd.op import (
    Op,
    OpFunction,
    _registry,
    define_op,
    define_variadic_op,
    keep_builtin_names,
)
from autograd.value import Value
from autograd.vectorize import apply_to_arrays, elementwise, is_array, np, sign, sum_of_products


def _number(x: Any) -> float:
    return x._data if isinstance(x, Value) else x


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
    backward=(lambda g, x, y, out: g / y, None),  # g / y, not g * (1 / y)
)
Value.__truediv__ = div.op.apply
Value.__rtruediv__ = _reflected(div.op.apply)

# ieee.power, not **: a negative base with a fractional exponent gives nan, not a complex number.
# PyTorch's convention at the edges: no gradient to the base when the exponent is 0, and none to
# the exponent where the base is 0 and the exponent non-negative (else 0 * log(0) = nan).
# On a graph (higher derivatives) those zeros are "untaken" nodes: 0, but the derivative of what
# they stand in for times 0, so the second derivative of 0 ** y is nan (0 · log 0), as in PyTorch.
_untaken = Op("untaken", lambda x: 0.0, (0.0,), formula="0 · {0}", partial_formulas=("0",))


def _pow_partial_base(x: Any, y: Any, out: Any) -> Any:
    if _number(y) != 0.0:
        return y * ieee.power(x, y - 1)
    return _untaken.apply(y * x ** (y - 1)) if isinstance(y, Value) else 0.0


def _pow_backward_base(g: Any, x: Any, y: Any, out: Any) -> Any:
    # PyTorch's zero for exponent 0 is +0.0 whatever g is (g * 0.0 would be -0.0 for g < 0).
    if isinstance(y, Value) or y != 0.0:
        return g * _pow_partial_base(x, y, out)
    return 0.0


def _pow_partial_exponent(x: Any, y: Any, out: Any) -> Any:
    if not (_number(x) == 0.0 and _number(y) >= 0.0):
        return out * log(x)
    return _untaken.apply(out * log(x)) if isinstance(x, Value) else 0.0


pow_ = define_op(
    "**", ieee.power,
    _pow_partial_base,
    _pow_partial_exponent,
    formula="{0} ** {1}", partial_formulas=("{1} · {0}^({1} - 1)", "{out} · ln {0}"),
    backward=(_pow_backward_base, None),
    # C's pow element by element: NumPy's differs in the last bit (1e300 ** -1).
    vectorized=(
        lambda x, y: elementwise(ieee.power, x, y),
        lambda x, y, out: np.where(y == 0.0, 0.0, y * elementwise(ieee.power, x, y - 1)),
        lambda x, y, out: np.where((x == 0.0) & (y >= 0.0), 0.0, out * np.log(x)),
    ),
    vectorized_backward=(
        lambda g, x, y, out: np.where(
            y == 0.0, 0.0, g * (y * elementwise(ieee.power, x, y - 1))
        ),
        None,
    ),
)


def _power_by_constant(x: Any, n: float) -> Any:
    # PyTorch's special exponents: ±0.5 as sqrt (sqrt(-0.0) = -0.0 and sqrt(-inf) = nan, where
    # C's pow gives 0.0 and inf), -1, 2, 3 and -2 by multiplying and dividing, which rounds
    # differently from pow (x ** 3 is (x * x) * x; 1e155 ** -2 is 1 / inf = 0, not 1e-310).
    # Its derivative's x ** (n - 1) goes the same way (x ** 1.5 at -inf).
    if isinstance(x, Value):
        return x**n
    if n == 2.0:
        return x * x
    if n == 0.5:
        return ieee.sqrt(x)
    if n == 3.0:
        return x * x * x
    if n == -1.0:
        return ieee.div(1.0, x)
    if n == -2.0:
        return ieee.div(1.0, x * x)
    if n == -0.5:
        return ieee.div(1.0, ieee.sqrt(x))
    return ieee.power(x, n)


def _power_by_constant_array(x: Any, n: float) -> Any:
    if n == 2.0:
        return x * x
    if n == 0.5:
        return np.sqrt(x)
    if n == 3.0:
        return x * x * x
    if n == -1.0:
        return 1.0 / x
    if n == -2.0:
        return 1.0 / (x * x)
    if n == -0.5:
        return 1.0 / np.sqrt(x)
    return elementwise(lambda base: ieee.power(base, n), x)  # C's pow, as eagerly


@functools.lru_cache(maxsize=256)
def power_by(n: float) -> Op:
    """The op x ** n for a constant exponent n (drawn as ``**2``, as in micrograd)."""
    if n == 0.0:  # x ** 0 = 1: PyTorch's gradient is +0.0 whatever the upstream gradient is
        return Op(
            "**0", lambda x: 1.0, (0.0,), formula="{0} ** 0", partial_formulas=("0",),
            backward=(lambda g, x, out: 0.0,),
            vectorized=(lambda x: np.ones_like(x), None),
            vectorized_backward=(lambda g, x, out: np.zeros_like(g),),
        )
    return Op(
        f"**{n:g}", lambda x: _power_by_constant(x, n),
        (lambda x, out: n * _power_by_constant(x, n - 1),),
        formula=f"{{0}} ** {n:g}", partial_formulas=(f"{n:g} · {{0}}^{n - 1:g}",),
        vectorized=(
            lambda x: _power_by_constant_array(x, n),
            lambda x, out: n * _power_by_constant_array(x, n - 1),
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

# The largest x whose exp is finite: above it exp overflows to inf.
_EXP_LIMIT = 709.782712893384


def _exp(x: float) -> float:
    # NumPy's exp and log, not math's: they give PyTorch's CPU exp and log bit for bit (glibc's
    # differ in the last bit for about 4% of inputs), and compiled replay computes the same.
    if x <= _EXP_LIMIT:
        return float(np.exp(x))
    return x if x != x else ieee.inf


def _log(x: float) -> float:
    if x > 0.0:
        return float(np.log(x))
    return ieee.log(x)  # -inf at 0, nan below (where numpy would warn)


exp = define_op(
    "exp", _exp,
    lambda x, out: out,
    formula="exp({0})", partial_formulas=("{out}",),
    vectorized=(lambda x: np.exp(x), None),
)
Value.exp = exp.op.apply

log = define_op(
    "log", _log,
    lambda x, out: 1 / x,
    formula="ln({0})", partial_formulas=("1 / {0}",),
    backward=(lambda g, x, out: g / x,),  # not g * (1 / x): 1e-10 / 1e-310 is finite
    vectorized=(lambda x: np.log(x), None),
)
Value.log = log.op.apply

# 2 ** 27 + 1: splits a float into two halves whose products are exact (Veltkamp, Dekker).
_SPLITTER = 134217729.0


def _one_minus_square(y: Any) -> Any:
    """1 - y², rounded once, as C's fma(-y, y, 1) (PyTorch's compiled tanh backward); for
    |y| <= 1, on floats and arrays. On a Value (a graph, for higher derivatives): 1 - y * y."""
    if isinstance(y, Value):
        return 1 - y * y
    square = y * y
    scaled = _SPLITTER * y
    high = scaled - (scaled - y)
    low = y - high
    square_error = ((high * high - square) + 2 * high * low) + low * low  # y*y - square, exact
    difference = 1 - square
    difference_error = (1 - difference) - square  # exact, as 1 >= square
    return difference + (difference_error - square_error)


tanh = define_op(
    "tanh", math.tanh,
    lambda x, out: _one_minus_square(out),
    formula="tanh({0})", partial_formulas=("1 - {out}²",),
    vectorized=(lambda x: np.tanh(x), None),
)
Value.tanh = tanh.op.apply


def _sigmoid(x: float) -> float:
    # PyTorch's formula: 1 / (1 + e^-x) is 1 / inf = 0 below -709, never a subnormal.
    return 1.0 / (1.0 + ieee.exp(-x))


def _sigmoid_array(x: Any) -> Any:
    return 1.0 / (1.0 + elementwise(ieee.exp, -x))  # C's exp, as eagerly (NumPy's differs)


sigmoid = define_op(
    "sigmoid", _sigmoid,
    lambda x, out: out * (1 - out),
    formula="σ({0})", partial_formulas=("{out} · (1 - {out})",),
    backward=(lambda g, x, out: (g * (1 - out)) * out,),
    vectorized=(_sigmoid_array, None),
)
Value.sigmoid = sigmoid.op.apply

# As in PyTorch: relu(nan) is nan and relu(-0.0) is -0.0; the derivative is 0 at 0 and 1 at nan
# (only out <= 0 stops it), and what stops is +0.0 whatever the sign of the upstream gradient.
relu = define_op(
    "relu", lambda x: 0.0 if x < 0.0 else x,
    lambda x, out: 0.0 if out <= 0.0 else 1.0,
    formula="relu({0})", partial_formulas=("1 if {out} > 0 else 0",),
    backward=(lambda g, x, out: 0.0 if out <= 0.0 else g,),
    vectorized=(
        lambda x: np.where(x < 0.0, 0.0, x),
        lambda x, out: np.where(out <= 0.0, 0.0, 1.0),
    ),
    vectorized_backward=(lambda g, x, out: np.where(out <= 0.0, 0.0, g),),
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


# PyTorch's threshold: above it softplus(x) is x itself, and its derivative 1.
SOFTPLUS_THRESHOLD = 20.0


def _softplus(x: float) -> float:
    if x > SOFTPLUS_THRESHOLD:
        return x
    return math.log1p(math.exp(x))


def _softplus_array(x: Any) -> Any:
    below = np.minimum(x, SOFTPLUS_THRESHOLD)
    return np.where(x > SOFTPLUS_THRESHOLD, x, np.log1p(elementwise(ieee.exp, below)))


def _c_exp(x: Any) -> Any:
    # PyTorch's softplus takes C's exp (math.exp), not the vectorised one of the exp op.
    return exp(x) if isinstance(x, Value) else ieee.exp(x)


def _softplus_partial(x: Any, out: Any) -> Any:
    if x > SOFTPLUS_THRESHOLD:
        return 1.0
    z = _c_exp(x)
    return z / (z + 1)


def _softplus_backward(g: Any, x: Any, out: Any) -> Any:
    if x > SOFTPLUS_THRESHOLD:
        return g
    z = _c_exp(x)
    return (g * z) / (z + 1)


def _softplus_partial_array(x: Any, out: Any) -> Any:
    z = elementwise(ieee.exp, np.minimum(x, SOFTPLUS_THRESHOLD))
    return np.where(x > SOFTPLUS_THRESHOLD, 1.0, z / (z + 1))


def _softplus_backward_array(g: Any, x: Any, out: Any) -> Any:
    z = elementwise(ieee.exp, np.minimum(x, SOFTPLUS_THRESHOLD))
    return np.where(x > SOFTPLUS_THRESHOLD, g, (g * z) / (z + 1))


softplus = define_op(
    "softplus", _softplus,
    _softplus_partial,
    formula="softplus({0})", partial_formulas=("σ({0})",),
    backward=(_softplus_backward,),
    vectorized=(_softplus_array, _softplus_partial_array),
    vectorized_backward=(_softplus_backward_array,),
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
    backward=(lambda g, x, out: g / (2 * out),),
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
keep_builtin_names()

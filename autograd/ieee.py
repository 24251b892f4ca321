"""IEEE 754 float64 arithmetic for Python floats, as PyTorch float64 computes it.

Python's float operations raise where IEEE arithmetic returns a special value: ``1 / 0`` raises
ZeroDivisionError, ``10.0 ** 400`` raises OverflowError, ``math.log(0)`` raises ValueError and
``(-8) ** (1/3)`` returns a complex number. The engine never wants any of that mid-computation, so
its built-in ops use the functions here, and a user's op that raises one of those errors is
evaluated again with :class:`IEEEFloat` arguments, whose operators follow IEEE.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

inf = math.inf
nan = math.nan

# The errors Python raises where IEEE arithmetic would return inf or nan.
FLOAT_ERRORS = (ArithmeticError, ValueError)


def _is_odd_integer(y: float) -> bool:
    return y.is_integer() and y % 2.0 == 1.0


def div(x: float, y: float) -> float:
    """x / y, with inf or nan where y is zero."""
    try:
        return x / y
    except ZeroDivisionError:
        if x == 0.0 or x != x:
            return nan
        # The sign of zero decides the sign of the infinity: 1 / -0.0 = -inf.
        return math.copysign(inf, x) * math.copysign(1.0, y)


def power(x: float, y: float) -> float:
    """x ** y, with C99 pow's special values: nan for a negative base and a fractional exponent."""
    try:
        result = x**y
    except ZeroDivisionError:
        # 0 ** negative: +inf, except -0.0 ** (negative odd integer) = -inf.
        return -inf if _is_odd_integer(y) and math.copysign(1.0, x) < 0 else inf
    except OverflowError:
        if x < 0 and not y.is_integer():
            return nan
        return -inf if x < 0 and _is_odd_integer(y) else inf
    if result.__class__ is complex:
        return nan
    return result


def exp(x: float) -> float:
    """e ** x, inf on overflow."""
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def log(x: float) -> float:
    """Natural logarithm: -inf at 0, nan below 0."""
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -inf
    return nan  # negative or nan


def sqrt(x: float) -> float:
    """Square root: nan below 0 (sqrt(-0.0) is -0.0, as IEEE says)."""
    if x >= 0.0 or x != x:
        return math.sqrt(x)
    return nan


def sign(x: float) -> float:
    """-1.0, 0.0 or 1.0: the derivative of abs, 0 at the kink and at nan, as in PyTorch."""
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return 0.0


class IEEEFloat(float):
    """A float whose operators return inf or nan instead of raising.

    Used to re-evaluate a user's forward or partial that raised a float error; slow, so the engine
    takes this path only after an error.
    """

    __slots__ = ()

    def __truediv__(self, other: Any) -> IEEEFloat:
        return IEEEFloat(div(float(self), float(other)))

    def __rtruediv__(self, other: Any) -> IEEEFloat:
        return IEEEFloat(div(float(other), float(self)))

    # An IEEEFloat, not float's complex for a negative base: the point of this class.
    def __pow__(self, other: Any) -> IEEEFloat:  # type: ignore[override]
        return IEEEFloat(power(float(self), float(other)))

    def __rpow__(self, other: Any) -> IEEEFloat:  # type: ignore[override]
        return IEEEFloat(power(float(other), float(self)))


def _keep_ieee(name: str) -> Callable[..., IEEEFloat]:
    method = getattr(float, name)

    def wrapped(self: float, *other: Any) -> IEEEFloat:
        result = method(self, *other)
        return result if result is NotImplemented else IEEEFloat(result)

    wrapped.__name__ = name
    return wrapped


# So that an expression like 1 / (1 + x) keeps IEEE semantics all the way through.
for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
              "__neg__", "__pos__", "__abs__"):
    setattr(IEEEFloat, _name, _keep_ieee(_name))


def _as_ieee(arg: Any) -> Any:
    if arg.__class__ is float:
        return IEEEFloat(arg)
    if arg.__class__ is list:  # a variadic op's inputs
        return [_as_ieee(a) for a in arg]
    return arg


def call_ieee(function: Callable[..., Any], args: tuple[float, ...]) -> Any:
    """Evaluate ``function`` on ``args`` with IEEE arithmetic (after it raised a float error)."""
    result = function(*[_as_ieee(a) for a in args])
    return float(result) if isinstance(result, float) else result

"""Activation functions by name (applied to a neuron's pre-activation `Value`), and as modules
(`ReLU()`, `Tanh()`, ...) to put in a `Sequential`, as in PyTorch."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from autograd import Value

from .module import Module

Activation = Callable[[Value], Value]

ACTIVATIONS: dict[str, Activation] = {
    "relu": lambda v: v.relu(),
    "leaky_relu": lambda v: v.leaky_relu(0.01),
    "tanh": lambda v: v.tanh(),
    "sigmoid": lambda v: v.sigmoid(),
    "softplus": lambda v: v.softplus(),
    "linear": lambda v: v,
}


def resolve_activation(activation: str | None) -> str:
    """The activation's name, checked: None means "linear"; an unknown name is a ValueError."""
    if activation is None:
        return "linear"
    if not isinstance(activation, str):
        raise TypeError(
            f"activation must be a name (str) such as 'relu'; got {type(activation).__name__}"
        )
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {activation!r}; choose one of: {', '.join(ACTIVATIONS)}"
        )
    return activation


def _elementwise(function: Activation, x: Any) -> Any:
    """`function` on a Value or number, or on each item of a (nested) list."""
    if isinstance(x, (list, tuple)):
        return [_elementwise(function, item) for item in x]
    return function(x if isinstance(x, Value) else Value(x))


class ReLU(Module):
    """max(0, x), elementwise (a Value, a list, or a batch of lists)."""

    def forward(self, x: Any) -> Any:
        return _elementwise(ACTIVATIONS["relu"], x)


class Tanh(Module):
    """tanh(x), elementwise."""

    def forward(self, x: Any) -> Any:
        return _elementwise(ACTIVATIONS["tanh"], x)


class Sigmoid(Module):
    """1 / (1 + e^-x), elementwise."""

    def forward(self, x: Any) -> Any:
        return _elementwise(ACTIVATIONS["sigmoid"], x)


class Softplus(Module):
    """log(1 + e^x), elementwise (PyTorch's `beta=1`)."""

    def forward(self, x: Any) -> Any:
        return _elementwise(ACTIVATIONS["softplus"], x)


class LeakyReLU(Module):
    """x for x > 0, else `negative_slope`·x, elementwise."""

    negative_slope: float

    def __init__(self, negative_slope: float = 0.01) -> None:
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, numbers.Real):
            raise TypeError(
                f"LeakyReLU: negative_slope must be a number; got {type(negative_slope).__name__}"
            )
        self.negative_slope = float(negative_slope)

    def forward(self, x: Any) -> Any:
        return _elementwise(lambda v: v.leaky_relu(self.negative_slope), x)

    def __repr__(self) -> str:
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class Identity(Module):
    """Returns its input unchanged (a placeholder, as in PyTorch)."""

    def forward(self, x: Any) -> Any:
        return x


# The module for each activation name (None for "linear": nothing to apply).
ACTIVATION_MODULES: dict[str, type[Module] | None] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "softplus": Softplus,
    "linear": None,
}

"""Activation functions by name, applied to a neuron's pre-activation `Value`."""

from __future__ import annotations

from collections.abc import Callable

from autograd import Value

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

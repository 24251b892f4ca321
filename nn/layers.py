"""Neuron, Layer and MLP: the fully connected networks of micrograd, with names and options."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd
from autograd import Value

from .activations import ACTIVATIONS, resolve_activation
from .init import resolve_scheme, sample_weights
from .module import Module
from .random import resolve_generator

Input = Value | float | Sequence[Value | float]


def check_size(name: str, size: object, meaning: str) -> int:
    """`size` as a positive int, else a TypeError/ValueError naming `name` and what it means."""
    if isinstance(size, bool) or not isinstance(size, numbers.Integral):
        raise TypeError(f"{name} ({meaning}) must be an int; got {type(size).__name__}")
    if size < 1:
        raise ValueError(f"{name} ({meaning}) must be at least 1; got {size}")
    return int(size)


def as_inputs(x: Input, nin: int, who: str) -> Sequence[Value | float]:
    """The input as a sequence of `nin` items; a single Value or number counts as one input."""
    if isinstance(x, (Value, numbers.Real)):
        x = (x,)
    elif isinstance(x, np.ndarray) and x.ndim == 1:
        x = x.tolist()  # a numpy row, as micrograd's demo data comes
    elif not isinstance(x, (list, tuple)):
        raise TypeError(
            f"{who} takes a list of {nin} Values or numbers; got {type(x).__name__}"
        )
    if len(x) != nin:
        raise ValueError(f"{who} expects {nin} input(s); got {len(x)}")
    return x


def _activation_from(activation: str | None, nonlin: bool | None) -> str:
    # micrograd's Neuron(nin, nonlin=True/False) means ReLU or linear.
    if nonlin is not None:
        return "relu" if nonlin else "linear"
    return resolve_activation(activation)


class Neuron(Module):
    """One neuron: activation(w · x + b), weights drawn by `init`, bias starting at 0."""

    def __init__(
        self,
        nin: int,
        activation: str | None = "relu",
        bias: bool = True,
        *,
        nonlin: bool | None = None,
        init: str = "uniform",
        fan_out: int = 1,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        """`nonlin` is micrograd's switch (True: relu, False: linear) and overrides
        `activation`; `fan_out` only matters to Xavier init (a Layer passes its width). With no
        `rng` the weights come from Python's `random`, drawn as micrograd draws them (seed it
        with `random.seed` or `nn.manual_seed`); a seed or numpy Generator draws them instead."""
        self.nin = check_size("nin", nin, "the number of inputs")
        self.activation = _activation_from(activation, nonlin)
        generator = None if rng is None else resolve_generator(rng)  # None: Python's random
        weights = sample_weights(init, self.nin, fan_out, generator)
        self.w = [Value(weight) for weight in weights]
        self.b = Value(0.0) if bias else None

    def __call__(self, x: Input) -> Value:
        return self._fire(as_inputs(x, self.nin, "Neuron"))

    def _fire(self, x: Sequence[Value | float]) -> Value:
        """The neuron on inputs already checked (a Layer checks them once for all its neurons)."""
        # One "linear" node for w · x + b: the same numbers as 2·nin "*" and "+" nodes, faster.
        total = autograd.linear(self.w, x, 0.0 if self.b is None else self.b)
        return ACTIVATIONS[self.activation](total)

    def __repr__(self) -> str:
        no_bias = "" if self.b is not None else ", bias=False"
        return f"Neuron({self.nin}, activation={self.activation!r}{no_bias})"


class Layer(Module):
    """`nout` neurons reading the same inputs; a layer of one neuron returns a single Value."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | None = "relu",
        bias: bool = True,
        *,
        nonlin: bool | None = None,
        init: str = "uniform",
        rng: int | np.random.Generator | None = None,
    ) -> None:
        nin = check_size("nin", nin, "the number of inputs")
        nout = check_size("nout", nout, "the number of neurons")
        activation = _activation_from(activation, nonlin)
        init = resolve_scheme(init)
        generator = None if rng is None else resolve_generator(rng)
        self.neurons = [
            Neuron(nin, activation, bias, init=init, fan_out=nout, rng=generator)
            for _ in range(nout)
        ]

    def __call__(self, x: Input) -> Value | list[Value]:
        x = as_inputs(x, self.neurons[0].nin, "Layer")
        # Numbers become leaves once here, not once per neuron.
        x = [v if isinstance(v, Value) else Value(v) for v in x]
        outputs = [neuron._fire(x) for neuron in self.neurons]
        return outputs[0] if len(outputs) == 1 else outputs

    def __repr__(self) -> str:
        first = self.neurons[0]
        no_bias = "" if first.b is not None else ", bias=False"
        return (
            f"Layer({first.nin}, {len(self.neurons)}, activation={first.activation!r}{no_bias})"
        )


class MLP(Module):
    """Layers of sizes `nouts` on `nin` inputs: `activation` between layers, `output_activation`
    (None: linear) on the last. `MLP(2, [16, 16, 1])` is micrograd's moons classifier."""

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | None = "relu",
        output_activation: str | None = None,
        *,
        bias: bool = True,
        init: str = "uniform",
        rng: int | np.random.Generator | None = None,
    ) -> None:
        nin = check_size("nin", nin, "the number of inputs")
        if not isinstance(nouts, (list, tuple)):
            raise TypeError(
                f"nouts must be a list of layer sizes, such as [16, 16, 1]; got {nouts!r}"
            )
        if not nouts:
            raise ValueError("nouts must list at least one layer size, such as [16, 16, 1]")
        sizes = [nin] + [
            check_size(f"nouts[{i}]", size, "a layer size") for i, size in enumerate(nouts)
        ]
        hidden = resolve_activation(activation)
        last = resolve_activation(output_activation)
        generator = None if rng is None else resolve_generator(rng)
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                last if i == len(nouts) - 1 else hidden,
                bias,
                init=init,
                rng=generator,
            )
            for i in range(len(nouts))
        ]

    def __call__(self, x: Input) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

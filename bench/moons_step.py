"""micrograd's moons training step, three ways, from the same weights and data.

One step: the scores of 100 samples from MLP(2, [16, 16, 1]), the mean hinge loss plus
1e-4 * (sum of squared parameters), backward, and an SGD update. Each implementation's
``step()`` returns the loss before the update; all three must agree on it.
"""

from __future__ import annotations

from collections.abc import Callable

import nn
from bench.floor import FloorMLP

ALPHA = 1e-4
LEARNING_RATE = 0.05
SIZES = (2, 16, 16, 1)


def make_problem(seed: int = 0) -> tuple[list[list[float]], list[float], nn.MLP]:
    """The moons data (labels -1/+1) and a chainrule MLP whose weights all three start from."""
    xs, ys = nn.datasets.make_moons(100, noise=0.1, labels=(-1, 1), seed=seed)
    model = nn.MLP(SIZES[0], list(SIZES[1:]), rng=seed)
    return xs, [float(y) for y in ys], model


def layer_weights(model: nn.MLP) -> list[tuple[list[list[float]], list[float]]]:
    """The model's weights as plain lists: layers of (rows of weights, biases)."""
    return [
        ([[w.data for w in neuron.w] for neuron in layer.neurons],
         [neuron.b.data for neuron in layer.neurons])
        for layer in model.layers
    ]


def chainrule_step(xs, ys, model: nn.MLP) -> Callable[[], float]:
    """The step as a chainrule user writes it, with nn's losses and optimizer."""
    optimizer = nn.optim.SGD(model.parameters(), lr=LEARNING_RATE)

    def step() -> float:
        scores = [model(x) for x in xs]
        loss = nn.hinge_loss(scores, ys) + nn.l2_penalty(model, alpha=ALPHA)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.data

    return step


def micrograd_step(xs, ys, weights) -> Callable[[], float]:
    """The step as micrograd's demo writes it, fed Python floats."""
    from micrograd.engine import Value
    from micrograd.nn import MLP

    model = MLP(SIZES[0], list(SIZES[1:]))
    for layer, (rows, biases) in zip(model.layers, weights):
        for neuron, row, bias in zip(layer.neurons, rows, biases):
            for w, value in zip(neuron.w, row):
                w.data = value
            neuron.b.data = bias
    parameters = model.parameters()

    def step() -> float:
        inputs = [list(map(Value, x)) for x in xs]
        scores = list(map(model, inputs))
        losses = [(1 + -y * score).relu() for y, score in zip(ys, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        loss = data_loss + ALPHA * sum(p * p for p in parameters)
        model.zero_grad()
        loss.backward()
        for p in parameters:
            p.data -= LEARNING_RATE * p.grad
        return loss.data

    return step


def floor_step(xs, ys, weights) -> Callable[[], float]:
    """The step written by hand with floats and lists."""
    floor = FloorMLP([([list(row) for row in rows], list(biases)) for rows, biases in weights])
    return lambda: floor.step(xs, ys, ALPHA, LEARNING_RATE)

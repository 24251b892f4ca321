"""The moons step written the lecture's way: binary ``*`` and ``+`` nodes on chainrule Values.

A learner who follows the lecture writes a neuron as its bias plus each weight times its input,
added one at a time, and the loss with Python's ``sum``. Every weight then costs two nodes and
every sum a chain of additions: the graph ``nn``'s fused ``linear`` nodes avoid. This module
builds that graph from the same weights and data as the other implementations of the step.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

import autograd
import nn
from autograd import Value
from bench.moons_step import ALPHA, LEARNING_RATE

Layers = list[tuple[list[list[Value]], list[Value]]]


def lecture_parameters(weights) -> Layers:
    """The weights (as ``layer_weights`` gives them) as Values: layers of (rows, biases)."""
    return [
        ([[Value(w) for w in row] for row in rows], [Value(b) for b in biases])
        for rows, biases in weights
    ]


def lecture_loss(layers: Layers, xs, ys) -> Value:
    """The mean hinge loss plus ALPHA times the sum of squared parameters, node by node."""
    scores = []
    for x in xs:
        activations = [Value(v) for v in x]
        for k, (rows, biases) in enumerate(layers):
            outputs = []
            for row, bias in zip(rows, biases):
                total = bias
                for w, a in zip(row, activations):
                    total = total + w * a
                outputs.append(total if k == len(layers) - 1 else total.relu())
            activations = outputs
        scores.append(activations[0])
    losses = [(1 + -y * score).relu() for y, score in zip(ys, scores)]
    squares = sum(p * p for p in all_parameters(layers))
    return sum(losses) * (1.0 / len(losses)) + ALPHA * squares


def all_parameters(layers: Layers) -> list[Value]:
    return [p for rows, biases in layers for row, b in zip(rows, biases) for p in (*row, b)]


def lecture_step(xs, ys, weights) -> Callable[[], float]:
    """The step eagerly, in a plain training loop as the lecture writes it: build the loss,
    zero the gradients, backward, SGD on ``.data``. Returns the loss before the update."""
    layers = lecture_parameters(weights)
    parameters = all_parameters(layers)

    def step() -> float:
        loss = lecture_loss(layers, xs, ys)
        for p in parameters:
            p.grad = 0.0
        loss.backward()
        for p in parameters:
            p.data -= LEARNING_RATE * p.grad
        return loss.data

    step.layers = layers  # type: ignore[attr-defined]
    return step


def lecture_compiled_step(xs, ys, weights) -> Callable[[], float]:
    """The lecture-style graph compiled once; each step replays it (``tape.run()``) and takes
    an SGD step. Returns the loss before the update, as the other steps do."""
    layers = lecture_parameters(weights)
    optimizer = nn.optim.SGD(all_parameters(layers), lr=LEARNING_RATE)
    tape = autograd.compile(lecture_loss(layers, xs, ys))

    def step() -> float:
        optimizer.zero_grad()
        value = tape.run()
        optimizer.step()
        return value

    step.tape = tape  # type: ignore[attr-defined]
    step.layers = layers  # type: ignore[attr-defined]  # keeps the parameters alive
    return step


def lecture_compile_seconds(xs, ys, weights) -> float:
    """Seconds ``autograd.compile`` takes on the lecture-style graph (built beforehand)."""
    layers = lecture_parameters(weights)
    loss = lecture_loss(layers, xs, ys)
    gc.collect()
    start = time.perf_counter()
    autograd.compile(loss)
    return time.perf_counter() - start

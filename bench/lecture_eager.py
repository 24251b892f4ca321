"""The moons step as a learner writes it after the lecture, run eagerly on chainrule Values.

The model is the learner's own: a neuron adds its weights times its inputs to its bias with
Python's ``sum`` (one ``*`` and one ``+`` node per weight), and the loss is built from the same
binary nodes. ``nn``'s fused ``linear`` nodes make a graph about 15 times smaller; this is the
graph people write before they meet them, and the one the engine must run fast without help.
"""

from __future__ import annotations

from collections.abc import Callable

from autograd import Value
from bench.moons_step import ALPHA, LEARNING_RATE


class LectureNeuron:
    def __init__(self, weights: list[float], bias: float, nonlinear: bool) -> None:
        self.w = [Value(w) for w in weights]
        self.b = Value(bias)
        self.nonlinear = nonlinear

    def __call__(self, x: list[Value]) -> Value:
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlinear else act

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]


class LectureMLP:
    """ReLU hidden layers and a linear output, from ``layer_weights``' lists of floats."""

    def __init__(self, weights) -> None:
        last = len(weights) - 1
        self.layers = [
            [LectureNeuron(row, bias, k < last) for row, bias in zip(rows, biases)]
            for k, (rows, biases) in enumerate(weights)
        ]

    def __call__(self, x: list[Value]) -> Value:
        for layer in self.layers:
            x = [neuron(x) for neuron in layer]
        return x[0]

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for neuron in layer for p in neuron.parameters()]


def lecture_step(xs, ys, weights) -> Callable[[], float]:
    """The step in a plain training loop: build the loss, zero the gradients, backward, SGD."""
    model = LectureMLP(weights)
    parameters = model.parameters()

    def step() -> float:
        inputs = [[Value(v) for v in x] for x in xs]
        scores = [model(x) for x in inputs]
        losses = [(1 + -y * score).relu() for y, score in zip(ys, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        loss = data_loss + ALPHA * sum(p * p for p in parameters)
        for p in parameters:
            p.grad = 0.0
        loss.backward()
        for p in parameters:
            p.data -= LEARNING_RATE * p.grad
        return loss.data

    step.model = model  # type: ignore[attr-defined]
    return step

"""A tiny MLP from plain Values with dotted parameter names, standing in for nn.MLP in tests."""

from __future__ import annotations

import random

from autograd import Value


class StandInMLP:
    """Neurons tanh(w·x + b) in layers, the last layer linear; names like layers.0.neurons.3.w.1."""

    def __init__(self, n_inputs: int, sizes: list[int], seed: int = 0) -> None:
        rng = random.Random(seed)
        self.layers: list[list[tuple[list[Value], Value]]] = []
        widths = [n_inputs, *sizes]
        for fan_in, fan_out in zip(widths, widths[1:]):
            self.layers.append(
                [
                    ([Value(rng.uniform(-1, 1)) for _ in range(fan_in)], Value(0.0))
                    for _ in range(fan_out)
                ]
            )

    def named_parameters(self) -> list[tuple[str, Value]]:
        pairs = []
        for depth, layer in enumerate(self.layers):
            for j, (weights, bias) in enumerate(layer):
                prefix = f"layers.{depth}.neurons.{j}"
                pairs += [(f"{prefix}.w.{i}", w) for i, w in enumerate(weights)]
                pairs.append((f"{prefix}.b", bias))
        return pairs

    def __call__(self, inputs: list[Value]) -> Value:
        activations = inputs
        for depth, layer in enumerate(self.layers):
            last = depth == len(self.layers) - 1
            outputs = []
            for weights, bias in layer:
                total = sum((w * a for w, a in zip(weights, activations)), bias)
                outputs.append(total if last else total.tanh())
            activations = outputs
        return activations[0]


def squared_error_loss(model: StandInMLP, samples: int, seed: int = 1) -> tuple[Value, list]:
    """Sum of (model(x) - y)² over labelled random samples; returns (loss, inputs)."""
    rng = random.Random(seed)
    n_inputs = len(model.layers[0][0][0])
    inputs = [
        [Value(rng.uniform(-2, 2), label=f"x{k}.{i}") for i in range(n_inputs)]
        for k in range(samples)
    ]
    targets = [rng.choice([-1.0, 1.0]) for _ in range(samples)]
    loss = sum(((model(x) - y) ** 2 for x, y in zip(inputs, targets)), Value(0.0))
    loss.label = "loss"
    loss.backward()
    return loss, inputs

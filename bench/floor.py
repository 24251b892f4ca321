"""The floor: micrograd's moons training step written by hand with floats and lists, no graph.

An MLP with ReLU hidden layers and a linear output, max-margin (hinge) loss averaged over the
samples plus alpha * (sum of squared parameters), and one SGD step. This is what any scalar
engine's step costs at least in Python: the arithmetic, and nothing else.
"""

from __future__ import annotations

Matrix = list[list[float]]


class FloorMLP:
    """Weights as lists of rows: layers[k] = (W, b) with W[j] the weights of neuron j."""

    def __init__(self, layers: list[tuple[Matrix, list[float]]]) -> None:
        self.layers = layers

    def step(self, xs: Matrix, ys: list[float], alpha: float, lr: float) -> float:
        """Forward, backward and an SGD update; returns the loss before the update."""
        n = len(xs)
        grads = [
            ([[0.0] * len(row) for row in weights], [0.0] * len(bias))
            for weights, bias in self.layers
        ]
        data_loss = 0.0
        last = len(self.layers) - 1
        for x, y in zip(xs, ys):
            # forward, keeping each layer's input and pre-activation
            inputs, pre = [], []
            a = x
            for k, (weights, bias) in enumerate(self.layers):
                z = [sum(w * v for w, v in zip(row, a)) + b for row, b in zip(weights, bias)]
                inputs.append(a)
                pre.append(z)
                a = z if k == last else [v if v > 0.0 else 0.0 for v in z]
            score = a[0]
            margin = 1.0 - y * score
            if margin <= 0.0:
                continue  # relu(margin) is 0 and so is its gradient
            data_loss += margin
            # backward: d(loss)/d(score) for this sample's share of the mean
            upstream = [-y / n]
            for k in range(last, -1, -1):
                weights, _ = self.layers[k]
                grad_w, grad_b = grads[k]
                a = inputs[k]
                if k != last:
                    upstream = [g if z > 0.0 else 0.0 for g, z in zip(upstream, pre[k])]
                for j, g in enumerate(upstream):
                    grad_b[j] += g
                    row = grad_w[j]
                    for i, v in enumerate(a):
                        row[i] += g * v
                if k:
                    upstream = [
                        sum(upstream[j] * weights[j][i] for j in range(len(weights)))
                        for i in range(len(a))
                    ]
        squares = 0.0
        for (weights, bias), (grad_w, grad_b) in zip(self.layers, grads):
            for row, grad_row in zip(weights, grad_w):
                for i, w in enumerate(row):
                    squares += w * w
                    grad_row[i] += 2.0 * alpha * w
            for j, b in enumerate(bias):
                squares += b * b
                grad_b[j] += 2.0 * alpha * b
        loss = data_loss / n + alpha * squares
        for (weights, bias), (grad_w, grad_b) in zip(self.layers, grads):
            for row, grad_row in zip(weights, grad_w):
                for i, g in enumerate(grad_row):
                    row[i] -= lr * g
            for j, g in enumerate(grad_b):
                bias[j] -= lr * g
        return loss

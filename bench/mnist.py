"""A training step at MNIST size (784-256-10, ReLU, cross-entropy, Adam, batch 64), three ways.

From the same weights and batches: chainrule's compiled loss with the parameters held in arrays
(``train_on_arrays``), the same compiled loss stepped one Value at a time (``nn.optim``), and a
hand-written NumPy matrix implementation. Each step returns the batch's loss before its update,
so the benchmark can check that all three train alike.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import nn

SIZES = (784, 256, 10)
BATCH = 64
LEARNING_RATE = 1e-3
BETAS = (0.9, 0.999)
EPS = 1e-8


def make_problem(
    batches: int, seed: int = 0, hidden: int = SIZES[1]
) -> tuple[list[np.ndarray], list[np.ndarray], nn.MLP]:
    """Random "images" (pixels in [0, 1]) with labels, in batches, and the model all start from."""
    rng = np.random.default_rng(seed)
    X = [rng.random((BATCH, SIZES[0])) for _ in range(batches)]
    y = [rng.integers(0, SIZES[-1], BATCH) for _ in range(batches)]
    return X, y, nn.MLP(SIZES[0], [hidden, SIZES[-1]], init="he", rng=seed)


def model_arrays(model: nn.MLP) -> list[tuple[np.ndarray, np.ndarray]]:
    """The model's layers as (W, b), W shaped (inputs, outputs)."""
    return [
        (np.array([[w.data for w in neuron.w] for neuron in layer.neurons]).T,
         np.array([neuron.b.data for neuron in layer.neurons]))
        for layer in model.layers
    ]


class NumpyMLP:
    """The step written by hand on matrices: what NumPy itself costs for it."""

    def __init__(self, layers: list[tuple[np.ndarray, np.ndarray]]) -> None:
        sizes = [w.size + b.size for w, b in layers]
        self.flat = np.empty(sum(sizes))  # every parameter in one array: Adam steps it whole
        self.params = []
        offset = 0
        for w, b in layers:
            view_w = self.flat[offset:offset + w.size].reshape(w.shape)
            view_b = self.flat[offset + w.size:offset + w.size + b.size]
            view_w[...], view_b[...] = w, b
            self.params.append((view_w, view_b))
            offset += w.size + b.size
        self.grad = np.zeros_like(self.flat)
        self.mean = np.zeros_like(self.flat)
        self.square = np.zeros_like(self.flat)
        self.steps = 0

    def step(self, X: np.ndarray, labels: np.ndarray) -> float:
        (w1, b1), (w2, b2) = self.params
        targets = np.eye(w2.shape[1])[labels]
        pre = X @ w1 + b1
        hidden = np.maximum(pre, 0.0)
        logits = hidden @ w2 + b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = float(-(targets * log_probs).sum(axis=1).mean())
        d_logits = (np.exp(log_probs) - targets) / len(X)
        d_hidden = (d_logits @ w2.T) * (pre > 0.0)
        grads = [(X.T @ d_hidden, d_hidden.sum(axis=0)),
                 (hidden.T @ d_logits, d_logits.sum(axis=0))]
        offset = 0
        for gw, gb in grads:
            self.grad[offset:offset + gw.size] = gw.ravel()
            self.grad[offset + gw.size:offset + gw.size + gb.size] = gb
            offset += gw.size + gb.size
        self._adam()
        return loss

    def _adam(self) -> None:
        self.steps += 1
        beta1, beta2 = BETAS
        g = self.grad
        self.mean += (1 - beta1) * (g - self.mean)
        self.square *= beta2
        self.square += (1 - beta2) * g * g
        step_size = LEARNING_RATE / (1 - beta1**self.steps)
        denominator = np.sqrt(self.square) / np.sqrt(1 - beta2**self.steps) + EPS
        self.flat -= step_size * self.mean / denominator


def numpy_step(model: nn.MLP) -> Callable[[np.ndarray, np.ndarray], float]:
    return NumpyMLP(model_arrays(model)).step


def _compiled_parts(model: nn.MLP):
    optimizer = nn.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=BETAS, eps=EPS)
    loss_step = nn.compile_loss(
        model, nn.compiled.soft_cross_entropy, SIZES[0], n_targets=SIZES[-1]
    )
    return optimizer, loss_step


def arrays_step(model: nn.MLP, X: np.ndarray, y: np.ndarray) -> tuple[Callable, Callable]:
    """``train_on_arrays``: returns the step and the function that ends the hold. The graph
    is compiled here, on one sample, and not in the first step."""
    optimizer, loss_step = _compiled_parts(model)
    loss_step.compile(X[:1], y[:1])
    training = loss_step.train_on_arrays(optimizer)
    return training.step, training.close


def per_parameter_step(model: nn.MLP, X: np.ndarray, y: np.ndarray) -> Callable:
    """The compiled loss with ``nn.optim``'s step, one Value at a time (the path before
    ``train_on_arrays``)."""
    optimizer, loss_step = _compiled_parts(model)
    loss_step.compile(X[:1], y[:1])

    def step(X: np.ndarray, y: np.ndarray) -> float:
        optimizer.zero_grad()
        loss = loss_step(X, y)
        optimizer.step()
        return loss

    return step


def mnist_step(repeats: int, quick: bool = False) -> dict[str, Any]:
    """Seconds per step of the three, interleaved, each on the same batches in the same order
    from the same weights: their losses agree step by step. The per-parameter path takes a
    few steps only (it is the slow one)."""
    hidden = 32 if quick else SIZES[1]
    rounds = max(3, 2 * repeats)
    X, y, model = make_problem(rounds, hidden=hidden)
    with_numpy = numpy_step(model)
    with_arrays, close = arrays_step(model, X[0], y[0])
    _, _, model_again = make_problem(rounds, hidden=hidden)
    per_parameter = per_parameter_step(model_again, X[0], y[0])
    steps = {"numpy": with_numpy, "compiled_arrays": with_arrays,
             "compiled_per_parameter": per_parameter}
    times: dict[str, list[float]] = {name: [] for name in steps}
    losses: dict[str, list[float]] = {name: [] for name in steps}
    try:
        for k in range(rounds):
            for name, step in steps.items():
                if name == "compiled_per_parameter" and k >= 3:
                    continue
                gc.collect()
                start = time.perf_counter()
                losses[name].append(step(X[k], y[k]))
                times[name].append(time.perf_counter() - start)
    finally:
        close()
    for name, sequence in losses.items():
        for ours, reference in zip(sequence, losses["numpy"]):
            assert abs(ours - reference) <= 1e-9 * abs(reference), (name, ours, reference)
    # The first step of each pays for warming up caches and BLAS: the median of the rest.
    medians = {name: statistics.median(t[1:]) for name, t in times.items()}
    return {
        "sizes": [SIZES[0], hidden, SIZES[-1]],
        "batch": BATCH,
        "parameters": model.num_parameters(),
        "seconds_per_step": medians,
        "arrays_times_numpy": medians["compiled_arrays"] / medians["numpy"],
        "arrays_speedup_over_per_parameter": (
            medians["compiled_per_parameter"] / medians["compiled_arrays"]
        ),
    }


def format_rows(r: dict[str, Any]) -> list[str]:
    s = r["seconds_per_step"]
    sizes = "-".join(map(str, r["sizes"]))
    lines = [f"a training step at MNIST size (MLP {sizes}, {r['parameters']:,} parameters, "
             f"batch {r['batch']}, cross-entropy, Adam; same losses step by step)"]
    for name, title in (("numpy", "hand-written NumPy (matrices)"),
                        ("compiled_arrays", "compiled, parameters held in arrays"),
                        ("compiled_per_parameter", "compiled, nn.optim one Value at a time")):
        lines.append(f"  {title:<40} {s[name] * 1e3:8.2f} ms   {1 / s[name]:7.1f} steps/s")
    lines.append(
        f"  on arrays: {r['arrays_times_numpy']:.2f}x NumPy's time, "
        f"{r['arrays_speedup_over_per_parameter']:.1f}x faster than one Value at a time"
    )
    return lines

"""Compiled replay in the benchmark: the moons step replayed, a digits-shaped epoch, compile cost.

The moons steps here start from the same weights as the other three implementations and return
the loss before their update, so the benchmark checks they agree with them.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

import autograd
import nn
from autograd import Value
from bench import graphs
from bench.moons_step import ALPHA, LEARNING_RATE, SIZES

DIGITS_SAMPLES = 1797  # the size of scikit-learn's digits set, 8x8 images
DIGITS_SIZES = (64, 32, 10)
DIGITS_BATCH = 64


# ----- the moons step, replayed -----------------------------------------------------------------


def _moons_model(seed: int) -> nn.MLP:
    return nn.MLP(SIZES[0], list(SIZES[1:]), rng=seed)  # the weights make_problem(seed) makes


def compiled_step(xs, ys, seed: int = 0) -> Callable[[], float]:
    """The whole step's graph (100 samples) compiled once, replayed by ``tape.run()``."""
    model = _moons_model(seed)
    optimizer = nn.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    loss = nn.hinge_loss([model(x) for x in xs], ys) + nn.l2_penalty(model, alpha=ALPHA)
    tape = autograd.compile(loss)
    del loss

    def step() -> float:
        optimizer.zero_grad()
        value = tape.run()
        optimizer.step()
        return value

    step.model = model  # type: ignore[attr-defined]  # keeps the parameters alive
    return step


def compiled_batch_step(xs, ys, seed: int = 0) -> Callable[[], float]:
    """One sample's graph, run on the batch of 100 by ``nn.compile_loss``: the mean over samples
    of (hinge + L2) is the step's loss, the L2 term being the same for every sample."""
    model = _moons_model(seed)
    optimizer = nn.optim.SGD(model.parameters(), lr=LEARNING_RATE)

    def per_sample(score: Value, target: Value) -> Value:
        return nn.hinge_loss(score, target) + nn.l2_penalty(model, alpha=ALPHA)

    loss_step = nn.compile_loss(model, per_sample, n_inputs=SIZES[0])
    features, targets = np.array(xs), np.array(ys)
    loss_step(features, targets)  # the first call traces and compiles: not part of a step

    def step() -> float:
        optimizer.zero_grad()
        value = loss_step(features, targets)
        optimizer.step()
        return value

    return step


# ----- a digits-shaped epoch ----------------------------------------------------------------


def digits_problem(
    seed: int = 0, samples: int = DIGITS_SAMPLES
) -> tuple[np.ndarray, np.ndarray, nn.MLP]:
    """Random 8x8 "images" (pixels 0..16 as in the digits set) and labels; timing only."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 17, (samples, DIGITS_SIZES[0])) / 16.0
    y = rng.integers(0, DIGITS_SIZES[-1], samples)
    return X, y, nn.MLP(DIGITS_SIZES[0], list(DIGITS_SIZES[1:]), rng=seed)


def digits_epoch(repeats: int, quick: bool = False) -> dict[str, Any]:
    """Forward + backward over all 1,797 samples: compiled in one batch, compiled in batches of
    64, and eager (one graph per batch of 64, as a chainrule training loop builds it)."""
    samples = 256 if quick else DIGITS_SAMPLES
    X, y, model = digits_problem(samples=samples)
    loss_step = nn.compile_loss(
        model, nn.compiled.soft_cross_entropy, DIGITS_SIZES[0], n_targets=DIGITS_SIZES[-1]
    )

    def full_batch() -> float:
        model.zero_grad()
        return loss_step(X, y)

    def batches() -> float:
        model.zero_grad()
        losses = [loss_step(X[i:i + DIGITS_BATCH], y[i:i + DIGITS_BATCH])
                  for i in range(0, samples, DIGITS_BATCH)]
        return float(np.mean(losses))

    def eager() -> float:
        model.zero_grad()
        losses = []
        for i in range(0, samples, DIGITS_BATCH):
            logits = [model(row) for row in X[i:i + DIGITS_BATCH]]
            loss = nn.cross_entropy(logits, [int(label) for label in y[i:i + DIGITS_BATCH]])
            loss.backward()
            losses.append(loss.data)
        return float(np.mean(losses))

    full_batch()  # the first call traces and compiles: timed apart, in compile_cost
    runs = {"compiled_full_batch": full_batch, f"compiled_batches_of_{DIGITS_BATCH}": batches}
    times: dict[str, list[float]] = {name: [] for name in runs}
    times["eager_batches_of_64"] = []
    for k in range(repeats):
        for name, run in runs.items():
            times[name].append(_seconds(run))
        if k < (1 if quick else 3):  # eager takes seconds an epoch: three runs give its median
            times["eager_batches_of_64"].append(_seconds(eager))
    medians = {name: statistics.median(t) for name, t in times.items()}
    return {
        "samples": samples,
        "sizes": list(DIGITS_SIZES),
        "parameters": model.num_parameters(),
        "seconds_per_epoch": medians,
        "eager_over_compiled_batches": (
            medians["eager_batches_of_64"] / medians[f"compiled_batches_of_{DIGITS_BATCH}"]
        ),
    }


# ----- the cost of compiling ----------------------------------------------------------------


def _moons_graph() -> tuple[Value, nn.MLP]:
    xs, ys = nn.datasets.make_moons(100, noise=0.1, labels=(-1, 1), seed=0)
    model = _moons_model(0)
    loss = nn.hinge_loss([model(x) for x in xs], ys) + nn.l2_penalty(model, alpha=ALPHA)
    return loss, model


def _mnist_sample_graph() -> tuple[Value, Any]:
    model = nn.MLP(784, [256, 10], rng=0)
    x = [Value(0.5) for _ in range(784)]
    t = [Value(float(i == 3)) for i in range(10)]
    return nn.compiled.soft_cross_entropy(model(x), t), (model, x, t)


def compile_cost(repeats: int, include_large: bool) -> list[dict[str, Any]]:
    """For a few graphs: size, compile seconds, the tape's memory (tracemalloc: what it keeps,
    and the peak while compiling), and a replay against an eager backward of the same graph."""
    cases: list[tuple[str, Callable[[], tuple[Value, Any]]]] = [
        ("moons step, nn graph", _moons_graph),
    ]
    if include_large:  # (the lecture-style graph's compile is timed with the moons step too)
        cases.append(("moons step, micrograd-shaped graph",
                      lambda: graphs.binary_moons_graph("chainrule")))
        cases.append(("784-256-10 MLP, one sample", _mnist_sample_graph))
    rows = []
    for name, build in cases:
        root, keep = build()
        compile_seconds = [_seconds(partial(autograd.compile, root)) for _ in range(repeats)]
        gc.collect()
        tracemalloc.start()
        tape = autograd.compile(root)
        kept, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        replay = [_seconds(tape.run) for _ in range(repeats)]
        backward = [_seconds(root.backward) for _ in range(min(repeats, 3))]
        rows.append({
            "graph": name,
            "nodes": tape.node_count,
            "depth": tape.depth,
            "kernels": tape.kernel_count,
            "compile_seconds": statistics.median(compile_seconds),
            "tape_megabytes": kept / 2**20,
            "compile_peak_megabytes": peak / 2**20,
            "replay_seconds": statistics.median(replay),
            "eager_backward_seconds": statistics.median(backward),
        })
        del root, keep, tape
    return rows


def _seconds(function: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    function()
    return time.perf_counter() - start

"""Toy datasets, generated with numpy and returned as plain Python lists.

Each takes `seed`: an int, a numpy Generator, or None for the package generator that
`nn.manual_seed` resets. Same seed, same data. `X` is a list of samples (each a list of floats)
and `y` a list of labels; binary datasets take `labels=(negative, positive)`, e.g. `(-1, 1)` for
`hinge_loss`.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .random import resolve_generator

Seed = int | np.random.Generator | None


def _check_count(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {value}")
    return int(value)


def _check_noise(noise: Any) -> float:
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real):
        raise TypeError(f"noise must be a number; got {type(noise).__name__}")
    if not float(noise) >= 0:
        raise ValueError(f"noise (a standard deviation) must be >= 0; got {noise}")
    return float(noise)


def _finish(
    points: np.ndarray,
    classes: np.ndarray,
    noise: float,
    shuffle: bool,
    labels: Sequence[int | float] | None,
    generator: np.random.Generator,
) -> tuple[list[list[float]], list]:
    if shuffle:
        order = generator.permutation(len(points))
        points, classes = points[order], classes[order]
    if noise > 0:
        points = points + generator.normal(0.0, noise, size=points.shape)
    if labels is not None:
        if len(labels) != 2:
            raise ValueError(f"labels must be a pair (negative, positive); got {labels!r}")
        return points.tolist(), [labels[int(c)] for c in classes]
    return points.tolist(), classes.tolist()


def make_moons(
    n_samples: int = 100,
    noise: float = 0.1,
    *,
    shuffle: bool = True,
    labels: Sequence[int | float] = (0, 1),
    seed: Seed = None,
) -> tuple[list[list[float]], list]:
    """Two interleaving half circles (micrograd's demo data): class 0 the upper arc, class 1 the
    lower one shifted right, with Gaussian `noise`."""
    n_samples = _check_count("n_samples", n_samples, 2)
    noise = _check_noise(noise)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    upper = np.linspace(0, np.pi, n_upper)
    lower = np.linspace(0, np.pi, n_lower)
    points = np.concatenate(
        [
            np.stack([np.cos(upper), np.sin(upper)], axis=1),
            np.stack([1 - np.cos(lower), 0.5 - np.sin(lower)], axis=1),
        ]
    )
    classes = np.repeat([0, 1], [n_upper, n_lower])
    return _finish(points, classes, noise, shuffle, labels, resolve_generator(seed))


def make_circles(
    n_samples: int = 100,
    noise: float = 0.05,
    factor: float = 0.5,
    *,
    shuffle: bool = True,
    labels: Sequence[int | float] = (0, 1),
    seed: Seed = None,
) -> tuple[list[list[float]], list]:
    """A circle of radius 1 (class 0) around one of radius `factor` (class 1), with noise."""
    n_samples = _check_count("n_samples", n_samples, 2)
    noise = _check_noise(noise)
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real):
        raise TypeError(f"factor must be a number; got {type(factor).__name__}")
    if not 0 < factor < 1:
        raise ValueError(f"factor (inner radius / outer radius) must be in (0, 1); got {factor}")
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    outer = np.linspace(0, 2 * np.pi, n_outer, endpoint=False)
    inner = np.linspace(0, 2 * np.pi, n_inner, endpoint=False)
    points = np.concatenate(
        [
            np.stack([np.cos(outer), np.sin(outer)], axis=1),
            factor * np.stack([np.cos(inner), np.sin(inner)], axis=1),
        ]
    )
    classes = np.repeat([0, 1], [n_outer, n_inner])
    return _finish(points, classes, noise, shuffle, labels, resolve_generator(seed))


def make_spirals(
    n_samples: int = 300,
    n_classes: int = 3,
    noise: float = 0.2,
    *,
    shuffle: bool = True,
    seed: Seed = None,
) -> tuple[list[list[float]], list[int]]:
    """`n_classes` interleaved spiral arms from the origin (labels 0 .. n_classes-1), the classic
    data a linear classifier cannot separate. `noise` jitters each point's angle."""
    n_classes = _check_count("n_classes", n_classes, 2)
    n_samples = _check_count("n_samples", n_samples, n_classes)
    noise = _check_noise(noise)
    generator = resolve_generator(seed)
    sizes = [n_samples // n_classes + (k < n_samples % n_classes) for k in range(n_classes)]
    arms, classes = [], []
    for k, size in enumerate(sizes):
        radius = np.linspace(0.0, 1.0, size)
        # Each arm turns through 4 radians, starting where the previous one started plus 4.
        angle = np.linspace(4.0 * k, 4.0 * (k + 1), size) + noise * generator.normal(size=size)
        arms.append(np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1))
        classes.append(np.full(size, k))
    points, labels = np.concatenate(arms), np.concatenate(classes)
    return _finish(points, labels, 0.0, shuffle, None, generator)


def make_blobs(
    n_samples: int = 150,
    n_classes: int = 3,
    noise: float = 0.4,
    radius: float = 1.5,
    *,
    shuffle: bool = True,
    seed: Seed = None,
) -> tuple[list[list[float]], list[int]]:
    """`n_classes` round Gaussian clusters (labels 0 .. n_classes-1) of standard deviation
    `noise`, centred evenly on a circle of `radius` around the origin, the first at angle 0."""
    n_classes = _check_count("n_classes", n_classes, 2)
    n_samples = _check_count("n_samples", n_samples, n_classes)
    noise = _check_noise(noise)
    if isinstance(radius, bool) or not isinstance(radius, numbers.Real):
        raise TypeError(f"radius must be a number; got {type(radius).__name__}")
    if not radius > 0:
        raise ValueError(f"radius (the centres' distance from 0) must be > 0; got {radius}")
    sizes = [n_samples // n_classes + (k < n_samples % n_classes) for k in range(n_classes)]
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    classes = np.repeat(np.arange(n_classes), sizes)
    return _finish(centres[classes], classes, noise, shuffle, None, resolve_generator(seed))


def make_xor(
    n_samples: int = 4,
    noise: float = 0.0,
    *,
    labels: Sequence[int | float] = (0, 1),
    seed: Seed = None,
) -> tuple[list[list[float]], list]:
    """The XOR truth table: points cycle through (0,0) (0,1) (1,0) (1,1), labelled 0 1 1 0, in
    that order; `noise` jitters them. The default is the four rows of the articles' table."""
    n_samples = _check_count("n_samples", n_samples, 1)
    noise = _check_noise(noise)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    which = np.arange(n_samples) % 4
    classes = np.array([0, 1, 1, 0])[which]
    return _finish(corners[which], classes, noise, False, labels, resolve_generator(seed))


def make_regression(
    n_samples: int = 4,
    slope: float = 2.0,
    intercept: float = 0.0,
    noise: float = 0.0,
    *,
    seed: Seed = None,
) -> tuple[list[float], list[float]]:
    """The articles' line y = slope·x + intercept at x = 1, 2, ..., n_samples, with Gaussian
    `noise` on y. The default is their example: X = [1, 2, 3, 4], y = [2, 4, 6, 8]."""
    n_samples = _check_count("n_samples", n_samples, 1)
    noise = _check_noise(noise)
    for name, value in (("slope", slope), ("intercept", intercept)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a number; got {type(value).__name__}")
    x = np.arange(1, n_samples + 1, dtype=np.float64)
    y = slope * x + intercept
    if noise > 0:
        y = y + resolve_generator(seed).normal(0.0, noise, size=n_samples)
    return x.tolist(), y.tolist()


def batches(
    X: Sequence,
    y: Sequence,
    batch_size: int,
    shuffle: bool = True,
    seed: Seed = None,
    drop_last: bool = False,
) -> Iterator[tuple[list, list]]:
    """Iterate over (X_batch, y_batch) lists of `batch_size` samples (the last one may be
    smaller unless `drop_last`), in a seeded random order when `shuffle`."""
    if len(X) != len(y):
        raise ValueError(f"X and y differ in length ({len(X)} vs {len(y)})")
    batch_size = _check_count("batch_size", batch_size, 1)
    order = resolve_generator(seed).permutation(len(X)).tolist() if shuffle else range(len(X))
    order = list(order)
    stop = len(order) - len(order) % batch_size if drop_last else len(order)

    def generate() -> Iterator[tuple[list, list]]:
        for start in range(0, stop, batch_size):
            chunk = order[start : start + batch_size]
            yield [X[i] for i in chunk], [y[i] for i in chunk]

    return generate()

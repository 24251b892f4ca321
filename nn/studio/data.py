"""The points the studio trains on: the named datasets, data given to ``serve``, points added.

Points are 2-D (the plot is the input plane); labels are class indices 0 .. n_classes - 1.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

from nn import datasets

from .settings import SettingsError

MAX_POINTS = 2000
MARGIN = 0.25  # of the data's extent, added on every side of the plot


@dataclass
class Points:
    """The training points, their class count and the plot's extent (xmin, xmax, ymin, ymax)."""

    X: list[list[float]]
    labels: list[int]
    n_classes: int
    bounds: tuple[float, float, float, float]


def dataset_classes(name: str) -> int:
    return 3 if name == "blobs" else 2


def named_dataset(name: str, seed: int) -> Points:
    """One of the studio's datasets, generated with ``seed``."""
    if name == "moons":
        X, y = datasets.make_moons(100, noise=0.1, seed=seed)
    elif name == "circles":
        X, y = datasets.make_circles(100, noise=0.08, factor=0.5, seed=seed)
    elif name == "xor":
        X, y = datasets.make_xor(100, noise=0.12, seed=seed)
        X = [[2 * a - 1, 2 * b - 1] for a, b in X]  # corners at ±1, centred on 0
    elif name == "spiral":
        X, y = datasets.make_spirals(200, n_classes=2, noise=0.1, seed=seed)
    elif name == "blobs":
        X, y = datasets.make_blobs(150, n_classes=3, noise=0.45, seed=seed)
    else:
        raise SettingsError(f"unknown dataset {name!r}")
    return Points(X, [int(c) for c in y], dataset_classes(name), extent(X))


def given_data(X: Any, y: Any) -> Points:
    """Data passed to ``serve``: X a sequence of (x, y) pairs, y labels as ints 0 .. K-1 (or -1
    and +1, which become 0 and 1)."""
    try:
        rows = [list(row) for row in X]
        labels = list(y)
    except TypeError:
        raise TypeError("X must be a list of [x, y] points and y a list of labels") from None
    if not rows:
        raise ValueError("X has no points; pass at least one (or none of X and y)")
    if len(rows) != len(labels):
        raise ValueError(f"X has {len(rows)} points but y has {len(labels)} labels")
    if len(rows) > MAX_POINTS:
        raise ValueError(f"the studio trains on at most {MAX_POINTS} points; X has {len(rows)}")
    for i, row in enumerate(rows):
        if len(row) != 2 or not all(_finite_number(v) for v in row):
            raise ValueError(
                f"X[{i}] is {row!r}: the studio plots 2 features, so each point must be two "
                f"finite numbers"
            )
    maybe_whole = [_whole(v) for v in labels]
    if any(v is None for v in maybe_whole):
        bad = next(v for v, w in zip(labels, maybe_whole) if w is None)
        raise ValueError(f"labels must be whole numbers (class indices); got {bad!r}")
    whole = [v for v in maybe_whole if v is not None]
    if set(whole) <= {-1, 1} and -1 in whole:
        whole = [(v + 1) // 2 for v in whole]
    if min(whole) < 0:
        raise ValueError(f"labels must be class indices 0, 1, ... (or -1 and +1); got {min(whole)}")
    X_float = [[float(a), float(b)] for a, b in rows]
    return Points(X_float, whole, max(2, max(whole) + 1), extent(X_float))


def _finite_number(value: Any) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, numbers.Real)
        and math.isfinite(float(value))
    )


def _whole(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return int(number) if number.is_integer() else None


def extent(X: list[list[float]]) -> tuple[float, float, float, float]:
    """A square region around the points with a margin, so the plot is not stretched."""
    if not X:
        return (-2.0, 2.0, -2.0, 2.0)
    xs, ys = [p[0] for p in X], [p[1] for p in X]
    centre_x, centre_y = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    half = max(max(xs) - min(xs), max(ys) - min(ys), 1e-3) / 2 * (1 + 2 * MARGIN)
    return (centre_x - half, centre_x + half, centre_y - half, centre_y + half)


def checked_new_points(body: Any, points: Points) -> tuple[bool, list[tuple[float, float, int]]]:
    """(clear first?, points to add) from ``POST /api/points``: ``{"add": [[x, y, label], ...],
    "clear": true}`` (either key may be left out). Raises SettingsError on anything else."""
    if not isinstance(body, dict):
        raise SettingsError(f"the body must be a JSON object; got {type(body).__name__}")
    unknown = sorted(set(body) - {"add", "clear"})
    if unknown:
        raise SettingsError(
            f"unknown key {', '.join(map(repr, unknown))}; send add (a list of [x, y, label]) "
            f"and/or clear (true)"
        )
    clear = body.get("clear", False)
    if not isinstance(clear, bool):
        raise SettingsError(f"clear must be true or false; got {clear!r}")
    add = body.get("add", [])
    if not isinstance(add, list):
        raise SettingsError("add must be a list of [x, y, label] points")
    xmin, xmax, ymin, ymax = points.bounds
    new = []
    for i, item in enumerate(add):
        if not isinstance(item, list) or len(item) != 3:
            raise SettingsError(f"add[{i}] must be [x, y, label]; got {item!r}")
        x, y, label = item
        if not (_finite_number(x) and _finite_number(y)):
            raise SettingsError(f"add[{i}]: x and y must be finite numbers; got {x!r}, {y!r}")
        if not (xmin <= x <= xmax and ymin <= y <= ymax):
            raise SettingsError(
                f"add[{i}]: ({x:g}, {y:g}) is outside the plot, x {xmin:.3g} to {xmax:.3g} and "
                f"y {ymin:.3g} to {ymax:.3g}"
            )
        whole = _whole(label)
        if whole is None or not 0 <= whole < points.n_classes:
            raise SettingsError(
                f"add[{i}]: label must be a class from 0 to {points.n_classes - 1}; got {label!r}"
            )
        new.append((float(x), float(y), whole))
    total = (0 if clear else len(points.X)) + len(new)
    if total > MAX_POINTS:
        raise SettingsError(f"that makes {total} points; the studio keeps at most {MAX_POINTS}")
    return clear, new

"""Datasets: plain lists, seeded, the right geometry; batches cover every sample once."""

import math

import numpy as np
import pytest

import nn
from nn import datasets


def is_plain(X, y):
    return (
        type(X) is list
        and all(type(row) is list and all(type(v) is float for v in row) for row in X)
        and type(y) is list
        and all(type(v) in (int, float) for v in y)
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: datasets.make_moons(50, **kw),
        lambda **kw: datasets.make_circles(50, **kw),
        lambda **kw: datasets.make_spirals(60, n_classes=3, **kw),
        lambda **kw: datasets.make_xor(20, noise=0.1, **kw),
        lambda **kw: datasets.make_blobs(30, **kw),
    ],
)
def test_seeded_plain_lists_same_seed_same_data(make):
    X, y = make(seed=1)
    assert is_plain(X, y) and len(X) == len(y)
    assert make(seed=1) == (X, y)
    assert make(seed=2) != (X, y)
    nn.manual_seed(9)
    first = make()
    nn.manual_seed(9)
    assert make() == first
    assert make(seed=np.random.default_rng(5)) == make(seed=5)


def test_moons_geometry_without_noise():
    X, y = datasets.make_moons(101, noise=0.0, shuffle=False)
    assert y.count(0) == 50 and y.count(1) == 51
    for (a, b), label in zip(X, y, strict=True):
        if label == 0:  # the upper arc: unit circle around (0, 0), y >= 0
            assert math.isclose(math.hypot(a, b), 1.0, rel_tol=1e-12) and b >= -1e-12
        else:  # the lower arc: unit circle around (1, 0.5), y <= 0.5
            assert math.isclose(math.hypot(a - 1, b - 0.5), 1.0, rel_tol=1e-12)
            assert b <= 0.5 + 1e-12


def test_moons_noise_has_the_requested_spread():
    clean, _ = datasets.make_moons(2000, noise=0.0, shuffle=False)
    noisy, _ = datasets.make_moons(2000, noise=0.2, shuffle=False, seed=0)
    spread = np.std(np.array(noisy) - np.array(clean))
    assert abs(spread - 0.2) < 0.01


def test_moons_labels_for_hinge_loss():
    _, y = datasets.make_moons(10, labels=(-1, 1), seed=0)
    assert set(y) == {-1, 1}


def test_circles_radii():
    X, y = datasets.make_circles(40, noise=0.0, factor=0.3, shuffle=False)
    radii = [math.hypot(a, b) for a, b in X]
    assert all(math.isclose(r, 1.0 if c == 0 else 0.3, rel_tol=1e-12) for r, c in zip(radii, y))


def test_spirals_classes_and_radius():
    X, y = datasets.make_spirals(100, n_classes=4, noise=0.0, shuffle=False)
    assert [y.count(k) for k in range(4)] == [25, 25, 25, 25]
    assert max(math.hypot(a, b) for a, b in X) <= 1.0 + 1e-12
    X5, y5 = datasets.make_spirals(7, n_classes=2, seed=0)
    assert sorted(y5) == [0, 0, 0, 0, 1, 1, 1]


def test_blobs_are_clusters_around_evenly_spaced_centres():
    X, y = datasets.make_blobs(3000, n_classes=3, noise=0.3, radius=2.0, seed=0)
    assert [y.count(k) for k in range(3)] == [1000, 1000, 1000]
    points, labels = np.array(X), np.array(y)
    for k in range(3):
        angle = 2 * math.pi * k / 3
        members = points[labels == k]
        centre = members.mean(axis=0)
        assert np.allclose(centre, [2 * math.cos(angle), 2 * math.sin(angle)], atol=0.05)
        assert np.allclose(members.std(axis=0), 0.3, atol=0.03)
    exact, labels = datasets.make_blobs(5, n_classes=2, noise=0.0, shuffle=False)
    assert labels == [0, 0, 0, 1, 1]
    assert exact == [[1.5, 0.0]] * 3 + [[-1.5, pytest.approx(0.0, abs=1e-12)]] * 2


def test_xor_is_the_truth_table():
    X, y = datasets.make_xor()
    assert X == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert y == [0, 1, 1, 0]
    X8, y8 = datasets.make_xor(8, labels=(-1, 1))
    assert X8[4:] == X and y8 == [-1, 1, 1, -1] * 2


def test_regression_is_the_articles_y_equals_2x():
    assert datasets.make_regression() == ([1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0])
    X, y = datasets.make_regression(6, slope=-1.0, intercept=0.5)
    assert y == [-x + 0.5 for x in X]
    _, noisy = datasets.make_regression(4, noise=0.5, seed=3)
    assert noisy != [2.0, 4.0, 6.0, 8.0]
    assert noisy == datasets.make_regression(4, noise=0.5, seed=3)[1]


def test_batches_cover_every_sample_once_in_a_seeded_order():
    X = [[float(i)] for i in range(10)]
    y = list(range(10))
    got = list(datasets.batches(X, y, batch_size=4, seed=0))
    assert [len(yb) for _, yb in got] == [4, 4, 2]
    assert sorted(i for _, yb in got for i in yb) == y
    assert all(xb == [X[i] for i in yb] for xb, yb in got)
    assert got == list(datasets.batches(X, y, batch_size=4, seed=0))
    assert got != list(datasets.batches(X, y, batch_size=4, seed=1))
    in_order = list(datasets.batches(X, y, batch_size=3, shuffle=False))
    assert [yb for _, yb in in_order] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    dropped = list(datasets.batches(X, y, batch_size=3, shuffle=False, drop_last=True))
    assert len(dropped) == 3


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: datasets.make_moons(1), ValueError, "n_samples must be at least 2"),
        (lambda: datasets.make_moons(-5), ValueError, "n_samples"),
        (lambda: datasets.make_moons(10.0), TypeError, "n_samples must be an int"),
        (lambda: datasets.make_moons(10, noise=-0.1), ValueError, "noise"),
        (lambda: datasets.make_circles(10, factor=1.5), ValueError, "factor"),
        (lambda: datasets.make_spirals(10, n_classes=1), ValueError, "n_classes"),
        (lambda: datasets.make_blobs(10, n_classes=1), ValueError, "n_classes"),
        (lambda: datasets.make_blobs(2, n_classes=3), ValueError, "n_samples must be at least 3"),
        (lambda: datasets.make_blobs(10, radius=0), ValueError, "radius"),
        (lambda: datasets.make_blobs(10, radius="1"), TypeError, "radius must be a number"),
        (lambda: datasets.make_moons(10, labels=(1,)), ValueError, "labels must be a pair"),
        (lambda: datasets.make_moons(10, seed=-1), ValueError, "seed"),
        (lambda: list(datasets.batches([1, 2], [1], 1)), ValueError, r"differ in length"),
        (lambda: datasets.batches([1, 2], [1, 2], 0), ValueError, "batch_size"),
    ],
)
def test_bad_settings_are_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()

"""The compiled-replay MNIST demo and its synthetic digits."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from demos import mnist_compiled
from demos.synthetic_digits import make_digits


def test_synthetic_digits_are_seeded_and_learnable():
    X, y = make_digits(400, seed=3)
    again, labels = make_digits(400, seed=3)
    assert np.array_equal(X, again) and np.array_equal(y, labels)
    assert X.shape == (400, 784) and 0.0 <= X.min() and X.max() <= 1.0
    assert set(y.tolist()) == set(range(10))
    # The class means already tell most images apart, but not all: learnable, not trivial.
    X_test, y_test = make_digits(200, seed=4)
    means = np.array([X[y == c].mean(axis=0) for c in range(10)])
    nearest = np.argmin(((X_test[:, None] - means[None]) ** 2).sum(axis=-1), axis=1)
    assert 0.5 < np.mean(nearest == y_test) < 0.95


def test_the_demo_trains_and_writes_its_summary(tmp_path, capsys):
    options = ["--train", "128", "--test", "40", "--hidden", "16", "--out", str(tmp_path)]
    assert mnist_compiled.main(options) == 0
    printed = capsys.readouterr().out
    assert "compiled one image's graph" in printed
    last_line = printed.strip().splitlines()[-1]
    assert re.fullmatch(r"summary: mnist_compiled: [\d.]+ steps/s .+ \(\d+\.\d s\)", last_line)
    summary = json.loads((tmp_path / "mnist_compiled.json").read_text())
    assert summary["parameters"] == 784 * 16 + 16 + 16 * 10 + 10
    assert (tmp_path / "mnist_compiled.png").is_file()
    assert summary["steps"] == 2 and len(summary["losses"]) == 2
    assert summary["steps_per_second"] > 0 and summary["ms_per_step"] > 0
    assert all(np.isfinite(summary["losses"]))


def test_the_demo_rejects_bad_options(capsys):
    with pytest.raises(SystemExit):
        mnist_compiled.main(["--batch-size", "0"])
    assert "--batch-size must be positive" in capsys.readouterr().err


def test_the_demo_runs_as_a_file_from_anywhere(tmp_path):
    script = Path(__file__).resolve().parent.parent / "demos" / "mnist_compiled.py"
    result = subprocess.run(
        [sys.executable, str(script), "--help"], cwd=tmp_path, capture_output=True, text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m demos.mnist_compiled")
    assert "--quick" in result.stdout and "--out DIR" in result.stdout

"""Every demo in --quick mode: it finishes with its summary, writes the images it promises, and
learns what it should. Both ways of starting a demo work."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMOS = ("moons", "xor", "regression", "digits", "vanishing", "neuron")
IMAGES = {
    "moons": ("moons_boundary.png", "moons_curves.png", "moons_graph.svg"),
    "xor": ("xor_training.png", "xor_graph.svg"),
    "regression": ("regression_fit.png",),
    "digits": ("digits_confusion.png", "digits_mistakes.png"),
    "vanishing": ("vanishing.png",),
    "neuron": ("neuron_graph.svg", "neuron_explore.html"),
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"
NUMBER = r"(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"


def run_quick(name: str, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    """Run demos.NAME's main in --quick mode; check its summary line and images; return stdout."""
    main = importlib.import_module(f"demos.{name}").main
    assert main(["--quick", "--out", str(out), *extra]) == 0
    stdout = capsys.readouterr().out
    last_line = stdout.strip().splitlines()[-1]
    assert re.fullmatch(rf"summary: {name}: .+ \(\d+\.\d s\)", last_line), last_line
    for image in IMAGES[name]:
        path = out / image
        assert path.is_file() and path.stat().st_size > 0, f"{name} did not write {image}"
        assert re.search(rf"^wrote .*{re.escape(image)}$", stdout, flags=re.M), image
        data = path.read_bytes()
        if image.endswith(".png"):
            assert data.startswith(PNG_SIGNATURE), image
        elif image.endswith(".html"):
            assert data.startswith(b"<!DOCTYPE html>"), image
        else:
            assert ElementTree.fromstring(data).tag.endswith("svg"), image
    return stdout


def svg_texts(path: Path) -> list[str]:
    """The texts an SVG drawing shows, one per text element."""
    root = ElementTree.fromstring(path.read_bytes())
    return ["".join(t.itertext()).replace("\xa0", " ") for t in root.iter(f"{SVG}text")]


def number_after(label: str, text: str) -> float:
    match = re.search(re.escape(label) + r"\s*" + NUMBER, text)
    assert match, f"no {label!r} in:\n{text}"
    return float(match.group(1))


def test_moons_quick(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stdout = run_quick("moons", tmp_path, capsys)
    assert number_after("training accuracy", stdout.splitlines()[-1]) >= 95.0
    # The drawing has one box per neuron: 16 + 16 + 1 of them.
    boxes = {t for t in svg_texts(tmp_path / "moons_graph.svg") if t.startswith("layers.")}
    assert len(boxes) == 33, boxes


def test_regression_quick_learns_y_equals_2x(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stdout = run_quick("regression", tmp_path, capsys)
    learned = stdout.split("\nafter ", 1)[1]
    assert number_after("w =", learned) == pytest.approx(2.0, abs=0.02)
    assert number_after("b =", learned) == pytest.approx(0.0, abs=0.05)
    assert number_after("prediction for x = 5:", stdout) == pytest.approx(10.0, abs=0.05)
    assert number_after("prediction for x = 6:", stdout) == pytest.approx(12.0, abs=0.05)


def truth_table_after(stdout: str) -> list[tuple[int, int, int, float]]:
    after = stdout.split("\nafter ", 1)[1]
    rows = re.findall(r"^\s*([01])\s+([01])\s+([01])\s+(\d\.\d{4})$", after, flags=re.M)
    return [(int(a), int(b), int(t), float(out)) for a, b, t, out in rows]


def test_xor_quick_solves_the_truth_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stdout = run_quick("xor", tmp_path, capsys)
    assert "before training" in stdout
    table = truth_table_after(stdout)
    assert [(a, b, t) for a, b, t, _ in table] == [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)]
    for *_, target, output in table:
        assert abs(output - target) < 0.1
    assert ": solved after" in stdout.splitlines()[-1]
    # The graph is of one sample, every value drawn: the inputs and the named weights are there.
    texts = svg_texts(tmp_path / "xor_graph.svg")
    for name in ("x1", "x2", "h1", "h2", "output", "layers.1.neurons.0.w.1"):
        assert name in texts, name


def test_xor_is_reproducible_and_its_stuck_seed_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def results(stdout: str) -> list[str]:  # without file names and timings
        lines = [line for line in stdout.splitlines() if not line.startswith("wrote ")]
        return [re.sub(r"\(\d+\.\d s\)$", "", line) for line in lines]

    first = run_quick("xor", tmp_path / "a", capsys)
    assert results(run_quick("xor", tmp_path / "b", capsys)) == results(first)
    # Its docstring says seed 0 gets stuck in a local minimum; the demo must say so too.
    stuck = run_quick("xor", tmp_path / "c", capsys, "--seed", "0")
    assert "NOT solved" in stuck.splitlines()[-1]


def test_digits_quick(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stdout = run_quick("digits", tmp_path, capsys)
    assert "300 training images, 360 test images" in stdout
    epochs = re.findall(r"^epoch (\d)/3: .*test accuracy " + NUMBER + "%$", stdout, flags=re.M)
    assert [int(e) for e, _ in epochs] == [1, 2, 3]
    accuracies = [float(a) for _, a in epochs]
    assert accuracies[-1] > accuracies[0]
    assert number_after("test accuracy", stdout.splitlines()[-1]) >= 80.0


def test_digits_compiled_learns_what_eager_learns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    eager = run_quick("digits", tmp_path / "eager", capsys)
    compiled = run_quick("digits", tmp_path / "compiled", capsys, "--compiled")
    assert "(compiled replay)" in compiled.splitlines()[-1]

    def epochs(stdout: str) -> list[tuple[float, ...]]:
        pattern = (r"^epoch \d/3: training loss " + NUMBER + ", training accuracy " + NUMBER
                   + "%, test accuracy " + NUMBER + "%$")
        return [tuple(map(float, row)) for row in re.findall(pattern, stdout, flags=re.M)]

    # The same model, data, batches and Adam: replay computes the same numbers, to rounding.
    assert len(epochs(compiled)) == 3
    for (loss_e, train_e, test_e), (loss_c, train_c, test_c) in zip(
        epochs(eager), epochs(compiled)
    ):
        assert loss_c == pytest.approx(loss_e, rel=1e-6)
        assert (train_c, test_c) == (train_e, test_e)


def test_vanishing_quick(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stdout = run_quick("vanishing", tmp_path, capsys)
    rows = {}
    for line in stdout.splitlines():
        match = re.match(r"\s+(sigmoid, uniform init|ReLU, He init|ReLU, uniform init)\s+(.+)$",
                         line)
        if match:
            rows[match.group(1)] = [float(v) for v in match.group(2).split()]
    assert set(rows) == {"sigmoid, uniform init", "ReLU, He init", "ReLU, uniform init"}
    assert all(len(norms) == 8 for norms in rows.values())
    sigmoid, relu, exploding = rows.values()
    assert sigmoid[-1] / sigmoid[0] > 100  # vanishing towards the input
    assert max(relu) / min(relu) < 10  # about the same size in every layer
    assert min(exploding) > 100 * max(relu)  # exploding
    assert "without clipping: overflowed at step" in stdout
    start, end = re.search(r"with clipping: loss " + NUMBER + " -> " + NUMBER, stdout).groups()
    assert float(end) < float(start) / 5


def test_neuron_quick(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stdout = run_quick("neuron", tmp_path, capsys)
    assert stdout.splitlines()[-1].startswith("summary: neuron: o = 0.7071, do/dn = 0.5000")
    texts = svg_texts(tmp_path / "neuron_graph.svg")
    x1 = texts.index("x1")
    assert texts[x1 + 1 : x1 + 3] == ["data 2.0000", "grad -1.5000"]
    # The click-through page carries every node of the neuron, by name.
    page = (tmp_path / "neuron_explore.html").read_text(encoding="utf-8")
    for label in ("x1", "x2", "w1", "w2", "b", "x1*w1", "x2*w2", "x1*w1 + x2*w2", "n", "o"):
        assert f'"{label}"' in page, label


def test_bundled_digits_are_complete() -> None:
    with np.load(ROOT / "demos" / "data" / "digits.npz", allow_pickle=False) as data:
        images, labels = data["images"], data["labels"]
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert labels.shape == (1797,)
    assert images.min() == 0 and images.max() == 16
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def run_help(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("name", DEMOS)
def test_both_entry_styles_show_help(name: str, tmp_path: Path) -> None:
    as_module = run_help([sys.executable, "-m", f"demos.{name}", "--help"], ROOT)
    # As a file, from another folder: the demo must find the repository by itself.
    as_file = run_help([sys.executable, str(ROOT / "demos" / f"{name}.py"), "--help"], tmp_path)
    for result in (as_module, as_file):
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"usage: python -m demos.{name}")
        assert "--out DIR" in result.stdout and "--quick" in result.stdout
    assert not list(tmp_path.iterdir()), "--help must not write anything"

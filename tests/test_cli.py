"""`python -m autograd draw`: accepted and rejected command lines."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from svg_reading import read_svg

from autograd.cli.main import main

ROOT = Path(__file__).resolve().parent.parent


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """Call main(argv); argparse's exits become their status."""
    try:
        status = main(argv)
    except SystemExit as exit:
        status = exit.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def texts_by_label(svg: bytes) -> dict[str, list[str]]:
    return {n.texts[0]: n.texts for n in read_svg(svg).nodes.values() if len(n.texts) == 3}


def test_draw_writes_the_graph_with_values_and_gradients(tmp_path, capsys):
    out = tmp_path / "graph.svg"
    status, _, err = run(["draw", "tanh(x*w + b)", "x=2", "w=-3", "b=6.88", "-o", str(out)],
                         capsys)
    assert status == 0
    assert "wrote" in err
    records = texts_by_label(out.read_bytes())
    o = math.tanh(2 * -3 + 6.88)
    local = 1 - o * o
    assert records["x"] == ["x", "data 2.0000", f"grad {-3 * local:.4f}"]
    assert records["w"] == ["w", "data -3.0000", f"grad {2 * local:.4f}"]
    assert records["b"] == ["b", "data 6.8800", f"grad {local:.4f}"]
    ops = [n.texts[0] for i, n in read_svg(out.read_bytes()).nodes.items() if i.endswith("_op")]
    assert sorted(ops) == ["*", "+", "tanh"]


def test_without_output_the_dot_source_goes_to_stdout(capsys):
    status, out, _ = run(["draw", "x * y", "x=2", "y=3", "--rankdir", "TB"], capsys)
    assert status == 0
    assert out.startswith("digraph") and "rankdir=TB" in out
    assert "data 6.0000" in out


def test_drawing_options_reach_draw_dot(tmp_path, capsys):
    out = tmp_path / "g.svg"
    argv = ["draw", "x * y", "x=2", "y=-3", "-o", str(out), "--no-grad", "--precision", "1",
            "--color-by", "grad", "--highlight", "x"]
    status, _, _ = run(argv, capsys)
    assert status == 0
    drawing = read_svg(out.read_bytes())
    records = {n.texts[0]: n for n in drawing.nodes.values() if n.texts[0] in ("x", "y")}
    assert records["x"].texts == ["x", "data 2.0"]
    assert records["x"].stroke_width == "3.5" and records["y"].stroke_width != "3.5"
    assert records["x"].fill != "#ffffff"  # coloured by its gradient (-3)
    assert "grad, log scale" in drawing.graph_texts


@pytest.mark.parametrize(("extension", "magic"), [("png", b"\x89PNG"), ("dot", b"digraph")])
def test_output_format_follows_the_extension(tmp_path, capsys, extension, magic):
    out = tmp_path / f"g.{extension}"
    assert run(["draw", "exp(x)", "x=1", "-o", str(out)], capsys)[0] == 0
    assert out.read_bytes().startswith(magic)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["draw", "tanh(x.data)", "x=1"], "attribute access"),
        (["draw", "x[0]", "x=1"], "subscripts"),
        (["draw", "open(x)", "x=1"], "'open' is not a function"),
        (["draw", "x + y", "x=1"], "unbound name 'y'"),
        (["draw", "x" + "+x" * 300, "x=1"], "the limit is"),
        (["draw", "x +", "x=1"], "incomplete"),
        (["draw", "x", "x=one"], "not a number"),
        (["draw", "x", "x"], "NAME=NUMBER"),
        (["draw", "x", "x=1", "--rankdir", "UP"], "invalid choice"),
        (["draw", "x", "x=1", "--precision", "-2"], "outside 0..17"),
        (["draw", "x", "x=1", "--color-by", "data"], "invalid choice"),
        (["draw", "x", "x=1", "--highlight", "nope"], "'nope'"),
        (["draw", "x * x * x", "x=1", "--max-nodes", "2"], "has 3 values"),
        (["draw", "x", "x=1", "-o", "graph.jpeg"], "extension"),
        ([], "COMMAND"),
        (["plot"], "invalid choice"),
        (["explain", "x*y", "x=1", "y=2"], "--wrt NAME"),
        (["explain", "x*y", "x=1", "y=2", "--wrt", "z"], "no such name in the expression"),
        (["explain", "x*y", "x=1", "y=2", "--at", "x", "--max-paths", "0"], "not positive"),
    ],
)
def test_bad_command_lines_exit_with_status_2_and_say_why(argv, message, capsys, tmp_path):
    status, out, err = run(argv, capsys)
    assert status == 2
    assert message in err
    assert out == ""


def test_expression_errors_show_a_caret_under_the_offending_part(capsys):
    status, _, err = run(["draw", "tanh(x.data) + 1", "x=1"], capsys)
    assert status == 2
    lines = err.splitlines()
    shown = next(i for i, line in enumerate(lines) if "tanh(x.data) + 1" in line)
    caret = lines[shown + 1]
    column = lines[shown].index("tanh(")
    assert caret[column:].rstrip() == "      ^^^^^"  # under ".data"


def test_unused_bindings_are_warned_about(capsys):
    status, _, err = run(["draw", "x * 2", "x=1", "y=3"], capsys)
    assert status == 0
    assert "warning: y not used" in err


def test_help_explains_with_an_example(capsys):
    status, out, _ = run(["draw", "--help"], capsys)
    assert status == 0
    assert 'python -m autograd draw "tanh(x*w + b)" x=2 w=-3 b=6.88 -o graph.svg' in out
    assert "never eval" in out
    for option in ("--rankdir", "--color-by", "--precision", "--no-grad", "--highlight",
                   "--max-nodes"):
        assert option in out
    status, out, _ = run(["--help"], capsys)
    assert status == 0 and "draw" in out


def test_missing_graphviz_exits_1_with_install_instructions(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    status, _, err = run(["draw", "x", "x=1", "-o", str(tmp_path / "g.svg")], capsys)
    assert status == 1
    assert "sudo apt-get install graphviz" in err and "brew install graphviz" in err
    assert not (tmp_path / "g.svg").exists()


def test_python_dash_m_autograd_runs_the_command_line(tmp_path):
    out = tmp_path / "graph.svg"
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    finished = subprocess.run(
        [sys.executable, "-m", "autograd", "draw", "tanh(x*w + b)", "x=2", "w=-3", "b=6.88",
         "-o", str(out)],
        capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
    assert set(texts_by_label(out.read_bytes())) >= {"x", "w", "b"}
    rejected = subprocess.run(
        [sys.executable, "-m", "autograd", "draw", "__import__('os').getcwd()"],
        capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=60,
    )
    assert rejected.returncode == 2
    assert "attribute access" in rejected.stderr


def test_explain_prints_the_paths_and_the_sum_over_consumers(capsys):
    status, out, err = run(["explain", "x*x + sin(x)*x", "x=3", "--wrt", "x", "--at", "x"], capsys)
    assert status == 0 and err == ""
    at, wrt = out.split("\n\n")
    assert at.startswith("dL/dx, where L is f:") and "x is used 4 times" in at
    assert "via v1 = x * x: 1.0 × (x = 3.0) = 3.0" in at
    assert wrt.startswith("df/dx: the sum over the 4 paths from f down to x")
    assert "f → v3 → v2 → x:  1.0 × (x = 3.0) × (cos(x) = -0.99) = -2.97" in wrt
    gradient = 2 * 3 + math.sin(3) + 3 * math.cos(3)
    assert f"backward gives {gradient:.4f}" in wrt and "agrees" in wrt


def test_explain_calls_the_result_by_a_name_no_input_has(capsys):
    status, out, _ = run(["explain", "f*2", "f=1", "--wrt", "f"], capsys)
    assert status == 0 and out.startswith("d(f')/df: the sum over the 1 path from f' down to f")

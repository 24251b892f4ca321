"""Hostile text: labels no terminal, XML file or Graphviz should see raw, op names with braces,
command lines that are not UTF-8; and detect_anomaly in every backward."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import autograd
from autograd import Value
from autograd.cli.main import main as cli_main
from autograd.steps import format_trace
from autograd.steps.text import MAX_NAME_LENGTH, is_hidden

# ----- labels ---------------------------------------------------------------------------------

LABELS = {
    "U+FFFE": "a\ufffeb",
    "U+FFFF": "a\uffffb",
    "lone surrogate": "x\ud800y",
    "low surrogate alone": "\udfff",
    "ESC sequence": "\x1b[31mred\x1b[0m",
    "NUL": "nul\x00here",
    "C1 control": "next\x85line",
    "bidi override": "abc\u202edcba",
    "line separator": "one\u2028two",
    "plane-16 noncharacter": "z\U0010fffe",
    "16 KiB": "k" * 16_384,
    "100k characters": "m" * 100_000,
}


def _graph(label: str) -> Value:
    x = Value(0.5, label=label)
    return (x * Value(2.0, label="w")).tanh()


def _visible_only(text: str, layout: str = "\n") -> None:
    """No hidden character but the `layout` ones (a file's own newlines and indentation)."""
    hidden = sorted({f"U+{ord(c):04X}" for c in text if is_hidden(c) and c not in layout})
    assert not hidden, f"shown raw: {hidden}"


@pytest.mark.parametrize("label", LABELS.values(), ids=LABELS.keys())
def test_any_label_renders_as_well_formed_svg(tmp_path: Path, label: str) -> None:
    path = autograd.render(_graph(label), tmp_path / "graph.svg")
    ET.parse(path)  # well-formed XML
    text = Path(path).read_text(encoding="utf-8")
    assert "…" in text or len(label) <= MAX_NAME_LENGTH


@pytest.mark.parametrize("label", LABELS.values(), ids=LABELS.keys())
def test_any_label_makes_a_dot_file_and_an_explore_page(tmp_path: Path, label: str) -> None:
    dot = Path(autograd.render(_graph(label), tmp_path / "graph.dot")).read_text("utf-8")
    _visible_only(dot, layout="\n\t")
    page = Path(autograd.explore(_graph(label), tmp_path / "page.html")).read_text("utf-8")
    _visible_only(page, layout="\n\t")
    assert len(page) < 200_000  # a 100k-character label is not copied into the page whole


@pytest.mark.parametrize("label", LABELS.values(), ids=LABELS.keys())
def test_trace_and_step_texts_escape_and_shorten_labels(label: str) -> None:
    root = _graph(label)
    table = format_trace(root)
    _visible_only(table)
    steps = [str(step) for step in root.backward_steps()]
    for text in [table, *steps]:
        assert all(len(line) < 3 * MAX_NAME_LENGTH for line in text.splitlines())
        _visible_only(text.replace("\n", " "))


def test_an_esc_label_is_shown_as_its_escape() -> None:
    root = _graph("\x1b[2J")
    assert "\\x1b[2J" in format_trace(root)
    assert "\\x1b[2J" in str(list(root.backward_steps())[-1])


def test_a_long_label_is_shortened_with_an_ellipsis() -> None:
    table = format_trace(_graph("q" * 500))
    assert "q" * (MAX_NAME_LENGTH - 1) + "…" in table and "q" * MAX_NAME_LENGTH not in table


def test_a_multi_line_label_still_draws_on_several_lines() -> None:
    source = autograd.draw_dot(_graph("first\nsecond")).source
    assert "first\\nsecond" in source  # Graphviz's line break, as before


# ----- op names and formulas with braces ------------------------------------------------------

BRACED_NAMES = ["a{b}", "a}", "f{0}", "{", "}}", "{out}", "x{{y", "\x1b[1mbold"]


@pytest.mark.parametrize("name", BRACED_NAMES)
def test_any_op_name_declares_and_shows_literally(name: str) -> None:
    op = autograd.define_op(name, lambda x: 3 * x, lambda x, out: 3.0)
    assert op.__doc__ == f"The op {name!r}: {name}(x)."
    y = op(Value(1.0, label="x"))
    step = str(next(y.backward_steps()))
    shown = name.replace("\x1b", "\\x1b")
    assert f"{shown}(x)" in step
    assert f" {shown} " in format_trace(y)


def test_a_variadic_op_name_with_braces_declares() -> None:
    op = autograd.define_variadic_op("s{um}", lambda xs: sum(xs), lambda xs, out: [1.0] * len(xs))
    assert op.__doc__ == "The op 's{um}': s{um}(...)."
    assert op(Value(1.0), Value(2.0)).data == 3.0


@pytest.mark.parametrize("formula", ["g{y}", "g{1}", "g}", "{0:bad}"])
def test_a_formula_that_cannot_be_filled_in_is_refused_at_declaration(formula: str) -> None:
    with pytest.raises(ValueError, match="cannot be filled in"):
        autograd.define_op("g", lambda x: x, lambda x, out: 1.0, formula=formula)


def test_a_formula_with_literal_braces_shows_them() -> None:
    op = autograd.define_op("setlike", lambda x: x, lambda x, out: 1.0, formula="{{{0}}}")
    y = op(Value(1.0, label="x"))
    assert str(next(y.backward_steps())).startswith("v1 = {x} = 1.0")


# ----- the command line with bytes that are not UTF-8 ---------------------------------------


@pytest.mark.parametrize("expression", ["x\udcff", "\udcc3(x)", "tanh(x\udce9)"])
def test_an_expression_that_is_not_utf8_exits_2_with_a_message(expression, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        cli_main(["draw", expression, "x=1"])
    assert stop.value.code == 2
    assert "not valid UTF-8" in capsys.readouterr().err


def test_the_real_command_line_with_invalid_utf8_exits_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable.encode(), b"-m", b"autograd", b"explore", b"x\xff*2", b"x=1",
         b"-o", bytes(tmp_path / "page.html")],
        capture_output=True, cwd=Path(__file__).parents[1], timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert b"not valid UTF-8" in done.stderr and b"Traceback" not in done.stderr
    assert not (tmp_path / "page.html").exists()


# ----- detect_anomaly in every backward ------------------------------------------------------


def _infinite_gradient() -> tuple[Value, Value]:
    x = Value(0.0, label="x")
    return x.sqrt() * 3.0, x  # finite forward; d sqrt(x)/dx = inf at 0


def test_detect_anomaly_stops_backward_steps_at_an_inf_gradient() -> None:
    out, x = _infinite_gradient()
    with autograd.detect_anomaly(), pytest.raises(FloatingPointError, match="op 'sqrt'"):
        list(out.backward_steps())
    assert x.grad == 0.0


def test_detect_anomaly_stops_tape_run_at_an_inf_gradient() -> None:
    out, x = _infinite_gradient()
    tape = autograd.compile(out)
    with autograd.detect_anomaly(), pytest.raises(FloatingPointError, match="x.*inf"):
        tape.run()
    assert x.grad == 0.0
    tape.run()  # outside detect_anomaly: IEEE arithmetic, as backward() does
    assert x.grad == float("inf")

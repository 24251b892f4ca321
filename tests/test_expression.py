"""The command-line expression language: what it accepts, computes, and how it rejects the rest."""

from __future__ import annotations

import math

import pytest

from autograd import Value
from autograd.cli.expression import (
    MAX_LENGTH,
    ExpressionError,
    evaluate,
    parse_binding,
    parse_bindings,
    parse_expression,
)

BINDINGS = {"x": 2.0, "w": -3.0, "b": 6.88, "y": 0.5}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tanh(x*w + b)", math.tanh(2 * -3 + 6.88)),
        ("x + w - b * y / 2", 2 - 3 - 6.88 * 0.5 / 2),
        ("x ** 3", 8.0),
        ("x ** w", 2.0**-3),
        ("-x", -2.0),
        ("-(x + w)", 1.0),
        ("((x))", 2.0),
        ("2 * x", 4.0),
        ("1e-3 * x + 0.5", 0.502),
        ("exp(y) + log(x) + sigmoid(w) + relu(w) + softplus(y)",
         math.exp(0.5) + math.log(2) + 1 / (1 + math.exp(3)) + 0 + math.log1p(math.exp(0.5))),
        ("sin(x) * cos(x) + sqrt(x) + abs(w)",
         math.sin(2) * math.cos(2) + math.sqrt(2) + 3),
        ("leaky_relu(w)", -0.03),
        ("leaky_relu(w, 0.2)", -0.6),
        ("leaky_relu(w, -1 / 10)", 0.3),
        ("  x + 1", 3.0),
        ("x + 1_000", 1002.0),
    ],
)  # fmt: skip
def test_accepted_expressions_compute_their_value(text, expected):
    assert evaluate(text, BINDINGS).data == pytest.approx(expected)


def test_names_become_labelled_leaves_shared_by_every_use():
    root = evaluate("x * x + w", {"x": 3.0, "w": 1.0})
    root.backward()
    leaves = [node for node in root.graph() if not node.parents]
    assert sorted(leaf.label for leaf in leaves) == ["w", "x"]
    x = next(leaf for leaf in leaves if leaf.label == "x")
    assert x.grad == 6.0
    assert [node.op for node in root.graph() if node.parents] == ["*", "+"]


def test_the_graph_uses_the_engine_ops():
    ops = {node.op for node in evaluate("tanh(x*w + b) ** 2 - abs(-y)", BINDINGS).graph()}
    assert {"tanh", "*", "+", "**2", "-", "abs", "neg"} <= ops


def test_number_only_parts_fold_to_one_constant_with_ieee_results():
    root = evaluate("x * (1 / 0)", {"x": 1.0})
    constants = [n for n in root.graph() if not n.parents and not n.label]
    assert [c.data for c in constants] == [math.inf]
    assert evaluate("10 ** 400 + x", {"x": 1.0}).data == math.inf  # no OverflowError


def test_an_expression_without_names_gives_a_constant_value():
    root = evaluate("2 * 3", {})
    assert isinstance(root, Value) and root.data == 6.0 and not root.parents


def test_names_are_listed_in_order_of_first_use():
    assert parse_expression("b + tanh(x) * b + w").names == ("b", "x", "w")


def test_deep_nesting_within_the_length_limit_works():
    assert evaluate("-" * (MAX_LENGTH - 1) + "x", {"x": 1.0}).data == -1.0
    assert evaluate("+".join(["x"] * 250), {"x": 1.0}).data == 250.0


def caret_span(error: ExpressionError) -> tuple[int, int]:
    """Where the caret line points, in columns of the expression line shown above it."""
    text_line, caret_line = str(error).splitlines()[-2:]
    start = caret_line.index("^")
    return start - 2, len(caret_line.rstrip()) - 2  # both lines are indented by two spaces


@pytest.mark.parametrize(
    ("text", "message", "pointed_at"),
    [
        ("tanh(x.data)", "attribute access", ".data"),
        ("x.exp()", "attribute access", ".exp"),
        ('__import__("os").system("ls")', "attribute access", ".system"),
        ("x[0] + 1", "subscripts", "[0]"),
        ("open(x)", "'open' is not a function", "open"),
        ('__import__("os")', "'__import__' is not a function", "__import__"),
        ("eval('1')", "'eval' is not a function", "eval"),
        ("x + zz", "unbound name 'zz'", "zz"),
        ("x // 2", "operator //", "//"),
        ("x % 2", "operator %", "%"),
        ("+x", "unary +", "+"),
        ("not x", "unary not", "not"),
        ("x < w", "comparisons", "x < w"),
        ("x if w else b", "conditional", "x if w else b"),
        ("lambda: 1", "lambda", "lambda: 1"),
        ("[x, w]", "lists", "[x, w]"),
        ("(x, w)", "tuples", "(x, w)"),
        ("'text'", "not a real number", "'text'"),
        ("True + x", "not a real number", "True"),
        ("2j * x", "not a real number", "2j"),
        ("tanh(x, w)", "takes 1 argument", "tanh(x, w)"),
        ("tanh()", "takes 1 argument", "tanh()"),
        ("leaky_relu(x, w)", "slope must be a number", "w"),
        ("exp(x=1)", "keyword", "x=1"),
        ("exp + 1", "exp is a function", "exp"),
        ("(x := 2)", "assignments", "x := 2"),
        ("x + (w", "never closed", "("),
        ("x +", "incomplete", ""),
        ("f'{x}'", "f-strings", "f'{x}'"),
    ],
)
def test_rejected_expressions_point_at_the_offending_part(text, message, pointed_at):
    with pytest.raises(ExpressionError) as raised:
        parse_expression(text, bound={"x", "w", "b"})
    error = raised.value
    assert message in str(error)
    start, end = caret_span(error)
    if pointed_at:
        assert text[start:end] == pointed_at
    else:
        assert start == len(text)  # just past the end


def test_the_first_offending_part_from_the_left_is_reported():
    with pytest.raises(ExpressionError) as raised:
        parse_expression("x.a + y[0]", bound={"x", "y"})
    assert "attribute" in str(raised.value)


def test_positions_count_characters_not_bytes():
    with pytest.raises(ExpressionError) as raised:
        parse_expression("θ + φ.real", bound={"θ", "φ"})
    text = "θ + φ.real"
    start, end = caret_span(raised.value)
    assert text[start:end] == ".real"


def test_over_long_input_is_rejected_before_parsing():
    text = "x+" * MAX_LENGTH
    with pytest.raises(ExpressionError, match=f"the limit is {MAX_LENGTH}") as raised:
        parse_expression(text, bound={"x"})
    assert "…" in str(raised.value)  # the shown line is a window, not the whole input
    assert all(len(line) < 100 for line in str(raised.value).splitlines()[1:])


def test_newlines_and_control_characters_are_rejected():
    with pytest.raises(ExpressionError, match="control character"):
        parse_expression("x\n+ 1", bound={"x"})
    with pytest.raises(ExpressionError, match="control character"):
        parse_expression("x\x00", bound={"x"})


def test_empty_expression():
    with pytest.raises(ExpressionError, match="empty"):
        parse_expression("   ")


@pytest.mark.parametrize(
    ("argument", "expected"),
    [("x=2", ("x", 2.0)), ("w=-3", ("w", -3.0)), ("b=6.88", ("b", 6.88)), ("θ=1e-3", ("θ", 1e-3))],
)
def test_bindings(argument, expected):
    assert parse_binding(argument) == expected


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("x", "NAME=NUMBER"),
        ("x=abc", "not a number"),
        ("1x=2", "not a valid name"),
        ("lambda=2", "not a valid name"),
        ("exp=2", "function name"),
    ],
)
def test_bad_bindings(argument, message):
    with pytest.raises(ExpressionError, match=message):
        parse_binding(argument)


def test_binding_a_name_twice_is_an_error():
    with pytest.raises(ExpressionError, match="bound twice"):
        parse_bindings(["x=1", "x=2"])

"""autograd.steps.trace: the graph as a table, before, during and after a walk."""

from __future__ import annotations

import io
import re

import pytest
from stepping_graphs import lecture_neuron

import autograd
from autograd import Value, trace
from autograd.steps.trace import Trace, format_trace


def test_the_table_lists_every_node_inputs_first():
    o = lecture_neuron()
    table = format_trace(o)
    lines = table.splitlines()
    assert lines[0].split() == ["name", "op", "inputs", "data", "grad"]
    names = [line.split()[0] for line in lines[1:]]
    assert names == [node.label.split()[0] for node in o.graph()]
    n_row = next(line for line in lines if line.startswith("n "))
    assert re.split(r"\s{2,}", n_row) == ["n", "+", "x1*w1 + x2*w2, b", "0.8814", "0.0000"]
    x1_row = next(line for line in lines if line.startswith("x1 "))
    assert re.split(r"\s{2,}", x1_row) == ["x1", "leaf", "2.0000", "0.0000"]


def test_numbers_line_up_on_the_right():
    table = format_trace(lecture_neuron())
    ends = {len(line) for line in table.splitlines()}
    assert len(ends) == 1  # the grad column is right-aligned, so every line ends together


def test_trace_prints_and_follows_the_gradients():
    o = lecture_neuron()
    out = io.StringIO()
    steps = o.backward_steps()
    next(steps)
    trace(o, file=out)
    printed = out.getvalue()
    assert printed == format_trace(o) + "\n"
    n_row = next(line for line in printed.splitlines() if line.startswith("n "))
    assert n_row.endswith("0.5000")  # the walk's first step reached n
    list(steps)
    x1_row = next(line for line in format_trace(o).splitlines() if line.startswith("x1 "))
    assert x1_row.endswith("-1.5000")


def test_trace_returns_a_table_a_repl_shows_as_text(capsys):
    table = trace(Value(1.5, label="x"))
    assert capsys.readouterr().out == ""  # a REPL shows it by its repr; a script print()s it
    assert isinstance(table, Trace)
    assert repr(table) == str(table) == format_trace(Value(1.5, label="x"))
    assert str(table).splitlines()[1].split() == ["x", "leaf", "1.5000", "0.0000"]
    assert table.header == ("name", "op", "inputs", "data", "grad")
    assert table.rows == (("x", "leaf", "", "1.5000", "0.0000"),)


def test_in_a_notebook_trace_is_an_html_table_with_labels_as_text():
    x = Value(2.0, label="<script>alert(1)</script>")
    y = (x * 3).tanh()
    steps = list(y.backward_steps())
    page = trace(y, step=steps[0])._repr_html_()
    assert page.startswith('<table class="chainrule-trace">') and page.count("<tr>") == 5
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<td style="text-align:right">2.0000</td>' in page  # numbers as format_trace has them
    assert '<td style="text-align:left">current</td>' in page


def test_with_a_step_the_table_shows_the_state_and_gradients_of_then():
    o = lecture_neuron()
    steps = list(o.backward_steps())
    table = format_trace(o, step=steps[0])
    lines = table.splitlines()
    assert lines[0].split() == ["name", "op", "inputs", "data", "grad", "state"]
    by_name = {re.split(r"\s{2,}", line)[0]: re.split(r"\s{2,}", line) for line in lines[1:]}
    assert by_name["o"][-2:] == ["1.0000", "current"]
    assert by_name["n"][-2:] == ["0.5000", "receiving"]
    assert by_name["x1"][-2:] == ["0.0000", "unreached"]  # though x1.grad is -1.5 by now


def test_unlabelled_nodes_get_generated_names():
    x = Value(2.0, label="x")
    y = (x * 3).exp()
    lines = format_trace(y, precision=1).splitlines()
    assert [re.split(r"\s{2,}", line) for line in lines[1:]] == [
        ["x", "leaf", "2.0", "0.0"],
        ["v1", "leaf", "3.0", "0.0"],
        ["v2", "*", "x, v1", "6.0", "0.0"],
        ["v3", "exp", "v2", "403.4", "0.0"],
    ]


def test_many_inputs_are_shortened():
    xs = [Value(1.0, label=f"x{i}") for i in range(10)]
    total = autograd.sum_values(xs)
    last = format_trace(total).splitlines()[-1]
    assert "x0, x1, x2, x3, x4, … (+5)" in last


def test_bad_arguments():
    o = lecture_neuron()
    with pytest.raises(TypeError, match="needs a Value"):
        format_trace(3.0)
    with pytest.raises(ValueError, match="precision"):
        format_trace(o, precision=-1)
    with pytest.raises(TypeError, match="Step"):
        format_trace(o, step="first")
    other = lecture_neuron()
    step = next(other.backward_steps())
    with pytest.raises(ValueError, match="another graph"):
        format_trace(o, step=step)

"""detect_anomaly(): the first nan or inf, forward or backward, named with where it was made."""

import gc
import math
import threading

import pytest

import autograd
import nn
from autograd import Value, define_op, detect_anomaly
from autograd.anomaly import _creation_sites
from autograd.grad_mode import grad_mode


def test_forward_nan_names_the_op_inputs_and_the_users_line():
    x = Value(-1.0, label="x")
    with pytest.raises(FloatingPointError) as error, detect_anomaly():
        y = x * 2.0
        y.sqrt()  # the line the message must point at
    message = str(error.value)
    assert "op 'sqrt' produced nan" in message
    assert "-2.0" in message
    assert "test_anomaly.py" in message and "y.sqrt()" in message


def test_backward_inf_names_the_node_label_and_the_input():
    x = Value(0.0, label="x")
    with detect_anomaly():
        root = (x * 1.0).sqrt()
        root.label = "r"
        out = root * 3.0
        with pytest.raises(FloatingPointError) as error:
            out.backward()
    message = str(error.value)
    assert "backward of op 'sqrt' at node 'r'" in message
    assert "gradient inf" in message and "upstream 3.0" in message
    assert "root = (x * 1.0).sqrt()" in message
    assert x.grad == 0.0  # nothing half-accumulated


def test_finite_graphs_pass_and_gradients_match_normal_mode():
    def run():
        a, b = Value(0.3), Value(-1.2)
        loss = ((a * b).tanh() + a.exp() / (b * b)).log()
        loss.backward()
        return a.grad, b.grad

    expected = run()
    with detect_anomaly():
        assert run() == expected


def test_sites_are_recorded_only_in_anomaly_mode_and_go_with_their_nodes():
    gc.collect()
    before = len(_creation_sites)
    Value(1.0) * 2
    assert len(_creation_sites) == before
    with detect_anomaly():
        kept = Value(1.0) * 2
    assert len(_creation_sites) == before + 1
    del kept
    gc.collect()
    assert len(_creation_sites) == before


# ----- the wording, case by case ------------------------------------------------------


def test_a_nan_gradient_names_the_first_op_back_from_the_output():
    # sqrt'(0) = inf meets an upstream 0: the nan appears in sqrt's backward, not later ones.
    x = Value(0.0, label="x")
    with detect_anomaly():
        s = x.sqrt()
        s.label = "s"
        loss = (s * 0.0 + 1.0).tanh()
        with pytest.raises(FloatingPointError) as error:
            loss.backward()
    message = str(error.value)
    assert "backward of op 'sqrt' at node 's'" in message
    assert "gradient nan" in message and "local inf" in message
    assert "inputs (x=0.0)" in message
    assert "s = x.sqrt()" in message


def test_forward_names_the_inputs_labels_and_values_for_every_kind_of_op():
    a, b = Value(1e308, label="a"), Value(10.0, label="b")
    with detect_anomaly():
        for make, op, line in [
            (lambda: a * b, "'*'", "lambda: a * b,"),
            (lambda: autograd.linear([a], [b], 0.0), "'linear'", "autograd.linear([a], [b]"),
            (lambda: a**b, "'**'", "lambda: a**b,"),
            (lambda: overflowing_cube(a), "'cube'", "overflowing_cube(a)"),
        ]:
            with pytest.raises(FloatingPointError) as error:
                make()
            message = str(error.value)
            assert f"op {op} produced inf" in message
            assert "a=1e+308" in message
            assert "test_anomaly.py" in message and line in message


overflowing_cube = define_op("cube", lambda x: x**3, lambda x, out: 3 * x**2)


def test_gradients_that_overflow_only_when_summed_are_caught_at_a_leaf():
    # Each contribution (1e308) is finite; their sum at the leaf is inf.
    x = Value(0.0, label="x")
    with detect_anomaly():
        y = x * 1e308 + x * 1e308
        with pytest.raises(FloatingPointError) as error:
            y.backward()
    message = str(error.value)
    assert "gradient of 'x'" in message and "sums to inf" in message
    assert "1e+308" in message and "op '*'" in message
    assert "y = x * 1e308 + x * 1e308" in message
    assert x.grad == 0.0


def test_the_creation_site_is_the_users_line_not_the_libraries():
    model = nn.MLP(2, [2, 1], rng=0)
    with detect_anomaly(), pytest.raises(FloatingPointError) as error:
        model([math.inf, 0.0])  # the user's line, though the node is made inside nn
    message = str(error.value)
    assert "op 'linear'" in message
    assert "test_anomaly.py" in message and "model([math.inf, 0.0])" in message
    assert "nn/layers.py" not in message


def test_as_a_decorator_and_restored_after_an_error():
    @detect_anomaly()
    def diverge(v):
        return v.log()

    with pytest.raises(FloatingPointError, match="op 'log' produced -inf"):
        diverge(Value(0.0))
    assert Value(0.0).log().data == -math.inf  # off again outside
    assert not grad_mode.anomaly


def test_after_an_anomaly_the_graph_can_be_backpropagated_normally():
    x = Value(0.0, label="x")
    with detect_anomaly():
        y = x.sqrt() * 2.0
        with pytest.raises(FloatingPointError):
            y.backward()
    y.backward()
    assert x.grad == math.inf


def test_anomaly_mode_is_per_thread():
    seen = {}

    def other_thread():
        seen["other"] = Value(-1.0).sqrt().data  # no error here: the mode is not on

    with detect_anomaly():
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        with pytest.raises(FloatingPointError):
            Value(-1.0).sqrt()
    assert math.isnan(seen["other"])


def test_no_sites_are_recorded_outside_the_mode_even_for_big_graphs():
    gc.collect()
    before = len(_creation_sites)
    x = Value(0.5)
    y = x
    for _ in range(1000):
        y = (y * 1.0001).tanh() + 0.001
    y.backward()
    assert len(_creation_sites) == before

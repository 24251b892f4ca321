"""detect_anomaly(): the first nan or inf, forward or backward, named with where it was made."""

import gc

import pytest

from autograd import Value, detect_anomaly
from autograd.anomaly import _creation_sites


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

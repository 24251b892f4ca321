"""Gradient hooks: when they run, what they may return, and that removing them works."""

import gc
import math

import pytest

from autograd import Value, detect_anomaly, grad
from autograd.hooks import any_hooks


def test_a_hook_sees_the_complete_gradient_once():
    x = Value(2.0)
    h = x * x  # used twice below: the hook runs once, with the sum
    seen = []
    handle = h.register_hook(lambda g: seen.append(g.data))
    (h * 3 + h.tanh()).backward()
    assert seen == [pytest.approx(3 + (1 - math.tanh(4.0) ** 2))]
    handle.remove()


def test_a_replacement_flows_on_to_the_inputs():
    x = Value(2.0)
    h = x * 5
    with h.register_hook(lambda g: 0.0):
        (h * h).backward()
    assert x.grad == 0.0
    assert not any_hooks()  # the with block removed it


def test_hooks_run_in_anomaly_mode_and_when_building_a_graph():
    x = Value(0.5)
    h = x.sin()
    handle = h.register_hook(lambda g: g * 2)
    with detect_anomaly():
        (h * h).backward()
    assert x.grad == pytest.approx(2 * 2 * math.sin(0.5) * math.cos(0.5))
    (d,) = grad(h * h, [x], create_graph=True)  # 2 * (2 sin x cos x) = 2 sin 2x
    handle.remove()  # else it would double again in the next pass, which goes through h too
    (dd,) = grad(d, [x])
    assert dd == pytest.approx(4 * math.cos(1.0))


def test_a_hook_returning_something_else_is_a_clear_error():
    x = Value(1.0)
    h = x * 2
    handle = h.register_hook(lambda g: "twice")
    with pytest.raises(TypeError, match="returned str.*None .keep the gradient."):
        h.backward()
    assert x._acc is None and h._acc is None  # the pass cleaned up after itself
    handle.remove()
    with pytest.raises(TypeError, match="function of the gradient"):
        h.register_hook(3)


def test_hooks_go_with_their_nodes():
    x = Value(1.0)
    (x * 2).register_hook(print)  # the node is dropped at once
    gc.collect()
    assert not any_hooks()

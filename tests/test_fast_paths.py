"""The engine's fast paths give what the plain rules give, at the edges too.

Node building skips the thread-local grad mode while no mode block is open (grad_mode.py,
_SwitchedThreads); a node keeps one or two inputs in slots rather than a tuple (value.py); backward
walks those slots and writes out * and + (backward.py). Each is checked here against the rule it
stands for.
"""

import itertools
import math
import struct
import threading

import pytest

from autograd import (
    Value,
    detect_anomaly,
    enable_grad,
    inference_mode,
    linear,
    no_grad,
    set_grad_enabled,
    sum_values,
)
from autograd.grad_mode import switched_threads

EDGES = [0.0, -0.0, 1.5, -2.0, math.inf, -math.inf, math.nan, 1e308, 5e-324]


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


def _plain_backward(root: Value) -> None:
    """Gradients by the lecture's rule, node by node (Value._backward), from the output back."""
    for node in root.graph():
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(root.graph()):
        node._backward()


@pytest.mark.parametrize(("a", "b"), list(itertools.product(EDGES, repeat=2)))
def test_products_and_sums_build_and_propagate_as_the_plain_rule(a, b):
    def graph():
        x, y = Value(a), Value(b)
        root = (x * y + x) * (y + y) + x * x
        return root, x, y

    fast, fx, fy = graph()
    fast.backward()
    plain, px, py = graph()
    _plain_backward(plain)
    assert _bits(fast.data) == _bits(plain.data) == _bits(((a * b + a) * (b + b)) + a * a)
    assert _bits(fx.grad) == _bits(px.grad) and _bits(fy.grad) == _bits(py.grad)


def test_a_node_of_one_two_or_many_inputs_lists_them_in_operand_order():
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    assert a.parents == () and a._prev == ()
    assert a.relu().parents == (a,)
    assert (a * b).parents == (a, b) and (b - a).parents == (b, a) and (a + a).parents == (a, a)
    assert linear([a, b], [c, a], 1.0).parents[:4] == (a, b, c, a)
    assert sum_values([a]).parents == (a,) and sum_values([b, c]).parents == (b, c)
    assert Value(4.0, (a, b, c), "sum").parents == (a, b, c)
    assert Value(4.0, (b,), "relu").parents == (b,) and Value(5.0, (), "").parents == ()
    node = Value(1.0)
    node.parents = (a, b, c)
    assert node.parents == (a, b, c)
    node.parents = [c]
    assert node.parents == (c,)
    node.parents = ()
    assert node.parents == ()


def test_a_thread_is_counted_while_out_of_the_default_mode_and_uncounted_after():
    assert switched_threads.count == 0
    with no_grad():
        assert switched_threads.count == 1
        with detect_anomaly():
            assert switched_threads.count == 1  # one thread, however many blocks
            with enable_grad():
                assert switched_threads.count == 1  # recording again, but checking
        with enable_grad():
            assert switched_threads.count == 0  # back in the default mode
            assert (Value(1.0) * 2).op == "*"
        assert (Value(1.0) * 2).op == ""
    assert switched_threads.count == 0
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            1 / 0  # noqa: B018
    assert switched_threads.count == 0

    @no_grad()
    def evaluate(x):
        return x * 2

    assert evaluate(Value(1.0)).parents == ()
    with inference_mode():
        assert (Value(1.0) * 2).op == ""
    assert switched_threads.count == 0


def test_set_grad_enabled_called_as_a_function_is_seen_by_node_building():
    try:
        set_grad_enabled(False)  # no block: from now on, in this thread
        assert switched_threads.count == 1
        assert (Value(1.0) * 2).parents == () and Value(1.0).relu().op == ""
    finally:
        set_grad_enabled(True)
    assert switched_threads.count == 0
    assert (Value(1.0) * 2).op == "*"


def test_another_threads_no_grad_block_does_not_leak_into_this_thread():
    inside, built = threading.Event(), threading.Event()
    results = {}

    def evaluate():
        with no_grad():
            inside.set()
            built.wait(10)
            results["theirs"] = Value(2.0) * 3

    thread = threading.Thread(target=evaluate)
    thread.start()
    assert inside.wait(10)
    x = Value(1.0)
    results["ours"] = x * 3  # built while the other thread sits in no_grad
    built.set()
    thread.join(10)
    assert results["ours"].parents[0] is x and results["ours"].op == "*"
    assert results["theirs"].parents == () and results["theirs"].op == ""
    assert switched_threads.count == 0


def test_anomaly_mode_still_checks_every_new_node():
    with detect_anomaly(), pytest.raises(FloatingPointError, match="op '\\*' produced nan"):
        Value(math.inf) * 0.0

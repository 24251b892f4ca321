"""backward(), grad(), higher derivatives, no_grad and graphs too deep for recursion."""

import contextlib
import gc
import math
import sys
import threading

import pytest

import autograd
from autograd import Value, define_op, grad, no_grad
from autograd.grad_mode import enable_grad, is_grad_enabled


def test_backward_accumulates_on_every_node():
    # Calling backward twice doubles every gradient, intermediate nodes included (PyTorch's
    # accumulation for leaves; micrograd-style gradients on every node).
    x = Value(3.0)
    h = x * x
    y = h.tanh() + h
    y.backward()
    first = (x.grad, h.grad, y.grad)
    y.backward()
    assert (x.grad, h.grad, y.grad) == tuple(2 * g for g in first)
    assert math.isclose(first[0], (1 - math.tanh(9.0) ** 2 + 1) * 6.0)


def test_a_node_used_twice_sums_both_paths():
    x = Value(2.0)
    y = x * x + x  # dy/dx = 2x + 1
    y.backward()
    assert x.grad == 5.0


def test_backward_with_an_upstream_gradient():
    x = Value(2.0)
    (x * 3).backward(grad=0.5)
    assert x.grad == 1.5


def test_grad_returns_gradients_and_leaves_dot_grad_alone():
    x, y = Value(2.0), Value(-1.5)
    z = x * y + x.exp()
    dx, dy = grad(z, [x, y])
    assert math.isclose(dx, -1.5 + math.exp(2.0)) and dy == 2.0
    assert (x.grad, y.grad, z.grad) == (0.0, 0.0, 0.0)
    (dx_only,) = grad(z, x, grad_output=2.0)
    assert math.isclose(dx_only, 2 * dx)


def test_grad_of_an_unused_input_is_an_error_unless_allowed():
    # PyTorch's rule: a silent 0 would hide a graph that was cut by mistake.
    x, unused = Value(1.0), Value(5.0)
    with pytest.raises(RuntimeError, match=r"inputs\[1\].*not in the graph.*allow_unused=True"):
        grad(x * 2, [x, unused])
    assert grad(x * 2, [x, unused], allow_unused=True) == (2.0, None)
    assert grad(x * 2, [x, unused], materialize_grads=True) == (2.0, 0.0)
    (zero,) = grad(x * 2, [unused], create_graph=True, materialize_grads=True)
    assert isinstance(zero, Value) and zero.data == 0.0
    with pytest.raises(ValueError, match="materialize_grads=True needs allow_unused"):
        grad(x * 2, [unused], allow_unused=False, materialize_grads=True)


def test_grad_of_several_outputs_weighs_each():
    x, y = Value(2.0), Value(3.0)
    a, b = x * y, x + y
    assert grad([a, b], [x, y]) == (4.0, 3.0)
    assert grad([a, b], [x, y], grad_outputs=[2.0, -1.0]) == (5.0, 3.0)
    assert grad([a, a], [x]) == (6.0,)  # the same output twice counts twice
    # One output inside the other's graph: its own seed and what flows back through the other.
    assert grad([a, a * a], [x], [1.0, 1.0]) == (3.0 + 2 * 6.0 * 3.0,)
    with pytest.raises(ValueError, match="3 grad_outputs for 2 outputs"):
        grad([a, b], [x], [1.0, 1.0, 1.0])
    with pytest.raises(TypeError, match="2 outputs need a list of 2 grad_outputs"):
        grad([a, b], [x], 2.0)


def test_higher_derivatives_through_create_graph():
    x = Value(0.8)
    y = x**3 * x.sin()
    (d1,) = grad(y, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x])
    s, c, a = math.sin(0.8), math.cos(0.8), 0.8
    assert math.isclose(d1.data, 3 * a**2 * s + a**3 * c, rel_tol=1e-12)
    assert math.isclose(d2.data, 6 * a * s + 6 * a**2 * c - a**3 * s, rel_tol=1e-12)
    assert math.isclose(d3, 6 * s + 18 * a * c - 9 * a**2 * s - a**3 * c, rel_tol=1e-12)


def test_hessian_entries_of_a_two_input_function():
    x, y = Value(0.3), Value(-1.2)
    f = x * x * y + (x * y).exp()
    dx, dy = grad(f, [x, y], create_graph=True)
    dxx, dxy = grad(dx, [x, y])
    dyx, dyy = grad(dy, [x, y])
    e = math.exp(0.3 * -1.2)
    assert math.isclose(dxx, 2 * -1.2 + (-1.2) ** 2 * e, rel_tol=1e-12)
    assert math.isclose(dxy, 2 * 0.3 + e + 0.3 * -1.2 * e, rel_tol=1e-12)
    assert math.isclose(dyx, dxy, rel_tol=1e-12)
    assert math.isclose(dyy, 0.3**2 * e, rel_tol=1e-12)


def test_backward_with_create_graph_leaves_differentiable_grads():
    x = Value(1.5)
    y = x**3
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 3 * 1.5**2
    (second,) = grad(x.grad, [x])
    assert second == 6 * 1.5


def test_constant_gradient_with_create_graph_is_a_value():
    x = Value(1.0)
    (d,) = grad(x * 2 + 1, [x], create_graph=True)
    assert isinstance(d, Value) and d.data == 2.0
    assert grad(d, [x], materialize_grads=True) == (0.0,)


def test_no_grad_makes_leaves_as_context_and_decorator():
    x = Value(2.0)
    with no_grad():
        assert not is_grad_enabled()
        y = x * x
        with enable_grad():
            assert (x * x).parents == (x, x)
    assert is_grad_enabled()
    assert y.parents == () and y.op == "" and y.data == 4.0

    @no_grad()
    def evaluate(v):
        return v.exp()

    assert evaluate(x).parents == ()
    assert (x * x).parents == (x, x)


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError), no_grad():
        raise ZeroDivisionError
    assert is_grad_enabled()


def test_no_grad_is_thread_local():
    seen = {}
    entered, release = threading.Event(), threading.Event()

    def other_thread():
        entered.wait()
        seen["other"] = (Value(1.0) * 2).parents != ()
        release.set()

    thread = threading.Thread(target=other_thread)
    thread.start()
    with no_grad():
        entered.set()
        release.wait(timeout=10)
        seen["here"] = (Value(1.0) * 2).parents != ()
    thread.join()
    assert seen == {"other": True, "here": False}


def workload(seed: int, rounds: int, barrier: threading.Barrier | None = None) -> list:
    """Build and differentiate a fresh graph each round; what each round saw, for comparison.

    Under no_grad() the nodes are leaves and backward reaches nothing; the rounds that switch
    enable_grad() back on build real graphs. Between building and differentiating, the two
    threads wait for each other, so one builds while the other builds or differentiates.
    """
    seen = []
    for r in range(rounds):
        x, w = Value(0.1 * seed + 0.01 * r, label="x"), Value(-0.3 + 0.02 * r, label="w")
        with enable_grad() if r % 3 == 0 else contextlib.nullcontext():
            y = x
            for i in range(300):
                y = (y * w + x).tanh() if i % 2 else y + (x * w).sin() * 0.5
            if barrier is not None:
                barrier.wait()
            y.backward()
        seen.append((is_grad_enabled(), y.data, x.grad, w.grad, len(y.graph())))
        if barrier is not None:
            barrier.wait()
    return seen


def in_no_grad(seed: int, rounds: int, barrier: threading.Barrier | None = None) -> list:
    with no_grad():
        return workload(seed, rounds, barrier)


def test_two_threads_one_inside_no_grad_give_the_sequential_results():
    rounds = 12
    sequential = [workload(1, rounds), in_no_grad(2, rounds)]
    assert sequential[1][0][4] > 1 and sequential[1][1][4] == 1  # both kinds of round happen

    barrier = threading.Barrier(2, timeout=60)
    results: list = [None, None]

    def run(slot, function, seed):
        results[slot] = function(seed, rounds, barrier)

    previous_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, mid-graph
    try:
        threads = [threading.Thread(target=run, args=(0, workload, 1)),
                   threading.Thread(target=run, args=(1, in_no_grad, 2))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        sys.setswitchinterval(previous_interval)
    assert not barrier.broken
    assert results == sequential


def test_two_threads_backward_through_the_same_graph_take_turns():
    entered, release = threading.Event(), threading.Event()

    def slow_partial(x, out):
        entered.set()
        release.wait(timeout=30)
        return 1.0

    slow = define_op("slow_identity", lambda x: x, slow_partial)
    x = Value(2.0)
    y = slow(x) * 3.0
    first = threading.Thread(target=y.backward)
    first.start()
    assert entered.wait(timeout=30)
    second = threading.Thread(target=y.backward)
    second.start()
    second.join(timeout=0.5)
    assert second.is_alive()  # waiting for the first pass, not running through its sums
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert x.grad == 6.0  # both passes counted, as one after the other


def test_two_threads_training_one_model_match_the_sequential_run():
    # The graphs share the parameters: passes over shared nodes must not interleave.
    def make_weights():
        return [Value(0.1 * k - 0.3) for k in range(8)]

    def work(weights, seed, rounds=30):
        for r in range(rounds):
            x = [Value(0.01 * (seed + r + k)) for k in range(8)]
            loss = sum(((w * xi).tanh() for w, xi in zip(weights, x)), Value(0.0)) ** 2
            loss.backward()

    sequential = make_weights()
    for seed in range(4):
        work(sequential, seed)
    shared = make_weights()
    previous_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work, args=(shared, s)) for s in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        sys.setswitchinterval(previous_interval)
    for a, b in zip(shared, sequential):
        assert math.isclose(a.grad, b.grad, rel_tol=1e-12)


def test_a_pass_started_from_inside_an_op_rule_on_the_same_graph_is_refused():
    holder = {}

    def reentrant_partial(x, out):
        holder["y"].backward()
        return 1.0

    op = define_op("reentrant_identity", lambda x: x, reentrant_partial)
    x = Value(2.0)
    holder["y"] = y = op(x) * 3.0
    with pytest.raises(RuntimeError, match="already running through this graph"):
        y.backward()
    assert x.grad == 0.0
    holder["y"] = Value(0.0) * 1.0  # a rule that differentiates another graph is fine
    y.backward()
    assert x.grad == 3.0


def test_threads_differentiating_separate_graphs_agree_with_sequential_runs():
    def work(seed, results):
        x = Value(0.1 * seed)
        y = x
        for i in range(2000):
            y = (y * 0.999 + x * 0.001).tanh() if i % 2 else y + x.sin() * 0.0001
        y.backward()
        results[seed] = (y.data, x.grad)

    sequential, parallel = {}, {}
    for seed in range(4):
        work(seed, sequential)
    threads = [threading.Thread(target=work, args=(s, parallel)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert parallel == sequential


def test_graph_is_in_topological_order_with_the_root_last():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    t = d.tanh()
    e = t * c
    order = e.graph()
    assert order[-1] is e and set(order) == {a, b, c, d, t, e}
    position = {id(v): i for i, v in enumerate(order)}
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)]
    assert len(order) == len({id(v) for v in order})


def allocated_blocks() -> int:
    """Objects Python's allocator holds (a Value, its parents tuple and a float are one each)."""
    gc.collect()
    return sys.getallocatedblocks()


def test_topological_order_of_several_roots_covers_each_once():
    a, b = Value(1.0), Value(2.0)
    shared = a * b
    first, second = shared + a, shared.exp()
    order = autograd.topological_order(first, second, b)
    assert len(order) == len(set(order)) == 5
    assert order.index(shared) < order.index(first) and order.index(shared) < order.index(second)
    with pytest.raises(TypeError, match="at least one Value"):
        autograd.topological_order()


def test_a_million_node_chain_backpropagates_without_recursion_and_is_freed():
    baseline = allocated_blocks()
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0 and y.data == 1_000_001.0
    assert sys.getallocatedblocks() - baseline > 3_000_000  # the graph: node, tuple, float
    del x, y
    # Dropped, the graph is freed: no cache, registry or hidden reference keeps any of it.
    assert allocated_blocks() - baseline < 1000


def test_a_million_term_sum_as_a_chain_and_as_one_node_and_both_are_freed():
    baseline = allocated_blocks()
    xs = [Value(float(i)) for i in range(1000)]
    chained = xs[0]
    for i in range(1, 1_000_000):
        chained = chained + xs[i % 1000]
    chained.backward()
    assert xs[0].grad == 1000.0 and xs[999].grad == 1000.0
    one_node = autograd.sum_values([xs[i % 1000] for i in range(1_000_000)])
    one_node.backward(grad=0.5)  # a million parents, each of the 1000 leaves 1000 times
    assert xs[0].grad == 1500.0 and xs[999].grad == 1500.0
    assert one_node.data == chained.data == 1000 * sum(range(1000))
    assert sys.getallocatedblocks() - baseline > 2_000_000
    del xs, chained, one_node
    assert allocated_blocks() - baseline < 1000


def test_graphs_hold_no_reference_cycles():
    # Without cycles a dropped graph is freed by reference counting alone.
    gc.collect()
    gc.disable()
    try:
        x = Value(1.0)
        y = (x * x).tanh() + x.exp() ** 2 / 3
        y.backward()
        (d,) = grad(y, [x], create_graph=True)
        del y, d
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_backward_that_fails_leaves_the_graph_usable():
    from autograd import define_op

    calls = {"n": 0}

    def flaky_partial(x, out):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("boom")
        return 2.0

    double = define_op("double_flaky", lambda x: 2 * x, flaky_partial)
    x = Value(1.0)
    y = double(x) + x
    with pytest.raises(RuntimeError, match="boom"):
        y.backward()
    y.backward()
    assert x.grad == 3.0


def test_a_grad_of_none_counts_as_zero():
    # PyTorch's zero_grad(set_to_none=True) leaves None; the next backward starts from it.
    x = Value(3.0)
    x.grad = None
    (x * x).backward()
    assert x.grad == 6.0
    x.grad = None
    (x * x).backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 6.0

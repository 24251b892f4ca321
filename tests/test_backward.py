"""backward(), grad(), higher derivatives, no_grad and graphs too deep for recursion."""

import gc
import math
import threading

import pytest

from autograd import Value, grad, no_grad
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


def test_grad_of_an_unused_input_is_zero():
    x, unused = Value(1.0), Value(5.0)
    assert grad(x * 2, [unused]) == (0.0,)


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
    assert grad(d, [x]) == (0.0,)


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


def test_a_million_node_chain_backpropagates_without_recursion():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0 and y.data == 1_000_001.0


def test_a_million_term_sum():
    xs = [Value(float(i)) for i in range(1000)]
    total = xs[0]
    for i in range(1, 1_000_000):
        total = total + xs[i % 1000]
    total.backward()
    assert xs[0].grad == 1000.0 and xs[999].grad == 1000.0


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

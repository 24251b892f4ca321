"""Compiled replay against eager backward: random graphs over every op, every op at IEEE edge
inputs, and the accumulation semantics of ``tape.run()``."""

import math

import numpy as np
import pytest
from compile_recipes import KINDS, build, disagreements, random_recipe
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Value


def eager_and_compiled(recipe, values):
    """(eager values and leaf gradients, compiled ones) of the recipe on leaves ``values``."""
    leaves = [Value(x) for x in values]
    nodes, output = build(recipe, leaves)
    (output * 1.7).backward()  # an upstream gradient that is not 1
    eager = ([n.data for n in nodes], [leaf.grad for leaf in leaves])

    leaves = [Value(x) for x in values]
    nodes, output = build(recipe, leaves)
    scaled = output * 1.7
    values_tape = autograd.compile(nodes)
    tape = autograd.compile(scaled)
    del nodes, output, scaled  # the tapes keep no node alive but the leaves
    tape.run()
    return eager, (values_tape.forward(), [leaf.grad for leaf in leaves])


@given(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=4), st.integers(0, 2**32),
       st.integers(1, 16))
def test_random_graphs_match_eager_backward(values, seed, steps):
    recipe = random_recipe(seed, values, steps)
    (eager_values, eager_grads), (values, grads) = eager_and_compiled(recipe, values)
    bad = disagreements("value", values, eager_values) + disagreements(
        "grad", grads, eager_grads
    )
    assert not bad, "\n".join(bad) + f"\nrecipe: {recipe}"


def test_random_graphs_reach_every_op():
    used = {name for seed in range(60) for name, _ in random_recipe(seed, [0.7, -1.3, 1.9], 30)}
    assert used == {kind.name for kind in KINDS}


# ----- each op at IEEE edge inputs, many at once --------------------------------------------

EDGES = [0.0, -0.0, 1e-300, -1e-300, 1e300, -1e300, math.inf, -math.inf, math.nan, 1.0, -1.0, 0.5]


@pytest.mark.parametrize("kind", [k for k in KINDS if k.arity <= 2], ids=lambda k: k.name)
def test_every_op_matches_eager_at_edge_inputs(kind):
    points = [(x,) for x in EDGES] if kind.arity == 1 else [(x, y) for x in EDGES for y in EDGES]

    def graph():
        leaves = [[Value(x) for x in point] for point in points]
        outs = [kind.apply(*point) for point in leaves]
        return leaves, outs

    leaves, outs = graph()
    total = autograd.sum_values([out * (1.5 + k % 3) for k, out in enumerate(outs)])
    total.backward()
    eager_values = [out.data for out in outs]
    eager_grads = [leaf.grad for point in leaves for leaf in point]

    leaves, outs = graph()
    total = autograd.sum_values([out * (1.5 + k % 3) for k, out in enumerate(outs)])
    values = autograd.compile(outs).forward()
    autograd.compile(total).run()
    grads = [leaf.grad for point in leaves for leaf in point]
    # One op per point and no sums of paths: nothing cancels, every number to 1e-12 relative.
    bad = disagreements("value", values, eager_values, cancelling=False) + disagreements(
        "grad", grads, eager_grads, cancelling=False
    )
    assert not bad, f"{kind.name} at {points}:\n" + "\n".join(bad[:10])


def compiled_grad(function, x):
    leaf = Value(x)
    autograd.compile(function(leaf)).run()
    return leaf.grad


def test_pytorch_conventions_hold_in_compiled_replay():
    assert compiled_grad(Value.relu, math.nan) == 1.0
    assert compiled_grad(Value.relu, 0.0) == 0.0
    assert compiled_grad(abs, math.nan) == 0.0
    assert compiled_grad(abs, 0.0) == 0.0
    assert math.copysign(1.0, autograd.compile(Value(-0.0) ** 0.5).run()) == -1.0
    assert math.isnan(autograd.compile(Value(-math.inf) ** 0.5).run())
    assert compiled_grad(lambda x: x**0, math.inf) == 0.0
    base = Value(0.0)
    autograd.compile(base ** Value(2.0)).run()
    assert base.grad == 0.0
    exponent = Value(2.0)
    autograd.compile(Value(0.0) ** exponent).run()
    assert exponent.grad == 0.0  # not 0 * log(0) = nan


def test_engine_functions_apply_elementwise_to_arrays():
    x = np.array([-1000.0, -1.0, 0.0, 2.0, np.nan])
    assert np.allclose(autograd.sigmoid(x)[:4], [0.0, 1 / (1 + math.e), 0.5, 1 / (1 + math.e**-2)])
    assert np.isnan(autograd.sigmoid(x)[4])
    assert autograd.relu(x)[2] == 0.0 and np.isnan(autograd.relu(x)[4])
    assert autograd.leaky_relu(x, 0.5)[1] == -0.5
    assert autograd.exp(np.array([1000.0]))[0] == math.inf
    with pytest.raises(TypeError):
        autograd.exp("1.0")


# ----- what run() writes ----------------------------------------------------------------------


def small_graph():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + a.exp()).tanh() * a - b**2 + abs(b).sqrt()
    return a, b, out


def test_run_accumulates_like_backward():
    a, b, out = small_graph()
    out.backward()
    expected = (a.grad, b.grad)
    a.grad, b.grad = 10.0, 0.0
    tape = autograd.compile(out)
    assert tape.run() == out.data
    assert a.grad == pytest.approx(10.0 + expected[0], rel=1e-12)
    tape.run()
    assert a.grad == pytest.approx(10.0 + 2 * expected[0], rel=1e-12)
    assert b.grad == pytest.approx(2 * expected[1], rel=1e-12)


def test_run_reads_the_leaves_current_numbers_and_updates_the_output():
    a, b, out = small_graph()
    tape = autograd.compile(out)
    inner = out.parents[0]
    inner_data = inner.data
    a.data, b.data = 0.5, 1.25
    fresh_a, fresh_b, fresh = Value(0.5), Value(1.25), None
    fresh = (fresh_a * fresh_b + fresh_a.exp()).tanh() * fresh_a - fresh_b**2 + abs(fresh_b).sqrt()
    fresh.backward()
    assert tape.run() == pytest.approx(fresh.data, rel=1e-12)
    assert out.data == pytest.approx(fresh.data, rel=1e-12)
    assert out.grad == 1.0  # as backward() gives the output
    assert a.grad == pytest.approx(fresh_a.grad, rel=1e-12)
    assert inner.data == inner_data  # intermediate nodes are not written


def test_constants_only_the_graph_held_are_frozen_and_may_die_with_it():
    w = Value(0.5, label="w")
    out = (w * Value(3.0) - 1) ** 2  # 3.0, 1 and 2 are constants
    tape = autograd.compile(out)
    del out
    w.data = 1.0
    assert tape.run() == pytest.approx((1.0 * 3.0 - 1) ** 2)
    assert w.grad == pytest.approx(2 * (3.0 - 1) * 3.0)


def test_python_ifs_during_the_build_are_frozen():
    x = Value(2.0)
    out = x * 3.0 if x.data > 0 else -x  # the branch taken when the graph was built
    tape = autograd.compile(out)
    x.data = -5.0
    assert tape.run() == -15.0  # still x * 3, not -x
    assert x.grad == 3.0


def test_a_leaf_output_and_an_unused_input():
    x, unused = Value(4.0), Value(1.0)
    tape = autograd.compile(x, inputs=[unused])
    assert tape.run() == 4.0
    assert x.grad == 1.0 and unused.grad == 0.0
    assert list(tape.run(np.array([[7.0], [8.0]]))) == [4.0, 4.0]
    assert x.grad == 3.0  # the output, the same for both samples, counted once per sample


def test_a_tape_describes_what_it_recorded():
    _, _, out = small_graph()
    tape = autograd.compile(out)
    assert tape.node_count == len(out.graph())
    assert tape.depth == 6
    assert 0 < tape.kernel_count <= tape.node_count
    assert "nodes" in repr(tape)

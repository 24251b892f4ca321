"""The benchmark compares like with like: its implementations compute the same training."""

import pytest

from bench import graphs
from bench.moons_step import chainrule_step, floor_step, layer_weights, make_problem


def _losses(step, count=4):
    return [step() for _ in range(count)]


def test_the_hand_written_floor_trains_exactly_like_chainrule():
    xs, ys, model = make_problem(seed=3)
    floor = floor_step(xs, ys, layer_weights(model))
    eager = chainrule_step(xs, ys, model)
    for ours, theirs in zip(_losses(eager), _losses(floor)):
        assert ours == pytest.approx(theirs, rel=1e-9)


def test_micrograd_trains_exactly_like_chainrule():
    micrograd = pytest.importorskip("micrograd", reason="the bench extra installs micrograd")
    del micrograd
    from bench.moons_step import micrograd_step

    xs, ys, model = make_problem(seed=4)
    reference = micrograd_step(xs, ys, layer_weights(model))
    eager = chainrule_step(xs, ys, model)
    for ours, theirs in zip(_losses(eager, 2), _losses(reference, 2)):
        assert ours == pytest.approx(theirs, rel=1e-9)


def test_the_throughput_graph_has_the_same_nodes_on_both_engines():
    pytest.importorskip("micrograd", reason="the bench extra installs micrograd")
    ours, ours_count = graphs.binary_moons_graph("chainrule")
    theirs, theirs_count = graphs.binary_moons_graph("micrograd")
    assert ours_count == theirs_count == len(ours.graph())
    assert ours.data == pytest.approx(theirs.data, rel=1e-12)

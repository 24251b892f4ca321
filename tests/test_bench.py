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


def test_the_lecture_style_compiled_step_trains_like_the_floor():
    from bench.lecture import lecture_compiled_step

    xs, ys, model = make_problem(seed=5)
    weights = layer_weights(model)
    compiled = lecture_compiled_step(xs, ys, weights)
    floor = floor_step(xs, ys, weights)
    for ours, theirs in zip(_losses(compiled), _losses(floor)):
        assert ours == pytest.approx(theirs, rel=1e-9)
    assert compiled.tape.kernel_count < 20  # chains of + joined: not one kernel per addition


def test_the_mnist_step_trains_alike_three_ways():
    from bench import mnist

    X, y, model = mnist.make_problem(3, hidden=8)
    numpy_step = mnist.numpy_step(model)
    arrays, close = mnist.arrays_step(model, X[0], y[0])
    _, _, again = mnist.make_problem(3, hidden=8)
    per_parameter = mnist.per_parameter_step(again, X[0], y[0])
    for k in range(3):
        reference = numpy_step(X[k], y[k])
        assert arrays(X[k], y[k]) == pytest.approx(reference, rel=1e-9)
        assert per_parameter(X[k], y[k]) == pytest.approx(reference, rel=1e-9)
    close()


def test_quick_run_prints_progress_and_writes_json(tmp_path, capsys):
    pytest.importorskip("micrograd", reason="the bench extra installs micrograd")
    import json

    from bench.__main__ import main

    path = tmp_path / "bench.json"
    assert main(["--quick", "--json", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "measured in moons_step" in printed and "compiled" in printed
    assert "lecture-style graph, tape.run()" in printed and "hand-written NumPy" in printed
    assert "in a plain loop" in printed and "inside autograd.gc_paused()" in printed
    results = json.loads(path.read_text())
    assert results["moons_step"]["lecture_compiled_speedup_over_floor"] > 0
    assert results["moons_step"]["lecture_gc_paused_speedup_over_micrograd"] > 0
    # The lowest and highest ratio over the runs (equal with --quick's one run)
    spread = results["moons_step"]["ratio_spread"]
    assert all(low <= high for low, high in spread.values()) and len(spread) == 4
    assert "(runs " in printed and "load average" in printed
    assert results["mnist_step"]["seconds_per_step"].keys() == {
        "numpy", "compiled_arrays", "compiled_per_parameter"
    }


def test_without_micrograd_it_says_which_extra_to_install(monkeypatch, capsys):
    import importlib.util

    from bench.__main__ import main

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "micrograd" else real(name)
    )
    assert main(["--quick"]) == 2
    error = capsys.readouterr().err
    assert "micrograd" in error and "[bench]" in error and "Traceback" not in error


def test_the_lecture_style_step_trains_exactly_like_the_floor():
    from bench.lecture import lecture_step

    xs, ys, model = make_problem(seed=5)
    weights = layer_weights(model)
    lecture, floor = lecture_step(xs, ys, weights), floor_step(xs, ys, weights)
    for ours, theirs in zip(_losses(lecture, 3), _losses(floor, 3)):
        assert ours == pytest.approx(theirs, rel=1e-9)


def test_the_lecture_style_step_is_micrograds_step_node_for_node():
    pytest.importorskip("micrograd", reason="the bench extra installs micrograd")
    from bench.lecture import lecture_step
    from bench.moons_step import micrograd_step

    xs, ys, model = make_problem(seed=6)
    weights = layer_weights(model)
    lecture, reference = lecture_step(xs, ys, weights), micrograd_step(xs, ys, weights)
    # The same nodes in the same order: the same floats, bit for bit, step after step.
    assert _losses(lecture, 2) == _losses(reference, 2)

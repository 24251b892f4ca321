"""Tiled reads in compiled replay: a group whose inputs repeat a block of the store (a layer's
weights for every sample, a sample's activations for every neuron) reads them as broadcast
views. The values stay bit for bit eager's, the gradients eager's to 1e-12 (a weight used by
every sample sums its contributions in another order)."""

import math
import random
import struct

import numpy as np
import pytest
from compile_recipes import disagreements

import autograd
from autograd import Value
from autograd.replay import tiles
from autograd.replay.tiles import tiles_for


@pytest.fixture(autouse=True)
def tiles_at_any_size(monkeypatch):
    """Small graphs here: read them through tiles too (replay does from 4,096 nodes a group)."""
    monkeypatch.setattr(tiles, "MIN_NODES", 1)


def bits(x: float) -> bytes:
    return b"nan" if math.isnan(x) else struct.pack("<d", x)


# ----- which patterns are tiles -----------------------------------------------------------------


def test_a_weight_block_per_sample_and_activations_per_neuron_are_tiles():
    samples, neurons, inputs = 3, 4, 5
    s, n, i = np.meshgrid(range(samples), range(neurons), range(inputs), indexing="ij")
    weights = 10 + n * (inputs + 1) + i  # each neuron's weights, then its bias: stride 6
    activations = 100 + s * inputs + i
    tiles = tiles_for([weights.ravel(), activations.ravel()])
    assert tiles is not None and tiles.shape == (samples, neurons, inputs)
    w, a = tiles.reads
    assert (w.start, w.shape, w.strides[1:]) == (10, (1, neurons, inputs), (inputs + 1, 1))
    assert (a.start, a.shape, a.strides[::2]) == (100, (samples, 1, inputs), (inputs, 1))


@pytest.mark.parametrize("index, why", [
    ([3, 1, 2, 0], "no pattern"),
    ([5, 4, 3, 2], "a negative stride"),
    ([0, 1, 1, 2], "the steps change"),
])
def test_other_reads_are_gathered(index, why):
    assert tiles_for([np.array(index), np.arange(4)]) is None, why


def test_shapes_that_do_not_nest_are_gathered():
    # One input repeats every 2 nodes, the other every 3: no common shape of 6 nodes.
    assert tiles_for([np.repeat(np.arange(3), 2), 10 + np.tile(np.arange(3), 2)]) is None


def test_a_slot_read_twice_in_the_view_is_gathered():
    # 0 1 1 2 as (2, 2) with strides (1, 1): slot 1 twice, and not along a repeated axis.
    assert tiles_for([np.array([0, 1, 1, 2]), np.arange(4)]) is None


# ----- replay through tiles ---------------------------------------------------------------------


def layer(ws, bs, xs, op):
    """Each sample's neurons written the lecture's way, with op between weight and input."""
    outs = []
    for x in xs:
        for row, b in zip(ws, bs):
            total = b
            for w, xi in zip(row, x):
                total = total + op(w, xi)
            outs.append(total.relu())
    return outs


OPS = {
    "*": lambda w, x: w * x,
    "-": lambda w, x: w - x,
    "/": lambda w, x: w / x,
    "x * w": lambda w, x: x * w,
}


def build(numbers, samples, op, neurons=3):
    it = iter(numbers)
    ws = [[Value(next(it)) for _ in samples[0]] for _ in range(neurons)]
    bs = [Value(next(it)) for _ in range(neurons)]
    # Times 1 first, so that the layer's ops are a level of their own (not with the squares).
    xs = [[Value(v) * 1.0 for v in x] for x in samples]
    outs = layer(ws, bs, xs, OPS[op])
    return ws + [bs], xs, sum(outs) * 0.25 + sum(w * w for row in ws for w in row)


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("seed", range(3))
def test_lecture_style_layers_replay_through_tiles(op, seed):
    rng = random.Random(seed)
    numbers = [rng.uniform(0.5, 2) * rng.choice((-1, 1)) for _ in range(16)]
    samples = [[rng.uniform(0.5, 3) * rng.choice((-1, 1)) for _ in range(4)] for _ in range(6)]
    params, _, eager = build(numbers, samples, op)
    eager.backward()
    fresh_params, xs, loss = build(numbers, samples, op)
    tape = autograd.compile(loss)
    assert any(group.tiles is not None for group in tape._recording.groups)
    for step in range(2):  # a second run adds to .grad again, as backward does
        value = tape.run()
        assert bits(value) == bits(eager.data)
        expected = [p.grad * (step + 1) for row in params for p in row]
        got = [p.grad for row in fresh_params for p in row]
        assert not disagreements("grad", got, expected)


def test_tiles_in_a_batched_graph_match_eager_sample_by_sample():
    rng = random.Random(7)
    ws = [[Value(rng.uniform(-1, 1)) for _ in range(3)] for _ in range(4)]
    x = [Value(0.0) for _ in range(3)]
    # one sample's graph: four neurons, each w * x over the sample's three inputs
    total = sum(sum((w * xi for w, xi in zip(row, x)), Value(0.0)).relu() for row in ws)
    tape = autograd.compile(total, inputs=x)
    batch = np.array([[rng.uniform(-2, 2) for _ in range(3)] for _ in range(5)])
    values = tape.run(batch)
    for row, value, input_grads in zip(batch, values, tape.input_grads):
        wcopy = [[Value(w.data) for w in r] for r in ws]
        xs = [Value(v) for v in row]
        e = sum(sum((w * xi for w, xi in zip(r, xs)), Value(0.0)).relu() for r in wcopy)
        e.backward()
        assert bits(float(value)) == bits(e.data)
        assert not disagreements("input grad", list(input_grads), [xi.grad for xi in xs])


def test_small_groups_gather_by_index(monkeypatch):
    monkeypatch.setattr(tiles, "MIN_NODES", 4096)
    assert tiles_for([np.tile(np.arange(16), 300), np.repeat(np.arange(300), 16)]) is not None
    assert tiles_for([np.tile(np.arange(16), 100), np.repeat(np.arange(100), 16)]) is None


def test_the_lecture_moons_graph_reads_its_big_layer_through_tiles(monkeypatch):
    monkeypatch.setattr(tiles, "MIN_NODES", 4096)  # as replay runs it
    from bench.lecture import lecture_compiled_step
    from bench.moons_step import layer_weights, make_problem

    xs, ys, model = make_problem()
    step = lecture_compiled_step(xs, ys, layer_weights(model))
    biggest = max(step.tape._recording.groups, key=lambda g: g.stop - g.start)
    assert biggest.stop - biggest.start == 25_600  # 100 samples x 16 neurons x 16 inputs
    assert biggest.tiles is not None and biggest.tiles.shape == (100, 16, 16)
    # The program says which slot each (sample i, neuron j, input k) reads.
    line = next(line for line in step.tape.source().splitlines() if "25,600 nodes" in line)
    assert "for (i, j, k) in (100, 16, 16)" in line and "17j + k]" in line


def test_tiles_read_held_leaves_as_they_read_the_values():
    rng = random.Random(3)
    numbers = [rng.uniform(-2, 2) for _ in range(16)]
    samples = [[rng.uniform(-3, 3) for _ in range(4)] for _ in range(5)]
    params, _, loss = build(numbers, samples, "*")
    tape = autograd.compile(loss)
    leaves = [p for row in params for p in row]
    for p in leaves:
        p.grad = 0.0
    expected_value = tape.run()
    expected = [p.grad for p in leaves]
    for p in leaves:
        p.grad = 0.0
    with tape.hold() as held:
        value = tape.run()
        held.values *= 1.0  # in place, as an optimizer steps them
    assert bits(value) == bits(expected_value)
    assert [bits(p.grad) for p in leaves] == [bits(g) for g in expected]


@pytest.mark.parametrize("seed", range(30))
def test_random_layer_shapes_match_eager(seed):
    """Layers of random sizes and ops, some reading the same input twice (x * x): whatever
    is read as tiles or gathered, the replay agrees with eager."""
    rng = random.Random(seed)
    samples, neurons, inputs = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 4)
    op = rng.choice(list(OPS) + ["x * x"])
    apply = (lambda w, x: x * x) if op == "x * x" else OPS[op]

    def graph():
        r = random.Random(seed + 1000)
        ws = [[Value(r.uniform(0.5, 2)) for _ in range(inputs)] for _ in range(neurons)]
        xs = [[Value(r.uniform(0.5, 2)) * 1.0 for _ in range(inputs)] for _ in range(samples)]
        outs = [sum((apply(w, x) for w, x in zip(row, sample)), Value(0.0)).relu()
                for sample in xs for row in ws]
        return [w for row in ws for w in row], sum(outs) + sum(w * w for row in ws for w in row)

    leaves, eager = graph()
    eager.backward()
    fresh, loss = graph()
    assert bits(autograd.compile(loss).run()) == bits(eager.data)
    assert not disagreements("grad", [w.grad for w in fresh], [w.grad for w in leaves])

"""Chains of additions in compiled replay: joined into one node, yet the values bit for bit
what the chain of ``+`` computes, and the gradients eager backward's (to 1e-12: a leaf used many
times sums its contributions in another order); deep graphs; the program a tape prints."""

import math
import random
import struct

import numpy as np
import pytest
from compile_recipes import disagreements

import autograd
from autograd import Value

EDGES = [0.0, -0.0, 1e-300, -1e-300, 1e300, -1e300, math.inf, -math.inf, math.nan, 1.0, -1.5]


def bits(x: float) -> bytes:
    return b"nan" if math.isnan(x) else struct.pack("<d", x)


def assert_same_bits(compiled, eager):
    assert len(compiled) == len(eager)
    for i, (c, e) in enumerate(zip(compiled, eager)):
        assert bits(c) == bits(e), f"[{i}]: compiled {c!r}, eager {e!r}"


def lecture_net(params, samples):
    """A neuron layer and a loss written the lecture's way: running totals and Python's sum."""
    (w, b), outs = params, []
    for x in samples:
        for row, bias in zip(w, b):
            total = bias
            for wi, xi in zip(row, x):
                total = total + wi * xi
            outs.append(total.relu())
    return sum(outs) * 0.5 + sum(p * p for row in w for p in row)


def run_both(numbers, samples):
    def params():
        it = iter(numbers)
        w = [[Value(next(it)) for _ in range(len(samples[0]))] for _ in range(3)]
        return w, [Value(next(it)) for _ in range(3)]

    w, b = params()
    (lecture_net((w, b), samples) * 1.3).backward()
    eager = [p.grad for row in w for p in row] + [p.grad for p in b]
    w2, b2 = params()
    loss = lecture_net((w2, b2), samples) * 1.3
    expected = loss.data
    tape = autograd.compile(loss)
    value = tape.run()
    compiled = [p.grad for row in w2 for p in row] + [p.grad for p in b2]
    return tape, (value, compiled), (expected, eager)


@pytest.mark.parametrize("seed", range(6))
def test_lecture_style_graphs_replay_bit_for_bit(seed):
    rng = random.Random(seed)
    numbers = [rng.uniform(-2, 2) for _ in range(12)]
    samples = [[rng.uniform(-3, 3) for _ in range(3)] for _ in range(5)]
    tape, (value, compiled), (expected, eager) = run_both(numbers, samples)
    assert_same_bits([value], [expected])
    assert not disagreements("grad", compiled, eager)
    assert tape.kernel_count < 15  # one per op and level, not one per addition
    assert "additions" in tape.source()
    # Each neuron's products are read as one slice, node by node (the bias apart).
    assert "node by node" in tape.source()


@pytest.mark.parametrize("edge", EDGES, ids=repr)
def test_chains_match_eager_at_ieee_edges(edge):
    rng = random.Random(1)
    numbers = [edge if i % 4 == 0 else rng.uniform(-2, 2) for i in range(12)]
    samples = [[edge, rng.uniform(-1, 1), -0.0]] * 3
    _, (value, compiled), (expected, eager) = run_both(numbers, samples)
    assert_same_bits([value], [expected])
    assert not disagreements("grad", compiled, eager)


def test_sums_of_negative_zeros_keep_their_sign():
    def graph():
        xs = [Value(-0.0) for _ in range(5)]
        return xs, [xs[0] + xs[1] + xs[2] + xs[3], sum(xs), xs[0] + (xs[1] + xs[2])]

    _, eager = graph()
    xs, outs = graph()
    assert_same_bits(autograd.compile(outs).forward(), [out.data for out in eager])
    assert math.copysign(1.0, eager[0].data) == -1.0  # the chain's own -0.0, kept


def shapes():
    a, b, c, d = (Value(v) for v in (0.1, 0.2, 0.3, 1e16))
    t = a + b
    return {
        "used twice": (t + c) * t + d,
        "right nested": a + (b + (c + d)),
        "x + x": (a + b) + (a + b) + c,
        "the same value added": t + t + t,
        "rounding order": ((d + a) + (-d)) + b,
    }


@pytest.mark.parametrize("name", list(shapes()))
def test_chains_of_any_shape_match_eager(name):
    eager = shapes()[name]
    eager.backward()
    leaves = [n for n in eager.graph() if n.rule is None]
    out = shapes()[name]
    fresh = [n for n in out.graph() if n.rule is None]
    assert_same_bits([autograd.compile(out).run()], [eager.data])
    assert not disagreements("grad", [n.grad for n in fresh], [n.grad for n in leaves])


def test_an_output_inside_a_chain_is_not_joined():
    a, b, c, d = (Value(v) for v in (1.0, 2.0, 3.0, 4.0))
    partial = a + b
    total = partial + c + d
    tape = autograd.compile([partial, total])
    assert tape.forward() == [3.0, 10.0]


def test_a_chain_in_a_batched_graph_matches_each_sample():
    x = [Value(0.0), Value(0.0)]
    w = [Value(0.7), Value(-1.2), Value(0.4)]
    out = w[2] + w[0] * x[0] + x[1] + w[1] * x[1] + 1.5
    tape = autograd.compile(out, inputs=x)
    batch = np.array([[0.5, -1.0], [2.0, 3.0], [-0.0, 0.0]])
    values = tape.run(batch)
    for row, value in zip(batch, values):
        xs = [Value(v) for v in row]
        ws = [Value(p.data) for p in w]
        e = ws[2] + ws[0] * xs[0] + xs[1] + ws[1] * xs[1] + 1.5
        e.backward()
        assert bits(float(value)) == bits(e.data)
    assert tape.input_grads.shape == (3, 2)


@pytest.mark.parametrize("inputs", [False, True])
def test_graphs_deeper_than_the_numpy_rounds(inputs):
    """Past 64 levels, the levels are found node by node: the same replay (to a few ulps:
    NumPy's tanh and sin against the math module's)."""
    def graph():
        x = Value(0.3)
        node = x
        for k in range(150):
            node = (node * 0.9 + 0.05 * k).tanh() if k % 2 else node.sin() + x
        return x, node

    x, eager = graph()
    eager.backward()
    x2, out = graph()
    tape = autograd.compile(out, inputs=[x2] if inputs else None)
    assert tape.depth > 64
    if inputs:
        values = tape.run(np.array([[0.3], [0.3]]))
        assert values[0] == pytest.approx(eager.data, rel=1e-12)
        assert tape.input_grads[0, 0] == pytest.approx(x.grad, rel=1e-12)
    else:
        assert tape.run() == pytest.approx(eager.data, rel=1e-12)
        assert x2.grad == pytest.approx(x.grad, rel=1e-12)


def test_print_shows_one_line_per_kernel():
    w = [Value(0.5), Value(-0.25)]
    x = [Value(1.0), Value(2.0)]
    total = Value(0.1, label="b")
    for wi, xi in zip(w, x):
        total = total + wi * xi
    tape = autograd.compile(total.relu())
    text = str(tape)
    lines = [line for line in text.splitlines() if line.startswith("level")]
    assert len(lines) == tape.kernel_count == 3
    assert "relu(" in lines[-1] and "1 node" in lines[-1]
    assert "a chain of 2 additions" in lines[1]
    assert repr(tape) in text and tape.source() in text



@pytest.mark.parametrize("edge", [None, 0.0, -0.0, math.inf, math.nan], ids=repr)
def test_batched_neurons_read_their_products_node_by_node(edge):
    """A neuron's products, one slice of the batched store read node by node, bias apart."""
    rng = random.Random(3)
    weights = [[rng.uniform(-1, 1) for _ in range(4)] for _ in range(5)]
    biases = [rng.uniform(-1, 1) for _ in range(5)]
    batch = np.array([[rng.uniform(-2, 2) for _ in range(4)] for _ in range(7)])
    if edge is not None:
        batch[::2, 1] = edge

    def params():
        return [[Value(v) for v in row] for row in weights], [Value(v) for v in biases]

    def grads(w, b):
        return [p.grad for row in w for p in row] + [p.grad for p in b]

    w, b = params()
    x = [Value(0.0) for _ in range(4)]
    tape = autograd.compile(lecture_net((w, b), [x]), inputs=x)
    assert "node by node" in tape.source()
    values = tape.run(batch)
    eager_w, eager_b = params()
    eager_values, eager_input_grads = [], []
    for row in batch:  # one sample at a time; the parameters' gradients add up
        xs = [Value(float(v)) for v in row]
        out = lecture_net((eager_w, eager_b), [xs])
        out.backward()
        eager_values.append(out.data)
        eager_input_grads.append([v.grad for v in xs])
    assert_same_bits(values.tolist(), eager_values)
    assert not disagreements("grad", grads(w, b), grads(eager_w, eager_b))
    assert not disagreements("input grad", tape.input_grads, eager_input_grads)


XS = (-1.0, 0.25, 2.0, -0.125, 3.0)


def shared_start(values):
    c = Value(0.5)
    xs = [Value(v) for v in values]
    return c, xs, sum((c + x * 2.0 + x * 3.0 + x).relu() for x in xs)


def test_a_chain_whose_first_input_every_node_shares():
    """c + x*2 + x*3 + x for many x at one level: c's gradient sums over every node."""
    c, xs, eager = shared_start(XS)
    eager.backward()
    c2, xs2, loss = shared_start(XS)
    tape = autograd.compile(loss)
    assert "(all)" in tape.source()  # c is read once for every node of the chain
    assert bits(tape.run()) == bits(eager.data)
    assert c2.grad == c.grad == 3.0  # one for each x whose sum is positive
    assert [x.grad for x in xs2] == [x.grad for x in xs]


def test_a_shared_chain_input_in_a_batch_sums_over_nodes_and_samples():
    batch = np.array([*XS, *(2 * v for v in XS)]).reshape(-1, 1)  # ten samples of one input
    c, xs, loss = shared_start([0.0])
    tape = autograd.compile(loss, inputs=xs)
    tape.run(batch)
    expected = 0.0
    for v in batch.ravel():
        c_eager, _, eager = shared_start([v])
        eager.backward()
        expected += c_eager.grad
    assert c.grad == expected == 6.0

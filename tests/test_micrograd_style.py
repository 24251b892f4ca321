"""Code written the way micrograd's learners write it, run on chainrule unchanged.

Ops with a hand-written ``_backward`` (the lecture's exercise), mixed with built-in ops; an
optimizer that keeps its state on the parameters (``p.m``, ``p.v``); ``random.seed`` choosing the
weights. Gradients are checked against central differences of the same function on floats, and
against micrograd itself where it is installed and the two engines agree.
"""

from __future__ import annotations

import math
import random
import re

import pytest

import autograd
import nn
from autograd import GradcheckError, Value, detect_anomaly, draw_dot, explore, gradcheck
from autograd.steps import format_trace

# ----- ops the lecture's way: forward on .data, a closure that adds to the inputs' .grad --------


def exp(self):
    out = Value(math.exp(self.data), (self,), "exp")

    def _backward():
        self.grad += out.data * out.grad

    out._backward = _backward
    return out


def tanh(self):
    t = (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)
    out = Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def power(self, k):
    """micrograd names the node after its exponent: '**3'. No op of that name is declared."""
    out = Value(self.data**k, (self,), f"**{k}")

    def _backward():
        self.grad += k * self.data ** (k - 1) * out.grad

    out._backward = _backward
    return out


def smooth_max(self, other):
    """A learner's own two-input op: log(e^a + e^b)."""
    out = Value(math.log(math.exp(self.data) + math.exp(other.data)), (self, other), "smax")

    def _backward():
        self.grad += math.exp(self.data - out.data) * out.grad
        other.grad += math.exp(other.data - out.data) * out.grad

    out._backward = _backward
    return out


def square_by_hand(self):
    """The same input twice among the children, as Value(x*x, (x, x), ...) would list it."""
    out = Value(self.data * self.data, (self, self), "sq")

    def _backward():
        self.grad += 2 * self.data * out.grad

    out._backward = _backward
    return out


def mixed(a, b, c):
    """Built-in ops around and between hand-written ones, with shared subexpressions."""
    h = tanh(a * b + exp(c) * 0.5)
    s = smooth_max(h, power(b, 3)) * a
    return s + square_by_hand(h - c).relu() + exp(a) / (1 + power(c, 2))


def mixed_on_floats(a, b, c):
    h = math.tanh(a * b + math.exp(c) * 0.5)
    s = math.log(math.exp(h) + math.exp(b**3)) * a
    return s + max((h - c) ** 2, 0.0) + math.exp(a) / (1 + c**2)


def central_differences(f, point, eps=1e-6):
    grads = []
    for i in range(len(point)):
        up = [*point[:i], point[i] + eps, *point[i + 1:]]
        down = [*point[:i], point[i] - eps, *point[i + 1:]]
        grads.append((f(*up) - f(*down)) / (2 * eps))
    return grads


POINTS = [(0.3, -0.7, 0.4), (-1.1, 0.5, -0.2), (0.8, 1.2, -1.3)]


@pytest.mark.parametrize("point", POINTS)
def test_hand_written_ops_mixed_with_built_in_ones_match_central_differences(point):
    leaves = [Value(x) for x in point]
    out = mixed(*leaves)
    assert out.data == pytest.approx(mixed_on_floats(*point), rel=1e-12)
    out.backward()
    expected = central_differences(mixed_on_floats, point)
    assert [leaf.grad for leaf in leaves] == pytest.approx(expected, rel=1e-6, abs=1e-8)


def test_hand_written_op_gives_what_the_built_in_op_gives_bit_for_bit():
    # exp's declared derivative is its output, as the closure computes it: the same products.
    x = Value(0.7)
    by_hand = exp(x * 3.0) * x
    by_hand.backward()
    y = Value(0.7)
    built_in = (y * 3.0).exp() * y
    built_in.backward()
    assert (by_hand.data, x.grad) == (built_in.data, y.grad)


def test_backward_twice_accumulates_through_hand_written_nodes_as_pytorch_does():
    x = Value(0.4)
    y = exp(x)
    z = power(y, 2) * y  # y reached twice: its full gradient is what the closure must see
    z.backward()
    once = (x.grad, y.grad)
    z.backward()
    assert (x.grad, y.grad) == (2 * once[0], 2 * once[1])
    assert once[0] == pytest.approx(3 * math.exp(3 * 0.4), rel=1e-12)  # d/dx e^(3x)


def test_gradients_already_held_are_added_to_not_seen_by_the_closure():
    a = Value(0.9)
    b = Value(-0.3)
    a.grad, b.grad = 5.0, -2.0
    out = smooth_max(a, b)
    out.grad = 7.0  # a stale gradient on the hand-written node itself
    out.backward()
    total = math.exp(0.9) + math.exp(-0.3)
    assert a.grad == pytest.approx(5.0 + math.exp(0.9) / total, rel=1e-14)
    assert b.grad == pytest.approx(-2.0 + math.exp(-0.3) / total, rel=1e-14)
    assert out.grad == 8.0


def test_grad_leaves_every_grad_alone_with_hand_written_nodes():
    a, b = Value(0.2), Value(1.5)
    a.grad = 3.0
    out = tanh(a) * power(b, 3)
    da, db = autograd.grad(out, [a, b])
    assert (a.grad, b.grad, out.grad) == (3.0, 0.0, 0.0)
    assert da == pytest.approx((1 - math.tanh(0.2) ** 2) * 1.5**3, rel=1e-14)
    assert db == pytest.approx(math.tanh(0.2) * 3 * 1.5**2, rel=1e-14)


def test_the_lectures_manual_backward_node_by_node_mixes_both_kinds():
    a, b = Value(0.5), Value(-2.0)
    n = a * b
    o = tanh(n)
    o.grad = 1.0
    o._backward()  # the hand-written closure
    n._backward()  # the built-in node's chain rule
    assert (a.grad, b.grad) == pytest.approx(
        ((1 - math.tanh(-1.0) ** 2) * -2.0, (1 - math.tanh(-1.0) ** 2) * 0.5), rel=1e-14
    )


def test_micrographs_name_for_a_power_works_once_its_backward_is_written():
    a = Value(2.0)
    cube = Value(8.0, (a,), "**3")
    with pytest.raises(RuntimeError, match=r"no derivative is declared for op '\*\*3'"):
        cube.backward()

    def _backward():
        a.grad += 3 * a.data**2 * cube.grad

    cube._backward = _backward
    (cube * 2).backward()
    assert a.grad == 24.0


def test_an_exception_in_the_closure_leaves_every_gradient_as_it_was():
    a = Value(0.3)
    a.grad = 1.25
    calls = []
    out = Value(math.sin(0.3), (a,), "mysin")

    def _backward():
        calls.append(1)
        a.grad += 99.0  # already added when the interrupt comes
        if len(calls) == 1:
            raise KeyboardInterrupt

    out._backward = _backward
    top = out * 2
    with pytest.raises(KeyboardInterrupt):
        top.backward()
    assert (a.grad, out.grad, top.grad) == (1.25, 0.0, 0.0)
    assert all(node._acc is None for node in top.graph())
    top.backward()  # and the graph works afterwards
    assert a.grad == 1.25 + 99.0


def test_a_closure_that_leaves_no_number_is_named():
    a = Value(0.3)
    out = Value(1.0, (a,), "broken")

    def _backward():
        a.grad = "oops"

    out._backward = _backward
    with pytest.raises(TypeError, match="hand-written _backward of op 'broken'.*str"):
        out.backward()
    assert a.grad == 0.0


def test_assigning_backward_says_what_is_wrong():
    with pytest.raises(ValueError, match="no inputs"):
        Value(1.0)._backward = lambda: None
    node = Value(2.0) * 3
    with pytest.raises(TypeError, match="function of no arguments"):
        node._backward = 5


def test_a_leaf_or_built_in_node_reads_its_backward_as_the_chain_rule_at_that_node():
    leaf = Value(1.0)
    leaf._backward()  # a no-op, as micrograd's leaves have
    x = Value(3.0)
    y = x * x
    y.grad = 2.0
    y._backward()
    assert x.grad == 12.0


# ----- the tools ------------------------------------------------------------------------------


def test_backward_steps_explain_a_hand_written_backward_and_end_where_backward_does():
    a, b = Value(0.5, label="a"), Value(-1.5, label="b")
    y = power(exp(a * b), 3) + a
    texts = [str(step) for step in y.backward_steps()]
    walked = (a.grad, b.grad)
    a.grad = b.grad = 0.0
    y.backward()
    assert walked == (a.grad, b.grad)
    assert sum("by its hand-written _backward" in text for text in texts) == 2
    assert any(re.match(r"v\d = v\d\*\*3 = ", text) for text in texts), texts


def test_trace_draw_and_explore_show_hand_written_nodes(tmp_path):
    a = Value(0.5, label="a")
    y = tanh(exp(a))
    y.label = "y"
    y.backward()
    table = format_trace(y)
    assert "exp" in table and "tanh" in table
    source = draw_dot(y).source
    assert "label=exp" in source and "label=tanh" in source
    page = tmp_path / "page.html"
    explore(y, str(page))
    text = page.read_text()
    assert "hand-written _backward" in text


def test_gradcheck_catches_a_wrong_hand_written_derivative_and_names_its_node():
    def wrong_exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.grad  # forgot the local derivative

        out._backward = _backward
        return out

    assert gradcheck(lambda x, w: exp(x * w) + x, [0.3, -1.2])
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, w: wrong_exp(x * w) + x, [0.3, -1.2])
    assert [row.wrt for row in caught.value.failures] == ["0 x0", "1 x1"]
    assert "hand-written _backward" in str(caught.value)
    assert "v3 = exp(v2)" in str(caught.value)


def test_create_graph_through_a_hand_written_node_needs_a_declared_op():
    x = Value(0.6)
    with pytest.raises(RuntimeError, match=r"hand-written _backward.*define_op\('\*\*3'"):
        autograd.grad(power(x, 3), [x], create_graph=True)
    # 'exp' is declared: its rule builds the graph, so the second derivative exists.
    (first,) = autograd.grad(exp(x), [x], create_graph=True)
    (second,) = autograd.grad(first, [x])
    assert second == pytest.approx(math.exp(0.6), rel=1e-14)


def test_detect_anomaly_runs_hand_written_closures_and_names_their_op():
    x = Value(0.0)
    with detect_anomaly():
        ok = exp(x) * 2
        ok.backward()
    assert x.grad == 2.0
    bad = Value(1.0, (x,), "bad")

    def _backward():
        x.grad += math.inf * bad.grad

    bad._backward = _backward
    with detect_anomaly(), pytest.raises(FloatingPointError, match="op 'bad'"):
        bad.backward()


def test_compile_refuses_a_hand_written_node_with_a_clear_error():
    x = Value(0.6)
    with pytest.raises(autograd.CompileError, match="hand-written _backward"):
        autograd.compile(power(x, 3), [x])


# ----- against micrograd itself -----------------------------------------------------------------


def test_same_gradients_as_micrograd_for_the_same_hand_written_code():
    engine = pytest.importorskip("micrograd.engine")

    def build(value_class):
        def exp_op(self):
            out = value_class(math.exp(self.data), (self,), "exp")

            def _backward():
                self.grad += out.data * out.grad

            out._backward = _backward
            return out

        a, b = value_class(0.4), value_class(-0.9)
        out = exp_op(a * b) * a + exp_op(b)
        return out, a, b

    ours, a, b = build(Value)
    theirs, ma, mb = build(engine.Value)
    ours.backward()
    theirs.backward()
    assert ours.data == theirs.data
    assert (a.grad, b.grad) == pytest.approx((ma.grad, mb.grad), rel=1e-15)


def test_backward_twice_differs_from_micrograd_as_the_readme_says():
    engine = pytest.importorskip("micrograd.engine")
    x, w = Value(1.5), Value(0.5)
    y = x * w * x
    y.backward()
    y.backward()
    mx, mw = engine.Value(1.5), engine.Value(0.5)
    my = mx * mw * mx
    my.backward()
    my.backward()
    assert (x.grad, mx.grad) == (3.0, 3.75)  # micrograd adds into the intermediate's stale grad


# ----- attributes of the user's own: an optimizer that keeps its state on the parameters --------


class ForkStyleAdamW:
    """AdamW as a micrograd fork writes it: moments on the parameters themselves."""

    def __init__(self, params, lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        self.params = list(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.t = 0
        for p in self.params:
            p.m = 0.0
            p.v = 0.0

    def step(self):
        self.t += 1
        beta1, beta2 = self.betas
        for p in self.params:
            p.data -= self.lr * self.weight_decay * p.data
            p.m = beta1 * p.m + (1 - beta1) * p.grad
            p.v = beta2 * p.v + (1 - beta2) * p.grad**2
            m_hat = p.m / (1 - beta1**self.t)
            v_hat = p.v / (1 - beta2**self.t)
            p.data -= self.lr * m_hat / (math.sqrt(v_hat) + self.eps)


def _regression_loss(model, samples):
    return sum((model([x]) - t) ** 2 for x, t in samples) * (1.0 / len(samples))


def test_an_adamw_that_keeps_state_on_values_runs_and_matches_torch():
    torch = pytest.importorskip("torch")
    samples = [(-1.0, -2.5), (-0.5, -1.0), (0.5, 1.2), (1.5, 3.9)]
    random.seed(3)
    model = nn.MLP(1, [4, 1], activation="tanh")
    start = [p.data for p in model.parameters()]
    optimizer = ForkStyleAdamW(model.parameters())
    for _ in range(5):
        loss = _regression_loss(model, samples)
        model.zero_grad()
        loss.backward()
        optimizer.step()
    assert model.parameters()[0].m != 0.0 and model.parameters()[0].v > 0.0

    # The same network and updates in torch float64.
    w1 = torch.tensor(start[:8], dtype=torch.float64).reshape(4, 2)  # per neuron: w, b
    w2 = torch.tensor(start[8:], dtype=torch.float64)
    params = [w1.requires_grad_(), w2.requires_grad_()]
    reference = torch.optim.AdamW(params, lr=0.01, betas=(0.9, 0.999), eps=1e-8,
                                  weight_decay=0.01)
    xs = torch.tensor([x for x, _ in samples], dtype=torch.float64)
    ts = torch.tensor([t for _, t in samples], dtype=torch.float64)
    for _ in range(5):
        hidden = torch.tanh(xs[:, None] * w1[:, 0] + w1[:, 1])
        out = hidden @ w2[:4] + w2[4]
        loss = ((out - ts) ** 2).mean()
        reference.zero_grad()
        loss.backward()
        reference.step()
    expected = [*w1.detach().flatten().tolist(), *w2.detach().tolist()]
    assert [p.data for p in model.parameters()] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_values_made_with_value_take_attributes_of_their_own():
    v = Value(1.0, label="v")
    v._vis_color = "lightblue"
    v.m = 0.0
    cube = power(v, 3)  # made with Value(...) inside the user's op
    cube.note = "by hand"
    assert (v._vis_color, v.m, cube.note, v.label) == ("lightblue", 0.0, "by hand", "v")
    assert not hasattr(Value(2.0), "m")
    assert type(v).__name__ == "Value" and isinstance(v, Value)


def test_nodes_made_by_built_in_ops_have_no_room_for_attributes():
    # They keep memory per node small; a label still fits.
    node = Value(1.0) * 2
    node.label = "doubled"
    with pytest.raises(AttributeError, match="'Value' object has no attribute 'm'"):
        node.m = 0.0


def test_data_is_checked_when_assigned():
    v = Value(1.0)
    with pytest.raises(TypeError, match="got a str"):
        v.data = "oops"
    with pytest.raises(TypeError, match="got a bool"):
        v.data = True
    assert v.data == 1.0
    v.data = 3
    assert v.data == 3.0 and type(v.data) is float
    v.data -= 0.5
    assert v.data == 2.5


# ----- random.seed chooses the weights, as in micrograd -----------------------------------------


def _weights_as_micrograd_draws_them(nin, nouts):
    """One random.uniform(-1, 1) per weight, neuron by neuron, layer by layer; biases 0."""
    expected = []
    for fan_in, width in zip([nin, *nouts], nouts):
        for _ in range(width):
            expected += [random.uniform(-1, 1) for _ in range(fan_in)] + [0.0]
    return expected


def test_random_seed_gives_micrographs_weights_for_its_moons_classifier():
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    random.seed(1337)
    expected = _weights_as_micrograd_draws_them(2, [16, 16, 1])
    assert [p.data for p in model.parameters()] == expected
    assert len(expected) == 337
    # Pinned: Python's Mersenne Twister is specified, so these never change.
    assert expected[:2] == [0.23550571390294128, 0.06653114721000164]


def test_random_seed_weights_equal_what_micrograd_draws():
    micrograd_nn = pytest.importorskip("micrograd.nn")
    random.seed(1337)
    theirs = [float(p.data) for p in micrograd_nn.MLP(2, [16, 16, 1]).parameters()]
    random.seed(1337)
    ours = [p.data for p in nn.MLP(2, [16, 16, 1]).parameters()]
    assert ours == theirs


def test_manual_seed_seeds_random_too_and_other_schemes_follow_random():
    nn.manual_seed(5)
    first = [p.data for p in nn.MLP(3, [4, 2], init="he_normal").parameters()]
    random.seed(5)
    second = [p.data for p in nn.MLP(3, [4, 2], init="he_normal").parameters()]
    assert first == second
    random.seed(5)
    expected = [random.gauss(0.0, math.sqrt(2.0 / 3)) for _ in range(3)]
    assert first[:3] == expected


def test_an_explicit_rng_still_draws_from_numpy():
    random.seed(0)
    a = [p.data for p in nn.MLP(2, [3, 1], rng=7).parameters()]
    random.seed(1)
    b = [p.data for p in nn.MLP(2, [3, 1], rng=7).parameters()]
    assert a == b


# ----- the small ones ---------------------------------------------------------------------------


def test_schedule_step_returns_none_as_in_pytorch():
    optimizer = nn.optim.SGD([Value(1.0)], lr=1.0)
    schedule = nn.LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=10)
    assert schedule.step() is None
    assert optimizer.lr == schedule.lr == pytest.approx(0.91)


def test_a_drawn_neuron_labels_weights_inputs_and_bias():
    random.seed(2)
    neuron = nn.Neuron(2)
    out = neuron([Value(0.5, label="in0"), Value(-1.0, label="in1")])
    source = draw_dot(out).source
    for role in ("w0", "w1", "x0", "x1", "b"):
        assert f"label={role} " in source
    in0 = re.search(r"(v\d+) \[label=\"\{ in0 ", source).group(1)
    assert re.search(rf"{in0} -> v\d+_op \[label=x0 ", source)


def _train_as_micrograds_demo_does(value_class, model, X, y, steps):
    """micrograd's demo loop: max-margin loss, L2 term, full-batch SGD with a decaying rate."""
    curve = []
    for k in range(steps):
        scores = [model([value_class(a), value_class(b)]) for a, b in X]
        margins = [(1 + -label * score).relu() for label, score in zip(y, scores)]
        loss = sum(margins) * (1.0 / len(margins)) + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        loss.backward()
        rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= rate * p.grad
        curve.append(loss.data)
    return curve


def test_micrographs_demo_gives_micrographs_loss_curve():
    micrograd_nn = pytest.importorskip("micrograd.nn")
    engine = pytest.importorskip("micrograd.engine")
    X, y = nn.datasets.make_moons(30, noise=0.1, labels=(-1, 1), seed=4)
    random.seed(1337)
    theirs = _train_as_micrograds_demo_does(engine.Value, micrograd_nn.MLP(2, [16, 16, 1]), X, y, 8)
    random.seed(1337)
    ours = _train_as_micrograds_demo_does(Value, nn.MLP(2, [16, 16, 1]), X, y, 8)
    # The same weights, and biases still 0, so the first loss is identical. After that the sums
    # differ in order: micrograd adds a neuron's bias first (chainrule last, as PyTorch) and a
    # node's gradient contributions in the order of its children's *set* (memory addresses),
    # so two runs of micrograd itself can differ in the last bits.
    assert ours[0] == theirs[0]
    assert ours == pytest.approx(theirs, rel=1e-13)

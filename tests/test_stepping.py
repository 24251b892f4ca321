"""root.backward_steps(): the walk against backward() on random graphs, and the steps' contents."""

from __future__ import annotations

import io
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stepping_graphs import lecture_neuron, priors, random_graphs, same_float

import autograd
from autograd import Value, draw_dot, grad, trace
from autograd.steps.stepping import (
    CURRENT,
    DONE,
    REACHED,
    RECEIVING,
    UNREACHED,
    BackwardWalk,
    Step,
    state_at,
)


def grads_of(nodes: list[Value]) -> list[float]:
    return [float(node.grad) for node in nodes]


def assert_same(actual: list[float], expected: list[float], names: list[str]) -> None:
    for a, e, name in zip(actual, expected, names):
        assert same_float(a, e), f"{name}: walk gave {a!r}, backward() gave {e!r}"


# ----- the whole walk against backward() ----------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), root=random_graphs(), seed=st.sampled_from([1.0, -2.5, 0.0]))
def test_walk_leaves_exactly_what_backward_leaves(data, root, seed):
    nodes = root.graph()
    names = [node.label or f"v{i}" for i, node in enumerate(nodes)]
    start = priors(data.draw, nodes)
    for node, prior in zip(nodes, start):
        node.grad = prior
    expected_upstreams = {}
    for node in nodes:
        if node.rule is not None:  # dL/dnode from this pass alone, by autograd.grad
            (expected_upstreams[id(node)],) = grad(root, [node], grad_output=seed)

    steps = list(root.backward_steps(seed))
    walked = grads_of(nodes)
    for node, prior in zip(nodes, start):
        node.grad = prior
    root.backward(seed)
    assert_same(walked, grads_of(nodes), names)

    # One step per non-leaf node, outputs before inputs, with backward()'s upstream gradients.
    assert [step.node for step in steps] == [n for n in reversed(nodes) if n.rule is not None]
    for number, step in enumerate(steps, start=1):
        assert step.number == number
        assert same_float(step.upstream, expected_upstreams[id(step.node)])
        assert [update.input for update in step.updates] == list(step.node.parents)
        # upstream × local, or the op's own backward rule where it declares one (g / x for log)
        contributions = step.node.rule.contributions(step.node, step.upstream)
        for update, contribution in zip(step.updates, contributions):
            assert same_float(update.contribution, contribution)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), root=random_graphs())
def test_dot_grad_shows_the_walk_so_far_after_every_step(data, root):
    # After each step, every .grad is the state_at() of that step: the prior gradient plus
    # this walk's contributions so far; nodes not reached yet keep their prior gradient.
    nodes = root.graph()
    start = priors(data.draw, nodes)
    for node, prior in zip(nodes, start):
        node.grad = prior
    for step in root.backward_steps():
        state = state_at(step)
        for node, prior in zip(nodes, start):
            assert same_float(float(node.grad), float(state.grads[id(node)]))
            if state.states[id(node)] == UNREACHED:
                assert same_float(float(node.grad), prior)
        assert step.grad is step.node.grad  # its own gradient is final when it is processed


def test_two_walks_double_the_gradients_like_two_backward_calls():
    walked = lecture_neuron()
    list(walked.backward_steps())
    list(walked.backward_steps())
    twice = lecture_neuron()
    twice.backward()
    twice.backward()
    assert grads_of(walked.graph()) == grads_of(twice.graph())
    assert math.isclose(walked.graph()[0].grad, 2 * -1.5)  # x1


def test_upstream_is_this_walk_only_and_grad_includes_the_prior():
    o = lecture_neuron()
    o.backward()
    steps = o.backward_steps()
    first = next(steps)
    assert first.upstream == 1.0 and first.grad == 2.0 and o.grad == 2.0
    (update,) = first.updates
    assert math.isclose(update.contribution, 0.5) and math.isclose(update.grad, 1.0)
    assert "dL/do = 1.0" in str(first) and "+0.5 -> grad 1.0" in str(first)


def test_nothing_changes_before_the_first_next():
    o = lecture_neuron()
    steps = o.backward_steps()
    assert all(node.grad == 0.0 for node in o.graph())
    assert steps.total == 5 and steps.steps == []
    next(steps)
    assert o.grad == 1.0


def test_a_leaf_has_no_steps_but_gets_its_seed():
    x = Value(3.0, label="x")
    walk = x.backward_steps(2.0)
    assert list(walk) == [] and walk.total == 0
    assert x.grad == 2.0


def test_the_walk_stops_and_stays_stopped():
    o = lecture_neuron()
    walk = o.backward_steps()
    assert len(list(walk)) == 5
    before = grads_of(o.graph())
    with pytest.raises(StopIteration):
        next(walk)
    assert grads_of(o.graph()) == before


def test_reading_the_graph_mid_walk_does_not_disturb_it():
    walked = lecture_neuron()
    for step in walked.backward_steps():
        trace(walked, file=io.StringIO())
        trace(walked, step=step, file=io.StringIO())
        draw_dot(walked, step=step)
        draw_dot(walked)
        state_at(step)
    expected = lecture_neuron()
    expected.backward()
    assert grads_of(walked.graph()) == grads_of(expected.graph())


def test_a_gradient_changed_mid_walk_stops_the_walk():
    o = lecture_neuron()
    b = next(node for node in o.graph() if node.label == "b")
    walk = o.backward_steps()
    next(walk)
    b.grad = 0.0  # the same number: not a change
    next(walk)  # the step that writes b's gradient
    b.grad = 7.0
    o.backward()  # backward() during a walk changes every gradient
    with pytest.raises(RuntimeError, match="changed outside this walk"):
        next(walk)


def test_a_gradient_zeroed_before_the_first_step_is_the_prior():
    o = lecture_neuron()
    o.backward()
    walk = o.backward_steps()
    for node in o.graph():
        node.grad = 0.0
    list(walk)
    expected = lecture_neuron()
    expected.backward()
    assert grads_of(o.graph()) == grads_of(expected.graph())


@pytest.mark.parametrize("bad", ["1.0", True, None, Value(1.0), [1.0]])
def test_the_seed_must_be_a_number(bad):
    with pytest.raises(TypeError, match="real number"):
        Value(2.0).backward_steps(bad)


def test_walk_needs_a_value():
    with pytest.raises(TypeError, match="needs a Value"):
        BackwardWalk(3.0)


def test_x_times_x_gets_two_updates_for_the_same_input():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    (step,) = y.backward_steps()
    assert [update.input for update in step.updates] == [x, x]
    assert [update.grad for update in step.updates] == [3.0, 6.0]
    assert str(step) == (
        "y = x * x = 9.0 | dL/dy = 1.0\n"
        "  x: local x = 3.0, +3.0 -> grad 3.0 | x: local x = 3.0, +3.0 -> grad 6.0"
    )


def test_repr_says_which_step_of_how_many():
    steps = list(lecture_neuron().backward_steps())
    assert repr(steps[1]) == "<Step 2 of 5: n (+)>"
    assert isinstance(steps[1], Step)


# ----- the states of the nodes -----------------------------------------------------------------


def test_states_through_the_lecture_neuron():
    o = lecture_neuron()
    by_name = {node.label: node for node in o.graph()}
    steps = list(o.backward_steps())

    def states(step):
        state = state_at(step)
        return {name: state.states[id(node)] for name, node in by_name.items()}

    first = states(steps[0])
    assert first["o"] == CURRENT and first["n"] == RECEIVING
    assert {first[n] for n in ("x1", "w1", "b", "x1*w1", "x1*w1 + x2*w2")} == {UNREACHED}
    third = states(steps[2])
    assert third["o"] == DONE and third["n"] == DONE
    assert third["x1*w1 + x2*w2"] == CURRENT
    assert third["x1*w1"] == RECEIVING and third["x2*w2"] == RECEIVING
    assert third["b"] == DONE  # a leaf whose only consumer has been processed
    assert third["x1"] == UNREACHED
    fourth = states(steps[3])  # x2*w2 is processed before x1*w1 (it was made later)
    assert fourth["x2*w2"] == CURRENT and fourth["x1*w1"] == REACHED
    last = states(steps[4])
    assert last["x1"] == RECEIVING and last["x2"] == DONE and last["x2*w2"] == DONE


def test_state_at_an_earlier_step_shows_the_gradients_of_then():
    o = lecture_neuron()
    steps = list(o.backward_steps())
    x1 = o.graph()[0]
    assert x1.grad == pytest.approx(-1.5)
    assert state_at(steps[0]).grads[id(x1)] == 0.0
    assert state_at(steps[-1]).grads[id(x1)] == x1.grad


def test_state_at_needs_a_step():
    with pytest.raises(TypeError, match="Step"):
        state_at("step 1")


# ----- the text of a step, for each op ---------------------------------------------------------


def labelled(value: Value, label: str) -> Value:
    value.label = label
    return value


a2, b3 = 2.0, -3.0
CASES = {
    "+": (lambda a, b: a + b, a2, b3,
          "c = a + b = -1.0 | dL/dc = 1.0 | a: local 1, +1.0 -> grad 1.0 | "
          "b: local 1, +1.0 -> grad 1.0"),
    "-": (lambda a, b: a - b, a2, b3,
          "c = a - b = 5.0 | dL/dc = 1.0 | a: local 1, +1.0 -> grad 1.0 | "
          "b: local -1, -1.0 -> grad -1.0"),
    "*": (lambda a, b: a * b, a2, b3,
          "c = a * b = -6.0 | dL/dc = 1.0\n"
          "  a: local b = -3.0, -3.0 -> grad -3.0 | b: local a = 2.0, +2.0 -> grad 2.0"),
    "/": (lambda a, b: a / b, 3.0, -2.0,
          "c = a / b = -1.5 | dL/dc = 1.0\n"
          "  a: local 1 / b = -0.5, -0.5 -> grad -0.5 | b: local -c / b = -0.75, -0.75 -> "
          "grad -0.75"),
    "**": (lambda a, b: a ** b, 2.0, 3.0,
           "c = a ** b = 8.0 | dL/dc = 1.0\n"
           "  a: local b · a^(b - 1) = 12.0, +12.0 -> grad 12.0 | "
           "b: local c · ln a = 5.5452, +5.5452 -> grad 5.5452"),
    "**2": (lambda a, b: a ** 2, -3.0, 0.0,
            "c = a ** 2 = 9.0 | dL/dc = 1.0 | a: local 2 · a^1 = -6.0, -6.0 -> grad -6.0"),
    "neg": (lambda a, b: -a, a2, 0.0,
            "c = -a = -2.0 | dL/dc = 1.0 | a: local -1, -1.0 -> grad -1.0"),
    "abs": (lambda a, b: abs(a), -3.0, 0.0,
            "c = |a| = 3.0 | dL/dc = 1.0 | a: local sign(a) = -1.0, -1.0 -> grad -1.0"),
    "exp": (lambda a, b: a.exp(), 0.0, 0.0,
            "c = exp(a) = 1.0 | dL/dc = 1.0 | a: local c = 1.0, +1.0 -> grad 1.0"),
    "log": (lambda a, b: a.log(), 2.0, 0.0,
            "c = ln(a) = 0.6931 | dL/dc = 1.0 | a: local 1 / a = 0.5, +0.5 -> grad 0.5"),
    "tanh": (lambda a, b: a.tanh(), 0.0, 0.0,
             "c = tanh(a) = 0.0 | dL/dc = 1.0 | a: local 1 - c² = 1.0, +1.0 -> grad 1.0"),
    "sigmoid": (lambda a, b: a.sigmoid(), 0.0, 0.0,
                "c = σ(a) = 0.5 | dL/dc = 1.0 | a: local c · (1 - c) = 0.25, +0.25 -> grad 0.25"),
    "relu": (lambda a, b: a.relu(), 2.0, 0.0,
             "c = relu(a) = 2.0 | dL/dc = 1.0 | a: local 1 if c > 0 else 0 = 1.0, +1.0 -> "
             "grad 1.0"),
    "leaky_relu": (lambda a, b: a.leaky_relu(0.1), -2.0, 0.0,
                   "c = leaky_relu(a, 0.1) = -0.2 | dL/dc = 1.0 | "
                   "a: local 1 if a > 0 else 0.1 = 0.1, +0.1 -> grad 0.1"),
    "softplus": (lambda a, b: a.softplus(), 0.0, 0.0,
                 "c = softplus(a) = 0.6931 | dL/dc = 1.0 | a: local σ(a) = 0.5, +0.5 -> grad 0.5"),
    "sin": (lambda a, b: a.sin(), 0.0, 0.0,
            "c = sin(a) = 0.0 | dL/dc = 1.0 | a: local cos(a) = 1.0, +1.0 -> grad 1.0"),
    # -sin(0) is -0.0: the contribution is -0.0, and 0.0 + -0.0 leaves the gradient at 0.0.
    "cos": (lambda a, b: a.cos(), 0.0, 0.0,
            "c = cos(a) = 1.0 | dL/dc = 1.0 | a: local -sin(a) = -0.0, -0.0 -> grad 0.0"),
    "sqrt": (lambda a, b: a.sqrt(), 4.0, 0.0,
             "c = √a = 2.0 | dL/dc = 1.0 | a: local 1 / (2 · c) = 0.25, +0.25 -> grad 0.25"),
}  # fmt: skip


@pytest.mark.parametrize("op", CASES)
def test_step_text_for_each_op(op):
    build, a_data, b_data, expected = CASES[op]
    a, b = Value(a_data, label="a"), Value(b_data, label="b")
    c = labelled(build(a, b), "c")
    assert c.op == op
    (step,) = c.backward_steps()
    assert str(step) == expected


def test_step_text_for_linear_dot_and_sum():
    w1, w2, x1, x2 = (Value(v, label=n) for v, n in [(-3.0, "w1"), (1.0, "w2"), (2.0, "x1"),
                                                   (0.5, "x2")])
    b = Value(0.5, label="b")
    n = labelled(autograd.linear([w1, w2], [x1, x2], b), "n")
    (step,) = n.backward_steps()
    assert str(step) == (
        "n = w1·x1 + w2·x2 + b = -5.0 | dL/dn = 1.0\n"
        "  w1: local x1 = 2.0, +2.0 -> grad 2.0 | w2: local x2 = 0.5, +0.5 -> grad 0.5 | "
        "x1: local w1 = -3.0, -3.0 -> grad -3.0 | x2: local w2 = 1.0, +1.0 -> grad 1.0 | "
        "b: local 1, +1.0 -> grad 1.0"
    )
    d = labelled(autograd.dot([w1, w2], [x1, x2]), "d")
    (step,) = d.backward_steps()
    assert step.explain().splitlines()[0] == "d = w1·x1 + w2·x2 = -5.5 | dL/dd = 1.0"
    s = labelled(autograd.sum_values([w1, x1, b]), "s")
    (step,) = s.backward_steps()
    assert str(step) == (  # the gradients add up over the three walks
        "s = w1 + x1 + b = -0.5 | dL/ds = 1.0\n"
        "  w1: local 1, +1.0 -> grad 5.0 | x1: local 1, +1.0 -> grad -5.0 | "
        "b: local 1, +1.0 -> grad 2.0"
    )


def test_a_long_sum_is_shortened():
    xs = [Value(float(i), label=f"x{i}") for i in range(8)]
    total = labelled(autograd.sum_values(xs), "t")
    (step,) = total.backward_steps()
    assert step.explain().startswith("t = x0 + x1 + x2 + … + x7 = 28.0 | dL/dt = 1.0\n")
    assert step.explain().count("local 1,") == 8


def test_text_of_a_users_op_with_and_without_formulas():
    softsign = autograd.define_op(
        "softsign_step_test", lambda x: x / (1 + abs(x)), lambda x, out: 1 / (1 + abs(x)) ** 2,
        formula="softsign({0})", partial_formulas=("1 / (1 + |{0}|)²",),
    )
    bare = autograd.define_op("bare_step_test", lambda x, y: x - 2 * y, 1.0, -2.0)
    a, b = Value(1.0, label="a"), Value(3.0, label="b")
    s = labelled(softsign(a), "s")
    (step,) = s.backward_steps()
    assert str(step) == (
        "s = softsign(a) = 0.5 | dL/ds = 1.0 | a: local 1 / (1 + |a|)² = 0.25, +0.25 -> grad 0.25"
    )
    t = labelled(bare(a, b), "t")
    (step,) = t.backward_steps()
    assert str(step) == (
        "t = bare_step_test(a, b) = -5.0 | dL/dt = 1.0\n"
        "  a: local 1.0, +1.0 -> grad 1.25 | b: local -2.0, -2.0 -> grad -2.0"
    )


def test_text_of_the_lecture_neuron_walk():
    texts = [str(step) for step in lecture_neuron().backward_steps()]
    assert texts == [
        "o = tanh(n) = 0.7071 | dL/do = 1.0 | n: local 1 - o² = 0.5, +0.5 -> grad 0.5",
        "n = (x1*w1 + x2*w2) + b = 0.8814 | dL/dn = 0.5\n"
        "  x1*w1 + x2*w2: local 1, +0.5 -> grad 0.5 | b: local 1, +0.5 -> grad 0.5",
        "x1*w1 + x2*w2 = -6.0 | dL/d(x1*w1 + x2*w2) = 0.5\n"
        "  x1*w1: local 1, +0.5 -> grad 0.5 | x2*w2: local 1, +0.5 -> grad 0.5",
        "x2*w2 = x2 * w2 = 0.0 | dL/d(x2*w2) = 0.5\n"
        "  x2: local w2 = 1.0, +0.5 -> grad 0.5 | w2: local x2 = 0.0, +0.0 -> grad 0.0",
        "x1*w1 = x1 * w1 = -6.0 | dL/d(x1*w1) = 0.5\n"
        "  x1: local w1 = -3.0, -1.5 -> grad -1.5 | w1: local x1 = 2.0, +1.0 -> grad 1.0",
    ]


def test_unlabelled_nodes_get_their_position_as_name():
    x = Value(-0.5, label="x")
    y = (x * 2).exp()
    steps = list(y.backward_steps())
    # graph(): x (v0), the constant 2 (v1), x * 2 (v2), exp (v3)
    assert str(steps[0]) == (
        "v3 = exp(v2) = 0.3679 | dL/dv3 = 1.0 | v2: local v3 = 0.3679, +0.3679 -> grad 0.3679"
    )
    assert str(steps[1]).startswith("v2 = x * v1 = -1.0 | dL/dv2 = 0.3679")


def test_negative_numbers_and_spaced_names_are_bracketed():
    a = Value(-0.5, label="a b")
    c = labelled(a.tanh() ** 2, "c")
    texts = [str(step) for step in c.backward_steps()]
    assert texts[0].startswith("c = v1 ** 2 = 0.2136 |")
    assert texts[1].startswith("v1 = tanh(a b) = -0.4621 | dL/dv1 = -0.9242")
    assert "a b: local 1 - v1² = 0.7864" in texts[1]


def test_explain_takes_a_precision():
    (step,) = labelled(Value(1.0, label="a") / 3, "c").backward_steps()
    assert step.explain(precision=2).startswith("c = a / v1 = 0.33 | dL/dc = 1.0")
    assert "a: local 1 / v1 = 0.33333333," in step.explain(precision=8)


def test_tiny_and_huge_numbers_switch_to_scientific_notation():
    a = Value(1e-6, label="a")
    (step,) = labelled(a * 1e9, "c").backward_steps()
    assert str(step) == (
        "c = a * v1 = 1000.0 | dL/dc = 1.0\n"
        "  a: local v1 = 1.0e+09, +1.0e+09 -> grad 1.0e+09 | "
        "v1: local a = 1.0e-06, +1.0e-06 -> grad 1.0e-06"
    )

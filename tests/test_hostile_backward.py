"""Hostile use of the backward pass: interrupts anywhere, `.grad = None`, partials that return
something other than a real number, a user's op named like a built-in.

Each table lists the attack and what must hold; the interrupt tests inject Ctrl-C at every line
chainrule executes (tests/interrupting.py) and then check that the next pass is exactly right.
"""

from __future__ import annotations

import math
import random
import signal
import threading

import pytest

import autograd
import nn
from autograd import Value
from tests.interrupting import every_interruption


def small_graph() -> tuple[Value, list[Value], list[Value]]:
    """A graph with every kind of node: variadic, unary, binary, constants, a shared input."""
    x = Value(0.5, label="x")
    y = Value(-1.25, label="y")
    w = [Value(0.3, label="w0"), Value(-0.7, label="w1")]
    b = Value(0.1, label="b")
    h = autograd.linear(w, [x, y], b).tanh()
    out = h * x + (y * 2.0).relu() + (h - y).sigmoid() / 3.0 + autograd.sum_values([h, x, x])
    leaves = [x, y, *w, b]
    return out, leaves, out.graph()


def reference_grads() -> list[float]:
    out, leaves, _ = small_graph()
    out.backward()
    return [leaf.grad for leaf in leaves]


def _assert_unmarked(nodes: list[Value]) -> None:
    assert all(node._acc is None for node in nodes), "a pass left running sums on nodes"


def _assert_next_passes_right(out: Value, leaves: list[Value], nodes: list[Value]) -> None:
    reference = reference_grads()
    for node in nodes:
        node.grad = 0.0
    out.backward()
    assert [leaf.grad for leaf in leaves] == reference
    assert list(autograd.grad(out, leaves)) == reference
    fresh, fresh_leaves, _ = small_graph()
    assert list(autograd.grad(fresh * 1.0, fresh_leaves)) == reference


# ----- Ctrl-C anywhere ----------------------------------------------------------------------


def test_backward_interrupted_anywhere_leaves_grads_whole_and_the_next_pass_right() -> None:
    def prepare():
        out, leaves, nodes = small_graph()
        leaves[1].grad = None  # set_to_none's habit, counted as 0.0
        leaves[2].grad = 0.25
        return out, leaves, nodes, [node.grad for node in nodes]

    reference = reference_grads()
    count = 0
    for _, (out, leaves, nodes, before) in every_interruption(prepare, lambda s: s[0].backward()):
        count += 1
        _assert_unmarked(nodes)
        grads = [leaf.grad for leaf in leaves]
        after = [0.0 + reference[0], reference[1], 0.25 + reference[2], *reference[3:]]
        assert [node.grad for node in nodes] == before or grads == after
        _assert_next_passes_right(out, leaves, nodes)
    assert count > 100  # the interrupt landed on every line of the pass, commit included


@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_interrupted_anywhere_touches_no_grad(create_graph: bool) -> None:
    def prepare():
        out, leaves, nodes = small_graph()
        return out, leaves, nodes

    def call(state):
        autograd.grad(state[0], state[1], create_graph=create_graph)

    for _, (out, leaves, nodes) in every_interruption(prepare, call):
        _assert_unmarked(nodes)
        assert all(node.grad == 0.0 for node in nodes)
        _assert_next_passes_right(out, leaves, nodes)


def test_backward_create_graph_interrupted_anywhere() -> None:
    def prepare():
        out, leaves, nodes = small_graph()
        return out, leaves, nodes

    for _, (out, leaves, nodes) in every_interruption(
        prepare, lambda s: s[0].backward(create_graph=True)
    ):
        _assert_unmarked(nodes)
        grads = [node.grad for node in nodes]
        assert all(g == 0.0 for g in grads) or all(isinstance(x.grad, Value) for x in leaves)
        _assert_next_passes_right(out, leaves, nodes)


def test_backward_under_detect_anomaly_interrupted_anywhere() -> None:
    def call(state):
        with autograd.detect_anomaly():
            state[0].backward()

    for where, (out, leaves, nodes) in every_interruption(small_graph, call):
        _assert_unmarked(nodes)
        if where == "__exit__:1":
            # The first line of __exit__: Python gives no way to protect a with block's
            # __exit__ from Ctrl-C before its first statement (PEP 419, withdrawn). There, and
            # only there, the mode stays switched on; anywhere later __exit__ finishes.
            autograd.grad_mode._set_flag("anomaly", False, False)
        assert autograd.grad_mode.grad_mode.enabled is True, f"anomaly mode left on at {where}"
        _assert_next_passes_right(out, leaves, nodes)


# ----- an exception in the middle of adding to .grad ---------------------------------------------


def test_a_grad_that_cannot_be_added_to_changes_nothing_and_says_which() -> None:
    model = nn.MLP(2, [2, 1], rng=0)
    params = model.parameters()
    params[3].grad = "junk"
    with pytest.raises(TypeError, match=r"\.grad = 'junk' \(str\); set it to 0\.0"):
        model([1.0, 2.0]).backward()
    assert [p.grad for p in params[:3]] == [0.0] * 3
    model.zero_grad()
    loss = model([1.0, 2.0])
    loss.backward()
    twin = nn.MLP(2, [2, 1], rng=0)
    expected = autograd.grad(twin([1.0, 2.0]), twin.parameters())
    assert [p.grad for p in params] == list(expected)
    assert list(autograd.grad(model([1.0, 2.0]), params)) == list(expected)


# ----- .grad = None counts as zero (PyTorch's set_to_none) ------------------------------------


def _model_and_expected():
    model = nn.MLP(2, [3, 1], rng=1)
    twin = nn.MLP(2, [3, 1], rng=1)
    return model, list(autograd.grad(twin([1.0, -2.0]), twin.parameters()))


def test_backward_counts_a_none_grad_as_zero() -> None:
    model, expected = _model_and_expected()
    for p in model.parameters():
        p.grad = None
    model([1.0, -2.0]).backward()
    assert [p.grad for p in model.parameters()] == expected


def test_backward_with_create_graph_counts_a_none_grad_as_zero() -> None:
    x = Value(3.0)
    x.grad = None
    (x * x).backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 6.0


def test_backward_steps_counts_a_none_grad_as_zero() -> None:
    model, expected = _model_and_expected()
    for p in model.parameters():
        p.grad = None
    list(model([1.0, -2.0]).backward_steps())
    assert [p.grad for p in model.parameters()] == expected


def test_tape_run_counts_a_none_grad_as_zero() -> None:
    model, expected = _model_and_expected()
    tape = autograd.compile(model([1.0, -2.0]))
    for p in model.parameters():
        p.grad = None
    tape.run()
    assert [p.grad for p in model.parameters()] == pytest.approx(expected, rel=1e-12)


# ----- a partial that returns something other than a real number ------------------------------

_half_power = autograd.define_op(
    "half_power",
    lambda x: abs(x) ** 0.5,
    lambda x, out: 0.5 * x ** -0.5,  # complex below 0 in Python
)
_returns_value = autograd.define_op("returns_value", lambda x: x, lambda x, out: Value(1.0))

NOT_REAL_PARTIALS = [
    # (op, input, what the partial returns)
    (_half_power, -4.0, "complex"),
    (_returns_value, 2.0, "Value"),
]


@pytest.mark.parametrize(("op", "x", "kind"), NOT_REAL_PARTIALS)
@pytest.mark.parametrize("how", ["backward", "grad", "backward_steps", "anomaly"])
def test_a_partial_returning_a_non_real_is_refused_naming_the_op(op, x, kind, how) -> None:
    leaf = Value(x)
    out = op(leaf) * 2.0
    message = rf"op '{op.op.name}': partial 0 returned {kind}, not a real number"
    with pytest.raises(TypeError, match=message):
        if how == "backward":
            out.backward()
        elif how == "grad":
            autograd.grad(out, [leaf])
        elif how == "backward_steps":
            list(out.backward_steps())
        else:
            with autograd.detect_anomaly():
                out.backward()
    assert leaf.grad == 0.0 and leaf._acc is None


def test_sgd_never_gets_a_complex_gradient() -> None:
    leaf = Value(-4.0)
    optimizer = nn.optim.SGD([leaf], lr=0.1)
    with pytest.raises(TypeError, match="partial 0 returned complex"):
        _half_power(leaf).backward()
    optimizer.step()
    assert leaf.data == -4.0 and isinstance(leaf.data, float)


# ----- micrograd's positional form keeps the built-in meaning of built-in names -----------------


def test_a_user_op_named_like_a_builtin_does_not_change_the_positional_form() -> None:
    users_tanh = autograd.define_op("tanh", lambda x: 2 * x, lambda x, out: 2.0)
    a = Value(0.3)
    node = Value(math.tanh(0.3), (a,), "tanh")
    node.backward()
    assert a.grad == pytest.approx(1 - math.tanh(0.3) ** 2, rel=1e-15)
    assert node.rule is autograd.Value(0.3).tanh().rule
    b = Value(0.3)
    users_tanh(b).backward()  # the user's op itself is unchanged
    assert b.grad == 2.0


def test_the_positional_form_finds_a_users_own_op_by_name() -> None:
    autograd.define_op("double_it_for_the_positional_form", lambda x: 2 * x, lambda x, out: 2.0)
    a = Value(1.5)
    Value(3.0, (a,), "double_it_for_the_positional_form").backward()
    assert a.grad == 2.0


# ----- Ctrl-C in a step-by-step walk and in compiled replay ------------------------------------


def test_a_walk_interrupted_anywhere_continues_to_the_right_gradients() -> None:
    reference = reference_grads()

    def prepare():
        out, leaves, nodes = small_graph()
        walk = out.backward_steps()
        next(walk)
        return walk, leaves, nodes

    def call(state):
        for _ in state[0]:
            pass

    count = 0
    for _, (walk, leaves, nodes) in every_interruption(prepare, call):
        count += 1
        done = len(walk.steps)
        shown = [node.grad for node in nodes]
        assert [walk._grads[id(node)] for node in nodes] == shown  # the walk agrees with .grad
        for _ in walk:  # the same walk picks up where the interrupt left it
            pass
        assert len(walk.steps) == walk.total and done <= walk.total
        assert [leaf.grad for leaf in leaves] == reference
        _assert_unmarked(nodes)
    assert count > 50


def test_tape_run_interrupted_anywhere_adds_all_or_nothing() -> None:
    reference = reference_grads()

    def prepare():
        out, leaves, nodes = small_graph()
        tape = autograd.compile(out)
        return tape, leaves, out

    count = 0
    for _, (tape, leaves, out) in every_interruption(prepare, lambda s: s[0].run()):
        count += 1
        grads = [leaf.grad for leaf in leaves]
        assert grads == [0.0] * len(leaves) or grads == pytest.approx(reference, rel=1e-12)
        assert out.grad in (0.0, 1.0) and (out.grad == 1.0) == (grads != [0.0] * len(leaves))
        for leaf in leaves:
            leaf.grad = 0.0
        tape.run()
        assert [leaf.grad for leaf in leaves] == pytest.approx(reference, rel=1e-12)
    assert count > 20


def test_a_value_upstream_gradient_is_no_false_alarm() -> None:
    # Without create_graph a Value upstream counts as its number (as in PyTorch): float grads,
    # and the non-real check does not mistake them for a partial's fault.
    x = Value(3.0)
    (x * x).backward(Value(2.0))
    assert x.grad == 12.0 and isinstance(x.grad, float)
    (dx,) = autograd.grad(x * x, [x], grad_outputs=Value(2.0))
    assert dx == 12.0


def _held_elsewhere(lock) -> bool:
    got: list[bool] = []

    def try_it() -> None:
        got.append(lock.acquire(timeout=0.2))
        if got[0]:
            lock.release()

    thread = threading.Thread(target=try_it)
    thread.start()
    thread.join()
    return not got[0]


@pytest.mark.parametrize("call", [lambda s: s[0].backward(), lambda s: autograd.grad(s[0], s[1])])
def test_an_interrupted_pass_never_keeps_the_pass_lock(call) -> None:
    # Another thread would wait forever for a lock an interrupted pass kept. (every_interruption
    # itself fails on a lock left held, except where only a tracer can interrupt: see there.)
    from autograd.backward import _one_pass_at_a_time

    for where, _ in every_interruption(small_graph, call):
        assert not _held_elsewhere(_one_pass_at_a_time), f"lock kept after Ctrl-C at {where}"


def test_real_ctrl_c_signals_at_random_moments_never_keep_the_pass_lock() -> None:
    # The same with real SIGINTs from a timer, delivered where CPython delivers signals.
    from autograd.backward import _one_pass_at_a_time

    rng = random.Random(14)
    interrupted = 0
    for _ in range(300):
        out, leaves, nodes = small_graph()
        _ARMED[0] = True
        try:
            signal.setitimer(signal.ITIMER_REAL, rng.uniform(1e-6, 4e-4))
            for _ in range(3):
                out.backward()
                autograd.grad(out, leaves)
        except KeyboardInterrupt:
            interrupted += 1
        finally:
            _ARMED[0] = False  # a signal still on its way is ignored
            signal.setitimer(signal.ITIMER_REAL, 0)
        _assert_unmarked(nodes)
        assert not _held_elsewhere(_one_pass_at_a_time)
        _assert_next_passes_right(out, leaves, nodes)
    assert interrupted > 50


_ARMED = [False]


@pytest.fixture(autouse=True)
def _alarm_is_ctrl_c():
    def interrupt(signum, frame):
        if _ARMED[0]:
            raise KeyboardInterrupt("SIGALRM")

    previous = signal.signal(signal.SIGALRM, interrupt)
    yield
    signal.signal(signal.SIGALRM, previous)

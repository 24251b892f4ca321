"""What compile and run refuse, and say: ops that cannot run on arrays, leaves that are gone,
inputs and batches of the wrong kind. And what a tape keeps alive: no node of the graph."""

import gc
import math
import weakref

import numpy as np
import pytest

import autograd
import nn
from autograd import CompileError, LeafGoneError, Value, define_op, define_variadic_op

clamp01 = define_op(
    "clamp01", lambda x: min(max(x, 0.0), 1.0), lambda x, out: 1.0 if 0.0 < x < 1.0 else 0.0
)
math_exp = define_op("math_exp", math.exp, lambda x, out: out)
# Works on floats, but on an array it averages: other numbers, not an error.
averaging = define_op("averaging", lambda x: x, lambda x, out: float(np.sum(x) / np.size(x)))
wrongly_declared = define_op(
    "wrongly_declared", lambda x: 2.0 * x, 2.0,
    vectorized=(lambda x: 3.0 * x, None),
)
norm = define_variadic_op(
    "norm_t", lambda xs: math.sqrt(sum(x * x for x in xs)), lambda xs, out: [x / out for x in xs]
)


@pytest.mark.parametrize(
    ("op", "name", "what"),
    [
        (clamp01, "clamp01", "forward, run on NumPy arrays, raised ValueError"),
        (math_exp, "math_exp", "forward, run on NumPy arrays, raised TypeError"),
        (averaging, "averaging", "partial 0, run on NumPy arrays, gave"),
        (wrongly_declared, "wrongly_declared", "forward, run on NumPy arrays, gave"),
    ],
)
def test_an_op_that_cannot_run_on_arrays_is_named(op, name, what):
    x, y = Value(0.25), Value(0.75)
    out = op(x) + op(y)
    out.backward()  # eager backward is fine with it
    with pytest.raises(CompileError, match=f"op '{name}' cannot be compiled: its {what}") as info:
        autograd.compile(out)
    assert "vectorized=" in str(info.value)


def test_a_variadic_op_that_cannot_run_on_arrays_is_named():
    out = norm(Value(3.0), Value(4.0))
    with pytest.raises(CompileError, match="op 'norm_t' cannot be compiled.*all_partials"):
        autograd.compile(out)


def test_an_op_known_only_by_name_cannot_be_compiled():
    a, b = Value(1.0), Value(2.0)
    out = Value(3.0, (a, b), "mystery")
    with pytest.raises(CompileError, match="op 'mystery' cannot be compiled"):
        autograd.compile(out * 2)


def test_a_user_op_with_plain_rules_compiles():
    softsign = define_op(
        "softsign_e", lambda x: x / (1 + abs(x)), lambda x, out: 1 / (1 + abs(x)) ** 2
    )
    x = Value(-0.5)
    tape = autograd.compile(softsign(x) * 3.0)
    assert tape.run() == pytest.approx(-0.5 / 1.5 * 3.0)
    assert x.grad == pytest.approx(3.0 / 1.5**2)


def test_run_names_a_leaf_that_is_gone():
    w = Value(0.5, label="w")
    tape = autograd.compile(w * 2.0 + 1.0)
    tape.run()
    del w
    gc.collect()
    with pytest.raises(LeafGoneError, match=r"leaf 'w' \(data 0.5 when compiled\)"):
        tape.run()


def test_a_replaced_model_is_caught():
    model = nn.MLP(2, [3, 1], rng=0)
    tape = autograd.compile(model([1.0, 2.0]))
    model = nn.MLP(2, [3, 1], rng=0)  # the old parameters are gone
    gc.collect()
    with pytest.raises(LeafGoneError, match="13 of the leaves this tape reads"):
        tape.run()


def test_the_tape_keeps_no_node_alive():
    w = Value(0.5)
    hidden = (w * 3.0).tanh()
    out = hidden * hidden + 1.0
    tape = autograd.compile(out)
    refs = [weakref.ref(n) for n in out.graph() if n is not w]
    del hidden, out
    gc.collect()
    assert all(ref() is None for ref in refs)
    assert tape.run() == pytest.approx(math.tanh(1.5) ** 2 + 1.0)


def test_inputs_must_be_distinct_leaf_values():
    x = Value(1.0)
    y = x * 2
    with pytest.raises(ValueError, match=r"inputs\[0\] is made by op '\*'"):
        autograd.compile(y, inputs=[y])
    with pytest.raises(ValueError, match="appears twice"):
        autograd.compile(y, inputs=[x, x])
    with pytest.raises(TypeError, match=r"inputs\[0\] must be a Value"):
        autograd.compile(y, inputs=[1.0])
    with pytest.raises(TypeError, match="compile\\(\\) takes a Value"):
        autograd.compile(3.0)


def test_batches_of_the_wrong_shape_say_what_is_expected():
    x = Value(1.0)
    tape = autograd.compile(x * x, inputs=[x])
    with pytest.raises(ValueError, match=r"\(samples, 1 inputs\).*reshape\(-1, 1\)"):
        tape.run(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="got shape"):
        tape.run(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="at least one sample"):
        tape.run(np.zeros((0, 1)))
    with pytest.raises(TypeError, match="array of numbers"):
        tape.run([["a"]])
    with pytest.raises(ValueError, match="reduction"):
        tape.run(np.ones((1, 1)), reduction="max")
    no_inputs = autograd.compile(x * 3)
    with pytest.raises(ValueError, match="no inputs, so it takes no batch"):
        no_inputs.run(np.ones((1, 1)))


def test_run_needs_one_output():
    a, b = Value(1.0), Value(2.0)
    tape = autograd.compile([a * b, a + b])
    assert tape.forward() == [2.0, 3.0]
    with pytest.raises(ValueError, match="use forward"):
        tape.run()


def test_run_without_a_batch_needs_its_inputs():
    x = Value(1.0)
    tape = autograd.compile(x * 2.0, inputs=[x])
    assert list(tape.run(np.array([[3.0]]))) == [6.0]
    del x
    gc.collect()
    with pytest.raises(LeafGoneError, match="input 0"):
        tape.run()
    assert list(tape.run(np.array([[4.0]]))) == [8.0]  # a batch needs no input leaf

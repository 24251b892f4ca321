"""explain(x, output=o) and explain(o, wrt=x): the chain rule with the graph's own numbers.

The sums are checked against backward (bit for bit where explain adds in backward's order),
against brute-force path enumeration, and against central differences, on the lecture's neuron,
by hand-made graphs, and on random graphs over every op (the fuzzers' programs).
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stepping_graphs import lecture_neuron, same_float
from test_fuzz import OPS, TAME, programs

import autograd
from autograd import Value, explain, grad
from autograd.steps.explain import MAX_PATHS, NodeExplanation, PathExplanation


def by_label(root: Value) -> dict[str, Value]:
    return {node.label: node for node in root.graph() if node.label}


def test_the_neurons_x1_as_a_sum_over_its_one_consumer():
    o = lecture_neuron()
    x1 = by_label(o)["x1"]
    found = explain(x1, output=o)
    assert isinstance(found, NodeExplanation)
    (term,) = found.terms
    assert term.consumer_name == "x1*w1" and term.definition == "x1*w1 = x1 * w1"
    assert term.formula == "w1" and term.local == -3.0
    assert math.isclose(term.consumer_grad, 0.5) and math.isclose(term.contribution, -1.5)
    assert found.gradient == grad(o, [x1])[0] == found.backward_gradient
    assert found.numerical.agrees() and math.isclose(found.numerical.estimate, -1.5, rel_tol=1e-6)
    text = str(found)
    assert "via x1*w1 = x1 * w1: 0.5 × (w1 = -3.0) = -1.5" in text
    assert "backward has not run (x1.grad is 0.0); it would give -1.5" in text
    assert x1.grad == 0.0  # explain leaves .grad alone
    o.backward()
    assert "x1.grad is -1.5, as backward gives" in str(explain(x1, output=o))
    o.backward()
    assert "x1.grad holds -3.0 (gradients accumulate" in str(explain(x1, output=o))


def test_a_value_used_several_times_gets_the_sum_of_its_uses():
    x = Value(3.0, label="x")
    y = x * x + x.tanh() * x
    y.label = "y"
    found = explain(x, output=y)
    assert len(found.terms) == 4  # x * x uses x twice: one term per use
    assert [t.position for t in found.terms if t.consumer_name == "v1"] == [0, 1]
    total = 0.0
    for term in found.terms:
        assert term.contribution == term.consumer_grad * term.local
        total += term.contribution
    assert found.gradient == total == grad(y, [x])[0]
    assert "x is used 4 times" in str(found) and "grad +=" in str(found)


def test_the_output_and_a_node_off_the_path():
    x, z = Value(2.0, label="x"), Value(5.0, label="z")
    y = x * 3
    assert explain(y, output=y).gradient == 1.0
    assert "is the output" in str(explain(y, output=y))
    with pytest.raises(ValueError, match="not in the graph"):
        explain(z, output=y)
    found = explain(y, wrt=z)
    assert isinstance(found, PathExplanation)
    assert found.count == 0 and found.paths == () and found.gradient == 0.0
    assert "does not depend on z" in str(found)


def test_paths_of_the_neuron_multiply_their_local_derivatives():
    o = lecture_neuron()
    nodes = by_label(o)
    found = explain(o, wrt=nodes["w1"])
    (path,) = found.paths
    assert path.names == ("o", "n", "x1*w1 + x2*w2", "x1*w1", "w1")
    assert len(path.locals) == 4 and path.locals[1:] == (1.0, 1.0, 2.0)
    assert math.isclose(path.locals[0], 0.5) and path.product == math.prod(path.locals)
    assert found.count == 1 and found.rest_count == 0
    assert math.isclose(found.paths_sum, grad(o, [nodes["w1"]])[0], rel_tol=1e-15)
    assert "o → n → x1*w1 + x2*w2 → x1*w1 → w1:  (1 - o² = 0.5) × 1.0 × 1.0 × (x1 = 2.0) = 1.0" \
        in str(found)


def all_paths(output: Value, wrt: Value) -> list[float]:
    """Every path's product, by plain recursion (the oracle for small graphs)."""
    if output is wrt:
        return [1.0]
    if output.rule is None:
        return []
    products = []
    for parent, local in zip(output.parents, output.rule.local_derivatives(output)):
        products += [local * p for p in all_paths(parent, wrt)]
    return products


def diamond_ladder(rungs: int) -> tuple[Value, Value]:
    """x, then each rung v -> sin(a*v) + b*v with varying constants: 2**rungs paths."""
    x = Value(0.7, label="x")
    v = x
    for i in range(rungs):
        v = (v * (0.6 + 0.01 * i)).sin() + v * (0.4 - 0.01 * i)  # contracting: no blow-up
    return v, x


def test_every_path_is_listed_when_there_are_few():
    out, x = diamond_ladder(4)
    found = explain(out, wrt=x)
    expected = all_paths(out, x)
    assert found.count == len(expected) == 16 and found.rest_count == 0
    assert sorted(p.product for p in found.paths) == pytest.approx(sorted(expected), rel=1e-12)
    magnitudes = [abs(p.product) for p in found.paths]
    assert magnitudes == sorted(magnitudes, reverse=True)
    assert found.paths_sum == pytest.approx(found.gradient, rel=1e-12)
    for path in found.paths:  # each path's product is the product of its listed locals
        assert path.product == pytest.approx(math.prod(path.locals), rel=1e-12)
        assert path.nodes[0] is out and path.nodes[-1] is x


def test_past_the_cap_the_largest_paths_are_shown_and_the_rest_counted():
    out, x = diamond_ladder(7)  # 128 paths
    found = explain(out, wrt=x, max_paths=10)
    expected = sorted(all_paths(out, x), key=abs, reverse=True)
    assert found.count == 128 and len(found.paths) == 10 and found.rest_count == 118
    assert [abs(p.product) for p in found.paths] == pytest.approx(
        [abs(p) for p in expected[:10]], rel=1e-12)
    assert found.rest_sum == pytest.approx(math.fsum(expected[10:]), rel=1e-9, abs=1e-12)
    assert "… and 118 smaller paths (past the first 10)" in str(found)
    assert MAX_PATHS == 20 and len(explain(out, wrt=x).paths) == MAX_PATHS


def test_a_huge_number_of_paths_is_counted_exactly_without_listing_them():
    out, x = diamond_ladder(80)  # 2**80 paths, 401 nodes
    found = explain(out, wrt=x)
    assert found.count == 2**80 and found.rest_count == 2**80 - MAX_PATHS
    assert found.gradient == grad(out, [x])[0]
    assert found.numerical.agrees(rel_tol=1e-4, abs_tol=1e-6)


def test_the_numerical_check_sees_a_wrong_rule():
    wrong = autograd.define_op("explain_wrong_square", lambda x: x * x, lambda x, out: 3 * x)
    x = Value(1.5, label="x")
    y = wrong(x)
    found = explain(x, output=y)
    assert found.gradient == 4.5
    assert math.isclose(found.numerical.estimate, 3.0, rel_tol=1e-6)
    assert not found.numerical.agrees() and "DIFFERS" in str(found)


def test_html_escapes_every_label_and_keeps_the_numbers():
    x = Value(2.0, label="<img src=x onerror=alert(1)>")
    y = (x * x).tanh()
    y.label = "<b>y</b>"
    for found in (explain(x, output=y), explain(y, wrt=x)):
        page = found._repr_html_()
        assert "<img" not in page and "<b>y</b>" not in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page
        assert "<table>" in page and "numerical check" in page


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda x, y: explain(x), TypeError, "output=o"),
        (lambda x, y: explain(3.0, output=y), TypeError, "needs a Value"),
        (lambda x, y: explain(x, output=2.0), TypeError, "output must be a Value"),
        (lambda x, y: explain(y, wrt="x"), TypeError, "wrt must be a Value"),
        (lambda x, y: explain(y, wrt=x, output=y), TypeError, "not both"),
        (lambda x, y: explain(x, output=y, h=0), ValueError, "h must be a positive"),
        (lambda x, y: explain(y, wrt=x, max_paths=0), ValueError, "max_paths"),
        (lambda x, y: explain(y, wrt=x, precision=40), ValueError, "precision"),
    ],
)
def test_bad_calls_say_what_to_do(call, error, words):
    x = Value(1.0, label="x")
    y = x * 2
    with pytest.raises(error, match=words):
        call(x, y)


# ----- random graphs over every op --------------------------------------------------------------


@pytest.mark.parametrize("featured", OPS, ids=lambda op: op.name)
@settings(derandomize=True, max_examples=25, deadline=None)
@given(data=st.data())
def test_explain_agrees_with_backward_and_central_differences(featured, data):
    program = data.draw(programs(TAME, smooth=True, featured=featured), label="program")
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(program.inputs)]
    out = program(*leaves)
    nodes = out.graph()
    expected = grad(out, nodes, materialize_grads=True)
    for node, gradient in zip(nodes, expected):
        found = explain(node, output=out)
        assert same_float(found.gradient, gradient), (node.op or "leaf", found.gradient, gradient)
    for leaf, gradient in zip(leaves, grad(out, leaves, materialize_grads=True)):
        found = explain(out, wrt=leaf, max_paths=10_000)
        assert same_float(found.gradient, gradient)
        # where the program is smooth (as the fuzzers draw it), central differences agree
        assert found.numerical.agrees(rel_tol=1e-3, abs_tol=1e-5), str(found)
        if found.rest_count == 0:  # every path enumerated: their sum is the gradient
            scale = math.fsum(abs(p.product) for p in found.paths)
            assert math.isclose(found.paths_sum, gradient, rel_tol=1e-9,
                                abs_tol=1e-12 * scale + 1e-300)
        assert found.count == sum(1 for _ in itertools.islice(_path_products(out, leaf), 10**5))


def _path_products(output: Value, wrt: Value):
    if output is wrt:
        yield 1.0
        return
    for parent in output.parents:
        yield from _path_products(parent, wrt)


# ----- a node with a hand-written _backward (micrograd's way) -------------------------------------


def _lecture_exp(x, name):
    out = Value(math.exp(x.data), (x,), name)

    def _backward():
        x.grad += out.data * out.grad

    out._backward = _backward
    return out


def test_explain_through_a_hand_written_node_says_so_and_agrees_with_backward():
    x = Value(0.5, label="x")
    o = (_lecture_exp(x * 2, "my_exp") * 3).tanh()
    (expected,) = autograd.grad(o, [x])
    paths = autograd.explain(o, wrt=x)
    assert paths.gradient == expected
    assert "by its hand-written _backward" in str(paths)
    # Its forward is the user's own code, which the graph does not keep: no numerical check.
    assert paths.numerical.unavailable is not None
    assert "not possible" in str(paths) and "'my_exp'" in str(paths)
    inner = o.parents[0].parents[0].parents[0]  # the my_exp node's input, x * 2
    node = autograd.explain(inner, output=o)
    assert node.gradient == autograd.grad(o, [inner])[0]
    assert "by its hand-written _backward" in str(node)


def test_a_hand_written_node_named_like_a_declared_op_is_checked_numerically():
    x = Value(0.5, label="x")
    o = (_lecture_exp(x * 2, "exp") * 0.3).tanh()  # 'exp' is declared: its forward recomputes
    explanation = autograd.explain(x, output=o)
    assert explanation.numerical.unavailable is None
    assert explanation.numerical.agrees()
    assert explanation.gradient == autograd.grad(o, [x])[0]


def test_explain_of_a_node_alone_takes_the_output_backward_ran_from():
    x = Value(0.5, label="x")
    o = (x * x + x.exp()).tanh()
    fresh = Value(2.0) * 3  # in no graph backward has run through
    with pytest.raises(TypeError, match="output=o"):
        explain(fresh)
    o.backward()
    explanation = explain(x)
    assert explanation.output is o
    assert explanation.gradient == x.grad
    assert "as backward gives" in str(explanation)
    with pytest.raises(TypeError, match="output=o"):
        explain(fresh)  # backward's output does not use it

"""Losses, softmax and penalties: values and gradients against closed forms, central differences
and torch.nn.functional in float64; stability at extreme logits; clear errors."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import Value

RNG = np.random.default_rng(7)


def values(numbers):
    return [Value(float(x)) for x in numbers]


def central_difference(f, xs, i, h=1e-6):
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(up) - f(down)) / (2 * h)


def check_against_differences(loss_of_numbers, loss_of_values, xs, rel=1e-6):
    inputs = values(xs)
    loss = loss_of_values(inputs)
    loss.backward()
    assert math.isclose(loss.data, loss_of_numbers(list(xs)), rel_tol=1e-12)
    for i, v in enumerate(inputs):
        expected = central_difference(loss_of_numbers, list(xs), i)
        assert math.isclose(v.grad, expected, rel_tol=rel, abs_tol=1e-8), (i, v.grad, expected)


# ----- closed forms and finite differences -------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mse_and_l1_closed_forms(reduction):
    pred, target = RNG.normal(size=6), RNG.normal(size=6)
    scale = 1 / 6 if reduction == "mean" else 1.0
    check_against_differences(
        lambda p: scale * sum((a - b) ** 2 for a, b in zip(p, target, strict=True)),
        lambda p: nn.mse_loss(p, list(target), reduction=reduction),
        pred,
    )
    check_against_differences(
        lambda p: scale * sum(abs(a - b) for a, b in zip(p, target, strict=True)),
        lambda p: nn.l1_loss(p, list(target), reduction=reduction),
        pred,
    )


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    logits = values([1.0, -0.5, 2.5, 0.0])
    loss = nn.cross_entropy(logits, 2)
    loss.backward()
    exps = [math.exp(z.data) for z in logits]
    probs = [e / sum(exps) for e in exps]
    assert math.isclose(loss.data, -math.log(probs[2]), rel_tol=1e-12)
    for k, z in enumerate(logits):
        assert math.isclose(z.grad, probs[k] - (k == 2), rel_tol=1e-12, abs_tol=1e-15)


def test_softmax_and_log_softmax_closed_forms():
    zs = [0.3, -1.2, 2.0]
    exps = [math.exp(z) for z in zs]
    probs = nn.softmax(values(zs))
    logs = nn.log_softmax(values(zs))
    for k in range(3):
        assert math.isclose(probs[k].data, exps[k] / sum(exps), rel_tol=1e-12)
        assert math.isclose(logs[k].data, math.log(exps[k] / sum(exps)), rel_tol=1e-12)
    assert math.isclose(sum(p.data for p in probs), 1.0, rel_tol=1e-15)
    check_against_differences(
        lambda z: math.exp(z[1]) / sum(math.exp(v) for v in z) * 3.0
        + math.exp(z[0]) / sum(math.exp(v) for v in z),
        lambda z: nn.softmax(z)[1] * 3.0 + nn.softmax(z)[0],
        zs,
    )


def test_hinge_loss_is_micrograds_max_margin():
    scores, targets = [0.5, -2.0, 1.5, -0.2], [1, -1, -1, 1]
    expected = sum(max(0.0, 1 - t * s) for s, t in zip(scores, targets, strict=True)) / 4
    inputs = values(scores)
    loss = nn.hinge_loss(inputs, targets)
    loss.backward()
    assert math.isclose(loss.data, expected, rel_tol=1e-12)
    # Active margins (1 - t·s > 0) give -t / n; satisfied ones give 0.
    assert [v.grad for v in inputs] == [-0.25, 0.0, 0.25, -0.25]
    assert nn.hinge_loss(values([3.0]), [1], margin=4.0).data == 1.0


def test_penalties_are_sums_over_parameters():
    model = nn.MLP(2, [3, 1], rng=0)
    params = model.parameters()
    assert math.isclose(
        nn.l2_penalty(model, alpha=1e-4).data, 1e-4 * sum(p.data**2 for p in params), rel_tol=1e-12
    )
    assert math.isclose(nn.l1_penalty(params).data, sum(abs(p.data) for p in params), rel_tol=1e-12)
    penalty = nn.l2_penalty(params, alpha=0.5)
    penalty.backward()
    assert all(math.isclose(p.grad, p.data, rel_tol=1e-12) for p in params)
    assert nn.l2_penalty([]).data == 0.0


def test_losses_accept_plain_numbers_and_single_values():
    assert nn.mse_loss(3.0, 1.0) == 4.0
    assert nn.mse_loss([1.0, 2.0], [1.0, 4.0], reduction="sum") == 4.0
    assert isinstance(nn.l1_loss(Value(2.0), 0.5), Value)
    nested = nn.mse_loss([[Value(1.0), Value(2.0)], [Value(0.0), Value(0.0)]], [[0, 0], [0, 2]])
    assert nested.data == (1 + 4 + 0 + 4) / 4


# ----- stability ---------------------------------------------------------------------------


def test_cross_entropy_and_log_softmax_are_stable_at_logits_of_1000():
    logits = values([1000.0, -1000.0, 0.0])
    loss = nn.cross_entropy(logits, 1)
    loss.backward()
    assert loss.data == 2000.0
    assert [z.grad for z in logits] == [1.0, -1.0, 0.0]
    assert nn.cross_entropy(values([1000.0, -1000.0]), 0).data == 0.0
    assert [p.data for p in nn.softmax(values([1000.0, 1000.0]))] == [0.5, 0.5]
    assert [v.data for v in nn.log_softmax(values([-1000.0, 1000.0]))] == [-2000.0, 0.0]


def test_bce_with_logits_is_stable_at_1000():
    logits = values([1000.0, -1000.0, 1000.0, -1000.0])
    loss = nn.binary_cross_entropy_with_logits(logits, [1, 0, 0, 1], reduction="sum")
    loss.backward()
    assert loss.data == 2000.0
    assert [z.grad for z in logits] == [0.0, 0.0, 1.0, -1.0]


def test_bce_on_saturated_probabilities_is_finite_like_torch():
    # log is clamped at -100, as in PyTorch: a certain, wrong prediction costs 100.
    assert nn.binary_cross_entropy(values([0.0, 1.0]), [1, 0], reduction="sum").data == 200.0
    assert nn.binary_cross_entropy(values([1.0, 0.0]), [1, 0]).data == 0.0


# ----- PyTorch float64 -----------------------------------------------------------------------


def torch_pair(torch, data):
    return torch.tensor(data, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize(
    "name", ["mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"]
)
def test_elementwise_losses_match_torch(name, reduction):
    torch = pytest.importorskip("torch")
    n = 7
    if name == "binary_cross_entropy":
        pred = RNG.uniform(0.01, 0.99, size=n)
        target = RNG.uniform(0, 1, size=n)  # soft targets too
    elif name == "binary_cross_entropy_with_logits":
        pred = np.concatenate([RNG.normal(scale=5, size=n - 2), [0.0, 40.0]])
        target = RNG.integers(0, 2, size=n).astype(float)
    else:
        pred, target = RNG.normal(size=n), RNG.normal(size=n)
    inputs = values(pred)
    ours = getattr(nn, name)(inputs, target.tolist(), reduction=reduction)
    ours.backward()
    t_pred = torch_pair(torch, pred)
    theirs = getattr(torch.nn.functional, name)(
        t_pred, torch.tensor(target, dtype=torch.float64), reduction=reduction
    )
    theirs.backward()
    assert math.isclose(ours.data, theirs.item(), rel_tol=1e-12)
    grads = [v.grad for v in inputs]
    np.testing.assert_allclose(grads, t_pred.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_bce_target_gradient_matches_torch():
    torch = pytest.importorskip("torch")
    probs, targets = [0.2, 0.7, 0.9], [0.1, 0.5, 1.0]
    p, t = values(probs), values(targets)
    nn.binary_cross_entropy(p, t).backward()
    tp, tt = torch_pair(torch, probs), torch_pair(torch, targets)
    torch.nn.functional.binary_cross_entropy(tp, tt).backward()
    np.testing.assert_allclose([v.grad for v in p], tp.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose([v.grad for v in t], tt.grad.numpy(), rtol=1e-12)


def test_bce_at_probabilities_0_and_1_matches_torch_value_and_gradient():
    torch = pytest.importorskip("torch")
    probs, targets = [0.0, 1.0, 0.0, 1.0, 1e-13], [1.0, 0.0, 0.0, 1.0, 1.0]
    inputs = values(probs)
    ours = nn.binary_cross_entropy(inputs, targets, reduction="sum")
    ours.backward()
    t = torch_pair(torch, probs)
    theirs = torch.nn.functional.binary_cross_entropy(
        t, torch.tensor(targets, dtype=torch.float64), reduction="sum"
    )
    theirs.backward()
    assert math.isclose(ours.data, theirs.item(), rel_tol=1e-12)
    np.testing.assert_allclose([v.grad for v in inputs], t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_batch_matches_torch(reduction):
    torch = pytest.importorskip("torch")
    logits = RNG.normal(scale=3, size=(5, 4))
    logits[0] = [1000.0, -1000.0, 3.0, 0.0]
    targets = [1, 3, 0, 2, 2]
    inputs = [values(row) for row in logits]
    ours = nn.cross_entropy(inputs, targets, reduction=reduction)
    ours.backward()
    t_logits = torch_pair(torch, logits)
    theirs = torch.nn.functional.cross_entropy(
        t_logits, torch.tensor(targets), reduction=reduction
    )
    theirs.backward()
    assert math.isclose(ours.data, theirs.item(), rel_tol=1e-12)
    grads = [[v.grad for v in row] for row in inputs]
    np.testing.assert_allclose(grads, t_logits.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_softmax_and_log_softmax_match_torch():
    torch = pytest.importorskip("torch")
    logits = RNG.normal(scale=4, size=6)
    weights = RNG.normal(size=6)
    for ours_fn, theirs_fn in [
        (nn.softmax, torch.softmax),
        (nn.log_softmax, torch.log_softmax),
    ]:
        inputs = values(logits)
        out = ours_fn(inputs)
        sum(o * float(w) for o, w in zip(out, weights, strict=True)).backward()
        t = torch_pair(torch, logits)
        t_out = theirs_fn(t, dim=0)
        (t_out * torch.tensor(weights, dtype=torch.float64)).sum().backward()
        np.testing.assert_allclose([o.data for o in out], t_out.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose([v.grad for v in inputs], t.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_hinge_loss_matches_torch_relu_form():
    torch = pytest.importorskip("torch")
    scores = RNG.normal(size=8)
    targets = RNG.choice([-1.0, 1.0], size=8)
    inputs = values(scores)
    nn.hinge_loss(inputs, targets.tolist()).backward()
    t = torch_pair(torch, scores)
    torch.relu(1 - torch.tensor(targets) * t).mean().backward()
    np.testing.assert_allclose([v.grad for v in inputs], t.grad.numpy(), rtol=1e-12)


# ----- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: nn.mse_loss([1.0, 2.0], [1.0]), ValueError, r"differ in length \(2 vs 1\)"),
        (lambda: nn.l1_loss([], []), ValueError, "no predictions"),
        (lambda: nn.mse_loss([1.0], [1.0], reduction="avg"), ValueError, "'mean', 'sum' or 'none'"),
        (lambda: nn.mse_loss(["a"], [1.0]), TypeError, "predictions must hold"),
        (lambda: nn.mse_loss([[1.0, 2.0]], [[1.0]]), ValueError, "differ in shape at sample 0"),
        (lambda: nn.cross_entropy([1.0, 2.0], 2), ValueError, "class index 2 is out of range"),
        (lambda: nn.cross_entropy([1.0, 2.0], -1), ValueError, "out of range for 2 classes"),
        (lambda: nn.cross_entropy([1.0, 2.0], 1.0), TypeError, "class index must be an int"),
        (lambda: nn.cross_entropy([[1.0], [2.0]], [0]), ValueError, "2 samples of logits but 1"),
        (lambda: nn.cross_entropy([], 0), ValueError, "non-empty list"),
        (lambda: nn.binary_cross_entropy([1.5], [1]), ValueError, r"in \[0, 1\]; element 0"),
        (lambda: nn.hinge_loss([0.5, 0.2], [1, 0]), ValueError, "element 1 is 0.0.*2\\*y - 1"),
        (lambda: nn.softmax(Value(1.0)), ValueError, "list of Values"),
    ],
)
def test_losses_reject_bad_input_clearly(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_bce_second_derivative_through_create_graph():
    import autograd

    p, t = Value(0.3), 0.8
    loss = nn.binary_cross_entropy(p, t)
    (first,) = autograd.grad(loss, [p], create_graph=True)
    (second,) = autograd.grad(first, [p])
    assert math.isclose(first.data, -t / 0.3 + (1 - t) / 0.7, rel_tol=1e-12)
    assert math.isclose(second, t / 0.3**2 + (1 - t) / 0.7**2, rel_tol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=1, max_size=6),
    st.integers(0, 5),
)
def test_cross_entropy_is_finite_and_its_gradient_sums_to_zero(logits, index):
    index %= len(logits)
    inputs = values(logits)
    loss = nn.cross_entropy(inputs, index)
    loss.backward()
    top = max(logits)
    expected = top + math.log(math.fsum(math.exp(z - top) for z in logits)) - logits[index]
    assert math.isfinite(loss.data) and loss.data >= 0
    assert math.isclose(loss.data, expected, rel_tol=1e-9, abs_tol=1e-9)
    # softmax - one_hot: entries in [-1, 1] summing to 0
    assert all(-1 <= v.grad <= 1 for v in inputs)
    assert abs(math.fsum(v.grad for v in inputs)) < 1e-12

"""Learning-rate schedules and gradient clipping, against closed forms and PyTorch."""

import math

import numpy as np
import pytest

import nn
from autograd import Value
from nn import optim


def lrs(schedule, steps):
    rates = [schedule.optimizer.lr]
    for _ in range(steps):
        schedule.step()
        rates.append(schedule.optimizer.lr)
    return rates


def test_linear_schedule_is_micrograds_decay():
    optimizer = optim.SGD([Value(0.0)], lr=1.0)
    schedule = nn.LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=100)
    rates = lrs(schedule, 120)
    for k in range(100):
        assert math.isclose(rates[k], 1.0 - 0.9 * k / 100, rel_tol=1e-12)
    assert all(math.isclose(r, 0.1, rel_tol=1e-12) for r in rates[100:])
    assert schedule.lr == rates[-1] and schedule.lr_at(50) == rates[50]


def test_step_and_cosine_closed_forms():
    step = nn.StepLR(optim.SGD([Value(0.0)], lr=0.5), step_size=3, gamma=0.5)
    assert lrs(step, 7) == [0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125]
    cosine = nn.CosineAnnealingLR(optim.SGD([Value(0.0)], lr=1.0), T_max=4, eta_min=0.2)
    rates = lrs(cosine, 4)
    assert rates[0] == 1.0 and math.isclose(rates[2], 0.6) and math.isclose(rates[4], 0.2)


@pytest.mark.parametrize(
    ("name", "settings"),
    [
        ("StepLR", {"step_size": 4, "gamma": 0.3}),
        ("LinearLR", {}),
        ("LinearLR", {"start_factor": 0.5, "end_factor": 0.05, "total_iters": 7}),
        ("CosineAnnealingLR", {"T_max": 10}),
        ("CosineAnnealingLR", {"T_max": 6, "eta_min": 0.01}),
    ],
)
def test_schedules_match_torch(name, settings):
    torch = pytest.importorskip("torch")
    ours = lrs(getattr(nn, name)(optim.SGD([Value(0.0)], lr=0.7), **settings), 15)
    t_optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.7)
    t_schedule = getattr(torch.optim.lr_scheduler, name)(t_optimizer, **settings)
    theirs = [t_optimizer.param_groups[0]["lr"]]
    for _ in range(15):
        t_optimizer.step()
        t_schedule.step()
        theirs.append(t_optimizer.param_groups[0]["lr"])
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda o: nn.StepLR(o, step_size=0), ValueError, "step_size must be at least 1"),
        (lambda o: nn.StepLR(o, step_size=2.5), TypeError, "step_size must be an int"),
        (lambda o: nn.LinearLR(o, start_factor=0), ValueError, "start_factor"),
        (lambda o: nn.LinearLR(o, total_iters=0), ValueError, "total_iters"),
        (lambda o: nn.CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
        (lambda o: nn.CosineAnnealingLR(o, T_max=5, eta_min=math.inf), ValueError, "finite"),
        (lambda o: nn.StepLR(object(), step_size=1), TypeError, "lr attribute"),
    ],
)
def test_schedules_reject_bad_settings(make, error, message):
    with pytest.raises(error, match=message):
        make(optim.SGD([Value(0.0)], lr=1.0))


def with_grads(grads):
    params = [Value(0.0) for _ in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = g
    return params


def test_clip_grad_norm_scales_to_max_norm_and_returns_total():
    params = with_grads([3.0, -4.0])
    total = nn.clip_grad_norm_(params, max_norm=1.0)
    assert total == 5.0
    assert math.isclose(math.hypot(*(p.grad for p in params)), 1.0, rel_tol=1e-6)
    assert math.isclose(params[0].grad / params[1].grad, -0.75, rel_tol=1e-15)
    small = with_grads([0.3, 0.4])
    assert nn.clip_grad_norm_(small, max_norm=1.0) == 0.5
    assert [p.grad for p in small] == [0.3, 0.4]


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_clip_grad_norm_matches_torch(norm_type):
    torch = pytest.importorskip("torch")
    grads = np.random.default_rng(1).normal(scale=3, size=9)
    params = with_grads(grads.tolist())
    total = nn.clip_grad_norm_(params, max_norm=2.0, norm_type=norm_type)
    t_param = torch.zeros(9, dtype=torch.float64, requires_grad=True)
    t_param.grad = torch.tensor(grads, dtype=torch.float64)
    t_total = torch.nn.utils.clip_grad_norm_([t_param], max_norm=2.0, norm_type=norm_type)
    assert math.isclose(total, t_total.item(), rel_tol=1e-12)
    np.testing.assert_allclose([p.grad for p in params], t_param.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_of_huge_and_non_finite_gradients():
    # Squaring 1e200 overflows a float; the norm must not.
    params = with_grads([1e200, -1e200])
    total = nn.clip_grad_norm_(params, max_norm=1.0)
    assert math.isclose(total, math.sqrt(2) * 1e200, rel_tol=1e-15)
    assert math.isclose(params[0].grad, math.sqrt(0.5), rel_tol=1e-12)
    assert nn.clip_grad_norm_(with_grads([1.0, math.inf]), max_norm=1.0) == math.inf
    assert math.isnan(nn.clip_grad_norm_(with_grads([math.nan, 1.0]), max_norm=1.0))
    assert nn.clip_grad_norm_(with_grads([0.0, 0.0]), max_norm=1.0) == 0.0


def test_clip_grad_value_clamps_each_gradient():
    params = with_grads([-5.0, 0.5, 2.0])
    nn.clip_grad_value_(params, 1.0)
    assert [p.grad for p in params] == [-1.0, 0.5, 1.0]
    model = nn.MLP(2, [3, 1], rng=0)
    model([10.0, -10.0]).backward()
    nn.clip_grad_value_(model.parameters(), 0.1)
    assert max(abs(p.grad) for p in model.parameters()) <= 0.1


def test_clipping_errors():
    with pytest.raises(ValueError, match="max_norm must be >= 0"):
        nn.clip_grad_norm_(with_grads([1.0]), -1.0)
    with pytest.raises(ValueError, match="clip_value must be >= 0"):
        nn.clip_grad_value_(with_grads([1.0]), -0.5)
    with pytest.raises(FloatingPointError, match="total gradient norm is inf"):
        nn.clip_grad_norm_(with_grads([math.inf, 1.0]), 1.0, error_if_nonfinite=True)
    with pytest.raises(TypeError, match="model.parameters()"):
        nn.clip_grad_norm_(3.0, 1.0)

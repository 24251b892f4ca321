"""Optimizers: the same gradient sequence gives PyTorch's parameters to 1e-10 relative; PyTorch's
defaults; invalid settings raise at construction; state_dict round trips."""

import math

import numpy as np
import pytest

import nn
from autograd import Value
from nn import optim

STEPS = 30
SIZE = 6

CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.1}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.5, "amsgrad": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.001, "alpha": 0.9, "momentum": 0.9, "centered": True}),
    ("RMSprop", {"centered": True, "weight_decay": 0.01}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1, "weight_decay": 0.01, "initial_accumulator_value": 1}),
]


def gradient_sequence(seed):
    rng = np.random.default_rng(seed)
    # Gradients of varied scale, including exact zeros, as a training run produces.
    grads = rng.normal(size=(STEPS, SIZE)) * rng.choice([1e-3, 1.0, 30.0], size=(STEPS, SIZE))
    grads[::7, 0] = 0.0
    return rng.uniform(0.5, 2.0, size=SIZE) * rng.choice([-1, 1], size=SIZE), grads


def run_ours(name, settings, start, grads):
    params = [Value(float(x)) for x in start]
    optimizer = getattr(optim, name)(params, **settings)
    trajectory = []
    for row in grads:
        for p, g in zip(params, row, strict=True):
            p.grad = float(g)
        optimizer.step()
        trajectory.append([p.data for p in params])
    return np.array(trajectory)


def run_torch(torch, name, settings, start, grads):
    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = getattr(torch.optim, name)([param], foreach=False, **settings)
    trajectory = []
    for row in grads:
        param.grad = torch.tensor(row, dtype=torch.float64)
        optimizer.step()
        trajectory.append(param.detach().numpy().copy())
    return np.array(trajectory)


@pytest.mark.parametrize(("name", "settings"), CONFIGS, ids=lambda c: str(c))
def test_same_gradients_give_torchs_parameters(name, settings):
    torch = pytest.importorskip("torch")
    start, grads = gradient_sequence(len(name) * 100 + len(settings))
    ours = run_ours(name, settings, start, grads)
    theirs = run_torch(torch, name, settings, start, grads)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_defaults_are_torchs(name):
    torch = pytest.importorskip("torch")
    ours = getattr(optim, name)([Value(1.0)]).hyperparameters()
    group = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).param_groups[0]
    for key, value in ours.items():
        theirs = group[key]
        assert (tuple(theirs) if key == "betas" else theirs) == value, key


def test_sgd_is_plain_gradient_descent():
    p = Value(3.0)
    p.grad = 2.0
    optim.SGD([p], lr=0.25).step()
    assert p.data == 3.0 - 0.25 * 2.0


def test_adam_first_step_moves_by_lr_in_the_gradient_sign():
    # With bias correction, Adam's first step is lr * g / (|g| + eps): about lr for any scale.
    params = [Value(0.0), Value(0.0)]
    params[0].grad, params[1].grad = 1e-4, -50.0
    optim.Adam(params, lr=0.01).step()
    assert math.isclose(params[0].data, -0.01, rel_tol=1e-3)
    assert math.isclose(params[1].data, 0.01, rel_tol=1e-9)


def test_zero_grad_and_lr_attribute():
    params = [Value(1.0), Value(2.0)]
    for p in params:
        p.grad = 5.0
    optimizer = optim.SGD(params, lr=0.1)
    optimizer.zero_grad()  # PyTorch 2's default: None, which backward and step read as "none yet"
    assert [p.grad for p in params] == [None, None]
    optimizer.step()  # a parameter without a gradient is left alone
    assert [p.data for p in params] == [1.0, 2.0]
    params[0].grad = 3.0
    optimizer.zero_grad(set_to_none=False)  # zeroes a gradient; None stays None, as in torch
    assert [p.grad for p in params] == [0.0, None]
    optimizer.lr = 0.5
    params[0].grad = 1.0
    optimizer.step()
    assert params[0].data == 0.5


@pytest.mark.parametrize(("name", "settings"), CONFIGS[2:], ids=lambda c: str(c))
def test_state_dict_resumes_exactly(name, settings):
    start, grads = gradient_sequence(3)
    uninterrupted = run_ours(name, settings, start, grads)

    params = [Value(float(x)) for x in start]
    first = getattr(optim, name)(params, **settings)
    for row in grads[:10]:
        for p, g in zip(params, row, strict=True):
            p.grad = float(g)
        first.step()
    saved = first.state_dict()
    first.step()  # the saved state is a copy: later steps do not change it
    assert saved["steps"] == 10
    restarted = [Value(float(v)) for v in uninterrupted[9]]
    second = getattr(optim, name)(restarted, **settings)
    second.load_state_dict(saved)
    for row in grads[10:]:
        for p, g in zip(restarted, row, strict=True):
            p.grad = float(g)
        second.step()
    np.testing.assert_array_equal([p.data for p in restarted], uninterrupted[-1])


def test_load_state_dict_rejects_a_mismatch():
    a = optim.Adam([Value(1.0), Value(2.0)])
    with pytest.raises(ValueError, match="for 2 parameters, not 1"):
        optim.Adam([Value(1.0)]).load_state_dict(a.state_dict())
    with pytest.raises(ValueError, match="from a Adam"):
        optim.SGD([Value(1.0), Value(2.0)]).load_state_dict(a.state_dict())
    with pytest.raises(ValueError, match="not an optimizer state dict"):
        optim.SGD([Value(1.0)]).load_state_dict({"lr": 1})


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda p: optim.SGD(p, lr=-0.1), ValueError, "lr must be >= 0; got -0.1"),
        (lambda p: optim.SGD(p, lr=math.nan), ValueError, "lr must be >= 0"),
        (lambda p: optim.SGD(p, lr="0.1"), TypeError, "lr must be a number"),
        (lambda p: optim.SGD(p, momentum=-0.9), ValueError, "momentum"),
        (lambda p: optim.SGD(p, weight_decay=-1), ValueError, "weight_decay"),
        (lambda p: optim.SGD(p, nesterov=True), ValueError, "nesterov=True needs momentum"),
        (
            lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True),
            ValueError,
            "dampening = 0",
        ),
        (lambda p: optim.Adam(p, betas=(1.0, 0.999)), ValueError, r"betas\[0\] must be in"),
        (lambda p: optim.AdamW(p, betas=(0.9, -0.1)), ValueError, r"betas\[1\] must be in"),
        (lambda p: optim.Adam(p, betas=0.9), TypeError, "pair"),
        (lambda p: optim.Adam(p, eps=-1e-8), ValueError, "eps"),
        (lambda p: optim.AdamW(p, lr=-1), ValueError, "AdamW: lr"),
        (lambda p: optim.RMSprop(p, alpha=-0.5), ValueError, "alpha"),
        (lambda p: optim.RMSprop(p, momentum=-1), ValueError, "momentum"),
        (lambda p: optim.Adagrad(p, lr_decay=-1), ValueError, "lr_decay"),
        (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), ValueError, "initial_acc"),
        (lambda p: optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
        (lambda p: optim.SGD(p + p, lr=0.1), ValueError, "more than once"),
        (lambda p: optim.SGD(p[0], lr=0.1), TypeError, "model.parameters()"),
        (lambda p: optim.SGD([1.0], lr=0.1), TypeError, ".data and .grad"),
    ],
)
def test_invalid_settings_raise_at_construction(make, error, message):
    with pytest.raises(error, match=message):
        make([Value(1.0)])


def test_optimizer_trains_a_model():
    nn.manual_seed(0)
    model = nn.MLP(1, [8, 1], activation="tanh")
    X, y = nn.datasets.make_regression()
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    first = None
    for _ in range(60):
        loss = nn.mse_loss([model([x]) for x in X], y)
        first = first if first is not None else loss.data
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.data < first / 20

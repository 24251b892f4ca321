"""Hostile use of the optimizers and gradient clipping: eps=0, None and junk gradients, bad
state dicts, Ctrl-C at every line of a step. A step or a clip is all or nothing."""

from __future__ import annotations

import math

import pytest

from autograd import Value
from nn import clip_grad_norm_, clip_grad_value_, optim
from tests.interrupting import every_interruption

OPTIMIZERS = [
    (optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    (optim.Adam, {"lr": 0.1}),
    (optim.AdamW, {"lr": 0.1, "amsgrad": True}),
    (optim.RMSprop, {"lr": 0.1, "centered": True, "momentum": 0.5}),
    (optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01}),
]
WITH_EPS = [kind for kind, _ in OPTIMIZERS if kind is not optim.SGD]


def _params(grads: list) -> list[Value]:
    params = [Value(0.5 * (i + 1)) for i in range(len(grads))]
    for p, g in zip(params, grads):
        p.grad = g
    return params


# ----- settings -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", WITH_EPS)
@pytest.mark.parametrize("eps", [0, 0.0, -1e-8, math.nan])
def test_eps_that_would_divide_by_zero_is_refused_naming_it(kind, eps) -> None:
    with pytest.raises(ValueError, match=rf"{kind.__name__}: eps must be > 0"):
        kind(_params([0.0]), eps=eps)


@pytest.mark.parametrize("kind", WITH_EPS)
def test_a_state_dict_with_eps_0_is_refused_and_changes_nothing(kind) -> None:
    optimizer = kind(_params([1.0, 2.0]))
    optimizer.step()
    saved = optimizer.state_dict()
    bad = optimizer.state_dict()
    bad["param_groups"][0]["eps"] = 0.0
    bad["steps"] = 99
    with pytest.raises(ValueError, match="eps must be > 0"):
        optimizer.load_state_dict(bad)
    assert optimizer.state_dict() == saved


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lr": -1.0}, "lr must be >= 0"),
        ({"lr": "fast"}, "lr must be a number"),
        ({"betas": (0.9, 1.5)}, r"betas\[1\] must be in \[0, 1\)"),
    ],
)
def test_a_state_dict_with_bad_settings_is_refused_as_the_constructor_would(change, message):
    optimizer = optim.Adam(_params([1.0]))
    bad = optimizer.state_dict()
    bad["param_groups"][0].update(change)
    with pytest.raises((TypeError, ValueError), match=message):
        optimizer.load_state_dict(bad)
    assert optimizer.lr == 1e-3 and optimizer.hyperparameters()["betas"] == (0.9, 0.999)


def test_a_state_dict_with_a_junk_state_is_refused() -> None:
    optimizer = optim.SGD(_params([1.0]), lr=0.1, momentum=0.9)
    bad = optimizer.state_dict()
    bad["state"] = {0: "junk"}
    with pytest.raises(ValueError, match="not a dict"):
        optimizer.load_state_dict(bad)
    assert optimizer.state == {}


# ----- gradients: None is skipped, junk changes nothing --------------------------------------


@pytest.mark.parametrize(("kind", "settings"), OPTIMIZERS)
def test_a_none_grad_is_skipped_as_in_pytorch(kind, settings) -> None:
    params = _params([1.0, None, -2.0])
    twin = _params([1.0, -2.0])
    twin[1].data = params[2].data
    optimizer, reference = kind(params, **settings), kind(twin, **settings)
    for _ in range(3):
        optimizer.step()
        reference.step()
    assert params[1].data == 1.0 and params[1] not in optimizer.state
    assert [params[0].data, params[2].data] == [twin[0].data, twin[1].data]
    assert [optimizer.state[params[0]], optimizer.state[params[2]]] == [
        reference.state[twin[0]], reference.state[twin[1]]
    ]


@pytest.mark.parametrize(("kind", "settings"), OPTIMIZERS)
@pytest.mark.parametrize("junk", ["0.5", Value(0.5), 1j])
def test_a_grad_that_is_not_a_number_changes_nothing(kind, settings, junk) -> None:
    params = _params([1.0, junk, -2.0])
    optimizer = kind(params, **settings)
    with pytest.raises(TypeError, match=r"a parameter \(data 1.0\) has \.grad = .*nothing was"):
        optimizer.step()
    assert [p.data for p in params] == [0.5, 1.0, 1.5]
    assert optimizer.steps == 0 and optimizer.state == {}


def test_adam_with_a_zero_gradient_history_stays_finite() -> None:
    params = _params([0.0, 0.0])
    optimizer = optim.Adam(params, eps=1e-300)
    optimizer.step()
    assert [p.data for p in params] == [0.5, 1.0]


# ----- Ctrl-C anywhere in a step ------------------------------------------------------------


@pytest.mark.parametrize(("kind", "settings"), OPTIMIZERS)
def test_a_step_interrupted_anywhere_is_all_or_nothing(kind, settings) -> None:
    grads = [0.3, None, -1.2]

    def prepare():
        params = _params(grads)
        optimizer = kind(params, **settings)
        optimizer.step()
        return params, optimizer, optimizer.state_dict(), [p.data for p in params]

    reference_params = _params(grads)
    reference = kind(reference_params, **settings)
    reference.step()
    reference.step()
    after = [p.data for p in reference_params]
    count = 0
    for _, (params, optimizer, state, before) in every_interruption(
        prepare, lambda s: s[1].step()
    ):
        count += 1
        values = [p.data for p in params]
        if values == before:
            assert optimizer.state_dict() == state
        else:
            assert values == after and optimizer.state_dict() == reference.state_dict()
            continue
        optimizer.step()
        assert [p.data for p in params] == after
        assert optimizer.state_dict() == reference.state_dict()
    assert count > 10


# ----- clipping -----------------------------------------------------------------------------


def test_clipping_skips_none_grads_as_in_pytorch() -> None:
    params = _params([3.0, None, 4.0])
    assert clip_grad_norm_(params, 1.0) == 5.0
    assert params[1].grad is None
    assert [params[0].grad, params[2].grad] == pytest.approx([0.6, 0.8], rel=1e-6)
    clip_grad_value_(params, 0.7)
    assert params[1].grad is None and params[2].grad == 0.7


@pytest.mark.parametrize("clip", [lambda ps: clip_grad_norm_(ps, 1.0),
                                  lambda ps: clip_grad_value_(ps, 0.5)])
def test_clipping_a_junk_grad_changes_nothing(clip) -> None:
    params = _params([3.0, "4.0", 4.0])
    with pytest.raises(TypeError, match="parameter 1 has .grad = '4.0'"):
        clip(params)
    assert [p.grad for p in params] == [3.0, "4.0", 4.0]


@pytest.mark.parametrize("clip", [lambda ps: clip_grad_norm_(ps, 1.0),
                                  lambda ps: clip_grad_value_(ps, 0.5)])
def test_clipping_interrupted_anywhere_is_all_or_nothing(clip) -> None:
    grads = [3.0, None, -4.0, 0.25]
    expected = _params(grads)
    clip(expected)
    after = [p.grad for p in expected]
    for _, params in every_interruption(lambda: _params(grads), clip):
        assert [p.grad for p in params] in (grads, after)

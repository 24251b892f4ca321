"""Training with the parameters held in arrays (Tape.hold, nn.array_optim, train_on_arrays):
the same numbers as nn.optim stepping one Value at a time, and the Values written back."""

import numpy as np
import pytest

import autograd
import nn
from autograd import Value
from autograd.replay import holding
from nn.array_optim import ArrayOptimizer

OPTIMIZERS = {
    "sgd": lambda p: nn.optim.SGD(p, lr=0.1),
    "sgd nesterov, decay": lambda p: nn.optim.SGD(
        p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-2
    ),
    "sgd dampened": lambda p: nn.optim.SGD(p, lr=0.05, momentum=0.5, dampening=0.3),
    "adam": lambda p: nn.optim.Adam(p, lr=1e-2),
    "adam amsgrad, decay": lambda p: nn.optim.Adam(p, lr=1e-2, amsgrad=True, weight_decay=0.1),
    "adamw": lambda p: nn.optim.AdamW(p, lr=1e-2, amsgrad=True),
    "rmsprop centered, momentum": lambda p: nn.optim.RMSprop(p, centered=True, momentum=0.5),
    "rmsprop": lambda p: nn.optim.RMSprop(p, weight_decay=0.01),
    "adagrad": lambda p: nn.optim.Adagrad(p, lr_decay=0.1, weight_decay=0.01,
                                          initial_accumulator_value=0.1),
}


def close_lists(ours, theirs, rel=1e-12):
    return all(a == pytest.approx(b, rel=rel, abs=1e-300) for a, b in zip(ours, theirs)) and len(
        ours) == len(theirs)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_an_array_step_is_the_per_parameter_step(name):
    rng = np.random.default_rng(0)
    data = rng.normal(size=40)
    grads = [rng.normal(size=40) for _ in range(5)]
    grads[2][:7] = 0.0  # some zero gradients, and a negative zero
    grads[3][0] = -0.0
    per_value = [Value(x) for x in data]
    optimizer = OPTIMIZERS[name](per_value)
    held = [Value(x) for x in data]
    arrays = ArrayOptimizer(OPTIMIZERS[name](held), held, data.copy(), np.zeros(40))
    for step, g in enumerate(grads):
        for p, gi in zip(per_value, g.tolist()):
            p.grad = gi
        optimizer.step()
        arrays.grads[:] = g
        arrays.step()
        if step == 2:  # a schedule changes the rate between steps: both read it
            optimizer.lr *= 0.5
            arrays.optimizer.lr *= 0.5
        assert close_lists(arrays.values.tolist(), [p.data for p in per_value])
    arrays.write_back()
    ours = arrays.optimizer.state_dict()
    theirs = optimizer.state_dict()
    assert ours["steps"] == theirs["steps"] == 5
    assert ours["state"].keys() == theirs["state"].keys()
    for i, b in theirs["state"].items():
        a = ours["state"][i]
        assert a.keys() == b.keys() and close_lists(list(a.values()), list(b.values()))


def digits(count=128, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((count, 12)), rng.integers(0, 4, count)


def train(arrays, make_optimizer, steps=4, extra_param=False):
    X, y = digits()
    model = nn.MLP(12, [8, 4], rng=1)
    params = model.parameters()
    unused = Value(0.75, label="unused")
    if extra_param:
        params = params + [unused]
    optimizer = make_optimizer(params)
    loss_step = nn.compile_loss(model, nn.compiled.soft_cross_entropy, 12, n_targets=4)
    losses = []
    if arrays:
        with loss_step.train_on_arrays(optimizer) as training:
            for k in range(steps):
                losses.append(training.step(X[k * 32:(k + 1) * 32], y[k * 32:(k + 1) * 32]))
    else:
        for k in range(steps):
            # 0.0, as the arrays hold (they have no None): an unused parameter is stepped too
            optimizer.zero_grad(set_to_none=False)
            losses.append(loss_step(X[k * 32:(k + 1) * 32], y[k * 32:(k + 1) * 32]))
            optimizer.step()
    return losses, params, optimizer


@pytest.mark.parametrize("name", ["adam", "sgd nesterov, decay", "rmsprop centered, momentum"])
def test_training_on_arrays_gives_the_same_numbers(name):
    ours, our_params, our_optimizer = train(True, OPTIMIZERS[name], extra_param=True)
    theirs, their_params, their_optimizer = train(False, OPTIMIZERS[name], extra_param=True)
    assert close_lists(ours, theirs)
    assert close_lists([p.data for p in our_params], [p.data for p in their_params])
    assert close_lists([p.grad for p in our_params], [p.grad for p in their_params])
    # A parameter the graph does not use is stepped all the same (weight decay moves it).
    assert our_params[-1].data == pytest.approx(their_params[-1].data, rel=1e-12)
    a, b = our_optimizer.state_dict(), their_optimizer.state_dict()
    assert a["steps"] == b["steps"]
    assert a["state"].keys() == b["state"].keys()
    for i, z in b["state"].items():
        assert close_lists(list(a["state"][i].values()), list(z.values()))


def test_values_change_only_when_written_back():
    X, y = digits()
    model = nn.MLP(12, [4], rng=0)
    first = model.parameters()[0]
    before = first.data
    loss_step = nn.compile_loss(model, nn.compiled.soft_cross_entropy, 12, n_targets=4)
    training = loss_step.train_on_arrays(nn.optim.SGD(model.parameters(), lr=0.5))
    training.step(X[:16], y[:16])
    assert first.data == before  # held: the array moved, the Value did not
    training.write_back()
    moved = first.data
    assert moved != before
    training.step(X[16:32], y[16:32])
    assert first.data == moved
    training.close()
    assert first.data != moved
    assert loss_step.tape._held is None  # runs read the Values again


def test_a_frozen_leaf_the_optimizer_does_not_hold_stays_put():
    w, frozen = Value(1.0), Value(2.0)
    x = Value(0.0)
    tape = autograd.compile((w * x + frozen) ** 2, inputs=[x])
    with tape.hold() as held:
        arrays = ArrayOptimizer(nn.optim.SGD([w], lr=0.1), held.leaves, held.values, held.grads)
        for _ in range(3):
            arrays.zero_grad()
            tape.run(np.array([[1.0], [2.0]]))
            arrays.step()
    assert frozen.data == 2.0
    reference_w, reference_f = Value(1.0), Value(2.0)
    optimizer = nn.optim.SGD([reference_w], lr=0.1)
    for _ in range(3):
        optimizer.zero_grad()  # not the frozen leaf's: its gradient accumulates
        for sample in (1.0, 2.0):
            ((reference_w * sample + reference_f) ** 2).backward()
        optimizer.step()
    assert w.data == pytest.approx(reference_w.data, rel=1e-12)
    assert frozen.grad == pytest.approx(reference_f.grad, rel=1e-12)


def test_hold_refuses_what_it_cannot_hold():
    w = Value(1.0)
    tape = autograd.compile(w * 3.0)
    held = tape.hold()
    with pytest.raises(RuntimeError, match="already held"):
        tape.hold()
    held.release()
    with pytest.raises(TypeError, match="extra"):
        tape.hold(extra=w)
    with pytest.raises(ValueError, match="not a leaf"):
        tape.hold(extra=[w * 2.0])
    w.grad = Value(1.0)
    with pytest.raises(TypeError, match="create_graph"):
        tape.hold()
    assert tape._held is None


def test_run_without_input_gradients():
    x, w = [Value(0.0), Value(0.0)], Value(0.5)
    tape = autograd.compile((w * x[0] - x[1]).tanh(), inputs=x)
    batch = np.array([[1.0, 2.0], [-1.0, 0.5]])
    tape.run(batch)
    with_inputs = w.grad
    w.grad = 0.0
    tape.run(batch, input_grads=False)
    assert tape.input_grads is None and w.grad == with_inputs


def test_a_ctrl_c_during_write_back_still_writes_every_leaf(monkeypatch):
    leaves = [Value(0.0) for _ in range(5)]
    tape = autograd.compile(autograd.sum_values(leaves))
    held = tape.hold()
    held.values[:] = np.arange(5.0)
    real_write = holding._write
    calls = []

    def interrupted(leaves, numbers, grads):
        calls.append(1)
        if len(calls) == 1:
            leaves[0].data = numbers[0]  # half written when the interrupt arrives
            raise KeyboardInterrupt
        real_write(leaves, numbers, grads)

    monkeypatch.setattr(holding, "_write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        held.write_back()
    assert [leaf.data for leaf in held.leaves] == [0.0, 1.0, 2.0, 3.0, 4.0]

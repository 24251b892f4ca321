"""PyTorch's names in chainrule: each row of docs/pytorch.md runs the same code in both.

Every test writes its code once, as a function of ``lib`` (the names a user reaches for:
``lib.autograd``, ``lib.nn``, ``lib.optim``, ...), runs it with chainrule and with torch (float64,
CPU), and compares what comes out. ``lib.scalar(x)`` is the one place the two differ: a Value,
or a 0-d float64 tensor that requires grad. Rows are named by the ``row`` marker's text, which is
the PyTorch name in the table (tests/test_pytorch_docs.py checks that each row has a test here).
"""

from __future__ import annotations

import math
import types
from typing import Any

import numpy as np
import pytest

import autograd
import nn
from autograd import Value
from nn.bridge import torch_tensors

torch = pytest.importorskip("torch")

TOLERANCE = 1e-12


def _chainrule() -> types.SimpleNamespace:
    return types.SimpleNamespace(
        name="chainrule",
        scalar=lambda x: Value(float(x)),
        constant=lambda x: Value(float(x)),
        autograd=autograd,
        functional=autograd.functional,
        grad_enabled=autograd.is_grad_enabled,
        set_grad_enabled=autograd.set_grad_enabled,
        inference_mode=autograd.inference_mode,
        nn=nn,
        optim=nn.optim,
        lr_scheduler=nn.optim.lr_scheduler,
        utils=nn.utils,
        data=lambda rows: rows,
        state=lambda named: {name: np.array(value) for name, value in named.items()},
        grads=lambda model: {
            name: plain(_grads_of(values)) for name, values in torch_tensors(model).items()
        },
    )


def _grads_of(values):
    return [_grads_of(v) for v in values] if isinstance(values, list) else values.grad


def _torch() -> types.SimpleNamespace:
    return types.SimpleNamespace(
        name="torch",
        scalar=lambda x: torch.tensor(float(x), dtype=torch.float64, requires_grad=True),
        constant=lambda x: torch.tensor(float(x), dtype=torch.float64),
        autograd=torch.autograd,
        functional=torch.autograd.functional,
        grad_enabled=torch.is_grad_enabled,
        set_grad_enabled=torch.set_grad_enabled,
        inference_mode=torch.inference_mode,
        nn=torch.nn,
        optim=torch.optim,
        lr_scheduler=torch.optim.lr_scheduler,
        utils=torch.nn.utils,
        data=lambda rows: torch.tensor(rows, dtype=torch.float64),
        state=lambda named: {name: torch.tensor(value) for name, value in named.items()},
        grads=lambda model: {name: p.grad for name, p in model.named_parameters()},
    )


def plain(result: Any) -> Any:
    """Tensors, Values, tuples and lists as nested lists of floats (None and bools kept)."""
    if result is None or isinstance(result, (bool, str)):
        return result
    if isinstance(result, (list, tuple)):
        return [plain(item) for item in result]
    if isinstance(result, dict):
        return {key: plain(item) for key, item in result.items()}
    if isinstance(result, torch.Tensor):
        return plain(result.tolist())
    if isinstance(result, Value):
        return result.data
    return float(result)


def assert_same(ours: Any, theirs: Any, path: str = "result") -> None:
    if isinstance(ours, dict) and isinstance(theirs, dict):
        assert list(ours) == list(theirs), f"{path}: keys {list(ours)} vs {list(theirs)}"
        for key in ours:
            assert_same(ours[key], theirs[key], f"{path}[{key!r}]")
    elif isinstance(ours, list) and isinstance(theirs, list):
        assert len(ours) == len(theirs), f"{path}: length {len(ours)} vs {len(theirs)}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(ours, float) and isinstance(theirs, float):
        same = math.isclose(ours, theirs, rel_tol=TOLERANCE, abs_tol=TOLERANCE) or (
            math.isnan(ours) and math.isnan(theirs)
        )
        assert same, f"{path}: chainrule {ours!r}, torch {theirs!r}"
    else:
        assert ours == theirs, f"{path}: chainrule {ours!r}, torch {theirs!r}"


def both(code: Any) -> Any:
    """Run ``code(lib)`` with chainrule and with torch; assert the results agree; return ours."""
    torch.set_default_dtype(torch.float64)
    try:
        theirs = plain(code(_torch()))
    finally:
        torch.set_default_dtype(torch.float32)
    ours = plain(code(_chainrule()))
    assert_same(ours, theirs)
    return ours


def row(name: str) -> Any:
    """Mark a test as the one exercising ``name``, a row of docs/pytorch.md."""
    return pytest.mark.pytorch_row(name)


# ----- Tensor / Value -------------------------------------------------------------------------


@row("Tensor.is_leaf")
def test_is_leaf_is_a_property():
    def code(lib):
        x = lib.scalar(2.0)
        y = x * 3
        return [x.is_leaf, y.is_leaf, bool(y.is_leaf)]

    assert both(code) == [True, False, False]


@row("Tensor.item()")
def test_item_is_the_number():
    def code(lib):
        x = lib.scalar(2.5)
        return [type((x * x).item()).__name__, (x * x).item()]

    assert both(code) == ["float", 6.25]


@row("Tensor.backward(gradient=, retain_graph=, create_graph=)")
@row("Tensor.grad")
def test_backward_keywords():
    def code(lib):
        x = lib.scalar(1.5)
        y = x * x * x
        y.backward(gradient=lib.constant(2.0), retain_graph=True)
        first = float(x.grad)
        y.backward(retain_graph=True)  # accumulates
        x.grad = None
        z = x * x * x
        z.backward(create_graph=True)
        (second,) = lib.autograd.grad(x.grad, [x])
        return [first, float(x.grad), second]

    assert both(code) == [13.5, 6.75, 9.0]


@row("torch.autograd.grad(outputs, inputs, grad_outputs=)")
def test_grad_of_several_outputs():
    def code(lib):
        x, y = lib.scalar(2.0), lib.scalar(3.0)
        outputs = [x * y, (x + y).tanh(), x * x]
        weights = [lib.constant(w) for w in (1.0, -2.0, 0.5)]
        return lib.autograd.grad(outputs, [x, y], grad_outputs=weights)

    both(code)


@row("torch.autograd.grad(..., create_graph=True)")
def test_grad_create_graph():
    def code(lib):
        x, y = lib.scalar(0.3), lib.scalar(-1.2)
        f = x * x * y + (x * y).exp()
        dx, dy = lib.autograd.grad(f, [x, y], create_graph=True)
        # torch frees a graph after a pass unless told to keep it; chainrule always keeps it
        hessian_rows = [lib.autograd.grad(dx, [x, y], retain_graph=True)]
        return [*hessian_rows, lib.autograd.grad(dy, [x, y])]

    both(code)


@row("torch.autograd.grad(..., allow_unused=, materialize_grads=)")
def test_grad_unused_inputs():
    def code(lib):
        x, unused = lib.scalar(2.0), lib.scalar(5.0)
        try:
            lib.autograd.grad(x * x, [x, unused])
            raised = "nothing"
        except RuntimeError:
            raised = "RuntimeError"
        as_none = lib.autograd.grad(x * x, [x, unused], allow_unused=True)
        as_zero = lib.autograd.grad(x * x, [x, unused], materialize_grads=True)
        return [raised, as_none, as_zero]

    assert both(code) == ["RuntimeError", [4.0, None], [4.0, 0.0]]


@row("torch.no_grad() / torch.enable_grad()")
def test_no_grad_and_enable_grad():
    def code(lib):
        x = lib.scalar(2.0)
        with lib.autograd.no_grad():
            inside = (x * x).is_leaf
            with lib.autograd.enable_grad():
                again = (x * x).is_leaf

        @lib.autograd.no_grad()
        def evaluate():
            return (x * x).is_leaf

        return [inside, again, evaluate(), (x * x).is_leaf]

    assert both(code) == [True, False, True, False]


@row("torch.set_grad_enabled(mode)")
def test_set_grad_enabled():
    def code(lib):
        x = lib.scalar(2.0)
        with lib.set_grad_enabled(False):
            inside = [(x * x).is_leaf, lib.grad_enabled()]
        after_block = lib.grad_enabled()
        lib.set_grad_enabled(False)
        called = [(x * x).is_leaf, lib.grad_enabled()]
        lib.set_grad_enabled(True)

        @lib.set_grad_enabled(False)
        def evaluate():
            return (x * x).is_leaf

        return [*inside, after_block, *called, evaluate(), lib.grad_enabled()]

    assert both(code) == [True, False, True, True, False, True, True]


@row("torch.inference_mode()")
def test_inference_mode():
    def code(lib):
        x = lib.scalar(2.0)
        with lib.inference_mode():
            inside = [(x * x).is_leaf, lib.grad_enabled()]
        with lib.inference_mode(False):
            off = (x * x).is_leaf

        @lib.inference_mode()
        def evaluate():
            return (x * x).is_leaf

        return [*inside, off, evaluate(), lib.grad_enabled()]

    assert both(code) == [True, False, False, True, True]


@row("Tensor.register_hook(fn)")
def test_register_hook():
    def code(lib):
        x = lib.scalar(2.0)
        seen = []
        h = x * 3
        watch = h.register_hook(lambda g: seen.append(g.item()))
        double = h.register_hook(lambda g: g * 2)
        on_leaf = x.register_hook(lambda g: g + 1)
        (h * h).backward(retain_graph=True)
        first = [float(x.grad), *seen]
        double.remove()
        double.remove()  # twice is harmless
        watch.remove()
        on_leaf.remove()
        x.grad = None
        (h * h).backward(retain_graph=True)
        (via_grad,) = lib.autograd.grad(h * h, [x])
        return [*first, float(x.grad), via_grad, len(seen)]

    assert both(code) == [2 * 12.0 * 3 + 1, 12.0, 36.0, 36.0, 1.0]


@row("torch.autograd.functional.jacobian(f, inputs)")
def test_jacobian():
    def code(lib):
        f = lib.functional
        several = f.jacobian(lambda a, b: (a * b, (a + b).tanh(), a * a), (0.5, -1.5))
        one_output = f.jacobian(lambda a, b: a.exp() * b, (0.5, -1.5))
        one_input = f.jacobian(lambda a: (a * a, a.sin()), 0.7)
        scalar = f.jacobian(lambda a: a.tanh(), 0.7)
        return [several, one_output, one_input, scalar]

    def numbers_in(lib):  # torch takes tensors as inputs; chainrule also plain numbers
        inputs = lib.constant if lib.name == "torch" else float
        f = lib.functional
        return [
            f.jacobian(lambda a, b: (a * b, (a + b).tanh(), a * a), (inputs(0.5), inputs(-1.5))),
            f.jacobian(lambda a, b: a.exp() * b, (inputs(0.5), inputs(-1.5))),
            f.jacobian(lambda a: (a * a, a.sin()), inputs(0.7)),
            f.jacobian(lambda a: a.tanh(), inputs(0.7)),
        ]

    both(numbers_in)
    ours = code(_chainrule())
    assert_same(plain(ours), plain(numbers_in(_chainrule())))


@row("torch.autograd.functional.hessian(f, inputs, create_graph=)")
def test_hessian():
    def code(lib):
        f = lib.functional
        x, y = lib.scalar(0.3), lib.scalar(-1.2)
        matrix = f.hessian(lambda a, b: a * a * b + (a * b).exp(), (x, y))
        single = f.hessian(lambda a: a.sin() * a, x)
        built = f.hessian(lambda a, b: a * a * a * b, (x, y), create_graph=True)
        (third,) = lib.autograd.grad(built[0][0], [x])  # d/dx of 6xy
        return [matrix, single, third]

    both(code)


# ----- nn -------------------------------------------------------------------------------------

WEIGHTS = {
    "0.weight": [[0.3, -0.2, 0.5], [0.1, 0.4, -0.6], [-0.7, 0.2, 0.05], [0.25, -0.35, 0.15]],
    "0.bias": [0.01, -0.02, 0.03, 0.0],
    "2.weight": [[0.5, -0.4, 0.3, 0.2], [-0.1, 0.6, -0.2, 0.45]],
    "2.bias": [0.1, -0.1],
}
BATCH = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [-0.3, 0.8, 0.1]]


def small_network(lib, activation):
    model = lib.nn.Sequential(lib.nn.Linear(3, 4), activation, lib.nn.Linear(4, 2))
    model.load_state_dict(lib.state(WEIGHTS))
    return model


@row("nn.Linear(in_features, out_features, bias=True)")
@row("nn.Sequential(*modules)")
@row("Module.state_dict() / load_state_dict()")
def test_linear_and_sequential_forward_loss_and_gradients():
    def code(lib):
        model = small_network(lib, lib.nn.Tanh())
        outputs = model(lib.data(BATCH))
        loss = lib.nn.MSELoss()(outputs, lib.data([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]))
        loss.backward()
        names = list(model.state_dict(**({} if lib.name == "torch" else {"torch_names": True})))
        single = lib.nn.Linear(3, 1, bias=False)
        shape = [len(single.weight), len(single.weight[0])]  # out_features rows of in_features
        return [outputs, loss, lib.grads(model), names, shape, single.bias is None]

    both(code)


@row("nn.ReLU() / nn.Tanh() / nn.Sigmoid() / nn.LeakyReLU() / nn.Identity() / nn.Softplus()")
def test_activation_modules():
    def code(lib):
        x = lib.data([[-2.0, -0.5, 0.0], [0.5, 3.0, -30.0]])
        modules = [lib.nn.ReLU(), lib.nn.Tanh(), lib.nn.Sigmoid(), lib.nn.LeakyReLU(0.2),
                   lib.nn.LeakyReLU(), lib.nn.Identity(), lib.nn.Softplus()]
        return [module(x) for module in modules]

    both(code)


@row("nn.MSELoss / L1Loss / BCELoss / BCEWithLogitsLoss / CrossEntropyLoss(reduction=\"none\")")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_modules(reduction):
    def code(lib):
        predictions = lib.data([[0.2, 0.9], [0.6, 0.1]])
        targets = lib.data([[0.0, 1.0], [1.0, 0.0]])
        logits = lib.data([[1.0, -0.5, 2.0], [0.3, 0.2, -1.0]])
        classes = [2, 0] if lib.name == "chainrule" else torch.tensor([2, 0])
        return [
            lib.nn.MSELoss(reduction=reduction)(predictions, targets),
            lib.nn.L1Loss(reduction=reduction)(predictions, targets),
            lib.nn.BCELoss(reduction=reduction)(predictions, targets),
            lib.nn.BCEWithLogitsLoss(reduction=reduction)(predictions, targets),
            lib.nn.CrossEntropyLoss(reduction=reduction)(logits, classes),
        ]

    both(code)


@row("Module.zero_grad(set_to_none=)")
def test_module_zero_grad():
    def code(lib):
        model = small_network(lib, lib.nn.ReLU())
        model(lib.data(BATCH))[0][0].backward()
        model.zero_grad(set_to_none=True)
        cleared = [p.grad for p in model.parameters()]
        model(lib.data(BATCH))[0][0].backward()
        model.zero_grad(set_to_none=False)
        zeroed = set(_flat(plain(list(lib.grads(model).values()))))
        return [set(map(type, cleared)) == {type(None)}, zeroed == {0.0}]

    assert both(code) == [True, True]


def _flat(items):
    return [x for item in items for x in _flat(item)] if isinstance(items, list) else [items]


@row("Module.children() / modules() / apply(fn)")
def test_children_modules_apply():
    def code(lib):
        inner = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU())
        model = lib.nn.Sequential(inner, lib.nn.Linear(2, 1), inner)  # shared: listed once
        visited = []
        returned = model.apply(lambda m: visited.append(type(m).__name__))
        return [
            [type(m).__name__ for m in model.children()],
            [type(m).__name__ for m in model.modules()],
            visited,
            returned is model,
        ]

    both(code)


def gradients_of(lib, params, values):
    for p, g in zip(params, values):
        p.grad = lib.constant(g) if lib.name == "torch" else g


@row("optimizer.param_groups")
@row("optimizer.zero_grad(set_to_none=True)")
@row("optimizer.step(closure)")
@row("optimizer.state_dict() / load_state_dict() with groups")
def test_optimizer_groups_zero_grad_closure_and_state():
    def code(lib):
        body, head = [lib.scalar(1.0), lib.scalar(-2.0)], [lib.scalar(0.5)]
        optimizer = lib.optim.SGD(
            [{"params": body}, {"params": head, "lr": 0.5}], lr=0.1, momentum=0.9
        )
        groups = [[g["lr"], g["momentum"], len(g["params"])] for g in optimizer.param_groups]

        def closure():
            optimizer.zero_grad()
            loss = body[0] * body[0] + body[1] * head[0]
            loss.backward()
            return loss

        losses = [optimizer.step(closure) for _ in range(3)]
        optimizer.zero_grad()
        cleared = [p.grad for p in body + head]
        closure()
        optimizer.zero_grad(set_to_none=False)
        zeroed = [float(p.grad) for p in body + head]
        saved = optimizer.state_dict()
        shape = [
            [[k for k in g if k in ("lr", "momentum", "params")] for g in saved["param_groups"]],
            [g["params"] for g in saved["param_groups"]],
            sorted(saved["state"]),
            [sorted(state) for _, state in sorted(saved["state"].items())],
        ]
        # Resume in a fresh optimizer: the next steps agree with the uninterrupted run's.
        again = lib.optim.SGD([{"params": body}, {"params": head, "lr": 0.5}], lr=0.1, momentum=0.9)
        again.load_state_dict(saved)
        gradients_of(lib, body + head, [1.0, -1.0, 2.0])
        again.step()
        return [groups, losses, cleared, zeroed, shape, [p.item() for p in body + head]]

    both(code)


def test_sgd_without_momentum_keeps_no_state():
    def code(lib):
        params = [lib.scalar(1.0), lib.scalar(-2.0)]
        plain = lib.optim.SGD(params, lr=0.1, weight_decay=0.01)
        gradients_of(lib, params, [0.5, -1.0])
        plain.step()
        with_momentum = lib.optim.SGD(params, lr=0.1, momentum=0.9)
        with_momentum.step()
        return [
            dict(plain.state_dict()["state"]),
            sorted(with_momentum.state_dict()["state"]),
            [p.item() for p in params],
        ]

    assert both(code)[:2] == [{}, [0, 1]]


@row("lr_scheduler.StepLR / ExponentialLR: get_last_lr(), state_dict(), step() returns None")
def test_lr_schedulers():
    def code(lib):
        p = lib.scalar(1.0)
        optimizer = lib.optim.SGD([{"params": [p]}, {"params": [lib.scalar(2.0)], "lr": 0.2}],
                                  lr=0.1)
        step_lr = lib.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
        returned, rates = [], [step_lr.get_last_lr()]
        for _ in range(5):
            optimizer.step()
            returned.append(step_lr.step())
            rates.append(step_lr.get_last_lr())
        state = step_lr.state_dict()
        exponential = lib.lr_scheduler.ExponentialLR(lib.optim.SGD([p], lr=1.0), gamma=0.9)
        decayed = []
        for _ in range(4):
            exponential.optimizer.step()
            exponential.step()
            decayed.append(exponential.get_last_lr())
        resumed = lib.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
        resumed.load_state_dict(state)
        return [returned, rates, state["last_epoch"], state["base_lrs"], decayed,
                resumed.get_last_lr(), [g["lr"] for g in optimizer.param_groups]]

    both(code)


@row("nn.utils.clip_grad_norm_ / clip_grad_value_")
def test_clipping():
    def code(lib):
        params = [lib.scalar(0.0) for _ in range(4)]
        gradients_of(lib, params, [3.0, -4.0, 12.0, 0.5])
        norm = lib.utils.clip_grad_norm_(params, max_norm=5.0)
        clipped = [float(p.grad) for p in params]
        gradients_of(lib, params, [3.0, -4.0, 12.0, 0.5])
        params[3].grad = None  # skipped, as torch skips it
        lib.utils.clip_grad_value_(params, clip_value=3.5)
        return [norm, clipped, [None if p.grad is None else float(p.grad) for p in params]]

    both(code)

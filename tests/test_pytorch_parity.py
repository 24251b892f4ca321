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

import pytest

import autograd
import nn
from autograd import Value

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
        lr_scheduler=getattr(nn.optim, "lr_scheduler", None),
        utils=getattr(nn, "utils", None),
    )


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

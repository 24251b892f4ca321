"""Bad input at every public entry point: the right exception, and a message naming the problem.

One table: each row calls an entry point with one bad argument and lists the fragments its
message must contain (the value or type that was wrong, and what was expected), so a row fails
both on a wrong exception type and on a message that does not say what went wrong. The command
line rows run ``python -m autograd`` for real and expect exit status 2 with the reason on stderr.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import autograd
import nn
from autograd import Value, define_op, define_variadic_op, draw_dot, gradcheck

ROOT = Path(__file__).resolve().parent.parent


class UsageError(Exception):
    """``python -m autograd`` exited with status 2 (argparse's usage error); str is stderr."""


def shell(*argv: str) -> Callable[[], None]:
    """A row's call: run ``python -m autograd *argv``; exit status 2 raises UsageError."""

    def run() -> None:
        finished = subprocess.run(
            [sys.executable, "-m", "autograd", *argv],
            capture_output=True, text=True, timeout=60, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert finished.stdout == "", "a refused command line must print nothing on stdout"
        if finished.returncode == 2:
            raise UsageError(finished.stderr)
        raise AssertionError(f"exit status {finished.returncode}, not 2:\n{finished.stderr}")

    return run


def a_param() -> list[Value]:
    return [Value(0.5)]


def softsign_op(*partials):
    """define_op of a one-input op with the given partials (a fresh name each time)."""
    return define_op("bad_input_op", lambda x: x / (1 + abs(x)), *partials)


def backward_through(partial) -> None:
    op = define_op("bad_partial", lambda x: 2.0 * x, partial)
    (op(Value(1.0)) * 3.0).backward()


def case(name: str, call: Callable[[], object], error: type[BaseException], *says: str):
    return pytest.param(call, error, says, id=name)


CASES = [
    # ----- Value ---------------------------------------------------------------------------------
    case("Value(str)", lambda: Value("1.5"), TypeError, "got a str", "'1.5'", "float(text)"),
    case("Value(None)", lambda: Value(None), TypeError, "one real number", "NoneType"),
    case("Value(complex)", lambda: Value(1 + 2j), TypeError, "complex", "real numbers"),
    case("Value(list)", lambda: Value([1.0, 2.0]), TypeError, "got a list", "one Value per"),
    case("Value(ndarray)", lambda: Value(np.array([1.0, 2.0])), TypeError, "ndarray",
         "one Value per"),
    case("Value(0-d ndarray)", lambda: Value(np.array(1.0)), TypeError, "ndarray"),
    case("Value(Value)", lambda: Value(Value(1.0)), TypeError, "got a Value", "detach()"),
    case("Value(bool)", lambda: Value(True), TypeError, "bool", "float(flag)"),
    case("Value label not str", lambda: Value(1.0, label=3), TypeError, "label", "str", "int"),
    case("Value children not Values", lambda: Value(2.0, ("a",), "+"), TypeError,
         "children must be Values", "str"),
    case("Value op name not str", lambda: Value(2.0, (Value(1.0),), 5), TypeError,
         "op must be a str", "int"),
    case("backward through an undeclared positional op",
         lambda: Value(2.0, (Value(1.0),), "never_declared").backward(), RuntimeError,
         "no derivative", "'never_declared'", "define_op"),
    # ----- operators -----------------------------------------------------------------------------
    case("Value + str", lambda: Value(1.0) + "a", TypeError, "for +", "'Value' and 'str'"),
    case("Value @ int", lambda: Value(1.0) @ 2, TypeError, "for @", "'Value' and 'int'"),
    case("int @ Value", lambda: 2 @ Value(1.0), TypeError, "for @", "'int' and 'Value'"),
    case("Value * None", lambda: Value(1.0) * None, TypeError, "for *", "'NoneType'"),
    case("Value / list", lambda: Value(1.0) / [2.0], TypeError, "for /", "'list'"),
    case("Value - bool", lambda: Value(1.0) - True, TypeError, "for -", "'bool'"),
    case("Value ** str", lambda: Value(1.0) ** "2", TypeError, "pow", "'Value' and 'str'"),
    case("str ** Value", lambda: "2" ** Value(1.0), TypeError, "pow", "'str' and 'Value'"),
    case("Value ** complex", lambda: Value(1.0) ** 1j, TypeError, "pow", "'complex'"),
    case("Value < str", lambda: Value(1.0) < "a", TypeError, "'<'", "'Value' and 'str'"),
    # ----- engine functions ----------------------------------------------------------------------
    case("exp(str)", lambda: autograd.exp("a"), TypeError, "exp()", "real numbers", "str"),
    case("leaky_relu slope str", lambda: Value(1.0).leaky_relu("a"), TypeError,
         "negative_slope must be a real number", "'a'"),
    case("sum_values([])", lambda: autograd.sum_values([]), ValueError, "at least one value"),
    case("sum_values with a str", lambda: autograd.sum_values([Value(1.0), "a"]), TypeError,
         "sum()", "str"),
    case("dot lengths", lambda: autograd.dot([1.0], [Value(1.0), 2.0]), ValueError,
         "xs has 1 items but ys has 2"),
    case("linear lengths", lambda: autograd.linear([Value(1.0)], [1.0, 2.0]), ValueError,
         "weights has 1 items but inputs has 2"),
    case("linear with a str", lambda: autograd.linear([Value(1.0)], ["a"]), TypeError,
         "linear()", "str"),
    case("backward(grad=str)", lambda: (Value(1.0) * 2).backward("a"), TypeError,
         "grad", "real number", "str"),
    case("backward(gradient=list)", lambda: (Value(1.0) * 2).backward([1.0]), TypeError,
         "grad", "list"),
    case("grad(grad_outputs=[list])", lambda: autograd.grad(Value(1.0) * 2, [], [[1.0]]),
         TypeError, "grad", "list"),
    case("grad of a float", lambda: autograd.grad(3.0, []), TypeError,
         "output must be a Value", "float"),
    case("grad wrt a float", lambda: autograd.grad(Value(1.0) * 2, [3.0]), TypeError,
         "inputs[0] must be a Value", "float"),
    # ----- define_op -----------------------------------------------------------------------------
    case("define_op forward not callable", lambda: define_op("f", 3.0, 1.0), TypeError,
         "forward must be callable", "3.0"),
    case("define_op partial not callable", lambda: softsign_op("d/dx"), TypeError,
         "partial 0 must be callable or a constant number", "'d/dx'"),
    case("define_op no partials", lambda: softsign_op(), TypeError,
         "one partial derivative per input", "none"),
    case("define_op one partial too many", lambda: softsign_op(1.0, 1.0), TypeError,
         "2 partial(s) means 2 input(s)", "forward does not take 2"),
    case("define_op one partial too few",
         lambda: define_op("f", lambda x, y: x * y, lambda x, y, out: y), TypeError,
         "1 partial(s) means 1 input(s)", "forward does not take 1"),
    case("define_op partial without the output", lambda: softsign_op(lambda x: 1.0), TypeError,
         "partial 0 must take the 1 input(s) and the output"),
    case("define_op empty name", lambda: define_op("", lambda x: x, 1.0), TypeError,
         "name must be a non-empty str"),
    case("define_variadic_op all_partials not callable",
         lambda: define_variadic_op("v", sum, (1.0,)), TypeError,
         "all_partials must be callable"),
    case("user op applied to two arguments", lambda: softsign_op(1.0)(Value(1.0), 2.0),
         TypeError, "bad_input_op()", "takes 1 argument(s), got 2"),
    case("user op applied to a str", lambda: softsign_op(1.0)("a"), TypeError,
         "bad_input_op()", "str"),
    case("user op forward returns a str",
         lambda: define_op("f", lambda x: "one", 1.0)(Value(1.0)), TypeError,
         "op 'f'", "forward returned str", "not a real number"),
    case("user op partial returns a str", lambda: backward_through(lambda x, out: "two"),
         TypeError, "op 'bad_partial'", "partial 0 returned str", "not a real number"),
    case("user op partial returns None", lambda: backward_through(lambda x, out: None),
         TypeError, "op 'bad_partial'", "partial 0 returned NoneType"),
    # ----- gradcheck -----------------------------------------------------------------------------
    case("gradcheck f returns a float", lambda: gradcheck(lambda x: 3.0 * x.data, [1.0]),
         autograd.GradcheckError, "returned a plain float", "not a Value"),
    case("gradcheck f returns a str", lambda: gradcheck(lambda x: "x", [1.0]), TypeError,
         "returned str", "must return a Value"),
    case("gradcheck f returns None", lambda: gradcheck(lambda x: None, [1.0]), TypeError,
         "returned NoneType", "forget to return"),
    case("gradgradcheck f returns a float",
         lambda: autograd.gradgradcheck(lambda x: 3.0, [1.0]), autograd.GradcheckError,
         "returned a plain float", "not a Value"),
    case("gradcheck f not callable", lambda: gradcheck(3, [1.0]), TypeError, "not callable"),
    case("gradcheck inputs a str", lambda: gradcheck(lambda x: x, "ab"), TypeError,
         "one number per argument", "str"),
    case("gradcheck no inputs", lambda: gradcheck(lambda x: x, []), ValueError,
         "inputs is empty"),
    case("gradcheck eps 0", lambda: gradcheck(lambda x: x, [1.0], eps=0), ValueError,
         "eps", "> 0", "got 0"),
    # ----- nn constructors and calls -------------------------------------------------------------
    case("MLP nin=0", lambda: nn.MLP(0, [1]), ValueError, "nin", "at least 1", "got 0"),
    case("MLP negative layer size", lambda: nn.MLP(2, [3, -1]), ValueError, "nouts[1]",
         "at least 1", "got -1"),
    case("MLP no layers", lambda: nn.MLP(2, []), ValueError, "nouts", "at least one layer"),
    case("MLP nin float", lambda: nn.MLP(2.5, [3]), TypeError, "nin", "must be an int", "float"),
    case("Layer nin=0", lambda: nn.Layer(0, 3), ValueError, "nin", "got 0"),
    case("Layer negative nout", lambda: nn.Layer(2, -3), ValueError, "nout", "got -3"),
    case("Neuron nin=0", lambda: nn.Neuron(0), ValueError, "nin", "got 0"),
    case("Neuron negative nin", lambda: nn.Neuron(-1), ValueError, "nin", "got -1"),
    case("BatchNorm 0 features", lambda: nn.BatchNorm(0), ValueError, "num_features", "got 0"),
    case("Neuron unknown activation", lambda: nn.Neuron(2, activation="swish"), ValueError,
         "unknown activation 'swish'", "relu"),
    case("Layer unknown activation", lambda: nn.Layer(2, 3, activation="gelu"), ValueError,
         "unknown activation 'gelu'", "tanh"),
    case("MLP unknown activation", lambda: nn.MLP(2, [3, 1], activation="ReLu"), ValueError,
         "unknown activation 'ReLu'", "relu"),
    case("activation not a name", lambda: nn.Neuron(2, activation=3), TypeError,
         "activation must be a name", "int"),
    case("unknown init scheme", lambda: nn.Neuron(2, init="magic"), ValueError,
         "unknown init scheme 'magic'", "xavier"),
    case("Dropout p > 1", lambda: nn.Dropout(1.5), ValueError, "p must be in [0, 1]", "1.5"),
    case("MLP called with 3 inputs", lambda: nn.MLP(2, [3], rng=0)([1.0, 2.0, 3.0]), ValueError,
         "expects 2 input(s)", "got 3"),
    case("MLP called with a str", lambda: nn.MLP(2, [3], rng=0)("ab"), TypeError,
         "list of 2 Values or numbers", "str"),
    # ----- optimizers ----------------------------------------------------------------------------
    case("SGD negative lr", lambda: nn.optim.SGD(a_param(), lr=-0.1), ValueError,
         "SGD", "lr must be >= 0", "-0.1"),
    case("SGD nan lr", lambda: nn.optim.SGD(a_param(), lr=float("nan")), ValueError,
         "lr must be >= 0", "nan"),
    case("SGD lr str", lambda: nn.optim.SGD(a_param(), lr="0.1"), TypeError,
         "lr must be a number", "str"),
    case("SGD negative momentum", lambda: nn.optim.SGD(a_param(), lr=0.1, momentum=-0.9),
         ValueError, "momentum must be >= 0", "-0.9"),
    case("SGD no parameters", lambda: nn.optim.SGD([], lr=0.1), ValueError,
         "empty parameter list"),
    case("Adam negative lr", lambda: nn.optim.Adam(a_param(), lr=-1e-3), ValueError,
         "Adam", "lr must be >= 0", "-0.001"),
    case("Adam beta1 = 1", lambda: nn.optim.Adam(a_param(), betas=(1.0, 0.999)), ValueError,
         "betas[0] must be in [0, 1)", "1.0"),
    case("Adam beta2 < 0", lambda: nn.optim.Adam(a_param(), betas=(0.9, -0.1)), ValueError,
         "betas[1] must be in [0, 1)", "-0.1"),
    case("AdamW beta2 > 1", lambda: nn.optim.AdamW(a_param(), betas=(0.9, 1.5)), ValueError,
         "AdamW", "betas[1] must be in [0, 1)", "1.5"),
    case("Adam betas not a pair", lambda: nn.optim.Adam(a_param(), betas=0.9), TypeError,
         "betas must be a pair", "0.9"),
    case("RMSprop negative lr", lambda: nn.optim.RMSprop(a_param(), lr=-1), ValueError,
         "RMSprop", "lr must be >= 0"),
    case("Adagrad negative lr", lambda: nn.optim.Adagrad(a_param(), lr=-1), ValueError,
         "Adagrad", "lr must be >= 0"),
    # ----- losses --------------------------------------------------------------------------------
    *[
        case(f"{loss.__name__} lengths", lambda loss=loss: loss([Value(0.5)], [1.0, 1.0]),
             ValueError, loss.__name__, "differ in length (1 vs 2)")
        for loss in (nn.mse_loss, nn.l1_loss, nn.binary_cross_entropy,
                     nn.binary_cross_entropy_with_logits, nn.hinge_loss)
    ],
    case("cross_entropy class index = classes",
         lambda: nn.cross_entropy([Value(0.5), Value(1.0)], 2), ValueError,
         "class index 2 is out of range for 2 classes", "0 to 1"),
    case("cross_entropy negative class index",
         lambda: nn.cross_entropy([Value(0.5), Value(1.0)], -1), ValueError,
         "class index -1 is out of range"),
    case("cross_entropy batch index out of range",
         lambda: nn.cross_entropy([[Value(0.5), Value(1.0)], [Value(0.0), Value(2.0)]], [0, 5]),
         ValueError, "class index 5 is out of range for 2 classes"),
    case("cross_entropy batch lengths",
         lambda: nn.cross_entropy([[Value(0.5), Value(1.0)]], [0, 1]), ValueError,
         "1 samples of logits but 2 class indices"),
    case("cross_entropy class index float",
         lambda: nn.cross_entropy([Value(0.5), Value(1.0)], 1.0), TypeError,
         "class index must be an int", "float"),
    case("mse_loss unknown reduction",
         lambda: nn.mse_loss([Value(1.0)], [1.0], reduction="avg"), ValueError,
         "reduction must be 'mean', 'sum' or 'none'", "'avg'"),
    # ----- drawing -------------------------------------------------------------------------------
    case("draw_dot unknown rankdir", lambda: draw_dot(Value(1.0), rankdir="XY"), ValueError,
         "rankdir must be one of LR, TB, RL, BT", "'XY'"),
    case("draw_dot unknown color_by", lambda: draw_dot(Value(1.0), color_by="data"),
         ValueError, "color_by must be None or 'grad'", "'data'"),
    case("draw_dot of a float", lambda: draw_dot(3.0), TypeError, "Value", "float"),
    case("draw_dot precision -1", lambda: draw_dot(Value(1.0), precision=-1), ValueError,
         "precision", "0 to 17", "-1"),
    case("render unknown extension", lambda: autograd.render(Value(1.0), "graph.jpeg"),
         ValueError, "'graph.jpeg'", ".svg"),
    # ----- stepping and the explore page ---------------------------------------------------------
    case("backward_steps(grad=str)", lambda: (Value(1.0) * 2).backward_steps("a"), TypeError,
         "backward_steps(grad=...) takes a real number", "str"),
    case("trace of a float", lambda: autograd.trace(3.0), TypeError, "needs a Value", "float"),
    case("trace step not a Step", lambda: autograd.trace(Value(1.0) * 2, step=3), TypeError,
         "step must be a Step", "int"),
    case("draw_dot step not a Step", lambda: draw_dot(Value(1.0) * 2, step=3), TypeError,
         "step must be a Step", "int"),
    case("explore of a float", lambda: autograd.explore(3.0, "/nonexistent/page.html"),
         TypeError, "needs a Value", "float"),
    case("explore to a .txt", lambda: autograd.explore(Value(1.0) * 2, "page.txt"), ValueError,
         "path ending in .html", "'page.txt'"),
    case("explore unknown rankdir",
         lambda: autograd.explore(Value(1.0) * 2, "/nonexistent/page.html", rankdir="XY"),
         ValueError, "rankdir must be one of", "'XY'"),
    # ----- the command line ----------------------------------------------------------------------
    case("draw malformed expression", shell("draw", "tanh(x * ", "x=1"), UsageError,
         "syntax error", "tanh(x * "),
    case("draw missing binding", shell("draw", "x * w + b", "x=1", "w=2"), UsageError,
         "unbound name 'b'"),
    case("draw unknown option", shell("draw", "x", "x=1", "--colour", "grad"), UsageError,
         "unrecognized arguments", "--colour"),
    case("draw binding not a number", shell("draw", "x", "x=two"), UsageError,
         "'two'", "not a number"),
    case("draw unknown rankdir", shell("draw", "x", "x=1", "--rankdir", "UP"), UsageError,
         "invalid choice: 'UP'"),
    case("explore malformed expression", shell("explore", "exp(x", "x=1", "-o", "p.html"),
         UsageError, "syntax error", "exp(x"),
    case("explore missing binding", shell("explore", "x * y", "x=1", "-o", "p.html"),
         UsageError, "unbound name 'y'"),
    case("explore unknown option", shell("explore", "x", "x=1", "-o", "p.html", "--forward"),
         UsageError, "unrecognized arguments", "--forward"),
    case("explore without -o", shell("explore", "x", "x=1"), UsageError,
         "required", "-o/--output"),
]


@pytest.mark.parametrize(("call", "error", "says"), CASES)
def test_bad_input_raises_a_clear_error(call, error, says):
    with pytest.raises(error) as raised:
        call()
    assert type(raised.value) is error, f"{type(raised.value).__name__}, not {error.__name__}"
    message = str(raised.value)
    missing = [fragment for fragment in says if fragment not in message]
    assert not missing, f"the message does not say {missing}:\n{message}"


"""chainrule's engine: scalar reverse-mode automatic differentiation.

    from autograd import Value
    x = Value(2.0, label="x")
    y = (x * x + 1).tanh()
    y.backward()
    x.grad                      # dy/dx

Backpropagation step by step: ``y.backward_steps()`` (an iterator of explained steps),
``trace(y)`` (the graph as a table) and ``explore(y, "backprop.html")`` (a page to click through;
``explore(y)`` shows it inside a notebook). Why a gradient is what it is: ``explain(x, output=y)``
and ``explain(y, wrt=x)``.
"""

from typing import TYPE_CHECKING, Any

from autograd import name_clash  # noqa: F401 - first: refuses to run mixed with HIPS autograd

__version__ = "0.1.0"

from autograd import functional
from autograd import notebook as _notebook  # noqa: F401 - gives Step and BackwardWalk HTML
from autograd.backward import grad, topological_order
from autograd.check import GradcheckError, gradcheck, gradgradcheck, numerical_grad
from autograd.draw import draw_dot, render
from autograd.explorer import explore
from autograd.gc_pause import gc_paused
from autograd.grad_mode import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from autograd.hooks import RemovableHandle
from autograd.op import Op, define_op, define_variadic_op
from autograd.ops import (
    cos,
    dot,
    exp,
    leaky_relu,
    linear,
    log,
    relu,
    sigmoid,
    sin,
    softplus,
    sqrt,
    sum_values,
    tanh,
)
from autograd.replay.errors import CompileError, LeafGoneError
from autograd.steps import explain, trace
from autograd.value import Value

if TYPE_CHECKING:
    from autograd.replay.tape import Tape
    from autograd.replay.tape import compile as compile  # noqa: A004 - autograd.compile


def __getattr__(name: str) -> Any:
    # Compiled replay needs numpy, imported on first use so that `import autograd` stays fast.
    if name in ("compile", "Tape"):
        from autograd.replay import tape

        globals()[name] = value = getattr(tape, name)
        return value
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")


# `compile` (autograd.compile) is left out of __all__ so that `from autograd import *` keeps
# Python's compile().
__all__ = [
    "CompileError",
    "GradcheckError",
    "LeafGoneError",
    "Op",
    "RemovableHandle",
    "Value",
    "cos",
    "define_op",
    "define_variadic_op",
    "detect_anomaly",
    "dot",
    "draw_dot",
    "enable_grad",
    "exp",
    "explain",
    "explore",
    "functional",
    "gc_paused",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "is_grad_enabled",
    "leaky_relu",
    "linear",
    "log",
    "no_grad",
    "numerical_grad",
    "relu",
    "render",
    "set_grad_enabled",
    "sigmoid",
    "sin",
    "softplus",
    "sqrt",
    "sum_values",
    "Tape",
    "tanh",
    "topological_order",
    "trace",
]

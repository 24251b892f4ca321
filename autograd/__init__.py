"""chainrule's engine: scalar reverse-mode automatic differentiation.

    from autograd import Value
    x = Value(2.0, label="x")
    y = (x * x + 1).tanh()
    y.backward()
    x.grad                      # dy/dx
"""

from autograd.backward import grad, topological_order
from autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from autograd.op import Op, define_op
from autograd.ops import cos, exp, leaky_relu, log, relu, sigmoid, sin, softplus, sqrt, tanh
from autograd.value import Value

__all__ = [
    "Op",
    "Value",
    "cos",
    "define_op",
    "enable_grad",
    "exp",
    "grad",
    "is_grad_enabled",
    "leaky_relu",
    "log",
    "no_grad",
    "relu",
    "sigmoid",
    "sin",
    "softplus",
    "sqrt",
    "tanh",
    "topological_order",
]

"""``jacobian`` and ``hessian``: every first or second derivative of a function, by ``grad``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Real
from typing import Any

from autograd.backward import grad
from autograd.value import Value

Scalar = Value | float
Inputs = Scalar | Sequence[Scalar]


def jacobian(f: Callable[..., Any], inputs: Inputs, create_graph: bool = False) -> Any:
    """d f(inputs)_i / d inputs_j, shaped as ``torch.autograd.functional.jacobian`` would.

        jacobian(lambda x, y: [x * y, x + y], (2.0, 3.0))   # [[3.0, 2.0], [1.0, 1.0]]

    ``f`` takes one Value per input and returns a Value or number, or a list of them. One input
    (not in a list) and one output give a float; a list of inputs or outputs adds one level of
    list (outputs outside, inputs inside). With ``create_graph=True`` the entries are Values that
    can be differentiated again (with respect to the Values passed in).
    """
    leaves, single_input = _leaves(inputs, "jacobian")
    outputs, single_output = _outputs(f(*leaves), "jacobian")
    rows = [_gradient_row(output, leaves, create_graph) for output in outputs]
    return _shaped(rows, single_output, single_input)


def hessian(f: Callable[..., Any], inputs: Inputs, create_graph: bool = False) -> Any:
    """d² f(inputs) / d inputs_i d inputs_j for a function returning one Value, shaped as
    ``torch.autograd.functional.hessian``: a float for one input, else a list of lists.

        hessian(lambda x, y: x * x * y, (2.0, 3.0))          # [[6.0, 4.0], [4.0, 0.0]]
    """
    leaves, single_input = _leaves(inputs, "hessian")
    outputs, single_output = _outputs(f(*leaves), "hessian")
    if not single_output:
        raise ValueError(
            f"hessian: the function must return one Value (a scalar), got a list of "
            f"{len(outputs)}; take the jacobian of each gradient instead"
        )
    firsts = _gradient_row(outputs[0], leaves, create_graph=True)
    rows = [_gradient_row(first, leaves, create_graph) for first in firsts]
    return _shaped(rows, single_input, single_input)


def _leaves(inputs: Inputs, who: str) -> tuple[list[Value], bool]:
    """The inputs as Values (numbers become new leaves), and whether one was given unlisted."""
    single = not isinstance(inputs, (list, tuple))
    items: list[Any] = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if not items:
        raise ValueError(f"{who}: got no inputs (an empty list)")
    leaves = []
    for i, item in enumerate(items):
        if isinstance(item, Value):
            leaves.append(item)
        elif isinstance(item, Real) and not isinstance(item, bool):
            leaves.append(Value(float(item)))
        else:
            raise TypeError(
                f"{who}: inputs[{i}] must be a Value or a real number, got {type(item).__name__}"
            )
    return leaves, single


def _outputs(result: Any, who: str) -> tuple[list[Scalar], bool]:
    single = not isinstance(result, (list, tuple))
    items = [result] if single else list(result)
    for i, item in enumerate(items):
        if not isinstance(item, Value) and (
            isinstance(item, bool) or not isinstance(item, Real)
        ):
            raise TypeError(
                f"{who}: the function must return Values or numbers (or a list of them); "
                f"output {i} is a {type(item).__name__}"
            )
    return items, single


def _gradient_row(output: Scalar, leaves: list[Value], create_graph: bool) -> list[Any]:
    """d output / d leaf for each leaf; 0 where the output does not depend on the leaf."""
    if not isinstance(output, Value):  # a constant output
        zeros = [0.0] * len(leaves)
        return [Value(0.0) for _ in leaves] if create_graph else zeros
    return list(grad(output, leaves, create_graph=create_graph, materialize_grads=True))


def _shaped(rows: list[list[Any]], single_row: bool, single_column: bool) -> Any:
    rows = [row[0] if single_column else row for row in rows]
    return rows[0] if single_row else rows

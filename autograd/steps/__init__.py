"""Backpropagation one step at a time, explained with the node's own numbers.

``stepping.py`` is the walk (``v.backward_steps()``: one :class:`Step` per node, the same result
as ``backward()``); ``trace.py`` prints the graph as a table; ``formulas.py`` writes an op's
formulas and numbers as text. Uses the core only.
"""

from autograd.steps.formulas import format_number
from autograd.steps.stepping import BackwardWalk, Step, Update, WalkState, backward_steps
from autograd.steps.trace import format_trace, trace

__all__ = [
    "BackwardWalk",
    "Step",
    "Update",
    "WalkState",
    "backward_steps",
    "format_number",
    "format_trace",
    "trace",
]

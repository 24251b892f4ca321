"""Backpropagation one step at a time, explained with the node's own numbers.

``stepping.py`` is the walk (``v.backward_steps()``: one :class:`Step` per node, the same result
as ``backward()``); ``trace.py`` shows the graph as a table; ``explain.py`` explains one
gradient (the sum over a node's consumers, or every path from the output down to a node) with
a numerical check; ``formulas.py`` writes an op's formulas and numbers as text. Uses the core
only.
"""

from autograd.steps.explain import NodeExplanation, PathExplanation, explain
from autograd.steps.formulas import format_number
from autograd.steps.stepping import BackwardWalk, Step, Update, WalkState, backward_steps
from autograd.steps.trace import Trace, format_trace, trace

__all__ = [
    "BackwardWalk",
    "NodeExplanation",
    "PathExplanation",
    "Step",
    "Trace",
    "Update",
    "WalkState",
    "backward_steps",
    "explain",
    "format_number",
    "format_trace",
    "trace",
]

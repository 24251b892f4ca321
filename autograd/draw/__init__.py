"""Graphviz drawings of a graph: every node's value and gradient, coloured, collapsed, stepped.

``draw.py`` is ``draw_dot`` and ``render``; ``collapse.py`` groups a large model's nodes into
boxes per module; ``colors.py`` colours by gradient; ``dot_text.py`` escapes labels.
Uses the core, and ``autograd.steps`` to draw the graph at one step of a backward walk.
"""

from autograd.draw.draw import (
    ComputationGraph,
    GraphTooLargeError,
    GraphvizNotFoundError,
    draw_dot,
    render,
)

__all__ = [
    "ComputationGraph",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "draw_dot",
    "render",
]

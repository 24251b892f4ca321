"""HTML for a ``Step`` and a ``BackwardWalk``, attached to them as ``_repr_html_``.

Every text from the graph (labels, formulas) is escaped; the drawing is Graphviz's SVG rebuilt
from an allow-list (``autograd.explorer.page_svg``), so nothing in it can run.
"""

from __future__ import annotations

import html
import re

from autograd.draw.draw import GraphTooLargeError, GraphvizNotFoundError, draw_dot
from autograd.explorer.page_svg import page_svg
from autograd.steps.stepping import BackwardWalk, Step, explain_update
from autograd.steps.text import shown_name
from autograd.steps.trace import make_trace

_VIEWBOX = re.compile(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) [\d.]+"')
_POINTS_TO_PIXELS = 4 / 3


def step_html(step: Step, precision: int = 4) -> str:
    """A step as HTML: its number, its explanation, a table of its updates and the drawing."""
    if not isinstance(step, Step):
        raise TypeError(f"expected a Step from backward_steps(), got {type(step).__name__}")
    e = html.escape
    rows = "".join(
        "<tr>" + "".join(f"<td>{e(cell)}</td>" for cell in (update.name,
                                                           *explain_update(update, precision)))
        + "</tr>"
        for update in step.updates
    )
    table = (
        "<table><thead><tr><th>input</th><th>local derivative</th>"
        "<th>contribution (upstream × local)</th><th>its grad now</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    ) if step.updates else ""
    heading = (f"<p><b>Step {step.number} of {step.walk.total}</b>: the chain rule at "
               f"<code>{e(step.name)}</code> ({e(shown_name(step.node.op))})</p>")
    return (f'<div class="chainrule-step">{heading}<pre>{e(step.explain(precision))}</pre>'
            f"{table}{drawing_html(step.walk, step, precision)}</div>")


def walk_html(walk: BackwardWalk, precision: int = 4) -> str:
    """Where a walk stands: steps taken, the next node, every node's state and the drawing."""
    if not isinstance(walk, BackwardWalk):
        raise TypeError(f"expected a BackwardWalk, got {type(walk).__name__}")
    e = html.escape
    last = walk.steps[-1] if walk.steps else None
    heading = f"<p><b>{e(walk_status(walk))}</b></p>"
    table = make_trace(walk.root, step=last, precision=precision)._repr_html_()
    return (f'<div class="chainrule-walk">{heading}{table}'
            f"{drawing_html(walk, last, precision)}</div>")


def walk_status(walk: BackwardWalk) -> str:
    """`Backward walk from o: 2 of 5 steps taken; next: x1*w1 + x2*w2 (+)`."""
    return repr(walk).strip("<>")


def drawing_html(walk: BackwardWalk, step: Step | None, precision: int) -> str:
    """The graph drawn at `step` (None: before the walk) as inline SVG, or a note saying why
    there is no drawing (no Graphviz, or a graph too large to lay out)."""
    try:
        drawing = draw_dot(walk.root, step=step, precision=precision)
        svg = page_svg(drawing.pipe(format="svg"))
    except (GraphvizNotFoundError, GraphTooLargeError) as error:
        return f"<p><i>no drawing: {html.escape(str(error).splitlines()[0])}</i></p>"
    match = _VIEWBOX.search(svg)
    width = f"max-width: {float(match.group(1)) * _POINTS_TO_PIXELS:.0f}px; " if match else ""
    return f'<div style="{width}overflow-x: auto">{svg}</div>'


# Attached here, as ops.py attaches operators to Value: steps/ never imports the drawing.
Step._repr_html_ = step_html  # type: ignore[attr-defined]
BackwardWalk._repr_html_ = walk_html  # type: ignore[attr-defined]

"""How chainrule's objects show in a notebook (Jupyter, VS Code: any front end that renders
standard MIME bundles).

``html.py`` attaches ``_repr_html_`` to ``Step`` (its explanation, its updates and the drawing
at that step) and to ``BackwardWalk`` (where the walk stands), the way ``ops.py`` attaches
operators to ``Value``; ``autograd`` imports it, so they show as HTML with nothing to set up.
The other objects carry their own: ``explore(o)``'s page (``autograd.explorer``), ``trace``'s
table and ``explain``'s explanation (``autograd.steps``). A ``Value`` keeps its text repr.
Uses ``autograd.steps``, ``autograd.draw`` (the drawings) and ``autograd.explorer`` (their
SVG made safe to inline).
"""

from autograd.notebook.html import step_html, walk_html

__all__ = ["step_html", "walk_html"]

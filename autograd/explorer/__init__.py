"""The explore page: one self-contained HTML file to click through a backward pass.

``explore.py`` builds the page from the drawing (``autograd.draw``) and the walk
(``autograd.steps``); ``page_svg.py`` keeps only safe SVG; ``explore.html``, ``.css`` and ``.js``
are the page's own assets.
"""

from autograd.explorer.explore import explore, explore_page

__all__ = ["explore", "explore_page"]

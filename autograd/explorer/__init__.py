"""The explore page: one self-contained HTML file to click through a backward pass.

``explore.py`` builds the page from the drawing (``autograd.draw``) and the walk
(``autograd.steps``); ``page_svg.py`` keeps only safe SVG; ``explore.html``, ``.css`` and ``.js``
are the page's own assets. Without a path, ``explore`` returns an ``ExplorePage``, which a
notebook shows inline in a sandboxed iframe.
"""

from autograd.explorer.explore import ExplorePage, explore, explore_page

__all__ = ["ExplorePage", "explore", "explore_page"]

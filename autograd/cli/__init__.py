"""The shell: ``python -m autograd draw|explore "EXPR" x=...``.

``expression.py`` parses an expression with a whitelist (no ``eval``); ``main.py`` is the
command line. Uses the drawing (``autograd.draw``) and the explore page (``autograd.explorer``).
"""

from autograd.cli.main import main

__all__ = ["main"]

"""The shell: ``python -m autograd draw|explore|explain "EXPR" x=...``.

``expression.py`` parses an expression with a whitelist (no ``eval``); ``main.py`` is the
command line. Uses the drawing (``autograd.draw``), the explore page (``autograd.explorer``) and
``explain`` (``autograd.steps``).
"""

from autograd.cli.main import main

__all__ = ["main"]

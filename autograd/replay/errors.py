"""The errors of compiled replay."""

from __future__ import annotations


class CompileError(TypeError):
    """A graph cannot be compiled: an op's rules do not work on NumPy arrays, say."""


class LeafGoneError(ReferenceError):
    """A tape was replayed after a leaf it reads (a parameter, an input) stopped existing."""

"""Compiled replay: record a graph once, replay it on NumPy arrays (``autograd.compile``).

``recording.py`` groups the graph's nodes into kernels by op and level; ``array_rules.py`` finds
each op's array form (declared next to its scalar rule in ``autograd/ops.py``); ``kernels.py``
runs a group forward and backward; ``positions.py`` hands a variadic op its inputs; ``tape.py``
is the :class:`Tape` users hold. Uses the core only. ``Tape`` and ``compile`` load numpy, so
they are imported on first use.
"""

from autograd.replay.errors import CompileError, LeafGoneError


def __getattr__(name: str) -> object:
    if name in ("compile", "Tape"):
        from autograd.replay import tape

        return getattr(tape, name)
    raise AttributeError(f"module 'autograd.replay' has no attribute {name!r}")


__all__ = ["CompileError", "LeafGoneError", "Tape", "compile"]

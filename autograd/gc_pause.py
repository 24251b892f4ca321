"""``gc_paused()``: Python's cyclic garbage collector paused for a block (a training loop)."""

from __future__ import annotations

import gc
from typing import Any


class gc_paused:  # noqa: N801 - a context manager, named like no_grad
    """Context manager: Python's cyclic garbage collector does not run inside the block.

    chainrule's graphs have no reference cycles, so reference counting frees each one as soon
    as nothing holds it; the cyclic collector finds nothing to free in them. Yet while a graph
    is alive, the collector walks it over and over (every node is an object it tracks): in a
    loop that builds graphs of single ``*`` and ``+`` nodes, about a third of each step. Inside
    this block it does not run.

        with gc_paused():
            for step in range(1000):
                loss = model_loss()
                ...

    When the block ends (also on an error or Ctrl-C) the collector is as it was before, and
    cycles made inside the block (your own objects', or gradients made with
    ``create_graph=True``) are collected from then on. A block inside another leaves the
    collector paused. The switch is for the whole process: while one thread's block is open,
    the collector is paused for every thread.
    """

    def __init__(self) -> None:
        self._was_enabled: list[bool] = []  # one per open block: one object may be reused

    def __enter__(self) -> gc_paused:
        was_enabled = gc.isenabled()
        depth = len(self._was_enabled)
        try:
            self._was_enabled.append(was_enabled)
            gc.disable()
        except BaseException:  # Ctrl-C before the block began: undo, as if it never had
            del self._was_enabled[depth:]
            if was_enabled:
                gc.enable()
            raise
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._was_enabled.pop():
            gc.enable()

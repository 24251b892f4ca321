"""Leaves held in arrays while a loop replays a tape (``Tape.hold``).

A run normally reads every leaf's ``.data`` and adds to every leaf's ``.grad``: at 200,000
parameters that Python work costs more than the NumPy kernels. Held, the leaves' numbers stay in
one array the tape computes from (an optimizer steps it in place) and their gradients in another,
and the Values are written only when asked and when the hold ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any

import numpy as np

from autograd.value import Value


class HeldLeaves:
    """The leaves of a held tape and their numbers: ``values[i]`` and ``grads[i]`` stand for
    ``leaves[i].data`` and ``leaves[i].grad`` until :meth:`write_back`.

    Runs read ``values`` and add to ``grads``; change ``values`` in place (an optimizer step),
    never rebind it. ``.data`` set on a held leaf meanwhile is overwritten by the next write-back.
    Use as a context manager: leaving the block writes back and ends the hold.
    """

    def __init__(self, tape: Any, leaves: list[Value], values: np.ndarray) -> None:
        self._tape = tape
        self.leaves = leaves
        self.values = values
        self.grads = np.array([_float_grad(leaf) for leaf in leaves], dtype=float)

    def write_back(self) -> None:
        """Set every leaf's ``.data`` and ``.grad`` from the arrays."""
        numbers, grads = self.values.tolist(), self.grads.tolist()
        try:
            _write(self.leaves, numbers, grads)
        except KeyboardInterrupt:
            _write(self.leaves, numbers, grads)  # all written, not half: then stop
            raise

    def release(self) -> None:
        """Write back and end the hold: runs read and write the Values again."""
        self.write_back()
        self._tape._release(self)

    def __enter__(self) -> HeldLeaves:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<HeldLeaves: {len(self.leaves):,} leaves>"


def checked_extra(extra: Sequence[Value], read: Sequence[Value]) -> list[Value]:
    """The Values of ``extra`` the tape does not read already, each once, in their order."""
    if isinstance(extra, Value) or not isinstance(extra, (list, tuple)):
        raise TypeError(f"hold(): extra must be a list of Values, got {type(extra).__name__}")
    seen = {id(leaf) for leaf in read}
    chosen = []
    for i, value in enumerate(extra):
        if not isinstance(value, Value):
            raise TypeError(f"hold(): extra[{i}] must be a Value, got {type(value).__name__}")
        if value.rule is not None:
            raise ValueError(f"hold(): extra[{i}] is made by op {value.op!r}, not a leaf")
        if id(value) not in seen:
            seen.add(id(value))
            chosen.append(value)
    return chosen


def _float_grad(leaf: Value) -> float:
    if leaf.grad is None:  # zero_grad(set_to_none=True): no gradient yet
        return 0.0
    if not isinstance(leaf.grad, (int, float)):
        raise TypeError(
            f"hold(): a leaf's .grad is a {type(leaf.grad).__name__} (made with "
            f"create_graph=True?); set it to 0.0 before holding"
        )
    return float(leaf.grad)


def _write(leaves: list[Value], numbers: list[float], grads: list[float]) -> None:
    for leaf, number, grad in zip(leaves, numbers, grads):
        leaf.data = number
        leaf.grad = grad

"""A variadic op's inputs for a group of nodes, as compiled replay hands them to its array rules."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np


class Positions(Sequence):
    """A variadic op's inputs for a group of nodes: ``xs[i]`` is input i of every node, an array.

    Built from blocks of consecutive positions, each shaped (positions, nodes, samples), where
    a block read alike by every node (or the same for every sample) has size 1 on that axis.
    ``xs[a:b]`` inside one block is a view of it; across blocks, the pieces are broadcast and
    joined. Iterating gives one input at a time, so a scalar rule such as ``sum(xs)`` works too.
    """

    def __init__(self, starts: Sequence[int], blocks: Sequence[Any]) -> None:
        self.starts = list(starts)
        self.blocks = list(blocks)
        self.length = self.starts[-1] + len(self.blocks[-1]) if self.blocks else 0

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            start, stop, step = key.indices(self.length)
            if step != 1:
                return np.stack(np.broadcast_arrays(*(self[i] for i in range(start, stop, step))))
            return self._range(start, max(start, stop))
        index = key.__index__()
        if index < 0:
            index += self.length
        if not 0 <= index < self.length:
            raise IndexError(f"input {key} out of range for {self.length} inputs")
        block = self._block_of(index)
        return self.blocks[block][index - self.starts[block]]

    def __iter__(self) -> Iterator[Any]:
        for block in self.blocks:
            yield from block

    def _block_of(self, index: int) -> int:
        block = 0
        while block + 1 < len(self.starts) and self.starts[block + 1] <= index:
            block += 1
        return block

    def _range(self, start: int, stop: int) -> Any:
        pieces = []
        for begin, block in zip(self.starts, self.blocks):
            low, high = max(start, begin), min(stop, begin + len(block))
            if low < high:
                pieces.append(block[low - begin:high - begin])
        if len(pieces) == 1:
            return pieces[0]
        if not pieces:
            return np.empty((0, 1, 1))
        nodes = max(piece.shape[1] for piece in pieces)
        samples = max(piece.shape[2] for piece in pieces)
        return np.concatenate(
            [np.broadcast_to(p, (len(p), nodes, samples)) for p in pieces], axis=0
        )

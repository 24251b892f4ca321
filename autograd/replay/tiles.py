"""Tiled reads: a group whose inputs repeat one block of the store, read as broadcast views.

In a layer written the lecture's way, ``w * a`` has one node per (sample, neuron, input): the
weight read is the layer's block of weights again for every sample, the activation read is
each sample's activations again for every neuron. Gathering those by index copies every
number once per node; seen as the shape (samples, neurons, inputs), each read is a strided view
of the store with a broadcast axis (size 1) where it repeats, and NumPy's broadcasting does the
repeating. Backward then sums each contribution over its broadcast axes and adds it through the
same view of the gradients: no gather, no scatter by index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_AXES = 4  # patterns of more axes than this are gathered by index, as before
# Smaller groups gather by index: as quick there, the views and einsum having a fixed cost
# (measured on the lecture-style moons graph: 1,600 products took 14 us tiled, 9 us gathered,
# forward and backward; 25,600 took 70 us tiled, 140 us gathered).
MIN_NODES = 4096


@dataclass(frozen=True)
class TiledRead:
    """One input of the group: the slots ``start + Σ i_k * strides[k]`` over ``shape`` (the
    group's shape with 1 on the axes along which the read repeats), all different."""

    start: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]  # in slots, >= 0


@dataclass(frozen=True)
class Tiles:
    """A group's nodes laid out as ``shape`` (C order), and how each of its inputs is read."""

    shape: tuple[int, ...]
    reads: tuple[TiledRead, ...]


def tiles_for(indexes: list[np.ndarray]) -> Tiles | None:
    """How a group reads its inputs, given each input's slots (one per node), if every input
    is a tiled read of one common shape; None otherwise (gather by index)."""
    if len(indexes[0]) < MIN_NODES:
        return None
    patterns = [_pattern(index) for index in indexes]
    if any(p is None for p in patterns):
        return None
    nodes = len(indexes[0])
    shape = _common_shape([p[0] for p in patterns if p is not None], nodes)
    if shape is None or len(shape) > MAX_AXES:
        return None
    reads = []
    for index in indexes:
        read = _read(index, shape)
        if read is None:
            return None
        reads.append(read)
    return Tiles(shape, tuple(reads))


def _pattern(flat: np.ndarray) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """(shape, strides) such that ``flat`` is ``flat[0] + Σ i_k * strides[k]`` over ``shape`` in
    C order, found axis by axis from the innermost; None if there is no such pattern."""
    n = len(flat)
    sizes: list[int] = []
    strides: list[int] = []
    block = 1
    while block < n:
        if len(sizes) == MAX_AXES:
            return None
        heads = flat[::block]  # the first slot of each block found so far
        step = int(heads[1] - heads[0])
        breaks = np.flatnonzero(np.diff(heads) != step)
        count = int(breaks[0]) + 1 if len(breaks) else len(heads)
        if (n // block) % count:
            return None
        sizes.append(count)
        strides.append(step)
        block *= count
    shape, steps = tuple(reversed(sizes)), tuple(reversed(strides))
    if not np.array_equal(_slots(int(flat[0]), shape, steps), flat):
        return None
    return shape, steps


def _slots(start: int, shape: tuple[int, ...], strides: tuple[int, ...]) -> np.ndarray:
    grid = np.full(shape, start, dtype=np.intp)
    for axis, (size, stride) in enumerate(zip(shape, strides)):
        along = [1] * len(shape)
        along[axis] = size
        grid = grid + (np.arange(size) * stride).reshape(along)
    return grid.ravel()


def _common_shape(shapes: list[tuple[int, ...]], nodes: int) -> tuple[int, ...] | None:
    """The coarsest shape that splits each of ``shapes``'s axes (their block sizes, counted from
    the innermost axis, all together); None if those blocks do not nest."""
    blocks = sorted({math.prod(shape[k:]) for shape in shapes for k in range(len(shape))} | {1})
    blocks = [b for b in blocks if b <= nodes]
    if blocks[-1] != nodes:
        blocks.append(nodes)
    sizes = []
    for inner, outer in zip(blocks, blocks[1:]):
        if outer % inner:
            return None
        sizes.append(outer // inner)
    return tuple(reversed(sizes)) or (1,)


def _read(flat: np.ndarray, shape: tuple[int, ...]) -> TiledRead | None:
    """``flat`` as a strided view in ``shape``, 1 on the axes where it repeats, if it is one."""
    grid = flat.reshape(shape)
    view, strides = [], []
    for axis in range(len(shape)):
        steps = np.diff(grid, axis=axis)
        stride = int(steps.flat[0]) if steps.size else 0
        if steps.size and not np.all(steps == stride):
            return None
        if stride == 0:  # repeats (or has one element): read once, broadcast
            grid = np.take(grid, [0], axis=axis)
        view.append(grid.shape[axis])
        strides.append(stride)
    if min(strides) < 0 or len(np.unique(grid)) != grid.size:
        return None  # (a slot twice in the view would be added to twice at once: gather)
    return TiledRead(int(flat[0]), tuple(view), tuple(strides))

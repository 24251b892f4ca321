"""Running one group of a tape: nodes of one op at one level, as a few NumPy operations.

Numbers live in two stores: ``unbatched`` (slots x 1: parameters, constants and what depends
only on them) and ``batched`` (slots x samples: the inputs and what depends on them). A group's
nodes read their inputs through *runs*: consecutive input positions read alike, gathered as one
array shaped (positions, nodes, samples), where a run every node reads the same has size 1 on
the nodes axis and an unbatched run size 1 on the samples axis. Broadcasting then does the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd.replay.positions import Positions
from autograd.replay.tiles import TiledRead, Tiles


@dataclass
class Run:
    """Input positions ``start:stop`` of a group, whose parents are read alike."""

    start: int
    stop: int
    batched: bool  # the parents live in the batched store
    shared: bool  # every node of the group reads the same parent at each of these positions
    index: np.ndarray  # the parents' slots: (positions,) if shared, else (positions, nodes)
    first: int | None  # index is first, first + 1, ... in order: read a slice, not a gather
    inputs_only: bool = False  # every parent is an input of the batch (gradients optional)
    # index.T is by_node, by_node + 1, ... in order (each node's inputs one after another): a
    # slice read node by node
    by_node: int | None = None
    scatters: dict[tuple[int, int], Scatter] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.size = self.index.size
        self.flat = self.index.ravel()
        # A run of one position adds its gradients in one go (a variadic op's runs add them
        # piece by piece, as its partials come in blocks: see Run.scatters).
        self.scatter = Scatter(self.index, self.shared) if self.stop - self.start == 1 else None


@dataclass
class Group:
    """Nodes of one op, at one level, with the same number of inputs read the same way."""

    rules: Any  # ArrayRules
    level: int
    batched: bool
    start: int  # the nodes' output slots are start:stop
    stop: int
    width: int  # inputs per node
    runs: list[Run]
    tiles: Tiles | None = None  # the inputs read as broadcast views (tiles.py), not gathered


def gather(run: Run, unbatched: np.ndarray, batched: np.ndarray) -> np.ndarray:
    """The run's inputs: (positions, nodes or 1, samples or 1)."""
    store = batched if run.batched else unbatched
    positions = run.stop - run.start
    if run.first is not None:
        rows = store[run.first:run.first + run.index.size]
        return rows.reshape(positions, -1, store.shape[1])
    if run.by_node is not None:
        rows = store[run.by_node:run.by_node + run.size]
        return rows.reshape(-1, positions, store.shape[1]).transpose(1, 0, 2)
    if run.shared:
        return take(store, run.index)[:, None, :]
    return take(store, run.index)


def take(store: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``store[index]``: rows of a store, several times faster than indexing with an array."""
    return np.take(store, index, axis=0)


def forward(group: Group, unbatched: np.ndarray, batched: np.ndarray) -> Any:
    """Compute the group's outputs into their slots; returns its inputs, for ``backward``."""
    rules = group.rules
    store = batched if group.batched else unbatched
    if group.tiles is not None:
        views = [
            tiled_view(batched if run.batched else unbatched, read)
            for run, read in zip(group.runs, group.tiles.reads)
        ]
        out = rules.forward(*views)
        np.copyto(store[group.start:group.stop].reshape(group.tiles.shape + (-1,)), out)
        return views
    if rules.variadic:
        blocks = [gather(run, unbatched, batched) for run in group.runs]
        args: Any = Positions([run.start for run in group.runs], blocks)
        out = rules.forward(args)
    else:
        # One position per run: each input is a slice of a store or one gather, (nodes, samples).
        args = [
            (batched if run.batched else unbatched)[run.first:run.first + run.size]
            if run.first is not None
            else take(batched if run.batched else unbatched, run.flat)
            for run in group.runs
        ]
        out = rules.forward(*args)
    np.copyto(store[group.start:group.stop], out)
    return args


def tiled_view(store: np.ndarray, read: TiledRead) -> np.ndarray:
    """The read's slots of the store as a view in the group's shape (1 where it repeats),
    samples last. ``store`` is C-contiguous: a row of it is a slot."""
    row = store.strides[0]
    return np.ndarray(
        read.shape + (store.shape[1],), float, store, read.start * row,
        tuple(stride * row for stride in read.strides) + (store.strides[1],),
    )


def backward(
    group: Group,
    args: Any,
    stores: tuple[np.ndarray, np.ndarray],
    grads: tuple[np.ndarray, np.ndarray],
    input_grads: bool = True,
) -> None:
    """Add the group's contributions to its inputs' gradients (``grads``: unbatched, batched);
    without ``input_grads``, not to the batch's inputs."""
    rules = group.rules
    out = stores[group.batched][group.start:group.stop]
    upstream = grads[group.batched][group.start:group.stop]
    if group.tiles is not None:
        shape = group.tiles.shape + (out.shape[1],)
        _backward_tiled(group, args, out.reshape(shape), upstream.reshape(shape), grads,
                        input_grads)
        return
    if not rules.variadic:
        backward_rules = rules.backward or (None,) * len(rules.partials)
        for run, partial, backward_rule in zip(group.runs, rules.partials, backward_rules):
            if run.inputs_only and not input_grads:
                continue
            if backward_rule is not None:
                contribution = backward_rule(upstream, *args, out)
            elif callable(partial):
                contribution = upstream * partial(*args, out)
            else:
                contribution = upstream if partial == 1.0 else upstream * partial
            if run.shared and contribution.shape[0] > 1:
                contribution = contribution.sum(axis=0, keepdims=True)
            if not run.batched and contribution.shape[1] > 1:
                contribution = contribution.sum(axis=1, keepdims=True)
            scatter = run.scatter
            assert scatter is not None  # a run of this kind always has one
            scatter.add_rows(grads[run.batched], contribution)
        return
    if rules.chain:
        _backward_chain(group, upstream, grads, input_grads)
        return
    blocks = partial_blocks(rules.all_partials(args, out), group.width)
    for start, block in blocks:
        stop = start + len(block)
        for run in group.runs:
            low, high = max(start, run.start), min(stop, run.stop)
            if low >= high or (run.inputs_only and not input_grads):
                continue
            piece = block[low - start:high - start]
            keep_samples = run.batched or not group.batched
            contribution = contributions(piece, upstream, not run.shared, keep_samples)
            _scatter_plan(run, low, high).add(grads[run.batched], contribution)


def _backward_chain(
    group: Group, upstream: np.ndarray, grads: tuple[np.ndarray, np.ndarray], input_grads: bool
) -> None:
    """``backward`` for a chain of additions: every partial is 1, so each input's contribution
    is the upstream gradient itself (summed as ``contributions`` sums it for a run read by every
    node or every sample), with no product by ones."""
    for run in group.runs:
        if run.inputs_only and not input_grads:
            continue
        g = upstream
        if group.batched and not run.batched and g.shape[1] > 1:
            g = g.sum(axis=1, keepdims=True)
        if run.shared and g.shape[0] > 1:
            g = g.sum(axis=0, keepdims=True)
        contribution = np.broadcast_to(g[None], (run.stop - run.start,) + g.shape)
        _scatter_plan(run, run.start, run.stop).add(grads[run.batched], contribution)


def _backward_tiled(
    group: Group, args: list[np.ndarray], out: np.ndarray, upstream: np.ndarray,
    grads: tuple[np.ndarray, np.ndarray], input_grads: bool,
) -> None:
    """``backward`` for a group read through tiled views: each contribution is summed over the
    axes along which its input repeats (and over the samples for an unbatched input), then
    added through the input's view of the gradients."""
    assert group.tiles is not None
    rules = group.rules
    backward_rules = rules.backward or (None,) * len(rules.partials)
    for run, read, partial, backward_rule in zip(
        group.runs, group.tiles.reads, rules.partials, backward_rules
    ):
        if run.inputs_only and not input_grads:
            continue
        target = tiled_view(grads[run.batched], read)
        kept = [size == 1 or mine > 1 for size, mine in zip(upstream.shape, target.shape)]
        if backward_rule is not None:
            contribution = np.broadcast_to(backward_rule(upstream, *args, out), upstream.shape)
            target += _sum_of_product(contribution, None, kept).reshape(target.shape)
            continue
        factor = partial(*args, out) if callable(partial) else partial
        if np.ndim(factor) < upstream.ndim:  # a number: one factor for every element
            contribution = upstream if factor == 1.0 else upstream * factor
            target += _sum_of_product(contribution, None, kept).reshape(target.shape)
        else:
            target += _sum_of_product(upstream, factor, kept).reshape(target.shape)


AXES = "abcdefgh"


def _sum_of_product(array: np.ndarray, factor: np.ndarray | None, kept: list[bool]) -> Any:
    """Σ of ``array * factor`` over the axes not kept (``factor`` broadcasts against ``array``,
    size 1 where it repeats), as one einsum: no full-size product, no strided reduction."""
    if all(kept):
        return array if factor is None else array * factor
    axes = AXES[:array.ndim]
    result = "".join(axis for axis, keep in zip(axes, kept) if keep)
    if factor is None:
        return np.einsum(f"{axes}->{result}", array)
    factor_axes = "".join(axis for axis, size in zip(axes, factor.shape) if size != 1)
    factor = factor.reshape([size for size in factor.shape if size != 1])
    return np.einsum(f"{axes},{factor_axes}->{result}", array, factor)


def partial_blocks(result: Any, width: int) -> list[tuple[int, np.ndarray]]:
    """A variadic op's partials as (first position, block shaped (positions, nodes, samples)).

    A rule returns a sequence whose items are blocks (3-D arrays, several positions) or single
    positions (numbers, 2-D arrays); neighbouring single positions are stacked into one block.
    """
    if isinstance(result, np.ndarray) and result.ndim == 3:
        result = [result]
    blocks: list[tuple[int, np.ndarray]] = []
    singles: list[Any] = []
    position = 0

    def flush() -> None:
        if singles:
            stacked = np.stack(np.broadcast_arrays(*(_as_2d(s) for s in singles)))
            blocks.append((position - len(singles), stacked))
            singles.clear()

    for item in result:
        if np.ndim(item) == 3:
            flush()
            blocks.append((position, item))
            position += len(item)
        else:
            singles.append(item)
            position += 1
    flush()
    if position != width:
        raise ValueError(f"partials for {position} inputs, but the node has {width}")
    return blocks


def _as_2d(x: Any) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return x.reshape(1, 1) if x.ndim == 0 else x if x.ndim == 2 else x.reshape(1, -1)


def contributions(
    partial: np.ndarray, upstream: np.ndarray, keep_nodes: bool, keep_samples: bool
) -> np.ndarray:
    """Σ of upstream · partial over the axes not kept: (positions, nodes or 1, samples or 1).

    ``partial`` is (positions, nodes or 1, samples or 1), ``upstream`` (nodes, samples or 1).
    The two sums a neuron layer needs, Σ over samples for its weights and Σ over its neurons
    for its inputs, are matrix products.
    """
    g = upstream
    if not keep_samples and g.shape[1] > 1 and partial.shape[2] == 1:
        g = g.sum(axis=1, keepdims=True)
    if not keep_nodes and g.shape[0] > 1 and partial.shape[1] == 1:
        g = g.sum(axis=0, keepdims=True)
    over_samples = not keep_samples and partial.shape[2] > 1
    over_nodes = not keep_nodes and partial.shape[1] > 1
    if not over_samples and not over_nodes:
        return partial * g
    if over_samples and not over_nodes:
        if partial.shape[1] == 1:
            return (partial[:, 0, :] @ g.T)[:, :, None]
        return np.einsum("ijb,jb->ij", partial, g)[:, :, None]
    if over_nodes and not over_samples:
        if partial.shape[2] == 1:
            return (partial[:, :, 0] @ g)[:, None, :]
        return np.einsum("ijb,jb->ib", partial, g)[:, None, :]
    return np.einsum("ijb,jb->i", partial, g)[:, None, None]


class Scatter:
    """Adds contributions into gradient slots: a slice, a unique gather, or sums by slot."""

    def __init__(self, index: np.ndarray, shared: bool) -> None:
        self.shared = shared
        self.shape = index.shape
        flat = index.ravel()
        self.size = flat.size
        self.first: int | None = None
        self.slots = flat
        self.inverse = self.order = self.starts = None
        self.by_node: int | None = None  # as Run.by_node
        if flat.size and np.array_equal(flat, np.arange(flat[0], flat[0] + flat.size)):
            self.first = int(flat[0])
            return
        node_by_node = index.T.ravel()
        if index.ndim == 2 and flat.size and np.array_equal(
            node_by_node, np.arange(node_by_node[0], node_by_node[0] + flat.size)
        ):
            self.by_node = int(node_by_node[0])
            return
        slots, inverse = np.unique(flat, return_inverse=True)
        if len(slots) < flat.size:
            # A slot read more than once (x * x, a weight used for every sample): its
            # contributions are summed first, by bincount (one column) or sorted sums.
            self.slots, self.inverse = slots, inverse.ravel()
            self.order = np.argsort(self.inverse, kind="stable")
            self.starts = np.flatnonzero(np.r_[True, np.diff(self.inverse[self.order]) != 0])

    def add_rows(self, grads: np.ndarray, contribution: np.ndarray) -> None:
        """Add (slots, samples or 1) contributions, for a run of one position."""
        if self.first is not None:
            grads[self.first:self.first + self.size] += contribution
        elif self.inverse is None:
            _add_at_unique(grads, self.slots, contribution)
        else:
            self.add(grads, contribution[None])

    def add(self, grads: np.ndarray, contribution: np.ndarray) -> None:
        columns = grads.shape[1]
        if self.shared:
            contribution = contribution[:, 0, :]
        shape = self.shape + (columns,)
        if contribution.shape != shape:
            contribution = np.broadcast_to(contribution, shape)
        if self.by_node is not None:
            positions, nodes = self.shape
            rows = grads[self.by_node:self.by_node + self.size].reshape(nodes, positions, columns)
            rows += contribution.transpose(1, 0, 2)
            return
        flat = contribution.reshape(-1, columns)
        if self.first is not None:
            grads[self.first:self.first + len(flat)] += flat
        elif self.inverse is None:
            _add_at_unique(grads, self.slots, flat)
        elif columns == 1:
            column = grads[:, 0]  # a 1-D view: adding at many slots is twice as fast
            column[self.slots] += np.bincount(
                self.inverse, weights=flat[:, 0], minlength=len(self.slots)
            )
        else:
            assert self.starts is not None  # set whenever rows repeat
            grads[self.slots] += np.add.reduceat(flat[self.order], self.starts, axis=0)


def _add_at_unique(grads: np.ndarray, slots: np.ndarray, rows: np.ndarray) -> None:
    """``grads[slots] += rows`` for slots that are all different."""
    if grads.shape[1] == 1 and rows.shape[1] == 1:  # the same on one column, twice as fast
        column = grads[:, 0]
        column[slots] += rows[:, 0]
    else:
        grads[slots] += rows


def _scatter_plan(run: Run, low: int, high: int) -> Scatter:
    key = (low, high)
    plan = run.scatters.get(key)
    if plan is None:
        plan = run.scatters[key] = Scatter(run.index[low - run.start:high - run.start], run.shared)
    return plan

"""Recording a graph for compiled replay: its nodes grouped by level and op into index arrays.

A node's level is the longest path from the leaves to it, so the nodes of one level depend only
on lower levels, and all the nodes of one op at one level (with as many inputs, read the same
way) are computed by one NumPy kernel. Nothing of the graph is kept but numbers, index arrays
and weak references to the leaves.
"""

from __future__ import annotations

import sys
import weakref
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter

import numpy as np

from autograd.backward import topological_order
from autograd.op import Op
from autograd.replay.array_rules import ArrayRules, array_rules, check_on_graph
from autograd.replay.kernels import Group, Run
from autograd.value import Value


@dataclass
class Leaves:
    """Leaves of one kind: their weak references and their slots in the unbatched store."""

    refs: list[weakref.ref]
    slots: np.ndarray
    values: np.ndarray  # their numbers when the graph was compiled
    labels: list[str]


@dataclass
class Recording:
    """Everything a tape needs to replay a graph."""

    groups: list[Group]
    unbatched_size: int
    batched_size: int
    read: Leaves  # referred to from outside the graph: read on every run, must still exist
    owned: Leaves  # only the graph referred to them (constants): frozen at their values
    inputs: list[weakref.ref]  # the batch's columns: batched slots 0, 1, ...
    outputs: list[tuple[bool, int]]  # (batched, slot) of each output
    output_refs: list[weakref.ref]
    node_count: int
    depth: int


def record(outputs: Sequence[Value], inputs: Sequence[Value]) -> Recording:
    """Group the graph under ``outputs``; ``inputs`` are the leaves a batch gives per sample."""
    nodes = _collect(outputs, inputs)
    held = _held_elsewhere(nodes, [i for i, node in enumerate(nodes) if node.rule is None])
    index = {node: i for i, node in enumerate(nodes)}
    levels = _Levels(nodes, index, inputs)
    rules = {op: array_rules(op) for op in levels.examples}
    for op, some_nodes in levels.examples.items():
        check_on_graph(rules[op], some_nodes)

    keys = sorted(levels.members, key=lambda key: (key[0], levels.members[key][0]))
    is_batched = np.array(levels.batched, dtype=bool)
    is_leaf = np.array([node.rule is None for node in nodes], dtype=bool)
    parent_arrays = [
        np.array([levels.parents[i] for i in levels.members[key]], dtype=np.intp).T
        for key in keys
    ]
    slots = np.full(len(nodes), -1, dtype=np.intp)
    slots[[index[x] for x in inputs]] = np.arange(len(inputs))
    unbatched_leaves = _leaves_in_order_of_use(parent_arrays, is_leaf & ~is_batched, len(nodes))
    slots[unbatched_leaves] = np.arange(len(unbatched_leaves))
    sizes = [len(unbatched_leaves), len(inputs)]  # slots taken in each store so far
    groups = []
    for key, parents in zip(keys, parent_arrays):  # a group's outputs take consecutive slots
        level, op, width, signature = key
        members = levels.members[key]
        store = signature is not None
        start = sizes[store]
        sizes[store] += len(members)
        slots[members] = np.arange(start, sizes[store])
        groups.append(Group(rules[op], level, store, start, sizes[store], width,
                            _runs(parents, slots, is_batched, rules[op])))
    # Read and written in creation order, which is mostly the order in memory: far fewer cache
    # misses than slot order over a model's 200,000 parameters.
    read_leaves = sorted(i for i in unbatched_leaves.tolist() if held[i])
    owned_leaves = sorted(i for i in unbatched_leaves.tolist() if not held[i])
    return Recording(
        groups=groups,
        unbatched_size=sizes[0],
        batched_size=sizes[1],
        read=_leaves(nodes, read_leaves, slots),
        owned=_leaves(nodes, owned_leaves, slots),
        inputs=[weakref.ref(x) for x in inputs],
        outputs=[(levels.batched[index[out]], int(slots[index[out]])) for out in outputs],
        output_refs=[weakref.ref(out) for out in outputs],
        node_count=len(nodes),
        depth=max(levels.level),
    )


class _Levels:
    """Each node's level, whether it depends on the inputs (is batched), its parents' indices,
    and the nodes of each group: key (level, op, inputs per node, which inputs are batched)."""

    def __init__(self, nodes: list[Value], index: dict[Value, int], inputs: Sequence[Value]):
        self.level = [0] * len(nodes)
        self.batched = [False] * len(nodes)
        for x in inputs:
            self.batched[index[x]] = True
        self.parents: list[list[int]] = [[] for _ in nodes]
        self.members: dict[tuple, list[int]] = {}
        self.examples: dict[Op, list[Value]] = {}  # a few nodes of each op, to check its rules
        level, batched = self.level, self.batched
        for i, node in enumerate(nodes):
            op = node.rule
            if op is None:
                continue
            parents = self.parents[i] = [index[parent] for parent in node.parents]
            level[i] = 1 + max([level[p] for p in parents])
            signature = None
            if inputs and any([batched[p] for p in parents]):
                batched[i] = True
                signature = bytes([batched[p] for p in parents])
            self.members.setdefault((level[i], op, len(parents), signature), []).append(i)
            some = self.examples.setdefault(op, [])
            if len(some) < 8:
                some.append(node)


def _collect(outputs: Sequence[Value], inputs: Sequence[Value]) -> list[Value]:
    """Every node under ``outputs``, and the inputs, in topological order."""
    return topological_order(*outputs, *inputs)


_parents_of = attrgetter("parents")


def _refcounts(values: list[Value]) -> list[int]:
    return [sys.getrefcount(value) for value in values]


def _held_elsewhere(nodes: list[Value], leaves: list[int]) -> dict[int, bool]:
    """For each leaf (by index), whether something besides the graph refers to it: a model,
    a variable.

    Such a leaf is read on every run and must go on existing. A leaf only the graph refers to
    (a number wrapped as a constant, a Value made inline) can never be changed again: its value
    is frozen into the tape, and it may die with the graph.
    """
    in_graph = Counter(map(id, chain.from_iterable(map(_parents_of, nodes))))
    leaf_nodes = [nodes[i] for i in leaves]
    probe = Value(0.0)
    probe_nodes, probe_leaves = [probe], [probe]  # noqa: F841 -- held as `nodes` holds a leaf
    # A leaf is held by `nodes`, by `leaf_nodes` (given to _refcounts) and by its parents in
    # the graph; the probe by `probe`, `probe_nodes` and `probe_leaves`. The rest is elsewhere.
    own = _refcounts(probe_leaves)[0] - 1
    counts = _refcounts(leaf_nodes)
    return {
        i: count - own - in_graph[id(leaf)] > 0
        for i, leaf, count in zip(leaves, leaf_nodes, counts)
    }


def _leaves_in_order_of_use(
    parent_arrays: list[np.ndarray], wanted: np.ndarray, count: int
) -> np.ndarray:
    """Leaves in the order the groups read them, position by position, so that a neuron layer
    reads its weights as one slice of the store (and its gradients are added as one)."""
    used = [parents.ravel() for parents in parent_arrays]
    flat = np.concatenate(used + [np.arange(count)]) if used else np.arange(count)
    flat = flat[wanted[flat]]
    _, first = np.unique(flat, return_index=True)
    return flat[np.sort(first)]


def _runs(
    parents: np.ndarray, slots: np.ndarray, batched: np.ndarray, rules: ArrayRules
) -> list[Run]:
    """The group's input positions cut into runs read alike (one run per position for an op of
    fixed arity, whose rules take one array per input)."""
    width, _ = parents.shape
    parent_slots = slots[parents]
    pos_batched = batched[parents[:, 0]]
    pos_shared = np.all(parents == parents[:, :1], axis=1)
    runs = []
    start = 0
    for position in range(1, width + 1):
        if (
            position < width and rules.variadic
            and pos_batched[position] == pos_batched[start]
            and pos_shared[position] == pos_shared[start]
        ):
            continue
        shared = bool(pos_shared[start])
        index = parent_slots[start:position, 0] if shared else parent_slots[start:position]
        flat = index.ravel()
        first = None
        if np.array_equal(flat, np.arange(flat[0], flat[0] + flat.size)):
            first = int(flat[0])
        runs.append(Run(start, position, bool(pos_batched[start]), shared, index, first))
        start = position
    return runs


def _leaves(nodes: list[Value], indices: list[int], slots: np.ndarray) -> Leaves:
    values = list(map(nodes.__getitem__, indices))
    return Leaves(
        refs=list(map(weakref.ref, values)),
        slots=slots[indices] if indices else np.zeros(0, dtype=np.intp),
        values=np.fromiter(map(attrgetter("data"), values), float, len(values)),
        labels=list(map(attrgetter("label"), values)),
    )

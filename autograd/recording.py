"""Recording a graph for compiled replay: its nodes grouped by level and op into index arrays.

A node's level is the longest path from the leaves to it, so the nodes of one level depend only
on lower levels, and all the nodes of one op at one level (with as many inputs, read the same
way) are computed by one NumPy kernel. Nothing of the graph is kept but numbers, index arrays
and weak references to the leaves.
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from autograd.array_rules import ArrayRules, array_rules, check_on_graph
from autograd.kernels import Group, Run
from autograd.op import Op
from autograd.value import Value


@dataclass
class Leaves:
    """Leaves of one kind: their weak references and their slots in the unbatched store."""

    refs: list[weakref.ref]
    slots: np.ndarray
    values: np.ndarray  # their numbers when the graph was compiled


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
    nodes, graph_refs = _collect(outputs, inputs)
    held = _held_elsewhere(nodes, graph_refs)
    index = {node: i for i, node in enumerate(nodes)}
    count = len(nodes)
    input_set = set(inputs)
    level = [0] * count
    batched = [node in input_set for node in nodes]
    parents_of: list[list[int]] = [[] for _ in nodes]
    members: dict[tuple, list[int]] = {}
    examples: dict[Op, list[Value]] = {}
    for i, node in enumerate(nodes):
        op = node.rule
        if op is None:
            continue
        parents = parents_of[i] = [index[parent] for parent in node.parents]
        level[i] = 1 + max([level[p] for p in parents])
        signature = None
        if input_set and any([batched[p] for p in parents]):
            batched[i] = True
            signature = bytes([batched[p] for p in parents])
        members.setdefault((level[i], op, len(parents), signature), []).append(i)
        seen = examples.setdefault(op, [])
        if len(seen) < 8:
            seen.append(node)
    rules = {op: array_rules(op) for op in examples}
    for op, some_nodes in examples.items():
        check_on_graph(rules[op], some_nodes)

    keys = sorted(members, key=lambda key: (key[0], members[key][0]))
    is_batched = np.array(batched, dtype=bool)
    is_leaf = np.array([node.rule is None for node in nodes], dtype=bool)
    parent_arrays = [
        np.array([parents_of[i] for i in members[key]], dtype=np.intp).T for key in keys
    ]
    slots = np.full(count, -1, dtype=np.intp)
    input_indices = [index[x] for x in inputs]
    slots[input_indices] = np.arange(len(inputs))
    unbatched_leaves = _leaves_in_order_of_use(parent_arrays, is_leaf & ~is_batched, count)
    slots[unbatched_leaves] = np.arange(len(unbatched_leaves))
    sizes = [len(unbatched_leaves), len(inputs)]
    starts = []
    for key in keys:  # a group's outputs take consecutive slots
        store = key[3] is not None
        starts.append(sizes[store])
        slots[members[key]] = np.arange(sizes[store], sizes[store] + len(members[key]))
        sizes[store] += len(members[key])

    groups = [
        Group(rules[key[1]], key[0], key[3] is not None, start, start + len(members[key]),
              key[2], _runs(parents, slots, is_batched, rules[key[1]]))
        for key, start, parents in zip(keys, starts, parent_arrays)
    ]
    read_leaves = [i for i in unbatched_leaves.tolist() if held[i]]
    owned_leaves = [i for i in unbatched_leaves.tolist() if not held[i]]
    return Recording(
        groups=groups,
        unbatched_size=sizes[0],
        batched_size=sizes[1],
        read=_leaves(nodes, read_leaves, slots),
        owned=_leaves(nodes, owned_leaves, slots),
        inputs=[weakref.ref(x) for x in inputs],
        outputs=[(batched[index[out]], int(slots[index[out]])) for out in outputs],
        output_refs=[weakref.ref(out) for out in outputs],
        node_count=count,
        depth=max(level),
    )


def _collect(
    outputs: Sequence[Value], inputs: Sequence[Value]
) -> tuple[list[Value], dict[int, int]]:
    """Every node under ``outputs`` (and the inputs) in creation order, which is topological;
    and how many times each node appears among the graph's parents (by id, holding nothing)."""
    seen = set(outputs)
    nodes = list(seen)
    graph_refs: dict[int, int] = {}
    for node in nodes:  # grows while walked: breadth first, no recursion
        for parent in node.parents:
            graph_refs[id(parent)] = graph_refs.get(id(parent), 0) + 1
            if parent not in seen:
                seen.add(parent)
                nodes.append(parent)
    nodes.extend(x for x in inputs if x not in seen)
    nodes.sort(key=_creation_order)
    return nodes, graph_refs


def _creation_order(node: Value) -> int:
    return node._order


def _refcounts(values: list[Value]) -> list[int]:
    return [sys.getrefcount(value) for value in values]


def _held_elsewhere(nodes: list[Value], graph_refs: dict[int, int]) -> list[bool]:
    """For each leaf, whether something besides the graph refers to it (a model, a variable).

    Such a leaf is read on every run and must go on existing. A leaf only the graph refers to
    (a number wrapped as a constant, a Value made inline) can never be changed again: its value
    is frozen into the tape, and it may die with the graph.
    """
    probe = Value(0.0)
    probe_holders = [probe]
    # The probe is held by `probe` and by `probe_holders`, the list given to _refcounts; a leaf
    # by `nodes`, the list given, and by its parents in the graph. The rest is held elsewhere.
    own = _refcounts(probe_holders)[0] - 1
    counts = _refcounts(nodes)
    return [
        node.rule is None and count - own - graph_refs.get(id(node), 0) > 0
        for node, count in zip(nodes, counts)
    ]


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
    return Leaves(
        refs=[weakref.ref(nodes[i]) for i in indices],
        slots=slots[indices] if indices else np.zeros(0, dtype=np.intp),
        values=np.array([nodes[i].data for i in indices], dtype=float),
    )

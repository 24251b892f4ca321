"""Recording a graph for compiled replay: its nodes grouped by level and op into index arrays.

A node's level is the longest path from the leaves to it, so the nodes of one level depend only
on lower levels, and all the nodes of one op at one level (with as many inputs, read the same
way) are computed by one NumPy kernel. A chain of additions, each the left input of the next and
used nowhere else (what Python's ``sum`` and a running ``total = total + w * x`` build), is
recorded as one node with all the chain's inputs: one kernel instead of one per addition, the
same additions in the same order (``array_rules.chain_rules``).

The graph is read once, node by node, into index arrays; grouping is done by NumPy on those.
Nothing of the graph is kept but numbers, index arrays and weak references to the leaves.
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np

from autograd.backward import topological_order
from autograd.op import Op
from autograd.ops import add, div, mul, sub
from autograd.replay.array_rules import ArrayRules, array_rules, chain_rules, check_on_graph
from autograd.replay.errors import CompileError
from autograd.replay.kernels import Group, Run
from autograd.replay.tiles import Tiles, tiles_for
from autograd.value import Value

ADD = add.op
# Ops whose array rules are elementwise on arrays of any shape, so that they may be given
# tiled views (tiles.py): arithmetic. A user's rules are tried on (nodes, samples) arrays only.
ELEMENTWISE = frozenset({add.op, sub.op, mul.op, div.op})


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
    graph = _Graph(outputs, inputs)
    _refuse_hand_written(graph.ops)
    for code, op in enumerate(graph.ops):
        examples = np.flatnonzero(graph.codes == code)[:8]
        check_on_graph(array_rules(op), [graph.nodes[i] for i in examples.tolist()])
    held = _held_elsewhere(graph)
    _join_add_chains(graph)
    level, batched = _levels(graph)
    groups_found = _group(graph, level, batched)

    nodes = graph.nodes
    is_batched = batched
    is_leaf = graph.codes < 0
    parent_arrays = [parents for _, _, _, parents in groups_found]
    slots = np.full(len(nodes), -1, dtype=np.intp)
    slots[graph.input_indices] = np.arange(len(inputs))
    # Leaves read on every run take the first slots, so that while a tape holds them in an
    # array (Tape.hold) they are one slice of the store.
    in_use = _leaves_in_order_of_use(parent_arrays, is_leaf & ~is_batched, len(nodes))
    read_first = np.concatenate([in_use[held[in_use]], in_use[~held[in_use]]])
    slots[read_first] = np.arange(len(read_first))
    sizes = [len(read_first), len(inputs)]  # slots taken in each store so far
    groups = []
    for level_of_group, code, members, parents in groups_found:
        op = graph.ops[code]
        width = len(parents)
        store = bool(is_batched[members[0]])
        start = sizes[store]
        sizes[store] += len(members)
        slots[members] = np.arange(start, sizes[store])
        rules = chain_rules(op) if op is ADD and width > 2 else array_rules(op)
        runs = _runs(parents, slots, is_batched, rules, len(inputs))
        tiles = _tiles(runs, len(members)) if op in ELEMENTWISE and not rules.variadic else None
        groups.append(Group(rules, level_of_group, store, start, sizes[store], width, runs,
                            tiles))
    # Read and written in creation order, which is mostly the order in memory: far fewer cache
    # misses than slot order over a model's 200,000 parameters.
    leaves = np.sort(read_first)
    read_leaves = leaves[held[leaves]].tolist()
    owned_leaves = leaves[~held[leaves]].tolist()
    out_indices = graph.output_indices.tolist()
    return Recording(
        groups=groups,
        unbatched_size=sizes[0],
        batched_size=sizes[1],
        read=_leaves(nodes, read_leaves, slots),
        owned=_leaves(nodes, owned_leaves, slots),
        inputs=[weakref.ref(x) for x in inputs],
        outputs=[(bool(is_batched[i]), int(slots[i])) for i in out_indices],
        output_refs=[weakref.ref(out) for out in outputs],
        node_count=len(nodes),
        depth=int(level.max()),
    )


def _all_inputs(nodes: list[Value]) -> tuple[list[Value], list[int]]:
    """Every node's inputs, one node after another, and how many each node has.

    The plain rule: ``node.parents`` for every node. Written out below for speed, reading the
    slots behind that property (value.py: ``_in0``, ``_in1``, or a tuple in ``_in0``) without
    making a tuple per node, as backward.topological_order does.
    """
    inputs: list[Value] = []
    widths: list[int] = []
    add_one, add_all, add_width = inputs.append, inputs.extend, widths.append
    for node in nodes:
        first = node._in0
        if first is None:  # a leaf
            add_width(0)
        elif first.__class__ is tuple:  # three or more inputs
            add_all(first)
            add_width(len(first))
        else:
            add_one(first)
            second = node._in1
            if second is None:
                add_width(1)
            else:
                add_one(second)
                add_width(2)
    return inputs, widths


_rule_of = attrgetter("rule")


def _refuse_hand_written(ops: Iterable[Op]) -> None:
    for op in ops:
        if op.hand_written:
            raise CompileError(
                f"a node of op {op.name!r} has a hand-written _backward, a function on one "
                f"node's floats that cannot be replayed on arrays: declare the op with "
                f"autograd.define_op({op.name!r}, forward, *partials) and build the node with what "
                f"it returns, or run this graph without compile"
            )


class _Graph:
    """The graph as index arrays: node i is ``nodes[i]`` (inputs before the nodes made from
    them), its op ``ops[codes[i]]`` (code -1: a leaf), its inputs the indices
    ``parents[starts[i]:starts[i] + widths[i]]``."""

    def __init__(self, outputs: Sequence[Value], inputs: Sequence[Value]) -> None:
        nodes = topological_order(*outputs, *inputs)
        count = len(nodes)
        index = dict(zip(nodes, range(count)))
        inputs_of, widths = _all_inputs(nodes)
        self.widths = np.array(widths, dtype=np.intp)
        self.parents = np.fromiter(map(index.__getitem__, inputs_of), np.intp, len(inputs_of))
        self.starts = np.cumsum(self.widths) - self.widths
        rules = list(map(_rule_of, nodes))
        self.ops: list[Op] = [op for op in dict.fromkeys(rules) if op is not None]
        code_of: dict[Op | None, int] = {op: code for code, op in enumerate(self.ops)}
        code_of[None] = -1
        self.codes = np.fromiter(map(code_of.__getitem__, rules), np.intp, count)
        self.output_indices = np.array([index[out] for out in outputs], dtype=np.intp)
        self.input_indices = np.array([index[x] for x in inputs], dtype=np.intp)
        self.uses = np.bincount(self.parents, minlength=count)  # inputs of how many nodes
        self.nodes = nodes
        self.joined = np.zeros(count, dtype=bool)  # additions recorded as part of a chain


def _join_add_chains(graph: _Graph) -> None:
    """Record each chain of additions as its last addition, taking all the chain's inputs.

    An addition joins the next one when it is that one's left input and nothing else's (and not
    an output): ``((a + b) + c) + d`` becomes one node with inputs a, b, c, d. Only the left
    input: ``a + (b + c)`` adds in another order, and stays as it is.
    """
    if ADD not in graph.ops:
        return
    add_code = graph.ops.index(ADD)
    codes, widths, parents, starts = graph.codes, graph.widths, graph.parents, graph.starts
    additions = np.flatnonzero((codes == add_code) & (widths == 2))
    lefts = parents[starts[additions]]
    outputs = np.zeros(len(codes), dtype=bool)
    outputs[graph.output_indices] = True
    joins = (codes[lefts] == add_code) & (widths[lefts] == 2) & (graph.uses[lefts] == 1)
    joins &= ~outputs[lefts]
    joined, consumers = lefts[joins], additions[joins]
    if not len(joined):
        return
    # The chain each addition belongs to, named by its last addition: follow "consumed by"
    # links, doubling the distance covered at every round.
    last = np.arange(len(codes))
    last[joined] = consumers
    while True:
        further = last[last]
        if np.array_equal(further, last):
            break
        last = further
    members = np.union1d(joined, consumers)
    heads = last[members]
    order = np.lexsort((members, heads))  # chain by chain, each from its first addition on
    members, heads = members[order], heads[order]
    firsts = np.flatnonzero(np.r_[True, heads[1:] != heads[:-1]])
    heads = heads[firsts]
    # A chain's inputs: its first addition's left input, then every addition's right input.
    rights, first_lefts = parents[starts[members] + 1], parents[starts[members[firsts]]]
    chain_parents = np.insert(rights, firsts, first_lefts)
    new_widths = widths.copy()
    new_widths[joined] = 0
    new_widths[heads] = np.diff(np.r_[firsts, len(members)]) + 1
    source = starts.copy()
    source[heads] = len(parents) + firsts + np.arange(len(firsts))
    new_starts = np.cumsum(new_widths) - new_widths
    graph.parents = np.concatenate([parents, chain_parents])[_segments(source, new_widths)]
    graph.widths, graph.starts = new_widths, new_starts
    graph.joined[joined] = True


ROUNDS = 64  # rounds of NumPy before a deeper graph is finished node by node


def _levels(graph: _Graph) -> tuple[np.ndarray, np.ndarray]:
    """Each node's level (0 for leaves), and whether it depends on the inputs (is batched).

    By rounds: every node takes 1 + the highest level among its inputs (the nodes of as many
    inputs together: a few operations on long arrays), until nothing changes, which takes at
    most as many rounds as the graph is deep. Past ROUNDS (a long chain of ops, one node per
    level) the levels are found node by node in Python instead.
    """
    count = len(graph.nodes)
    made = np.flatnonzero((graph.codes >= 0) & ~graph.joined)
    level = np.zeros(count, dtype=np.intp)
    batched = np.zeros(count, dtype=bool)
    batched[graph.input_indices] = True
    level[made] = 1
    # `parents` holds the inputs of the nodes kept, one after another; joined nodes and leaves
    # have none, and a node of a variadic op may have none.
    some = made[graph.widths[made] > 0]
    has_inputs = len(graph.input_indices) > 0
    by_width = _inputs_by_width(graph, some)
    for _ in range(ROUNDS):
        changed = False
        for nodes, inputs in by_width:
            highest = _across(np.maximum, level, inputs)
            if has_inputs:
                batched[nodes] = _across(np.logical_or, batched, inputs)
            if not np.array_equal(level[nodes], highest + 1):
                level[nodes] = highest + 1
                changed = True
        if not changed:
            return level, batched
    _levels_one_by_one(graph, made, level, batched)
    return level, batched


def _inputs_by_width(graph: _Graph, nodes: np.ndarray) -> list[tuple[np.ndarray, list]]:
    """The nodes by number of inputs w: (those nodes, their inputs) where the inputs are one
    array per position (w arrays), or for a few nodes of many inputs one (nodes, w) array."""
    found = []
    widths = graph.widths[nodes]
    for width in np.unique(widths).tolist():
        chosen = nodes[widths == width]
        inputs = graph.parents[graph.starts[chosen][:, None] + np.arange(width)]
        found.append((chosen, list(inputs.T) if len(chosen) >= width else [inputs]))
    return found


def _across(combine: np.ufunc, numbers: np.ndarray, inputs: list) -> np.ndarray:
    """``combine`` (maximum, or) of each node's inputs' numbers, as _inputs_by_width gives them:
    position by position (a few operations on long arrays, far quicker than reduceat over
    short segments), or along the rows of one array."""
    if len(inputs) == 1 and inputs[0].ndim == 2:
        return combine.reduce(numbers[inputs[0]], axis=1)
    result = numbers[inputs[0]]
    for position in inputs[1:]:
        result = combine(result, numbers[position])
    return result


def _levels_one_by_one(
    graph: _Graph, todo: np.ndarray, level_array: np.ndarray, batched_array: np.ndarray
) -> None:
    level, batched = level_array.tolist(), batched_array.tolist()
    level_of, batched_of = level.__getitem__, batched.__getitem__
    parents = graph.parents.tolist()
    starts = graph.starts[todo].tolist()
    stops = (graph.starts[todo] + graph.widths[todo]).tolist()
    for i, start, stop in zip(todo.tolist(), starts, stops):
        inputs = parents[start:stop]
        level[i] = 1 + max(map(level_of, inputs), default=0)
        batched[i] = any(map(batched_of, inputs))
    level_array[todo] = np.array(level)[todo]
    batched_array[todo] = np.array(batched)[todo]


def _segments(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions start, start + 1, ... (length of them) of every segment, one after another."""
    offsets = np.cumsum(lengths) - lengths
    return np.arange(int(lengths.sum())) - np.repeat(offsets - starts, lengths)


def _group(
    graph: _Graph, level: np.ndarray, is_batched: np.ndarray
) -> list[tuple[int, int, np.ndarray, np.ndarray]]:
    """The kernels: (level, op code, member nodes, their inputs shaped (inputs, members)), by
    level, then by first member. A kernel's nodes share level, op, number of inputs and which
    of their inputs are batched."""
    made = np.flatnonzero((graph.codes >= 0) & ~graph.joined)
    if not len(made):
        return []
    levels = level[made]
    codes, widths = graph.codes[made], graph.widths[made]
    order = np.lexsort((made, widths, codes, levels))
    made, levels, codes, widths = made[order], levels[order], codes[order], widths[order]
    changes = (np.diff(levels) != 0) | (np.diff(codes) != 0) | (np.diff(widths) != 0)
    bounds = np.r_[0, np.flatnonzero(changes) + 1, len(made)]
    found = []
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        members = made[a:b]
        width = int(widths[a])
        parents = graph.parents[graph.starts[members][:, None] + np.arange(width)]
        if not is_batched[members].any():
            found.append((int(levels[a]), int(codes[a]), members, parents.T))
            continue
        _, kinds = np.unique(is_batched[parents], axis=0, return_inverse=True)
        kinds = kinds.ravel()
        for kind in range(int(kinds.max()) + 1):
            chosen = kinds == kind
            found.append((int(levels[a]), int(codes[a]), members[chosen], parents[chosen].T))
    found.sort(key=lambda group: (group[0], int(group[2][0])))
    return found


def _refcounts(values: list[Value]) -> list[int]:
    return [sys.getrefcount(value) for value in values]


def _held_elsewhere(graph: _Graph) -> np.ndarray:
    """For each node, whether it is a leaf something besides the graph refers to: a model,
    a variable.

    Such a leaf is read on every run and must go on existing. A leaf only the graph refers to
    (a number wrapped as a constant, a Value made inline) can never be changed again: its value
    is frozen into the tape, and it may die with the graph.
    """
    leaves = np.flatnonzero(graph.codes < 0)
    leaf_nodes = [graph.nodes[i] for i in leaves.tolist()]
    probe = Value(0.0)
    probe_nodes, probe_leaves = [probe], [probe]  # noqa: F841 -- held as `nodes` holds a leaf
    # A leaf is held by `graph.nodes`, by `leaf_nodes` (given to _refcounts) and by the nodes it
    # is an input of; the probe by `probe`, `probe_nodes` and `probe_leaves`. The rest is
    # elsewhere.
    own = _refcounts(probe_leaves)[0] - 1
    counts = np.array(_refcounts(leaf_nodes), dtype=np.intp)
    held = np.zeros(len(graph.nodes), dtype=bool)
    held[leaves] = counts - own - graph.uses[leaves] > 0
    return held


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
    parents: np.ndarray, slots: np.ndarray, batched: np.ndarray, rules: ArrayRules,
    input_count: int,
) -> list[Run]:
    """The group's input positions cut into runs read alike (one run per position for an op of
    fixed arity, whose rules take one array per input)."""
    width, _ = parents.shape
    parent_slots = slots[parents]
    pos_batched = batched[parents[:, 0]]
    pos_shared = np.all(parents == parents[:, :1], axis=1)
    runs = []

    def add_run(start: int, stop: int) -> None:
        shared = bool(pos_shared[start])
        index = parent_slots[start:stop, 0] if shared else parent_slots[start:stop]
        flat = index.ravel()
        first = int(flat[0]) if _consecutive(flat) else None
        by_node = None
        if first is None and not shared and _consecutive(index.T.ravel()):
            by_node = int(index[0, 0])
        in_batch = bool(pos_batched[start])
        inputs_only = in_batch and int(flat.max()) < input_count  # the inputs take slots 0, 1..
        runs.append(Run(start, stop, in_batch, shared, index, first, inputs_only, by_node))

    start = 0
    for position in range(1, width + 1):
        if (
            position < width and rules.variadic
            and pos_batched[position] == pos_batched[start]
            and pos_shared[position] == pos_shared[start]
        ):
            continue
        # A neuron's sum, b + w1*x1 + w2*x2 + ...: its products were made one after another, so
        # past the first input (the bias) its inputs are one slice of the store, read node by
        # node. The first input then goes into a run of its own, and the rest reads that slice.
        if (
            rules.variadic and position - start > 2 and not pos_shared[start]
            and not _consecutive(parent_slots[start:position].T.ravel())
            and _consecutive(parent_slots[start + 1:position].T.ravel())
        ):
            add_run(start, start + 1)
            start += 1
        add_run(start, position)
        start = position
    return runs


def _tiles(runs: list[Run], nodes: int) -> Tiles | None:
    """The group's reads as tiled views, where one of them would otherwise gather by index."""
    if all(run.first is not None or run.shared for run in runs):
        return None  # slices already
    return tiles_for([np.broadcast_to(run.flat, (nodes,)) for run in runs])


def _consecutive(flat: np.ndarray) -> bool:
    """Whether the slots are s, s + 1, s + 2, ...: a slice of the store."""
    return bool(np.array_equal(flat, np.arange(flat[0], flat[0] + flat.size)))


def _leaves(nodes: list[Value], indices: list[int], slots: np.ndarray) -> Leaves:
    values = list(map(nodes.__getitem__, indices))
    return Leaves(
        refs=list(map(weakref.ref, values)),
        slots=slots[indices] if indices else np.zeros(0, dtype=np.intp),
        values=np.fromiter(map(attrgetter("_data"), values), float, len(values)),
        labels=list(map(attrgetter("label"), values)),
    )

"""Collapsing a computation graph into one box per module, named by parameter-name prefixes.

Only parameter names carry module structure, so every other value is placed by these rules, in
one pass over the graph in topological order:

- a parameter belongs to its module: its dotted name minus the attribute and trailing indices
  (`layers.0.neurons.3.w.1` -> `layers.0.neurons.3`), or the first `depth` parts of that;
- an operation belongs to the module of its parameter operands; without any, to the module all
  its non-leaf operands share; parameters or operands from different modules make it an
  "other operations" value (an L2 penalty over every parameter is one);
- a leaf that is not a parameter goes to the "inputs" box if it has a label or several boxes use
  it; otherwise (typically a constant) it joins the box using it;
- the root is drawn on its own, as the value everything flows to, with any unlabelled constants
  only it uses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

INPUTS = "inputs"
OTHER = "other operations"
TOP_LEVEL = "(top level)"


def module_name(parameter_name: str, depth: int | None = None) -> str:
    """The module a parameter belongs to, optionally cut to its first `depth` dotted parts.

    >>> module_name("layers.0.neurons.3.w.1")
    'layers.0.neurons.3'
    >>> module_name("layers.0.neurons.3.b", depth=2)
    'layers.0'
    """
    parts = parameter_name.split(".")
    while len(parts) > 1 and parts[-1].isdigit():
        parts.pop()
    parts.pop()
    if depth is not None:
        parts = parts[:depth]
    return ".".join(parts) or TOP_LEVEL


@dataclass
class Box:
    """One box of a collapsed drawing: a module, the inputs, or the other operations."""

    name: str
    kind: str  # "module", "inputs" or "other"
    values: int = 0
    parameters: int = 0
    _squares: float = 0.0
    _nonfinite: bool = False

    def add(self, grad: float, *, parameter: bool) -> None:
        self.values += 1
        self.parameters += parameter
        # A module's norm is over its parameters' gradients; other boxes have no parameters,
        # so theirs is over the gradients of the values in them.
        if parameter or self.kind != "module":
            if math.isfinite(grad):
                self._squares += grad * grad
            else:
                self._nonfinite = True

    @property
    def grad_norm(self) -> float:
        """The L2 norm of the gradients the box sums (its parameters', for a module)."""
        return math.nan if self._nonfinite else math.sqrt(self._squares)


@dataclass
class CollapsedGraph:
    """Boxes in order of first appearance, edges between them, and where each value went."""

    boxes: list[Box]
    edges: list[tuple[int, int]]  # (from box, to box), without duplicates
    root_edges: list[int]  # boxes feeding the root
    box_of: dict[int, int] = field(repr=False)  # id(value) -> box index; the root is absent


def collapse_graph(
    nodes: Sequence[Any], parameter_names: dict[int, str], depth: int | None
) -> CollapsedGraph:
    """Group the values of a graph (`nodes` in topological order, root last) into module boxes.

    `parameter_names` maps id(value) to the parameter's dotted name. Runs in time linear in the
    number of values and edges.
    """
    root = nodes[-1]
    boxes: list[Box] = []
    index_of_name: dict[str, int] = {}

    def box_index(name: str, kind: str) -> int:
        if name not in index_of_name:
            index_of_name[name] = len(boxes)
            boxes.append(Box(name, kind))
        return index_of_name[name]

    box_of: dict[int, int] = {}
    pending_leaves: dict[int, Any] = {}  # id -> free leaf whose box is decided by its users
    leaf_user_box: dict[int, int] = {}  # id(free leaf) -> box of its users, -1 if several

    for node in nodes:
        if node is root:
            break
        key = id(node)
        if key in parameter_names:
            box_of[key] = box_index(module_name(parameter_names[key], depth), "module")
            continue
        if not node.parents:
            pending_leaves[key] = node
            continue
        box_of[key] = _box_of_operation(node, parameter_names, box_of, box_index)
        for parent in node.parents:
            if id(parent) in pending_leaves:
                previous = leaf_user_box.setdefault(id(parent), box_of[key])
                if previous != box_of[key]:
                    leaf_user_box[id(parent)] = -1

    for key, leaf in pending_leaves.items():
        if key not in leaf_user_box and not leaf.label:
            continue  # an unlabelled constant only the root uses: drawn as part of the root
        user_box = -1 if leaf.label else leaf_user_box[key]
        box_of[key] = user_box if user_box >= 0 else box_index(INPUTS, "inputs")

    boxes, box_of = _in_reading_order(boxes, box_of)
    for node in nodes:
        if id(node) in box_of:
            grad = 0.0 if node.grad is None else float(node.grad)
            boxes[box_of[id(node)]].add(grad, parameter=id(node) in parameter_names)

    edges: dict[tuple[int, int], None] = {}
    for node in nodes:
        if node is root or not node.parents:
            continue
        child_box = box_of[id(node)]
        for parent in node.parents:
            parent_box = box_of[id(parent)]
            if parent_box != child_box:
                edges[(parent_box, child_box)] = None
    root_edges = list(dict.fromkeys(box_of[id(p)] for p in root.parents if id(p) in box_of))
    return CollapsedGraph(boxes, list(edges), root_edges, box_of)


def _reading_key(box: Box) -> tuple:
    """Inputs first, modules in natural order (neurons.2 before neurons.10), other ops last."""
    rank = {"inputs": 0, "module": 1, "other": 2}[box.kind]
    parts = re.split(r"(\d+)", box.name)
    return rank, [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts]


def _in_reading_order(boxes: list[Box], box_of: dict[int, int]) -> tuple[list[Box], dict[int, int]]:
    order = sorted(range(len(boxes)), key=lambda i: _reading_key(boxes[i]))
    new_index = {old: new for new, old in enumerate(order)}
    return [boxes[i] for i in order], {key: new_index[b] for key, b in box_of.items()}


def _box_of_operation(node: Any, parameter_names: dict[int, str], box_of, box_index) -> int:
    parameter_box: int | None = None
    shared: int | None = None
    for parent in node.parents:
        key = id(parent)
        if key in parameter_names:
            if parameter_box is None:
                parameter_box = box_of[key]
            elif parameter_box != box_of[key]:  # e.g. an L2 penalty over every parameter
                return box_index(OTHER, "other")
            continue
        if key not in box_of:  # a free leaf: it follows its users, not the other way round
            continue
        if shared is None:
            shared = box_of[key]
        elif shared != box_of[key]:
            shared = -1
    if parameter_box is not None:
        return parameter_box
    if shared is None or shared == -1:
        return box_index(OTHER, "other")
    return shared

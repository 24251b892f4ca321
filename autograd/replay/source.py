"""A tape's program as text, one line per kernel: what compiling did to a graph (``print(tape)``).

    u[0:337]  the numbers shared by every sample: leaves read on every run (parameters),
              then constants, then what depends on those alone
    b[0:2]    one column per sample: the inputs, then what depends on them
"""

from __future__ import annotations

from typing import Any

from autograd.replay.kernels import Group, Run
from autograd.replay.tiles import TiledRead

SHOWN_INDICES = 3
AXIS_NAMES = "ijkl"  # the axes of a tiled group, outermost first


def tape_source(recording: Any) -> str:
    """The recording's kernels as NumPy-like lines, in the order a forward pass runs them."""
    groups = recording.groups
    batched = any(group.batched for group in groups) or recording.inputs
    lines = [
        f"# {recording.node_count:,} nodes replayed as {len(groups)} kernels, in this order "
        f"(backward runs them in reverse)",
        "# u: one number per slot, shared by every sample (parameters, constants, what "
        "depends on them alone)",
    ]
    if batched:
        lines.append(f"# b: one column per sample; b[0:{len(recording.inputs)}] are the inputs")
    read = len(recording.read.refs)
    lines.append(f"# {read:,} leaves read on every run (parameters): u[0:{read}]")
    rows = [(_slice(group.batched, group.start, group.stop), _expression(group), _note(group),
             group.level) for group in groups]
    width = max((len(out) for out, _, _, _ in rows), default=0)
    for out, expression, note, level in rows:
        lines.append(f"level {level:>3}  {out:<{width}} = {expression}   # {note}")
    return "\n".join(lines)


def _expression(group: Group) -> str:
    operands = [_operand(run, group.stop - group.start) for run in group.runs]
    if group.tiles is not None:
        operands = [
            _tiled_operand(run.batched, read) for run, read in zip(group.runs, group.tiles.reads)
        ]
        shape = group.tiles.shape
        axes = ", ".join(AXIS_NAMES[:len(shape)])
        return f"{_formula(group, operands)}  for ({axes}) in {shape}"
    return _formula(group, operands)


def _formula(group: Group, operands: list[str]) -> str:
    rules = group.rules
    if rules.chain:
        return f"{' + '.join(operands)}  (added left to right)"
    if rules.variadic:
        return f"{rules.op.name}({', '.join(operands)})"
    try:
        return rules.op.formula.format(*operands, out="out")
    except (IndexError, KeyError, ValueError):
        return f"{rules.op.name}({', '.join(operands)})"


def _note(group: Group) -> str:
    count = group.stop - group.start
    nodes = f"{count:,} {'node' if count == 1 else 'nodes'}"
    if group.rules.chain:
        additions = count * (group.width - 1)
        each = "a chain" if count == 1 else "each a chain"
        return f"{nodes}, {each} of {group.width - 1} additions ({additions:,} '+' nodes)"
    if group.rules.variadic:
        return f"{nodes} of {group.width} inputs"
    return nodes


def _operand(run: Run, nodes: int) -> str:
    """How a run of input positions reads its store: a slice, or a gather by index."""
    store = "b" if run.batched else "u"
    positions = run.stop - run.start
    if run.first is not None:
        text = _slice(run.batched, run.first, run.first + run.size)
    elif run.by_node is not None:
        text = _slice(run.batched, run.by_node, run.by_node + run.size) + " node by node"
    else:
        indices = run.flat[:SHOWN_INDICES].tolist()
        more = ", …" if run.size > SHOWN_INDICES else ""
        text = f"{store}[[{', '.join(map(str, indices))}{more}]]"
    if positions > 1:
        text += f" ({positions} inputs)" if run.shared else f" ({positions} inputs each)"
    elif run.shared and nodes > 1:
        text += " (all)"
    return text


def _tiled_operand(batched: bool, read: TiledRead) -> str:
    """A tiled read as the slot each node (i, j, ...) reads: ``u[48 + 17j + k]``."""
    terms = [str(read.start)] + [
        f"{'' if stride == 1 else stride}{axis}"
        for axis, size, stride in zip(AXIS_NAMES, read.shape, read.strides)
        if size > 1 and stride != 0
    ]
    return f"{'b' if batched else 'u'}[{' + '.join(terms)}]"


def _slice(batched: bool, start: int, stop: int) -> str:
    store = "b" if batched else "u"
    return f"{store}[{start}]" if stop == start + 1 else f"{store}[{start}:{stop}]"

"""Drawing computation graphs with Graphviz: `draw_dot` builds the drawing, `render` writes it."""

from __future__ import annotations

import contextlib
import math
import os
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphviz

from autograd.draw.collapse import Box, CollapsedGraph, collapse_graph
from autograd.draw.colors import GradientColors
from autograd.draw.dot_text import plain_label, record_field
from autograd.files import write_atomically
from autograd.steps.formulas import format_number
from autograd.steps.stepping import Step, WalkState, node_names, state_at
from autograd.steps.text import shown_name

DEFAULT_MAX_NODES = 1000  # dot lays out 1,000 values in about a second, 3,000 in 20 s
RANKDIRS = ("LR", "TB", "RL", "BT")
PNG_DPI = 150  # Graphviz's default 96 dpi looks blurred on today's screens
FORMATS_BY_EXTENSION = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}

FONT = "Helvetica,Arial,sans-serif"
INK = "#333333"
VALUE_FILL = "#ffffff"
PARAMETER_FILL = "#fff4d6"
OP_FILL = "#eef0f3"
BOX_FILL = "#eef3fa"
HIGHLIGHT = "#ff8c00"

# How draw_dot(step=...) and the explore page show where each value stands in a backward walk
# (the states of autograd.stepping; "reached" and "done" values are drawn as usual).
Styles = dict[str | None, dict[str, str]]  # by step state; None: not drawing a step
STEP_STYLES: Styles = {
    "current": {"fillcolor": "#ffe3c2", "color": HIGHLIGHT, "penwidth": "3.5"},
    "receiving": {"fillcolor": "#e2edf9", "color": "#2f6db5", "penwidth": "2.5"},
    "unreached": {"fillcolor": "#f5f5f5", "color": "#c9c9c9", "fontcolor": "#a8a8a8"},
}
# A value's op node and its edges: orange while its chain rule is applied, muted until then.
_OP_PENDING = STEP_STYLES["unreached"]
_EDGE_PENDING = {"color": "#d2d2d2"}
STEP_OP_STYLES: Styles = {
    "current": {"fillcolor": "#ffe3c2", "color": HIGHLIGHT, "penwidth": "2.5"},
    "unreached": _OP_PENDING,
    "reached": _OP_PENDING,
    "receiving": _OP_PENDING,
}
STEP_EDGE_STYLES: Styles = {
    "current": {"color": HIGHLIGHT, "penwidth": "2.2"},
    "unreached": _EDGE_PENDING,
    "reached": _EDGE_PENDING,
    "receiving": _EDGE_PENDING,
}

INSTALL_GRAPHVIZ = """\
Install Graphviz, then try again:
  Debian/Ubuntu:  sudo apt-get install graphviz
  macOS:          brew install graphviz
  conda:          conda install -c conda-forge graphviz
The DOT source needs no Graphviz: draw_dot(root).source, or render to a .dot file."""


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's `dot` program is needed to lay out the drawing and is not installed."""


class GraphTooLargeError(ValueError):
    """The graph has more nodes than `max_nodes`; Graphviz would take too long to lay it out."""

    def __init__(self, message: str, count: int, limit: int) -> None:
        super().__init__(message)
        self.count = count
        self.limit = limit


class ComputationGraph(graphviz.Digraph):
    """A `graphviz.Digraph` whose rendering explains how to install Graphviz when it is missing."""

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        with _explain_graphviz_errors():
            return super().pipe(*args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> Any:
        with _explain_graphviz_errors():
            return super().render(*args, **kwargs)


@contextlib.contextmanager
def _explain_graphviz_errors() -> Iterator[None]:
    try:
        yield
    except graphviz.ExecutableNotFound as error:
        raise GraphvizNotFoundError(
            "Graphviz's `dot` program was not found on PATH; it is needed to render drawings "
            "(SVG, PNG, PDF).\n" + INSTALL_GRAPHVIZ
        ) from error
    except subprocess.CalledProcessError as error:
        stderr = error.stderr.decode(errors="replace") if error.stderr else ""
        raise RuntimeError(f"Graphviz failed to render the drawing: {stderr.strip()}") from error


@dataclass(frozen=True)
class _Options:
    """The drawing options every node needs, checked."""

    rankdir: str
    precision: int
    show_grad: bool
    color_by: str | None
    grad_range: tuple[float, float] | None
    names: dict[int, str]  # id(parameter) -> its name
    highlight: list[Any]
    walk: WalkState | None  # draw_dot(step=...): each value's state and gradient at that step


def draw_dot(
    root: Any,
    *,
    format: str = "svg",
    rankdir: str = "LR",
    precision: int = 4,
    show_grad: bool = True,
    color_by: str | None = None,
    highlight: Iterable[Any] = (),
    params: Iterable[tuple[str, Any]] | Mapping[str, Any] | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    collapse: bool | int = False,
    grad_range: tuple[float, float] | None = None,
    step: Step | None = None,
) -> graphviz.Digraph:
    """Draw the computation graph under `root` as a Graphviz digraph (shown inline in notebooks).

    Each value is a record `label | data | grad`; each operation is a small node between its
    operands (in order) and its result. `rankdir` is LR, TB, RL or BT. `color_by="grad"` colours
    values by gradient (sign by hue, magnitude by intensity on a log scale; `grad_range=(lo, hi)`
    fixes the scale). `highlight` takes values, or labels/parameter names, to emphasise.
    `params` (e.g. `model.named_parameters()`) names parameter leaves. `collapse=True` draws one
    box per module instead (named by the parameter names' dotted prefixes); an int keeps only
    that many leading parts of the module names (2 for `layers.0`). Graphs with more than
    `max_nodes` values raise `GraphTooLargeError` unless collapsed.
    `step` (a Step of `root.backward_steps()`) draws the walk just after that step: the current
    value and its op outlined in orange, its inputs in blue, values no gradient has reached yet
    greyed out, every gradient as it was then, and unlabelled values named as in the step texts.
    """
    nodes = _graph_of(root)
    _check_options(format, rankdir, precision, color_by, max_nodes)
    depth = _collapse_depth(collapse)
    walk = _walk_state(step, root, collapse, color_by)
    options = _Options(
        rankdir=rankdir,
        precision=precision,
        show_grad=show_grad,
        color_by=color_by,
        grad_range=grad_range,
        names=_parameter_names(params),
        highlight=[highlight] if isinstance(highlight, str) or hasattr(highlight, "grad")
        else list(highlight),
        walk=walk,
    )

    dot = ComputationGraph(
        name="computation graph",
        format=format,
        graph_attr={
            "rankdir": rankdir,
            "bgcolor": "white",
            "fontname": FONT,
            "nodesep": "0.25",
            "ranksep": "0.35",
            "pad": "0.2",
        },
        node_attr={"fontname": FONT, "fontsize": "12", "color": INK, "penwidth": "1.2"},
        edge_attr={"color": "#666666", "arrowsize": "0.7", "penwidth": "1.1"},
    )
    if collapse is not False:
        if not options.names:
            raise ValueError(
                "collapse needs the parameters' names to find the modules: pass "
                "params=model.named_parameters()"
            )
        collapsed = collapse_graph(nodes, options.names, depth)
        if len(collapsed.boxes) + 1 > max_nodes:
            raise GraphTooLargeError(
                f"the collapsed graph still has {len(collapsed.boxes) + 1} boxes, more than "
                f"max_nodes={max_nodes}; collapse to fewer modules (e.g. collapse=1 or 2) or "
                f"raise max_nodes",
                len(collapsed.boxes) + 1, max_nodes,
            )
        _draw_collapsed(dot, nodes, collapsed, options)
    else:
        if len(nodes) > max_nodes:
            raise GraphTooLargeError(
                f"the graph has {len(nodes)} values, more than max_nodes={max_nodes}; Graphviz "
                f"would take very long to lay it out and the drawing would be unreadable. Pass "
                f"collapse=True (with params=model.named_parameters()) to draw one box per "
                f"module, or a higher max_nodes (e.g. max_nodes={_round_up(len(nodes))})",
                len(nodes), max_nodes,
            )
        _draw_values(dot, nodes, options)
    return dot


def render(
    root: Any, path: str | os.PathLike[str], *, dpi: int = PNG_DPI, **options: Any
) -> str:
    """Draw the graph under `root` and write it to `path`; returns the path written.

    The format comes from the extension: .svg, .png (at `dpi` dots per inch), .pdf, or .dot/.gv
    for the DOT source (which needs no Graphviz). The file is replaced atomically. `options`
    are `draw_dot`'s.
    """
    target = Path(path)
    extension = target.suffix.lower()
    if extension not in FORMATS_BY_EXTENSION:
        raise ValueError(
            f"cannot tell the format from {os.fspath(path)!r}: use one of the extensions "
            + ", ".join(FORMATS_BY_EXTENSION)
        )
    file_format = FORMATS_BY_EXTENSION[extension]
    asked = options.pop("format", None)
    if asked is not None and asked != file_format:
        raise ValueError(
            f"format={asked!r} contradicts the extension of {os.fspath(path)!r} "
            f"({file_format}); drop format= or change the extension"
        )
    dot = draw_dot(root, format="svg" if file_format == "dot" else file_format, **options)
    if file_format == "png":
        if isinstance(dpi, bool) or not isinstance(dpi, int) or not 10 <= dpi <= 1200:
            raise ValueError(f"dpi must be an int from 10 to 1200, got {dpi!r}")
        dot.graph_attr["dpi"] = str(dpi)
    content = dot.source.encode() if file_format == "dot" else dot.pipe(format=file_format)
    write_atomically(target, content)
    return os.fspath(path)


def _graph_of(root: Any) -> list[Any]:
    if not callable(getattr(root, "graph", None)):
        raise TypeError(f"expected the Value to draw the graph of, got {type(root).__name__}")
    nodes = list(root.graph())
    if not nodes or nodes[-1] is not root:
        raise ValueError("root.graph() must list the graph in topological order, root last")
    return nodes


def _check_options(format, rankdir, precision, color_by, max_nodes) -> None:
    if format not in graphviz.FORMATS:
        raise ValueError(f"unknown format {format!r}; e.g. 'svg', 'png' or 'pdf'")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if isinstance(precision, bool) or not isinstance(precision, int) or not 0 <= precision <= 17:
        raise ValueError(f"precision must be an int from 0 to 17, got {precision!r}")
    if color_by not in (None, "grad"):
        raise ValueError(f"color_by must be None or 'grad', got {color_by!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")


def _walk_state(step: Any, root: Any, collapse: Any, color_by: Any) -> WalkState | None:
    if step is None:
        return None
    if not isinstance(step, Step):
        raise TypeError(f"step must be a Step of root.backward_steps(), got {type(step).__name__}")
    if step.walk.root is not root:
        raise ValueError("step comes from the walk of another graph; draw that walk's root")
    if collapse is not False:
        raise ValueError("step= draws every value; it cannot be combined with collapse")
    if color_by is not None:
        raise ValueError("step= and color_by= both colour the values; use one of them")
    return state_at(step)


def _collapse_depth(collapse: bool | int) -> int | None:
    """None for the owning module of each parameter, an int for a cut-off depth."""
    if collapse is True or collapse is False:
        return None
    if not isinstance(collapse, int) or collapse < 1:
        raise ValueError(
            f"collapse must be True, False or a positive int (module-name depth), got {collapse!r}"
        )
    return collapse


def _parameter_names(params: Any) -> dict[int, str]:
    if params is None:
        return {}
    pairs = params.items() if isinstance(params, Mapping) else params
    names: dict[int, str] = {}
    for pair in pairs:
        try:
            name, value = pair
        except (TypeError, ValueError):
            raise TypeError(
                f"params must be (name, Value) pairs such as model.named_parameters(), "
                f"got an item {pair!r}"
            ) from None
        if not isinstance(name, str) or not hasattr(value, "grad"):
            raise TypeError(
                f"params must be (name, Value) pairs such as model.named_parameters(), "
                f"got ({name!r}, {type(value).__name__})"
            )
        names.setdefault(id(value), name)  # a shared parameter keeps its first name
    return names


def _round_up(count: int) -> int:
    step = 10 ** max(len(str(count)) - 1, 1)
    return -(-count // step) * step


def _grad(node: Any) -> float:
    """The gradient as a float (after backward(create_graph=True) it is a Value; None is 0)."""
    return 0.0 if node.grad is None else float(node.grad)


def _display_name(node: Any, names: dict[int, str]) -> str:
    return names.get(id(node)) or node.label


def _resolve_highlight(wanted: list[Any], nodes: list[Any], names: dict[int, str],
                       box_names: Iterable[str] = ()) -> tuple[set[int], set[str]]:
    """Ids of the values and names of the boxes to emphasise; unknown entries are an error."""
    by_name: dict[str, list[int]] = {}
    for node in nodes:
        name = _display_name(node, names)
        if name:
            by_name.setdefault(name, []).append(id(node))
    in_graph = {id(node) for node in nodes}
    boxes = set(box_names)
    ids: set[int] = set()
    chosen_boxes: set[str] = set()
    for item in wanted:
        if isinstance(item, str):
            if item in boxes:
                chosen_boxes.add(item)
            elif item in by_name:
                ids.update(by_name[item])
            else:
                known = sorted(by_name)[:12]
                raise ValueError(
                    f"highlight: no value or module named {item!r} in the graph; named values "
                    f"include: {', '.join(known) or '(none)'}"
                )
        elif id(item) in in_graph:
            ids.add(id(item))
        else:
            raise ValueError(f"highlight: {item!r} is not a value of this graph")
    return ids, chosen_boxes


def _emphasis() -> dict[str, str]:
    return {"color": HIGHLIGHT, "penwidth": "3.5"}


def _colors(grads: Iterable[float], options: _Options, signed: bool = True) -> GradientColors:
    low, high = options.grad_range if options.grad_range is not None else (None, None)
    return GradientColors(grads, signed=signed, low=low, high=high)


def _value_record(node: Any, name: str, options: _Options, grad: Any = None) -> str:
    fields = [shown_name(name, keep_newlines=True)] if name else []
    fields.append(f"data {format_number(node.data, options.precision)}")
    if options.show_grad:
        if grad is None and node.grad is None:
            fields.append("grad None")
        else:
            shown = _grad(node) if grad is None else float(grad)
            fields.append(f"grad {format_number(shown, options.precision)}")
    body = " | ".join(record_field(field) for field in fields)
    # Record fields stack across the rank direction; braces turn them to run along LR/RL ranks.
    return graphviz.nohtml("{ " + body + " }" if options.rankdir in ("LR", "RL") else body)


def _draw_values(dot: graphviz.Digraph, nodes: list[Any], options: _Options) -> None:
    names = options.names
    highlighted, _ = _resolve_highlight(options.highlight, nodes, names)
    colors = None
    if options.color_by == "grad":
        grads = [_grad(node) for node in nodes]
        colors = _colors(grads, options)
        _add_legend(dot, colors.legend("grad, log scale", show_nonfinite=_any_nonfinite(grads)))
    index = {id(node): i for i, node in enumerate(nodes)}
    walk = options.walk
    step_names = node_names(nodes) if walk is not None else None
    for i, node in enumerate(nodes):
        name = _display_name(node, names) or (step_names[i] if step_names else "")
        state = walk.states[id(node)] if walk is not None else None
        attrs = {"shape": "record", "style": "filled"}
        if colors is not None:
            attrs.update(fillcolor=colors.fill(_grad(node)), fontcolor=colors.font(_grad(node)))
        else:
            attrs["fillcolor"] = PARAMETER_FILL if id(node) in names else VALUE_FILL
        attrs.update(STEP_STYLES.get(state, {}))
        if id(node) in highlighted:
            attrs.update(_emphasis())
        grad = walk.grads[id(node)] if walk is not None else None
        dot.node(f"v{i}", _value_record(node, name, options, grad), **attrs)
        if node.parents:
            op_id = f"v{i}_op"
            op_attrs = {"fillcolor": OP_FILL, "color": "#888888", **STEP_OP_STYLES.get(state, {})}
            dot.node(op_id, plain_label(shown_name(node.op or "?")), shape="ellipse",
                     style="filled", fontsize="11", height="0.3", width="0.3", margin="0.04,0.02",
                     ordering="in", **op_attrs)
            edge_attrs = STEP_EDGE_STYLES.get(state, {})
            roles = input_roles(node)
            for k, parent in enumerate(node.parents):
                role = {"label": roles[k], "fontsize": "9", "fontname": FONT} if roles else {}
                dot.edge(f"v{index[id(parent)]}", op_id, **role, **edge_attrs)
            dot.edge(op_id, f"v{i}", **edge_attrs)


def input_roles(node: Any) -> list[str] | None:
    """What each input of a many-input node is, for its edges: a ``linear`` node's weights
    ``w0, w1, ...``, inputs ``x0, x1, ...`` and bias ``b``; a ``dot``'s ``x0, ..., y0, ...``.
    None for other nodes, whose operand order the op's symbol already tells."""
    if node.rule.hand_written:
        return None
    count = len(node.parents)
    if node.op == "linear" and count % 2 == 1:
        n = count // 2
        return [f"w{i}" for i in range(n)] + [f"x{i}" for i in range(n)] + ["b"]
    if node.op == "dot" and count % 2 == 0:
        n = count // 2
        return [f"x{i}" for i in range(n)] + [f"y{i}" for i in range(n)]
    return None


def _draw_collapsed(
    dot: graphviz.Digraph, nodes: list[Any], collapsed: CollapsedGraph, options: _Options
) -> None:
    root = nodes[-1]
    highlighted, chosen_boxes = _resolve_highlight(
        options.highlight, nodes, options.names, (box.name for box in collapsed.boxes)
    )
    for key in highlighted:
        if key in collapsed.box_of:
            chosen_boxes.add(collapsed.boxes[collapsed.box_of[key]].name)
    norms = [box.grad_norm for box in collapsed.boxes]
    colors = None
    if options.color_by == "grad":
        colors = _colors(norms, options, signed=False)
        _add_legend(dot, colors.legend("gradient norm per box, log scale",
                                       show_nonfinite=_any_nonfinite(norms)))

    for i, box in enumerate(collapsed.boxes):
        lines = [shown_name(box.name), _box_counts(box)]
        if options.show_grad:
            lines.append(f"grad norm {format_number(box.grad_norm, options.precision)}")
        attrs = {"shape": "box", "style": "rounded,filled", "fillcolor": BOX_FILL,
                 "margin": "0.15,0.08"}
        if box.kind != "module":
            attrs["style"] = "rounded,filled,dashed"
            attrs["fillcolor"] = VALUE_FILL
        if colors is not None:
            attrs.update(fillcolor=colors.fill(box.grad_norm), fontcolor=colors.font(box.grad_norm))
        if box.name in chosen_boxes:
            attrs.update(_emphasis())
        dot.node(f"m{i}", plain_label("\n".join(lines)), **attrs)

    name = _display_name(root, options.names) or "root"
    attrs = {"shape": "record", "style": "filled", "fillcolor": VALUE_FILL}
    if id(root) in highlighted:
        attrs.update(_emphasis())
    dot.node("root", _value_record(root, name, options), **attrs)
    dot.attr(ranksep="1.0", ordering="out")
    dot.edge_attr.update(color="#8a8a8a", penwidth="0.9")
    for source, target in sorted(collapsed.edges):
        dot.edge(f"m{source}", f"m{target}")
    for source in collapsed.root_edges:
        dot.edge(f"m{source}", "root")


def _add_legend(dot, label: str) -> None:
    dot.attr(label=label, labelloc="b", labeljust="c", fontsize="10")


def _any_nonfinite(grads: Iterable[float]) -> bool:
    return not all(math.isfinite(g) for g in grads)


def _box_counts(box: Box) -> str:
    values = f"{box.values} value{'s' if box.values != 1 else ''}"
    if box.kind != "module":
        return values
    return f"{box.parameters} param{'s' if box.parameters != 1 else ''} · {values}"


__all__ = [
    "DEFAULT_MAX_NODES",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "draw_dot",
    "render",
]

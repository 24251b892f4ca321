"""`explore(root, "backprop.html")`: one self-contained page that walks through backpropagation.

The page holds the Graphviz drawing of the graph, the text of every step and a small script
(`explore.js`, with `explore.css` and `explore.html` beside this file). Next / Previous / Reset
and the arrow keys move through a forward pass that fills in the values node by node, then the
backward pass one chain-rule step at a time. Nothing is fetched: no network, no fonts, and a
Content-Security-Policy that lets only the page's own script and style run. Every label reaches
the page as text (escaped in the SVG, and set with textContent by the script).

Without a path, `explore(root)` returns an `ExplorePage`: a notebook shows it inline, in an
`<iframe sandbox="allow-scripts" srcdoc=...>` (the page's script runs in an opaque origin, so it
cannot reach the notebook, and its Content-Security-Policy still holds); `.save(path)` writes it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

from autograd.draw.draw import (
    DEFAULT_MAX_NODES,
    INK,
    OP_FILL,
    STEP_EDGE_STYLES,
    STEP_OP_STYLES,
    STEP_STYLES,
    VALUE_FILL,
    GraphTooLargeError,
    draw_dot,
)
from autograd.explorer.page_svg import page_svg
from autograd.files import write_atomically
from autograd.steps.formulas import format_number, forward_formula, short_number
from autograd.steps.stepping import BackwardWalk, Step, Update, explain_update

EXTENSIONS = (".html", ".htm")
INLINE_HEIGHT = 720  # pixels of a notebook the inline page takes (the reader can drag it taller)


class ExplorePage:
    """The explore page of one graph, not yet written: `.html` is its text, `.save(path)`
    writes it, and a notebook shows it inline (Next / Previous / Reset work there)."""

    def __init__(self, html_text: str, root_name: str, steps: int) -> None:
        self.html = html_text
        self.root_name = root_name
        self.steps = steps

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write the page to `path` (an .html file, replaced atomically); returns the path."""
        write_atomically(_html_path(path), self.html.encode("utf-8"))
        return os.fspath(path)

    def __repr__(self) -> str:
        return (f"<explore page: backpropagation through {self.root_name}, {self.steps} "
                f"backward step{'s' if self.steps != 1 else ''}; .save('backprop.html') writes "
                f"it, a notebook shows it>")

    def _repr_html_(self) -> str:
        # sandbox without allow-same-origin: the page's script runs, in an origin of its own.
        title = html.escape(f"Backpropagation through {self.root_name}", quote=True)
        return (
            f'<iframe sandbox="allow-scripts" title="{title}" '
            f'style="width: 100%; height: {INLINE_HEIGHT}px; border: 1px solid #d8dee4; '
            f'resize: vertical;" srcdoc="{html.escape(self.html, quote=True)}"></iframe>'
        )


def _html_path(path: Any) -> Path:
    target = Path(path)
    if target.suffix.lower() not in EXTENSIONS:
        raise ValueError(f"explore writes an HTML page: give a path ending in .html, got {path!r}")
    return target


def explore(
    root: Any,
    path: str | os.PathLike[str] | None = None,
    *,
    forward: bool = True,
    grad: float = 1.0,
    precision: int = 4,
    rankdir: str = "LR",
    max_nodes: int = DEFAULT_MAX_NODES,
) -> str | ExplorePage:
    """A page that steps through the forward and backward pass of `root`.

    With `path`, writes it there (replaced atomically) and returns the path; without, returns an
    `ExplorePage`, which a notebook shows inline and `.save(path)` writes. The page starts with
    the forward pass (`forward=False`: with the backward pass) and shows one backward pass from
    zero gradients, seeded with dL/droot = `grad`; the graph's own `.grad` are left as they are.
    `precision`, `rankdir` and `max_nodes` are draw_dot's.
    """
    target = None if path is None else _html_path(path)
    if not isinstance(forward, bool):
        raise TypeError(f"forward must be True or False, got {forward!r}")
    page = build_page(root, forward=forward, grad=grad, precision=precision, rankdir=rankdir,
                      max_nodes=max_nodes)
    if target is None or path is None:  # both or neither
        return page
    write_atomically(target, page.html.encode("utf-8"))
    return os.fspath(path)


def explore_page(
    root: Any,
    *,
    forward: bool = True,
    grad: float = 1.0,
    precision: int = 4,
    rankdir: str = "LR",
    max_nodes: int = DEFAULT_MAX_NODES,
) -> str:
    """The page `explore` writes, as a string."""
    return build_page(root, forward=forward, grad=grad, precision=precision, rankdir=rankdir,
                      max_nodes=max_nodes).html


def build_page(
    root: Any,
    *,
    forward: bool = True,
    grad: float = 1.0,
    precision: int = 4,
    rankdir: str = "LR",
    max_nodes: int = DEFAULT_MAX_NODES,
) -> ExplorePage:
    """The page `explore` writes, as an `ExplorePage`."""
    walk = BackwardWalk(root, grad, _keep_grads=True)
    if len(walk.nodes) > max_nodes:  # before walking it: a huge graph fails at once
        raise GraphTooLargeError(
            f"the graph has {len(walk.nodes)} values, more than max_nodes={max_nodes}; Graphviz "
            f"would take very long to lay it out and the page would be unreadable. Pass a higher "
            f"max_nodes to make it anyway",
            len(walk.nodes), max_nodes,
        )
    steps = list(walk)
    drawing = draw_dot(root, step=steps[-1] if steps else None, precision=precision,
                       rankdir=rankdir, max_nodes=max_nodes)
    svg = page_svg(drawing.pipe(format="svg"))
    data = _walk_data(walk, precision, forward)
    return ExplorePage(_fill_page(svg, data, walk.names[-1]), walk.names[-1], len(steps))


def _walk_data(walk: BackwardWalk, precision: int, forward_first: bool) -> dict[str, Any]:
    """Everything the page's script needs, as texts ready to show."""
    nodes, names = walk.nodes, walk.names
    ids = {id(node): f"v{i}" for i, node in enumerate(nodes)}

    def record(prefix: str, x: Any) -> str:  # as the drawing's record fields read
        return f"{prefix} {format_number(float(x), precision)}"

    return {
        "root": ids[id(walk.root)],
        "rootName": names[-1],
        "forwardFirst": forward_first,
        "nodes": [
            {"id": ids[id(node)], "name": name, "leaf": node.rule is None,
             "data": record("data", node.data), "grad": record("grad", 0.0)}
            for node, name in zip(nodes, names)
        ],
        "forward": _forward_steps(walk, ids, precision),
        "backward": [_backward_step(step, ids, record, precision) for step in walk.steps],
    }


def _forward_steps(walk: BackwardWalk, ids: dict[int, str], precision: int) -> list[dict]:
    position = {id(node): i for i, node in enumerate(walk.nodes)}
    steps = []
    for node, name in zip(walk.nodes, walk.names):
        if node.rule is None:
            continue
        input_names = [walk.names[position[id(p)]] for p in node.parents]
        steps.append({
            "node": ids[id(node)],
            "inputs": [ids[id(p)] for p in node.parents],
            "text": forward_text(node, name, input_names, precision),
        })
    return steps


def forward_text(node: Any, name: str, input_names: list[str], precision: int) -> str:
    """`x1*w1 = x1 * w1 = 2.0 * (-3.0) = -6.0`: the formula, with names, with numbers, result."""
    numbers = [short_number(p.data, precision) for p in node.parents]
    by_name = forward_formula(node, input_names, name)
    by_number = forward_formula(node, numbers, short_number(node.data, precision))
    result = short_number(node.data, precision)
    parts = [name, by_name, by_number, result]
    # Leave out a part that only repeats the one before it (a label that is its own formula).
    shown = [part for i, part in enumerate(parts) if i == 0 or part != parts[i - 1]]
    return " = ".join(shown)


def _backward_step(step: Step, ids: dict[int, str], record: Any, precision: int) -> dict:
    grads = {ids[id(step.node)]: record("grad", step.grad)}
    for update in step.updates:
        grads[ids[id(update.input)]] = record("grad", update.grad)
    return {
        "node": ids[id(step.node)],
        "inputs": [ids[id(update.input)] for update in step.updates],
        "text": step.explain(precision),
        "grads": grads,
        "rows": [_row(update, precision) for update in step.updates],
    }


def _row(update: Update, precision: int) -> list[str]:
    rule, contribution, grad = explain_update(update, precision)
    return [update.name, rule, contribution, grad]


# ----- the page ---------------------------------------------------------------------------------


def _asset(name: str) -> str:
    return resources.files("autograd.explorer").joinpath(name).read_text(encoding="utf-8")


def _fill_page(svg: str, data: dict[str, Any], root_name: str) -> str:
    script = _asset("explore.js")
    style = _asset("explore.css") + _state_css()
    page = _asset("explore.html")
    replacements = {
        "{{CSP}}": (
            "default-src 'none'; "
            f"script-src '{_sha256(script)}'; style-src '{_sha256(style)}'; "
            "base-uri 'none'; form-action 'none'"
        ),
        "{{TITLE}}": html.escape(f"Backpropagation through {root_name} · chainrule"),
        "{{ROOT}}": html.escape(root_name),
        "{{STYLE}}": style,
        "{{SVG}}": svg,
        "{{DATA}}": _json_for_script(data),
        "{{SCRIPT}}": script,
    }
    for key in replacements:
        if page.count(key) != 1:
            raise RuntimeError(f"explore.html must contain {key} exactly once")
    # One pass, so that text inserted for one placeholder is never searched for another.
    pieces = page.split("{{")
    out = [pieces[0]]
    for piece in pieces[1:]:
        key, _, rest = piece.partition("}}")
        out.append(replacements["{{" + key + "}}"] + rest)
    return "".join(out)


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def _json_for_script(data: Any) -> str:
    """JSON that cannot end its <script> element early: <, > and & as \\u escapes."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def _state_css() -> str:
    """The drawing's colours for each state (as draw_dot(step=...) uses them), as CSS rules."""
    value_default = {"fillcolor": VALUE_FILL, "color": INK, "penwidth": "1.2",
                     "fontcolor": "#000000"}
    op_default = {"fillcolor": OP_FILL, "color": "#888888", "penwidth": "1.2",
                  "fontcolor": "#000000"}
    edge_default = {"color": "#666666", "penwidth": "1.1"}
    rules = []
    for state in ("unreached", "reached", "current", "receiving", "done"):
        value = {**value_default, **STEP_STYLES.get(state, {})}
        op = {**op_default, **STEP_OP_STYLES.get(state, {})}
        edge = {**edge_default, **STEP_EDGE_STYLES.get(state, {})}
        rules += [
            f"g.node.s-{state} > :is(polygon, ellipse) {{ fill: {value['fillcolor']}; }}",
            f"g.node.s-{state} > :is(polygon, polyline, ellipse) {{ stroke: {value['color']}; "
            f"stroke-width: {value['penwidth']}px; }}",
            f"g.node.s-{state} > text {{ fill: {value['fontcolor']}; }}",
            f"g.node.o-{state} > ellipse {{ fill: {op['fillcolor']}; stroke: {op['color']}; "
            f"stroke-width: {op['penwidth']}px; }}",
            f"g.node.o-{state} > text {{ fill: {op['fontcolor']}; }}",
            f"g.edge.o-{state} > path {{ stroke: {edge['color']}; "
            f"stroke-width: {edge['penwidth']}px; }}",
            f"g.edge.o-{state} > polygon {{ fill: {edge['color']}; stroke: {edge['color']}; "
            f"stroke-width: {edge['penwidth']}px; }}",
            f".sw-{state} {{ background: {value['fillcolor']}; border-color: {value['color']}; "
            f"border-width: {min(float(value['penwidth']), 2.5)}px; }}",
        ]
    header = "/* the states of a walk, from autograd.draw's STEP_STYLES */"
    return "\n" + "\n".join([header, *rules]) + "\n"


__all__ = ["ExplorePage", "build_page", "explore", "explore_page"]

"""draw_dot(root, step=s): the walk's state drawn, read back from Graphviz's SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from stepping_graphs import lecture_neuron
from svg_reading import SVG, read_svg

from autograd import Value, draw_dot
from autograd.draw.draw import HIGHLIGHT, STEP_EDGE_STYLES, STEP_STYLES, VALUE_FILL
from autograd.steps.stepping import state_at

CURRENT_STROKE = STEP_STYLES["current"]["color"]
RECEIVING_STROKE = STEP_STYLES["receiving"]["color"]
GREY_FILL = STEP_STYLES["unreached"]["fillcolor"]


def drawn(root: Value, step, **options) -> tuple[dict, dict]:
    """The SVG's value records and op nodes, each by the label of the value (or its v-name)."""
    drawing = read_svg(draw_dot(root, step=step, **options).pipe(format="svg"))
    records = {n.texts[0]: n for i, n in drawing.nodes.items() if not i.endswith("_op")}
    ops = {}
    for node_id, node in drawing.nodes.items():
        if node_id.endswith("_op"):
            value = drawing.nodes[node_id[:-3]]
            ops[value.texts[0]] = node
    return records, ops


def test_current_highlighted_inputs_outlined_unreached_greyed():
    o = lecture_neuron()
    steps = list(o.backward_steps())
    records, ops = drawn(o, steps[2])  # the chain rule at x1*w1 + x2*w2
    current = records["x1*w1 + x2*w2"]
    assert current.stroke == CURRENT_STROKE == HIGHLIGHT
    assert current.fill == STEP_STYLES["current"]["fillcolor"]
    assert ops["x1*w1 + x2*w2"].stroke == HIGHLIGHT
    assert {records[name].stroke for name in ("x1*w1", "x2*w2")} == {RECEIVING_STROKE}
    greyed = {name for name, record in records.items() if record.fill == GREY_FILL}
    assert greyed == {"x1", "w1", "x2", "w2"}
    done = {name for name, record in records.items() if record.fill == VALUE_FILL}
    assert done == {"o", "n", "b"}
    # The ops of values not processed yet are muted; those done are drawn as usual.
    assert ops["x1*w1"].fill == GREY_FILL and ops["x2*w2"].fill == GREY_FILL
    assert ops["n"].fill != GREY_FILL and ops["n"].stroke != HIGHLIGHT


def test_every_gradient_is_the_one_of_that_step():
    o = lecture_neuron()
    steps = list(o.backward_steps())
    for step in steps:
        records, _ = drawn(o, step)
        state = state_at(step)
        for node in o.graph():
            record = records[node.label]
            assert record.texts[2] == f"grad {float(state.grads[id(node)]):.4f}", node.label
    # After the walk the nodes hold the final gradients, yet step 1 is drawn as it was then.
    records, _ = drawn(o, steps[0])
    assert records["x1"].texts[2] == "grad 0.0000"
    assert records["n"].texts[2] == "grad 0.5000"


def test_edges_into_the_current_op_are_highlighted():
    o = lecture_neuron()
    steps = list(o.backward_steps())
    svg = draw_dot(o, step=steps[0]).pipe(format="svg")
    edge_colors = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        if group.get("class") == "edge":
            title = group.find(f"{SVG}title").text
            edge_colors[title] = group.find(f"{SVG}path").get("stroke")
    ids = {node.label: f"v{i}" for i, node in enumerate(o.graph())}
    assert edge_colors[f"{ids['n']}->{ids['o']}_op"] == STEP_EDGE_STYLES["current"]["color"]
    assert edge_colors[f"{ids['o']}_op->{ids['o']}"] == STEP_EDGE_STYLES["current"]["color"]
    assert edge_colors[f"{ids['x1']}->{ids['x1*w1']}_op"] == STEP_EDGE_STYLES["unreached"]["color"]


def test_unlabelled_values_are_named_as_in_the_step_texts():
    x = Value(2.0, label="x")
    y = (x * 3).tanh()
    steps = list(y.backward_steps())
    records, _ = drawn(y, steps[0])
    assert set(records) == {"x", "v1", "v2", "v3"}
    assert str(steps[0]).startswith("v3 = tanh(v2)")
    plain = read_svg(draw_dot(y).pipe(format="svg"))
    assert {n.texts[0] for n in plain.nodes.values()} >= {"x"}
    assert "v1" not in {n.texts[0] for n in plain.nodes.values()}  # unchanged without step=


def test_step_and_highlight_together():
    o = lecture_neuron()
    step = next(o.backward_steps())
    records, _ = drawn(o, step, highlight="x1")
    assert records["x1"].stroke == HIGHLIGHT  # highlighted, though unreached
    assert records["x1"].fill == GREY_FILL


def test_bad_steps_are_refused():
    o = lecture_neuron()
    step = next(o.backward_steps())
    other = lecture_neuron()
    with pytest.raises(ValueError, match="another graph"):
        draw_dot(other, step=step)
    with pytest.raises(TypeError, match="Step"):
        draw_dot(o, step=1)
    with pytest.raises(ValueError, match="color_by"):
        draw_dot(o, step=step, color_by="grad")
    with pytest.raises(ValueError, match="collapse"):
        draw_dot(o, step=step, collapse=True, params={"x1": o.graph()[0]})

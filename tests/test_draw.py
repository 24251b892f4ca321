"""draw_dot and render: real SVGs from Graphviz, read back and compared with the graph."""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from collections import Counter

import graphviz
import pytest
from svg_reading import SVG, node_center, read_svg

import autograd
import demos.neuron
from autograd import Value, draw_dot, render
from autograd.draw.draw import GraphTooLargeError, GraphvizNotFoundError


def lecture_neuron() -> Value:
    o = demos.neuron.lecture_neuron()
    o.backward()
    return o


def svg_of(root: Value, **options) -> bytes:
    return draw_dot(root, **options).pipe(format="svg")


def node_ids(root: Value) -> dict[int, str]:
    return {id(node): f"v{i}" for i, node in enumerate(root.graph())}


def expected_edges(root: Value) -> Counter:
    ids = node_ids(root)
    edges: Counter = Counter()
    for node in root.graph():
        if node.parents:
            for parent in node.parents:
                edges[(ids[id(parent)], ids[id(node)] + "_op")] += 1
            edges[(ids[id(node)] + "_op", ids[id(node)])] += 1
    return edges


def test_every_value_shows_its_label_data_and_grad_once():
    o = lecture_neuron()
    drawing = read_svg(svg_of(o))
    ids = node_ids(o)
    for node in o.graph():
        shown = drawing.nodes[ids[id(node)]].texts
        assert shown == [node.label, f"data {node.data:.4f}", f"grad {node.grad:.4f}"]
    every_text = [t for n in drawing.nodes.values() for t in n.texts]
    for node in o.graph():
        assert every_text.count(node.label) == 1
    value_nodes = [i for i in drawing.nodes if not i.endswith("_op")]
    assert len(value_nodes) == len(o.graph()) == 10


def test_the_lecture_numbers_appear():
    texts = [t for n in read_svg(svg_of(lecture_neuron())).nodes.values() for t in n.texts]
    assert "data 0.7071" in texts  # o = tanh(n) = 1/sqrt(2)
    assert "grad -1.5000" in texts  # do/dx1 = w1 * (1 - o^2)
    assert "grad 0.5000" in texts


def test_op_nodes_and_edges_match_the_graph():
    o = lecture_neuron()
    drawing = read_svg(svg_of(o))
    ids = node_ids(o)
    ops = {i: n.texts for i, n in drawing.nodes.items() if i.endswith("_op")}
    assert ops == {ids[id(n)] + "_op": [n.op] for n in o.graph() if n.parents}
    assert sorted(op for [op] in ops.values()) == ["*", "*", "+", "+", "tanh"]
    assert drawing.edges == expected_edges(o)


def test_a_repeated_operand_gets_an_edge_per_use():
    x = Value(3.0, label="x")
    y = x * x
    y.backward()
    drawing = read_svg(svg_of(y))
    assert drawing.edges[("v0", "v1_op")] == 2
    assert drawing.nodes["v0"].texts == ["x", "data 3.0000", "grad 6.0000"]


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_operands_keep_their_order(rankdir):
    # b is created (and listed) first, but is the second operand.
    b = Value(1.0, label="b")
    a = Value(5.0, label="a")
    d = a - b
    d.backward()
    svg = svg_of(d, rankdir=rankdir)
    ids = node_ids(d)
    a_x, a_y = node_center(svg, ids[id(a)])
    b_x, b_y = node_center(svg, ids[id(b)])
    if rankdir == "LR":
        assert a_y < b_y  # first operand above (SVG y grows downwards)
    else:
        assert a_x < b_x  # first operand to the left
    assert read_svg(svg).nodes[ids[id(a)]].texts[2] == "grad 1.0000"
    assert read_svg(svg).nodes[ids[id(b)]].texts[2] == "grad -1.0000"


@pytest.mark.parametrize(
    ("rankdir", "axis", "root_is_max"),
    [("LR", 0, True), ("RL", 0, False), ("TB", 1, True), ("BT", 1, False)],
)
def test_rankdir_sets_the_direction_of_flow(rankdir, axis, root_is_max):
    o = lecture_neuron()
    svg = svg_of(o, rankdir=rankdir)
    ids = node_ids(o)
    positions = {node_id: node_center(svg, node_id)[axis] for node_id in ids.values()}
    root_position = positions[ids[id(o)]]
    extreme = max(positions.values()) if root_is_max else min(positions.values())
    assert root_position == extreme
    # records stay label | data | grad from left to right in every direction
    texts = read_svg(svg).nodes[ids[id(o)]].texts
    assert texts == ["o", "data 0.7071", "grad 1.0000"]


@pytest.mark.parametrize("rankdir", ["LR", "RL", "TB", "BT"])
def test_records_run_left_to_right_in_every_direction(rankdir):
    svg = svg_of(lecture_neuron(), rankdir=rankdir)
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        if title is not None and title.text == "v0":
            placed = [(float(t.get("x")), t.text) for t in group.iter(f"{SVG}text")]
    assert [text for _, text in sorted(placed)] == ["x1", "data 2.0000", "grad -1.5000"]


def test_unlabelled_values_show_data_and_grad_only():
    x = Value(2.0)
    y = x * 3
    y.backward()
    drawing = read_svg(svg_of(y))
    assert drawing.nodes["v0"].texts == ["data 2.0000", "grad 3.0000"]


def test_show_grad_false_and_precision():
    o = lecture_neuron()
    drawing = read_svg(svg_of(o, show_grad=False, precision=2))
    ids = node_ids(o)
    for node in o.graph():
        assert drawing.nodes[ids[id(node)]].texts == [node.label, f"data {node.data:.2f}"]
    assert not any(t.startswith("grad") for n in drawing.nodes.values() for t in n.texts)


def test_numbers_too_small_or_large_for_fixed_notation_switch_to_scientific():
    from autograd.steps.formulas import format_number

    assert format_number(0.5, 4) == "0.5000"
    assert format_number(-1234.5, 2) == "-1234.50"
    assert format_number(0.0, 4) == "0.0000"
    assert format_number(1.234e-7, 4) == "1.2340e-07"
    assert format_number(3e12, 3) == "3.000e+12"
    assert format_number(math.inf, 4) == "inf"
    assert format_number(-math.inf, 4) == "-inf"
    assert format_number(math.nan, 4) == "nan"


def test_params_name_the_parameter_leaves():
    x = Value(2.0, label="x")
    w = Value(-3.0, label="w")  # its own label is replaced by the parameter name
    b = Value(1.0)
    y = x * w + b
    y.backward()
    svg = svg_of(y, params=[("layer.weight", w), ("layer.bias", b)])
    drawing = read_svg(svg)
    ids = node_ids(y)
    assert drawing.nodes[ids[id(w)]].texts[0] == "layer.weight"
    assert drawing.nodes[ids[id(b)]].texts[0] == "layer.bias"
    assert drawing.nodes[ids[id(x)]].texts[0] == "x"
    # parameters are told apart by their fill
    assert drawing.nodes[ids[id(w)]].fill != drawing.nodes[ids[id(x)]].fill
    # a dict of names works too, and the Values themselves are untouched
    named = read_svg(svg_of(y, params={"bias": b}))
    assert named.nodes[ids[id(b)]].texts[0] == "bias"
    assert w.label == "w" and b.label == ""


@pytest.mark.parametrize("bad", [[("w",)], [(3, Value(1.0))], [("w", 1.0)], [1, 2]])
def test_params_must_be_name_value_pairs(bad):
    with pytest.raises(TypeError, match="named_parameters"):
        draw_dot(Value(1.0), params=bad)


def test_highlight_emphasises_the_given_values_only():
    o = lecture_neuron()
    n = o.parents[0]
    drawing = read_svg(svg_of(o, highlight=[n, "x1"]))
    ids = node_ids(o)
    x1 = next(v for v in o.graph() if v.label == "x1")
    emphasised = {i for i, node in drawing.nodes.items() if node.stroke_width == "3.5"}
    assert emphasised == {ids[id(n)], ids[id(x1)]}
    assert drawing.nodes[ids[id(n)]].stroke == "#ff8c00"


def test_highlight_of_something_not_in_the_graph_is_an_error():
    o = lecture_neuron()
    with pytest.raises(ValueError, match="'nope'"):
        draw_dot(o, highlight=["nope"])
    with pytest.raises(ValueError, match="not a value of this graph"):
        draw_dot(o, highlight=[Value(1.0)])


def _fill_rgb(fill: str) -> tuple[int, int, int]:
    return int(fill[1:3], 16), int(fill[3:5], 16), int(fill[5:7], 16)


def test_color_by_grad_shows_sign_by_hue_and_magnitude_by_intensity():
    leaves = [Value(1.0, label=f"p{i}") for i in range(6)]
    scales = [-100.0, -0.01, 0.0, 0.01, 1.0, 100.0]
    total = sum((leaf * s for leaf, s in zip(leaves, scales)), Value(0.0, label="zero"))
    total.label = "total"
    total.backward()
    ids = node_ids(total)
    drawing = read_svg(svg_of(total, color_by="grad"))
    fills = {leaf.label: _fill_rgb(drawing.nodes[ids[id(leaf)]].fill) for leaf in leaves}
    red, blue = 0, 2
    assert fills["p0"][red] > fills["p0"][blue] and fills["p1"][red] > fills["p1"][blue]
    assert fills["p5"][blue] > fills["p5"][red] and fills["p3"][blue] > fills["p3"][red]
    assert fills["p2"] == (255, 255, 255)  # zero gradient: no colour
    brightness = {k: sum(v) for k, v in fills.items()}
    assert brightness["p5"] < brightness["p4"] < brightness["p3"] < brightness["p2"]
    assert brightness["p0"] < brightness["p1"]
    # a log scale: 0.01 -> 1 -> 100 are equal steps in intensity
    assert abs((brightness["p3"] - brightness["p4"]) - (brightness["p4"] - brightness["p5"])) <= 6
    assert "grad, log scale" in drawing.graph_texts
    assert "+1e+02" in drawing.graph_texts and "-1e+02" in drawing.graph_texts


def test_color_by_grad_marks_nonfinite_gradients():
    x = Value(0.0, label="x")
    y = x.sqrt()  # d sqrt(x)/dx at 0 is inf
    y.backward()
    drawing = read_svg(svg_of(y, color_by="grad"))
    assert drawing.nodes["v0"].texts[2] == "grad inf"
    assert drawing.nodes["v0"].fill == "#ffd700"
    assert "nan/inf" in drawing.graph_texts


def test_grad_range_fixes_the_colour_scale():
    x = Value(1.0, label="x")
    y = x * 0.5
    y.backward()
    own = read_svg(svg_of(y, color_by="grad")).nodes["v0"].fill
    fixed = read_svg(svg_of(y, color_by="grad", grad_range=(1e-6, 1e6))).nodes["v0"].fill
    # x's 0.5 is the smallest gradient of the graph (the faintest colour) on the graph's own
    # scale, but mid-scale on 1e-6..1e6
    assert sum(_fill_rgb(fixed)) < sum(_fill_rgb(own))
    top = read_svg(svg_of(y, color_by="grad", grad_range=(1e-6, 0.5))).nodes["v0"].fill
    assert top == "#2166ac"


def test_without_color_by_there_is_no_legend():
    assert read_svg(svg_of(lecture_neuron())).graph_texts == []


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"rankdir": "UP"}, "rankdir"),
        ({"precision": -1}, "precision"),
        ({"precision": 2.5}, "precision"),
        ({"color_by": "data"}, "color_by"),
        ({"max_nodes": 0}, "max_nodes"),
        ({"format": "bmpx"}, "format"),
        ({"collapse": -1}, "collapse"),
    ],
)
def test_bad_options_are_rejected_with_the_option_named(option, message):
    with pytest.raises(ValueError, match=message):
        draw_dot(lecture_neuron(), **option)


def test_draw_dot_wants_a_value():
    with pytest.raises(TypeError, match="Value"):
        draw_dot([1, 2, 3])


def test_too_many_nodes_is_an_error_naming_the_count_and_the_ways_out():
    x = Value(1.0, label="x")
    total = x
    for _ in range(30):
        total = total * 1.01
    count = len(total.graph())
    with pytest.raises(GraphTooLargeError) as raised:
        draw_dot(total, max_nodes=count - 1)
    message = str(raised.value)
    assert str(count) in message and "collapse=True" in message and "max_nodes" in message
    assert raised.value.count == count
    assert draw_dot(total, max_nodes=count).source.count("_op [") == 30


def test_draw_dot_returns_a_digraph_with_the_format():
    dot = draw_dot(lecture_neuron(), format="png")
    assert isinstance(dot, graphviz.Digraph)
    assert dot.format == "png"
    assert dot.pipe().startswith(b"\x89PNG")


def test_gradients_that_are_values_after_create_graph_are_drawn_as_numbers():
    x = Value(3.0, label="x")
    y = x * x
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    assert read_svg(svg_of(y)).nodes["v0"].texts == ["x", "data 3.0000", "grad 6.0000"]


# ----- render --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "magic"), [("g.svg", b"<?xml"), ("g.png", b"\x89PNG"), ("g.pdf", b"%PDF")]
)
def test_render_takes_the_format_from_the_extension(tmp_path, name, magic):
    path = tmp_path / name
    assert render(lecture_neuron(), path) == os.fspath(path)
    assert path.read_bytes().startswith(magic)
    assert os.listdir(tmp_path) == [name]  # no temporary file left behind


def test_render_png_resolution(tmp_path):
    import struct

    widths = []
    for dpi in (72, 144):
        path = tmp_path / f"g{dpi}.png"
        render(lecture_neuron(), path, dpi=dpi)
        widths.append(struct.unpack(">I", path.read_bytes()[16:20])[0])  # IHDR width
    assert 1.9 < widths[1] / widths[0] < 2.1
    with pytest.raises(ValueError, match="dpi"):
        render(lecture_neuron(), tmp_path / "g.png", dpi=0)


def test_a_notebook_shows_the_drawing_inline():
    bundle = draw_dot(lecture_neuron())._repr_mimebundle_()
    assert "x1*w1 + x2*w2" in bundle["image/svg+xml"]


def test_render_dot_writes_the_source(tmp_path):
    o = lecture_neuron()
    path = tmp_path / "g.dot"
    render(o, str(path), rankdir="TB")
    assert path.read_text() == draw_dot(o, rankdir="TB").source


def test_render_replaces_an_existing_file(tmp_path):
    path = tmp_path / "g.svg"
    path.write_text("old")
    render(lecture_neuron(), path)
    assert "x1*w1" in path.read_text()


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_an_interrupted_render_leaves_the_previous_drawing_and_no_temporary(
    tmp_path, monkeypatch, failing
):
    path = tmp_path / "g.dot"
    path.write_text("the previous drawing")

    def fail(*args):
        raise OSError(f"{failing} failed")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(OSError, match=f"{failing} failed"):
        render(lecture_neuron(), path)
    assert path.read_text() == "the previous drawing"
    assert os.listdir(tmp_path) == ["g.dot"]


@pytest.mark.parametrize(
    ("name", "options", "error", "message"),
    [
        ("g.jpeg", {}, ValueError, ".svg"),
        ("g", {}, ValueError, ".svg"),
        ("g.svg", {"format": "png"}, ValueError, "contradicts"),
        ("missing/g.svg", {}, FileNotFoundError, "missing"),
    ],
)
def test_render_rejects_what_it_cannot_write(tmp_path, name, options, error, message):
    with pytest.raises(error, match=message):
        render(lecture_neuron(), tmp_path / name, **options)
    assert not (tmp_path / name).exists()


def test_without_graphviz_the_source_works_and_rendering_says_how_to_install(
    tmp_path, monkeypatch
):
    o = lecture_neuron()
    existing = tmp_path / "g.svg"
    existing.write_text("old")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert "x1*w1" in draw_dot(o).source
    render(o, tmp_path / "g.dot")
    for attempt in (lambda: render(o, existing), lambda: draw_dot(o).pipe()):
        with pytest.raises(GraphvizNotFoundError) as raised:
            attempt()
        message = str(raised.value)
        assert "sudo apt-get install graphviz" in message
        assert "brew install graphviz" in message
        assert "conda install -c conda-forge graphviz" in message
    assert existing.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["g.dot", "g.svg"]


def test_draw_dot_and_render_are_exported():
    assert autograd.draw_dot is draw_dot and autograd.render is render
    assert {"draw_dot", "render"} <= set(autograd.__all__)

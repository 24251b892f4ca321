"""Labels render literally: DOT/record specials, quotes, backslashes, entities, newlines."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from svg_reading import read_svg

from autograd import Value, draw_dot
from autograd.draw.dot_text import plain_label, record_field

NASTY = [
    "a|b",
    "{x}",
    "<port>",
    'say "hi"',
    "back\\slash",
    "ends with \\",
    "\\N \\G \\n \\l",
    "&amp; &lt; &#65;",
    "x & y",
    "two  spaces",
    " leading",
    "trailing ",
    "line one\nline two",
    "{ |<f0> a| }",
    '\\"',
    "ünïcödé ∑ θ",
    # markup: HTML-like labels, SVG/XML, and what a browser would run
    "<b>bold</b>",
    "<<i>html-like</i>>",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<![CDATA[x]]> ]]>",
    "<!-- comment -->",
    "&lt;script&gt;",
]


def drawn_label(texts: list[str], fields_after: int = 2) -> str:
    """The label field of a value record: its lines (one SVG text each) joined back."""
    return "\n".join(texts[:-fields_after])


def chain_with_labels(labels: list[str]) -> tuple[Value, list[Value]]:
    values = [Value(float(i), label=label) for i, label in enumerate(labels)]
    total = values[0]
    for value in values[1:]:
        total = total + value
    total.backward()
    return total, values


def test_special_characters_render_literally_in_records_and_svg():
    root, values = chain_with_labels(NASTY)
    dot = draw_dot(root, max_nodes=1000)
    drawing = read_svg(dot.pipe(format="svg"))
    ids = {id(node): f"v{i}" for i, node in enumerate(root.graph())}
    for value in values:
        assert drawn_label(drawing.nodes[ids[id(value)]].texts) == value.label


def test_markup_in_labels_adds_no_element_to_the_svg():
    root, values = chain_with_labels([label for label in NASTY if "<" in label or "&" in label])
    svg = draw_dot(root, max_nodes=1000).pipe(format="svg")
    tags = {element.tag.rpartition("}")[2] for element in ET.fromstring(svg).iter()}
    assert not tags & {"script", "img", "b", "i", "foreignObject"}
    assert b"<script" not in svg and b"<img" not in svg and b"<b>" not in svg


def test_special_characters_render_literally_in_every_direction():
    root, values = chain_with_labels(["a|b", "{c}", "<d>"])
    ids = {id(node): f"v{i}" for i, node in enumerate(root.graph())}
    for rankdir in ("TB", "RL", "BT"):
        drawing = read_svg(draw_dot(root, rankdir=rankdir).pipe(format="svg"))
        for value in values:
            assert drawing.nodes[ids[id(value)]].texts[0] == value.label


def test_control_characters_are_shown_as_escapes_and_keep_the_svg_valid():
    x = Value(1.0, label="tab\there\x00bell\x07")
    y = x * 2
    drawing = read_svg(draw_dot(y).pipe(format="svg"))  # parsing fails on invalid XML
    assert drawing.nodes["v0"].texts[0] == "tab\\there\\x00bell\\x07"


def test_escaped_text_has_no_unescaped_record_specials():
    escaped = record_field('a|b{c}<d>"e\\')
    assert escaped == 'a\\|b\\{c\\}\\<d\\>\\"e\\\\'
    assert plain_label("a|b") == "a|b"
    assert plain_label('q"\\') == 'q\\"\\\\'
    assert record_field("a\nb") == "a\\nb"


def test_op_names_and_parameter_names_are_escaped_too():
    w = Value(2.0)
    x = Value(3.0, label="x")
    y = w * x
    drawing = read_svg(draw_dot(y, params=[('odd|name{"\\}', w)]).pipe(format="svg"))
    assert drawing.nodes["v0"].texts[0] == 'odd|name{"\\}'


LINE = st.text(
    alphabet=st.sampled_from(list("ab |{}<>\"\\&;#xyz01 ") + ["é", "∑"]),
    min_size=1,
    max_size=12,
).filter(lambda line: line.strip() != "")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(LINE, min_size=1, max_size=3).map("\n".join), min_size=1, max_size=6))
def test_any_label_renders_literally(labels):
    root, values = chain_with_labels(labels)
    drawing = read_svg(draw_dot(root).pipe(format="svg"))
    ids = {id(node): f"v{i}" for i, node in enumerate(root.graph())}
    for value in values:
        assert drawn_label(drawing.nodes[ids[id(value)]].texts) == value.label


# Text between < and > is an HTML-like label to Graphviz (and to the graphviz package, which
# then leaves it unquoted): `<b>bold</b>` would be bold, `<x>` would lose its brackets.
HTML_LIKE = ["<img src=x>", "<b>bold</b>", "<x>", "<<i>html</i>>", "<>"]


@pytest.mark.parametrize("name", ['f|{x}<y>"\\ & z', *HTML_LIKE])
def test_op_names_render_literally(name):
    from autograd import Op

    odd = Op(name, lambda x: 2 * x, (lambda x, out: 2.0,))
    y = odd.apply(Value(1.0, label="x"))
    drawing = read_svg(draw_dot(y).pipe(format="svg"))
    assert drawing.nodes["v1_op"].texts == [name]


@pytest.mark.parametrize("module", ['a"b\\c|{d}', *HTML_LIKE])
def test_module_box_names_render_literally(module):
    w = Value(2.0)
    y = w * 3.0
    y.backward()
    dot = draw_dot(y, params=[(f"{module}.w", w)], collapse=True)
    boxes = [n for i, n in read_svg(dot.pipe(format="svg")).nodes.items() if i.startswith("m")]
    assert [box.texts[0] for box in boxes] == [module]

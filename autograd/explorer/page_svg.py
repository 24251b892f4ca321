"""Graphviz's SVG made fit to inline in the explore page: rebuilt from an allow-list of elements
and attributes (so nothing in it can run), with hooks for the page's script.

Hooks: a value's group gets `data-node="v3"` and its data and grad texts the classes `data` and
`grad`; an op's group gets `data-op="v3"` (the value it computes); an edge's group gets
`data-owner="v3"`, the value whose op it leads into or out of.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

_ELEMENTS = frozenset({"svg", "g", "polygon", "polyline", "ellipse", "path", "text"})
_ATTRIBUTES = frozenset({
    "viewBox", "class", "transform", "points", "d", "cx", "cy", "rx", "ry", "x", "y",
    "fill", "fill-opacity", "stroke", "stroke-opacity", "stroke-width", "stroke-dasharray",
    "text-anchor", "font-family", "font-size", "font-weight", "font-style",
})  # fmt: skip
_VALUE_ID = re.compile(r"v\d+")
_OP_ID = re.compile(r"(v\d+)_op")


def page_svg(svg: bytes) -> str:
    """The drawing as markup for an HTML page: no namespaces, comments, titles or ids."""
    source = ET.fromstring(svg)
    cleaned = _rebuild(source)
    if cleaned is None:
        raise ValueError("the drawing is not an SVG document")
    cleaned.set("role", "img")
    return ET.tostring(cleaned, encoding="unicode", short_empty_elements=True)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _rebuild(element: ET.Element) -> ET.Element | None:
    tag = _local(element.tag) if isinstance(element.tag, str) else ""
    if tag not in _ELEMENTS:
        return None
    copy = ET.Element(tag, {k: v for k, v in element.attrib.items() if k in _ATTRIBUTES})
    copy.text = element.text if tag == "text" else None
    for child in element:
        rebuilt = _rebuild(child)
        if rebuilt is not None:
            copy.append(rebuilt)
    if tag == "g":
        _add_hooks(copy, _title(element))
    return copy


def _title(group: ET.Element) -> str:
    for child in group:
        if isinstance(child.tag, str) and _local(child.tag) == "title":
            return child.text or ""
    return ""


def _add_hooks(group: ET.Element, title: str) -> None:
    kind = group.get("class")
    if kind == "node":
        if _VALUE_ID.fullmatch(title):
            group.set("data-node", title)
            texts = group.findall("text")
            # Record fields come in order name | data | grad; a name may take several lines.
            if len(texts) >= 2:
                texts[-2].set("class", "data")
                texts[-1].set("class", "grad")
        elif (match := _OP_ID.fullmatch(title)) is not None:
            group.set("data-op", match.group(1))
    elif kind == "edge":
        tail, _, head = title.partition("->")
        for end in (head, tail):
            if (match := _OP_ID.fullmatch(end)) is not None:
                group.set("data-owner", match.group(1))
                break

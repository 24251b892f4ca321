"""Reading Graphviz SVG output back: nodes (by DOT id) with their texts, colours and positions."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass

SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class SvgNode:
    id: str
    texts: list[str]
    fill: str | None
    stroke: str | None
    stroke_width: str | None
    x: float
    y: float


@dataclass
class SvgDrawing:
    nodes: dict[str, SvgNode]
    edges: Counter  # (tail id, head id) -> how many
    graph_texts: list[str]  # texts outside nodes and edges (the legend)


def _text(element: ET.Element) -> str:
    # Graphviz writes the second and later spaces of a run as no-break spaces.
    return "".join(element.itertext()).replace("\xa0", " ")


def read_svg(svg: bytes | str) -> SvgDrawing:
    root = ET.fromstring(svg)
    nodes: dict[str, SvgNode] = {}
    edges: Counter = Counter()
    graph_texts: list[str] = []
    for group in root.iter(f"{SVG}g"):
        kind = group.get("class")
        title_element = group.find(f"{SVG}title")
        title = title_element.text if title_element is not None else ""
        if kind == "node":
            shape = group.find(f"{SVG}polygon")
            if shape is None:
                shape = group.find(f"{SVG}path")
            if shape is None:
                shape = group.find(f"{SVG}ellipse")
            texts = [_text(t) for t in group.findall(f"{SVG}text")]
            first = group.find(f"{SVG}text")
            nodes[title] = SvgNode(
                id=title,
                texts=texts,
                fill=shape.get("fill") if shape is not None else None,
                stroke=shape.get("stroke") if shape is not None else None,
                stroke_width=shape.get("stroke-width") if shape is not None else None,
                x=float(first.get("x")) if first is not None else 0.0,
                y=float(first.get("y")) if first is not None else 0.0,
            )
        elif kind == "edge":
            tail, head = title.split("->")
            edges[(tail, head)] += 1
        elif kind == "graph":
            graph_texts = [_text(t) for t in group.findall(f"{SVG}text")]
    return SvgDrawing(nodes, edges, graph_texts)


def node_center(svg: bytes | str, node_id: str) -> tuple[float, float]:
    """The centre of a node's outline (its polygon/ellipse), in SVG coordinates."""
    root = ET.fromstring(svg)
    for group in root.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        if group.get("class") == "node" and title is not None and title.text == node_id:
            ellipse = group.find(f"{SVG}ellipse")
            if ellipse is not None:
                return float(ellipse.get("cx")), float(ellipse.get("cy"))
            polygon = group.find(f"{SVG}polygon")
            if polygon is None:
                raise AssertionError(f"node {node_id} has no polygon")
            points = [tuple(map(float, p.split(","))) for p in polygon.get("points").split()]
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    raise KeyError(node_id)

"""collapse=True: one box per module, edges between boxes, gradient norms, and speed."""

from __future__ import annotations

import math
import time
from collections import defaultdict

import pytest
from stand_in_mlp import StandInMLP, squared_error_loss
from svg_reading import read_svg

from autograd import Value, draw_dot, render
from autograd.draw.collapse import collapse_graph, module_name
from autograd.draw.draw import GraphTooLargeError


def boxes_by_name(drawing) -> dict[str, list[str]]:
    """Box name (first line) -> the box's lines, for every collapsed box; ids start with m."""
    boxes: dict[str, list[str]] = {}
    for node_id, node in drawing.nodes.items():
        if node_id.startswith("m"):
            assert node.texts[0] not in boxes, f"two boxes named {node.texts[0]}"
            boxes[node.texts[0]] = node.texts
    return boxes


def neuron_names(model: StandInMLP) -> set[str]:
    return {
        f"layers.{depth}.neurons.{j}"
        for depth, layer in enumerate(model.layers)
        for j in range(len(layer))
    }


@pytest.fixture(scope="module")
def small():
    model = StandInMLP(2, [3, 2, 1])
    loss, inputs = squared_error_loss(model, samples=2)
    return model, loss, inputs


def test_one_box_per_module(small):
    model, loss, _ = small
    drawing = read_svg(
        draw_dot(loss, params=model.named_parameters(), collapse=True).pipe(format="svg")
    )
    boxes = boxes_by_name(drawing)
    assert set(boxes) == neuron_names(model) | {"inputs"}
    assert drawing.nodes["root"].texts == ["loss", f"data {loss.data:.4f}", "grad 1.0000"]
    assert not any(node_id.startswith("v") for node_id in drawing.nodes)  # no value records


def test_boxes_count_their_parameters_and_values(small):
    model, loss, _ = small
    drawing = read_svg(
        draw_dot(loss, params=model.named_parameters(), collapse=True).pipe(format="svg")
    )
    boxes = boxes_by_name(drawing)
    assert boxes["layers.0.neurons.0"][1].startswith("3 params")  # 2 weights and a bias
    assert boxes["layers.1.neurons.1"][1].startswith("4 params")
    assert boxes["inputs"][1] == "4 values"  # 2 samples x 2 inputs
    total = sum(int(lines[1].split()[-2]) for lines in boxes.values())
    assert total == len(loss.graph()) - 1  # every value except the root is in a box


def test_box_grad_norm_is_the_norm_of_its_parameter_gradients(small):
    model, loss, inputs = small
    drawing = read_svg(
        draw_dot(loss, params=model.named_parameters(), collapse=True).pipe(format="svg")
    )
    squares: dict[str, float] = defaultdict(float)
    for name, parameter in model.named_parameters():
        squares[name.rsplit(".", 2)[0] if ".w." in name else name.rsplit(".", 1)[0]] += (
            parameter.grad**2
        )
    boxes = boxes_by_name(drawing)
    for module, total in squares.items():
        assert boxes[module][2] == f"grad norm {math.sqrt(total):.4f}"
    input_norm = math.sqrt(sum(x.grad**2 for sample in inputs for x in sample))
    assert boxes["inputs"][2] == f"grad norm {input_norm:.4f}"


def test_edges_run_between_boxes_as_the_data_flows(small):
    model, loss, _ = small
    dot = draw_dot(loss, params=model.named_parameters(), collapse=True)
    drawing = read_svg(dot.pipe(format="svg"))
    name_of = {node_id: node.texts[0] for node_id, node in drawing.nodes.items()}
    edges = {(name_of[tail], name_of[head]) for tail, head in drawing.edges}
    names = neuron_names(model)
    layer = [sorted(n for n in names if n.startswith(f"layers.{i}.")) for i in (0, 1, 2)]
    expected = {("inputs", n) for n in layer[0]}
    expected |= {(a, b) for a in layer[0] for b in layer[1]}
    expected |= {(a, b) for a in layer[1] for b in layer[2]}
    expected |= {("layers.2.neurons.0", "loss")}
    assert edges == expected
    assert all(count == 1 for count in drawing.edges.values())  # no duplicate edges


def test_an_int_collapses_to_that_many_leading_name_parts(small):
    model, loss, _ = small
    params = model.named_parameters()
    drawing = read_svg(draw_dot(loss, params=params, collapse=2).pipe(format="svg"))
    boxes = boxes_by_name(drawing)
    assert set(boxes) == {"inputs", "layers.0", "layers.1", "layers.2"}
    assert boxes["layers.1"][1].startswith("8 params")
    name_of = {node_id: node.texts[0] for node_id, node in drawing.nodes.items()}
    edges = {(name_of[tail], name_of[head]) for tail, head in drawing.edges}
    assert edges == {
        ("inputs", "layers.0"), ("layers.0", "layers.1"), ("layers.1", "layers.2"),
        ("layers.2", "loss"),
    }  # fmt: skip
    one = boxes_by_name(read_svg(draw_dot(loss, params=params, collapse=1).pipe(format="svg")))
    assert set(one) == {"inputs", "layers"}


def test_module_names():
    assert module_name("layers.0.neurons.3.w.1") == "layers.0.neurons.3"
    assert module_name("layers.0.neurons.3.b") == "layers.0.neurons.3"
    assert module_name("encoder.weight") == "encoder"
    assert module_name("w") == "(top level)"
    assert module_name("layers.0.neurons.3.w.1", depth=2) == "layers.0"
    assert module_name("layers.0.neurons.3.w.1", depth=9) == "layers.0.neurons.3"


def test_operations_mixing_modules_go_to_other_operations():
    a, b = Value(1.0), Value(2.0)
    x = Value(3.0, label="x")
    loss = (a * x) * (b * x) + a * b
    loss.label = "loss"
    loss.backward()
    collapsed = collapse_graph(loss.graph(), {id(a): "first.w", id(b): "second.w"}, None)
    names = [box.name for box in collapsed.boxes]
    assert names == ["inputs", "first", "second", "other operations"]
    assert len(collapsed.boxes) == 4
    # (a*x)*(b*x) mixes the modules' values, a*b their parameters: both are "other operations"
    assert collapsed.boxes[3].values == 2
    assert collapsed.boxes[1].values == 2  # a, a*x
    assert sorted(collapsed.root_edges) == [3]


def test_a_penalty_over_every_parameter_goes_to_other_operations():
    from autograd import dot

    a, b = Value(1.0), Value(2.0)
    x = Value(3.0, label="x")
    loss = a * x + b * x + dot([a, b], [a, b])
    loss.backward()
    collapsed = collapse_graph(loss.graph(), {id(a): "first.w", id(b): "second.w"}, None)
    other = [box for box in collapsed.boxes if box.name == "other operations"]
    assert len(other) == 1 and other[0].values >= 1
    first = next(box for box in collapsed.boxes if box.name == "first")
    assert first.values == 2  # a and a*x: the penalty did not land in the first module


def test_unlabelled_constants_join_the_module_using_them():
    w = Value(0.5)
    loss = (w * 2.0 + 1.0) / 10.0
    loss.backward()
    collapsed = collapse_graph(loss.graph(), {id(w): "layer.w"}, None)
    assert [box.name for box in collapsed.boxes] == ["layer"]
    assert collapsed.boxes[0].values == 5  # w, 2.0, w*2, 1.0, w*2+1
    # the 10.0 only the root uses goes with the root: no "inputs" box for it


def test_highlight_a_module_box(small):
    model, loss, _ = small
    drawing = read_svg(
        draw_dot(loss, params=model.named_parameters(), collapse=True,
                 highlight=["layers.1.neurons.0"]).pipe(format="svg")
    )
    emphasised = [n.texts[0] for n in drawing.nodes.values() if n.stroke_width == "3.5"]
    assert emphasised == ["layers.1.neurons.0"]


def test_color_by_grad_colours_boxes_by_their_norm(small):
    model, loss, _ = small
    drawing = read_svg(
        draw_dot(loss, params=model.named_parameters(), collapse=True, color_by="grad")
        .pipe(format="svg")
    )
    fills = {n.texts[0]: n.fill for i, n in drawing.nodes.items() if i.startswith("m")}
    assert len(set(fills.values())) > 1
    assert "gradient norm per box, log scale" in drawing.graph_texts


def test_collapse_needs_parameter_names(small):
    _, loss, _ = small
    with pytest.raises(ValueError, match="named_parameters"):
        draw_dot(loss, collapse=True)


def test_a_collapsed_graph_over_max_nodes_suggests_coarser_modules(small):
    model, loss, _ = small
    with pytest.raises(GraphTooLargeError, match="collapse=1 or 2"):
        draw_dot(loss, params=model.named_parameters(), collapse=True, max_nodes=5)


def test_the_uncollapsed_big_graph_is_refused_with_its_size():
    model = StandInMLP(2, [16, 16, 1])
    loss, _ = squared_error_loss(model, samples=2)
    with pytest.raises(GraphTooLargeError, match=f"{len(loss.graph())} values"):
        draw_dot(loss)


def test_mlp_loss_over_ten_samples_renders_collapsed_in_seconds(tmp_path):
    model = StandInMLP(2, [16, 16, 1])
    loss, _ = squared_error_loss(model, samples=10)
    assert len(loss.graph()) > 6000
    start = time.perf_counter()
    render(loss, tmp_path / "mlp.svg", params=model.named_parameters(), collapse=True,
           color_by="grad")
    elapsed = time.perf_counter() - start
    assert elapsed < 10.0
    boxes = boxes_by_name(read_svg((tmp_path / "mlp.svg").read_bytes()))
    assert len(boxes) == 16 + 16 + 1 + 1


def test_collapsing_takes_linear_time():
    # Four times the samples: about four times the time, where a quadratic pass takes sixteen.
    # CPU time of this process, best of several: time spent waiting for a busy machine's
    # processors is not the algorithm's.
    model = StandInMLP(2, [8, 8, 1])
    names = {id(p): n for n, p in model.named_parameters()}
    timings = []
    for samples in (10, 40):
        nodes = squared_error_loss(model, samples=samples)[0].graph()
        best = math.inf
        for _ in range(7):
            start = time.process_time()
            collapse_graph(nodes, names, None)
            best = min(best, time.process_time() - start)
        timings.append((best, len(nodes)))
    (small_time, small_size), (big_time, big_size) = timings
    assert big_size > 3.5 * small_size
    assert big_time < 8 * small_time

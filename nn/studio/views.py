"""What the page draws, computed from the model: the decision boundary, the network's weights,
activations and gradients for one sample, a neuron's Value graph, the thinned curves."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd
from autograd import Value

from .settings import SettingsError

GRID = 48  # the decision boundary is evaluated on GRID x GRID points
CURVE_POINTS = 300  # at most this many points of each curve are sent
FULL_DRAWING_LIMIT = 120  # a neuron's graph with more values is drawn collapsed
NEURON_BOXES_LIMIT = 40  # ... one box per neuron up to this many neurons, else one per layer


def number(value: Any) -> float | None:
    """A float for JSON; None (null) for nan and ±inf, which JSON cannot carry."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def whole_number(name: str, value: Any, low: int, high: int) -> int:
    try:
        whole = int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a whole number; got {value!r}") from None
    if not low <= whole <= high:
        raise SettingsError(f"{name} must be from {low} to {high}; got {whole}")
    return whole


def boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    bounds: tuple[float, float, float, float],
    n_classes: int,
) -> dict[str, Any]:
    """The model at the centres of a GRID x GRID raster of the plot, row by row from the top:
    for 2 classes tanh(score) per cell (its sign is the class); for more, each class's softmax
    probability (``outputs`` numbers per cell). The page interpolates between the cells."""
    xmin, xmax, ymin, ymax = bounds
    centres = (np.arange(GRID) + 0.5) / GRID
    xs = xmin + centres * (xmax - xmin)
    ys = ymax - centres * (ymax - ymin)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    with np.errstate(all="ignore"):
        outputs = predict(grid)
        if outputs.ndim == 1:
            values = np.tanh(outputs)
        else:
            shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
            values = shifted / shifted.sum(axis=1, keepdims=True)
    values = np.where(np.isfinite(values), values, 0.0)  # a diverged model: undecided
    return {
        "size": GRID,
        "outputs": 1 if n_classes == 2 else n_classes,
        "values": np.round(values, 4).ravel().tolist(),
    }


def thinned(history: list[tuple[int, float, float]]) -> dict[str, list]:
    """The (step, loss, accuracy) history, thinned evenly to CURVE_POINTS (the last kept)."""
    if len(history) > CURVE_POINTS:
        picks = np.linspace(0, len(history) - 1, CURVE_POINTS).round().astype(int)
        history = [history[i] for i in picks]
    return {
        "step": [h[0] for h in history],
        "loss": [number(h[1]) for h in history],
        "accuracy": [number(h[2]) for h in history],
    }


def layer_names(model: Any) -> list[str]:
    """x for the inputs, h1, h2, ... for the hidden layers, out for the last."""
    hidden = [f"h{i + 1}" for i in range(len(model.layers) - 1)]
    return ["x", *hidden, "out"]


def layer_values(model: Any, point: list[float]) -> list[list[Value]]:
    """Every neuron's output for one point, layer by layer (the inputs first), as labelled
    Values of one graph: ``h1.3`` is neuron 3 of the first hidden layer, ``z1.3`` its weighted
    sum before the activation."""
    names = layer_names(model)
    inputs = [Value(v, label=f"x.{i}") for i, v in enumerate(point)]
    values = [inputs]
    for number_, layer in enumerate(model.layers, start=1):
        out = layer(values[-1])
        row = out if isinstance(out, list) else [out]
        for j, value in enumerate(row):
            value.label = f"{names[number_]}.{j}"
            if value.parents and value.op != "linear":
                name = names[number_]
                value.parents[0].label = f"z{name[1:] if name != 'out' else '_out'}.{j}"
        values.append(row)
    return values


def network_weights(model: Any) -> dict[str, Any]:
    """Layer sizes, each neuron's input weights and bias, and the activation's name."""
    layers = model.layers
    return {
        "sizes": [layers[0].neurons[0].nin] + [len(layer.neurons) for layer in layers],
        "names": layer_names(model),
        "weights": [[[number(w.data) for w in n.w] for n in layer.neurons] for layer in layers],
        "biases": [
            [number(n.b.data) if n.b is not None else 0.0 for n in layer.neurons]
            for layer in layers
        ],
        "activations": [layer.neurons[0].activation for layer in layers],
    }


def drawing_names(model: Any) -> list[tuple[str, Value]]:
    """Parameter names for the drawing, dotted like the neurons: ``h1.3.w.0``, ``out.0.b``."""
    names = layer_names(model)
    pairs = []
    for number_, layer in enumerate(model.layers, start=1):
        for j, neuron in enumerate(layer.neurons):
            pairs += [(f"{names[number_]}.{j}.w.{k}", w) for k, w in enumerate(neuron.w)]
            if neuron.b is not None:
                pairs.append((f"{names[number_]}.{j}.b", neuron.b))
    return pairs


def neuron_drawing(value: Value, model: Any, neurons_upstream: int) -> tuple[Any, dict]:
    """``autograd.draw_dot`` of the graph under one neuron's output (every value with its data
    and its gradient of the sample's loss), collapsed into boxes when large; and its numbers."""
    count = len(value.graph())
    params = drawing_names(model)
    if count <= FULL_DRAWING_LIMIT:
        collapsed = "no"
        drawing = autograd.draw_dot(value, params=params, color_by="grad", highlight=[value])
    elif neurons_upstream <= NEURON_BOXES_LIMIT:
        collapsed = "one box per neuron"
        drawing = autograd.draw_dot(value, params=params, collapse=True)
    else:
        collapsed = "one box per layer"
        drawing = autograd.draw_dot(value, params=params, collapse=1)
    pre = value.parents[0] if value.parents and value.op != "linear" else None
    facts = {
        "label": value.label,
        "data": number(value.data),
        "grad": number(value.grad),
        "weighted_sum": number(pre.data) if pre is not None else None,
        "weighted_sum_grad": number(pre.grad) if pre is not None else None,
        "activation": value.op if pre is not None else "linear",
        "values": count,
        "collapsed": collapsed,
    }
    return drawing, facts


def neuron_explanation(value: Value, loss: Value, model: Any) -> dict[str, Any]:
    """``autograd.explain(value, output=loss)``: the neuron's gradient as the sum over the values
    that use it, with the numbers, and a numerical check. The parameters are named as in the
    drawing while it runs, then get their own labels back."""
    params = drawing_names(model)
    labels = [p.label for _, p in params]
    for name, p in params:
        p.label = name
    try:
        explanation = autograd.explain(value, output=loss)
    finally:
        for (_, p), label in zip(params, labels):
            p.label = label
    check = explanation.numerical
    return {
        "text": str(explanation),
        "gradient": number(explanation.gradient),
        "numerical": number(check.estimate),
        "agrees": check.agrees(),
    }

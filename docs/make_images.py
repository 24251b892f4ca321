"""Regenerate the pictures in docs/images/ (needs Graphviz's `dot`).

    python docs/make_images.py            # from the repository root

- neuron.svg/.png: the lecture's neuron, o = tanh(x1*w1 + x2*w2 + b), after o.backward()
- neuron_grad.svg/.png: the same, coloured by gradient (color_by="grad")
- neuron_step.svg/.png: the same four steps into o.backward_steps(), drawn with step=
- mlp_collapsed.svg/.png: the squared-error loss of an MLP(2, [16, 16, 1]) over 10 samples,
  collapse=True (one box per neuron), coloured by each box's gradient norm
- mlp_layers.svg/.png: the same loss with collapse=2 (one box per layer)

The MLP here is a stand-in built from plain Values with nn-style dotted parameter names
(layers.0.neurons.3.w.1); regenerate with nn.MLP once the nn package has landed.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograd import Value, render  # noqa: E402
from autograd.stepping import Step  # noqa: E402

IMAGES = ROOT / "docs" / "images"


def lecture_neuron() -> Value:
    """micrograd lecture's neuron with its labels, backpropagated."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def neuron_mid_walk() -> tuple[Value, Step]:
    """The lecture's neuron, gradients zeroed, and the fourth step of its backward walk."""
    o = lecture_neuron()
    for node in o.graph():
        node.grad = 0.0
    steps = o.backward_steps()
    for _ in range(4):
        step = next(steps)
    return o, step


def mlp_loss(sizes: list[int], samples: int, seed: int = 0) -> tuple[Value, list]:
    """A stand-in MLP's summed squared error and its (name, parameter) pairs."""
    rng = random.Random(seed)
    widths = [2, *sizes]
    layers, named = [], []
    for depth, (fan_in, fan_out) in enumerate(zip(widths, widths[1:])):
        layer = []
        for j in range(fan_out):
            weights = [Value(rng.uniform(-1, 1)) for _ in range(fan_in)]
            bias = Value(0.0)
            named += [(f"layers.{depth}.neurons.{j}.w.{i}", w) for i, w in enumerate(weights)]
            named.append((f"layers.{depth}.neurons.{j}.b", bias))
            layer.append((weights, bias))
        layers.append(layer)

    def forward(x: list[Value]) -> Value:
        for depth, layer in enumerate(layers):
            sums = [sum((w * xi for w, xi in zip(weights, x)), bias) for weights, bias in layer]
            x = sums if depth == len(layers) - 1 else [s.tanh() for s in sums]
        return x[0]

    inputs = [[Value(rng.uniform(-2, 2), label=f"x{k}.{i}") for i in range(2)]
              for k in range(samples)]
    targets = [rng.choice([-1.0, 1.0]) for _ in range(samples)]
    loss = sum(((forward(x) - y) ** 2 for x, y in zip(inputs, targets)), Value(0.0))
    loss.label = "loss"
    loss.backward()
    return loss, named


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    neuron = lecture_neuron()
    walked, step = neuron_mid_walk()
    loss, named = mlp_loss([16, 16, 1], samples=10)
    print(f"MLP loss graph: {len(loss.graph())} values")
    for extension in ("svg", "png"):
        written = [
            render(neuron, IMAGES / f"neuron.{extension}"),
            render(neuron, IMAGES / f"neuron_grad.{extension}", color_by="grad"),
            render(walked, IMAGES / f"neuron_step.{extension}", step=step),
            render(loss, IMAGES / f"mlp_collapsed.{extension}", params=named, collapse=True,
                   color_by="grad", dpi=96),
            render(loss, IMAGES / f"mlp_layers.{extension}", params=named, collapse=2,
                   color_by="grad"),
        ]
        for path in written:
            print("wrote", Path(path).relative_to(ROOT))


if __name__ == "__main__":
    main()

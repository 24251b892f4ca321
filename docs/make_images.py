"""Regenerate the pictures in docs/images/ (needs Graphviz's `dot`).

    python docs/make_images.py            # from the repository root

- neuron.svg/.png: the lecture's neuron, o = tanh(x1*w1 + x2*w2 + b), after o.backward()
- neuron_grad.svg/.png: the same, coloured by gradient (color_by="grad")
- neuron_step.svg/.png: the same four steps into o.backward_steps(), drawn with step=
- mlp_collapsed.svg/.png: the summed squared error of nn.MLP(2, [16, 16, 1]) (micrograd's
  moons classifier, freshly initialised) over 10 moons, collapse=True (one box per neuron),
  coloured by each box's gradient norm
- mlp_layers.svg/.png: the same loss with collapse=2 (one box per layer)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import demos.neuron  # noqa: E402
import nn  # noqa: E402
from autograd import Value, render  # noqa: E402
from autograd.steps.stepping import Step  # noqa: E402

IMAGES = ROOT / "docs" / "images"


def lecture_neuron() -> Value:
    """micrograd lecture's neuron with its labels, backpropagated."""
    o = demos.neuron.lecture_neuron()
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


def mlp_loss(samples: int, seed: int = 0) -> tuple[Value, list[tuple[str, Value]]]:
    """An MLP(2, [16, 16, 1])'s summed squared error on moons, backpropagated, and its
    (name, parameter) pairs."""
    model = nn.MLP(2, [16, 16, 1], rng=seed)
    X, y = nn.datasets.make_moons(samples, noise=0.1, labels=(-1, 1), seed=seed)
    inputs = [[Value(a, label=f"x{k}.0"), Value(b, label=f"x{k}.1")] for k, (a, b) in enumerate(X)]
    loss = nn.mse_loss([model(x) for x in inputs], y, reduction="sum")
    loss.label = "loss"
    loss.backward()
    return loss, model.named_parameters()


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    neuron = lecture_neuron()
    walked, step = neuron_mid_walk()
    loss, named = mlp_loss(samples=10)
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

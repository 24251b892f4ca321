"""The articles' 2-2-1 sigmoid network learns XOR by plain gradient descent.

Two inputs, two sigmoid hidden neurons, one sigmoid output; the mean squared error over the four
rows of the truth table; every step moves each parameter by -lr times its gradient. Prints the
truth table before and after training, draws the computation graph of one sample (x1 = 1,
x2 = 0) with its gradients, and plots the loss and the learned function over the unit square.

Two hidden neurons are just enough for XOR, and from some starting points gradient descent
settles in a local minimum instead (about 1 seed in 10 at the defaults; seed 0 is one: try
--seed 0). The default seed is one that solves it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

import autograd
import nn
from demos.common import (
    Timer,
    check_positive,
    fill_defaults,
    make_parser,
    output_folder,
    report_files,
    summary,
)
from demos.plotting import GREY, pyplot, save
from demos.progress import progress

DEFAULT_SEED = 1
GRAPH_SAMPLE = ([1.0, 0.0], 1)


def make_model(seed: int) -> nn.MLP:
    """The articles' 2-2-1 network: sigmoid hidden neurons and a sigmoid output."""
    return nn.MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", rng=seed)


def outputs(model: nn.MLP, X: list) -> list[float]:
    """The network's output for each input, as numbers (no graph recorded)."""
    with autograd.no_grad():
        return [model(x).data for x in X]


def solved(model: nn.MLP, X: list, y: list, tolerance: float = 0.1) -> bool:
    """Whether every output is within `tolerance` of its target."""
    return all(abs(out - target) < tolerance for out, target in zip(outputs(model, X), y))


def truth_table(model: nn.MLP, X: list, y: list) -> str:
    """Inputs, target and the network's output, one row per input."""
    lines = ["x1  x2  target  output"]
    for (x1, x2), target, out in zip(X, y, outputs(model, X)):
        lines.append(f"{x1:>2.0f}  {x2:>2.0f}  {target:>6}  {out:.4f}")
    return "\n".join(lines)


def train(model: nn.MLP, X: list, y: list, lr: float, steps: int) -> list[float]:
    """Gradient descent on the mean squared error; returns the loss after 0, 1, ... steps."""
    params = model.parameters()
    losses = []
    with progress(steps, "training") as bar:
        for _ in range(steps):
            predictions = [model(x) for x in X]
            loss = nn.mse_loss(predictions, y)
            losses.append(loss.data)
            model.zero_grad()
            loss.backward()
            for p in params:  # the update rule itself: w <- w - lr * dL/dw
                p.data -= lr * p.grad
            right = sum((p.data > 0.5) == (t == 1) for p, t in zip(predictions, y)) / len(y)
            bar.set_postfix(loss=f"{loss.data:.4g}", acc=f"{100 * right:.1f}%", refresh=False)
            bar.update()
    with autograd.no_grad():
        losses.append(nn.mse_loss([model(x) for x in X], y).data)
    return losses


def render_sample(model: nn.MLP, path: Path) -> Path:
    """One sample's squared error, backpropagated, every value drawn and coloured by its grad."""
    (x1, x2), target = GRAPH_SAMPLE
    inputs = [autograd.Value(x1, label="x1"), autograd.Value(x2, label="x2")]
    hidden_layer, output_layer = model.layers
    hidden = hidden_layer(inputs)
    for k, h in enumerate(hidden, start=1):
        h.label = f"h{k}"
        h.parents[0].label = f"z{k}"  # the neuron's weighted sum, before its sigmoid
    output = output_layer(hidden)
    output.label = "output"
    output.parents[0].label = "z"
    error = output - autograd.Value(float(target), label="target")
    error.label = "error"
    loss = error**2
    loss.label = "loss"
    model.zero_grad()
    loss.backward()
    drawn = autograd.render(loss, path, params=model.named_parameters(), color_by="grad")
    model.zero_grad()
    return Path(drawn)


def plot(model: nn.MLP, X: list, y: list, losses: list[float], path: Path) -> Path:
    """The loss against the step, and the trained network's output over the unit square."""
    plt = pyplot()
    figure, (curve, surface) = plt.subplots(1, 2, figsize=(10, 4))
    curve.plot(range(len(losses)), losses, color=GREY)
    curve.set(title="Mean squared error", xlabel="step", ylabel="loss", yscale="log")
    grid = np.linspace(-0.25, 1.25, 61)
    with autograd.no_grad():
        heights = np.array([[model([float(a), float(b)]).data for a in grid] for b in grid])
    image = surface.pcolormesh(grid, grid, heights, cmap="RdBu", vmin=0, vmax=1, shading="gouraud")
    surface.contour(grid, grid, heights, levels=[0.5], colors="black", linewidths=1)
    for (x1, x2), target in zip(X, y):
        surface.scatter(x1, x2, s=120, c="white", edgecolors="black", zorder=3)
        surface.annotate(str(target), (x1, x2), ha="center", va="center", fontsize=9, zorder=4)
    surface.set(title="Output after training\n(circles: targets; line: output 0.5)",
                xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    surface.grid(False)
    figure.colorbar(image, ax=surface, label="network output")
    figure.suptitle("xor: MLP(2, [2, 1]) with sigmoids, gradient descent on the truth table")
    figure.tight_layout()
    return save(figure, path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = make_parser(
        "xor", __doc__, quick="1000 steps", default_seed=DEFAULT_SEED
    )
    parser.add_argument("--lr", type=float, default=10.0, help="learning rate (default: 10)")
    parser.add_argument(
        "--steps", type=int, help="descent steps (default: 2000; 1000 with --quick)"
    )
    args = parser.parse_args(argv)
    fill_defaults(args, steps=(2000, 1000))
    check_positive(parser, args, "lr", "steps")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    timer = Timer()
    out = output_folder(args)
    X, y = nn.datasets.make_xor()
    model = make_model(args.seed)
    print(f"before training (seed {args.seed}):\n{truth_table(model, X, y)}\n")
    losses = train(model, X, y, args.lr, args.steps)
    print(f"after {args.steps} steps (lr {args.lr}), loss {losses[-1]:.2e}:")
    print(truth_table(model, X, y))
    written = [
        plot(model, X, y, losses, out / "xor_training.png"),
        render_sample(model, out / "xor_graph.svg"),
    ]
    report_files(written)
    verdict = "solved" if solved(model, X, y) else "NOT solved (a local minimum; try another seed)"
    summary("xor", f"{verdict} after {args.steps} steps, loss {losses[-1]:.2e}", timer)
    return 0


if __name__ == "__main__":
    sys.exit(main())

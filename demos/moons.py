"""micrograd's classic demo: a two-layer MLP learns to separate two interleaving moons.

MLP(2, [16, 16, 1]) (ReLU hidden layers, a linear score whose sign is the class) on 100 noisy
moons, trained on the whole set at every step with the max-margin (hinge) loss plus an L2
penalty of 1e-4, by SGD with the learning rate falling linearly from 1.0 to 0.1. Writes the
decision boundary, the loss and accuracy curves, and the computation graph of the first step's
hinge loss over 10 samples, collapsed to one box per neuron and coloured by gradient norm.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
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
from demos.plotting import BLUE, RED, pyplot, save
from demos.progress import progress

L2_ALPHA = 1e-4
GRAPH_SAMPLES = 10  # the drawn graph's loss is over this many samples, to stay readable


@dataclass
class History:
    """Loss and training accuracy after 0, 1, ..., steps updates."""

    losses: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)


def accuracy(scores: list[autograd.Value], labels: list[int]) -> float:
    """Fraction of samples whose score has the sign of their label (±1)."""
    return sum((s.data > 0) == (t > 0) for s, t in zip(scores, labels)) / len(labels)


def loss_of(model: nn.MLP, X: list, y: list) -> tuple[autograd.Value, list[autograd.Value]]:
    """The training objective on (X, y) and the model's scores."""
    scores = [model(x) for x in X]
    return nn.hinge_loss(scores, y) + nn.l2_penalty(model, alpha=L2_ALPHA), scores


def train(model: nn.MLP, X: list, y: list, steps: int) -> History:
    """Full-batch SGD, learning rate 1.0 falling linearly to 0.1 over `steps`."""
    optimizer = nn.optim.SGD(model.parameters(), lr=1.0)
    schedule = nn.LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=steps)
    history = History()
    with progress(steps, "training") as bar:
        for _ in range(steps):
            loss, scores = loss_of(model, X, y)
            history.losses.append(loss.data)
            history.accuracies.append(accuracy(scores, y))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            bar.set_postfix(loss=f"{loss.data:.4g}", acc=f"{100 * history.accuracies[-1]:.1f}%",
                            refresh=False)
            bar.update()
    with autograd.no_grad():
        loss, scores = loss_of(model, X, y)
    history.losses.append(loss.data)
    history.accuracies.append(accuracy(scores, y))
    return history


def plot_boundary(model: nn.MLP, X: list, y: list, resolution: int, title: str, path: Path) -> Path:
    """The plane coloured by the sign of the model's score, with the data on top."""
    plt = pyplot()
    points = np.array(X)
    low, high = points.min(axis=0) - 0.5, points.max(axis=0) + 0.5
    xs = np.linspace(low[0], high[0], resolution)
    ys = np.linspace(low[1], high[1], resolution)
    with autograd.no_grad():
        scores = np.array([[model([float(a), float(b)]).data for a in xs] for b in ys])
    figure, axes = plt.subplots(figsize=(6, 5))
    axes.contourf(xs, ys, scores, levels=[-np.inf, 0, np.inf], colors=[RED, BLUE], alpha=0.18)
    axes.contour(xs, ys, scores, levels=[0], colors="black", linewidths=1.2)
    labels = np.array(y)
    for label, colour, marker, name in ((-1, RED, "o", "class -1"), (1, BLUE, "s", "class +1")):
        chosen = points[labels == label]
        axes.scatter(chosen[:, 0], chosen[:, 1], c=colour, marker=marker, s=28,
                     edgecolors="white", linewidths=0.6, label=name)
    axes.plot([], [], color="black", linewidth=1.2, label="decision boundary (score = 0)")
    axes.set(title=title, xlabel="$x_1$", ylabel="$x_2$")
    axes.grid(False)
    axes.legend(loc="lower left", fontsize=8, framealpha=0.9)
    return save(figure, path)


def plot_curves(history: History, path: Path) -> Path:
    """Loss (log scale) and training accuracy against the step."""
    plt = pyplot()
    steps = np.arange(len(history.losses))
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    left.plot(steps, history.losses, color=RED)
    left.set(title="Loss: hinge + 1e-4 · L2", xlabel="step", ylabel="loss", yscale="log")
    right.plot(steps, [100 * a for a in history.accuracies], color=BLUE)
    right.set(title="Training accuracy", xlabel="step", ylabel="accuracy (%)", ylim=(40, 102))
    figure.suptitle("moons: MLP(2, [16, 16, 1]), SGD with lr 1.0 → 0.1")
    figure.tight_layout()
    return save(figure, path)


def render_graph(model: nn.MLP, X: list, y: list, path: Path) -> Path:
    """The hinge loss over the first few samples, backpropagated and drawn one box per neuron.

    Drawn before training: a trained model classifies most samples beyond the margin, where the
    hinge loss has no gradient, and every box would be blank. The L2 penalty is left out; it is
    one node reading all 337 parameters, which would tie every box to every other.
    """
    loss = nn.hinge_loss([model(x) for x in X[:GRAPH_SAMPLES]], y[:GRAPH_SAMPLES])
    loss.label = f"hinge loss, {GRAPH_SAMPLES} samples"
    model.zero_grad()
    loss.backward()
    drawn = autograd.render(
        loss, path, collapse=True, params=model.named_parameters(), color_by="grad"
    )
    model.zero_grad()
    return Path(drawn)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = make_parser(
        "moons",
        __doc__,
        quick="30 steps and a coarser boundary plot (about 2 s in all)",
    )
    parser.add_argument("--steps", type=int, help="SGD steps (default: 100; 30 with --quick)")
    parser.add_argument("--samples", type=int, default=100, help="data points (default: 100)")
    parser.add_argument("--noise", type=float, default=0.1, help="noise std (default: 0.1)")
    args = parser.parse_args(argv)
    fill_defaults(args, steps=(100, 30))
    check_positive(parser, args, "steps", "samples")
    if args.samples < GRAPH_SAMPLES:
        parser.error(f"--samples must be at least {GRAPH_SAMPLES}")
    if args.noise < 0:
        parser.error("--noise must be 0 or more")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    timer = Timer()
    out = output_folder(args)
    X, y = nn.datasets.make_moons(args.samples, noise=args.noise, labels=(-1, 1), seed=args.seed)
    model = nn.MLP(2, [16, 16, 1], rng=args.seed)
    print(f"MLP(2, [16, 16, 1]) with {model.num_parameters()} parameters, {args.samples} moons, "
          f"{args.steps} steps")
    graph = render_graph(model, X, y, out / "moons_graph.svg")
    training = Timer()
    history = train(model, X, y, args.steps)
    training_seconds = training.seconds
    final_loss, final_accuracy = history.losses[-1], history.accuracies[-1]
    print(f"after {args.steps} steps: loss {final_loss:.4f}, "
          f"training accuracy {100 * final_accuracy:.1f}% ({training_seconds:.1f} s)")
    title = f"moons: {100 * final_accuracy:.0f}% training accuracy after {args.steps} steps"
    written = [
        plot_boundary(model, X, y, 30 if args.quick else 60, title, out / "moons_boundary.png"),
        plot_curves(history, out / "moons_curves.png"),
        graph,
    ]
    report_files(written)
    summary("moons", f"training accuracy {100 * final_accuracy:.1f}% after {args.steps} steps, "
            f"loss {final_loss:.4f}, trained in {training_seconds:.1f} s", timer)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The articles' linear regression: one linear neuron learns y = 2x from four points.

X = [1, 2, 3, 4], y = [2, 4, 6, 8]; the model is y = w·x + b (nn.Neuron(1, activation="linear")),
the loss the mean squared error, the optimizer plain gradient descent on all four points at
once. Prints the learned w (about 2) and b (about 0) and the predictions for x = 5 and 6 (about
10 and 12), and plots the fit and the loss.
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
from demos.plotting import BLUE, GREY, RED, pyplot, save
from demos.progress import progress

NEW_INPUTS = (5.0, 6.0)


def train(model: nn.Neuron, X: list[float], y: list[float], lr: float, steps: int) -> list[float]:
    """Gradient descent on the mean squared error; returns the loss after 0, 1, ... steps."""
    losses = []
    with progress(steps, "training") as bar:
        for _ in range(steps):
            loss = nn.mse_loss([model(x) for x in X], y)
            losses.append(loss.data)
            model.zero_grad()
            loss.backward()
            for p in model.parameters():  # the update rule itself: w <- w - lr * dL/dw
                p.data -= lr * p.grad
            bar.set_postfix(loss=f"{loss.data:.4g}", refresh=False)
            bar.update()
    with autograd.no_grad():
        losses.append(nn.mse_loss([model(x) for x in X], y).data)
    return losses


def predict(model: nn.Neuron, x: float) -> float:
    """The neuron's output for x, as a number (no graph recorded)."""
    with autograd.no_grad():
        return model(x).data


def plot(model: nn.Neuron, X: list[float], y: list[float], losses: list[float], path: Path) -> Path:
    """The data, the learned line and the two new predictions; the loss against the step."""
    plt = pyplot()
    figure, (fit, curve) = plt.subplots(1, 2, figsize=(10, 3.8))
    line_x = np.linspace(0, max(NEW_INPUTS) + 1, 50)
    w, b = model.w[0].data, model.b.data
    fit.plot(line_x, w * line_x + b, color=BLUE, label=f"learned: y = {w:.4f}·x + {b:.4f}")
    fit.scatter(X, y, color=RED, zorder=3, label="training data")
    guesses = [predict(model, x) for x in NEW_INPUTS]
    fit.scatter(NEW_INPUTS, guesses, facecolors="white", edgecolors=BLUE, s=50, zorder=3,
                label="predictions for x = 5, 6")
    for x, guess in zip(NEW_INPUTS, guesses):
        fit.annotate(f"{guess:.3f}", (x, guess), textcoords="offset points", xytext=(-38, 6))
    fit.set(title="Fit", xlabel="x", ylabel="y")
    fit.legend(loc="upper left", fontsize=8)
    curve.plot(range(len(losses)), losses, color=GREY)
    curve.set(title="Mean squared error", xlabel="step", ylabel="loss", yscale="log")
    figure.suptitle("regression: one linear neuron, gradient descent on y = 2x")
    figure.tight_layout()
    return save(figure, path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = make_parser(
        "regression", __doc__, quick="200 steps (w is then about 1.99)"
    )
    parser.add_argument("--lr", type=float, default=0.05, help="learning rate (default: 0.05)")
    parser.add_argument("--steps", type=int, help="descent steps (default: 500; 200 with --quick)")
    args = parser.parse_args(argv)
    fill_defaults(args, steps=(500, 200))
    check_positive(parser, args, "lr", "steps")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    timer = Timer()
    out = output_folder(args)
    X, y = nn.datasets.make_regression()
    model = nn.Neuron(1, activation="linear", rng=args.seed)
    print(f"data: X = {X}, y = {y}")
    print(f"start: w = {model.w[0].data:.4f}, b = {model.b.data:.4f}")
    losses = train(model, X, y, args.lr, args.steps)
    w, b = model.w[0].data, model.b.data
    print(f"after {args.steps} steps (lr {args.lr}): w = {w:.4f}, b = {b:.4f}, "
          f"loss {losses[-1]:.3g}")
    guesses = {x: predict(model, x) for x in NEW_INPUTS}
    for x, guess in guesses.items():
        print(f"prediction for x = {x:g}: {guess:.4f}")
    report_files([plot(model, X, y, losses, out / "regression_fit.png")])
    predicted = ", ".join(f"{guess:.3f}" for guess in guesses.values())
    summary("regression", f"w = {w:.4f}, b = {b:.4f}, predictions for 5 and 6: {predicted}",
            timer)
    return 0


if __name__ == "__main__":
    sys.exit(main())

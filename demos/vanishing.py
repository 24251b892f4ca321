"""Vanishing and exploding gradients, measured, and what ReLU, He initialisation and gradient
clipping do about them.

Three MLPs of 8 layers (7 hidden layers of 16, one output) on the same moons, with the mean
squared error against labels ±1:

- sigmoid, weights uniform in [-1, 1]: backpropagation multiplies by every sigmoid's derivative,
  at most 1/4, and the gradient shrinks layer by layer towards the input (vanishing);
- ReLU, He initialisation (variance 2 / fan-in): the gradient keeps its size through the layers;
- ReLU, weights uniform in [-1, 1]: the weights are too large for ReLU, the output and every
  gradient are hundreds of times too big (exploding).

The last one is then trained by SGD twice, without and with gradient clipping
(nn.clip_grad_norm_): without, the first steps overshoot and the loss overflows; with, every step
is at most lr · max-norm long and training settles. One figure shows all three.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tqdm.auto import tqdm

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
from demos.plotting import BLUE, GREEN, ORANGE, PURPLE, RED, pyplot, save
from demos.progress import progress

HIDDEN = [16] * 7
NETWORKS = {  # label: (activation, init, colour)
    "sigmoid, uniform init": ("sigmoid", "uniform", RED),
    "ReLU, He init": ("relu", "he", GREEN),
    "ReLU, uniform init": ("relu", "uniform", BLUE),
}
EXPLODING = "ReLU, uniform init"
LR = 0.01
MAX_NORM = 1.0
# The unclipped run shoots past 1e30 before it overflows; these limits keep the clipped run's
# descent visible, and the overshoot leaves through the top of the plot.
LOSS_CEILING = 1e6
NORM_CEILING = 1e7


def make_model(label: str, seed: int) -> nn.MLP:
    """One of the three 8-layer networks, by its label in NETWORKS."""
    activation, init, _ = NETWORKS[label]
    return nn.MLP(2, [*HIDDEN, 1], activation=activation, init=init, rng=seed)


def gradient_norm(params: list) -> float:
    """√(Σ grad²), without overflowing on the huge gradients of a diverging run."""
    return math.hypot(*(p.grad for p in params))


def layer_gradient_norms(model: nn.MLP, X: list, y: list) -> list[float]:
    """One backward pass of the loss; the norm of each layer's parameter gradients, input first."""
    loss = nn.mse_loss([model(x) for x in X], y)
    model.zero_grad()
    loss.backward()
    return [gradient_norm(layer.parameters()) for layer in model.layers]


@dataclass
class Run:
    """Loss and gradient norm (before clipping) at each step, until the loss stops being finite."""

    losses: list[float] = field(default_factory=list)
    norms: list[float] = field(default_factory=list)

    @property
    def diverged(self) -> bool:
        return not math.isfinite(self.losses[-1]) or not math.isfinite(self.norms[-1])


def train(model: nn.MLP, X: list, y: list, steps: int, clip: bool, bar: tqdm) -> Run:
    """SGD at LR, clipping the gradient norm to MAX_NORM if `clip`; stops early on overflow."""
    params = model.parameters()
    optimizer = nn.optim.SGD(params, lr=LR)
    run = Run()
    start = bar.n
    for _ in range(steps):
        loss = nn.mse_loss([model(x) for x in X], y)
        optimizer.zero_grad()
        loss.backward()
        run.losses.append(loss.data)
        run.norms.append(gradient_norm(params))
        if run.diverged:
            break
        if clip:
            nn.clip_grad_norm_(params, MAX_NORM)
        optimizer.step()
        bar.set_postfix(loss=f"{loss.data:.4g}", refresh=False)
        bar.update()
    bar.update(start + steps - bar.n)  # a run that stopped early: its steps count as done
    return run


def plot(norms: dict[str, list[float]], runs: dict[str, Run], title: str, path: Path) -> Path:
    """Per-layer norms; the two runs' losses; their gradient norms. One figure, three panels."""
    plt = pyplot()
    figure, (by_layer, losses, grads) = plt.subplots(1, 3, figsize=(15, 4.4))
    for label, values in norms.items():
        colour = NETWORKS[label][2]
        by_layer.plot(range(1, len(values) + 1), values, marker="o", color=colour, label=label)
    by_layer.set(title="Gradient norm per layer,\nat initialisation", yscale="log",
                 xlabel="layer (1 = next to the input)", ylabel="‖∂loss/∂(layer parameters)‖")
    by_layer.legend(fontsize=8)

    styles = {  # run: colour, line style, legend
        "no clipping": (ORANGE, "--", "no clipping"),
        "clipped": (PURPLE, "-", f"clip_grad_norm_(params, max_norm={MAX_NORM:g})"),
    }
    for name, run in runs.items():
        colour, line, legend = styles[name]
        steps = range(len(run.losses))
        finite = [v if math.isfinite(v) else math.nan for v in run.losses]
        losses.plot(steps, finite, color=colour, linestyle=line, label=legend)
        grads.plot(steps, [v if math.isfinite(v) else math.nan for v in run.norms],
                   color=colour, linestyle=line, label=legend)
        if run.diverged:
            last = len(run.losses) - 1
            for axes in (losses, grads):
                axes.axvline(last, color=colour, linestyle=":", linewidth=1)
                axes.annotate(f"overflows (inf)\nat step {last}", (last, 0.5), color=colour,
                              xycoords=("data", "axes fraction"), xytext=(4, 0),
                              textcoords="offset points", fontsize=8)
    bottom = min(min(run.losses) for run in runs.values()) / 2
    losses.set(title=f"Training the exploding net ({EXPLODING}),\nSGD lr {LR:g}", yscale="log",
               xlabel="step", ylabel="loss (mean squared error)", ylim=(bottom, LOSS_CEILING))
    losses.legend(fontsize=8)
    grads.axhline(MAX_NORM, color="black", linewidth=0.8, linestyle=":")
    grads.annotate(f"max_norm = {MAX_NORM:g}", (0, MAX_NORM), xytext=(2, 3),
                   textcoords="offset points", fontsize=8)
    grads.set(title="The exploding net's gradient norm,\nbefore clipping", yscale="log",
              xlabel="step", ylabel="‖gradient‖ (all parameters)",
              ylim=(MAX_NORM / 2, NORM_CEILING))
    grads.legend(fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    return save(figure, path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = make_parser(
        "vanishing", __doc__, quick="16 samples and 15 training steps (about a second)"
    )
    parser.add_argument(
        "--samples", type=int, help="moons in the batch (default: 64; 16 with --quick)"
    )
    parser.add_argument(
        "--steps", type=int, help="training steps per run (default: 40; 15 with --quick)"
    )
    args = parser.parse_args(argv)
    fill_defaults(args, samples=(64, 16), steps=(40, 15))
    check_positive(parser, args, "samples", "steps")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    timer = Timer()
    out = output_folder(args)
    X, y = nn.datasets.make_moons(args.samples, noise=0.1, labels=(-1, 1), seed=args.seed)
    print(f"8-layer MLPs (2 -> 7 x 16 -> 1) on {args.samples} moons; gradient norm per layer, "
          "input layer first:")
    norms = {}
    for label in NETWORKS:
        norms[label] = layer_gradient_norms(make_model(label, args.seed), X, y)
        print(f"  {label:<22}" + " ".join(f"{v:9.2e}" for v in norms[label]))

    runs = {}
    with progress(2 * args.steps, f"training the {EXPLODING} net") as bar:
        runs["no clipping"] = train(make_model(EXPLODING, args.seed), X, y, args.steps, False, bar)
        runs["clipped"] = train(
            make_model(EXPLODING, args.seed), X, y, args.steps, True, bar
        )
    unclipped, clipped = runs.values()
    if unclipped.diverged:
        unclipped_result = f"overflowed at step {len(unclipped.losses) - 1}"
    else:
        unclipped_result = f"loss {unclipped.losses[0]:.3g} -> {unclipped.losses[-1]:.3g}"
    clipped_result = f"loss {clipped.losses[0]:.3g} -> {clipped.losses[-1]:.3g}"
    print(f"without clipping: {unclipped_result}; with clipping: {clipped_result}")

    sigmoid, relu = norms["sigmoid, uniform init"], norms["ReLU, He init"]
    shrink = sigmoid[-1] / sigmoid[0]
    spread = max(relu) / min(relu)
    title = (f"vanishing: the sigmoid net's first layer gets a gradient {shrink:.0f}x smaller "
             f"than its last; clipping tames the exploding net")
    report_files([plot(norms, runs, title, out / "vanishing.png")])
    summary("vanishing", f"sigmoid gradient shrinks {shrink:.0f}x from the last layer to the "
            f"first, ReLU+He varies {spread:.1f}x; exploding net without clipping "
            f"{unclipped_result}, with clipping {clipped_result}", timer)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The articles' MNIST network, 784-256-10 with Adam, trained by compiled replay.

The model is chainrule's scalar MLP: every weight a Value with a .grad. Its loss is written for
ONE image (``nn.compiled.soft_cross_entropy`` of the logits against a one-hot target); the
first training call records that graph, and each step replays it on a batch of 64 images as a
few NumPy kernels (``nn.compile_loss``, built on ``autograd.compile``). The images are
synthetic 28x28 seven-segment digits (``demos/synthetic_digits.py``), so nothing is downloaded.

While the loop runs, the parameters live in one array (``loss_step.train_on_arrays``): the tape
reads it, and Adam's own update rule steps it whole, the same numbers as ``nn.optim.Adam``
stepping one Value at a time, without the Python work per parameter; leaving the loop writes
them back to the Values. Reports steps per second and the test accuracy before and after;
writes the run's numbers (mnist_compiled.json) and a plot of the loss and of some test images
with their predictions (mnist_compiled.png).

Run: python -m demos.mnist_compiled [--quick] [--epochs N] [--train N] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

import nn
from autograd import Value
from demos.common import (
    Timer,
    check_positive,
    fill_defaults,
    make_parser,
    output_folder,
    report_files,
    summary,
)
from demos.plotting import pyplot, save
from demos.progress import working
from demos.synthetic_digits import make_digits

PIXELS, CLASSES = 784, 10


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = make_parser(
        "mnist_compiled", __doc__, quick="640 training and 200 test images, one epoch"
    )
    parser.add_argument("--epochs", type=int, default=1, help="passes over the training set "
                        "(default: 1)")
    parser.add_argument("--train", type=int, help="training images (default: 6400; 640 with "
                        "--quick)")
    parser.add_argument("--test", type=int, help="test images (default: 1000; 200 with --quick)")
    parser.add_argument("--batch-size", type=int, default=64, help="images per step (default: 64)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate "
                        "(default: 0.001)")
    parser.add_argument("--hidden", type=int, default=256, help="hidden layer width "
                        "(default: 256)")
    args = parser.parse_args(argv)
    fill_defaults(args, train=(6400, 640), test=(1000, 200))
    check_positive(parser, args, "epochs", "train", "test", "batch_size", "lr", "hidden")
    return args


def eager_sample_seconds(model: nn.MLP, image: np.ndarray, label: int) -> float:
    """One image's forward and backward the eager way (a graph of Values), for comparison."""
    start = time.perf_counter()
    loss = nn.cross_entropy(model([Value(x) for x in image]), label)
    loss.backward()
    seconds = time.perf_counter() - start
    model.zero_grad()
    return seconds


def train(args: argparse.Namespace) -> dict:
    """Train on synthetic digits with compiled replay; returns the run's numbers."""
    X, y = make_digits(args.train, seed=args.seed)
    X_test, y_test = make_digits(args.test, seed=args.seed + 1)
    sizes = (PIXELS, args.hidden, CLASSES)
    with working(f"building the {'-'.join(map(str, sizes))} MLP"):
        model = nn.MLP(PIXELS, [args.hidden, CLASSES], init="he", rng=args.seed)
    optimizer = nn.optim.Adam(model.parameters(), lr=args.lr)
    loss_step = nn.compile_loss(model, nn.compiled.soft_cross_entropy, PIXELS, n_targets=CLASSES)
    predict = nn.compile_model(model, PIXELS)
    print(f"MLP {'-'.join(map(str, sizes))}: {model.num_parameters():,} parameters; "
          f"{args.train:,} training and {args.test:,} test images, batch {args.batch_size}")

    start = time.perf_counter()
    with working("recording and compiling one image's graph"):
        loss_step.compile(X[:1], y[:1])  # records one image's graph and compiles it
    compile_seconds = time.perf_counter() - start
    print(f"recorded and compiled one image's graph ({loss_step.tape.node_count:,} nodes, "
          f"{loss_step.tape.kernel_count} kernels) in {compile_seconds:.2f} s")
    accuracy_before = float(np.mean(predict(X_test).argmax(axis=1) == y_test))

    rng = np.random.default_rng(args.seed)
    losses, train_seconds = [], 0.0
    steps_per_epoch = -(-args.train // args.batch_size)
    start = time.perf_counter()
    training = loss_step.train_on_arrays(optimizer)  # the parameters move into arrays
    hold_seconds = time.perf_counter() - start
    with training:
        for epoch in range(args.epochs):
            order = rng.permutation(args.train)
            for k in range(steps_per_epoch):
                rows = order[k * args.batch_size:(k + 1) * args.batch_size]
                t0 = time.perf_counter()
                losses.append(training.step(X[rows], y[rows]))
                train_seconds += time.perf_counter() - t0
                step = epoch * steps_per_epoch + k + 1
                if step % 20 == 0 or k == steps_per_epoch - 1:
                    print(f"  epoch {epoch + 1} step {step:4d}  loss {losses[-1]:.4f}  "
                          f"({step / train_seconds:.1f} steps/s)")
        start = time.perf_counter()
    hold_seconds += time.perf_counter() - start  # the block's end wrote the parameters back
    predictions = predict(X_test).argmax(axis=1)
    steps = len(losses)
    eager = eager_sample_seconds(model, X_test[0], int(y_test[0]))
    return {
        "sizes": list(sizes),
        "parameters": model.num_parameters(),
        "train_images": args.train,
        "test_images": args.test,
        "batch_size": args.batch_size,
        "epochs": args.epochs,
        "learning_rate": args.lr,
        "seed": args.seed,
        "compile_seconds": compile_seconds,
        "hold_and_write_back_seconds": hold_seconds,
        "steps": steps,
        "steps_per_second": steps / train_seconds,
        "ms_per_step": train_seconds / steps * 1e3,
        "eager_ms_per_image": eager * 1e3,
        "losses": losses,
        "test_accuracy_before": accuracy_before,
        "test_accuracy_after": float(np.mean(predictions == y_test)),
        "_test_images": X_test[:10],
        "_test_predictions": predictions[:10],
    }


def report(result: dict) -> str:
    """Where the time went, and what was learnt."""
    return "\n".join([
        f"{result['steps']} steps: {result['steps_per_second']:.1f} steps/s "
        f"({result['steps_per_second'] * result['batch_size']:.0f} images/s)",
        f"  {result['ms_per_step']:.1f} ms per step: forward and backward of "
        f"{result['batch_size']} images and Adam's update, on the parameters held in arrays",
        f"  moving the parameters into arrays and back: {result['hold_and_write_back_seconds']:.2f}"
        f" s in all",
        f"  for comparison, one image the eager way (graph of Values + backward): "
        f"{result['eager_ms_per_image']:.1f} ms",
        f"loss {result['losses'][0]:.3f} -> {result['losses'][-1]:.3f}; test accuracy "
        f"{result['test_accuracy_before']:.1%} -> {result['test_accuracy_after']:.1%}",
    ])


def write_outputs(result: dict, folder: Path) -> list[Path]:
    """The run's numbers as JSON, and a plot of the loss and of some test images read."""
    numbers = {k: v for k, v in result.items() if not k.startswith("_")}
    json_path = folder / "mnist_compiled.json"
    json_path.write_text(json.dumps(numbers, indent=2) + "\n", encoding="utf-8")
    plt = pyplot()
    figure = plt.figure(figsize=(10, 4))
    axis = figure.add_subplot(1, 2, 1)
    axis.plot(range(1, len(result["losses"]) + 1), result["losses"])
    axis.set(xlabel="step", ylabel="cross-entropy (batch mean)", title="training loss")
    for i, (image, guess) in enumerate(zip(result["_test_images"], result["_test_predictions"])):
        cell = figure.add_subplot(2, 10, 6 + i + 5 * (i // 5))
        cell.imshow(image.reshape(28, 28), cmap="gray")
        cell.set_title(f"→ {guess}", fontsize=9)
        cell.axis("off")
    figure.tight_layout()
    return [json_path, save(figure, folder / "mnist_compiled.png")]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    timer = Timer()
    out = output_folder(args)
    result = train(args)
    print(report(result))
    report_files(write_outputs(result, out))
    summary("mnist_compiled", f"{result['steps_per_second']:.1f} steps/s of "
            f"{result['batch_size']} images, test accuracy {result['test_accuracy_after']:.1%} "
            f"after {result['steps']} steps", timer)
    return 0


if __name__ == "__main__":
    sys.exit(main())

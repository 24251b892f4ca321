"""Handwritten digit recognition: the articles' MNIST example, scaled to a scalar engine.

1,797 images of 8x8 pixels (the UCI digits bundled in demos/data/digits.npz), split once into
1,437 for training and 360 held out for testing. An MLP(64, [32, 10]) (ReLU hidden layer with
He initialisation, one logit per digit) is trained with softmax cross-entropy and Adam on
minibatches of 32, then scored on the held-out images. Writes the confusion matrix and the test
images it gets wrong. With --compiled the same model trains by compiled replay: the graph of one
sample is recorded once and replayed on each whole minibatch as NumPy kernels.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

import autograd
import nn
from demos.common import (
    DEMOS,
    Timer,
    check_positive,
    fill_defaults,
    make_parser,
    output_folder,
    report_files,
    summary,
)
from demos.plotting import pyplot, save
from demos.progress import progress

DATA = DEMOS / "data" / "digits.npz"
SPLIT_SEED = 0  # the train/test split never changes with --seed
TEST_SIZE = 360
HIDDEN = 32
CLASSES = 10
QUICK_TRAIN_SIZE = 300
MAX_MISTAKES_SHOWN = 24


@dataclass
class Split:
    """Images (8x8, pixels 0 to 16) and labels of one part of the data."""

    images: np.ndarray
    labels: np.ndarray

    def inputs(self) -> list[list[float]]:
        """Each image as 64 numbers in [0, 1], the network's input."""
        return (self.images.reshape(len(self.images), -1) / 16.0).tolist()


def load_digits(path: Path = DATA) -> tuple[Split, Split]:
    """The bundled digits, split into (train, test) by a fixed seed."""
    with np.load(path, allow_pickle=False) as data:
        images, labels = data["images"], data["labels"].astype(np.int64)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
    test, train = order[:TEST_SIZE], order[TEST_SIZE:]
    return Split(images[train], labels[train]), Split(images[test], labels[test])


def predict(model: nn.MLP, inputs: list[list[float]]) -> np.ndarray:
    """The most likely digit for each input."""
    with autograd.no_grad():
        logits = [[v.data for v in model(x)] for x in inputs]
    return np.argmax(np.array(logits), axis=1)


# A training step: (minibatch inputs, labels) -> (mean loss, digits predicted before the update).
Step = Callable[[list[list[float]], list[int]], tuple[float, list[int]]]


def eager_step(model: nn.MLP, optimizer: nn.optim.Optimizer) -> Step:
    """One graph per sample, built and differentiated value by value."""

    def step(X_batch: list[list[float]], y_batch: list[int]) -> tuple[float, list[int]]:
        logits = [model(x) for x in X_batch]
        loss = nn.cross_entropy(logits, y_batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        guesses = [max(range(CLASSES), key=lambda k, row=row: row[k].data) for row in logits]
        return loss.data, guesses

    return step


def compiled_step(model: nn.MLP, optimizer: nn.optim.Optimizer) -> Step:
    """One sample's graph recorded once, replayed on the whole minibatch as array operations."""
    loss_step = nn.compile_loss(
        model, nn.compiled.soft_cross_entropy, n_inputs=64, n_targets=CLASSES
    )
    logits_of = nn.compile_model(model, n_inputs=64)

    def step(X_batch: list[list[float]], y_batch: list[int]) -> tuple[float, list[int]]:
        guesses = logits_of(np.array(X_batch)).argmax(axis=1).tolist()
        optimizer.zero_grad()
        loss = loss_step(X_batch, y_batch)
        optimizer.step()
        return loss, guesses

    return step


def train(
    model: nn.MLP, train_set: Split, test_set: Split, epochs: int, batch_size: int, lr: float,
    seed: int, compiled: bool = False,
) -> None:
    """Adam on minibatches of softmax cross-entropy; prints the test accuracy after each epoch."""
    optimizer = nn.optim.Adam(model.parameters(), lr=lr)
    step = (compiled_step if compiled else eager_step)(model, optimizer)
    X, y = train_set.inputs(), train_set.labels.tolist()
    X_test = test_set.inputs()
    batches_per_epoch = -(-len(X) // batch_size)
    shuffler = np.random.default_rng(seed)
    with progress(epochs * batches_per_epoch, "training") as bar:
        for epoch in range(epochs):
            bar.set_description(f"epoch {epoch + 1}/{epochs}", refresh=False)
            seen = right = 0
            total_loss = 0.0
            for X_batch, y_batch in nn.datasets.batches(X, y, batch_size, seed=shuffler):
                loss, guesses = step(X_batch, y_batch)
                seen += len(y_batch)
                total_loss += loss * len(y_batch)
                right += sum(guess == target for guess, target in zip(guesses, y_batch))
                bar.set_postfix(loss=f"{total_loss / seen:.4g}", acc=f"{100 * right / seen:.1f}%",
                                refresh=False)
                bar.update()
            test_accuracy = np.mean(predict(model, X_test) == test_set.labels)
            bar.write(f"epoch {epoch + 1}/{epochs}: training loss {total_loss / seen:.4f}, "
                  f"training accuracy {100 * right / seen:.1f}%, "
                  f"test accuracy {100 * test_accuracy:.1f}%")


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """counts[t, p]: how many images of digit t were read as p."""
    counts = np.zeros((CLASSES, CLASSES), dtype=np.int64)
    np.add.at(counts, (truth, predicted), 1)
    return counts


def plot_confusion(counts: np.ndarray, title: str, path: Path) -> Path:
    """The confusion matrix as a heat map, each non-zero count written in its cell."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(6.2, 5.4))
    image = axes.imshow(counts, cmap="Blues")
    for t in range(CLASSES):
        for p in range(CLASSES):
            if counts[t, p]:
                dark = counts[t, p] > counts.max() / 2
                axes.text(p, t, str(counts[t, p]), ha="center", va="center", fontsize=9,
                          color="white" if dark else "black")
    axes.set(title=title, xlabel="predicted digit", ylabel="true digit",
             xticks=range(CLASSES), yticks=range(CLASSES))
    axes.grid(False)
    figure.colorbar(image, ax=axes, label="test images")
    return save(figure, path)


def plot_mistakes(test_set: Split, predicted: np.ndarray, path: Path) -> Path:
    """The held-out images the model gets wrong (up to MAX_MISTAKES_SHOWN), with both digits."""
    plt = pyplot()
    wrong = np.flatnonzero(predicted != test_set.labels)[:MAX_MISTAKES_SHOWN]
    columns = 8
    rows = max(1, -(-len(wrong) // columns))
    figure, grid = plt.subplots(rows, columns, figsize=(columns * 1.1, rows * 1.35 + 0.4),
                                squeeze=False)
    for axes in grid.flat:
        axes.axis("off")
    for axes, index in zip(grid.flat, wrong):
        axes.imshow(test_set.images[index], cmap="gray_r", vmin=0, vmax=16)
        axes.set_title(f"{test_set.labels[index]} → {predicted[index]}", fontsize=9,
                       fontweight="normal")
    total = int(np.sum(predicted != test_set.labels))
    shown = f" (first {len(wrong)})" if total > len(wrong) else ""
    figure.suptitle(f"digits: the {total} misread test images{shown}, true → predicted",
                    fontsize=10)
    figure.tight_layout()
    return save(figure, path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = make_parser(
        "digits",
        __doc__,
        quick=f"train on {QUICK_TRAIN_SIZE} images for 3 epochs (the test set is unchanged)",
    )
    parser.add_argument(
        "--epochs", type=int, help="passes over the training set (default: 10; 3 with --quick)"
    )
    parser.add_argument("--batch-size", type=int, default=32, help="minibatch size (default: 32)")
    parser.add_argument("--lr", type=float, default=0.01, help="Adam's learning rate "
                        "(default: 0.01)")
    parser.add_argument("--compiled", action="store_true",
                        help="train by compiled replay: whole minibatches as NumPy kernels")
    args = parser.parse_args(argv)
    fill_defaults(args, epochs=(10, 3))
    check_positive(parser, args, "epochs", "batch_size", "lr")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    timer = Timer()
    out = output_folder(args)
    train_set, test_set = load_digits()
    if args.quick:
        train_set = Split(train_set.images[:QUICK_TRAIN_SIZE], train_set.labels[:QUICK_TRAIN_SIZE])
    model = nn.MLP(64, [HIDDEN, CLASSES], init="he", rng=args.seed)
    print(f"MLP(64, [{HIDDEN}, {CLASSES}]) with {model.num_parameters()} parameters; "
          f"{len(train_set.labels)} training images, {len(test_set.labels)} test images")
    training = Timer()
    train(model, train_set, test_set, args.epochs, args.batch_size, args.lr, args.seed,
          compiled=args.compiled)
    training_seconds = training.seconds
    predicted = predict(model, test_set.inputs())
    accuracy = float(np.mean(predicted == test_set.labels))
    title = f"digits: {100 * accuracy:.1f}% test accuracy ({len(test_set.labels)} images)"
    written = [
        plot_confusion(confusion_matrix(test_set.labels, predicted), title,
                       out / "digits_confusion.png"),
        plot_mistakes(test_set, predicted, out / "digits_mistakes.png"),
    ]
    report_files(written)
    summary("digits", f"test accuracy {100 * accuracy:.1f}% on {len(test_set.labels)} held-out "
            f"images after {args.epochs} epochs, trained in {training_seconds:.1f} s"
            f"{' (compiled replay)' if args.compiled else ''}", timer)
    return 0


if __name__ == "__main__":
    sys.exit(main())

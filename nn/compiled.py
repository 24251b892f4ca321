"""Training on whole batches at array speed: a model and loss written for one sample, compiled.

    loss_step = nn.compile_loss(model, nn.compiled.soft_cross_entropy, n_inputs=64, n_targets=10)
    for X_batch, y_batch in batches:          # X: (samples, 64), y: class indices (samples,)
        optimizer.zero_grad()
        loss = loss_step(X_batch, y_batch)    # fills every parameter's .grad (the batch's mean)
        optimizer.step()

The first call builds the graph of one sample, with leaves standing for the inputs and the
targets (holding that call's first sample), and compiles it with ``autograd.compile``; every call
then replays it on the batch. Targets are inputs of the graph like the features: a batch's
array holds the features' columns, then the targets' columns.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd
from autograd import Tape, Value

from .array_optim import ArrayOptimizer
from .batchnorm import BatchNorm
from .dropout import Dropout
from .functional import log_softmax
from .optim import Optimizer

REDUCTIONS = ("mean", "sum")


class CompiledLoss:
    """A loss over a batch, replayed from the graph of one sample; see :func:`compile_loss`."""

    def __init__(
        self, model: Any, loss_fn: Callable[[Any, Any], Value], n_inputs: int, n_targets: int,
        reduction: str,
    ) -> None:
        self.model = model
        self.loss_fn = loss_fn
        self.n_inputs = n_inputs
        self.n_targets = n_targets
        self.reduction = reduction
        self.tape: Tape | None = None
        self.losses: np.ndarray | None = None  # each sample's loss, from the last call
        self._leaves: list[Value] = []
        self._frozen_modules = _modules_that_cannot_compile(model)

    def __call__(self, X: Any, y: Any = None) -> float:
        """The batch's loss (mean or sum over its samples); adds its gradient to ``.grad``."""
        tape, batch = self._tape_and_batch(X, y)
        return self._loss(tape.run(batch, reduction=self.reduction))

    def compile(self, X: Any, y: Any = None) -> Tape:
        """Record and compile the graph from the batch's first sample, without running it
        (the first call does this otherwise); returns the tape."""
        tape, _ = self._tape_and_batch(X, y)
        return tape

    def train_on_arrays(self, optimizer: Optimizer) -> ArrayTraining:
        """Training steps with the parameters held in arrays: see :class:`ArrayTraining`."""
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"train_on_arrays takes an nn.optim optimizer, got {type(optimizer).__name__}"
            )
        return ArrayTraining(self, optimizer)

    def _tape_and_batch(self, X: Any, y: Any) -> tuple[Tape, np.ndarray]:
        features = _features(X, self.n_inputs)
        targets = _targets(y, self.n_targets, len(features))
        batch = np.hstack([features, targets])
        _refuse_training_modes(self._frozen_modules)
        if self.tape is None:
            self.tape = self._trace(batch[0])
        return self.tape, batch

    def _loss(self, losses: np.ndarray) -> float:
        self.losses = losses
        total = float(losses.sum())
        return total / len(losses) if self.reduction == "mean" else total

    def _trace(self, sample: np.ndarray) -> Tape:
        x = [Value(v, label=f"x{i}") for i, v in enumerate(sample[:self.n_inputs])]
        t = [Value(v, label=f"t{i}") for i, v in enumerate(sample[self.n_inputs:])]
        target: Any = None if not t else t[0] if self.n_targets == 1 else t
        loss = self.loss_fn(self.model(x), target)
        if not isinstance(loss, Value):
            raise TypeError(
                f"compile_loss: loss_fn must return a Value (the loss of one sample), "
                f"got {type(loss).__name__}"
            )
        self._leaves = x + t  # the tape holds its inputs weakly: they live here
        return autograd.compile(loss, inputs=self._leaves)


class ArrayTraining:
    """Training steps on a compiled loss while the parameters live in arrays.

        with loss_step.train_on_arrays(optimizer) as training:
            for X_batch, y_batch in batches:
                loss = training.step(X_batch, y_batch)   # zero_grad, replay, optimizer step
        # leaving the block writes the parameters (.data, .grad) and the optimizer's state back

    The same numbers as ``optimizer.zero_grad(); loss_step(X, y); optimizer.step()``, without
    the Python work per parameter: the tape holds the parameters in one array
    (``Tape.hold``) and the optimizer's own rule steps it whole (``nn.array_optim``).
    Meanwhile the Values are not updated: call :meth:`write_back` before reading them (to
    evaluate with another compiled model, to save a checkpoint). Calling ``optimizer.step()``
    inside the block would step the stale Values.
    """

    def __init__(self, loss_step: CompiledLoss, optimizer: Optimizer) -> None:
        self.loss_step = loss_step
        self.optimizer = optimizer
        self.held: Any = None
        self.arrays: ArrayOptimizer | None = None
        if loss_step.tape is not None:  # compiled already: hold now, not in the first step
            self._hold(loss_step.tape)

    def step(self, X: Any, y: Any = None) -> float:
        """One training step on the batch; returns its loss before the update."""
        tape, batch = self.loss_step._tape_and_batch(X, y)
        if self.held is None:
            self._hold(tape)
        assert self.arrays is not None
        self.arrays.zero_grad()
        losses = tape.run(batch, reduction=self.loss_step.reduction, input_grads=False)
        self.arrays.step()
        return self.loss_step._loss(losses)

    def write_back(self) -> None:
        """Write the parameters' numbers and gradients to the Values, and the optimizer's
        running state to the optimizer; training carries on in the arrays."""
        if self.held is not None and self.arrays is not None:
            self.held.write_back()
            self.arrays.write_back()

    def close(self) -> None:
        """Write back and stop holding: the Values are the parameters again."""
        if self.held is not None and self.arrays is not None:
            self.arrays.write_back()
            self.held.release()
        self.held = self.arrays = None

    def __enter__(self) -> ArrayTraining:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _hold(self, tape: Tape) -> None:
        held = tape.hold(extra=list(self.optimizer.params))
        try:
            self.arrays = ArrayOptimizer(self.optimizer, held.leaves, held.values, held.grads)
        except BaseException:
            held.release()
            raise
        self.held = held


class CompiledModel:
    """A model evaluated on a batch, replayed from the graph of one sample; see
    :func:`compile_model`."""

    def __init__(self, model: Any, n_inputs: int) -> None:
        self.model = model
        self.n_inputs = n_inputs
        self.tape: Tape | None = None
        self._inputs: list[Value] = []
        self._frozen_modules = _modules_that_cannot_compile(model)

    def __call__(self, X: Any) -> np.ndarray:
        """The model's outputs: (samples,) for a single output, else (samples, outputs)."""
        features = _features(X, self.n_inputs)
        _refuse_training_modes(self._frozen_modules)
        if self.tape is None:
            self._inputs = [Value(v, label=f"x{i}") for i, v in enumerate(features[0])]
            output = self.model(self._inputs)
            if isinstance(output, (list, tuple)):
                output = list(output)
            elif not isinstance(output, Value):
                raise TypeError(
                    f"compile_model: the model must return a Value or a list of Values, "
                    f"got {type(output).__name__}"
                )
            self.tape = autograd.compile(output, inputs=self._inputs)
        return self.tape.forward(features)


def compile_loss(
    model: Any,
    loss_fn: Callable[[Any, Any], Value],
    n_inputs: int,
    n_targets: int = 1,
    reduction: str = "mean",
) -> CompiledLoss:
    """A callable ``loss_step(X, y) -> float`` that runs ``loss_fn(model(x), t)`` on every row of
    a batch at once and adds the gradient of the batch's loss to the parameters' ``.grad``.

    ``loss_fn(prediction, target)`` is the loss of ONE sample: ``target`` is a Value (a list of
    ``n_targets`` Values if more than one; None if ``n_targets`` is 0). ``X`` is (samples,
    ``n_inputs``); ``y`` is (samples,) or (samples, ``n_targets``), and with ``n_targets`` > 1 a
    vector of class indices is one-hot encoded. ``reduction``: "mean" (default) or "sum" over
    the batch, for the returned loss and the gradients alike. Limits: as for any tape, Python
    ``if``s on numbers while the graph is built take the branch of the first sample; models
    with Dropout or BatchNorm in training mode are refused (their randomness and batch
    statistics would be frozen).
    """
    n_inputs = _count("n_inputs", n_inputs, 1)
    n_targets = _count("n_targets", n_targets, 0)
    if reduction not in REDUCTIONS:
        raise ValueError(f"compile_loss: reduction must be 'mean' or 'sum'; got {reduction!r}")
    if not callable(model) or not callable(loss_fn):
        raise TypeError("compile_loss: model and loss_fn must be callable")
    return CompiledLoss(model, loss_fn, n_inputs, n_targets, reduction)


def compile_model(model: Any, n_inputs: int) -> CompiledModel:
    """A callable ``predict(X) -> array`` evaluating ``model`` on every row of ``X`` at once
    (no gradients): for accuracy over a whole data set."""
    if not callable(model):
        raise TypeError("compile_model: model must be callable")
    return CompiledModel(model, _count("n_inputs", n_inputs, 1))


def soft_cross_entropy(logits: list[Value], target: list[Value]) -> Value:
    """-Σ_c target_c · log softmax(logits)_c: cross-entropy against class probabilities (a
    one-hot vector for a label). Unlike ``nn.cross_entropy``, whose class index picks a logit
    while the graph is built, the target here is made of Values, so it can be a graph input."""
    if not isinstance(logits, (list, tuple)) or not isinstance(target, (list, tuple)):
        raise TypeError("soft_cross_entropy takes a list of logits and a list of probabilities")
    if len(logits) != len(target):
        raise ValueError(
            f"soft_cross_entropy: {len(logits)} logits but {len(target)} target probabilities"
        )
    return -autograd.dot(list(target), log_softmax(list(logits)))


def _count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {value}")
    return int(value)


def _features(X: Any, n_inputs: int) -> np.ndarray:
    features = np.asarray(X, dtype=float)
    if features.ndim != 2 or features.shape[1] != n_inputs or not len(features):
        raise ValueError(
            f"X must be an array (samples, {n_inputs}) with at least one sample; "
            f"got shape {features.shape}"
        )
    return features


def _targets(y: Any, n_targets: int, samples: int) -> np.ndarray:
    if n_targets == 0:
        if y is not None:
            raise ValueError("this loss was compiled with n_targets=0: call it with X only")
        return np.zeros((samples, 0))
    if y is None:
        raise TypeError(f"this loss needs targets: call it with (X, y), {n_targets} per sample")
    targets = np.asarray(y)
    if len(targets) != samples:
        raise ValueError(f"X has {samples} samples but y has {len(targets)}")
    if targets.ndim == 1 and n_targets == 1:
        return targets.astype(float)[:, None]
    if targets.ndim == 1:
        if targets.dtype.kind not in "iu":
            raise TypeError(
                f"y with one number per sample and n_targets={n_targets} must hold class "
                f"indices (ints), got dtype {targets.dtype}"
            )
        if targets.min() < 0 or targets.max() >= n_targets:
            raise ValueError(
                f"class indices must be in 0..{n_targets - 1}; got {targets.min()}..{targets.max()}"
            )
        return np.eye(n_targets)[targets]
    if targets.ndim == 2 and targets.shape[1] == n_targets:
        return targets.astype(float)
    raise ValueError(
        f"y must be (samples,) or (samples, {n_targets}); got shape {targets.shape}"
    )


def _modules_that_cannot_compile(model: Any) -> list[Any]:
    named = getattr(model, "named_modules", None)
    modules = [module for _, module in named()] if callable(named) else []
    return [m for m in modules if isinstance(m, (Dropout, BatchNorm))]


def _refuse_training_modes(modules: list[Any]) -> None:
    for module in modules:
        if module.training and not (isinstance(module, Dropout) and module.p == 0.0):
            raise ValueError(
                f"{module!r} is in training mode: a compiled graph would freeze its "
                f"{'random mask' if isinstance(module, Dropout) else 'batch statistics'} "
                f"from the first sample. Call model.eval() on it (or leave it out) to compile."
            )

"""The training session: a model, its optimizer and its points, stepped in a thread of its own.

Everything that reads or changes the session holds ``trainer.lock``; the training thread takes
it for one optimizer step at a time, so a request never sees half a step. A step is eager
(build the batch's graph, ``backward()``) or compiled (``nn.compile_loss`` replays the graph of
one sample on the whole batch); the views always evaluate through ``nn.compile_model``.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np

import autograd
import nn
from nn.compiled import soft_cross_entropy

from . import views
from .data import checked_new_points, dataset_classes, given_data, named_dataset
from .settings import ARCHITECTURE, Settings, SettingsError, losses_for, updated

PUBLISH_INTERVAL = 0.1  # seconds between pushed states while training runs (10 per second)
MOMENTUM = 0.9


class Trainer:
    """The studio's one training session; see the module docstring."""

    def __init__(
        self, model: Any = None, X: Any = None, y: Any = None, settings: Any = None
    ) -> None:
        """``settings``: a dict of changes to the defaults, checked as ``POST /api/config``
        checks them (a SettingsError, a ValueError, says what is wrong)."""
        self.lock = threading.RLock()
        self._wake = threading.Condition(self.lock)
        self._waiting = 0  # requests waiting for the lock: the training thread yields to them
        self._waiting_lock = threading.Lock()
        self._given_model = model
        settings = {} if settings is None else settings
        base = Settings()
        fixed: list[str] = []
        if X is not None or y is not None:
            if X is None or y is None:
                raise TypeError("pass both X and y (the points and their labels), or neither")
            self.points = given_data(X, y)
            base = replace(base, dataset="custom")
            fixed.append("dataset")
        else:
            named = {k: v for k, v in settings.items() if k in ("dataset", "seed")}
            named_settings = updated(base, named, n_classes_of=dataset_classes, n_points=1)
            self.points = named_dataset(named_settings.dataset, named_settings.seed)
        if model is not None:
            base = _settings_of_model(model, base, self.points.n_classes)
            self._initial_state = model.state_dict()
            fixed.extend(ARCHITECTURE)
        self.fixed = tuple(fixed)
        self.settings = updated(
            base, settings, n_classes_of=self._classes_of, n_points=len(self.points.X),
            fixed=self.fixed,
        )
        self.running = False
        self.closed = False
        self.message = ""
        self.publish = lambda payload: None  # set by the server: pushes a state to the pages
        self._version = 0
        self._thread: threading.Thread | None = None
        self._restart()

    # ----- the training thread ---------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="studio-training", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the training thread (after the step it is in) and wait for it."""
        with self._wake:
            self.closed = True
            self.running = False
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        last_push = 0.0
        next_step = 0.0
        while True:
            with self._wake:
                while not self.closed and not (self.running and self.points.X):
                    self._wake.wait()
                if self.closed:
                    return
                delay = next_step - time.monotonic()
                if delay > 0:  # at most `speed` steps a second; play, pause or close wake it
                    self._wake.wait(delay)
                    continue
                next_step = max(next_step, time.monotonic() - 0.1) + 1 / self.settings.speed
                self._step_or_pause()
                if not self.running or time.monotonic() - last_push >= PUBLISH_INTERVAL:
                    self.push()
                    last_push = time.monotonic()
            while self._waiting:  # Python's locks are not fair: let the requests in first
                time.sleep(0.0005)

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the session for a request, ahead of the training thread."""
        with self._waiting_lock:
            self._waiting += 1
        try:
            self.lock.acquire()
        finally:
            with self._waiting_lock:
                self._waiting -= 1
        try:
            yield
        finally:
            self.lock.release()

    # ----- what requests do ------------------------------------------------------------------

    def control(self, action: Any) -> None:
        """play, pause, step (one optimizer step) or reset (fresh weights, step 0, paused)."""
        if action == "play":
            self.running = True
            self.message = "" if self.points.X else "no points to train on: click the plot"
            self._wake.notify_all()
        elif action == "pause":
            self.running = False
        elif action == "step":
            if self.points.X:
                self._step_or_pause()
            else:
                self.message = "no points to train on: click the plot"
        elif action == "reset":
            self.running = False
            self._restart()
        else:
            raise SettingsError(
                f"action must be one of play, pause, step, reset; got {action!r}"
            )
        self.push()

    def configure(self, changes: Any) -> None:
        """Apply settings (checked whole first: on any error nothing changes)."""
        old = self.settings
        new = updated(
            old, changes, n_classes_of=self._classes_of, n_points=len(self.points.X),
            fixed=self.fixed,
        )
        self.settings = new
        if new.dataset != old.dataset or (new.seed != old.seed and "dataset" not in self.fixed):
            self.points = named_dataset(new.dataset, new.seed)
            self._restart()
        elif any(getattr(new, name) != getattr(old, name) for name in ARCHITECTURE) or (
            new.seed != old.seed
        ):
            self._restart()
        else:
            if new.optimizer != old.optimizer:
                self._new_optimizer()
            elif new.learning_rate != old.learning_rate:
                self.optimizer.lr = new.learning_rate
            if new.loss != old.loss or new.l2 != old.l2:
                self._compile()
            if new.batch_size != old.batch_size:
                self._new_epoch()
            self._wake.notify_all()  # a new speed applies now
        self.push()

    def change_points(self, body: Any) -> None:
        """Add points (``{"add": [[x, y, label], ...]}``) and/or clear them first
        (``{"clear": true}``)."""
        clear, new = checked_new_points(body, self.points)
        if clear:
            self.points.X, self.points.labels = [], []
        for x, y, label in new:
            self.points.X.append([x, y])
            self.points.labels.append(label)
        self._keep_sample_in_range()
        self._new_epoch()
        self._wake.notify_all()  # training that waited for points can go on
        self.push()

    def state(self) -> dict[str, Any]:
        """Everything the page shows, as JSON-ready numbers (non-finite ones become null)."""
        loss, accuracy, outputs = self._evaluate()
        network = self._network()
        return {
            "version": self._version,
            "step": self.steps,
            "loss": views.number(loss),
            "accuracy": views.number(accuracy),
            "running": self.running,
            "config": self.settings.as_dict(),
            "fixed": list(self.fixed),
            "losses": list(losses_for(self.points.n_classes)),
            "message": self.message,
            "engine": self.settings.engine,
            "parameters": self.model.num_parameters(),
            "steps_per_second": round(self._rate, 1) if self.running else 0.0,
            "n_classes": self.points.n_classes,
            "bounds": list(self.points.bounds),
            "points": [[x, y, c] for (x, y), c in zip(self.points.X, self.points.labels)],
            "predicted": outputs,
            "boundary": views.boundary(self._predict, self.points.bounds, self.points.n_classes),
            "history": views.thinned(self.history),
            "network": network,
        }

    def neuron(self, layer: Any, index: Any) -> tuple[Any, dict[str, Any]]:
        """The Graphviz drawing of one neuron's graph for the selected sample (not yet laid out:
        the caller renders it outside the lock), its numbers, and ``autograd.explain`` of its
        gradient."""
        sizes = [2] + [len(layer_.neurons) for layer_ in self.model.layers]
        layer = views.whole_number("layer", layer, 0, len(sizes) - 1)
        index = views.whole_number("index", index, 0, sizes[layer] - 1)
        if not self.points.X:
            raise SettingsError("there are no points, so no sample to draw the neuron for")
        upstream = sum(sizes[1:layer])
        with self._sample_graph() as (values, loss):
            drawing, facts = views.neuron_drawing(values[layer][index], self.model, upstream)
            facts["explain"] = views.neuron_explanation(values[layer][index], loss, self.model)
        facts.update(layer=layer, index=index, sample=self.settings.sample, step=self.steps)
        return drawing, facts

    # ----- building the session ---------------------------------------------------------------

    def _classes_of(self, dataset: str) -> int:
        n = self.points.n_classes if dataset == "custom" else dataset_classes(dataset)
        if self._given_model is not None and n != self.points.n_classes:
            raise SettingsError(
                f"the model given to serve() is for {self.points.n_classes} classes; "
                f"{dataset} has {n}"
            )
        return n

    def _restart(self) -> None:
        """Fresh weights (from the seed, or the given model's starting state), step 0."""
        s = self.settings
        if self._given_model is not None:
            self._given_model.load_state_dict(self._initial_state)
            self.model = self._given_model
        else:
            outputs = 1 if self.points.n_classes == 2 else self.points.n_classes
            self.model = nn.MLP(
                2, [s.width] * s.hidden_layers + [outputs], activation=s.activation, rng=s.seed
            )
        self._keep_sample_in_range()
        self.steps = 0
        self.history: list[tuple[int, float, float]] = []
        self.grad_norms: list[float | None] = [None] * len(self.model.layers)
        self.message = ""
        self._rate = 0.0
        self._rate_window: list[float] = []
        self._order_rng = np.random.default_rng(s.seed)
        self._new_optimizer()
        self._compile()
        self._new_epoch()

    def _keep_sample_in_range(self) -> None:
        last = max(len(self.points.X) - 1, 0)
        if self.settings.sample > last:
            self.settings = replace(self.settings, sample=last)

    def _new_optimizer(self) -> None:
        s = self.settings
        self.optimizer: nn.optim.Optimizer
        params = self.model.parameters()
        if s.optimizer == "adam":
            self.optimizer = nn.optim.Adam(params, lr=s.learning_rate)
        else:
            momentum = MOMENTUM if s.optimizer == "momentum" else 0.0
            self.optimizer = nn.optim.SGD(params, lr=s.learning_rate, momentum=momentum)

    def _compile(self) -> None:
        n_targets = 1 if self.points.n_classes == 2 else self.points.n_classes
        self._loss_step = nn.compile_loss(
            self.model, self._sample_objective, n_inputs=2, n_targets=n_targets
        )
        self._predict = nn.compile_model(self.model, n_inputs=2)

    def _new_epoch(self) -> None:
        self._order: list[int] = []

    # ----- the objective -------------------------------------------------------------------

    def _targets(self, labels: list[int]) -> list[Any]:
        """Labels as the loss wants them: ±1 (hinge, mse), 0/1 (logistic), one-hot lists."""
        loss = self.settings.loss
        if loss in ("hinge", "mse"):
            return [2.0 * c - 1.0 for c in labels]
        if loss == "logistic":
            return [float(c) for c in labels]
        n = self.points.n_classes
        return [[1.0 if k == c else 0.0 for k in range(n)] for c in labels]

    def _data_loss(self, outputs: list[Any], targets: list[Any]) -> Any:
        """The mean loss over samples: on Values (a graph to differentiate) or on floats."""
        loss = self.settings.loss
        if loss == "hinge":
            return nn.hinge_loss(outputs, targets)
        if loss == "logistic":
            return nn.binary_cross_entropy_with_logits(outputs, targets)
        if loss == "mse":
            return nn.mse_loss(outputs, targets)
        terms = [soft_cross_entropy(list(o), list(t)) for o, t in zip(outputs, targets)]
        return autograd.sum_values(terms) / len(terms)

    def _penalty(self) -> Any:
        return nn.l2_penalty(self.model, alpha=self.settings.l2) if self.settings.l2 else 0.0

    def _sample_objective(self, output: Any, target: Any) -> Any:
        # One sample's loss plus the penalty: the batch's mean is the mean loss plus the penalty.
        return self._data_loss([output], [target]) + self._penalty()

    # ----- one step -----------------------------------------------------------------------

    def _next_batch(self) -> list[int]:
        size = min(self.settings.batch_size, len(self.points.X))
        if len(self._order) < size:
            self._order = self._order + self._order_rng.permutation(len(self.points.X)).tolist()
        batch, self._order = self._order[:size], self._order[size:]
        return batch

    def _step_or_pause(self) -> None:
        """One optimizer step on the next batch; a non-finite loss or an error pauses training
        and says why."""
        batch = self._next_batch()
        X = [self.points.X[i] for i in batch]
        labels = [self.points.labels[i] for i in batch]
        try:
            self.optimizer.zero_grad()
            if self.settings.engine == "compiled":
                targets = labels if self.points.n_classes > 2 else self._targets(labels)
                loss = self._loss_step(np.array(X), np.array(targets))
            else:
                outputs = [self.model(x) for x in X]
                objective = self._data_loss(outputs, self._targets(labels)) + self._penalty()
                objective.backward()
                loss = objective.data
            self.grad_norms = [
                math.sqrt(sum(p.grad * p.grad for p in layer.parameters()))
                for layer in self.model.layers
            ]
            if not math.isfinite(loss):
                self.running = False
                self.message = (
                    f"the loss is {loss} at step {self.steps + 1}: training paused. Lower the "
                    f"learning rate and press Reset."
                )
                return
            self.optimizer.step()
        except Exception as error:  # a failed step must not take the server down
            self.running = False
            self.message = f"training stopped at step {self.steps + 1}: {error}"
            return
        self.steps += 1
        now = time.monotonic()
        self._rate_window = [t for t in self._rate_window if now - t < 1.0] + [now]
        self._rate = float(len(self._rate_window))

    # ----- what the views show --------------------------------------------------------------

    def _evaluate(self) -> tuple[float | None, float | None, list[int]]:
        """The loss and accuracy over all points, and each point's predicted class; records
        them in the history when the step is new."""
        if not self.points.X:
            return None, None, []
        outputs = self._predict(np.array(self.points.X))
        if outputs.ndim == 1:
            predicted = (outputs > 0).astype(int)
            floats: list[Any] = outputs.tolist()
        else:
            predicted = outputs.argmax(axis=1)
            floats = outputs.tolist()
        loss = float(self._data_loss(floats, self._targets(self.points.labels)))
        loss += float(getattr(self._penalty(), "data", 0.0))
        accuracy = float(np.mean(predicted == np.array(self.points.labels)))
        if not self.history or self.history[-1][0] != self.steps:
            self.history.append((self.steps, loss, accuracy))
        return loss, accuracy, predicted.tolist()

    @contextlib.contextmanager
    def _sample_graph(self) -> Iterator[tuple[list[list[Any]], Any]]:
        """The selected sample through the model, eagerly, with every value's gradient of the
        sample's loss filled in; the parameters' .grad are put back afterwards."""
        i = self.settings.sample
        params = self.model.parameters()
        saved = [p.grad for p in params]
        values = views.layer_values(self.model, self.points.X[i])
        output = values[-1][0] if self.points.n_classes == 2 else values[-1]
        loss = self._data_loss([output], self._targets([self.points.labels[i]]))
        loss.label = "loss"
        for p in params:
            p.grad = 0.0
        loss.backward()
        try:
            yield values, loss
        finally:
            for p, grad in zip(params, saved):
                p.grad = grad

    def _network(self) -> dict[str, Any]:
        network = views.network_weights(self.model)
        network["grad_norms"] = [views.number(g) for g in self.grad_norms]
        network["sample"] = self.settings.sample if self.points.X else None
        if self.points.X:
            with self._sample_graph() as (values, _):
                network["activation"] = [[views.number(v.data) for v in row] for row in values]
                network["grad"] = [[views.number(v.grad) for v in row] for row in values]
        return network

    def push(self) -> None:
        """Send the state to every open page."""
        self._version += 1
        self.publish(self.state())


def _settings_of_model(model: Any, settings: Settings, n_classes: int) -> Settings:
    """The settings that describe a model given to serve() (an nn.MLP on 2 inputs)."""
    if not isinstance(model, nn.MLP):
        raise TypeError(
            f"the studio draws and trains an nn.MLP; got {type(model).__name__}. Build one with "
            f"nn.MLP(2, [8, 8, 1]) (1 output for 2 classes, K outputs for K classes)"
        )
    sizes = [len(layer.neurons) for layer in model.layers]
    nin = model.layers[0].neurons[0].nin
    outputs = 1 if n_classes == 2 else n_classes
    if nin != 2 or sizes[-1] != outputs:
        raise ValueError(
            f"the model takes {nin} inputs and gives {sizes[-1]} outputs; the studio needs 2 "
            f"inputs (the plot's x and y) and {outputs} output(s) for {n_classes} classes"
        )
    activation = model.layers[0].neurons[0].activation if len(sizes) > 1 else settings.activation
    return replace(
        settings,
        hidden_layers=len(sizes) - 1,
        width=max(sizes[:-1], default=settings.width),
        activation=activation,
    )

"""The studio's settings: their defaults, their limits, and checking a change before it applies.

Every change arrives as JSON (``POST /api/config``) or as keywords of ``serve()``. It is checked
whole before anything changes: a bad value, an unknown key or a setting that cannot change (the
architecture of a model given to ``serve``) raises :class:`SettingsError`, naming what was wrong.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, replace
from typing import Any

DATASETS = ("moons", "circles", "xor", "spiral", "blobs")
OPTIMIZERS = ("sgd", "momentum", "adam")
ACTIVATIONS = ("tanh", "relu", "sigmoid")
BINARY_LOSSES = ("logistic", "hinge", "mse")
MULTICLASS_LOSSES = ("cross_entropy",)
ENGINES = ("compiled", "eager")

MAX_LEARNING_RATE = 10.0
MAX_BATCH_SIZE = 1000
MAX_HIDDEN_LAYERS = 6
MAX_WIDTH = 64
MAX_L2 = 1.0
MAX_SEED = 2**32 - 1
MAX_SPEED = 1000
ARCHITECTURE = ("hidden_layers", "width", "activation")


class SettingsError(ValueError):
    """A setting that is not valid; the message says which and what is allowed."""


@dataclass(frozen=True)
class Settings:
    """What the learner can change. ``speed`` caps the optimizer steps per second, so that the
    learning can be watched; ``sample`` is the point whose activations the network view shows
    (an index into the points)."""

    dataset: str = "moons"
    learning_rate: float = 0.03
    optimizer: str = "adam"
    batch_size: int = 32
    hidden_layers: int = 2
    width: int = 8
    activation: str = "tanh"
    loss: str = "logistic"
    l2: float = 0.0
    engine: str = "compiled"
    seed: int = 0
    speed: int = 60
    sample: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


NAMES = tuple(Settings.__dataclass_fields__)


def default_loss(n_classes: int) -> str:
    return BINARY_LOSSES[0] if n_classes == 2 else MULTICLASS_LOSSES[0]


def losses_for(n_classes: int) -> tuple[str, ...]:
    return BINARY_LOSSES if n_classes == 2 else MULTICLASS_LOSSES


def _number(name: str, value: Any, low: float, high: float, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise SettingsError(f"{name} must be a number; got {value!r}")
    value = float(value)
    too_low = value <= low if low_open else value < low
    if not math.isfinite(value) or too_low or value > high:
        bound = f"> {low:g}" if low_open else f">= {low:g}"
        raise SettingsError(f"{name} must be {bound} and <= {high:g}; got {value!r}")
    return value


def _integer(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JavaScript has one number type: 32.0 is 32
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise SettingsError(f"{name} must be a whole number; got {value!r}")
    number = int(value)
    if not low <= number <= high:
        raise SettingsError(f"{name} must be from {low} to {high}; got {value}")
    return number


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def updated(
    current: Settings,
    changes: Any,
    *,
    n_classes_of: Any,
    n_points: int,
    fixed: tuple[str, ...] = (),
) -> Settings:
    """``current`` with ``changes`` (a dict from JSON) applied, all checked first.

    ``n_classes_of(dataset)`` says how many classes a dataset has (the loss must suit it);
    ``n_points`` bounds ``sample``; names in ``fixed`` may not change.
    """
    if not isinstance(changes, dict):
        raise SettingsError(f"settings must be a JSON object; got {type(changes).__name__}")
    unknown = sorted(set(changes) - set(NAMES))
    if unknown:
        raise SettingsError(
            f"unknown setting {', '.join(map(repr, unknown))}; the settings are: {', '.join(NAMES)}"
        )
    for name in fixed:
        if name in changes and changes[name] != getattr(current, name):
            raise SettingsError(
                f"{name} cannot change here: serve() was given this "
                f"{'data' if name == 'dataset' else 'model'}, so its {name} is fixed"
            )
    checked: dict[str, Any] = {}
    for name, value in changes.items():
        checked[name] = _checked(name, value, n_points)
    result = replace(current, **checked)
    n_classes = n_classes_of(result.dataset)
    if "loss" not in changes and result.loss not in losses_for(n_classes):
        result = replace(result, loss=default_loss(n_classes))
    if result.loss not in losses_for(n_classes):
        raise SettingsError(
            f"loss {result.loss!r} does not suit {n_classes} classes; choose one of "
            f"{', '.join(losses_for(n_classes))}"
        )
    return result


def _checked(name: str, value: Any, n_points: int) -> Any:
    if name == "dataset":
        return _choice(name, value, DATASETS)
    if name == "learning_rate":
        return _number(name, value, 0.0, MAX_LEARNING_RATE, low_open=True)
    if name == "optimizer":
        return _choice(name, value, OPTIMIZERS)
    if name == "batch_size":
        return _integer(name, value, 1, MAX_BATCH_SIZE)
    if name == "hidden_layers":
        return _integer(name, value, 0, MAX_HIDDEN_LAYERS)
    if name == "width":
        return _integer(name, value, 1, MAX_WIDTH)
    if name == "activation":
        return _choice(name, value, ACTIVATIONS)
    if name == "loss":
        return _choice(name, value, BINARY_LOSSES + MULTICLASS_LOSSES)
    if name == "l2":
        return _number(name, value, 0.0, MAX_L2)
    if name == "engine":
        return _choice(name, value, ENGINES)
    if name == "seed":
        return _integer(name, value, 0, MAX_SEED)
    if name == "speed":
        return _integer(name, value, 1, MAX_SPEED)
    if name == "sample":
        return _integer(name, value, 0, max(n_points - 1, 0))
    raise AssertionError(name)

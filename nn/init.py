"""Weight initialisation schemes for a neuron's incoming weights (biases always start at 0).

- "uniform": micrograd's U(-1, 1), the default.
- "xavier_uniform" / "xavier_normal" (Glorot): variance 2 / (fan_in + fan_out), for tanh/sigmoid.
- "he_uniform" / "he_normal" (Kaiming, ReLU gain): variance 2 / fan_in, for ReLU networks.

With no generator given (`rng=None`) the weights come from Python's `random`, one call per
weight: `random.uniform(-bound, bound)` for the uniform schemes (micrograd's exact calls for
"uniform"), `random.gauss(0, std)` for the normal ones; with a numpy Generator, from its
`uniform` and `normal`.

Aliases: "xavier" and "glorot" mean "xavier_uniform", "glorot_uniform"/"glorot_normal" their
Xavier names, "he" and "kaiming" mean "he_normal", "kaiming_uniform"/"kaiming_normal" their He
names (PyTorch's defaults for the short names).
"""

from __future__ import annotations

import math
import random

import numpy as np

SCHEMES = ("uniform", "xavier_uniform", "xavier_normal", "he_uniform", "he_normal")

_ALIASES = {
    "xavier": "xavier_uniform",
    "glorot": "xavier_uniform",
    "glorot_uniform": "xavier_uniform",
    "glorot_normal": "xavier_normal",
    "he": "he_normal",
    "kaiming": "he_normal",
    "kaiming_uniform": "he_uniform",
    "kaiming_normal": "he_normal",
}


def resolve_scheme(name: str) -> str:
    """The canonical name of an initialisation scheme; ValueError for an unknown one."""
    if not isinstance(name, str):
        raise TypeError(f"init must be a scheme name (str); got {type(name).__name__}")
    canonical = _ALIASES.get(name, name)
    if canonical not in SCHEMES:
        known = ", ".join(sorted(SCHEMES + tuple(_ALIASES)))
        raise ValueError(f"unknown init scheme {name!r}; choose one of: {known}")
    return canonical


def sample_weights(
    scheme: str, fan_in: int, fan_out: int, rng: np.random.Generator | None
) -> list[float]:
    """Draw `fan_in` weights for one neuron by `scheme`, as Python floats; from Python's
    `random` when `rng` is None, else from the numpy Generator `rng`."""
    scheme = resolve_scheme(scheme)
    if scheme == "uniform":
        return _uniform(-1.0, 1.0, fan_in, rng)
    if scheme == "xavier_uniform":
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        return _uniform(-bound, bound, fan_in, rng)
    if scheme == "xavier_normal":
        return _normal(math.sqrt(2.0 / (fan_in + fan_out)), fan_in, rng)
    if scheme == "he_uniform":
        bound = math.sqrt(6.0 / fan_in)
        return _uniform(-bound, bound, fan_in, rng)
    return _normal(math.sqrt(2.0 / fan_in), fan_in, rng)  # he_normal


def _uniform(low: float, high: float, count: int, rng: np.random.Generator | None) -> list[float]:
    if rng is None:
        return [random.uniform(low, high) for _ in range(count)]
    return [float(w) for w in rng.uniform(low, high, size=count)]


def _normal(std: float, count: int, rng: np.random.Generator | None) -> list[float]:
    if rng is None:
        return [random.gauss(0.0, std) for _ in range(count)]
    return [float(w) for w in rng.normal(0.0, std, size=count)]

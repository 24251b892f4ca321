"""Weight initialisation schemes for a neuron's incoming weights (biases always start at 0).

- "uniform": micrograd's U(-1, 1), the default.
- "xavier_uniform" / "xavier_normal" (Glorot): variance 2 / (fan_in + fan_out), for tanh/sigmoid.
- "he_uniform" / "he_normal" (Kaiming, ReLU gain): variance 2 / fan_in, for ReLU networks.

Aliases: "xavier" and "glorot" mean "xavier_uniform", "glorot_uniform"/"glorot_normal" their
Xavier names, "he" and "kaiming" mean "he_normal", "kaiming_uniform"/"kaiming_normal" their He
names (PyTorch's defaults for the short names).
"""

from __future__ import annotations

import math

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
    scheme: str, fan_in: int, fan_out: int, rng: np.random.Generator
) -> list[float]:
    """Draw `fan_in` weights for one neuron by `scheme`, as Python floats."""
    scheme = resolve_scheme(scheme)
    if scheme == "uniform":
        draws = rng.uniform(-1.0, 1.0, size=fan_in)
    elif scheme == "xavier_uniform":
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        draws = rng.uniform(-bound, bound, size=fan_in)
    elif scheme == "xavier_normal":
        draws = rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), size=fan_in)
    elif scheme == "he_uniform":
        bound = math.sqrt(6.0 / fan_in)
        draws = rng.uniform(-bound, bound, size=fan_in)
    else:  # he_normal
        draws = rng.normal(0.0, math.sqrt(2.0 / fan_in), size=fan_in)
    return [float(w) for w in draws]

"""Where `nn`'s randomness comes from, and `manual_seed`, which seeds all of it.

Weights drawn with no `rng=` come from Python's `random` module, by the same calls in the same
order as micrograd (`random.uniform(-1, 1)` per weight, neuron by neuron), so `random.seed(1337)`
followed by `nn.MLP(2, [16, 16, 1])` gives micrograd's model, number for number. Dropout masks,
dataset noise and batch shuffling draw from a numpy `Generator`: the one passed (`rng=` or
`seed=`), or else the package-wide default. A given `rng=` (a seed or a Generator) also draws the
weights. `manual_seed(n)` seeds both `random` and the package default: same seed, same model,
same training run.
"""

from __future__ import annotations

import numbers
import random

import numpy as np

_default_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed Python's `random` (default weights) with `seed`, reset the package-wide numpy
    generator to a fresh one seeded with it, and return that generator."""
    global _default_generator
    random.seed(_check_seed(seed))
    _default_generator = np.random.default_rng(_check_seed(seed))
    return _default_generator


def default_generator() -> np.random.Generator:
    """The package-wide generator used wherever no explicit `rng` is given."""
    return _default_generator


def resolve_generator(rng: int | np.random.Generator | None) -> np.random.Generator:
    """Turn an `rng` argument into a generator: None is the package default, an int a new seed."""
    if rng is None:
        return _default_generator
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(_check_seed(rng))


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"a seed must be a non-negative int (or a numpy Generator where rng= is accepted); "
            f"got {type(seed).__name__}"
        )
    if seed < 0:
        raise ValueError(f"a seed must be a non-negative int; got {seed}")
    return int(seed)

"""The random number generator behind every source of randomness in `nn`.

Weight initialisation, dropout masks, dataset noise and batch shuffling all draw from a numpy
`Generator`: the one passed explicitly (`rng=`), or else the package-wide default that
`manual_seed` resets. Same seed, same model, same training run.
"""

from __future__ import annotations

import numbers

import numpy as np

_default_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the package-wide generator to a fresh one seeded with `seed`, and return it."""
    global _default_generator
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

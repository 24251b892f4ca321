"""Dropout: randomly zero inputs during training, scaling the survivors to keep the mean."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .module import Module
from .random import resolve_generator


class Dropout(Module):
    """Zero each input with probability `p` in training mode and scale the rest by 1 / (1 - p);
    the identity in eval mode. Masks come from `rng`, else the package generator."""

    p: float
    _rng: np.random.Generator | None

    def __init__(self, p: float = 0.5, *, rng: int | np.random.Generator | None = None) -> None:
        if isinstance(p, bool) or not isinstance(p, numbers.Real):
            raise TypeError(f"dropout probability p must be a number; got {type(p).__name__}")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability p must be in [0, 1]; got {p}")
        self.p = float(p)
        self._rng = None if rng is None else resolve_generator(rng)

    def __call__(self, x: Any) -> Any:
        if not self.training or self.p == 0.0:
            return x
        single = not isinstance(x, (list, tuple))
        items = [x] if single else list(x)
        keep = resolve_generator(self._rng).random(len(items)) >= self.p
        scale = 1.0 / (1.0 - self.p) if self.p < 1.0 else 0.0
        out = [item * scale if kept else item * 0.0 for item, kept in zip(items, keep, strict=True)]
        return out[0] if single else out

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"

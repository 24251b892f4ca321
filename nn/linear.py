"""`Linear` and `Sequential`: PyTorch's way of writing the networks `MLP` builds."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np

import autograd
from autograd import Value

from .layers import check_size
from .module import Module
from .random import resolve_generator


class Linear(Module):
    """y = W·x + b on a list of `in_features` inputs (or a batch: a list of such lists).

    Parameters as PyTorch names them: `weight`, `out_features` rows of `in_features` Values,
    and `bias`, `out_features` Values (None with `bias=False`); both start uniform in
    ±1/√in_features, as in PyTorch. The output is a list of `out_features` Values, also for one.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        self.in_features = check_size("in_features", in_features, "the number of inputs")
        self.out_features = check_size("out_features", out_features, "the number of outputs")
        generator = resolve_generator(rng)
        bound = 1.0 / math.sqrt(self.in_features)
        draws = generator.uniform(-bound, bound, size=(self.out_features, self.in_features))
        self.weight = [[Value(float(w)) for w in row] for row in draws]
        self.bias: list[Value] | None = None
        if bias:
            starts = generator.uniform(-bound, bound, size=self.out_features)
            self.bias = [Value(float(b)) for b in starts]

    def forward(self, x: Any) -> list[Any]:
        if _is_batch(x):
            return [self._one(sample) for sample in x]
        return self._one(x)

    def _one(self, x: Any) -> list[Value]:
        if isinstance(x, np.ndarray):
            x = x.tolist()
        if not isinstance(x, (list, tuple)) or len(x) != self.in_features:
            size = len(x) if isinstance(x, (list, tuple)) else type(x).__name__
            raise ValueError(f"Linear expects a list of {self.in_features} inputs; got {size}")
        x = [v if isinstance(v, Value) else Value(v) for v in x]  # numbers become leaves once
        if self.bias is None:
            return [autograd.linear(row, x, 0.0) for row in self.weight]
        return [autograd.linear(row, x, b) for row, b in zip(self.weight, self.bias)]

    def __repr__(self) -> str:
        return (
            f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None})"
        )


def _is_batch(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and bool(x) and isinstance(x[0], (list, tuple))


class Sequential(Module):
    """Modules applied one after the other; their names are "0", "1", ... as in PyTorch, so
    `Sequential(Linear(2, 4), ReLU())` has the parameters `0.weight...` and `0.bias...`."""

    def __init__(self, *modules: Module) -> None:
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential takes modules; argument {i} is a {type(module).__name__}"
                )
            setattr(self, str(i), module)

    def forward(self, x: Any) -> Any:
        for module in self:
            x = module(x)
        return x

    def __iter__(self) -> Iterator[Module]:
        return iter(self.children())

    def __len__(self) -> int:
        return len(self.children())

    def __getitem__(self, index: int) -> Module:
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"Sequential is indexed by int; got {type(index).__name__}")
        return self.children()[index]


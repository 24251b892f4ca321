"""Batch normalisation over a batch of samples, as torch.nn.BatchNorm1d on (batch, features)."""

from __future__ import annotations

import numbers

import autograd
from autograd import Value

from .layers import check_size
from .module import Module


def _data(x: Value | float) -> float:
    return x.data if isinstance(x, Value) else float(x)


class BatchNorm(Module):
    """Normalise each feature over the batch to mean 0, variance 1, then scale by `weight` and
    shift by `bias` (learned). Training mode uses the batch statistics and updates the running
    ones (`momentum`); eval mode uses the running ones. Input: a list of samples, each a list of
    `num_features` Values (or a single Value when `num_features` is 1)."""

    buffer_names = ("running_mean", "running_var")

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True
    ) -> None:
        self.num_features = check_size("num_features", num_features, "the number of features")
        for name, value in (("eps", eps), ("momentum", momentum)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"BatchNorm {name} must be a number; got {type(value).__name__}")
        if not eps > 0:
            raise ValueError(f"BatchNorm eps must be positive; got {eps}")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"BatchNorm momentum must be in [0, 1]; got {momentum}")
        self.eps = float(eps)
        self.momentum = float(momentum)
        self.weight = [Value(1.0) for _ in range(self.num_features)] if affine else []
        self.bias = [Value(0.0) for _ in range(self.num_features)] if affine else []
        self.running_mean = [0.0] * self.num_features
        self.running_var = [1.0] * self.num_features

    def __call__(self, batch: list) -> list:
        if not isinstance(batch, (list, tuple)) or not batch:
            raise ValueError("BatchNorm takes a non-empty list of samples")
        single = not isinstance(batch[0], (list, tuple))
        rows = [[sample] if single else list(sample) for sample in batch]
        for i, row in enumerate(rows):
            if len(row) != self.num_features:
                raise ValueError(
                    f"BatchNorm({self.num_features}) got a sample with {len(row)} features "
                    f"at index {i}"
                )
        n = len(rows)
        if self.training and n < 2:
            raise ValueError(
                "BatchNorm in training mode needs at least 2 samples per batch to estimate a "
                "variance; use a larger batch or call .eval()"
            )
        columns = []
        for j in range(self.num_features):
            column = [row[j] for row in rows]
            if self.training:
                mean = autograd.sum_values(column) / n
                centered = [x - mean for x in column]
                var = autograd.sum_values([d * d for d in centered]) / n
                inv_std = (var + self.eps) ** -0.5
                normalized = [d * inv_std for d in centered]
                m = self.momentum
                # The running variance is the unbiased estimate, as in PyTorch.
                self.running_mean[j] = (1 - m) * self.running_mean[j] + m * _data(mean)
                self.running_var[j] = (1 - m) * self.running_var[j] + m * _data(var) * n / (n - 1)
            else:
                mean, var = self.running_mean[j], self.running_var[j]
                inv_std = (var + self.eps) ** -0.5
                normalized = [(x - mean) * inv_std for x in column]
            if self.weight:
                normalized = [x * self.weight[j] + self.bias[j] for x in normalized]
            columns.append(normalized)
        out = [list(row) for row in zip(*columns, strict=True)]
        return [row[0] for row in out] if single else out

    def __repr__(self) -> str:
        affine = "" if self.weight else ", affine=False"
        return (
            f"BatchNorm({self.num_features}, eps={self.eps}, momentum={self.momentum}{affine})"
        )

"""Learning-rate schedules, as in torch.optim.lr_scheduler: each sets `optimizer.lr`.

Create one after the optimizer (its `lr` becomes the base rate), then call `step()` once per
training step, after `optimizer.step()`. `lr_at(k)` gives the rate at step k without changing
anything.
"""

from __future__ import annotations

import math
import numbers


def _check_int(name: str, value: object, minimum: int, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an int; got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be at least {minimum}; got {value}")
    return int(value)


def _check_real(name: str, value: object, owner: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number; got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{owner}: {name} must be finite; got {value}")
    return float(value)


class LRSchedule:
    """Base class: `lr_at(step)` defines the schedule; `step()` advances and applies it."""

    def __init__(self, optimizer: object) -> None:
        if not hasattr(optimizer, "lr"):
            raise TypeError(
                f"{type(self).__name__} drives an optimizer (anything with an lr attribute); "
                f"got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.base_lr = float(optimizer.lr)
        self.last_step = 0
        optimizer.lr = self.lr_at(0)

    def lr_at(self, step: int) -> float:
        """The learning rate at training step `step` (0 is the first)."""
        raise NotImplementedError

    def step(self) -> float:
        """Advance one step, set the optimizer's lr, and return it."""
        self.last_step += 1
        self.optimizer.lr = self.lr_at(self.last_step)
        return self.optimizer.lr

    @property
    def lr(self) -> float:
        """The current learning rate."""
        return self.lr_at(self.last_step)


class StepLR(LRSchedule):
    """Multiply the rate by `gamma` every `step_size` steps."""

    def __init__(self, optimizer: object, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _check_int("step_size", step_size, 1, "StepLR")
        self.gamma = _check_real("gamma", gamma, "StepLR")
        super().__init__(optimizer)

    def lr_at(self, step: int) -> float:
        return self.base_lr * self.gamma ** (step // self.step_size)


class LinearLR(LRSchedule):
    """Scale the base rate by a factor going linearly from `start_factor` to `end_factor` over
    `total_iters` steps, then holding. micrograd's moons demo (1.0 down to 0.1 over 100 steps)
    is `LinearLR(SGD(params, lr=1.0), start_factor=1.0, end_factor=0.1, total_iters=100)`."""

    def __init__(
        self,
        optimizer: object,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        self.start_factor = _check_real("start_factor", start_factor, "LinearLR")
        self.end_factor = _check_real("end_factor", end_factor, "LinearLR")
        if not (0 < self.start_factor <= 1 and 0 <= self.end_factor <= 1):
            raise ValueError(
                "LinearLR: start_factor must be in (0, 1] and end_factor in [0, 1]; got "
                f"{start_factor} and {end_factor}"
            )
        self.total_iters = _check_int("total_iters", total_iters, 1, "LinearLR")
        super().__init__(optimizer)

    def lr_at(self, step: int) -> float:
        progress = min(step, self.total_iters) / self.total_iters
        return self.base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class CosineAnnealingLR(LRSchedule):
    """Follow half a cosine from the base rate down to `eta_min` over `T_max` steps (and back
    up over the next `T_max`, as PyTorch's does)."""

    def __init__(self, optimizer: object, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = _check_int("T_max", T_max, 1, "CosineAnnealingLR")
        self.eta_min = _check_real("eta_min", eta_min, "CosineAnnealingLR")
        super().__init__(optimizer)

    def lr_at(self, step: int) -> float:
        cosine = (1 + math.cos(math.pi * step / self.T_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * cosine

"""Learning-rate schedules, as torch.optim.lr_scheduler (also ``nn.optim.lr_scheduler``).

Create one after the optimizer (each group's `lr` becomes its base rate), then call `step()`
once per training step, after `optimizer.step()`. `lr_at(k)` gives the rate at step k without
changing anything; `get_last_lr()` the rates in use.
"""

from __future__ import annotations

import copy
import math
import numbers
from typing import Any


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
    """Base class: ``_rate(base_lr, step)`` defines the schedule; ``step()`` advances it and sets
    every parameter group's rate (each group scaled from its own starting rate)."""

    def __init__(self, optimizer: Any) -> None:
        if not hasattr(optimizer, "lr"):
            raise TypeError(
                f"{type(self).__name__} drives an optimizer (anything with an lr attribute); "
                f"got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        groups = getattr(optimizer, "param_groups", None)
        self.base_lrs = [float(g["lr"]) for g in groups] if groups else [float(optimizer.lr)]
        self.last_epoch = 0
        self._apply()

    @property
    def base_lr(self) -> float:
        """The first group's starting rate."""
        return self.base_lrs[0]

    @property
    def last_step(self) -> int:
        """How many times ``step()`` was called (PyTorch's name: ``last_epoch``)."""
        return self.last_epoch

    def _rate(self, base_lr: float, step: int) -> float:
        raise NotImplementedError

    def lr_at(self, step: int) -> float:
        """The (first group's) learning rate at training step `step` (0 is the first)."""
        return self._rate(self.base_lr, step)

    def _apply(self) -> None:
        rates = [self._rate(base, self.last_epoch) for base in self.base_lrs]
        groups = getattr(self.optimizer, "param_groups", None)
        if groups and len(groups) == len(rates):
            for group, rate in zip(groups, rates):
                group["lr"] = rate
        else:
            self.optimizer.lr = rates[0]
        self._last_lr = rates

    def step(self) -> None:
        """Advance one step and set the optimizer's rates (returns None, as PyTorch's)."""
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        """The rates the last ``step()`` (or the constructor) set, one per parameter group."""
        return list(self._last_lr)

    @property
    def lr(self) -> float:
        """The current learning rate (of the first group)."""
        return self._last_lr[0]

    def state_dict(self) -> dict[str, Any]:
        """The schedule's settings and position, to resume it with ``load_state_dict``."""
        return {
            key: copy.deepcopy(value)
            for key, value in vars(self).items()
            if key != "optimizer"
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume from ``state_dict()``: the same settings and step; the optimizer's rates are
        set to what they were."""
        expected = set(self.state_dict())
        if not isinstance(state_dict, dict) or set(state_dict) != expected:
            raise ValueError(
                f"{type(self).__name__}: not a state dict of this schedule (expected the keys "
                f"{sorted(expected)})"
            )
        if len(state_dict["base_lrs"]) != len(self.base_lrs):
            raise ValueError(
                f"{type(self).__name__}: the state dict is for {len(state_dict['base_lrs'])} "
                f"parameter groups, not {len(self.base_lrs)}"
            )
        for key, value in state_dict.items():
            setattr(self, key, copy.deepcopy(value))
        self._apply()


class StepLR(LRSchedule):
    """Multiply the rate by `gamma` every `step_size` steps."""

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _check_int("step_size", step_size, 1, "StepLR")
        self.gamma = _check_real("gamma", gamma, "StepLR")
        super().__init__(optimizer)

    def _rate(self, base_lr: float, step: int) -> float:
        return base_lr * self.gamma ** (step // self.step_size)


class LinearLR(LRSchedule):
    """Scale the base rate by a factor going linearly from `start_factor` to `end_factor` over
    `total_iters` steps, then holding. micrograd's moons demo (1.0 down to 0.1 over 100 steps)
    is `LinearLR(SGD(params, lr=1.0), start_factor=1.0, end_factor=0.1, total_iters=100)`."""

    def __init__(
        self,
        optimizer: Any,
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

    def _rate(self, base_lr: float, step: int) -> float:
        progress = min(step, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class CosineAnnealingLR(LRSchedule):
    """Follow half a cosine from the base rate down to `eta_min` over `T_max` steps (and back
    up over the next `T_max`, as PyTorch's does)."""

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = _check_int("T_max", T_max, 1, "CosineAnnealingLR")
        self.eta_min = _check_real("eta_min", eta_min, "CosineAnnealingLR")
        super().__init__(optimizer)

    def _rate(self, base_lr: float, step: int) -> float:
        cosine = (1 + math.cos(math.pi * step / self.T_max)) / 2
        return self.eta_min + (base_lr - self.eta_min) * cosine


class ExponentialLR(LRSchedule):
    """Multiply the rate by `gamma` every step."""

    def __init__(self, optimizer: Any, gamma: float) -> None:
        self.gamma = _check_real("gamma", gamma, "ExponentialLR")
        super().__init__(optimizer)

    def _rate(self, base_lr: float, step: int) -> float:
        return base_lr * self.gamma**step

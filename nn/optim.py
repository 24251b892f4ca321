"""Optimizers with PyTorch's defaults and update rules, on anything with `.data` and `.grad`.

Each `step()` updates every parameter from its current `.grad`; call `zero_grad()` before the
next backward (backward accumulates). `lr` is a plain attribute that schedules may change.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Iterable
from typing import Any

from autograd import Value


# The update rules below take a parameter's float, or (nn.array_optim) a whole array of
# parameters at once: the same arithmetic, with these two where floats and arrays differ.
def _sqrt(x: Any) -> Any:
    """√x, nan below 0 (where math.sqrt would raise), elementwise on an array."""
    if isinstance(x, float):
        return math.sqrt(x) if x >= 0.0 else math.nan
    import numpy as np

    with np.errstate(invalid="ignore"):
        return np.sqrt(x)


def _maximum(a: Any, b: Any) -> Any:
    """max(a, b) as Python's max takes it (b only if b > a), elementwise on arrays."""
    if isinstance(b, float):
        return max(a, b)
    import numpy as np

    return np.where(b > a, b, a)


def _check_number(name: str, value: object, owner: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number; got {type(value).__name__}")
    return float(value)


def _check_non_negative(name: str, value: object, owner: str) -> float:
    value = _check_number(name, value, owner)
    if not value >= 0.0:  # also rejects nan
        raise ValueError(f"{owner}: {name} must be >= 0; got {value}")
    return value


def _check_fraction(name: str, value: object, owner: str) -> float:
    value = _check_number(name, value, owner)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{owner}: {name} must be in [0, 1); got {value}")
    return value


class Optimizer:
    """Base class: holds the parameters, per-parameter state, and the number of steps taken."""

    hyperparameter_names: tuple[str, ...] = ("lr",)

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        owner = type(self).__name__
        if isinstance(params, Value) or not isinstance(params, Iterable):
            raise TypeError(
                f"{owner} takes an iterable of parameters, such as model.parameters(); "
                f"got {type(params).__name__}"
            )
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{owner} got an empty parameter list")
        for p in self.params:
            if not (hasattr(p, "data") and hasattr(p, "grad")):
                raise TypeError(
                    f"{owner}: parameters must have .data and .grad (Values); "
                    f"got {type(p).__name__}"
                )
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError(f"{owner}: a parameter appears more than once in the list")
        self.lr = _check_non_negative("lr", lr, owner)
        self.steps = 0
        self.state: list[dict[str, float]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter once from its current gradient."""
        self.steps += 1
        self._begin_step()
        for p, state in zip(self.params, self.state, strict=True):
            p.data = self._update(p.data, p.grad, state)

    def _begin_step(self) -> None:
        """What is the same for every parameter in this step, computed once (bias corrections)."""

    def _update(self, value: float, grad: float, state: dict[str, float]) -> float:
        raise NotImplementedError

    def hyperparameters(self) -> dict[str, Any]:
        """The settings, by name (lr included)."""
        return {name: getattr(self, name) for name in self.hyperparameter_names}

    def state_dict(self) -> dict[str, Any]:
        """A copy of the settings, the step count, and each parameter's state (by position)."""
        return {
            "optimizer": type(self).__name__,
            "hyperparameters": self.hyperparameters(),
            "steps": self.steps,
            "state": copy.deepcopy(self.state),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict()` returned, after checking it fits these parameters."""
        owner = type(self).__name__
        try:
            kind = state_dict["optimizer"]
            settings = dict(state_dict["hyperparameters"])
            steps = state_dict["steps"]
            states = list(state_dict["state"])
        except (KeyError, TypeError) as error:
            raise ValueError(f"{owner}: not an optimizer state dict ({error!r})") from None
        if kind != owner:
            raise ValueError(f"{owner}: the state dict is from a {kind}")
        if len(states) != len(self.params):
            raise ValueError(
                f"{owner}: the state dict is for {len(states)} parameters, not {len(self.params)}"
            )
        if set(settings) != set(self.hyperparameter_names):
            raise ValueError(f"{owner}: the state dict has settings {sorted(settings)}")
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
            raise ValueError(f"{owner}: the state dict's step count {steps!r} is not valid")
        for name, value in settings.items():
            setattr(self, name, value)
        self.steps = int(steps)
        self.state = copy.deepcopy(states)

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum and L2 weight decay."""

    hyperparameter_names = ("lr", "momentum", "dampening", "weight_decay", "nesterov")

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _check_non_negative("momentum", momentum, "SGD")
        self.dampening = _check_number("dampening", dampening, "SGD")
        self.weight_decay = _check_non_negative("weight_decay", weight_decay, "SGD")
        if nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0")
        self.nesterov = bool(nesterov)

    def _update(self, value: float, grad: float, state: dict[str, float]) -> float:
        if self.weight_decay != 0:
            grad = grad + self.weight_decay * value
        if self.momentum != 0:
            if "momentum_buffer" in state:
                buffer = self.momentum * state["momentum_buffer"] + (1 - self.dampening) * grad
            else:
                buffer = grad  # the first step starts the buffer at the gradient, undamped
            state["momentum_buffer"] = buffer
            grad = grad + self.momentum * buffer if self.nesterov else buffer
        return value - self.lr * grad


class Adam(Optimizer):
    """Adam: steps by bias-corrected running means of the gradient and its square. Weight decay
    is added to the gradient (L2); see AdamW for the decoupled form."""

    hyperparameter_names = ("lr", "betas", "eps", "weight_decay", "amsgrad")
    decoupled_weight_decay = False

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr)
        owner = type(self).__name__
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{owner}: betas must be a pair (beta1, beta2); got {betas!r}")
        self.betas = (
            _check_fraction("betas[0]", betas[0], owner),
            _check_fraction("betas[1]", betas[1], owner),
        )
        self.eps = _check_non_negative("eps", eps, owner)
        self.weight_decay = _check_non_negative("weight_decay", weight_decay, owner)
        self.amsgrad = bool(amsgrad)

    def _begin_step(self) -> None:
        beta1, beta2 = self.betas
        self._step_size = self.lr / (1 - beta1**self.steps)
        self._root_correction = math.sqrt(1 - beta2**self.steps)

    def _update(self, value: float, grad: float, state: dict[str, float]) -> float:
        beta1, beta2 = self.betas
        if self.weight_decay != 0:
            if self.decoupled_weight_decay:
                value = value * (1 - self.lr * self.weight_decay)
            else:
                grad = grad + self.weight_decay * value
        mean = state.get("exp_avg", 0.0)
        square = state.get("exp_avg_sq", 0.0)
        mean = mean + (1 - beta1) * (grad - mean)
        square = beta2 * square + (1 - beta2) * grad * grad
        state["exp_avg"], state["exp_avg_sq"] = mean, square
        if self.amsgrad:
            square = _maximum(state.get("max_exp_avg_sq", 0.0), square)
            state["max_exp_avg_sq"] = square
        denominator = _sqrt(square) / self._root_correction + self.eps
        return value - self._step_size * mean / denominator


class AdamW(Adam):
    """Adam with decoupled weight decay: parameters shrink by lr·weight_decay each step."""

    decoupled_weight_decay = True

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


class RMSprop(Optimizer):
    """RMSprop: divides the gradient by a running root-mean-square of recent gradients."""

    hyperparameter_names = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered")

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.alpha = _check_non_negative("alpha", alpha, "RMSprop")
        self.eps = _check_non_negative("eps", eps, "RMSprop")
        self.weight_decay = _check_non_negative("weight_decay", weight_decay, "RMSprop")
        self.momentum = _check_non_negative("momentum", momentum, "RMSprop")
        self.centered = bool(centered)

    def _update(self, value: float, grad: float, state: dict[str, float]) -> float:
        if self.weight_decay != 0:
            grad = grad + self.weight_decay * value
        square = self.alpha * state.get("square_avg", 0.0) + (1 - self.alpha) * grad * grad
        state["square_avg"] = square
        if self.centered:
            mean = state.get("grad_avg", 0.0)
            mean = mean + (1 - self.alpha) * (grad - mean)
            state["grad_avg"] = mean
            variance = square - mean * mean
            # Rounding can push the centred moment a hair below 0: nan, as in PyTorch, where
            # math.sqrt would raise.
            root = _sqrt(variance)
        else:
            root = _sqrt(square)
        root = root + self.eps
        if self.momentum > 0:
            buffer = self.momentum * state.get("momentum_buffer", 0.0) + grad / root
            state["momentum_buffer"] = buffer
            return value - self.lr * buffer
        return value - self.lr * grad / root


class Adagrad(Optimizer):
    """Adagrad: divides by the root of the sum of all past squared gradients."""

    hyperparameter_names = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        super().__init__(params, lr)
        self.lr_decay = _check_non_negative("lr_decay", lr_decay, "Adagrad")
        self.weight_decay = _check_non_negative("weight_decay", weight_decay, "Adagrad")
        self.initial_accumulator_value = _check_non_negative(
            "initial_accumulator_value", initial_accumulator_value, "Adagrad"
        )
        self.eps = _check_non_negative("eps", eps, "Adagrad")

    def _begin_step(self) -> None:
        self._step_lr = self.lr / (1 + (self.steps - 1) * self.lr_decay)

    def _update(self, value: float, grad: float, state: dict[str, float]) -> float:
        if self.weight_decay != 0:
            grad = grad + self.weight_decay * value
        total = state.get("sum", self.initial_accumulator_value) + grad * grad
        state["sum"] = total
        return value - self._step_lr * grad / (_sqrt(total) + self.eps)

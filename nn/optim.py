"""Optimizers with PyTorch's defaults and update rules, on anything with `.data` and `.grad`.

Each `step()` updates every parameter from its current `.grad`; call `zero_grad()` before the
next backward (backward accumulates). `lr` is a plain attribute that schedules may change.
"""

from __future__ import annotations

import copy
import math
import numbers
import sys
from collections.abc import Callable, Iterable
from typing import Any

from autograd import Value, enable_grad

from . import schedules


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


def _check_positive(name: str, value: object, owner: str, why: str) -> float:
    value = _check_number(name, value, owner)
    if not value > 0.0:  # also rejects nan
        raise ValueError(f"{owner}: {name} must be > 0 ({why}); got {value}")
    return value


_EPS_WHY = "it keeps the step finite when a gradient and its history are all 0"


def _check_fraction(name: str, value: object, owner: str) -> float:
    value = _check_number(name, value, owner)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{owner}: {name} must be in [0, 1); got {value}")
    return value


class Optimizer:
    """Base class: parameter groups, per-parameter state, and the number of steps taken.

    ``params`` is an iterable of Values, or of dicts (groups) each holding ``"params"`` and any
    settings that differ from the constructor's, as in PyTorch:
    ``SGD([{"params": body}, {"params": head, "lr": 0.1}], lr=0.01, momentum=0.9)``.
    A subclass lists its settings in ``hyperparameter_names``, checks them in ``_checked``, and
    keeps its update arithmetic in ``_update``, one parameter at a time.
    """

    hyperparameter_names: tuple[str, ...] = ("lr",)

    def __init__(
        self, params: Iterable[Value] | Iterable[dict[str, Any]], defaults: dict[str, Any]
    ) -> None:
        owner = type(self).__name__
        if isinstance(params, (Value, dict)) or not isinstance(params, Iterable):
            raise TypeError(
                f"{owner} takes an iterable of parameters, such as model.parameters(), or a "
                f"list of parameter groups (dicts); got {type(params).__name__}"
            )
        self.defaults = self._checked(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Value, dict[str, float]] = {}
        self.steps = 0
        items: list[Any] = list(params)
        if not items:
            raise ValueError(f"{owner} got an empty parameter list")
        groups = items if all(isinstance(item, dict) for item in items) else [{"params": items}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group: ``{"params": [...], "lr": ...}``; missing settings take the defaults."""
        owner = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{owner}: a parameter group is a dict with a 'params' list")
        params = group["params"]
        params = [params] if isinstance(params, Value) else list(params)
        for p in params:
            if not (hasattr(p, "data") and hasattr(p, "grad")):
                raise TypeError(
                    f"{owner}: parameters must have .data and .grad (Values); "
                    f"got {type(p).__name__}"
                )
        known = {id(p) for p in self.params}
        if len({id(p) for p in params}) != len(params) or known & {id(p) for p in params}:
            raise ValueError(f"{owner}: a parameter appears more than once in the list")
        unknown = set(group) - {"params", *self.hyperparameter_names}
        if unknown:
            raise ValueError(
                f"{owner}: unknown setting(s) {sorted(unknown)} in a parameter group; "
                f"the settings are {', '.join(self.hyperparameter_names)}"
            )
        given = {k: v for k, v in group.items() if k != "params"}
        settings = self._checked({**self.defaults, **given})
        self.param_groups.append({"params": params, **settings})

    def _checked(self, settings: dict[str, Any]) -> dict[str, Any]:
        """The settings validated (a ValueError or TypeError naming the bad one) and normalised."""
        return {"lr": _check_non_negative("lr", settings["lr"], type(self).__name__)}

    @property
    def params(self) -> list[Value]:
        """Every parameter, group after group."""
        return [p for group in self.param_groups for p in group["params"]]

    @property
    def lr(self) -> float:
        """The first group's learning rate; setting it sets every group's (schedules do)."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        value = _check_non_negative("lr", value, type(self).__name__)
        for group in self.param_groups:
            group["lr"] = value

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's `.grad`: to None (PyTorch 2's default; backward and step
        treat it as "no gradient yet") or, with ``set_to_none=False``, a gradient to 0.0 (one
        that is None stays None, as in PyTorch)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad = 0.0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient (a ``.grad`` of None is skipped).

        ``closure``, if given, recomputes the loss (zero_grad, forward, backward) and returns
        it; it is called first, with gradients recorded, and its loss is returned.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        # Worked out in full, then written: an error or Ctrl-C leaves every parameter, every
        # state and the step count as they were.
        steps = self.steps
        written: list[tuple[Value, float, dict[str, Any] | None]] | None = None
        try:
            self.steps = steps + 1  # the bias corrections of _begin_step read it
            updates = self._staged_updates()
            written = [(p, p.data, self.state.get(p)) for p, _, _ in updates]
            for p, value, state in updates:
                p.data = value
                if state is not None:
                    self.state[p] = state
        except BaseException:
            self._undo(steps, written)
            raise
        return loss

    def _staged_updates(self) -> list[tuple[Value, float, dict[str, Any] | None]]:
        """Each parameter with a gradient, its new value and its new state (None: the group
        keeps none); nothing written."""
        owner = type(self).__name__
        updates: list[tuple[Value, float, dict[str, Any] | None]] = []
        for group in self.param_groups:
            self._begin_step(group)
            keeps_state = self._keeps_state(group)
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if type(grad) is not float and (  # the usual case, checked first: quick
                    isinstance(grad, bool) or not isinstance(grad, numbers.Real)
                ):
                    raise TypeError(
                        f"{owner}: a parameter (data {p.data!r}) has .grad = {grad!r:.40} "
                        f"({type(grad).__name__}), not a number; nothing was updated"
                    )
                if keeps_state:
                    state = dict(self.state.get(p, ()))
                    updates.append((p, self._update(p.data, grad, state, group), state))
                else:
                    updates.append((p, self._update(p.data, grad, {}, group), None))
        return updates

    def _undo(
        self, steps: int, written: list[tuple[Value, float, dict[str, Any] | None]] | None
    ) -> None:
        try:
            self.steps = steps
            for p, value, state in written or ():
                p.data = value
                if state is None:
                    self.state.pop(p, None)
                else:
                    self.state[p] = state
        except BaseException:
            self._undo(steps, written)  # a second interrupt cut this short: finish, then pass it on
            raise

    def _keeps_state(self, group: dict[str, Any]) -> bool:
        """Whether this group's parameters have running state (as PyTorch's SGD without
        momentum keeps none: its ``state`` stays empty)."""
        return True

    def _begin_step(self, group: dict[str, Any]) -> None:
        """What is the same for every parameter of a group in this step, computed once (bias
        corrections)."""

    def _update(
        self, value: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]
    ) -> Any:
        """One parameter's new value from its gradient, its state (updated in place) and its
        group's settings: the optimizer's arithmetic, all of it. Floats, or (nn.array_optim)
        arrays of a whole group's parameters at once."""
        raise NotImplementedError

    def hyperparameters(self) -> dict[str, Any]:
        """The first group's settings, by name (lr included)."""
        return {name: self.param_groups[0][name] for name in self.hyperparameter_names}

    def state_dict(self) -> dict[str, Any]:
        """A copy of the groups' settings, the step count, and each parameter's state, with
        parameters by their position (0, 1, ... across the groups), as PyTorch's."""
        index = {id(p): i for i, p in enumerate(self.params)}
        groups = [
            {
                **{k: copy.deepcopy(v) for k, v in group.items() if k != "params"},
                "params": [index[id(p)] for p in group["params"]],
            }
            for group in self.param_groups
        ]
        states = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items() if id(p) in index}
        return {
            "optimizer": type(self).__name__,
            "steps": self.steps,
            "state": dict(sorted(states.items())),
            "param_groups": groups,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict()` returned, after checking it fits these parameter groups.
        Nothing changes if it does not."""
        owner = type(self).__name__
        try:
            kind = state_dict["optimizer"]
            steps = state_dict["steps"]
            states = dict(state_dict["state"])
            groups = [dict(group) for group in state_dict["param_groups"]]
            sizes = [len(group["params"]) for group in groups]
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{owner}: not an optimizer state dict ({error!r})") from None
        if kind != owner:
            raise ValueError(f"{owner}: the state dict is from a {kind}")
        ours = [len(group["params"]) for group in self.param_groups]
        if sizes != ours:
            raise ValueError(
                f"{owner}: the state dict is for parameter groups of sizes {sizes}, not {ours}"
                if len(sizes) > 1 or len(ours) > 1
                else f"{owner}: the state dict is for {sum(sizes)} parameters, not {sum(ours)}"
            )
        names = set(self.hyperparameter_names)
        settings = [{k: v for k, v in group.items() if k != "params"} for group in groups]
        for group_settings in settings:
            if set(group_settings) != names:
                raise ValueError(f"{owner}: the state dict has settings {sorted(group_settings)}")
            self._checked(group_settings)
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
            raise ValueError(f"{owner}: the state dict's step count {steps!r} is not valid")
        params = self.params
        if any(not isinstance(i, int) or not 0 <= i < len(params) for i in states):
            raise ValueError(f"{owner}: the state dict's state is for parameters {sorted(states)}")
        if any(not isinstance(s, dict) for s in states.values()):
            raise ValueError(f"{owner}: the state dict's state holds something that is not a dict")
        checked = [self._checked(group_settings) for group_settings in settings]
        state = {params[i]: copy.deepcopy(s) for i, s in states.items()}
        before = ([dict(group) for group in self.param_groups], self.steps, self.state)
        try:
            for group, group_settings in zip(self.param_groups, checked, strict=True):
                group.update(group_settings)
            self.steps, self.state = int(steps), state
        except BaseException:  # Ctrl-C half way: the optimizer as it was
            self._put_back(before)
            raise

    def _put_back(self, before: tuple[list[dict[str, Any]], int, dict[Value, Any]]) -> None:
        try:
            groups, steps, state = before
            for group, saved in zip(self.param_groups, groups, strict=True):
                group.update(saved)
            self.steps, self.state = steps, state
        except BaseException:
            self._put_back(before)  # a second interrupt cut this short: finish, then pass it on
            raise

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        groups = f"{len(self.param_groups)} groups, " if len(self.param_groups) > 1 else ""
        return f"{type(self).__name__}({len(self.params)} parameters, {groups}{settings})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum and L2 weight decay."""

    hyperparameter_names = ("lr", "momentum", "dampening", "weight_decay", "nesterov")

    def __init__(
        self,
        params: Iterable[Value] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _checked(self, settings: dict[str, Any]) -> dict[str, Any]:
        checked = {
            "lr": _check_non_negative("lr", settings["lr"], "SGD"),
            "momentum": _check_non_negative("momentum", settings["momentum"], "SGD"),
            "dampening": _check_number("dampening", settings["dampening"], "SGD"),
            "weight_decay": _check_non_negative("weight_decay", settings["weight_decay"], "SGD"),
            "nesterov": bool(settings["nesterov"]),
        }
        if checked["nesterov"] and (checked["momentum"] <= 0 or checked["dampening"] != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0")
        return checked

    def _keeps_state(self, group: dict[str, Any]) -> bool:
        return group["momentum"] != 0

    def _update(
        self, value: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]
    ) -> Any:
        weight_decay, momentum = group["weight_decay"], group["momentum"]
        if weight_decay != 0:
            grad = grad + weight_decay * value
        if momentum != 0:
            if "momentum_buffer" in state:
                buffer = momentum * state["momentum_buffer"] + (1 - group["dampening"]) * grad
            else:
                buffer = grad  # the first step starts the buffer at the gradient, undamped
            state["momentum_buffer"] = buffer
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        return value - group["lr"] * grad


class Adam(Optimizer):
    """Adam: steps by bias-corrected running means of the gradient and its square. Weight decay
    is added to the gradient (L2); see AdamW for the decoupled form."""

    hyperparameter_names = ("lr", "betas", "eps", "weight_decay", "amsgrad")
    decoupled_weight_decay = False

    def __init__(
        self,
        params: Iterable[Value] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad))

    def _checked(self, settings: dict[str, Any]) -> dict[str, Any]:
        owner = type(self).__name__
        betas = settings["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{owner}: betas must be a pair (beta1, beta2); got {betas!r}")
        return {
            "lr": _check_non_negative("lr", settings["lr"], owner),
            "betas": (
                _check_fraction("betas[0]", betas[0], owner),
                _check_fraction("betas[1]", betas[1], owner),
            ),
            "eps": _check_positive("eps", settings["eps"], owner, _EPS_WHY),
            "weight_decay": _check_non_negative("weight_decay", settings["weight_decay"], owner),
            "amsgrad": bool(settings["amsgrad"]),
        }

    def _begin_step(self, group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        self._step_size = group["lr"] / (1 - beta1**self.steps)
        self._root_correction = math.sqrt(1 - beta2**self.steps)

    def _update(
        self, value: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]
    ) -> Any:
        beta1, beta2 = group["betas"]
        weight_decay = group["weight_decay"]
        if weight_decay != 0:
            if self.decoupled_weight_decay:
                value = value * (1 - group["lr"] * weight_decay)
            else:
                grad = grad + weight_decay * value
        mean = state.get("exp_avg", 0.0)
        square = state.get("exp_avg_sq", 0.0)
        mean = mean + (1 - beta1) * (grad - mean)
        square = beta2 * square + (1 - beta2) * grad * grad
        state["exp_avg"], state["exp_avg_sq"] = mean, square
        if group["amsgrad"]:
            square = _maximum(state.get("max_exp_avg_sq", 0.0), square)
            state["max_exp_avg_sq"] = square
        denominator = _sqrt(square) / self._root_correction + group["eps"]
        return value - self._step_size * mean / denominator


class AdamW(Adam):
    """Adam with decoupled weight decay: parameters shrink by lr·weight_decay each step."""

    decoupled_weight_decay = True

    def __init__(
        self,
        params: Iterable[Value] | Iterable[dict[str, Any]],
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
        params: Iterable[Value] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _checked(self, settings: dict[str, Any]) -> dict[str, Any]:
        checked = {
            name: _check_non_negative(name, settings[name], "RMSprop")
            for name in ("lr", "alpha", "weight_decay", "momentum")
        }
        eps = _check_positive("eps", settings["eps"], "RMSprop", _EPS_WHY)
        return {**checked, "eps": eps, "centered": bool(settings["centered"])}

    def _update(
        self, value: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]
    ) -> Any:
        alpha = group["alpha"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * value
        square = alpha * state.get("square_avg", 0.0) + (1 - alpha) * grad * grad
        state["square_avg"] = square
        if group["centered"]:
            mean = state.get("grad_avg", 0.0)
            mean = mean + (1 - alpha) * (grad - mean)
            state["grad_avg"] = mean
            variance = square - mean * mean
            # Rounding can push the centred moment a hair below 0: nan, as in PyTorch, where
            # math.sqrt would raise.
            root = _sqrt(variance)
        else:
            root = _sqrt(square)
        root = root + group["eps"]
        if group["momentum"] > 0:
            buffer = group["momentum"] * state.get("momentum_buffer", 0.0) + grad / root
            state["momentum_buffer"] = buffer
            return value - group["lr"] * buffer
        return value - group["lr"] * grad / root


class Adagrad(Optimizer):
    """Adagrad: divides by the root of the sum of all past squared gradients."""

    hyperparameter_names = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def __init__(
        self,
        params: Iterable[Value] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps))

    def _checked(self, settings: dict[str, Any]) -> dict[str, Any]:
        checked = {
            name: _check_non_negative(name, settings[name], "Adagrad")
            for name in self.hyperparameter_names if name != "eps"
        }
        return {**checked, "eps": _check_positive("eps", settings["eps"], "Adagrad", _EPS_WHY)}

    def _begin_step(self, group: dict[str, Any]) -> None:
        self._step_lr = group["lr"] / (1 + (self.steps - 1) * group["lr_decay"])

    def _update(
        self, value: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]
    ) -> Any:
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * value
        total = state.get("sum", group["initial_accumulator_value"]) + grad * grad
        state["sum"] = total
        return value - self._step_lr * grad / (_sqrt(total) + group["eps"])


# `nn.optim.lr_scheduler`, PyTorch's module name for the schedules (which live in nn.schedules):
# registered so that `from nn.optim.lr_scheduler import StepLR` works as it does in torch.
lr_scheduler = schedules
sys.modules[f"{__name__}.lr_scheduler"] = schedules

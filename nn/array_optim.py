"""An optimizer's step on parameters held in one array, with the optimizer's own update rule.

``nn.optim``'s rules are written so that the same arithmetic takes a float or an array (see
``_sqrt`` there): :class:`ArrayOptimizer` calls the optimizer's rule once per step on the
whole array instead of once per parameter, so the numbers are the per-parameter path's (IEEE
arithmetic is the same elementwise). The running state (Adam's means, a momentum buffer) lives
in arrays meanwhile, and goes back to the optimizer's per-parameter state on ``write_back()``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Value

from .optim import Optimizer


class ArrayOptimizer:
    """Steps ``values`` from ``grads`` (1-D arrays; ``params[i]`` is the Value element i stands
    for) with ``optimizer``'s rule and settings (its ``lr`` as a schedule sets it).

    Every parameter of the optimizer must be in ``params``; elements that are not the
    optimizer's (a frozen leaf) are left alone.
    """

    def __init__(
        self, optimizer: Optimizer, params: list[Value], values: np.ndarray, grads: np.ndarray
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"expected an nn.optim optimizer, got {type(optimizer).__name__}")
        if len(optimizer.param_groups) != 1:
            raise ValueError(
                f"training on arrays steps one parameter group with one rule call; this "
                f"optimizer has {len(optimizer.param_groups)} groups (give every parameter the "
                "same settings, or train Value by Value)"
            )
        position = {id(p): i for i, p in enumerate(optimizer.params)}
        order = np.array([position.get(id(p), -1) for p in params], dtype=np.intp)
        stepped = np.flatnonzero(order >= 0)
        if len(stepped) != len(optimizer.params):
            missing = len(optimizer.params) - len(stepped)
            raise ValueError(f"{missing} of the optimizer's parameters are not in the arrays")
        self.optimizer = optimizer
        self.values, self.grads = values, grads
        # Which elements are stepped (None: all of them), and which parameter each one is.
        self._stepped = None if len(stepped) == len(params) else stepped
        self._order = order[stepped]
        self.state = self._state_from_optimizer()

    def zero_grad(self) -> None:
        """Set the gradient of every parameter of the optimizer to 0: an array holds no None,
        so this is ``zero_grad(set_to_none=False)``; a parameter the loss does not use is still
        stepped (weight decay and momentum move it), where after the optimizer's own
        ``zero_grad()`` (None) it would be skipped."""
        if self._stepped is None:
            self.grads[...] = 0.0
        else:
            self.grads[self._stepped] = 0.0

    def step(self) -> None:
        """One step of the optimizer's rule on every parameter."""
        optimizer = self.optimizer
        selected = self._stepped
        values = self.values if selected is None else self.values[selected]
        grads = (self.grads if selected is None else self.grads[selected]).copy()
        state = dict(self.state)  # the rule replaces entries: kept apart until it is done
        group = optimizer.param_groups[0]
        steps = optimizer.steps
        try:  # worked out in full, then written: an error or Ctrl-C changes nothing
            optimizer.steps = steps + 1
            optimizer._begin_step(group)
            with np.errstate(all="ignore"):
                updated = optimizer._update(values, grads, state, group)
            if selected is None:
                np.copyto(self.values, updated)
            else:
                self.values[selected] = updated
            self.state = state
        except BaseException:
            optimizer.steps = steps
            raise

    def write_back(self) -> None:
        """Put the running state into the optimizer's per-parameter state, so that its own
        ``step()`` and ``state_dict()`` carry on from here."""
        states = self._states(create=bool(self.state))
        for key, array in self.state.items():
            for state, number in zip(states, np.broadcast_to(array, self._order.shape).tolist()):
                state[key] = number

    def _states(self, create: bool = False) -> list[dict[str, Any]]:
        """The optimizer's state dict of each stepped parameter, in array order (with
        ``create``, made where a parameter has none yet)."""
        params, state = self.optimizer.params, self.optimizer.state
        order = self._order.tolist()
        if create:
            return [state.setdefault(params[i], {}) for i in order]
        return [state.get(params[i], {}) for i in order]

    def _state_from_optimizer(self) -> dict[str, Any]:
        states = self._states()
        keys = set(states[0]) if states else set()
        if any(set(state) != keys for state in states):
            raise ValueError(
                "the optimizer's parameters have different kinds of state (some stepped, some "
                "not): an array holds one kind for all; load a consistent state_dict first"
            )
        return {key: np.array([state[key] for state in states], dtype=float) for key in keys}

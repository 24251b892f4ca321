"""Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_, in place on .grad.

A parameter whose `.grad` is None is left out, as in PyTorch. Clipping is all or nothing: the
new gradients are worked out first and then written; if it raises (Ctrl-C included), every
`.grad` is as it was.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from autograd import Value


def _as_params(params: Value | Iterable[Value], who: str) -> list[Value]:
    """The parameters that have a gradient (a `.grad` of None is left out, as in PyTorch)."""
    if isinstance(params, Value):
        params = [params]
    if not isinstance(params, Iterable):
        raise TypeError(
            f"{who} takes parameters (such as model.parameters()); got {type(params).__name__}"
        )
    found = []
    for i, p in enumerate(params):
        grad = p.grad
        if grad is None:
            continue
        if isinstance(grad, bool) or not isinstance(grad, numbers.Real):
            raise TypeError(
                f"{who}: parameter {i} has .grad = {grad!r:.40} ({type(grad).__name__}), not a "
                f"number; nothing was clipped"
            )
        found.append(p)
    return found


def _write_grads(params: list[Value], grads: list[float]) -> None:
    """Set every `.grad` at once; Ctrl-C meanwhile puts them all back."""
    before = [p.grad for p in params]
    try:
        for p, grad in zip(params, grads):
            p.grad = grad
    except BaseException:
        _put_back(params, before)
        raise


def _put_back(params: list[Value], before: list[float]) -> None:
    try:
        for p, grad in zip(params, before):
            p.grad = grad
    except BaseException:
        _put_back(params, before)  # a second interrupt cut this short: finish, then pass it on
        raise


def _check_limit(name: str, value: Any, who: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: {name} must be a number; got {type(value).__name__}")
    if not float(value) >= 0:
        raise ValueError(f"{who}: {name} must be >= 0; got {value}")
    return float(value)


def clip_grad_norm_(
    params: Value | Iterable[Value],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale all gradients together so their `norm_type`-norm is at most `max_norm`; return the
    norm before clipping. `norm_type` may be `math.inf` (largest absolute gradient)."""
    who = "clip_grad_norm_"
    params = _as_params(params, who)
    max_norm = _check_limit("max_norm", max_norm, who)
    norm_type = _check_limit("norm_type", norm_type, who)
    if norm_type == 0:
        raise ValueError(f"{who}: norm_type must be positive (2.0 for the usual norm)")
    grads = [abs(p.grad) for p in params]
    if not grads:
        return 0.0
    largest = max(grads)
    if any(g != g for g in grads):
        total = math.nan
    elif math.isinf(norm_type) or largest == 0.0 or math.isinf(largest):
        total = largest
    else:
        # Scaled by the largest gradient, so squares of 1e200 do not overflow (PyTorch gives a
        # finite norm there too).
        total = largest * math.fsum((g / largest) ** norm_type for g in grads) ** (1 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise FloatingPointError(
            f"{who}: the total gradient norm is {total}; pass error_if_nonfinite=False to clip "
            "anyway"
        )
    # As PyTorch: the 1e-6 keeps the division finite when every gradient is 0.
    # A nan norm makes every gradient nan, as in PyTorch (error_if_nonfinite catches it).
    coefficient = max_norm / (total + 1e-6)
    if not coefficient >= 1.0:
        _write_grads(params, [p.grad * coefficient for p in params])
    return total


def clip_grad_value_(params: Value | Iterable[Value], clip_value: float) -> None:
    """Clamp every gradient into [-clip_value, clip_value]."""
    who = "clip_grad_value_"
    params = _as_params(params, who)
    limit = _check_limit("clip_value", clip_value, who)
    _write_grads(params, [min(max(p.grad, -limit), limit) for p in params])

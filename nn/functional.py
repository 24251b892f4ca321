"""Losses, softmax and penalties over Values, matching torch.nn.functional in float64.

Predictions are a Value (one sample) or a list of Values (one per sample; a list of lists for
several outputs per sample), targets plain numbers in the same shape. `reduction` is "mean"
(default), "sum" or "none" (one loss per element, in the predictions' shape). Plain numbers
work wherever Values do.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

import autograd
from autograd import Value

from .module import Module

Scalar = Value | float
REDUCTIONS = ("mean", "sum", "none")


def _data(x: Scalar) -> float:
    return x.data if isinstance(x, Value) else float(x)


def _total(terms: Sequence[Scalar]) -> Scalar:
    """The sum of `terms` as one "sum" node (Python's sum would chain n - 1 additions)."""
    return autograd.sum_values(terms)


def _reduce(terms: list[Scalar], reduction: str, like: Any) -> Any:
    """The mean or sum of `terms`, or (reduction "none") the terms in the shape of `like`."""
    if reduction == "none":
        return _shaped_like(terms, like)
    # From +0.0, as PyTorch's reductions: a loss of -0.0 is reported as 0.0.
    total = _total([0.0, *terms])
    return total / len(terms) if reduction == "mean" else total


def _shaped_like(terms: list[Scalar], like: Any) -> Any:
    """`terms` (one per element, in order) nested as `like` is: one, a list, a list of lists."""
    if not _is_sequence(like):
        return terms[0]
    remaining = iter(terms)
    return [
        [next(remaining) for _ in item] if _is_sequence(item) else next(remaining)
        for item in like
    ]


def _check_reduction(reduction: str, who: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{who}: reduction must be 'mean', 'sum' or 'none'; got {reduction!r}")


def _is_sequence(x: Any) -> bool:
    return isinstance(x, (list, tuple))


def _check_element(x: Any, who: str, what: str) -> None:
    if not isinstance(x, Value) and (isinstance(x, bool) or not isinstance(x, numbers.Real)):
        raise TypeError(f"{who}: {what} must hold Values or numbers; got {type(x).__name__}")


def _pairs(pred: Any, target: Any, who: str) -> list[tuple[Scalar, Scalar]]:
    """(prediction, target) element pairs; shapes must match exactly (one level of nesting)."""
    if not _is_sequence(pred):
        pred = [pred]
    if not _is_sequence(target):
        target = [target]
    if len(pred) != len(target):
        raise ValueError(
            f"{who}: predictions and targets differ in length ({len(pred)} vs {len(target)})"
        )
    if not pred:
        raise ValueError(f"{who}: got no predictions (an empty list)")
    pairs: list[tuple[Scalar, Scalar]] = []
    for i, (p, t) in enumerate(zip(pred, target, strict=True)):
        if _is_sequence(p) or _is_sequence(t):
            if not (_is_sequence(p) and _is_sequence(t)) or len(p) != len(t):
                raise ValueError(f"{who}: predictions and targets differ in shape at sample {i}")
            pairs.extend(zip(p, t, strict=True))
        else:
            pairs.append((p, t))
    for p, t in pairs:
        _check_element(p, who, "predictions")
        _check_element(t, who, "targets")
    return pairs


def mse_loss(pred: Any, target: Any, reduction: str = "mean") -> Scalar:
    """Mean (or sum) of squared errors (pred - target)²."""
    _check_reduction(reduction, "mse_loss")
    terms = []
    for p, t in _pairs(pred, target, "mse_loss"):
        error = p - t
        terms.append(error * error)
    return _reduce(terms, reduction, pred)


def l1_loss(pred: Any, target: Any, reduction: str = "mean") -> Scalar:
    """Mean (or sum) of absolute errors |pred - target|."""
    _check_reduction(reduction, "l1_loss")
    terms: list[Scalar] = []
    for p, t in _pairs(pred, target, "l1_loss"):
        error: Any = p - t  # a Value, or a float when both are numbers
        terms.append(abs(error))
    return _reduce(terms, reduction, pred)


def _clamped(log_value: Scalar) -> Scalar:
    # PyTorch clamps BCE's logs at -100, so a probability of exactly 0 or 1 gives a finite loss.
    # (max keeps a nan, as std::max(nan, -100) does: -100 < nan is false.)
    return -100.0 if log_value < -100.0 else log_value


def _bce_forward(p: float, t: float) -> float:
    # PyTorch's form: (t - 1)·log(1 - p) - t·log(p), with log1p for log(1 - p), which keeps
    # every digit of log(1 - 1e-10). p is in [0, 1]: checked on the way in.
    log_p = math.log(p) if p > 0.0 else -math.inf
    log_1_minus_p = math.log1p(-p) if p < 1.0 else -math.inf
    return float((t - 1) * _clamped(log_1_minus_p) - t * _clamped(log_p))


# PyTorch keeps the gradient's denominator p(1 - p) away from 0 by 1e-12, a float32 constant:
# its float64 value is this, which makes the gradient at p = 0 or 1 agree with PyTorch's exactly.
_BCE_EPSILON = 9.999999960041972e-13


def _bce_denominator(p: Scalar) -> Scalar:
    product = (1 - p) * p
    return _BCE_EPSILON if product < _BCE_EPSILON else product


def _bce_partial_p(p: Scalar, t: Scalar, out: Scalar) -> Scalar:
    return (p - t) / _bce_denominator(p)


def _bce_backward_p(g: Scalar, p: Scalar, t: Scalar, out: Scalar) -> Scalar:
    return (g * (p - t)) / _bce_denominator(p)  # g · (p - t) first, as PyTorch


def _bce_partial_t(p: Scalar, t: Scalar, out: Scalar) -> Scalar:
    return -autograd.log(p / (1 - p))  # PyTorch's: the logit, unclamped


def _clamped_array(log_value: np.ndarray) -> np.ndarray:
    return np.where(log_value < -100.0, -100.0, log_value)


_bce_term = autograd.define_op(
    "binary_cross_entropy",
    _bce_forward,
    _bce_partial_p,
    _bce_partial_t,
    formula="bce({0}, {1})",
    partial_formulas=("({0} - {1}) / ({0}(1 - {0}))", "-log({0} / (1 - {0}))"),
    backward=(_bce_backward_p, None),
    # The same rules on arrays, for compiled replay (a Python if does not take arrays).
    vectorized=(
        lambda p, t: (t - 1) * _clamped_array(np.log1p(-p)) - t * _clamped_array(np.log(p)),
        lambda p, t, out: (p - t) / np.where((1 - p) * p < _BCE_EPSILON, _BCE_EPSILON,
                                             (1 - p) * p),
        lambda p, t, out: -np.log(p / (1 - p)),
    ),
    vectorized_backward=(
        lambda g, p, t, out: (g * (p - t)) / np.where(
            (1 - p) * p < _BCE_EPSILON, _BCE_EPSILON, (1 - p) * p
        ),
        None,
    ),
)


def binary_cross_entropy(prob: Any, target: Any, reduction: str = "mean") -> Scalar:
    """-[t·log(p) + (1-t)·log(1-p)] on probabilities p in [0, 1] (logs clamped at -100 as in
    PyTorch). Prefer `binary_cross_entropy_with_logits` after a sigmoid: it is exact."""
    _check_reduction(reduction, "binary_cross_entropy")
    pairs = _pairs(prob, target, "binary_cross_entropy")
    for i, (p, _) in enumerate(pairs):
        if not 0.0 <= _data(p) <= 1.0:
            raise ValueError(
                f"binary_cross_entropy: probabilities must be in [0, 1]; element {i} is "
                f"{_data(p)} (pass raw scores to binary_cross_entropy_with_logits instead)"
            )
    return _reduce([_bce_term(p, t) for p, t in pairs], reduction, prob)


def _log_sigmoid(x: float) -> float:
    # log σ(x) = min(x, 0) - log(1 + e^-|x|): exp never overflows, and no digit is lost to 1 + ...
    return (x if x < 0.0 else 0.0) - math.log1p(math.exp(-abs(x))) if x == x else x


def _c_exp_array(x: np.ndarray) -> np.ndarray:
    return np.frompyfunc(_c_exp, 1, 1)(x).astype(float)


def _c_exp(x: float) -> float:
    return math.exp(x) if x <= 709.782712893384 else math.inf if x == x else x


_bce_with_logits_term = autograd.define_op(
    "binary_cross_entropy_with_logits",
    # PyTorch's form: (1 - t)·x - log σ(x); the gradient is σ(x) - t.
    lambda x, t: (1 - t) * x - _log_sigmoid(x),
    lambda x, t, out: autograd.sigmoid(x) - t,
    lambda x, t, out: -x,
    formula="bce_logits({0}, {1})",
    partial_formulas=("σ({0}) - {1}", "-{0}"),
    vectorized=(
        # C's exp element by element, as eagerly (NumPy's differs in the last bit).
        lambda x, t: (1 - t) * x - (np.minimum(x, 0.0) - np.log1p(_c_exp_array(-np.abs(x)))),
        lambda x, t, out: 1.0 / (1.0 + _c_exp_array(-x)) - t,
        None,
    ),
)


def binary_cross_entropy_with_logits(
    logit: Any, target: Any, reduction: str = "mean"
) -> Scalar:
    """Binary cross-entropy of sigmoid(logit) against targets in [0, 1], computed stably."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    pairs = _pairs(logit, target, "binary_cross_entropy_with_logits")
    return _reduce([_bce_with_logits_term(x, t) for x, t in pairs], reduction, logit)


def _check_logits(logits: Any, who: str) -> list[Scalar]:
    if not _is_sequence(logits) or not logits:
        raise ValueError(f"{who}: logits must be a non-empty list of Values (one per class)")
    for z in logits:
        _check_element(z, who, "logits")
    return list(logits)


def _shifted_log_sum_exp(logits: list[Scalar]) -> tuple[list[Scalar], Scalar]:
    """(z - m, log Σ exp(z - m)) with m the largest logit's value: exp never overflows, and
    subtracting a constant leaves every gradient exact."""
    m = max(_data(z) for z in logits)
    shifted = [z - m for z in logits]
    return shifted, autograd.log(_total([autograd.exp(s) for s in shifted]))


def softmax(logits: Sequence[Scalar]) -> list[Scalar]:
    """exp(z_i) / Σ_j exp(z_j) for a list of logits, computed without overflow."""
    logits = _check_logits(logits, "softmax")
    m = max(_data(z) for z in logits)
    exps = [autograd.exp(z - m) for z in logits]
    total = _total(exps)
    return [e / total for e in exps]


def log_softmax(logits: Sequence[Scalar]) -> list[Scalar]:
    """z_i - log Σ_j exp(z_j) for a list of logits, computed without overflow."""
    shifted, log_sum = _shifted_log_sum_exp(_check_logits(logits, "log_softmax"))
    return [s - log_sum for s in shifted]


def _check_class(index: Any, n_classes: int, who: str) -> int:
    if isinstance(index, bool) or not isinstance(index, numbers.Integral):
        raise TypeError(f"{who}: a class index must be an int; got {type(index).__name__}")
    if not 0 <= int(index) < n_classes:
        raise ValueError(
            f"{who}: class index {index} is out of range for {n_classes} classes "
            f"(valid: 0 to {n_classes - 1})"
        )
    return int(index)


def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Scalar:
    """-log softmax(logits)[target]: one sample (a list of logits and a class index) or a batch
    (a list of such lists and a list of indices), via a stable log-sum-exp."""
    who = "cross_entropy"
    _check_reduction(reduction, who)
    if _is_sequence(logits) and logits and _is_sequence(logits[0]):
        if not _is_sequence(target):
            raise TypeError(f"{who}: a batch of logits needs a list of class indices")
        if len(logits) != len(target):
            raise ValueError(
                f"{who}: {len(logits)} samples of logits but {len(target)} class indices"
            )
        samples = list(zip(logits, target, strict=True))
        like: Any = list(target)  # one loss per sample
    else:
        samples = [(logits, target)]
        like = None
    terms = []
    for sample_logits, index in samples:
        sample_logits = _check_logits(sample_logits, who)
        index = _check_class(index, len(sample_logits), who)
        shifted, log_sum = _shifted_log_sum_exp(sample_logits)
        terms.append(log_sum - shifted[index])
    return _reduce(terms, reduction, like)


def hinge_loss(
    score: Any, target: Any, margin: float = 1.0, reduction: str = "mean"
) -> Scalar:
    """max(0, margin - target·score) with targets -1 or +1: the max-margin loss of micrograd's
    moons demo (a score's sign is the predicted class)."""
    _check_reduction(reduction, "hinge_loss")
    pairs = _pairs(score, target, "hinge_loss")
    for i, (_, t) in enumerate(pairs):
        if _data(t) not in (-1.0, 1.0):
            raise ValueError(
                f"hinge_loss: targets must be -1 or +1; element {i} is {_data(t)} "
                f"(turn 0/1 labels into -1/+1 with 2*y - 1)"
            )
    return _reduce([autograd.relu(margin - t * s) for s, t in pairs], reduction, score)


def _parameter_list(params: Module | Iterable[Value]) -> list[Value]:
    if isinstance(params, Module):
        return params.parameters()
    if isinstance(params, Value):
        return [params]
    return list(params)


def l1_penalty(params: Module | Iterable[Value], alpha: float = 1.0) -> Scalar:
    """alpha · Σ|p| over the parameters (of a module or an iterable of Values)."""
    params = _parameter_list(params)
    if not params:
        return Value(0.0)
    total = _total([abs(p) for p in params])
    return total if alpha == 1.0 else alpha * total


def l2_penalty(params: Module | Iterable[Value], alpha: float = 1.0) -> Scalar:
    """alpha · Σp² over the parameters: micrograd's `alpha * sum(p*p for p in params)`."""
    params = _parameter_list(params)
    if not params:
        return Value(0.0)
    total = autograd.dot(params, params)  # Σ p·p as one node
    return total if alpha == 1.0 else alpha * total

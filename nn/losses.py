"""Loss modules, as torch.nn's: `nn.MSELoss()(prediction, target)` calls `nn.functional`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import functional
from .module import Module


class _Loss(Module):
    """A loss function with its `reduction` ("mean", "sum" or "none") chosen once."""

    function: Callable[..., Any]

    def __init__(self, reduction: str = "mean") -> None:
        functional._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def forward(self, input: Any, target: Any) -> Any:
        return type(self).function(input, target, reduction=self.reduction)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


class MSELoss(_Loss):
    """Squared errors (prediction - target)², as `nn.functional.mse_loss`."""

    function = functional.mse_loss


class L1Loss(_Loss):
    """Absolute errors |prediction - target|, as `nn.functional.l1_loss`."""

    function = functional.l1_loss


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities, as `nn.functional.binary_cross_entropy`."""

    function = functional.binary_cross_entropy


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of sigmoid(logits), computed stably."""

    function = functional.binary_cross_entropy_with_logits


class CrossEntropyLoss(_Loss):
    """-log softmax(logits)[class] for one sample or a batch, as `nn.functional.cross_entropy`."""

    function = functional.cross_entropy

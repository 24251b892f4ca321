"""The bridge to PyTorch: `to_torch(model)`, `from_torch(module)`, and torch's parameter names.

A chainrule model maps onto torch modules part by part: `Linear` (and a `Layer` or `Neuron`,
whose weights are the rows) becomes `torch.nn.Linear`; `MLP` and `Sequential` become
`torch.nn.Sequential` (an MLP: each layer's Linear followed by its activation module); `ReLU`,
`Tanh`, `Sigmoid`, `Softplus`, `LeakyReLU`, `Identity` and `Dropout` map to theirs. Weights are
copied as float64, so outputs and gradients agree to rounding. torch is imported only here, and
only when called (`pip install chainrule[torch]`).
"""

from __future__ import annotations

from typing import Any

from autograd import Value

from .activations import ACTIVATION_MODULES, Identity, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh
from .dropout import Dropout
from .layers import MLP, Layer, Neuron
from .linear import Linear, Sequential
from .module import Module

# A part: ("linear", weight rows, bias or None), ("module", chainrule module) for a module with
# no parameters, or ("sequential", [parts]).
Part = tuple[str, Any, Any]
_PARAMETERLESS = (ReLU, Tanh, Sigmoid, Softplus, LeakyReLU, Identity, Dropout)


def _part(module: Module) -> Part:
    if isinstance(module, Linear):
        return ("linear", module.weight, module.bias)
    if isinstance(module, (Neuron, Layer)):
        return _layer_part(module)
    if isinstance(module, MLP):
        parts: list[Part] = []
        for layer in module.layers:
            part = _layer_part(layer)
            parts.extend(part[1] if part[0] == "sequential" else [part])
        return ("sequential", parts, None)
    if isinstance(module, Sequential):
        return ("sequential", [_part(child) for child in module], None)
    if isinstance(module, _PARAMETERLESS):
        return ("module", module, None)
    raise TypeError(
        f"{type(module).__name__} has no PyTorch counterpart in nn.to_torch; supported: "
        "Linear, Layer, Neuron, MLP, Sequential, ReLU, Tanh, Sigmoid, Softplus, LeakyReLU, "
        "Identity, Dropout"
    )


def _layer_part(layer: Neuron | Layer) -> Part:
    neurons = [layer] if isinstance(layer, Neuron) else layer.neurons
    first = neurons[0]
    biases = None if first.b is None else [n.b for n in neurons]
    linear: Part = ("linear", [n.w for n in neurons], biases)
    activation = ACTIVATION_MODULES[first.activation]
    if activation is None:
        return linear
    return ("sequential", [linear, ("module", activation(), None)], None)


def torch_tensors(model: Module) -> dict[str, list[Any]]:
    """The model's parameters under torch's names, in torch's shapes (lists of Values):
    `{"0.weight": [[w00, w01], ...], "0.bias": [b0, ...], ...}` for an MLP or Sequential."""
    found: dict[str, list[Any]] = {}
    _collect(_part(model), "", found)
    return found


def _collect(part: Part, prefix: str, found: dict[str, list[Any]]) -> None:
    kind, first, second = part
    if kind == "linear":
        found[f"{prefix}weight"] = [list(row) for row in first]
        if second is not None:
            found[f"{prefix}bias"] = list(second)
    elif kind == "sequential":
        for i, child in enumerate(first):
            _collect(child, f"{prefix}{i}.", found)


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(
            "the bridge to PyTorch needs torch: pip install 'chainrule[torch]' "
            "(or pip install torch)"
        ) from None
    return torch


def to_torch(model: Module) -> Any:
    """A `torch.nn.Module` computing what `model` computes, with the same weights in float64."""
    torch = _torch()
    with torch.no_grad():
        return _build(torch, _part(model))


def _build(torch: Any, part: Part) -> Any:
    kind, first, second = part
    if kind == "sequential":
        return torch.nn.Sequential(*[_build(torch, child) for child in first])
    if kind == "module":
        return _parameterless_to_torch(torch, first)
    rows, bias = first, second
    linear = torch.nn.Linear(len(rows[0]), len(rows), bias=bias is not None, dtype=torch.float64)
    linear.weight.copy_(torch.tensor([[w.data for w in row] for row in rows], dtype=torch.float64))
    if bias is not None:
        linear.bias.copy_(torch.tensor([b.data for b in bias], dtype=torch.float64))
    return linear


def _parameterless_to_torch(torch: Any, module: Module) -> Any:
    if isinstance(module, LeakyReLU):
        return torch.nn.LeakyReLU(module.negative_slope)
    if isinstance(module, Dropout):
        return torch.nn.Dropout(module.p)
    return getattr(torch.nn, type(module).__name__)()


def from_torch(module: Any) -> Module:
    """The chainrule model of a torch `Sequential` of `Linear` and activation modules (or one
    of them), with the same weights; a `Sequential` comes back as `nn.Sequential`."""
    torch = _torch()
    if isinstance(module, torch.nn.Sequential):
        return Sequential(*[from_torch(child) for child in module])
    if isinstance(module, torch.nn.Linear):
        ours = Linear(module.in_features, module.out_features, bias=module.bias is not None)
        weight = module.weight.detach().to(torch.float64).tolist()
        ours.weight = [[Value(w) for w in row] for row in weight]
        if module.bias is not None:
            ours.bias = [Value(b) for b in module.bias.detach().to(torch.float64).tolist()]
        return ours
    if isinstance(module, torch.nn.LeakyReLU):
        return LeakyReLU(module.negative_slope)
    if isinstance(module, torch.nn.Dropout):
        return Dropout(module.p)
    if isinstance(module, torch.nn.Softplus) and (module.beta != 1):
        raise TypeError(f"nn.from_torch: Softplus with beta={module.beta} (only beta=1 is)")
    for kind in (ReLU, Tanh, Sigmoid, Softplus, Identity):
        if type(module) is getattr(torch.nn, kind.__name__):
            return kind()
    raise TypeError(
        f"nn.from_torch: torch.nn.{type(module).__name__} has no chainrule counterpart; "
        "supported: Sequential, Linear, ReLU, Tanh, Sigmoid, Softplus, LeakyReLU, Identity, "
        "Dropout"
    )

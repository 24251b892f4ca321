"""Neural-network building blocks on top of autograd: modules, losses, optimizers, datasets.

    import nn
    nn.manual_seed(0)
    model = nn.MLP(2, [16, 16, 1])                 # micrograd's moons classifier, 337 parameters
    X, y = nn.datasets.make_moons(100, noise=0.1, labels=(-1, 1))
    optimizer = nn.optim.SGD(model.parameters(), lr=1.0)
    scores = [model(x) for x in X]
    loss = nn.hinge_loss(scores, y) + nn.l2_penalty(model, alpha=1e-4)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

``python -m nn.studio`` (or ``nn.studio.serve()``) trains a network live in the browser.
"""

import autograd as _autograd

if not hasattr(_autograd, "Value"):
    raise ImportError(
        f"the 'autograd' imported from {_autograd.__file__} is not chainrule's (HIPS autograd has "
        "the same name). nn needs chainrule's: pip uninstall autograd, then reinstall chainrule, "
        "or use a virtual environment without HIPS autograd."
    )

from autograd import __version__  # noqa: E402

from . import array_optim, compiled, datasets, functional, init, optim, schedules, utils
from .activations import Identity, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh
from .batchnorm import BatchNorm
from .bridge import from_torch, to_torch
from .checkpoint import CheckpointError, LoadResult
from .clip import clip_grad_norm_, clip_grad_value_
from .compiled import compile_loss, compile_model
from .dropout import Dropout
from .functional import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l1_loss,
    l1_penalty,
    l2_penalty,
    log_softmax,
    mse_loss,
    softmax,
)
from .layers import MLP, Layer, Neuron
from .linear import Linear, Sequential
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss
from .module import Module
from .random import default_generator, manual_seed
from .schedules import CosineAnnealingLR, ExponentialLR, LinearLR, StepLR


def __getattr__(name: str) -> object:
    # The studio (a web server and its page) is imported on first use: `import nn` stays light.
    if name == "studio":
        import importlib

        return importlib.import_module("nn.studio")
    raise AttributeError(f"module 'nn' has no attribute {name!r}")


__all__ = [
    "__version__",
    "array_optim",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm",
    "CheckpointError",
    "CosineAnnealingLR",
    "CrossEntropyLoss",
    "Dropout",
    "ExponentialLR",
    "Identity",
    "L1Loss",
    "Layer",
    "LeakyReLU",
    "Linear",
    "LinearLR",
    "LoadResult",
    "MLP",
    "MSELoss",
    "Module",
    "Neuron",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softplus",
    "StepLR",
    "Tanh",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "clip_grad_norm_",
    "clip_grad_value_",
    "compile_loss",
    "compile_model",
    "compiled",
    "cross_entropy",
    "datasets",
    "default_generator",
    "from_torch",
    "functional",
    "hinge_loss",
    "init",
    "l1_loss",
    "l1_penalty",
    "l2_penalty",
    "log_softmax",
    "manual_seed",
    "mse_loss",
    "optim",
    "schedules",
    "softmax",
    "to_torch",
    "utils",
]

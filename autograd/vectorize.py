"""Ops on NumPy arrays: what compiled replay (``autograd.compile``) evaluates instead of floats.

An op's rules run on arrays holding one number per node of a group (and per sample of a batch).
Most rules written with plain arithmetic already do; an op whose scalar rule cannot (a Python
``if``, ``math.exp``) declares an array form next to it in ``ops.py`` with the helpers here.

numpy is imported on first use, so ``import autograd`` stays as fast as before.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any


class _LazyNumpy:
    """The numpy module, imported the first time an attribute is read."""

    def __getattr__(self, name: str) -> Any:
        # Kept once read, so that the next ``np.exp`` is a plain attribute lookup.
        value = getattr(importlib.import_module("numpy"), name)
        setattr(self, name, value)
        return value


np: Any = _LazyNumpy()


def is_array(x: Any) -> bool:
    """True for a NumPy array (checked without importing numpy)."""
    return type(x).__name__ == "ndarray" and type(x).__module__ == "numpy"


def elementwise(function: Any, *arrays: Any) -> Any:
    """``function`` of floats applied to each element: slow, for the few rules whose C library
    result (math.exp, pow) NumPy's own vectorised one would not reproduce to the last bit."""
    return np.frompyfunc(function, len(arrays), 1)(*arrays).astype(float)


def sign(x: Any) -> Any:
    """-1, 0 or 1 elementwise: abs's derivative, 0 at 0 and at nan as in PyTorch (np.sign: nan)."""
    return np.where(x > 0.0, 1.0, np.where(x < 0.0, -1.0, 0.0))


def sum_of_products(a: Any, b: Any) -> Any:
    """Σᵢ a[i] · b[i] over the first axis of two blocks of inputs, shapes (n, nodes, samples).

    Either block may hold one row or one column for all nodes or all samples (size 1 on that
    axis). A neuron layer is the case where the weights are one per node and the inputs one per
    sample: that sum is a matrix product, done by BLAS instead of an (n, nodes, samples) array.
    """
    if a.shape[2] == 1 and b.shape[1] == 1 and a.shape[1] > 1 and b.shape[2] > 1:
        return a[:, :, 0].T @ b[:, 0, :]
    if b.shape[2] == 1 and a.shape[1] == 1 and b.shape[1] > 1 and a.shape[2] > 1:
        return b[:, :, 0].T @ a[:, 0, :]
    return np.einsum("i...,i...->...", a, b)


def apply_to_arrays(op: Any, args: Sequence[Any]) -> Any:
    """The op's forward on arrays (and numbers), elementwise: ``autograd.exp(array)``."""
    if op.arity is None:
        raise TypeError(
            f"{op.name}() takes Values or numbers; for arrays, compile a graph with "
            f"autograd.compile"
        )
    forward = op.vectorized[0] if op.vectorized and op.vectorized[0] else op.forward
    with np.errstate(all="ignore"):
        return forward(*(np.asarray(a, dtype=float) for a in args))

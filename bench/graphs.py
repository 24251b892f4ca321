"""Graphs built the same way on chainrule and on micrograd, for throughput and memory."""

from __future__ import annotations

import random
from typing import Any


def value_class(engine: str) -> type:
    if engine == "chainrule":
        from autograd import Value
    else:
        from micrograd.engine import Value
    return Value


def count_nodes(root: Any) -> int:
    """Nodes under ``root``, walked without recursion through ``_prev`` (both engines have it)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for parent in stack.pop()._prev:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


def binary_moons_graph(engine: str, seed: int = 0, samples: int = 100) -> tuple[Any, int]:
    """micrograd's moons loss built from binary ops only (w*x and + per weight), on ``engine``.

    The same ~66,000 nodes on both engines, so nodes per second and bytes per node compare like
    with like.
    """
    value = value_class(engine)
    rng = random.Random(seed)
    sizes = (2, 16, 16, 1)
    layers = [
        [([value(rng.uniform(-1, 1)) for _ in range(sizes[k])], value(0.0))
         for _ in range(sizes[k + 1])]
        for k in range(3)
    ]
    total_loss = 0.0
    for _ in range(samples):
        activations = [value(rng.uniform(-2, 2)), value(rng.uniform(-1, 1))]
        for k, layer in enumerate(layers):
            outputs = []
            for weights, bias in layer:
                total = bias
                for w, x in zip(weights, activations):
                    total = total + w * x
                outputs.append(total.relu() if k < 2 else total)
            activations = outputs
        label = rng.choice((-1.0, 1.0))
        total_loss = total_loss + (1 + -label * activations[0]).relu()
    squares = 0.0
    for layer in layers:
        for weights, bias in layer:
            for p in (*weights, bias):
                squares = squares + p * p
    root = total_loss * 0.01 + 1e-4 * squares
    return root, count_nodes(root)


def chain(engine: str, length: int) -> tuple[Any, Any]:
    """relu applied ``length`` times: a graph ``length`` deep (micrograd has no tanh)."""
    leaf = value_class(engine)(0.5)
    node = leaf
    for _ in range(length):
        node = node.relu()
    return node, leaf


def wide_sum(engine: str, length: int) -> tuple[Any, Any]:
    """``length`` leaves summed by one sum_values node (chainrule only)."""
    from autograd import sum_values

    leaves = [value_class(engine)(float(i)) for i in range(length)]
    return sum_values(leaves), leaves


def python_sum(engine: str, length: int) -> tuple[Any, Any]:
    """``length`` leaves summed by Python's sum: a chain of ``length`` additions."""
    leaves = [value_class(engine)(float(i)) for i in range(length)]
    return sum(leaves), leaves

"""Random graphs over every op, as recipes that can be built again on other leaves.

A recipe is a list of steps (an op and the indices of its operands among the nodes so far); the
same recipe built on eager leaves and on a tape's leaves gives the same graph, so a compiled
replay can be checked against eager backward, sample by sample.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import autograd
from autograd import Value, define_op, define_variadic_op

# ----- users' ops, as a user declares them -----------------------------------------------------

# Rules with plain arithmetic: they work on arrays as they are.
softsign = define_op(
    "softsign_t", lambda x: x / (1 + abs(x)), lambda x, out: 1 / (1 + abs(x)) ** 2
)
fma = define_op(
    "fma_t", lambda x, y, z: x * y + z,
    lambda x, y, z, out: y, lambda x, y, z, out: x, 1.0,
)
# A variadic op with plain rules: the mean of its inputs.
mean = define_variadic_op(
    "mean_t", lambda xs: sum(xs) / len(xs), lambda xs, out: [1 / len(xs)] * len(xs)
)
# Scalar rules that cannot take arrays (an if on the number), with array forms declared.
hardtanh = define_op(
    "hardtanh_t", lambda x: -1.0 if x < -1.0 else 1.0 if x > 1.0 else x,
    lambda x, out: 1.0 if -1.0 <= x <= 1.0 else 0.0,
    vectorized=(
        lambda x: np.where(x < -1.0, -1.0, np.where(x > 1.0, 1.0, x)),
        lambda x, out: np.where((x >= -1.0) & (x <= 1.0), 1.0, 0.0),
    ),
)


@dataclass(frozen=True)
class Kind:
    """One op of the random graphs: how many operands, how to apply it, where it is defined."""

    name: str
    arity: int
    apply: Callable[..., Any]
    valid: Callable[..., bool] = lambda *xs: True


def _positive(x: float) -> bool:
    return x > 0.05


def _away_from_zero(x: float) -> bool:
    return abs(x) > 0.1


KINDS = [
    Kind("x + y", 2, lambda x, y: x + y),
    Kind("x - y", 2, lambda x, y: x - y),
    Kind("x * y", 2, lambda x, y: x * y),
    Kind("x / y", 2, lambda x, y: x / y, lambda x, y: _away_from_zero(y)),
    Kind("x ** y", 2, lambda x, y: x**y, lambda x, y: x > 0.1 and abs(y * math.log(x)) < 8),
    Kind("x + 2.5", 1, lambda x: x + 2.5),
    Kind("2.5 - x", 1, lambda x: 2.5 - x),
    Kind("1.5 / x", 1, lambda x: 1.5 / x, _away_from_zero),
    Kind("x ** 2", 1, lambda x: x**2),
    Kind("x ** 3", 1, lambda x: x**3),
    Kind("x ** 0", 1, lambda x: x**0),
    Kind("x ** -1", 1, lambda x: x**-1, _away_from_zero),
    Kind("x ** 0.5", 1, lambda x: x**0.5, _positive),
    Kind("x ** -0.5", 1, lambda x: x**-0.5, _positive),
    Kind("x ** 1.5", 1, lambda x: x**1.5, _positive),
    Kind("1.7 ** x", 1, lambda x: 1.7**x, lambda x: abs(x) < 10),
    Kind("-x", 1, lambda x: -x),
    Kind("abs", 1, abs),
    Kind("exp", 1, Value.exp, lambda x: x < 5),
    Kind("log", 1, Value.log, _positive),
    Kind("tanh", 1, Value.tanh),
    Kind("sigmoid", 1, Value.sigmoid),
    Kind("relu", 1, Value.relu),
    Kind("leaky_relu", 1, Value.leaky_relu),
    Kind("leaky_relu(0.2)", 1, lambda x: x.leaky_relu(0.2)),
    Kind("softplus", 1, Value.softplus),
    Kind("sin", 1, Value.sin),
    Kind("cos", 1, Value.cos),
    Kind("sqrt", 1, Value.sqrt, _positive),
    Kind("sum_values(3)", 3, lambda *xs: autograd.sum_values(xs)),
    Kind("dot(2)", 4, lambda a, b, c, d: autograd.dot([a, b], [c, d])),
    Kind("linear(2)", 5, lambda w, v, x, y, b: autograd.linear([w, v], [x, y], b)),
    Kind("dot(x, x)", 2, lambda a, b: autograd.dot([a, b], [a, b])),
    Kind("softsign", 1, softsign),
    Kind("fma", 3, fma),
    Kind("mean(3)", 3, lambda *xs: mean(*xs)),
    Kind("hardtanh", 1, hardtanh),
]
KINDS_BY_NAME = {kind.name: kind for kind in KINDS}

Recipe = list[tuple[str, list[int]]]


def build(recipe: Recipe, leaves: list[Value]) -> tuple[list[Value], Value]:
    """Every node of the recipe's graph on these leaves, and its output: the sum of the nodes
    nothing else uses (so every node is on a path to the output)."""
    nodes = list(leaves)
    used: set[int] = set()
    for name, operands in recipe:
        nodes.append(KINDS_BY_NAME[name].apply(*(nodes[i] for i in operands)))
        used.update(operands)
    sinks = [node for i, node in enumerate(nodes) if i not in used]
    return nodes, autograd.sum_values(sinks)


def random_recipe(seed: int, leaf_values: list[float], steps: int = 10) -> Recipe:
    """A random recipe on leaves holding ``leaf_values``, each op applied inside its domain
    there (and keeping the numbers moderate), recent nodes likelier as operands."""
    rng = random.Random(seed)
    nodes = [Value(x) for x in leaf_values]
    recipe: Recipe = []
    for _ in range(steps):
        kind = rng.choice(KINDS)
        operands = [len(nodes) - 1 - rng.randrange(len(nodes)) // 2 for _ in range(kind.arity)]
        if not kind.valid(*(nodes[i].data for i in operands)):
            continue
        out = kind.apply(*(nodes[i] for i in operands))
        if not (math.isfinite(out.data) and abs(out.data) < 1e3):
            continue
        recipe.append((kind.name, operands))
        nodes.append(out)
    return recipe


def agree(compiled: float, eager: float, rel: float = 1e-12, scale: float = 0.0) -> bool:
    """nan matches nan, infinities match exactly, finite numbers to ``rel`` relative to the
    larger of the two (or ``scale``, for numbers that cancelled to about 0)."""
    if math.isnan(compiled) or math.isnan(eager):
        return math.isnan(compiled) and math.isnan(eager)
    if math.isinf(compiled) or math.isinf(eager):
        return compiled == eager
    return abs(compiled - eager) <= rel * max(abs(compiled), abs(eager), scale)


def disagreements(
    what: str, compiled: Any, eager: Any, rel: float = 1e-12, cancelling: bool = True
) -> list[str]:
    """The pairs that disagree. Sums are added in another order than eager backward adds them,
    so a number that cancels to about 0 may differ in its last bits: with ``cancelling``, it
    is compared relative to the largest number of the list (at least 1)."""
    pairs = list(zip(np.ravel(compiled).tolist(), np.ravel(eager).tolist()))
    assert len(pairs) == np.size(eager) == np.size(compiled)
    finite = [abs(e) for _, e in pairs if math.isfinite(e)]
    scale = max(finite + [1.0]) if cancelling else 0.0
    return [
        f"{what}[{i}]: compiled {c!r}, eager {e!r}"
        for i, (c, e) in enumerate(pairs) if not agree(c, e, rel, scale)
    ]

"""Compiled replay equals eager evaluation bit for bit at the edges, for every op.

Every op is applied eagerly and by a compiled tape (one batch row per point) at a table of edge
inputs: ±0.0, ±inf, nan, subnormals, the largest and smallest normals, huge numbers, kinks and
thresholds. Values and gradients (from a non-trivial upstream gradient) must have the same bits,
the sign of zero included; any nan equals any nan.
"""

from __future__ import annotations

import itertools
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import autograd
import nn
from autograd import Op, Value, grad

inf, nan = math.inf, math.nan
UPSTREAM = -0.75  # the output is multiplied by this, so every gradient starts from it

EDGES = [
    0.0, -0.0, inf, -inf, nan,
    5e-324, -5e-324, 1e-310, -1e-310,  # subnormals
    2.2250738585072014e-308, -2.2250738585072014e-308,  # the smallest normals
    1.7976931348623157e308, -1.7976931348623157e308, 1e300, -1e300, 1e155, -1e155,
    1.0, -1.0, 0.5, 2.0, -3.0, 1e-10,
    20.0, 20.000000000000004, 36.0, -36.0, 709.0, 710.0, -710.0, -745.5,  # thresholds, tails
]
# For two-input ops, every pair of these.
PAIR_EDGES = [0.0, -0.0, inf, -inf, nan, 5e-324, -1e-310, 1e300, -1e300, 1e155, 1.0, -1.0, 0.5,
              -3.0, 20.000000000000004, -710.0]
PROBABILITIES = [0.0, 5e-324, 1e-310, 1e-300, 1e-10, 0.25, 0.5, 1 - 2**-53, 1.0]
TARGETS = [0.0, 1.0, 0.5, 0.25]


@dataclass(frozen=True)
class EdgeOp:
    name: str
    apply: Callable[..., Any]
    points: list[tuple[float, ...]]


def unary(name: str, apply: Callable[[Any], Any], points=None) -> EdgeOp:
    return EdgeOp(name, apply, points or [(x,) for x in EDGES])


def binary(name: str, apply: Callable[[Any, Any], Any], points=None) -> EdgeOp:
    return EdgeOp(name, apply, points or list(itertools.product(PAIR_EDGES, repeat=2)))


def spread(count: int) -> list[tuple[float, ...]]:
    """Points of ``count`` inputs drawn from every pair of PAIR_EDGES."""
    return [tuple((a, b)[i % 2] for i in range(count))
            for a, b in itertools.product(PAIR_EDGES, repeat=2)]


EDGE_OPS = [
    binary("x + y", lambda x, y: x + y),
    binary("x - y", lambda x, y: x - y),
    binary("x * y", lambda x, y: x * y),
    binary("x / y", lambda x, y: x / y),
    binary("x ** y", lambda x, y: x**y),
    *[unary(f"x ** {c!r}", lambda x, c=c: x**c)
      for c in (0, 1, 2, 3, -1, -2, 0.5, -0.5, 1.5, 1 / 3, -1e300, 1e300)],
    unary("2.5 ** x", lambda x: 2.5**x),
    unary("0 ** x", lambda x: 0.0**x),
    unary("-x", lambda x: -x),
    unary("abs", abs),
    *[unary(name, getattr(Value, name))
      for name in ("exp", "log", "tanh", "sigmoid", "relu", "softplus", "sin", "cos", "sqrt")],
    *[unary(f"leaky_relu({s!r})", lambda x, s=s: x.leaky_relu(s)) for s in (0.01, 0.0, -0.0)],
    EdgeOp("sum_values", lambda *xs: autograd.sum_values(xs), spread(3)),
    EdgeOp("dot", lambda a, b, c, d: autograd.dot([a, b], [c, d]), spread(4)),
    EdgeOp("linear", lambda w, v, x, y, b: autograd.linear([w, v], [x, y], b), spread(5)),
    binary("mse_loss", lambda p, t: nn.mse_loss(p, t)),
    binary("l1_loss", lambda p, t: nn.l1_loss(p, t)),
    binary("binary_cross_entropy", nn.binary_cross_entropy,
           list(itertools.product(PROBABILITIES, TARGETS))),
    binary("binary_cross_entropy_with_logits", nn.binary_cross_entropy_with_logits,
           list(itertools.product(EDGES, TARGETS))),
    unary("hinge_loss", lambda s: nn.hinge_loss(s, -1.0)),
]


def same(a: float, b: float) -> bool:
    if a != a or b != b:
        return a != a and b != b
    return struct.pack("<d", a) == struct.pack("<d", b)


def eager(o: EdgeOp, point: tuple[float, ...]) -> list[float]:
    leaves = [Value(x) for x in point]
    out = o.apply(*leaves) * UPSTREAM
    return [out.data, *grad(out, leaves)]


def replayed(o: EdgeOp) -> list[list[float]]:
    """Each point's value and gradients, from one tape run on all the points as a batch."""
    leaves = [Value(x) for x in o.points[0]]
    tape = autograd.compile(o.apply(*leaves) * UPSTREAM, inputs=leaves)
    values = tape.run(np.array(o.points, dtype=float))
    return [[value, *row] for value, row in zip(values.tolist(), tape.input_grads.tolist())]


@pytest.mark.parametrize("o", EDGE_OPS, ids=lambda o: o.name)
def test_replay_equals_eager_bit_for_bit_at_the_edges(o):
    mismatches = []
    for point, from_tape in zip(o.points, replayed(o)):
        from_eager = eager(o, point)
        whats = ["value", *(f"d/dx{i}" for i in range(len(point)))]
        for what, a, b in zip(whats, from_eager, from_tape):
            if not same(a, b):
                mismatches.append(f"  at {point}: {what}: eager {a!r}, replay {b!r}")
    assert not mismatches, f"{o.name}: replay differs from eager:\n" + "\n".join(mismatches[:20])


def test_every_builtin_op_is_in_the_edge_table():
    import autograd.ops
    import nn.functional

    declared = [
        function.op.name for module in (autograd.ops, nn.functional)
        for function in vars(module).values() if isinstance(getattr(function, "op", None), Op)
    ]
    assert len(declared) > 15
    names = " ".join(o.name for o in EDGE_OPS)
    for name in declared:
        if name in ("+", "-", "*", "/", "**", "neg"):
            continue  # spelled as operators above
        assert name in names, f"op {name!r} is missing from the replay edge table"

"""PyTorch float64 as an oracle: random expression graphs over every op (values, gradients,
second derivatives), and every op at IEEE edge inputs (0, -0.0, ±1e-300, ±1e300, ±inf, nan).

Nothing else depends on this module; without torch it is skipped, with the reason.
"""

import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

torch = pytest.importorskip(
    "torch",
    reason="the PyTorch oracle needs torch (CI installs torch==2.13.0, CPU); pip install torch",
)
F = torch.nn.functional

import autograd  # noqa: E402
from autograd import Value, grad  # noqa: E402

inf, nan = math.inf, math.nan
REL = 1e-6


@dataclass(frozen=True)
class OracleOp:
    name: str
    arity: int
    ours: Callable[..., Any]
    torch: Callable[..., Any]
    valid: Callable[..., bool]  # inputs (floats) where a random graph may apply it


def anywhere(*xs: float) -> bool:
    return True


def positive(x: float) -> bool:
    return x > 1e-2


def away_from_zero(x: float) -> bool:
    return abs(x) > 0.1


def op(name, arity, ours, theirs, valid=anywhere) -> OracleOp:
    return OracleOp(name, arity, ours, theirs, valid)


ORACLE_OPS = [
    op("x + 2.5", 1, lambda x: x + 2.5, lambda x: x + 2.5),
    op("2.5 - x", 1, lambda x: 2.5 - x, lambda x: 2.5 - x),
    op("x * -1.5", 1, lambda x: x * -1.5, lambda x: x * -1.5),
    op("3 / x", 1, lambda x: 3.0 / x, lambda x: 3.0 / x, away_from_zero),
    op("x / 4", 1, lambda x: x / 4.0, lambda x: x / 4.0),
    op("x ** 2", 1, lambda x: x**2, lambda x: x**2),
    op("x ** 3", 1, lambda x: x**3, lambda x: x**3),
    op("x ** 0", 1, lambda x: x**0, lambda x: x**0),
    op("x ** -1", 1, lambda x: x**-1, lambda x: x**-1, away_from_zero),
    op("x ** 0.5", 1, lambda x: x**0.5, lambda x: x**0.5, positive),
    op("x ** 1.5", 1, lambda x: x**1.5, lambda x: x**1.5, positive),
    op("x ** (1/3)", 1, lambda x: x ** (1 / 3), lambda x: x ** (1 / 3), positive),
    op("1.7 ** x", 1, lambda x: 1.7**x, lambda x: torch.pow(1.7, x), lambda x: abs(x) < 20),
    op("0.5 ** x", 1, lambda x: 0.5**x, lambda x: torch.pow(0.5, x), lambda x: abs(x) < 20),
    op("x + y", 2, lambda x, y: x + y, lambda x, y: x + y),
    op("x - y", 2, lambda x, y: x - y, lambda x, y: x - y),
    op("x * y", 2, lambda x, y: x * y, lambda x, y: x * y),
    op("x / y", 2, lambda x, y: x / y, lambda x, y: x / y, lambda x, y: away_from_zero(y)),
    op("x ** y", 2, lambda x, y: x**y, torch.pow,
       lambda x, y: x > 0.1 and abs(y * math.log(x)) < 10),
    op("-x", 1, lambda x: -x, lambda x: -x),
    op("abs", 1, abs, torch.abs),
    op("exp", 1, Value.exp, torch.exp, lambda x: x < 10),
    op("log", 1, Value.log, torch.log, positive),
    op("tanh", 1, Value.tanh, torch.tanh),
    op("sigmoid", 1, Value.sigmoid, torch.sigmoid),
    op("relu", 1, Value.relu, torch.relu),
    op("leaky_relu", 1, Value.leaky_relu, F.leaky_relu),
    op("leaky_relu(0.2)", 1, lambda x: x.leaky_relu(0.2), lambda x: F.leaky_relu(x, 0.2)),
    op("softplus", 1, Value.softplus, F.softplus),
    op("sin", 1, Value.sin, torch.sin),
    op("cos", 1, Value.cos, torch.cos),
    op("sqrt", 1, Value.sqrt, torch.sqrt, positive),
    op("sum_values", 3, lambda a, b, c: autograd.sum_values([a, b, c]), lambda a, b, c: a + b + c),
    op("dot", 4, lambda a, b, c, d: autograd.dot([a, b], [c, d]), lambda a, b, c, d: a * c + b * d),
    op("linear", 5, lambda w, v, x, y, b: autograd.linear([w, v], [x, y], b),
       lambda w, v, x, y, b: w * x + v * y + b),
]


def agree(ours: float, theirs: float, signed_zero: bool = False) -> bool:
    """nan equals nan, infinities must match exactly, finite numbers to 1e-6 relative; with
    ``signed_zero`` a zero must also have the same sign (1 / -0.0 is -inf, 1 / 0.0 is inf)."""
    if math.isnan(ours) or math.isnan(theirs):
        return math.isnan(ours) and math.isnan(theirs)
    if math.isinf(ours) or math.isinf(theirs):
        return ours == theirs
    if signed_zero and ours == 0.0 and theirs == 0.0:
        return math.copysign(1.0, ours) == math.copysign(1.0, theirs)
    return math.isclose(ours, theirs, rel_tol=REL)


def leaf(x: float) -> Any:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def torch_grads(output: Any, inputs: list[Any], create_graph: bool = False) -> list[Any]:
    if not output.requires_grad:
        return [torch.zeros((), dtype=torch.float64) for _ in inputs]
    grads = torch.autograd.grad(
        output, inputs, allow_unused=True, create_graph=create_graph, retain_graph=True
    )
    return [torch.zeros((), dtype=torch.float64) if g is None else g for g in grads]


# ----- random expression graphs -----------------------------------------------------------------


@dataclass
class Graph:
    inputs: list[float]
    steps: list[tuple[OracleOp, list[int]]]  # node n_inputs + k = steps[k] applied to nodes

    def listing(self) -> str:
        lines = [f"  v{i} = {x!r}" for i, x in enumerate(self.inputs)]
        for k, (o, args) in enumerate(self.steps):
            operands = ", ".join(f"v{a}" for a in args)
            lines.append(f"  v{len(self.inputs) + k} = {o.name}({operands})")
        return "\n".join(lines)


def random_graph(seed: int, steps: int = 12) -> Graph:
    """A DAG of ``steps`` random ops over 1-3 inputs, each op applied inside its domain."""
    rng = random.Random(seed)
    inputs = [rng.uniform(-2.0, 2.0) for _ in range(rng.randint(1, 3))]
    graph = Graph(inputs, [])
    nodes = [Value(x) for x in inputs]
    for _attempt in range(1000):
        if len(graph.steps) == steps:
            break
        o = rng.choice(ORACLE_OPS)
        # Recent nodes are likelier operands, so graphs grow deep as well as wide.
        args = [len(nodes) - 1 - min(int(rng.expovariate(0.4)), len(nodes) - 1)
                for _ in range(o.arity)]
        if not o.valid(*(nodes[a].data for a in args)):
            continue
        out = o.ours(*(nodes[a] for a in args))
        if not (math.isfinite(out.data) and abs(out.data) < 1e4):
            continue
        graph.steps.append((o, args))
        nodes.append(out)
    return graph


def evaluate(graph: Graph, make_leaf: Callable[[float], Any], pick: str) -> tuple[list, Any]:
    """Every node and the output (the sum of the nodes nothing else uses), in one engine."""
    leaves = [make_leaf(x) for x in graph.inputs]
    nodes = list(leaves)
    used = set()
    for o, args in graph.steps:
        nodes.append(getattr(o, pick)(*(nodes[a] for a in args)))
        used.update(args)
    sinks = [node for i, node in enumerate(nodes) if i not in used]
    output = sinks[0]
    for node in sinks[1:]:
        output = output + node
    return leaves, nodes, output


def compare(what: str, ours: list[float], theirs: list[float], graph: Graph) -> None:
    bad = [(i, a, b) for i, (a, b) in enumerate(zip(ours, theirs)) if not agree(a, b)]
    assert not bad, (
        f"{what} disagree with PyTorch float64 (rel {REL}):\n"
        + "\n".join(f"  [{i}] ours {a!r}, torch {b!r}" for i, a, b in bad)
        + f"\nthe graph:\n{graph.listing()}"
    )


@pytest.mark.parametrize("seed", range(80))
def test_random_graph_matches_pytorch(seed):
    graph = random_graph(seed)
    leaves, nodes, output = evaluate(graph, Value, "ours")
    t_leaves, t_nodes, t_output = evaluate(graph, leaf, "torch")
    compare("values", [n.data for n in nodes], [t.item() for t in t_nodes], graph)

    firsts = grad(output, leaves, create_graph=True, materialize_grads=True)
    t_firsts = torch_grads(t_output, t_leaves, create_graph=True)
    compare("gradients", [g.data for g in firsts], [t.item() for t in t_firsts], graph)
    compare("plain-backward gradients", list(grad(output, leaves, materialize_grads=True)),
            [t.item() for t in t_firsts], graph)

    hessian = [h for g in firsts for h in grad(g, leaves, materialize_grads=True)]
    t_hessian = [h.item() for g in t_firsts for h in torch_grads(g, t_leaves)]
    compare("second derivatives (row-major Hessian)", hessian, t_hessian, graph)


def test_random_graphs_use_every_op():
    used = {o.name for seed in range(80) for o, _ in random_graph(seed).steps}
    assert used == {o.name for o in ORACLE_OPS}


# ----- IEEE edge inputs -------------------------------------------------------------------------

EDGES = [0.0, -0.0, 1e-300, -1e-300, 1e300, -1e300, inf, -inf, nan]


def constant(c: float) -> Any:
    return torch.tensor(c, dtype=torch.float64)


# A plain number operand is a constant leaf to the engine, so `c / x` is a division: the oracle
# is torch.div with a constant tensor. (PyTorch's own `c / tensor` is reciprocal(x) * c, whose
# gradient at x = 1e-300 is c * -inf, not a division's.) `x ** c` is its own op in both: PyTorch
# takes x ** 0.5 as sqrt, and so does the engine.
ARITHMETIC = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "/": lambda x, y: x / y,
}
EDGE_ONLY_OPS = [
    op("0 ** x", 1, lambda x: 0.0**x, lambda x: torch.pow(0.0, x)),
    op("-8 ** x", 1, lambda x: (-8.0) ** x, lambda x: torch.pow(-8.0, x)),
    op("x ** -0.5", 1, lambda x: x**-0.5, lambda x: x**-0.5),
    op("x ** -2", 1, lambda x: x**-2, lambda x: x**-2),
    *[op(f"x {name} {c!r}", 1, lambda x, f=f, c=c: f(x, c), lambda x, f=f, c=c: f(x, constant(c)))
      for (name, f), c in itertools.product(ARITHMETIC.items(), EDGES)],
    *[op(f"{c!r} {name} x", 1, lambda x, f=f, c=c: f(c, x), lambda x, f=f, c=c: f(constant(c), x))
      for (name, f), c in itertools.product(ARITHMETIC.items(), EDGES)],
    *[op(f"x ** {c!r}", 1, lambda x, c=c: x**c, lambda x, c=c: x**c) for c in EDGES],
    *[op(f"{c!r} ** x", 1, lambda x, c=c: c**x, lambda x, c=c: torch.pow(c, x)) for c in EDGES],
    *[op(f"leaky_relu(x, {c!r})", 1, lambda x, c=c: x.leaky_relu(c),
         lambda x, c=c: F.leaky_relu(x, c)) for c in EDGES],
]
EDGE_OPS = [o for o in ORACLE_OPS if o.arity <= 2] + EDGE_ONLY_OPS + [
    op("sum_values([x, y])", 2, lambda x, y: autograd.sum_values([x, y]), lambda x, y: x + y),
    op("sum_values([x, y, z])", 3, lambda x, y, z: autograd.sum_values([x, y, z]),
       lambda x, y, z: x + y + z),
    op("dot([x], [y])", 2, lambda x, y: autograd.dot([x], [y]), lambda x, y: x * y),
    op("dot([w, x], [y, z])", 4, lambda w, x, y, z: autograd.dot([w, x], [y, z]),
       lambda w, x, y, z: w * y + x * z),
    op("linear([x], [y], 1)", 2, lambda x, y: autograd.linear([x], [y], 1.0),
       lambda x, y: x * y + 1.0),
    op("linear([w], [x], b)", 3, lambda w, x, b: autograd.linear([w], [x], b),
       lambda w, x, b: w * x + b),
]


def edge_mismatches(o: OracleOp) -> list[str]:
    mismatches = []
    for point in itertools.product(EDGES, repeat=o.arity):
        leaves = [Value(x) for x in point]
        out = o.ours(*leaves)
        ours = [out.data, *grad(out, leaves, materialize_grads=True)]
        t_leaves = [leaf(x) for x in point]
        t_out = o.torch(*t_leaves)
        theirs = [t_out.item(), *(g.item() for g in torch_grads(t_out, t_leaves))]
        # Values must match to the sign of a zero. Gradients are sums that start from +0.0, so
        # a gradient that is exactly zero is +0.0 where PyTorch may give -0.0 (docs/numerics.md).
        whats = ["value", *(f"d/dx{i}" for i in range(o.arity))]
        for what, a, b in zip(whats, ours, theirs):
            if not agree(a, b, signed_zero=what == "value"):
                at = ", ".join(map(repr, point))
                mismatches.append(f"  {o.name} at ({at}): {what}: ours {a!r}, torch {b!r}")
    return mismatches


@pytest.mark.parametrize("o", EDGE_OPS, ids=lambda o: o.name)
def test_edge_inputs_match_pytorch(o):
    mismatches = edge_mismatches(o)
    assert not mismatches, (
        f"{len(mismatches)} disagreement(s) with PyTorch float64 at edge inputs:\n"
        + "\n".join(mismatches)
    )

"""Nothing outlives its graph: no Value is kept by the op registry, the op caches (``x ** c`` and
``leaky_relu`` ops per constant), anomaly mode's creation sites, or a failed backward.

tests/test_backward.py frees graphs of a million nodes; here every op and every mode is run
(plain backward, grad, create_graph and second derivatives, detect_anomaly, no_grad, failing
passes) and then (1) every node is gone once the last reference goes, by reference counting
alone (the graph has no cycles), and (2) traced memory does not grow from one round to the next.
"""

from __future__ import annotations

import contextlib
import gc
import math
import tracemalloc
import weakref
from collections.abc import Iterator

import autograd
from autograd import Value, define_op, define_variadic_op, detect_anomaly, grad, no_grad
from autograd.anomaly import _creation_sites

cube = define_op("cube", lambda x: x**3, lambda x, out: 3 * x**2)
mean = define_variadic_op("mean", lambda xs: sum(xs) / len(xs),
                          lambda xs, out: (1 / len(xs),) * len(xs))


def failing_partial(x, out):
    raise RuntimeError("this rule fails on purpose")


fails_backward = define_op("fails_backward", lambda x: x, failing_partial)


def every_op(x: Value, y: Value, z: Value, k: int) -> Value:
    """One value that uses every op; ``k`` varies the constants, so caches see new keys."""
    c = 1.5 + k % 7
    terms = [
        x + y, x - y, x * y, x / y, x**y, x**c, c**x, c - y, c / z, -x, abs(y),
        x.exp(), x.log(), y.tanh(), y.sigmoid(), y.relu(), y.leaky_relu(), y.leaky_relu(0.1 * k),
        y.softplus(), z.sin(), z.cos(), x.sqrt(), x ** 0.5, x**-0.5,
        autograd.dot([x, y], [y, z]), autograd.linear([x, y], [z, x], y), cube(z), mean(x, y, z),
        Value(x.data + y.data, (x, y), "+"),  # micrograd's positional form
    ]
    return autograd.sum_values(terms) * autograd.tanh(z)


def leaves(k: int) -> tuple[Value, Value, Value]:
    return Value(1.2 + 0.01 * k, label="x"), Value(-0.7, label="y"), Value(0.4, label="z")


def run_every_mode(k: int) -> Iterator[list[Value]]:
    """Build and differentiate in each mode; yield each mode's nodes while they are alive."""
    x, y, z = leaves(k)
    out = every_op(x, y, z, k)
    out.backward()
    yield out.graph()

    x, y, z = leaves(k)
    out = every_op(x, y, z, k)
    firsts = grad(out, [x, y, z], create_graph=True)
    seconds = [grad(first, [x, y, z], materialize_grads=True) for first in firsts]
    assert all(math.isfinite(s) for row in seconds for s in row)
    yield out.graph() + [node for first in firsts for node in first.graph()]

    with detect_anomaly():
        x, y, z = leaves(k)
        out = every_op(x, y, z, k)
        out.backward()
        yield out.graph()
        with contextlib.suppress(FloatingPointError):
            (x - x).log()  # an anomaly raised and dropped
        nan_grad = (x - x).sqrt() * 0.0
        with contextlib.suppress(FloatingPointError):
            nan_grad.backward()
        yield nan_grad.graph()

    with no_grad():
        x, y, z = leaves(k)
        out = every_op(x, y, z, k)
        out.backward()
        yield [out, x, y, z]

    x, y, z = leaves(k)
    out = fails_backward(every_op(x, y, z, k))
    with contextlib.suppress(RuntimeError):
        out.backward()
    yield out.graph()


def test_every_node_of_every_mode_is_freed_by_reference_counting_alone():
    gc.collect()
    sites_before = len(_creation_sites)
    gc.disable()  # nothing may depend on the cycle collector
    try:
        references = []
        for nodes in run_every_mode(3):
            assert len(nodes) > 1
            references.append([weakref.ref(node) for node in nodes])
            del nodes
        alive = [ref() for refs in references for ref in refs if ref() is not None]
        assert not alive, f"{len(alive)} nodes outlived their graph, e.g. {alive[:3]}"
        assert len(_creation_sites) == sites_before
    finally:
        gc.enable()


def test_caches_hold_ops_not_values():
    # The caches only ever hold Op records, whatever was applied with them.
    for _ in run_every_mode(4):
        pass
    from autograd import ops
    from autograd.op import _registry

    cached = [*_registry.values()]
    assert ops.power_by.cache_info().currsize > 0 and ops._leaky_relu_op.cache_info().currsize > 0
    for op in cached:
        assert isinstance(op, autograd.Op)
        reachable = gc.get_referents(op, *gc.get_referents(op))
        assert not [r for r in reachable if isinstance(r, Value)], op


def traced_after_rounds(rounds: range) -> int:
    for k in rounds:
        for _ in run_every_mode(k % 5):  # the same cache keys as the warm-up rounds
            pass
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def test_memory_does_not_grow_from_round_to_round():
    rounds = 60
    tracemalloc.start()
    try:
        # Warm-up: fills the op caches and sizes the tables (registry, creation sites).
        settled = traced_after_rounds(range(10))
        grown = traced_after_rounds(range(rounds)) - settled
    finally:
        tracemalloc.stop()
    # Each round makes about 450 nodes in 6 graphs. Keeping one float per backward pass
    # somewhere would add over 6 KB in 60 rounds; measured growth is a few dozen bytes.
    assert grown < 4 * 1024, f"{grown} bytes more after {rounds} rounds"

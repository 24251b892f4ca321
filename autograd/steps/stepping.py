"""Backpropagation one node at a time: `root.backward_steps()` and the `Step`s it yields.

    steps = o.backward_steps()
    print(next(steps))
    # o = tanh(n) = 0.7071 | dL/do = 1.0 | n: local 1 - o² = 0.5, +0.5 -> grad 0.5

The walk visits the nodes in the order `backward()` does (outputs before their inputs) and does
the same arithmetic, so running it to the end leaves exactly the gradients `backward()` would.
Like `backward()`, it adds to whatever `.grad` holds: a node's displayed `.grad` is its gradient
from before the walk plus this walk's contributions so far, while `Step.upstream` is this walk's
part alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

from autograd.anomaly import check_contribution
from autograd.grad_mode import grad_mode
from autograd.steps.formulas import forward_formula, is_constant_formula, partial_formulas
from autograd.steps.formulas import short_number as _short
from autograd.steps.formulas import signed_number as _signed
from autograd.steps.text import shown_name
from autograd.value import Value

ROOT_NAME = "L"  # the text calls the walk's output L: "dL/dn"
ONE_LINE = 100  # a step's text longer than this goes on two lines

# The states a node can be in at a step, from the start of the walk to its end.
UNREACHED = "unreached"  # no gradient has arrived yet
REACHED = "reached"  # some gradient has arrived; its chain rule has not been applied yet
CURRENT = "current"  # the chain rule is being applied at this node in this step
RECEIVING = "receiving"  # an input of the current node, receiving its contribution now
DONE = "done"  # its chain rule was applied (or, for a leaf, its gradient is complete)
STATES = (UNREACHED, REACHED, CURRENT, RECEIVING, DONE)


def node_names(nodes: Sequence[Any]) -> list[str]:
    """Each node's label as shown (escaped, shortened: `shown_name`), or `v<i>` (its position
    in topological order) when it has none."""
    return [shown_name(node.label) if node.label else f"v{i}" for i, node in enumerate(nodes)]


@dataclass(frozen=True)
class Update:
    """What one step adds to one input: `contribution = upstream × local`, then its `.grad`."""

    input: Any
    name: str
    local: float
    contribution: float
    grad: Any  # the input's gradient after this contribution (as `.grad` shows it)
    formula: str | None  # the local derivative as text, e.g. "1 - o²"; None when unknown


@dataclass(frozen=True, eq=False)
class Step:
    """The chain rule applied at one node: `upstream` = dL/d(node) from this walk, and for each
    input its local derivative, contribution and resulting gradient. `print(step)` explains it.
    """

    number: int  # 1 for the first step
    node: Any
    name: str
    upstream: float
    grad: Any  # the node's own gradient (its earlier .grad plus upstream)
    updates: tuple[Update, ...]
    walk: BackwardWalk = field(repr=False)

    def explain(self, precision: int = 4) -> str:
        """One or two lines: the node's formula and value, dL/dnode, and each input's update."""
        node, name = self.node, self.name
        input_names = [update.name for update in self.updates]
        formula = forward_formula(node, input_names, name)
        definition = name if formula == name else f"{name} = {formula}"  # label is the formula
        head = (
            f"{definition} = {_short(node.data, precision)} | {derivative_name(name)} = "
            f"{_short(self.upstream, precision)}"
        )
        parts = [_explain_update(update, precision) for update in self.updates]
        if node.rule.hand_written:
            parts[0] = f"by its hand-written _backward, {parts[0]}"
        line = " | ".join([head, *parts])
        if len(line) <= ONE_LINE:
            return line
        return head + "\n  " + " | ".join(parts)

    def __str__(self) -> str:
        return self.explain()

    def __repr__(self) -> str:
        return f"<Step {self.number} of {self.walk.total}: {self.name} ({self.node.op})>"


def derivative_name(name: str) -> str:
    """`dL/dn`, or `dL/d(x1*w1)` for a name that is not a plain identifier."""
    return f"d{ROOT_NAME}/d{name}" if name.isidentifier() else f"d{ROOT_NAME}/d({name})"


def explain_update(update: Update, precision: int = 4) -> tuple[str, str, str]:
    """An update as three texts: the local derivative (`1 - o² = 0.5`), the contribution
    (`+0.5`) and the input's gradient after it (`0.5`)."""
    local = _short(update.local, precision)
    if update.formula is None or update.formula == local:
        rule = local
    elif is_constant_formula(update.formula):
        rule = update.formula
    else:
        rule = f"{update.formula} = {local}"
    return rule, _signed(update.contribution, precision), _short(float(update.grad), precision)


def _explain_update(update: Update, precision: int) -> str:
    rule, contribution, grad = explain_update(update, precision)
    return f"{update.name}: local {rule}, {contribution} -> grad {grad}"


class BackwardWalk(Iterator[Step]):
    """The backward pass of `root`, one `Step` per `next()`; see `Value.backward_steps`.

    `nodes` is the graph in topological order, `names` their names in the step texts, `steps`
    the steps taken so far and `total` how many there will be (one per non-leaf node).
    """

    def __init__(self, root: Any, grad: float = 1.0, *, _keep_grads: bool = False) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"backward_steps needs a Value, got {type(root).__name__}")
        if not isinstance(grad, Real) or isinstance(grad, bool):
            raise TypeError(
                f"backward_steps(grad=...) takes a real number (dL/droot, 1.0 by default), "
                f"got {type(grad).__name__}"
            )
        self.root: Any = root
        self.nodes: list[Any] = root.graph()
        self.names: list[str] = node_names(self.nodes)
        self._index: dict[int, int] = {id(node): i for i, node in enumerate(self.nodes)}
        # The order backward() processes nodes in: outputs before inputs, leaves skipped.
        self._order: list[Any] = [n for n in reversed(self.nodes) if n.rule is not None]
        self.total: int = len(self._order)
        self.steps: list[Step] = []
        self.seed: float = float(grad)
        # _keep_grads: work on a private copy of the gradients, from zero, leaving .grad alone
        # (what explore() needs to show a backward pass without touching the user's graph).
        self._writes: bool = not _keep_grads
        self._started: bool = False
        self._upstream: dict[int, float] = {}  # this walk's contributions, per node id
        self._prior: dict[int, Any] = {}
        self._grads: dict[int, Any] = {}  # each node's gradient as the walk last left it

    def __iter__(self) -> BackwardWalk:
        return self

    def __repr__(self) -> str:
        """Where the walk stands: `<Backward walk from o: 2 of 5 steps taken; next: n (+)>`."""
        taken = len(self.steps)
        head = f"Backward walk from {self.names[-1]}: {taken} of {self.total} steps taken"
        if taken < self.total:
            node = self._order[taken]
            head += f"; next: {self.names[self._index[id(node)]]} ({node.op})"
        else:
            head += "; finished" if self._started else ""
        return f"<{head}>"

    def __next__(self) -> Step:
        if not self._started:
            self._start()
        number = len(self.steps) + 1
        if number > self.total:
            raise StopIteration
        node = self._order[number - 1]
        upstream = self._upstream[id(node)]
        locals_ = node.rule.local_derivatives(node)
        contributions = node.rule.contributions(node, upstream)
        input_names = [self.names[self._index[id(parent)]] for parent in node.parents]
        name = self.names[self._index[id(node)]]
        formulas = partial_formulas(node, input_names, name)
        # The step is worked out in full first, then written at once, so that an error or
        # Ctrl-C leaves the walk and every .grad as they were before it: next() retries it.
        totals: dict[int, Any] = {}
        updates = []
        for index, (parent, parent_name, local, contribution, formula) in enumerate(zip(
            node.parents, input_names, locals_, contributions, formulas
        )):
            if grad_mode.anomaly:
                check_contribution(node, index, upstream, local, contribution)
            key = id(parent)
            # The same contributions and sums as backward()
            total = totals.get(key, self._upstream.get(key, -0.0)) + contribution
            totals[key] = total
            grad = _accumulate(self._prior[key], total)
            updates.append(Update(parent, parent_name, local, contribution, grad, formula))
        self._check_unchanged(totals)
        step = Step(number, node, name, upstream, self._grads[id(node)], tuple(updates), self)
        self._write(totals, step)
        return step

    def _start(self) -> None:
        if not self._grads:  # not yet read (a start cut short by Ctrl-C may have read them)
            prior = {}
            grads = {}
            for node in self.nodes:
                grad = node.grad if self._writes else 0.0
                grads[id(node)] = grad
                prior[id(node)] = 0.0 if grad is None else grad  # None: set_to_none's zero
            self._prior, self._grads = prior, grads
        key = id(self.root)
        self._check_unchanged({key: self.seed})
        self._write({key: self.seed}, None)
        self._started = True

    def _check_unchanged(self, totals: dict[int, Any]) -> None:
        if not self._writes:
            return
        for key in totals:
            node = self.nodes[self._index[key]]
            if not _same(node.grad, self._grads[key]):
                raise RuntimeError(
                    f"the gradient of {self.names[self._index[key]]} was changed outside this "
                    f"walk (from {self._grads[key]!r} to {node.grad!r}, by backward(), "
                    f"zero_grad() or an assignment); start a new walk with backward_steps()"
                )

    def _write(self, totals: dict[int, Any], step: Step | None) -> None:
        """Record ``totals`` (this walk's contributions so far, by node id) and ``step``, and
        show each node's gradient; an interrupt meanwhile undoes all of it."""
        saved = {key: (self._upstream.get(key), self._grads[key]) for key in totals}
        count = len(self.steps)
        try:
            for key, total in totals.items():
                grad = _accumulate(self._prior[key], total)
                if self._writes:
                    self.nodes[self._index[key]].grad = grad
                self._grads[key] = grad
                self._upstream[key] = total
            if step is not None:
                self.steps.append(step)
        except BaseException:
            self._undo(saved, count)
            raise

    def _undo(self, saved: dict[int, tuple[Any, Any]], count: int) -> None:
        try:
            for key, (upstream, grad) in saved.items():
                if upstream is None:
                    self._upstream.pop(key, None)
                else:
                    self._upstream[key] = upstream
                self._grads[key] = grad
                if self._writes:
                    self.nodes[self._index[key]].grad = grad
            del self.steps[count:]
        except BaseException:
            self._undo(saved, count)  # a second interrupt cut this short: finish, then pass it on
            raise


def backward_steps(root: Value, grad: float = 1.0) -> BackwardWalk:
    """``backward()`` one node at a time: an iterator of Steps, one per ``next()``.

    Also ``root.backward_steps()``. Each step applies the chain rule at one node and updates its
    inputs' ``.grad``; ``print(step)`` explains it. Run to the end, it leaves exactly what
    ``backward()`` would (it accumulates the same way).
    """
    return BackwardWalk(root, grad)


Value.backward_steps = backward_steps  # type: ignore[assignment]  # root is the method's self


def _accumulate(prior: Any, upstream: Any) -> Any:
    # As backward() does it: a float is added (0.0 + -0.0 is 0.0); only a Value replaces a zero
    # gradient rather than being added to it, as with backward(create_graph=True).
    if prior.__class__ is float and prior == 0.0 and upstream.__class__ is not float:
        return upstream
    return prior + upstream


def _same(a: Any, b: Any) -> bool:
    """The same number bit for bit (0.0 and -0.0 differ, nan equals nan), or the same object."""
    if a is b:
        return True
    if a.__class__ is not float or b.__class__ is not float:
        return False
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


# ----- the state of the graph at a step, for drawings and tables --------------------------------


@dataclass(frozen=True)
class WalkState:
    """Every node's state (one of `STATES`) and gradient just after `step`, keyed by `id(node)`."""

    step: Step | None
    states: dict[int, str]
    grads: dict[int, Any]


def state_at(step: Step) -> WalkState:
    """The state of the walk's graph just after `step` (later steps are not counted)."""
    if not isinstance(step, Step):
        raise TypeError(f"expected a Step from backward_steps(), got {type(step).__name__}")
    walk = step.walk
    states = {id(node): UNREACHED for node in walk.nodes}
    grads = {key: walk._prior[key] for key in states}
    waiting = _consumer_counts(walk.nodes)  # consumers each node still waits for
    states[id(walk.root)] = REACHED
    grads[id(walk.root)] = _accumulate(walk._prior[id(walk.root)], walk.seed)
    for earlier in walk.steps[:step.number]:
        states[id(earlier.node)] = DONE
        for update in earlier.updates:
            grads[id(update.input)] = update.grad
        for parent in set(map(id, earlier.node.parents)):
            waiting[parent] -= 1
            if states[parent] == UNREACHED:
                states[parent] = REACHED
    for node in walk.nodes:
        if node.rule is None and waiting[id(node)] == 0:
            states[id(node)] = DONE
    states[id(step.node)] = CURRENT
    for parent in step.node.parents:
        states[id(parent)] = RECEIVING
    return WalkState(step, states, grads)


def _consumer_counts(nodes: Sequence[Any]) -> dict[int, int]:
    counts = {id(node): 0 for node in nodes}
    for node in nodes:
        for parent in set(map(id, node.parents)):
            counts[parent] += 1
    return counts


__all__ = [
    "BackwardWalk",
    "Step",
    "Update",
    "WalkState",
    "node_names",
    "state_at",
]

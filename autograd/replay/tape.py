"""Compiled replay: record a graph once, then run forward and backward as NumPy kernels.

    tape = autograd.compile(loss)          # records the graph under loss
    for step in range(100):
        optimizer.zero_grad()
        tape.run()                         # = rebuilding loss and loss.backward(), much faster
        optimizer.step()

A training step builds the same graph every time; only the leaves' numbers change. The tape
keeps the graph's shape (nodes grouped by level and op into index arrays) and re-reads the
leaves' ``.data`` on every run. Given ``inputs`` (leaves of a graph built for one sample),
``tape.run(batch)`` evaluates the graph for a whole batch of samples at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import attrgetter
from typing import Any

import numpy as np

from autograd.grad_mode import grad_mode
from autograd.replay import kernels
from autograd.replay.errors import LeafGoneError
from autograd.replay.holding import HeldLeaves, checked_extra
from autograd.replay.recording import Leaves, Recording, record
from autograd.replay.source import tape_source
from autograd.value import Value

REDUCTIONS = ("sum", "mean")
_data_of = attrgetter("_data")  # the slot behind .data: read per leaf per run
_grad_of = attrgetter("grad")


def compile(output: Value | Sequence[Value], inputs: Sequence[Value] | None = None) -> Tape:
    """Record the graph under ``output`` for replay; see :class:`Tape`.

    ``inputs``: leaves of the graph standing for one sample's numbers, so that ``run(batch)``
    can evaluate the graph on a batch of samples. ``output`` may be a list of Values, for a tape
    that only evaluates (``forward``). Raises :class:`CompileError` if an op's rules do not work
    on NumPy arrays.
    """
    outputs = _checked_outputs(output)
    inputs = _checked_inputs(inputs)
    tape = Tape(record(outputs, inputs), single_output=isinstance(output, Value))
    tape._rehearse()
    return tape


class Tape:
    """A recorded graph, replayed on the leaves' current numbers (and on batches of inputs).

    ``run()`` recomputes every value and the gradient of every leaf, adds the gradients to the
    leaves' ``.grad`` as ``backward()`` does, and returns the output's value. ``run(batch)``
    does it for each row of ``batch`` (one column per input): it returns one output per sample,
    adds the gradients summed over the samples (or averaged, ``reduction="mean"``) to the other
    leaves, and leaves the inputs' gradients, one row per sample, in ``input_grads``.

    What is frozen: the graph's shape, so a Python ``if`` on a ``.data`` while the graph was
    built keeps the branch it took then (as tracing does in JAX); and the numbers of leaves
    only the graph referred to at compile time (constants). Intermediate nodes are not kept:
    their ``.data`` and ``.grad`` stay as they were; the output's are updated by ``run()``.
    """

    def __init__(self, recording: Recording, single_output: bool) -> None:
        self._recording = recording
        self._single_output = single_output
        self.input_grads: np.ndarray | None = None
        self._held: HeldLeaves | None = None
        self._held_store: np.ndarray | None = None

    # ----- what was recorded ----------------------------------------------------------------

    @property
    def node_count(self) -> int:
        """Nodes in the recorded graph (leaves included)."""
        return self._recording.node_count

    @property
    def depth(self) -> int:
        """The longest path from a leaf to the output, in ops."""
        return self._recording.depth

    @property
    def kernel_count(self) -> int:
        """Groups of nodes computed together: NumPy kernels per forward pass."""
        return len(self._recording.groups)

    @property
    def input_count(self) -> int:
        """Columns a batch must have: one per input leaf."""
        return len(self._recording.inputs)

    def __repr__(self) -> str:
        return (
            f"<Tape: {self.node_count:,} nodes, depth {self.depth}, {self.kernel_count} kernels, "
            f"{self.input_count} inputs>"
        )

    def source(self) -> str:
        """The replayed program, one NumPy-like line per kernel with its node count: what
        compiling made of the graph (a chain of additions becomes one node, say)."""
        return tape_source(self._recording)

    def __str__(self) -> str:
        return f"{self!r}\n{self.source()}"

    # ----- replay -------------------------------------------------------------------------

    def forward(self, batch: Any = None) -> Any:
        """The outputs' values only, no gradients: a float (or one per output), or with a
        batch an array with one row per sample."""
        columns, stores, _, _ = self._forward(batch)
        values = [stores[batched][slot] for batched, slot in self._recording.outputs]
        table = np.stack([np.broadcast_to(v, (columns,)) for v in values], axis=1)
        if self._single_output:
            table = table[:, 0]
        if batch is None:
            return float(table[0]) if self._single_output else table[0].tolist()
        return table.copy()

    def run(self, batch: Any = None, reduction: str = "sum", input_grads: bool = True) -> Any:
        """Forward and backward: accumulates into the leaves' ``.grad`` and returns the output
        (a float; with ``batch``, an array of one output per sample). With a batch and
        ``input_grads=False`` the inputs' gradients are not computed (``input_grads`` is None):
        training needs only the parameters'."""
        if not self._single_output:
            raise ValueError(
                f"run() differentiates one output and this tape has "
                f"{len(self._recording.outputs)}; compile one Value, or use forward()"
            )
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
        columns, stores, saved, leaves = self._forward(batch)
        want_inputs = input_grads or batch is None
        grads = self._backward(columns, stores, saved, want_inputs)
        scale = 1.0 / columns if batch is not None and reduction == "mean" else 1.0
        return self._write_back(batch is not None, stores, grads, leaves, scale, want_inputs)

    # ----- holding the leaves in arrays -----------------------------------------------------

    def hold(self, extra: Sequence[Value] = ()) -> HeldLeaves:
        """Hold the leaves this tape reads in arrays until ``release()`` (or the end of a
        ``with`` block): runs then read ``held.values`` and add to ``held.grads`` instead of
        every ``.data`` and ``.grad``, which a loop over many parameters spends most time on.

            with tape.hold() as held:          # one array of the parameters' numbers
                for batch in batches:
                    held.grads[:] = 0.0
                    tape.run(batch)
                    held.values -= 0.1 * held.grads   # in place: the tape reads this array
            # leaving the block writes .data and .grad back to the Values

        ``extra``: leaves to hold in the same arrays, placed first, so that one array holds all
        of an optimizer's parameters (those the tape reads anyway are not repeated). Returns
        the :class:`HeldLeaves`.
        """
        if self._held is not None:
            raise RuntimeError("this tape's leaves are already held: release() them first")
        recording = self._recording
        read, numbers = self._read(recording.read)
        extra = checked_extra(extra, read)
        read_count = len(read)
        by_slot: list[Any] = [None] * read_count
        for leaf, slot in zip(read, recording.read.slots.tolist()):
            by_slot[slot] = leaf  # the leaves read take slots 0, 1, ... of the store
        buffer = np.empty(len(extra) + recording.unbatched_size)
        buffer[:len(extra)] = [leaf._data for leaf in extra]
        store = buffer[len(extra):].reshape(-1, 1)
        store[recording.read.slots, 0] = numbers
        store[recording.owned.slots, 0] = recording.owned.values
        held = HeldLeaves(self, extra + by_slot, buffer[:len(extra) + read_count])
        self._held, self._held_store = held, store
        return held

    def _release(self, held: HeldLeaves) -> None:
        if self._held is held:
            self._held = self._held_store = None

    def _backward(
        self, columns: int, stores: tuple[np.ndarray, np.ndarray], saved: list,
        input_grads: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every node's gradient, in stores shaped like the values'."""
        # From -0.0, IEEE's additive identity, as backward() sums: -0.0 + -0.0 stays -0.0.
        grads = (np.full_like(stores[0], -0.0), np.full_like(stores[1], -0.0))
        batched, slot = self._recording.outputs[0]
        # Each sample's output is differentiated: an output the same for all samples counts
        # once per sample.
        grads[batched][slot] = 1.0 if batched else float(columns)
        with np.errstate(all="ignore"):
            for group, args in zip(reversed(self._recording.groups), reversed(saved)):
                kernels.backward(group, args, stores, grads, input_grads)
        return grads

    def _write_back(
        self, batch: bool, stores: tuple[np.ndarray, np.ndarray],
        grads: tuple[np.ndarray, np.ndarray], leaves: tuple, scale: float,
        want_inputs: bool = True,
    ) -> Any:
        """Add the gradients to the leaves' .grad (and update the output); return the output.

        Every new .grad is worked out first and then written at once: an error or Ctrl-C leaves
        every leaf (and the held gradients) as it was."""
        recording = self._recording
        read, owned_alive, inputs = leaves
        if grad_mode.anomaly:
            _check_finite(grads, read, recording)
        gradients = []
        held_grads = held_total = None
        if self._held is None:
            gradients.append((read, grads[0][recording.read.slots, 0]))
        else:  # the leaves read are slots 0, 1, ..., after the extra leaves in held.grads
            held_grads = self._held.grads[len(self._held.grads) - len(recording.read.refs):]
            leaf_grads = grads[0][:len(held_grads), 0]
            held_total = held_grads + (leaf_grads * scale if scale != 1.0 else leaf_grads)
        owned_slots = recording.owned.slots[[i for _, i in owned_alive]]
        gradients.append(([leaf for leaf, _ in owned_alive], grads[0][owned_slots, 0]))
        batched, slot = recording.outputs[0]
        value = np.broadcast_to(stores[batched][slot], (stores[1].shape[1],)).copy()
        input_grads = None
        if not batch or want_inputs:
            input_grads = grads[1][:len(recording.inputs)].T.copy()
        if not batch:
            assert input_grads is not None  # computed above: there is no batch
            gradients.append((inputs, input_grads[0]))  # scale is 1.0: there is no batch
        # The leaves read, the constants and the inputs are different leaves of the graph:
        # each gets one new .grad (its old one plus this run's; None counts as 0).
        targets: list[Value] = []
        new_grads: list[Any] = []
        for leaves_of_kind, values in gradients:
            if scale != 1.0:
                values = values * scale
            targets += leaves_of_kind
            new_grads += map(_plus, map(_grad_of, leaves_of_kind), values.tolist())
        output = output_grad = None
        if not batch:
            output = recording.output_refs[0]()
            if output is not None and output.rule is None:  # a leaf output got its grad above
                output = None
            if output is not None:
                output_grad = 1.0 if output.grad is None else output.grad + 1.0
        _commit(targets, new_grads, output, float(value[0]), output_grad, held_grads, held_total)
        if batch:
            self.input_grads = input_grads
            return value
        self.input_grads = None
        return float(value[0])

    def _rehearse(self) -> None:
        """Run forward and backward once, writing nothing: the first real run then finds how
        each group adds its gradients already planned, and runs as fast as the next ones."""
        columns, stores, saved, _ = self._forward(None)
        if self._single_output:
            self._backward(columns, stores, saved)

    def _forward(self, batch: Any) -> tuple[int, tuple[np.ndarray, np.ndarray], list, tuple]:
        """Fill both stores; returns the column count, the stores, each group's inputs (for
        backward) and the leaves read."""
        recording = self._recording
        read: list[Value] = []
        if self._held is None:
            read, numbers = self._read(recording.read)
        owned_alive = [
            (leaf, i) for i, ref in enumerate(recording.owned.refs) if (leaf := ref()) is not None
        ]
        inputs: list[Value] = []
        if batch is None:
            inputs = self._inputs_alive()
            rows = np.array([[x.data for x in inputs]], dtype=float)
        else:
            rows = _checked_batch(batch, len(recording.inputs))
        columns = rows.shape[0]
        if self._held_store is not None:
            unbatched = self._held_store  # the leaves' slots are the held values
        else:
            unbatched = np.empty((recording.unbatched_size, 1))
            unbatched[recording.read.slots, 0] = numbers
            unbatched[recording.owned.slots, 0] = recording.owned.values
        batched = np.empty((recording.batched_size, columns))
        batched[:len(recording.inputs)] = rows.T
        with np.errstate(all="ignore"):
            saved = [kernels.forward(group, unbatched, batched) for group in recording.groups]
        return columns, (unbatched, batched), saved, (read, owned_alive, inputs)

    def _read(self, leaves: Leaves) -> tuple[list[Any], np.ndarray]:
        """The leaves, which must all exist, and their numbers."""
        values = [ref() for ref in leaves.refs]
        try:
            return values, np.fromiter(map(_data_of, values), float, len(values))
        except AttributeError:  # None.data: a leaf is gone
            gone = [
                _describe(leaves.labels[i], leaves.values[i])
                for i, value in enumerate(values) if value is None
            ]
            if not gone:
                raise
            raise LeafGoneError(
                f"{len(gone)} of the leaves this tape reads on every run no longer exist: "
                f"{', '.join(gone[:5])}{' ...' if len(gone) > 5 else ''}. Something outside the "
                f"graph referred to them when it was compiled (a model, a variable), so the tape "
                f"reads their .data and writes their .grad; they were since deleted or replaced. "
                f"Keep them alive, or compile the new graph."
            ) from None

    def _inputs_alive(self) -> list[Any]:
        inputs = [ref() for ref in self._recording.inputs]
        if None in inputs:
            raise LeafGoneError(
                f"input {inputs.index(None)} of this tape no longer exists, so run() without a "
                f"batch has no number for it; pass a batch (one column per input) instead"
            )
        return inputs


def _plus(prior: Any, g: float) -> Any:
    """A leaf's .grad plus this run's gradient; None counts as 0."""
    return g if prior is None else prior + g


def _commit(
    targets: list[Value], new_grads: list[Any], output: Value | None,
    output_data: float, output_grad: Any, held: np.ndarray | None, held_total: Any,
) -> None:
    """Write the leaves' new .grad, the held gradients and the output's data and grad;
    Ctrl-C meanwhile puts every one of them back."""
    before = list(map(_grad_of, targets))
    output_before = None if output is None else (output.data, output.grad)
    held_before = None if held is None else held.copy()
    try:
        for leaf, g in zip(targets, new_grads):
            leaf.grad = g
        if held is not None:
            held[:] = held_total
        if output is not None:
            output.data, output.grad = output_data, output_grad
    except BaseException:
        _put_back(targets, before, output, output_before, held, held_before)
        raise


def _put_back(
    targets: list[Value], before: list[Any], output: Value | None,
    output_before: tuple[float, Any] | None, held: np.ndarray | None, held_before: Any,
) -> None:
    try:
        for leaf, prior in zip(targets, before):
            leaf.grad = prior
        if held is not None:
            held[:] = held_before
        if output is not None and output_before is not None:
            output.data, output.grad = output_before
    except BaseException:  # interrupted again: finish first
        _put_back(targets, before, output, output_before, held, held_before)
        raise


def _check_finite(
    grads: tuple[np.ndarray, np.ndarray], read: list[Value], recording: Recording
) -> None:
    """Inside detect_anomaly(): raise FloatingPointError if a gradient is nan or inf."""
    if np.isfinite(grads[0]).all() and np.isfinite(grads[1]).all():
        return
    leaf_grads = grads[0][recording.read.slots, 0]
    bad = [
        f"{leaf.label or 'a leaf'} (data {leaf.data}): {g}"
        for leaf, g in zip(read, leaf_grads.tolist()) if not math.isfinite(g)
    ]
    where = f" the gradients of {', '.join(bad[:5])}" if bad else " a gradient"
    raise FloatingPointError(
        f"detect_anomaly: compiled replay gave{where} (nan or inf) and wrote none of them; "
        f"run the graph's own backward() inside detect_anomaly() to find the op that made it"
    )


def _describe(label: str, value: float) -> str:
    label = f" {label!r}" if label else ""
    return f"leaf{label} (data {float(value)!r} when compiled)"


def _checked_outputs(output: Any) -> list[Value]:
    outputs = [output] if isinstance(output, Value) else output
    if not isinstance(outputs, (list, tuple)) or not outputs:
        raise TypeError(
            f"compile() takes a Value (or a non-empty list of Values), got "
            f"{type(output).__name__}"
        )
    for i, value in enumerate(outputs):
        if not isinstance(value, Value):
            raise TypeError(f"compile(): output {i} must be a Value, got {type(value).__name__}")
    return list(outputs)


def _checked_inputs(inputs: Any) -> list[Value]:
    if inputs is None:
        return []
    if isinstance(inputs, Value) or not isinstance(inputs, (list, tuple)):
        raise TypeError(
            f"compile(): inputs must be a list of leaf Values, got {type(inputs).__name__}"
        )
    for i, value in enumerate(inputs):
        if not isinstance(value, Value):
            raise TypeError(f"compile(): inputs[{i}] must be a Value, got {type(value).__name__}")
        if value.rule is not None:
            raise ValueError(
                f"compile(): inputs[{i}] is made by op {value.op!r}; inputs must be leaves "
                f"(Values no op produced), such as Value(0.0, label='x')"
            )
    if len({id(x) for x in inputs}) != len(inputs):
        raise ValueError("compile(): a Value appears twice in inputs")
    return list(inputs)


def _checked_batch(batch: Any, input_count: int) -> np.ndarray:
    if not input_count:
        raise ValueError(
            "this tape has no inputs, so it takes no batch: compile(output, inputs=[...]) with "
            "the leaves that stand for one sample, or call run() to replay on the leaves' values"
        )
    try:
        rows = np.asarray(batch, dtype=float)
    except (TypeError, ValueError) as error:
        raise TypeError(f"batch must be an array of numbers: {error}") from None
    if rows.ndim != 2 or rows.shape[1] != input_count or rows.shape[0] == 0:
        raise ValueError(
            f"batch must be a 2-D array (samples, {input_count} inputs) with at least one "
            f"sample, got shape {rows.shape}"
            + ("; for one input per sample use batch.reshape(-1, 1)" if rows.ndim == 1 else "")
        )
    return rows


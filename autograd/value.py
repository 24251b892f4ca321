"""``Value``: one real number in a computation graph, with the gradient backward leaves on it."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from numbers import Real
from typing import TYPE_CHECKING, Any, TypeAlias

Operand: TypeAlias = "Value | int | float"

# Creation order is a topological order: a node's inputs always exist before it does.
_creation_counter = itertools.count()


class Value:
    """A scalar that records the operations applied to it, so gradients can flow back.

        a = Value(2.0, label="a")
        b = Value(-3.0, label="b")
        c = (a * b).tanh()
        c.backward()          # a.grad, b.grad now hold dc/da, dc/db

    Attributes: ``data`` (float), ``grad`` (float, accumulated by ``backward``), ``label`` (str),
    ``op`` (name of the operation that made it, ``""`` for a leaf), ``parents`` (its inputs, in
    operand order) and ``rule`` (that operation's :class:`~autograd.op.Op`, None for a leaf).
    A Value you make with ``Value(...)`` also keeps attributes of your own (``p.m = 0.0``), as
    micrograd's does; the nodes that operations make do not (memory per node).
    """

    # _acc is the gradient being accumulated while a backward pass runs (None otherwise, which
    # also tells the pass it has not reached the node yet); _order is the creation counter.
    # _in0 and _in1 hold the node's inputs (see `parents`): a node of one or two inputs, as
    # nearly all are, keeps them there rather than in a tuple of its own. That is one object
    # fewer per node to allocate, to free and for Python's cyclic garbage collector to walk
    # (which it does, in a training loop, once per step over the whole graph), and 48 bytes
    # fewer. A node of three or more inputs keeps them all, as a tuple, in _in0.
    # _data holds the number (``data`` checks what is assigned to it).
    __slots__ = ("_data", "grad", "label", "rule", "_in0", "_in1", "_acc", "_order",
                 "__weakref__")

    grad: Any
    label: str
    rule: Any  # an autograd.op.Op; value.py imports nothing of ours, so no import cycle
    _in0: Any  # a Value, a tuple of three or more Values, or None (a leaf)
    _in1: Any  # a Value, or None
    _acc: Any
    _order: int

    def __new__(cls, *args: Any, **kwargs: Any) -> Value:
        # What you make with Value(...) (parameters, inputs, a hand-written op's output) takes
        # attributes of its own (p.m = 0.0): it is a Value with a __dict__ (ValueMadeByHand,
        # below). The nodes ops make have none: a __dict__ costs 32 bytes per node on CPython
        # 3.11 (measured with tracemalloc), and graphs are made of those nodes.
        return object.__new__(ValueMadeByHand if cls is Value else cls)

    def __init__(
        self, data: Any, _children: Any = (), _op: str = "", label: str = ""
    ) -> None:
        self._data = to_float(data)
        self.grad = 0.0
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.label = label
        self._in0 = self._in1 = None
        self.rule = None
        if _children or _op:
            # micrograd's positional form Value(data, (a, b), "+"): op.py finds the op by name.
            self.parents, self.rule = Value._rule_by_name(_children, _op)
        self._acc = None
        self._order = next(_creation_counter)

    @property
    def data(self) -> float:
        """The number this value holds (a float; an assigned int or NumPy real becomes one)."""
        return self._data

    @data.setter
    def data(self, number: Any) -> None:
        self._data = to_float(number)

    # ----- what the node is -------------------------------------------------------------------

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the operation that produced this value, in operand order; () for a leaf."""
        first, second = self._in0, self._in1
        if second is not None:
            return (first, second)
        if first is None:
            return ()
        return first if first.__class__ is tuple else (first,)

    @parents.setter
    def parents(self, inputs: tuple[Value, ...]) -> None:
        inputs = tuple(inputs)
        if len(inputs) == 2:
            self._in0, self._in1 = inputs
        elif len(inputs) == 1:
            self._in0, self._in1 = inputs[0], None
        else:
            self._in0, self._in1 = inputs or None, None

    @property
    def op(self) -> str:
        """The name of the operation that produced this value; ``""`` for a leaf."""
        rule = self.rule
        return "" if rule is None else rule.name

    @property
    def _op(self) -> str:
        """micrograd's name for :attr:`op`."""
        return self.op

    @property
    def _prev(self) -> tuple[Value, ...]:
        """micrograd's name for :attr:`parents` (a tuple here, so the operand order is kept)."""
        return self.parents

    @property
    def is_leaf(self) -> bool:
        """True for a value no operation produced: an input, a parameter or a constant.

        A property, as PyTorch's ``Tensor.is_leaf``: write ``v.is_leaf``, not ``v.is_leaf()``.
        """
        return self.rule is None

    def item(self) -> float:
        """The number as a Python float (PyTorch's ``Tensor.item()``; the same as ``.data``)."""
        return self._data

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self._data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        return self._data

    # ----- ordering compares the numbers; == and hash stay identity (Values live in sets) -----

    def __lt__(self, other: Operand) -> bool:
        return self._data < _number(other) if _comparable(other) else NotImplemented

    def __le__(self, other: Operand) -> bool:
        return self._data <= _number(other) if _comparable(other) else NotImplemented

    def __gt__(self, other: Operand) -> bool:
        return self._data > _number(other) if _comparable(other) else NotImplemented

    def __ge__(self, other: Operand) -> bool:
        return self._data >= _number(other) if _comparable(other) else NotImplemented

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    # ----- operators and functions --------------------------------------------------------
    # Each is attached to Value where its op is declared, in autograd/ops.py (+, -, *, /, **,
    # neg, abs, exp, ... : the op's own apply, so building a node costs no extra call);
    # backward() and graph() come from autograd/backward.py, register_hook() from
    # autograd/hooks.py, backward_steps() from autograd/steps. Their signatures, for readers
    # and type checkers:
    if TYPE_CHECKING:

        def __add__(self, other: Operand) -> Value: ...
        def __radd__(self, other: Operand) -> Value: ...
        def __sub__(self, other: Operand) -> Value: ...
        def __rsub__(self, other: Operand) -> Value: ...
        def __mul__(self, other: Operand) -> Value: ...
        def __rmul__(self, other: Operand) -> Value: ...
        def __truediv__(self, other: Operand) -> Value: ...
        def __rtruediv__(self, other: Operand) -> Value: ...
        def __pow__(self, exponent: Operand) -> Value: ...
        def __rpow__(self, base: Operand) -> Value: ...
        def __neg__(self) -> Value: ...
        def __abs__(self) -> Value: ...
        def exp(self) -> Value: ...  # e ** self
        def log(self) -> Value: ...  # natural logarithm: -inf at 0, nan below
        def tanh(self) -> Value: ...
        def sigmoid(self) -> Value: ...  # 1 / (1 + e ** -self), overflow-free
        def relu(self) -> Value: ...  # max(0, self); derivative 0 at 0, as in PyTorch
        def leaky_relu(self, negative_slope: float = 0.01) -> Value: ...
        def softplus(self) -> Value: ...  # log(1 + e ** self), overflow-free
        def sin(self) -> Value: ...
        def cos(self) -> Value: ...
        def sqrt(self) -> Value: ...  # nan below 0
        def backward(
            self,
            gradient: Any = None,
            retain_graph: bool | None = None,
            create_graph: bool = False,
            *,
            grad: Any = None,
        ) -> None: ...
        def register_hook(self, hook: Callable[[Any], Any]) -> Any: ...  # a RemovableHandle
        def graph(self) -> list[Value]: ...
        def backward_steps(self, grad: float = 1.0) -> Iterator[Any]: ...  # a BackwardWalk

        _rule_by_name: staticmethod[[Any, Any], tuple[tuple[Value, ...], Any]]
        _give_hand_written_backward: staticmethod[[Value, Any], None]

    def __pos__(self) -> Value:
        return self

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's chain rule at this node alone: ``v._backward()`` adds ``v.grad *
        d(v)/d(parent)`` to each parent's ``.grad`` (call it from the output back to the inputs,
        after setting the output's ``.grad = 1.0``, as in the lecture).

        Assign a function of no arguments to give a node a hand-written derivative, micrograd's
        way: it reads ``out.grad`` and adds to its inputs' ``.grad``; ``backward()`` calls it with
        ``out.grad`` holding the node's gradient from that pass (see ``autograd/op.py``).
        """
        rule = self.rule
        if rule is not None and rule.hand_written:
            return rule.closure  # type: ignore[no-any-return]
        return self._chain_rule_here

    @_backward.setter
    def _backward(self, function: Callable[[], None]) -> None:
        Value._give_hand_written_backward(self, function)

    def _chain_rule_here(self) -> None:
        if self.rule is None:
            return
        for parent, contribution in zip(self.parents, self.rule.contributions(self, self.grad)):
            parent.grad += contribution

    def detach(self) -> Value:
        """A new leaf holding the same number, cut off from this graph."""
        return Value(self._data, label=self.label)


def _comparable(other: Any) -> bool:
    return isinstance(other, (Value, Real))


def _number(other: Operand) -> float:
    return other._data if isinstance(other, Value) else other


def to_float(data: Any) -> float:
    """``data`` as a Python float, or a TypeError that says what is accepted."""
    if data.__class__ is float:
        return data
    if isinstance(data, Real) and not isinstance(data, bool):
        return float(data)
    raise TypeError(_not_a_number_message(data))


def _not_a_number_message(data: Any) -> str:
    kind = type(data).__name__
    accepted = "Value takes one real number: an int, a float or a numpy real scalar"
    if isinstance(data, Value):
        return f"{accepted}, got a Value; use it directly, or v.detach() for a new leaf"
    if isinstance(data, bool) or type(data).__name__ == "bool_":
        return f"{accepted}, got a bool ({data}); write float(flag) if a 0/1 number is meant"
    if isinstance(data, str):
        return f"{accepted}, got a str ({data!r:.40}); write float(text) if it holds a number"
    if isinstance(data, complex):
        return f"{accepted}, got a complex number ({data}); chainrule works on real numbers"
    if hasattr(data, "__len__") or hasattr(data, "shape"):
        return (
            f"{accepted}, got a {kind}; make one Value per element, "
            f"e.g. [Value(x) for x in items]"
        )
    return f"{accepted}, got {kind} ({data!r:.40})"


class ValueMadeByHand(Value):
    """A Value made with ``Value(...)``: the same, with room for attributes of your own."""

    __slots__ = ("__dict__",)


# Its name in messages ("got Value"); __qualname__ stays, so pickle finds the class.
ValueMadeByHand.__name__ = "Value"

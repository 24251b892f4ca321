"""Declaring an operation once: its name, its forward, and one local derivative per input.

The engine multiplies the local derivatives by the upstream gradient (or applies the op's own
``backward`` rule where it declares one); it knows no op's maths. Built-in ops (``ops.py``) and
users' ops go through the same :func:`define_op`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from numbers import Real
from operator import attrgetter
from typing import Any, Protocol, cast

from autograd.anomaly import check_new_node
from autograd.grad_mode import ANOMALY_CHECKS, grad_mode, switched_threads
from autograd.ieee import FLOAT_ERRORS, call_ieee
from autograd.value import Value, ValueMadeByHand, _creation_counter
from autograd.vectorize import apply_to_arrays, is_array

_new_value = object.__new__
_registry: dict[str, Op] = {}  # every declared op by name, the latest declaration of a name
_builtin_ops: dict[str, Op] = {}  # the built-in ops by name, for the positional form


class Op:
    """An operation: name, forward on floats, and the partial derivative for each input.

    ``forward(x0, x1, ...)`` computes the output from the inputs' numbers. ``partials[i](x0, x1,
    ..., out)`` is d(out)/d(x_i), written with ordinary arithmetic and the engine's functions so
    that it works on floats (plain backward) and on Values (``create_graph=True``); a partial
    that is a constant (1 for ``x + y``) may be given as that number.
    A variadic op (any number of inputs, ``arity`` None) takes its inputs as one sequence:
    ``forward(xs)``, and ``all_partials(xs, out)`` returning the partials for all inputs at once.
    ``formula`` and ``partial_formulas`` are the same rules as text, for explanations:
    ``{0}``, ``{1}``, ... stand for the inputs and ``{out}`` for the output.
    ``vectorized`` is the rules' array form for compiled replay, where the scalar rules cannot
    take NumPy arrays: ``(forward, partial_0, ...)``, or ``(forward, all_partials)`` for a
    variadic op; None in a place means the scalar rule works on arrays as it is.
    ``backward`` (fixed arity only) gives, per input, how the upstream gradient ``g`` turns into
    that input's contribution, ``rule(g, x0, x1, ..., out)``, where ``g * partial`` would round
    differently from PyTorch (``g / x`` for log, not ``g * (1 / x)``); None in a place means
    ``g * partial``. ``vectorized_backward`` is its array form, as ``vectorized`` is for the rest.
    """

    __slots__ = ("name", "arity", "forward", "partials", "all_partials", "formula",
                 "partial_formulas", "vectorized", "backward", "vectorized_backward", "apply",
                 "backprop")
    hand_written = False  # True for a node's own _backward (HandWrittenRule, below)

    arity: int | None
    partials: tuple[Any, ...]  # a callable, or a float for a constant partial
    all_partials: Any  # callable for a variadic op, else None

    def __init__(
        self,
        name: str,
        forward: Callable[..., Any],
        partials: tuple[Any, ...],
        formula: str | None = None,
        partial_formulas: tuple[str, ...] | None = None,
        all_partials: Callable[..., Any] | None = None,
        vectorized: tuple[Any, ...] | None = None,
        backward: tuple[Any, ...] | None = None,
        vectorized_backward: tuple[Any, ...] | None = None,
    ) -> None:
        _check_declaration(name, forward, partials, partial_formulas, all_partials, formula)
        self.name = name
        self.arity = None if all_partials is not None else len(partials)
        self.forward = forward
        self.partials = tuple(p if callable(p) else float(p) for p in partials)
        self.all_partials = all_partials
        if formula is None:
            inputs = "..." if self.arity is None else ", ".join(
                f"{{{i}}}" for i in range(self.arity)
            )
            # Braces in the name are literal text, as {{ and }} in a template.
            formula = f"{name.replace('{', '{{').replace('}', '}}')}({inputs})"
        self.formula = formula
        self.partial_formulas = tuple(partial_formulas) if partial_formulas else None
        self.vectorized = _checked_vectorized(self, vectorized)
        self.backward = _checked_backward(self, backward, "backward")
        self.vectorized_backward = _checked_backward(
            self, vectorized_backward, "vectorized_backward"
        )
        # Specialised for the op's arity: these two run once per node, so every call counts.
        self.apply = _make_apply(self)
        self.backprop = _make_backprop(self)

    def local_derivatives(self, node: Value) -> tuple[float, ...]:
        """The partials d(node)/d(parent), evaluated at the numbers the node holds."""
        if self.all_partials is not None:
            args: tuple[Any, ...] = ([parent._data for parent in node.parents], node._data)
            try:
                result = self.all_partials(*args)
            except FLOAT_ERRORS:
                result = _ieee_retry(self, self.all_partials, args, "all_partials")
            return tuple(_checked_float(d, self, "all_partials") for d in result)
        args = (*(parent._data for parent in node.parents), node._data)
        return tuple(_evaluate_partial(self, i, args) for i in range(len(node.parents)))

    def local_derivatives_on_graph(self, node: Value) -> tuple[Any, ...]:
        """The partials evaluated on the Values themselves, so they are graph nodes too."""
        if self.all_partials is not None:
            return tuple(self.all_partials(node.parents, node))
        args = (*node.parents, node)
        return tuple(p(*args) if callable(p) else p for p in self.partials)

    def contributions(self, node: Value, g: float) -> tuple[float, ...]:
        """What the upstream gradient ``g`` adds to each input's gradient: ``g * partial``, or
        the op's ``backward`` rule for that input."""
        if self.backward is None:
            return tuple(g * local for local in self.local_derivatives(node))
        args = (*(parent._data for parent in node.parents), node._data)
        return tuple(
            g * _evaluate_partial(self, i, args) if rule is None
            else _evaluate_backward(self, i, g, args)
            for i, rule in enumerate(self.backward)
        )

    def contributions_on_graph(self, node: Value, g: Any) -> tuple[Any, ...]:
        """The contributions built from Values, so that they can be differentiated again."""
        if self.backward is None:
            return tuple(g * local for local in self.local_derivatives_on_graph(node))
        args = (*node.parents, node)
        return tuple(
            rule(g, *args) if rule is not None
            else g * (partial(*args) if callable(partial) else partial)
            for rule, partial in zip(self.backward, self.partials)
        )

    def __repr__(self) -> str:
        inputs = "any number of inputs" if self.arity is None else (
            f"{self.arity} input{'s' if self.arity > 1 else ''}"
        )
        return f"<op {self.name!r} of {inputs}>"


class OpFunction(Protocol):
    """What ``define_op`` returns: a function applying the op, with the op at ``.op``."""

    op: Op

    def __call__(self, *args: Any) -> Any: ...


def define_op(
    name: str,
    forward: Callable[..., Any],
    *partials: Callable[..., Any] | float,
    formula: str | None = None,
    partial_formulas: tuple[str, ...] | None = None,
    vectorized: tuple[Any, ...] | None = None,
    backward: tuple[Any, ...] | None = None,
    vectorized_backward: tuple[Any, ...] | None = None,
) -> OpFunction:
    """Declare an operation and return a function that applies it to Values and numbers.

        softsign = define_op(
            "softsign",
            lambda x: x / (1 + abs(x)),
            lambda x, out: 1 / (1 + abs(x)) ** 2,
        )
        y = softsign(Value(0.5))      # a Value in the graph; softsign(0.5) gives a float

    One partial per input; each takes the inputs and then the output. Where Python arithmetic
    raises (1 / 0, overflow), the rule is evaluated again with IEEE semantics (inf, nan).
    Rules written with plain arithmetic and autograd's functions also work on NumPy arrays, so
    ``autograd.compile`` can replay the op; give ``vectorized=(forward, partial_0, ...)`` (None
    where the scalar rule works on arrays) for rules that cannot. The returned function applies
    the op elementwise to arrays too. ``backward=(rule_0, ...)``, each ``rule(g, x0, ...,
    out)``, says how the upstream gradient g combines with the derivative where ``g * partial``
    would not do (None: ``g * partial``); ``vectorized_backward`` gives its array forms.
    """
    op = Op(
        name, forward, partials, formula, partial_formulas, vectorized=vectorized,
        backward=backward, vectorized_backward=vectorized_backward,
    )
    _registry[name] = op
    apply = op.apply

    def function(*args: Any) -> Any:
        if len(args) != op.arity:
            raise TypeError(f"{name}() takes {op.arity} argument(s), got {len(args)}")
        result = apply(*args)
        if result is NotImplemented:
            if any(map(is_array, args)):
                return apply_to_arrays(op, args)
            kinds = ", ".join(type(a).__name__ for a in args)
            raise TypeError(f"{name}() takes Values or real numbers, got ({kinds})")
        return result

    function.__name__ = function.__qualname__ = name
    arity = len(partials)
    inputs = [f"x{i}" for i in range(arity)] if arity > 1 else ["x"]
    function.__doc__ = f"The op {name!r}: {op.formula.format(*inputs, out='out')}."
    applying = cast(OpFunction, function)
    applying.op = op
    return applying


def define_variadic_op(
    name: str,
    forward: Callable[..., Any],
    all_partials: Callable[..., Any],
    *,
    formula: str | None = None,
    vectorized: tuple[Any, ...] | None = None,
) -> OpFunction:
    """Declare an op of any number of inputs; returns a function applying it to its arguments.

    ``forward(xs)`` gives the output from the sequence of inputs; ``all_partials(xs, out)``
    gives one partial per input, at once. One node then stands for what would otherwise be a
    chain of binary nodes: a neuron's weighted sum is one ``linear`` node instead of 2n ``*``
    and ``+`` nodes. ``vectorized=(forward, all_partials)`` gives their array forms for compiled
    replay (see :class:`autograd.replay.positions.Positions`), None where the scalar rule will do.
    """
    op = Op(name, forward, (), formula, None, all_partials, vectorized)
    _registry[name] = op
    apply = op.apply

    def function(*args: Any) -> Any:
        result = apply(*args)
        if result is NotImplemented:
            kinds = ", ".join(sorted({type(a).__name__ for a in args}))
            raise TypeError(f"{name}() takes Values or real numbers, got ({kinds})")
        return result

    function.__name__ = function.__qualname__ = name
    shown = op.formula.replace("{{", "{").replace("}}", "}")
    function.__doc__ = f"The op {name!r}: {shown}."
    applying = cast(OpFunction, function)
    applying.op = op
    return applying


def _check_declaration(
    name: Any, forward: Any, partials: tuple[Any, ...], partial_formulas: Any,
    all_partials: Any, formula: Any = None,
) -> None:
    if not isinstance(name, str) or not name:
        raise TypeError(f"define_op: the name must be a non-empty str, got {name!r}")
    if not callable(forward):
        raise TypeError(f"define_op({name!r}): forward must be callable, got {forward!r}")
    if all_partials is not None:
        if not callable(all_partials):
            raise TypeError(
                f"define_variadic_op({name!r}): all_partials must be callable, got {all_partials!r}"
            )
        return
    if not partials:
        raise TypeError(f"define_op({name!r}): give one partial derivative per input, got none")
    for i, partial in enumerate(partials):
        if not (callable(partial) or _is_real(partial)):
            raise TypeError(
                f"define_op({name!r}): partial {i} must be callable or a constant number, "
                f"got {partial!r}"
            )
    arity = len(partials)
    if not _accepts(forward, arity):
        raise TypeError(
            f"define_op({name!r}): {arity} partial(s) means {arity} input(s), "
            f"but forward does not take {arity} argument(s)"
        )
    for i, partial in enumerate(partials):
        if callable(partial) and not _accepts(partial, arity + 1):
            raise TypeError(
                f"define_op({name!r}): partial {i} must take the {arity} input(s) and the "
                f"output ({arity + 1} arguments)"
            )
    if partial_formulas is not None and len(partial_formulas) != arity:
        raise TypeError(f"define_op({name!r}): give one partial formula per input ({arity})")
    for template in (formula, *(partial_formulas or ())):
        _check_template(name, template, arity)


def _check_template(name: str, template: Any, arity: int) -> None:
    """A formula template: {0}, {1}, ... for the inputs, {out} for the output, {{ and }} for
    literal braces; anything else would fail when the formula is shown."""
    if template is None:
        return
    if not isinstance(template, str):
        raise TypeError(f"define_op({name!r}): a formula must be a str, got {template!r:.40}")
    names = ["x"] * arity
    try:
        template.format(*names, out="out")
    except (KeyError, IndexError, ValueError, AttributeError) as error:
        raise ValueError(
            f"define_op({name!r}): the formula {template!r:.60} cannot be filled in "
            f"({type(error).__name__}: {error}); write {{0}}, {{1}}, ... for the inputs "
            f"(this op has {arity}), {{out}} for the output and {{{{ }}}} for a literal brace"
        ) from None


def _checked_vectorized(op: Op, vectorized: Any) -> tuple[Any, ...] | None:
    if vectorized is None:
        return None
    what = "(forward, all_partials)" if op.arity is None else "(forward, partial_0, ...)"
    count = 2 if op.arity is None else 1 + op.arity
    if not isinstance(vectorized, (tuple, list)) or len(vectorized) != count:
        raise TypeError(
            f"op {op.name!r}: vectorized must be a tuple {what} of {count} items, "
            f"got {vectorized!r:.60}"
        )
    for i, rule in enumerate(vectorized):
        constant_partial = i > 0 and op.arity is not None and _is_real(rule)
        if not (rule is None or callable(rule) or constant_partial):
            raise TypeError(
                f"op {op.name!r}: vectorized[{i}] must be callable or None, got {rule!r:.60}"
            )
    return tuple(vectorized)


def _checked_backward(op: Op, rules: Any, what: str) -> tuple[Any, ...] | None:
    if rules is None:
        return None
    if op.arity is None:
        raise TypeError(f"op {op.name!r}: {what} rules are for ops of a fixed number of inputs")
    if not isinstance(rules, (tuple, list)) or len(rules) != op.arity:
        raise TypeError(
            f"op {op.name!r}: {what} must be a tuple of {op.arity} rule(s), one per input "
            f"(None where g * partial will do), got {rules!r:.60}"
        )
    for i, rule in enumerate(rules):
        if rule is not None and not callable(rule):
            raise TypeError(
                f"op {op.name!r}: {what}[{i}] must be callable or None, got {rule!r:.60}"
            )
        if callable(rule) and not _accepts(rule, op.arity + 2):
            raise TypeError(
                f"op {op.name!r}: {what}[{i}] must take the upstream gradient, the {op.arity} "
                f"input(s) and the output ({op.arity + 2} arguments)"
            )
    return tuple(rules)


def _is_real(x: Any) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool)


def _accepts(function: Callable[..., Any], count: int) -> bool:
    try:
        inspect.signature(function).bind(*range(count))
    except TypeError:
        return False
    except ValueError:  # no signature to read (some builtins): trust the caller
        return True
    return True


# ----- evaluating rules -------------------------------------------------------------------------


def _checked_float(result: Any, op: Op, what: str) -> float:
    if isinstance(result, Real):
        return float(result)
    raise TypeError(f"op {op.name!r}: {what} returned {type(result).__name__}, not a real number")


def _evaluate_forward(op: Op, args: tuple[Any, ...]) -> float:
    try:
        result = op.forward(*args)
    except FLOAT_ERRORS:
        result = _ieee_retry(op, op.forward, args, "forward")
    return result if result.__class__ is float else _checked_float(result, op, "forward")


def _evaluate_partial(op: Op, index: int, args: tuple[Any, ...]) -> float:
    partial = op.partials[index]
    if not callable(partial):
        return float(partial)
    try:
        result = partial(*args)
    except FLOAT_ERRORS:
        result = _ieee_retry(op, partial, args, f"partial {index}")
    return result if result.__class__ is float else _checked_float(result, op, f"partial {index}")


def _evaluate_backward(op: Op, index: int, g: float, args: tuple[float, ...]) -> float:
    assert op.backward is not None
    rule = op.backward[index]
    try:
        result = rule(g, *args)
    except FLOAT_ERRORS:
        result = _ieee_retry(op, rule, (g, *args), f"backward {index}")
    return result if result.__class__ is float else _checked_float(result, op, f"backward {index}")


def _ieee_retry(op: Op, rule: Callable[..., Any], args: tuple[Any, ...], what: str) -> Any:
    try:
        return call_ieee(rule, args)
    except FLOAT_ERRORS as error:
        raise ArithmeticError(
            f"op {op.name!r}: {what} raised {type(error).__name__}: {error} at "
            f"{', '.join(map(repr, args))}; use autograd's exp, log, sqrt ... which return "
            f"inf or nan instead of raising"
        ) from error


# ----- making nodes -----------------------------------------------------------------------------


def _node(data: float, parents: tuple[Value, ...], op: Op) -> Value:
    node = _new_value(Value)
    node._data = data
    node.grad = 0.0
    node.label = ""
    recording = grad_mode.enabled if switched_threads.count else True
    if recording and parents:
        node.parents = parents
        node.rule = op
    else:
        node._in0 = node._in1 = None
        node.rule = None
    node._acc = None
    node._order = next(_creation_counter)
    if recording is ANOMALY_CHECKS and op is not None:
        check_new_node(node)
    return node


def _constant(x: Any) -> Value | None:
    """A number operand as a leaf Value; None if ``x`` is not a real number."""
    if x.__class__ is float or (isinstance(x, Real) and not isinstance(x, bool)):
        return _node(float(x), (), None)  # type: ignore[arg-type]
    return None


def _as_operands(args: tuple[Any, ...]) -> tuple[Value, ...] | None:
    """The arguments as Values, numbers wrapped as constant leaves; None if one is neither."""
    operands = tuple(a if isinstance(a, Value) else _constant(a) for a in args)
    return None if any(a is None for a in operands) else operands  # type: ignore[return-value]


_JUST_VALUES = {Value, ValueMadeByHand}  # the two classes a Value can be, see value.py
_data_of = attrgetter("_data")


def _is_value(x: Any) -> bool:
    return isinstance(x, Value)


def _on_plain_numbers(op: Op, args: tuple[Any, ...]) -> Any:
    """The op applied to numbers alone: the plain result, no graph."""
    for x in args:
        if not isinstance(x, Real) or isinstance(x, bool):
            return NotImplemented
    numbers = tuple(float(x) for x in args)
    return _evaluate_forward(op, (list(numbers),) if op.arity is None else numbers)


def _make_apply(op: Op) -> Callable[..., Any]:
    forward = op.forward
    mode = grad_mode
    switched = switched_threads
    next_order = _creation_counter.__next__

    # The unary and binary forms build their node inline, not through _node(): one call fewer
    # per node on the hottest path of every graph.
    if op.arity == 1:

        def apply_unary(x: Any) -> Any:
            if not isinstance(x, Value):
                return _on_plain_numbers(op, (x,))
            try:
                data = forward(x._data)
            except FLOAT_ERRORS:
                data = _evaluate_forward(op, (x._data,))
            if data.__class__ is not float:
                data = _checked_float(data, op, "forward")
            node = _new_value(Value)
            node._data = data
            node.grad = 0.0
            node.label = ""
            recording = mode.enabled if switched.count else True  # see _SwitchedThreads
            node._in1 = None
            if recording:
                node._in0 = x
                node.rule = op
            else:
                node._in0 = None
                node.rule = None
            node._acc = None
            node._order = next_order()
            if recording is ANOMALY_CHECKS:
                check_new_node(node)
            return node

        return apply_unary

    if op.arity == 2:

        def apply_binary(x: Any, y: Any) -> Any:
            if not isinstance(x, Value):
                if not isinstance(y, Value):
                    return _on_plain_numbers(op, (x, y))
                x = _constant(x)
                if x is None:
                    return NotImplemented
            elif not isinstance(y, Value):
                y = _constant(y)
                if y is None:
                    return NotImplemented
            try:
                data = forward(x._data, y._data)
            except FLOAT_ERRORS:
                data = _evaluate_forward(op, (x._data, y._data))
            if data.__class__ is not float:
                data = _checked_float(data, op, "forward")
            node = _new_value(Value)
            node._data = data
            node.grad = 0.0
            node.label = ""
            recording = mode.enabled if switched.count else True  # see _SwitchedThreads
            if recording:
                node._in0 = x
                node._in1 = y
                node.rule = op
            else:
                node._in0 = node._in1 = None
                node.rule = None
            node._acc = None
            node._order = next_order()
            if recording is ANOMALY_CHECKS:
                check_new_node(node)
            return node

        return apply_binary

    if op.arity is None:

        def apply_variadic(*args: Any) -> Any:
            if not _JUST_VALUES.issuperset(map(type, args)):
                if not any(map(_is_value, args)):
                    return _on_plain_numbers(op, args)
                operands = _as_operands(args)
                if operands is None:
                    return NotImplemented
                args = operands
            data = list(map(_data_of, args))
            try:
                result = forward(data)
            except FLOAT_ERRORS:
                result = _ieee_retry(op, forward, (data,), "forward")
            if result.__class__ is not float:
                result = _checked_float(result, op, "forward")
            return _node(result, args, op)

        return apply_variadic

    def apply_many(*args: Any) -> Any:
        if not any(map(_is_value, args)):
            return _on_plain_numbers(op, args)
        inputs = _as_operands(args)
        if inputs is None:
            return NotImplemented
        return _node(_evaluate_forward(op, tuple(map(_data_of, inputs))), inputs, op)

    return apply_many


# ----- the float backward of one node -----------------------------------------------------------


def _make_backprop(op: Op) -> Callable[[Value, float], None]:
    """``backprop(node, g)``: add g * d(node)/d(parent) to each parent's accumulator."""
    partials = op.partials
    constant = [not callable(p) for p in partials]

    if op.backward is not None and op.arity == 1:
        (rule,) = op.backward

        def backprop_unary_rule(node: Value, g: float) -> None:
            a = node._in0
            try:
                contribution = rule(g, a._data, node._data)
            except FLOAT_ERRORS:
                contribution = _evaluate_backward(op, 0, g, (a._data, node._data))
            if contribution.__class__ is not float:
                contribution = _checked_float(contribution, op, "backward 0")
            a._acc += contribution

        return backprop_unary_rule

    if op.backward is not None:

        def backprop_with_rules(node: Value, g: float) -> None:
            for parent, contribution in zip(node.parents, op.contributions(node, g)):
                parent._acc += contribution

        return backprop_with_rules

    if op.arity == 1 and constant[0]:
        (c0,) = partials

        def backprop_unary_constant(node: Value, g: float) -> None:
            node._in0._acc += g * c0

        return backprop_unary_constant

    if op.arity == 1:
        (d0,) = partials

        def backprop_unary(node: Value, g: float) -> None:
            a = node._in0
            try:
                local = d0(a._data, node._data)
            except FLOAT_ERRORS:
                local = _evaluate_partial(op, 0, (a._data, node._data))
            a._acc += g * local

        return backprop_unary

    if op.arity == 2 and all(constant):
        c0, c1 = partials

        def backprop_binary_constant(node: Value, g: float) -> None:
            a, b = node._in0, node._in1
            a._acc += g * c0
            b._acc += g * c1

        return backprop_binary_constant

    if op.arity == 2 and not any(constant):
        d0, d1 = partials

        def backprop_binary(node: Value, g: float) -> None:
            a, b = node._in0, node._in1
            x, y, out = a._data, b._data, node._data
            try:
                local_a = d0(x, y, out)
                local_b = d1(x, y, out)
            except FLOAT_ERRORS:
                local_a, local_b = op.local_derivatives(node)
            a._acc += g * local_a
            b._acc += g * local_b

        return backprop_binary

    if op.arity is None:
        all_partials = op.all_partials

        def backprop_variadic(node: Value, g: float) -> None:
            parents = node.parents
            try:
                locals_ = all_partials(list(map(_data_of, parents)), node._data)
            except FLOAT_ERRORS:
                locals_ = op.local_derivatives(node)
            for parent, local in zip(parents, locals_):
                parent._acc += g * local

        return backprop_variadic

    def backprop_many(node: Value, g: float) -> None:
        for parent, local in zip(node.parents, op.local_derivatives(node)):
            parent._acc += g * local

    return backprop_many


# ----- micrograd's Value(data, children, op) ----------------------------------------------------


class _UnknownOp(Op):
    """Stands for an op name no declaration matches; backward through it says so."""

    __slots__ = ()

    def __init__(self, name: str, arity: int) -> None:
        def no_rule(*args: Any) -> float:
            raise RuntimeError(
                f"no derivative is declared for op {name!r} with {arity} input(s): the node was "
                f"made with Value(data, children, {name!r}); declare the op with "
                f"autograd.define_op({name!r}, forward, *partials) and apply that instead"
            )

        super().__init__(name, no_rule, (no_rule,) * arity)


def rule_for_positional_form(children: Any, op_name: Any) -> tuple[tuple[Value, ...], Op | None]:
    """Parents and rule for ``Value(data, children, op_name)``, the op looked up by name."""
    parents = tuple(children)
    for parent in parents:
        if not isinstance(parent, Value):
            raise TypeError(
                f"Value's children must be Values, got {type(parent).__name__}: {parent!r:.40}"
            )
    if not isinstance(op_name, str):
        raise TypeError(f"Value's op must be a str, got {type(op_name).__name__}")
    if not parents:
        return (), None
    # A built-in name keeps its built-in meaning: a user's define_op("tanh", ...) is applied
    # through the function define_op returned, and does not change Value(t, (a,), "tanh").
    op = _builtin_ops.get(op_name) or _registry.get(op_name)
    if op is None or op.arity not in (None, len(parents)):
        op = _UnknownOp(op_name or "?", len(parents))
    return parents, op


def keep_builtin_names() -> None:
    """Called by ops.py once the built-ins are declared: from then on, their names always mean
    them in micrograd's positional form ``Value(data, children, name)``."""
    _builtin_ops.update(_registry)


Value._rule_by_name = staticmethod(rule_for_positional_form)


# ----- micrograd's out._backward = fn -----------------------------------------------------------


class HandWrittenRule(Op):
    """The rule of one node whose ``_backward`` was assigned, micrograd's way.

    ``closure()`` takes no arguments, reads ``out.grad`` and adds into its inputs' ``.grad``. The
    engine keeps a pass's running sums in ``_acc`` and adds them to ``.grad`` at the end, so to
    run the closure it shows the node's gradient from this pass as ``out.grad`` and each input's
    ``.grad`` as 0.0, reads what the closure added, and puts every ``.grad`` back as it was: the
    closure's additions join the pass like any op's, and earlier gradients accumulate as usual.
    ``declared`` is the op of the same name, if one is declared: ``create_graph=True`` uses its
    rule, since a closure on floats cannot build a graph.
    """

    __slots__ = ("closure", "declared")
    hand_written = True

    def __init__(self, name: str, arity: int, closure: Callable[[], None], declared: Op | None):
        # Filled in directly, not through Op.__init__: there is no forward or partial to check,
        # and one such rule is made per node.
        self.name = name
        self.arity = arity
        self.forward = declared.forward if declared is not None else _no_forward
        self.partials = ()
        self.all_partials = None
        if declared is not None:
            self.formula = declared.formula
        elif name.startswith("**") and arity == 1:
            self.formula = "{0}" + name  # micrograd's name for a power: '**3' reads x**3
        else:
            self.formula = f"{name}({', '.join(f'{{{i}}}' for i in range(arity))})"
        self.partial_formulas = None
        self.vectorized = None
        self.backward = None
        self.vectorized_backward = None
        self.apply = _no_forward
        self.backprop = _backprop_by_hand
        self.closure = closure
        self.declared = declared

    def contributions(self, node: Value, upstream: float) -> tuple[float, ...]:
        """Run the closure with ``out.grad = upstream``; what it added to each input's .grad."""
        parents = node.parents
        distinct = tuple(dict.fromkeys(parents))
        saved_out, saved = node.grad, [parent.grad for parent in distinct]
        try:
            node.grad = upstream
            for parent in distinct:
                parent.grad = 0.0
            self.closure()
            added = {parent: parent.grad for parent in distinct}
        finally:
            for parent, grad in zip(distinct, saved):
                parent.grad = grad
            node.grad = saved_out
        # An input listed twice gets the closure's whole addition once, at its first place.
        return tuple(
            self._checked(added.pop(parent, 0.0), i) for i, parent in enumerate(parents)
        )

    def local_derivatives(self, node: Value) -> tuple[float, ...]:
        """d(node)/d(input): what the closure passes on for ``out.grad = 1``."""
        return self.contributions(node, 1.0)

    def local_derivatives_on_graph(self, node: Value) -> tuple[Any, ...]:
        if self.declared is None:
            raise self._no_graph(node)
        return self.declared.local_derivatives_on_graph(node)

    def contributions_on_graph(self, node: Value, g: Any) -> tuple[Any, ...]:
        if self.declared is None:
            raise self._no_graph(node)
        return self.declared.contributions_on_graph(node, g)

    def _no_graph(self, node: Value) -> RuntimeError:
        where = f"{node.label!r} (op {self.name!r})" if node.label else f"op {self.name!r}"
        return RuntimeError(
            f"create_graph=True cannot differentiate through node {where}: its derivative is a "
            f"hand-written _backward, a function on floats that builds no graph. Declare the op "
            f"with autograd.define_op({self.name!r}, forward, *partials) and build the node with "
            f"what it returns (or name an op already declared in Value(data, children, op)), or "
            f"use create_graph=False"
        )

    def _checked(self, added: Any, index: int) -> float:
        if isinstance(added, Real) and not isinstance(added, bool):
            return float(added)
        raise TypeError(
            f"the hand-written _backward of op {self.name!r} left input {index}'s .grad holding "
            f"a {type(added).__name__} ({added!r:.40}); it must add a number to it "
            f"(self.grad += ... * out.grad)"
        )

    def __repr__(self) -> str:
        return f"<hand-written _backward of op {self.name!r}, {self.arity} input(s)>"


def _no_forward(*args: Any) -> Any:
    raise TypeError("a hand-written _backward belongs to one node; it has no forward to apply")


def _backprop_by_hand(node: Value, g: float) -> None:
    for parent, contribution in zip(node.parents, node.rule.contributions(node, g)):  # type: ignore[union-attr]
        parent._acc += contribution


def give_hand_written_backward(node: Value, closure: Any) -> None:
    """``node._backward = closure``: from now on backward() runs ``closure`` at this node."""
    if not callable(closure):
        raise TypeError(
            f"_backward must be a function of no arguments that adds to the inputs' .grad, "
            f"got {type(closure).__name__}"
        )
    rule = node.rule
    if rule is None or not node.parents:
        raise ValueError(
            "this Value has no inputs (a leaf, or made under no_grad()), so a _backward has no "
            "one to pass a gradient to: make the node with Value(data, (inputs...), 'op') and "
            "then assign its _backward"
        )
    if rule.hand_written:
        declared = rule.declared  # type: ignore[attr-defined]
    else:
        declared = None if isinstance(rule, _UnknownOp) else rule
    node.rule = HandWrittenRule(rule.name, len(node.parents), closure, declared)


Value._give_hand_written_backward = staticmethod(give_hand_written_backward)

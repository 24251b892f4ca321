"""A safe arithmetic-expression language for the command line: parsed with `ast`, never eval'ed.

Allowed: real numbers, names bound to numbers, `+ - * / **`, unary minus, parentheses, and calls
of the engine's element functions (exp log tanh sigmoid relu leaky_relu softplus sin cos sqrt
abs). Anything else is an `ExpressionError` that points at the offending part.

    expr = parse_expression("tanh(x*w + b)", bound={"x", "w", "b"})
    out = expr.evaluate({"x": 2.0, "w": -3.0, "b": 6.88})   # a Value; leaves labelled x, w, b
"""

from __future__ import annotations

import ast
import keyword
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import autograd

MAX_LENGTH = 500
FUNCTIONS: dict[str, int] = {  # name -> how many arguments it takes at most
    "exp": 1, "log": 1, "tanh": 1, "sigmoid": 1, "relu": 1, "leaky_relu": 2, "softplus": 1,
    "sin": 1, "cos": 1, "sqrt": 1, "abs": 1,
}  # fmt: skip
BINARY_OPERATORS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
ALLOWED = "numbers, bound names, + - * / **, unary -, ( ) and calls of " + " ".join(FUNCTIONS)
_WINDOW = 72  # columns of the expression shown around an error


class ExpressionError(ValueError):
    """A rejected expression or binding; `str()` shows the message, the text and a caret line."""

    def __init__(self, message: str, text: str = "", start: int | None = None,
                 end: int | None = None) -> None:
        if start is not None and (end is None or end <= start):
            end = start + 1
        self.message, self.text, self.start, self.end = message, text, start, end
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.start is None or not self.text:
            return self.message
        return f"{self.message}\n{self.pointer()}"

    def pointer(self) -> str:
        """Two lines: the expression (a window of it, if long) and carets under the bad part."""
        assert self.start is not None and self.end is not None
        text, start, end = self.text, self.start, self.end
        left = max(0, min(start - _WINDOW // 3, len(text) - _WINDOW))
        shown = "".join(c if c.isprintable() else "?" for c in text[left:left + _WINDOW])
        prefix = "…" if left > 0 else ""
        suffix = "…" if left + _WINDOW < len(text) else ""
        caret_start = start - left + len(prefix)
        caret_width = max(1, min(end, left + _WINDOW) - start)
        return f"  {prefix}{shown}{suffix}\n  {' ' * caret_start}{'^' * caret_width}"


@dataclass(frozen=True)
class Expression:
    """A validated expression: its text, syntax tree and the names it uses (in order)."""

    text: str
    tree: ast.expr
    names: tuple[str, ...]

    def evaluate(self, bindings: Mapping[str, float]) -> Any:
        """Build the computation graph: one leaf Value per name, labelled with the name.

        Returns the root Value (a constant leaf if the expression uses no names).
        """
        missing = [name for name in self.names if name not in bindings]
        if missing:
            raise ExpressionError(f"no value bound to {', '.join(missing)}")
        leaves = {name: autograd.Value(bindings[name], label=name) for name in self.names}
        result = _evaluate(self.tree, leaves)
        return result if isinstance(result, autograd.Value) else autograd.Value(result)


def parse_expression(text: str, bound: Collection[str] | None = None) -> Expression:
    """Parse and validate `text`; with `bound`, every name used must be one of those.

    Raises ExpressionError pointing at the first disallowed part.
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}",
            text, MAX_LENGTH, len(text),
        )
    for column, char in enumerate(text):
        if ord(char) < 0x20 or ord(char) == 0x7F:
            raise ExpressionError(
                f"control character {char!r} in the expression; it must be one line of text",
                text, column,
            )
        if 0xD800 <= ord(char) <= 0xDFFF:
            # How Python passes on bytes of a command line that are not UTF-8 (surrogateescape).
            byte = f"the byte 0x{ord(char) - 0xDC00:02x}" if ord(char) >= 0xDC80 else repr(char)
            raise ExpressionError(
                f"the expression is not valid UTF-8 text ({byte} at character {column + 1}); "
                f"check the terminal's encoding, or type the expression again",
                text.encode("utf-8", "backslashreplace").decode("ascii"), column,
            )
    stripped = text.lstrip()
    indent = len(text) - len(stripped)
    if not stripped.strip():
        raise ExpressionError("the expression is empty; e.g. \"tanh(x*w + b)\" x=2 w=-3 b=6.88")
    try:
        tree = ast.parse(stripped, mode="eval").body
    except SyntaxError as error:
        if not error.offset:  # Python reports 0 when the input ends in mid-expression
            raise ExpressionError(f"syntax error: {error.msg}: the expression is incomplete",
                                  text, len(text.rstrip())) from None
        start = min(indent + error.offset - 1, len(text) - 1)
        end_offset = error.end_offset or 0
        end = indent + end_offset - 1 if end_offset > error.offset else None
        raise ExpressionError(f"syntax error: {error.msg}", text, start, end) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply", text, 0, len(text)) from None
    names = _Validator(text, stripped, indent, bound).check(tree)
    return Expression(text, tree, names)


def parse_binding(argument: str) -> tuple[str, float]:
    """Parse a `name=number` command-line binding such as `w=-3` or `b=6.88`."""
    name, equals, number = argument.partition("=")
    name = unicodedata.normalize("NFKC", name.strip())  # as Python normalises identifiers
    if not equals:
        raise ExpressionError(f"{argument!r} is not a binding: write NAME=NUMBER, e.g. x=2")
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ExpressionError(f"{name!r} in {argument!r} is not a valid name, e.g. x or w1")
    if name in FUNCTIONS:
        raise ExpressionError(f"{name!r} is a function name; bind another name, e.g. {name}_in")
    try:
        value = float(number)
    except ValueError:
        raise ExpressionError(
            f"{number.strip()!r} in {argument!r} is not a number; write e.g. {name}=-3 or "
            f"{name}=6.88"
        ) from None
    return name, value


def parse_bindings(arguments: Iterable[str]) -> dict[str, float]:
    """Parse several bindings; binding the same name twice is an error."""
    bindings: dict[str, float] = {}
    for argument in arguments:
        name, value = parse_binding(argument)
        if name in bindings:
            raise ExpressionError(f"{name} is bound twice; bind each name once")
        bindings[name] = value
    return bindings


def evaluate(text: str, bindings: Mapping[str, float]) -> Any:
    """Parse `text` with the names of `bindings` as the bound names, and build its graph."""
    return parse_expression(text, bound=bindings.keys()).evaluate(bindings)


def _byte_to_char(line: str, byte_offset: int) -> int:
    return len(line.encode()[:byte_offset].decode(errors="ignore"))


class _Validator:
    """Checks every node against the whitelist, in source order; collects the names used.

    Each check is local to one node, so the walk is iterative and any nesting depth is fine.
    """

    def __init__(self, text: str, parsed: str, indent: int, bound: Collection[str] | None):
        self.text, self.parsed, self.indent, self.bound = text, parsed, indent, bound
        self.names: dict[str, None] = {}
        self.called: set[int] = set()  # ids of the Name nodes that are called functions

    def check(self, tree: ast.expr) -> tuple[str, ...]:
        nodes = [node for node in ast.walk(tree) if isinstance(node, ast.expr)]
        nodes.sort(key=lambda node: (node.col_offset, -node.end_col_offset))  # type: ignore[operator]
        for node in nodes:
            self.check_node(node)
        return tuple(self.names)

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = _byte_to_char(self.parsed, node.col_offset) + self.indent  # type: ignore[attr-defined]
        end = _byte_to_char(self.parsed, node.end_col_offset) + self.indent  # type: ignore[attr-defined]
        return start, end

    def fail(self, message: str, start: int, end: int) -> ExpressionError:
        return ExpressionError(message, self.text, start, end)

    def check_node(self, node: ast.expr) -> None:
        if isinstance(node, ast.Constant):
            self.constant(node)
        elif isinstance(node, ast.Name):
            if id(node) not in self.called:
                self.name(node)
        elif isinstance(node, ast.BinOp):
            self.binary(node)
        elif isinstance(node, ast.UnaryOp):
            self.unary(node)
        elif isinstance(node, ast.Call):
            self.call(node)
        elif isinstance(node, ast.Attribute):
            raise self.fail(f"attribute access (.{node.attr}) is not allowed; allowed: {ALLOWED}",
                            self.span(node.value)[1], self.span(node)[1])
        elif isinstance(node, ast.Subscript):
            raise self.fail(f"subscripts are not allowed; allowed: {ALLOWED}",
                            self.span(node.value)[1], self.span(node)[1])
        else:
            raise self.fail(f"{_describe(node)} not allowed; allowed: {ALLOWED}", *self.span(node))

    def constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{value!r} is not a real number; allowed: {ALLOWED}",
                            *self.span(node))
        if isinstance(value, int):
            try:
                float(value)
            except OverflowError:
                raise self.fail("number too large for a float", *self.span(node)) from None

    def name(self, node: ast.Name) -> None:
        if node.id in FUNCTIONS:
            raise self.fail(f"{node.id} is a function: call it, e.g. {node.id}(x)",
                            *self.span(node))
        if self.bound is not None and node.id not in self.bound:
            raise self.fail(
                f"unbound name {node.id!r}: give it a value on the command line, e.g. {node.id}=1",
                *self.span(node),
            )
        self.names.setdefault(node.id)

    def binary(self, node: ast.BinOp) -> None:
        if type(node.op) not in BINARY_OPERATORS:
            start, end = self.operator_span(node.left, node.right)
            raise self.fail(f"operator {self.text[start:end]} is not allowed; allowed: {ALLOWED}",
                            start, end)

    def operator_span(self, left: ast.AST, right: ast.AST) -> tuple[int, int]:
        start, end = self.span(left)[1], self.span(right)[0]
        between = self.text[start:end]
        first = next((i for i, c in enumerate(between) if c not in " ()"), 0)
        last = next((i for i in range(len(between) - 1, -1, -1) if between[i] not in " ()"),
                    len(between) - 1)
        return start + first, start + last + 1

    def unary(self, node: ast.UnaryOp) -> None:
        if not isinstance(node.op, ast.USub):
            start, _ = self.span(node)
            symbol = {ast.UAdd: "+", ast.Not: "not", ast.Invert: "~"}.get(type(node.op), "?")
            raise self.fail(
                f"unary {symbol} is not allowed (only unary minus); allowed: {ALLOWED}",
                start, start + len(symbol),
            )

    def call(self, node: ast.Call) -> None:
        function = node.func
        if isinstance(function, ast.Attribute):
            self.check_node(function)  # reports the attribute access
        if not isinstance(function, ast.Name) or function.id not in FUNCTIONS:
            what = repr(function.id) if isinstance(function, ast.Name) else "this"
            raise self.fail(f"{what} is not a function; the functions are {', '.join(FUNCTIONS)}",
                            *self.span(function))
        self.called.add(id(function))
        if node.keywords:
            raise self.fail(f"{function.id}() takes no keyword arguments",
                            *self.span(node.keywords[0]))
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                raise self.fail("* arguments are not allowed", *self.span(argument))
        at_most = FUNCTIONS[function.id]
        count = len(node.args)
        if count == 0 or count > at_most:
            expected = "1 argument" if at_most == 1 else f"1 to {at_most} arguments"
            raise self.fail(f"{function.id}() takes {expected}, got {count}", *self.span(node))
        if function.id == "leaky_relu" and count == 2 and _uses_names(node.args[1]):
            raise self.fail("leaky_relu's slope must be a number; it cannot use names",
                            *self.span(node.args[1]))


def _uses_names(node: ast.AST) -> bool:
    return any(isinstance(child, ast.Name) for child in ast.walk(node))


_DESCRIPTIONS = {
    ast.Compare: "comparisons are", ast.BoolOp: "and/or are", ast.Lambda: "lambda is",
    ast.IfExp: "conditional expressions are", ast.Tuple: "tuples are", ast.List: "lists are",
    ast.Dict: "dicts are", ast.Set: "sets are", ast.NamedExpr: "assignments (:=) are",
    ast.JoinedStr: "f-strings are", ast.ListComp: "comprehensions are",
    ast.GeneratorExp: "generators are", ast.Starred: "* unpacking is",
}  # fmt: skip


def _describe(node: ast.AST) -> str:
    return _DESCRIPTIONS.get(type(node), f"{type(node).__name__} is")


def _evaluate(tree: ast.expr, leaves: Mapping[str, Any]) -> Any:
    """Compute a validated tree: names are the given leaves, number-only parts fold to numbers.

    Post-order with an explicit stack, so deep nesting cannot hit Python's recursion limit.
    """
    results: dict[int, Any] = {}
    stack: list[tuple[ast.expr, bool]] = [(tree, False)]
    while stack:
        node, operands_done = stack.pop()
        operands = _operands(node)
        if not operands_done and operands:
            stack.append((node, True))
            stack.extend((operand, False) for operand in reversed(operands))
            continue
        results[id(node)] = _apply(node, [results.pop(id(o)) for o in operands], leaves)
    return results[id(tree)]


def _apply(node: ast.expr, operands: list[Any], leaves: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return float(node.value)  # type: ignore[arg-type]  # the checks admit only numbers
    if isinstance(node, ast.Name):
        return leaves[node.id]
    if isinstance(node, ast.UnaryOp):
        return -operands[0]
    if isinstance(node, ast.BinOp):
        left, right = operands
        operation = BINARY_OPERATORS[type(node.op)]
        if not isinstance(left, autograd.Value) and not isinstance(right, autograd.Value):
            # Through a Value for the engine's IEEE arithmetic (1/0 = inf, no OverflowError).
            return operation(autograd.Value(left), right).data
        return operation(left, right)
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        if node.func.id == "abs":
            return abs(operands[0])
        return getattr(autograd, node.func.id)(*operands)
    raise AssertionError(f"unvalidated node {type(node).__name__}")  # pragma: no cover


def _operands(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


__all__ = [
    "ALLOWED",
    "Expression",
    "ExpressionError",
    "FUNCTIONS",
    "MAX_LENGTH",
    "evaluate",
    "parse_binding",
    "parse_bindings",
    "parse_expression",
]

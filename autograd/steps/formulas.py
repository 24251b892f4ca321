"""The text of an op's formulas for one node: `x1 * w1`, `1 - o²`, `w1·x1 + w2·x2 + b`.

An op declares its forward and partial derivatives as templates (`"{0} * {1}"`, `"1 - {out}²"`);
here they are filled in with names or numbers. The variadic built-ins (`linear`, `dot`, `sum`)
declare no per-input formulas, so their templates are written out for the node's input count.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from autograd.steps.text import printable, shown_name

# A placeholder, or a doubled brace (a literal brace, as in str.format).
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(\d+|out)\}")
_MAX_TERMS = 4  # a longer sum is shown as its first terms, "…" and its last term


def format_number(x: float, precision: int) -> str:
    """Format a node's number: `precision` decimals, scientific notation when that would hide it.

    Fixed notation loses every significant digit of tiny numbers (0.00001 at 4 decimals is
    0.0000) and becomes unreadably long for huge ones, so those switch to `1.2346e-05` form.
    """
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    magnitude = abs(x)
    if magnitude == 0 or 10.0 ** -(max(precision, 1) - 1) <= magnitude < 1e7:
        return f"{x:.{precision}f}"
    return f"{x:.{precision}e}"


def short_number(x: float, precision: int = 4) -> str:
    """`x` rounded to `precision` decimals without trailing zeros: 0.7071, 0.5, 1.0, -1.5e-07."""
    text = format_number(float(x), precision)
    if not math.isfinite(x):
        return text
    mantissa, e, exponent = text.partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0")
        if mantissa.endswith("."):
            mantissa += "0"
    return mantissa + e + exponent


def signed_number(x: float, precision: int = 4) -> str:
    """`short_number` with its sign always written: +0.5, -1.5, +nan."""
    text = short_number(x, precision)
    return text if text.startswith("-") else "+" + text


def fill(template: str, inputs: Sequence[str], out: str) -> str:
    """The template with `{i}` replaced by `inputs[i]`, `{out}` by `out`, `{{`, `}}` by braces.

    A name with spaces or a leading minus is bracketed unless the template already brackets it
    (`(x + y) * z`, `1 - (-0.5)²`, but `tanh(x + y)`). Raises IndexError for a missing input.
    """
    pieces: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        key = match.group(1)
        pieces.append(template[position:match.start()])
        position = match.end()
        if key is None:  # {{ or }}
            pieces.append(match.group(0)[0])
            continue
        text = out if key == "out" else inputs[int(key)]
        pieces.append(f"({text})" if _needs_brackets(text, template, match) else text)
    pieces.append(template[position:])
    return "".join(pieces)


def forward_formula(node: Any, names: Sequence[str], out: str) -> str:
    """How `node` is computed from its inputs, with the inputs given as `names`."""
    rule = node.rule
    templates = _variadic_templates(rule, len(node.parents))
    template = templates[0] if templates else rule.formula
    try:
        if templates or _PLACEHOLDER.search(template):
            return printable(fill(template, names, out))
    except (IndexError, ValueError):
        pass
    return f"{shown_name(rule.name)}({', '.join(names)})"


def partial_formulas(node: Any, names: Sequence[str], out: str) -> list[str | None]:
    """For each input of `node`, its local derivative d(node)/d(input) as text (None: unknown)."""
    rule = node.rule
    templates = _variadic_templates(rule, len(node.parents))
    partials = templates[1] if templates else rule.partial_formulas
    if partials is None or len(partials) != len(node.parents):
        return [None] * len(node.parents)
    texts: list[str | None] = []
    for template in partials:
        try:
            texts.append(printable(fill(template, names, out)))
        except (IndexError, ValueError):
            texts.append(None)
    return texts


def is_constant_formula(text: str) -> bool:
    """True for a formula that is just a number, such as `1` or `-1`."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _compound(text: str) -> bool:
    """A name with spaces or a leading minus, which needs brackets to read as one operand."""
    return text.startswith("-") or any(c.isspace() for c in text)


def _needs_brackets(text: str, template: str, match: re.Match[str]) -> bool:
    if not _compound(text):
        return False
    before = template[:match.start()].rstrip()
    after = template[match.end():].lstrip()
    if not before and not after:
        return False
    if not before and not any(c.isspace() for c in text):
        return after.startswith(("**", "^", "²"))  # -2 + x reads right; (-2) ** 2 needs them
    enclosed = (before.endswith("(") and after.startswith(")")) or (
        before.endswith("|") and after.startswith("|")
    )
    return not enclosed


# ----- the variadic built-ins -------------------------------------------------------------------
# Recognised by name, formula and variadic arity together, so a user's own op that happens to be
# called "sum" is not mistaken for the built-in one.

_LINEAR = ("linear", "Σ wᵢ·xᵢ + b")
_DOT = ("dot", "Σ xᵢ·yᵢ")
_SUM = ("sum", "Σ xᵢ")


def _variadic_templates(rule: Any, count: int) -> tuple[str, tuple[str, ...]] | None:
    """(forward template, one partial template per input) for a variadic built-in, else None."""
    if rule.arity is not None:
        return None
    key = (rule.name, rule.formula)
    if key == _SUM and count >= 1:
        return _sum_of([f"{{{i}}}" for i in range(count)]), ("1",) * count
    if key == _DOT and count >= 2 and count % 2 == 0:
        n = count // 2
        terms = [f"{{{i}}}·{{{n + i}}}" for i in range(n)]
        partials = tuple(f"{{{n + i}}}" for i in range(n)) + tuple(f"{{{i}}}" for i in range(n))
        return _sum_of(terms), partials
    if key == _LINEAR and count >= 3 and count % 2 == 1:
        n = count // 2
        terms = [f"{{{i}}}·{{{n + i}}}" for i in range(n)]
        partials = tuple(f"{{{n + i}}}" for i in range(n)) + tuple(f"{{{i}}}" for i in range(n))
        return f"{_sum_of(terms)} + {{{count - 1}}}", (*partials, "1")
    return None


def _sum_of(terms: list[str]) -> str:
    if len(terms) > _MAX_TERMS:
        terms = [*terms[:_MAX_TERMS - 1], "…", terms[-1]]
    return " + ".join(terms)

"""Turning arbitrary text and numbers into Graphviz label text that renders literally."""

from __future__ import annotations

import graphviz

from autograd.steps.text import is_hidden, printable

_RECORD_SPECIALS = frozenset("{}|<>")

# Control characters, surrogates and U+FFFE/U+FFFF would make the SVG invalid XML (or the DOT
# source unwritable as UTF-8); they are shown in their Python escape form.
_CONTROL_NAMES = {"\t": "\\t", "\r": "\\r", "\x0b": "\\v", "\x0c": "\\f"}


def _visible(char: str) -> str:
    if char in _CONTROL_NAMES:
        return _CONTROL_NAMES[char]
    return printable(char)


def _escape(text: str, specials: frozenset[str]) -> str:
    lines = text.replace("\r\n", "\n").split("\n")
    return "\\n".join(_escape_line(line, specials) for line in lines)


def _escape_line(line: str, specials: frozenset[str]) -> str:
    out: list[str] = []
    last = len(line) - 1
    for i, char in enumerate(line):
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "&":
            # Graphviz decodes HTML entities such as &amp; even in plain labels.
            out.append("&amp;")
        elif char in specials:
            out.append("\\" + char)
        elif char == " ":
            # Graphviz trims a field's edges and merges runs of spaces; an entity survives both.
            # Graphviz 2.42 also drops a space that follows a non-ASCII character ("é 0").
            plain = 0 < i < last and line[i - 1] != " " and line[i - 1].isascii()
            out.append(" " if plain else "&#32;")
        elif is_hidden(char):
            out.append(_escape_line(_visible(char), specials))
        else:
            out.append(char)
    return "".join(out)


def record_field(text: str) -> str:
    """Escape `text` for one field of a Graphviz record label so it renders literally.

    Backslashes, quotes, `| { } < >`, `&` and runs of spaces are escaped; a newline becomes a
    line break; other control characters are shown as Python escapes (`\\t`, `\\x00`).
    """
    return _escape(text, _RECORD_SPECIALS)


def plain_label(text: str) -> str:
    """Escape `text` for a non-record Graphviz label (an escString) so it renders literally.

    Marked as not HTML: the graphviz package leaves a string like `<b>x</b>` unquoted, which
    Graphviz then reads as an HTML-like label (or rejects).
    """
    return graphviz.nohtml(_escape(text, frozenset()))

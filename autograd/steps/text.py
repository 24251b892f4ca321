"""Labels and op names as they are shown: every character visible, every name of bounded length.

A label is any ``str``: it may hold control characters (ESC would recolour a terminal), lone
surrogates and U+FFFE/U+FFFF (which cannot be written as UTF-8 or XML), bidirectional controls
(which reorder the text around them) or run to megabytes. The step texts, ``trace``, the
drawings and the explore page show them through :func:`shown_name`.
"""

from __future__ import annotations

MAX_NAME_LENGTH = 80  # a longer name is shown as its first 79 characters and "…"

# Bidirectional embeddings, overrides and isolates, and the line and paragraph separators.
_LAYOUT_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")


def is_hidden(char: str) -> bool:
    """True for a character that must be shown escaped: a control character (C0, DEL, C1), a
    surrogate, a noncharacter (U+FFFE, U+FFFF, U+FDD0..U+FDEF and the like) or a layout
    control."""
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return True
    if code < 0xA0:
        return False
    return (
        0xD800 <= code <= 0xDFFF
        or (code & 0xFFFE) == 0xFFFE
        or 0xFDD0 <= code <= 0xFDEF
        or char in _LAYOUT_CONTROLS
    )


def printable(text: str, keep_newlines: bool = False) -> str:
    """``text`` with every hidden character written as its Python escape (``\\x1b``, ``\\n``,
    ``\\ud800``, ``\\ufffe``); newlines stay with ``keep_newlines`` (a drawing's line breaks)."""
    if text.isprintable() and text.isascii():
        return text
    return "".join(
        _escaped(char) if is_hidden(char) and not (keep_newlines and char == "\n") else char
        for char in text
    )


def shown_name(text: str, keep_newlines: bool = False) -> str:
    """A label or name as shown: :func:`printable`, then at most ``MAX_NAME_LENGTH``
    characters (the first ones and "…")."""
    text = printable(text, keep_newlines)
    if len(text) > MAX_NAME_LENGTH:
        return text[:MAX_NAME_LENGTH - 1] + "…"
    return text


def _escaped(char: str) -> str:
    code = ord(char)
    if char == "\n":
        return "\\n"
    if char == "\t":
        return "\\t"
    if char == "\r":
        return "\\r"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


__all__ = ["MAX_NAME_LENGTH", "is_hidden", "printable", "shown_name"]

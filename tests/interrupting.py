"""Ctrl-C at any moment: run a call with a KeyboardInterrupt injected at its k-th line.

``interrupt_at(k, call)`` counts the lines executed in chainrule's own packages (``autograd``,
``nn``) with ``sys.settrace`` and raises KeyboardInterrupt as the k-th one is about to run, as a
signal would. ``every_interruption(prepare, call)`` does it for k = 1, 2, ... until a run
completes untouched, yielding where each interrupt landed (``"function:line"``).
"""

from __future__ import annotations

import functools
import linecache
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import autograd
import nn

_PACKAGES = tuple(
    os.path.dirname(os.path.abspath(package.__file__)) + os.sep for package in (autograd, nn)
)


class _Interrupter:
    def __init__(self, k: int) -> None:
        self.remaining = k
        self.fired = False
        self.where = ""
        self.line = ""

    def trace_call(self, frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename.startswith(_PACKAGES):
            return self.trace_line
        return None

    def trace_line(self, frame: Any, event: str, arg: Any) -> Any:
        if event == "line" and not self.fired:
            self.remaining -= 1
            if self.remaining == 0:
                self.fired = True
                code = frame.f_code
                self.where = f"{code.co_name}:{frame.f_lineno - code.co_firstlineno}"
                self.line = linecache.getline(code.co_filename, frame.f_lineno).strip()
                raise KeyboardInterrupt(f"injected at {self.where}")
        return self.trace_line


def interrupt_at(k: int, call: Callable[[], Any]) -> str | None:
    """Run ``call`` with a KeyboardInterrupt at its k-th line; where it landed ("function:line",
    the line counted from the ``def``), or None if ``call`` finished before reaching line k."""
    interrupter = _Interrupter(k)
    sys.settrace(interrupter.trace_call)
    try:
        call()
    except KeyboardInterrupt:
        if not interrupter.fired:
            raise
        _release_what_only_a_tracer_keeps(interrupter)
        return interrupter.where
    finally:
        sys.settrace(None)
    if interrupter.fired:
        raise AssertionError(f"the KeyboardInterrupt injected at {interrupter.where} was swallowed")
    return None


def _release_what_only_a_tracer_keeps(interrupter: _Interrupter) -> None:
    """CPython 3.11 gives a trace function a 'line' event for a `with` statement's line on the
    way out, after the body and before ``__exit__``: a KeyboardInterrupt raised there skips
    ``__exit__``. A real Ctrl-C is never delivered there (signals are handled at calls and
    backward jumps, and the body's last call is inside the block), so a lock left held at such
    a line is the tracer's doing: released here, so that later tests do not wait for it (the
    pass lock, and the lock grad-mode switches count threads under). Held anywhere else, it is
    a bug the test reports."""
    lock = autograd.backward._one_pass_at_a_time
    while lock._is_owned():
        if not interrupter.line.startswith("with "):
            raise AssertionError(f"the pass lock was left held by Ctrl-C at {interrupter.where}")
        lock.release()
    counting = autograd.grad_mode.switched_threads._lock  # grad-mode switches count threads
    if counting.locked():
        if not interrupter.line.startswith("with "):
            raise AssertionError(f"a grad-mode lock was left held by Ctrl-C at {interrupter.where}")
        counting.release()


def every_interruption(
    prepare: Callable[[], Any], call: Callable[[Any], Any], limit: int = 20_000, every: int = 1
) -> Iterator[tuple[str, Any]]:
    """For k = 1, 2, ...: a fresh ``state = prepare()``, ``call(state)`` interrupted at line k;
    yields (where, state) for each run that was interrupted, stops at the first that was not.
    ``every=n`` tries every n-th line only, for calls that run thousands of lines."""
    for k in range(1, limit, every):
        state = prepare()
        where = interrupt_at(k, functools.partial(call, state))
        if where is None:
            return
        yield where, state
    raise AssertionError(f"still interrupted after {limit} lines: raise the limit")

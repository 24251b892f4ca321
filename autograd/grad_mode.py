"""Whether operations record a graph: on by default, off inside ``no_grad()``, per thread."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _GradMode(threading.local):
    enabled = True


grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True when operations on Values record the graph (the default)."""
    return grad_mode.enabled


class _GradModeSwitch:
    """Sets grad mode for a ``with`` block or for every call of a decorated function."""

    enabled: bool

    def __enter__(self) -> None:
        self._previous = grad_mode.enabled
        grad_mode.enabled = self.enabled

    def __exit__(self, *exc_info: object) -> None:
        grad_mode.enabled = self._previous

    def __call__(self, function: F) -> F:
        switch = type(self)

        @functools.wraps(function)
        def switched(*args: Any, **kwargs: Any) -> Any:
            with switch():
                return function(*args, **kwargs)

        return switched  # type: ignore[return-value]


class no_grad(_GradModeSwitch):  # noqa: N801 - PyTorch's name, so users need no manual
    """Context manager and decorator: operations inside produce leaves and record no graph.

    Thread-local, as in PyTorch: other threads keep recording.

        with no_grad():
            prediction = model(x)    # evaluation only, no graph kept
    """

    enabled = False


class enable_grad(_GradModeSwitch):  # noqa: N801
    """Context manager and decorator: record the graph again, e.g. inside ``no_grad()``."""

    enabled = True

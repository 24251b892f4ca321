"""Whether operations record a graph (off inside ``no_grad()``) and check it (inside
``detect_anomaly()``), per thread."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _AnomalyChecks:
    """Truthy stand-in for True in ``grad_mode.enabled``: record the graph, and check it."""

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "ANOMALY_CHECKS"


ANOMALY_CHECKS = _AnomalyChecks()


class _SwitchedThreads:
    """How many threads are out of the default mode (recording, no anomaly checks).

    Making a node reads ``grad_mode.enabled`` only while this is non-zero: reading a thread-local
    is the slowest step of making a node, and almost always every thread is in the default mode.
    The count errs only upwards: a thread is counted before it leaves the default and uncounted
    after it is back, so Ctrl-C in between leaves it too high, which costs the thread-local read,
    never a wrong mode (so does a thread that ends outside the default).
    """

    __slots__ = ("count", "_lock")

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.count += 1

    def remove(self) -> None:
        with self._lock:
            self.count -= 1


switched_threads = _SwitchedThreads()


class _GradMode(threading.local):
    recording = True
    anomaly = False
    # What node creation reads, one lookup per node: False, True or ANOMALY_CHECKS.
    enabled: Any = True

    def refresh(self) -> None:
        enabled = (ANOMALY_CHECKS if self.anomaly else True) if self.recording else False
        if self.enabled is True and enabled is not True:
            switched_threads.add()  # first: see _SwitchedThreads
            self.enabled = enabled
        elif self.enabled is not True and enabled is True:
            self.enabled = enabled
            switched_threads.remove()  # last: see _SwitchedThreads
        else:
            self.enabled = enabled


grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True when operations on Values record the graph (the default)."""
    return grad_mode.recording


def _set_flag(flag: str, value: bool, previous: bool) -> None:
    """Set a mode flag and what node creation reads; if Ctrl-C cuts this short, the flag is put
    back to ``previous`` (and what node creation reads with it) before it is passed on."""
    try:
        setattr(grad_mode, flag, value)
        grad_mode.refresh()
    except BaseException:
        setattr(grad_mode, flag, previous)
        grad_mode.refresh()
        raise


class _ModeSwitch:
    """Sets a mode flag for a ``with`` block, or for every call of a decorated function."""

    flag: str
    value: bool

    def __enter__(self) -> None:
        self._previous = getattr(grad_mode, self.flag)
        _set_flag(self.flag, self.value, self._previous)

    def __exit__(self, *exc_info: object) -> None:
        try:
            _set_flag(self.flag, self._previous, self._previous)
        except BaseException:  # Ctrl-C half way: finish restoring, then pass it on
            _set_flag(self.flag, self._previous, self._previous)
            raise

    def __call__(self, function: F) -> F:
        switch = type(self)

        @functools.wraps(function)
        def switched(*args: Any, **kwargs: Any) -> Any:
            with switch():
                return function(*args, **kwargs)

        return switched  # type: ignore[return-value]


class no_grad(_ModeSwitch):  # noqa: N801 - PyTorch's name, so users need no manual
    """Context manager and decorator: operations inside produce leaves and record no graph.

    Thread-local, as in PyTorch: other threads keep recording.

        with no_grad():
            prediction = model(x)    # evaluation only, no graph kept
    """

    flag, value = "recording", False


class enable_grad(_ModeSwitch):  # noqa: N801
    """Context manager and decorator: record the graph again, e.g. inside ``no_grad()``."""

    flag, value = "recording", True


class detect_anomaly(_ModeSwitch):  # noqa: N801
    """Context manager and decorator: stop at the first op whose value or gradient is nan/inf.

    The FloatingPointError names the op, its inputs, the node's label and the line of your code
    that created the node. Creation sites are recorded only in this mode, which is slower.

        with detect_anomaly():
            loss = model_loss()
            loss.backward()
    """

    flag, value = "anomaly", True


class inference_mode(_ModeSwitch):  # noqa: N801
    """PyTorch's faster ``no_grad``; here the same as ``no_grad()`` (``mode=False``: no change).

    Values made inside are ordinary leaves: unlike PyTorch's inference tensors, they may be
    used in a graph afterwards.
    """

    flag = "recording"

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def __enter__(self) -> None:
        self.value = False if self.mode else grad_mode.recording
        super().__enter__()

    def __call__(self, function: F) -> F:
        mode = self.mode

        @functools.wraps(function)
        def switched(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(mode):
                return function(*args, **kwargs)

        return switched  # type: ignore[return-value]


class set_grad_enabled(_ModeSwitch):  # noqa: N801
    """Turn graph recording on or off: at once when called, and back when its ``with`` ends.

        set_grad_enabled(False)          # from now on, in this thread
        with set_grad_enabled(training): # for the block only
            loss = model_loss()
    """

    flag = "recording"

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(mode) takes a bool, got {type(mode).__name__}")
        self.value = mode
        self._previous = grad_mode.recording
        _set_flag("recording", mode, self._previous)

    def __enter__(self) -> None:
        pass  # already switched by __init__; __exit__ restores what was before it

    def __call__(self, function: F) -> F:
        # Used as a decorator: the switch applies to each call, not from the decoration on.
        self.__exit__()
        mode = self.value

        @functools.wraps(function)
        def switched(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return function(*args, **kwargs)

        return switched  # type: ignore[return-value]

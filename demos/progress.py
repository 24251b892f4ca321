"""A one-line progress bar for training loops: steps done, loss, accuracy, elapsed time.

    with Progress(100, "training") as bar:
        for step in range(100):
            ...
            bar.update(step + 1, loss=loss.data, accuracy=accuracy)

On a terminal the line is redrawn in place (at most ten times a second). Anywhere else (a pipe,
a log file, a test) it prints a plain line at every tenth of the way instead, so logs stay short.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Shows how far a loop of `total` steps has got, on `stream` (default: standard error)."""

    def __init__(
        self,
        total: int,
        label: str,
        *,
        stream: TextIO | None = None,
        width: int = 24,
        min_interval: float = 0.1,
    ) -> None:
        if total < 1:
            raise ValueError(f"a progress bar needs at least one step; got {total}")
        self.total = total
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        self.min_interval = min_interval
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.perf_counter()
        self.done = 0
        self.loss: float | None = None
        self.accuracy: float | None = None
        self._last_drawn = -1.0
        self._drawn_length = 0
        self._last_tenth = -1
        self._open = True

    def update(
        self, done: int, *, loss: float | None = None, accuracy: float | None = None
    ) -> None:
        """Record that `done` steps are finished, with the latest loss and accuracy (0 to 1)."""
        self.done = min(done, self.total)
        if loss is not None:
            self.loss = loss
        if accuracy is not None:
            self.accuracy = accuracy
        if self.interactive:
            now = time.perf_counter()
            if self.done == self.total or now - self._last_drawn >= self.min_interval:
                self._last_drawn = now
                self._redraw()
        else:
            tenth = self.done * 10 // self.total
            if tenth > self._last_tenth:
                self._last_tenth = tenth
                self.stream.write(self.line() + "\n")
                self.stream.flush()

    def _redraw(self) -> None:
        text = self.line()
        # Blanks over the end of a longer previous line.
        self.stream.write("\r" + text.ljust(self._drawn_length))
        self.stream.flush()
        self._drawn_length = len(text)

    def line(self) -> str:
        """The bar as text, e.g. `training [######------]  40/100  loss 0.1234  acc 95.0%  1.2s`."""
        filled = self.width * self.done // self.total
        bar = "#" * filled + "-" * (self.width - filled)
        steps = f"{self.done:>{len(str(self.total))}}/{self.total}"
        parts = [f"{self.label} [{bar}] {steps}"]
        if self.loss is not None:
            parts.append(f"loss {self.loss:.4g}")
        if self.accuracy is not None:
            parts.append(f"acc {100 * self.accuracy:.1f}%")
        parts.append(f"{time.perf_counter() - self.started:.1f}s")
        return "  ".join(parts)

    def note(self, message: str) -> None:
        """Print `message` on standard output, above the bar rather than through it."""
        if self.interactive:
            self.stream.write("\r\x1b[2K")  # clear the bar's line
            self.stream.flush()
        print(message, flush=True)
        if self.interactive:
            self._drawn_length = 0
            self._redraw()

    def close(self) -> None:
        """End the bar's line (on a terminal)."""
        if self._open and self.interactive:
            self.stream.write("\n")
            self.stream.flush()
        self._open = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

"""Progress for the demos' long loops and silent phases, drawn by tqdm.

    with progress(100, "training") as bar:
        for step in range(100):
            ...
            bar.set_postfix(loss=f"{loss.data:.4g}", refresh=False)
            bar.update()

    with working("compiling the graph"):
        loss_step(X[:1], y[:1])

`tqdm.auto` picks the display: a widget in a notebook (where ipywidgets is installed), a bar
with rate and ETA on a terminal. `bar.write(message)` prints above the bar, not through it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm.auto import tqdm

REFRESH_SECONDS = 0.5  # how often a silent phase's elapsed time is redrawn


def progress(total: int, label: str) -> tqdm:
    """A bar for a loop of `total` steps, labelled `label`; use it as a context manager."""
    if total < 1:
        raise ValueError(f"a progress bar needs at least one step; got {total}")
    return tqdm(total=total, desc=label, unit="step", dynamic_ncols=True, mininterval=0.2)


@contextmanager
def working(label: str) -> Iterator[None]:
    """Show `label` and the time elapsed while a phase that reports nothing runs."""
    bar = tqdm(total=None, desc=label, bar_format="{desc}: {elapsed}", mininterval=0)
    done = threading.Event()

    def tick() -> None:
        while not done.wait(REFRESH_SECONDS):
            bar.refresh()

    ticker = threading.Thread(target=tick, name=f"progress: {label}", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()
        bar.close()

"""Matplotlib set-up for the demos: files only (the Agg backend), one look, one way to save."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DPI = 110
STYLE = {
    "figure.facecolor": "white",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titleweight": "bold",
    "font.size": 10,
}
# Colours of the two classes in binary plots, and of "good"/"bad" runs in comparisons.
BLUE = "#1f77b4"
RED = "#d62728"
GREEN = "#2ca02c"
GREY = "#7f7f7f"
ORANGE = "#ff7f0e"
PURPLE = "#9467bd"


def pyplot() -> Any:
    """matplotlib.pyplot, drawing to files only; says how to install matplotlib if it is missing."""
    try:
        import matplotlib
    except ImportError as error:
        raise SystemExit(
            "The demos draw their plots with matplotlib, which is not installed.\n"
            "Install the demos extra from the repository root:  pip install -e '.[demos]'\n"
            "(or run bash scripts/demo.sh, which does it for you)"
        ) from error
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(STYLE)
    return plt


def save(figure: Any, path: Path) -> Path:
    """Write `figure` to `path` (PNG at a fixed DPI, or by extension), close it, return the path."""
    figure.savefig(path, dpi=DPI, bbox_inches="tight")
    pyplot().close(figure)
    return path

"""Colouring values by gradient: sign by hue, magnitude by intensity on a log scale."""

from __future__ import annotations

import math
from collections.abc import Iterable

POSITIVE_RGB = (33, 102, 172)  # blue
NEGATIVE_RGB = (178, 24, 43)  # red
ZERO_FILL = "#ffffff"
NONFINITE_FILL = "#ffd700"  # nan and inf stand out in yellow whatever the scale
DARK_TEXT = "#1a1a1a"
LIGHT_TEXT = "#ffffff"

# The scale spans at most this many decades below the largest magnitude; anything smaller is
# drawn as faintly as the smallest, so one stray 1e-300 does not wash out the whole picture.
MAX_DECADES = 12.0
# Even the faintest non-zero gradient gets some colour, to tell it apart from an exact zero.
MIN_STRENGTH = 0.12


def _blend(rgb: tuple[int, int, int], strength: float) -> str:
    mixed = (round(255 + (c - 255) * strength) for c in rgb)
    return "#" + "".join(f"{c:02x}" for c in mixed)


class GradientColors:
    """A log-scale colour map for gradients, fitted to the magnitudes it is built from.

    `low`/`high` fix the scale (e.g. to compare drawings across training steps); by default it
    spans the smallest to the largest non-zero finite magnitude among `grads`.
    """

    def __init__(
        self,
        grads: Iterable[float],
        *,
        signed: bool = True,
        low: float | None = None,
        high: float | None = None,
    ) -> None:
        magnitudes = [abs(g) for g in grads if g != 0 and math.isfinite(g)]
        if low is None or high is None:
            if magnitudes:
                low = min(magnitudes) if low is None else low
                high = max(magnitudes) if high is None else high
            else:
                low, high = 1.0, 1.0
        if not (0 < low <= high and math.isfinite(high)):
            raise ValueError(
                f"the gradient colour range must satisfy 0 < low <= high < inf, "
                f"got low={low!r}, high={high!r}"
            )
        self.signed = signed
        self.log_high = math.log10(high)
        self.log_low = max(math.log10(low), self.log_high - MAX_DECADES)

    def strength(self, grad: float) -> float:
        """How intense the colour for `grad` is: 0 for zero, MIN_STRENGTH..1 otherwise."""
        if grad == 0:
            return 0.0
        span = self.log_high - self.log_low
        if span <= 0:
            return 1.0
        position = (math.log10(abs(grad)) - self.log_low) / span
        return MIN_STRENGTH + (1 - MIN_STRENGTH) * min(max(position, 0.0), 1.0)

    def fill(self, grad: float) -> str:
        """The fill colour (#rrggbb) for a node with this gradient."""
        if not math.isfinite(grad):
            return NONFINITE_FILL
        if grad == 0:
            return ZERO_FILL
        rgb = NEGATIVE_RGB if grad < 0 and self.signed else POSITIVE_RGB
        return _blend(rgb, self.strength(grad))

    def font(self, grad: float) -> str:
        """A text colour readable on `fill(grad)`."""
        if not math.isfinite(grad):
            return DARK_TEXT
        return LIGHT_TEXT if self.strength(grad) > 0.55 else DARK_TEXT

    def legend(self, title: str, *, show_nonfinite: bool = False) -> str:
        """An HTML-like Graphviz label showing the scale: swatches from -max to +max."""
        high, low = 10**self.log_high, 10**self.log_low
        middle = 10 ** ((self.log_high + self.log_low) / 2)
        steps = [low, middle, high] if high != low else [high]
        swatches = ([-s for s in reversed(steps)] if self.signed else []) + [0.0] + steps
        if show_nonfinite:
            swatches.append(math.nan)
        cells = []
        for value in swatches:
            if math.isnan(value):
                text = "nan/inf"
            else:
                text = f"{value:+.2g}" if self.signed and value != 0 else f"{value:.2g}"
            cells.append(
                f'<TD BGCOLOR="{self.fill(value)}" WIDTH="44"><FONT COLOR="{self.font(value)}">'
                f"{_html(text)}</FONT></TD>"
            )
        return (
            '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" COLOR="#999999">'
            f'<TR><TD COLSPAN="{len(cells)}" BORDER="0">{_html(title)}</TD></TR>'
            f"<TR>{''.join(cells)}</TR></TABLE>>"
        )


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


"""The gradient colour scale: log magnitude to intensity, sign to hue, its range and legend."""

from __future__ import annotations

import math

import pytest

from autograd.draw.colors import MAX_DECADES, NONFINITE_FILL, ZERO_FILL, GradientColors


def test_strength_is_linear_in_the_log_of_the_magnitude():
    colors = GradientColors([1e-4, 1.0, 1e4])
    assert colors.strength(1e-4) == pytest.approx(colors.strength(-1e-4))
    low, middle, high = (colors.strength(g) for g in (1e-4, 1.0, 1e4))
    assert high == 1.0
    assert middle - low == pytest.approx(high - middle)
    assert colors.strength(0.0) == 0.0 < low


def test_the_scale_spans_at_most_max_decades():
    colors = GradientColors([1e-300, 1.0])
    assert colors.log_high - colors.log_low == MAX_DECADES
    assert colors.strength(1e-300) == colors.strength(10.0 ** -MAX_DECADES)


def test_special_values_have_fixed_colours():
    colors = GradientColors([1.0, math.nan, math.inf])
    assert colors.fill(0.0) == ZERO_FILL
    assert colors.fill(math.nan) == colors.fill(-math.inf) == NONFINITE_FILL


def test_unsigned_scales_ignore_the_sign():
    colors = GradientColors([0.5, 2.0], signed=False)
    assert colors.fill(-2.0) == colors.fill(2.0)
    assert "-" not in colors.legend("norm")


def test_a_graph_without_nonzero_gradients_still_gets_a_scale():
    colors = GradientColors([0.0, 0.0])
    assert colors.fill(0.0) == ZERO_FILL
    assert colors.fill(1.0).startswith("#")


@pytest.mark.parametrize(("low", "high"), [(0.0, 1.0), (2.0, 1.0), (1.0, math.inf), (-1.0, 1.0)])
def test_a_bad_fixed_range_is_rejected(low, high):
    with pytest.raises(ValueError, match="0 < low <= high"):
        GradientColors([1.0], low=low, high=high)


def test_text_stays_readable_on_dark_fills():
    colors = GradientColors([0.01, 100.0])
    assert colors.font(100.0) == "#ffffff"
    assert colors.font(0.01) == "#1a1a1a"

"""The uint8 hue error documented in docs/pixel.md, against an independent float64 HSV reference:
bounded per brightness band and growing with chroma (bright saturated pixels carry the largest error)."""

from __future__ import annotations

import numpy as np
import pytest

from invariant.ops.color import hue_shift, shift_hsv

SHIFTS = (0.1, 0.25, -0.37, 0.5)  # turns
DOC_MAX = {(0, 64): 3, (64, 128): 6, (128, 192): 9, (192, 256): 12}  # docs/pixel.md's table


def _reference(img: np.ndarray, turns: float) -> np.ndarray:
    """Hue rotation in float64 HSV (Smith 1978 hexcone), rounded to uint8 levels."""
    x = img.astype(np.float64) / 255.0
    mx, mn = x.max(-1), x.min(-1)
    d = mx - mn
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        h = np.where(mx == r, ((g - b) / d) % 6, np.where(mx == g, (b - r) / d + 2, (r - g) / d + 4))
    h = (np.where(d == 0, 0.0, h) / 6.0 + turns) % 1.0
    s = np.where(mx == 0, 0.0, d / np.where(mx == 0, 1.0, mx))
    i, f = np.floor(h * 6) % 6, h * 6 - np.floor(h * 6)
    p, q, t = mx * (1 - s), mx * (1 - s * f), mx * (1 - s * (1 - f))
    sector = [i == k for k in range(6)]
    rgb = np.stack([np.select(sector, [mx, q, p, p, t, mx]), np.select(sector, [t, mx, mx, q, p, p]), np.select(sector, [p, p, t, mx, mx, q])], -1)
    return np.clip(np.rint(rgb * 255.0), 0, 255)


@pytest.fixture(scope="module")
def colours() -> np.ndarray:
    """Every third uint8 level per channel (86^3 colours, extremes included), as an HWC image."""
    lv = np.unique(np.r_[np.arange(0, 256, 3), 255]).astype(np.uint8)
    rgb = np.stack(np.meshgrid(lv, lv, lv, indexing="ij"), -1)
    return np.ascontiguousarray(rgb.reshape(len(lv) ** 2, len(lv), 3))


@pytest.mark.parametrize("op", ["hue_shift", "shift_hsv"])
def test_uint8_hue_error_is_bounded_and_largest_on_bright_pixels(colours, op):
    v = colours.max(-1)
    chroma = v.astype(int) - colours.min(-1)
    worst_v = dict.fromkeys(DOC_MAX, 0)
    worst_c = {}
    for turns in SHIFTS:
        out = hue_shift(colours, turns) if op == "hue_shift" else shift_hsv(colours, turns * 360.0, 0.0, 0.0)
        err = np.abs(out.astype(np.float64) - _reference(colours, turns)).max(-1)
        for lo, hi in DOC_MAX:
            worst_v[(lo, hi)] = max(worst_v[(lo, hi)], int(err[(v >= lo) & (v < hi)].max()))
        for lo, hi in ((0, 32), (192, 256)):
            worst_c[(lo, hi)] = max(worst_c.get((lo, hi), 0), int(err[(chroma >= lo) & (chroma < hi)].max()))
    assert all(worst_v[k] <= DOC_MAX[k] for k in DOC_MAX), worst_v
    assert worst_v[(0, 64)] < worst_v[(128, 192)] < worst_v[(192, 256)]  # grows with brightness
    assert worst_c[(0, 32)] <= 2 < worst_c[(192, 256)]  # because it grows with chroma (V * S)

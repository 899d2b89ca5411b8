"""Planar table kernels (split, per-plane histogram / translation, merge) against independent references:
PIL's ImageOps.equalize per channel, and numpy fancy indexing for per-channel lookup tables."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image, ImageOps
from skimage import data

import invariant as iv
from invariant.ops import color as C


# the planar kernels need stringzilla (invariant[fast], in dev): CI installs it, so there a missing one fails
_NEEDS_STRINGZILLA = (
    pytest.mark.skipif(C._sz is None and os.environ.get("CI") != "true", reason="the planar kernels need stringzilla (invariant[fast])")
)


def test_stringzilla_is_present_in_ci() -> None:
    if os.environ.get("CI") == "true":
        assert C._sz is not None, "CI=true but stringzilla (the dev extra) is missing: the planar kernel tests would not run"


def _photos() -> list[np.ndarray]:
    return [data.astronaut(), data.coffee(), data.chelsea(), data.rocket()]


def _pil_equalize(image: np.ndarray) -> np.ndarray:
    """PIL equalizes each band of an RGB/RGBA image with its own histogram; other channel counts band by band."""
    return np.stack([np.asarray(ImageOps.equalize(Image.fromarray(image[:, :, i]))) for i in range(image.shape[2])], axis=2)


@_NEEDS_STRINGZILLA
@pytest.mark.parametrize("channels", [2, 3, 4])
def test_equalize_uint8_matches_pil_per_channel(channels: int) -> None:
    for photo in _photos():
        rgba = np.dstack([photo, photo[:, :, 0] // 2 + 40])  # 4th band: a narrower histogram
        image = np.ascontiguousarray(rgba[:, :, :channels])
        assert np.array_equal(C.equalize_uint8(image), _pil_equalize(image))


def test_equalize_uint8_flat_and_single_level_channels_match_pil() -> None:
    photo = data.astronaut()
    image = photo.copy()
    image[:, :, 1] = 77  # one level only: PIL leaves it unchanged (step 0)
    image[:, :, 2] = np.where(photo[:, :, 2] > 128, 255, 3)  # two levels
    assert np.array_equal(C.equalize_uint8(image), _pil_equalize(image))
    crop = np.ascontiguousarray(photo[:10, :20])  # 200 pixels: step (N - last bin) // 255 is 0: identity
    assert np.array_equal(C.equalize_uint8(crop), _pil_equalize(crop))


def test_equalize_rows_uint8_equals_the_general_table() -> None:
    for photo in _photos():
        hist = C.ImageStats(photo).hist()
        expected = C.equalize_table(hist, 255).astype(np.uint8)
        assert np.array_equal(C.equalize_rows_uint8(np.ascontiguousarray(hist.T)).T, expected)


@pytest.mark.parametrize("total", [200, 1000, 65536, 2**18 - 1, 2**18, 2**22 + 12345, 2**23 - 1])
def test_equalize_uint8_tables_equal_the_general_table_up_to_2_23_pixels(total: int) -> None:
    # equalize_uint8's tables: float32 rounding below 2**18 pixels, float32 floors up to 2**23, both exact;
    # skewed histograms (Dirichlet weights) put many quotients near the rounding margins
    rng = np.random.default_rng(total)
    for _ in range(60):
        counts = np.zeros((3, 256), np.int64)
        for row in counts:
            levels = rng.choice(256, size=int(rng.integers(2, min(257, total))), replace=False)
            weights = rng.dirichlet(np.full(len(levels), rng.choice([0.1, 1.0, 10.0])))
            row[levels] = rng.multinomial(total - len(levels), weights) + 1
        buf = np.zeros((3, 257), np.float32)
        buf[:, 1:] = counts
        tables = C._equalize_tables_inplace(buf, total)
        expected = C.equalize_table(counts.T.astype(np.float64), 255).T.astype(np.uint8)
        if tables is None:  # a channel with step 0: the caller takes the general path
            assert any((total - row[np.flatnonzero(row)[-1]]) // 255 == 0 for row in counts)
        else:
            assert np.array_equal(np.stack([t.reshape(-1) for t in tables]), expected)


@_NEEDS_STRINGZILLA
@pytest.mark.parametrize("channels", [2, 3, 4])
def test_per_channel_tables_match_numpy_indexing(channels: int) -> None:
    rng = np.random.default_rng(0)
    image = np.ascontiguousarray(np.dstack([data.astronaut(), data.astronaut()[:, :, :1]])[:, :, :channels])
    table = rng.integers(0, 256, (256, channels)).astype(np.uint8)
    expected = np.stack([table[:, i][image[:, :, i]] for i in range(channels)], axis=2)
    assert np.array_equal(C.apply_table(image, table), expected)
    strided = image[::2, ::3]  # a non-contiguous view goes through the same kernel
    assert np.array_equal(C.apply_table(strided, table), expected[::2, ::3])


def test_equalize_pipeline_and_lut_run_agree_with_pil() -> None:
    photo = data.coffee()
    single = iv.Compose([iv.Equalize(p=1)], seed=0)(image=photo)["image"]
    fused = iv.Compose([iv.Invert(p=1), iv.Equalize(p=1)], seed=0)(image=photo)["image"]  # one table run
    assert np.array_equal(single, _pil_equalize(photo))
    assert np.array_equal(fused, _pil_equalize(255 - photo))


def test_hue_saturation_value_matches_opencv_hsv_by_hand() -> None:
    photo = data.chelsea()
    params = {"hue": 33.0, "sat": -0.1, "val": 0.07}
    hsv = C.cv2.cvtColor(photo, C.cv2.COLOR_RGB2HSV_FULL).astype(np.int64)
    hsv[:, :, 0] = np.mod(np.rint(hsv[:, :, 0] + 33.0 * 256.0 / 360.0), 256)
    hsv[:, :, 1] = np.clip(np.rint(hsv[:, :, 1] - 0.1 * 255.0), 0, 255)
    hsv[:, :, 2] = np.clip(np.rint(hsv[:, :, 2] + 0.07 * 255.0), 0, 255)
    expected = C.cv2.cvtColor(hsv.astype(np.uint8), C.cv2.COLOR_HSV2RGB_FULL)
    assert np.array_equal(iv.HueSaturationValue(p=1).apply_image(photo, params), expected)


@pytest.mark.parametrize("levels", [(20.0, -20.0, 5.0), (255.0, -255.0, 0.0), (-3.0, 0.0, 128.0)])
def test_channel_shift_uint8_saturates_like_integer_arithmetic(levels: tuple[float, float, float]) -> None:
    photo = data.astronaut()
    expected = np.clip(photo.astype(np.int16) + np.array(levels, np.int16), 0, 255).astype(np.uint8)
    assert np.array_equal(C.channel_shift(photo, np.array(levels)), expected)
    assert np.array_equal(C.channel_shift(photo, np.array(levels)), C.cv2.add(photo, levels + (0.0,)))  # OpenCV's saturating add
    shifted = iv.RGBShift(p=1).apply_image(photo, {"shift": [v / 255 for v in levels]})
    assert np.array_equal(shifted, expected)

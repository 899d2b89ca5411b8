"""The fast paths of RandomBrightnessContrast against independent references: its uint8 table against the
plain numpy formula, and the contrast pivot (gray mean) against a histogram of the image (the path the
fused lookup-table runs use, so fused and op-by-op stay bit-identical) and against cv2.mean."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

import invariant as iv
from invariant.ops import color as C
from invariant.ops.color import ImageStats


def _photos() -> list[np.ndarray]:
    rgb = [data.astronaut(), data.coffee(), data.chelsea()]
    gray = [data.camera()[:, :, None], cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2GRAY)[:, :, None]]
    odd = [data.astronaut()[3:250:3, 5:301:2], data.camera()[1::2, ::3, None]]  # strided views, odd sizes
    return rgb + gray + odd


def test_linear_table_matches_numpy_formula() -> None:
    rng = np.random.default_rng(0)
    x = np.arange(256, dtype=np.float64)
    cases = [(1.0, 0.5), (1.0, -0.5), (0.5, 0.25), (2.0, -255.5), (0.0, 127.5), (1.25, 300.0)]
    cases += [(float(a), float(s)) for a, s in zip(rng.uniform(0.0, 2.0, 3000), rng.uniform(-300, 300, 3000))]
    cases += [(round(float(a) * 8) / 8, round(float(s) * 2) / 2) for a, s in zip(rng.uniform(0, 2, 500), rng.uniform(-50, 50, 500))]  # exact ties
    # every clipping case of the bounds linear_table applies: in range, only above, only below, both; falling
    # tables (negative scale); ends landing exactly on 0 and 255
    cases += [(float(a), float(s)) for a, s in zip(rng.uniform(0.3, 1.0, 1000), rng.uniform(0.0, 60.0, 1000))]
    cases += [(float(a), float(s)) for a, s in zip(rng.uniform(-2.0, 0.0, 1000), rng.uniform(-100, 400, 1000))]
    cases += [(1.0, 0.0), (-1.0, 255.0), (255.0 / 256.0, 0.0), (1.0, -0.0), (-0.0, 255.0), (0.0, -0.0), (-1.0, 255.25), (1.0, 0.49999999999999994)]
    for a, s in cases:
        ref = np.clip(np.rint(x * a + s), 0, 255).astype(np.uint8)  # round half to even, then saturate
        table = C.linear_table(a, s)
        assert table.shape == (256, 1) and table.dtype == np.uint8
        np.testing.assert_array_equal(table[:, 0], ref, err_msg=f"scale={a} shift={s}")


def _hist(image: np.ndarray) -> np.ndarray:
    return np.stack([np.bincount(image[:, :, c].ravel(), minlength=256) for c in range(image.shape[2])], axis=1).astype(np.float64)


@pytest.mark.parametrize("index", range(7))
def test_pivot_equals_the_histogram_pivot_bit_for_bit(index: int) -> None:
    image = _photos()[index]
    fast = ImageStats(image).shared_pivot()
    from_hist = ImageStats.from_hist(_hist(image)).shared_pivot()
    assert isinstance(fast, float) and fast == from_hist
    # and the value is the gray mean (cv2.mean per channel, ITU-R 601-2 weights), up to float rounding
    means = cv2.mean(image)[: image.shape[2]]
    expected = means[0] if image.shape[2] == 1 else 0.299 * means[0] + 0.587 * means[1] + 0.114 * means[2]
    assert abs(fast - expected) < 1e-9
    # the per-channel form used by the float curves holds the same number in every channel
    np.testing.assert_array_equal(ImageStats(image).contrast_pivot(), np.full(image.shape[2], from_hist))


def test_brightness_contrast_uint8_matches_the_formula_on_photos() -> None:
    t = iv.RandomBrightnessContrast(0.3, 0.3, p=1)
    for image in _photos():
        image = np.ascontiguousarray(image)
        params = {"alpha": 1.27, "beta": -0.08}
        means = cv2.mean(image)[: image.shape[2]]
        pivot = means[0] if image.shape[2] == 1 else 0.299 * means[0] + 0.587 * means[1] + 0.114 * means[2]
        ref = np.clip(np.rint(image * 1.27 + ((1 - 1.27) * pivot - 0.08 * 255)), 0, 255)
        out = t.apply_image(image, params)
        assert out.shape == image.shape and out.dtype == np.uint8
        assert np.abs(out.astype(float) - ref).max() <= 1  # the pivot is exact to ~1e-12: ties may round apart


def test_sampling_is_two_uniform_draws_in_order() -> None:
    t = iv.RandomBrightnessContrast((-0.1, 0.3), (-0.2, 0.05), p=1)
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    for _ in range(200):
        params = t.sample_params(a, None)
        assert params == {"alpha": 1.0 + float(b.uniform(-0.2, 0.05)), "beta": float(b.uniform(-0.1, 0.3))}
        assert type(params["alpha"]) is float and type(params["beta"]) is float

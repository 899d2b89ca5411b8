"""Fast paths of pixel kernels against independent references, bit for bit: Downscale's nearest enlargement
(cv2.resize INTER_NEAREST_EXACT), the 5x5 uint8 median on side-by-side planes (cv2.medianBlur per image or
per channel), per-channel fills (numpy broadcasting), single-value hole fills (cv2.rectangle), MaskDropout's
label histogram (np.unique) and mask fill (boolean assignment), XYMasking's skipped draws (the generator's
own stream), and Perspective's homography (cv2.getPerspectiveTransform)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import invariant as iv
from invariant.data import load_photo
from invariant.ops import blur_noise as B
from invariant.ops import degrade as D
from invariant.ops import dropout as DO
from invariant.ops import dropout_extra as X
from invariant.transforms.dropout_extra import _draw
from invariant.transforms.geometric import _homography


def _random_image(rng: np.random.Generator, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    if dtype == np.float32:
        return rng.random(shape, dtype=np.float32)
    return rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_nearest_enlargement_equals_opencv(dtype: type, channels: int) -> None:
    rng = np.random.default_rng(channels)
    for _ in range(40):
        h, w = (int(v) for v in rng.integers(1, 300, size=2))
        sh, sw = int(rng.integers(1, h + 1)), int(rng.integers(1, w + 1))
        small = _random_image(rng, (sh, sw, channels), dtype)
        expected = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST_EXACT).reshape(h, w, channels)
        out = D._nearest_up(small, h, w)
        assert out.dtype == dtype and out.flags.c_contiguous
        assert np.array_equal(out, expected), (h, w, sh, sw)


def test_downscale_nearest_equals_two_opencv_resizes() -> None:
    img = load_photo("astronaut")[:201, :173]
    for scale in (0.1, 0.25, 0.33, 0.5, 0.77):
        sh, sw = D.downscaled_shape(img.shape[:2], scale)
        small = cv2.resize(img, (sw, sh), interpolation=cv2.INTER_NEAREST_EXACT)
        expected = cv2.resize(small, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_NEAREST_EXACT)
        assert np.array_equal(D.downscale(img, scale), expected)


@pytest.mark.parametrize("channels", [2, 3, 4, 5])
def test_median5_side_by_side_equals_opencv(channels: int) -> None:
    rng = np.random.default_rng(channels)
    for h, w in [(1, 1), (2, 7), (5, 5), (37, 64), (128, 96)]:
        img = _random_image(rng, (h, w, channels), np.uint8)
        expected = np.stack([cv2.medianBlur(np.ascontiguousarray(img[:, :, i]), 5) for i in range(channels)], axis=2)
        out = B.median_blur(img, 5)
        assert out.shape == img.shape and out.dtype == np.uint8
        assert np.array_equal(out, expected), (h, w)
    photo = load_photo("astronaut")[::2, ::3]  # strided input
    assert np.array_equal(B.median_blur(photo, 5), cv2.medianBlur(np.ascontiguousarray(photo), 5))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.int64])
def test_filled_equals_numpy_broadcast(dtype: type) -> None:
    for value in ([7], [1, 2, 3], [5, 5, 5], [0, 1]):
        c = len(value) if len(value) > 1 else 3
        expected = np.empty((9, 11, c), dtype)
        expected[...] = np.asarray(value, dtype)
        out = X.filled((9, 11, c), np.dtype(dtype), np.asarray(value, dtype))
        assert out.flags.c_contiguous and np.array_equal(out, expected)
    nan = X.filled((4, 5, 2), np.dtype(np.float32), np.array([np.nan, 1.0], np.float32))
    assert np.isnan(nan[..., 0]).all() and (nan[..., 1] == 1).all()


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.int64])
def test_single_value_hole_fill_equals_rectangle_fill(dtype: type) -> None:
    rng = np.random.default_rng(3)
    img = _random_image(rng, (40, 50, 3), dtype)
    holes = [[-5, -3, 10, 12], [45, 30, 60, 45], [20, 0, 30, 40], [0, 10, 50, 15], [7, 7, 7, 20], [30, 35, 20, 39]]
    fill = np.full(3, 9, dtype)
    expected = img.copy()
    for x0, y0, x1, y1 in holes:  # reference: clip to the image, then fill
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(50, x1), min(40, y1)
        if x1 > x0 and y1 > y0:
            expected[y0:y1, x0:x1] = 9
    assert np.array_equal(DO.fill_holes(img, holes, fill), expected)
    if dtype != np.int64:  # the OpenCV rectangles the fast path replaces
        rect = img.copy()
        for x0, y0, x1, y1 in holes:
            if x1 > x0 and y1 > y0:
                cv2.rectangle(rect, (x0, y0), (x1 - 1, y1 - 1), [9.0] * 3, thickness=-1)
        assert np.array_equal(DO.fill_holes(img, holes, fill), rect)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.int64])
def test_label_values_equal_unique(dtype: type) -> None:
    rng = np.random.default_rng(1)
    labels = np.zeros((60, 70), dtype)
    for value in (1, 4, 200, 255):
        y, x = rng.integers(0, 50, size=2)
        labels[y : y + 10, x : x + 10] = value
    assert np.array_equal(X.label_values(labels), np.unique(labels))
    assert np.array_equal(X.label_values(labels[::2, 1::3]), np.unique(labels[::2, 1::3]))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.int64])
def test_mask_dropout_mask_fill_equals_boolean_assignment(dtype: type) -> None:
    img = load_photo("astronaut")[:120, :100]
    mask = np.zeros((120, 100), dtype)
    mask[10:60, 10:50], mask[50:110, 40:90] = 1, 2
    t = iv.MaskDropout(max_objects=(1, 1), fill=(10, 20, 30), fill_mask=7, p=1)
    out = iv.Compose([t], seed=4)(image=img, mask=mask)
    dropped = np.isin(mask, [v for v in (1, 2) if not (out["mask"] == v).any()])
    assert dropped.any()
    expected_mask = mask.copy()
    expected_mask[dropped] = 7
    expected_image = img.copy()
    expected_image[dropped] = (10, 20, 30)
    assert out["mask"].dtype == dtype and np.array_equal(out["mask"].reshape(mask.shape), expected_mask)
    assert np.array_equal(out["image"], expected_image)


def test_skipped_draws_leave_the_generator_stream_unchanged() -> None:
    for seed in range(50):
        a, b = np.random.default_rng(seed), np.random.default_rng(seed)
        got = [_draw(a, 3, 3), _draw(a, 0, 9), _draw(a, 10, 10), _draw(a, 2, 5), a.random()]
        want = [int(b.integers(3, 4)), int(b.integers(0, 10)), int(b.integers(10, 11)), int(b.integers(2, 6)), b.random()]
        assert got == want


def test_homography_matches_opencv() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        w, h = (int(v) for v in rng.integers(2, 1000, size=2))
        src = rng.uniform(0, 0.3, (4, 2)) * (w, h) + np.array([[0, 0], [0.7 * w, 0], [0.7 * w, 0.7 * h], [0, 0.7 * h]])
        dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
        expected = cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32))
        np.testing.assert_allclose(_homography(src, dst), expected / expected[2, 2], rtol=1e-4, atol=1e-4 * max(w, h))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_zoom_blur_equals_mean_of_resized_contiguous_crops(dtype: type) -> None:
    """ImageNet-C's zoom blur written out: contiguous centre crops, each resized by OpenCV (the zoom by 1
    included), averaged in float32 and rounded once."""
    import math

    from invariant.ops import optics as O
    from invariant.ops.color import to_dtype

    img = load_photo("astronaut")[:97, :131]
    img = img if dtype == np.uint8 else (img.astype(np.float32) / 255 if dtype == np.float32 else img.astype(np.uint16) * 257)
    x = img.astype(np.float32)
    factors = [float(f) for f in np.arange(1.0, 1.21, 0.03)]
    acc = x.copy()
    h, w = x.shape[:2]
    for f in factors:
        ch, cw = math.ceil(h / f), math.ceil(w / f)
        top, left = (h - ch) // 2, (w - cw) // 2
        big = cv2.resize(np.ascontiguousarray(x[top : top + ch, left : left + cw]), (int(cw * f), int(ch * f)), interpolation=cv2.INTER_LINEAR)
        t, l_ = (big.shape[0] - h) // 2, (big.shape[1] - w) // 2
        z = big[t : t + h, l_ : l_ + w]
        acc += np.pad(z, ((0, h - z.shape[0]), (0, w - z.shape[1]), (0, 0)), mode="edge")
    acc *= np.float32(1.0 / (len(factors) + 1))
    assert np.array_equal(O.zoom_blur(img, factors), to_dtype(acc, np.dtype(dtype)))

"""Kernels of ops/weather.py and ops/dropout_extra.py on their own: algebraic identities, published
tables, numpy formulas written here, degenerate parameters that must be the identity."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from invariant.ops import dropout_extra as X
from invariant.ops import weather as W

from ..conftest import photo

RGB = photo("uint8", 3, size=(96, 128))


def test_tone_curve_is_monotone_with_fixed_ends_for_every_control_pair() -> None:
    x = np.linspace(0, 1, 2001)
    for low in np.linspace(0, 1, 21):
        for high in np.linspace(0, 1, 21):
            y = W.tone_curve(x, low, high)
            assert y[0] == 0 and abs(y[-1] - 1) < 1e-12
            assert (np.diff(y) >= -1e-12).all(), (low, high)
    # identity controls (1/3, 2/3) give y = x (a Bezier with evenly spaced ordinates is linear)
    np.testing.assert_allclose(W.tone_curve(x, 1 / 3, 2 / 3), x, atol=1e-12)


def test_planckian_gains_at_table_nodes_and_clamping() -> None:
    for mode, table in W.PLANCKIAN_RGB.items():
        for t, (r, g, b) in table.items():
            assert W.planckian_gains(t, mode) == pytest.approx((r / g, 1.0, b / g), rel=1e-12)
        lo, hi = min(table), max(table)
        assert W.planckian_gains(lo - 1000, mode) == W.planckian_gains(lo, mode)
        assert W.planckian_gains(hi + 1000, mode) == W.planckian_gains(hi, mode)
    # midway between nodes: the mean of the two chromaticities
    r = (np.array(W.PLANCKIAN_RGB["blackbody"][5000]) + np.array(W.PLANCKIAN_RGB["blackbody"][5500])) / 2
    assert W.planckian_gains(5250, "blackbody") == pytest.approx((r[0] / r[1], 1.0, r[2] / r[1]), rel=1e-12)


def test_grid_holes_match_modular_formula() -> None:
    h, w = 50, 71
    for unit, hole, shift in [((10, 10), (5, 5), (0, 0)), ((12, 9), (4, 3), (5, 2)), ((7, 7), (7, 2), (0, 5))]:
        region = np.zeros((h, w), bool)
        for x0, y0, x1, y1 in X.grid_holes(h, w, unit, hole, shift):
            region[y0:y1, x0:x1] = True
        yy, xx = np.mgrid[:h, :w]
        rx, ry = (xx % unit[0]) - shift[0], (yy % unit[1]) - shift[1]
        expected = (rx >= 0) & (rx < hole[0]) & (ry >= 0) & (ry < hole[1])
        np.testing.assert_array_equal(region, expected)


def test_stripes_span_the_image() -> None:
    holes = X.stripe_holes(40, 60, [(5, 3), (58, 10)], [(0, 2), (39, 5)])
    assert holes == [[5, 0, 8, 40], [58, 0, 60, 40], [0, 0, 60, 2], [0, 39, 60, 40]]


def test_runs_round_trip_on_a_real_region_and_coverage_by_brute_force() -> None:
    gray = cv2.cvtColor(RGB, cv2.COLOR_RGB2GRAY)
    region = gray > 120
    runs = X.encode_runs(region)
    np.testing.assert_array_equal(X.decode_runs(runs, region.shape), region)
    assert sum(runs[1::2]) == int(region.sum())
    boxes = np.array([[0, 0, 128, 96], [10.2, 5.7, 40.4, 60.1], [100, 80, 128, 96], [3, 3, 3, 10]])
    expected = []
    for x0, y0, x1, y1 in np.rint(boxes).astype(int):
        cell = region[y0:y1, x0:x1]
        expected.append(cell.mean() if cell.size else 0.0)
    np.testing.assert_allclose(X.covered_by_region(boxes, region), expected)


def test_pixel_and_channel_drop_kernels() -> None:
    drop = X.pixel_dropout_mask((96, 128, 3), 0.25, True, 5)
    np.testing.assert_array_equal(drop, X.pixel_dropout_mask((96, 128, 3), 0.25, True, 5))
    out = X.drop_pixels(RGB, drop, np.array([1, 2, 3], np.uint8))
    for c in range(3):
        np.testing.assert_array_equal(out[..., c][drop[..., c]], c + 1)
        np.testing.assert_array_equal(out[..., c][~drop[..., c]], RGB[..., c][~drop[..., c]])
    out = X.drop_channels(RGB, [0, 2], 9)
    assert (out[..., [0, 2]] == 9).all() and np.array_equal(out[..., 1], RGB[..., 1])


def test_identity_parameters() -> None:
    np.testing.assert_array_equal(W.rain(RGB, np.zeros((0, 2)), 0, 10, 1, (200, 200, 200), 7, 1.0), RGB)
    np.testing.assert_array_equal(W.shadow(RGB, [np.array([[0, 0], [127, 0], [127, 95], [0, 95]])], [0.0]), RGB)
    np.testing.assert_array_equal(W.sun_flare(RGB, (10, 10), 5, (255, 255, 255), []), RGB)
    np.testing.assert_array_equal(W.channel_gains(RGB, (1.0, 1.0, 1.0)), RGB)
    np.testing.assert_array_equal(W.pca_lighting(RGB, np.zeros(3)), RGB)
    np.testing.assert_array_equal(W.apply_gain(RGB, np.ones(RGB.shape[:2], np.float32)), RGB)


def test_full_shadow_blackens_exactly_the_polygon() -> None:
    poly = np.array([[10, 10], [80, 20], [60, 90], [5, 70]])
    out = W.shadow(RGB, [poly], [1.0])
    inside = np.zeros(RGB.shape[:2], np.uint8)
    cv2.fillPoly(inside, [poly.astype(np.int32)], 1)
    assert (out[inside == 1] == 0).all()
    np.testing.assert_array_equal(out[inside == 0], RGB[inside == 0])


def test_pca_lighting_given_eigen_adds_their_combination() -> None:
    image = RGB.astype(np.float32) / 255
    vals, vecs = W.IMAGENET_EIGVAL, W.IMAGENET_EIGVEC
    alphas = np.array([0.05, -0.1, 0.2])
    out = W.pca_lighting(image, alphas, vals, vecs)
    shift = sum(alphas[k] * vals[k] * vecs[:, k] for k in range(3))
    inside = ((image + shift) > 0).all(axis=2) & ((image + shift) < 1).all(axis=2)
    np.testing.assert_allclose((out - image)[inside], np.broadcast_to(shift, ((int(inside.sum())), 3)), atol=1e-6)
    # the image's own eigen-decomposition diagonalises its covariance
    vals, vecs = W.image_pca(image)
    cov = np.cov(image.reshape(-1, 3).astype(np.float64), rowvar=False)
    np.testing.assert_allclose(vecs.T @ cov @ vecs, np.diag(vals), atol=1e-10)
    assert (np.diff(vals) <= 0).all()


@pytest.mark.parametrize("channels", [1, 2, 3, 4, 5])
def test_rain_darkening_rounds_the_product_like_opencv_multiply(channels: int) -> None:
    # the darkening is out = round_half_even(x * b) saturated: OpenCV's multiply by a scalar on uint8 (what
    # albumentations calls) and numpy's rint of the float64 product, whatever the channel count and shape
    image = np.ascontiguousarray(np.dstack([RGB, RGB])[:37, :53, :channels])
    for b in (0.5, 0.7, 0.73, 0.999, 0.0):  # 0.5 hits exact ties on every odd level
        out = W.rain(image, np.zeros((0, 2)), 0, 10, 1, (200, 200, 200), 7, b)
        assert out.shape == image.shape and out.dtype == np.uint8
        np.testing.assert_array_equal(out, np.clip(np.rint(image.astype(np.float64) * b), 0, 255).astype(np.uint8))
        if channels <= 4:
            np.testing.assert_array_equal(out, cv2.multiply(image, b, dtype=cv2.CV_8U).reshape(image.shape))


@pytest.mark.parametrize("channels", [1, 2, 4])
def test_rain_layer_on_any_channel_count_adds_the_blurred_segments(channels: int) -> None:
    # numpy reference: the segments drawn once on a plane in each channel's colour value, box-blurred,
    # added with saturation; a channel count without its own colour takes the colour's mean
    image = np.ascontiguousarray(np.dstack([RGB, RGB])[:, :, :channels])
    drops = np.array([[10.0, 5.0], [60.0, 20.0], [100.0, 40.0]])
    color = (40, 120, 250, 90)[:channels] if channels in (1, 4) else (40, 120, 250)
    out = W.rain(image, drops, 3.0, 12, 1, color, 5, 1.0)
    values = [float(v) for v in color] if len(color) == channels else [float(np.mean(color))] * channels
    for ch, value in enumerate(values):
        plane = np.zeros(image.shape[:2], np.uint8)
        for x, y in drops:
            cv2.line(plane, (int(x), int(y)), (int(x + 3), int(y + 12)), value, 1, lineType=cv2.LINE_4)
        layer = cv2.blur(plane, (5, 5)).astype(np.int32)
        np.testing.assert_array_equal(out[:, :, ch], np.minimum(image[:, :, ch].astype(np.int32) + layer, 255))


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_pca_of_one_pixel_has_no_spread(dtype) -> None:
    """A 1x1 image: np.cov's n - 1 denominator is 0 (NaN covariance: LinAlgError for uint8, NaN pixels for
    float32 before). One pixel has no spread: zero eigenvalues, and the per-image lighting adds nothing."""
    image = np.array([[[200, 30, 90]]], dtype=np.uint8)
    image = image if dtype == np.uint8 else (image / 255).astype(np.float32)
    vals, vecs = W.image_pca(image)
    np.testing.assert_array_equal(vals, np.zeros(3))  # the population covariance (np.cov(bias=True)) of one pixel
    np.testing.assert_allclose(vecs.T @ vecs, np.eye(3), atol=1e-12)
    np.testing.assert_array_equal(W.pca_lighting(image, np.array([0.5, -0.3, 0.2])), image)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_gain_on_more_channels_than_opencv_holds(dtype) -> None:
    """A 200-band cube (past OpenCV 5's 128-channel limit: cv2.merge raised) gets, band by band, what a
    one-band image gets through OpenCV's multiply."""
    from invariant.ops.color import max_value

    rng = np.random.default_rng(0)
    cube = (rng.random((9, 11, 200)) * max_value(np.dtype(dtype))).astype(dtype)
    gain = (0.5 + rng.random((9, 11))).astype(np.float32)
    out = W.apply_gain(cube, gain)
    assert out.shape == cube.shape and out.dtype == cube.dtype
    for band in (0, 77, 199):
        np.testing.assert_array_equal(out[:, :, band], W.apply_gain(np.ascontiguousarray(cube[:, :, band : band + 1]), gain)[:, :, 0])


@pytest.mark.parametrize("shape", [(1, 1, 1), (1, 1, 3), (1, 2, 2), (2, 2, 1), (1, 1, 4)])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_rain_on_images_of_four_values_or_fewer(shape: tuple[int, int, int], dtype) -> None:
    # OpenCV reads an array of at most 4 values as a scalar (cv2.add returned 4 values for a 1x1 image):
    # the rain layer is still added pixel by pixel with saturation
    image = np.full(shape, 200 if dtype == np.uint8 else 65000, dtype)
    out = W.rain(image, np.array([[0.0, 0.0]]), 0.0, 1, 1, (255, 255, 255), 1, 1.0)
    assert out.shape == image.shape and out.dtype == image.dtype
    top = np.iinfo(dtype).max
    np.testing.assert_array_equal(out[0, 0], np.full(shape[2], top, dtype))  # the drop's pixel saturates

"""``ops.distort.remap`` on canvases with a side of 32767 pixels or more (cv2.remap asserts every side is below
SHRT_MAX): processed in tiles, each output pixel equal to an independent numpy resampling (explicit padding by
the border rule, then nearest or bilinear sampling)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import invariant as iv
from invariant.ops import distort

_NP_MODES = {"constant": "constant", "replicate": "edge", "reflect": "reflect", "wrap": "wrap"}  # OpenCV REFLECT_101 = numpy "reflect"


def reference_remap(image: np.ndarray, mx: np.ndarray, my: np.ndarray, interpolation: str, border_mode: str, fill: float = 0.0) -> np.ndarray:
    """Independent remap: pad by the border rule with numpy, then sample. Nearest rounds positions to the
    nearest pixel; linear blends the 4 neighbouring taps with exact weights."""
    H, W = image.shape[:2]
    pad = int(np.ceil(max(0.0, -mx.min(), -my.min(), mx.max() - W, my.max() - H))) + 2  # room for every position
    kwargs = {"constant_values": fill} if border_mode == "constant" else {}
    padded = np.pad(image.astype(np.float64), ((pad, pad), (pad, pad), (0, 0)), mode=_NP_MODES[border_mode], **kwargs)
    if interpolation == "nearest":
        ix, iy = np.rint(mx).astype(np.int64) + pad, np.rint(my).astype(np.int64) + pad
        return padded[iy, ix]
    x, y = mx.astype(np.float64), my.astype(np.float64)
    ix, iy = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    fx, fy = (x - ix)[..., None], (y - iy)[..., None]
    ix, iy = ix + pad, iy + pad
    top = padded[iy, ix] * (1 - fx) + padded[iy, ix + 1] * fx
    bottom = padded[iy + 1, ix] * (1 - fx) + padded[iy + 1, ix + 1] * fx
    return top * (1 - fy) + bottom * fy


def random_field(shape: tuple[int, int], seed: int, reach: float = 6.0) -> tuple[np.ndarray, np.ndarray]:
    """Identity plus random displacements of up to ``reach`` pixels: positions leave the canvas on every side
    (so every border rule is exercised). Positions lie on the
    1/32-pixel grid (OpenCV 4 quantizes linear weights to it, OpenCV 5 does not: both agree there), never
    half-way between pixels (where nearest rounding is a tie)."""
    rng = np.random.default_rng(seed)
    h, w = shape

    def grid(values: np.ndarray) -> np.ndarray:
        k = np.rint(values * 32)
        k[np.mod(k, 32) == 16] += 1
        return (k / 32).astype(np.float32)

    xs, ys = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    return grid(xs + rng.uniform(-reach, reach, shape)), grid(ys + rng.uniform(-reach, reach, shape))


@pytest.mark.parametrize("border_mode", ["constant", "replicate", "reflect", "wrap"])
@pytest.mark.parametrize("interpolation", ["nearest", "linear"])
def test_reference_matches_opencv_on_a_small_canvas(interpolation: str, border_mode: str) -> None:
    """The numpy reference is OpenCV's remap (checked where OpenCV can run untiled)."""
    image = np.random.default_rng(1).random((40, 50, 3), dtype=np.float32)
    mx, my = random_field((40, 50), 2)
    out = distort.remap(image, mx, my, interpolation, border_mode, 0.25)
    np.testing.assert_allclose(out, reference_remap(image, mx, my, interpolation, border_mode, 0.25), atol=1e-5)


@pytest.mark.parametrize("shape", [(4, 40000), (40000, 4), (3, 32767)])
@pytest.mark.parametrize("border_mode", ["constant", "replicate", "reflect"])
@pytest.mark.parametrize("interpolation", ["nearest", "linear"])
def test_remap_beyond_opencvs_16_bit_limit_equals_the_reference(shape: tuple[int, int], interpolation: str, border_mode: str) -> None:
    image = np.random.default_rng(3).random(shape + (3,), dtype=np.float32)
    mx, my = random_field(shape, 4)
    out = distort.remap(image, mx, my, interpolation, border_mode, 0.25)
    assert out.shape == shape + (3,) and out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_allclose(out, reference_remap(image, mx, my, interpolation, border_mode, 0.25), atol=1e-5)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_tiled_nearest_is_exact_for_integer_images_and_masks(dtype) -> None:
    image = np.random.default_rng(5).integers(0, 200, (40000, 4, 4)).astype(dtype)
    mx, my = random_field((40000, 4), 6)
    out = distort.remap(image, mx, my, "nearest", "constant", 7)
    np.testing.assert_array_equal(out, reference_remap(image, mx, my, "nearest", "constant", 7).astype(dtype))
    mask = image[:, :, :1].astype(np.int64)
    np.testing.assert_array_equal(distort.remap_mask(mask, mx, my, "constant", 9), reference_remap(mask, mx, my, "nearest", "constant", 9).astype(np.int64))


def test_wrap_across_a_long_axis_is_refused_with_a_fix() -> None:
    """Wrapping reads the far end of the axis, so a tile's source window cannot be cut below the limit."""
    image = np.zeros((4, 40000, 1), np.uint8)
    mx, my = random_field((4, 40000), 7)
    with pytest.raises(ValueError, match="remap.*32767.*wrap"):
        distort.remap(image, mx, my, "linear", "wrap", 0)


def _weight_resolution() -> float:
    """How finely the installed OpenCV resolves linear remap weights: exact in OpenCV 5 (returns 1e-6, float
    rounding), 1/32 pixel in OpenCV 4 (INTER_TAB_SIZE; a value can then move by up to 1/32 of the range)."""
    ramp = np.array([[0.0, 1.0, 1.0]], np.float32)
    got = float(cv2.remap(ramp, np.full((1, 1), 0.3, np.float32), np.zeros((1, 1), np.float32), cv2.INTER_LINEAR)[0, 0])
    return 1e-6 if abs(got - 0.3) < 1e-6 else 1.0 / 32


def _field_of(transform: iv.Transform, image: np.ndarray, mask: np.ndarray, seed: int):
    rec = iv.Compose([transform], seed=seed)(image=image, mask=mask, return_params=True)
    params = dict(rec["params"][0]["params"])
    return rec, transform.field(params, image.shape[:2])


@pytest.mark.parametrize("name", ["ElasticTransform", "GridDistortion", "OpticalDistortion"])
@pytest.mark.parametrize("shape", [(4, 40000), (40000, 4)])
def test_field_transforms_run_on_thin_images_beyond_the_limit(name: str, shape: tuple[int, int]) -> None:
    """The reported crash: the three field transforms on a side >= 32767 px. Images (linear) and masks
    (nearest) equal the reference resampling of the transform's own field."""
    image = np.random.default_rng(8).random(shape + (3,), dtype=np.float32)
    mask = np.random.default_rng(9).integers(0, 3, shape).astype(np.uint8)
    t = getattr(iv, name)(p=1.0)
    rec, (mx, my) = _field_of(t, image, mask, seed=0)
    assert rec["image"].shape == shape + (3,) and rec["mask"].shape == shape
    expected = np.clip(reference_remap(image, mx, my, "linear", t.border_mode, 0.0), 0.0, 1.0)
    np.testing.assert_allclose(rec["image"], expected, atol=_weight_resolution() + 1e-6)
    expected_mask = reference_remap(mask[:, :, None], mx, my, "nearest", t.border_mode, float(t.fill_mask))[:, :, 0]
    np.testing.assert_array_equal(rec["mask"], expected_mask.astype(np.uint8))

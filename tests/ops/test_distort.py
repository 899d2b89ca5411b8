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


@pytest.mark.parametrize("border_mode", ["constant", "replicate", "reflect"])
def test_tiles_whose_positions_all_lie_beyond_one_side_equal_the_untiled_remap(monkeypatch, border_mode: str) -> None:
    """Tiling on a small canvas (tiles of 8 px forced): positions that leave the image entirely on one side for a
    whole tile (a rotated or shifted map) must read that side's edge exactly as one untiled cv2.remap does; an
    empty source window used to make cv2.remap assert."""
    monkeypatch.setattr(distort, "_TILE", 8)
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (24, 40, 3), dtype=np.uint8)
    yy, xx = np.mgrid[0:24, 0:40].astype(np.float32)
    for dx, dy in ((-60.0, 0.0), (70.0, 0.0), (0.0, -50.0), (0.0, 45.0), (55.0, 60.0)):
        mx, my = xx + np.float32(dx) + np.float32(0.25), yy + np.float32(dy) + np.float32(0.125)
        expected = cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=distort.BORDER_MODES[border_mode], borderValue=(9, 9, 9, 0))
        got = distort._remap_tiled(image, mx, my, cv2.INTER_LINEAR, distort.BORDER_MODES[border_mode], 9)
        np.testing.assert_array_equal(got, expected)


_FIELD_CHAINS = {
    "rotate+elastic": lambda: [iv.Rotate(limit=(0.01, 0.01), p=1), iv.ElasticTransform(alpha=1.0, sigma=8.0, p=1)],
    "elastic+rotate": lambda: [iv.ElasticTransform(alpha=1.0, sigma=8.0, p=1), iv.Rotate(limit=(0.01, 0.01), p=1)],
    "flip+elastic+grid": lambda: [iv.HorizontalFlip(p=1), iv.ElasticTransform(alpha=1.0, sigma=8.0, p=1), iv.GridDistortion(p=1)],
}


@pytest.mark.parametrize("name", sorted(_FIELD_CHAINS))
def test_fused_field_runs_tiled_equal_untiled(monkeypatch, name: str) -> None:
    """The fused path composes fields with a remap of the field itself, then one remap of the image: with the
    tiling threshold forced down to 64 px, a 16x300 image takes the tiled path and must give exactly the
    untiled result (images and masks)."""
    from invariant.data import load_photo

    image = cv2.resize(load_photo(), (300, 16), interpolation=cv2.INTER_AREA)
    mask = (image[:, :, 0] // 64).astype(np.uint8)
    untiled = iv.Compose(_FIELD_CHAINS[name](), seed=1)(image=image, mask=mask)
    monkeypatch.setattr(distort, "_REMAP_LIMIT", 64)
    monkeypatch.setattr(distort, "_TILE", 40)
    tiled = iv.Compose(_FIELD_CHAINS[name](), seed=1)(image=image, mask=mask)
    np.testing.assert_array_equal(tiled["image"], untiled["image"])
    np.testing.assert_array_equal(tiled["mask"], untiled["mask"])


@pytest.mark.parametrize("name", sorted(_FIELD_CHAINS))
def test_fused_field_runs_beyond_the_limit(name: str) -> None:
    """On a 40000 px side the same fused runs execute (they used to stop in cv2.remap's SHRT_MAX assertion or
    on an empty tile window) and stay close to op by op: on an 8-row image most pixels are near an edge, where
    one resampling and several differ most, so only a gross error (a misplaced tile) is checked here; the
    exact tiling check is the test above."""
    from invariant.data import load_photo

    image = cv2.resize(load_photo()[:, :, 0], (40000, 8), interpolation=cv2.INTER_LINEAR)
    fused = iv.Compose(_FIELD_CHAINS[name](), seed=0)(image=image)["image"]
    plain = iv.Compose(_FIELD_CHAINS[name](), seed=0, fuse=False)(image=image)["image"]
    assert fused.shape == plain.shape == image.shape
    assert np.abs(fused.astype(np.int16) - plain.astype(np.int16)).mean() < 8.0


@pytest.mark.parametrize("dtype", [np.int32, np.uint32, np.int64])
def test_three_channel_32_bit_label_masks_remap_exactly(dtype) -> None:
    """A 3-channel label mask of a dtype cv2.remap lacks goes through float64, which cv2.cvtColor (the 4-channel
    padding of 3-channel chunks) does not take: it crashed. Each channel equals the independent nearest remap."""
    rng = np.random.default_rng(0)
    mask = rng.integers(0, 70000, (40, 52, 3)).astype(dtype)
    yy, xx = np.mgrid[0:40, 0:52].astype(np.float32)
    mx, my = xx + rng.uniform(-3, 3, xx.shape).astype(np.float32), yy + rng.uniform(-3, 3, yy.shape).astype(np.float32)
    out = distort.remap_mask(mask, mx, my, "constant", 0)
    assert out.dtype == mask.dtype and out.shape == mask.shape
    np.testing.assert_array_equal(out, reference_remap(mask, mx, my, "nearest", "constant", 0.0).astype(dtype))


def test_three_int32_instance_masks_through_a_field_transform() -> None:
    """Three int32 instance masks through ElasticTransform (stacked: a field step) equal each mask alone."""
    image = np.zeros((48, 64, 3), np.uint8)
    masks = [np.zeros((48, 64), np.int32) for _ in range(3)]
    for i, m in enumerate(masks):
        m[5 + 10 * i : 15 + 10 * i, 8:40] = 100000 + i
    out = iv.Compose([iv.ElasticTransform(alpha=30, sigma=4, p=1)], seed=2)(image=image, masks=masks)["masks"]
    for m, o in zip(masks, out):
        alone = iv.Compose([iv.ElasticTransform(alpha=30, sigma=4, p=1)], seed=2)(image=image, mask=m)["mask"]
        np.testing.assert_array_equal(o, alone)

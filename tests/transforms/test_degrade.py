"""ImageCompression and Downscale against independent references: hand-written cv2.imencode/imdecode round
trips and explicit cv2.resize down/up pairs on real photos, PSNR against quality, dtype consistency."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

import invariant as iv
from invariant.ops.degrade import downscale, image_compression

_CODEC = {"jpeg": (".jpg", cv2.IMWRITE_JPEG_QUALITY), "webp": (".webp", cv2.IMWRITE_WEBP_QUALITY)}


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return cv2.resize(data.astronaut(), (256, 256), interpolation=cv2.INTER_AREA)


def reference_compression(rgb: np.ndarray, quality: int, kind: str) -> np.ndarray:
    """The round trip written out by hand: RGB -> BGR, encode, decode (BGR), BGR -> RGB."""
    ext, flag = _CODEC[kind]
    ok, buf = cv2.imencode(ext, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [flag, quality])
    assert ok
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255.0**2 / np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)))


# ---- ImageCompression ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["jpeg", "webp"])
@pytest.mark.parametrize("quality", [5, 50, 95, 100])
def test_compression_equals_hand_round_trip(astronaut: np.ndarray, kind: str, quality: int) -> None:
    out = iv.Compose([iv.ImageCompression(quality_range=(quality, quality), compression_type=kind, p=1)], seed=0)(image=astronaut)["image"]
    np.testing.assert_array_equal(out, reference_compression(astronaut, quality, kind))
    assert out.dtype == np.uint8 and out.shape == astronaut.shape


@pytest.mark.parametrize("kind", ["jpeg", "webp"])
def test_compression_grayscale_round_trip(astronaut: np.ndarray, kind: str) -> None:
    gray = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    ext, flag = _CODEC[kind]
    expected = cv2.imdecode(cv2.imencode(ext, gray, [flag, 40])[1], cv2.IMREAD_GRAYSCALE)
    out = image_compression(gray[:, :, None], 40, kind)
    assert out.shape == (256, 256, 1)
    np.testing.assert_array_equal(out[:, :, 0], expected)


@pytest.mark.parametrize("kind", ["jpeg", "webp"])
def test_psnr_increases_with_quality_and_100_is_close(astronaut: np.ndarray, kind: str) -> None:
    values = [psnr(astronaut, image_compression(astronaut, q, kind)) for q in (5, 20, 40, 60, 80, 95, 100)]
    assert all(a < b for a, b in zip(values, values[1:])), values
    # colour JPEG and lossy WebP at 100 still subsample chroma 4:2:0, so they are not lossless: ~38-40 dB on
    # this detailed 256 px photo (a noise-free 8-bit round trip would be infinite)
    assert values[-1] > 36.0
    assert np.abs(image_compression(astronaut, 100, kind).astype(int) - astronaut).mean() < 2.0
    assert values[0] < 30.0  # quality 5 visibly degrades


def test_compression_sees_true_rgb_luma(astronaut: np.ndarray) -> None:
    """JPEG keeps luma (Y) far better than chroma. With the RGB->BGR conversion the codec's Y is the photo's
    BT.601 luma 0.299 R + 0.587 G + 0.114 B; feeding RGB as BGR (no conversion) would make it preserve
    0.114 R + 0.587 G + 0.299 B instead. So the true luma must be the better-kept one."""
    out = image_compression(astronaut, 30, "jpeg").astype(np.float64)
    src = astronaut.astype(np.float64)
    true_w, swapped_w = np.array([0.299, 0.587, 0.114]), np.array([0.114, 0.587, 0.299])
    err_true = np.abs(out @ true_w - src @ true_w).mean()
    err_swapped = np.abs(out @ swapped_w - src @ swapped_w).mean()
    assert err_true < err_swapped
    # channel order is kept: per-channel means stay within 2 levels
    np.testing.assert_allclose(out.mean(axis=(0, 1)), src.mean(axis=(0, 1)), atol=2.0)


def test_quality_is_an_int_drawn_inclusively() -> None:
    t = iv.ImageCompression(quality_range=(50, 53), p=1)
    rng = np.random.default_rng(0)
    pipe = iv.Compose([t], seed=0)
    draws = {pipe(image=np.zeros((16, 16, 3), np.uint8), return_params=True)["params"][0]["params"]["quality"] for _ in range(60)}
    assert draws == {50, 51, 52, 53}
    q = t.sample_params(rng, None)["quality"]
    assert isinstance(q, int)


@pytest.mark.parametrize(
    "image,needle",
    [
        (np.zeros((8, 8, 3), np.uint16), "uint8"),
        (np.zeros((8, 8, 3), np.float32), "uint8"),
        (np.zeros((8, 8, 4), np.uint8), "OnChannels"),
        (np.zeros((8, 8, 2), np.uint8), "1 or 3 channels"),
    ],
)
def test_compression_refuses_unsupported_inputs(image: np.ndarray, needle: str) -> None:
    with pytest.raises(ValueError, match="ImageCompression image") as info:
        iv.Compose([iv.ImageCompression(p=1)])(image=image)
    assert needle in str(info.value) and "Fix:" in str(info.value)
    with pytest.raises(ValueError, match="convert to uint8 first"):
        image_compression(image, 50, "jpeg")


def test_compression_on_rgb_bands_of_rgbn(astronaut: np.ndarray) -> None:
    nir = 255 - cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)[:, :, None]
    rgbn = np.ascontiguousarray(np.concatenate([astronaut, nir], axis=2))
    out = iv.Compose([iv.OnChannels(iv.ImageCompression((40, 40), p=1), channels=(0, 1, 2))])(image=rgbn)["image"]
    np.testing.assert_array_equal(out[:, :, :3], reference_compression(astronaut, 40, "jpeg"))
    np.testing.assert_array_equal(out[:, :, 3], rgbn[:, :, 3])


@pytest.mark.parametrize(
    "kwargs,error",
    [
        ({"quality_range": (0, 50)}, ValueError),
        ({"quality_range": (50, 101)}, ValueError),
        ({"quality_range": (90, 50)}, ValueError),
        ({"quality_range": (50.5, 60)}, TypeError),
        ({"compression_type": "png"}, ValueError),
    ],
)
def test_compression_argument_errors(kwargs: dict, error: type) -> None:
    with pytest.raises(error, match="quality_range|compression_type"):
        iv.ImageCompression(**kwargs)


# ---- Downscale ----------------------------------------------------------------------------------------------

_CV = {"nearest": cv2.INTER_NEAREST_EXACT, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC, "area": cv2.INTER_AREA, "lanczos": cv2.INTER_LANCZOS4}


def reference_downscale(image: np.ndarray, scale: float, down: str, up: str) -> np.ndarray:
    h, w = image.shape[:2]
    small_size = (max(1, int(np.rint(w * scale))), max(1, int(np.rint(h * scale))))
    small = cv2.resize(image, small_size, interpolation=_CV[down])
    return cv2.resize(small, (w, h), interpolation=_CV[up])


@pytest.mark.parametrize("pair", [("nearest", "nearest"), ("area", "linear"), ("linear", "cubic"), ("cubic", "lanczos")])
def test_downscale_equals_explicit_resize_pair(astronaut: np.ndarray, pair: tuple[str, str]) -> None:
    rec = iv.Compose([iv.Downscale((0.3, 0.6), interpolation_pair=pair, p=1)], seed=5)(image=astronaut, return_params=True)
    scale = rec["params"][0]["params"]["scale"]
    assert 0.3 <= scale <= 0.6
    np.testing.assert_array_equal(rec["image"], reference_downscale(astronaut, scale, *pair))


def test_downscale_nearest_blocks_by_hand(astronaut: np.ndarray) -> None:
    """256 px at scale 1/4: 64 px coarse grid; pixel-centre nearest keeps source pixel 4i+2 (the centre of
    block i, rounding down) and the way up repeats it over the 4x4 block."""
    out = downscale(astronaut, 0.25, "nearest", "nearest")
    expected = np.repeat(np.repeat(astronaut[2::4, 2::4], 4, axis=0), 4, axis=1)
    np.testing.assert_array_equal(out, expected)


def test_downscale_many_channels_match_per_channel(astronaut: np.ndarray) -> None:
    gray = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)[:, :, None]
    six = np.ascontiguousarray(np.concatenate([astronaut, 255 - gray, gray, astronaut[:, :, :1]], axis=2))
    out = downscale(six, 0.4, "area", "linear")
    assert out.shape == six.shape and out.dtype == np.uint8
    for c in range(6):
        np.testing.assert_array_equal(out[:, :, c], reference_downscale(np.ascontiguousarray(six[:, :, c]), 0.4, "area", "linear"))
    # OpenCV's 8-bit cubic kernel rounds differently per channel count (its 2- and 4-channel SIMD paths):
    # a level at most, on ~3% of the pixels of this photo
    cubic = downscale(six, 0.4, "area", "cubic").astype(int)
    for c in range(6):
        ref = reference_downscale(np.ascontiguousarray(six[:, :, c]), 0.4, "area", "cubic").astype(int)
        assert np.abs(cubic[:, :, c] - ref).max() <= 1 and np.mean(cubic[:, :, c] != ref) < 0.05


@pytest.mark.parametrize("pair", [("area", "linear"), ("nearest", "nearest"), ("linear", "linear")])
def test_downscale_uint16_and_float32_consistent_with_uint8(astronaut: np.ndarray, pair: tuple[str, str]) -> None:
    """uint16 (x257) and float32 (/255) results, scaled back to uint8 levels, stay within 1.5 levels of the
    uint8 result: uint8 rounds the small image (0.5, carried through the convex up-kernel), rounds again at
    the end (0.5) and OpenCV's 8-bit linear resize uses fixed-point weights (measured max here: 1.35).
    Nearest copies pixels, so it is exact. (Cubic/lanczos overshoot: uint8 saturates, float32 does not.)"""
    u8 = downscale(astronaut, 0.37, *pair).astype(np.float64)
    u16 = downscale(astronaut.astype(np.uint16) * 257, 0.37, *pair)
    f32 = downscale(astronaut.astype(np.float32) / 255, 0.37, *pair)
    assert u16.dtype == np.uint16 and f32.dtype == np.float32
    tolerance = 0.0 if pair == ("nearest", "nearest") else 1.5
    assert np.abs(u16 / 257.0 - u8).max() <= tolerance
    assert np.abs(f32 * 255.0 - u8).max() <= tolerance + 1e-3


def test_downscale_edge_cases() -> None:
    tiny = (np.arange(9, dtype=np.float32) / 8).reshape(3, 3, 1)  # float images live in [0, 1]
    out = downscale(tiny, 0.1, "area", "nearest")  # 0.3 px rounds to the 1-pixel minimum: the mean everywhere
    np.testing.assert_allclose(out, np.full_like(tiny, 0.5))
    same = downscale(tiny, 1.0)
    np.testing.assert_array_equal(same, tiny)
    assert same is not tiny and not np.shares_memory(same, tiny)


def test_downscale_determinism_and_replay(astronaut: np.ndarray) -> None:
    pipe = iv.Compose([iv.Downscale((0.25, 0.5), ("area", "linear"), p=1), iv.ImageCompression((20, 90), p=1)], seed=3)
    rec = pipe(image=astronaut, return_params=True)
    again = iv.Compose([iv.Downscale((0.25, 0.5), ("area", "linear"), p=1), iv.ImageCompression((20, 90), p=1)], seed=3)(image=astronaut)
    np.testing.assert_array_equal(rec["image"], again["image"])
    np.testing.assert_array_equal(pipe.replay(rec["params"], image=astronaut)["image"], rec["image"])
    other = iv.Compose([iv.Downscale((0.25, 0.5), ("area", "linear"), p=1)], seed=4)(image=astronaut, return_params=True)
    assert other["params"][0]["params"]["scale"] != rec["params"][0]["params"]["scale"]


@pytest.mark.parametrize(
    "kwargs,error",
    [
        ({"scale_range": (0.0, 0.5)}, ValueError),
        ({"scale_range": (0.5, 1.5)}, ValueError),
        ({"interpolation_pair": ("nearest", "bilinear")}, ValueError),
        ({"interpolation_pair": ("nearest",)}, TypeError),
    ],
)
def test_downscale_argument_errors(kwargs: dict, error: type) -> None:
    with pytest.raises(error, match="scale_range|interpolation_pair"):
        iv.Downscale(**kwargs)


def test_effects_declared() -> None:
    assert iv.ImageCompression().effects() == iv.core.effects.Effects(blurs=True, adds_noise=True, alters_color=True)
    assert iv.Downscale().effects() == iv.core.effects.Effects(blurs=True)


@pytest.mark.parametrize("pair", [("area", "cubic"), ("area", "lanczos"), ("linear", "cubic")])
@pytest.mark.parametrize("channels", [3, 5])
def test_downscale_float32_overshoot_is_clipped(pair: tuple[str, str], channels: int) -> None:
    photo = (cv2.resize(data.astronaut(), (96, 96), interpolation=cv2.INTER_AREA) / 255.0).astype(np.float32)
    image = np.ascontiguousarray(np.dstack([photo, photo])[:, :, :channels])
    out = iv.Downscale(0.25, pair, p=1)(image=image)["image"]
    unclipped = cv2.resize(cv2.resize(image[:, :, :3], (24, 24), interpolation=cv2.INTER_AREA if pair[0] == "area" else cv2.INTER_LINEAR), (96, 96), interpolation=cv2.INTER_CUBIC if pair[1] == "cubic" else cv2.INTER_LANCZOS4)
    assert unclipped.min() < 0 or unclipped.max() > 1  # the kernel really overshoots on this photo
    assert out.min() >= 0.0 and out.max() <= 1.0
    np.testing.assert_allclose(out[:, :, :3], np.clip(unclipped, 0, 1), atol=1e-6)


def test_webp_refuses_images_beyond_its_size_limit_with_a_fix() -> None:
    with pytest.raises(ValueError, match="16383 pixels per side for webp.*compression_type='jpeg'"):
        iv.ImageCompression(50, "webp", p=1)(image=np.zeros((2, 16384, 3), np.uint8))
    out = iv.ImageCompression(50, "jpeg", p=1)(image=np.zeros((2, 16384, 3), np.uint8))["image"]
    assert out.shape == (2, 16384, 3)


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry"])
def test_rgb_decode_equals_bgr_decode_then_swap(name: str) -> None:
    """``image_compression`` decodes straight to RGB (``cv2.IMREAD_COLOR_RGB``, OpenCV 4.11+); it must give
    the pixels of the BGR decode followed by a channel swap, for every quality and odd sizes."""
    photo = getattr(data, name)()
    for shape in (photo.shape[:2], (123, 77)):
        rgb = np.ascontiguousarray(cv2.resize(photo, shape[::-1], interpolation=cv2.INTER_AREA))
        for quality in (1, 10, 25, 50, 75, 90, 99, 100):
            np.testing.assert_array_equal(image_compression(rgb, quality, "jpeg"), reference_compression(rgb, quality, "jpeg"))

"""Blur and noise against independent references: a float64 numpy Gaussian (torchvision's kernel
exp(-x^2 / 2 sigma^2), reflect padding) within 0.5 level for uint8 (float sums rounded once), 1e-3 float; scipy.ndimage.median_filter
(replicate border) exactly; noise statistics within sampling error."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy import ndimage
from skimage import data

import invariant as iv
from invariant.ops import blur_noise as B

PHOTO = np.ascontiguousarray(cv2.resize(data.astronaut(), (96, 80), interpolation=cv2.INTER_AREA))


def _gaussian_reference(img: np.ndarray, ksize: int, sigma: float) -> np.ndarray:
    x = np.arange(ksize) - (ksize - 1) / 2
    k = np.exp(-(x**2) / (2 * sigma**2))
    k /= k.sum()
    r = ksize // 2
    padded = np.pad(img.astype(np.float64), ((r, r), (r, r), (0, 0)), mode="reflect")  # = BORDER_REFLECT_101
    rows = sum(k[i] * padded[i : i + img.shape[0], :, :] for i in range(ksize))
    return sum(k[i] * rows[:, i : i + img.shape[1], :] for i in range(ksize))


@pytest.mark.parametrize("ksize,sigma", [(3, 0.8), (7, 1.5), (23, 2.0), (23, 0.1)])
def test_gaussian_blur_matches_reference(ksize: int, sigma: float) -> None:
    ref = _gaussian_reference(PHOTO, ksize, sigma)
    out8 = iv.GaussianBlur().apply_image(PHOTO, {"kernel_size": ksize, "sigma": sigma})
    assert np.abs(out8 - ref).max() <= 1.5  # bound of cv2.GaussianBlur's fixed-point 8-bit kernel; ours is within 0.5 (test below)
    f32 = iv.GaussianBlur().apply_image(PHOTO.astype(np.float32) / 255, {"kernel_size": ksize, "sigma": sigma})
    assert np.abs(f32 * 255 - ref).max() <= 1e-3
    u16 = iv.GaussianBlur().apply_image(PHOTO.astype(np.uint16) * 257, {"kernel_size": ksize, "sigma": sigma})
    assert np.abs(u16 / 257.0 - ref).max() <= 0.01


def test_gaussian_blur_sampling_and_guide_arguments() -> None:
    t = iv.GaussianBlur(kernel_size=23, sigma=(0.1, 2.0), p=1)
    pipe = iv.Compose([t], seed=0)
    for _ in range(20):
        p = pipe(image=PHOTO, return_params=True)["params"][0]["params"]
        assert p["kernel_size"] == 23 and 0.1 <= p["sigma"] <= 2.0
    sizes = {iv.Compose([iv.GaussianBlur((3, 7), p=1)], seed=s)(image=PHOTO, return_params=True)["params"][0]["params"]["kernel_size"] for s in range(40)}
    assert sizes == {3, 5, 7}
    auto = iv.GaussianBlur(kernel_size=0, sigma=1.0, p=1)
    assert iv.Compose([auto], seed=0)(image=PHOTO, return_params=True)["params"][0]["params"]["kernel_size"] == 7
    with pytest.raises(ValueError, match="kernel_size"):
        iv.GaussianBlur(kernel_size=4)


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
@pytest.mark.parametrize("ksize", [3, 5, 7])
def test_median_blur_matches_scipy(dtype: str, ksize: int) -> None:
    img = PHOTO if dtype == "uint8" else (PHOTO.astype(np.uint16) * 257 if dtype == "uint16" else PHOTO.astype(np.float32) / 255)
    out = iv.MedianBlur().apply_image(img, {"kernel_size": ksize})
    assert np.array_equal(out, ndimage.median_filter(img, size=(ksize, ksize, 1), mode="nearest"))


def test_median_blur_any_channel_count() -> None:
    img = np.concatenate([PHOTO, PHOTO[:, :, :2]], axis=2)  # 5 channels
    out = iv.MedianBlur().apply_image(img, {"kernel_size": 5})
    assert np.array_equal(out, ndimage.median_filter(img, size=(5, 5, 1), mode="nearest"))


@pytest.mark.parametrize("ksize", [3, 5, 7])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_median_blur_more_channels_than_opencv_holds(ksize: int, dtype: str) -> None:
    # a 130-band cube (OpenCV 5 arrays hold 128): the 5x5 uint8 path split it with cv2.split and raised
    from invariant.ops.geometric import CV_MAX_CHANNELS

    rng = np.random.default_rng(ksize)
    img = rng.integers(0, 256, (21, 26, CV_MAX_CHANNELS + 2)).astype(np.uint8)
    img = img if dtype == "uint8" else img.astype(np.float32) / 255
    out = iv.MedianBlur().apply_image(img, {"kernel_size": ksize})
    assert np.array_equal(out, ndimage.median_filter(img, size=(ksize, ksize, 1), mode="nearest"))


def test_motion_blur_kernel_and_direction() -> None:
    for angle in (0.0, 33.0, 90.0):
        k = B.motion_kernel(7, angle, 0.0)
        assert abs(k.sum() - 1) < 1e-6
    rows = np.repeat(np.arange(80, dtype=np.uint8)[:, None, None] * 3, 96, axis=1)  # constant along each row
    out = iv.MotionBlur().apply_image(rows, {"kernel_size": 7, "angle": 0.0, "direction": 0.0})
    assert np.array_equal(out, rows)  # a horizontal streak never mixes rows
    cols = np.ascontiguousarray(rows.transpose(1, 0, 2))
    assert not np.array_equal(iv.MotionBlur().apply_image(cols, {"kernel_size": 7, "angle": 0.0, "direction": 0.0}), cols)


@pytest.mark.parametrize("dtype,top", [("uint8", 255.0), ("uint16", 65535.0), ("float32", 1.0)])
def test_gauss_noise_statistics(dtype: str, top: float) -> None:
    flat = np.full((200, 200, 3), 0.5 * top, dtype=dtype)
    t = iv.GaussNoise(std_range=(0.05, 0.05), p=1)
    out = t.apply_image(flat, {"std": 0.05, "mean": 0.0, "seed": 1})
    noise = (out.astype(np.float64) - flat.astype(np.float64)) / top
    assert abs(noise.std() - 0.05) < 0.002 and abs(noise.mean()) < 0.002
    shared = iv.GaussNoise(per_channel=False).apply_image(flat, {"std": 0.05, "mean": 0.0, "seed": 1})
    assert np.array_equal(shared[:, :, 0], shared[:, :, 2])
    assert not np.array_equal(out[:, :, 0], out[:, :, 2])


def test_gauss_noise_replays_exactly() -> None:
    pipe = iv.Compose([iv.GaussNoise(p=1)], seed=3)
    out = pipe(image=PHOTO, return_params=True)
    assert np.array_equal(pipe.replay(out["params"], image=PHOTO)["image"], out["image"])


@pytest.mark.parametrize("ksize,sigma", [(3, 0.8), (5, 1.1), (7, 1.5), (23, 0.7), (23, 2.0)])
def test_gaussian_blur_uint8_rounds_once_from_float_sums(ksize: int, sigma: float) -> None:
    # float-kernel separable filter: one rounding of float32 sums, so within 0.5 (+ float32 error) of exact
    ref = _gaussian_reference(PHOTO, ksize, sigma)
    out = iv.GaussianBlur().apply_image(PHOTO, {"kernel_size": ksize, "sigma": sigma})
    assert np.abs(out - ref).max() <= 0.5 + 1e-3


def test_trimmed_gaussian_kernel_is_the_formula() -> None:
    for ksize, sigma in ((23, 0.3), (23, 2.0), (7, 1.0)):
        k = B.gaussian_kernel(ksize, sigma).astype(np.float64)
        assert len(k) % 2 == 1 and len(k) <= ksize and abs(k.sum() - 1) < 1e-6
        x = np.arange(len(k)) - (len(k) - 1) / 2
        full = np.exp(-(np.arange(ksize) - (ksize - 1) / 2) ** 2 / (2 * sigma**2))
        assert np.allclose(k, np.exp(-(x**2) / (2 * sigma**2)) / full.sum(), atol=1e-7)
    assert np.array_equal(iv.GaussianBlur().apply_image(PHOTO, {"kernel_size": 23, "sigma": 0.1}), PHOTO)  # taps ~1e-22


# -- ISONoise: albumentations 1.x semantics (hue noise std color_shift * 360 * intensity degrees, lightness
# raised by Poisson(std(L) * intensity * 255) / 255 * (1 - L)); references from colorsys, skimage, scipy -----

ISO_PHOTO = np.ascontiguousarray(cv2.resize(data.coffee(), (96, 80), interpolation=cv2.INTER_AREA))


def _lightness(rgb: np.ndarray) -> np.ndarray:
    f = rgb.astype(np.float64)
    return (f.max(axis=2) + f.min(axis=2)) / 2


def test_iso_noise_matches_colorsys_reference() -> None:
    import colorsys

    img = ISO_PHOTO[:24, :32]
    cs, intensity, seed = 0.05, 0.5, 7
    lam = _lightness(img / 255.0).std() * intensity * 255  # population std, as cv2.meanStdDev
    hue_noise, counts = B.iso_noise_planes(seed, img.shape[:2], lam, cs * 360 * intensity)
    ref = np.empty(img.shape, np.float64)
    for i, j in np.ndindex(*img.shape[:2]):
        h, l, s = colorsys.rgb_to_hls(*(img[i, j] / 255.0))
        l += counts[i, j] / 255.0 * (1 - l)
        ref[i, j] = colorsys.hls_to_rgb((h + hue_noise[i, j] / 360.0) % 1.0, l, s)
    ref = np.clip(np.rint(ref * 255), 0, 255)
    out = iv.ISONoise().apply_image(img, {"color_shift": cs, "intensity": intensity, "seed": seed})
    assert out.dtype == np.uint8 and out.shape == img.shape
    assert np.abs(out - ref).max() <= 1 and (out == ref).mean() > 0.98  # float32 vs float64 at .5 boundaries


def test_poisson_quantile_table_is_the_poisson_distribution() -> None:
    from scipy import stats

    for lam in (0.3, 4.0, 37.5, 180.0):
        table = B.poisson_quantile_table(lam)
        assert table.shape == (65536,) and np.all(np.diff(table) >= 0)
        k = np.arange(int(table.max()) + 1)
        pmf = np.bincount(table.astype(np.int64), minlength=len(k)) / 65536
        assert np.abs(pmf - stats.poisson.pmf(k, lam)).max() <= 2**-16 + 1e-12
        assert stats.poisson.sf(table.max(), lam) < 2**-16  # only a negligible tail is never drawn
    assert not B.poisson_quantile_table(0.0).any()


@pytest.mark.parametrize("dtype,top", [("uint8", 255), ("uint16", 65535), ("float32", 1.0)])
def test_iso_noise_zero_is_identity(dtype: str, top: float) -> None:
    img = ISO_PHOTO.astype(dtype) * (257 if dtype == "uint16" else 1) if dtype != "float32" else ISO_PHOTO.astype(np.float32) / 255
    out = iv.ISONoise().apply_image(img, {"color_shift": 0.0, "intensity": 0.0, "seed": 1})
    assert out.dtype == img.dtype
    assert np.abs(out.astype(np.float64) - img).max() <= (1e-6 if dtype == "float32" else 0)


def test_iso_noise_lightness_statistics() -> None:
    img = ISO_PHOTO.astype(np.float32) / 255
    light = _lightness(img)
    previous = 0.0
    for intensity in (0.1, 0.3, 0.6):
        out = iv.ISONoise().apply_image(img, {"color_shift": 0.0, "intensity": intensity, "seed": 3})
        lam = light.std() * intensity * 255
        step = (_lightness(out) - light) / (1 - light)  # = Poisson count / 255 for each pixel
        assert abs(step.mean() * 255 - lam) < 0.05 * lam  # Poisson mean = lam
        assert abs((step * 255).var() - lam) < 0.1 * lam  # Poisson variance = lam
        assert step.std() > previous  # noise grows with intensity
        previous = step.std()


def test_iso_noise_hue_statistics() -> None:
    from skimage.color import rgb2hsv

    img = ISO_PHOTO.astype(np.float32) / 255
    out = iv.ISONoise().apply_image(img, {"color_shift": 0.05, "intensity": 0.5, "seed": 5})
    h0, h1 = rgb2hsv(img)[..., 0], rgb2hsv(out)[..., 0]  # HSV hue = HLS hue
    s0 = rgb2hsv(img)[..., 1]
    keep = (s0 > 0.3) & (img.max(axis=2) < 0.95)  # well-defined hue, no clipping
    dh = ((h1 - h0 + 0.5) % 1.0 - 0.5)[keep] * 360
    assert keep.sum() > 1000
    assert abs(dh.mean()) < 0.5 and abs(dh.std() - 0.05 * 360 * 0.5) < 0.05 * 9.0  # N(0, 9 degrees)


def test_iso_noise_uint16_and_float32_scale_like_uint8() -> None:
    params = {"color_shift": 0.04, "intensity": 0.4, "seed": 11}
    out8 = iv.ISONoise().apply_image(ISO_PHOTO, params).astype(np.float64)
    out16 = iv.ISONoise().apply_image(ISO_PHOTO.astype(np.uint16) * 257, params)
    out32 = iv.ISONoise().apply_image(ISO_PHOTO.astype(np.float32) / 255, params)
    assert out16.dtype == np.uint16 and out32.dtype == np.float32
    assert np.abs(out16 / 257.0 - out8).max() <= 0.51  # same noise, finer rounding
    assert np.abs(out32 * 255.0 - out8).max() <= 0.51


def test_iso_noise_replay_and_seed() -> None:
    pipe = iv.Compose([iv.ISONoise(p=1)], seed=4)
    out = pipe(image=ISO_PHOTO, return_params=True)
    params = out["params"][0]["params"]
    assert 0.01 <= params["color_shift"] <= 0.05 and 0.1 <= params["intensity"] <= 0.5
    assert np.array_equal(pipe.replay(out["params"], image=ISO_PHOTO)["image"], out["image"])
    again = iv.Compose([iv.ISONoise(p=1)], seed=4)(image=ISO_PHOTO)["image"]
    other = iv.Compose([iv.ISONoise(p=1)], seed=5)(image=ISO_PHOTO)["image"]
    assert np.array_equal(again, out["image"]) and not np.array_equal(other, out["image"])


def test_iso_noise_needs_rgb_and_valid_ranges() -> None:
    gray = np.ascontiguousarray(ISO_PHOTO[:, :, :1])
    rgbn = np.concatenate([ISO_PHOTO, gray], axis=2)
    for image in (gray, rgbn):
        with pytest.raises(ValueError, match="GaussNoise") as info:
            iv.Compose([iv.ISONoise(p=1)], seed=0)(image=image)
        assert "OnChannels" in str(info.value)
    out = iv.Compose([iv.OnChannels(iv.ISONoise(p=1), channels=(0, 1, 2))], seed=0)(image=rgbn)["image"]
    assert np.array_equal(out[:, :, 3], rgbn[:, :, 3]) and not np.array_equal(out[:, :, :3], ISO_PHOTO)
    with pytest.raises(ValueError, match="color_shift"):
        iv.ISONoise(color_shift=(0.0, 1.5))
    with pytest.raises(ValueError, match="intensity"):
        iv.ISONoise(intensity=(-0.1, 0.5))

"""ImageNet-C corruptions: constants against the reference table, kernels against independent computations
(numpy, scipy, PIL, skimage), severity ordering on real photos and digits, dtype/shape, determinism."""

from __future__ import annotations

import io
import math

import cv2
import numpy as np
import pytest

from invariant.ops import corruptions as C
from invariant.ops.corruptions import CORRUPTIONS, SEVERITIES, corrupt, corrupt_batch

# The severity constants of Hendrycks & Dietterich's reference code (hendrycks/robustness,
# ImageNet-C/imagenet_c/imagenet_c/corruptions.py), typed in independently of the module.
PAPER = {
    "gaussian_noise": [0.08, 0.12, 0.18, 0.26, 0.38],
    "shot_noise": [60, 25, 12, 5, 3],
    "impulse_noise": [0.03, 0.06, 0.09, 0.17, 0.27],
    "defocus_blur": [(3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5)],
    "glass_blur": [(0.7, 1, 2), (0.9, 2, 1), (1, 2, 3), (1.1, 3, 2), (1.5, 4, 2)],
    "motion_blur": [(10, 3), (15, 5), (15, 8), (15, 12), (20, 15)],
    "zoom_blur": [(1, 1.11, 0.01), (1, 1.16, 0.01), (1, 1.21, 0.02), (1, 1.26, 0.02), (1, 1.31, 0.03)],  # np.arange(start, stop, step)
    "snow": [(0.1, 0.3, 3, 0.5, 10, 4, 0.8), (0.2, 0.3, 2, 0.5, 12, 4, 0.7), (0.55, 0.3, 4, 0.9, 12, 8, 0.7), (0.55, 0.3, 4.5, 0.85, 12, 8, 0.65), (0.55, 0.3, 2.5, 0.85, 12, 12, 0.55)],
    "frost": [(1, 0.4), (0.8, 0.6), (0.7, 0.7), (0.65, 0.7), (0.6, 0.75)],
    "fog": [(1.5, 2), (2, 2), (2.5, 1.7), (2.5, 1.5), (3, 1.4)],
    "brightness": [0.1, 0.2, 0.3, 0.4, 0.5],
    "contrast": [0.4, 0.3, 0.2, 0.1, 0.05],
    "elastic_transform": [(488, 170.8, 24.4), (488, 19.52, 48.8), (12.2, 2.44, 4.88), (17.08, 2.44, 4.88), (29.28, 2.44, 4.88)],
    "pixelate": [0.6, 0.5, 0.4, 0.3, 0.25],
    "jpeg_compression": [25, 18, 15, 10, 7],
}


def _camera(size: int = 224) -> np.ndarray:
    from skimage import data

    return cv2.resize(data.camera(), (size, size), interpolation=cv2.INTER_AREA)


def _astronaut(size: int = 224) -> np.ndarray:
    from skimage import data

    return cv2.resize(data.astronaut(), (size, size), interpolation=cv2.INTER_AREA)


def _digits(n: int = 40) -> np.ndarray:
    from invariant.training.datasets_builtin import load_split

    return load_split("mnist", 100, 10, n, seed=0).test_images[:n]


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * math.log10(255.0**2 / max(mse, 1e-12))


def test_the_fifteen_types_in_the_papers_order() -> None:
    assert CORRUPTIONS == tuple(PAPER) and len(CORRUPTIONS) == 15
    assert sum(len(v) for v in C.GROUPS.values()) == 15 and set().union(*C.GROUPS.values()) == set(CORRUPTIONS)


@pytest.mark.parametrize("name", list(PAPER))
def test_constants_equal_the_reference(name: str) -> None:
    ours = SEVERITIES[name]
    assert len(ours) == 5
    for got, want in zip(ours, PAPER[name]):
        if name == "zoom_blur":
            np.testing.assert_array_equal(np.asarray(got), np.arange(*want))
        else:
            assert np.asarray(got, float) == pytest.approx(np.asarray(want, float))


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_shape_dtype_range_and_determinism(name: str) -> None:
    gray, rgb = _camera(64), _astronaut(64)
    for image in (gray, gray[:, :, None], rgb, rgb.astype(np.float32) / 255):
        out = corrupt(image, name, 3, seed=7)
        assert out.shape == image.shape and out.dtype == image.dtype
        if out.dtype == np.float32:
            assert 0.0 <= out.min() and out.max() <= 1.0
        np.testing.assert_array_equal(out, corrupt(image, name, 3, seed=7))
    assert not np.array_equal(corrupt(rgb, name, 5, seed=1), rgb)


@pytest.mark.parametrize("name", ["gaussian_noise", "shot_noise", "impulse_noise", "motion_blur", "glass_blur", "snow", "frost", "fog", "elastic_transform"])
def test_random_corruptions_depend_on_the_seed(name: str) -> None:
    image = _camera(64)
    assert not np.array_equal(corrupt(image, name, 3, seed=0), corrupt(image, name, 3, seed=1))


def test_gaussian_noise_statistics() -> None:
    x = np.full((256, 256), 0.5, np.float32)
    for sev, c in enumerate(PAPER["gaussian_noise"][:2], start=1):  # unclipped: 0.5 +/- 4 sigma stays in [0, 1]
        d = corrupt(x, "gaussian_noise", sev, seed=3) - 0.5
        assert abs(float(d.mean())) < 0.003 and float(d.std()) == pytest.approx(c, rel=0.03)


def test_shot_noise_is_poisson() -> None:
    x = np.full((256, 256), 0.5, np.float32)
    for sev, c in enumerate(PAPER["shot_noise"], start=1):
        out = corrupt(x, "shot_noise", sev, seed=3).astype(np.float64)
        counts = out * c  # Poisson(0.5 c) counts (clipping at 1 only for counts > c: rare at these rates)
        assert np.allclose(counts, np.round(counts), atol=1e-4)
        if sev <= 3:
            assert counts.mean() == pytest.approx(0.5 * c, rel=0.02) and counts.var() == pytest.approx(0.5 * c, rel=0.05)


def test_impulse_noise_amount() -> None:
    x = np.full((200, 200, 3), 0.5, np.float32)
    for sev, c in enumerate(PAPER["impulse_noise"], start=1):
        out = corrupt(x, "impulse_noise", sev, seed=1)
        hit = out != 0.5
        assert hit.mean() == pytest.approx(c, rel=0.05)
        assert set(np.unique(out[hit]).tolist()) == {0.0, 1.0}
        assert (out[hit] == 1.0).mean() == pytest.approx(0.5, abs=0.03)


def test_contrast_and_brightness_against_numpy_and_skimage() -> None:
    from skimage.color import hsv2rgb, rgb2hsv

    rgb = _astronaut(96).astype(np.float32) / 255
    for sev in range(1, 6):
        c = PAPER["contrast"][sev - 1]
        m = rgb.mean(axis=(0, 1), keepdims=True)
        np.testing.assert_allclose(corrupt(rgb, "contrast", sev), np.clip((rgb - m) * c + m, 0, 1), atol=1e-6)
        b = PAPER["brightness"][sev - 1]
        hsv = rgb2hsv(rgb.astype(np.float64))
        hsv[:, :, 2] = np.clip(hsv[:, :, 2] + b, 0, 1)
        np.testing.assert_allclose(corrupt(rgb, "brightness", sev), np.clip(hsv2rgb(hsv), 0, 1), atol=2e-5)
    gray = _camera(64)
    np.testing.assert_array_equal(corrupt(gray, "brightness", 2), np.clip(np.round(gray / 255.0 * 255 + 0.2 * 255), 0, 255).astype(np.uint8))


def test_pixelate_and_jpeg_against_pil() -> None:
    from PIL import Image

    for image in (_camera(224), _astronaut(224)):
        for sev in range(1, 6):
            c = PAPER["pixelate"][sev - 1]
            pil = Image.fromarray(image).resize((int(224 * c), int(224 * c)), Image.BOX).resize((224, 224), Image.BOX)
            ours = corrupt(image, "pixelate", sev)
            assert np.abs(ours.astype(int) - np.asarray(pil).astype(int)).max() <= 1, sev  # PIL rounds to 8 bits between the two resizes
            buf = io.BytesIO()
            Image.fromarray(image).save(buf, "JPEG", quality=PAPER["jpeg_compression"][sev - 1])
            ref = np.asarray(Image.open(buf))
            assert np.abs(corrupt(image, "jpeg_compression", sev).astype(int) - ref.astype(int)).mean() < 1.0, sev


def test_zoom_blur_against_the_reference_scipy_zoom() -> None:
    from scipy.ndimage import zoom

    def clipped_zoom(img: np.ndarray, z: float) -> np.ndarray:  # the reference's helper
        h = img.shape[0]
        ch = int(np.ceil(h / z))
        top = (h - ch) // 2
        img = zoom(img[top : top + ch, top : top + ch], (z, z, 1), order=1)
        t = (img.shape[0] - h) // 2
        return img[t : t + h, t : t + h]

    x = (_astronaut(224) / 255.0).astype(np.float32)
    for sev in (1, 5):
        factors = np.arange(1, [1.11, 1.16, 1.21, 1.26, 1.31][sev - 1], [0.01, 0.01, 0.02, 0.02, 0.03][sev - 1])
        ref = np.clip((x + sum(clipped_zoom(x, z) for z in factors)) / (len(factors) + 1), 0, 1)
        ours = corrupt(x, "zoom_blur", sev)
        assert np.abs(ours - ref).max() < 1e-4, sev


def test_defocus_disk_area_and_reference_kernel() -> None:
    for r in (0.6, 1.5, 3.0, 6.5):
        k = C._disk_kernel(r, 0.0)
        support = (k > 0).sum()
        assert k.sum() == pytest.approx(1.0, abs=1e-5)
        assert math.pi * r**2 <= support + 1e-9 <= math.pi * (r + 1.5) ** 2  # covers the disk, not much more
    # at 224 px (s = 1) the result is close to the reference's aliased disk convolution
    x = (_camera(224) / 255.0).astype(np.float32)
    radius, alias = PAPER["defocus_blur"][2]
    L = np.arange(-8, 9)
    X, Y = np.meshgrid(L, L)
    disk = ((X**2 + Y**2) <= radius**2).astype(np.float32)
    disk = cv2.GaussianBlur(disk / disk.sum(), (3, 3), alias)
    ref = np.clip(cv2.filter2D(x, -1, disk), 0, 1)
    assert np.abs(corrupt(x, "defocus_blur", 3) - ref).mean() < 1.5 / 255


def test_motion_streak_kernel_is_a_one_sided_gaussian() -> None:
    radius, sigma, angle = 8.0, 4.0, 30.0
    k = C.motion_streak_kernel(radius, sigma, angle).astype(np.float64)
    assert k.sum() == pytest.approx(1.0, abs=1e-5)
    half = k.shape[0] // 2
    ys, xs = np.mgrid[: k.shape[0], : k.shape[1]] - half
    along = xs * math.cos(math.radians(angle)) + ys * math.sin(math.radians(angle))
    across = -xs * math.sin(math.radians(angle)) + ys * math.cos(math.radians(angle))
    i = np.arange(2 * math.ceil(radius) + 1)  # ImageMagick's taps and weights, written out here
    w = np.exp(-(i**2) / (2 * sigma**2))
    assert float((k * along).sum()) == pytest.approx(float((w * i).sum() / w.sum()), abs=1e-4)  # bilinear splats keep the centroid
    k8 = C.motion_streak_kernel(radius, sigma, angle, scale=0.125).astype(np.float64)
    half8 = k8.shape[0] // 2
    ys8, xs8 = np.mgrid[: k8.shape[0], : k8.shape[1]] - half8
    along8 = xs8 * math.cos(math.radians(angle)) + ys8 * math.sin(math.radians(angle))
    assert float((k8 * along8).sum()) == pytest.approx(0.125 * float((w * i).sum() / w.sum()), abs=1e-4)
    assert abs(float((k * across).sum())) < 0.05 and (k * along).min() > -1.0  # on the line, one-sided


def test_plasma_fractal_range_and_self_similarity_of_scaling() -> None:
    rng = np.random.default_rng(0)
    p = C.plasma_fractal(64, 2.0, rng)
    assert p.min() == 0.0 and p.max() == 1.0 and p.shape == (64, 64)
    assert C._scaled_plasma((28, 28), 2.0, np.random.default_rng(0)).shape == (28, 28)  # 32-map cropped to 28 = 224/8
    with pytest.raises(ValueError, match="power of two"):
        C.plasma_fractal(48, 2.0, rng)


# Types whose table strengthens the corruption at every severity step. Left out: glass blur (iterations
# 2, 1, 3, 2, 2 and sigma rise together, not monotone by construction) and elastic (severities 1-2 are
# large smooth warps, 3-5 small local ones: a different regime, as in the reference table).
MONOTONE = [c for c in CORRUPTIONS if c not in ("glass_blur", "elastic_transform")]


# Fog and frost are blends ``a x + b layer`` whose tables lower the image weight and raise the layer's:
# PSNR also moves with the blend's brightness offset (frost 3 -> 4 lowers a, which darkens towards the
# photo), so for them the measure is the correlation with the clean image, which the blend can only lower.
BLENDS = ("fog", "frost")


def _similarity(a: np.ndarray, b: np.ndarray, name: str) -> float:
    if name in BLENDS:
        return 40.0 * float(np.corrcoef(a.ravel().astype(np.float64), b.ravel().astype(np.float64))[0, 1])  # 0.0125 corr ~ 0.5 "dB"
    return _psnr(a, b)


@pytest.mark.parametrize("name", MONOTONE)
def test_psnr_falls_with_severity_on_a_real_photo(name: str) -> None:
    image = _camera(224)
    psnr = [np.mean([_similarity(corrupt(image, name, s, seed=k), image, name) for k in range(6)]) for s in range(1, 6)]
    assert psnr[4] < psnr[0] - 1.0
    assert all(b <= a + 0.5 for a, b in zip(psnr, psnr[1:])), np.round(psnr, 2)  # non-increasing (0.5 dB of draw noise)


# On 28 px digits the length rule makes defocus severities 1-2 sub-pixel (radius 0.375, 0.5 px: the
# identity) and pixelate's int(28 c) sizes 16, 14, 11, 8, 7 alias differently per digit.
DIGIT_MONOTONE = [c for c in MONOTONE if c not in ("defocus_blur", "pixelate")]


@pytest.mark.parametrize("name", DIGIT_MONOTONE)
def test_psnr_falls_with_severity_on_digits(name: str) -> None:
    digits = _digits(30)
    psnr = [np.mean([_similarity(corrupt_batch(digits, name, s, seed=0)[i], d, name) for i, d in enumerate(digits)]) for s in range(1, 6)]
    assert psnr[4] < psnr[0] - 1.0
    assert all(b <= a + 0.5 for a, b in zip(psnr, psnr[1:])), np.round(psnr, 2)


def test_defocus_on_digits_is_identity_below_half_a_pixel_then_degrades() -> None:
    d = _digits(10)
    np.testing.assert_array_equal(corrupt_batch(d, "defocus_blur", 1), d)
    psnr = [np.mean([_psnr(a, b) for a, b in zip(corrupt_batch(d, "defocus_blur", s), d)]) for s in (3, 4, 5)]
    assert psnr[0] > psnr[1] > psnr[2]


def test_bad_input_is_refused() -> None:
    image = _camera(32)
    with pytest.raises(ValueError, match="corruption"):
        corrupt(image, "speckle", 1)
    for sev in (0, 6, 2.0, True):
        with pytest.raises(ValueError, match="severity"):
            corrupt(image, "fog", sev)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="image"):
        corrupt(image.astype(np.uint16), "fog", 1)
    with pytest.raises(ValueError, match="8 x 8"):
        corrupt(image[:4, :4], "fog", 1)
    with pytest.raises(TypeError, match="image"):
        corrupt(image.tolist(), "fog", 1)  # type: ignore[arg-type]

"""Camera / optics transforms against independent references: OpenCV calls written out in the test, the
kernels' published formulas (Real-ESRGAN, ImageNet-C, imgaug), scipy's Bessel J1, scikit-image's SLIC and
albumentations 2.0.8's functional kernels for the same drawn parameters."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

import invariant as iv
from invariant.ops import optics as O

from ..conftest import photo

DTYPES = ("uint8", "uint16", "float32")


def _apply(t: iv.Transform, image: np.ndarray, seed: int = 0) -> tuple[np.ndarray, dict]:
    out = iv.Compose([t], seed=seed)(image=image, return_params=True)
    return out["image"], out["params"][0]["params"] if out["params"] else {}


def _exact_correlation(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Correlation in float64 over a reflect-101 border (numpy's "reflect" pad), written out tap by tap."""
    r = kernel.shape[0] // 2
    h, w = image.shape[:2]
    padded = np.pad(image.astype(np.float64), ((r, r), (r, r), (0, 0)), mode="reflect")
    out = np.zeros(image.shape, np.float64)
    for i in range(kernel.shape[0]):
        for j in range(kernel.shape[1]):
            out += float(kernel[i, j]) * padded[i : i + h, j : j + w]
    return out


@pytest.mark.parametrize("dtype", DTYPES)
def test_blur_equals_cv2_blur(dtype: str) -> None:
    image = photo(dtype, 3)
    out, params = _apply(iv.Blur(blur_limit=(3, 9), p=1), image, seed=3)
    k = params["kernel_size"]
    np.testing.assert_array_equal(out, cv2.blur(image, (k, k), borderType=cv2.BORDER_REFLECT_101))


def test_blur_many_channels_per_channel() -> None:
    image = photo("uint8", 6)
    out = O.box_blur(image, 5)
    ref = np.dstack([cv2.blur(image[:, :, c], (5, 5)) for c in range(6)])
    np.testing.assert_array_equal(out, ref)


def test_advanced_blur_beta_one_equal_sigmas_is_gaussian() -> None:
    image = photo("float32", 3)
    for size, sigma, angle in ((5, 0.8, 0.3), (7, 1.3, 1.2), (9, 2.0, -0.7)):
        k = O.generalized_gaussian_kernel(size, sigma, sigma, angle, 1.0)
        ref = cv2.GaussianBlur(image, (size, size), sigma, borderType=cv2.BORDER_REFLECT_101)
        np.testing.assert_allclose(O.convolve(image, k), ref, atol=2e-6)


def test_advanced_blur_kernel_properties() -> None:
    k = O.generalized_gaussian_kernel(9, 2.0, 0.6, 0.0, 2.5)
    assert abs(float(k.sum()) - 1.0) < 1e-6
    # sigma_x > sigma_y at angle 0: wider along x; rotating by 90 degrees is the transposed kernel
    assert k[4, 4 + 3] > k[4 + 3, 4]
    np.testing.assert_allclose(O.generalized_gaussian_kernel(9, 2.0, 0.6, math.pi / 2, 2.5), k.T, atol=1e-7)
    # beta > 1 is flatter at the top than the Gaussian (plateau), beta < 1 peakier: neighbour / centre ratio
    def ratio(beta: float) -> float:
        kk = O.generalized_gaussian_kernel(9, 1.5, 1.5, 0.0, beta)
        return float(kk[4, 5] / kk[4, 4])

    assert ratio(3.0) > ratio(1.0) > ratio(0.5)
    assert abs(ratio(1.0) - math.exp(-0.5 / 2.25)) < 1e-6
    # the formula exp(-0.5 (p^T S^-1 p)^beta) at one tap, computed directly
    p = np.array([2.0, -1.0])
    raw = np.exp(-0.5 * (p @ np.linalg.inv(np.diag([4.0, 0.36])) @ p) ** 2.5)
    r = np.arange(9) - 4.0
    xx, yy = np.meshgrid(r, r)
    total = np.exp(-0.5 * (xx**2 / 4.0 + yy**2 / 0.36) ** 2.5).sum()
    assert abs(k[4 - 1, 4 + 2] - raw / total) < 1e-7


def test_defocus_kernel_is_normalised_rasterised_disc() -> None:
    for radius in (1, 3, 4, 8, 9, 11):
        k = O.disc_kernel(radius, 1e-3)  # negligible alias blur: the disc itself
        reach = radius + (1 if radius <= 8 else 2)  # the disc dilated by the 3x3 / 5x5 alias blur
        assert k.shape == (2 * reach + 1, 2 * reach + 1)
        yy, xx = np.mgrid[-reach : reach + 1, -reach : reach + 1]
        disc = (np.hypot(xx, yy) <= radius + 1e-9).astype(np.float64)
        np.testing.assert_allclose(k, disc / disc.sum(), atol=1e-7)
        blurred = O.disc_kernel(radius, 0.5)
        assert abs(float(blurred.sum()) - 1.0) < 1e-5
        assert blurred[0].any() and blurred[:, 0].any()  # trimmed to its support, no tap lost


@pytest.mark.parametrize("radius", (3, 4, 9))
def test_defocus_equals_float64_correlation(radius: int) -> None:
    from scipy import ndimage

    image = photo("uint8", 3)
    k = O.disc_kernel(radius, 0.3).astype(np.float64)
    ref = np.stack([ndimage.correlate(image[:, :, c].astype(np.float64), k, mode="mirror") for c in range(3)], axis=2)
    out = O.convolve(image, O.disc_kernel(radius, 0.3))
    assert np.abs(out.astype(np.float64) - ref).max() <= 0.5 + 1e-3  # one rounding from the float64 sum
    out32 = O.convolve(image.astype(np.float32) / 255.0, O.disc_kernel(radius, 0.3))
    np.testing.assert_allclose(out32, ref / 255.0, atol=2e-6)


@pytest.mark.parametrize("dtype", ("uint8", "float32"))
def test_defocus_equals_albumentations(dtype: str) -> None:
    from albumentations.augmentations.blur import functional as AF

    image = photo(dtype, 3)
    out, params = _apply(iv.Defocus(radius=(3, 7), p=1), image, seed=5)  # radius >= 8: see disc_kernel's note
    ref = AF.defocus(image, params["radius"], params["alias_blur"])
    np.testing.assert_allclose(out.astype(np.float64), ref.astype(np.float64), atol=1 if dtype == "uint8" else 1e-6)


def test_zoom_blur_equals_albumentations() -> None:
    from albumentations.augmentations.blur import functional as AF

    image = photo("float32", 3)
    out, params = _apply(iv.ZoomBlur(max_factor=(1.2, 1.3), p=1), image, seed=2)
    assert len(params["factors"]) > 3
    ref = AF.zoom_blur(image, np.array(params["factors"]))
    np.testing.assert_allclose(out, ref, atol=1e-6)
    # uint16: the same computation in its own units
    out16 = O.zoom_blur(photo("uint16", 3), params["factors"])
    np.testing.assert_allclose(out16 / 65535.0, ref, atol=1e-4)


def test_glass_blur_equals_albumentations() -> None:
    from albumentations.augmentations.blur import functional as AF

    image = photo("uint8", 3)
    t = iv.GlassBlur(sigma=0.7, max_delta=3, iterations=2, p=1)
    out, params = _apply(t, image, seed=4)
    dxy = O.glass_offsets(params["seed"], image.shape[:2], 3, 2)
    ref = AF.glass_blur(image, 0.7, 3, 2, dxy, "fast")
    np.testing.assert_array_equal(out, ref)
    assert not np.array_equal(out, cv2.GaussianBlur(cv2.GaussianBlur(image, (0, 0), 0.7), (0, 0), 0.7))  # the swaps matter


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("channels", [1, 2, 3, 4, 5])
def test_glass_blur_pixel_words_equal_albumentations_for_every_pixel_size(dtype: str, channels: int) -> None:
    # the swap passes run on whole pixels as 1-, 2-, 4-, 8- and 16-byte words or (5 channels) raw bytes:
    # albumentations' (H, W, C) fancy-indexed swaps give the same bits for every dtype and channel count
    from albumentations.augmentations.blur import functional as AF

    rng = np.random.default_rng(channels)
    for shape, max_delta, iterations in (((7, 5), 1, 2), ((33, 40), 3, 3)):
        image = np.ascontiguousarray(photo(dtype, max(3, channels), size=shape)[:, :, :channels])
        dxy = O.glass_offsets(int(rng.integers(1000)), shape, max_delta, iterations)
        out = O.glass_blur(image, 0.7, max_delta, iterations, dxy)
        ref = AF.glass_blur(image, 0.7, max_delta, iterations, dxy, "fast").reshape(image.shape)
        assert out.dtype == image.dtype and out.flags.c_contiguous
        np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("dtype", DTYPES)
def test_chromatic_aberration_equals_opencv_lens_model(dtype: str) -> None:
    image = photo(dtype, 3)
    out, params = _apply(iv.ChromaticAberration(primary_distortion_limit=0.2, secondary_distortion_limit=0.2, p=1), image, seed=1)
    h, w = image.shape[:2]
    cam = np.array([[w, 0, w / 2], [0, h, h / 2], [0, 0, 1]], np.float32)
    for channel, (k1, k2) in ((0, params["red"]), (2, params["blue"])):
        mx, my = cv2.initUndistortRectifyMap(cam, np.array([k1, k2, 0, 0], np.float32), None, cam, (w, h), cv2.CV_32FC1)
        ref = cv2.remap(np.ascontiguousarray(image[:, :, channel]), mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        np.testing.assert_array_equal(out[:, :, channel], ref)
    if dtype == "uint8":  # albumentations 2.0.8 runs it through uint8 only
        from albumentations.augmentations.pixel import functional as AF

        np.testing.assert_array_equal(out, AF.chromatic_aberration(image, *params["red"], *params["blue"], cv2.INTER_LINEAR))
    np.testing.assert_array_equal(out[:, :, 1], image[:, :, 1])
    with pytest.raises(ValueError):
        iv.Compose([iv.ChromaticAberration(p=1)])(image=photo(dtype, 1))


def _alb_matrix(cls, a, b):
    return getattr(cls, f"_{cls.__name__}__generate_{'sharpening' if cls.__name__ == 'Sharpen' else 'emboss'}_matrix")(a, b)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sharpen_is_filter2d_with_documented_kernel(dtype: str) -> None:
    import albumentations as A

    image = photo(dtype, 3)
    out, params = _apply(iv.Sharpen(p=1), image, seed=6)
    a, l_ = params["alpha"], params["lightness"]
    kernel = (1 - a) * np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]]) + a * np.array([[-1, -1, -1], [-1, 8 + l_, -1], [-1, -1, -1]])
    np.testing.assert_allclose(_alb_matrix(A.Sharpen, a, l_), kernel, atol=1e-6)
    ref = cv2.filter2D(image, -1, kernel.astype(np.float32), borderType=cv2.BORDER_REFLECT_101)
    if dtype == "float32":
        ref = np.clip(ref, 0, 1)
    # the kernel is built in float32 in the library and float64 here: a float32 ulp, or one level at a .5 tie
    np.testing.assert_allclose(out.astype(np.float64), ref.astype(np.float64), atol=1e-6 if dtype == "float32" else 1)
    assert np.mean(out != ref) < (0.01 if dtype != "float32" else 1.0)
    assert abs(kernel.sum() - (1 + a * (l_ - 1))) < 1e-9


@pytest.mark.parametrize("dtype", DTYPES)
def test_emboss_is_filter2d_with_documented_kernel(dtype: str) -> None:
    import albumentations as A

    image = photo(dtype, 3)
    out, params = _apply(iv.Emboss(p=1), image, seed=8)
    a, s = params["alpha"], params["strength"]
    kernel = (1 - a) * np.eye(3)[[1]].T @ np.eye(3)[[1]] + a * np.array([[-1 - s, -s, 0], [-s, 1, s], [0, s, 1 + s]])
    np.testing.assert_allclose(_alb_matrix(A.Emboss, a, s), kernel, atol=1e-6)
    ref = cv2.filter2D(image, -1, kernel.astype(np.float32), borderType=cv2.BORDER_REFLECT_101)
    if dtype == "float32":
        ref = np.clip(ref, 0, 1)
    # the kernel is built in float32 in the library and float64 here: a float32 ulp, or one level at a .5 tie
    np.testing.assert_allclose(out.astype(np.float64), ref.astype(np.float64), atol=1e-6 if dtype == "float32" else 1)
    assert np.mean(out != ref) < (0.01 if dtype != "float32" else 1.0)
    assert abs(kernel.sum() - 1.0) < 1e-9


def test_bessel_j1_matches_scipy() -> None:
    from scipy.special import j1

    x = np.linspace(0, 40, 2001)
    np.testing.assert_allclose(O.bessel_j1(x), j1(x), atol=1e-12)


def test_sinc_kernel_matches_real_esrgan_formula() -> None:
    from scipy.special import j1

    for size, cutoff in ((7, math.pi / 3), (15, math.pi / 2), (21, 1.0)):
        # Real-ESRGAN circular_lowpass_kernel, written out
        c = (size - 1) / 2
        ref = np.fromfunction(
            lambda x, y: cutoff * j1(cutoff * np.sqrt((x - c) ** 2 + (y - c) ** 2)) / (2 * np.pi * np.sqrt((x - c) ** 2 + (y - c) ** 2) + 1e-300), (size, size)
        )
        ref[int(c), int(c)] = cutoff**2 / (4 * np.pi)
        ref /= ref.sum()
        np.testing.assert_allclose(O.sinc_kernel(size, cutoff), ref, atol=1e-7)


def test_ringing_overshoot_is_sinc_convolution_and_overshoots() -> None:
    image = photo("float32", 1)
    out, params = _apply(iv.RingingOvershoot(blur_limit=15, cutoff=math.pi / 3, p=1), image)
    k = O.sinc_kernel(params["kernel_size"], params["cutoff"])
    assert (k < 0).any()
    ref = np.clip(cv2.filter2D(image, -1, k, borderType=cv2.BORDER_REFLECT_101), 0, 1)[:, :, None]
    # 15x15: OpenCV's filter2D takes its DFT path, convolve two direct float32 passes (float32 rounding apart)
    np.testing.assert_allclose(out, ref, atol=1e-6)
    np.testing.assert_allclose(out, np.clip(_exact_correlation(image, k), 0, 1), atol=1e-6)
    # a step edge rings: values beyond the step's range appear before clipping
    step = np.zeros((32, 32), np.float32)
    step[:, 16:] = 0.5
    raw = cv2.filter2D(step, -1, k, borderType=cv2.BORDER_REFLECT_101)
    assert raw.max() > 0.5 + 1e-3 and raw.min() < -1e-3


@pytest.mark.parametrize("size", [5, 7, 9, 11, 13, 15])
def test_convolve_uint8_rounds_the_exact_correlation(size: int) -> None:
    # uint8 output = the exact correlation rounded half to even and saturated, except where the exact value
    # lies within float32 summation error of a half level (either neighbour is then a correct rounding)
    rng = np.random.default_rng(size)
    kernels = [O.sinc_kernel(size, 0.9), O.sinc_kernel(size, 1.5), (rng.normal(0, 1, (size, size)) / size).astype(np.float32)]
    for channels, shape in ((1, (37, 61)), (3, (48, 64)), (4, (33, 47))):
        image = photo("uint8", channels, size=shape).reshape(*shape, channels)
        for k in kernels:
            out = O.convolve(image, k)
            exact = _exact_correlation(image, k)
            ref = np.clip(np.rint(exact), 0, 255)
            assert out.shape == image.shape and out.dtype == np.uint8
            clear = np.abs(np.abs(exact - np.floor(exact)) - 0.5) > 1e-3  # not within 1e-3 of a tie
            np.testing.assert_array_equal(out[clear], ref[clear])
            assert np.abs(out.astype(np.int64) - ref).max() <= 1
            # OpenCV's own uint8 filter2D: the same values up to those near-ties
            theirs = cv2.filter2D(image, -1, k, borderType=cv2.BORDER_REFLECT_101).reshape(image.shape)
            assert np.abs(out.astype(np.int64) - theirs).max() <= 1 and (out != theirs).mean() < 1e-3


@pytest.mark.parametrize("size", [3, 5, 7, 9, 13])
def test_convolve_exact_uint16_rounds_the_exact_correlation(size: int) -> None:
    # exact_uint16: the float64 correlation rounded half to even at every size (OpenCV's own uint16 loop, below
    # 50 taps, sums in float32 and is one level off for ~0.2% of a photo's pixels; from 50 taps its DFT is float64)
    rng = np.random.default_rng(size)
    kernels = [O.sinc_kernel(size, 1.2) if size > 3 else O.sharpen_kernel(0.4, 0.7), (rng.random((size, size)) / size**2).astype(np.float32)]
    for channels, shape in ((1, (37, 61)), (3, (48, 64)), (4, (33, 47))):
        image = _uint16_photo(channels, shape, rng)
        for k in kernels:
            out = O.convolve(image, k, exact_uint16=True)
            assert out.shape == image.shape and out.dtype == np.uint16
            _assert_rounds_exact(out, _exact_correlation(image, k))


@pytest.mark.parametrize("radius", [1, 2, 3, 5])
def test_defocus_uint16_rounds_the_exact_correlation(radius: int) -> None:
    # radius 1-2: the disc kernel trimmed to its support has 25 / 49 taps, below OpenCV's float64 DFT path for
    # uint16 (50 taps); its direct uint16 loop summed in float32 and put ~0.2% of the pixels one level off
    rng = np.random.default_rng(radius)
    for channels, shape in ((1, (57, 61)), (3, (64, 80))):
        image = _uint16_photo(channels, shape, rng)
        params = {"radius": radius, "alias_blur": 0.3}
        out = iv.Defocus().apply_image(image, params)
        _assert_rounds_exact(out, _exact_correlation(image, O.disc_kernel(radius, 0.3)))


def _uint16_photo(channels: int, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    image = photo("uint16", channels, size=shape).reshape(*shape, channels)
    return image + rng.integers(0, 257, image.shape).astype(np.uint16)  # every level, not only multiples of 257


def _assert_rounds_exact(out: np.ndarray, exact: np.ndarray) -> None:
    ref = np.clip(np.rint(exact), 0, 65535)
    clear = np.abs(np.abs(exact - np.floor(exact)) - 0.5) > 1e-6  # float64 sums: a tie only within 1e-6
    np.testing.assert_array_equal(out[clear], ref[clear])


@pytest.mark.parametrize("size", [7, 11, 13, 15])
def test_convolve_float32_is_the_exact_correlation_clipped(size: int) -> None:
    image = photo("float32", 3, size=(45, 70))
    for k in (O.sinc_kernel(size, 0.8), O.sinc_kernel(size, 1.4)):
        out = O.convolve(image, k)
        assert out.dtype == np.float32 and out.shape == image.shape
        np.testing.assert_allclose(out, np.clip(_exact_correlation(image, k), 0, 1), atol=2e-6)


@pytest.mark.parametrize("size", [5, 9, 11, 13, 15])
def test_convolve_on_images_smaller_than_the_kernel_equals_scipy_mirror(size: int) -> None:
    # the uint8 float32 path (5x5..11x11) and the two-pass split (13x13, 15x15) on images the kernel's reach
    # exceeds, where reflect-101 reflects more than once: scipy.ndimage's "mirror" mode is the same border
    from scipy import ndimage

    rng = np.random.default_rng(size)
    k = rng.random((size, size)).astype(np.float32)
    k /= k.sum()
    for shape in ((1, 1), (1, 6), (6, 1), (2, 3), (4, 4), (7, 20)):
        for channels in (1, 2, 5):
            for dtype in ("uint8", "float32"):
                image = rng.random(shape + (channels,))
                image = (image * 255).astype(np.uint8) if dtype == "uint8" else image.astype(np.float32)
                out = O.convolve(image, k)
                assert out.shape == image.shape and out.dtype == image.dtype and out.flags.c_contiguous
                exact = np.stack([ndimage.correlate(image[:, :, c].astype(np.float64), k.astype(np.float64), mode="mirror") for c in range(channels)], axis=2)
                if dtype == "uint8":
                    assert np.abs(out.astype(np.float64) - exact).max() <= 0.5 + 1e-4  # a rounding of the exact value
                else:
                    np.testing.assert_allclose(out, exact, rtol=0, atol=2e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_superpixels_paints_slic_segment_means(dtype: str) -> None:
    from skimage.segmentation import slic

    image = photo(dtype, 3)
    out, params = _apply(iv.Superpixels(p_replace=1.0, n_segments=40, p=1), image)
    top = {"uint8": 255, "uint16": 65535, "float32": 1.0}[dtype]
    labels = slic(image.astype(np.float64) / top, n_segments=40, compactness=10, start_label=0, channel_axis=-1)
    for lab in np.unique(labels):
        region = labels == lab
        expected = image[region].astype(np.float64).mean(axis=0)
        np.testing.assert_allclose(out[region].astype(np.float64), np.broadcast_to(expected, out[region].shape), atol=0.5 if dtype != "float32" else 1e-5)
    same, _ = _apply(iv.Superpixels(p_replace=0.0, p=1), image)
    np.testing.assert_array_equal(same, image)


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError):
        iv.Blur(blur_limit=(4, 6))
    with pytest.raises(ValueError):
        iv.Defocus(radius=(5, 2))
    with pytest.raises(ValueError):
        iv.RingingOvershoot(cutoff=(1.0, 4.0))
    with pytest.raises(ValueError):
        iv.Sharpen(alpha=(0.5, 1.5))
    with pytest.raises(TypeError):
        iv.GlassBlur(iterations=1.5)
    with pytest.raises(ValueError):
        iv.ZoomBlur(max_factor=(0.5, 1.2))


@pytest.mark.parametrize("radius", (3, 5, 6, 10))
def test_defocus_keeps_float_data_outside_unit_range(radius: int) -> None:
    """A non-negative kernel never leaves the input's range, so float32 data outside [0, 1] (normalised
    images) is not clipped, whichever correlation path the kernel's size picks."""
    from scipy import ndimage

    image = (photo("float32", 3) - 0.5) * 4.0  # about [-2, 2]
    k = O.disc_kernel(radius, 0.3)
    out = O.convolve(image, k)
    ref = np.stack([ndimage.correlate(image[:, :, c].astype(np.float64), k.astype(np.float64), mode="mirror") for c in range(3)], axis=2)
    np.testing.assert_allclose(out, ref, atol=1e-5)
    assert out.min() < -1.0 and out.max() > 1.0

"""Blur and noise kernels for uint8, uint16 and float32 HWC images with any channel count."""

from __future__ import annotations

import math

import cv2
import numpy as np

from .color import max_value, rgb_to_hls_float, to_dtype
from .geometric import channel_chunks
from .median_network import median7_uint8
from .scratch import work_array


def _hwc(array: np.ndarray) -> np.ndarray:
    return array if array.ndim == 3 else array[:, :, None]


def _per_channel_groups(image: np.ndarray, fn, limit: int = 4) -> np.ndarray:
    """Run ``fn`` on groups of at most ``limit`` channels (for OpenCV functions limited to 1..4 channels)."""
    c = image.shape[2]
    if c <= limit and c != 2:
        return _hwc(fn(image))
    return np.ascontiguousarray(np.concatenate([_hwc(fn(np.ascontiguousarray(image[:, :, i : i + 1]))) for i in range(c)], axis=2))


def gaussian_kernel_size(sigma: float, dtype: np.dtype) -> int:
    """Odd kernel size covering +/- 3 sigma (uint8) or 4 sigma (deeper dtypes), at least 3."""
    radius = math.ceil((3.0 if np.dtype(dtype) == np.uint8 else 4.0) * sigma)
    return max(3, 2 * radius + 1)


def gaussian_kernel(ksize: int, sigma: float) -> np.ndarray:
    """Normalized 1-D Gaussian exp(-x^2 / 2 sigma^2) over ``ksize`` taps (torchvision's kernel), float32,
    with the tails whose weight is below 1e-9 of the centre tap trimmed (and the rest renormalized): they
    change no output by more than ~1e-7 levels, and a 23-tap kernel with a small sigma otherwise carries
    denormal floats that make the filter 10x slower and still costs 23 taps of work."""
    k = cv2.getGaussianKernel(int(ksize), float(sigma), cv2.CV_64F).ravel()
    taps = k.tolist()  # (a few taps: the first kept one found in Python floats, the same comparisons as numpy's)
    floor = taps[len(taps) // 2] * 1e-9
    cut = next((i for i, v in enumerate(taps) if v > floor), 0)  # first kept tap; the kernel is symmetric
    k = k[cut : len(k) - cut]
    return (k / np.add.reduce(k)).astype(np.float32)  # (``k.sum()`` without its Python wrapper)


@channel_chunks
def gaussian_blur(image: np.ndarray, ksize: int, sigma: float) -> np.ndarray:
    """Separable Gaussian blur, reflect-101 border (torchvision's reflect padding), as one float-kernel
    ``sepFilter2D``: about 1.5x faster than cv2.GaussianBlur for 5-7 taps and 2x for 23 in this OpenCV
    build, and for uint8 it rounds once from float sums (cv2.GaussianBlur's 8-bit path uses a fixed-point
    kernel, up to 1.3 levels off the exact blur; this stays within ~0.5)."""
    k = gaussian_kernel(ksize, sigma)
    if len(k) == 1:  # sigma so small that every off-centre tap is below 1e-9: the identity
        return image.copy()
    return _hwc(cv2.sepFilter2D(image, -1, k, k, borderType=cv2.BORDER_REFLECT_101))


_LINE_T: dict[int, np.ndarray] = {}


def motion_kernel(ksize: int, angle: float, direction: float) -> np.ndarray:
    """A normalized line kernel of length ``ksize`` through the centre at ``angle`` degrees; ``direction`` in
    [-1, 1] moves weight towards one end (0: symmetric), as albumentations' MotionBlur. The line is
    sampled at 4 * ksize points (cached per size) and accumulated with one weighted bincount."""
    t = _LINE_T.get(ksize)
    if t is None:
        t = _LINE_T.setdefault(ksize, np.linspace(-1.0, 1.0, 4 * ksize))
    c = (ksize - 1) / 2.0
    rad = math.radians(angle)
    xs = np.rint(t * (c * math.cos(rad)) + c)
    ys = np.rint(t * (c * math.sin(rad)) + c)
    index = np.clip(ys, 0, ksize - 1) * ksize + np.clip(xs, 0, ksize - 1)
    weights = t * float(direction) + 1.0
    np.maximum(weights, 0.0, out=weights)
    k = np.bincount(index.astype(np.intp), weights=weights, minlength=ksize * ksize)
    total = k.sum()
    if total <= 0:  # pragma: no cover - 1 + direction * t >= 0 with positive mass for |direction| <= 1
        k[:] = 0.0
        k[(ksize * ksize) // 2] = 1.0
        total = 1.0
    return (k * (1.0 / total)).astype(np.float32).reshape(ksize, ksize)


@channel_chunks
def filter2d(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    return _hwc(cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REFLECT_101))


def _median5_side_by_side(image: np.ndarray) -> np.ndarray:
    """``cv2.medianBlur(image, 5)`` of a uint8 HWC image with 2+ channels, bit for bit: the channel planes,
    each widened by 2 replicated columns on both sides, are laid side by side in one single-channel image
    and filtered at once. OpenCV's 5x5 sorting network runs ~1.7x faster on one wide plane than on
    interleaved channels (measured, OpenCV 4.x/5.x); the padding keeps each plane's replicate border, and
    the rows' border is the same in both layouts."""
    w = image.shape[1]
    planes = [cv2.copyMakeBorder(p, 0, 0, 2, 2, cv2.BORDER_REPLICATE) for p in cv2.split(np.ascontiguousarray(image))]
    wide = cv2.medianBlur(cv2.hconcat(planes), 5)
    step = w + 4
    return _hwc(cv2.merge([wide[:, i * step + 2 : i * step + 2 + w] for i in range(len(planes))]))


_MEDIAN7_MIN_VALUES = 20000  # below ~96x64x3 values the network's 386 numpy calls cost more than OpenCV (measured)


@channel_chunks  # (the 5x5 side-by-side path splits and merges the channels with OpenCV)
def median_blur(image: np.ndarray, ksize: int) -> np.ndarray:
    """Median filter (replicate border). OpenCV handles uint8 at any size and every dtype at 3 and 5;
    larger kernels on uint16/float32 use scipy.ndimage (same border rule). The 7x7 uint8 median runs as a
    separable min/max network (``ops.median_network``, bit for bit cv2.medianBlur, ~2.5x faster at 256x256)."""
    if image.dtype == np.uint8 and ksize == 5 and image.shape[2] > 1:
        return _median5_side_by_side(image)
    if image.dtype == np.uint8 and ksize == 7 and image.size >= _MEDIAN7_MIN_VALUES:
        return median7_uint8(image)
    if image.dtype == np.uint8 or ksize <= 5:
        return _per_channel_groups(image, lambda a: cv2.medianBlur(a, int(ksize)))
    from scipy import ndimage

    return ndimage.median_filter(image, size=(ksize, ksize, 1), mode="nearest")


def add_noise(image: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """image + noise (noise in dtype units, float32, broadcastable), rounded and clipped to the dtype."""
    if image.dtype == np.uint8 and noise.shape == image.shape and image.shape[2] <= 4:
        return _hwc(cv2.add(image, noise, dtype=cv2.CV_8U))  # saturating, rounding, one pass
    out = image.astype(np.float32)
    out += noise
    return to_dtype(out, image.dtype)


def gaussian_noise(seed: int, shape: tuple[int, ...], std: float, mean: float, per_channel: bool, dtype: np.dtype) -> np.ndarray:
    """Float32 noise in dtype units (std and mean are fractions of the dtype's range), from ``seed``.

    Drawn with OpenCV's generator (about 2x faster than numpy's normal here), seeded right before use;
    OpenCV's generator is per thread, so the result depends only on ``seed``."""
    h, w, c = shape
    top = max_value(dtype)
    planes = c if per_channel else 1
    noise = np.empty((h, w * planes), np.float32)
    cv2.setRNGSeed(int(seed) % 2**31)
    cv2.randn(noise, float(mean * top), float(std * top))
    noise = noise.reshape(h, w, planes)
    if not per_channel and c > 1:
        noise = np.repeat(noise, c, axis=2)
    return noise


# -- camera sensor (ISO) noise ------------------------------------------------------------------------------

_QUANTILES = 1 << 16  # resolution of the tabulated Poisson inverse CDF


def poisson_quantile_table(lam: float) -> np.ndarray:
    """Inverse CDF of Poisson(``lam``) tabulated at 2**16 equal steps of u: ``table[u16]`` is a Poisson
    draw for a uniform 16-bit ``u16``. Each count's probability is exact to 2**-16 (1.5e-5) and counts
    further in the tail than that are never drawn; numpy's ``Generator.poisson`` costs ~20x more per
    pixel for the lambdas ISONoise uses (tens of counts)."""
    if lam <= 0:
        return np.zeros(_QUANTILES, np.float32)
    top = int(math.ceil(lam + 12.0 * math.sqrt(lam) + 12.0))
    k = np.arange(top + 1, dtype=np.float64)
    log_factorial = np.concatenate(([0.0], np.cumsum(np.log(k[1:]))))
    pmf = np.exp(k * math.log(lam) - lam - log_factorial)
    edges = np.rint(np.cumsum(pmf) * _QUANTILES).astype(np.int64)
    edges[-1] = _QUANTILES  # the tail beyond ``top`` (< 1e-20) goes to the last count
    counts = np.diff(np.concatenate(([0], np.minimum(edges, _QUANTILES))))
    return np.repeat(k.astype(np.float32), counts)


def iso_noise_planes(
    seed: int, shape: tuple[int, int], lam: float, hue_std: float, out: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(hue noise in degrees ~ N(0, hue_std), Poisson(lam) counts), float32 (h, w) planes from ``seed``
    (OpenCV's per-thread generator, seeded right before use, so they depend on ``seed`` only). ``out``: two
    float32 (h, w) arrays to fill instead of fresh ones."""
    h, w = shape
    hue, counts = out if out is not None else (np.empty((h, w), np.float32), np.empty((h, w), np.float32))
    cv2.setRNGSeed(int(seed) % 2**31)
    if hue_std > 0:
        cv2.randn(hue, 0.0, float(hue_std))
    else:
        hue.fill(0.0)
    u = work_array("iso_noise.u", (h, w), np.uint16)
    cv2.randu(u, 0, _QUANTILES)
    np.take(poisson_quantile_table(lam), u, out=counts)
    return hue, counts


_BELOW_360 = float(np.nextafter(np.float32(360.0), np.float32(0.0)))


def _wrap_degrees(hue: np.ndarray) -> None:
    """hue mod 360 in place, into [0, 360). OpenCV's float HLS2RGB must not see negative hues (its SIMD
    path mis-wraps them), and np.mod on float32 is ~10x slower than this floor form."""
    turns = np.multiply(hue, np.float32(1.0 / 360.0), out=work_array("wrap_degrees.turns", hue.shape, np.float32))
    np.floor(turns, out=turns)
    turns *= np.float32(360.0)
    hue -= turns
    cv2.threshold(hue, _BELOW_360, 0, cv2.THRESH_TOZERO_INV, dst=hue)  # a rounded 360.0 is 0


def iso_noise(image: np.ndarray, color_shift: float, intensity: float, seed: int) -> np.ndarray:
    """Camera sensor noise on an RGB image, as albumentations 1.x's ISONoise (the semantics its docs state):
    in float HLS (hue in degrees, lightness in [0, 1]) add hue noise N(0, color_shift * 360 * intensity) and
    raise lightness by n / 255 * (1 - L) with n ~ Poisson(std(L) * intensity * 255) per pixel.

    Noise is counted in 1/255 steps of full scale for every dtype, so a uint16 result is the uint8 one
    scaled by 257 in distribution; uint16 and float32 are converted to float32 [0, 1], never via uint8.
    Unlike albumentations 1.x the result is rounded (not truncated), so zero noise returns the input
    (exactly for uint8 and uint16; float32 within 5e-7 after the HLS round trip)."""
    top = max_value(image.dtype)
    h, w, c = image.shape
    rgb = image
    if image.dtype != np.float32:
        rgb = np.multiply(image, np.float32(1.0 / top), dtype=np.float32, out=work_array("iso_noise.rgb", (h, w, c), np.float32))
    hls = rgb_to_hls_float(rgb, out=work_array("iso_noise.hls", (h, w, c), np.float32))
    _, std = cv2.meanStdDev(hls)
    planes = (work_array("iso_noise.hue_noise", (h, w), np.float32), work_array("iso_noise.counts", (h, w), np.float32))
    hue_noise, counts = iso_noise_planes(seed, (h, w), float(std[1, 0]) * intensity * 255.0, color_shift * 360.0 * intensity, out=planes)
    hue, light, sat = cv2.split(hls, [work_array(f"iso_noise.plane{i}", (h, w), np.float32) for i in range(3)])
    if color_shift > 0 and intensity > 0:
        hue += hue_noise
        _wrap_degrees(hue)
    counts *= np.float32(1.0 / 255.0)  # lightness step d, moving L towards 1 by d (1 - L)
    step = np.subtract(np.float32(1.0), light, out=work_array("iso_noise.step", (h, w), np.float32))
    light += np.multiply(counts, step, out=step)
    merged = cv2.merge([hue, light, sat], dst=hls)
    if image.dtype == np.float32:  # returned: a fresh array
        rgb = cv2.cvtColor(merged, cv2.COLOR_HLS2RGB)
        return np.clip(rgb, 0.0, 1.0, out=rgb)
    out = cv2.cvtColor(merged, cv2.COLOR_HLS2RGB, dst=work_array("iso_noise.out", (h, w, c), np.float32))
    if image.dtype == np.uint8:
        return cv2.convertScaleAbs(out, alpha=255.0)  # out >= 0: rounds and saturates in one pass; fresh
    out *= np.float32(top)
    return to_dtype(out, image.dtype)


# -- unsharp masking --------------------------------------------------------------------------------------------


@channel_chunks
def unsharp_mask_hard(image: np.ndarray, ksize: int, sigma: float, alpha: float, threshold: float) -> np.ndarray:
    """Unsharp masking with a hard threshold (PIL's ``ImageFilter.UnsharpMask``, AlbumentationsX 2.5.1's
    ``unsharp_mask``), in the dtype's own units: ``blur = G(x)`` in the dtype (uint8: OpenCV's fixed-point
    ``cv2.GaussianBlur``, within ~1 level of the exact blur; else ``gaussian_blur``), ``sharp = clip(x +
    alpha * (x - blur), 0, max)`` (``cv2.addWeighted``, rounded and saturated), and per pixel and channel
    ``sharp`` where ``|x - blur| > threshold * max``, else ``x``. No float copy of the image and no second
    blur: about 2.5x faster than ``unsharp_mask`` on uint8 photos."""
    top = max_value(image.dtype)
    image = np.ascontiguousarray(image)
    if image.dtype == np.uint8:
        blur = _hwc(cv2.GaussianBlur(image, (ksize, ksize), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT_101))
    else:
        blur = gaussian_blur(image, ksize, sigma)
    sharp = _hwc(cv2.addWeighted(image, 1.0 + float(alpha), blur, -float(alpha), 0.0))
    if image.dtype == np.float32:
        np.clip(sharp, 0.0, 1.0, out=sharp)
    level = float(threshold) * top
    # integer differences: |d| > t exactly when |d| > floor(t)
    bound = np.float32(level) if image.dtype == np.float32 else image.dtype.type(min(math.floor(level), top))
    keep = np.less_equal(_hwc(cv2.absdiff(image, blur)), bound)  # per pixel and channel: detail too small
    if image.shape[2] in (1, 3, 4):  # OpenCV's masked copy takes a mask with the image's channels
        cv2.copyTo(image, keep.view(np.uint8), sharp)  # the original back where the detail is too small
        return sharp
    return np.where(keep, image, sharp)


@channel_chunks
def unsharp_mask(image: np.ndarray, ksize: int, sigma: float, alpha: float, threshold: float) -> np.ndarray:
    """Unsharp masking with albumentations' semantics (its ``unsharp_mask``), in the dtype's own units:

    ``blur = G(x)``, ``sharp = clip(x + alpha * (x - blur), 0, max)``, ``m = |x - blur| > threshold * max``
    (a 0/1 mask per pixel and channel), ``soft = G(m)`` and ``out = x + soft * (sharp - x)``: sharpened
    where the detail is above the threshold, the original on flat areas, with a blurred (soft) seam.
    ``G`` is a separable Gaussian of ``ksize`` taps and ``sigma`` (0: OpenCV's sigma for that size),
    reflect-101 border. Every dtype (float32 arithmetic, rounded once at the end) and channel count."""
    top = max_value(image.dtype)
    k = gaussian_kernel(ksize, sigma)
    x = image if image.dtype == np.float32 else image.astype(np.float32)
    blur = _hwc(cv2.sepFilter2D(x, -1, k, k, borderType=cv2.BORDER_REFLECT_101))
    residual = np.subtract(x, blur, out=blur)
    mask = np.greater(np.abs(residual), np.float32(float(threshold) * top)).view(np.uint8)  # 0 / 1 per channel
    soft = _hwc(cv2.sepFilter2D(mask, cv2.CV_32F, k, k, borderType=cv2.BORDER_REFLECT_101))
    residual *= np.float32(alpha)  # sharp - x = clip(x + alpha * r) - x
    residual += x
    np.clip(residual, 0.0, top, out=residual)
    residual -= x
    residual *= soft
    residual += x
    if image.dtype == np.float32:
        return to_dtype(residual, image.dtype)
    # x and sharp are in [0, top] and 0 <= soft <= 1 (+ float rounding of a normalized positive kernel),
    # so the blend stays within (-0.5, top + 0.5): rounding needs no clip (one pass less than to_dtype)
    return np.rint(residual, out=residual).astype(image.dtype)

"""Camera and optics kernels (box blur, generalised Gaussian, defocus disc, zoom blur, glass blur, chromatic
aberration, sharpen / emboss matrices, sinc ringing, superpixels) for uint8, uint16 and float32 HWC images.

Filters run with OpenCV (reflect-101 border); integer images are rounded and saturated by OpenCV, float32
images are clipped to [0, 1] after a kernel with negative taps."""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from .blur_noise import _hwc, _per_channel_groups
from .geometric import channel_chunks
from .color import max_value, to_dtype


# OpenCV's filter2D correlates kernels of fewer than 130 taps directly (uint8 and float32 alike) and larger
# ones through the DFT. On uint8 its direct loop converts each tap's pixels to float32 and accumulates the
# same fused multiply-adds as its float32 loop, but ~2x slower from 5x5 up (measured 256x256 RGB, one
# thread: 7x7 1.7 ms vs 0.97 ms including the conversions; 3x3 is a tie, so it keeps the uint8 call).
# Up to twice that size, two direct passes over the kernel's top and bottom rows beat the DFT path
# (13x13: 6.1 ms vs 3.1 ms; 15x15: 5.8 ms vs 4.0 ms) and are as exact.
_DIRECT_TAPS = 130
_FLOAT_FROM_TAPS = 25
# Other depths (uint16) take OpenCV's DFT path from 50 taps, in float64 (the exact sum, rounded once), but below
# that its direct uint16 loop sums in float32, whose step at 65535 is 2**-8: ~0.2% of the pixels of a photo come
# back one level off the rounded exact correlation. ``exact_uint16`` runs those kernels on a float64 copy (not
# the default: Sharpen, Emboss and small AdvancedBlur/RingingOvershoot kernels keep OpenCV's uint16 loop's bytes).
_DEEP_DFT_TAPS = 50


def _filter(image: np.ndarray, k: np.ndarray) -> np.ndarray:
    return _per_channel_groups(image, lambda a: cv2.filter2D(a, -1, k, borderType=cv2.BORDER_REFLECT_101))


def _split_rows(kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """An odd-height kernel as two direct-path kernels whose correlations sum to its own: the rows down to
    the centre (anchored at their last row), and a zero row over the rows below it (anchored at the zero
    row, which OpenCV skips: only nonzero taps are visited). None when a half is too large for the
    direct path or the kernel has even height."""
    kh, kw = kernel.shape
    if kh % 2 == 0 or kw % 2 == 0 or (kh // 2 + 1) * kw >= _DIRECT_TAPS:
        return None
    top = kernel[: kh // 2 + 1]
    bottom = np.zeros_like(top)
    bottom[1:] = kernel[kh // 2 + 1 :]
    return top, bottom


def convolve(image: np.ndarray, kernel: np.ndarray, exact_uint16: bool = False) -> np.ndarray:
    """Correlate every channel with a 2-D ``kernel`` (cv2.filter2D, reflect-101). Kernels with negative taps
    can leave [0, 1] on float32 images, so float32 output is clipped there (integer dtypes saturate).

    uint8 images with a kernel of 25 to 129 taps are filtered as float32 and rounded half to even once:
    OpenCV's uint8 loop computes the same float32 sums and rounds the same way, ~2x slower. (OpenCV
    finishes a row whose length is not a multiple of its vector width without fused multiply-adds, so a
    sum within ~1e-7 of a half level can round the other way there: measured 1 pixel in 400 random images.)
    uint8 and float32 images with an odd kernel of 130 to ~260 taps (13x13, 15x15) are correlated directly
    in float32 in two passes (``_split_rows``), where OpenCV would take its slower DFT path; both are
    within float32 rounding of the exact correlation. uint16 images with a kernel of 50 taps or more go through
    OpenCV's float64 DFT (the exact correlation rounded half to even); ``exact_uint16`` gives smaller kernels
    the same float64 sums instead of OpenCV's float32 uint16 loop (Defocus: its disc kernel, trimmed to its
    support, fell below 50 taps for radius 1-2 and so off the exact path it had always taken)."""
    k = np.asarray(kernel, np.float32)
    halves = _split_rows(k) if k.size >= _DIRECT_TAPS and image.dtype in (np.uint8, np.float32) else None
    if halves is not None:
        x = image.astype(np.float32, copy=False)
        top, bottom = halves
        out = _per_channel_groups(x, lambda a: cv2.filter2D(a, -1, top, anchor=(k.shape[1] // 2, k.shape[0] // 2), borderType=cv2.BORDER_REFLECT_101))
        out += _per_channel_groups(x, lambda a: cv2.filter2D(a, -1, bottom, anchor=(k.shape[1] // 2, 0), borderType=cv2.BORDER_REFLECT_101))
        if image.dtype == np.uint8:
            return _float_to_uint8(out, k)  # rounded half to even and saturated, as OpenCV's uint8 filter
        if (k < 0).any():  # the float rule of the one-pass path below: only ringing kernels are clipped
            np.clip(out, 0.0, 1.0, out=out)
        return out
    if image.dtype == np.uint8 and _FLOAT_FROM_TAPS <= k.size < _DIRECT_TAPS:
        return _float_to_uint8(_filter(image.astype(np.float32), k), k)
    if exact_uint16 and image.dtype == np.uint16 and k.size < _DEEP_DFT_TAPS:
        return to_dtype(_filter(image.astype(np.float64), k.astype(np.float64)), image.dtype)
    out = _filter(image, k)
    if image.dtype == np.float32 and (k < 0).any():
        np.clip(out, 0.0, 1.0, out=out)
    return out


def _float_to_uint8(out: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """A float32 filter result of a uint8 image, rounded half to even and saturated to uint8 (``to_dtype``).
    A kernel without negative taps gives sums >= 0, so ``cv2.convertScaleAbs`` (|x| rounded and saturated
    in one pass) is the same bytes, ~50 us less per 256x256 RGB photo than round, clip, cast."""
    if out.shape[2] <= 4 and not (kernel < 0).any():
        converted = cv2.convertScaleAbs(out)
        return converted[:, :, None] if converted.ndim == 2 else converted
    return to_dtype(out, np.uint8)


def box_blur(image: np.ndarray, ksize: int) -> np.ndarray:
    """Mean over a ``ksize`` x ``ksize`` window (cv2.blur, reflect-101 border)."""
    return _per_channel_groups(image, lambda a: cv2.blur(a, (int(ksize), int(ksize)), borderType=cv2.BORDER_REFLECT_101))


def generalized_gaussian_kernel(ksize: int, sigma_x: float, sigma_y: float, angle: float, beta: float) -> np.ndarray:
    """Anisotropic generalised Gaussian (Wang et al. 2021, Real-ESRGAN, ``bivariate_generalized_Gaussian``):
    ``k(p) ∝ exp(-0.5 (p^T S^-1 p)^beta)`` with ``S = R diag(sigma_x^2, sigma_y^2) R^T``, ``R`` a rotation by
    ``angle`` radians, over a ``ksize`` x ``ksize`` grid centred at 0; normalised to sum 1. ``beta = 1`` is the
    Gaussian, ``beta < 1`` heavier tails, ``beta > 1`` a flatter top (plateau)."""
    c, s = math.cos(angle), math.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    cov = rot @ np.diag([sigma_x**2, sigma_y**2]) @ rot.T
    inv = np.linalg.inv(cov)
    r = np.arange(ksize, dtype=np.float64) - (ksize - 1) / 2.0
    xx, yy = np.meshgrid(r, r)
    q = inv[0, 0] * xx * xx + (inv[0, 1] + inv[1, 0]) * xx * yy + inv[1, 1] * yy * yy
    k = np.exp(-0.5 * np.power(q, beta))
    return (k / k.sum()).astype(np.float32)


def disc_kernel(radius: int, alias_blur: float) -> np.ndarray:
    """Defocus point-spread function (the ImageNet-C defocus of Hendrycks & Dietterich 2019, as
    albumentations): the rasterised disc ``x^2 + y^2 <= radius^2``, normalised to sum 1, then Gaussian-blurred
    (3x3 up to radius 8, else 5x5, sigma ``alias_blur``) to soften its aliased rim. The grid has half-width
    max(8, radius) + 2, so the blur never reaches its edge, and the result is renormalised: albumentations
    uses half-width max(8, radius) and a reflecting blur, which adds up to ~1.3% of mass at radius >= 8."""
    half = max(8, int(radius)) + 2
    r = np.arange(-half, half + 1)
    x, y = np.meshgrid(r, r)
    disc = (x * x + y * y <= radius * radius).astype(np.float32)
    disc /= disc.sum()
    size = 3 if radius <= 8 else 5
    k = cv2.GaussianBlur(disc, (size, size), sigmaX=float(alias_blur), borderType=cv2.BORDER_CONSTANT)
    k /= k.sum()
    # every tap outside the disc dilated by the blur's reach is exactly zero: dropping that border changes
    # no weight, and below 11x11 OpenCV correlates directly instead of through a DFT (~2-3x faster, and
    # direct float sums instead of transform round-off)
    reach = min(half, int(radius) + size // 2)
    return k[half - reach : half + reach + 1, half - reach : half + reach + 1]


def _central_zoom(image: np.ndarray, factor: float) -> np.ndarray:
    """The centre ``1/factor`` of the image resized (bilinear) by ``factor`` and cropped back to the input size."""
    h, w = image.shape[:2]
    ch, cw = math.ceil(h / factor), math.ceil(w / factor)
    top, left = (h - ch) // 2, (w - cw) // 2
    crop = image[top : top + ch, left : left + cw]  # a view: OpenCV reads strided rows without a copy
    big = _hwc(cv2.resize(crop, (int(cw * factor), int(ch * factor)), interpolation=cv2.INTER_LINEAR))
    t, l_ = (big.shape[0] - h) // 2, (big.shape[1] - w) // 2
    return big[t : t + h, l_ : l_ + w]


@channel_chunks
def zoom_blur(image: np.ndarray, factors: list[float]) -> np.ndarray:
    """Radial (zoom) blur, ImageNet-C (Hendrycks & Dietterich 2019): the mean of the image and its central
    zooms by each of ``factors`` (>= 1), computed in float32 and rounded once."""
    x = image.astype(np.float32) if image.dtype != np.float32 else image
    acc = x.copy()
    for f in factors:
        if f == 1.0:  # OpenCV copies a same-size resize: the zoom by 1 is the image itself (no resize)
            acc += x
            continue
        zoomed = _central_zoom(x, float(f))
        if zoomed.shape != x.shape:  # rounding can leave the zoom 1 px short: pad by edge replication
            zoomed = np.pad(zoomed, ((0, x.shape[0] - zoomed.shape[0]), (0, x.shape[1] - zoomed.shape[1]), (0, 0)), mode="edge")
        acc += zoomed
    acc *= np.float32(1.0 / (len(factors) + 1))
    return to_dtype(acc, image.dtype)


def glass_offsets(seed: int, shape: tuple[int, int], max_delta: int, iterations: int) -> np.ndarray:
    """The random local swaps of glass blur: ``(pixels, iterations, 2)`` integer (dy, dx) in
    [-max_delta, max_delta), one per interior pixel and iteration, from ``seed``."""
    h, w = shape
    n = max(0, h - 2 * max_delta) * max(0, w - 2 * max_delta)
    rng = np.random.default_rng(int(seed))
    return rng.integers(-max_delta, max_delta, size=(n, iterations, 2))


def _pixel_words(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x`` (H, W, C) as a transposed (W, H, C') copy whose pixels are single words (C' = 4 for 3 channels,
    alpha padding), and a 1-D view of that copy with one element per pixel: gathers and scatters of whole
    pixels as words cost ~3x less than (H, W, C) fancy indexing. ``_from_pixel_words`` undoes it."""
    h, w, c = x.shape
    if c == 3:  # uint8, uint16 and float32 (the dtypes OpenCV converts): 4-, 8- and 16-byte pixels
        buf = cv2.transpose(cv2.cvtColor(x, cv2.COLOR_RGB2RGBA))
    elif c <= 4:
        buf = _hwc(cv2.transpose(x))
    else:
        buf = np.ascontiguousarray(x.transpose(1, 0, 2))
    size = buf.shape[2] * buf.itemsize
    word = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}.get(size, np.dtype((np.void, size)))
    return buf, buf.reshape(w * h, buf.shape[2]).view(word).reshape(-1)


def _from_pixel_words(buf: np.ndarray, channels: int) -> np.ndarray:
    """The (H, W, channels) image of a ``_pixel_words`` copy."""
    if buf.shape[2] > 4:
        return np.ascontiguousarray(buf.transpose(1, 0, 2))
    x = _hwc(cv2.transpose(buf))
    return cv2.cvtColor(x, cv2.COLOR_RGBA2RGB) if channels == 3 else x


@channel_chunks  # (the swaps move whole pixels, the same for every channel chunk)
def glass_blur(image: np.ndarray, sigma: float, max_delta: int, iterations: int, dxy: np.ndarray) -> np.ndarray:
    """Glass blur, ImageNet-C (Hendrycks & Dietterich 2019), albumentations' "fast" mode: Gaussian blur
    (sigma), then ``iterations`` passes that swap every interior pixel with a neighbour offset by ``dxy``
    (scanning from the bottom-right), then Gaussian blur again. Swaps are vectorised per pass as in
    albumentations (when two swaps touch one pixel, the later write wins). The passes run on whole pixels
    as machine words in a transposed copy (``_pixel_words``), where albumentations' scan order (rows
    fastest) walks memory contiguously; the swap order and so the result are unchanged."""
    x = _hwc(cv2.GaussianBlur(image, (0, 0), sigmaX=float(sigma)))
    h, w = image.shape[:2]
    hs = np.arange(h - max_delta, max_delta, -1)
    ws = np.arange(w - max_delta, max_delta, -1)
    if len(hs) and len(ws) and len(dxy):
        buf, flat = _pixel_words(x)
        # pixel (r, c) is flat[c * h + r]; scan order: for each column (right to left), rows bottom to top
        here = (ws[:, None] * h + hs[None, :]).reshape(-1)
        for i in range(iterations):
            # r + dy stays in [1, h - 1] because r is in (max_delta, h - max_delta] and dy in [-max_delta, max_delta)
            there = here + (dxy[: len(here), i, 1] * h + dxy[: len(here), i, 0])
            moved, kept = flat[there], flat[here]
            flat[here] = moved
            flat[there] = kept
        x = _from_pixel_words(buf, x.shape[2])
    return _hwc(cv2.GaussianBlur(x, (0, 0), sigmaX=float(sigma)))


def _lens_maps(shape: tuple[int, int], k1: float, k2: float) -> tuple[np.ndarray, np.ndarray]:
    h, w = shape
    cam = np.array([[w, 0, w / 2.0], [0, h, h / 2.0], [0, 0, 1]], np.float32)
    return cv2.initUndistortRectifyMap(cam, np.array([k1, k2, 0, 0], np.float32), None, cam, (w, h), cv2.CV_32FC1)


def chromatic_aberration(image: np.ndarray, red: tuple[float, float], blue: tuple[float, float], interpolation: int) -> np.ndarray:
    """Lateral chromatic aberration: the red and blue planes resampled through the Brown-Conrady radial model
    ``r' = r (1 + k1 r^2 + k2 r^4)`` (OpenCV's ``initUndistortRectifyMap``, focal length = image size, centre
    at the image centre, replicate border) with their own (k1, k2); green is the reference and unchanged."""
    planes = list(cv2.split(np.ascontiguousarray(image)))  # one pass out to planes and one back (cv2.merge):
    for channel, (k1, k2) in ((0, red), (2, blue)):  # ~2.5x cheaper than strided plane reads and writes
        mx, my = _lens_maps(image.shape[:2], k1, k2)
        plane = planes[channel]
        warped = cv2.remap(plane, mx, my, interpolation, borderMode=cv2.BORDER_REPLICATE)
        if image.dtype == np.float32 and interpolation in (cv2.INTER_CUBIC, cv2.INTER_LANCZOS4):
            # the float rule: overshooting kernels are clipped to [min(0, lo), max(1, hi)] of the input plane
            np.clip(warped, min(0.0, float(plane.min())), max(1.0, float(plane.max())), out=warped)
        planes[channel] = warped
    return _hwc(cv2.merge(planes))


IDENTITY_3X3 = np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], np.float32)


def sharpen_kernel(alpha: float, lightness: float) -> np.ndarray:
    """``(1 - alpha) I + alpha L`` with ``L = [[-1,-1,-1],[-1,8+lightness,-1],[-1,-1,-1]]`` (the Laplacian
    sharpening matrix of imgaug / albumentations; taps sum to ``1 + alpha (lightness - 1)``)."""
    if type(alpha) is float:  # the transform's case: float32 arithmetic (NEP 50), in scalars (~4x cheaper)
        a = np.float32(alpha)
        kernel = np.empty((3, 3), np.float32)
        kernel.fill(np.float32(0) - a)  # 0 - a: +0.0 when alpha is 0, as the sum below
        kernel[1, 1] = np.float32(1 - alpha) + a * np.float32(8 + lightness)
        return kernel
    effect = np.array([[-1, -1, -1], [-1, 8 + lightness, -1], [-1, -1, -1]], np.float32)
    return ((1 - alpha) * IDENTITY_3X3 + alpha * effect).astype(np.float32)


def emboss_kernel(alpha: float, strength: float) -> np.ndarray:
    """``(1 - alpha) I + alpha E`` with the directional relief matrix of imgaug / albumentations
    ``E = [[-1-s, -s, 0], [-s, 1, s], [0, s, 1+s]]`` (taps sum to 1)."""
    s = strength
    effect = np.array([[-1 - s, -s, 0], [-s, 1, s], [0, s, 1 + s]], np.float32)
    return ((1 - alpha) * IDENTITY_3X3 + alpha * effect).astype(np.float32)


_J1_NODES = np.linspace(0.0, math.pi, 257)  # Bessel's integral: trapezoid nodes, their sines and weights
_J1_SIN = np.sin(_J1_NODES)[None, :]
_J1_WEIGHTS = np.full(257, 1.0)
_J1_WEIGHTS[[0, -1]] = 0.5
for _table in (_J1_NODES, _J1_SIN, _J1_WEIGHTS):
    _table.setflags(write=False)


def bessel_j1(x: np.ndarray) -> np.ndarray:
    """Bessel function of the first kind, order 1, from Bessel's integral
    ``J1(x) = (1/pi) int_0^pi cos(t - x sin t) dt`` (trapezoid on a periodic integrand: converges
    geometrically; 256 nodes give ~1e-15 for |x| < 60, the range sinc kernels use)."""
    x = np.asarray(x, np.float64)
    vals = np.cos(_J1_NODES[None, :] - x.reshape(-1, 1) * _J1_SIN)
    return ((vals @ _J1_WEIGHTS) * (math.pi / 256) / math.pi).reshape(x.shape)


@functools.lru_cache(maxsize=64)
def _sinc_grid(ksize: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A ``ksize`` grid's distinct distances from its centre (the centre's as 1), the index of each tap's
    distance among them, and the centre mask; the same for every cutoff, so computed once per size."""
    r = np.arange(ksize, dtype=np.float64) - (ksize - 1) / 2.0
    xx, yy = np.meshgrid(r, r)
    rad = np.hypot(xx, yy)
    safe = np.where(rad == 0, 1.0, rad)
    radii, index = np.unique(safe, return_inverse=True)  # J1 once per distinct radius (~1/6 of the taps)
    centre = rad == 0
    for table in (radii, index, centre):
        table.setflags(write=False)
    return radii, index.reshape(safe.shape), centre


def sinc_kernel(ksize: int, cutoff: float) -> np.ndarray:
    """Ideal circular low-pass (2-D sinc) filter of Real-ESRGAN (Wang et al. 2021,
    ``circular_lowpass_kernel``): ``k(r) = cutoff J1(cutoff r) / (2 pi r)``, ``k(0) = cutoff^2 / (4 pi)``,
    on a ``ksize`` x ``ksize`` grid, normalised to sum 1. Its truncated side lobes ring at edges."""
    radii, index, centre = _sinc_grid(int(ksize))
    k = (cutoff * bessel_j1(cutoff * radii) / (2 * math.pi * radii))[index]
    k[centre] = cutoff**2 / (4 * math.pi)
    return (k / k.sum()).astype(np.float32)


def superpixels(image: np.ndarray, labels: np.ndarray, replace: np.ndarray) -> np.ndarray:
    """Replace the pixels of segments ``i`` with ``replace[i]`` true by their segment's mean colour
    (per channel, rounded for integer dtypes); other segments keep their pixels."""
    n = int(labels.max()) + 1
    flat = labels.ravel()
    counts = np.bincount(flat, minlength=n).astype(np.float64)
    out = image.copy()
    chosen = replace[flat]
    if not chosen.any():
        return out
    for c in range(image.shape[2]):
        sums = np.bincount(flat, weights=image[:, :, c].ravel().astype(np.float64), minlength=n)
        means = sums / np.maximum(counts, 1)
        plane = out[:, :, c].reshape(-1)
        vals = means[flat[chosen]]
        plane[chosen] = to_dtype(vals, image.dtype) if image.dtype != np.float32 else vals.astype(np.float32)
    return out


def slic_labels(image: np.ndarray, n_segments: int) -> np.ndarray:
    """SLIC superpixels (Achanta et al. 2012, TPAMI) with scikit-image's ``slic`` (optional dependency,
    ``pip install invariant[optics]``); labels 0..n-1. Images with other than 3 channels are segmented
    on their channel mean (slic's colour distance is defined for RGB/Lab or single channels)."""
    try:
        from skimage.segmentation import slic
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("Superpixels needs scikit-image: pip install 'invariant[optics]'") from exc
    top = max_value(image.dtype)
    x = image.astype(np.float64) / top
    if x.shape[2] != 3:
        x = x.mean(axis=2)
        labels = slic(x, n_segments=int(n_segments), compactness=0.1, start_label=0, channel_axis=None)
    else:
        labels = slic(x, n_segments=int(n_segments), compactness=10, start_label=0, channel_axis=-1)
    return labels.astype(np.intp)

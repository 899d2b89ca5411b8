"""The 15 ImageNet-C corruptions at 5 severities (Hendrycks & Dietterich, "Benchmarking Neural Network
Robustness to Common Corruptions and Perturbations", ICLR 2019), for evaluation, not training.

Severity constants are those of the authors' reference code (github.com/hendrycks/robustness,
``ImageNet-C/imagenet_c/imagenet_c/corruptions.py``), copied into ``SEVERITIES`` and checked against
the paper's table in ``tests/ops/test_corruptions.py``.

Adaptation to other image sizes (the reference is written for 224 x 224). One rule, applied to every
corruption: **lengths in pixels scale with the image**, ``s = min(h, w) / 224``, so a corruption covers
the same fraction of the picture as in ImageNet-C; intensities (noise levels, brightness, contrast,
JPEG quality, blend weights) are kept as they are; factors that are already relative (pixelate, zoom)
are unchanged. For the 28 x 28 digits of the demo ``s = 1/8``. Where the rule meets a pixel grid:

* gaussian / glass / defocus blur: sigmas and the disk radius are multiplied by ``s``; the defocus disk
  is an anti-aliased coverage disk (each tap weighs the area of its pixel inside the disk, computed on
  an 8x finer grid) so fractional radii stay meaningful. Glass blur's local pixel shuffle needs a whole
  pixel to swap, so its displacement is ``max(1, round(delta * s))``: at 28 px every severity shuffles
  by one pixel and the severities differ in sigma and iterations (an approximation, stated here).
* motion blur (and the streaks of snow): ImageMagick's ``-motion-blur radius x sigma`` is a one-sided
  line kernel, taps ``i = 0 .. 2 radius`` weighted ``exp(-i^2 / 2 sigma^2)`` along the angle; here tap
  ``i`` sits at ``i * s`` pixels, splatted bilinearly.
* snow: the flake layer is drawn, zoomed and thresholded on the reference's 224 x 224 grid, resized
  to the image (area) and streaked with the motion kernel scaled by ``s`` (flakes thus keep their
  relative size; at 28 px they are faint specks).
* fog: the reference's 256 x 256 diamond-square plasma cropped to 224 is, at scale ``s``, a map of
  side ``256 s`` cropped to ``224 s`` (diamond-square is self-similar: a 32-map is the 256-map's
  first five levels), then resized if ``224 s`` is not whole.
* frost: the reference blends crops of six frost *photographs*, which do not ship with this library.
  Approximated by a procedural ice texture (a rough plasma fractal turned into ridges, ``(1 - |2p-1|)^3``,
  rescaled to [0, 1]) blended with the same weights. The ridge texture is not the photos: frost
  errors are not comparable with published ImageNet-C numbers.
* elastic: the reference's constants are fractions of 244 px ("should have been 224" in its comment);
  they are used as ``244 * fraction * s`` pixels (random affine of the corner points plus a Simard
  field, ``ops.distort.elastic_field``), sampled bilinearly with reflect-101 borders.
* zoom blur: the reference's centre crop, corner-aligned linear zoom and trim (``clipped_zoom``); the
  zoom factors are relative and unchanged (``np.arange(1, 1.11, 0.01)`` yields 1.00..1.11 in floating
  point, 12 factors, exactly as in the reference).
* pixelate: down to ``int(side * c)`` and back with Pillow's BOX weights, as the reference (``box_resize_matrix``).
* JPEG: ``ops.degrade.image_compression`` (libjpeg through OpenCV; PIL's quality scale is the same IJG one).

Images: HW, HWC (1 or 3 channels) uint8 or float32 in [0, 1]; the result has the input's shape and
dtype. Each call is deterministic given ``seed``, and the random draws (noise, layers, angles) depend on
the seed and the corruption but not the severity, so the five severities of one image are paired
(common random numbers): a severity step changes the constants only.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from ..core.errors import type_error, value_error
from .blur_noise import filter2d, gaussian_blur, gaussian_kernel_size, gaussian_noise
from .color import to_dtype
from .degrade import image_compression
from .distort import elastic_field

REFERENCE_SIDE = 224

#: Severity 1..5 constants of the reference code, per corruption (tuples as in the reference).
SEVERITIES: dict[str, tuple] = {
    "gaussian_noise": (0.08, 0.12, 0.18, 0.26, 0.38),  # std of N(0, c) added to x in [0, 1]
    "shot_noise": (60, 25, 12, 5, 3),  # Poisson(x c) / c
    "impulse_noise": (0.03, 0.06, 0.09, 0.17, 0.27),  # salt-and-pepper amount
    "defocus_blur": ((3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5)),  # disk radius, alias blur sigma
    "glass_blur": ((0.7, 1, 2), (0.9, 2, 1), (1, 2, 3), (1.1, 3, 2), (1.5, 4, 2)),  # sigma, max delta, iterations
    "motion_blur": ((10, 3), (15, 5), (15, 8), (15, 12), (20, 15)),  # radius, sigma (ImageMagick)
    "zoom_blur": (
        tuple(np.arange(1, 1.11, 0.01)),
        tuple(np.arange(1, 1.16, 0.01)),
        tuple(np.arange(1, 1.21, 0.02)),
        tuple(np.arange(1, 1.26, 0.02)),
        tuple(np.arange(1, 1.31, 0.03)),
    ),
    "snow": (
        (0.1, 0.3, 3, 0.5, 10, 4, 0.8),
        (0.2, 0.3, 2, 0.5, 12, 4, 0.7),
        (0.55, 0.3, 4, 0.9, 12, 8, 0.7),
        (0.55, 0.3, 4.5, 0.85, 12, 8, 0.65),
        (0.55, 0.3, 2.5, 0.85, 12, 12, 0.55),
    ),  # loc, scale, zoom, threshold, blur radius, blur sigma, image weight
    "frost": ((1, 0.4), (0.8, 0.6), (0.7, 0.7), (0.65, 0.7), (0.6, 0.75)),  # image weight, frost weight
    "fog": ((1.5, 2), (2, 2), (2.5, 1.7), (2.5, 1.5), (3, 1.4)),  # fog strength, wibble decay
    "brightness": (0.1, 0.2, 0.3, 0.4, 0.5),  # added to V of HSV
    "contrast": (0.4, 0.3, 0.2, 0.1, 0.05),  # (x - mean) c + mean
    "elastic_transform": (
        (244 * 2, 244 * 0.7, 244 * 0.1),
        (244 * 2, 244 * 0.08, 244 * 0.2),
        (244 * 0.05, 244 * 0.01, 244 * 0.02),
        (244 * 0.07, 244 * 0.01, 244 * 0.02),
        (244 * 0.12, 244 * 0.01, 244 * 0.02),
    ),  # alpha, sigma, affine jitter (pixels at 224)
    "pixelate": (0.6, 0.5, 0.4, 0.3, 0.25),  # resize factor
    "jpeg_compression": (25, 18, 15, 10, 7),  # quality
}

#: The paper's 15 types in its order (noise, blur, weather, digital).
CORRUPTIONS: tuple[str, ...] = tuple(SEVERITIES)
GROUPS = {
    "noise": ("gaussian_noise", "shot_noise", "impulse_noise"),
    "blur": ("defocus_blur", "glass_blur", "motion_blur", "zoom_blur"),
    "weather": ("snow", "frost", "fog", "brightness"),
    "digital": ("contrast", "elastic_transform", "pixelate", "jpeg_compression"),
}


# -- helpers -------------------------------------------------------------------------------------------------------
def _scale(shape: tuple[int, ...]) -> float:
    return min(shape[0], shape[1]) / REFERENCE_SIDE


def _clip01(x: np.ndarray) -> np.ndarray:
    return np.clip(x, 0.0, 1.0, out=x)


def _disk_kernel(radius: float, alias_sigma: float) -> np.ndarray:
    """Anti-aliased disk (tap weight = area of the pixel inside the disk, 8x8 supersampled), normalised,
    then blurred with a 3x3 Gaussian of ``alias_sigma`` as the reference's ``disk``."""
    half = max(1, math.ceil(radius + 0.5))
    sub = (np.arange(8) + 0.5) / 8 - 0.5
    taps = np.arange(-half, half + 1)
    pos = (taps[:, None] + sub[None, :]).ravel()  # (taps * 8,)
    inside = (pos[:, None] ** 2 + pos[None, :] ** 2) <= radius**2
    k = inside.reshape(len(taps), 8, len(taps), 8).mean(axis=(1, 3)).astype(np.float32)
    if k.sum() == 0:  # radius below a sub-sample: the centre tap
        k[half, half] = 1.0
    k /= k.sum()
    if alias_sigma > 0:
        k = cv2.GaussianBlur(k, (3, 3), alias_sigma)
    return k / k.sum()


def motion_streak_kernel(radius: float, sigma: float, angle: float, scale: float = 1.0) -> np.ndarray:
    """ImageMagick's MotionBlurImage kernel: taps ``i = 0 .. 2 ceil(radius)`` with weights ``exp(-i^2 / 2 sigma^2)``
    at distance ``i`` along ``angle`` degrees (one-sided), here placed at ``i * scale`` pixels and splatted
    bilinearly (bilinear splatting keeps each tap's mass and the kernel's centroid)."""
    i = np.arange(2 * math.ceil(radius) + 1, dtype=np.float64)
    w = np.exp(-(i**2) / (2.0 * max(sigma, 1e-6) ** 2))
    d = i * scale
    half = int(math.ceil(d[-1])) + 1
    size = 2 * half + 1
    k = np.zeros((size, size), np.float64)
    rad = math.radians(angle)
    xs, ys = half + d * math.cos(rad), half + d * math.sin(rad)
    x0, y0 = np.floor(xs).astype(int), np.floor(ys).astype(int)
    fx, fy = xs - x0, ys - y0
    for dx, dy, ww in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        np.add.at(k, (y0 + dy, x0 + dx), w * ww)
    return (k / k.sum()).astype(np.float32)


def clipped_zoom(x: np.ndarray, factor: float) -> np.ndarray:
    """The reference's ``clipped_zoom``: the centre ``ceil(h / z)`` crop resized by ``z`` with scipy's
    corner-aligned linear ``zoom`` (output size ``round(ch * z)``) and trimmed to the centre ``h x w``."""
    h, w = x.shape[:2]
    ch, cw = int(np.ceil(h / factor)), int(np.ceil(w / factor))
    top, left = (h - ch) // 2, (w - cw) // 2
    crop = np.ascontiguousarray(x[top : top + ch, left : left + cw])
    nh, nw = round(ch * factor), round(cw * factor)
    gx = np.arange(nw, dtype=np.float32) * np.float32((cw - 1) / max(nw - 1, 1))
    gy = np.arange(nh, dtype=np.float32) * np.float32((ch - 1) / max(nh - 1, 1))
    map_x, map_y = np.meshgrid(gx, gy)
    out = cv2.remap(crop, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    out = out if out.ndim == 3 else out[:, :, None]
    th, tw = (nh - h) // 2, (nw - w) // 2
    return out[th : th + h, tw : tw + w]


def plasma_fractal(mapsize: int, wibbledecay: float, rng: np.random.Generator) -> np.ndarray:
    """Diamond-square height map (the reference's ``plasma_fractal``, including its ``wibble *
    uniform(-wibble, wibble)`` perturbation), ``mapsize`` a power of two, values in [0, 1]."""
    if mapsize < 2 or mapsize & (mapsize - 1):
        value_error("mapsize", "a power of two >= 2", mapsize, "pass e.g. 256")
    a = np.zeros((mapsize, mapsize), np.float64)
    step, wibble = mapsize, 100.0

    def wibbled(arr: np.ndarray) -> np.ndarray:
        return arr / 4 + wibble * rng.uniform(-wibble, wibble, arr.shape)

    while step >= 2:
        corner = a[0:mapsize:step, 0:mapsize:step]
        sq = corner + np.roll(corner, -1, axis=0)
        sq += np.roll(sq, -1, axis=1)
        a[step // 2 : mapsize : step, step // 2 : mapsize : step] = wibbled(sq)
        dr = a[step // 2 : mapsize : step, step // 2 : mapsize : step]
        ul = a[0:mapsize:step, 0:mapsize:step]
        a[0:mapsize:step, step // 2 : mapsize : step] = wibbled(dr + np.roll(dr, 1, axis=0) + ul + np.roll(ul, -1, axis=1))
        a[step // 2 : mapsize : step, 0:mapsize:step] = wibbled(dr + np.roll(dr, 1, axis=1) + ul + np.roll(ul, -1, axis=0))
        step //= 2
        wibble /= wibbledecay
    a -= a.min()
    return a / a.max()


def _scaled_plasma(shape: tuple[int, int], wibbledecay: float, rng: np.random.Generator) -> np.ndarray:
    """The reference's 256-map cropped to 224, at the image's scale (see module docstring)."""
    h, w = shape
    side = max(h, w)
    mapsize = 1 << max(1, math.ceil(math.log2(side * 256 / REFERENCE_SIDE)))
    crop = max(1, round(mapsize * REFERENCE_SIDE / 256))
    p = plasma_fractal(mapsize, wibbledecay, rng)[:crop, :crop].astype(np.float32)
    if p.shape != (h, w):
        p = cv2.resize(p, (w, h), interpolation=cv2.INTER_LINEAR)
    return p


# -- the corruptions (x: float32 HWC in [0, 1]) --------------------------------------------------------------------
def _gaussian_noise(x: np.ndarray, c: float, rng: np.random.Generator) -> np.ndarray:
    noise = gaussian_noise(int(rng.integers(2**31)), x.shape, c, 0.0, True, np.dtype(np.float32))
    return _clip01(x + noise)


def _shot_noise(x: np.ndarray, c: float, rng: np.random.Generator) -> np.ndarray:
    return _clip01((rng.poisson(x * c) / c).astype(np.float32))


def _impulse_noise(x: np.ndarray, c: float, rng: np.random.Generator) -> np.ndarray:
    """skimage ``random_noise(mode='s&p', amount=c)``: a fraction ``c`` of values set to 0 or 1 (half each)."""
    out = x.copy()
    hit = rng.random(x.shape) < c
    salt = rng.random(x.shape) < 0.5
    out[hit & salt] = 1.0
    out[hit & ~salt] = 0.0
    return out


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    return gaussian_blur(x, gaussian_kernel_size(sigma, np.dtype(np.float32)), sigma)


def _defocus_blur(x: np.ndarray, c: tuple, rng: np.random.Generator) -> np.ndarray:
    s = _scale(x.shape)
    return _clip01(filter2d(x, _disk_kernel(c[0] * s, c[1] * s)))


def _glass_blur(x: np.ndarray, c: tuple, rng: np.random.Generator) -> np.ndarray:
    s = _scale(x.shape)
    sigma, iterations = c[0] * s, c[2]
    delta = max(1, round(c[1] * s))
    h, w, ch = x.shape
    y = np.round(_clip01(_blur(x, sigma)) * 255).astype(np.float32) / 255  # the reference's uint8 round trip
    pixels = [tuple(p) for p in y.reshape(-1, ch).tolist()]
    rows, cols = range(h - delta, delta, -1), range(w - delta, delta, -1)
    n = len(rows) * len(cols)
    for _ in range(iterations):
        offsets = rng.integers(-delta, delta, size=(n, 2)).tolist()  # randint(-d, d): high exclusive
        k = 0
        for r in rows:
            for q in cols:
                dx, dy = offsets[k]
                k += 1
                a, b = r * w + q, (r + dy) * w + (q + dx)
                pixels[a], pixels[b] = pixels[b], pixels[a]
    y = np.asarray(pixels, np.float32).reshape(h, w, ch)
    return _clip01(_blur(y, sigma))


def _motion_blur(x: np.ndarray, c: tuple, rng: np.random.Generator) -> np.ndarray:
    s = _scale(x.shape)
    k = motion_streak_kernel(c[0], c[1], float(rng.uniform(-45, 45)), s)
    return _clip01(filter2d(x, k))


def _zoom_blur(x: np.ndarray, c: tuple, rng: np.random.Generator) -> np.ndarray:
    out = x.copy()
    for z in c:
        out += clipped_zoom(x, float(z))
    return _clip01(out / (len(c) + 1))


def _snow(x: np.ndarray, c: tuple, rng: np.random.Generator) -> np.ndarray:
    h, w, ch = x.shape
    n = REFERENCE_SIDE
    layer = rng.normal(c[0], c[1], (n, n)).astype(np.float32)
    layer = clipped_zoom(layer, float(c[2]))[:, :, 0]
    layer[layer < c[3]] = 0
    layer = np.round(np.clip(layer, 0, 1) * 255) / 255  # the reference's 8-bit PNG round trip
    # area-resize, then streak with the kernel scaled by s: both steps are linear, so this equals streaking
    # on the 224 grid up to the resampling, at a fraction of the cost of a 51 x 51 kernel on 224 x 224
    s = _scale(x.shape)
    layer = cv2.resize(layer.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    layer = cv2.filter2D(layer, -1, motion_streak_kernel(c[4], c[5], float(rng.uniform(-135, -45)), s), borderType=cv2.BORDER_REFLECT_101)[:, :, None]
    gray = x.mean(axis=2, keepdims=True) if ch == 1 else cv2.cvtColor(x, cv2.COLOR_RGB2GRAY)[:, :, None]
    y = c[6] * x + (1 - c[6]) * np.maximum(x, gray * 1.5 + 0.5)
    return _clip01((y + layer + np.rot90(layer, 2)).astype(np.float32))


def frost_texture(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Procedural stand-in for the reference's frost photos: ridges ``(1 - |2p - 1|)^3`` of a rough plasma
    fractal ``p`` (wibble decay 1.6), rescaled to [0, 1]. An approximation (see module docstring)."""
    p = _scaled_plasma(shape, 1.6, rng)
    ridge = (1.0 - np.abs(2.0 * p - 1.0)) ** 3
    ridge -= ridge.min()
    return ridge / max(float(ridge.max()), 1e-6)


def _frost(x: np.ndarray, c: tuple, rng: np.random.Generator) -> np.ndarray:
    f = frost_texture(x.shape[:2], rng)[:, :, None]
    return _clip01((c[0] * x + c[1] * f).astype(np.float32))


def _fog(x: np.ndarray, c: tuple, rng: np.random.Generator) -> np.ndarray:
    top = float(x.max())
    y = x + c[0] * _scaled_plasma(x.shape[:2], c[1], rng)[:, :, None]
    return _clip01((y * top / (top + c[0])).astype(np.float32))


def _brightness(x: np.ndarray, c: float, rng: np.random.Generator) -> np.ndarray:
    if x.shape[2] == 1:  # HSV of a gray pixel: H = S = 0, V = x
        return _clip01(x + np.float32(c))
    hsv = cv2.cvtColor(x, cv2.COLOR_RGB2HSV)
    hsv[:, :, 2] = np.clip(hsv[:, :, 2] + c, 0, 1)
    return _clip01(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB))


def _contrast(x: np.ndarray, c: float, rng: np.random.Generator) -> np.ndarray:
    means = x.mean(axis=(0, 1), keepdims=True)
    return _clip01((x - means) * np.float32(c) + means)


def _elastic(x: np.ndarray, c: tuple, rng: np.random.Generator) -> np.ndarray:
    s = _scale(x.shape)
    alpha, sigma, jitter = c[0] * s, c[1] * s, c[2] * s
    h, w = x.shape[:2]
    centre = np.float32([h, w]) // 2
    size = min(h, w) // 3
    pts1 = np.float32([centre + size, [centre[0] + size, centre[1] - size], centre - size])
    pts2 = pts1 + rng.uniform(-jitter, jitter, size=pts1.shape).astype(np.float32)
    m = cv2.getAffineTransform(pts1, pts2)
    y = cv2.warpAffine(x, m, (w, h), borderMode=cv2.BORDER_REFLECT_101)
    y = y if y.ndim == 3 else y[:, :, None]
    map_x, map_y = elastic_field((h, w), alpha, sigma, int(rng.integers(2**31)))
    out = cv2.remap(y, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    return _clip01(out if out.ndim == 3 else out[:, :, None])


def box_resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights of Pillow's BOX resampling along one axis (its ``precompute_coeffs``): output
    pixel ``i`` averages the input pixels whose centres fall in its footprint ``(i + 0.5) * scale +- scale / 2``
    (box(t) = 1 for -0.5 < t <= 0.5, t in footprint units); on enlarging, the input pixel under its centre."""
    scale = n_in / n_out
    fscale = max(scale, 1.0)
    support = 0.5 * fscale
    m = np.zeros((n_out, n_in), np.float64)
    for i in range(n_out):
        centre = (i + 0.5) * scale
        lo, hi = max(int(centre - support + 0.5), 0), min(int(centre + support + 0.5), n_in)
        t = (np.arange(lo, hi) - centre + 0.5) / fscale
        m[i, lo:hi] = (t > -0.5) & (t <= 0.5)
    return m / m.sum(axis=1, keepdims=True)


def _pixelate(x: np.ndarray, c: float, rng: np.random.Generator) -> np.ndarray:
    """The reference's PIL ``resize((int(224 c),) * 2, BOX)`` and back, with Pillow's BOX weights (in float)."""
    h, w = x.shape[:2]
    sh, sw = max(1, int(h * c)), max(1, int(w * c))
    rows = box_resize_matrix(sh, h) @ box_resize_matrix(h, sh)
    cols = box_resize_matrix(sw, w) @ box_resize_matrix(w, sw)
    out = np.tensordot(rows, x.astype(np.float64), axes=(1, 0))  # (h, w, C): along the rows
    out = np.tensordot(cols, out, axes=(1, 1)).transpose(1, 0, 2)  # along the columns
    return _clip01(out.astype(np.float32))


def _jpeg(x: np.ndarray, c: int, rng: np.random.Generator) -> np.ndarray:
    u8 = np.round(x * 255).astype(np.uint8)
    return image_compression(u8, int(c)).astype(np.float32) / 255


_FUNCS = {
    "gaussian_noise": _gaussian_noise,
    "shot_noise": _shot_noise,
    "impulse_noise": _impulse_noise,
    "defocus_blur": _defocus_blur,
    "glass_blur": _glass_blur,
    "motion_blur": _motion_blur,
    "zoom_blur": _zoom_blur,
    "snow": _snow,
    "frost": _frost,
    "fog": _fog,
    "brightness": _brightness,
    "contrast": _contrast,
    "elastic_transform": _elastic,
    "pixelate": _pixelate,
    "jpeg_compression": _jpeg,
}


def check_corruption(name: str, severity: int) -> None:
    """Refuse an unknown corruption name or a severity outside 1..5."""
    if name not in SEVERITIES:
        value_error("corruption", f"one of {', '.join(CORRUPTIONS)}", name, "pick a name from invariant.ops.corruptions.CORRUPTIONS")
    if isinstance(severity, bool) or not isinstance(severity, (int, np.integer)) or not 1 <= severity <= 5:
        value_error("severity", "an int in 1..5", severity, "pass severity=1 (mild) to 5 (strongest)")


def corrupt(image: np.ndarray, name: str, severity: int, seed: int = 0) -> np.ndarray:
    """``image`` under ImageNet-C corruption ``name`` at ``severity`` (1..5), same shape and dtype.

    Deterministic given ``seed``. uint8 images are processed as float in [0, 1] and rounded back once."""
    check_corruption(name, severity)
    if not isinstance(image, np.ndarray):
        type_error("image", "a numpy array (HW or HWC)", image, "pass np.asarray(image)")
    if image.dtype not in (np.uint8, np.float32) or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3)):
        value_error("image", "an HW or HWC (1 or 3 channels) uint8 or float32 image", image, "convert with image.astype(np.uint8) or to float32 in [0, 1]")
    if min(image.shape[:2]) < 8:
        value_error("image", "at least 8 x 8 pixels", image, "corrupt images of at least 8 pixels per side")
    x = image if image.ndim == 3 else image[:, :, None]
    x = x.astype(np.float32) / 255 if x.dtype == np.uint8 else np.clip(x, 0, 1).astype(np.float32)
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, CORRUPTIONS.index(name)])  # not the severity: paired draws across severities
    out = _FUNCS[name](np.ascontiguousarray(x), SEVERITIES[name][severity - 1], rng)
    out = to_dtype(out * 255, np.dtype(np.uint8)) if image.dtype == np.uint8 else out.astype(np.float32)
    return out if image.ndim == 3 else out[:, :, 0]


def corrupt_batch(images: np.ndarray, name: str, severity: int, seed: int = 0) -> np.ndarray:
    """``corrupt`` applied to each image of an (N, H, W[, C]) stack; image ``i`` uses seed ``(seed, i)``."""
    check_corruption(name, severity)
    if not isinstance(images, np.ndarray) or images.ndim not in (3, 4):
        value_error("images", "an (N, H, W) or (N, H, W, C) array", images, "stack the images with np.stack")
    return np.stack([corrupt(im, name, severity, seed=int(seed) * 1_000_003 + i) for i, im in enumerate(images)])

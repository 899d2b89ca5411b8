"""Weather and lighting kernels: fog, rain, snow, shadows, sun flare, Planckian (black-body) white balance,
tone curves, illumination gradients, diamond-square plasma, PCA lighting noise.

Pure functions of an image and already-drawn parameters (no randomness here except the plasma pattern,
which is generated from a seed it is given). Images are HWC uint8, uint16 or float32 in [0, 1]; every
kernel works in the image's own units (``max_value``) and returns the input dtype, clipped to its range.
The uint8 paths use the same OpenCV calls as albumentations 2.0.8 (Automold-style effects), so with the
same drawn parameters they give the same pixels there.
"""

from __future__ import annotations

import math
from typing import Sequence

import cv2
import numpy as np

from .color import apply_table, max_value, rgb_to_hls_float, to_dtype
from .geometric import CV_MAX_CHANNELS, channel_chunks
from .scratch import work_array

# Black-body (Planckian) and CIE D-illuminant RGB chromaticities, 500 K apart, from Zini, Gomez-Villa,
# Buzzelli, Twardowski, Bagdanov & van de Weijer, "Planckian Jitter: countering the color-crippling effects
# of color jitter on self-supervised training", ICLR 2023 (arXiv 2202.07993), as published with their code.
PLANCKIAN_RGB: dict[str, dict[int, tuple[float, float, float]]] = {
    "blackbody": {
        3000: (0.6743, 0.4029, 0.0013), 3500: (0.6281, 0.4241, 0.1665), 4000: (0.5919, 0.4372, 0.2513),
        4500: (0.5623, 0.4457, 0.3154), 5000: (0.5376, 0.4515, 0.3672), 5500: (0.5163, 0.4555, 0.4103),
        6000: (0.4979, 0.4584, 0.4468), 6500: (0.4816, 0.4604, 0.4782), 7000: (0.4672, 0.4619, 0.5053),
        7500: (0.4542, 0.4630, 0.5289), 8000: (0.4426, 0.4638, 0.5497), 8500: (0.4320, 0.4644, 0.5681),
        9000: (0.4223, 0.4648, 0.5844), 9500: (0.4135, 0.4651, 0.5990), 10000: (0.4054, 0.4653, 0.6121),
        10500: (0.3980, 0.4654, 0.6239), 11000: (0.3911, 0.4655, 0.6346), 11500: (0.3847, 0.4656, 0.6444),
        12000: (0.3787, 0.4656, 0.6532), 12500: (0.3732, 0.4656, 0.6613), 13000: (0.3680, 0.4655, 0.6688),
        13500: (0.3632, 0.4655, 0.6756), 14000: (0.3586, 0.4655, 0.6820), 14500: (0.3544, 0.4654, 0.6878),
        15000: (0.3503, 0.4653, 0.6933),
    },
    "cied": {
        4000: (0.5829, 0.4421, 0.2288), 4500: (0.5510, 0.4514, 0.2948), 5000: (0.5246, 0.4576, 0.3488),
        5500: (0.5021, 0.4618, 0.3941), 6000: (0.4826, 0.4646, 0.4325), 6500: (0.4654, 0.4667, 0.4654),
        7000: (0.4502, 0.4681, 0.4938), 7500: (0.4364, 0.4692, 0.5186), 8000: (0.4240, 0.4700, 0.5403),
        8500: (0.4127, 0.4705, 0.5594), 9000: (0.4023, 0.4709, 0.5763), 9500: (0.3928, 0.4713, 0.5914),
        10000: (0.3839, 0.4715, 0.6049), 10500: (0.3757, 0.4716, 0.6171), 11000: (0.3681, 0.4717, 0.6281),
        11500: (0.3609, 0.4718, 0.6380), 12000: (0.3543, 0.4719, 0.6472), 12500: (0.3480, 0.4719, 0.6555),
        13000: (0.3421, 0.4719, 0.6631), 13500: (0.3365, 0.4719, 0.6702), 14000: (0.3313, 0.4719, 0.6766),
        14500: (0.3263, 0.4719, 0.6826), 15000: (0.3217, 0.4719, 0.6882),
    },
}  # fmt: skip

# ImageNet RGB pixel covariance (pixels in [0, 1]) as published in fb.resnet.torch (datasets/imagenet.lua),
# the constants of Krizhevsky et al. 2012's "fancy PCA": eigenvalues and eigenvectors (columns).
IMAGENET_EIGVAL = np.array([0.2175, 0.0188, 0.0045])
IMAGENET_EIGVEC = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]])


def _color(color: Sequence[float], channels: int, top: float) -> tuple[float, ...]:
    """A uint8-scaled colour (as albumentations gives them) in the image's units, one value per channel."""
    values = [float(v) * top / 255.0 for v in color]
    if len(values) != channels:
        values = [float(np.mean(values))] * channels
    return tuple(values)


@channel_chunks
def fog(image: np.ndarray, intensity: float, alpha_coef: float, centres: Sequence[Sequence[int]], radii: Sequence[int]) -> np.ndarray:
    """Automold fog (albumentations ``add_fog``): each particle is a white disc blended over the running
    result with weight ``alpha_coef * intensity``, then a Gaussian blur of side ``max(3, min(H, W) // 30)``
    (made odd). Only brightens towards white: ``out = (1 - a) * x + a * max`` repeatedly, then blurred."""
    result = image.copy()
    h, w, c = image.shape
    white = (max_value(image.dtype),) * c
    alpha = alpha_coef * intensity
    for (x, y), radius in zip(centres, radii):
        x, y, radius = int(x), int(y), int(radius)
        # a disc changes only its bounding square: blend there (outside it overlay == result, a no-op)
        x0, y0, x1, y1 = max(0, x - radius), max(0, y - radius), min(w, x + radius + 1), min(h, y + radius + 1)
        if x1 <= x0 or y1 <= y0:
            continue
        roi = result[y0:y1, x0:x1]
        overlay = roi.copy()
        if c <= 4:
            cv2.circle(overlay, (x - x0, y - y0), radius, white, thickness=-1)
        else:  # OpenCV draws at most 4 channels: paint the disc through a mask
            disc = np.zeros(overlay.shape[:2], np.uint8)
            cv2.circle(disc, (x - x0, y - y0), radius, 255, thickness=-1)
            overlay[disc > 0] = white[0]
        result[y0:y1, x0:x1] = cv2.addWeighted(overlay, alpha, roi, 1 - alpha, 0).reshape(roi.shape)
    side = max(3, int(min(image.shape[:2]) // 30))
    side += 1 - side % 2
    out = cv2.GaussianBlur(result, (side, side), 0).reshape(image.shape)
    return np.clip(out, 0, max_value(image.dtype)) if image.dtype == np.float32 else out


def rain(image: np.ndarray, drops: np.ndarray, slant: float, length: int, width: int, color: Sequence[float], blur: int, brightness: float) -> np.ndarray:
    """Automold rain (albumentations ``add_rain``): line segments from each drop ``(x, y)`` to
    ``(x + slant, y + length)`` drawn in ``color`` (uint8 units) on a black layer, box-blurred with side
    ``blur``, added with saturation, then the whole image scaled by ``brightness`` (darker sky)."""
    top = max_value(image.dtype)
    out = image
    if len(drops):
        drops = np.asarray(drops, dtype=np.float64).reshape(-1, 2)
        lines = np.stack((drops, drops + np.array([[slant, length]])), axis=1).astype(np.int32)
        c = _color(color, image.shape[2], top)
        by_value = {}
        for value in sorted(set(c)):  # one layer per distinct channel value (OpenCV draws at most 4 channels)
            plane = np.zeros(image.shape[:2], dtype=image.dtype)
            cv2.polylines(plane, lines, False, value, int(width), lineType=cv2.LINE_4)
            by_value[value] = cv2.blur(plane, (int(blur), int(blur))) if blur > 1 else plane
        planes = [by_value[v] for v in c]
        # OpenCV takes at most CV_MAX_CHANNELS channels, and reads an array of 4 or fewer values as a scalar:
        # numpy there (the same saturating sum)
        opencv = image.shape[2] <= CV_MAX_CHANNELS and image.size > 4
        rain_layer = cv2.merge(planes).reshape(image.shape) if opencv else np.stack(planes, axis=2)  # (np.stack: ~6x slower)
        if image.dtype == np.float32:
            out = np.clip(image + rain_layer, 0, top)
        elif opencv:
            out = cv2.add(image, rain_layer).reshape(image.shape)
        else:
            out = np.minimum(image.astype(np.int32) + rain_layer, top).astype(image.dtype)
    if brightness != 1.0:
        return _scale(out, brightness)
    return out.copy() if out is image else out


def _scale(image: np.ndarray, factor: float) -> np.ndarray:
    """``image * factor`` rounded (half to even) and saturated to the dtype. uint8 goes through a 256-entry table
    of the same per-level products (cv2.multiply by a scalar costs ~10x a table lookup on uint8)."""
    if image.dtype == np.uint8:
        levels = np.arange(256, dtype=np.uint8).reshape(1, 256, 1)
        if image.shape[2] <= 4:  # the levels through the very cv2.multiply the image would take, so the same bytes
            table = cv2.multiply(levels, factor, dtype=cv2.CV_8U)
        else:
            table = to_dtype(levels.astype(np.float64) * factor, image.dtype)
        return apply_table(image, table.reshape(256))
    return to_dtype(image.astype(np.float64) * factor, image.dtype)


def snow_bleach(image: np.ndarray, snow_point: float, brightness_coeff: float) -> np.ndarray:
    """Automold snow (albumentations ``add_snow_bleach``): in HLS, lightness below
    ``(snow_point / 2 + 1 / 3) * max`` is multiplied by ``brightness_coeff`` (clipped). RGB only."""
    if image.dtype == np.uint16:
        work = image.astype(np.float32) / np.float32(65535.0)
        return to_dtype(snow_bleach(work, snow_point, brightness_coeff).astype(np.float64) * 65535.0, np.dtype(np.uint16))
    top = max_value(image.dtype)
    threshold = snow_point * top / 2 + top / 3
    if image.dtype == np.uint8:
        hls = cv2.cvtColor(image, cv2.COLOR_RGB2HLS)
        # the new lightness depends only on the level: the same float32 steps on the 256 levels, applied
        # with one table pass over the HLS image (hue and saturation through identity tables)
        levels = np.arange(256, dtype=np.float32)
        levels[levels < threshold] *= brightness_coeff
        table = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
        table[:, 1] = np.clip(levels, 0, top).astype(np.uint8)
        hls = cv2.LUT(hls, table.reshape(1, 256, 3))
    else:
        hls = rgb_to_hls_float(image) if image.dtype == np.float32 else cv2.cvtColor(image, cv2.COLOR_RGB2HLS)
        light = hls[:, :, 1].astype(np.float32)
        light[light < threshold] *= brightness_coeff
        hls[:, :, 1] = np.clip(light, 0, top).astype(image.dtype)
    out = cv2.cvtColor(hls, cv2.COLOR_HLS2RGB)
    return np.clip(out, 0, top) if image.dtype == np.float32 else out


def shadow(image: np.ndarray, polygons: Sequence[np.ndarray], intensities: Sequence[float]) -> np.ndarray:
    """Automold shadows (albumentations ``add_shadow``): pixels inside each polygon are multiplied by
    ``1 - intensity`` (every channel). Only darkens."""
    out = image.copy()
    h = image.shape[0]
    for vertices, intensity in zip(polygons, intensities):
        vertices = np.asarray(vertices, dtype=np.int32).reshape(-1, 2)
        if image.dtype == np.uint8 and image.shape[2] <= 4 and len(vertices):
            # uint8: the darkened value depends only on the level (the same float64 steps on a table of the
            # 256 levels), applied to the band of rows the polygon spans through its mask
            y0, y1 = max(0, int(vertices[:, 1].min())), min(h, int(vertices[:, 1].max()) + 1)
            if y1 <= y0:
                continue
            band = out[y0:y1]  # whole rows: a contiguous view OpenCV writes into
            region = np.zeros(band.shape[:2], np.uint8)
            cv2.fillPoly(region, [vertices], 255, offset=(0, -y0))
            table = to_dtype(np.arange(256, dtype=np.float64) * (1.0 - float(intensity)), image.dtype)
            cv2.copyTo(cv2.LUT(band, table), region, band)
            continue
        region = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(region, [vertices], 255)
        inside = region == 255
        out[inside] = to_dtype(out[inside].astype(np.float64) * (1.0 - float(intensity)), image.dtype)
    return out


def sun_flare(image: np.ndarray, centre: Sequence[float], src_radius: int, src_color: Sequence[float], circles: Sequence[Sequence]) -> np.ndarray:
    """Sun flare by overlays (albumentations ``add_sun_flare_overlay``): flare circles ``(alpha, (x, y),
    radius, colour)`` alpha-blended one after another, then the sun as ``src_radius // 10`` concentric discs
    of ``src_color`` blended with weights ``a_i ** 3``, ``a`` spaced up to ``min(1, 5 * sum(alpha r) /
    sum(r))``. Colours are in uint8 units. RGB only."""
    top = max_value(image.dtype)
    h, w = image.shape[:2]
    overlay, output = image.copy(), image.copy()
    weighted, total = 0.0, 0.0
    mix_buf = work_array("sun_flare.mix", (image.size,), np.float32)  # float32 intermediates, reused per thread
    rest_buf = work_array("sun_flare.rest", (image.size,), np.float32)

    def blend(alpha: float, box: list[int]) -> None:
        """``output = alpha * overlay + (1 - alpha) * output`` inside ``box`` (x0, y0, x1, y1), in float32,
        rounded half to even and saturated for integer dtypes: outside the discs drawn so far overlay and
        output are equal, and the blend leaves them unchanged."""
        x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])
        if x1 <= x0 or y1 <= y0:
            return
        a, b = overlay[y0:y1, x0:x1], output[y0:y1, x0:x1]
        n = a.size  # contiguous (box) views of the flat buffers
        mixed, rest = mix_buf[:n].reshape(a.shape), rest_buf[:n].reshape(a.shape)
        mixed[...] = a  # exact conversions to float32, then the products as before
        rest[...] = b
        mixed *= np.float32(alpha)
        rest *= np.float32(1 - alpha)
        mixed += rest
        if image.dtype != np.float32:
            np.rint(mixed, out=mixed)
        np.clip(mixed, 0, top, out=mixed)
        b[...] = mixed  # (whole values in range for integer dtypes: the cast is exact)

    union = [w, h, 0, 0]
    for alpha, (x, y), radius, color in circles:
        x, y, radius = int(x), int(y), int(radius)
        weighted += alpha * radius
        total += radius
        cv2.circle(overlay, (x, y), radius, _color(color, image.shape[2], top), -1)
        union = [min(union[0], x - radius), min(union[1], y - radius), max(union[2], x + radius + 1), max(union[3], y + radius + 1)]
        blend(alpha, union)
    point = (int(centre[0]), int(centre[1]))
    overlay = output.copy()
    times = int(src_radius) // 10
    max_alpha = weighted / total * 5 if total else 0.0
    alphas = np.linspace(0.0, min(max_alpha, 1.0), num=times)
    radii = np.linspace(1, src_radius, num=times)
    color = _color(src_color, image.shape[2], top)
    for i in range(times):
        r = int(radii[i])
        cv2.circle(overlay, point, r, color, -1)
        blend(float(alphas[times - i - 1] ** 3), [point[0] - r, point[1] - r, point[0] + r + 1, point[1] + r + 1])
    return output


def planckian_gains(temperature: float, mode: str) -> tuple[float, float, float]:
    """(R/G, 1, B/G) gains of a black-body (``mode="blackbody"``) or CIE D (``"cied"``) illuminant at
    ``temperature`` kelvin: the table's chromaticities linearly interpolated between the 500 K entries
    around it (clamped to the table's range), normalised by green (Zini et al. 2022)."""
    table = PLANCKIAN_RGB[mode]
    lo_t, hi_t = min(table), max(table)
    t = min(max(float(temperature), lo_t), hi_t)
    left = max(int(t // 500) * 500, lo_t)
    right = min(left + 500, hi_t)
    if right == left:
        rgb = np.array(table[left])
    else:
        w = (t - left) / (right - left)
        rgb = (1 - w) * np.array(table[left]) + w * np.array(table[right])
    return float(rgb[0] / rgb[1]), 1.0, float(rgb[2] / rgb[1])


def channel_gains(image: np.ndarray, gains: Sequence[float]) -> np.ndarray:
    """``out[..., c] = x[..., c] * gains[c]``, clipped to the dtype's range."""
    return to_dtype(image.astype(np.float32) * np.asarray(gains, np.float32), image.dtype)


def tone_curve(x: np.ndarray, low: np.ndarray | float, high: np.ndarray | float) -> np.ndarray:
    """The cubic Bezier tone curve with control ordinates ``(0, low, high, 1)`` at abscissae ``(0, 1/3,
    2/3, 1)`` (so ``x = t``): ``y = 3 (1 - x)^2 x low + 3 (1 - x) x^2 high + x^3`` for ``x`` in [0, 1].
    ``y(0) = 0``, ``y(1) = 1`` and, for ``low, high`` in [0, 1], ``y`` is non-decreasing."""
    return 3 * (1 - x) ** 2 * x * low + 3 * (1 - x) * x**2 * high + x**3


def linear_gradient_parts(height: int, width: int, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """The ramp in the direction ``angle`` (degrees) as albumentations' ``create_directional_gradient``,
    as a column part ``u`` (H,) and a row part ``v`` (W,) with ``ramp = u[:, None] + v[None, :]`` (every
    case is a sum of a function of y and one of x): axis-aligned and diagonal angles min-max normalised to
    [0, 1]; others ``x cos a + y sin a`` on unit coordinates."""
    x, y = np.linspace(0, 1, width), np.linspace(0, 1, height)
    zero_y, zero_x = np.zeros(height), np.zeros(width)
    axis = {0: (zero_y, x), 180: (zero_y, 1 - x), 90: (y, zero_x), 270: (1 - y, zero_x)}
    if angle in axis:
        return axis[angle]
    diagonal = {45: (y, x), 135: (y, 1 - x), 225: (1 - y, 1 - x), 315: (1 - y, x)}
    if angle in diagonal:
        u, v = diagonal[angle]
        lo, span = u.min() + v.min(), (u.max() + v.max()) - (u.min() + v.min())
        return (u - lo) / span if span > 0 else u - lo, v / span if span > 0 else v
    a = math.radians(angle)
    return y * math.sin(a), x * math.cos(a)


def linear_gradient(height: int, width: int, angle: float) -> np.ndarray:
    """The (H, W) float32 ramp of ``linear_gradient_parts``."""
    u, v = linear_gradient_parts(height, width, angle)
    return (u[:, None] + v[None, :]).astype(np.float32)


def illumination_gain(shape: tuple[int, int], mode: str, intensity: float, angle: float = 0.0, corner: int = 0, centre: tuple[float, float] = (0.5, 0.5), sigma: float = 0.5) -> np.ndarray:
    """The (H, W) multiplicative light field of albumentations' Illumination:
    linear: ``1 - |i| + 2 |i| g`` with ``g`` the ramp (reversed for ``i < 0``);
    corner: ``1 - i d / diag`` with ``d`` the distance to the corner (0 TL, 1 TR, 2 BR, 3 BL);
    gaussian: ``1 + i exp(-r^2 / (2 (max(H, W) sigma)^2))`` around ``centre`` (fractions of W, H)."""
    h, w = shape
    if mode == "linear":
        u, v = linear_gradient_parts(h, w, angle)
        if intensity < 0:  # the reversed ramp 1 - (u + v) = (1 - u) + (-v)
            u, v = 1 - u, -v
        k = 2 * abs(intensity)
        return ((u * k + (1 - abs(intensity))).astype(np.float32)[:, None] + (v * k).astype(np.float32)[None, :])
    if mode == "corner":
        cy, cx = [(0, 0), (0, w - 1), (h - 1, w - 1), (h - 1, 0)][corner]
        dy2 = (np.arange(h, dtype=np.float32) - np.float32(cy)) ** 2
        dx2 = (np.arange(w, dtype=np.float32) - np.float32(cx)) ** 2
        d = np.sqrt(dy2[:, None] + dx2[None, :])
        return (1 - d * np.float32(intensity / math.hypot(h, w))).astype(np.float32)
    # the Gaussian is separable: exp(-(dx^2 + dy^2) / s) = exp(-dy^2 / s) exp(-dx^2 / s), one outer product
    s2 = 2 * (max(h, w) * sigma) ** 2
    ey = np.exp(-((np.arange(h) - h * centre[1]) ** 2) / s2).astype(np.float32)
    ex = np.exp(-((np.arange(w) - w * centre[0]) ** 2) / s2).astype(np.float32)
    return (1 + np.float32(intensity) * np.outer(ey, ex)).astype(np.float32)


def apply_gain(image: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """``x * gain`` per pixel (every channel), rounded and clipped to the dtype's range (one OpenCV pass)."""
    c = image.shape[2]
    if c > CV_MAX_CHANNELS:  # more channels than one OpenCV array holds (a hyperspectral cube): numpy, same rounding
        out = image.astype(np.float32) * gain[:, :, None]
        return np.clip(out, 0, 1, out=out) if image.dtype == np.float32 else to_dtype(out, image.dtype)
    g = gain if c == 1 else cv2.merge([gain] * c)
    if image.dtype == np.float32:
        return np.clip(cv2.multiply(image, g.reshape(image.shape)), 0, 1, out=None).reshape(image.shape)
    cv_depth = cv2.CV_8U if image.dtype == np.uint8 else cv2.CV_16U
    return cv2.multiply(image, g.reshape(image.shape), dtype=cv_depth).reshape(image.shape)


_DIAMOND = np.array([[0.25, 0.0, 0.25], [0.0, 0.0, 0.0], [0.25, 0.0, 0.25]], dtype=np.float32)
_SQUARE = np.array([[0.0, 0.25, 0.0], [0.25, 0.0, 0.25], [0.0, 0.25, 0.0]], dtype=np.float32)


def plasma(shape: tuple[int, int], roughness: float, seed: int | np.random.Generator) -> np.ndarray:
    """A (H, W) float32 fractal in [0, 1] by the diamond-square algorithm (Fournier, Fussell & Carpenter,
    "Computer rendering of stochastic models", CACM 1982), as albumentations' ``generate_plasma_pattern``:
    a 3x3 grid of U(-1, 1) doubled per step, new points = the mean of their diamond/square neighbours plus
    U(-s, s) noise with ``s = roughness ** step``, normalised to [0, 1] each step; cropped to ``shape``."""
    rng = np.random.default_rng(seed) if not isinstance(seed, np.random.Generator) else seed
    size = max(shape)
    steps = int(np.log2(2 ** np.ceil(np.log2(size - 1)) + 1 - 1) - 1) if size > 2 else 0
    grid = rng.uniform(-1, 1, (3, 3)).astype(np.float32)
    for scale in np.float32([roughness**i for i in range(steps)]):
        nh, nw = (grid.shape[0] - 1) * 2 + 1, (grid.shape[1] - 1) * 2 + 1
        expanded = np.zeros((nh, nw), dtype=np.float32)
        noise = rng.uniform(-scale, scale, (nh, nw)).astype(np.float32)
        np.add(grid, noise[::2, ::2], out=expanded[::2, ::2])
        # expanded += (neighbours + noise) * (neighbours > 0), for the diamond then the square step: the same
        # float32 operations in place (no temporaries)
        for stencil in (_DIAMOND, _SQUARE):
            mean = cv2.filter2D(expanded, -1, stencil, borderType=cv2.BORDER_CONSTANT)
            inside = mean > 0
            mean += noise
            mean *= inside
            expanded += mean
        grid = cv2.normalize(expanded, None, 0, 1, cv2.NORM_MINMAX, dtype=cv2.CV_32F)
    crop = grid[: shape[0], : shape[1]]
    if crop.shape != tuple(shape):  # tiny canvases: stretch the smallest grid
        crop = cv2.resize(grid, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.clip(cv2.normalize(crop, None, 0, 1, cv2.NORM_MINMAX, dtype=cv2.CV_32F), 0, 1)


def plasma_brightness_contrast(image: np.ndarray, brightness: float, contrast: float, pattern: np.ndarray) -> np.ndarray:
    """In [0, 1] units: ``y = clip(x + b P)``, then ``clip(y (1 + c P)) - c P mean(y)``, clipped (albumentations'
    ``apply_plasma_brightness_contrast``, whose arithmetic clips after each stage); ``P`` the plasma pattern."""
    top = np.float32(max_value(image.dtype))
    x = image.astype(np.float32, order="C")  # (a C-order working copy: the mean sums in a fixed order)
    x /= top
    c = image.shape[2]
    # the pattern repeated per channel: elementwise work on contiguous (H, W, C) arrays instead of numpy
    # broadcasting a stride-0 channel axis (an inner loop of C elements); the same float32 operations, in place
    p = pattern[:, :, None] if c == 1 else np.repeat(pattern[:, :, None], c, axis=2)
    if brightness:
        x += p * np.float32(brightness)
        np.clip(x, 0, 1, out=x)
    if contrast:
        mean = x.mean()
        weights = p * np.float32(contrast)
        weights += 1
        x *= weights
        np.clip(x, 0, 1, out=x)
        np.subtract(1, weights, out=weights)
        weights *= mean
        x += weights
    x *= top
    return to_dtype(x, image.dtype)


def plasma_shadow(image: np.ndarray, intensity: float, pattern: np.ndarray) -> np.ndarray:
    """``x (1 - intensity P)``: darkens by the plasma pattern ``P`` in [0, 1]."""
    return apply_gain(image, 1 - pattern * np.float32(intensity))


def pca_lighting(image: np.ndarray, alphas: np.ndarray, eigval: np.ndarray | None = None, eigvec: np.ndarray | None = None) -> np.ndarray:
    """Krizhevsky et al. 2012 "fancy PCA" lighting: add ``V (alpha * lambda)`` (in [0, 1] units, the same
    vector at every pixel) where ``lambda, V`` are the eigenvalues / eigenvector columns of the RGB pixel
    covariance: the given ones (ImageNet's) or, when None, this image's own (per-image PCA, any channel count)."""
    top = max_value(image.dtype)
    c = image.shape[2]
    if eigval is None or eigvec is None:
        eigval, eigvec = image_pca(image)
    shift = np.asarray(eigvec, np.float64) @ (np.asarray(alphas, np.float64)[:c] * np.asarray(eigval, np.float64))
    return to_dtype(image.astype(np.float64) + shift * top, image.dtype)


def image_pca(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (descending) and eigenvector columns of the image's channel covariance, pixels in [0, 1]."""
    c = image.shape[2]
    pixels = image.reshape(-1, c).astype(np.float64) / max_value(image.dtype)
    # one pixel has no spread: np.cov's n - 1 = 0 denominator would give NaN (eigh then fails or returns NaN)
    cov = np.atleast_2d(np.cov(pixels, rowvar=False)) if len(pixels) > 1 else np.zeros((c, c))
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1]
    return np.clip(vals[order], 0, None), vecs[:, order]

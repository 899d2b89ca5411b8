"""Noise kernels: Poisson shot noise in linear light, salt and pepper, multiplicative and speckle noise, for
uint8, uint16 and float32 HWC images with any channel count. Every draw comes from a seed, so a replay is
exact."""

from __future__ import annotations

import math

import cv2
import numpy as np

from .color import max_value, to_dtype


def srgb_to_linear(v: np.ndarray) -> np.ndarray:
    """sRGB decoding (IEC 61966-2-1): ``v / 12.92`` for v <= 0.04045, else ``((v + 0.055) / 1.055) ** 2.4``."""
    v = np.asarray(v, np.float64)
    return np.where(v <= 0.04045, v / 12.92, np.power((np.maximum(v, 0.04045) + 0.055) / 1.055, 2.4))


def linear_to_srgb(v: np.ndarray) -> np.ndarray:
    """sRGB encoding (IEC 61966-2-1): ``12.92 v`` for v <= 0.0031308, else ``1.055 v^(1/2.4) - 0.055``."""
    v = np.asarray(v, np.float64)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * np.power(np.maximum(v, 0.0031308), 1 / 2.4) - 0.055)


def shot_noise(image: np.ndarray, scale: float, seed: int) -> np.ndarray:
    """Photon (shot) noise: decode sRGB to linear light ``L`` in [0, 1], draw ``N ~ Poisson(L / scale)``
    photon counts per pixel and channel, take ``scale * N`` (mean ``L``, variance ``scale * L``), clip to
    [0, 1] and re-encode to sRGB. ``scale`` is the linear-light value of one photon (smaller = less noise)."""
    top = max_value(image.dtype)
    if image.dtype == np.float32:
        lam = srgb_to_linear(np.clip(image.astype(np.float64), 0.0, 1.0))  # float32 may stray a hair outside [0, 1]
        lam /= scale
    else:  # integer levels: decode (and divide by scale) through a table of every level
        lam = np.take(srgb_to_linear(np.arange(int(top) + 1) / top) / scale, image)
    rng = np.random.default_rng(int(seed))
    counts = rng.poisson(lam)
    # The output depends only on the count N: every N >= cap (cap * scale >= 1) clips to 1.0. When the
    # cap is small, encode the cap + 1 possible values once (the same float64 steps, elementwise) and
    # gather: the per-pixel sRGB power is most of the cost after the Poisson draw.
    cap = math.ceil(1.0 / scale)
    while cap * scale < 1.0:  # float rounding: make sure cap * scale clips to 1.0
        cap += 1
    if cap < counts.size // 4:
        table = _encode_counts(np.arange(cap + 1), scale, top, image.dtype)
        return np.take(table, np.minimum(counts, cap, out=counts))
    return _encode_counts(counts, scale, top, image.dtype)


def _encode_counts(counts: np.ndarray, scale: float, top: float, dtype: np.dtype) -> np.ndarray:
    """Photon counts -> ``scale * N`` clipped to [0, 1], sRGB-encoded, in ``dtype`` units."""
    noisy = counts.astype(np.float64) * scale
    np.clip(noisy, 0.0, 1.0, out=noisy)
    return to_dtype(linear_to_srgb(noisy) * top, dtype)


def salt_and_pepper(image: np.ndarray, amount: float, salt_vs_pepper: float, seed: int) -> np.ndarray:
    """Impulse noise: each pixel (all its channels together) is hit with probability ``amount``; a hit pixel
    becomes the dtype's maximum ("salt") with probability ``salt_vs_pepper``, else 0 ("pepper")."""
    rng = np.random.default_rng(int(seed))
    h, w = image.shape[:2]
    # Independent hits with probability ``amount`` are a Binomial(h * w, amount) count of pixels chosen
    # uniformly without replacement: the same distribution as one uniform draw per pixel, in draws
    # proportional to the hits (a few percent of the pixels) instead of two per pixel.
    hits = rng.choice(h * w, int(rng.binomial(h * w, amount)), replace=False, shuffle=False)
    salt = rng.random(hits.size) < salt_vs_pepper
    out = image.copy()
    pixels = out.reshape(h * w, -1)  # a view: out is a fresh contiguous copy
    pixels[hits[salt]] = max_value(image.dtype)
    pixels[hits[~salt]] = 0
    return out


def multiplier_field(seed: int, shape: tuple[int, int, int], low: float, high: float, per_channel: bool, elementwise: bool) -> np.ndarray:
    """Multipliers ~ U[low, high]: one per image (or channel) when not ``elementwise``, else one per pixel
    (and channel when ``per_channel``); float32, broadcastable to ``shape``.

    The elementwise field is drawn in float32 by OpenCV's generator (``cv2.randu``, seeded right before use;
    per thread, so the field depends only on ``seed``): ~3x faster than numpy's float64 ``uniform`` and its
    cast, which were most of the transform's time. The one-per-image factors stay numpy draws."""
    h, w, c = shape
    cs = c if per_channel else 1
    if elementwise:
        field = np.empty((h, w * cs), np.float32)
        cv2.setRNGSeed(int(seed) % 2**31)
        cv2.randu(field, float(low), float(high))
        return field.reshape(h, w, cs)
    rng = np.random.default_rng(int(seed))
    return rng.uniform(low, high, (1, 1, cs)).astype(np.float32)


def multiply(image: np.ndarray, field: np.ndarray) -> np.ndarray:
    """``image * field`` in float32, rounded (half to even) and clipped to the dtype. A full-size field on an
    integer image goes through one cv2.multiply (the same float32 product and rounding, one pass)."""
    if image.dtype != np.float32 and field.shape == image.shape and field.dtype == np.float32 and image.shape[2] <= 4:
        return cv2.multiply(image, field, dtype=cv2.CV_8U if image.dtype == np.uint8 else cv2.CV_16U).reshape(image.shape)
    out = image.astype(np.float32) * field
    return to_dtype(out, image.dtype)


def speckle_noise(image: np.ndarray, std: float, mean: float, seed: int, per_channel: bool) -> np.ndarray:
    """Speckle (multiplicative Gaussian) noise, ``out = x + x n`` with ``n ~ N(mean, std^2)`` (scikit-image's
    ``random_noise(mode="speckle")``), in the dtype's own units, rounded and clipped once."""
    h, w, c = image.shape
    rng = np.random.default_rng(int(seed))
    n = rng.normal(mean, std, (h, w, c if per_channel else 1)).astype(np.float32)
    x = image.astype(np.float32)
    return to_dtype(x + x * n, image.dtype)

"""Depth kernels: metric data where 0 (integer maps) or 0/NaN (float maps) mark missing returns.

Every kernel keeps holes as holes and never turns a valid measurement into a hole by accident.
Arrays are HWC (any channel count, each channel treated independently).
"""

from __future__ import annotations

import cv2
import numpy as np


def holes(depth: np.ndarray) -> np.ndarray:
    """Boolean map of missing returns: 0, and for float maps also NaN/inf."""
    if depth.dtype.kind == "f":
        return ~np.isfinite(depth) | (depth == 0)
    return depth == 0


def hole_value(dtype: np.dtype, nan: bool) -> float:
    """The value written for a new hole: NaN for float maps when asked, else 0."""
    return float("nan") if nan and np.dtype(dtype).kind == "f" else 0.0


def discontinuities(depth: np.ndarray, threshold: float) -> np.ndarray:
    """Pixels next to a relative depth jump larger than ``threshold`` (|d_a - d_b| > threshold * min(d_a, d_b)),
    where time-of-flight and stereo sensors lose returns (flying pixels at object edges)."""
    d = np.where(holes(depth), 0.0, depth.astype(np.float64))
    out = np.zeros(depth.shape, dtype=bool)
    for axis in (0, 1):
        a = np.take(d, np.arange(d.shape[axis] - 1), axis=axis)
        b = np.take(d, np.arange(1, d.shape[axis]), axis=axis)
        lo = np.minimum(a, b)
        jump = (np.abs(a - b) > threshold * lo) & (lo > 0)
        pad_lo = [(0, 0)] * d.ndim
        pad_hi = [(0, 0)] * d.ndim
        pad_lo[axis], pad_hi[axis] = (0, 1), (1, 0)
        out |= np.pad(jump, pad_lo) | np.pad(jump, pad_hi)
    return out


def blob_mask(shape: tuple[int, int], blobs: list[list[float]]) -> np.ndarray:
    """Filled ellipses ``(cx, cy, rx, ry, angle_degrees)`` in pixel units: regions of missing returns
    (dark, specular or out-of-range surfaces)."""
    mask = np.zeros(shape, dtype=np.uint8)
    for cx, cy, rx, ry, angle in blobs:
        cv2.ellipse(mask, (int(round(cx)), int(round(cy))), (max(int(round(rx)), 1), max(int(round(ry)), 1)), float(angle), 0, 360, 1, -1)
    return mask.astype(bool)


def punch_holes(depth: np.ndarray, mask: np.ndarray, nan: bool = False) -> np.ndarray:
    """A copy of HWC ``depth`` with ``mask`` (H, W) set to the hole value (0, or NaN for float maps when ``nan``)."""
    out = depth.copy()
    out[mask] = hole_value(depth.dtype, nan)
    return out


def relative_noise(depth: np.ndarray, noise: np.ndarray, sigma: float, quadratic: float = 0.0) -> np.ndarray:
    """Sensor noise whose spread grows with distance: ``d + noise * (sigma * d + quadratic * d**2)``,
    ``noise`` a standard-normal field of the same shape. Holes stay holes, and a valid pixel never becomes
    a hole (integer maps are rounded and clipped to [1, max])."""
    miss = holes(depth)
    d = depth.astype(np.float64)
    with np.errstate(invalid="ignore"):
        noisy = d + noise * (sigma * d + quadratic * d * d)
    if depth.dtype.kind in "ui":
        info = np.iinfo(depth.dtype)
        out = np.clip(np.rint(noisy), 1, info.max).astype(depth.dtype)
    else:
        tiny = np.finfo(depth.dtype).tiny
        out = np.where(noisy > 0, noisy, np.where(d > 0, tiny, noisy)).astype(depth.dtype)
    out[miss] = depth[miss]
    return out


def normalize_range(depth: np.ndarray, min_depth: float, max_depth: float, clip: bool = True, hole: float = 0.0) -> np.ndarray:
    """float32 ``(d - min_depth) / (max_depth - min_depth)`` (in the map's units, e.g. mm or m), clipped to
    [0, 1] when ``clip``; holes are written as ``hole`` (0 by default, NaN allowed) instead of a fake depth."""
    miss = holes(depth)
    out = (depth.astype(np.float32) - np.float32(min_depth)) * np.float32(1.0 / (max_depth - min_depth))
    if clip:
        np.clip(out, 0.0, 1.0, out=out)
        # a valid depth at or below min_depth must not read as a hole: keep it just above 0
        if hole == 0.0:
            out[(out <= 0) & ~miss] = np.finfo(np.float32).tiny
    out[miss] = np.float32(hole)
    return out

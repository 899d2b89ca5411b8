"""Dropout kernels beyond rectangles: GridMask grids and spectrogram stripes as hole lists, per-pixel and
per-channel dropout, and run-length coding of pixel regions (so a region drawn at planning time travels
in a step's plain-data parameters)."""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from .dropout import _CV_DTYPES
from .geometric import filled  # one helper for every HWC fill


def grid_holes(height: int, width: int, unit: tuple[int, int], hole: tuple[int, int], shift: tuple[int, int]) -> list[list[int]]:
    """GridMask holes (Chen et al. 2020): one ``hole = (w, h)`` rectangle per ``unit = (w, h)`` cell, each at
    offset ``shift = (x, y)`` inside its cell, cells tiling the image from the top-left corner; holes are
    clipped to the image and empty ones dropped. xyxy integer bounds, x1/y1 exclusive."""
    (uw, uh), (hw, hh), (sx, sy) = unit, hole, shift
    holes = []
    if hw <= 0 or hh <= 0:
        return holes
    for y in range(0, height, uh):
        for x in range(0, width, uw):
            x0, y0 = x + sx, y + sy
            x1, y1 = min(x0 + hw, width), min(y0 + hh, height)
            if x1 > x0 and y1 > y0:
                holes.append([x0, y0, x1, y1])
    return holes


def stripe_holes(height: int, width: int, xs: Sequence[tuple[int, int]], ys: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Full-height stripes ``(x, length)`` and full-width stripes ``(y, length)`` as xyxy holes (SpecAugment
    time and frequency masks, Park et al. 2019)."""
    holes = [[int(x), 0, min(width, int(x) + int(n)), height] for x, n in xs if n > 0]
    return holes + [[0, int(y), width, min(height, int(y) + int(n))] for y, n in ys if n > 0]


def pixel_dropout_mask(shape: tuple[int, int, int], probability: float, per_channel: bool, seed: int) -> np.ndarray:
    """(H, W, C or 1) boolean: each pixel (each pixel and channel with ``per_channel``) dropped with
    ``probability``, from a generator seeded by ``seed`` (so image and mask get the same pattern)."""
    h, w, c = shape
    rng = np.random.default_rng(seed)
    return rng.random((h, w, c if per_channel else 1)) < probability




def drop_pixels(image: np.ndarray, drop: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Copy of ``image`` with ``value`` (per channel, broadcast) where ``drop`` is True (``drop`` is (H, W, 1)
    for all channels or (H, W, C) per channel)."""
    if drop.shape[2] == 1 and image.shape[2] <= 4 and image.dtype in _CV_DTYPES:
        # the same pixels in every channel: start from the fill and copy the kept pixels over it (one masked
        # OpenCV pass; x & x == x for every dtype)
        image = np.ascontiguousarray(image)  # OpenCV needs a plain layout (inputs may be strided views)
        out = filled(image.shape, image.dtype, value)  # C order whatever the input's order
        keep = np.ascontiguousarray(np.logical_not(drop[:, :, 0])).view(np.uint8)
        flat = out.reshape(image.shape[:2]) if image.shape[2] == 1 else out
        src = image.reshape(image.shape[:2]) if image.shape[2] == 1 else image
        cv2.bitwise_and(src, src, dst=flat, mask=keep)
        return out
    out = np.array(image, order="C")
    np.copyto(out, np.broadcast_to(np.asarray(value, image.dtype), image.shape), where=drop)
    return out


def drop_channels(image: np.ndarray, channels: Sequence[int], fill: float) -> np.ndarray:
    """Copy of ``image`` with the listed channels set to ``fill``."""
    out = np.array(image, order="C")
    for c in channels:  # one strided assignment per channel (faster than a fancy-indexed one)
        out[..., c] = fill
    return out


def encode_runs(region: np.ndarray) -> list[int]:
    """Run-length code of a 2-D boolean array in row-major order: ``[start0, length0, start1, ...]``."""
    flat = np.concatenate([[False], region.ravel(), [False]])
    edges = np.flatnonzero(flat[1:] != flat[:-1])
    starts, ends = edges[::2], edges[1::2]
    return np.stack([starts, ends - starts], axis=1).ravel().tolist()


def decode_runs(runs: Sequence[int], shape: tuple[int, int]) -> np.ndarray:
    """Inverse of ``encode_runs``: the (H, W) boolean array."""
    n = shape[0] * shape[1]
    pairs = np.asarray(runs, dtype=np.int64).reshape(-1, 2)
    if not len(pairs):
        return np.zeros(shape, dtype=bool)
    ends = pairs[:, 0] + pairs[:, 1]
    gaps = pairs[:, 0] - np.concatenate([[0], ends[:-1]])  # background before each run
    lengths = np.stack([gaps, pairs[:, 1]], axis=1).ravel()
    values = np.tile(np.array([False, True]), len(pairs))
    flat = np.repeat(values, lengths)
    return np.concatenate([flat, np.zeros(n - len(flat), dtype=bool)]).reshape(shape)


def label_values(labels: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a 2-D label array: a histogram for uint8 (OpenCV's, ~1.5x numpy's
    bincount, which first widens every pixel to intp) and uint16 (~10x faster than a sort), else a sort."""
    if labels.dtype == np.uint8:
        return np.flatnonzero(cv2.calcHist([np.ascontiguousarray(labels)], [0], None, [256], [0, 256]).ravel())
    if labels.dtype == np.uint16:
        return np.flatnonzero(np.bincount(labels.ravel()))
    return np.unique(labels)


def label_region(labels: np.ndarray, chosen: Sequence[int]) -> np.ndarray:
    """Boolean (H, W): where the 2-D label array holds one of ``chosen`` (a table lookup for uint8/uint16
    labels, ``np.isin`` otherwise)."""
    if labels.dtype == np.uint8 and len(chosen):  # one OpenCV table pass
        table = np.zeros(256, dtype=np.uint8)
        table[np.asarray(chosen, dtype=np.int64)] = 1
        return cv2.LUT(np.ascontiguousarray(labels), table).view(bool)
    if labels.dtype == np.uint16 and len(chosen):
        table = np.zeros(int(np.iinfo(labels.dtype).max) + 1, dtype=bool)
        table[np.asarray(chosen, dtype=np.int64)] = True
        return table[labels]
    return np.isin(labels, chosen)


def component_boxes(region: np.ndarray) -> np.ndarray:
    """xyxy pixel-bound boxes (x1/y1 exclusive) of the 8-connected components of a boolean (H, W) array."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(region.view(np.uint8), connectivity=8)
    s = stats[1:n].astype(np.float64)
    return np.stack([s[:, 0], s[:, 1], s[:, 0] + s[:, 2], s[:, 1] + s[:, 3]], axis=1) if n > 1 else np.zeros((0, 4))


def covered_by_region(boxes: np.ndarray, region: np.ndarray) -> np.ndarray:
    """For each xyxy box, the fraction of its pixel area inside the boolean ``region`` (pixel ``(x, y)``
    counts as the unit square ``[x, x+1) x [y, y+1)``; box edges are rounded to whole pixels)."""
    if not len(boxes):
        return np.zeros(0)
    integral = np.pad(region.astype(np.int64).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    h, w = region.shape
    b = np.rint(np.asarray(boxes, dtype=np.float64)).astype(np.int64)
    x0, x1 = np.clip(b[:, 0], 0, w), np.clip(b[:, 2], 0, w)
    y0, y1 = np.clip(b[:, 1], 0, h), np.clip(b[:, 3], 0, h)
    inside = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
    area = (x1 - x0) * (y1 - y0)
    return np.where(area > 0, inside / np.maximum(area, 1), 0.0)

"""Depth-map transforms: sensor-realistic corruption and range normalisation that keep holes as holes.

They apply to arrays of kind "depth" (``Compose(additional_targets={"depth": "depth"})``) and, unless
``apply_to_image=False`` (use that in RGB + depth pipelines), to the image when the image itself is a
depth map. Missing returns are 0 (integer maps, e.g. uint16 millimetres) or 0/NaN (float metres).
Depth pixels are measurements: flips/crops/rotation yes, photometric jitter no, mild Gaussian noise yes,
holes (masking) yes, as they simulate missing depth returns; normalise by the sensor range.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.transform import Params, Transform, as_range
from ..ops import depth as dops


def _positive(value: Any, argument: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        value_error(argument, "a positive number", value, f"pass e.g. {argument}=10000 (in the map's units)")
    return float(value)


class _DepthTransform(Transform):
    """Applies to depth targets, and to the image unless ``apply_to_image=False``."""

    applies_to_depth = True
    _abstract = True

    def _set_image(self, apply_to_image: Any) -> None:
        if not isinstance(apply_to_image, bool):
            type_error("apply_to_image", "True or False", apply_to_image, "pass apply_to_image=False when the image is RGB and the depth a target")
        self.apply_to_image = apply_to_image

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return self.apply_depth(image, params) if self.apply_to_image else image


class DepthHoles(_DepthTransform):
    """Simulate missing depth returns: ``num_blobs`` elliptical regions (dark, specular or out-of-range
    surfaces) with radii ``blob_size`` (fraction of the shorter side), pixels at depth discontinuities
    larger than ``edge_threshold`` (relative jump) dropped with probability ``edge_p`` (flying pixels at
    object edges), and a random fraction ``dropout`` of isolated pixels. New holes are 0, or NaN for
    float maps when ``nan=True``; existing holes are untouched. Deterministic given its params (the
    pixel-level draws come from a recorded seed), so RGB + depth pairs and clips can replay it."""

    def __init__(
        self,
        num_blobs: tuple[int, int] = (0, 3),
        blob_size: tuple[float, float] = (0.02, 0.1),
        edge_threshold: float = 0.1,
        edge_p: float = 0.5,
        dropout: tuple[float, float] = (0.0, 0.01),
        nan: bool = False,
        apply_to_image: bool = True,
        p: float = 0.5,
    ) -> None:
        super().__init__(p)
        lo_n, hi_n = as_range(num_blobs, "num_blobs", low=0)
        self.num_blobs = (int(lo_n), int(hi_n))
        self.blob_size = as_range(blob_size, "blob_size", low=0.0, high=1.0)
        self.edge_threshold = _positive(edge_threshold, "edge_threshold")
        if isinstance(edge_p, bool) or not isinstance(edge_p, (int, float)) or not 0 <= edge_p <= 1:
            value_error("edge_p", "a probability in [0, 1]", edge_p, "pass e.g. edge_p=0.5")
        self.edge_p = float(edge_p)
        self.dropout = as_range(dropout, "dropout", low=0.0, high=1.0)
        self.nan = bool(nan)
        self._set_image(apply_to_image)

    def effects(self) -> Effects:
        return Effects(occludes=True)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        h, w = sample.shape
        side = min(h, w)
        n = int(rng.integers(self.num_blobs[0], self.num_blobs[1] + 1))
        blobs = []
        for _ in range(n):
            rx, ry = rng.uniform(*self.blob_size, size=2) * side
            blobs.append([float(rng.uniform(0, w)), float(rng.uniform(0, h)), float(rx), float(ry), float(rng.uniform(0, 180))])
        return {"blobs": blobs, "dropout": float(rng.uniform(*self.dropout)), "seed": int(rng.integers(0, 2**31 - 1))}

    def apply_depth(self, depth: np.ndarray, params: Params) -> np.ndarray:
        h, w = depth.shape[:2]
        mask = dops.blob_mask((h, w), params["blobs"])
        draw = np.random.default_rng(params["seed"])
        if self.edge_p > 0:
            edges = dops.discontinuities(depth, self.edge_threshold).any(axis=2)
            mask |= edges & (draw.random((h, w)) < self.edge_p)
        if params["dropout"] > 0:
            mask |= draw.random((h, w)) < params["dropout"]
        return dops.punch_holes(depth, mask, self.nan) if mask.any() else depth


class DepthNoise(_DepthTransform):
    """Mild sensor noise whose spread grows with distance: ``d + N(0, 1) * (sigma * d + quadratic * d^2)``,
    ``sigma`` drawn per call from the ``sigma`` range (relative, e.g. 0.01 = 1% of the depth; structured-light
    and stereo sensors also have a quadratic term, in 1/units). Holes stay holes; integer maps are rounded,
    and a valid pixel never becomes 0."""

    def __init__(self, sigma: tuple[float, float] = (0.0, 0.01), quadratic: float = 0.0, apply_to_image: bool = True, p: float = 0.5) -> None:
        super().__init__(p)
        self.sigma = as_range(sigma, "sigma", low=0.0, high=1.0)
        if isinstance(quadratic, bool) or not isinstance(quadratic, (int, float)) or quadratic < 0:
            value_error("quadratic", "a non-negative number", quadratic, "pass e.g. quadratic=0.0")
        self.quadratic = float(quadratic)
        self._set_image(apply_to_image)

    def effects(self) -> Effects:
        return Effects(adds_noise=True)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"sigma": float(rng.uniform(*self.sigma)), "seed": int(rng.integers(0, 2**31 - 1))}

    def apply_depth(self, depth: np.ndarray, params: Params) -> np.ndarray:
        if params["sigma"] == 0 and self.quadratic == 0:
            return depth
        noise = np.random.default_rng(params["seed"]).standard_normal(depth.shape)
        return dops.relative_noise(depth, noise, params["sigma"], self.quadratic)


class DepthNormalize(_DepthTransform):
    """Normalise by the sensor range (divide by the maximum range, e.g. 10,000 mm indoors,
    80 m for driving LiDAR): float32 ``(d - min_depth) / (max_depth - min_depth)``, clipped to [0, 1].
    ``min_depth``/``max_depth`` are in the map's units. Holes become ``hole_value`` (0 by default, so
    they stay distinguishable from every valid depth, which maps above 0; None writes NaN)."""

    def __init__(self, max_depth: float, min_depth: float = 0.0, clip: bool = True, hole_value: float | None = 0.0, apply_to_image: bool = True, p: float = 1.0) -> None:
        super().__init__(p)
        self.max_depth = _positive(max_depth, "max_depth")
        if isinstance(min_depth, bool) or not isinstance(min_depth, (int, float)) or not 0 <= min_depth < self.max_depth:
            value_error("min_depth", f"a number in [0, max_depth={self.max_depth:g})", min_depth, "pass the sensor's minimum range or 0")
        self.min_depth = float(min_depth)
        self.clip = bool(clip)
        if hole_value is not None and (isinstance(hole_value, bool) or not isinstance(hole_value, (int, float))):
            type_error("hole_value", "a number or None (NaN)", hole_value, "pass hole_value=0.0")
        self.hole_value = hole_value
        self._set_image(apply_to_image)

    example_args = {"max_depth": 10000.0}

    def effects(self) -> Effects:
        return Effects(normalizes=True)

    def output_dtype(self, dtype: np.dtype) -> np.dtype:
        return np.dtype(np.float32) if self.apply_to_image else dtype

    def apply_depth(self, depth: np.ndarray, params: Params) -> np.ndarray:
        hole = float("nan") if self.hole_value is None else float(self.hole_value)
        return dops.normalize_range(depth, self.min_depth, self.max_depth, self.clip, hole)

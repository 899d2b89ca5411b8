"""Decode only the pixels a pipeline keeps: plan on the header's geometry, decode the JPEG at the
largest DCT scale (1/2, 1/4, 1/8) that still leaves the crop at or above the output resolution,
then execute the same plan with the first warp re-expressed on the reduced raster.

Why it is exact up to interpolation: planning only needs the canvas size, so the random draws
(crop box, flip, ...) are the same ones a full-size call makes with the same generator, and boxes
and keypoints are moved on full-size geometry. libjpeg's 1/s decode maps continuous coordinate
``x`` to ``x / s`` (each 8x8 block becomes an (8/s)x(8/s) block), so the first spatial step's matrix
``M`` becomes ``M @ inv(R)`` with ``R`` that scaling (conjugated by the EXIF orientation). The
pixels then differ from a full decode + resize only by the resampling filter: the reduced path
averages each s x s block in the DCT domain before the bilinear resize (less aliasing), where
``cv2.resize`` on the full raster samples 2x2 neighbours.

Reduction applies only when the first executed step is a spatial transform using the generic warp
(crops, resizes, flips, affine...) and no other array target (mask, depth) rides along, since
those must stay at full resolution.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.compose import Compose
from ..core.errors import type_error
from ..core.plan import Geometry, Plan, Step
from ..core.transform import executes_generically
from ..ops import geometric as geo
from .decode import DecodeError, decode, reduced_size
from .headers import HeaderError, ImageHeader, apply_orientation, orientation_matrix, read_header

_SCALES_DESC = (8, 4, 2)


def _sigma_max(matrix: np.ndarray) -> float:
    """Largest singular value of the linear part: output pixels per input pixel along the worst axis."""
    return float(np.linalg.svd(matrix[:2, :2], compute_uv=False)[0])


def _warps_generically(step: Step) -> bool:
    return step.geometry is not None and step.geometry.matrix is not None and executes_generically(step.transform)


def plan_scale(plan: Plan | list[Step], header: ImageHeader, allowed: tuple[int, ...] = _SCALES_DESC) -> int:
    """The DCT scale for a planned call: 1 unless the leading spatial steps shrink the image by at
    least 2 along every axis (for each non-exact prefix of the run: max singular value <= 1/s)."""
    steps = plan.steps if isinstance(plan, Plan) else plan
    if header.format != "jpeg" or not steps or not _warps_generically(steps[0]):
        return 1
    composed, sigma = np.eye(3), 0.0
    for step in steps:
        g = step.geometry
        if g is None:
            break
        if g.matrix is None:
            return 1  # a displacement field (elastic, grid...) magnifies locally: keep full resolution
        composed = g.matrix @ composed
        if not geo.is_affine(composed):
            return 1
        if not geo.is_exact(composed):
            sigma = max(sigma, _sigma_max(composed))
    if sigma <= 0.0:  # only flips / integer crops: every decoded pixel is kept
        return 1
    for s in allowed:
        if s * sigma <= 1.0 + 1e-9 and min(header.height, header.width) >= s:
            return s
    return 1


def reduction_matrix(header: ImageHeader, scale: int) -> np.ndarray:
    """Matrix from the displayed full-size raster to the displayed 1/``scale`` raster (continuous coords)."""
    o = header.orientation
    hr, wr = reduced_size(header.height, header.width, scale)
    full = orientation_matrix(o, header.height, header.width)
    small = orientation_matrix(o, hr, wr)
    return small @ geo.scaling(1.0 / scale, 1.0 / scale) @ np.linalg.inv(full)


def decode_augment(
    data: bytes,
    pipeline: Compose,
    *,
    rng: np.random.Generator | None = None,
    mode: str = "rgb",
    backend: str = "auto",
    reduce: bool = True,
    source: str = "data",
    return_params: bool = False,
    **targets: Any,
) -> dict[str, Any]:
    """Decode encoded image bytes and run ``pipeline`` on them, decoding a JPEG at reduced size when
    the pipeline's first steps allow it. Same output as ``pipeline(image=decode(data), ...)`` up to
    interpolation, with the same random draws for the same ``rng``. ``targets`` are the pipeline's
    other keywords (bboxes, labels, mask, ...). ``out["decode_scale"]`` is added with ``return_params``."""
    if not isinstance(pipeline, Compose):
        type_error("pipeline", "an iv.Compose", pipeline, "wrap your transforms in iv.Compose([...])")
    try:
        header = read_header(data)
    except HeaderError as exc:
        raise DecodeError(f"{source}: {exc}") from None
    arrays_riding = any(targets.get(k) is not None for k in ("mask", "masks", *pipeline.additional_targets))
    if not reduce or header.format != "jpeg" or arrays_riding or mode == "unchanged":
        image = decode(data, mode=mode, backend=backend, header=header, source=source)
        out = pipeline(rng=rng, return_params=return_params, image=image, **targets)
        if return_params:
            out["decode_scale"] = 1
        return out
    height, width = header.shape
    channels = 1 if mode == "gray" else 3
    placeholder = np.empty((height, width, channels), np.uint8)  # never touched: only its shape is read
    plan = pipeline.plan(rng=rng, image=placeholder, **targets)
    scale = plan_scale(plan, header)
    raw = decode(data, mode=mode, scale=scale, backend=backend, exif=False, header=header, source=source)
    image = apply_orientation(raw, header.orientation)
    if scale > 1:  # the first step re-expressed on the reduced raster: same output canvas, new matrix
        first = plan.steps[0]
        g = first.geometry
        matrix = g.matrix @ np.linalg.inv(reduction_matrix(header, scale))  # type: ignore[union-attr,operator]
        shape = image.shape[:2]
        plan.steps[0] = Step(first.transform, first.params, shape, Geometry(shape, g.out_shape, matrix))  # type: ignore[union-attr]
    plan.sample.arrays["image"] = image
    out = pipeline.execute(plan, return_params=return_params)
    if return_params:
        out["decode_scale"] = scale
    return out

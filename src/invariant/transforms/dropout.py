"""Occlusion: CoarseDropout (albumentations 2.x arguments), CutOut (DeVries & Taylor 2017, fixed square
holes) and RandomErasing (torchvision semantics: one rectangle of random area scale and aspect ratio).

Holes fill the image with a value, per-pixel noise, one random colour per hole, or the image mean;
masks are filled with ``fill_mask`` (None leaves them unchanged). Boxes keep a record of how much of
them the holes cover (``annotations.occlusion``), so the pipeline's ``min_visibility`` removes boxes
that lost most of their area, with their labels. Keypoints are not removed by occlusion.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.transform import Params, Transform, as_range
from ..ops import dropout as D
from ..ops.color import max_value

_FILL_MODES = ("random", "random_uniform", "mean")


def _check_fill(fill: Any, argument: str = "fill") -> Any:
    if isinstance(fill, str):
        if fill not in _FILL_MODES:
            value_error(argument, f"a number, one number per channel, or one of {_FILL_MODES}", fill, f"pass e.g. {argument}=0 or {argument}='random'")
        return fill
    try:
        values = np.atleast_1d(np.asarray(fill, dtype=np.float64)) if not isinstance(fill, bool) else None
    except (TypeError, ValueError):
        values = None
    if values is None or values.ndim != 1 or values.size == 0:
        type_error(argument, "a number or one number per channel", fill, f"pass e.g. {argument}=0 or {argument}=(124, 116, 104)")
    if not np.isfinite(values).all():
        value_error(argument, "finite numbers (no NaN or infinity)", fill, f"pass e.g. {argument}=0")
    return tuple(float(v) for v in values) if values.size > 1 else float(values[0])


def _size_range(value: Any, argument: str) -> tuple[float, float]:
    """Pixels (ints >= 1) or fractions of the image side (floats in (0, 1]), not mixed."""
    lo, hi = as_range(value, argument)
    ints = all(isinstance(v, (int, np.integer)) for v in (value if isinstance(value, (tuple, list)) else (value,)))
    if ints and lo < 1 or not ints and not 0 < lo <= hi <= 1:
        value_error(argument, "pixel sizes (ints >= 1) or fractions of the image side (floats in (0, 1])", value, f"pass e.g. {argument}=(8, 32) or (0.1, 0.2)")
    return (int(lo), int(hi)) if ints else (lo, hi)  # type: ignore[return-value]


class _Occlusion(Transform):
    """Fills ``params["holes"]`` ([x0, y0, x1, y1] integer pixel bounds) on images (and masks, when
    ``fill_mask`` is set) and records box occlusion; subclasses only sample the holes."""

    _abstract = True
    occludes: ClassVar[bool] = True  # the planner filters boxes by min_visibility after this step

    fill_argument: ClassVar[str] = "fill"  # the constructor's name for the fill (RandomErasing: ``value``)

    def __init__(self, fill: Any = 0, fill_mask: float | None = None, p: float = 0.5) -> None:
        super().__init__(p)
        self.fill = _check_fill(fill, self.fill_argument)
        if fill_mask is not None and (isinstance(fill_mask, bool) or not isinstance(fill_mask, (int, float, np.integer, np.floating))):
            type_error("fill_mask", "a number or None (leave masks unchanged)", fill_mask, "pass e.g. fill_mask=0")
        self.fill_mask = fill_mask

    def holes(self, rng: np.random.Generator, height: int, width: int) -> list[list[int]]:
        raise NotImplementedError

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        holes = self.holes(rng, *sample.shape)
        params: Params = {"holes": holes}
        if self.fill == "random":
            params["seed"] = int(rng.integers(0, 2**63 - 1))
        elif self.fill == "random_uniform":
            params["colors"] = rng.random((len(holes), sample.channels)).tolist()
        return params

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        holes = params["holes"]
        if not holes:
            return image.copy()
        c, top = image.shape[2], max_value(image.dtype)
        if self.fill == "random":
            return D.fill_holes(image, holes, None, params["seed"])
        if self.fill == "random_uniform":
            colors = [np.asarray(col, np.float64) * top for col in params["colors"]]
            fills = [np.rint(col).astype(image.dtype) if image.dtype != np.float32 else col.astype(np.float32) for col in colors]
            return D.fill_holes(image, holes, fills)
        if self.fill == "mean":
            fill = image.reshape(-1, c).mean(axis=0)
        elif isinstance(self.fill, float) and 0.0 <= self.fill <= top and (image.dtype == np.float32 or self.fill.is_integer()):
            return D.fill_holes(image, holes, np.full(c, self.fill, image.dtype))  # the common fill=0: no per-call arithmetic
        else:
            fill = np.broadcast_to(np.asarray(self.fill, np.float64), (c,)) if np.size(self.fill) in (1, c) else None
            if fill is None:
                value_error("fill", f"1 or {c} values for a {c}-channel image", self.fill, "pass one number, or one per channel")
        fill = np.clip(fill, 0, top)
        return D.fill_holes(image, holes, (np.rint(fill) if image.dtype != np.float32 else fill).astype(image.dtype))

    def apply_mask(self, mask: np.ndarray, params: Params) -> np.ndarray:
        if self.fill_mask is None or not params["holes"]:
            return mask
        return D.fill_holes(mask, params["holes"], np.full(mask.shape[2], self.fill_mask, dtype=mask.dtype))

    def apply_annotations(self, annotations: Any, params: Params, shape: tuple[int, int]) -> None:
        if params["holes"]:
            annotations.occlude(params["holes"])

    def effects(self) -> Effects:
        return Effects(occludes=True)


class CoarseDropout(_Occlusion):
    """Erase ``num_holes_range`` rectangles whose height/width are drawn from ``hole_height_range`` /
    ``hole_width_range`` (ints: pixels; floats in (0, 1]: fractions of the image height/width), placed
    fully inside the image. ``fill``: a value (dtype units) or one per channel, "random" (per-pixel
    uniform noise), "random_uniform" (one random colour per hole) or "mean" (the image's channel means)."""

    def __init__(
        self,
        num_holes_range: int | tuple[int, int] = (1, 8),
        hole_height_range: float | tuple[float, float] = (0.1, 0.2),
        hole_width_range: float | tuple[float, float] = (0.1, 0.2),
        fill: Any = 0,
        fill_mask: float | None = None,
        p: float = 0.5,
    ) -> None:
        super().__init__(fill=fill, fill_mask=fill_mask, p=p)
        n = (num_holes_range, num_holes_range) if isinstance(num_holes_range, (int, np.integer)) and not isinstance(num_holes_range, bool) else num_holes_range
        if not (isinstance(n, (tuple, list)) and len(n) == 2 and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in n)) or not 0 <= n[0] <= n[1]:
            value_error("num_holes_range", "an int or a (min, max) pair of ints >= 0", num_holes_range, "pass e.g. num_holes_range=(1, 8)")
        self.num_holes_range = (int(n[0]), int(n[1]))
        self.hole_height_range = _size_range(hole_height_range, "hole_height_range")
        self.hole_width_range = _size_range(hole_width_range, "hole_width_range")

    @staticmethod
    def _sides(rng: np.random.Generator, sizes: tuple[float, float], side: int, n: int) -> np.ndarray:
        if isinstance(sizes[0], int):
            return np.minimum(side, rng.integers(sizes[0], int(sizes[1]) + 1, size=n))
        s = np.rint(rng.uniform(sizes[0], sizes[1], size=n) * side)
        np.maximum(s, 1.0, out=s)
        np.minimum(s, float(side), out=s)
        return s.astype(np.int64)

    def holes(self, rng: np.random.Generator, height: int, width: int) -> list[list[int]]:
        n = int(rng.integers(self.num_holes_range[0], self.num_holes_range[1] + 1))
        if n == 0:
            return []
        # all holes in a few vectorized draws (per-hole scalar draws cost ~1 us each); positions are
        # floor(u * count), uniform over the count valid offsets
        h, w = self._sides(rng, self.hole_height_range, height, n), self._sides(rng, self.hole_width_range, width, n)
        u = rng.random((2, n))
        y = (u[0] * (height - h + 1)).astype(np.int64).tolist()
        x = (u[1] * (width - w + 1)).astype(np.int64).tolist()
        return [[x0, y0, x0 + w0, y0 + h0] for x0, y0, w0, h0 in zip(x, y, w.tolist(), h.tolist())]


class CutOut(CoarseDropout):
    """CutOut (DeVries & Taylor, 2017): ``num_holes`` square holes of side ``size`` pixels, filled with
    ``fill`` (0 by default; "mean" for the mean pixel value). Unlike the paper the squares stay inside the
    image (as albumentations); it is CoarseDropout with fixed square holes."""

    def __init__(self, num_holes: int = 1, size: int = 16, fill: Any = 0, fill_mask: float | None = None, p: float = 0.5) -> None:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            type_error("size", "a positive int (pixels)", size, "pass e.g. size=16")
        super().__init__(num_holes_range=(num_holes, num_holes), hole_height_range=(int(size), int(size)), hole_width_range=(int(size), int(size)), fill=fill, fill_mask=fill_mask, p=p)


class RandomErasing(_Occlusion):
    """torchvision's RandomErasing: up to 10 attempts to draw a rectangle with area ``U[scale] * H * W``
    and aspect ratio ``exp(U[log ratio])``, kept if it fits strictly inside the image; nothing is erased
    when all attempts fail. ``value``: a number, one per channel, or "random" (per-pixel noise; uniform
    over the dtype's range here, where torchvision draws N(0, 1) for normalized tensors)."""

    fill_argument = "value"

    def __init__(
        self,
        scale: tuple[float, float] = (0.02, 0.33),
        ratio: tuple[float, float] = (0.3, 3.3),
        value: Any = 0,
        fill_mask: float | None = None,
        p: float = 0.5,
    ) -> None:
        super().__init__(fill=value, fill_mask=fill_mask, p=p)
        self.scale = as_range(scale, "scale", low=0.0, high=1.0)
        self.ratio = as_range(ratio, "ratio")
        if self.ratio[0] <= 0:
            value_error("ratio", "positive aspect ratios", ratio, "pass e.g. ratio=(0.3, 3.3)")

    def holes(self, rng: np.random.Generator, height: int, width: int) -> list[list[int]]:
        area = height * width
        log_lo, log_hi = math.log(self.ratio[0]), math.log(self.ratio[1])
        for _ in range(10):
            erase_area = area * float(rng.uniform(*self.scale))
            aspect = math.exp(float(rng.uniform(log_lo, log_hi)))
            h, w = int(round(math.sqrt(erase_area * aspect))), int(round(math.sqrt(erase_area / aspect)))
            if not (h < height and w < width):
                continue
            y, x = int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1))
            return [[x, y, x + w, y + h]]
        return []

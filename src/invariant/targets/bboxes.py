"""Bounding-box formats and their conversion to and from the internal format.

Internally every box is ``pascal_voc``: absolute float64 ``(x_min, y_min, x_max, y_max)`` in
continuous pixel coordinates, where pixel column ``i`` spans ``[i, i + 1)``. All conversion
lives here; transforms never see any other format.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import value_error
from ..ops.distort import field_boxes
from ..ops.dropout import covered_fraction
from ..ops.geometric import apply_to_boxes
from .base import PointTarget, read_labels, register_target, rows_fix

BBOX_FORMATS = ("pascal_voc", "coco", "yolo", "normalized")

# Boxes may stick out of the image by this many pixels (or this fraction, for normalized
# formats) through float rounding; they are clipped. Anything further out is an error.
PIXEL_TOLERANCE = 1.0
NORMALIZED_TOLERANCE = 1e-3

# A box whose side is shorter than ``min_side`` after clipping to the canvas is degenerate and is
# dropped with its labels (``bbox_indices`` then leaves it out). A box lying on or beyond a canvas edge
# keeps a float-rounding side (~1e-14 px) after clipping; no real object is a thousandth of a pixel.
# The floor grows to 1e-6 of the canvas' longer side on canvases over 1000 px, so a kept box keeps a
# positive size in the float32 output (float32 resolves 2**-23 ~ 1.2e-7 of a coordinate).
MIN_SIDE_PX = 1e-3
MIN_SIDE_RELATIVE = 1e-6


def check_format(fmt: str) -> str:
    if fmt not in BBOX_FORMATS:
        value_error("bbox_format", f"one of {BBOX_FORMATS}", fmt, "pass one of the supported format names")
    return fmt


def as_box_array(bboxes: object, argument: str = "bboxes") -> np.ndarray:
    """Parse user boxes into an (N, 4) float64 array, rejecting bad shapes and non-finite values."""
    try:
        arr = np.asarray(bboxes, dtype=np.float64)
    except (TypeError, ValueError):
        value_error(argument, "an (N, 4) array-like of numbers", bboxes, "pass a list of [a, b, c, d] boxes")
    if arr.size == 0:
        return np.zeros((0, 4), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 4:
        columns = "pass labels through label fields (labels=...) instead of extra box columns" if arr.shape[-1] > 4 else "give every box its 4 coordinates"
        value_error(argument, "an (N, 4) array of box coordinates", arr, rows_fix(arr, 4, argument, columns))
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        value_error(argument, "finite coordinates", arr[bad], f"box {bad} contains NaN or inf; remove or fix it")
    return arr


def convert_bboxes_to(boxes: np.ndarray, fmt: str, height: int, width: int) -> np.ndarray:
    """Convert user boxes in ``fmt`` to internal absolute xyxy."""
    fmt = check_format(fmt)
    out = boxes.copy()
    if fmt == "coco":
        out[:, 2] += out[:, 0]
        out[:, 3] += out[:, 1]
    elif fmt == "yolo":
        cx, cy, w, h = boxes.T
        out = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    if fmt in ("yolo", "normalized"):
        out[:, [0, 2]] *= width
        out[:, [1, 3]] *= height
    return out


def convert_bboxes_from(boxes: np.ndarray, fmt: str, height: int, width: int) -> np.ndarray:
    """Convert internal absolute xyxy boxes to ``fmt``."""
    fmt = check_format(fmt)
    out = boxes.astype(np.float64, copy=True)
    if fmt in ("yolo", "normalized"):
        out[:, [0, 2]] /= width
        out[:, [1, 3]] /= height
    if fmt == "coco":
        out[:, 2] -= out[:, 0]
        out[:, 3] -= out[:, 1]
    elif fmt == "yolo":
        x0, y0, x1, y1 = out.T
        out = np.stack([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0], axis=1)
    return out


def validate_input_boxes(boxes: np.ndarray, fmt: str, height: int, width: int) -> np.ndarray:
    """Check internal-format boxes against the image: clip rounding noise, reject real errors."""
    if len(boxes) == 0:
        return boxes
    degenerate = (boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1])
    if degenerate.any():
        i = int(np.flatnonzero(degenerate)[0])
        value_error(
            "bboxes",
            f"x_max > x_min and y_max > y_min (after reading format {fmt!r})",
            boxes[i],
            f"box {i} is empty or inverted; check that bbox_format={fmt!r} matches your data",
        )
    tol_x = NORMALIZED_TOLERANCE * width if fmt in ("yolo", "normalized") else PIXEL_TOLERANCE
    tol_y = NORMALIZED_TOLERANCE * height if fmt in ("yolo", "normalized") else PIXEL_TOLERANCE
    outside = (
        (boxes[:, 0] < -tol_x) | (boxes[:, 1] < -tol_y) | (boxes[:, 2] > width + tol_x) | (boxes[:, 3] > height + tol_y)
    )
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        value_error(
            "bboxes",
            f"boxes inside the {height}x{width} (height x width) image (format {fmt!r})",
            boxes[i],
            f"box {i} lies outside the image; check bbox_format (pixels vs normalized) or clip it first",
        )
    clipped = boxes.copy()
    clipped[:, [0, 2]] = np.clip(clipped[:, [0, 2]], 0, width)
    clipped[:, [1, 3]] = np.clip(clipped[:, [1, 3]], 0, height)
    return clipped


def min_side(height: int, width: int) -> float:
    """The shortest box side (pixels) kept on a ``height`` x ``width`` canvas: shorter boxes are degenerate."""
    return max(MIN_SIDE_PX, MIN_SIDE_RELATIVE * max(height, width))


def box_areas(boxes: np.ndarray) -> np.ndarray:
    return np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)


class BoxTarget(PointTarget):
    """Axis-aligned boxes (keyword ``bboxes``, in the pipeline's ``bbox_format``), internal xyxy.

    ``full_boxes`` are the boxes moved but never clipped (visibility = clipped area / full area);
    ``occlusion`` is the fraction of each box not erased by dropout-style transforms. Holes erased since the
    last geometric step are kept (``holes``) so overlapping holes count once (their union); across a
    geometric step the occlusion so far is carried as a factor (``occlusion_base``)."""

    per_item = ("boxes", "full_boxes", "occlusion", "occlusion_base")

    def __init__(self, boxes: np.ndarray) -> None:
        self.boxes = boxes
        self.full_boxes = boxes.copy()
        self.occlusion = self.occlusion_base = np.ones(len(boxes))
        self.holes: list[Any] = []

    @classmethod
    def label_fields(cls, pipe: Any) -> tuple[str, ...]:
        return pipe.label_fields

    @classmethod
    def read(cls, pipe: Any, data: dict[str, Any], shape: tuple[int, int]) -> BoxTarget:
        height, width = shape
        raw = as_box_array(data[cls.keyword])
        internal = convert_bboxes_to(raw, pipe.bbox_format, height, width)
        target = cls(validate_input_boxes(internal, pipe.bbox_format, height, width))
        target.init_items(len(raw), read_labels(data, pipe.label_fields, len(raw), "bboxes"))
        return target

    def move_matrix(self, matrix: np.ndarray, box_mode: str) -> None:
        if len(self.boxes):
            self.boxes = apply_to_boxes(matrix, self.boxes, box_mode)
            self.full_boxes = apply_to_boxes(matrix, self.full_boxes, box_mode)

    def move_field(self, field: tuple[np.ndarray, np.ndarray]) -> None:
        if len(self.boxes):
            self.boxes = field_boxes(field, self.boxes)
            self.full_boxes = field_boxes(field, self.full_boxes)

    def filter(self, shape: tuple[int, int], rules: Any) -> None:
        """Clip to the canvas, then drop boxes (with their labels) that are degenerate (a side under
        ``min_side``) or fail min_width / min_height / min_area / min_visibility."""
        if not len(self.boxes):
            return
        height, width = shape
        b = self.boxes
        b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0, width)
        b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0, height)
        w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
        side = min_side(height, width)
        keep = (w >= max(side, rules.min_width)) & (h >= max(side, rules.min_height)) & (w * h >= rules.min_area)
        if rules.min_visibility > 0:
            keep &= self.visibility() >= rules.min_visibility
        self.keep(keep)

    def occlude(self, holes: list[Any]) -> None:
        """Visible fraction of each box = carried factor x (1 - area of the union of every hole since the
        last geometric step / box area)."""
        if not len(self.boxes):
            return
        self.holes = self.holes + [list(h) for h in holes]
        self.occlusion = self.occlusion_base * (1.0 - covered_fraction(self.boxes, self.holes))

    def geometry_changed(self) -> None:
        """Holes live in the old canvas's coordinates: carry their effect as a factor from now on."""
        if self.holes:
            self.occlusion_base = self.occlusion
            self.holes = []

    def visibility(self) -> np.ndarray:
        full = box_areas(self.full_boxes)
        with np.errstate(divide="ignore", invalid="ignore"):
            vis = np.where(full > 0, box_areas(self.boxes) / full, 0.0)
        return vis * self.occlusion

    def write(self, pipe: Any, shape: tuple[int, int], out: dict[str, Any]) -> None:
        height, width = shape
        out["bboxes"] = convert_bboxes_from(self.boxes, pipe.bbox_format, height, width).astype(np.float32).reshape(-1, 4)
        self.write_bookkeeping(out, "bbox_indices")


register_target("bboxes", BoxTarget)

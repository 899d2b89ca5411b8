"""The sample: every target of one call, typed by kind, plus the bookkeeping that keeps
annotations honest (which input boxes and keypoints survive, and how visible each box is)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..ops.distort import field_boxes, field_keypoints
from ..ops.geometric import apply_to_boxes, apply_to_keypoints
from ..targets.bboxes import box_areas, min_side
from ..targets.keypoints import inside

# Kinds of array targets. "image": every transform applies. "mask": spatial transforms only,
# nearest-neighbour, so no new label value appears. "depth": spatial transforms only (nearest,
# so holes stay holes and no depth is invented between surfaces) plus transforms that declare
# themselves valid for metric data (e.g. sensor noise).
ARRAY_KINDS = ("image", "mask", "depth")


_NO_BOXES = np.zeros((0, 4))
_NO_VALUES = np.zeros(0)
_NO_INDICES = np.zeros(0, dtype=np.int64)
_NO_FLAGS = np.zeros(0, dtype=bool)


class Annotations:
    """Boxes (internal xyxy), keypoints (x, y, angle, scale), their label fields and source indices.

    ``full_boxes`` are the boxes moved but never clipped (visibility = clipped area / full area);
    ``occlusion`` is the fraction of each box not erased by dropout-style transforms. Holes erased
    since the last geometric step are kept (``holes``) so overlapping holes count once (their union);
    across a geometric step the occlusion so far is carried as a factor (``occlusion_base``).
    ``keypoint_visible`` is sticky: a keypoint off the canvas at input or after any spatial step stays
    invisible even if a later step moves its coordinates back onto the canvas (its content is gone).
    """

    __slots__ = (
        "boxes", "full_boxes", "occlusion", "occlusion_base", "holes",
        "box_indices", "box_labels", "keypoints", "keypoint_indices", "keypoint_labels", "keypoint_visible",
    )  # fmt: skip

    def __init__(self) -> None:
        # shared empty arrays: every update assigns a new array, none is written in place while empty
        self.boxes = self.full_boxes = _NO_BOXES
        self.occlusion = self.occlusion_base = _NO_VALUES
        self.holes: list[Any] = []
        self.box_indices = self.keypoint_indices = _NO_INDICES
        self.box_labels: dict[str, Any] = {}
        self.keypoints = _NO_BOXES
        self.keypoint_labels: dict[str, Any] = {}
        self.keypoint_visible = _NO_FLAGS

    def keep_boxes(self, keep: np.ndarray) -> None:
        if keep.all():
            return
        self.boxes, self.full_boxes = self.boxes[keep], self.full_boxes[keep]
        self.occlusion, self.box_indices = self.occlusion[keep], self.box_indices[keep]
        self.occlusion_base = self.occlusion_base[keep]
        self.box_labels = {k: _take(v, keep) for k, v in self.box_labels.items()}

    def occlude(self, holes: Any) -> None:
        """Erase xyxy ``holes`` (current canvas coordinates): visible fraction of each box = carried factor
        x (1 - area of the union of every hole since the last geometric step / box area)."""
        from ..ops.dropout import covered_fraction

        self.holes = self.holes + [list(h) for h in holes]
        self.occlusion = self.occlusion_base * (1.0 - covered_fraction(self.boxes, self.holes))

    def geometry_changed(self) -> None:
        """Holes live in the old canvas's coordinates: carry their effect as a factor from now on."""
        if self.holes:
            self.occlusion_base = self.occlusion
            self.holes = []

    def keep_keypoints(self, keep: np.ndarray) -> None:
        if keep.all():
            return
        self.keypoints, self.keypoint_indices = self.keypoints[keep], self.keypoint_indices[keep]
        self.keypoint_visible = self.keypoint_visible[keep]
        self.keypoint_labels = {k: _take(v, keep) for k, v in self.keypoint_labels.items()}

    def filter(self, shape: tuple[int, int], rules: Any) -> None:
        """Apply the pipeline's ``rules`` (a Compose) on a canvas of ``shape``: at input and after every
        spatial step, so the same input is treated the same whichever steps ran. Boxes are clipped to the
        canvas, then dropped with their labels when degenerate (a side under ``min_side``) or failing
        min_width/min_height/min_area/min_visibility. Keypoints off the canvas lose visibility for good,
        and are dropped with their labels under ``remove_invisible_keypoints``."""
        height, width = shape
        if len(self.boxes):
            b = self.boxes
            b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0, width)
            b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0, height)
            w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
            side = min_side(height, width)
            keep = (w >= max(side, rules.min_width)) & (h >= max(side, rules.min_height)) & (w * h >= rules.min_area)
            if rules.min_visibility > 0:
                keep &= self.visibility() >= rules.min_visibility
            self.keep_boxes(keep)
        if len(self.keypoints):
            self.keypoint_visible = self.keypoint_visible & inside(self.keypoints, height, width)
            if rules.remove_invisible_keypoints:
                self.keep_keypoints(self.keypoint_visible)

    def move(self, geometry: Any, box_mode: str = "corners") -> None:
        """Move boxes (their clipped and full extents) and keypoints by a step's geometry: its matrix
        (boxes by ``box_mode``: the enclosing box of the moved corners, or of the inscribed ellipse), or
        its displacement field."""
        if geometry.matrix is not None:
            matrix = geometry.matrix
            if len(self.boxes):
                self.boxes = apply_to_boxes(matrix, self.boxes, box_mode)
                self.full_boxes = apply_to_boxes(matrix, self.full_boxes, box_mode)
            if len(self.keypoints):
                self.keypoints = apply_to_keypoints(matrix, self.keypoints)
            return
        fld = geometry.field
        if len(self.boxes):
            self.boxes = field_boxes(fld, self.boxes)
            self.full_boxes = field_boxes(fld, self.full_boxes)
        if len(self.keypoints):
            self.keypoints = field_keypoints(fld, self.keypoints)

    def visibility(self) -> np.ndarray:
        full = box_areas(self.full_boxes)
        with np.errstate(divide="ignore", invalid="ignore"):
            vis = np.where(full > 0, box_areas(self.boxes) / full, 0.0)
        return vis * self.occlusion


def _take(values: Any, keep: np.ndarray) -> Any:
    if isinstance(values, np.ndarray):
        return values[keep]
    return [v for v, k in zip(values, keep) if k]


@dataclass(slots=True)
class Sample:
    """Arrays by name with their kind (all HWC internally), shared annotations, the canvas shape."""

    arrays: dict[str, np.ndarray]
    kinds: dict[str, str]
    annotations: Annotations
    shape: tuple[int, int]
    dtype: np.dtype
    channels: int
    rules: Any = None  # the pipeline's box/keypoint filtering rules (a Compose)

    def names_of(self, kind: str) -> list[str]:
        return [n for n, k in self.kinds.items() if k == kind]

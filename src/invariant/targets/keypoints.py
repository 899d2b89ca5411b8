"""Keypoint formats. Internally a keypoint is float64 ``(x, y, angle, scale)`` in continuous pixel
coordinates (the centre of pixel column ``i`` is ``x = i + 0.5``), angle in radians."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import value_error
from ..ops.distort import field_keypoints
from ..ops.geometric import apply_to_keypoints
from .base import PointTarget, read_labels, register_target

# "xy": (x, y); "xyas": (x, y, angle in degrees, scale). Angles are degrees at the API and
# radians inside, as in albumentations' (x, y, angle, scale).
KEYPOINT_FORMATS = ("xy", "xyas")


def check_format(fmt: str) -> str:
    if fmt not in KEYPOINT_FORMATS:
        value_error("keypoint_format", f"one of {KEYPOINT_FORMATS}", fmt, "pass 'xy' or 'xyas'")
    return fmt


def keypoints_to_internal(keypoints: object, fmt: str) -> np.ndarray:
    fmt = check_format(fmt)
    width = 2 if fmt == "xy" else 4
    try:
        arr = np.asarray(keypoints, dtype=np.float64)
    except (TypeError, ValueError):
        value_error("keypoints", f"an (N, {width}) array-like of numbers", keypoints, "pass [[x, y], ...]")
    if arr.size == 0:
        return np.zeros((0, 4), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != width:
        value_error("keypoints", f"an (N, {width}) array for keypoint_format={fmt!r}", arr, "match keypoint_format to your columns")
    if not np.isfinite(arr).all():
        value_error("keypoints", "finite coordinates", arr, "remove keypoints with NaN or inf")
    out = np.zeros((len(arr), 4), dtype=np.float64)
    out[:, :2] = arr[:, :2]
    out[:, 3] = 1.0
    if fmt == "xyas":
        out[:, 2] = np.deg2rad(arr[:, 2])
        out[:, 3] = arr[:, 3]
    return out


def inside(kps: np.ndarray, height: int, width: int) -> np.ndarray:
    """Which keypoints lie on the canvas, the closed rectangle ``[0, W] x [0, H]`` of continuous
    coordinates. Closed, so that flips, quarter turns and transposes (which map the canvas onto itself
    exactly) never change a keypoint's visibility: a flip sends ``x = 0`` to ``x = W``."""
    x, y = kps[:, 0], kps[:, 1]
    return (x >= 0) & (x <= width) & (y >= 0) & (y <= height)


def keypoints_from_internal(kps: np.ndarray, fmt: str) -> np.ndarray:
    if fmt == "xy":
        return kps[:, :2].copy()
    out = kps.copy()
    out[:, 2] = np.rad2deg(np.mod(out[:, 2], 2 * np.pi))
    return out


class KeypointTarget(PointTarget):
    """Keypoints (keyword ``keypoints``, in the pipeline's ``keypoint_format``), internal (x, y, angle, scale).

    ``visible`` is sticky: a keypoint off the canvas at input or after any spatial step stays invisible even
    if a later step moves its coordinates back onto the canvas (its content is gone)."""

    per_item = ("keypoints", "visible")

    def __init__(self, keypoints: np.ndarray) -> None:
        self.keypoints = keypoints
        self.visible = np.ones(len(keypoints), dtype=bool)

    @classmethod
    def label_fields(cls, pipe: Any) -> tuple[str, ...]:
        return pipe.keypoint_label_fields

    @classmethod
    def read(cls, pipe: Any, data: dict[str, Any], shape: tuple[int, int]) -> KeypointTarget:
        target = cls(keypoints_to_internal(data[cls.keyword], pipe.keypoint_format))
        n = len(target.keypoints)
        target.init_items(n, read_labels(data, pipe.keypoint_label_fields, n, "keypoints"))
        return target

    def move_matrix(self, matrix: np.ndarray, box_mode: str) -> None:
        if len(self.keypoints):
            self.keypoints = apply_to_keypoints(matrix, self.keypoints)

    def move_field(self, field: tuple[np.ndarray, np.ndarray]) -> None:
        if len(self.keypoints):
            self.keypoints = field_keypoints(field, self.keypoints)

    def filter(self, shape: tuple[int, int], rules: Any) -> None:
        """Keypoints off the canvas lose visibility for good; dropped under ``remove_invisible_keypoints``."""
        if len(self.keypoints):
            self.visible = self.visible & inside(self.keypoints, *shape)
            if rules.remove_invisible_keypoints:
                self.keep(self.visible)

    def write(self, pipe: Any, shape: tuple[int, int], out: dict[str, Any]) -> None:
        out["keypoints"] = keypoints_from_internal(self.keypoints, pipe.keypoint_format).astype(np.float32)
        self.write_bookkeeping(out, "keypoint_indices")
        if not pipe.remove_invisible_keypoints:  # sticky: off the canvas at input or after any spatial step
            out["keypoints_visible"] = self.visible.copy()


register_target("keypoints", KeypointTarget)

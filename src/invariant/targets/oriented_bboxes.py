"""Oriented (rotated) bounding boxes (keyword ``oriented_bboxes``), in ``Compose(oriented_bbox_format=...)``.

Formats, all in continuous pixel coordinates (pixel column ``i`` spans ``[i, i + 1)``, y points down):

- ``"cxcywha"``: ``(cx, cy, w, h, angle)``, angle in degrees. The width side runs along the unit vector
  ``u = (cos a, sin a)`` and the height side along ``v = (-sin a, cos a)``; with y pointing down, a positive
  angle turns the width side clockwise on screen. This is OpenCV's convention (``cv2.minAreaRect`` returns
  ``((cx, cy), (w, h), a)`` and ``cv2.boxPoints`` draws it with the width side along ``(cos a, sin a)``) and
  Ultralytics YOLO-OBB's ``xywhr`` with ``r`` in degrees instead of radians. Angles are written in
  ``[-90, 90)``; a rectangle read with another angle is the same rectangle (``a`` and ``a + 180`` coincide).
- ``"xyxyxyxy"``: the four corners ``(x0, y0, ..., x3, y3)``: DOTA's ``x1 y1 ... x4 y4`` and YOLO-OBB's label
  rows (un-normalised). Written in the order ``c - u w/2 - v h/2``, ``c + u w/2 - v h/2``,
  ``c + u w/2 + v h/2``, ``c - u w/2 + v h/2``; read as any convex quadrilateral (DOTA quadrilaterals
  included), whose first edge ``c0 -> c1`` is taken as the width side.

Internally each box is two polygons: ``full`` (its four corners, moved but never clipped) and ``visible``
(the part on the canvas, a convex polygon: the corners clipped to the canvas after every spatial step by
Sutherland-Hodgman). Corners move through each step's 3x3 matrix, exactly, or through a displacement field
(vertices forward-mapped). The box written is the minimum-area rectangle enclosing ``visible`` (rotating
calipers over its convex hull, Freeman & Shapira, CACM 18(7), 1975), with its width side the one closest in
direction to the moved ``c0 -> c1`` edge. So a box wholly on the canvas comes back exactly under
similarities (rotations, flips, scales, translations, crops, resizes with equal factors); under shear,
unequal scales or perspective the moved corners form a general quadrilateral and the box written is the
smallest rectangle enclosing it (larger than the object). A box cut by the canvas comes back as the
smallest rectangle enclosing its visible part, which may stick out past the canvas where that part is not
a rectangle.

Filtering, at input and after every spatial step, with the Compose's rules: visible area = area of
``visible`` (the rectangle's polygon intersected with the canvas); visibility = visible area / area of
``full``; a box is dropped with its labels when the written rectangle has a side under
``targets.bboxes.min_side``, its width or height is under ``min_width`` / ``min_height``, its visible area
is under ``min_area``, or its visibility under ``min_visibility``. ``out["oriented_bbox_indices"]`` gives
the input position of each survivor."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import value_error
from .base import PointTarget, read_labels, register_target
from .bboxes import min_side
from .polygons import clip_to_canvas, move_rings_field, move_rings_matrix, polygon_area

OBB_FORMATS = ("cxcywha", "xyxyxyxy")


def check_obb_format(fmt: str) -> str:
    if fmt not in OBB_FORMATS:
        value_error("oriented_bbox_format", f"one of {OBB_FORMATS}", fmt, "pass 'cxcywha' (centre, size, angle in degrees) or 'xyxyxyxy' (4 corners)")
    return fmt


def cxcywha_to_corners(boxes: np.ndarray) -> np.ndarray:
    """(N, 5) ``(cx, cy, w, h, angle deg)`` -> (N, 4, 2) corners in the documented order."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 5)
    c = boxes[:, None, :2]
    a = np.deg2rad(boxes[:, 4])
    u = np.stack([np.cos(a), np.sin(a)], axis=1)[:, None, :] * boxes[:, None, 2:3] / 2
    v = np.stack([-np.sin(a), np.cos(a)], axis=1)[:, None, :] * boxes[:, None, 3:4] / 2
    signs_u = np.array([-1.0, 1.0, 1.0, -1.0])[None, :, None]
    signs_v = np.array([-1.0, -1.0, 1.0, 1.0])[None, :, None]
    return c + signs_u * u + signs_v * v


def corners_to_cxcywha(corners: np.ndarray) -> np.ndarray:
    """(N, 4, 2) rectangle corners in the documented order -> (N, 5) ``(cx, cy, w, h, angle)``, angle in
    [-90, 90) degrees (the width side's direction taken modulo 180)."""
    corners = np.asarray(corners, dtype=np.float64).reshape(-1, 4, 2)
    c = corners.mean(axis=1)
    e = corners[:, 1] - corners[:, 0]
    w = np.hypot(e[:, 0], e[:, 1])
    f = corners[:, 3] - corners[:, 0]
    h = np.hypot(f[:, 0], f[:, 1])
    angle = np.rad2deg(np.arctan2(e[:, 1], e[:, 0]))
    angle = (angle + 90.0) % 180.0 - 90.0
    return np.stack([c[:, 0], c[:, 1], w, h, angle], axis=1)


def _cross(a: np.ndarray, b: np.ndarray) -> float:
    return float(a[0] * b[1] - a[1] * b[0])


def _hull(pts: np.ndarray) -> np.ndarray:
    """Convex hull (Andrew's monotone chain), counter-clockwise in (x, y), collinear points dropped."""
    pts = np.unique(pts, axis=0)
    if len(pts) < 3:
        return pts

    def half(points: np.ndarray) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        for p in points:
            while len(out) >= 2 and _cross(out[-1] - out[-2], p - out[-2]) <= 0:
                out.pop()
            out.append(p)
        return out

    lower, upper = half(pts), half(pts[::-1])
    return np.array(lower[:-1] + upper[:-1])


def min_area_rect(pts: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """The minimum-area rectangle enclosing ``pts`` (K, 2) by rotating calipers: one of the rectangles with
    a side along a hull edge (Freeman & Shapira 1975). Returned as (4, 2) corners in the documented order,
    its width side the one closest in direction to ``axis`` (2,), up to sign."""
    hull = _hull(pts)
    if len(hull) < 2:
        return np.repeat(pts[:1], 4, axis=0) if len(pts) else np.zeros((4, 2))
    edges = np.roll(hull, -1, axis=0) - hull
    lengths = np.hypot(edges[:, 0], edges[:, 1])
    edges = edges[lengths > 0] / lengths[lengths > 0, None]
    normals = np.stack([-edges[:, 1], edges[:, 0]], axis=1)
    pe, pn = hull @ edges.T, hull @ normals.T  # (K, E) projections
    areas = (pe.max(0) - pe.min(0)) * (pn.max(0) - pn.min(0))
    k = int(np.argmin(areas))
    e, n = edges[k], normals[k]
    lo_e, hi_e, lo_n, hi_n = pe[:, k].min(), pe[:, k].max(), pn[:, k].min(), pn[:, k].max()
    centre = e * (lo_e + hi_e) / 2 + n * (lo_n + hi_n) / 2
    ext_e, ext_n = hi_e - lo_e, hi_n - lo_n
    if abs(float(axis @ n)) > abs(float(axis @ e)):  # width side along the normal
        e, n, ext_e, ext_n = n, -e, ext_n, ext_e
    if float(axis @ e) < 0:
        e, n = -e, -n
    # (u, v) with v = rot90(u) as in the format: v = (-u_y, u_x)
    u, v = e, np.array([-e[1], e[0]])
    s_u = np.array([-1.0, 1.0, 1.0, -1.0])[:, None]
    s_v = np.array([-1.0, -1.0, 1.0, 1.0])[:, None]
    return centre[None, :] + s_u * u[None, :] * ext_e / 2 + s_v * v[None, :] * ext_n / 2


def obb_to_aabb(boxes: Any, fmt: str = "cxcywha") -> np.ndarray:
    """Axis-aligned ``(x_min, y_min, x_max, y_max)`` boxes enclosing oriented boxes in ``fmt``: the extent
    of the four corners."""
    corners = _to_corners(np.asarray(boxes, dtype=np.float64), check_obb_format(fmt))
    return np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1).reshape(-1, 4)


def _to_corners(arr: np.ndarray, fmt: str) -> np.ndarray:
    return cxcywha_to_corners(arr) if fmt == "cxcywha" else arr.reshape(-1, 4, 2)


def _from_corners(corners: np.ndarray, fmt: str) -> np.ndarray:
    return corners_to_cxcywha(corners) if fmt == "cxcywha" else corners.reshape(-1, 8)


def as_obb_array(value: Any, fmt: str, keyword: str = "oriented_bboxes") -> np.ndarray:
    width = 5 if fmt == "cxcywha" else 8
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        value_error(keyword, f"an (N, {width}) array-like of numbers", value, "pass one row per box")
    if arr.size == 0:
        return np.zeros((0, width))
    if arr.ndim != 2 or arr.shape[1] != width:
        value_error(keyword, f"an (N, {width}) array for oriented_bbox_format={fmt!r}", arr, "match oriented_bbox_format to your columns")
    if not np.isfinite(arr).all():
        value_error(keyword, "finite coordinates", arr, "remove boxes with NaN or inf")
    if fmt == "cxcywha" and (arr[:, 2:4] < 0).any():
        value_error(keyword, "non-negative widths and heights", arr, "give w and h as lengths (the angle carries the orientation)")
    return arr


class OrientedBoxTarget(PointTarget):
    """Oriented boxes (see the module docstring). ``full``: (N, 4, 2) corners moved, never clipped;
    ``visible``: per box a (K, 2) convex polygon, the part on the canvas."""

    per_item = ("full", "visible")
    default_label_fields = ("oriented_labels",)

    def __init__(self, corners: np.ndarray) -> None:
        self.full = corners
        self.visible = np.empty(len(corners), dtype=object)
        for i, c in enumerate(corners):
            self.visible[i] = _hull(c)  # a quadrilateral given in any vertex order

    @classmethod
    def label_fields(cls, pipe: Any) -> tuple[str, ...]:
        return tuple(getattr(pipe, "oriented_label_fields", cls.default_label_fields))

    @classmethod
    def read(cls, pipe: Any, data: dict[str, Any], shape: tuple[int, int]) -> OrientedBoxTarget:
        fmt = getattr(pipe, "oriented_bbox_format", "cxcywha")
        arr = as_obb_array(data[cls.keyword], fmt, cls.keyword)
        target = cls(_to_corners(arr, fmt))
        target.init_items(len(arr), read_labels(data, cls.label_fields(pipe), len(arr), cls.keyword))
        return target

    def move_matrix(self, matrix: np.ndarray, box_mode: str) -> None:
        if len(self.full):
            self.full = np.stack(move_rings_matrix(matrix, list(self.full)))
            for i, ring in enumerate(move_rings_matrix(matrix, list(self.visible))):
                self.visible[i] = ring

    def move_field(self, field: tuple[np.ndarray, np.ndarray]) -> None:
        if len(self.full):
            self.full = np.stack(move_rings_field(field, list(self.full)))
            for i, ring in enumerate(move_rings_field(field, list(self.visible))):
                self.visible[i] = ring

    def rectangles(self) -> np.ndarray:
        """(N, 4, 2): the minimum-area rectangle of each visible part, width side along the moved c0 -> c1."""
        out = np.zeros((len(self.full), 4, 2))
        for i, (full, vis) in enumerate(zip(self.full, self.visible)):
            axis = full[1] - full[0]
            out[i] = min_area_rect(vis, axis / (np.hypot(*axis) or 1.0)) if len(vis) else np.repeat(full[:1], 4, axis=0)
        return out

    def filter(self, shape: tuple[int, int], rules: Any) -> None:
        if not len(self.full):
            return
        height, width = shape
        visible_area = np.zeros(len(self.full))
        for i, ring in enumerate(self.visible):
            self.visible[i] = clip_to_canvas(ring, width, height)
            visible_area[i] = polygon_area(self.visible[i])
        rects = self.rectangles()
        w = np.hypot(*(rects[:, 1] - rects[:, 0]).T)
        h = np.hypot(*(rects[:, 3] - rects[:, 0]).T)
        side = min_side(height, width)
        keep = (w >= max(side, rules.min_width)) & (h >= max(side, rules.min_height)) & (visible_area >= rules.min_area)
        if rules.min_visibility > 0:
            keep &= self.visibility(visible_area) >= rules.min_visibility
        self.keep(keep)

    def visibility(self, visible_area: np.ndarray | None = None) -> np.ndarray:
        """Visible area over the area of the moved, unclipped corners."""
        if visible_area is None:
            visible_area = np.array([polygon_area(v) for v in self.visible])
        full = np.array([polygon_area(_hull(f)) for f in self.full])
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(full > 0, visible_area / full, 0.0)

    def write(self, pipe: Any, shape: tuple[int, int], out: dict[str, Any]) -> None:
        fmt = getattr(pipe, "oriented_bbox_format", "cxcywha")
        width = 5 if fmt == "cxcywha" else 8
        out[self.keyword] = _from_corners(self.rectangles(), fmt).astype(np.float32).reshape(-1, width)
        self.write_bookkeeping(out, "oriented_bbox_indices")


register_target("oriented_bboxes", OrientedBoxTarget)

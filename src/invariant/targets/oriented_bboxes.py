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
calipers, Freeman & Shapira, CACM 18(7), 1975: vectorised here for uncut boxes, OpenCV's ``minAreaRect``
in float32 for boxes cut by a canvas), with its width side the one closest in
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
is under ``min_area``, or its visibility under ``min_visibility``. Dropout-style transforms (CoarseDropout and
kin) lower visibility by the part of each box's visible polygon their holes erase (the union of the holes,
exactly), as they do for axis-aligned boxes. ``out["oriented_bbox_indices"]`` gives the input position of
each survivor."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from ..core.errors import value_error
from ..ops.distort import invert_points
from ..ops.geometric import apply_to_points
from .base import PointTarget, read_labels, register_target, rows_fix
from .bboxes import min_side
from .polygons import move_rings_field, move_rings_matrix, polygon_area

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


def min_area_rects(rings: np.ndarray, axes: np.ndarray) -> np.ndarray:
    """Vectorised rotating calipers for (N, K, 2) convex rings (in ring order) and (N, 2) width directions:
    (N, 4, 2) minimum-area rectangles (one side along a hull edge), width side the one closest to the axis."""
    edges = np.roll(rings, -1, axis=1) - rings  # (N, K, 2)
    lengths = np.hypot(edges[..., 0], edges[..., 1])
    e = edges / np.where(lengths > 0, lengths, 1.0)[..., None]
    n = np.stack([-e[..., 1], e[..., 0]], axis=-1)
    pe = np.einsum("nkd,njd->nkj", rings, e)  # (N, vertex, edge) projections
    pn = np.einsum("nkd,njd->nkj", rings, n)
    areas = np.ptp(pe, axis=1) * np.ptp(pn, axis=1)
    areas[lengths <= 0] = np.inf
    k = np.argmin(areas, axis=1)
    rows = np.arange(len(rings))
    e, n = e[rows, k], n[rows, k]
    pe, pn = pe[rows, :, k], pn[rows, :, k]
    lo_e, hi_e, lo_n, hi_n = pe.min(1), pe.max(1), pn.min(1), pn.max(1)
    centre = e * ((lo_e + hi_e) / 2)[:, None] + n * ((lo_n + hi_n) / 2)[:, None]
    ext_e, ext_n = hi_e - lo_e, hi_n - lo_n
    swap = np.abs((axes * n).sum(1)) > np.abs((axes * e).sum(1))
    u = np.where(swap[:, None], n, e)
    w = np.where(swap, ext_n, ext_e)
    h = np.where(swap, ext_e, ext_n)
    u = np.where(((axes * u).sum(1) < 0)[:, None], -u, u)
    angle = np.rad2deg(np.arctan2(u[:, 1], u[:, 0]))
    return cxcywha_to_corners(np.stack([centre[:, 0], centre[:, 1], w, h, angle], axis=1))


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
        value_error(keyword, f"an (N, {width}) array for oriented_bbox_format={fmt!r}", arr, rows_fix(arr, width, keyword, "match oriented_bbox_format to your columns"))
    if not np.isfinite(arr).all():
        value_error(keyword, "finite coordinates", arr, "remove boxes with NaN or inf")
    if fmt == "cxcywha" and (arr[:, 2:4] < 0).any():
        value_error(keyword, "non-negative widths and heights", arr, "give w and h as lengths (the angle carries the orientation)")
    return arr


def convex_order(quads: np.ndarray) -> np.ndarray:
    """(N, 4, 2) quadrilaterals with their corners sorted by angle about the centroid: the ring order of a
    convex quadrilateral given in any vertex order."""
    d = quads - quads.mean(axis=1, keepdims=True)
    order = np.argsort(np.arctan2(d[..., 1], d[..., 0]), axis=1)
    return np.take_along_axis(quads, order[..., None], axis=1)


def quad_areas(quads: np.ndarray) -> np.ndarray:
    """Shoelace areas of (N, 4, 2) rings."""
    x, y = quads[..., 0], quads[..., 1]
    return 0.5 * np.abs((x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y).sum(axis=1))


def _rectangle_rows(quads: np.ndarray) -> np.ndarray:
    """Which (N, 4, 2) corner rings (c0..c3 in ring order) are rectangles, to float rounding."""
    e, f = quads[:, 1] - quads[:, 0], quads[:, 3] - quads[:, 0]
    g, k = quads[:, 2] - quads[:, 3], quads[:, 2] - quads[:, 1]
    scale = np.maximum(np.abs(quads).max(axis=(1, 2)), 1.0)
    tol = 1e-9 * scale * scale
    return (np.abs((e * f).sum(1)) <= tol) & (np.abs(e - g).max(1) <= 1e-9 * scale) & (np.abs(f - k).max(1) <= 1e-9 * scale)


def _oriented_rects(polygons: list[np.ndarray], axes: np.ndarray) -> np.ndarray:
    """(N, 4, 2) minimum-area rectangles of convex ``polygons`` (OpenCV's rotating calipers, float32), each
    turned so that its width side is the one closest in direction to ``axes[i]`` (unit vectors)."""
    boxes = np.zeros((len(polygons), 5))
    for i, poly in enumerate(polygons):
        if len(poly) == 0:
            continue
        (cx, cy), (w, h), a = cv2.minAreaRect(poly.astype(np.float32))
        boxes[i] = (cx, cy, w, h, a)
    a = np.deg2rad(boxes[:, 4])
    u = np.stack([np.cos(a), np.sin(a)], axis=1)
    v = np.stack([-np.sin(a), np.cos(a)], axis=1)
    swap = np.abs((axes * v).sum(1)) > np.abs((axes * u).sum(1))
    boxes[swap] = boxes[swap][:, [0, 1, 3, 2, 4]]
    boxes[swap, 4] += 90.0
    a = np.deg2rad(boxes[:, 4])
    flip = (axes * np.stack([np.cos(a), np.sin(a)], axis=1)).sum(1) < 0
    boxes[flip, 4] += 180.0
    return cxcywha_to_corners(boxes)


def _clip_convex(poly: np.ndarray, width: float, height: float, x0: float = 0.0, y0: float = 0.0) -> tuple[np.ndarray, float]:
    """The part of convex ``poly`` in the rectangle [x0, width] x [y0, height] (default: the canvas) and its
    area: Sutherland-Hodgman in plain Python floats (a box's polygon has at most 8 vertices, where numpy's
    per-call cost would dominate)."""
    pts = poly.tolist()
    for axis, bound, upper in ((0, float(x0), False), (0, float(width), True), (1, float(y0), False), (1, float(height), True)):
        if not pts:
            break
        inside = [(p[axis] <= bound) if upper else (p[axis] >= bound) for p in pts]
        if all(inside):
            continue
        out = []
        n = len(pts)
        for k in range(n):
            a, b, in_a, in_b = pts[k], pts[(k + 1) % n], inside[k], inside[(k + 1) % n]
            if in_a != in_b:
                t = (bound - a[axis]) / (b[axis] - a[axis])
                q = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]
                q[axis] = bound
                out.append(q)
            if in_b:
                out.append(b)
        pts = out
    if len(pts) < 3:
        return np.zeros((0, 2)), 0.0
    area = 0.0
    for k in range(len(pts)):
        (x0, y0), (x1, y1) = pts[k], pts[(k + 1) % len(pts)]
        area += x0 * y1 - x1 * y0
    return np.array(pts, dtype=np.float64), abs(area) / 2


def covered_area(ring: np.ndarray, holes: list[Any]) -> float:
    """The area of convex polygon ``ring`` covered by the union of xyxy ``holes`` (exact: the holes' edges cut
    the plane into cells, each covered cell's runs along x are rectangles, and each rectangle's part of the
    polygon is clipped by Sutherland-Hodgman; overlapping holes count once)."""
    if len(ring) < 3 or not holes:
        return 0.0
    h = np.asarray(holes, dtype=np.float64).reshape(-1, 4)
    (px0, py0), (px1, py1) = ring.min(axis=0), ring.max(axis=0)
    hx0, hx1 = np.clip(h[:, 0], px0, px1), np.clip(h[:, 2], px0, px1)
    hy0, hy1 = np.clip(h[:, 1], py0, py1), np.clip(h[:, 3], py0, py1)
    valid = (hx1 > hx0) & (hy1 > hy0)
    if not valid.any():
        return 0.0
    hx0, hx1, hy0, hy1 = hx0[valid], hx1[valid], hy0[valid], hy1[valid]
    xs, ys = np.unique(np.concatenate([hx0, hx1])), np.unique(np.concatenate([hy0, hy1]))
    cx, cy = (xs[:-1] + xs[1:]) / 2, (ys[:-1] + ys[1:]) / 2
    inside_x = (cx[None, :] >= hx0[:, None]) & (cx[None, :] < hx1[:, None])  # (holes, nx)
    inside_y = (cy[None, :] >= hy0[:, None]) & (cy[None, :] < hy1[:, None])  # (holes, ny)
    covered = (inside_y[:, :, None] & inside_x[:, None, :]).any(axis=0)  # (ny, nx)
    area = 0.0
    for j in range(len(ys) - 1):
        row = covered[j]
        i = 0
        while i < len(row):  # each run of covered cells along x: one rectangle
            if not row[i]:
                i += 1
                continue
            k = i
            while k < len(row) and row[k]:
                k += 1
            area += _clip_convex(ring, xs[k], ys[j + 1], xs[i], ys[j])[1]
            i = k
    return area


class OrientedBoxTarget(PointTarget):
    """Oriented boxes (see the module docstring). ``full``: (N, 4, 2) corners moved, never clipped, in the
    user's order (``c0 -> c1`` is the width side); ``whole``: the box was never cut by a canvas, so its
    visible part is ``full`` itself; ``visible``: for the others, the (K, 2) convex polygon on the canvas.
    Boxes wholly on every canvas so far, the common case, are handled as arrays; only cut ones are polygons.
    ``occlusion``: the fraction of each box's visible part not erased by dropout-style transforms, as for
    axis-aligned boxes (``targets.bboxes.BoxTarget``): holes since the last geometric step are kept (``holes``)
    so overlapping holes count once; across a geometric step the occlusion so far is a factor
    (``occlusion_base``)."""

    per_item = ("full", "whole", "visible", "occlusion", "occlusion_base")
    default_label_fields = ("oriented_labels",)

    def __init__(self, corners: np.ndarray) -> None:
        self.full = corners
        self.whole = np.ones(len(corners), dtype=bool)
        self.visible = np.empty(len(corners), dtype=object)
        self.occlusion = self.occlusion_base = np.ones(len(corners))
        self.holes: list[Any] = []

    def _ring(self, i: int) -> np.ndarray:
        """Box i's visible part on the canvas as a convex ring."""
        return convex_order(self.full[i : i + 1])[0] if self.whole[i] else self.visible[i]

    def occlude(self, holes: list[Any]) -> None:
        """Visible fraction = carried factor x (1 - area of the union of every hole since the last geometric
        step inside the visible part / area of the visible part)."""
        if not len(self.full):
            return
        self.holes = self.holes + [list(h) for h in holes]
        fraction = np.zeros(len(self.full))
        for i in range(len(self.full)):
            ring = self._ring(i)
            area = polygon_area(ring) if len(ring) >= 3 else 0.0
            if area > 0:
                fraction[i] = min(1.0, covered_area(ring, self.holes) / area)
        self.occlusion = self.occlusion_base * (1.0 - fraction)

    def geometry_changed(self) -> None:
        """Holes live in the old canvas's coordinates: carry their effect as a factor from now on."""
        if self.holes:
            self.occlusion_base = self.occlusion
            self.holes = []

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

    def _cut(self) -> np.ndarray:
        return np.flatnonzero(~self.whole)

    def move_matrix(self, matrix: np.ndarray, box_mode: str) -> None:
        if len(self.full):
            self.full = apply_to_points(matrix, self.full.reshape(-1, 2)).reshape(-1, 4, 2)
            cut = self._cut()
            for i, ring in zip(cut, move_rings_matrix(matrix, list(self.visible[cut]))):
                self.visible[i] = ring

    def move_field(self, field: tuple[np.ndarray, np.ndarray]) -> None:
        if len(self.full):
            self.full = invert_points(field, self.full.reshape(-1, 2))[0].reshape(-1, 4, 2)
            cut = self._cut()
            for i, ring in zip(cut, move_rings_field(field, list(self.visible[cut]))):
                self.visible[i] = ring

    def rectangles(self) -> np.ndarray:
        """(N, 4, 2): the minimum-area rectangle of each visible part, width side along the moved c0 -> c1."""
        out = np.zeros((len(self.full), 4, 2))
        exact = self.whole & _rectangle_rows(self.full)  # the box itself, moved by a similarity
        if exact.any():
            q = self.full[exact]
            e, f = q[:, 1] - q[:, 0], q[:, 3] - q[:, 0]
            angle = np.rad2deg(np.arctan2(e[:, 1], e[:, 0]))  # along the moved c0 -> c1, as the other paths
            out[exact] = cxcywha_to_corners(np.stack([*q.mean(axis=1).T, np.hypot(*e.T), np.hypot(*f.T), angle], axis=1))
        bent = self.whole & ~exact  # whole but no longer a rectangle (shear, perspective): a convex quadrilateral
        if bent.any():
            axes = self.full[bent, 1] - self.full[bent, 0]
            axes = axes / np.maximum(np.hypot(axes[:, 0], axes[:, 1]), 1e-300)[:, None]
            out[bent] = min_area_rects(convex_order(self.full[bent]), axes)
        cut = self._cut()
        if len(cut):
            axes = self.full[cut, 1] - self.full[cut, 0]
            axes = axes / np.maximum(np.hypot(axes[:, 0], axes[:, 1]), 1e-300)[:, None]
            out[cut] = _oriented_rects([self.visible[i] for i in cut], axes)
        return out

    def filter(self, shape: tuple[int, int], rules: Any) -> None:
        if not len(self.full):
            return
        height, width = shape
        x, y = self.full[..., 0], self.full[..., 1]
        on_canvas = ((x >= 0) & (x <= width) & (y >= 0) & (y <= height)).all(axis=1)
        newly_cut = np.flatnonzero(self.whole & ~on_canvas)
        if len(newly_cut):
            for i, ring in zip(newly_cut, convex_order(self.full[newly_cut])):
                self.visible[i] = ring
            self.whole[newly_cut] = False
        visible_area = np.zeros(len(self.full))
        visible_area[self.whole] = quad_areas(convex_order(self.full[self.whole]))
        for i in self._cut():
            self.visible[i], visible_area[i] = _clip_convex(self.visible[i], width, height)
        rects = self.rectangles()
        w = np.hypot(*(rects[:, 1] - rects[:, 0]).T)
        h = np.hypot(*(rects[:, 3] - rects[:, 0]).T)
        side = min_side(height, width)
        keep = (w >= max(side, rules.min_width)) & (h >= max(side, rules.min_height)) & (visible_area >= rules.min_area)
        if rules.min_visibility > 0:
            keep &= self.visibility(visible_area) >= rules.min_visibility
        self.keep(keep)

    def visibility(self, visible_area: np.ndarray | None = None) -> np.ndarray:
        """Visible area over the area of the moved, unclipped corners, times the part not erased by holes."""
        full = quad_areas(convex_order(self.full))
        if visible_area is None:
            visible_area = full.copy()
            for i in self._cut():
                visible_area[i] = polygon_area(self.visible[i])
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(full > 0, visible_area / full, 0.0) * self.occlusion

    def write(self, pipe: Any, shape: tuple[int, int], out: dict[str, Any]) -> None:
        fmt = getattr(pipe, "oriented_bbox_format", "cxcywha")
        width = 5 if fmt == "cxcywha" else 8
        out[self.keyword] = _from_corners(self.rectangles(), fmt).astype(np.float32).reshape(-1, width)
        self.write_bookkeeping(out, "oriented_bbox_indices")


register_target("oriented_bboxes", OrientedBoxTarget)

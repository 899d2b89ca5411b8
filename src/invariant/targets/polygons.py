"""Polygon targets (keyword ``polygons``): COCO-style instance segmentation outlines, and the polygon
geometry the oriented boxes share (moving vertices, Sutherland-Hodgman clipping, shoelace areas).

Input: one entry per instance, each a list of parts; a part is a ``(K, 2)`` array-like of ``(x, y)`` vertices
in continuous pixel coordinates (K >= 3), or a COCO flat list ``[x0, y0, x1, y1, ...]`` of even length >= 6.
Output: the same nesting, each part a ``(K', 2)`` float32 array.

Moving: every vertex goes through the step's 3x3 matrix (homogeneous product with projective division), or
is forward-mapped through a backward displacement field (``ops.distort.invert_points``). Straight edges stay
straight under affine and projective maps, so the moved polygon is exact there; under a field only the
vertices are exact and edges between them are straight chords of curved images.

Clipping: after every spatial step (and at input) each part is clipped to the canvas ``[0, W] x [0, H]``
one canvas edge at a time, as the Sutherland-Hodgman algorithm does (Sutherland & Hodgman, "Reentrant
polygon clipping", CACM 17(1), 1974), except that a concave part cut into several pieces comes back as
several parts (Sutherland-Hodgman would join them by zero-area edges along the border, whose vertices
widen the part's extent). A part (or piece) whose clipped area is below ``MIN_PART_AREA`` is removed; an instance with no part left is dropped with its labels, and
``out["polygon_indices"]`` gives the input position of each survivor."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import value_error
from ..ops.distort import invert_points
from ..ops.geometric import apply_to_points
from .base import PointTarget, read_labels, register_target

# A clipped part with less area than this (pixels squared) is gone: a float-rounding sliver on a canvas edge.
MIN_PART_AREA = 1e-9


def polygon_area(pts: np.ndarray) -> float:
    """Shoelace formula: the area enclosed by the vertex ring ``pts`` (K, 2), orientation ignored."""
    if len(pts) < 3:
        return 0.0
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * abs(float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]) + x[-1] * y[0] - x[0] * y[-1]))


def clip_to_canvas(pts: np.ndarray, width: float, height: float) -> np.ndarray:
    """Sutherland-Hodgman: the part of the ring ``pts`` (K, 2) inside ``[0, width] x [0, height]``, clipped
    against one edge of the canvas at a time (vectorised over the ring's edges)."""
    for axis, bound, upper in ((0, 0.0, False), (0, float(width), True), (1, 0.0, False), (1, float(height), True)):
        if len(pts) == 0:
            break
        a = pts[:, axis]
        in_a = a <= bound if upper else a >= bound
        if in_a.all():
            continue
        nxt = np.concatenate([pts[1:], pts[:1]])
        b = nxt[:, axis]
        in_b = np.concatenate([in_a[1:], in_a[:1]])
        cross = in_a != in_b
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(cross, (bound - a) / np.where(cross, b - a, 1.0), 0.0)
        inter = pts + t[:, None] * (nxt - pts)
        inter[:, axis] = bound  # exactly on the edge
        # per ring edge a -> b: emit the crossing (when it crosses), then b (when b is inside)
        pts = np.stack([inter, nxt], axis=1).reshape(-1, 2)[np.stack([cross, in_b], axis=1).reshape(-1)]
    return pts


def _split_halfplane(ring: np.ndarray, axis: int, bound: float, upper: bool) -> list[np.ndarray]:
    """The pieces of the simple ring ``ring`` on one side of the line ``coordinate[axis] = bound``.

    Sutherland-Hodgman keeps one ring and joins the pieces of a concave polygon by edges running along the line
    and back (zero area, but their vertices widen the extent). Here the inside chains (entry crossing, inside
    vertices, exit crossing) are reconnected instead: along the line the crossings of a simple polygon
    alternate between entering and leaving its interior (the even-odd rule), so sorting them and pairing them
    in order gives the true boundary segments on the line; each exit is joined to the entry it is paired with
    and every cycle of chains is one piece."""
    inside = ring[:, axis] <= bound if upper else ring[:, axis] >= bound
    if inside.all():
        return [ring]
    if not inside.any():
        return []
    ring = np.roll(ring, -int(np.argmin(inside)), axis=0)  # start at a vertex outside
    inside = ring[:, axis] <= bound if upper else ring[:, axis] >= bound
    nxt = np.roll(ring, -1, axis=0)
    in_b = np.roll(inside, -1)
    entries, exits = np.flatnonzero(~inside & in_b), np.flatnonzero(inside & ~in_b)

    def crossing(i: np.ndarray) -> np.ndarray:
        a, b = ring[i], nxt[i]
        t = (bound - a[:, axis]) / (b[:, axis] - a[:, axis])
        pts = a + t[:, None] * (b - a)
        pts[:, axis] = bound
        return pts

    p_in, p_out = crossing(entries), crossing(exits)
    chains = [np.concatenate([p_in[k : k + 1], ring[entries[k] + 1 : exits[k] + 1], p_out[k : k + 1]]) for k in range(len(entries))]
    other = 1 - axis
    n = len(chains)
    s_all = np.concatenate([p_in[:, other], p_out[:, other]])  # 0..n-1 entries, n..2n-1 exits
    order = np.argsort(s_all, kind="stable")
    partner = np.empty(2 * n, dtype=np.int64)
    partner[order[0::2]], partner[order[1::2]] = order[1::2], order[0::2]
    if (partner[n:] >= n).any():  # crossings at coinciding points paired two exits: keep one joined ring
        return [np.concatenate(chains)]
    after = partner[n:]  # chain k's exit joins the entry of chain after[k]
    pieces, seen = [], np.zeros(n, dtype=bool)
    for k in range(n):
        if seen[k]:
            continue
        cycle, j = [], k
        while not seen[j]:
            seen[j] = True
            cycle.append(chains[j])
            j = int(after[j])
        pieces.append(np.concatenate(cycle))
    return pieces


def clip_parts_to_canvas(ring: np.ndarray, width: float, height: float) -> list[np.ndarray]:
    """The pieces of the simple ring ``ring`` inside ``[0, width] x [0, height]``: clipped against one edge of the
    canvas at a time, as Sutherland-Hodgman, but a concave ring cut into pieces comes back as separate rings."""
    rings = [ring]
    for axis, bound, upper in ((0, 0.0, False), (0, float(width), True), (1, 0.0, False), (1, float(height), True)):
        rings = [piece for r in rings for piece in _split_halfplane(r, axis, bound, upper)]
    return rings


def move_rings_matrix(matrix: np.ndarray, rings: list[np.ndarray]) -> list[np.ndarray]:
    """Every ring's vertices through the 3x3 ``matrix`` (one call over all vertices)."""
    if not rings:
        return rings
    moved = apply_to_points(matrix, np.concatenate(rings))
    return np.split(moved, np.cumsum([len(r) for r in rings])[:-1])


def move_rings_field(field: tuple[np.ndarray, np.ndarray], rings: list[np.ndarray]) -> list[np.ndarray]:
    """Every ring's vertices forward-mapped through the backward field ``(map_x, map_y)``."""
    if not rings:
        return rings
    moved, _ = invert_points(field, np.concatenate(rings))
    return np.split(moved, np.cumsum([len(r) for r in rings])[:-1])


def _as_part(value: Any, where: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        value_error(where, "a (K, 2) array-like of vertices or a flat [x0, y0, x1, y1, ...] list", value, "pass numbers only")
    if arr.ndim == 1 and arr.size % 2 == 0:
        arr = arr.reshape(-1, 2)
    if arr.ndim != 2 or arr.shape[1] != 2 or len(arr) < 3:
        value_error(where, "at least 3 vertices, as a (K, 2) array or a flat list of even length", value, "give each part as [[x, y], ...] with K >= 3")
    if not np.isfinite(arr).all():
        value_error(where, "finite vertex coordinates", value, "remove NaN or inf vertices")
    return arr


def read_polygons(value: Any, keyword: str = "polygons") -> list[list[np.ndarray]]:
    """Parse ``polygons`` (one list of parts per instance) into lists of float64 (K, 2) arrays."""
    if isinstance(value, np.ndarray) and value.dtype != object:
        value_error(keyword, "a list with one list of (K, 2) parts per instance", value, "wrap each instance's outline in a list: [[part, ...], ...]")
    if not isinstance(value, (list, tuple, np.ndarray)):
        value_error(keyword, "a list with one list of (K, 2) parts per instance", value, "pass e.g. polygons=[[np.array([[x, y], ...])]]")
    out = []
    for i, inst in enumerate(value):
        if isinstance(inst, np.ndarray) and inst.dtype != object:
            inst = [inst] if inst.ndim == 2 else value_error(f"{keyword}[{i}]", "a list of (K, 2) parts", inst, "wrap the part in a list")
        if not isinstance(inst, (list, tuple, np.ndarray)) or len(inst) == 0:
            value_error(f"{keyword}[{i}]", "a non-empty list of parts", inst, "give every instance at least one part")
        out.append([_as_part(p, f"{keyword}[{i}][{j}]") for j, p in enumerate(inst)])
    return out


def _object_array(items: list[Any]) -> np.ndarray:
    arr = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        arr[i] = item
    return arr


class PolygonTarget(PointTarget):
    """Instance polygons (keyword ``polygons``), labels in ``Compose(polygon_label_fields=...)``
    (default ``polygon_labels``). ``parts[i]`` is the list of (K, 2) float64 rings of instance i."""

    per_item = ("parts",)
    default_label_fields = ("polygon_labels",)

    def __init__(self, parts: list[list[np.ndarray]]) -> None:
        self.parts = _object_array(parts)

    @classmethod
    def label_fields(cls, pipe: Any) -> tuple[str, ...]:
        return tuple(getattr(pipe, "polygon_label_fields", cls.default_label_fields))

    @classmethod
    def read(cls, pipe: Any, data: dict[str, Any], shape: tuple[int, int]) -> PolygonTarget:
        parts = read_polygons(data[cls.keyword], cls.keyword)
        target = cls(parts)
        target.init_items(len(parts), read_labels(data, cls.label_fields(pipe), len(parts), cls.keyword))
        return target

    def _rings(self) -> list[np.ndarray]:
        return [r for inst in self.parts for r in inst]

    def _set_rings(self, rings: list[np.ndarray]) -> None:
        k = 0
        for i, inst in enumerate(self.parts):
            self.parts[i] = list(rings[k : k + len(inst)])
            k += len(inst)

    def move_matrix(self, matrix: np.ndarray, box_mode: str) -> None:
        if len(self.parts):
            self._set_rings(move_rings_matrix(matrix, self._rings()))

    def move_field(self, field: tuple[np.ndarray, np.ndarray]) -> None:
        if len(self.parts):
            self._set_rings(move_rings_field(field, self._rings()))

    def filter(self, shape: tuple[int, int], rules: Any) -> None:
        """Clip every part to the canvas; remove parts under ``MIN_PART_AREA``, and instances left empty."""
        if not len(self.parts):
            return
        height, width = shape
        rings = self._rings()
        pts = np.concatenate(rings)
        if (pts >= 0).all() and (pts[:, 0] <= width).all() and (pts[:, 1] <= height).all():
            if all(polygon_area(r) >= MIN_PART_AREA for r in rings):  # all on the canvas: nothing to clip
                return
        keep = np.ones(len(self.parts), dtype=bool)
        for i, inst in enumerate(self.parts):
            clipped = [c for r in inst for c in clip_parts_to_canvas(r, width, height) if polygon_area(c) >= MIN_PART_AREA]
            self.parts[i] = clipped
            keep[i] = bool(clipped)
        self.keep(keep)

    def bounds(self) -> np.ndarray:
        """(N, 4) xyxy extent of each instance's parts (its tight axis-aligned box)."""
        out = np.zeros((len(self.parts), 4))
        for i, inst in enumerate(self.parts):
            pts = np.concatenate(inst)
            out[i] = (*pts.min(axis=0), *pts.max(axis=0))
        return out

    def write(self, pipe: Any, shape: tuple[int, int], out: dict[str, Any]) -> None:
        out[self.keyword] = [[r.astype(np.float32) for r in inst] for inst in self.parts]
        self.write_bookkeeping(out, "polygon_indices")


register_target("polygons", PolygonTarget)

"""Multi-sample transforms: Mosaic (YOLOv4/v5) and CopyPaste (Ghiasi et al., 2021).

Both read extra samples passed with the call, ``pipe(image=..., bboxes=..., sources=[{...}, ...])``
(``core.sources``), each with the same keywords as the primary sample. They take the next
``sources_needed()`` sources in order and record their positions in their parameters, so ``replay`` with
the same sources rebuilds the same output. They combine pixels while the call is planned
(``Transform.plan_sample``), so they must come before any other step of the pipeline (they may follow each
other: Mosaic, then CopyPaste onto the mosaic).

Every item keeps its labels; ``out["bbox_sources"]`` / ``out["keypoint_sources"]`` say which sample each
came from (0: the primary, k: ``sources[k - 1]``) and ``bbox_indices`` / ``keypoint_indices`` its position
there. Instance masks (``masks``) of every sample are carried; under ``Compose(bind_instances=True)``
``out["masks"][j]`` belongs to ``out["bboxes"][j]`` and masks and keypoints leave with their box.
"""

from __future__ import annotations

import copy
from typing import Any

import cv2
import numpy as np

from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.sample import Planes, as_stack
from ..core.sources import CHANNEL, INSTANCE_FIELD, SourceSet, concat_targets, tag_source
from ..core.transform import INTERPOLATION_NAMES, Params, Transform, as_range, check_choice, check_number
from ..ops import geometric as geo

# ultralytics' letterbox / mosaic grey: 114 of 255, at the image's full scale
GREY = 114 / 255
_FULL_SCALE = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0, np.dtype(np.float32): 1.0}


def _size(value: Any, argument: str) -> tuple[int, int]:
    """An int or an (h, w) pair of positive ints."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value, value)
    if not isinstance(value, (tuple, list)) or len(value) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1 for v in value):
        type_error(argument, "a positive int or an (h, w) pair of positive ints", value, f"pass e.g. {argument}=(640, 640)")
    return int(value[0]), int(value[1])


def _check_first(t: Transform, plan: list) -> None:
    """Multi-sample steps compose pixels while planning: nothing else may have run before them."""
    for step in plan:
        if not step.transform.multi_sample:
            value_error(
                f"{type(t).__name__} position",
                "multi-sample transforms before every other step",
                f"after {type(step.transform).__name__}",
                f"move {type(t).__name__} to the start of the pipeline (other multi-sample transforms may precede it)",
            )


def _sources(sample: Any, who: str, positions: list[int]) -> list[Any]:
    found = sample.sources
    have = 0 if found is None else len(found.samples)
    if any(not isinstance(i, (int, np.integer)) or not 0 <= i < have for i in positions):
        value_error("sources", f"the extra samples {who} recorded (positions {positions})", f"{have} given", "replay with the sources of the recorded call")
    return [found.samples[i] for i in positions]


def _take(sample: Any, n: int, who: str) -> list[int]:
    if sample.sources is None:
        sample.sources = SourceSet([])
    return sample.sources.take(n, who)


def _fill(fill: Any, dtype: np.dtype) -> Any:
    """The image fill: ``None`` is ultralytics' grey 114/255 at the dtype's full scale."""
    if fill is None:
        value = GREY * _FULL_SCALE.get(np.dtype(dtype), 1.0)
        return round(value) if np.dtype(dtype).kind in "ui" else value
    return fill


def _warp_kind(array: np.ndarray, kind: str, matrix: np.ndarray, out_shape: tuple[int, int], interpolation: str, fill: Any, fill_mask: Any) -> np.ndarray:
    """Resample one array of ``kind`` by ``matrix`` onto ``out_shape`` (constant border)."""
    if kind == "image":
        return geo.warp(array, matrix, out_shape, interpolation, "constant", fill)
    if kind == "mask":
        return geo.warp_mask(array, matrix, out_shape, "constant", fill_mask)
    return geo.warp(array, matrix, out_shape, "nearest", "constant", 0)


_CV_MERGE = {np.dtype(t) for t in (np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32, np.float64)}


def _stack(parts: list[np.ndarray]) -> np.ndarray:
    """Concatenate HWC arrays along channels. numpy copies a few bytes per pixel at a time along the last
    axis (slow for instance-mask stacks); OpenCV's merge does it in one pass where it supports the dtype."""
    parts = [p for p in parts if p.shape[2]]
    if not parts:
        return np.zeros((0, 0, 0), np.uint8)
    if len(parts) == 1:
        return parts[0]
    if parts[0].dtype in _CV_MERGE and all(p.dtype == parts[0].dtype for p in parts) and sum(p.shape[2] for p in parts) <= geo.CV_MAX_CHANNELS:
        planes = [np.ascontiguousarray(p[:, :, c]) for p in parts for c in range(p.shape[2])]
        return cv2.merge(planes).reshape(parts[0].shape[0], parts[0].shape[1], len(planes))
    return np.concatenate(parts, axis=2)


class _MultiSample(Transform):
    _abstract = True
    multi_sample = True

    def effects(self) -> Effects:
        return Effects(geometric=True, rescales=True, mixes_images=True)


class Mosaic(_MultiSample):
    """Tile ``grid = (rows, cols)`` samples (the primary and ``rows * cols - 1`` sources) and crop a
    ``target_size`` window around a random centre (Bochkovskiy et al., YOLOv4, 2020; ultralytics' YOLOv5).

    The virtual canvas has ``rows x cols`` cells of ``target_size`` each. Every sample is resized to fit its
    cell keeping its aspect ratio and pushed against the side of the cell facing the canvas centre (for 2x2:
    the four images meet at the canvas centre, as in ultralytics). The output window's centre is drawn
    uniformly in ``center_range`` (fractions of the canvas, per axis; the default (0.25, 0.75) of a 2s canvas
    is ultralytics' [0.5s, 1.5s]); the primary sample takes the cell under that centre, the sources the
    other cells in row-major order. Pixels no sample covers get ``fill`` (None: grey 114/255 at the image's
    full scale, ultralytics' value), masks ``fill_mask``, instance masks 0.

    Boxes, keypoints and any registered point target of each sample are moved by its cell's scale and
    offset and clipped to the part of the cell inside the window (a box is clipped where its tile is cut,
    not only at the output border), then filtered by the pipeline's rules; dropped items leave with their
    labels, survivors report ``bbox_sources`` and ``bbox_indices``.
    """

    example_args = {"target_size": (56, 48)}

    def __init__(
        self,
        target_size: int | tuple[int, int] = 640,
        grid: tuple[int, int] = (2, 2),
        center_range: tuple[float, float] = (0.25, 0.75),
        fill: float | tuple[float, ...] | None = None,
        fill_mask: float = 0,
        interpolation: str = "linear",
        p: float = 1.0,
    ) -> None:
        super().__init__(p)
        self.target_size = _size(target_size, "target_size")
        self.grid = _size(grid, "grid")
        if self.grid == (1, 1):
            value_error("grid", "at least two cells", grid, "pass e.g. grid=(2, 2)")
        self.center_range = as_range(center_range, "center_range", low=0.0, high=1.0)
        if fill is not None:
            values = fill if isinstance(fill, (tuple, list)) else (fill,)
            for k, v in enumerate(values):
                check_number(v, "fill" if values is not fill else f"fill[{k}]")
        self.fill = fill
        self.fill_mask = check_number(fill_mask, "fill_mask")
        self.interpolation = check_choice(interpolation, "interpolation", INTERPOLATION_NAMES)

    def sources_needed(self) -> int:
        return self.grid[0] * self.grid[1] - 1

    def output_shape(self, params: Params, shape: tuple[int, int]) -> tuple[int, int]:
        return self.target_size

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        rows, cols = self.grid
        h, w = self.target_size
        taken = _take(sample, self.sources_needed(), f"Mosaic(grid={self.grid})")
        offset = []
        for extent, cell in ((cols * w, w), (rows * h, h)):
            lo, hi = self.center_range
            centre = rng.uniform(lo, hi) * extent
            offset.append(int(np.clip(round(centre - cell / 2), 0, extent - cell)))
        cx, cy = offset[0] + w / 2, offset[1] + h / 2
        primary_cell = min(int(cy // h), rows - 1) * cols + min(int(cx // w), cols - 1)
        return {"offset": offset, "primary_cell": primary_cell, "sources": taken}

    def layout(self, shapes: list[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
        """Per cell (row-major), where its sample lands on the canvas: (x0, y0, width, height)."""
        rows, cols = self.grid
        ch, cw = self.target_size
        out = []
        for k, (h, w) in enumerate(shapes):
            r, c = divmod(k, cols)
            scale = min(ch / h, cw / w)
            nh, nw = max(1, min(ch, round(h * scale))), max(1, min(cw, round(w * scale)))
            out.append((_anchor(c, cols, cw, nw), _anchor(r, rows, ch, nh), nw, nh))
        return out

    def plan_sample(self, sample: Any, params: Params, plan: list) -> None:
        _check_first(self, plan)
        rows, cols = self.grid
        out_h, out_w = self.target_size
        wx, wy = (int(v) for v in params["offset"])
        others = _sources(sample, "Mosaic", list(params["sources"]))
        if len(others) != rows * cols - 1:
            value_error("params", f"{rows * cols - 1} source positions for grid {self.grid}", params["sources"], "replay with parameters recorded by this pipeline")
        cell_samples = list(others)
        primary_cell = int(params["primary_cell"])
        cell_samples.insert(primary_cell, sample)
        numbers = [k + 1 for k in params["sources"]]
        numbers.insert(primary_cell, 0)
        places = self.layout([s.shape for s in cell_samples])
        fill = _fill(self.fill, sample.dtype)
        # per cell: the matrix into the output, and the visible rectangle of its tile there
        tiles = []
        for s, (x0, y0, nw, nh) in zip(cell_samples, places):
            h, w = s.shape
            matrix = geo.translation(x0 - wx, y0 - wy) @ geo.scaling(nw / w, nh / h)
            rx0, ry0 = min(max(x0 - wx, 0), out_w), min(max(y0 - wy, 0), out_h)
            rx1, ry1 = min(max(x0 - wx + nw, 0), out_w), min(max(y0 - wy + nh, 0), out_h)
            tiles.append((matrix, (rx0, ry0, rx1, ry1)))
        arrays: dict[str, np.ndarray] = {}
        for name, kind in sample.kinds.items():
            if name == "masks":
                continue
            ref = sample.arrays[name]
            value = fill if kind == "image" else (self.fill_mask if kind == "mask" else 0)
            if kind == "image":  # a (C,) fill broadcast over HWC is ~70x slower than geo.filled's row copies
                canvas = geo.filled((out_h, out_w, ref.shape[2]), ref.dtype, geo.fill_vector(value, ref.shape[2], ref.dtype))
            else:
                canvas = np.empty((out_h, out_w, ref.shape[2]), ref.dtype)
                canvas[...] = value
            for s, place, (matrix, rect) in zip(cell_samples, places, tiles):
                _paste_tile(canvas, s.arrays[name], kind, place, rect, wx, wy, self.interpolation, fill, self.fill_mask)
            arrays[name] = canvas
        # instance masks: each sample's own channels, zero outside its tile
        offsets, stacks = [], []
        count = 0
        for s, place, (matrix, rect) in zip(cell_samples, places, tiles):
            offsets.append(count)
            m = as_stack(s.arrays.get("masks"))
            if m is None:
                continue
            block = np.zeros((out_h, out_w, m.shape[2]), m.dtype)
            _paste_tile(block, m, "mask", place, rect, wx, wy, "nearest", 0, 0)
            stacks.append(block)
            count += m.shape[2]
        if stacks:
            arrays["masks"] = _stack(stacks) if sum(b.shape[2] for b in stacks) else stacks[0]
            sample.kinds["masks"] = "mask"
        # point targets: per tile, moved, clipped to the visible part of the tile, then joined
        joined = {}
        for kw in sample.annotations.targets:
            parts = []
            for s, number, offset, (matrix, (rx0, ry0, rx1, ry1)) in zip(cell_samples, numbers, offsets, tiles):
                t = copy.deepcopy(s.annotations.targets[kw])
                t.geometry_changed()
                t.move_matrix(geo.translation(-rx0, -ry0) @ matrix, "corners")
                if rx1 > rx0 and ry1 > ry0:
                    t.filter((ry1 - ry0, rx1 - rx0), sample.rules)
                else:
                    t.keep(np.zeros(len(t), dtype=bool))
                t.move_matrix(geo.translation(rx0, ry0), "corners")
                tag_source(t, kw, number)
                if CHANNEL in t.labels:
                    t.labels[CHANNEL] = np.asarray(t.labels[CHANNEL], dtype=np.int64) + offset
                parts.append(t)
            _same_labels(parts, kw)
            joined[kw] = concat_targets(parts)
        sample.arrays.clear()
        sample.arrays.update(arrays)
        sample.shape = (out_h, out_w)
        sample.annotations.targets.update(joined)
        sample.annotations.filter(sample.shape, sample.rules)


def _paste_tile(canvas: np.ndarray, array: np.ndarray, kind: str, place: tuple[int, int, int, int], rect: tuple[int, int, int, int], wx: int, wy: int, interpolation: str, fill: Any, fill_mask: Any) -> None:
    """Resize ``array`` to its tile (the whole tile, so the visible part equals a crop of one resize) and
    write the part inside the window, ``rect`` in output coordinates, into ``canvas``."""
    x0, y0, nw, nh = place
    rx0, ry0, rx1, ry1 = rect
    if rx1 <= rx0 or ry1 <= ry0:
        return
    h, w = array.shape[:2]
    tile = _warp_kind(array, kind, geo.scaling(nw / w, nh / h), (nh, nw), interpolation, fill, fill_mask)
    tx, ty = rx0 - (x0 - wx), ry0 - (y0 - wy)
    canvas[ry0:ry1, rx0:rx1] = tile[ty : ty + ry1 - ry0, tx : tx + rx1 - rx0]


def _anchor(index: int, count: int, cell: int, size: int) -> int:
    """Canvas start of a ``size`` tile in cell ``index`` of ``count``: pushed towards the canvas centre."""
    start = index * cell
    middle = (count - 1) / 2
    if index < middle:
        return start + cell - size
    if index > middle:
        return start
    return start + (cell - size) // 2


def _same_labels(parts: list[Any], kw: str) -> None:
    keys = [sorted(p.labels) for p in parts]
    if any(k != keys[0] for k in keys):
        value_error("sources", f"the same {kw} label fields in every sample (instance masks for every sample, one per box, or for none)", keys, "pass masks=[...] with one mask per box in every sample, or in none")


class CopyPaste(_MultiSample):
    """Simple Copy-Paste (Ghiasi et al., CVPR 2021): paste a random subset of one source's instances, with
    their instance masks, onto the primary sample.

    The source is scale-jittered by a factor drawn from ``scale_range`` and placed at a uniform integer
    offset (so it covers, or lies inside, the primary canvas). Between 1 and ``max_paste`` (default: all) of
    its instances are drawn; the union of their masks is the paste region, where the image, ``mask``,
    depth and extra arrays take the source's pixels. Each primary instance is occluded: its mask loses the
    paste region; a box whose mask was hit is recomputed as the tight box of what remains, and an instance
    with less than ``min_visible`` of its mask left (or none) is dropped with its labels. Pasted instances
    get the tight box of their pasted mask, their labels, ``bbox_sources`` and their source index; their
    masks are appended to ``masks``. Source keypoints travel with pasted instances under
    ``bind_instances`` (by ``keypoint_instances``); primary keypoints are not occluded.

    Requires instance masks (``masks``) in the primary sample and the source, one per box when boxes are
    given.
    """

    example_args: dict[str, Any] = {}

    def __init__(
        self,
        scale_range: tuple[float, float] = (1.0, 1.0),
        max_paste: int | None = None,
        min_visible: float = 0.0,
        interpolation: str = "linear",
        p: float = 1.0,
    ) -> None:
        super().__init__(p)
        self.scale_range = as_range(scale_range, "scale_range", low=1e-3)
        if max_paste is not None:
            check_number(max_paste, "max_paste", low=1, integer=True)
        self.max_paste = None if max_paste is None else int(max_paste)
        self.min_visible = check_number(min_visible, "min_visible", low=0.0, high=1.0)
        self.interpolation = check_choice(interpolation, "interpolation", INTERPOLATION_NAMES)

    def sources_needed(self) -> int:
        return 1

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        (position,) = _take(sample, 1, "CopyPaste")
        source = sample.sources.samples[position]
        self._check_masks(sample, "the primary sample")
        self._check_masks(source, f"sources[{position}]")
        boxes = source.annotations.targets.get("bboxes")
        n = len(boxes) if boxes is not None else (source.arrays["masks"].shape[2] if "masks" in source.arrays else 0)
        chosen: list[int] = []
        if n:
            k = int(rng.integers(1, min(n, self.max_paste or n) + 1))
            chosen = sorted(int(i) for i in rng.choice(n, size=k, replace=False))
        scale = float(rng.uniform(*self.scale_range))
        h, w = source.shape
        sh, sw = max(1, round(h * scale)), max(1, round(w * scale))
        H, W = sample.shape
        dx = int(rng.integers(min(0, W - sw), max(0, W - sw) + 1))
        dy = int(rng.integers(min(0, H - sh), max(0, H - sh) + 1))
        return {"source": position, "chosen": chosen, "size": [sh, sw], "offset": [dx, dy]}

    @staticmethod
    def _check_masks(s: Any, name: str) -> None:
        boxes = s.annotations.targets.get("bboxes")
        if boxes is not None and len(boxes) and CHANNEL not in boxes.labels:
            value_error(f"{name} masks", "instance masks, one per box (masks[i] for bboxes[i])", "boxes without instance masks", "pass masks=[...] with one (H, W) mask per box")

    def plan_sample(self, sample: Any, params: Params, plan: list) -> None:
        _check_first(self, plan)
        polygons = sample.annotations.targets.get("polygons")
        if polygons is not None and len(polygons):  # pasted instances would have boxes and masks but no outline
            value_error("polygons", "no polygons in a call with CopyPaste (pasting outlines is not supported yet)", f"{len(polygons)} polygons", "pass the instances as masks=[...] (and bbox_from='mask' for tight boxes), or drop polygons=...")
        position = int(params["source"])
        (source,) = _sources(sample, "CopyPaste", [position])
        H, W = sample.shape
        sh, sw = (int(v) for v in params["size"])
        dx, dy = (int(v) for v in params["offset"])
        h, w = source.shape
        matrix = geo.translation(dx, dy) @ geo.scaling(sw / w, sh / h)
        chosen = [int(i) for i in params["chosen"]]
        src_boxes = source.annotations.targets.get("bboxes")
        channels = np.asarray(src_boxes.labels[CHANNEL], dtype=np.int64)[chosen] if src_boxes is not None and chosen else np.asarray(chosen, dtype=np.int64)
        src_masks = _planes(source.arrays.get("masks"))
        before = _planes(sample.arrays.get("masks"))
        ref_dtype = before.dtype if before is not None else (src_masks.dtype if src_masks is not None else np.dtype(np.uint8))
        rect = (min(max(dx, 0), W), min(max(dy, 0), H), min(max(dx + sw, 0), W), min(max(dy + sh, 0), H))
        pasted: list[np.ndarray] = []
        pasted_boxes: list[geo.Box] = []
        if len(channels) and src_masks is not None:
            planes = [src_masks.planes[c].astype(ref_dtype, copy=False) for c in channels]
            pasted, pasted_boxes = _place_planes(planes, [src_masks.boxes[c] for c in channels], (h, w), (dx, dy, sw, sh), rect, (H, W))
        # everything pasted lies in the source's rectangle: work there only
        window = (slice(rect[1], rect[3]), slice(rect[0], rect[2]))
        alpha = np.zeros((rect[3] - rect[1], rect[2] - rect[0]), bool)
        for plane, (x0, y0, x1, y1) in zip(pasted, pasted_boxes):
            if x1 > x0:
                alpha[y0 - rect[1] : y1 - rect[1], x0 - rect[0] : x1 - rect[0]] |= plane[y0:y1, x0:x1] != 0
        inside = alpha[:, :, None]
        pasting = bool(alpha.any())
        place = (dx, dy, sw, sh)
        for name, kind in list(sample.kinds.items()):
            if name == "masks" or not pasting:
                continue
            src = source.arrays[name]
            moved = np.zeros((H, W, src.shape[2]), src.dtype)
            _paste_tile(moved, src, kind, place, rect, 0, 0, self.interpolation, 0, 0)
            out = sample.arrays[name].copy()
            out[window] = np.where(inside, moved[window], out[window])
            sample.arrays[name] = out
        # the call's masks lose the pasted region (a plane the paste misses stays as it is)
        kept: list[np.ndarray] = []
        kept_boxes: list[geo.Box | None] = []
        hits: list[int] = []
        for i, plane in enumerate(before.planes if before is not None else []):
            x0, y0, x1, y1 = box = before.box(i)
            ix0, iy0, ix1, iy1 = max(x0, rect[0]), max(y0, rect[1]), min(x1, rect[2]), min(y1, rect[3])
            hit = 0
            if pasting and ix1 > ix0 and iy1 > iy0:
                covered = alpha[iy0 - rect[1] : iy1 - rect[1], ix0 - rect[0] : ix1 - rect[0]] & (plane[iy0:iy1, ix0:ix1] != 0)
                hit = int(np.count_nonzero(covered))
                if hit:
                    plane = plane.copy()
                    plane[iy0:iy1, ix0:ix1][covered] = 0
            kept.append(plane)
            kept_boxes.append(box)
            hits.append(hit)
        n_before = len(kept)
        masks = Planes(kept + pasted, H, W, ref_dtype, kept_boxes + list(pasted_boxes))
        sample.arrays["masks"] = masks
        sample.kinds["masks"] = "mask"
        boxes = sample.annotations.targets.get("bboxes")
        if boxes is not None:
            self._occlude(boxes, before, masks, hits)
            tag_source(boxes, "bboxes", 0)
            part = copy.deepcopy(src_boxes)
            keep = np.zeros(len(part), dtype=bool)
            keep[chosen] = True
            part.keep(keep)
            part.geometry_changed()
            part.move_matrix(matrix, "corners")
            part.labels[CHANNEL] = n_before + np.arange(len(chosen), dtype=np.int64)
            tight = [_box_array(masks.box(n_before + j)) for j in range(len(chosen))]
            alive = np.array([b is not None for b in tight], dtype=bool)
            for j, b in enumerate(tight):
                if b is not None:
                    part.boxes[j] = b
            part.keep(alive)
            tag_source(part, "bboxes", position + 1)
            _same_labels([boxes, part], "bboxes")
            sample.annotations.targets["bboxes"] = concat_targets([boxes, part])
        kps = sample.annotations.targets.get("keypoints")
        if kps is not None:
            part = copy.deepcopy(source.annotations.targets["keypoints"])
            if INSTANCE_FIELD in part.labels and src_boxes is not None:
                ids = set(np.asarray(src_boxes.indices)[chosen].tolist())
                part.keep(np.array([int(i) in ids for i in part.labels[INSTANCE_FIELD]], dtype=bool))
            else:
                part.keep(np.zeros(len(part), dtype=bool))
            part.geometry_changed()
            part.move_matrix(matrix, "corners")
            part.filter((H, W), sample.rules)
            tag_source(kps, "keypoints", 0)
            tag_source(part, "keypoints", position + 1)
            _same_labels([kps, part], "keypoints")
            sample.annotations.targets["keypoints"] = concat_targets([kps, part])
        sample.annotations.filter(sample.shape, sample.rules)

    def _occlude(self, boxes: Any, before: Planes | None, after: Planes, hits: list[int]) -> None:
        """Recompute the boxes whose mask the paste hit (tight box of the visible rest); drop those with less
        than ``min_visible`` of their mask (or nothing) left. ``hits[c]``: the pixels of mask c pasted over."""
        if before is None or not len(boxes) or not any(hits):
            return
        keep = np.ones(len(boxes), dtype=bool)
        for j, ch in enumerate(np.asarray(boxes.labels[CHANNEL], dtype=np.int64)):
            hit = hits[int(ch)]
            if not hit:
                continue
            x0, y0, x1, y1 = before.box(int(ch))
            area = int(np.count_nonzero(before.planes[int(ch)][y0:y1, x0:x1]))
            visible = area - hit
            box = _box_array(after.box(int(ch)))
            if box is None or visible < self.min_visible * area:
                keep[j] = False
            else:
                boxes.boxes[j] = box
        boxes.keep(keep)


def _planes(masks: Any) -> Planes | None:
    """Instance masks as ``Planes`` (an (H, W, N) stack split; None stays None)."""
    if masks is None or type(masks) is Planes:
        return masks
    return Planes.from_stack(masks)


def _box_array(box: geo.Box) -> np.ndarray | None:
    """An integer box as float xyxy (continuous coordinates: pixel i spans [i, i+1)); None when empty."""
    return np.array(box, dtype=np.float64) if box[2] > box[0] else None


def _place_planes(planes: list[np.ndarray], boxes: list[Any], size: tuple[int, int], place: tuple[int, int, int, int], rect: tuple[int, int, int, int], out_shape: tuple[int, int]) -> tuple[list[np.ndarray], list[geo.Box]]:
    """``_paste_tile`` for each 2-D plane onto a zero ``out_shape`` canvas (nearest, constant 0): the plane
    resized to its tile ``place`` = (x0, y0, w, h), the part inside ``rect`` kept. One separable map
    (``geo.plane_maps``) takes every plane there, reading only each plane's nonzero box."""
    h, w = size
    x0, y0, nw, nh = place
    rx0, ry0, rx1, ry1 = rect
    H, W = out_shape
    scaling = geo.scaling(nw / w, nh / h)
    maps = geo.plane_maps(scaling, (h, w), (nh, nw))
    if maps is None:  # (a scaling onto the whole tile is a resize; kept general) the whole tile, then the window
        tiles, _ = geo.warp_planes(planes, boxes, scaling, (nh, nw))
        outs = []
        for tile in tiles:
            out = np.zeros((H, W), tile.dtype)
            out[ry0:ry1, rx0:rx1] = tile[ry0 - y0 : ry1 - y0, rx0 - x0 : rx1 - x0]
            outs.append(out)
        return outs, [geo.nonzero_box(o) for o in outs]
    tile_cols, tile_rows = maps
    cols, rows = np.full(W, -1, np.int64), np.full(H, -1, np.int64)
    if rx1 > rx0 and ry1 > ry0:
        cols[rx0:rx1] = tile_cols[rx0 - x0 : rx1 - x0]
        rows[ry0:ry1] = tile_rows[ry0 - y0 : ry1 - y0]
    return geo.remap_planes(planes, boxes, cols, rows)

"""COCO annotation files: the one reader and writer of the library (datasets, previews and the
explorer all go through it).

``read_coco`` turns an ``instances_*`` / ``person_keypoints_*`` JSON into one record per image whose
``targets`` are pipeline call keywords; ``write_coco`` turns such records back into COCO JSON, so
``write_coco(*read_coco(f)) == f`` for the fields COCO defines. Formats of the keywords:

- ``bboxes``: ``(N, 4)`` float64 in ``bbox_format`` (default ``"coco"``: ``x, y, w, h`` pixels, as stored);
- ``labels``: the ``N`` category ids;
- ``masks``: ``N`` ``(H, W)`` uint8 masks, from polygons (a pixel is set iff its centre lies inside: see
  ``polygons_mask``; each polygon on its own, COCO means their union) or RLE (uncompressed ``counts`` lists and
  compressed ``counts`` strings, decoded here in numpy: pycocotools is not needed);
- ``polygons``: one entry per instance, a list of ``(K, 2)`` float64 arrays of ``x, y`` in continuous
  pixel coordinates (pixel i spans [i, i + 1), its centre is i + 0.5; COCO's and the ``polygons``
  target's convention); an instance stored as RLE has an empty list;
- ``keypoints``: ``(N * K, 2)`` float64 pixel ``x, y``, instance after instance (``K`` from the
  category's ``keypoints`` names, or the longest annotation), and ``keypoints_visibility``: ``(N * K,)``
  int COCO flags (0: not labelled, 1: labelled but occluded, 2: visible).

RLE follows the COCO API (Lin et al. 2014, "Microsoft COCO: Common Objects in Context"): alternating
run lengths of 0s and 1s, starting with 0s, down the columns (Fortran order); the compressed string
stores each run (after the second, as the difference from the run two back) in 5-bit groups with a
continuation bit, offset by 48 into printable ASCII (pycocotools ``rleToString``/``rleFrString``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np

from ..core.compose import Compose
from ..core.errors import type_error, value_error
from ..targets.bboxes import convert_bboxes_from, convert_bboxes_to
from .datasets import FileDataset

SEGMENTATION_KINDS = ("polygon", "rle", "rle_compressed", "none")


# -- RLE -----------------------------------------------------------------------------------------------------
def rle_counts(mask: np.ndarray) -> list[int]:
    """Uncompressed COCO run lengths of a 2-D mask (nonzero = 1): 0-runs and 1-runs alternating,
    starting with a (possibly empty) 0-run, down the columns."""
    m = np.asarray(mask)
    if m.ndim != 2:
        value_error("mask", "a 2-D (H, W) mask", m, "pass one instance mask at a time")
    flat = (m.ravel(order="F") != 0).astype(np.int8)
    if flat.size == 0:
        return []
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    return ([0] + runs) if flat[0] else runs


def encode_counts(counts: Sequence[int]) -> str:
    """Compress run lengths to COCO's counts string (pycocotools ``rleToString``)."""
    out = []
    runs = [int(c) for c in counts]
    for i, run in enumerate(runs):
        x = run - runs[i - 2] if i > 2 else run
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def decode_counts(counts: str | bytes) -> list[int]:
    """Run lengths of COCO's compressed counts string (pycocotools ``rleFrString``)."""
    data = counts.encode() if isinstance(counts, str) else counts
    runs: list[int] = []
    p = 0
    while p < len(data):
        x, k, more = 0, 0, True
        while more:
            if p >= len(data):
                value_error("counts", "a complete COCO compressed RLE string", counts, "the string is cut short; re-export the annotation")
            c = data[p] - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(runs) > 2:
            x += runs[-2]
        runs.append(x)
    return runs


_decode_rle_string = decode_counts  # the name earlier versions used


def rle_encode(mask: np.ndarray, compressed: bool = True) -> dict[str, Any]:
    """COCO RLE of a 2-D mask: ``{"size": [H, W], "counts": str}`` (compressed) or ``counts`` as a list."""
    counts = rle_counts(mask)
    h, w = np.asarray(mask).shape
    return {"size": [int(h), int(w)], "counts": encode_counts(counts) if compressed else counts}


def rle_decode(rle: dict[str, Any], shape: tuple[int, int] | None = None) -> np.ndarray:
    """(H, W) uint8 mask of a COCO RLE (``counts`` a list or a compressed string); ``size`` gives
    (H, W), else ``shape``. Runs must cover exactly H * W pixels."""
    if not isinstance(rle, dict) or "counts" not in rle:
        type_error("rle", "a dict with 'counts' (and 'size')", rle, "pass a COCO RLE segmentation")
    if "size" in rle:
        h, w = (int(v) for v in rle["size"])
    elif shape is not None:
        h, w = int(shape[0]), int(shape[1])
    else:
        value_error("rle", "a 'size' entry [H, W]", rle, "add 'size' or pass shape=(H, W)")
    counts = rle["counts"]
    runs = np.asarray(decode_counts(counts) if isinstance(counts, (str, bytes)) else [int(c) for c in counts], dtype=np.int64)
    if (runs < 0).any() or runs.sum() != h * w:
        value_error("rle['counts']", f"non-negative runs summing to H*W = {h * w}", f"runs summing to {int(runs.sum())}", "check 'size' against the mask the counts describe")
    values = np.arange(len(runs)) % 2
    flat = np.repeat(values.astype(np.uint8), runs)
    return np.ascontiguousarray(flat.reshape(w, h).T)


_rle_decode = rle_decode


def _polygon_fill(pts: np.ndarray, height: int, width: int) -> np.ndarray:
    """(H, W) bool even-odd fill of one ring by pixel centres: row y is cut at its centre y + 0.5 by every
    edge whose half-open span [min(y0, y1), max(y0, y1)) holds it; the sorted crossings pair up, and pixel x
    of a pair (xa, xb) is inside iff xa <= x + 0.5 < xb. Horizontal edges cut no row; a centre on a left or
    top edge is inside, on a right or bottom edge outside, so polygons that tile the plane tile the pixels."""
    a, b = pts, np.roll(pts, -1, axis=0)
    lo, hi = np.minimum(a[:, 1], b[:, 1]), np.maximum(a[:, 1], b[:, 1])
    # rows whose centre lies in [lo, hi): y + 0.5 >= lo and y + 0.5 < hi
    r0 = np.clip(np.ceil(lo - 0.5), 0, height).astype(np.int64)
    r1 = np.clip(np.ceil(hi - 0.5), 0, height).astype(np.int64)
    count = np.maximum(r1 - r0, 0)
    out = np.zeros((height, width), bool)
    if not count.sum():
        return out
    edge = np.repeat(np.arange(len(a)), count)
    rows = np.repeat(r0, count) + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    yc = rows + 0.5
    x0, y0, x1, y1 = a[edge, 0], a[edge, 1], b[edge, 0], b[edge, 1]
    xs = x0 + (yc - y0) * (x1 - x0) / (y1 - y0)
    order = np.lexsort((xs, rows))
    rows, xs = rows[order], xs[order]
    # every row is cut an even number of times (a closed ring), so sorted crossings pair up within rows
    start = np.clip(np.ceil(xs[0::2] - 0.5), 0, width).astype(np.int64)
    stop = np.clip(np.ceil(xs[1::2] - 0.5), 0, width).astype(np.int64)
    keep = stop > start
    runs = np.zeros((height, width + 1), np.int32)
    np.add.at(runs, (rows[0::2][keep], start[keep]), 1)
    np.add.at(runs, (rows[0::2][keep], stop[keep]), -1)
    return np.cumsum(runs[:, :width], axis=1) > 0


def polygons_mask(polygons: Sequence[Any], height: int, width: int) -> np.ndarray:
    """(H, W) uint8 union of COCO polygons (flat ``[x1, y1, ...]`` lists or (K, 2) arrays) in continuous
    coordinates: pixel (x, y) spans [x, x + 1) x [y, y + 1), and is set iff its centre (x + 0.5, y + 0.5) lies
    inside a polygon (even-odd rule, equal to non-zero for COCO's simple rings; a centre on a left/top edge
    counts as inside, on a right/bottom edge as outside). The square [2, 2, 10, 2, 10, 10, 2, 10] covers
    pixels 2..9, as pycocotools rasterises it, and the same convention as the ``polygons`` target, so a
    polygon and its mask move together. Each polygon is filled on its own and the fills are unioned (COCO
    means the union; one even-odd fill of all would cancel their overlaps)."""
    mask = np.zeros((int(height), int(width)), bool)
    for k, poly in enumerate(polygons):
        pts = np.asarray(poly, np.float64).reshape(-1, 2)
        if not np.isfinite(pts).all():
            value_error(f"polygons[{k}]", "finite vertex coordinates", poly, "drop or repair the vertices that are NaN or infinite")
        if len(pts) >= 3:
            mask |= _polygon_fill(pts, int(height), int(width))
    return mask.astype(np.uint8)


def mask_polygons(mask: np.ndarray) -> list[np.ndarray]:
    """Outer outlines of a 2-D mask's pixels (nonzero = inside) as (K, 2) float64 ``x, y`` rings in continuous
    coordinates: the edges of the pixel squares, vertices on integer pixel corners, one ring per 8-connected
    region. No pixel centre lies on such an outline, so ``polygons_mask`` (or pycocotools) fills exactly the
    mask's pixels back, the shoelace area is the pixel count and the ring's extent is the mask's box.
    Holes are filled (COCO polygons are a union, they cannot cut a hole): compare ``polygons_mask`` of the
    result with the mask to detect them, and store such masks as RLE.

    Traced with ``cv2.findContours`` (Suzuki & Abe 1985) on the mask upsampled 2x: every boundary sample c
    of the upsampled mask is a half pixel, and (c + 1) // 2 is the pixel corner on its outer side; diagonal
    steps between two pixels that touch at a corner collapse to that corner, and straight runs are merged."""
    m = np.asarray(mask)
    if m.ndim != 2:
        value_error("mask", "a 2-D (H, W) mask", m, "pass one instance mask at a time")
    up = np.repeat(np.repeat((m != 0).astype(np.uint8), 2, axis=0), 2, axis=1)
    contours, _ = cv2.findContours(up, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    rings = []
    for c in contours:
        v = (c.reshape(-1, 2).astype(np.int64) + 1) // 2
        v = v[np.any(v != np.roll(v, 1, axis=0), axis=1)]  # a collapsed diagonal step repeats a corner
        prev, nxt = np.roll(v, 1, axis=0) - v, np.roll(v, -1, axis=0) - v
        straight = (prev[:, 0] * nxt[:, 1] - prev[:, 1] * nxt[:, 0] == 0) & ((prev * nxt).sum(axis=1) < 0)
        v = v[~straight]
        if len(v) >= 3:
            rings.append(v.astype(np.float64))
    return rings


def annotation_mask(segmentation: Any, height: int, width: int) -> np.ndarray:
    """(H, W) uint8 mask of one COCO segmentation: polygons, uncompressed RLE or compressed RLE."""
    if isinstance(segmentation, list):
        return polygons_mask(segmentation, height, width)
    if isinstance(segmentation, dict) and "counts" in segmentation:
        return rle_decode(segmentation, (height, width))
    value_error("segmentation", "COCO polygons (a list) or RLE (a dict with 'counts')", segmentation, "fix the annotation file")


def polygon_area(polygons: Sequence[np.ndarray]) -> float:
    """Sum of the shoelace areas of polygons (what COCO exporters store as ``area`` for polygons)."""
    total = 0.0
    for p in polygons:
        x, y = np.asarray(p, np.float64)[:, 0], np.asarray(p, np.float64)[:, 1]
        total += 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
    return total


# -- reading -------------------------------------------------------------------------------------------------
def load_coco(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse and check a COCO JSON file (errors name the file, and the line for syntax errors)."""
    p = Path(path)
    if not p.is_file():
        value_error("annotation_file", "an existing COCO json file", os.fspath(p), "check the path")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{p}:{exc.lineno}: not valid JSON ({exc.msg}). Fix: correct the syntax there.") from None
    _check_coco(data, str(p))
    return data


def _check_coco(data: Any, where: str) -> None:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a COCO JSON object, got {type(data).__name__}. Fix: pass a COCO annotation file.")
    for key in ("images", "annotations"):
        if key not in data:
            raise ValueError(f"{where}: expected a COCO file with an {key!r} list, got keys {sorted(data)[:6]}. Fix: pass a COCO instances/keypoints JSON.")


def read_coco(source: str | os.PathLike[str] | dict[str, Any], bbox_format: str = "coco", masks: bool = True, name: str | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Read a COCO file (path or parsed dict) into ``(records, categories)``.

    Each record (one per image, in file order): ``image`` (the image entry as stored), ``targets``
    (call keywords, see the module docstring; ``masks`` only when ``masks=True`` and some instance has
    a segmentation), ``annotations`` (the other fields of each annotation: ``id``, ``iscrowd``, ``area``,
    and ``segmentation_kind``, one of ``SEGMENTATION_KINDS``, which ``write_coco`` uses to store it back
    the same way). Boxes are given in ``bbox_format`` ("coco" keeps the stored numbers exactly).
    ``name`` names a parsed dict's file in error messages."""
    where = name or "coco"
    if isinstance(source, (str, os.PathLike)):
        where, data = os.fspath(source), load_coco(source)
    else:
        data = source
        _check_coco(data, where)
    by_id: dict[int, list[dict[str, Any]]] = {}
    ids = {int(img["id"]) for img in data["images"]}
    for i, ann in enumerate(data["annotations"]):
        image_id = int(ann.get("image_id", -1))
        if image_id not in ids:
            raise ValueError(f"{where}: annotations[{i}] refers to image_id {ann.get('image_id')!r}, which is not in 'images'. Fix: correct the image_id.")
        by_id.setdefault(image_id, []).append(ann)
    categories = list(data.get("categories", []))
    k_of = {int(c["id"]): len(c["keypoints"]) for c in categories if c.get("keypoints")}
    records = []
    for img in data["images"]:
        anns = by_id.get(int(img["id"]), [])
        records.append({"image": dict(img), **_targets(anns, int(img.get("height", 0)), int(img.get("width", 0)), k_of, bbox_format, masks, where)})
    return records, categories


def _targets(anns: list[dict[str, Any]], H: int, W: int, k_of: dict[int, int], fmt: str, want_masks: bool, where: str) -> dict[str, Any]:
    xywh = np.array([a.get("bbox", [0, 0, 0, 0]) for a in anns], dtype=np.float64).reshape(-1, 4)
    if fmt == "coco":
        boxes = xywh
    else:
        xyxy = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
        boxes = convert_bboxes_from(xyxy, fmt, H, W)
    targets: dict[str, Any] = {"bboxes": boxes, "labels": [int(a.get("category_id", 0)) for a in anns]}
    meta = []
    polygons: list[list[np.ndarray]] = []
    segmented = False
    for a in anns:
        seg = a.get("segmentation")
        if isinstance(seg, list) and seg:
            kind = "polygon"
            polygons.append([np.asarray(p, np.float64).reshape(-1, 2) for p in seg])
        else:
            if seg and not (isinstance(seg, dict) and "counts" in seg):
                raise ValueError(f"{where}: annotation {a.get('id')!r} has a segmentation that is neither polygons nor RLE: {str(seg)[:60]}. Fix: store a list of polygons or a dict with 'counts' and 'size'.")
            kind = "none" if not seg else "rle_compressed" if isinstance(seg.get("counts"), (str, bytes)) else "rle"
            polygons.append([])
        segmented = segmented or kind != "none"
        meta.append({k: v for k, v in a.items() if k not in ("bbox", "category_id", "segmentation", "keypoints", "num_keypoints", "image_id")} | {"segmentation_kind": kind})
    if segmented:
        targets["polygons"] = polygons
        if want_masks:
            targets["masks"] = [annotation_mask(a["segmentation"], H, W) if a.get("segmentation") else np.zeros((H, W), np.uint8) for a in anns]
    if any(a.get("keypoints") for a in anns):
        k = max([len(a.get("keypoints") or ()) // 3 for a in anns] + [k_of.get(int(a.get("category_id", 0)), 0) for a in anns])
        kps = np.zeros((len(anns), k, 3), np.float64)
        for i, a in enumerate(anns):
            flat = np.asarray(a.get("keypoints") or [], np.float64)
            if flat.size % 3:
                raise ValueError(f"{where}: annotation {a.get('id')!r} has {flat.size} keypoint numbers, not a multiple of 3. Fix: store x, y, v per keypoint.")
            kps[i, : flat.size // 3] = flat.reshape(-1, 3)
        targets["keypoints"] = kps[:, :, :2].reshape(-1, 2)
        targets["keypoints_visibility"] = kps[:, :, 2].reshape(-1).astype(np.int64)
    return {"targets": targets, "annotations": meta}


# -- writing -------------------------------------------------------------------------------------------------
def write_coco(records: Sequence[dict[str, Any]], categories: Sequence[dict[str, Any]], bbox_format: str = "coco", segmentation: str | None = None) -> dict[str, Any]:
    """COCO JSON dict of ``records`` (``read_coco``'s form: ``image`` + ``targets`` [+ ``annotations``]).

    Segmentation of instance ``i``: its ``polygons`` entry when not empty, else its ``masks`` entry as
    RLE. ``segmentation`` forces one form for every instance with a mask ("polygon" writes its polygons,
    or traces its mask with ``mask_polygons``, exact, refusing a mask with holes; "rle" / "rle_compressed"
    encode the masks); by default each instance keeps the form recorded in
    ``annotations[i]["segmentation_kind"]`` (compressed RLE when nothing is recorded). ``area`` is kept
    when recorded, else the mask's pixel count (the polygons' area without masks, the box area without
    either). Keypoints are written with ``keypoints_visibility`` (2 for every keypoint when absent)."""
    if segmentation is not None and segmentation not in SEGMENTATION_KINDS[:3]:
        value_error("segmentation", f"one of {SEGMENTATION_KINDS[:3]} or None", segmentation, "pass 'rle_compressed' or leave it out")
    images, annotations = [], []
    next_id = 1
    for r, record in enumerate(records):
        image = dict(record["image"])
        H, W = int(image.get("height", 0)), int(image.get("width", 0))
        images.append(image)
        t = record.get("targets", {})
        boxes = np.asarray(t.get("bboxes", np.zeros((0, 4))), np.float64).reshape(-1, 4)
        if bbox_format != "coco":
            xyxy = convert_bboxes_to(boxes, bbox_format, H, W)
            boxes = np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], axis=1)
        labels = list(t.get("labels", [0] * len(boxes)))
        n = len(boxes)
        if len(labels) != n:
            value_error(f"records[{r}]['targets']['labels']", f"{n} labels, one per box", labels, "give one category id per box")
        meta = list(record.get("annotations", [{}] * n))
        polygons, masks = t.get("polygons"), t.get("masks")
        kps, vis = t.get("keypoints"), t.get("keypoints_visibility")
        k = 0
        if kps is not None:
            kps = np.asarray(kps, np.float64).reshape(-1, 2)
            if n == 0 or len(kps) % n:
                value_error(f"records[{r}]['targets']['keypoints']", f"K keypoints per box ({n} boxes)", kps.shape, "give every instance the same number of keypoints")
            k = len(kps) // n
            vis = np.full(len(kps), 2, np.int64) if vis is None else np.asarray(vis).reshape(-1).astype(np.int64)
        for i in range(n):
            m = dict(meta[i]) if i < len(meta) else {}
            kind = segmentation or m.pop("segmentation_kind", None)
            m.pop("segmentation_kind", None)
            ann: dict[str, Any] = {"id": m.pop("id", next_id), "image_id": image["id"], "category_id": int(labels[i])}
            next_id = max(next_id, int(ann["id"])) + 1
            poly = polygons[i] if polygons is not None and i < len(polygons) else []
            mask = masks[i] if masks is not None and i < len(masks) else None
            if kind is None:
                kind = "polygon" if len(poly) else "rle_compressed" if mask is not None else "none"
            if kind == "polygon":
                if not len(poly) and mask is not None:  # traced from the mask: exact, or refused (holes)
                    poly = mask_polygons(mask)
                    if not np.array_equal(polygons_mask(poly, *np.asarray(mask).shape), (np.asarray(mask) != 0).astype(np.uint8)):
                        value_error(f"records[{r}] instance {i}", "a mask whose pixel outlines reproduce it (no holes)", "a mask with holes", "pass segmentation='rle_compressed' to store it exactly")
                if not len(poly):
                    value_error(f"records[{r}] instance {i}", "polygons or a mask to write as a polygon segmentation", poly, "pass segmentation='rle_compressed' to store its mask")
                ann["segmentation"] = [[float(v) for v in np.asarray(p, np.float64).reshape(-1)] for p in poly]
            elif kind in ("rle", "rle_compressed"):
                if mask is None:
                    mask = polygons_mask(poly, H, W)
                ann["segmentation"] = rle_encode(mask, compressed=kind == "rle_compressed")
            if "area" not in m:
                m["area"] = float(np.count_nonzero(mask)) if mask is not None else polygon_area(poly) if len(poly) else float(boxes[i, 2] * boxes[i, 3])
            if "iscrowd" not in m:
                m["iscrowd"] = 0
            ann.update(m)
            ann["bbox"] = [float(v) for v in boxes[i]]
            if k:
                block = np.concatenate([kps[i * k : (i + 1) * k], vis[i * k : (i + 1) * k, None].astype(np.float64)], axis=1)
                ann["keypoints"] = [int(v) if j % 3 == 2 else float(v) for j, v in enumerate(block.reshape(-1))]
                ann["num_keypoints"] = int(np.count_nonzero(vis[i * k : (i + 1) * k]))
            annotations.append(ann)
    return {"images": images, "annotations": annotations, "categories": [dict(c) for c in categories]}


def save_coco(path: str | os.PathLike[str], records: Sequence[dict[str, Any]], categories: Sequence[dict[str, Any]], **kwargs: Any) -> Path:
    """``write_coco`` to a JSON file; returns the path."""
    p = Path(path)
    p.write_text(json.dumps(write_coco(records, categories, **kwargs)), encoding="utf-8")
    return p


# -- the detection dataset -----------------------------------------------------------------------------------
class CocoDetectionDataset(FileDataset):
    """Images of a COCO annotation file with their instances. Returns the pipeline's output dict
    (``image``, ``bboxes``, ``labels`` = category ids, ``masks`` when ``masks=True``, ``bbox_indices``)
    plus ``image_id`` and ``path``. Masks come from polygons or RLE (uncompressed or compressed).

    Follows torchvision's detection references: crowd annotations (``iscrowd=1``) are left out by
    default and boxes with no width or height are dropped (COCO holds a few); both are counted in
    ``dropped_annotations``. Boxes are handed to the pipeline in its own ``bbox_format``.

    annotation_file: the COCO json. image_root: folder of the ``file_name`` entries.
    include_crowd: keep ``iscrowd=1`` instances. keypoints: also pass ``keypoints`` and their COCO flags
    ``keypoints_visibility`` (K per instance; build the pipeline with ``keypoint_swap=iv.COCO_PERSON``
    for people, so flips swap left and right). Other arguments: see ``FileDataset``.
    """

    def __init__(self, annotation_file: str | os.PathLike[str], image_root: str | os.PathLike[str], pipeline: Compose | None = None, masks: bool = False, include_crowd: bool = False, keypoints: bool = False, **kwargs: Any) -> None:
        coco = load_coco(annotation_file)
        self.categories = {int(c["id"]): c.get("name", str(c["id"])) for c in coco.get("categories", [])}
        self.masks, self.include_crowd, self.keypoints = bool(masks), bool(include_crowd), bool(keypoints)
        self.dropped_annotations = 0
        kept = []
        for ann in coco["annotations"]:
            x, y, w, h = (float(v) for v in ann["bbox"])
            if (ann.get("iscrowd", 0) and not self.include_crowd) or w <= 0 or h <= 0:
                self.dropped_annotations += 1
                continue
            kept.append(ann)
        by_image: dict[int, list[dict[str, Any]]] = {}
        for ann in kept:
            by_image.setdefault(int(ann["image_id"]), []).append(ann)
        index = {int(r["image"]["id"]): r for r in read_coco({**coco, "annotations": kept}, masks=False)[0]}
        records = [
            {"path": str(Path(image_root) / index[i]["image"]["file_name"]), "image_id": i, "height": int(index[i]["image"]["height"]), "width": int(index[i]["image"]["width"]),
             "targets": index[i]["targets"], "annotations": by_image.get(i, [])}
            for i in sorted(index)
        ]
        super().__init__(records, pipeline, **kwargs)

    def targets(self, record: dict[str, Any], shape: tuple[int, int] | None) -> dict[str, Any]:
        H, W = record["height"], record["width"]
        t = record["targets"]
        xywh = t["bboxes"]
        xyxy = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
        xyxy[:, [0, 2]] = np.clip(xyxy[:, [0, 2]], 0, W)  # COCO boxes overshoot the border by rounding
        xyxy[:, [1, 3]] = np.clip(xyxy[:, [1, 3]], 0, H)
        fmt = self.pipeline.bbox_format if self.pipeline is not None else "pascal_voc"
        out: dict[str, Any] = {"bboxes": convert_bboxes_from(xyxy, fmt, H, W), "labels": list(t["labels"])}
        if self.masks:
            out["masks"] = [annotation_mask(a["segmentation"], H, W) for a in record["annotations"]]
        if self.keypoints and "keypoints" in t:
            out["keypoints"], out["keypoints_visibility"] = t["keypoints"], t["keypoints_visibility"]
        return out

    def output(self, out: dict[str, Any], record: dict[str, Any]) -> Any:
        return {**out, "image_id": record["image_id"], "path": record["path"]}

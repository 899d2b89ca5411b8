"""COCO-style detection datasets: ``instances_*.json`` -> boxes, category labels and optional masks.

Follows torchvision's detection references: crowd annotations (``iscrowd=1``) are left out by
default and boxes with no width or height are dropped (COCO holds a few); both are counted in
``dropped_annotations``. Boxes are handed to the pipeline in its own ``bbox_format``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..core.compose import Compose
from ..core.errors import value_error
from ..targets.bboxes import convert_bboxes_from
from .datasets import FileDataset


class CocoDetectionDataset(FileDataset):
    """Images of a COCO annotation file with their instances. Returns the pipeline's output dict
    (``image``, ``bboxes``, ``labels`` = category ids, ``masks`` when ``masks=True``, ``bbox_indices``)
    plus ``image_id`` and ``path``. Masks come from polygons or RLE (uncompressed or compressed).

    annotation_file: the COCO json. image_root: folder of the ``file_name`` entries.
    include_crowd: keep ``iscrowd=1`` instances. Other arguments: see ``FileDataset``.
    """

    def __init__(self, annotation_file: str | os.PathLike[str], image_root: str | os.PathLike[str], pipeline: Compose | None = None, masks: bool = False, include_crowd: bool = False, **kwargs: Any) -> None:
        path = Path(annotation_file)
        if not path.is_file():
            value_error("annotation_file", "an existing COCO json file", os.fspath(path), "check the path")
        with open(path, encoding="utf-8") as f:
            coco = json.load(f)
        for key in ("images", "annotations"):
            if key not in coco:
                value_error("annotation_file", f"a COCO json with an {key!r} list", os.fspath(path), "use a COCO instances file")
        self.categories = {int(c["id"]): c.get("name", str(c["id"])) for c in coco.get("categories", [])}
        self.masks, self.include_crowd = bool(masks), bool(include_crowd)
        by_image: dict[int, list[dict[str, Any]]] = {}
        for ann in coco["annotations"]:
            by_image.setdefault(int(ann["image_id"]), []).append(ann)
        self.dropped_annotations = 0
        records = []
        for img in sorted(coco["images"], key=lambda r: int(r["id"])):
            anns = []
            for ann in by_image.get(int(img["id"]), []):
                x, y, w, h = (float(v) for v in ann["bbox"])
                if (ann.get("iscrowd", 0) and not self.include_crowd) or w <= 0 or h <= 0:
                    self.dropped_annotations += 1
                    continue
                anns.append(ann)
            records.append({"path": str(Path(image_root) / img["file_name"]), "image_id": int(img["id"]), "height": int(img["height"]), "width": int(img["width"]), "annotations": anns})
        super().__init__(records, pipeline, **kwargs)

    def targets(self, record: dict[str, Any], shape: tuple[int, int] | None) -> dict[str, Any]:
        anns, H, W = record["annotations"], record["height"], record["width"]
        xywh = np.array([a["bbox"] for a in anns], dtype=np.float64).reshape(-1, 4)
        xyxy = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
        xyxy[:, [0, 2]] = np.clip(xyxy[:, [0, 2]], 0, W)  # COCO boxes overshoot the border by rounding
        xyxy[:, [1, 3]] = np.clip(xyxy[:, [1, 3]], 0, H)
        fmt = self.pipeline.bbox_format if self.pipeline is not None else "pascal_voc"
        out: dict[str, Any] = {"bboxes": convert_bboxes_from(xyxy, fmt, H, W), "labels": [int(a["category_id"]) for a in anns]}
        if self.masks:
            out["masks"] = [annotation_mask(a["segmentation"], H, W) for a in anns]
        return out

    def output(self, out: dict[str, Any], record: dict[str, Any]) -> Any:
        return {**out, "image_id": record["image_id"], "path": record["path"]}


def annotation_mask(segmentation: Any, height: int, width: int) -> np.ndarray:
    """(H, W) uint8 mask of one COCO segmentation: polygons, uncompressed RLE or compressed RLE."""
    if isinstance(segmentation, list):
        mask = np.zeros((height, width), np.uint8)
        polys = [np.round(np.asarray(p, dtype=np.float64).reshape(-1, 2)).astype(np.int32) for p in segmentation if len(p) >= 6]
        for poly in polys:  # one call each: COCO means the union, one fillPoly call would XOR overlaps
            cv2.fillPoly(mask, [poly], 1)
        return mask
    if isinstance(segmentation, dict) and "counts" in segmentation:
        h, w = (int(v) for v in segmentation.get("size", (height, width)))
        counts = segmentation["counts"]
        runs = _decode_rle_string(counts) if isinstance(counts, (str, bytes)) else [int(c) for c in counts]
        flat = np.zeros(h * w, np.uint8)
        pos, value = 0, 0
        for run in runs:
            if value:
                flat[pos : pos + run] = 1
            pos += run
            value ^= 1
        return np.ascontiguousarray(flat.reshape(w, h).T)  # COCO RLE runs down columns
    value_error("segmentation", "COCO polygons (a list) or RLE (a dict with 'counts')", segmentation, "fix the annotation file")


def _decode_rle_string(counts: str | bytes) -> list[int]:
    """COCO's compressed RLE (pycocotools ``rleFrString``): 5-bit groups with continuation, deltas
    from the run two back after the third run."""
    data = counts.encode() if isinstance(counts, str) else counts
    runs: list[int] = []
    p = 0
    while p < len(data):
        x, k, more = 0, 0, True
        while more:
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

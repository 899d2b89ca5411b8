"""Box and keypoint bookkeeping across a pipeline: degenerate boxes are dropped with a stated tolerance,
keypoint visibility is sticky once lost, and the input goes through the same rules as every spatial step.

The references move box corners and keypoints with matrices written here from the recorded parameters
(continuous coordinates, pixel column i spans [i, i + 1): docs/spatial.md), never with the library's."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import invariant as iv
from invariant.targets.bboxes import min_side

H, W = 48, 64


# ---- reference geometry ---------------------------------------------------------------------------------------


def _translation(tx: float, ty: float) -> np.ndarray:
    return np.array([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])


def _step_matrix(t: iv.Transform, params: dict, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
    """Input-to-output matrix and output shape of one recorded step, from its parameters alone."""
    h, w = shape
    name = type(t).__name__
    if name == "RandomCrop":
        size_h, size_w = t.size
        return _translation(-params["x"], -params["y"]), (size_h, size_w)
    if name == "RandomResizedCrop":
        out_h, out_w = t.size
        sx, sy = out_w / params["w"], out_h / params["h"]
        return np.diag([sx, sy, 1.0]) @ _translation(-params["x"], -params["y"]), (out_h, out_w)
    if name == "Rotate":  # counter-clockwise on screen about the canvas centre (cv2.getRotationMatrix2D)
        a = math.radians(params["angle"])
        c, s = math.cos(a), math.sin(a)
        cx, cy = w / 2, h / 2
        return np.array([[c, s, (1 - c) * cx - s * cy], [-s, c, s * cx + (1 - c) * cy], [0, 0, 1]]), (h, w)
    if name == "HorizontalFlip":
        return np.array([[-1.0, 0, w], [0, 1, 0], [0, 0, 1]]), (h, w)
    if name == "VerticalFlip":
        return np.array([[1.0, 0, 0], [0, -1, h], [0, 0, 1]]), (h, w)
    if name == "Transpose":
        return np.array([[0.0, 1, 0], [1, 0, 0], [0, 0, 1]]), (w, h)
    if name == "RandomRotate90":  # np.rot90: one quarter turn sends (x, y) to (y, W - x)
        m, shp = np.eye(3), (h, w)
        for _ in range(params["factor"] % 4):
            m = np.array([[0.0, 1, 0], [-1, 0, shp[1]], [0, 0, 1]]) @ m
            shp = (shp[1], shp[0])
        return m, shp
    raise AssertionError(f"no reference for {name}")


def _map_points(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return pts @ m[:2, :2].T + m[:2, 2]


def _chain(rng: np.random.Generator) -> list[iv.Transform]:
    """A random chain of crops (some padding), resized crops (drawn twice as often: their scales round),
    rotations, flips and quarter turns."""
    makers = [
        lambda: iv.RandomCrop((int(rng.integers(8, 49)), int(rng.integers(8, 65))), pad_if_needed=True, p=1),
        lambda: iv.RandomCrop((int(rng.integers(40, 80)), int(rng.integers(40, 90))), pad_if_needed=True, p=1),
        lambda: iv.RandomResizedCrop((int(rng.integers(16, 64)), int(rng.integers(16, 80))), scale=(0.1, 1.0)),
        lambda: iv.RandomResizedCrop((int(rng.integers(16, 64)), int(rng.integers(16, 80))), scale=(0.1, 1.0)),
        lambda: iv.Rotate(limit=float(rng.uniform(0, 180)), p=1),
        lambda: iv.HorizontalFlip(p=1),
        lambda: iv.VerticalFlip(p=1),
        lambda: iv.RandomRotate90(p=1),
        lambda: iv.Transpose(p=1),
    ]
    return [makers[int(i)]() for i in rng.integers(0, len(makers), size=int(rng.integers(1, 6)))]


def _reference_boxes(pipe: iv.Compose, recorded: list[dict], boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Move each box step by step (enclosing box of its four mapped corners, then clip, then drop when a
    side is under the tolerance): surviving indices, their final boxes, and whether any side came within
    1e-6 of the tolerance (a decision float rounding could flip)."""
    shape, alive, cur, close = (H, W), np.arange(len(boxes)), boxes.astype(np.float64), False
    for entry in recorded:
        t = pipe._leaf_list[entry["index"]]
        m, shape = _step_matrix(t, entry["params"], shape)
        corners = np.stack([cur[:, [0, 1]], cur[:, [2, 1]], cur[:, [2, 3]], cur[:, [0, 3]]], axis=1)
        moved = _map_points(m, corners.reshape(-1, 2)).reshape(-1, 4, 2)
        cur = np.concatenate([moved.min(axis=1), moved.max(axis=1)], axis=1)
        cur[:, [0, 2]] = np.clip(cur[:, [0, 2]], 0, shape[1])
        cur[:, [1, 3]] = np.clip(cur[:, [1, 3]], 0, shape[0])
        sides = np.minimum(cur[:, 2] - cur[:, 0], cur[:, 3] - cur[:, 1])
        tol = min_side(*shape)
        close |= bool((np.abs(sides - tol) < 1e-6).any())
        keep = sides >= tol
        alive, cur = alive[keep], cur[keep]
    return alive, cur, close


def _reference_visibility(pipe: iv.Compose, recorded: list[dict], kps: np.ndarray) -> tuple[np.ndarray, bool]:
    """Is each keypoint on the closed canvas at input and after every step? Plus whether any came within
    1e-6 of an edge after a resampling step (where float rounding could decide)."""
    shape, cur = (H, W), kps.astype(np.float64)

    def on(p: np.ndarray, shp: tuple[int, int]) -> np.ndarray:
        return (p[:, 0] >= 0) & (p[:, 0] <= shp[1]) & (p[:, 1] >= 0) & (p[:, 1] <= shp[0])

    visible, close = on(cur, shape), False
    for entry in recorded:
        t = pipe._leaf_list[entry["index"]]
        m, shape = _step_matrix(t, entry["params"], shape)
        cur = _map_points(m, cur)
        visible &= on(cur, shape)
        if not np.allclose(m[:2, :2], np.round(m[:2, :2])):
            gaps = np.abs(np.concatenate([cur, cur - [shape[1], shape[0]]], axis=1))
            close |= bool(((gaps > 0) & (gaps < 1e-6)).any())
    return visible, close


# ---- 1. degenerate boxes ----------------------------------------------------------------------------------------


def test_box_outside_a_resized_crop_is_dropped_not_kept_as_a_sliver() -> None:
    """The crop window x in [33, 61) misses the box [61, 63]; rounding used to leave it 1e-14 px wide."""
    pipe = iv.Compose([iv.RandomResizedCrop((48, 64), scale=(0.3, 1.0))], seed=0)
    out = pipe(image=np.zeros((48, 64, 3), np.uint8), bboxes=[[61, 8, 63, 10], [34, 10, 50, 30]], labels=["x", "y"], return_params=True)
    x, w = out["params"][0]["params"]["x"], out["params"][0]["params"]["w"]
    assert x + w <= 61  # the situation of the report: the first box lies right of the window
    assert out["bbox_indices"].tolist() == [1] and out["labels"] == ["y"]
    assert out["bboxes"].shape == (1, 4)


def test_tolerance_is_stated_and_scales_for_float32_output() -> None:
    assert min_side(48, 64) == 1e-3
    assert min_side(20000, 100) == pytest.approx(0.02)
    # a kept side at the tolerance stays positive after the float32 conversion of the output
    for size in (64, 5000, 40000):
        x0 = np.float64(size) - min_side(size, size)
        assert np.float32(size) - np.float32(x0) > 0


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_boxes_through_random_chains_match_corner_reference(seed: int) -> None:
    """Every returned box is inside the canvas with both sides above the tolerance; the surviving boxes
    and their coordinates are those of the corner reference, so every dropped box is one whose image
    (enclosing box of its mapped corners, clipped) fell under the tolerance at some step."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 8))
    x0, y0 = rng.integers(-1, W - 1, n), rng.integers(-1, H - 1, n)
    boxes = np.stack([x0, y0, x0 + rng.integers(1, 20, n), y0 + rng.integers(1, 20, n)], axis=1).astype(np.float64)
    boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]], 0, W)
    boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, H)
    boxes = boxes[(boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])]
    # one-pixel strips tiling the canvas: every integer crop edge has a strip just outside it, where
    # rounding of the crop's scale used to leave slivers
    strips = [[i, 0, i + 1, H] for i in range(W)] + [[0, j, W, j + 1] for j in range(H)]
    boxes = np.concatenate([boxes, np.array(strips, dtype=np.float64)])
    pipe = iv.Compose(_chain(rng), seed=seed, fuse=False)  # boxes move at planning: fusion plays no part
    out = pipe(image=np.zeros((H, W), np.uint8), bboxes=boxes, labels=list(range(len(boxes))), return_params=True)
    oh, ow = out["image"].shape[:2]
    got = out["bboxes"].astype(np.float64)
    tol = min_side(oh, ow)
    assert (got[:, 2] - got[:, 0] >= tol * (1 - 1e-6)).all() and (got[:, 3] - got[:, 1] >= tol * (1 - 1e-6)).all()
    assert (got >= 0).all() and (got[:, [0, 2]] <= ow).all() and (got[:, [1, 3]] <= oh).all()
    assert out["labels"] == out["bbox_indices"].tolist()
    alive, ref, close = _reference_boxes(pipe, out["params"], boxes)
    if close:
        return  # a side within 1e-6 px of the tolerance: either decision is right
    assert out["bbox_indices"].tolist() == alive.tolist()
    np.testing.assert_allclose(got, ref, atol=1e-3)


# ---- 2. sticky keypoint visibility ----------------------------------------------------------------------------


def test_keypoint_cropped_off_stays_invisible_when_padding_brings_its_coordinates_back() -> None:
    """CenterCrop(20) of a 40 x 40 image drops x = 35 (x = 25 on a 20-wide canvas); CenterCrop(40) then
    pads back to 40 and the coordinates return to x = 35 on the canvas, but the content is gone."""
    img = np.zeros((40, 40), np.uint8)
    kps = [[35, 20], [20, 20]]
    for steps in ([iv.CenterCrop(20), iv.CenterCrop(40)], [iv.CenterCrop(20), iv.CenterCrop(40), iv.HorizontalFlip(p=1)]):
        flagged = iv.Compose(steps, remove_invisible_keypoints=False)(image=img, keypoints=kps)
        assert flagged["keypoints_visible"].tolist() == [False, True]
        assert flagged["keypoints"].shape == (2, 2)
        removed = iv.Compose(steps)(image=img, keypoints=kps, keypoint_labels=["off", "on"])
        assert removed["keypoint_indices"].tolist() == [1] and removed["keypoint_labels"] == ["on"]


def test_keypoint_moved_off_by_affine_and_back_stays_invisible() -> None:
    img = np.zeros((40, 40), np.uint8)
    steps = [iv.Affine(translate_px={"x": (30, 30), "y": (0, 0)}, p=1), iv.Affine(translate_px={"x": (-30, -30), "y": (0, 0)}, p=1)]
    out = iv.Compose(steps, remove_invisible_keypoints=False)(image=img, keypoints=[[15, 5], [5, 5]])
    np.testing.assert_allclose(out["keypoints"], [[15, 5], [5, 5]], atol=1e-4)
    assert out["keypoints_visible"].tolist() == [False, True]


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_keypoint_visible_iff_on_canvas_after_every_step(seed: int) -> None:
    """A keypoint is reported visible exactly when it was on the (closed) canvas at input and after every
    step of the chain; with remove_invisible_keypoints the same ones survive."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 10))
    kps = np.stack([rng.uniform(-10, W + 10, n), rng.uniform(-10, H + 10, n)], axis=1)
    kps[: n // 3] = np.round(kps[: n // 3])  # integer points land exactly on edges under flips and turns
    chain = _chain(rng)
    flagged = iv.Compose(chain, seed=seed, remove_invisible_keypoints=False, fuse=False)  # keypoints move at planning
    out = flagged(image=np.zeros((H, W), np.uint8), keypoints=kps, return_params=True)
    expected, close = _reference_visibility(flagged, out["params"], kps)
    if close:
        return  # a keypoint within 1e-6 px of an edge after a resampling step: either answer is right
    assert out["keypoints_visible"].tolist() == expected.tolist()
    assert out["keypoint_indices"].tolist() == list(range(n))
    removed = iv.Compose(chain, seed=seed, fuse=False)(image=np.zeros((H, W), np.uint8), keypoints=kps)
    assert removed["keypoint_indices"].tolist() == np.flatnonzero(expected).tolist()


# ---- 3. the same input gets the same treatment every call ------------------------------------------------------


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
def test_keypoints_outside_the_input_are_treated_the_same_every_call(p: float) -> None:
    img = np.zeros((20, 20), np.uint8)
    kps = [[-5, 3], [10, 10], [20, 20], [0, 0], [20.5, 3]]
    for remove, expected in ((True, [1, 2, 3]), (False, [0, 1, 2, 3, 4])):
        pipe = iv.Compose([iv.HorizontalFlip(p=p)], seed=0, remove_invisible_keypoints=remove)
        for _ in range(40):
            out = pipe(image=img, keypoints=kps)
            assert out["keypoint_indices"].tolist() == expected
            if not remove:
                assert out["keypoints_visible"].tolist() == [False, True, True, True, False]


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
def test_boxes_partly_outside_the_input_are_treated_the_same_every_call(p: float) -> None:
    """Boxes out by less than the input tolerance are clipped at input; one clipped to nothing, one too
    thin, and one under min_area are dropped at input, not only when a spatial step runs."""
    img = np.zeros((20, 30), np.uint8)
    boxes = [[-0.9, 0, -0.1, 5], [-0.5, 2, 10, 12], [3, 3, 3.0004, 9], [10, 10, 13, 14], [5, 5, 20, 20.6]]
    pipe = iv.Compose([iv.HorizontalFlip(p=p)], seed=0, min_area=20)
    for _ in range(40):
        out = pipe(image=img, bboxes=boxes, labels=list("abcde"))
        assert out["bbox_indices"].tolist() == [1, 4] and out["labels"] == ["b", "e"]
        widths = out["bboxes"][:, 2] - out["bboxes"][:, 0]
        np.testing.assert_allclose(widths, [10, 15], atol=1e-5)
        assert out["bboxes"][1, 3] == 20  # clipped at input


def test_boxes_far_outside_the_input_are_still_refused() -> None:
    with pytest.raises(ValueError, match="outside the image"):
        iv.Compose([iv.HorizontalFlip(p=0.0)])(image=np.zeros((20, 30), np.uint8), bboxes=[[-3, 0, 5, 5]], labels=[0])


def test_replay_applies_the_same_input_rules() -> None:
    pipe = iv.Compose([iv.HorizontalFlip(p=0.0)], remove_invisible_keypoints=False)
    img = np.zeros((20, 20), np.uint8)
    rec = pipe(image=img, return_params=True)["params"]
    out = pipe.replay(rec, image=img, keypoints=[[-1, 3], [4, 4]], bboxes=[[-0.9, 0, -0.1, 5], [1, 1, 5, 5]], labels=[0, 1])
    assert out["keypoints_visible"].tolist() == [False, True] and out["bbox_indices"].tolist() == [1]

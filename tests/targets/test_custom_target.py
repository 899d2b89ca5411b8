"""A point-like target type added from outside the library: line segments (pairs of points), registered
from this file with ``register_target``, no library file changed. It goes through pipelines of crops, flips,
rotations, a resize and a displacement field, and is checked against an independent computation: the
endpoints moved by this file's own homogeneous matrix products (each step's matrix read from the plan) or by
a brute-force inversion of the field, then clipped to each step's canvas by dense sampling along the segment.

The rule the segment type states: after every spatial step (and at input) a segment is clipped to the
canvas ``[0, W] x [0, H]``; it is dropped, with its labels, when less than ``MIN_LENGTH`` pixels remain."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import invariant as iv
from invariant.core.errors import value_error
from invariant.ops.distort import field_keypoints
from invariant.ops.geometric import apply_to_keypoints
from invariant.targets.base import PointTarget, read_labels, register_target, unregister_target

MIN_LENGTH = 1.0


def _clip(seg: np.ndarray, width: float, height: float) -> np.ndarray | None:
    """Liang-Barsky: the part of segment (x0, y0, x1, y1) inside [0, W] x [0, H], or None."""
    x0, y0, x1, y1 = seg
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x0), (dx, width - x0), (-dy, y0), (dy, height - y0)):
        if p == 0:
            if q < 0:
                return None
            continue
        r = q / p
        if p < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
    if t0 > t1:
        return None
    return np.array([x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy])


class SegmentTarget(PointTarget):
    """Line segments ``[[x0, y0, x1, y1], ...]`` in pixels (keyword ``segments``), labels ``segment_labels``."""

    per_item = ("segments",)
    default_label_fields = ("segment_labels",)

    def __init__(self, segments: np.ndarray) -> None:
        self.segments = segments

    @classmethod
    def read(cls, pipe: Any, data: dict[str, Any], shape: tuple[int, int]) -> SegmentTarget:
        try:
            arr = np.asarray(data[cls.keyword], dtype=np.float64)
        except (TypeError, ValueError):
            value_error(cls.keyword, "an (N, 4) array-like of numbers", data[cls.keyword], "pass [[x0, y0, x1, y1], ...]")
        if arr.size == 0:
            arr = np.zeros((0, 4))
        if arr.ndim != 2 or arr.shape[1] != 4 or not np.isfinite(arr).all():
            value_error(cls.keyword, "an (N, 4) array of finite [x0, y0, x1, y1]", data[cls.keyword], "pass one row per segment")
        target = cls(arr)
        target.init_items(len(arr), read_labels(data, cls.default_label_fields, len(arr), cls.keyword))
        return target

    def _endpoints(self) -> np.ndarray:
        """(2N, 4) keypoints (x, y, angle 0, scale 1) of every endpoint, to reuse the keypoint kernels."""
        pts = np.zeros((2 * len(self.segments), 4))
        pts[:, :2] = self.segments.reshape(-1, 2)
        pts[:, 3] = 1.0
        return pts

    def move_matrix(self, matrix: np.ndarray, box_mode: str) -> None:
        if len(self.segments):
            self.segments = apply_to_keypoints(matrix, self._endpoints())[:, :2].reshape(-1, 4)

    def move_field(self, field: tuple[np.ndarray, np.ndarray]) -> None:
        if len(self.segments):
            self.segments = field_keypoints(field, self._endpoints())[:, :2].reshape(-1, 4)

    def filter(self, shape: tuple[int, int], rules: Any) -> None:
        if not len(self.segments):
            return
        height, width = shape
        clipped = [_clip(s, width, height) for s in self.segments]
        keep = np.array([c is not None and np.hypot(c[2] - c[0], c[3] - c[1]) >= MIN_LENGTH for c in clipped])
        self.segments = np.array([c if c is not None else s for c, s in zip(clipped, self.segments)])
        self.keep(keep)

    def write(self, pipe: Any, shape: tuple[int, int], out: dict[str, Any]) -> None:
        out["segments"] = self.segments.astype(np.float32).reshape(-1, 4)
        self.write_bookkeeping(out, "segment_indices")


@pytest.fixture(autouse=True)
def segments_registered():
    register_target("segments", SegmentTarget)
    yield
    unregister_target("segments")


# ---- the independent reference ---------------------------------------------------------------------------------

SAMPLES = 4001  # points along a segment when clipping by sampling (spacing = length / 4000)


def _ref_clip(seg: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray | None, float]:
    """Clip by sampling: the first and last of SAMPLES evenly spaced points lying on the canvas. Returns the
    clipped segment (None when no sample is inside) and the sampling step (the error bound of the ends)."""
    height, width = shape
    t = np.linspace(0.0, 1.0, SAMPLES)
    pts = seg[:2][None, :] + t[:, None] * (seg[2:] - seg[:2])[None, :]
    inside = (pts[:, 0] >= 0) & (pts[:, 0] <= width) & (pts[:, 1] >= 0) & (pts[:, 1] <= height)
    step = float(np.hypot(*(seg[2:] - seg[:2]))) / (SAMPLES - 1)
    if not inside.any():
        return None, step
    idx = np.flatnonzero(inside)
    return np.concatenate([pts[idx[0]], pts[idx[-1]]]), step


def _ref_matrix(matrix: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Endpoints as homogeneous column vectors times the 3x3 matrix."""
    ends = np.array([[seg[0], seg[2]], [seg[1], seg[3]], [1.0, 1.0]])
    moved = matrix @ ends
    moved = moved[:2] / moved[2]
    return np.array([moved[0, 0], moved[1, 0], moved[0, 1], moved[1, 1]])


def _ref_field(fld: tuple[np.ndarray, np.ndarray], seg: np.ndarray) -> np.ndarray:
    """Forward image of each endpoint through a backward field, by brute force: the output pixel centre whose
    source position (map + 0.5, continuous coordinates) is nearest to the endpoint."""
    mx, my = fld
    sx, sy = mx.astype(np.float64) + 0.5, my.astype(np.float64) + 0.5
    out = []
    for x, y in (seg[:2], seg[2:]):
        r, c = np.unravel_index(int(np.argmin((sx - x) ** 2 + (sy - y) ** 2)), mx.shape)
        out += [c + 0.5, r + 0.5]
    return np.array(out)


def _reference(plan: Any, segments: np.ndarray, in_shape: tuple[int, int]) -> list[tuple[int, np.ndarray | None, float, bool]]:
    """(input index, expected segment or None when dropped, error bound, whether some clipped length came
    within the error bound of the drop threshold, so that either answer is right) for every input segment."""
    result = []
    for i, seg in enumerate(segments):
        tol = 1e-6
        cur, step = _ref_clip(seg.astype(np.float64), in_shape)
        tol += step
        ambiguous = False

        def short(c: np.ndarray | None) -> bool:
            nonlocal ambiguous
            if c is None:
                return False
            length = float(np.hypot(c[2] - c[0], c[3] - c[1]))
            ambiguous |= abs(length - MIN_LENGTH) <= 2 * tol
            return length < MIN_LENGTH

        if short(cur):
            cur = None
        for s in plan.steps:
            g = s.geometry
            if cur is None or g is None:
                continue
            if g.matrix is not None:
                cur = _ref_matrix(g.matrix, cur)
                tol *= float(np.abs(g.matrix[:2, :2]).sum(axis=1).max())  # the error grows with the scale
            else:
                cur = _ref_field(g.field, cur)
                tol += 1.0  # nearest output pixel centre: within ~0.7 px of the true preimage
            cur, step = _ref_clip(cur, g.out_shape)
            tol += step
            if short(cur):
                cur = None
        result.append((i, cur, tol, ambiguous))
    return result


def _check(out: dict[str, Any], expected: list[tuple[int, np.ndarray | None, float, bool]], labels: list[Any]) -> int:
    """Survivors, their positions and labels against the reference; returns how many were compared."""
    got = {int(k): (seg, lab) for k, seg, lab in zip(out["segment_indices"], out["segments"], out["segment_labels"])}
    compared = 0
    for i, ref, tol, ambiguous in expected:
        if ambiguous:
            continue  # within the error bound of the drop threshold: either answer is right
        if ref is None:
            assert i not in got, f"segment {i} should have been dropped, got {got.get(i)}"
            compared += 1
            continue
        assert i in got, f"segment {i} should survive as {ref}"
        seg, lab = got[i]
        np.testing.assert_allclose(seg, ref, atol=tol + 1e-3)  # + float32 output rounding
        assert lab == labels[i]
        compared += 1
    assert out["segments"].dtype == np.float32 and out["segments"].shape == (len(got), 4)
    return compared


def _segments(rng: np.random.Generator, n: int, h: int, w: int, margin: float = -10.0) -> np.ndarray:
    """Random segments; a negative margin lets some start off the canvas (clipped or dropped at input)."""
    x = rng.uniform(margin, w - margin, (n, 2))
    y = rng.uniform(margin, h - margin, (n, 2))
    return np.stack([x[:, 0], y[:, 0], x[:, 1], y[:, 1]], axis=1)


@pytest.mark.parametrize("seed", range(12))
def test_segments_follow_crops_flips_rotations_and_resizes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(40, 90)), int(rng.integers(40, 90))
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    segments = _segments(rng, 25, h, w)
    labels = [f"s{i}" for i in range(len(segments))]
    pipe = iv.Compose(
        [
            iv.RandomCrop((h - 7, w - 5)),
            iv.HorizontalFlip(p=0.5),
            iv.Rotate(40, p=1.0),
            iv.VerticalFlip(p=0.5),
            iv.Affine(scale=(0.7, 1.4), rotate=(-20, 20), translate_px=(-6, 6), p=1.0),
            iv.Resize(33, 47),
        ],
        seed=seed,
    )
    plan = pipe.plan(image=image, segments=segments, segment_labels=labels, rng=np.random.default_rng(seed))
    out = pipe.execute(plan)
    assert out["image"].shape == (33, 47, 3)
    expected = _reference(plan, segments, (h, w))
    assert _check(out, expected, labels) >= 20
    # the same call without the plan record gives the same answer
    again = pipe(image=image, segments=segments, segment_labels=labels, rng=np.random.default_rng(seed))
    np.testing.assert_array_equal(again["segments"], out["segments"])
    np.testing.assert_array_equal(again["segment_indices"], out["segment_indices"])


def test_some_segments_are_dropped_and_some_kept_over_seeds() -> None:
    """Across the seeds of the test above, the drop rule fires and survivors remain (no vacuous check)."""
    kept = dropped = 0
    for seed in range(12):
        rng = np.random.default_rng(seed)
        h, w = int(rng.integers(40, 90)), int(rng.integers(40, 90))
        segments = _segments(rng, 25, h, w)
        pipe = iv.Compose([iv.RandomCrop((h // 2, w // 2)), iv.Rotate(40, p=1.0)], seed=seed)
        out = pipe(image=np.zeros((h, w, 3), np.uint8), segments=segments)
        kept += len(out["segments"])
        dropped += len(segments) - len(out["segments"])
    assert kept > 50 and dropped > 50


@pytest.mark.parametrize("seed", range(4))
def test_segments_follow_a_displacement_field(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    h, w = 64, 72
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    segments = _segments(rng, 15, h, w, margin=12.0)  # away from the border: the field moves every endpoint
    labels = list(range(len(segments)))
    pipe = iv.Compose(
        [
            iv.GridDistortion(num_steps=4, distort_limit=0.2, p=1.0),
            iv.HorizontalFlip(p=1.0),
            iv.RandomCrop((50, 60)),
            iv.Rotate(15, p=1.0),
        ],
        seed=seed,
    )
    plan = pipe.plan(image=image, segments=segments, segment_labels=labels, rng=np.random.default_rng(seed))
    assert plan.steps[0].geometry.field is not None and plan.steps[0].geometry.matrix is None
    out = pipe.execute(plan)
    expected = _reference(plan, segments, (h, w))
    assert _check(out, expected, labels) >= 10


def test_segments_with_boxes_and_keypoints_keep_every_target() -> None:
    """The new type runs alongside the built-in ones through the same loop; theirs stay as without it."""
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    boxes, kps = [[4, 5, 30, 40], [40, 2, 60, 20]], [[10, 10], [50, 30]]
    pipe = iv.Compose([iv.HorizontalFlip(p=1.0), iv.RandomCrop((40, 50))], seed=0)
    base = pipe(image=image, bboxes=boxes, labels=[1, 2], keypoints=kps, rng=np.random.default_rng(1))
    both = pipe(image=image, bboxes=boxes, labels=[1, 2], keypoints=kps, segments=[[1, 1, 20, 30]], rng=np.random.default_rng(1))
    for key in ("bboxes", "labels", "bbox_indices", "keypoints", "keypoint_indices"):
        np.testing.assert_array_equal(np.asarray(both[key]), np.asarray(base[key]))
    np.testing.assert_array_equal(both["image"], base["image"])
    assert "segments" not in base and list(both["segment_indices"]) == [0]


def test_bad_segments_and_orphan_labels_are_refused_naming_the_keyword() -> None:
    pipe = iv.Compose([iv.HorizontalFlip(p=1.0)])
    image = np.zeros((16, 16, 3), np.uint8)
    with pytest.raises(ValueError, match="segments"):
        pipe(image=image, segments=[[0, 0, 1]])
    with pytest.raises(ValueError, match="segments"):
        pipe(image=image, segment_labels=[1])
    with pytest.raises(ValueError, match="segment_labels"):
        pipe(image=image, segments=[[0, 0, 5, 5]], segment_labels=[1, 2])


def test_unregistered_keyword_is_refused_again() -> None:
    unregister_target("segments")
    try:
        with pytest.raises(TypeError, match="segments"):
            iv.Compose([iv.HorizontalFlip(p=1.0)])(image=np.zeros((8, 8, 3), np.uint8), segments=[[0, 0, 5, 5]])
    finally:
        register_target("segments", SegmentTarget)

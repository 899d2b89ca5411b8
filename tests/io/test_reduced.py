"""Reduced-size decoding gives the full-decode result up to interpolation, with the same random draws.

References are computed independently of the library's warp: the crop recorded for the call is cut
from OpenCV's full-size decode and resized with ``cv2.resize`` (INTER_AREA, the antialiased
reference, and INTER_LINEAR, what a plain full-size pipeline does)."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

import invariant as iv
from invariant.io import decode, decode_augment, plan_scale, read_header


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / max(mse, 1e-12))


def _full(data: bytes) -> np.ndarray:
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def test_random_resized_crop_matches_full_decode(jpegs):
    pipe = iv.Compose([iv.RandomResizedCrop(224)])
    scales_seen = set()
    for name, data in jpegs.items():
        full = _full(data)
        red_vs_area, lin_vs_area = [], []
        for seed in range(12):
            out = decode_augment(data, pipe, rng=np.random.default_rng(seed), return_params=True)
            reference = pipe(image=full, rng=np.random.default_rng(seed), return_params=True)
            assert out["params"] == reference["params"], name  # same draws as a full-size call
            scales_seen.add(out["decode_scale"])
            p = out["params"][0]["params"]
            crop = full[p["y"] : p["y"] + p["h"], p["x"] : p["x"] + p["w"]]
            area = cv2.resize(crop, (224, 224), interpolation=cv2.INTER_AREA)
            linear = cv2.resize(crop, (224, 224), interpolation=cv2.INTER_LINEAR)
            assert out["image"].shape == (224, 224, 3) and out["image"].dtype == np.uint8
            if out["decode_scale"] == 1:
                continue
            assert min(p["w"], p["h"]) / out["decode_scale"] >= 224 - 1e-9  # crop kept at >= target resolution
            red_vs_area.append(psnr(out["image"], area))
            lin_vs_area.append(psnr(linear, area))
            assert red_vs_area[-1] > 30.0, (name, seed, out["decode_scale"], red_vs_area[-1])
            assert np.abs(out["image"].astype(int) - area).mean() < 6.0, (name, seed)
        if red_vs_area:  # at least as close to the antialiased reference as full decode + bilinear
            assert np.median(red_vs_area) >= np.median(lin_vs_area) - 0.5, name
    assert {2, 4, 8} <= scales_seen


def test_misplaced_crop_would_be_caught(jpegs):
    """Sensitivity check for the tolerance above: the same crop shifted by one reduced-scale block
    (4 px at 1/4) falls well below it, so a wrong coordinate mapping cannot pass."""
    data = jpegs["astronaut_2000"]
    full = _full(data)
    pipe = iv.Compose([iv.RandomResizedCrop(224, scale=(0.3, 0.3), ratio=(1, 1))])
    out = decode_augment(data, pipe, rng=np.random.default_rng(0), return_params=True)
    p = out["params"][0]["params"]
    assert out["decode_scale"] == 4
    right = cv2.resize(full[p["y"] : p["y"] + p["h"], p["x"] : p["x"] + p["w"]], (224, 224), interpolation=cv2.INTER_AREA)
    shifted = cv2.resize(full[p["y"] + 4 : p["y"] + p["h"] + 4, p["x"] + 4 : p["x"] + p["w"] + 4], (224, 224), interpolation=cv2.INTER_AREA)
    assert psnr(out["image"], right) > 35.0
    assert psnr(out["image"], shifted) < psnr(out["image"], right) - 5.0


@pytest.mark.parametrize("orientation", [3, 6, 7])
def test_exif_orientation_with_odd_sizes(orientation):
    from skimage import data as skdata

    rgb = cv2.resize(skdata.coffee(), (1499, 1001), interpolation=cv2.INTER_CUBIC)
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(rgb).save(buf, "JPEG", quality=92, exif=exif)
    data = buf.getvalue()
    full = decode(data)  # displayed orientation, checked against Pillow in test_decode
    pipe = iv.Compose([iv.RandomResizedCrop(160, scale=(0.2, 0.6)), iv.HorizontalFlip(p=0.5)])
    for seed in range(6):
        out = decode_augment(data, pipe, rng=np.random.default_rng(seed), return_params=True)
        ref = pipe(image=full, rng=np.random.default_rng(seed))["image"]
        assert out["decode_scale"] > 1
        assert psnr(out["image"], ref) > 30.0, (orientation, seed, psnr(out["image"], ref))


def test_boxes_follow_full_size_geometry(jpegs):
    data = jpegs["retina_1411"]
    full = _full(data)
    pipe = iv.Compose([iv.RandomResizedCrop(224, scale=(0.5, 1.0)), iv.HorizontalFlip()], min_visibility=0.1)
    boxes = [[300, 300, 900, 800], [100, 1000, 400, 1300]]
    for seed in range(5):
        out = decode_augment(data, pipe, rng=np.random.default_rng(seed), bboxes=boxes, labels=[1, 2], return_params=True)
        ref = pipe(image=full, rng=np.random.default_rng(seed), bboxes=boxes, labels=[1, 2])
        np.testing.assert_allclose(out["bboxes"], ref["bboxes"], atol=1e-4)
        assert list(out["labels"]) == list(ref["labels"])
        assert out["decode_scale"] > 1


def test_plan_scale_rules(jpegs):
    data = jpegs["astronaut_2000"]
    header = read_header(data)

    def scale_of(pipe: iv.Compose) -> int:
        out = decode_augment(data, pipe, rng=np.random.default_rng(0), return_params=True)
        return out["decode_scale"]

    assert scale_of(iv.Compose([iv.Resize(224, 224)])) == 8  # 2000 -> 224: 8 * 224 / 2000 <= 1
    assert scale_of(iv.Compose([iv.Resize(500, 500)])) == 4
    assert scale_of(iv.Compose([iv.Resize(1200, 1200)])) == 1
    assert scale_of(iv.Compose([iv.CenterCrop(224)])) == 1  # a pure crop keeps every pixel it decodes
    assert scale_of(iv.Compose([iv.HorizontalFlip(p=1), iv.Resize(224, 224)])) == 8  # flips do not decide
    # a later upscale decides: 2000 -> 1000 overall keeps 1/2, not the 1/8 the first step alone allows
    assert scale_of(iv.Compose([iv.Resize(224, 224), iv.Resize(1000, 1000)])) == 2
    assert scale_of(iv.Compose([iv.Normalize(), iv.Resize(224, 224)])) == 1  # first step is not spatial
    assert scale_of(iv.Compose([iv.Resize(224, 224)], fuse=False)) == 8
    assert plan_scale([], header) == 1
    out = decode_augment(data, iv.Compose([iv.Resize(224, 224)]), reduce=False, return_params=True)
    assert out["decode_scale"] == 1


def test_mask_keeps_full_decode(jpegs):
    data = jpegs["hubble_872x1000"]
    full = _full(data)
    mask = (full[:, :, 0] > 128).astype(np.uint8)
    pipe = iv.Compose([iv.Resize(100, 100)])
    out = decode_augment(data, pipe, rng=np.random.default_rng(0), mask=mask, return_params=True)
    assert out["decode_scale"] == 1
    assert np.array_equal(out["image"], pipe(image=full, mask=mask)["image"])

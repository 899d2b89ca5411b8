"""Normalize against the float64 formula for every dtype and channel count, and its place in table runs."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

import invariant as iv

PHOTO = np.ascontiguousarray(cv2.resize(data.astronaut(), (96, 80), interpolation=cv2.INTER_AREA))
MAX = {np.uint8: 255.0, np.uint16: 65535.0, np.float32: 1.0}


def _image(channels: int, dtype: type) -> np.ndarray:
    base = np.ascontiguousarray(np.dstack([PHOTO, PHOTO[::-1]])[:, :, :channels])
    if dtype is np.uint8:
        return base
    if dtype is np.uint16:
        return base.astype(np.uint16) * 257
    return (base / 255.0).astype(np.float32)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("channels", [1, 2, 3, 4, 6])
def test_matches_the_float64_formula(channels: int, dtype: type) -> None:
    image = _image(channels, dtype)
    mean, std = np.linspace(0.3, 0.6, channels), np.linspace(0.2, 0.3, channels)
    out = iv.Normalize(mean=tuple(mean), std=tuple(std))(image=image)["image"]
    expected = (image.astype(np.float64) / MAX[dtype] - mean) / std
    assert out.dtype == np.float32 and out.shape == image.shape and out.flags.c_contiguous
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)  # float32 rounding of |values| < 4


def test_shared_statistics_and_max_pixel_value() -> None:
    out = iv.Normalize(mean=0.5, std=0.25, max_pixel_value=100.0)(image=PHOTO)["image"]
    np.testing.assert_allclose(out, (PHOTO / 100.0 - 0.5) / 0.25, rtol=1e-6, atol=1e-6)


def test_non_contiguous_input() -> None:
    view = PHOTO[:, ::-1]
    out = iv.Normalize()(image=view)["image"]
    expected = (view / 255.0 - np.array(iv.transforms.normalize.IMAGENET_MEAN)) / np.array(iv.transforms.normalize.IMAGENET_STD)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("channels", [1, 3])
def test_runs_ending_in_normalize_equal_op_by_op_exactly(channels: int) -> None:
    # 1 channel: Normalize's float table ends the fused run; 3 channels: the run stops before it and
    # Normalize runs its own kernel on the run's uint8 output. Both must equal the unfused pipeline.
    image = np.ascontiguousarray(PHOTO[:, :, :channels])
    steps = [iv.RandomBrightnessContrast(0.3, 0.3, p=1), iv.RandomGamma(p=1), iv.Normalize(mean=0.4, std=0.2)]
    for seed in range(6):
        a = iv.Compose(steps, seed=seed)(image=image)["image"]
        b = iv.Compose(steps, seed=seed, fuse=False)(image=image)["image"]
        assert np.array_equal(a, b)


def test_table_only_for_one_channel() -> None:
    n = iv.Normalize(mean=0.5, std=0.25)
    table = n.lookup_table({}, np.dtype(np.uint8), 1)
    assert table is not None and table.dtype == np.float32
    np.testing.assert_allclose(table.ravel(), (np.arange(256) / 255.0 - 0.5) / 0.25, rtol=1e-6)
    assert n.lookup_table({}, np.dtype(np.uint8), 3) is None

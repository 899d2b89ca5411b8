"""Images with more channels than OpenCV holds in one array (CV_CN_MAX: 128 in OpenCV 5, 512 in OpenCV 4), such
as (H, W, 200) hyperspectral cubes, which ``Compose`` accepts (``layout``): every transform that takes any channel
count runs on them, and the kernels that run OpenCV in channel chunks (``ops.geometric.channel_chunks``) give
each band what OpenCV's own call gives a few-band image (cv2 raised 'invalid count (200, must be in [1, 128])')."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import invariant as iv
from invariant.core.compose import Container
from invariant.core.transform import REGISTRY, library_transforms
from invariant.ops import blur_noise as B
from invariant.ops import color as C
from invariant.ops import optics as O
from invariant.ops import weather as W
from invariant.ops.geometric import CV_MAX_CHANNELS

from .conftest import call_with_sources

BANDS = 200


def _cube(dtype: str, bands: int = BANDS) -> np.ndarray:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:24, 0:32]
    smooth = (np.sin(xx / 5.0)[:, :, None] * np.cos(yy[:, :, None] / 7.0 + np.arange(bands) / 9.0) + 1) / 2
    cube = np.clip(smooth + rng.normal(0, 0.05, smooth.shape), 0, 1)
    if dtype == "float32":
        return cube.astype(np.float32)
    top = 255 if dtype == "uint8" else 65535
    return np.rint(cube * top).astype(dtype)


def test_the_probed_limit_is_opencvs() -> None:
    import cv2

    cv2.merge([np.zeros((1, 1), np.uint8)] * CV_MAX_CHANNELS)
    with pytest.raises(cv2.error):
        cv2.merge([np.zeros((1, 1), np.uint8)] * (CV_MAX_CHANNELS + 1))


def cases():
    for name in sorted(n for n, cls in library_transforms().items() if not issubclass(cls, Container)):
        cls = REGISTRY[name]
        if cls.channels is not None or cls.terminal:
            continue
        for dtype in cls.dtypes:
            yield pytest.param(name, dtype, id=f"{name}-{dtype}")


@pytest.mark.parametrize("name,dtype", list(cases()))
def test_every_any_channel_transform_takes_a_hyperspectral_cube(name: str, dtype: str) -> None:
    cls = REGISTRY[name]
    kwargs = dict(cls.example_args)
    if "p" in inspect.signature(cls.__init__).parameters:
        kwargs["p"] = 1.0
    cube = _cube(dtype)
    out = call_with_sources(iv.Compose([cls(**kwargs)], seed=0, layout="HWC"), image=cube)["image"]
    assert out.ndim == 3 and out.shape[2] == BANDS and out.dtype == cls(**kwargs).output_dtype(cube.dtype)
    assert np.isfinite(out).all()


CHUNKED = {
    "gaussian_blur": lambda x: B.gaussian_blur(x, 7, 1.5),
    "filter2d": lambda x: B.filter2d(x, np.full((3, 5), 1 / 15, np.float32)),
    "unsharp_mask": lambda x: B.unsharp_mask(x, 5, 1.0, 0.6, 0.05),
    "unsharp_mask_hard": lambda x: B.unsharp_mask_hard(x, 5, 1.0, 0.6, 0.05),
    "sharpness": lambda x: C.sharpness(x, 1.7),
    "zoom_blur": lambda x: O.zoom_blur(x, [1.0, 1.05, 1.1]),
    "fog": lambda x: W.fog(x, 0.5, 0.3, [(10, 8), (25, 15)], [6, 4]),
    "apply_table": lambda x: C.apply_table(x, np.stack([np.roll(np.arange(256), k) for k in range(x.shape[2])], axis=1).astype(np.uint8)),
}


@pytest.mark.parametrize("kernel,dtype", [(k, d) for k in sorted(CHUNKED) for d in ("uint8", "float32") if k != "apply_table" or d == "uint8"])
def test_chunked_kernels_give_every_band_what_opencv_gives_it(kernel: str, dtype: str) -> None:
    cube = _cube(dtype)
    out = CHUNKED[kernel](cube)
    assert out.shape == cube.shape and out.dtype == cube.dtype
    for start in (0, CV_MAX_CHANNELS - 2, BANDS - 5):  # a 5-band image: OpenCV's own call, no chunking
        few = np.ascontiguousarray(cube[:, :, start : start + 5])
        if kernel == "apply_table":  # the tables of those bands
            table = np.stack([np.roll(np.arange(256), k) for k in range(start, start + 5)], axis=1).astype(np.uint8)
            want = C.apply_table(few, table)
        else:
            want = CHUNKED[kernel](few)
        # float32: OpenCV's SIMD paths differ by the channel count in the last bit (resize), nothing more
        np.testing.assert_allclose(out[:, :, start : start + 5], want, rtol=0, atol=0 if dtype == "uint8" else 3e-7, err_msg=f"bands {start}..{start + 4}")


def test_histogram_statistics_of_a_cube_count_every_band() -> None:
    cube = _cube("uint8")
    hist = C.ImageStats(cube).hist()
    want = np.stack([np.bincount(cube[:, :, k].ravel(), minlength=256) for k in range(BANDS)], axis=1)
    np.testing.assert_array_equal(hist, want)

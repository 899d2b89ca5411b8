"""``ops.optics.convolve`` on uint8 images filtered as float32: the float sums are rounded half to even and
saturated exactly as ``to_dtype`` does, whichever conversion runs (one OpenCV pass for kernels without
negative taps, round-clip-cast otherwise), and negative sums become 0, never their absolute value."""

from __future__ import annotations

import cv2
import numpy as np

from invariant.ops import optics as O
from invariant.ops.color import to_dtype

from ..conftest import photo


def _float_reference(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    out = cv2.filter2D(image.astype(np.float32), -1, kernel, borderType=cv2.BORDER_REFLECT_101)
    return to_dtype(out if out.ndim == 3 else out[:, :, None], np.uint8)


def test_non_negative_kernels_round_like_to_dtype() -> None:
    rng = np.random.default_rng(0)
    for channels in (1, 3, 4, 6):
        image = photo("uint8", channels)
        for size in ((5, 5), (7, 7), (9, 11), (3, 9)):
            kernel = rng.random(size).astype(np.float32) ** 3
            kernel /= kernel.sum()
            np.testing.assert_array_equal(O.convolve(image, kernel), _float_reference(image, kernel))


def test_negative_sums_saturate_to_zero() -> None:
    image = photo("uint8", 3)
    kernel = -np.ones((5, 5), np.float32) / 25  # every sum <= 0
    kernel[2, 2] += 0.5
    out = O.convolve(image, kernel)
    np.testing.assert_array_equal(out, _float_reference(image, kernel))
    assert (out == 0).mean() > 0.5  # an absolute value would have kept them

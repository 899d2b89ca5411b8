"""Instance masks given as a list come back as a list of C-contiguous (H, W) arrays equal to the planes of
the stacked result, whatever the count and dtype (cv2.split for what OpenCV takes, numpy otherwise)."""

from __future__ import annotations

import numpy as np
import pytest

import invariant as iv
from invariant.core.call import _mask_list


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int32", "float32", "bool", "int64"])
@pytest.mark.parametrize("n", [1, 2, 5, 513])
def test_mask_list_equals_numpy_planes(dtype: str, n: int) -> None:
    rng = np.random.default_rng(n)
    stacked = (rng.random((6, 7, n)) * 3).astype(dtype)
    got = _mask_list(stacked)
    assert len(got) == n
    for k, m in enumerate(got):
        assert m.shape == (6, 7) and m.dtype == stacked.dtype and m.flags.c_contiguous
        np.testing.assert_array_equal(m, stacked[:, :, k])
    got[0][...] = 0  # a copy: writing into one mask changes neither the stack nor the others
    if n > 1:
        np.testing.assert_array_equal(got[1], stacked[:, :, 1])
    np.testing.assert_array_equal(_mask_list(stacked)[0], stacked[:, :, 0])


def test_masks_list_through_a_flip_matches_flipped_inputs() -> None:
    rng = np.random.default_rng(0)
    masks = [(rng.random((20, 30)) > 0.5).astype(np.uint8) for _ in range(7)]
    out = iv.Compose([iv.HorizontalFlip(p=1.0)])(image=np.zeros((20, 30, 3), np.uint8), masks=masks)
    assert isinstance(out["masks"], list) and len(out["masks"]) == 7
    for got, m in zip(out["masks"], masks):
        np.testing.assert_array_equal(got, m[:, ::-1])

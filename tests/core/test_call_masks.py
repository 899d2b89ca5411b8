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


def test_mismatched_instance_masks_are_named_as_the_caller_passed_them() -> None:
    """An (H, W, N) stack passed as ``masks`` is read as (N, H, W) and refused; the error describes the
    instance masks (count and size) rather than the internal plane holder."""
    image = np.zeros((48, 64, 3), np.uint8)
    pipe = iv.Compose([iv.HorizontalFlip(p=1)])
    with pytest.raises(ValueError, match=r"masks: expected height and width \(48, 64\) .*got 48 instance masks of height and width \(64, 3\)") as err:
        pipe(image=image, masks=np.zeros((48, 64, 3), np.uint8))
    assert "Planes" not in str(err.value)
    with pytest.raises(ValueError, match=r"got 2 instance masks of height and width \(40, 64\)"):
        pipe(image=image, masks=[np.zeros((40, 64), np.uint8)] * 2)


def test_a_mask_of_another_dtype_is_named_with_both_dtypes() -> None:
    """Same size, other dtype: the message said 'the shape and dtype of masks[0] (20, 30)', naming no dtype."""
    masks = [np.zeros((20, 30), np.uint8), np.zeros((20, 30), bool)]
    with pytest.raises(ValueError, match=r"masks\[1\]: expected the shape and dtype of masks\[0\], \(20, 30\) and uint8, got .*dtype bool"):
        iv.Compose([iv.HorizontalFlip(p=1)])(image=np.zeros((20, 30, 3), np.uint8), masks=masks)

"""Instance masks given as a list come back as a list of C-contiguous (H, W) arrays equal to the planes of
the stacked result, whatever the count and dtype (cv2.split for what OpenCV takes, numpy otherwise)."""

from __future__ import annotations

import numpy as np
import pytest

import invariant as iv
from invariant.core.call import _mask_list


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int32", "float32", "bool", "int64"])
@pytest.mark.parametrize("n", [1, 2, 5, 129, 200, 513])  # 129, 200: past OpenCV 5's 128-channel limit, under 4's 512
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


@pytest.mark.parametrize("n", [3, 129, 200])
def test_many_instance_planes_stack_as_numpy_does(n: int) -> None:
    """Planes.stack merges with OpenCV only up to its channel limit (CV_CN_MAX: 128 in OpenCV 5, not 512)."""
    from invariant.core.sample import Planes

    rng = np.random.default_rng(n)
    planes = [(rng.random((6, 7)) > 0.5).astype(np.uint8) for _ in range(n)]
    np.testing.assert_array_equal(Planes(planes, 6, 7, np.uint8).stack(), np.stack(planes, axis=2))


def test_a_mosaic_of_more_instances_than_opencv_holds_in_one_array() -> None:
    """4 tiles of 40 instance masks: 160 channels, past OpenCV 5's 128 (cv2.merge raised). The uint8 result
    equals the int64 one, which numpy concatenates."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (32, 40, 3), dtype=np.uint8)
    boxes = np.array([[x, y, x + 6, y + 5] for x, y in zip(rng.integers(0, 33, 40), rng.integers(0, 26, 40))], np.float64)
    masks = []
    for x0, y0, x1, y1 in boxes.astype(int):
        m = np.zeros((32, 40), np.uint8)
        m[y0:y1, x0:x1] = 1
        masks.append(m)
    outs = []
    for dtype in (np.uint8, np.int64):
        sample = dict(image=image, bboxes=boxes, labels=list(range(40)), masks=[m.astype(dtype) for m in masks])
        pipe = iv.Compose([iv.Mosaic(target_size=48)], seed=0, bind_instances=True)
        outs.append(pipe(**sample, sources=[sample] * 3))
    assert len(outs[0]["masks"]) == len(outs[0]["bboxes"]) > 0
    for a, b in zip(outs[0]["masks"], outs[1]["masks"]):
        np.testing.assert_array_equal(a, b.astype(np.uint8))


def test_a_mask_of_another_size_is_described_as_the_caller_gave_it() -> None:
    """Regression: a 2-D mask of the wrong size was described by its internal (H, W, 1) view, a shape the caller never passed."""
    image = np.zeros((48, 64, 3), np.uint8)
    with pytest.raises(ValueError) as err:
        iv.Compose([iv.HorizontalFlip()])(image=image, mask=np.zeros((49, 64), np.uint8))
    assert "got ndarray of shape (49, 64) and dtype uint8" in str(err.value)

"""Settings that cannot yet be honoured beside multi-sample transforms are refused, never silently wrong
(found in review: boxes took another sample's polygon extent, swapped keypoints took another sample's
labels, CopyPaste dropped every pasted instance when polygons were bound), ``sources=`` is refused where
nothing takes it, and an error in an extra sample names it."""

from __future__ import annotations

import numpy as np
import pytest

import invariant as iv

IMG = np.zeros((32, 32, 3), np.uint8)


def test_polygon_boxes_and_keypoint_swap_are_refused_beside_multi_sample() -> None:
    with pytest.raises(ValueError, match="bbox_from.*Mosaic"):
        iv.Compose([iv.Mosaic(target_size=(32, 32))], bbox_from="polygon")
    with pytest.raises(ValueError, match="keypoint_swap.*CopyPaste"):
        iv.Compose([iv.CopyPaste(), iv.HorizontalFlip()], keypoint_swap=[(0, 1)])
    iv.Compose([iv.Mosaic(target_size=(32, 32))], bbox_from="mask")  # supported
    iv.Compose([iv.HorizontalFlip()], keypoint_swap=[(0, 1)], bbox_from="polygon")  # no multi-sample step: fine


def test_sources_without_a_multi_sample_transform_are_refused() -> None:
    pipe = iv.Compose([iv.HorizontalFlip(p=1.0)])
    with pytest.raises(ValueError, match=r"sources: expected extra samples only for a pipeline with a multi-sample"):
        pipe(image=IMG, sources=[{"image": IMG}])
    assert pipe(image=IMG, sources=None)["image"].shape == IMG.shape  # None means no extra samples


def test_an_error_in_an_extra_sample_names_it() -> None:
    pipe = iv.Compose([iv.Mosaic(target_size=(32, 32), grid=(1, 2), p=1.0)])
    with pytest.raises(ValueError, match=r"^sources\[0\]: image: expected"):
        pipe(image=IMG, sources=[{"image": IMG.astype(np.int32)}])


def test_copy_paste_refuses_polygons() -> None:
    mask = np.zeros((32, 32), np.uint8)
    mask[4:12, 4:12] = 1
    call = {"image": IMG, "bboxes": [[4, 4, 12, 12]], "labels": [0], "masks": [mask], "polygons": [[np.array([[4.0, 4], [12, 4], [12, 12], [4, 12]])]]}
    pipe = iv.Compose([iv.CopyPaste(p=1.0)], bbox_format="pascal_voc", bind_instances=True)
    with pytest.raises(ValueError, match="polygons: expected no polygons in a call with CopyPaste"):
        pipe(**call, sources=[dict(call)])


def test_source_masks_of_another_dtype_are_refused_by_dtype() -> None:
    """A source whose instance masks differ in dtype is refused with both dtypes named (not the internal holder)."""
    image = np.zeros((48, 64, 3), np.uint8)
    source = {"image": image, "masks": [np.ones((48, 64), np.uint16)], "bboxes": [[0, 0, 10, 10]], "labels": [0]}
    pipe = iv.Compose([iv.CopyPaste(p=1)])
    with pytest.raises(ValueError, match=r"sources\[0\]\['masks'\]: expected instance masks of dtype uint8, got instance masks of dtype uint16\."):
        pipe(image=image, masks=[np.ones((48, 64), np.uint8)], bboxes=[[0, 0, 10, 10]], labels=[0], sources=[source])

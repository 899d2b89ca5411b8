"""Box formats: conversion against hand-written formulas, round trips, and input checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import invariant as iv
from invariant.targets.bboxes import BBOX_FORMATS, convert_bboxes_from, convert_bboxes_to

H, W = 48, 64
VOC = np.array([[4.0, 6.0, 30.0, 40.0], [10.0, 0.0, 64.0, 48.0]])
# the same boxes written by hand in each format
BY_FORMAT = {
    "pascal_voc": VOC,
    "coco": np.array([[4, 6, 26, 34], [10, 0, 54, 48]], float),
    "yolo": np.array([[17 / 64, 23 / 48, 26 / 64, 34 / 48], [37 / 64, 24 / 48, 54 / 64, 48 / 48]]),
    "normalized": np.array([[4 / 64, 6 / 48, 30 / 64, 40 / 48], [10 / 64, 0, 1, 1]]),
}


@pytest.mark.parametrize("fmt", BBOX_FORMATS)
def test_conversion_matches_hand_formulas(fmt):
    np.testing.assert_allclose(convert_bboxes_to(BY_FORMAT[fmt], fmt, H, W), VOC)
    np.testing.assert_allclose(convert_bboxes_from(VOC, fmt, H, W), BY_FORMAT[fmt])


@pytest.mark.parametrize("fmt", BBOX_FORMATS)
def test_identity_pipeline_returns_boxes_unchanged(fmt):
    image = np.zeros((H, W, 3), np.uint8)
    out = iv.Compose([], bbox_format=fmt)(image=image, bboxes=BY_FORMAT[fmt], labels=[1, 2])
    np.testing.assert_allclose(out["bboxes"], BY_FORMAT[fmt], atol=1e-5)
    assert out["labels"] == [1, 2]
    np.testing.assert_array_equal(out["bbox_indices"], [0, 1])


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0, 60), st.floats(0, 44), st.floats(1, 60), st.floats(1, 44),
    st.sampled_from(BBOX_FORMATS),
)
def test_round_trip_property(x, y, w, h, fmt):
    box = np.array([[x, y, min(x + w, W), min(y + h, H)]])
    if box[0, 2] <= box[0, 0] or box[0, 3] <= box[0, 1]:
        return
    there = convert_bboxes_from(box, fmt, H, W)
    np.testing.assert_allclose(convert_bboxes_to(there, fmt, H, W), box, atol=1e-9)


def test_yolo_rounding_noise_is_clipped_not_fatal():
    image = np.zeros((H, W, 3), np.uint8)
    # a full-image yolo box whose float sum overshoots 1 slightly
    out = iv.Compose([], bbox_format="yolo")(image=image, bboxes=[[0.5, 0.5, 1.0000004, 1.0000004]], labels=[0])
    assert out["bboxes"][0, 2] <= 1.0 and out["bboxes"][0, 3] <= 1.0


@pytest.mark.parametrize(
    "boxes,fmt,match",
    [
        ([[10, 10, 5, 20]], "pascal_voc", "x_max > x_min"),
        ([[10, 10, 10, 20]], "pascal_voc", "x_max > x_min"),
        ([[0, 0, np.nan, 4]], "pascal_voc", "NaN"),
        ([[0, 0, np.inf, 4]], "pascal_voc", "NaN or inf"),
        ([[0, 0, 100, 20]], "pascal_voc", "outside the image"),
        ([[0.5, 0.5, 2.0, 0.2]], "yolo", "outside the image"),
        ([[1, 2, 3]], "pascal_voc", r"\(N, 4\)"),
    ],
)
def test_bad_boxes_raise_clear_errors(boxes, fmt, match):
    image = np.zeros((H, W, 3), np.uint8)
    with pytest.raises(ValueError, match=match) as info:
        iv.Compose([], bbox_format=fmt)(image=image, bboxes=boxes)
    assert "bboxes" in str(info.value) and "Fix:" in str(info.value)


def test_unknown_format_is_rejected():
    with pytest.raises(ValueError, match="bbox_format"):
        iv.Compose([], bbox_format="xywh")


def test_extra_label_fields_travel_with_boxes():
    image = np.zeros((100, 100, 3), np.uint8)
    pipe = iv.Compose([iv.CenterCrop(50)], label_fields=("labels", "ids"))
    out = pipe(image=image, bboxes=[[0, 0, 10, 10], [30, 30, 60, 60]], labels=["far", "near"], ids=np.array([7, 9]))
    assert out["labels"] == ["near"]
    np.testing.assert_array_equal(out["ids"], [9])
    np.testing.assert_array_equal(out["bbox_indices"], [1])
    np.testing.assert_allclose(out["bboxes"], [[5, 5, 35, 35]])

"""Reading point targets (targets/base.py): label fields and the fix an item array of the wrong shape names."""

from __future__ import annotations

import numpy as np
import pytest

import invariant as iv

IMAGE = np.zeros((32, 40, 3), np.uint8)
FLIP = iv.Compose([iv.HorizontalFlip(p=1)])


@pytest.mark.parametrize(
    "keyword, targets, value",
    [
        ("labels", {"bboxes": [[1, 2, 10, 12], [3, 4, 5, 6]]}, "ab"),  # two boxes, two characters: was read as ['a', 'b']
        ("labels", {"bboxes": [[1, 2, 10, 12]]}, "cat"),
        ("labels", {"bboxes": [[1, 2, 10, 12]]}, 5),  # was: TypeError 'int' object is not iterable
        ("labels", {"bboxes": [[1, 2, 10, 12]]}, np.array(5)),  # was: TypeError len() of unsized object
        ("labels", {"bboxes": [[1, 2, 10, 12]]}, {"a": 1}),  # was read as its keys
        ("keypoint_labels", {"keypoints": [[1, 2]]}, "a"),
        ("oriented_labels", {"oriented_bboxes": [[10, 10, 4, 2, 30]]}, "x"),
        ("polygon_labels", {"polygons": [[[1, 1, 9, 1, 9, 9]]]}, "p"),
    ],
)
def test_a_label_field_that_is_not_one_value_per_item_is_refused(keyword: str, targets: dict, value) -> None:
    """Regression: a string label field was split into characters (silently accepted when their count matched),
    an int or 0-d array ended in Python's own TypeError, and a dict was read as its keys."""
    with pytest.raises(TypeError) as err:
        FLIP(image=IMAGE, **targets, **{keyword: value})
    text = str(err.value)
    assert text.startswith(f"{keyword}: expected one value per ") and "(a list, tuple or array)" in text and f"Fix: pass {keyword}=[...]" in text


def test_label_fields_as_sequences_and_arrays_still_travel_with_their_items() -> None:
    boxes = [[1, 2, 10, 12], [3, 4, 5, 6]]
    for labels, expected in ((("a", "b"), ["a", "b"]), (["cat", "dog"], ["cat", "dog"]), (iter([7, 8]), [7, 8])):
        out = FLIP(image=IMAGE, bboxes=boxes, labels=labels)
        assert list(out["labels"]) == expected
    onehot = np.eye(2, dtype=np.int64)
    out = FLIP(image=IMAGE, bboxes=boxes, labels=onehot)  # one row per box: kept as an array
    np.testing.assert_array_equal(out["labels"], onehot)
    with pytest.raises(ValueError, match=r"labels: expected 1 value, one per entry of bboxes"):
        FLIP(image=IMAGE, bboxes=boxes[:1], labels=["a", "b"])


@pytest.mark.parametrize(
    "keyword, value, fix",
    [
        ("bboxes", [1, 2, 10, 12], "wrap a single row in a list: bboxes=[[...]]"),
        ("bboxes", np.array([1, 2, 10, 12]), "wrap a single row in a list: bboxes=[[...]]"),
        ("bboxes", [[1, 2, 10]], "give every box its 4 coordinates"),
        ("bboxes", [[1, 2, 10, 12, 3]], "pass labels through label fields"),
        ("bboxes", np.zeros((2, 4, 1)), "pass one row of 4 numbers per item"),
        ("keypoints", [5, 6], "wrap a single row in a list: keypoints=[[...]]"),
        ("keypoints", [[5, 6, 7]], "match keypoint_format to your columns"),
        ("oriented_bboxes", [10, 10, 4, 2, 30], "wrap a single row in a list: oriented_bboxes=[[...]]"),
    ],
)
def test_an_item_array_of_the_wrong_shape_names_the_fix_for_that_shape(keyword: str, value, fix: str) -> None:
    """Regression: every box array of the wrong shape, a single un-nested box included, was told to "pass labels
    through label fields instead of extra box columns"."""
    with pytest.raises(ValueError) as err:
        FLIP(image=IMAGE, **{keyword: value})
    text = str(err.value)
    assert text.startswith(f"{keyword}: expected an (N, ") and f"Fix: {fix}" in text, text


@pytest.mark.parametrize("empty", [False, True])
def test_items_come_back_as_float32_arrays_whatever_container_they_came_in(empty: bool) -> None:
    """docs/architecture.md, Write: boxes, keypoints and oriented boxes come back as float32 (N, k) arrays (lists of
    tuples and int arrays included, empty too), polygons as float32 (K, 2) parts, labels as lists unless given as
    arrays, indices as int64 arrays. Coordinates checked against the flip x -> 40 - x by hand."""
    n = 0 if empty else 1
    pipe = iv.Compose([iv.HorizontalFlip(p=1)], keypoint_format="xyas", oriented_bbox_format="xyxyxyxy")
    out = pipe(
        image=IMAGE, bboxes=np.array([(1, 2, 10, 12)][:n], np.int64).reshape(n, 4), labels=("a",)[:n], keypoints=[(1, 2, 0, 1)][:n],
        keypoint_labels=np.array([3])[:n], oriented_bboxes=[(10, 10, 14, 10, 14, 12, 10, 12)][:n], polygons=[[[1, 1, 9, 1, 9, 9]]][:n],
    )
    for key, width in (("bboxes", 4), ("keypoints", 4), ("oriented_bboxes", 8)):
        assert isinstance(out[key], np.ndarray) and out[key].dtype == np.float32 and out[key].shape == (n, width), key
    for key in ("bbox_indices", "keypoint_indices", "oriented_bbox_indices", "polygon_indices"):
        assert out[key].dtype == np.int64 and out[key].tolist() == list(range(n))
    assert out["labels"] == ["a"][:n] and isinstance(out["keypoint_labels"], np.ndarray)
    assert isinstance(out["polygons"], list) and len(out["polygons"]) == n
    if n:
        assert out["bboxes"].tolist() == [[30.0, 2.0, 39.0, 12.0]] and out["keypoints"][0, :2].tolist() == [39.0, 2.0]
        (part,) = out["polygons"][0]
        assert part.dtype == np.float32 and sorted(map(tuple, part.tolist())) == [(31.0, 1.0), (31.0, 9.0), (39.0, 1.0)]

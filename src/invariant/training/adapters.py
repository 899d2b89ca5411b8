"""Dataset adapters: bring labelled images from a folder, numpy arrays or any torch ``Dataset`` into
one in-memory form (``LabelledImages``) that the trainer, ablation and tuning use.

Everything is loaded into memory as HWC numpy arrays of one size: these tools run many short
trainings over the same small data, so decoding once pays off. For large data, use
``AugmentedDataset`` with your own loader instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np

from ..core.errors import type_error, value_error

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm")


@dataclass
class LabelledImages:
    """``images``: (N, H, W) or (N, H, W, C) uint8/uint16/float32; ``labels``: (N,) int64 in [0, classes).
    Indexing gives ``(image, label)``, the pair form ``AugmentedDataset`` understands."""

    images: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.classes:
            self.classes = tuple(str(c) for c in range(int(self.labels.max()) + 1 if len(self.labels) else 0))

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        return self.images[index], int(self.labels[index])

    @property
    def channels(self) -> int:
        return 1 if self.images.ndim == 3 else int(self.images.shape[3])

    def subset(self, indices: np.ndarray) -> "LabelledImages":
        return LabelledImages(self.images[indices], self.labels[indices], self.classes)


def from_arrays(images: Any, labels: Any, classes: Sequence[str] | None = None) -> LabelledImages:
    """Wrap numpy arrays: images (N, H, W) or (N, H, W, C) of uint8, uint16 or float32; integer labels."""
    if not isinstance(images, np.ndarray):
        type_error("images", "a numpy array of shape (N, H, W) or (N, H, W, C)", images, "stack your images with np.stack")
    if images.ndim not in (3, 4) or len(images) == 0:
        value_error("images", "a non-empty array of shape (N, H, W) or (N, H, W, C)", images, "stack same-size images along a first axis")
    if images.dtype.name not in ("uint8", "uint16", "float32"):
        value_error("images", "dtype uint8, uint16 or float32", images, "cast with .astype(np.float32) or np.uint8")
    labels = np.asarray(labels)
    if labels.shape != (len(images),) or labels.dtype.kind not in "iu":
        value_error("labels", f"{len(images)} integer class indices, one per image", labels, "pass an (N,) integer array")
    if labels.min() < 0:
        value_error("labels", "class indices >= 0", labels, "map your classes to 0..K-1")
    if classes is not None and len(classes) <= int(labels.max()):
        value_error("classes", f"at least {int(labels.max()) + 1} names", list(classes), "give one name per class index")
    return LabelledImages(np.ascontiguousarray(images), labels.astype(np.int64), tuple(classes or ()))


def from_folder(root: str | Path, size: int | tuple[int, int] | None = 32, grayscale: bool = False, limit_per_class: int | None = None) -> LabelledImages:
    """Read ``root/<class name>/<image files>`` (torchvision's ImageFolder layout). Classes are the
    sub-folder names in sorted order. Images are resized to ``size`` (int or (h, w)) so they stack;
    pass ``size=None`` only when every image already has one size."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"data folder {str(root)!r} does not exist. Fix: pass a folder holding one sub-folder of images per class.")
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir())
    if len(class_dirs) < 2:
        value_error("data folder", "at least two class sub-folders (root/<class>/<images>)", str(root), "arrange the images as root/cat/1.png, root/dog/2.png, ...")
    images, labels = [], []
    flag = cv2.IMREAD_GRAYSCALE if grayscale else cv2.IMREAD_COLOR
    for label, folder in enumerate(class_dirs):
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
        for path in files[:limit_per_class]:
            image = cv2.imread(str(path), flag)
            if image is None:
                raise ValueError(f"image {str(path)!r} could not be decoded. Fix: remove or re-save it as PNG/JPEG.")
            if not grayscale:
                image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
            if size is not None:
                h, w = (size, size) if isinstance(size, int) else size
                image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
            images.append(image)
            labels.append(label)
    if not images:
        value_error("data folder", f"image files ({', '.join(IMAGE_EXTENSIONS)}) inside the class folders", str(root), "put images into the class sub-folders")
    shapes = {im.shape for im in images}
    if len(shapes) > 1:
        value_error("size", "one image size for the whole folder", sorted(shapes)[:3], "pass size=(h, w) so images are resized")
    return LabelledImages(np.stack(images), np.asarray(labels, np.int64), tuple(p.name for p in class_dirs))


def _to_hwc(image: Any, index: int) -> np.ndarray:
    if hasattr(image, "detach"):  # torch tensor, CHW (torchvision convention)
        arr = image.detach().cpu().numpy()
        arr = arr[None] if arr.ndim == 2 else arr
        arr = np.moveaxis(arr, 0, -1)
    else:
        arr = np.asarray(image)  # PIL images and numpy arrays are already HW(C)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.dtype.kind == "f":
        arr = arr.astype(np.float32)
    elif arr.dtype not in (np.uint8, np.uint16):
        value_error(f"dataset[{index}] image", "uint8, uint16 or float pixels", arr, "convert the images in your Dataset")
    return arr


def from_torch_dataset(dataset: Any, limit: int | None = None, classes: Sequence[str] | None = None) -> LabelledImages:
    """Materialise any map-style dataset whose items are ``(image, label)``: image a PIL image, an HWC
    numpy array or a CHW tensor (all of one size). ``limit`` keeps the first ``limit`` items."""
    if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
        type_error("dataset", "a map-style dataset (with __len__ and __getitem__)", dataset, "wrap an iterable dataset in a list first")
    n = len(dataset) if limit is None else min(limit, len(dataset))
    images, labels = [], []
    for i in range(n):
        item = dataset[i]
        if not isinstance(item, (tuple, list)) or len(item) < 2:
            type_error(f"dataset[{i}]", "an (image, label) pair", item, "make __getitem__ return (image, label)")
        images.append(_to_hwc(item[0], i))
        labels.append(int(item[1]))
    if not images:
        value_error("dataset", "at least one item", dataset, "pass a non-empty dataset")
    shapes = {im.shape for im in images}
    if len(shapes) > 1:
        value_error("dataset", "images of one size", sorted(shapes)[:3], "resize in the dataset's own transform first")
    if classes is None:
        classes = getattr(dataset, "classes", None)
    return from_arrays(np.stack(images), np.asarray(labels, np.int64), classes)


def split_validation(data: LabelledImages, fraction: float = 0.2, seed: int = 0) -> tuple[LabelledImages, LabelledImages]:
    """Stratified (train, validation) split of ``data``; the same seed gives the same split."""
    if not 0.0 < fraction < 1.0:
        value_error("fraction", "a number in (0, 1)", fraction, "pass e.g. fraction=0.2")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 77]))
    train_idx, val_idx = [], []
    for c in np.unique(data.labels):
        idx = rng.permutation(np.flatnonzero(data.labels == c))
        k = max(1, int(round(len(idx) * fraction))) if len(idx) > 1 else 0
        val_idx.append(idx[:k])
        train_idx.append(idx[k:])
    return data.subset(rng.permutation(np.concatenate(train_idx))), data.subset(rng.permutation(np.concatenate(val_idx)))

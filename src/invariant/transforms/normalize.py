"""Normalization, dataset statistics, and the final conversion to a torch tensor."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import cv2
import numpy as np

from ..core.effects import Effects
from ..core.errors import require_torch, type_error, value_error
from ..core.transform import Params, Transform
from ..ops import color as C

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DTYPE_MAX = C.MAX_VALUE  # the one dtype-range table (ops.color), under the name this module always exported


def _vector(value: Any, argument: str) -> tuple[float, ...]:
    try:
        values = np.atleast_1d(np.asarray(value, dtype=np.float64)) if not isinstance(value, (str, bool)) else np.zeros(0)
    except (TypeError, ValueError):
        values = np.zeros(0)
    if values.ndim != 1 or values.size == 0 or not np.isfinite(values).all():
        type_error(argument, "a number or a sequence of numbers, one per channel", value, f"pass e.g. {argument}=(0.5,)")
    return tuple(float(v) for v in values)


class Normalize(Transform):
    """``(image / max_pixel_value - mean) / std`` per channel, to float32. Defaults are ImageNet's;
    use your dataset's statistics (``iv.compute_stats``) for medical, satellite or depth data.
    ``max_pixel_value`` defaults to the dtype's range (255, 65535, or 1.0 for float32)."""

    def __init__(
        self,
        mean: float | Sequence[float] = IMAGENET_MEAN,
        std: float | Sequence[float] = IMAGENET_STD,
        max_pixel_value: float | None = None,
        p: float = 1.0,
    ) -> None:
        super().__init__(p)
        self.mean, self.std = _vector(mean, "mean"), _vector(std, "std")
        if any(s <= 0 for s in self.std):
            value_error("std", "positive values", std, "use the standard deviation of your data (iv.compute_stats)")
        if max_pixel_value is not None and (isinstance(max_pixel_value, bool) or not isinstance(max_pixel_value, (int, float, np.integer, np.floating))):
            type_error("max_pixel_value", "a positive number or None", max_pixel_value, "leave it None to use the dtype's range, or pass e.g. max_pixel_value=255")
        if max_pixel_value is not None and max_pixel_value <= 0:
            value_error("max_pixel_value", "a positive number or None", max_pixel_value, "leave it None to use the dtype's range")
        self.max_pixel_value = max_pixel_value
        self._tables: dict[tuple[int, ...], np.ndarray] = {}
        self._matrices: dict[tuple[str, int], np.ndarray] = {}

    example_args = {"mean": 0.5, "std": 0.25}

    def check_input(self, sample: Any) -> None:
        super().check_input(sample)
        n = sample.channels
        if len(self.mean) not in (1, n) or len(self.std) not in (1, n):
            value_error(
                "Normalize mean/std",
                f"one value, or {n} (one per channel) for a {n}-channel image",
                self.mean if len(self.mean) not in (1, n) else self.std,
                "pass one statistic per channel (compute them with iv.compute_stats(images))",
            )

    def output_dtype(self, dtype: np.dtype) -> np.dtype:
        return np.dtype(np.float32)

    def effects(self) -> Effects:
        return Effects(normalizes=True)

    def _coefficients(self, dtype: np.dtype, channels: int) -> tuple[np.ndarray, np.ndarray]:
        max_value = self.max_pixel_value if self.max_pixel_value is not None else DTYPE_MAX.get(dtype.name, 1.0)
        mean = np.broadcast_to(np.asarray(self.mean, np.float64), (channels,))
        std = np.broadcast_to(np.asarray(self.std, np.float64), (channels,))
        scale = 1.0 / (std * max_value)
        shift = -mean / std
        return scale, shift  # out = image * scale + shift

    lut_fusable = True  # a uint8 -> float32 table on 1 channel (``lookup_table``) ...
    lut_ends_run = True  # ... which can only end a table run

    def lookup_table(self, params: Params, dtype: np.dtype, channels: int, stats: Any = None) -> np.ndarray | None:
        """(256, 1) float32 table for 1-channel uint8 images: the whole op is one table lookup, and it ends
        a fused run of pointwise tables (core/lut.py). None for 2+ channels: OpenCV's per-channel float
        table is slower than a u8 -> f32 conversion plus one multiply-add pass, so there a fused run stops
        before Normalize and Normalize runs its own kernel on the run's uint8 output."""
        if channels != 1:
            return None
        return self._table(1)

    def _table(self, channels: int) -> np.ndarray:
        table = self._tables.get((channels,))
        if table is None:
            scale, shift = self._coefficients(np.dtype(np.uint8), channels)
            table = (np.arange(256, dtype=np.float64)[:, None] * scale + shift).astype(np.float32)
            table.setflags(write=False)  # cached and handed out: callers must not change it
            self._tables[(channels,)] = table
        return table

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        channels = image.shape[2]
        if image.dtype == np.uint8 and channels == 1:
            return cv2.LUT(image, self._table(1).reshape(256))[:, :, None]
        key = (image.dtype.char, channels)
        matrix = self._matrices.get(key)
        if matrix is None:
            matrix = self._matrices[key] = C.channel_affine_matrix(*self._coefficients(image.dtype, channels))
        return C.affine_to_float32(image, matrix)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_tables"] = {}
        state["_matrices"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("_matrices", {})  # pickled before the matrix cache existed
        self.__dict__.update(state)


class ToTensor(Transform):
    """HWC numpy -> CHW ``torch.Tensor``. Keeps the dtype (uint8 stays uint8; Normalize first for
    float input). Masks stay integer tensors (uint16 becomes int32, which torch indexes natively).
    Must be the last transform of a pipeline."""

    terminal = True

    def __init__(self, p: float = 1.0) -> None:
        super().__init__(p)
        require_torch("ToTensor")

    def effects(self) -> Effects:
        return Effects()

    def apply_image(self, image: np.ndarray, params: Params) -> Any:
        import torch

        return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))

    def apply_mask(self, mask: np.ndarray, params: Params) -> Any:
        import torch

        if mask.dtype == np.uint16:
            mask = mask.astype(np.int32)
        elif mask.dtype == np.uint32:
            mask = mask.astype(np.int64)
        return torch.from_numpy(np.ascontiguousarray(mask.transpose(2, 0, 1)))

    def apply_depth(self, depth: np.ndarray, params: Params) -> Any:
        return self.apply_mask(depth, params) if depth.dtype != np.float32 else self.apply_image(depth, params)


def compute_stats(images: Iterable[np.ndarray], max_pixel_value: float | None = None) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std of a dataset in ``[0, 1]`` units (divided by ``max_pixel_value``,
    default: the dtype's range), streamed in float64 so it scales to large datasets.
    Pass the result to ``Normalize(mean=..., std=...)``."""
    total = total_sq = None
    count = 0
    for i, image in enumerate(images):
        if not isinstance(image, np.ndarray) or image.ndim not in (2, 3):
            type_error(f"images[{i}]", "an (H, W) or (H, W, C) numpy array", image, "pass numpy images")
        img = image if image.ndim == 3 else image[:, :, None]
        max_value = max_pixel_value if max_pixel_value is not None else DTYPE_MAX.get(img.dtype.name, 1.0)
        flat = img.reshape(-1, img.shape[2]).astype(np.float64) / max_value
        if total is None:
            total, total_sq = flat.sum(0), (flat * flat).sum(0)
        elif flat.shape[1] != total.shape[0]:
            value_error(f"images[{i}]", f"{total.shape[0]} channels like the first image", image, "pass images with one channel count")
        else:
            total += flat.sum(0)
            total_sq += (flat * flat).sum(0)
        count += flat.shape[0]
    if total is None:
        value_error("images", "at least one image", [], "pass a non-empty list or iterable of images")
    mean = total / count
    std = np.sqrt(np.maximum(total_sq / count - mean * mean, 0.0))
    return tuple(float(m) for m in mean), tuple(float(s) for s in std)

"""Object-aware crops: the crop window depends on the sample's boxes or mask as they are at this step.

Each declares what its ``sample_params`` reads (``reads_targets``) and receives a read-only
``core.planner.SampleView``: ``view.boxes`` (absolute xyxy on the current canvas) or
``view.arrays("mask")`` (the masks brought to this step). The crops are still plain integer windows (or
windows resized onto a fixed canvas), stated as matrices, so they fuse with neighbouring spatial steps.
``RandomIoUCrop`` also declares ``selects_items``: boxes whose centre leaves its crop are dropped with
their labels (``out["bbox_indices"]`` says which inputs survive).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.plan import Geometry
from ..core.transform import Params, SpatialTransform, check_number
from ..ops import geometric as geo
from .crops import _randint, _window


class _ObjectCrop(SpatialTransform):
    """Crops that read annotations: they change framing (and scale), nothing else."""

    _abstract = True

    def effects(self) -> Effects:
        return Effects(geometric=True, rescales=True)


def _erosion(value: Any, argument: str) -> float:
    return check_number(value, argument, low=0.0, high=1.0)


def _crop_size(height: Any, width: Any) -> tuple[int, int]:
    for v, name in ((height, "height"), (width, "width")):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            type_error(name, "a positive int", v, f"pass e.g. {name}=512")
    return int(height), int(width)


def _crop_within(sample_shape: tuple[int, int], size: tuple[int, int], name: str) -> None:
    H, W = sample_shape
    if size[0] > H or size[1] > W:
        value_error(f"{name} (height, width)", f"a crop no larger than the image {H}x{W}", size, "pad first (PadIfNeeded) or pass a smaller crop")


def _union(boxes: np.ndarray, erosion_rate: float) -> tuple[float, float, float, float] | None:
    """The union box of ``boxes`` shrunk by ``erosion_rate`` (half on each side), as albumentations'
    ``union_of_bboxes``; None when there is none (or it erodes to nothing)."""
    if not len(boxes) or erosion_rate >= 1.0:
        return None
    x0, y0 = boxes[:, 0].min(), boxes[:, 1].min()
    x1, y1 = boxes[:, 2].max(), boxes[:, 3].max()
    if len(boxes) > 1:
        ex, ey = (x1 - x0) * erosion_rate * 0.5, (y1 - y0) * erosion_rate * 0.5
        x0, y0, x1, y1 = x0 + ex, y0 + ey, x1 - ex, y1 - ey
    if x1 - x0 < 1e-6 or y1 - y0 < 1e-6:
        return None
    return float(x0), float(y0), float(x1), float(y1)


def _safe_window(rng: np.random.Generator, shape: tuple[int, int], boxes: np.ndarray, erosion_rate: float) -> Params:
    """A random integer window holding the (eroded) union of ``boxes``: each edge drawn uniformly between
    the image edge and the union's edge (albumentations' BBoxSafeRandomCrop), rounded outwards so no box
    is cut. Without boxes: a random window of the image's aspect ratio, height in [H (1 - erosion), H]."""
    H, W = shape
    union = _union(boxes, erosion_rate)
    if union is None:
        lo = int(H * (1.0 - erosion_rate))
        h = H if lo >= H else lo + _randint(rng, H - lo + 1)
        h = max(h, 1)
        w = min(max(int(h * W / H), 1), W)
        y = int((H - h + 1) * rng.random())
        x = int((W - w + 1) * rng.random())
        return {"x": x, "y": y, "w": w, "h": h}
    ux0, uy0, ux1, uy1 = (min(max(v, 0.0), float(s)) for v, s in zip(union, (W, H, W, H)))
    x0 = int(math.floor(ux0 * rng.random()))
    y0 = int(math.floor(uy0 * rng.random()))
    x1 = int(math.ceil(ux1 + (W - ux1) * rng.random()))
    y1 = int(math.ceil(uy1 + (H - uy1) * rng.random()))
    x1, y1 = min(max(x1, x0 + 1), W), min(max(y1, y0 + 1), H)
    return {"x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0}


class BBoxSafeRandomCrop(_ObjectCrop):
    """Crop a random window that keeps every box whole (albumentations' BBoxSafeRandomCrop): each edge is
    drawn uniformly between the image edge and the edge of the boxes' union (shrunk by ``erosion_rate``,
    which lets boxes be cut). Without boxes, a random window of the image's aspect ratio."""

    reads_targets = ("bboxes",)

    def __init__(self, erosion_rate: float = 0.0, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.erosion_rate = _erosion(erosion_rate, "erosion_rate")

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return _safe_window(rng, sample.shape, sample.boxes, self.erosion_rate)

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        return _window(shape, params["x"], params["y"], (params["h"], params["w"]))


class RandomSizedBBoxSafeCrop(_ObjectCrop):
    """``BBoxSafeRandomCrop``'s window resized to ``height`` x ``width`` (albumentations'
    RandomSizedBBoxSafeCrop): every box is kept whole, scaled with the crop."""

    reads_targets = ("bboxes",)

    def __init__(self, height: int, width: int, erosion_rate: float = 0.0, interpolation: str = "linear", p: float = 1.0) -> None:
        super().__init__(interpolation=interpolation, p=p)
        self.height, self.width = _crop_size(height, width)
        self.erosion_rate = _erosion(erosion_rate, "erosion_rate")

    example_args = {"height": 20, "width": 24}

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return _safe_window(rng, sample.shape, sample.boxes, self.erosion_rate)

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        x, y, w, h = params["x"], params["y"], params["w"], params["h"]
        out = (self.height, self.width)
        matrix = geo.crop_resize_matrix(x, y, w, h, out[1], out[0])
        return Geometry(shape, out, matrix, form=geo.crop_resize_kernel(shape, out, x, y, x + w, y + h, matrix))


def _corner_range(lo: float, hi: float, limit: int) -> tuple[int, int]:
    """Integer corners in [ceil(lo), floor(hi)] clipped to [0, limit]; when that is empty (the box does not
    fit the crop), the clipped real range rounded inwards as far as possible."""
    a, b = max(math.ceil(lo - 1e-9), 0), min(math.floor(hi + 1e-9), limit)
    if a > b:
        a = b = min(max(int(round((lo + hi) / 2)), 0), limit)
    return a, b


class AtLeastOneBBoxRandomCrop(_ObjectCrop):
    """Crop a ``height`` x ``width`` window containing at least one box (albumentations'
    AtLeastOneBBoxRandomCrop): one box is drawn as reference and the window's corner is drawn uniformly
    among the integer corners that contain it (all of it when ``erosion_factor`` = 0, its central
    ``1 - erosion_factor`` part otherwise, any overlap at 1). Without boxes, a random window."""

    reads_targets = ("bboxes",)

    def __init__(self, height: int, width: int, erosion_factor: float = 0.0, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.height, self.width = _crop_size(height, width)
        self.erosion_factor = _erosion(erosion_factor, "erosion_factor")

    example_args = {"height": 20, "width": 24}

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        H, W = sample.shape
        h, w = self.height, self.width
        _crop_within(sample.shape, (h, w), type(self).__name__)
        boxes = sample.boxes
        if not len(boxes):
            return {"x": _randint(rng, W - w + 1), "y": _randint(rng, H - h + 1)}
        bx0, by0, bx1, by1 = boxes[_randint(rng, len(boxes))][:4]
        keep = 1.0 - self.erosion_factor
        ew, eh = (bx1 - bx0) * keep, (by1 - by0) * keep
        # the window [x, x + w) holds the box's kept part: x <= bx1 - ew and x + w >= bx0 + ew
        xa, xb = _corner_range(bx0 + ew - w, bx1 - ew, W - w)
        ya, yb = _corner_range(by0 + eh - h, by1 - eh, H - h)
        return {"x": xa + _randint(rng, xb - xa + 1), "y": ya + _randint(rng, yb - ya + 1)}

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        return _window(shape, params["x"], params["y"], (self.height, self.width))


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every xyxy box in ``a`` with every one in ``b`` (N, M)."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:4], b[None, :, 2:4])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a = np.prod(a[:, 2:4] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:4] - b[:, :2], axis=1)
    return inter / (area_a[:, None] + area_b[None, :] - inter)


class RandomIoUCrop(_ObjectCrop):
    """The SSD crop sampler (Liu et al. 2016, "SSD: Single Shot MultiBox Detector", Sec. 2.2), as
    torchvision v2's RandomIoUCrop: draw a minimum IoU from ``sampler_options`` (a value >= 1 leaves the
    image as is); then up to ``trials`` times draw a crop of side fractions U(min_scale, max_scale) with
    aspect ratio (w / h) within [min_aspect_ratio, max_aspect_ratio] and a random position, and accept it
    when some box has its centre strictly inside and, among those, the largest IoU with the crop reaches
    the minimum; otherwise draw an option again. Boxes whose centre lies outside the accepted crop are
    dropped with their labels; the others are clipped to it."""

    reads_targets = ("bboxes",)
    selects_items = True
    OPTIONS = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)
    MAX_ROUNDS = 1000  # option draws before giving up and leaving the image as is (torchvision loops forever)

    def __init__(
        self,
        min_scale: float = 0.3,
        max_scale: float = 1.0,
        min_aspect_ratio: float = 0.5,
        max_aspect_ratio: float = 2.0,
        sampler_options: list[float] | None = None,
        trials: int = 40,
        p: float = 1.0,
    ) -> None:
        super().__init__(p=p)
        self.min_scale = check_number(min_scale, "min_scale", low=0.0, high=1.0)
        self.max_scale = check_number(max_scale, "max_scale", low=0.0, high=1.0)
        if self.min_scale > self.max_scale:
            value_error("min_scale, max_scale", "min_scale <= max_scale", (min_scale, max_scale), "pass e.g. min_scale=0.3, max_scale=1.0")
        self.min_aspect_ratio = check_number(min_aspect_ratio, "min_aspect_ratio", low=0.0)
        self.max_aspect_ratio = check_number(max_aspect_ratio, "max_aspect_ratio", low=0.0)
        if self.min_aspect_ratio > self.max_aspect_ratio:
            value_error("min_aspect_ratio, max_aspect_ratio", "min <= max", (min_aspect_ratio, max_aspect_ratio), "pass e.g. min_aspect_ratio=0.5, max_aspect_ratio=2.0")
        options = self.OPTIONS if sampler_options is None else sampler_options
        if not (isinstance(options, (list, tuple)) and options and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in options)):
            type_error("sampler_options", "a non-empty list of minimum IoUs >= 0 (>= 1 leaves the image as is)", sampler_options, "pass e.g. sampler_options=[0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]")
        self.sampler_options = tuple(float(v) for v in options)
        self.trials = check_number(trials, "trials", low=1, integer=True)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        H, W = sample.shape
        boxes = sample.boxes
        if not len(boxes):
            return {}
        cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
        lo, span = self.min_scale, self.max_scale - self.min_scale
        for _ in range(self.MAX_ROUNDS):
            min_iou = self.sampler_options[_randint(rng, len(self.sampler_options))]
            if min_iou >= 1.0:
                return {}
            for _ in range(self.trials):
                w = int(W * (lo + span * rng.random()))
                h = int(H * (lo + span * rng.random()))
                if h == 0 or not self.min_aspect_ratio <= w / h <= self.max_aspect_ratio:
                    continue
                x = int((W - w) * rng.random())
                y = int((H - h) * rng.random())
                if w == 0:
                    continue
                inside = (x < cx) & (cx < x + w) & (y < cy) & (cy < y + h)
                if not inside.any():
                    continue
                if box_iou(boxes[inside], np.array([[x, y, x + w, y + h]], np.float64)).max() < min_iou:
                    continue
                return {"x": x, "y": y, "w": w, "h": h, "keep": inside.tolist()}
        return {}

    def kept_items(self, params: Params) -> dict[str, Any]:
        return {"bboxes": params["keep"]} if "keep" in params else {}

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        if "x" not in params:
            return _window(shape, 0, 0, shape)
        return _window(shape, params["x"], params["y"], (params["h"], params["w"]))


class CropNonEmptyMaskIfExists(_ObjectCrop):
    """Crop a ``height`` x ``width`` window around a random non-empty mask pixel (albumentations'
    CropNonEmptyMaskIfExists): a pixel is drawn uniformly among the non-zero ones (after setting
    ``ignore_values`` to 0 and dropping ``ignore_channels`` of ``mask``; the instance masks of ``masks``
    are united) and the window's corner is that pixel minus U{0..height-1} (and U{0..width-1}), clipped
    to the image. With an empty mask, or no mask, a random window."""

    reads_targets = ("mask",)

    def __init__(self, height: int, width: int, ignore_values: list[int] | None = None, ignore_channels: list[int] | None = None, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.height, self.width = _crop_size(height, width)
        for value, name in ((ignore_values, "ignore_values"), (ignore_channels, "ignore_channels")):
            if value is not None and not (isinstance(value, (list, tuple)) and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)):
                type_error(name, "None or a list of ints", value, f"pass e.g. {name}=[0]")
        if ignore_channels is not None and any(c < 0 for c in ignore_channels):
            value_error("ignore_channels", "non-negative channel indices", ignore_channels, "pass e.g. ignore_channels=[0]")
        self.ignore_values = None if ignore_values is None else tuple(int(v) for v in ignore_values)
        self.ignore_channels = None if ignore_channels is None else tuple(int(c) for c in ignore_channels)

    example_args = {"height": 20, "width": 24}

    def _nonzero(self, arrays: dict[str, np.ndarray]) -> np.ndarray | None:
        """(H, W) booleans of the pixels to centre on, or None when there is no mask."""
        found = None
        if "mask" in arrays:
            mask = arrays["mask"]
            if self.ignore_channels is not None and mask.shape[2] > 1:
                if max(self.ignore_channels) >= mask.shape[2]:
                    value_error("ignore_channels", f"channel indices below the mask's {mask.shape[2]} channels", self.ignore_channels, "drop the indices past the last channel")
                mask = np.delete(mask, list(self.ignore_channels), axis=2)
            found = mask != 0
            if self.ignore_values is not None:
                found &= ~np.isin(mask, self.ignore_values)
        elif "masks" in arrays:  # instance masks, one per channel
            masks = arrays["masks"]
            found = masks != 0
            if self.ignore_values is not None:
                found &= ~np.isin(masks, self.ignore_values)
        return None if found is None else found.any(axis=2)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        H, W = sample.shape
        h, w = self.height, self.width
        _crop_within(sample.shape, (h, w), type(self).__name__)
        nonzero = self._nonzero(sample.arrays("mask"))
        if nonzero is not None:
            ys, xs = np.nonzero(nonzero)
            if len(ys):
                k = _randint(rng, len(ys))
                x = min(max(int(xs[k]) - _randint(rng, w), 0), W - w)
                y = min(max(int(ys[k]) - _randint(rng, h), 0), H - h)
                return {"x": x, "y": y}
        return {"x": _randint(rng, W - w + 1), "y": _randint(rng, H - h + 1)}

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        return _window(shape, params["x"], params["y"], (self.height, self.width))

"""More dropout: GridDropout (GridMask, Chen et al. 2020), XYMasking (SpecAugment-style stripes, Park et
al. 2019), ConstrainedCoarseDropout (holes inside given objects' boxes), MaskDropout (whole instances by
their mask), PixelDropout and ChannelDropout.

Rectangular occluders reuse CoarseDropout's machinery (``_Occlusion``): the same fills, ``fill_mask``, and
box visibility bookkeeping, so the pipeline's ``min_visibility`` removes mostly hidden boxes with their
labels. MaskDropout removes the boxes its dropped region covers (``min_coverage``) with their labels.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.transform import Params, Transform, check_number, input_description
from ..ops import dropout_extra as X
from ..ops.color import max_value
from .dropout import _check_fill, _Occlusion, _size_range


def _int_range(value: Any, argument: str, low: int) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair)):
        type_error(argument, "an int or a (min, max) pair of ints", value, f"pass e.g. {argument}=({low}, {low + 2})")
    if not low <= pair[0] <= pair[1]:
        value_error(argument, f"{low} <= min <= max", value, f"pass e.g. {argument}=({low}, {low + 2})")
    return int(pair[0]), int(pair[1])


def _draw(rng: np.random.Generator, low: int, high: int) -> int:
    """``int(rng.integers(low, high + 1))``, without the ~3 us call when the range holds one value: numpy
    draws nothing from the generator then, so the stream (and every later draw) is the same."""
    return low if low == high else int(rng.integers(low, high + 1))


def _int_pair(value: Any, argument: str, low: int) -> tuple[int, int]:
    """An (x, y) pair of ints >= ``low`` (not a range)."""
    if not (isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)):
        type_error(argument, "an (x, y) pair of ints", value, f"pass e.g. {argument}=({max(low, 1)}, {max(low, 1)})")
    if min(value) < low:
        value_error(argument, f"ints >= {low}", value, f"pass e.g. {argument}=({max(low, 1)}, {max(low, 1)})")
    return int(value[0]), int(value[1])


class GridDropout(_Occlusion):
    """GridMask (Chen, Liu, Wang & Jia, "GridMask Data Augmentation", arXiv 2001.04086, 2020): the image is
    tiled by ``d_x x d_y`` cells and a ``round(ratio d_x) x round(ratio d_y)`` hole is erased in each, at the
    same offset in every cell (random with ``random_offset``, else ``shift_xy``). Cell sides: ``d ~
    U{unit_size_range}`` (square cells), else ``W // n_x``, ``H // n_y`` for ``holes_number_xy``, else a
    tenth of each side (at least 2). ``ratio`` is the hole's share of the cell side, as in albumentations
    (the paper's ``r`` is the kept share, ``1 - ratio``)."""

    def __init__(
        self,
        ratio: float = 0.5,
        random_offset: bool = True,
        unit_size_range: tuple[int, int] | None = None,
        holes_number_xy: tuple[int, int] | None = None,
        shift_xy: tuple[int, int] = (0, 0),
        fill: Any = 0,
        fill_mask: float | None = None,
        p: float = 0.5,
    ) -> None:
        super().__init__(fill=fill, fill_mask=fill_mask, p=p)
        self.ratio = check_number(ratio, "ratio", low=0.0, high=1.0)
        if self.ratio <= 0:
            value_error("ratio", "a hole share in (0, 1]", ratio, "pass e.g. ratio=0.5")
        self.random_offset = bool(random_offset)
        self.unit_size_range = None if unit_size_range is None else _int_range(unit_size_range, "unit_size_range", 2)
        self.holes_number_xy = None if holes_number_xy is None else _int_pair(holes_number_xy, "holes_number_xy", 1)
        self.shift_xy = _int_pair(shift_xy, "shift_xy", 0)

    def holes(self, rng: np.random.Generator, height: int, width: int) -> list[list[int]]:
        if self.unit_size_range is not None:
            d = int(rng.integers(self.unit_size_range[0], self.unit_size_range[1] + 1))
            uw, uh = min(d, width), min(d, height)
        elif self.holes_number_xy is not None:
            uw, uh = max(1, width // self.holes_number_xy[0]), max(1, height // self.holes_number_xy[1])
        else:
            uw, uh = max(2, width // 10), max(2, height // 10)
        hw, hh = min(uw, max(1, int(round(uw * self.ratio)))), min(uh, max(1, int(round(uh * self.ratio))))
        if self.random_offset:
            sx, sy = int(rng.integers(0, uw - hw + 1)), int(rng.integers(0, uh - hh + 1))
        else:
            sx, sy = min(self.shift_xy[0], uw - hw), min(self.shift_xy[1], uh - hh)
        return X.grid_holes(height, width, (uw, uh), (hw, hh), (sx, sy))


class XYMasking(_Occlusion):
    """Stripes as in SpecAugment (Park et al., Interspeech 2019) for spectrograms: ``n_x ~ U{num_masks_x}``
    full-height stripes of width ``U{mask_x_length}`` and ``n_y ~ U{num_masks_y}`` full-width stripes of
    height ``U{mask_y_length}`` (pixels), placed uniformly inside the image."""

    def __init__(
        self,
        num_masks_x: int | tuple[int, int] = 0,
        num_masks_y: int | tuple[int, int] = 0,
        mask_x_length: int | tuple[int, int] = 0,
        mask_y_length: int | tuple[int, int] = 0,
        fill: Any = 0,
        fill_mask: float | None = None,
        p: float = 0.5,
    ) -> None:
        super().__init__(fill=fill, fill_mask=fill_mask, p=p)
        self.num_masks_x = _int_range(num_masks_x, "num_masks_x", 0)
        self.num_masks_y = _int_range(num_masks_y, "num_masks_y", 0)
        self.mask_x_length = _int_range(mask_x_length, "mask_x_length", 0)
        self.mask_y_length = _int_range(mask_y_length, "mask_y_length", 0)
        if self.num_masks_x[1] and not self.mask_x_length[1] or self.num_masks_y[1] and not self.mask_y_length[1]:
            value_error("mask_x_length / mask_y_length", "a positive stripe length for each direction with stripes", (mask_x_length, mask_y_length), "pass e.g. mask_x_length=(10, 20)")

    example_args: ClassVar[Params] = {"num_masks_x": (1, 3), "num_masks_y": (1, 2), "mask_x_length": (2, 8), "mask_y_length": (2, 6)}

    def _stripes(self, rng: np.random.Generator, counts: tuple[int, int], lengths: tuple[int, int], side: int) -> list[tuple[int, int]]:
        n = _draw(rng, *counts)
        out = []
        for _ in range(n):
            length = min(side, _draw(rng, *lengths))
            out.append((_draw(rng, 0, side - length), length))
        return out

    def holes(self, rng: np.random.Generator, height: int, width: int) -> list[list[int]]:
        xs = self._stripes(rng, self.num_masks_x, self.mask_x_length, width)
        ys = self._stripes(rng, self.num_masks_y, self.mask_y_length, height)
        return X.stripe_holes(height, width, xs, ys)


class ConstrainedCoarseDropout(_Occlusion):
    """CoarseDropout restricted to objects: ``n ~ U{num_holes_range}`` holes, each inside one of the objects'
    boxes, chosen uniformly; the hole's height/width are ``hole_height_range`` / ``hole_width_range``
    fractions of that box's. Objects: with ``mask_indices``, the bounding boxes of the connected regions of
    the first mask target holding those values (read as it is at this step, after any spatial step before
    it); else the boxes whose label in ``label_field`` is in
    ``bbox_labels`` (all boxes when None). Boxes react as to CoarseDropout (visibility). No objects:
    nothing is erased."""

    reads_targets = ("mask",)

    def __init__(
        self,
        num_holes_range: int | tuple[int, int] = (1, 1),
        hole_height_range: float | tuple[float, float] = (0.1, 0.1),
        hole_width_range: float | tuple[float, float] = (0.1, 0.1),
        fill: Any = 0,
        fill_mask: float | None = None,
        bbox_labels: list[Any] | None = None,
        label_field: str = "labels",
        p: float = 0.5,
        mask_indices: list[int] | None = None,
    ) -> None:
        super().__init__(fill=fill, fill_mask=fill_mask, p=p)
        if mask_indices is not None:
            if not (isinstance(mask_indices, (list, tuple)) and mask_indices and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0 for v in mask_indices)):
                type_error("mask_indices", "a non-empty list of positive mask values", mask_indices, "pass e.g. mask_indices=[1, 2]")
            if bbox_labels is not None:
                value_error("mask_indices / bbox_labels", "one way to name the objects", (mask_indices, bbox_labels), "pass mask_indices (objects from the mask) or bbox_labels (objects from the boxes), not both")
        self.mask_indices = None if mask_indices is None else [int(v) for v in mask_indices]
        self.num_holes_range = _int_range(num_holes_range, "num_holes_range", 0)
        self.hole_height_range = _size_range(hole_height_range, "hole_height_range")
        self.hole_width_range = _size_range(hole_width_range, "hole_width_range")
        if isinstance(self.hole_height_range[0], int) or isinstance(self.hole_width_range[0], int):
            value_error("hole_height_range / hole_width_range", "fractions of the object's box (floats in (0, 1])", (hole_height_range, hole_width_range), "pass e.g. hole_height_range=(0.2, 0.4)")
        if bbox_labels is not None and not isinstance(bbox_labels, (list, tuple)):
            type_error("bbox_labels", "a list of labels or None (every box)", bbox_labels, "pass e.g. bbox_labels=['person']")
        self.bbox_labels = None if bbox_labels is None else list(bbox_labels)
        self.label_field = label_field

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        extra: Params = {}
        if self.mask_indices is None:
            boxes = self._targets(sample)
        else:
            masks = sample.arrays("mask")  # the mask targets as at this step (a SampleView: reads_targets)
            boxes = np.zeros((0, 4))
            extra["objects"] = []
            if masks:  # without a mask no objects are known
                mask = next(iter(masks.values()))
                region = X.label_region(mask[..., 0], self.mask_indices)
                boxes = X.component_boxes(region)
                extra["objects"] = X.encode_runs(region)
        params: Params = {"holes": self._holes_in(rng, boxes, *sample.shape), **extra}
        if self.fill == "random":  # the same draws, in the same order, as CoarseDropout's
            params["seed"] = int(rng.integers(0, 2**63 - 1))
        elif self.fill == "random_uniform":
            params["colors"] = rng.random((len(params["holes"]), sample.channels)).tolist()
        return params

    def _targets(self, sample: Any) -> np.ndarray:
        target = sample.annotations.targets.get("bboxes")
        if target is None or not len(target):
            return np.zeros((0, 4))
        boxes = np.asarray(target.boxes, dtype=np.float64)  # type: ignore[attr-defined]
        if self.bbox_labels is None:
            return boxes
        labels = target.labels.get(self.label_field)
        if labels is None:
            value_error("label_field", f"a label keyword of the pipeline (one of {tuple(target.labels)})", self.label_field, "pass the name of the label field holding the box classes, e.g. label_field='labels'")
        chosen = np.array([v in self.bbox_labels for v in list(labels)], dtype=bool)
        return boxes[chosen]

    def _holes_in(self, rng: np.random.Generator, boxes: np.ndarray, height: int, width: int) -> list[list[int]]:
        n = int(rng.integers(self.num_holes_range[0], self.num_holes_range[1] + 1))
        if not len(boxes) or n == 0:
            return []
        holes = []
        for _ in range(n):
            x0, y0, x1, y1 = boxes[int(rng.integers(0, len(boxes)))]
            bx0, by0 = int(np.floor(x0)), int(np.floor(y0))
            bw, bh = max(1, int(np.ceil(x1)) - bx0), max(1, int(np.ceil(y1)) - by0)
            hh = min(bh, max(1, int(round(rng.uniform(*self.hole_height_range) * bh))))
            hw = min(bw, max(1, int(round(rng.uniform(*self.hole_width_range) * bw))))
            hy, hx = by0 + int(rng.integers(0, bh - hh + 1)), bx0 + int(rng.integers(0, bw - hw + 1))
            holes.append([max(0, hx), max(0, hy), min(width, hx + hw), min(height, hy + hh)])
        return holes


class MaskDropout(Transform):
    """Erase whole objects: ``n ~ U{max_objects}`` of the instances of the mask (each non-zero label value
    is one instance; with instance masks ``masks=`` and no other mask, each mask is one instance, numbered
    from 1) are chosen; their pixels are filled with ``fill`` in the image and ``fill_mask`` in the
    mask, and every box whose area is at least ``min_coverage`` covered by the erased pixels is removed with
    its labels (``bbox_indices`` report the survivors). The instances are read from the first mask target
    (``mask``, else an extra mask target, else ``masks``) as it is at this step (``reads_targets``: after any
    spatial step before it); every mask target (instance masks too) gets ``fill_mask`` over the erased
    pixels. A call without a mask has no known objects and is returned unchanged."""

    reads_targets = ("mask",)

    def __init__(self, max_objects: int | tuple[int, int] = (1, 1), fill: Any = 0, fill_mask: float = 0, min_coverage: float = 0.5, p: float = 0.5) -> None:
        super().__init__(p)
        self.max_objects = _int_range(max_objects, "max_objects", 0)
        self.fill = _check_fill(fill)
        if isinstance(self.fill, str):
            value_error("fill", "a number or one number per channel", fill, "pass e.g. fill=0")
        self.fill_mask = check_number(fill_mask, "fill_mask")
        self.min_coverage = check_number(min_coverage, "min_coverage", low=0.0, high=1.0)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        masks = sample.arrays("mask")  # the mask targets as at this step (a SampleView: reads_targets)
        if not masks:  # no objects are known: nothing to drop
            return {"labels": [], "runs": []}
        name, mask = next(iter(masks.items()))
        planes = name == "masks"  # only instance masks: instance i (1-based) is plane i - 1, not a value of plane 0
        if planes:
            labels = np.flatnonzero(mask.reshape(-1, mask.shape[2]).any(axis=0)) + 1
        else:
            labels = X.label_values(mask[..., 0])
            labels = labels[labels != 0]
        n = min(len(labels), int(rng.integers(self.max_objects[0], self.max_objects[1] + 1)))
        chosen = sorted(rng.choice(labels, size=n, replace=False).tolist()) if n else []
        if not chosen:
            region = np.zeros(mask.shape[:2], bool)
        elif planes:
            region = np.ascontiguousarray((mask[..., np.asarray(chosen) - 1] != 0).any(axis=2))
        else:
            region = X.label_region(mask[..., 0], chosen)
        runs = X.encode_runs(region)
        region.setflags(write=False)
        self.__dict__["_decoded"] = (runs, region.shape, region)  # the apply steps of this call reuse it
        return {"labels": chosen, "runs": runs}

    def _region(self, params: Params, shape: tuple[int, int]) -> np.ndarray:
        """The erased region, decoded once per call: image, mask and boxes of one call share the same
        ``params["runs"]`` list (the cache holds that list, so its identity cannot be reused).
        ``sample_params`` seeds the cache with the region it encoded, so a call decodes nothing; params
        that were copied or replayed are decoded here."""
        runs = params["runs"]
        cached = self.__dict__.get("_decoded")
        if cached is not None and cached[0] is runs and cached[1] == shape:
            return cached[2]
        region = X.decode_runs(runs, shape)
        region.setflags(write=False)
        self.__dict__["_decoded"] = (runs, shape, region)
        return region

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_decoded", None)  # a per-call cache
        return state

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        if not params["labels"]:
            return image.copy()
        c = image.shape[2]
        fill = np.broadcast_to(np.asarray(self.fill, np.float64), (c,)) if np.size(self.fill) in (1, c) else None
        if fill is None:
            value_error("fill", f"1 or {c} values for a {c}-channel image", self.fill, "pass one number, or one per channel")
        fill = np.clip(fill, 0, max_value(image.dtype))
        value = (np.rint(fill) if image.dtype != np.float32 else fill).astype(image.dtype)
        return X.drop_pixels(image, self._region(params, image.shape[:2])[:, :, None], value)

    def apply_mask(self, mask: np.ndarray, params: Params) -> np.ndarray:
        if not params["labels"]:
            return mask
        region = self._region(params, mask.shape[:2])
        value = np.empty(1, mask.dtype)
        value[0] = self.fill_mask  # numpy's assignment cast, as ``mask[region] = fill_mask``
        return X.drop_pixels(mask, region[:, :, None], value)

    def apply_annotations(self, annotations: Any, params: Params, shape: tuple[int, int]) -> None:
        target = annotations.targets.get("bboxes")
        if not params["labels"] or target is None or not len(target):
            return
        covered = X.covered_by_region(target.boxes, self._region(params, shape))
        target.keep(covered < self.min_coverage)

    def effects(self) -> Effects:
        return Effects(occludes=True)


class PixelDropout(Transform):
    """Each pixel (each pixel and channel with ``per_channel``) is replaced by ``drop_value`` with
    probability ``dropout_prob`` (None: uniform noise over the dtype's range). With ``mask_drop_value``
    the mask gets that value where any channel of the pixel was dropped."""

    def __init__(self, dropout_prob: float = 0.01, per_channel: bool = False, drop_value: float | tuple[float, ...] | None = 0, mask_drop_value: float | None = None, p: float = 0.5) -> None:
        super().__init__(p)
        self.dropout_prob = check_number(dropout_prob, "dropout_prob", low=0.0, high=1.0)
        self.per_channel = bool(per_channel)
        self.drop_value = None if drop_value is None else _check_fill(drop_value, "drop_value")
        if isinstance(self.drop_value, str):
            value_error("drop_value", "a number, one number per channel, or None (random values)", drop_value, "pass e.g. drop_value=0")
        self.mask_drop_value = None if mask_drop_value is None else check_number(mask_drop_value, "mask_drop_value")

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"seed": int(rng.integers(0, 2**62)), "channels": sample.channels}

    def _drop(self, params: Params, shape: tuple[int, int], channels: int) -> np.ndarray:
        return X.pixel_dropout_mask((shape[0], shape[1], channels), self.dropout_prob, self.per_channel, params["seed"])

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        drop = self._drop(params, image.shape[:2], image.shape[2])
        top = max_value(image.dtype)
        if self.drop_value is None:
            noise = np.random.default_rng(params["seed"] + 1).random(image.shape) * top
            value = noise if image.dtype == np.float32 else np.rint(noise)
            return np.where(np.broadcast_to(drop, image.shape), value.astype(image.dtype), image)
        c = image.shape[2]
        if np.size(self.drop_value) not in (1, c):
            value_error("drop_value", f"1 or {c} values for a {c}-channel image", self.drop_value, "pass one number, or one per channel")
        fill = np.clip(np.broadcast_to(np.asarray(self.drop_value, np.float64), (c,)), 0, top)
        return X.drop_pixels(image, drop, (np.rint(fill) if image.dtype != np.float32 else fill).astype(image.dtype))

    def apply_mask(self, mask: np.ndarray, params: Params) -> np.ndarray:
        if self.mask_drop_value is None:
            return mask
        drop = self._drop(params, mask.shape[:2], params["channels"]).any(axis=2)
        out = mask.copy()
        out[drop] = self.mask_drop_value
        return out

    def effects(self) -> Effects:
        return Effects(adds_noise=True, occludes=True)


class _AtLeast(tuple):
    """A ``channels`` declaration meaning "``minimum`` or more": ``c in _AtLeast(2)`` for every c >= 2. As a
    tuple it lists the counts 2..6 (what the contract test sweeps and the support table shows, with a note)."""

    minimum: int

    def __new__(cls, minimum: int) -> "_AtLeast":
        obj = super().__new__(cls, tuple(range(minimum, minimum + 5)))
        obj.minimum = minimum
        return obj

    def __contains__(self, value: object) -> bool:
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= self.minimum

    def __reduce__(self) -> Any:
        return (_AtLeast, (self.minimum,))


class ChannelDropout(Transform):
    """Sets ``k ~ U{channel_drop_range}`` distinct channels, chosen uniformly, to ``fill`` (dtype units),
    as albumentations 2.0.8 ChannelDropout. At least one channel is always kept: images need 2 or more."""

    channels: ClassVar[Any] = _AtLeast(2)
    support_note: ClassVar[str] = "any count >= 2 (one channel is always kept)"

    def __init__(self, channel_drop_range: int | tuple[int, int] = (1, 1), fill: float = 0, p: float = 0.5) -> None:
        super().__init__(p)
        self.channel_drop_range = _int_range(channel_drop_range, "channel_drop_range", 1)
        self.fill = check_number(fill, "fill")

    def channel_fix(self) -> str:
        return "dropping a channel of a 1-channel image leaves nothing: use CoarseDropout or PixelDropout instead"

    def check_input(self, sample: Any) -> None:
        if sample.channels < 2:
            value_error("ChannelDropout image", "2 or more channels", input_description(sample), self.channel_fix())
        super().check_input(sample)
        if self.channel_drop_range[1] >= sample.channels:
            value_error("channel_drop_range", f"at most {sample.channels - 1} channels dropped for a {sample.channels}-channel image", self.channel_drop_range, f"pass channel_drop_range=(1, {sample.channels - 1})")

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        k = int(rng.integers(self.channel_drop_range[0], self.channel_drop_range[1] + 1))
        # k distinct channels, uniformly: the first k of a random order (rng.choice without replacement
        # costs ~100 us per call)
        return {"channels": sorted(np.argsort(rng.random(sample.channels))[:k].tolist())}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        fill = min(max(self.fill, 0.0), max_value(image.dtype))
        return X.drop_channels(image, params["channels"], fill)

    def effects(self) -> Effects:
        return Effects(alters_color=True, occludes=True)

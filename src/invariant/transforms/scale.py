"""Letterbox and scale family: resizes that keep the aspect ratio, padding, scale jitter and crop-and-pad.

Every transform here states its geometry as one 3x3 matrix plus an output canvas (``plan_geometry``), so
a letterbox chain (``LongestMaxSize`` then ``PadIfNeeded``), with flips and affines around it, executes as
ONE resampling and boxes, masks and keypoints follow generically. Paddings are never materialised: the
output canvas reaches outside the input and the border rule fills it (an integer window, exact).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.plan import Geometry
from ..core.transform import Params, SpatialTransform, as_range, check_choice
from ..ops import geometric as geo
from .crops import _randint, _randint_batch, _size, _window

_BORDER_OF_PADDING_MODE = {"constant": "constant", "edge": "replicate", "reflect": "reflect", "symmetric": "symmetric"}
POSITIONS = ("center", "top_left", "top_right", "bottom_left", "bottom_right", "random")


def _positive_int(value: Any, argument: str, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        type_error(argument, "a positive int" + (" or None" if allow_none else ""), value, f"pass e.g. {argument}=32")
    return int(value)


def _sizes(value: Any, argument: str) -> tuple[int, ...]:
    """``n`` or a non-empty list of ``n`` (one drawn per call), every one a positive int."""
    if isinstance(value, (list, tuple)):
        if not value:
            value_error(argument, "a positive int or a non-empty list of them", value, f"pass e.g. {argument}=[480, 512, 544]")
        return tuple(_positive_int(v, argument) for v in value)  # type: ignore[misc]
    return (_positive_int(value, argument),)  # type: ignore[return-value]


def _scale_geometry(shape: tuple[int, int], out: tuple[int, int]) -> Geometry:
    """Resize the whole canvas onto ``out`` (pixel grid onto pixel grid, as ``Resize``)."""
    H, W = shape
    matrix = geo.scaling(out[1] / W, out[0] / H)
    return Geometry(shape, out, matrix, form=geo.crop_resize_kernel(shape, out, 0, 0, W, H, matrix))


def scaled_shape(shape: tuple[int, int], scale: float) -> tuple[int, int]:
    """``(max(1, round(H * s)), max(1, round(W * s)))``: albumentations' rounding (Python's round)."""
    return max(1, round(shape[0] * scale)), max(1, round(shape[1] * scale))


class _Scaling(SpatialTransform):
    """Resizes, pads and crops: they change framing and scale, nothing else."""

    _abstract = True

    def effects(self) -> Effects:
        return Effects(geometric=True, rescales=True)


class _MaxSize(_Scaling):
    """Scale the image so that one side (chosen by ``_side``) becomes ``max_size``, keeping the aspect ratio;
    or, with ``max_size_hw=(h, w)``, by the factor ``_side(h / H, w / W)`` (one of them may be None: that
    axis alone decides). ``max_size`` defaults to 1024 when neither is given."""

    _abstract = True
    _side = max
    _pick = min  # how the two factors of max_size_hw combine

    def __init__(self, max_size: int | list[int] | None = None, max_size_hw: tuple[int | None, int | None] | None = None, interpolation: str = "linear", p: float = 1.0) -> None:
        super().__init__(interpolation=interpolation, p=p)
        if max_size is not None and max_size_hw is not None:
            value_error("max_size / max_size_hw", "only one of the two", (max_size, max_size_hw), "pass max_size=N or max_size_hw=(h, w), not both")
        self.max_size = _sizes(1024 if max_size is None and max_size_hw is None else max_size, "max_size") if max_size_hw is None else None
        self.max_size_hw = None
        if max_size_hw is not None:
            if not (isinstance(max_size_hw, (tuple, list)) and len(max_size_hw) == 2) or max_size_hw[0] is None and max_size_hw[1] is None:
                type_error("max_size_hw", "an (h, w) pair of positive ints, one of them possibly None", max_size_hw, "pass e.g. max_size_hw=(800, 1024)")
            self.max_size_hw = (_positive_int(max_size_hw[0], "max_size_hw[0]", allow_none=True), _positive_int(max_size_hw[1], "max_size_hw[1]", allow_none=True))

    example_args = {"max_size": 40}

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        sizes = self.max_size
        if sizes is None:
            return {}
        return {"max_size": sizes[0] if len(sizes) == 1 else sizes[_randint(rng, len(sizes))]}

    batch_samples = True

    def sample_batch(self, bits: Any, rows: np.ndarray, sample: Any) -> dict[str, list]:
        sizes = self.max_size
        if sizes is None:
            return {}
        if len(sizes) == 1:
            return {"max_size": [sizes[0]] * len(rows)}
        return {"max_size": [sizes[k] for k in _randint_batch(bits, rows, len(sizes)).tolist()]}

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        if "max_size" in params:
            scale = params["max_size"] / type(self)._side(shape)
        else:
            mh, mw = self.max_size_hw  # type: ignore[misc]
            factors = [f for f in (None if mh is None else mh / shape[0], None if mw is None else mw / shape[1]) if f is not None]
            scale = type(self)._pick(factors)
        return _scale_geometry(shape, scaled_shape(shape, scale))


class LongestMaxSize(_MaxSize):
    """Scale so the longer side equals ``max_size`` (one drawn per call when a list), keeping the aspect
    ratio: ``s = max_size / max(H, W)``, output ``(round(H s), round(W s))`` (albumentations' rounding).
    With ``PadIfNeeded`` it is the YOLO-style letterbox. ``max_size_hw=(h, w)``: the largest scale fitting
    inside ``h`` x ``w``."""

    _side = max
    _pick = min


class SmallestMaxSize(_MaxSize):
    """Scale so the shorter side equals ``max_size`` (one drawn per call when a list), keeping the aspect
    ratio: ``s = max_size / min(H, W)`` (multi-scale training draws ``max_size`` from a list).
    ``max_size_hw=(h, w)``: the smallest scale covering ``h`` x ``w``."""

    _side = min
    _pick = max


class RandomScale(_Scaling):
    """Resize by a factor ``s = 1 + U(scale_limit)``, as albumentations: ``scale_limit=0.1`` means
    ``s ~ U(0.9, 1.1)``; output ``(int(H s), int(W s))`` (albumentations truncates here, while its
    max-size resizes round)."""

    def __init__(self, scale_limit: float | tuple[float, float] = 0.1, interpolation: str = "linear", p: float = 0.5) -> None:
        super().__init__(interpolation=interpolation, p=p)
        self.scale_limit = as_range(scale_limit, "scale_limit", around=0.0)
        if self.scale_limit[0] <= -1.0:
            value_error("scale_limit", "a range above -1 (the factor is 1 + scale_limit > 0)", scale_limit, "pass e.g. scale_limit=(-0.5, 0.5)")

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        lo, hi = self.scale_limit
        return {"scale": 1.0 + lo + (hi - lo) * rng.random()}

    batch_samples = True

    def sample_batch(self, bits: Any, rows: np.ndarray, sample: Any) -> dict[str, list]:
        lo, hi = self.scale_limit
        return {"scale": (1.0 + lo + (hi - lo) * bits.random(mask=rows)).tolist()}

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        s = params["scale"]
        return _scale_geometry(shape, (max(1, int(shape[0] * s)), max(1, int(shape[1] * s))))


def _pad_amount(size: int, minimum: int | None, divisor: int | None) -> tuple[int, int]:
    """(before, after) padding of one axis: up to ``minimum``, then up to the next multiple of ``divisor``
    (albumentations' ``get_dimension_padding`` when only one of the two is given)."""
    target = max(size, minimum) if minimum is not None else size
    if divisor is not None and target % divisor:
        target += divisor - target % divisor
    total = target - size
    return total // 2, total - total // 2


class PadIfNeeded(_Scaling):
    """Pad to at least ``min_height`` x ``min_width`` and/or up to the next multiple of
    ``pad_height_divisor`` / ``pad_width_divisor``, placing the image at ``position`` ("center" splits the
    padding with the extra pixel after, "random" draws the split). Never crops; the border rule fills.
    Both per axis (albumentations allows one): the minimum first, then the multiple, e.g. a letterbox to at
    least 640 that stays divisible by 32."""

    def __init__(
        self,
        min_height: int | None = 1024,
        min_width: int | None = 1024,
        pad_height_divisor: int | None = None,
        pad_width_divisor: int | None = None,
        position: str = "center",
        border_mode: str = "constant",
        fill: float | tuple[float, ...] = 0,
        fill_mask: float = 0,
        p: float = 1.0,
    ) -> None:
        super().__init__(border_mode=border_mode, fill=fill, fill_mask=fill_mask, p=p)
        self.min_height = _positive_int(min_height, "min_height", allow_none=True)
        self.min_width = _positive_int(min_width, "min_width", allow_none=True)
        self.pad_height_divisor = _positive_int(pad_height_divisor, "pad_height_divisor", allow_none=True)
        self.pad_width_divisor = _positive_int(pad_width_divisor, "pad_width_divisor", allow_none=True)
        for size, div, axis in ((self.min_height, self.pad_height_divisor, "height"), (self.min_width, self.pad_width_divisor, "width")):
            if size is None and div is None:
                value_error(f"min_{axis} / pad_{axis}_divisor", "at least one of the two", (size, div), f"pass min_{axis}=N and/or pad_{axis}_divisor=N")
        self.position = check_choice(position, "position", POSITIONS)

    example_args = {"min_height": 64, "min_width": 80}

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        H, W = sample.shape
        top, bottom = _pad_amount(H, self.min_height, self.pad_height_divisor)
        left, right = _pad_amount(W, self.min_width, self.pad_width_divisor)
        ph, pw = top + bottom, left + right
        pos = self.position
        if pos == "random":  # inclusive of both ends, as albumentations' randint
            return {"top": _randint(rng, ph + 1), "left": _randint(rng, pw + 1)}
        top = {"center": top, "top_left": 0, "top_right": 0, "bottom_left": ph, "bottom_right": ph}[pos]
        left = {"center": left, "top_left": 0, "top_right": pw, "bottom_left": 0, "bottom_right": pw}[pos]
        return {"top": top, "left": left}

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        H, W = shape
        top, bottom = _pad_amount(H, self.min_height, self.pad_height_divisor)
        left, right = _pad_amount(W, self.min_width, self.pad_width_divisor)
        return _window(shape, -params["left"], -params["top"], (H + top + bottom, W + left + right))


def _padding(value: Any) -> tuple[int, int, int, int]:
    """torchvision's ``padding``: n, (left/right, top/bottom) or (left, top, right, bottom)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value,) * 4
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        value = (value[0], value[1], value[0], value[1])
    if not (isinstance(value, (tuple, list)) and len(value) == 4 and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)):
        type_error("padding", "an int, a (left/right, top/bottom) pair or a (left, top, right, bottom) 4-tuple of ints", value, "pass e.g. padding=4 or padding=(4, 8)")
    if min(value) < 0:
        value_error("padding", "non-negative paddings", value, "pass paddings >= 0 (crop with a crop transform)")
    return tuple(int(v) for v in value)  # type: ignore[return-value]


class Pad(_Scaling):
    """Pad each side by a fixed amount, as torchvision's ``Pad``: ``padding`` is n, (left/right,
    top/bottom) or (left, top, right, bottom); ``padding_mode`` constant / edge / reflect (mirror without
    the edge pixel) / symmetric (mirror with it)."""

    def __init__(self, padding: int | tuple[int, ...] = 4, fill: float | tuple[float, ...] = 0, padding_mode: str = "constant", fill_mask: float = 0, p: float = 1.0) -> None:
        mode = check_choice(padding_mode, "padding_mode", tuple(_BORDER_OF_PADDING_MODE))
        super().__init__(border_mode=_BORDER_OF_PADDING_MODE[mode], fill=fill, fill_mask=fill_mask, p=p)
        self.padding, self.padding_mode = _padding(padding), mode

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        left, top, right, bottom = self.padding
        return _window(shape, -left, -top, (shape[0] + top + bottom, shape[1] + left + right))


class ScaleJitter(_Scaling):
    """Large-scale jitter (Ghiasi et al. 2021, "Simple Copy-Paste is a Strong Data Augmentation Method for
    Instance Segmentation", Sec. 3): resize keeping the aspect ratio by ``r = U(scale_range) *
    min(th / H, tw / W)`` (the factor that fits the image into ``target_size``), then take a random
    ``target_size`` window: a random crop where the resized image is larger, padding at the bottom/right
    (image at the top-left) where it is smaller. One matrix: it fuses with its neighbours."""

    def __init__(
        self,
        target_size: int | tuple[int, int] = (1024, 1024),
        scale_range: tuple[float, float] = (0.1, 2.0),
        interpolation: str = "linear",
        border_mode: str = "constant",
        fill: float | tuple[float, ...] = 0,
        fill_mask: float = 0,
        p: float = 1.0,
    ) -> None:
        super().__init__(interpolation=interpolation, border_mode=border_mode, fill=fill, fill_mask=fill_mask, p=p)
        self.target_size = _size(target_size, "target_size")
        self.scale_range = as_range(scale_range, "scale_range", low=0.0)
        if self.scale_range[0] <= 0:
            value_error("scale_range", "positive factors", scale_range, "pass e.g. scale_range=(0.1, 2.0)")

    example_args = {"target_size": (40, 48)}

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        H, W = sample.shape
        th, tw = self.target_size
        lo, hi = self.scale_range
        r = (lo + (hi - lo) * rng.random()) * min(th / H, tw / W)
        h, w = scaled_shape((H, W), r)
        return {"scale": r, "x": _randint(rng, w - tw + 1) if w > tw else 0, "y": _randint(rng, h - th + 1) if h > th else 0}

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        H, W = shape
        h, w = scaled_shape(shape, params["scale"])
        matrix = geo.translation(-params["x"], -params["y"]) @ geo.scaling(w / W, h / H)
        return Geometry(shape, self.target_size, matrix)


class RandomSizedCrop(_Scaling):
    """Crop a random window and resize it to ``size``, as albumentations: the crop height is an integer
    drawn uniformly from ``min_max_height`` (both ends included), its width ``int(height * w2h_ratio)``, its
    corner ``int((H - h + 1) * U[0, 1))`` (and likewise in x)."""

    def __init__(
        self,
        min_max_height: tuple[int, int],
        size: int | tuple[int, int],
        w2h_ratio: float = 1.0,
        interpolation: str = "linear",
        p: float = 1.0,
    ) -> None:
        super().__init__(interpolation=interpolation, p=p)
        if not (isinstance(min_max_height, (tuple, list)) and len(min_max_height) == 2 and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in min_max_height)):
            type_error("min_max_height", "a (min, max) pair of ints", min_max_height, "pass e.g. min_max_height=(128, 256)")
        if not 1 <= min_max_height[0] <= min_max_height[1]:
            value_error("min_max_height", "1 <= min <= max", min_max_height, "pass e.g. min_max_height=(128, 256)")
        self.min_max_height = (int(min_max_height[0]), int(min_max_height[1]))
        self.size = _size(size, "size")
        if isinstance(w2h_ratio, bool) or not isinstance(w2h_ratio, (int, float, np.integer, np.floating)) or not w2h_ratio > 0:
            value_error("w2h_ratio", "a positive number", w2h_ratio, "pass e.g. w2h_ratio=1.0")
        self.w2h_ratio = float(w2h_ratio)

    example_args = {"min_max_height": (16, 24), "size": (20, 20)}

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        H, W = sample.shape
        lo, hi = self.min_max_height
        h = lo + _randint(rng, hi - lo + 1)
        w = int(h * self.w2h_ratio)
        if w < 1:
            value_error("w2h_ratio", "a ratio giving a crop at least 1 pixel wide", self.w2h_ratio, "raise w2h_ratio or min_max_height")
        h, w = min(h, H), min(w, W)  # albumentations clips the crop to the image
        y = int((H - h + 1) * rng.random())
        x = int((W - w + 1) * rng.random())
        return {"x": x, "y": y, "w": w, "h": h}

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        out_h, out_w = self.size
        x, y, w, h = params["x"], params["y"], params["w"], params["h"]
        matrix = geo.crop_resize_matrix(x, y, w, h, out_w, out_h)
        return Geometry(shape, self.size, matrix, form=geo.crop_resize_kernel(shape, self.size, x, y, x + w, y + h, matrix))


def _side_spec(value: Any, argument: str, integer: bool) -> tuple:
    """``px``/``percent``: a number, a (min, max) range, or four per-side entries (top, right, bottom,
    left), each a number, a (min, max) range or a list of choices."""
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)

    def number(v: Any) -> bool:
        return isinstance(v, kinds) and not isinstance(v, bool)

    def entry(v: Any) -> tuple:
        if number(v):
            return ("fixed", v)
        if isinstance(v, tuple) and len(v) == 2 and all(number(u) for u in v) and v[0] <= v[1]:
            return ("range", v[0], v[1])
        if isinstance(v, list) and v and all(number(u) for u in v):
            return ("choice", *v)
        type_error(argument, "per side: a number, a (min, max) tuple or a list of choices", v, f"pass e.g. {argument}=(-0.1, 0.1)" if not integer else f"pass e.g. {argument}=(-8, 8)")

    if number(value):
        return ("all", entry(value))
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(number(u) for u in value):
        if value[0] > value[1]:
            value_error(argument, "min <= max", value, f"swap the two values: {argument}=({value[1]}, {value[0]})")
        return ("all", ("range", value[0], value[1]))
    if isinstance(value, (tuple, list)) and len(value) == 4:
        return ("sides", *(entry(v) for v in value))
    type_error(argument, "a number, a (min, max) pair, or four per-side entries (top, right, bottom, left)", value, f"pass e.g. {argument}=(-0.1, 0.1)")


class CropAndPad(_Scaling):
    """Crop (negative values) or pad (positive values) each side by pixels ``px`` or by a fraction
    ``percent`` of the side's axis, then (``keep_size``) resize back to the input size, as
    albumentations/imgaug. ``px``/``percent``: a number (every side), a (min, max) range (drawn per side
    when ``sample_independently``, else once), or four per-side entries (top, right, bottom, left), each
    a number, a (min, max) range or a list of choices. Pixel ranges include both ends. A crop that would
    leave nothing keeps one pixel (imgaug's rule)."""

    def __init__(
        self,
        px: Any = None,
        percent: Any = None,
        keep_size: bool = True,
        sample_independently: bool = True,
        interpolation: str = "linear",
        border_mode: str = "constant",
        fill: float | tuple[float, ...] = 0,
        fill_mask: float = 0,
        p: float = 1.0,
    ) -> None:
        super().__init__(interpolation=interpolation, border_mode=border_mode, fill=fill, fill_mask=fill_mask, p=p)
        if (px is None) == (percent is None):
            value_error("px / percent", "exactly one of px and percent", (px, percent), "pass e.g. percent=(-0.1, 0.1) or px=(-8, 8)")
        self.px = _side_spec(px, "px", True) if px is not None else None
        self.percent = _side_spec(percent, "percent", False) if percent is not None else None
        if self.percent is not None:
            bounds = [v for e in (self.percent[1:]) for v in e[1:]]
            if min(bounds) <= -1.0:
                value_error("percent", "fractions above -1 (cropping a whole side leaves nothing)", percent, "pass e.g. percent=(-0.3, 0.3)")
        self.keep_size, self.sample_independently = bool(keep_size), bool(sample_independently)

    example_args = {"percent": (-0.2, 0.2)}

    @staticmethod
    def _draw(rng: np.random.Generator, e: tuple, integer: bool) -> float:
        if e[0] == "fixed":
            return e[1]
        if e[0] == "range":
            if integer:
                return int(e[1]) + _randint(rng, int(e[2]) - int(e[1]) + 1)
            return e[1] + (e[2] - e[1]) * rng.random()
        choices = e[1:]
        return choices[_randint(rng, len(choices))]

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        H, W = sample.shape
        spec, integer = (self.px, True) if self.px is not None else (self.percent, False)
        if spec[0] == "all":  # type: ignore[index]
            e = spec[1]  # type: ignore[index]
            if e[0] == "range" and self.sample_independently:
                values = [self._draw(rng, e, integer) for _ in range(4)]
            else:
                values = [self._draw(rng, e, integer)] * 4
        else:
            values = [self._draw(rng, e, integer) for e in spec[1:]]  # type: ignore[index]
        if not integer:  # fraction of the axis each side lies on, truncated as albumentations
            values = [int(values[0] * H), int(values[1] * W), int(values[2] * H), int(values[3] * W)]
        top, right, bottom, left = (int(v) for v in values)
        ct, cr, cb, cl = _prevent_zero([max(-top, 0), max(-right, 0), max(-bottom, 0), max(-left, 0)], H, W)
        return {"top": max(top, 0) - ct, "right": max(right, 0) - cr, "bottom": max(bottom, 0) - cb, "left": max(left, 0) - cl}

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        H, W = shape
        top, right, bottom, left = params["top"], params["right"], params["bottom"], params["left"]
        out = (H + top + bottom, W + left + right)
        window = _window(shape, -left, -top, out)
        if not self.keep_size or out == (H, W):
            return window
        matrix = geo.scaling(W / out[1], H / out[0]) @ window.matrix  # type: ignore[operator]
        return Geometry(shape, (H, W), matrix, form=geo.crop_resize_kernel(shape, (H, W), -left, -top, W + right, H + bottom, matrix))


def _prevent_zero_axis(a: int, b: int, size: int) -> tuple[int, int]:
    """imgaug's ``_prevent_zero_sizes_after_crops_``: give back just enough pixels, split between the two
    sides, that exactly one remains (albumentations gives back ``size + 1``, which can leave a crop of
    nothing or one that is barely cropped)."""
    regain = abs(size - (a + b)) + 1
    r1 = regain // 2
    r2 = regain // 2
    if r1 + r2 < regain:
        r1 += 1
    if r1 > a:
        r2 += r1 - a
        r1 = a
    elif r2 > b:
        r1 += r2 - b
        r2 = b
    return a - r1, b - r2


def _prevent_zero(crop: list[int], H: int, W: int) -> list[int]:
    """Crops (top, right, bottom, left) that leave at least one row and column."""
    top, right, bottom, left = crop
    if H - (top + bottom) < 1:
        top, bottom = _prevent_zero_axis(top, bottom, H)
    if W - (left + right) < 1:
        left, right = _prevent_zero_axis(left, right, W)
    return [max(top, 0), max(right, 0), max(bottom, 0), max(left, 0)]

"""Colour transforms: ColorJitter (torchvision semantics), HueSaturationValue, ToGray / RandomGrayscale,
CLAHE, Sharpness, ChannelShuffle.

Hue and saturation exist only for RGB. On a 1-channel image (X-ray) or an RGB+extra-band image
(RGBN satellite tile) they raise, saying why and what to use instead: drop them, or apply the colour
transform to the RGB bands only with ``iv.OnChannels(transform, channels=(0, 1, 2))``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import cv2
import numpy as np

from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.lut import compose as lut_compose
from ..core.transform import Params, Transform, as_range, input_description
from ..ops import color as C

_RGB_ONLY_FIX = (
    "hue and saturation are only defined for 3-channel RGB images: for a grayscale image drop them "
    "(keep brightness/contrast), for RGB plus extra bands apply it to the RGB bands only with "
    "iv.OnChannels(transform, channels=(0, 1, 2))"
)


_NAMES = ("brightness", "contrast", "saturation", "hue")


def _factor_range(value: Any, argument: str) -> tuple[float, float] | None:
    """torchvision's reading of a jitter amount: x -> [max(0, 1 - x), 1 + x]; (lo, hi) as given; 0 -> off."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        if value < 0:
            value_error(argument, "a non-negative number or a (min, max) pair", value, f"pass e.g. {argument}=0.4")
        if value == 0:
            return None
        return (max(0.0, 1.0 - float(value)), 1.0 + float(value))
    lo, hi = as_range(value, argument, low=0.0)
    return None if lo == hi == 1.0 else (lo, hi)


class ColorJitter(Transform):
    """Brightness, contrast, saturation and hue jitter in a random order, as torchvision's ColorJitter.

    brightness: multiply by b ~ U[max(0, 1 - brightness), 1 + brightness].
    contrast: blend with the mean of the grayscale image: ``(x - mean) * c + mean`` (the channel's own mean
        for non-RGB images). torchvision floors the uint8 grayscale before averaging; we do not (< 0.5 level).
    saturation: blend with the grayscale image by s ~ U[max(0, 1 - saturation), 1 + saturation].
    hue: rotate hue in HSV by h ~ U[-hue, hue] turns (hue <= 0.5). uint8 works in OpenCV's 8-bit HSV with
        256 hue levels (max error vs float HSV is a few levels on dark, saturated pixels); uint16 and float32
        use float HSV.
    Brightness and contrast alone are pointwise: such calls fuse with neighbouring lookup-table steps.
    """

    channels = (3,)  # as configured by example_args; an instance with brightness/contrast only takes any count
    support_note: ClassVar[str] = "any channel count when saturation=hue=0 (brightness/contrast only)"

    def __init__(
        self,
        brightness: float | tuple[float, float] = 0,
        contrast: float | tuple[float, float] = 0,
        saturation: float | tuple[float, float] = 0,
        hue: float | tuple[float, float] = 0,
        p: float = 1.0,
    ) -> None:
        super().__init__(p)
        self.brightness = _factor_range(brightness, "brightness")
        self.contrast = _factor_range(contrast, "contrast")
        self.saturation = _factor_range(saturation, "saturation")
        hue_range = as_range(hue, "hue", around=0.0, low=-0.5, high=0.5)
        self.hue = None if hue_range == (0.0, 0.0) else hue_range
        self.channels = (3,) if self.saturation or self.hue else None  # type: ignore[misc]
        self.lut_fusable = self.channels is None  # type: ignore[misc]

    example_args = {"brightness": 0.4, "contrast": 0.4, "saturation": 0.4, "hue": 0.1}

    def check_input(self, sample: Any) -> None:
        if self.channels is not None and sample.channels != 3:
            value_error("ColorJitter saturation/hue", "a 3-channel RGB image", input_description(sample), _RGB_ONLY_FIX)
        super().check_input(sample)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        # one draw of 8 doubles: the first 4 rank into a uniformly random order of the four operations, the
        # last 4 are the factors (lo + (hi - lo) * u, numpy's uniform formula); one generator call instead
        # of a permutation plus one uniform per operation
        u = rng.random(8).tolist()
        order = sorted(range(4), key=u.__getitem__)
        ranges = (self.brightness, self.contrast, self.saturation, self.hue)
        params: Params = {"order": [_NAMES[i] for i in order]}
        for i in range(4):
            r = ranges[i]
            params[_NAMES[i]] = None if r is None else r[0] + (r[1] - r[0]) * u[4 + i]
        return params

    batch_samples = True

    def sample_batch(self, bits: Any, rows: np.ndarray, sample: Any) -> dict[str, list]:
        u = bits.random(8, mask=rows)
        # sorted(range(4), key=u.__getitem__) is a stable sort of the first four draws
        columns: dict[str, list] = {"order": [[_NAMES[i] for i in o] for o in np.argsort(u[:, :4], axis=1, kind="stable").tolist()]}
        ranges = (self.brightness, self.contrast, self.saturation, self.hue)
        for i in range(4):
            r = ranges[i]
            columns[_NAMES[i]] = [None] * len(rows) if r is None else (r[0] + (r[1] - r[0]) * u[:, 4 + i]).tolist()
        return columns

    @staticmethod
    def _steps(params: Params) -> list[tuple[str, float]]:
        identity = {"brightness": 1.0, "contrast": 1.0, "saturation": 1.0, "hue": 0.0}
        return [(name, params[name]) for name in params["order"] if params.get(name) is not None and params[name] != identity[name]]

    @staticmethod
    def _curve(name: str, factor: float, stats: C.ImageStats) -> C.Curve:
        if name == "brightness":
            return C.linear_curve(factor, 0.0)
        return C.contrast_curve(factor, stats.contrast_pivot())

    @classmethod
    def _table(cls, name: str, factor: float, stats: C.ImageStats, channels: int) -> np.ndarray:
        """uint8 table of one brightness/contrast step: shared (256, 1) unless the pivots differ per channel."""
        if name == "brightness":
            return C.linear_table(factor, 0.0)
        pivot = stats.shared_pivot()
        if pivot is not None:  # RGB (gray mean) or one channel: the same values as the curve's table
            return C.linear_table(factor, (1.0 - factor) * pivot)
        return C.table_from_curve(cls._curve(name, factor, stats), channels)

    def _pointwise_table(self, steps: list[tuple[str, float]], channels: int, stats: C.ImageStats) -> np.ndarray:
        table = np.arange(256, dtype=np.uint8)[:, None]
        for k, (name, factor) in enumerate(steps):
            step = self._table(name, factor, stats, channels)
            table = step if k == 0 else lut_compose(table, step)
            if k + 1 < len(steps):
                stats = stats.through(step)
        return np.ascontiguousarray(table)

    @staticmethod
    def _shared_table(image: np.ndarray, steps: list[tuple[str, float]]) -> np.ndarray:
        """The composed (256,) table of a brightness/contrast run on a 1- or 3-channel uint8 image, where one
        table serves every channel (contrast pivots on the gray mean). The same values as
        ``_pointwise_table`` (a test compares them through the fused path), with the pivot after earlier
        steps taken from one translated pass instead of the generic statistics chain: a run is called
        once per image, so its per-call overhead shows."""
        table: np.ndarray | None = None
        for name, factor in steps:
            if name == "brightness":
                step = C.linear_table(factor, 0.0).reshape(256)
            else:
                pivot = C.gray_mean_uint8(image if table is None else C.apply_table(image, table))
                step = C.linear_table(factor, (1.0 - factor) * pivot).reshape(256)
            table = step if table is None else step[table]
        return table if table is not None else np.arange(256, dtype=np.uint8)

    def lookup_table(self, params: Params, dtype: np.dtype, channels: int, stats: C.ImageStats) -> np.ndarray | None:
        steps = self._steps(params)
        if any(name in ("saturation", "hue") for name, _ in steps):
            return None
        return self._pointwise_table(steps, channels, stats)

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        out = image
        pending: list[tuple[str, float]] = []
        for name, factor in self._steps(params) + [("end", 0.0)]:
            if name in ("brightness", "contrast"):
                pending.append((name, factor))
                continue
            if pending:
                out = self._run_pointwise(out, pending)
                pending = []
            if name == "saturation":
                out = C.saturation(out, factor)
            elif name == "hue":
                out = C.hue_shift(out, factor)
        return out if out is not image else image.copy()

    def _run_pointwise(self, image: np.ndarray, steps: list[tuple[str, float]]) -> np.ndarray:
        if image.dtype == np.uint8 and image.shape[2] in (1, 3):
            return C.apply_table(image, self._shared_table(image, steps))
        if image.dtype == np.uint8:
            return C.apply_table(image, self._pointwise_table(steps, image.shape[2], C.ImageStats(image)))
        for name, factor in steps:
            image = C.apply_curve(image, self._curve(name, factor, C.ImageStats(image)))
        return image

    def effects(self) -> Effects:
        return Effects(alters_intensity=bool(self.brightness or self.contrast), alters_color=bool(self.saturation or self.hue))


class HueSaturationValue(Transform):
    """Shift hue by U[+/-hue_shift_limit] DEGREES and add U[+/-sat_shift_limit], U[+/-val_shift_limit]
    (fractions of full scale) to saturation and value. albumentations counts hue in OpenCV's half-degree
    uint8 units and S/V in 0..255 units; degrees and fractions mean the same call works for every dtype.
    uint8 runs in 8-bit HSV with one 3-channel table pass; uint16/float32 in float HSV."""

    channels = (3,)

    def __init__(
        self,
        hue_shift_limit: float | tuple[float, float] = 20,
        sat_shift_limit: float | tuple[float, float] = 0.12,
        val_shift_limit: float | tuple[float, float] = 0.08,
        p: float = 0.5,
    ) -> None:
        super().__init__(p)
        self.hue_shift_limit = as_range(hue_shift_limit, "hue_shift_limit", around=0.0, low=-180.0, high=180.0)
        self.sat_shift_limit = as_range(sat_shift_limit, "sat_shift_limit", around=0.0, low=-1.0, high=1.0)
        self.val_shift_limit = as_range(val_shift_limit, "val_shift_limit", around=0.0, low=-1.0, high=1.0)

    def channel_fix(self) -> str:
        return _RGB_ONLY_FIX

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {
            "hue": float(rng.uniform(*self.hue_shift_limit)),
            "sat": float(rng.uniform(*self.sat_shift_limit)),
            "val": float(rng.uniform(*self.val_shift_limit)),
        }

    batch_samples = True

    def sample_batch(self, bits: Any, rows: np.ndarray, sample: Any) -> dict[str, list]:
        hue = bits.uniform(*self.hue_shift_limit, mask=rows)  # drawn in sample_params' order
        sat = bits.uniform(*self.sat_shift_limit, mask=rows)
        return {"hue": hue.tolist(), "sat": sat.tolist(), "val": bits.uniform(*self.val_shift_limit, mask=rows).tolist()}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return C.shift_hsv(image, params["hue"], params["sat"], params["val"])

    def effects(self) -> Effects:
        return Effects(alters_color=True, alters_intensity=self.val_shift_limit != (0.0, 0.0))


class ToGray(Transform):
    """RGB -> grayscale with ITU-R 601-2 luma weights (PIL "L", OpenCV RGB2GRAY, torchvision Grayscale),
    repeated to ``num_output_channels`` (3 keeps the channel count so the rest of the pipeline is unchanged)."""

    channels = (3,)

    def __init__(self, num_output_channels: int = 3, p: float = 1.0) -> None:
        super().__init__(p)
        if num_output_channels not in (1, 3) or isinstance(num_output_channels, bool):
            value_error("num_output_channels", "1 or 3", num_output_channels, "pass 3 to keep an RGB-shaped image, 1 for a single channel")
        self.num_output_channels = int(num_output_channels)

    def channel_fix(self) -> str:
        return "grayscale conversion needs an RGB image: a 1-channel image is already grayscale (drop this transform); for RGB plus extra bands use iv.OnChannels(..., channels=(0, 1, 2)) with num_output_channels=3"

    def output_channels(self, params: Params, channels: int) -> int:
        return self.num_output_channels

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        gray = C.to_gray(image)
        return gray if self.num_output_channels == 1 else cv2.cvtColor(gray[:, :, 0], cv2.COLOR_GRAY2RGB)

    def effects(self) -> Effects:
        return Effects(alters_color=True, grayscale=True)


class RandomGrayscale(ToGray):
    """Grayscale with probability ``p`` (default 0.1, torchvision), keeping 3 equal channels."""

    def __init__(self, p: float = 0.1) -> None:
        super().__init__(num_output_channels=3, p=p)


class CLAHE(Transform):
    """Contrast-limited adaptive histogram equalization (OpenCV), clip limit drawn from ``clip_limit``.
    1 channel: directly; RGB: on the luma (YCrCb's Y; albumentations uses LAB's L, which OpenCV lacks for
    uint16); other channel counts: per channel. uint16 runs natively, float32 on 16-bit codes."""

    def __init__(self, clip_limit: float | tuple[float, float] = (1.0, 4.0), tile_grid_size: tuple[int, int] = (8, 8), p: float = 0.5) -> None:
        super().__init__(p)
        self.clip_limit = as_range(clip_limit, "clip_limit", low=0.0)
        grid = tile_grid_size
        if not (isinstance(grid, (tuple, list)) and len(grid) == 2 and all(isinstance(g, (int, np.integer)) and not isinstance(g, bool) and g > 0 for g in grid)):
            type_error("tile_grid_size", "a (rows, cols) pair of positive ints", grid, "pass e.g. tile_grid_size=(8, 8)")
        self.tile_grid_size = (int(grid[0]), int(grid[1]))

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"clip_limit": float(rng.uniform(*self.clip_limit))}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return C.clahe(image, params["clip_limit"], self.tile_grid_size)

    def effects(self) -> Effects:
        return Effects(alters_intensity=True)


class Sharpness(Transform):
    """PIL ImageEnhance.Sharpness / torchvision adjust_sharpness with a factor drawn from ``factor``:
    0 gives the smoothed image, 1 the original, 2 a sharpened one."""

    def __init__(self, factor: float | tuple[float, float] = 2.0, p: float = 0.5) -> None:
        super().__init__(p)
        self.factor = as_range(factor, "factor", low=0.0)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"factor": float(rng.uniform(*self.factor))}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        if image.shape[0] < 3 or image.shape[1] < 3:
            return image.copy()
        return C.sharpness(image, params["factor"])

    def effects(self) -> Effects:
        return Effects(alters_intensity=True, blurs=self.factor[0] < 1.0)


class ChannelShuffle(Transform):
    """Permute the channels randomly (any channel count)."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(p)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"order": [int(i) for i in rng.permutation(sample.channels)]}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        order = params["order"]
        if len(order) != image.shape[2]:
            value_error("ChannelShuffle params", f"a permutation of {image.shape[2]} channels", order, "replay with images of the channel count it was recorded on")
        if order == [2, 1, 0] and image.dtype in (np.uint8, np.uint16, np.float32):  # RGB <-> BGR: SIMD swap, 7x faster
            return cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        if order == list(range(len(order))):
            return image.copy()
        if len(order) <= 4:  # one OpenCV channel copy instead of a fancy-indexing gather
            out = np.empty(image.shape, image.dtype)  # C order: empty_like keeps a Fortran/transposed layout, which mixChannels rejects
            cv2.mixChannels([image], [out], [k for i, src in enumerate(order) for k in (src, i)])
            return out
        return np.ascontiguousarray(image[:, :, order])

    def effects(self) -> Effects:
        return Effects(alters_color=True)


class ToSepia(Transform):
    """Sepia tone: the fixed colour matrix of albumentations' ToSepia
    (R' = .393 R + .769 G + .189 B, G' = .349 R + .686 G + .168 B, B' = .272 R + .534 G + .131 B), one
    ``cv2.transform`` pass, saturated / clipped to the dtype's range. uint8, uint16 and float32.

    RGB only: albumentations returns a 1-channel image unchanged (silently doing nothing); here 1- and
    4-channel images raise, with the fix."""

    channels = (3,)
    support_note: ClassVar[str] = "RGB only; RGB+N: OnChannels"

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(p)

    def channel_fix(self) -> str:
        return (
            "sepia mixes the red, green and blue channels, so it needs a 3-channel RGB image: a grayscale "
            "image has no colour to tone (drop the transform), for RGB plus extra bands apply it to the RGB "
            "bands only with iv.OnChannels(transform, channels=(0, 1, 2))"
        )

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return C.sepia(image)

    def effects(self) -> Effects:
        return Effects(alters_color=True, alters_intensity=True)

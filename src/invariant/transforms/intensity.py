"""Pointwise intensity transforms: each is a curve ``f(x)`` per channel, so on uint8 images it is one
lookup-table pass and consecutive ones fuse into a single pass (``core.lut``). uint16 and float32 run
the same curve in float32 arithmetic (never via uint8). Float images are taken to be in [0, 1].

References: PIL ImageEnhance / ImageOps (equalize, autocontrast, posterize, solarize, invert);
torchvision.transforms.v2 (RandomEqualize, RandomAutocontrast, RandomPosterize, RandomSolarize,
RandomInvert); albumentations (RandomBrightnessContrast, RandomGamma).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.transform import Params, Transform, as_range
from ..ops import color as C


_TABLES: dict[Any, np.ndarray] = {}  # read-only uint8 tables of statistics-free curves, by (class, key, channels)


class PointwiseTransform(Transform):
    """Base of transforms that map each pixel value through a per-channel curve.

    Subclasses implement ``curve(params, dtype, channels, stats)`` (a function on float arrays in dtype
    units) and may override ``lookup_table`` when a table is more natural (equalize)."""

    _abstract = True
    lut_fusable: ClassVar[bool] = True

    def curve(self, params: Params, dtype: np.dtype, channels: int, stats: C.ImageStats) -> C.Curve:
        raise NotImplementedError

    def lookup_table(self, params: Params, dtype: np.dtype, channels: int, stats: C.ImageStats) -> np.ndarray | None:
        """(256, channels) uint8 table for a uint8 image whose statistics are ``stats``."""
        key = self.table_key(params)
        if key is None:
            return C.table_from_curve(self.curve(params, np.dtype(np.uint8), channels, stats), channels)
        key = (type(self).__name__, key, channels)
        table = _TABLES.get(key)
        if table is None:
            if len(_TABLES) >= 256:  # bounded: continuous parameters would otherwise grow it forever
                _TABLES.clear()
            table = C.table_from_curve(self.curve(params, np.dtype(np.uint8), channels, stats), channels)
            table.setflags(write=False)
            _TABLES[key] = table
        return table

    def table_key(self, params: Params) -> Any:
        """Hashable key when the uint8 table depends only on ``params`` (not on image statistics), so it is
        built once and reused; None (the default) rebuilds it per call."""
        return None

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        stats = C.ImageStats(image)
        if image.dtype == np.uint8:
            return C.apply_table(image, self.lookup_table(params, image.dtype, image.shape[2], stats))  # type: ignore[arg-type]
        return C.apply_curve(image, self.curve(params, image.dtype, image.shape[2], stats))

    def effects(self) -> Effects:
        return Effects(alters_intensity=True)


def _int_range(value: Any, argument: str, low: int, high: int) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair)):
        type_error(argument, "an int or a (min, max) pair of ints", value, f"pass e.g. {argument}=({low}, {high})")
    if not low <= pair[0] <= pair[1] <= high:
        value_error(argument, f"{low} <= min <= max <= {high}", value, f"pick values between {low} and {high}")
    return int(pair[0]), int(pair[1])


class RandomBrightnessContrast(PointwiseTransform):
    """Brightness shift and contrast scale, each drawn uniformly from ``1 +/- limit`` / ``+/- limit``.

    ``out = (x - mean) * alpha + mean + beta * max`` where ``mean`` is the image mean (the grayscale mean
    for RGB, each channel's own mean otherwise) and ``max`` the dtype's range (``brightness_by_max``; else
    ``beta * mean``). Differs from albumentations, whose contrast pivots on 0 (``x * alpha + beta``) and so
    also darkens or brightens; pivoting on the mean is PIL's and torchvision's ``(x - mu) * c + mu``. Valid for
    grayscale, RGB and multispectral images alike (every channel keeps its own pivot)."""

    def __init__(
        self,
        brightness_limit: float | tuple[float, float] = 0.2,
        contrast_limit: float | tuple[float, float] = 0.2,
        brightness_by_max: bool = True,
        p: float = 0.5,
    ) -> None:
        super().__init__(p)
        self.brightness_limit = as_range(brightness_limit, "brightness_limit", around=0.0)
        self.contrast_limit = as_range(contrast_limit, "contrast_limit", around=0.0, low=-1.0)
        self.brightness_by_max = bool(brightness_by_max)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        u0, u1 = rng.random(2).tolist()  # the same doubles, in the same order, as two rng.uniform calls
        (c0, c1), (b0, b1) = self.contrast_limit, self.brightness_limit
        return {"alpha": 1.0 + (c0 + (c1 - c0) * u0), "beta": b0 + (b1 - b0) * u1}

    batch_samples = True

    def sample_batch(self, bits: Any, rows: np.ndarray, sample: Any) -> dict[str, list]:
        u = bits.random(2, mask=rows)
        (c0, c1), (b0, b1) = self.contrast_limit, self.brightness_limit
        return {"alpha": (1.0 + (c0 + (c1 - c0) * u[:, 0])).tolist(), "beta": (b0 + (b1 - b0) * u[:, 1]).tolist()}

    def curve(self, params: Params, dtype: np.dtype, channels: int, stats: C.ImageStats) -> C.Curve:
        alpha, beta = params["alpha"], params["beta"]
        pivot = stats.contrast_pivot() if alpha != 1.0 or not self.brightness_by_max else np.zeros(channels)
        shift = beta * C.max_value(dtype) if self.brightness_by_max else beta * pivot
        return C.linear_curve(alpha, (1.0 - alpha) * pivot + shift)

    def lookup_table(self, params: Params, dtype: np.dtype, channels: int, stats: C.ImageStats) -> np.ndarray | None:
        alpha, beta = params["alpha"], params["beta"]
        pivot = stats.shared_pivot() if alpha != 1.0 or not self.brightness_by_max else 0.0
        if pivot is None:  # per-channel pivots: one table per channel
            return super().lookup_table(params, dtype, channels, stats)
        shift = beta * 255.0 if self.brightness_by_max else beta * pivot
        return C.linear_table(alpha, (1.0 - alpha) * pivot + shift)  # the same float64 arithmetic as the curve


class RandomGamma(PointwiseTransform):
    """``max * (x / max) ** gamma`` with ``gamma`` drawn uniformly from ``gamma`` (albumentations'
    ``gamma_limit=(80, 120)`` is ``gamma=(0.8, 1.2)`` here)."""

    def __init__(self, gamma: float | tuple[float, float] = (0.8, 1.2), p: float = 0.5) -> None:
        super().__init__(p)
        self.gamma = as_range(gamma, "gamma")
        if self.gamma[0] <= 0:
            value_error("gamma", "positive values", gamma, "pass e.g. gamma=(0.8, 1.2)")

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"gamma": float(rng.uniform(*self.gamma))}

    batch_samples = True

    def sample_batch(self, bits: Any, rows: np.ndarray, sample: Any) -> dict[str, list]:
        return {"gamma": bits.uniform(*self.gamma, mask=rows).tolist()}

    def curve(self, params: Params, dtype: np.dtype, channels: int, stats: C.ImageStats) -> C.Curve:
        return C.gamma_curve(params["gamma"], C.max_value(dtype))

    def lookup_table(self, params: Params, dtype: np.dtype, channels: int, stats: C.ImageStats) -> np.ndarray | None:
        return C.gamma_table(params["gamma"])  # shared (256, 1): no broadcast checks


class Invert(PointwiseTransform):
    """``max - x`` (PIL ImageOps.invert, torchvision RandomInvert)."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(p)

    def curve(self, params: Params, dtype: np.dtype, channels: int, stats: C.ImageStats) -> C.Curve:
        return C.invert_curve(C.max_value(dtype))

    def table_key(self, params: Params) -> Any:
        return "invert"

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        if image.dtype in (np.uint8, np.uint16):  # max - x is the bitwise complement for unsigned integers
            return C.invert_integer(image)
        return super().apply_image(image, params)


class Solarize(PointwiseTransform):
    """Invert values at or above ``threshold``, a FRACTION of the dtype's range drawn uniformly from
    ``threshold`` (PIL's ``solarize(img, 128)`` on uint8 is ``threshold=128/255``). torchvision takes the
    threshold in pixel units; a fraction means the same argument works for uint8, uint16 and float32."""

    def __init__(self, threshold: float | tuple[float, float] = 0.5, p: float = 0.5) -> None:
        super().__init__(p)
        self.threshold = as_range(threshold, "threshold", low=0.0, high=1.0)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"threshold": float(rng.uniform(*self.threshold))}

    batch_samples = True

    def sample_batch(self, bits: Any, rows: np.ndarray, sample: Any) -> dict[str, list]:
        return {"threshold": bits.uniform(*self.threshold, mask=rows).tolist()}

    def curve(self, params: Params, dtype: np.dtype, channels: int, stats: C.ImageStats) -> C.Curve:
        top = C.max_value(dtype)
        return C.solarize_curve(params["threshold"] * top, top)

    def table_key(self, params: Params) -> Any:
        return params["threshold"]


class Posterize(PointwiseTransform):
    """Keep the top ``bits`` bits of each value (an int or a range to draw from, 1..8). uint16 keeps the top
    ``bits`` of 16 (so it matches uint8 after scaling); float32 floors to ``2**bits`` levels."""

    def __init__(self, bits: int | tuple[int, int] = 4, p: float = 0.5) -> None:
        super().__init__(p)
        self.bits = _int_range(bits, "bits", 1, 8)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"bits": int(rng.integers(self.bits[0], self.bits[1] + 1))}

    batch_samples = True

    def sample_batch(self, bits: Any, rows: np.ndarray, sample: Any) -> dict[str, list]:
        return {"bits": bits.integers(self.bits[0], self.bits[1] + 1, mask=rows).tolist()}

    def curve(self, params: Params, dtype: np.dtype, channels: int, stats: C.ImageStats) -> C.Curve:
        return C.posterize_curve(params["bits"], dtype)

    def table_key(self, params: Params) -> Any:
        return params["bits"]

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        if image.dtype in (np.uint8, np.uint16):  # floor(x / 2**k) * 2**k keeps the top bits: x & mask
            return C.posterize_integer(image, params["bits"])
        return super().apply_image(image, params)


class AutoContrast(PointwiseTransform):
    """Stretch each channel's [min, max] to the dtype's full range (torchvision autocontrast; PIL's
    ImageOps.autocontrast with cutoff=0, which truncates where we round)."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(p)

    def curve(self, params: Params, dtype: np.dtype, channels: int, stats: C.ImageStats) -> C.Curve:
        lo, hi = stats.minmax()
        return C.autocontrast_curve(lo, hi, C.max_value(dtype))


class Equalize(PointwiseTransform):
    """Per-channel histogram equalization with PIL's / torchvision's algorithm. uint16 equalizes over 65536
    bins; float32 over 65536 levels (outputs are multiples of 1/65535)."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(p)

    def lookup_table(self, params: Params, dtype: np.dtype, channels: int, stats: C.ImageStats) -> np.ndarray | None:
        return C.equalize_rows_uint8(np.ascontiguousarray(stats.hist().T)).T

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        if image.dtype == np.uint8:
            return C.equalize_uint8(image)
        stats = C.ImageStats(image)
        table = C.equalize_table(stats.hist(), 65535)
        if image.dtype == np.uint16:
            return C.apply_table16(image, table.astype(np.uint16))
        return C.apply_table16(C.quantize16(image), (table * (1.0 / 65535.0)).astype(np.float32))


class RGBShift(PointwiseTransform):
    """Add a shift drawn uniformly from ``r_shift_limit`` / ``g_shift_limit`` / ``b_shift_limit`` to the
    red / green / blue channel, as albumentations' RGBShift. Limits are FRACTIONS of the dtype's range
    (a scalar ``x`` means ``(-x, x)``; the default 20/255 is albumentations' ``(-20, 20)`` on uint8), so one
    call works for uint8, uint16 and float32. Integer images shift by whole levels (the fraction times
    255 or 65535, rounded) and saturate; float32 is clipped to [0, 1]. One saturating ``cv2.add`` for
    uint8; it stays out of lookup-table runs (see ``lut_fusable`` below).

    Differences from albumentations 2.0.8: limits above 1 (its uint8 units, which it divides by 255) are
    rejected with that fix rather than guessed; 3-channel images only (albumentations shifts a
    1-channel image by the red limit and fails on 4 channels): for grayscale use RandomBrightnessContrast,
    for RGB plus extra bands ``iv.OnChannels(RGBShift(...), channels=(0, 1, 2))``."""

    channels = (3,)
    support_note: ClassVar[str] = "RGB only; 1 channel: RandomBrightnessContrast, RGB+N: OnChannels"
    # Not in lookup-table runs: its table differs per channel, and applying a (256, 3) table (three
    # translations and a merge) plus the histogram a later contrast step would then need costs more
    # than this one cv2.add and the neighbours' own passes (measured: 320-480 us fused vs 250 us op by op).
    lut_fusable: ClassVar[bool] = False

    def __init__(
        self,
        r_shift_limit: float | tuple[float, float] = 20 / 255,
        g_shift_limit: float | tuple[float, float] = 20 / 255,
        b_shift_limit: float | tuple[float, float] = 20 / 255,
        p: float = 0.5,
    ) -> None:
        super().__init__(p)
        limits = []
        for name, value in (("r_shift_limit", r_shift_limit), ("g_shift_limit", g_shift_limit), ("b_shift_limit", b_shift_limit)):
            values = value if isinstance(value, (tuple, list)) else [value]
            numbers = [float(v) for v in values if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)]
            if len(numbers) == len(values) and any(abs(v) > 1 for v in numbers):
                scaled = tuple(round(v / 255, 4) for v in numbers)
                value_error(name, "fractions of the dtype's range in [-1, 1]", value, f"divide albumentations' uint8 units by 255: {name}={scaled[0] if len(scaled) == 1 else scaled}")
            limits.append(as_range(value, name, around=0.0, low=-1.0, high=1.0))
        self.r_shift_limit, self.g_shift_limit, self.b_shift_limit = limits

    def channel_fix(self) -> str:
        return (
            "RGBShift shifts the red, green and blue channels: for a grayscale image use "
            "iv.RandomBrightnessContrast instead, for RGB plus extra bands apply it to the RGB bands only with "
            "iv.OnChannels(transform, channels=(0, 1, 2))"
        )

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        u = rng.random(3).tolist()  # numpy's uniform formula lo + (hi - lo) * u, one generator call
        limits = (self.r_shift_limit, self.g_shift_limit, self.b_shift_limit)
        return {"shift": [lo + (hi - lo) * v for (lo, hi), v in zip(limits, u)]}

    def curve(self, params: Params, dtype: np.dtype, channels: int, stats: C.ImageStats) -> C.Curve:
        return C.linear_curve(1.0, C.channel_shift_levels(params["shift"], dtype))

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return C.channel_shift(image, C.channel_shift_levels(params["shift"], image.dtype))

    def effects(self) -> Effects:
        return Effects(alters_intensity=True, alters_color=True)

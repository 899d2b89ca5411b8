"""The operation set of AutoAugment, RandAugment, TrivialAugmentWide and AugMix, as ordinary transforms.

Each policy operation is a transform that draws its signed strength from a *magnitude bin*:
``level = magnitude / (num_bins - 1)`` in [0, 1] is mapped linearly onto the op's range, exactly as
torchvision's ``_augmentation_space`` does (AutoAugment: 10 bins, RandAugment and TrivialAugment: 31).
Geometric ops are ``SpatialTransform`` s (a matrix), so masks, boxes and keypoints follow them and they
fuse with neighbouring spatial steps; pixel ops are built on the colour kernels of ``ops.color`` (uint8
pointwise ones fuse into one lookup table).

Ranges (``SPACES``, transcribed from torchvision ``transforms/autoaugment.py``):

================  =====================  ========================  ======
op                "standard" (AA, RA)    "wide" (TrivialAugment)    signed
================  =====================  ========================  ======
ShearX/ShearY     0 .. 0.3 (x += s*y)    0 .. 0.99                  yes
TranslateX/Y      0 .. 150/331 of size   0 .. 32 pixels             yes
Rotate            0 .. 30 degrees        0 .. 135 degrees           yes
Brightness,Color,
Contrast,Sharp.   factor 1 +/- 0 .. 0.9  1 +/- 0 .. 0.99            yes
Posterize         8 .. 4 bits            8 .. 2 bits                no
Solarize          threshold 255 .. 0     255 .. 0                   no
AutoContrast, Equalize, Invert, Identity: no magnitude
================  =====================  ========================  ======

Magnitude noise (timm's ``mstd``): each call draws ``N(magnitude, magnitude_std)`` clipped to the bins;
``magnitude_std=inf`` draws uniformly from ``[0, magnitude]``. A ``(lo, hi)`` magnitude draws an integer
bin uniformly (TrivialAugment). Pixel values are read as fractions of the dtype's range, so the same
op works on uint8 (the papers' setting), uint16 and float32 in [0, 1].
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.transform import Params, SpatialTransform, check_choice
from ..ops import color as C
from ..ops import geometric as geo
from ..transforms.intensity import Equalize, PointwiseTransform

# op: (maximum of the range, signed). Translate: "standard" is a fraction of the image side, "wide" pixels.
SPACES: dict[str, dict[str, tuple[float, bool]]] = {
    "standard": {
        "Identity": (0.0, False),
        "ShearX": (0.3, True),
        "ShearY": (0.3, True),
        "TranslateX": (150.0 / 331.0, True),
        "TranslateY": (150.0 / 331.0, True),
        "Rotate": (30.0, True),
        "Brightness": (0.9, True),
        "Color": (0.9, True),
        "Contrast": (0.9, True),
        "Sharpness": (0.9, True),
        "Posterize": (4.0, False),  # bits removed at the top bin
        "Solarize": (255.0, False),  # threshold decrease (uint8 units) at the top bin
        "AutoContrast": (0.0, False),
        "Equalize": (0.0, False),
        "Invert": (0.0, False),
    },
    "wide": {
        "Identity": (0.0, False),
        "ShearX": (0.99, True),
        "ShearY": (0.99, True),
        "TranslateX": (32.0, True),
        "TranslateY": (32.0, True),
        "Rotate": (135.0, True),
        "Brightness": (0.99, True),
        "Color": (0.99, True),
        "Contrast": (0.99, True),
        "Sharpness": (0.99, True),
        "Posterize": (6.0, False),
        "Solarize": (255.0, False),
        "AutoContrast": (0.0, False),
        "Equalize": (0.0, False),
        "Invert": (0.0, False),
    },
    # AugMix reference code (google-research/augmix, augmentations.py): level = U(0.1, severity) / 10
    "augmix": {
        "ShearX": (0.3, True),
        "ShearY": (0.3, True),
        "TranslateX": (1.0 / 3.0, True),  # int(level * side / 3) pixels
        "TranslateY": (1.0 / 3.0, True),
        "Rotate": (30.0, True),  # int(level * 30) degrees
        "Posterize": (4.0, False),  # 4 - int(level * 4) bits
        "Solarize": (256.0, False),  # threshold 256 - int(level * 256)
        "Brightness": (1.8, False),  # factor level * 1.8 + 0.1 (the "all ops" variant only)
        "Color": (1.8, False),
        "Contrast": (1.8, False),
        "Sharpness": (1.8, False),
        "AutoContrast": (0.0, False),
        "Equalize": (0.0, False),
    },
}
GEOMETRIC_OPS = ("ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate")
PIXEL_OPS = ("Identity", "Brightness", "Color", "Contrast", "Sharpness", "Posterize", "Solarize", "AutoContrast", "Equalize", "Invert")
MAGNITUDE_FREE = ("Identity", "AutoContrast", "Equalize", "Invert")


def _check_magnitude(magnitude: Any, num_bins: int) -> float | tuple[int, int]:
    top = num_bins - 1
    if isinstance(magnitude, (tuple, list)):
        if len(magnitude) != 2 or not all(isinstance(m, (int, np.integer)) and not isinstance(m, bool) for m in magnitude) or not 0 <= magnitude[0] <= magnitude[1] <= top:
            value_error("magnitude", f"a bin in [0, {top}] or a (lo, hi) pair of int bins", magnitude, f"pass e.g. magnitude=9 or magnitude=(0, {top})")
        return int(magnitude[0]), int(magnitude[1])
    if isinstance(magnitude, bool) or not isinstance(magnitude, (int, float, np.integer, np.floating)) or not 0 <= magnitude <= top:
        value_error("magnitude", f"a number in [0, {top}] (num_bins - 1)", magnitude, f"pass e.g. magnitude=9 (the scale is 0..{top})")
    return float(magnitude)


def draw_magnitude(rng: np.random.Generator, magnitude: float | tuple[int, int], magnitude_std: float, num_bins: int) -> float:
    """One magnitude bin for one call: fixed, integer-uniform over a range, or with Gaussian/uniform noise."""
    top = num_bins - 1
    if isinstance(magnitude, tuple):
        return float(rng.integers(magnitude[0], magnitude[1] + 1))
    if magnitude_std == math.inf:
        return float(rng.uniform(0.0, magnitude))
    if magnitude_std > 0:
        return float(min(max(rng.normal(magnitude, magnitude_std), 0.0), top))
    return float(magnitude)


# The tops that are not short decimals, as exact fractions (the others are exact as Fraction(repr(top))).
_EXACT_TOPS = {150.0 / 331.0: Fraction(150, 331), 1.0 / 3.0: Fraction(1, 3)}
_NEAR = 1e-9  # float products within this (relative) distance of an integer are decided exactly


def _exact_top(top: float) -> Fraction:
    exact = _EXACT_TOPS.get(top)
    return exact if exact is not None else Fraction(repr(top))


def _exact_level(level: float) -> Fraction:
    """``level`` as the fraction the caller meant: a bin ``m / (num_bins - 1)`` is recovered exactly (the
    nearest fraction with denominator <= 10**6; bins are 1e-16 from it, any other candidate >= 1e-12 away)."""
    return Fraction(level).limit_denominator(10**6)


def floor_product(level: float, top: float, scale: float = 1.0) -> int:
    """``floor(level * top * scale)`` computed exactly: the papers' ``int(...)`` of the exact product.
    In floats, 11/30 * 150/331 * 331 is 54.999..., which ``int`` truncates to 54 instead of 55 (torchvision
    gets 55). Products far from an integer take the float floor; near ones are decided with fractions."""
    x = level * top * scale
    k = math.floor(x + 0.5)
    if abs(x - k) > _NEAR * max(1.0, abs(x)):
        return math.floor(x)
    return math.floor(_exact_level(level) * _exact_top(top) * Fraction(scale))


def round_product(level: float, top: float) -> int:
    """``round(level * top)`` (half to even, as torchvision's ``Tensor.round``) of the exact product."""
    x = level * top
    if abs(abs(x - math.floor(x)) - 0.5) > _NEAR * max(1.0, abs(x)):
        return round(x)
    return round(_exact_level(level) * _exact_top(top))


def op_value(op: str, level: float, space: str, shape: tuple[int, int]) -> float:
    """The unsigned argument of ``op`` at ``level`` in [0, 1] (degrees, shear, pixels, factor offset, bits, threshold).
    Whole-pixel and whole-degree values floor the exact product (see ``floor_product``)."""
    top, _ = SPACES[space][op]
    if space == "augmix":
        return _augmix_value(op, level, top, shape)
    if op == "Posterize":
        return float(8 - round_product(level, top))
    if op == "Solarize":
        return float(255.0 - level * top)
    if op in ("TranslateX", "TranslateY") and space == "standard":
        side = shape[1] if op == "TranslateX" else shape[0]
        return float(floor_product(level, top, side))
    if op in ("TranslateX", "TranslateY"):
        return float(floor_product(level, top))
    return float(level * top)


def _augmix_value(op: str, level: float, top: float, shape: tuple[int, int]) -> float:
    if op == "Posterize":
        return float(4 - floor_product(level, top))
    if op == "Solarize":
        return float(256 - floor_product(level, top))
    if op == "Rotate":
        return float(floor_product(level, top))
    if op in ("TranslateX", "TranslateY"):
        return float(floor_product(level, top, shape[1] if op == "TranslateX" else shape[0]))
    if op in ("Brightness", "Color", "Contrast", "Sharpness"):
        return level * top + 0.1 - 1.0  # factor in [0.1, 1.9], stored as an offset from 1
    return level * top


class _PolicyOpMixin:
    """Shared argument checks and sampling of the geometric and pixel policy ops."""

    op: str
    space: str
    allow_infinite = frozenset({"magnitude_std"})  # inf: uniform magnitudes (timm)

    def _init_op(self, op: str, ops: tuple[str, ...], magnitude: Any, num_bins: int, space: str, magnitude_std: float) -> None:
        self.op = check_choice(op, "op", ops)
        self.space = check_choice(space, "space", tuple(SPACES))
        if isinstance(num_bins, bool) or not isinstance(num_bins, (int, np.integer)) or num_bins < 2:
            type_error("num_bins", "an int >= 2", num_bins, "pass num_bins=31 (RandAugment) or 10 (AutoAugment)")
        self.num_bins = int(num_bins)
        self.magnitude = _check_magnitude(magnitude, self.num_bins)
        if isinstance(magnitude_std, bool) or not isinstance(magnitude_std, (int, float)) or magnitude_std < 0:
            value_error("magnitude_std", "a non-negative number (or math.inf for uniform)", magnitude_std, "pass e.g. magnitude_std=0.5")
        self.magnitude_std = float(magnitude_std)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        if self.op in MAGNITUDE_FREE:
            return {"op": self.op, "value": 0.0}
        m = draw_magnitude(rng, self.magnitude, self.magnitude_std, self.num_bins)
        value = op_value(self.op, m / (self.num_bins - 1), self.space, sample.shape)
        if SPACES[self.space][self.op][1] and rng.random() < 0.5:
            value = -value
        return {"op": self.op, "value": value}


class PolicyGeometricOp(_PolicyOpMixin, SpatialTransform):
    """ShearX/ShearY (about the top-left corner, as torchvision and PIL), TranslateX/Y (whole pixels),
    Rotate (about the centre, counter-clockwise positive) with a magnitude bin. Boxes/masks follow."""

    def __init__(
        self,
        op: str,
        magnitude: float | tuple[int, int] = 9,
        num_bins: int = 31,
        space: str = "standard",
        magnitude_std: float = 0.0,
        interpolation: str = "linear",
        fill: float | tuple[float, ...] = 0,
        fill_mask: float = 0,
        p: float = 1.0,
    ) -> None:
        super().__init__(interpolation=interpolation, border_mode="constant", fill=fill, fill_mask=fill_mask, p=p)
        self._init_op(op, GEOMETRIC_OPS, magnitude, num_bins, space, magnitude_std)

    example_args = {"op": "Rotate"}

    def geometry(self, params: Params, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
        v = float(params["value"])
        if self.op == "ShearX":
            m = np.array([[1.0, v, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        elif self.op == "ShearY":
            m = np.array([[1.0, 0.0, 0.0], [v, 1.0, 0.0], [0.0, 0.0, 1.0]])
        elif self.op == "TranslateX":
            m = geo.translation(v, 0.0)
        elif self.op == "TranslateY":
            m = geo.translation(0.0, v)
        else:
            h, w = shape
            a = math.radians(v)
            c, s = math.cos(a), math.sin(a)
            rot = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])
            m = geo.translation(w / 2, h / 2) @ rot @ geo.translation(-w / 2, -h / 2)
        return m, shape

    def effects(self) -> Effects:
        if self.op == "Rotate":
            return Effects(geometric=True, max_rotation=SPACES[self.space]["Rotate"][0])
        if self.op.startswith("Shear"):
            return Effects(geometric=True, deforms=True)
        return Effects(geometric=True)


_EQUALIZE = Equalize(p=1.0)


class PolicyPixelOp(_PolicyOpMixin, PointwiseTransform):
    """Identity, Brightness, Color, Contrast, Sharpness (PIL ImageEnhance factors ``1 + value``),
    Posterize (bits), Solarize (threshold in uint8 units, scaled to the dtype), AutoContrast, Equalize,
    Invert. Color needs RGB and leaves 1-channel images unchanged (gray has no saturation), as PIL."""

    def __init__(self, op: str, magnitude: float | tuple[int, int] = 9, num_bins: int = 31, space: str = "standard", magnitude_std: float = 0.0, p: float = 1.0) -> None:
        super().__init__(p)
        self._init_op(op, PIXEL_OPS, magnitude, num_bins, space, magnitude_std)
        self.lut_fusable = self.op not in ("Color", "Sharpness")  # type: ignore[misc]
        if self.op == "Color":
            self.channels = (1, 3)  # type: ignore[misc]  # saturation needs RGB; gray is unchanged (PIL)

    example_args = {"op": "Solarize"}

    def curve(self, params: Params, dtype: np.dtype, channels: int, stats: C.ImageStats) -> C.Curve:
        v, top = float(params["value"]), C.max_value(dtype)
        if self.op == "Brightness":
            return C.linear_curve(1.0 + v, 0.0)
        if self.op == "Contrast":
            return C.contrast_curve(1.0 + v, stats.contrast_pivot())
        if self.op == "Posterize":
            return C.posterize_curve(int(v), dtype)
        if self.op == "Solarize":
            return C.solarize_curve(v / 255.0 * top, top)
        if self.op == "AutoContrast":
            lo, hi = stats.minmax()
            return C.autocontrast_curve(lo, hi, top)
        if self.op == "Invert":
            return C.invert_curve(top)
        return lambda x: x  # Identity

    def lookup_table(self, params: Params, dtype: np.dtype, channels: int, stats: C.ImageStats) -> np.ndarray | None:
        if self.op in ("Color", "Sharpness"):
            return None
        if self.op == "Equalize":
            return _EQUALIZE.lookup_table(params, dtype, channels, stats)
        return super().lookup_table(params, dtype, channels, stats)

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        factor = 1.0 + float(params["value"])
        if self.op == "Identity":
            return image.copy()
        if self.op == "Color":
            return C.saturation(image, factor) if image.shape[2] == 3 else image.copy()  # 1 channel: PIL's no-op
        if self.op == "Sharpness":
            return C.sharpness(image, factor) if min(image.shape[:2]) >= 3 else image.copy()
        if self.op == "Equalize":
            return _EQUALIZE.apply_image(image, params)
        return super().apply_image(image, params)

    def effects(self) -> Effects:
        if self.op == "Identity":
            return Effects()
        if self.op == "Color":
            return Effects(alters_color=True)
        if self.op == "Sharpness":
            return Effects(alters_intensity=True, blurs=True)
        return Effects(alters_intensity=True)


def make_op(op: str, **kwargs: Any) -> PolicyGeometricOp | PolicyPixelOp:
    """The policy op named ``op`` (geometric ops take interpolation/fill, pixel ops ignore them)."""
    if op in GEOMETRIC_OPS:
        return PolicyGeometricOp(op, **kwargs)
    kwargs = {k: v for k, v in kwargs.items() if k not in ("interpolation", "fill", "fill_mask")}
    return PolicyPixelOp(op, **kwargs)

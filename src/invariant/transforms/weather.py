"""Weather and lighting: RandomFog, RandomRain, RandomSnow, RandomShadow, RandomSunFlare (Automold road
effects, as albumentations 2.0.8), PlanckianJitter (Zini et al. 2022), RandomToneCurve, Illumination,
PlasmaBrightnessContrast, PlasmaShadow (diamond-square) and FancyPCA (Krizhevsky et al. 2012).

Each draws its parameters in ``sample_params`` (plain data) and applies them with a kernel of
``ops.weather``. uint8, uint16 and float32 ([0, 1]) images are supported; colours given in uint8 units
(``drop_color``, ``src_color``) are scaled to the image's range.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.transform import Params, Transform, as_range, check_choice, check_number
from ..ops import color as C
from ..ops import weather as W

_RGB_FIX = "this effect is defined on RGB: for RGB plus extra bands apply it with iv.OnChannels(transform, channels=(0, 1, 2)); for gray images convert to RGB first"


def _roi(value: Any, argument: str) -> tuple[float, float, float, float]:
    if not (isinstance(value, (tuple, list)) and len(value) == 4):
        type_error(argument, "(x_min, y_min, x_max, y_max) fractions of the image", value, f"pass e.g. {argument}=(0, 0, 1, 0.5)")
    x0, y0, x1, y1 = (check_number(v, argument, low=0.0, high=1.0) for v in value)
    if not (x0 <= x1 and y0 <= y1):
        value_error(argument, "x_min <= x_max and y_min <= y_max", value, f"pass e.g. {argument}=(0, 0, 1, 0.5)")
    return x0, y0, x1, y1


def _int_pair(value: Any, argument: str, low: int) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair)):
        type_error(argument, "an int or a (min, max) pair of ints", value, f"pass e.g. {argument}=({low}, {low + 1})")
    if not low <= pair[0] <= pair[1]:
        value_error(argument, f"{low} <= min <= max", value, f"pass e.g. {argument}=({low}, {low + 1})")
    return int(pair[0]), int(pair[1])


def _color(value: Any, argument: str) -> tuple[float, ...]:
    if not (isinstance(value, (tuple, list)) and len(value) >= 1):
        type_error(argument, "a colour in uint8 units, one value per channel", value, f"pass e.g. {argument}=(200, 200, 200)")
    return tuple(check_number(v, argument, low=0.0, high=255.0) for v in value)


class RandomFog(Transform):
    """Automold fog (albumentations 2.0.8 RandomFog): intensity ``f ~ U[fog_coef_range]``; white discs of
    radius in ``[r/2, r)`` with ``r = max(2, min(H, W) * 0.1 * f)``, ``10 f A / s^2`` of them uniform in each
    of up to 10 centred regions of area ``A`` shrinking by 10% (``s = W // 3 * f``), each blended over the
    running result with weight ``alpha_coef * f``, then a Gaussian blur. Only moves pixels towards white."""

    def __init__(self, alpha_coef: float = 0.08, fog_coef_range: tuple[float, float] = (0.3, 1.0), p: float = 0.5) -> None:
        super().__init__(p)
        self.alpha_coef = check_number(alpha_coef, "alpha_coef", low=0.0, high=1.0)
        self.fog_coef_range = as_range(fog_coef_range, "fog_coef_range", low=0.0, high=1.0)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        h, w = sample.shape
        f = float(rng.uniform(*self.fog_coef_range))
        region = max(1, int(w // 3 * f))
        cx, cy = w // 2, h // 2
        xs_all: list[np.ndarray] = []
        ys_all: list[np.ndarray] = []
        cur_w, cur_h = w, h
        for _ in range(10):  # rings shrinking by 10% towards the centre: denser fog there
            if not (cur_w > region and cur_h > region):
                break
            n = int(cur_w * cur_h / (region * region) * f * 10)
            xs_all.append(rng.integers(cx - cur_w // 2, cx + cur_w // 2 + 1, size=n))
            ys_all.append(rng.integers(cy - cur_h // 2, cy + cur_h // 2 + 1, size=n))
            cur_w, cur_h = int(cur_w * 0.9), int(cur_h * 0.9)
        centres = [[int(x), int(y)] for x, y in zip(np.concatenate(xs_all or [np.zeros(0, int)]), np.concatenate(ys_all or [np.zeros(0, int)]))]
        rmax = max(2, int(min(h, w) * 0.1 * f))
        radii = rng.integers(max(1, rmax // 2), rmax, size=len(centres)).tolist() if rmax > max(1, rmax // 2) else [rmax] * len(centres)
        return {"intensity": f, "centres": centres, "radii": [int(r) for r in radii]}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return W.fog(image, params["intensity"], self.alpha_coef, params["centres"], params["radii"])

    def effects(self) -> Effects:
        return Effects(alters_intensity=True, blurs=True)


_RAIN_DROPS_PER_ROW = {"drizzle": 0.25, "heavy": 1.0, "torrential": 2.0, "default": 1 / 3}  # drops = int(H * this)


class RandomRain(Transform):
    """Automold rain (albumentations 2.0.8 RandomRain): ``H // 4`` (drizzle), ``H`` (heavy), ``2 H``
    (torrential) or ``H // 3`` (default) drops, uniform in ``[0, W) x [0, H - L)``, drawn as segments from
    ``(x, y)`` to ``(x + slant, y + L)`` (``L = drop_length``, by default ``max(1, H // 8)``; slant ``~
    U[slant_range]``) in ``drop_color``, box-blurred by ``blur_value``, added with saturation, and the
    image scaled by ``brightness_coefficient``."""

    def __init__(
        self,
        slant_range: tuple[float, float] = (-10, 10),
        drop_length: int | None = None,
        drop_width: int = 1,
        drop_color: tuple[int, int, int] = (200, 200, 200),
        blur_value: int = 7,
        brightness_coefficient: float = 0.7,
        rain_type: str = "default",
        p: float = 0.5,
    ) -> None:
        super().__init__(p)
        self.slant_range = as_range(slant_range, "slant_range")
        self.drop_length = None if drop_length is None else check_number(drop_length, "drop_length", low=1, integer=True)
        self.drop_width = check_number(drop_width, "drop_width", low=1, integer=True)
        self.drop_color = _color(drop_color, "drop_color")
        self.blur_value = check_number(blur_value, "blur_value", low=1, integer=True)
        self.brightness_coefficient = check_number(brightness_coefficient, "brightness_coefficient", low=0.0, high=1.0)
        self.rain_type = check_choice(rain_type, "rain_type", tuple(_RAIN_DROPS_PER_ROW))

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        h, w = sample.shape
        n = int(h * _RAIN_DROPS_PER_ROW[self.rain_type] + 1e-9)  # H // 4, H, 2 H or H // 3
        length = max(1, h // 8) if self.drop_length is None else self.drop_length
        slant = float(rng.uniform(*self.slant_range))
        xs = rng.integers(0, w, size=n)
        ys = rng.integers(0, max(1, h - length), size=n)
        return {"slant": slant, "length": int(length), "drops": np.stack([xs, ys], axis=1).tolist()}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        drops = np.asarray(params["drops"], dtype=np.float64).reshape(-1, 2)
        return W.rain(image, drops, params["slant"], params["length"], self.drop_width, self.drop_color, self.blur_value, self.brightness_coefficient)

    def effects(self) -> Effects:
        return Effects(alters_intensity=True, adds_noise=True, blurs=True)


class RandomSnow(Transform):
    """Automold snow, bleach method (albumentations 2.0.8 RandomSnow ``method="bleach"``): in HLS, the
    lightness of pixels darker than ``(s / 2 + 1/3) * max`` (``s ~ U[snow_point_range]``) is multiplied by
    ``brightness_coeff``. Only brightens. RGB only."""

    channels = (3,)

    def __init__(self, brightness_coeff: float = 2.5, snow_point_range: tuple[float, float] = (0.1, 0.3), p: float = 0.5) -> None:
        super().__init__(p)
        self.brightness_coeff = check_number(brightness_coeff, "brightness_coeff", low=1.0)
        self.snow_point_range = as_range(snow_point_range, "snow_point_range", low=0.0, high=1.0)

    def channel_fix(self) -> str:
        return _RGB_FIX

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"snow_point": float(rng.uniform(*self.snow_point_range))}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return W.snow_bleach(image, params["snow_point"], self.brightness_coeff)

    def effects(self) -> Effects:
        return Effects(alters_intensity=True, alters_color=True)


class RandomShadow(Transform):
    """Automold shadows (albumentations 2.0.8 RandomShadow): ``n ~ U{num_shadows_limit}`` polygons of
    ``shadow_dimension`` vertices drawn uniformly inside ``shadow_roi`` (fractions of the image), each
    darkening its pixels by the factor ``1 - i``, ``i ~ U[shadow_intensity_range]``. Only darkens."""

    def __init__(
        self,
        shadow_roi: tuple[float, float, float, float] = (0, 0.5, 1, 1),
        num_shadows_limit: tuple[int, int] = (1, 2),
        shadow_dimension: int = 5,
        shadow_intensity_range: tuple[float, float] = (0.5, 0.5),
        p: float = 0.5,
    ) -> None:
        super().__init__(p)
        self.shadow_roi = _roi(shadow_roi, "shadow_roi")
        self.num_shadows_limit = _int_pair(num_shadows_limit, "num_shadows_limit", 1)
        self.shadow_dimension = check_number(shadow_dimension, "shadow_dimension", low=3, integer=True)
        self.shadow_intensity_range = as_range(shadow_intensity_range, "shadow_intensity_range", low=0.0, high=1.0)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        h, w = sample.shape
        x0, y0, x1, y1 = self.shadow_roi
        n = int(rng.integers(self.num_shadows_limit[0], self.num_shadows_limit[1] + 1))
        polygons = []
        for _ in range(n):
            xs = rng.integers(int(x0 * w), max(int(x0 * w) + 1, int(x1 * w)), size=self.shadow_dimension)
            ys = rng.integers(int(y0 * h), max(int(y0 * h) + 1, int(y1 * h)), size=self.shadow_dimension)
            polygons.append(np.stack([xs, ys], axis=1).tolist())
        return {"polygons": polygons, "intensities": rng.uniform(*self.shadow_intensity_range, size=n).tolist()}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return W.shadow(image, [np.asarray(p) for p in params["polygons"]], params["intensities"])

    def effects(self) -> Effects:
        return Effects(alters_intensity=True)


class RandomSunFlare(Transform):
    """Sun flare by overlays (albumentations 2.0.8 RandomSunFlare ``method="overlay"``): a sun at a point
    drawn in ``flare_roi``; ``n ~ U{num_flare_circles_range}`` flare circles along the line through it at
    angle ``2 pi * U[angle_range]``, each of alpha ``U[0.05, 0.2]``, radius ``U{1, max(2, H / 100)}`` and a
    colour ``U{src_color - 50, src_color}`` per channel; then the sun's graded discs up to ``src_radius``.
    RGB only; colours in uint8 units."""

    channels = (3,)

    def __init__(
        self,
        flare_roi: tuple[float, float, float, float] = (0, 0, 1, 0.5),
        src_radius: int = 400,
        src_color: tuple[int, ...] = (255, 255, 255),
        angle_range: tuple[float, float] = (0, 1),
        num_flare_circles_range: tuple[int, int] = (6, 10),
        p: float = 0.5,
    ) -> None:
        super().__init__(p)
        self.flare_roi = _roi(flare_roi, "flare_roi")
        self.src_radius = check_number(src_radius, "src_radius", low=1, integer=True)
        self.src_color = _color(src_color, "src_color")
        self.angle_range = as_range(angle_range, "angle_range", low=0.0, high=1.0)
        self.num_flare_circles_range = _int_pair(num_flare_circles_range, "num_flare_circles_range", 0)

    def channel_fix(self) -> str:
        return _RGB_FIX

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        h, w = sample.shape
        x0, y0, x1, y1 = self.flare_roi
        angle = 2 * math.pi * float(rng.uniform(*self.angle_range))
        cx, cy = int(w * rng.uniform(x0, x1)), int(h * rng.uniform(y0, y1))
        n = int(rng.integers(self.num_flare_circles_range[0], self.num_flare_circles_range[1] + 1))
        step = max(1, int(math.hypot(h, w) * 0.01))
        ts = np.arange(-cx, w - cx, step)
        circles = []
        if len(ts):
            for _ in range(n):
                t = float(ts[int(rng.integers(0, len(ts)))])
                x, y = int(cx + t * math.cos(angle)), int(cy + t * math.sin(angle))
                alpha = float(rng.uniform(0.05, 0.2))
                radius = int(rng.integers(1, max(2, h // 100) + 1))
                color = [int(rng.integers(max(0, int(c) - 50), int(c) + 1)) for c in self.src_color[:3]]
                circles.append([alpha, [x, y], radius, color])
        return {"centre": [cx, cy], "circles": circles}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return W.sun_flare(image, params["centre"], self.src_radius, self.src_color, params["circles"])

    def effects(self) -> Effects:
        return Effects(alters_intensity=True, alters_color=True)


class PlanckianJitter(Transform):
    """Planckian jitter (Zini et al., ICLR 2023, arXiv 2202.07993): relight with a black-body
    (``mode="blackbody"``) or CIE D (``"cied"``) illuminant of temperature ``T`` kelvin: R and B are
    multiplied by the illuminant's R/G and B/G chromaticity ratios (table of the paper's code, linearly
    interpolated every 500 K). ``T ~ U[temperature_limit]`` or, with ``sampling_method="gaussian"``, a
    normal around 6000 K (sd a third of the distance to the nearer end, clipped). RGB only."""

    channels = (3,)
    _DEFAULT_LIMITS: ClassVar[dict[str, tuple[int, int]]] = {"blackbody": (3000, 15000), "cied": (4000, 15000)}

    def __init__(self, mode: str = "blackbody", temperature_limit: tuple[int, int] | None = None, sampling_method: str = "uniform", p: float = 0.5) -> None:
        super().__init__(p)
        self.mode = check_choice(mode, "mode", tuple(W.PLANCKIAN_RGB))
        self.sampling_method = check_choice(sampling_method, "sampling_method", ("uniform", "gaussian"))
        lo, hi = self._DEFAULT_LIMITS[self.mode]
        self.temperature_limit = (lo, hi) if temperature_limit is None else as_range(temperature_limit, "temperature_limit", low=lo, high=hi)

    def channel_fix(self) -> str:
        return _RGB_FIX

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        lo, hi = self.temperature_limit
        if self.sampling_method == "uniform":
            t = float(rng.uniform(lo, hi))
        else:
            centre = min(max(6000.0, lo), hi)
            sd = max(centre - lo, hi - centre, 1.0) / 3
            t = float(np.clip(rng.normal(centre, sd), lo, hi))
        return {"temperature": t}

    lut_fusable: ClassVar[bool] = True  # per-channel gains are pointwise: uint8 calls join lookup-table runs

    def lookup_table(self, params: Params, dtype: np.dtype, channels: int, stats: Any) -> np.ndarray | None:
        gains = np.asarray(W.planckian_gains(params["temperature"], self.mode))
        return C.to_table(C.X256 * gains[None, :])

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        if image.dtype == np.uint8:
            return C.apply_table(image, self.lookup_table(params, image.dtype, 3, None))  # type: ignore[arg-type]
        return W.channel_gains(image, W.planckian_gains(params["temperature"], self.mode))

    def effects(self) -> Effects:
        return Effects(alters_color=True, alters_intensity=True)


class RandomToneCurve(Transform):
    """Tone curve (albumentations 2.0.8 RandomToneCurve): the cubic Bezier ``y = 3(1-x)^2 x a + 3(1-x)
    x^2 b + x^3`` with ``a ~ N(0.25, scale)``, ``b ~ N(0.75, scale)`` clipped to [0, 1] (one pair per channel
    with ``per_channel``). Monotone, endpoints fixed; pointwise, so uint8 calls join lookup-table runs."""

    lut_fusable: ClassVar[bool] = True

    def __init__(self, scale: float = 0.1, per_channel: bool = False, p: float = 0.5) -> None:
        super().__init__(p)
        self.scale = check_number(scale, "scale", low=0.0, high=1.0)
        self.per_channel = bool(per_channel)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        n = sample.channels if self.per_channel else 1
        low = np.clip(rng.normal(0.25, self.scale, n), 0, 1)
        high = np.clip(rng.normal(0.75, self.scale, n), 0, 1)
        return {"low": low.tolist(), "high": high.tolist()}

    def _curve(self, params: Params, top: float, channels: int) -> C.Curve:
        low, high = np.asarray(params["low"]), np.asarray(params["high"])
        if len(low) not in (1, channels):
            low, high = low[:1], high[:1]
        return lambda v: W.tone_curve(v / top, low, high) * top

    def lookup_table(self, params: Params, dtype: np.dtype, channels: int, stats: Any) -> np.ndarray | None:
        if len(params["low"]) == 1:
            return C.to_table(self._curve(params, 255.0, 1)(C.X256))
        return C.table_from_curve(self._curve(params, 255.0, channels), channels)

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        if image.dtype == np.uint8:
            return C.apply_table(image, self.lookup_table(params, image.dtype, image.shape[2], None))  # type: ignore[arg-type]
        return C.apply_curve(image, self._curve(params, C.max_value(image.dtype), image.shape[2]))

    def effects(self) -> Effects:
        return Effects(alters_intensity=True, alters_color=self.per_channel)


class Illumination(Transform):
    """Illumination gradients (albumentations 2.0.8 Illumination): the image times a light field
    (``ops.weather.illumination_gain``) of intensity ``i ~ U[intensity_range]`` (negated for darkening;
    ``effect_type`` "both" picks the sign at random): "linear" (a ramp at angle ``U[angle_range]`` degrees),
    "corner" (falling off from a random corner) or "gaussian" (a spot at ``U[center_range]`` with width
    ``U[sigma_range] * max(H, W)``)."""

    def __init__(
        self,
        mode: str = "linear",
        intensity_range: tuple[float, float] = (0.01, 0.2),
        effect_type: str = "both",
        angle_range: tuple[float, float] = (0, 360),
        center_range: tuple[float, float] = (0.1, 0.9),
        sigma_range: tuple[float, float] = (0.2, 1.0),
        p: float = 0.5,
    ) -> None:
        super().__init__(p)
        self.mode = check_choice(mode, "mode", ("linear", "corner", "gaussian"))
        self.intensity_range = as_range(intensity_range, "intensity_range", low=0.0, high=1.0)
        self.effect_type = check_choice(effect_type, "effect_type", ("brighten", "darken", "both"))
        self.angle_range = as_range(angle_range, "angle_range", low=0.0, high=360.0)
        self.center_range = as_range(center_range, "center_range", low=0.0, high=1.0)
        self.sigma_range = as_range(sigma_range, "sigma_range", low=0.0, high=1.0)
        if self.sigma_range[0] <= 0:
            value_error("sigma_range", "positive widths", sigma_range, "pass e.g. sigma_range=(0.2, 1.0)")

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        i = float(rng.uniform(*self.intensity_range))
        sign = {"brighten": 1.0, "darken": -1.0}.get(self.effect_type) or (1.0 if rng.random() < 0.5 else -1.0)
        params: Params = {"intensity": i * sign}
        if self.mode == "linear":
            params["angle"] = float(rng.uniform(*self.angle_range))
        elif self.mode == "corner":
            params["corner"] = int(rng.integers(0, 4))
        else:
            params["centre"] = rng.uniform(*self.center_range, size=2).tolist()
            params["sigma"] = float(rng.uniform(*self.sigma_range))
        return params

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in params.items() if k != "intensity"}
        gain = W.illumination_gain(image.shape[:2], self.mode, params["intensity"], **kw)
        return W.apply_gain(image, gain)

    def effects(self) -> Effects:
        return Effects(alters_intensity=True)


def _plasma_args(plasma_size: Any, roughness: Any) -> tuple[int, float]:
    return check_number(plasma_size, "plasma_size", low=2, integer=True), check_number(roughness, "roughness", low=0.0)


class PlasmaBrightnessContrast(Transform):
    """Brightness and contrast modulated by a diamond-square plasma fractal ``P`` in [0, 1] (albumentations
    2.0.8 PlasmaBrightnessContrast): in [0, 1] units ``y = clip(x + b P)``, then ``clip(y (1 + c P)) - c P
    mean(y)``, ``b ~ U[brightness_range]``, ``c ~ U[contrast_range]``. Negative factors darken / lower the
    contrast here; in albumentations 2.0.8 they are clipped away (no effect). ``P`` is generated at the image size from a drawn
    seed with roughness ``roughness`` (``plasma_size`` is accepted for albumentations' signature)."""

    def __init__(self, brightness_range: tuple[float, float] = (-0.3, 0.3), contrast_range: tuple[float, float] = (-0.3, 0.3), plasma_size: int = 256, roughness: float = 3.0, p: float = 0.5) -> None:
        super().__init__(p)
        self.brightness_range = as_range(brightness_range, "brightness_range", low=-1.0, high=1.0)
        self.contrast_range = as_range(contrast_range, "contrast_range", low=-1.0, high=1.0)
        self.plasma_size, self.roughness = _plasma_args(plasma_size, roughness)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        b, c = float(rng.uniform(*self.brightness_range)), float(rng.uniform(*self.contrast_range))
        return {"brightness": b, "contrast": c, "seed": int(rng.integers(0, 2**63 - 1))}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        pattern = W.plasma(image.shape[:2], self.roughness, params["seed"])
        return W.plasma_brightness_contrast(image, params["brightness"], params["contrast"], pattern)

    def effects(self) -> Effects:
        return Effects(alters_intensity=True)


class PlasmaShadow(Transform):
    """Shadows shaped by a diamond-square plasma fractal ``P`` (albumentations 2.0.8 PlasmaShadow):
    ``x (1 - i P)`` with ``i ~ U[shadow_intensity_range]``. Only darkens."""

    def __init__(self, shadow_intensity_range: tuple[float, float] = (0.3, 0.7), plasma_size: int = 256, roughness: float = 3.0, p: float = 0.5) -> None:
        super().__init__(p)
        self.shadow_intensity_range = as_range(shadow_intensity_range, "shadow_intensity_range", low=0.0, high=1.0)
        self.plasma_size, self.roughness = _plasma_args(plasma_size, roughness)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"intensity": float(rng.uniform(*self.shadow_intensity_range)), "seed": int(rng.integers(0, 2**63 - 1))}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return W.plasma_shadow(image, params["intensity"], W.plasma(image.shape[:2], self.roughness, params["seed"]))

    def effects(self) -> Effects:
        return Effects(alters_intensity=True)


class FancyPCA(Transform):
    """PCA lighting noise (Krizhevsky, Sutskever & Hinton, NeurIPS 2012, section 4.1): add
    ``[p1 .. pC] [a1 l1 .. aC lC]^T`` to every pixel (in [0, 1] units), ``a_k ~ N(0, alpha)``, with
    ``l, p`` the eigenvalues / eigenvectors of the RGB pixel covariance. ``eigen="imagenet"``: ImageNet's,
    as published in fb.resnet.torch (eigval [0.2175, 0.0188, 0.0045]; RGB images only); ``"image"``
    (default): this image's own covariance (any channel count). Unlike albumentations 2.0.8, whose noise is
    proportional to each pixel's deviation from the mean, the added vector is the same at every pixel, as in
    the paper."""

    support_note: ClassVar[str] = "3 channels with eigen='imagenet'"

    def __init__(self, alpha: float = 0.1, eigen: str = "image", p: float = 0.5) -> None:
        super().__init__(p)
        self.alpha = check_number(alpha, "alpha", low=0.0)
        self.eigen = check_choice(eigen, "eigen", ("image", "imagenet"))
        self.channels = (3,) if self.eigen == "imagenet" else None  # type: ignore[misc]

    def channel_fix(self) -> str:
        return "eigen='imagenet' uses RGB statistics: use eigen='image' for other channel counts"

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"alphas": rng.normal(0.0, self.alpha, sample.channels).tolist()}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        if self.eigen == "imagenet":
            return W.pca_lighting(image, np.asarray(params["alphas"]), W.IMAGENET_EIGVAL, W.IMAGENET_EIGVEC)
        return W.pca_lighting(image, np.asarray(params["alphas"]))

    def effects(self) -> Effects:
        return Effects(alters_intensity=True, alters_color=True)

"""Blur and noise: GaussianBlur (torchvision and albumentations argument styles), MotionBlur, MedianBlur,
GaussNoise (every dtype and channel count), ISONoise (RGB only). Kernels in ``ops.blur_noise``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.transform import Params, Transform, as_range
from ..ops import blur_noise as B


def _odd_sizes(value: Any, argument: str, allow_zero: bool = False) -> tuple[int, int]:
    """An odd kernel size or an inclusive (min, max) range of them; 0 (if allowed) = derive from sigma."""
    pair = (value, value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair)):
        type_error(argument, "an odd int or a (min, max) pair of odd ints", value, f"pass e.g. {argument}=(3, 7)")
    lo, hi = int(pair[0]), int(pair[1])
    if allow_zero and lo == hi == 0:
        return 0, 0
    if lo > hi or lo < 3 or lo % 2 == 0 or hi % 2 == 0:
        value_error(argument, "odd sizes >= 3 with min <= max" + (" (or 0 to derive it from sigma)" if allow_zero else ""), value, f"pass e.g. {argument}=(3, 7)")
    return lo, hi


def _sample_odd(rng: np.random.Generator, sizes: tuple[int, int]) -> int:
    return int(sizes[0] + 2 * rng.integers(0, (sizes[1] - sizes[0]) // 2 + 1))


def _sample_odd_batch(bits: Any, rows: np.ndarray, sizes: tuple[int, int]) -> np.ndarray:
    """``_sample_odd`` for streams ``rows`` of a ``BatchPCG64`` (one size draws nothing, as there)."""
    return sizes[0] + 2 * bits.integers(0, (sizes[1] - sizes[0]) // 2 + 1, mask=rows)


class GaussianBlur(Transform):
    """Gaussian blur with sigma ~ U[sigma] and an odd kernel size: fixed (torchvision's
    ``GaussianBlur(kernel_size=23, sigma=(0.1, 2.0))``), drawn from an odd range (albumentations'
    ``blur_limit=(3, 7)``), or 0 to cover +/- 3 sigma (4 sigma for uint16/float32). Reflect-101 border."""

    def __init__(self, kernel_size: int | tuple[int, int] = (3, 7), sigma: float | tuple[float, float] = (0.1, 2.0), p: float = 0.5) -> None:
        super().__init__(p)
        self.kernel_size = _odd_sizes(kernel_size, "kernel_size", allow_zero=True)
        self.sigma = as_range(sigma, "sigma")
        if self.sigma[0] <= 0:
            value_error("sigma", "positive values", sigma, "pass e.g. sigma=(0.1, 2.0)")

    batch_samples = True

    def sample_batch(self, bits: Any, rows: np.ndarray, sample: Any) -> dict[str, list]:
        sigma = bits.uniform(*self.sigma, mask=rows).tolist()
        if self.kernel_size == (0, 0):
            size = [B.gaussian_kernel_size(s, sample.dtype) for s in sigma]
        else:
            size = _sample_odd_batch(bits, rows, self.kernel_size).tolist()
        return {"kernel_size": size, "sigma": sigma}

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        lo, hi = self.sigma
        sigma = lo + (hi - lo) * rng.random()  # the double rng.uniform(lo, hi) draws, without its argument handling
        size = B.gaussian_kernel_size(sigma, sample.dtype) if self.kernel_size == (0, 0) else _sample_odd(rng, self.kernel_size)
        return {"kernel_size": size, "sigma": sigma}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return B.gaussian_blur(image, params["kernel_size"], params["sigma"])

    def effects(self) -> Effects:
        return Effects(blurs=True)


class MotionBlur(Transform):
    """Blur along a random line: odd length from ``kernel_size``, angle ~ U[angle] degrees, ``direction``
    in [-1, 1] weights one end more (0 = symmetric streak), as albumentations' MotionBlur."""

    def __init__(
        self,
        kernel_size: int | tuple[int, int] = (3, 7),
        angle: float | tuple[float, float] = (0.0, 360.0),
        direction: float | tuple[float, float] = (-1.0, 1.0),
        p: float = 0.5,
    ) -> None:
        super().__init__(p)
        self.kernel_size = _odd_sizes(kernel_size, "kernel_size")
        self.angle = as_range(angle, "angle")
        self.direction = as_range(direction, "direction", low=-1.0, high=1.0)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"kernel_size": _sample_odd(rng, self.kernel_size), "angle": float(rng.uniform(*self.angle)), "direction": float(rng.uniform(*self.direction))}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return B.filter2d(image, B.motion_kernel(params["kernel_size"], params["angle"], params["direction"]))

    def effects(self) -> Effects:
        return Effects(blurs=True)


class MedianBlur(Transform):
    """Median filter with an odd size drawn from ``kernel_size`` (replicate border, as OpenCV)."""

    def __init__(self, kernel_size: int | tuple[int, int] = (3, 7), p: float = 0.5) -> None:
        super().__init__(p)
        self.kernel_size = _odd_sizes(kernel_size, "kernel_size")

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"kernel_size": _sample_odd(rng, self.kernel_size)}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return B.median_blur(image, params["kernel_size"])

    def effects(self) -> Effects:
        return Effects(blurs=True)


class GaussNoise(Transform):
    """Additive Gaussian noise with std ~ U[std_range] and mean ~ U[mean_range], both FRACTIONS of the
    dtype's range (so 0.02 is 5.1 levels on uint8, 1311 on uint16, 0.02 on float32); independent per
    channel or one field shared by all channels. The noise is drawn from a seed recorded in the params,
    so a replay reproduces it exactly."""

    def __init__(
        self,
        std_range: float | tuple[float, float] = (0.01, 0.05),
        mean_range: float | tuple[float, float] = (0.0, 0.0),
        per_channel: bool = True,
        p: float = 0.5,
    ) -> None:
        super().__init__(p)
        self.std_range = as_range(std_range, "std_range", low=0.0, high=1.0)
        self.mean_range = as_range(mean_range, "mean_range", low=-1.0, high=1.0)
        self.per_channel = bool(per_channel)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {
            "std": float(rng.uniform(*self.std_range)),
            "mean": float(rng.uniform(*self.mean_range)),
            "seed": int(rng.integers(0, 2**63 - 1)),
        }

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        noise = B.gaussian_noise(params["seed"], image.shape, params["std"], params["mean"], self.per_channel, image.dtype)
        return B.add_noise(image, noise)

    def effects(self) -> Effects:
        return Effects(adds_noise=True)


class ISONoise(Transform):
    """Camera sensor noise at high ISO, with albumentations' arguments and the semantics its docs state
    (the 1.x kernel): per-pixel hue noise with std ``color_shift * 360 * intensity`` degrees and Poisson
    lightness noise whose rate grows with ``intensity`` and the image's lightness spread (see
    ``ops.blur_noise.iso_noise``). color_shift ~ U[color_shift] in [0, 1] (1 = a full turn of hue),
    intensity ~ U[intensity] >= 0 (~0.5: noticeable yet acceptable). The noise seed is in the params,
    so a replay is exact.

    albumentations 2.0.8 dropped the 360 and 255 factors from its kernel, so there the hue noise is a
    fraction of a degree and the lightness noise is a sparse scatter of bright pixels; this follows the
    documented behaviour instead. Hue needs RGB: 1- and 4-channel images raise (use OnChannels for RGBN)."""

    channels = (3,)
    support_note = "RGB only (noise in hue); for 1 channel use GaussNoise, for RGB+N use OnChannels"

    def __init__(self, color_shift: float | tuple[float, float] = (0.01, 0.05), intensity: float | tuple[float, float] = (0.1, 0.5), p: float = 0.5) -> None:
        super().__init__(p)
        self.color_shift = as_range(color_shift, "color_shift", low=0.0, high=1.0)
        self.intensity = as_range(intensity, "intensity", low=0.0)

    def channel_fix(self) -> str:
        return (
            "ISONoise shifts hue, which only 3-channel RGB images have: for a grayscale image use "
            "iv.GaussNoise instead, for RGB plus extra bands apply it to the RGB bands only with "
            "iv.OnChannels(transform, channels=(0, 1, 2))"
        )

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {
            "color_shift": float(rng.uniform(*self.color_shift)),
            "intensity": float(rng.uniform(*self.intensity)),
            "seed": int(rng.integers(0, 2**63 - 1)),
        }

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return B.iso_noise(image, params["color_shift"], params["intensity"], params["seed"])

    def effects(self) -> Effects:
        return Effects(adds_noise=True, alters_color=self.color_shift[1] > 0 and self.intensity[1] > 0, alters_intensity=self.intensity[1] > 0)


class UnsharpMask(Transform):
    """Unsharp masking: sharpen by ``alpha`` ~ U[alpha] times the detail ``x - G(x)`` where that detail
    exceeds ``threshold``. ``blur_limit``: an odd Gaussian size or an odd (min, max) range to draw from, or 0
    to derive it from sigma (3 sigma for uint8, 4 otherwise); ``sigma_limit``: sigma or a range to draw
    from, 0 = OpenCV's sigma for the kernel size. Every dtype and channel count.

    ``soft_mask=True`` (default): albumentations 2.0.8's algorithm (``ops.blur_noise.unsharp_mask``), which
    also blurs the 0/1 threshold mask and blends through it (a soft seam at the threshold's edges).
    ``soft_mask=False``: a hard per-pixel switch, PIL's ``ImageFilter.UnsharpMask`` and AlbumentationsX
    2.5.1's algorithm (``ops.blur_noise.unsharp_mask_hard``), about 2.5x less work.

    Differences from albumentations: ``threshold`` is a FRACTION of the dtype's range (its default
    ``10`` uint8 levels is ``10/255`` here), so one call works for every dtype; a scalar ``blur_limit`` or
    ``sigma_limit`` is that fixed value (albumentations 2.0.8 reads ``7`` as (3, 7) and ``0.5`` as (0, 0.5)),
    as everywhere in this library."""

    def __init__(
        self,
        blur_limit: int | tuple[int, int] = (3, 7),
        sigma_limit: float | tuple[float, float] = 0.0,
        alpha: float | tuple[float, float] = (0.2, 0.5),
        threshold: float = 10 / 255,
        soft_mask: bool = True,
        p: float = 0.5,
    ) -> None:
        super().__init__(p)
        if not isinstance(soft_mask, (bool, np.bool_)):
            type_error("soft_mask", "a bool", soft_mask, "pass soft_mask=True for albumentations 2.0.8's blurred mask, False for a hard threshold")
        self.soft_mask = bool(soft_mask)
        self.blur_limit = _odd_sizes(blur_limit, "blur_limit", allow_zero=True)
        self.sigma_limit = as_range(sigma_limit, "sigma_limit", low=0.0)
        if self.blur_limit == (0, 0) and self.sigma_limit[0] <= 0:
            value_error("sigma_limit", "positive sigmas when blur_limit=0 (the size is derived from sigma)", sigma_limit, "pass e.g. sigma_limit=(0.5, 1.5), or an odd blur_limit such as (3, 7)")
        self.alpha = as_range(alpha, "alpha", low=0.0, high=1.0)
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.integer, np.floating)):
            type_error("threshold", "a number in [0, 1] (a fraction of the dtype's range)", threshold, "pass e.g. threshold=0.0392 (10/255)")
        if threshold < 0:
            value_error("threshold", "a fraction of the dtype's range in [0, 1]", threshold, "pass a value >= 0 (0 sharpens everywhere), e.g. threshold=0.0392 (10/255)")
        if threshold > 1.0:
            fix = f"divide albumentations' uint8 levels by 255: threshold={float(threshold) / 255:.4f}" if threshold <= 255 else "the largest threshold is 1.0 (the whole range)"
            value_error("threshold", "a fraction of the dtype's range in [0, 1]", threshold, fix)
        self.threshold = float(threshold)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        sigma = float(rng.uniform(*self.sigma_limit))
        size = B.gaussian_kernel_size(sigma, sample.dtype) if self.blur_limit == (0, 0) else _sample_odd(rng, self.blur_limit)
        return {"kernel_size": size, "sigma": sigma, "alpha": float(rng.uniform(*self.alpha))}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        kernel = B.unsharp_mask if self.soft_mask else B.unsharp_mask_hard
        return kernel(image, params["kernel_size"], params["sigma"], params["alpha"], self.threshold)

    def effects(self) -> Effects:
        return Effects(alters_intensity=True)

"""Noise models: ShotNoise (Poisson in linear light), SaltAndPepper, MultiplicativeNoise, SpeckleNoise. Kernels in
``ops.noise``; every dtype (uint8, uint16, float32 in [0, 1]) and channel count. Each draw comes from a seed
recorded in the params, so a replay reproduces the noise exactly."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.effects import Effects
from ..core.transform import Params, Transform, as_range
from ..ops import noise as N


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**63 - 1))


class ShotNoise(Transform):
    """Photon shot noise: Poisson counts in linear light (sRGB decoded per IEC 61966-2-1), ``scale`` ~
    U[scale_range] the linear-light value of one photon, so a pixel of linear value ``L`` gets mean ``L`` and
    variance ``scale * L`` (Foi et al. 2008, "Practical Poissonian-Gaussian noise modeling"), then re-encoded.
    albumentations 2.0.8 decodes with a 2.2 power law instead of the sRGB curve."""

    def __init__(self, scale_range: float | tuple[float, float] = (0.001, 0.01), p: float = 0.5) -> None:
        super().__init__(p)
        self.scale_range = as_range(scale_range, "scale_range", low=1e-9, high=1.0)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"scale": float(rng.uniform(*self.scale_range)), "seed": _seed(rng)}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return N.shot_noise(image, params["scale"], params["seed"])

    def effects(self) -> Effects:
        return Effects(adds_noise=True)


class SaltAndPepper(Transform):
    """Impulse noise: a fraction ``amount`` ~ U[amount] of pixels (all channels of a pixel together) set to the
    dtype's maximum with probability ``salt_vs_pepper`` ~ U[salt_vs_pepper], else to 0."""

    def __init__(self, amount: float | tuple[float, float] = (0.01, 0.06), salt_vs_pepper: float | tuple[float, float] = (0.4, 0.6), p: float = 0.5) -> None:
        super().__init__(p)
        self.amount = as_range(amount, "amount", low=0.0, high=1.0)
        self.salt_vs_pepper = as_range(salt_vs_pepper, "salt_vs_pepper", low=0.0, high=1.0)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"amount": float(rng.uniform(*self.amount)), "salt_vs_pepper": float(rng.uniform(*self.salt_vs_pepper)), "seed": _seed(rng)}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return N.salt_and_pepper(image, params["amount"], params["salt_vs_pepper"], params["seed"])

    def effects(self) -> Effects:
        return Effects(adds_noise=True)


class MultiplicativeNoise(Transform):
    """``out = x * m`` with ``m ~ U[multiplier]``: one factor for the image (or per channel with
    ``per_channel``), or with ``elementwise`` one per pixel (and channel), as albumentations."""

    def __init__(self, multiplier: float | tuple[float, float] = (0.9, 1.1), per_channel: bool = False, elementwise: bool = False, p: float = 0.5) -> None:
        super().__init__(p)
        self.multiplier = as_range(multiplier, "multiplier", low=0.0)
        self.per_channel, self.elementwise = bool(per_channel), bool(elementwise)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"seed": _seed(rng)}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        field = N.multiplier_field(params["seed"], image.shape, *self.multiplier, self.per_channel, self.elementwise)
        return N.multiply(image, field)

    def effects(self) -> Effects:
        return Effects(adds_noise=self.elementwise, alters_intensity=True, alters_color=self.per_channel)


class SpeckleNoise(Transform):
    """Speckle noise ``out = x + x n``, ``n ~ N(mean, std^2)`` per pixel (and channel with ``per_channel``),
    std ~ U[std_range], mean ~ U[mean_range] (scikit-image's ``random_noise(mode="speckle")``; the
    multiplicative noise of coherent imaging, Goodman 1976)."""

    def __init__(self, std_range: float | tuple[float, float] = (0.05, 0.2), mean_range: float | tuple[float, float] = (0.0, 0.0), per_channel: bool = True, p: float = 0.5) -> None:
        super().__init__(p)
        self.std_range = as_range(std_range, "std_range", low=0.0)
        self.mean_range = as_range(mean_range, "mean_range", around=None)
        self.per_channel = bool(per_channel)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"std": float(rng.uniform(*self.std_range)), "mean": float(rng.uniform(*self.mean_range)), "seed": _seed(rng)}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return N.speckle_noise(image, params["std"], params["mean"], params["seed"], self.per_channel)

    def effects(self) -> Effects:
        return Effects(adds_noise=True)

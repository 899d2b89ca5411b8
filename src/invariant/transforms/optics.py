"""Camera and optics degradations: Blur, AdvancedBlur, Defocus, ZoomBlur, GlassBlur, ChromaticAberration,
Sharpen, Emboss, RingingOvershoot, Superpixels. Kernels in ``ops.optics``; every transform takes uint8,
uint16 and float32 images (float32 in [0, 1]) and any channel count unless it says otherwise."""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.transform import Params, Transform, as_range, check_choice
from ..ops import optics as O
from ..ops.geometric import INTERPOLATIONS
from .blur_noise import _odd_sizes, _sample_odd


def _int_range(value: Any, argument: str, low: int) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair)):
        type_error(argument, "an int or a (min, max) pair of ints", value, f"pass e.g. {argument}=({low}, {low + 4})")
    lo, hi = int(pair[0]), int(pair[1])
    if lo > hi or lo < low:
        value_error(argument, f"ints >= {low} with min <= max", value, f"pass e.g. {argument}=({low}, {low + 4})")
    return lo, hi


class Blur(Transform):
    """Box (mean) filter of an odd size drawn from ``blur_limit`` (cv2.blur, reflect-101 border)."""

    def __init__(self, blur_limit: int | tuple[int, int] = (3, 7), p: float = 0.5) -> None:
        super().__init__(p)
        self.blur_limit = _odd_sizes(blur_limit, "blur_limit")

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"kernel_size": _sample_odd(rng, self.blur_limit)}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return O.box_blur(image, params["kernel_size"])

    def effects(self) -> Effects:
        return Effects(blurs=True)


class AdvancedBlur(Transform):
    """Anisotropic generalised-Gaussian blur of Real-ESRGAN (Wang et al. 2021, "Real-ESRGAN: Training
    real-world blind super-resolution with pure synthetic data"): kernel ``exp(-0.5 (p^T S^-1 p)^beta)`` with
    ``S = R(theta) diag(sigma_x^2, sigma_y^2) R(theta)^T`` (``ops.optics.generalized_gaussian_kernel``).
    Odd size from ``blur_limit``, sigmas ~ U[sigma_x] / U[sigma_y] (pixels; albumentations' ``sigma_x_limit`` /
    ``sigma_y_limit``), ``theta`` from ``rotate_limit`` (degrees), ``beta`` from ``beta_limit`` (1 = Gaussian).
    Unlike albumentations there is no multiplicative kernel noise (Real-ESRGAN has none)."""

    def __init__(
        self,
        blur_limit: int | tuple[int, int] = (3, 7),
        sigma_x: float | tuple[float, float] = (0.2, 1.0),
        sigma_y: float | tuple[float, float] = (0.2, 1.0),
        rotate_limit: float | tuple[float, float] = 90.0,
        beta_limit: float | tuple[float, float] = (0.5, 8.0),
        p: float = 0.5,
    ) -> None:
        super().__init__(p)
        self.blur_limit = _odd_sizes(blur_limit, "blur_limit")
        self.sigma_x = as_range(sigma_x, "sigma_x", low=1e-3)
        self.sigma_y = as_range(sigma_y, "sigma_y", low=1e-3)
        self.rotate_limit = as_range(rotate_limit, "rotate_limit", around=0.0)
        self.beta_limit = as_range(beta_limit, "beta_limit", low=1e-3)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {
            "kernel_size": _sample_odd(rng, self.blur_limit),
            "sigma_x": float(rng.uniform(*self.sigma_x)),
            "sigma_y": float(rng.uniform(*self.sigma_y)),
            "angle": float(rng.uniform(*self.rotate_limit)),
            "beta": float(rng.uniform(*self.beta_limit)),
        }

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        k = O.generalized_gaussian_kernel(params["kernel_size"], params["sigma_x"], params["sigma_y"], math.radians(params["angle"]), params["beta"])
        return O.convolve(image, k)

    def effects(self) -> Effects:
        return Effects(blurs=True)


class Defocus(Transform):
    """Out-of-focus blur (ImageNet-C, Hendrycks & Dietterich 2019): convolution with a rasterised disc of
    integer ``radius`` (drawn from ``radius``) whose rim is softened by a Gaussian of sigma ``alias_blur``
    (``ops.optics.disc_kernel``), as albumentations' Defocus."""

    def __init__(self, radius: int | tuple[int, int] = (3, 10), alias_blur: float | tuple[float, float] = (0.1, 0.5), p: float = 0.5) -> None:
        super().__init__(p)
        self.radius = _int_range(radius, "radius", 1)
        self.alias_blur = as_range(alias_blur, "alias_blur", low=1e-3)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"radius": int(rng.integers(self.radius[0], self.radius[1] + 1)), "alias_blur": float(rng.uniform(*self.alias_blur))}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return O.convolve(image, O.disc_kernel(params["radius"], params["alias_blur"]), exact_uint16=True)

    def effects(self) -> Effects:
        return Effects(blurs=True)


class ZoomBlur(Transform):
    """Radial blur of a camera zooming during exposure (ImageNet-C, Hendrycks & Dietterich 2019): the mean of
    the image and its central zooms by ``1, 1 + step, ...`` below ``max_factor``; ``max_factor`` ~
    U[max_factor] (> 1), ``step`` ~ U[step_factor], as albumentations' ZoomBlur."""

    def __init__(self, max_factor: float | tuple[float, float] = (1.0, 1.31), step_factor: float | tuple[float, float] = (0.01, 0.03), p: float = 0.5) -> None:
        super().__init__(p)
        self.max_factor = as_range(max_factor, "max_factor", low=1.0)
        self.step_factor = as_range(step_factor, "step_factor", low=1e-3)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        top, step = float(rng.uniform(*self.max_factor)), float(rng.uniform(*self.step_factor))
        return {"factors": [float(f) for f in np.arange(1.0, top, step)]}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return O.zoom_blur(image, params["factors"])

    def effects(self) -> Effects:
        return Effects(blurs=True)


class GlassBlur(Transform):
    """Frosted-glass blur (ImageNet-C, Hendrycks & Dietterich 2019): Gaussian blur of ``sigma``, ``iterations``
    passes of random local pixel swaps within ``max_delta``, Gaussian blur again (albumentations' "fast"
    mode). The swap offsets come from a seed in the params, so a replay is exact."""

    def __init__(self, sigma: float = 0.7, max_delta: int = 4, iterations: int = 2, p: float = 0.5) -> None:
        super().__init__(p)
        if isinstance(sigma, bool) or not isinstance(sigma, (int, float, np.integer, np.floating)) or not sigma > 0:
            value_error("sigma", "a positive number", sigma, "pass e.g. sigma=0.7")
        for name, value in (("max_delta", max_delta), ("iterations", iterations)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                type_error(name, "a positive int", value, f"pass e.g. {name}=2")
        self.sigma, self.max_delta, self.iterations = float(sigma), int(max_delta), int(iterations)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"seed": int(rng.integers(0, 2**63 - 1))}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        dxy = O.glass_offsets(params["seed"], image.shape[:2], self.max_delta, self.iterations)
        return O.glass_blur(image, self.sigma, self.max_delta, self.iterations, dxy)

    def effects(self) -> Effects:
        return Effects(blurs=True)


class ChromaticAberration(Transform):
    """Lateral chromatic aberration: red and blue are refracted by different amounts, modelled by a radial
    Brown-Conrady distortion ``r (1 + k1 r^2 + k2 r^4)`` per plane (``ops.optics.chromatic_aberration``);
    k1 ~ U[primary_distortion_limit], k2 ~ U[secondary_distortion_limit], drawn independently for red and
    blue; green is the reference. RGB only (the planes are named by colour)."""

    channels = (3,)
    support_note = "RGB only (red and blue planes are distorted); for RGB+N use OnChannels"

    def __init__(
        self,
        primary_distortion_limit: float | tuple[float, float] = 0.02,
        secondary_distortion_limit: float | tuple[float, float] = 0.05,
        interpolation: str = "linear",
        p: float = 0.5,
    ) -> None:
        super().__init__(p)
        self.primary_distortion_limit = as_range(primary_distortion_limit, "primary_distortion_limit", around=0.0)
        self.secondary_distortion_limit = as_range(secondary_distortion_limit, "secondary_distortion_limit", around=0.0)
        self.interpolation = check_choice(interpolation, "interpolation", ("nearest", "linear", "cubic", "lanczos"))

    def channel_fix(self) -> str:
        return "ChromaticAberration distorts the red and blue planes of an RGB image: for RGB plus extra bands use iv.OnChannels(transform, channels=(0, 1, 2))"

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        k = [float(rng.uniform(*lim)) for lim in (self.primary_distortion_limit, self.secondary_distortion_limit) * 2]
        return {"red": [k[0], k[1]], "blue": [k[2], k[3]]}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return O.chromatic_aberration(image, tuple(params["red"]), tuple(params["blue"]), INTERPOLATIONS[self.interpolation])

    def effects(self) -> Effects:
        return Effects(alters_color=True, blurs=True)


class Sharpen(Transform):
    """Laplacian sharpening: convolve with ``(1 - alpha) I + alpha [[-1,-1,-1],[-1,8+lightness,-1],[-1,-1,-1]]``
    (imgaug / albumentations' kernel method); alpha ~ U[alpha] in [0, 1], lightness ~ U[lightness]."""

    def __init__(self, alpha: float | tuple[float, float] = (0.2, 0.5), lightness: float | tuple[float, float] = (0.5, 1.0), p: float = 0.5) -> None:
        super().__init__(p)
        self.alpha = as_range(alpha, "alpha", low=0.0, high=1.0)
        self.lightness = as_range(lightness, "lightness", low=0.0)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        # the doubles of rng.uniform(*self.alpha), rng.uniform(*self.lightness) (lo + (hi - lo) * u), drawn at once
        u = rng.random(2).tolist()
        (a0, a1), (l0, l1) = self.alpha, self.lightness
        return {"alpha": float(a0 + (a1 - a0) * u[0]), "lightness": float(l0 + (l1 - l0) * u[1])}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return O.convolve(image, O.sharpen_kernel(params["alpha"], params["lightness"]))

    def effects(self) -> Effects:
        return Effects(alters_intensity=True)


class Emboss(Transform):
    """Relief effect: convolve with ``(1 - alpha) I + alpha [[-1-s,-s,0],[-s,1,s],[0,s,1+s]]`` (imgaug /
    albumentations); alpha ~ U[alpha] in [0, 1], s ~ U[strength]."""

    def __init__(self, alpha: float | tuple[float, float] = (0.2, 0.5), strength: float | tuple[float, float] = (0.2, 0.7), p: float = 0.5) -> None:
        super().__init__(p)
        self.alpha = as_range(alpha, "alpha", low=0.0, high=1.0)
        self.strength = as_range(strength, "strength", low=0.0)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"alpha": float(rng.uniform(*self.alpha)), "strength": float(rng.uniform(*self.strength))}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return O.convolve(image, O.emboss_kernel(params["alpha"], params["strength"]))

    def effects(self) -> Effects:
        return Effects(alters_intensity=True)


class RingingOvershoot(Transform):
    """Ringing and overshoot artifacts of Real-ESRGAN (Wang et al. 2021): convolution with a truncated ideal
    circular low-pass (2-D sinc, ``ops.optics.sinc_kernel``) of odd size from ``blur_limit`` and cutoff
    ``omega_c`` ~ U[cutoff] radians per pixel in (0, pi]."""

    def __init__(self, blur_limit: int | tuple[int, int] = (7, 15), cutoff: float | tuple[float, float] = (math.pi / 4, math.pi / 2), p: float = 0.5) -> None:
        super().__init__(p)
        self.blur_limit = _odd_sizes(blur_limit, "blur_limit")
        self.cutoff = as_range(cutoff, "cutoff", low=1e-3, high=math.pi)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"kernel_size": _sample_odd(rng, self.blur_limit), "cutoff": float(rng.uniform(*self.cutoff))}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return O.convolve(image, O.sinc_kernel(params["kernel_size"], params["cutoff"]))

    def effects(self) -> Effects:
        return Effects(blurs=True, alters_intensity=True)


class Superpixels(Transform):
    """Superpixel painting (imgaug / albumentations' Superpixels): SLIC segments (Achanta et al. 2012,
    TPAMI; scikit-image's ``slic``, an optional dependency: ``pip install 'invariant[optics]'``), each replaced
    by its mean colour with probability ~ U[p_replace]. ``n_segments`` ~ U[n_segments]; images whose longer
    side exceeds ``max_size`` are segmented on a downscaled copy (labels upscaled, nearest)."""

    def __init__(self, p_replace: float | tuple[float, float] = (0.0, 0.1), n_segments: int | tuple[int, int] = (100, 100), max_size: int | None = 128, p: float = 0.5) -> None:
        super().__init__(p)
        self.p_replace = as_range(p_replace, "p_replace", low=0.0, high=1.0)
        self.n_segments = _int_range(n_segments, "n_segments", 1)
        if max_size is not None and (isinstance(max_size, bool) or not isinstance(max_size, (int, np.integer)) or max_size < 8):
            value_error("max_size", "None or an int >= 8", max_size, "pass e.g. max_size=128")
        self.max_size = None if max_size is None else int(max_size)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {
            "p_replace": float(rng.uniform(*self.p_replace)),
            "n_segments": int(rng.integers(self.n_segments[0], self.n_segments[1] + 1)),
            "seed": int(rng.integers(0, 2**63 - 1)),
        }

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        h, w = image.shape[:2]
        small = image
        if self.max_size is not None and max(h, w) > self.max_size:
            s = self.max_size / max(h, w)
            small = cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
            small = small if small.ndim == 3 else small[:, :, None]
        labels = O.slic_labels(small, params["n_segments"])
        if small is not image:
            labels = cv2.resize(labels.astype(np.int32), (w, h), interpolation=cv2.INTER_NEAREST).astype(np.intp)
        replace = np.random.default_rng(params["seed"]).random(int(labels.max()) + 1) < params["p_replace"]
        return O.superpixels(image, labels, replace)

    def effects(self) -> Effects:
        return Effects(blurs=True, alters_intensity=True)


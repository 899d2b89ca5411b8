"""The float rule (docs/spatial.md, "Float images"): float32 images live in [0, 1]; every resampling with an
overshooting kernel (cubic, lanczos; in warps, resizes, remaps and fused runs alike) clips float32 output per
channel to [min(0, lo), max(1, hi)] of its input range [lo, hi]; and every op is total: finite input never
gives NaN or inf, including values a hair outside [0, 1] and exact 0 and 1."""

from __future__ import annotations

import inspect

import cv2
import numpy as np
import pytest

import invariant as iv
from invariant.core.compose import Container
from invariant.core.transform import REGISTRY, library_transforms
from invariant.policies.ops import GEOMETRIC_OPS, PIXEL_OPS, PolicyGeometricOp, PolicyPixelOp

from .conftest import call_with_sources, example_transform, photo

# leaves, plus containers that build from their own example_args (the policies)
NAMES = sorted(name for name, cls in library_transforms().items() if not issubclass(cls, Container) or "example_args" in vars(cls))


def build(name: str, **override) -> iv.Transform:
    return example_transform(name, **override)


def edge_values(channels: int) -> np.ndarray:
    """A float32 photo with a lattice of values just outside [0, 1] (-1e-3, 1 + 1e-3) and exactly 0 and 1."""
    image = photo("float32", channels).copy()
    image[::7, ::5] = -1e-3
    image[3::7, 2::5] = 1 + 1e-3
    image[1::9, ::3] = 0.0
    image[2::9, 1::3] = 1.0
    return image


def _inputs(channels: int):
    yield "edge-values", edge_values(channels)
    for value in (0.0, 1.0, -1e-3, 1 + 1e-3):  # constant images: zero variance, zero range
        yield f"constant-{value}", np.full((48, 64, channels), value, np.float32)
    # float data outside the convention, which the rule keeps rather than squeezes (docs/spatial.md): a photo
    # stretched to [-1, 2]; OpenCV's RGB -> HLS divides by zero on its pixels whose max + min is exactly 2
    yield "stretched", photo("float32", channels) * np.float32(3.0) - np.float32(1.0)


def totality_cases():
    for name in NAMES:
        cls = REGISTRY[name]
        if "float32" not in cls.dtypes:
            continue
        for channels in (1, 3, 4, 6):
            if cls.channels is None or channels in cls.channels:
                yield pytest.param(lambda name=name: build(name), channels, id=f"{name}-{channels}c")
    for op in PIXEL_OPS:
        yield pytest.param(lambda op=op: PolicyPixelOp(op, magnitude=20), 3, id=f"PolicyPixelOp-{op}")
    for op in GEOMETRIC_OPS:
        for interpolation in ("cubic", "lanczos"):
            yield pytest.param(lambda op=op, i=interpolation: PolicyGeometricOp(op, magnitude=20, interpolation=i), 3, id=f"PolicyGeometricOp-{op}-{interpolation}")


def _array(x) -> np.ndarray:
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


@pytest.mark.parametrize("make,channels", list(totality_cases()))
def test_every_transform_is_total_on_float32(make, channels: int) -> None:
    """Finite float32 input (values a hair outside [0, 1], exact 0 and 1, constant images) gives finite output
    under several seeds, with no invalid operation, division by zero or overflow along the way."""
    for label, image in _inputs(channels):
        for seed in range(3):
            with np.errstate(invalid="raise", divide="raise", over="raise"):
                out = _array(call_with_sources(iv.Compose([make()], seed=seed), image=image)["image"])
            assert np.isfinite(out).all(), f"{label}, seed {seed}: non-finite output"


def resampling_cases():
    for name in NAMES:
        cls = REGISTRY[name]
        if "interpolation" in inspect.signature(cls.__init__).parameters and "float32" in cls.dtypes:
            for interpolation in ("cubic", "lanczos"):
                yield pytest.param(lambda name=name, i=interpolation: build(name, interpolation=i), id=f"{name}-{interpolation}")
    for pair in (("cubic", "cubic"), ("area", "lanczos"), ("lanczos", "linear")):
        yield pytest.param(lambda pair=pair: iv.Downscale(0.3, pair, p=1.0), id=f"Downscale-{'-'.join(pair)}")


def sharp_photo() -> np.ndarray:
    """A [0, 1] float32 photo with hard 0/1 edges: cubic and lanczos ring by about 0.1 around them."""
    image = photo("float32", 3).copy()
    image[10:30, 20:40] = 1.0
    image[30:40, 5:25] = 0.0
    return image


@pytest.mark.parametrize("make", list(resampling_cases()))
def test_overshooting_kernels_keep_float32_images_in_the_unit_range(make) -> None:
    for seed in range(4):
        out = call_with_sources(iv.Compose([make()], seed=seed), image=sharp_photo())["image"]
        assert out.dtype == np.float32
        assert out.min() >= 0.0 and out.max() <= 1.0, f"seed {seed}: range [{out.min()}, {out.max()}]"


def _rotate_reference(image: np.ndarray, angle: float, flag: int) -> np.ndarray:
    """OpenCV's own rotation about the canvas centre (the convention docs/spatial.md states), unclipped."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1.0)
    return cv2.warpAffine(image, m, (w, h), flags=flag, borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))


@pytest.mark.parametrize("interpolation,flag", [("cubic", cv2.INTER_CUBIC), ("lanczos", cv2.INTER_LANCZOS4)])
def test_rotation_clips_exactly_the_overshoot(interpolation: str, flag: int) -> None:
    """Against cv2.warpAffine: a [0, 1] image gets the reference clipped to [0, 1]; a normalized image
    (values in about [-2, 2.6]) keeps everything inside its own per-channel range and is clipped only beyond it."""
    image = sharp_photo()
    reference = _rotate_reference(image, 17.0, flag)
    assert reference.min() < -0.01 and reference.max() > 1.01  # the kernel really overshoots here
    out = iv.Rotate(limit=(17, 17), interpolation=interpolation, p=1.0)(image=image)["image"]
    np.testing.assert_allclose(out, np.clip(reference, 0.0, 1.0), atol=1e-5)

    normalized = ((image - np.float32([0.485, 0.456, 0.406])) / np.float32([0.229, 0.224, 0.225])).astype(np.float32)
    reference = _rotate_reference(normalized, 17.0, flag)
    lo = np.minimum(normalized.min(axis=(0, 1)), 0.0)  # the fill (0) lies inside every channel's range here
    hi = np.maximum(normalized.max(axis=(0, 1)), 1.0)
    assert ((reference < lo) | (reference > hi)).any()
    out = iv.Rotate(limit=(17, 17), interpolation=interpolation, p=1.0)(image=normalized)["image"]
    np.testing.assert_allclose(out, np.clip(reference, lo, hi), atol=1e-5)
    assert out.min() < -1.5  # normalized data is not squeezed into [0, 1]


@pytest.mark.parametrize("fuse", [True, False])
def test_cubic_warp_then_gamma_stays_finite_fused_and_op_by_op(fuse: bool) -> None:
    """The reported chain: a cubic warp rings below 0 and RandomGamma's power turned that into NaN."""
    steps = [iv.Rotate(limit=(17, 17), interpolation="cubic", p=1.0), iv.Affine(scale=(0.7, 0.7), interpolation="cubic", p=1.0), iv.RandomGamma(p=1.0)]
    out = iv.Compose(steps, fuse=fuse, seed=0)(image=sharp_photo())["image"]
    assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0


def test_gamma_is_total_and_matches_the_formula_inside_its_domain() -> None:
    """Values below 0 map to 0 (the power's domain ends there), others follow max * (x / max) ** gamma."""
    x = np.array([-1e-3, -1e-7, 0.0, 0.25, 1.0, 1 + 1e-3], np.float32).reshape(1, 6, 1)
    rec = iv.Compose([iv.RandomGamma(gamma=(0.5, 2.0), p=1.0)], seed=1)(image=x, return_params=True)
    gamma = next(p["gamma"] for p in _param_dicts(rec["params"]) if "gamma" in p)
    expected = np.clip(np.power(np.clip(x.astype(np.float64), 0.0, None), gamma), 0.0, 1.0)
    np.testing.assert_allclose(rec["image"], expected, atol=1e-6)


def _param_dicts(params):
    """Every dict inside a recorded params structure (its layout is the engine's business)."""
    if isinstance(params, dict):
        yield params
        for value in params.values():
            yield from _param_dicts(value)
    elif isinstance(params, (list, tuple)):
        for value in params:
            yield from _param_dicts(value)

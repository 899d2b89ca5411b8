"""Degradations: ImageCompression (JPEG / WebP round trip, uint8 1 or 3 channels) and Downscale (down then up
to the original size, every dtype and channel count). Kernels in ``ops.degrade``."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.transform import Params, Transform, as_range, input_description
from ..ops import degrade as D
from ..ops.geometric import INTERPOLATIONS


def _quality_range(value: Any) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair)):
        type_error("quality_range", "an int or a (min, max) pair of ints in [1, 100]", value, "pass e.g. quality_range=(50, 95)")
    lo, hi = int(pair[0]), int(pair[1])
    if not 1 <= lo <= hi <= 100:
        value_error("quality_range", "ints with 1 <= min <= max <= 100", value, "pass e.g. quality_range=(50, 95)")
    return lo, hi


class ImageCompression(Transform):
    """Lossy JPEG or WebP compression artifacts (blocking, ringing, chroma bleeding): the image is encoded
    and decoded in memory with OpenCV at a quality drawn uniformly from the integers in ``quality_range``
    (inclusive, 1 = worst, 100 = best), as albumentations' ``ImageCompression(quality_range, compression_type)``.

    Inputs: uint8 with 3 channels (RGB, converted to BGR around the codec so the codec's luma and chroma
    are those of the real colours) or 1 channel (encoded as a grayscale image: JPEG keeps only a luma plane,
    so there is no chroma subsampling). Other dtypes and channel counts raise: these are 8-bit codecs.
    albumentations 2.0.8 hands RGB arrays to ``cv2.imencode`` unconverted (the codec then mixes luma with
    swapped red/blue weights), converts float32 through uint8 silently and compresses extra channels one by
    one; here float32/uint16 must be converted explicitly and RGB+N goes through ``iv.OnChannels``.
    """

    dtypes: ClassVar[tuple[str, ...]] = ("uint8",)
    channels: ClassVar[tuple[int, ...] | None] = (1, 3)
    support_note: ClassVar[str] = "8-bit codecs: uint8 RGB or grayscale; for RGB+N use OnChannels"

    def __init__(self, quality_range: int | tuple[int, int] = (99, 100), compression_type: str = "jpeg", p: float = 0.5) -> None:
        super().__init__(p)
        self.quality_range = _quality_range(quality_range)
        if not isinstance(compression_type, str) or compression_type not in D.CODECS:
            value_error("compression_type", f"one of {sorted(D.CODECS)}", compression_type, "pass compression_type='jpeg' or 'webp'")
        self.compression_type = compression_type

    example_args: ClassVar[Params] = {"quality_range": (30, 60)}

    def check_input(self, sample: Any) -> None:
        if sample.dtype != np.uint8:
            value_error(
                "ImageCompression image",
                "dtype uint8 (JPEG and WebP are 8-bit codecs)",
                input_description(sample),
                "convert to uint8 first (e.g. (image / 257).round().astype(np.uint8) for full-range uint16, "
                "(image * 255).round().clip(0, 255).astype(np.uint8) for float32 in [0, 1])",
            )
        super().check_input(sample)

    def channel_fix(self) -> str:
        return (
            "JPEG/WebP encode 1 (gray) or 3 (RGB) channels: for RGB plus extra bands compress the RGB bands only "
            "with iv.OnChannels(iv.ImageCompression(...), channels=(0, 1, 2)); drop an alpha channel first"
        )

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"quality": int(rng.integers(self.quality_range[0], self.quality_range[1] + 1))}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return D.image_compression(image, params["quality"], self.compression_type)

    def effects(self) -> Effects:
        # quantizing DCT (or WebP's) coefficients removes fine detail and adds block/ringing artifacts;
        # the codecs subsample chroma (4:2:0), so colours bleed across edges
        return Effects(blurs=True, adds_noise=True, alters_color=True)


def _interpolation_pair(value: Any) -> tuple[str, str]:
    names = sorted(INTERPOLATIONS)
    pair = (value, value) if isinstance(value, str) else value
    if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and all(isinstance(v, str) for v in pair)):
        type_error("interpolation_pair", f"a name or a (down, up) pair of names from {names}", value, "pass e.g. interpolation_pair=('area', 'linear')")
    if pair[0] not in INTERPOLATIONS or pair[1] not in INTERPOLATIONS:
        value_error("interpolation_pair", f"names from {names}", value, "pass e.g. interpolation_pair=('nearest', 'nearest')")
    return str(pair[0]), str(pair[1])


class Downscale(Transform):
    """Low-resolution capture: resize down by a scale ~ U[scale_range] (0 < scale <= 1) and back up to the
    original size, as albumentations' ``Downscale``. ``interpolation_pair`` is (down, up), names from
    "nearest", "linear", "cubic", "area", "lanczos" (albumentations takes a dict of OpenCV flags); the
    default nearest/nearest gives a blocky, pixelated look, ("area", "linear") a smooth blur.

    Every dtype and channel count; shape and dtype are kept. Differences from albumentations: "nearest"
    is OpenCV's pixel-centre nearest (``INTER_NEAREST_EXACT``; albumentations' ``INTER_NEAREST`` samples
    the top-left of each block, shifting content by up to half a coarse pixel), and the small size is
    rounded and used as the exact size in both directions (albumentations downsizes with ``fx=scale``, so
    the coarse grid drifts slightly when ``size * scale`` is not an integer). The small size is at least 1.
    """

    def __init__(
        self,
        scale_range: float | tuple[float, float] = (0.25, 0.25),
        interpolation_pair: str | tuple[str, str] = ("nearest", "nearest"),
        p: float = 0.5,
    ) -> None:
        super().__init__(p)
        self.scale_range = as_range(scale_range, "scale_range", low=0.0, high=1.0)
        if self.scale_range[0] <= 0:
            value_error("scale_range", "scales in (0, 1]", scale_range, "pass e.g. scale_range=(0.25, 0.5)")
        self.interpolation_pair = _interpolation_pair(interpolation_pair)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"scale": float(rng.uniform(*self.scale_range))}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return D.downscale(image, params["scale"], *self.interpolation_pair)

    def effects(self) -> Effects:
        return Effects(blurs=True)

"""Degradation kernels: lossy codec round trips (JPEG / WebP, in memory) and down-then-up resizing."""

from __future__ import annotations

import functools

import cv2
import numpy as np

from ..core.errors import value_error
from .geometric import INTERPOLATIONS, OVERSHOOTING, clip_overshoot, resize
from .scratch import work_array

CODECS = {"jpeg": (".jpg", cv2.IMWRITE_JPEG_QUALITY), "webp": (".webp", cv2.IMWRITE_WEBP_QUALITY)}
_MAX_SIDE = {"jpeg": 65535, "webp": 16383}  # pixels per side each format can hold


def _bgr_scratch(image: np.ndarray) -> np.ndarray:
    """``image`` converted RGB->BGR into a per-thread work array (``ops.scratch``): the codec only reads it;
    a fresh 3-channel array per call measured ~35 us slower per 256x256 JPEG round trip (first-touch page
    faults) than the 5 us the conversion itself costs."""
    return cv2.cvtColor(image, cv2.COLOR_RGB2BGR, dst=work_array("image_compression.bgr", image.shape, np.uint8))


def _decode_rgb(encoded: np.ndarray) -> np.ndarray:
    """Decode to RGB: OpenCV 4.11+ decodes straight to RGB; older builds decode BGR and convert."""
    flag = getattr(cv2, "IMREAD_COLOR_RGB", None)
    if flag is not None:
        return cv2.imdecode(encoded, flag)
    return cv2.cvtColor(cv2.imdecode(encoded, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)  # pragma: no cover - old OpenCV


def image_compression(image: np.ndarray, quality: int, compression_type: str = "jpeg") -> np.ndarray:
    """Encode an HWC uint8 image with ``compression_type`` ("jpeg" or "webp") at ``quality`` (1..100) and
    decode it again, all in memory (``cv2.imencode`` / ``cv2.imdecode``; nothing touches the disk).

    3 channels are RGB: OpenCV's codecs read BGR, so the image is converted RGB->BGR before encoding and
    decoded straight to RGB (``IMREAD_COLOR_RGB`` where OpenCV has it), so the codec's luma/chroma split (and the 4:2:0 chroma
    subsampling of JPEG) sees the true colours. 1 channel is encoded as a grayscale image (JPEG: a single
    luma plane, no chroma; WebP: OpenCV expands it to gray BGR) and decoded as grayscale.
    """
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (1, 3):
        value_error(
            "image_compression image",
            "an HWC uint8 image with 1 or 3 channels (JPEG and WebP are 8-bit codecs)",
            image,
            "convert to uint8 first; for RGB plus extra bands use iv.OnChannels(..., channels=(0, 1, 2))",
        )
    if compression_type not in CODECS:
        value_error("compression_type", f"one of {sorted(CODECS)}", compression_type, "pass compression_type='jpeg' or 'webp'")
    extension, flag = CODECS[compression_type]
    limit = _MAX_SIDE[compression_type]
    if max(image.shape[:2]) > limit:
        value_error(
            "image_compression image",
            f"at most {limit} pixels per side for {compression_type} (the codec's limit)",
            image,
            "use compression_type='jpeg' (up to 65535 per side) or resize/crop first" if compression_type == "webp" else "resize or crop first",
        )
    params = (int(flag), int(quality))
    if image.shape[2] == 1:
        ok, encoded = cv2.imencode(extension, image[:, :, 0], params)
        if not ok:  # pragma: no cover - unsupported inputs and sizes are refused above
            raise RuntimeError(f"OpenCV could not encode a {image.shape} uint8 image as {compression_type}")
        return cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE)[:, :, None]
    ok, encoded = cv2.imencode(extension, _bgr_scratch(image), params)
    if not ok:  # pragma: no cover
        raise RuntimeError(f"OpenCV could not encode a {image.shape} uint8 image as {compression_type}")
    return _decode_rgb(encoded)


def downscaled_shape(shape: tuple[int, int], scale: float) -> tuple[int, int]:
    """(h, w) scaled by ``scale`` and rounded (half to even, as OpenCV's ``fx``/``fy``), at least 1 pixel."""
    return max(1, round(shape[0] * scale)), max(1, round(shape[1] * scale))  # Python's round: half to even


def downscale(image: np.ndarray, scale: float, down: str = "nearest", up: str = "nearest") -> np.ndarray:
    """Resize an HWC image (any dtype, any channel count) down by ``scale`` with interpolation ``down`` and
    back to its own size with ``up`` (names of ``ops.geometric.INTERPOLATIONS``; "nearest" is OpenCV's
    pixel-centre-exact nearest). Both resizes map the full canvas onto the full canvas, so the coarse
    pixels stay aligned with the original. Always returns a new array of the input's shape and dtype;
    float32 cubic / lanczos overshoot is clipped by the library's float rule (``ops.geometric.clip_overshoot``:
    [0, 1] for images in the float convention), as every resampling kernel."""
    h, w = image.shape[:2]
    small_h, small_w = downscaled_shape((h, w), scale)
    if (small_h, small_w) == (h, w):
        return image.copy()
    if image.shape[2] > 4:  # some OpenCV kernels take at most 4 channels: ops.geometric.resize chunks them
        out = resize(resize(image, (small_h, small_w), down), (h, w), up)
    else:
        flag_down, flag_up = _cv_flag(down), _cv_flag(up)
        small = cv2.resize(np.ascontiguousarray(image), (small_w, small_h), interpolation=flag_down)
        if up == "nearest":
            out = _nearest_up(small if small.ndim == 3 else small[:, :, None], h, w)
        else:
            out = cv2.resize(small, (w, h), interpolation=flag_up)
            out = out if out.ndim == 3 else out[:, :, None]
    return clip_overshoot(out, image, down if down in OVERSHOOTING else up)  # integer dtypes saturate inside OpenCV


@functools.lru_cache(maxsize=256)
def _nearest_rows(src: int, dst: int) -> np.ndarray:
    """The source row of each of ``dst`` output rows in OpenCV's ``INTER_NEAREST_EXACT`` resize from ``src``
    rows, read off OpenCV itself (a column of row numbers resized), so it cannot drift from its rounding."""
    rows = cv2.resize(np.arange(src, dtype=np.int32).reshape(src, 1), (1, dst), interpolation=cv2.INTER_NEAREST_EXACT).ravel()
    rows.setflags(write=False)
    return rows


def _nearest_up(small: np.ndarray, h: int, w: int) -> np.ndarray:
    """``cv2.resize(small, (w, h), INTER_NEAREST_EXACT)`` of an HWC image with 1-4 channels, bit for bit, ~2x
    faster when enlarging: OpenCV's nearest copies pixel by pixel, so only the ``small`` rows are widened
    (the x mapping does not depend on the rows) and the output rows are whole-row copies of those."""
    wide = cv2.resize(small, (w, small.shape[0]), interpolation=cv2.INTER_NEAREST_EXACT)
    wide = wide if wide.ndim == 3 else wide[:, :, None]
    return np.take(wide, _nearest_rows(small.shape[0], h), axis=0)


def _cv_flag(name: str) -> int:
    """OpenCV flag for an interpolation name; "nearest" is the pixel-centre-exact variant (as ops.geometric)."""
    return cv2.INTER_NEAREST_EXACT if name == "nearest" else INTERPOLATIONS[name]

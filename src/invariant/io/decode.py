"""JPEG/PNG decoding with the fastest decoder installed, optionally at a reduced JPEG DCT scale.

Decoders (measured in ``benchmarks/bench_e2e.py --decoders``): ``simplejpeg`` (libjpeg-turbo
bundled in its wheel; optional extra ``invariant[jpeg]``) is the fastest full-size JPEG decoder
here; OpenCV's ``imdecode`` is the always-available fallback and gives bit-identical pixels
(same libjpeg-turbo, same settings); Pillow is offered for comparison. PNG always goes through
OpenCV. ``scale`` 2, 4 or 8 asks libjpeg-turbo to run a 4x4, 2x2 or 1x1 inverse DCT per 8x8 block,
so the decoder never produces the pixels a strong downscale would throw away (the trick DALI
and FFCV use). Every decoder returns the raw raster, and ``decode`` then applies the EXIF
orientation itself, so all backends agree (OpenCV's own auto-rotation is switched off).
"""

from __future__ import annotations

import io as _io
import math
import os
from typing import Any

import cv2
import numpy as np

from ..core.errors import value_error
from .headers import HeaderError, ImageHeader, apply_orientation, read_header

MODES = ("rgb", "gray", "unchanged")
SCALES = (1, 2, 4, 8)
BACKENDS = ("auto", "simplejpeg", "opencv", "pil")
_CV_REDUCED = {1: 0, 2: 16, 4: 32, 8: 64}  # IMREAD_REDUCED_* bits on top of the colour flag
_CV_RGB = getattr(cv2, "IMREAD_COLOR_RGB", None)

try:  # optional: the fastest JPEG decoder available from PyPI with libjpeg-turbo inside its wheel
    import simplejpeg as _simplejpeg
except ImportError:  # pragma: no cover - depends on the environment
    _simplejpeg = None


class DecodeError(ValueError):
    """A file could not be read or decoded; the message names the file."""


def available_decoders() -> list[str]:
    """JPEG decoders importable here, fastest first (``"auto"`` picks the first)."""
    names = ["simplejpeg"] if _simplejpeg is not None else []
    names.append("opencv")
    try:
        import PIL  # noqa: F401

        names.append("pil")
    except ImportError:  # pragma: no cover
        pass
    return names


def reduced_size(height: int, width: int, scale: int) -> tuple[int, int]:
    """Raster size libjpeg produces at 1/``scale``: each dimension rounded up."""
    return math.ceil(height / scale), math.ceil(width / scale)


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The file's bytes, or ``DecodeError`` naming the file."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise DecodeError(f"{os.fspath(path)}: cannot read the file ({exc.strerror or exc}). Fix: check the path and permissions, or pass on_error='skip' to skip and count bad files.") from exc


def decode(
    data: bytes,
    mode: str = "rgb",
    scale: int = 1,
    backend: str = "auto",
    exif: bool = True,
    header: ImageHeader | None = None,
    source: str = "data",
) -> np.ndarray:
    """Decode JPEG/PNG bytes to an HWC uint8 array (uint16 for 16-bit PNG with ``mode="unchanged"``).

    mode: "rgb" (3 channels), "gray" (1 channel) or "unchanged" (PNG alpha and 16 bits kept).
    scale: 1, 2, 4 or 8; JPEG only. The result is the image at 1/scale, each side rounded up.
    exif: apply the EXIF orientation (as OpenCV's imread and PIL's exif_transpose do).
    source: the file name, for error messages.
    """
    if mode not in MODES:
        value_error("mode", f"one of {MODES}", mode, "use 'rgb', 'gray' or 'unchanged'")
    if scale not in SCALES:
        value_error("scale", f"one of {SCALES}", scale, "libjpeg-turbo scales by 1/2, 1/4 or 1/8 only")
    if backend not in BACKENDS:
        value_error("backend", f"one of {BACKENDS}", backend, "use 'auto' for the fastest installed decoder")
    try:
        header = header or read_header(data)
    except HeaderError as exc:
        raise DecodeError(f"{source}: {exc}") from None
    if header.format != "jpeg" and scale != 1:
        value_error("scale", "1 for a PNG (DCT scaling exists only for JPEG)", scale, "decode PNGs at scale=1")
    if backend == "auto":
        backend = "simplejpeg" if _simplejpeg is not None and header.format == "jpeg" else "opencv"
    if backend == "simplejpeg" and _simplejpeg is None:
        value_error("backend", f"an installed decoder {available_decoders()}", backend, "pip install 'invariant[jpeg]' (simplejpeg), or use backend='opencv'")
    try:
        if header.format == "png" or backend == "opencv":
            raw = _decode_opencv(data, mode, scale, header)
        elif backend == "simplejpeg":
            raw = _decode_simplejpeg(data, mode, scale, header)
        else:
            raw = _decode_pil(data, mode, scale, header)
    except DecodeError:
        raise
    except Exception as exc:  # decoder libraries raise assorted types for corrupt data
        raise DecodeError(f"{source}: cannot decode the {header.format.upper()} ({type(exc).__name__}: {exc}). Fix: re-encode or remove the file, or pass on_error='skip'.") from exc
    if raw is None or raw.size == 0:
        raise DecodeError(f"{source}: the decoder returned no pixels for a {header.height}x{header.width} (height x width) {header.format.upper()}. Fix: re-encode or remove the file, or pass on_error='skip'.")
    if raw.ndim == 2:
        raw = raw[:, :, None]
    expected = reduced_size(header.height, header.width, scale)
    if raw.shape[:2] != expected:
        raise DecodeError(f"{source}: decoded size {raw.shape[:2]} differs from the header's {expected} at 1/{scale}. Fix: re-encode the file.")
    return apply_orientation(raw, header.orientation) if exif else raw


def _decode_simplejpeg(data: bytes, mode: str, scale: int, header: ImageHeader) -> np.ndarray:
    colorspace = "GRAY" if mode == "gray" or (mode == "unchanged" and header.channels == 1) else "RGB"
    h, w = reduced_size(header.height, header.width, scale)
    try:
        return _simplejpeg.decode_jpeg(data, colorspace=colorspace, min_height=h, min_width=w)
    except ValueError as exc:
        if "color" not in str(exc).lower():  # corrupt data: never retry a lenient decoder
            raise
        return _decode_opencv(data, mode, scale, header)  # e.g. CMYK/YCCK, which libjpeg-turbo's fast path refuses


def _decode_opencv(data: bytes, mode: str, scale: int, header: ImageHeader) -> np.ndarray:
    buf = np.frombuffer(data, np.uint8)
    keep = cv2.IMREAD_IGNORE_ORIENTATION | _CV_REDUCED[scale]
    if mode == "gray" or mode == "unchanged" and header.format == "jpeg" and header.channels == 1:
        return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE | keep)
    if mode == "rgb" or header.format == "jpeg":
        if _CV_RGB is not None:
            return cv2.imdecode(buf, _CV_RGB | keep)
        bgr = cv2.imdecode(buf, cv2.IMREAD_COLOR | keep)  # OpenCV < 4.11 has no RGB flag
        return None if bgr is None else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED | cv2.IMREAD_IGNORE_ORIENTATION)  # PNG: alpha, 16 bits kept
    if out is not None and out.ndim == 3:
        out = cv2.cvtColor(out, cv2.COLOR_BGRA2RGBA if out.shape[2] == 4 else cv2.COLOR_BGR2RGB)
    return out


def _decode_pil(data: bytes, mode: str, scale: int, header: ImageHeader) -> np.ndarray:
    from PIL import Image

    image: Any = Image.open(_io.BytesIO(data))
    pil_mode = "L" if mode == "gray" or (mode == "unchanged" and header.channels == 1) else "RGB"
    if scale > 1:
        image.draft(pil_mode, (max(1, header.width // scale), max(1, header.height // scale)))  # PIL floors
    return np.asarray(image.convert(pil_mode))


def decode_file(path: str | os.PathLike[str], mode: str = "rgb", backend: str = "auto", exif: bool = True) -> np.ndarray:
    """Read and decode one file at full size (``DecodeError`` names the file on failure)."""
    return decode(read_bytes(path), mode=mode, backend=backend, exif=exif, source=os.fspath(path))


def decode_mask(path: str | os.PathLike[str]) -> np.ndarray:
    """A label mask file as an (H, W) integer array. Palette PNGs (VOC style) give their indices, not
    colours: OpenCV would expand the palette, so those go through Pillow."""
    data = read_bytes(path)
    source = os.fspath(path)
    try:
        header = read_header(data)
    except HeaderError as exc:
        raise DecodeError(f"{source}: {exc}") from None
    if header.palette:
        try:
            from PIL import Image
        except ImportError:  # pragma: no cover
            raise DecodeError(f"{source}: a palette PNG mask needs Pillow to read its indices. Fix: pip install Pillow.") from None
        mask = np.asarray(Image.open(_io.BytesIO(data)))
    else:
        mask = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED | cv2.IMREAD_IGNORE_ORIENTATION)
    if mask is None:
        raise DecodeError(f"{source}: cannot decode the mask. Fix: re-encode or remove the file.")
    if mask.ndim == 3:
        raise DecodeError(f"{source}: expected a single-channel label mask, got {mask.shape[2]} channels. Fix: save masks as 8/16-bit grayscale or palette PNGs.")
    return np.ascontiguousarray(mask)

"""Image headers without decoding: format, size, channels and EXIF orientation from the first bytes.

Planning a pipeline on an image's geometry (to decode only the pixels it will keep) needs the
size before the pixels. JPEG: the SOFn segment; PNG: the IHDR chunk. EXIF orientation (APP1,
tag 0x0112) is read too, so every decoder shows the image the way cameras and OpenCV do.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

# SOFn markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) are not frames.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CHANNELS = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}  # colour type -> stored channels (palette: 3 after expansion)


@dataclass(frozen=True)
class ImageHeader:
    """What the header says. ``height``/``width`` are of the stored (raw) raster; ``shape`` is the
    displayed one, after the EXIF ``orientation`` (1-8; 5-8 swap the axes)."""

    format: str  # "jpeg" or "png"
    height: int
    width: int
    channels: int
    orientation: int = 1
    bit_depth: int = 8
    palette: bool = False

    @property
    def shape(self) -> tuple[int, int]:
        return (self.width, self.height) if self.orientation >= 5 else (self.height, self.width)


class HeaderError(ValueError):
    """The bytes are not a readable JPEG or PNG header."""


def read_header(data: bytes) -> ImageHeader:
    """Parse a JPEG or PNG header from the file's bytes (raises ``HeaderError`` otherwise)."""
    if data[:2] == b"\xff\xd8":
        return _jpeg_header(data)
    if data[:8] == _PNG_SIGNATURE:
        return _png_header(data)
    raise HeaderError(f"data: expected JPEG or PNG bytes, got a file starting with {bytes(data[:8])!r}. Fix: pass a .jpg/.png file, or decode other formats yourself.")


def _png_header(data: bytes) -> ImageHeader:
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise HeaderError("data: expected a PNG IHDR chunk, got a truncated or malformed PNG. Fix: re-encode the file.")
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    if colour not in _PNG_CHANNELS or width == 0 or height == 0:
        raise HeaderError(f"data: expected a valid PNG header, got colour type {colour} and size {height}x{width} (height x width). Fix: re-encode the file.")
    return ImageHeader("png", int(height), int(width), _PNG_CHANNELS[colour], 1, int(depth), colour == 3)


def _jpeg_header(data: bytes) -> ImageHeader:
    pos, n, orientation = 2, len(data), 1
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            raise HeaderError(f"data: expected a JPEG marker at byte {pos}, got {data[pos]:#04x}. Fix: the file is corrupt; re-encode it.")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        segment = data[pos + 4 : pos + 2 + length]
        if marker == 0xE1 and segment[:6] == b"Exif\x00\x00":
            orientation = _exif_orientation(segment[6:])
        elif marker in _SOF:
            if len(segment) < 6:
                break
            depth, height, width, channels = struct.unpack(">BHHB", segment[:6])
            if height == 0 or width == 0:
                raise HeaderError(f"data: expected a JPEG frame with a size, got {height}x{width} (height x width). Fix: re-encode the file.")
            return ImageHeader("jpeg", int(height), int(width), int(channels), orientation, int(depth))
        elif marker in (0xDA, 0xD9):  # start of scan / end of image before any frame header
            break
        pos += 2 + length
    raise HeaderError("data: expected a JPEG frame header (SOF), got a truncated or malformed JPEG. Fix: the file is corrupt; re-encode it.")


def _exif_orientation(tiff: bytes) -> int:
    """Orientation tag of IFD0, or 1 when absent or unreadable (a broken EXIF block is not fatal)."""
    try:
        endian = {b"II": "<", b"MM": ">"}[bytes(tiff[:2])]
        (ifd,) = struct.unpack(endian + "I", tiff[4:8])
        (count,) = struct.unpack(endian + "H", tiff[ifd : ifd + 2])
        for i in range(count):
            entry = ifd + 2 + 12 * i
            tag, kind = struct.unpack(endian + "HH", tiff[entry : entry + 4])
            if tag == 0x0112 and kind == 3:
                (value,) = struct.unpack(endian + "H", tiff[entry + 8 : entry + 10])
                return int(value) if 1 <= value <= 8 else 1
    except (KeyError, struct.error, IndexError):
        return 1
    return 1


# ---- EXIF orientation: array remap and the matching continuous-coordinate matrix --------------------------


def apply_orientation(image: np.ndarray, orientation: int) -> np.ndarray:
    """Remap a raw HWC raster to its displayed orientation (as PIL's ``ImageOps.exif_transpose``)."""
    if orientation == 2:
        out = image[:, ::-1]
    elif orientation == 3:
        out = image[::-1, ::-1]
    elif orientation == 4:
        out = image[::-1]
    elif orientation == 5:
        out = image.swapaxes(0, 1)
    elif orientation == 6:
        out = image.swapaxes(0, 1)[:, ::-1]
    elif orientation == 7:
        out = image[::-1, ::-1].swapaxes(0, 1)
    elif orientation == 8:
        out = image.swapaxes(0, 1)[::-1]
    else:
        return image
    return np.ascontiguousarray(out)


def orientation_matrix(orientation: int, height: int, width: int) -> np.ndarray:
    """3x3 matrix taking continuous raw coordinates (x, y) of a ``height`` x ``width`` raster to the
    displayed raster's coordinates, matching ``apply_orientation``."""
    W, H = float(width), float(height)
    rows = {
        1: ((1, 0, 0), (0, 1, 0)),
        2: ((-1, 0, W), (0, 1, 0)),
        3: ((-1, 0, W), (0, -1, H)),
        4: ((1, 0, 0), (0, -1, H)),
        5: ((0, 1, 0), (1, 0, 0)),
        6: ((0, -1, H), (1, 0, 0)),
        7: ((0, -1, H), (-1, 0, W)),
        8: ((0, 1, 0), (-1, 0, W)),
    }[orientation if 1 <= orientation <= 8 else 1]
    return np.array([rows[0], rows[1], (0, 0, 1)], dtype=np.float64)

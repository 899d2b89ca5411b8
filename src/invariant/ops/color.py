"""Colour and intensity kernels for uint8, uint16 and float32 HWC images.

Conventions (shared by every kernel here):
- Values live in the dtype's range: [0, 255] for uint8, [0, 65535] for uint16, [0, 1] for float32
  (as torchvision and albumentations assume for float images). Results are clipped to that range
  and integer results are rounded to nearest (torchvision truncates; rounding is unbiased).
- Pointwise curves ``f(x)`` are written once, on float arrays in dtype units, broadcasting
  per-channel parameters on the last axis. uint8 images run them as a 256-entry lookup table
  (so a run of them can be fused into one table, see ``core.lut``); uint16 and float32 images
  run them directly in float32, never through uint8.
- Statistics (channel means, histograms, min/max) come from ``ImageStats``; for uint8 they are
  derived from per-channel histograms, so the fused path (histograms pushed through tables) and
  the op-by-op path (histograms of the intermediate image) give bit-identical tables.
"""

from __future__ import annotations

import math
from typing import Callable

import cv2
import numpy as np

from .geometric import CV_MAX_CHANNELS, channel_chunks
from .scratch import work_array

try:  # the bare clip ufunc: np.clip's Python wrapper costs more than the 256-value clip itself
    from numpy._core.umath import clip as _clip
except ImportError:  # pragma: no cover - numpy < 2
    from numpy.core.umath import clip as _clip

MAX_VALUE = {"uint8": 255.0, "uint16": 65535.0, "float32": 1.0}
GRAY_WEIGHTS = np.array([0.299, 0.587, 0.114])  # ITU-R 601-2 luma, as PIL "L" and OpenCV RGB2GRAY

Curve = Callable[[np.ndarray], np.ndarray]

try:  # optional SIMD byte translation (invariant[fast]); OpenCV's LUT gives the same bytes, slower
    import stringzilla as _sz
except ImportError:  # pragma: no cover - depends on the environment
    _sz = None


def _probe_translate_out() -> bool:
    """Does this stringzilla translate into a caller's buffer (``out=``, newer releases)?"""
    try:
        dst = bytearray(1)
        _sz.translate(memoryview(bytearray(1)), memoryview(bytes(range(255, -1, -1))), out=memoryview(dst))
        return dst[0] == 255
    except Exception:  # pragma: no cover - older stringzilla
        return False


_SZ_OUT = _sz is not None and _probe_translate_out()


def _translate(src: np.ndarray, table: np.ndarray, out: np.ndarray) -> None:
    """out[...] = table[src] for contiguous uint8 arrays of equal size, one SIMD pass."""
    if _SZ_OUT:
        _sz.translate(memoryview(src.reshape(-1)), memoryview(table.reshape(-1)), out=memoryview(out.reshape(-1)))
    else:  # pragma: no cover - older stringzilla: copy, then translate in place
        np.copyto(out, src.reshape(out.shape))
        _sz.translate(memoryview(out.reshape(-1)), memoryview(table.reshape(-1)), inplace=True)


_MAX_BY_DTYPE = {np.dtype(k): v for k, v in MAX_VALUE.items()}
_U8, _F32 = np.dtype(np.uint8), np.dtype(np.float32)  # compared by identity first on hot paths


def max_value(dtype: np.dtype | str) -> float:
    value = _MAX_BY_DTYPE.get(dtype)  # type: ignore[call-overload]
    return value if value is not None else MAX_VALUE[np.dtype(dtype).name]


def _hwc(array: np.ndarray) -> np.ndarray:
    """OpenCV drops a trailing 1-channel axis; put it back."""
    return array if array.ndim == 3 else array[:, :, None]


def to_dtype(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Clip float values to the dtype's range, rounding for integer dtypes."""
    dtype = np.dtype(dtype)
    top = max_value(dtype)
    if dtype == np.float32:
        return np.clip(values, 0.0, top, out=values if values.dtype == np.float32 else None).astype(np.float32, copy=False)
    out = np.rint(values)
    np.clip(out, 0.0, top, out=out)
    return out.astype(dtype)


# -- histogram-based statistics ---------------------------------------------------------------------------------


class ImageStats:
    """Lazy per-channel statistics of one image. For uint8 everything derives from a (256, C) histogram."""

    def __init__(self, image: np.ndarray | None, hist: np.ndarray | None = None, dtype: str = "uint8") -> None:
        self.image = image
        self.dtype = ("uint8" if image.dtype is _U8 or image.dtype == _U8 else str(image.dtype)) if image is not None else dtype
        self._hist = hist
        self._means: np.ndarray | None = None
        self._pivot: float | None = None

    @classmethod
    def from_hist(cls, hist: np.ndarray) -> "ImageStats":
        return cls(None, hist=hist, dtype="uint8")

    @property
    def channels(self) -> int:
        return self.image.shape[2] if self.image is not None else self._hist.shape[1]  # type: ignore[union-attr]

    def hist(self) -> np.ndarray:
        """(bins, C) float64 counts: 256 bins for uint8, 65536 for uint16 and (quantized) float32."""
        if self._hist is None:
            image = self.image
            assert image is not None
            c = image.shape[2]
            if image.dtype == np.uint8 and image.shape[0] * image.shape[1] < 2**24 and c <= CV_MAX_CHANNELS:  # calcHist counts are float32
                self._hist = np.stack([cv2.calcHist([image], [i], None, [256], [0, 256]).reshape(256) for i in range(c)], axis=1).astype(np.float64)
            else:
                values = image if image.dtype != np.float32 else quantize16(image)
                bins = 256 if image.dtype == np.uint8 else 65536
                self._hist = np.stack([np.bincount(values[:, :, i].ravel(), minlength=bins) for i in range(c)], axis=1).astype(np.float64)
        return self._hist

    def means(self) -> np.ndarray:
        """Per-channel means in dtype units."""
        if self._means is None:
            if self.image is None or (self.dtype == "uint8" and (self._hist is not None or self.image.shape[2] > 4)):
                # exact integer sum times 1/N: bit-identical to cv2.mean on the image itself
                h = self.hist()
                self._means = (np.arange(h.shape[0], dtype=np.float64) @ h) * (1.0 / h[:, 0].sum())
            else:
                image = self.image
                assert image is not None
                c = image.shape[2]
                if c <= 4 and image.dtype == np.uint8:
                    self._means = uint8_means(image)
                elif c <= 4:
                    self._means = np.asarray(cv2.mean(image)[:c], dtype=np.float64)
                else:
                    self._means = image.reshape(-1, c).mean(axis=0, dtype=np.float64)
        return self._means

    def contrast_pivot(self) -> np.ndarray:
        """What contrast blends towards: the grayscale mean for RGB (torchvision), else each channel's mean."""
        pivot = self.shared_pivot()
        return self.means() if pivot is None else np.full(self.channels, pivot)

    def shared_pivot(self) -> float | None:
        """The contrast pivot when it is one number for every channel (RGB: the mean of the ITU-R 601-2
        gray image; 1 channel: its mean), else None. ``contrast_pivot()`` holds the same value."""
        if self._pivot is not None:
            return self._pivot
        image = self.image
        if self._means is None and self._hist is None and image is not None and self.dtype == "uint8" and image.shape[2] in (1, 3):
            # hot path (contrast on a uint8 photo or X-ray): one SIMD pass for the exact sums
            self._pivot = pivot = gray_mean_uint8(image)
            return pivot
        means = self.means()
        if means.size == 3:
            r, g, b = means.tolist()
            return 0.299 * r + 0.587 * g + 0.114 * b  # = GRAY_WEIGHTS @ means, in a fixed order
        if means.size == 1:
            return float(means[0])
        return None

    def minmax(self) -> tuple[np.ndarray, np.ndarray]:
        image = self.image
        if image is not None and self._hist is None:  # two SIMD reductions down the rows, then a fold per channel
            rows = image.reshape(image.shape[0], -1)
            c = image.shape[2]
            return rows.min(axis=0).reshape(-1, c).min(axis=0).astype(np.float64), rows.max(axis=0).reshape(-1, c).max(axis=0).astype(np.float64)
        if self.dtype == "uint8":
            h = self.hist()
            nz = h > 0
            lo = np.argmax(nz, axis=0).astype(np.float64)
            hi = (255 - np.argmax(nz[::-1], axis=0)).astype(np.float64)
            return lo, hi
        image = self.image
        assert image is not None
        flat = image.reshape(-1, image.shape[2])
        return flat.min(axis=0).astype(np.float64), flat.max(axis=0).astype(np.float64)

    def through(self, table: np.ndarray) -> "ImageStats":
        """Statistics of the image after a uint8 lookup table, computed only if asked for (exact:
        histogram counts move with the table)."""
        return _MovedStats(self, table)


def uint8_means(image: np.ndarray) -> np.ndarray:
    """Per-channel means of a uint8 image with at most 4 channels: the exact integer sums (cv2.sumElems, one
    SIMD pass, about 4x faster than cv2.mean here) times 1/N, bit-identical to cv2.mean and to the
    histogram-derived means."""
    c = image.shape[2]
    return np.asarray(cv2.sumElems(image)[:c], dtype=np.float64) * (1.0 / (image.shape[0] * image.shape[1]))



def gray_mean_uint8(image: np.ndarray) -> float:
    """Mean of the ITU-R 601-2 gray image of a 3-channel uint8 image (the mean itself for 1 channel): the
    exact channel sums from one SIMD pass (stringzilla's ``bytesum`` for contiguous 1-channel images, else
    ``cv2.sumElems``), then the same float64 arithmetic as ``uint8_means`` + the gray weights, in Python
    floats (``ImageStats.shared_pivot`` and ColorJitter's contrast both use it)."""
    inv = 1.0 / (image.shape[0] * image.shape[1])
    if image.shape[2] == 1 and _sz is not None and image.flags.c_contiguous:  # an exact int
        return float(_sz.bytesum(memoryview(image))) * inv
    sums = cv2.sumElems(image)  # exact integer sums held in doubles
    if image.shape[2] == 1:
        return sums[0] * inv
    return 0.299 * (sums[0] * inv) + 0.587 * (sums[1] * inv) + 0.114 * (sums[2] * inv)

class _MovedStats(ImageStats):
    def __init__(self, parent: ImageStats, table: np.ndarray) -> None:
        super().__init__(None, dtype="uint8")
        self._parent, self._table, self._channels = parent, table, parent.channels

    @property
    def channels(self) -> int:
        return self._channels

    def _from_root(self) -> tuple[ImageStats, np.ndarray]:
        """The statistics this chain started from and the composed table from there to here."""
        parent = self._parent
        table = self._table.reshape(256, -1)
        if isinstance(parent, _MovedStats):
            root, first = parent._from_root()
            return root, compose_tables(first, table)
        return parent, table

    def _any_hist(self) -> bool:
        node: ImageStats = self
        while isinstance(node, _MovedStats):
            if node._hist is not None:
                return True
            node = node._parent
        return node._hist is not None

    def means(self) -> np.ndarray:
        """Means after the tables. Without a histogram already at hand and with a table shared by all
        channels, one byte-translation pass of the original image plus one sum (about 10 us at 256x256x3)
        beats building the histogram (about 100 us); both give the same exact integer sums."""
        if self._means is None and not self._any_hist():
            root, table = self._from_root()
            image = root.image
            if image is not None and image.dtype == np.uint8 and image.shape[2] <= 4 and table.dtype == np.uint8 and table.shape[1] == 1:
                self._means = uint8_means(apply_table(image, table))
        return super().means()

    def hist(self) -> np.ndarray:
        if self._hist is None:
            h = self._parent.hist()
            table = np.broadcast_to(self._table.reshape(256, -1), (256, h.shape[1]))
            self._hist = np.stack([np.bincount(table[:, c], weights=h[:, c], minlength=256) for c in range(h.shape[1])], axis=1)
        return self._hist


def quantize16(image: np.ndarray) -> np.ndarray:
    """float32 [0, 1] -> uint16 codes (for histogram-based ops on float images)."""
    return to_dtype(image * np.float32(65535.0), np.dtype(np.uint16))


# -- lookup tables ----------------------------------------------------------------------------------------------


_X256 = np.arange(256, dtype=np.float64)[:, None]
_X256.setflags(write=False)
X256 = _X256  # every uint8 level as a (256, 1) float64 column, for building tables


def table_from_curve(curve: Curve, channels: int) -> np.ndarray:
    """uint8 table of a curve defined on uint8 units: (256, 1) when the curve is the same for every
    channel (shared), else (256, channels)."""
    table = to_table(np.asarray(curve(_X256), dtype=np.float64))
    return table if table.shape[1] in (1, channels) else np.ascontiguousarray(np.broadcast_to(table, (256, channels)))


_SHARED = (256, 1)  # the shape of a table shared by every channel


def compose_tables(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The (256, C) or shared (256, 1) table of ``second`` after ``first`` (``first`` uint8)."""
    if first.shape != _SHARED:
        first = first.reshape(256, -1)
    if second.shape != _SHARED:
        second = second.reshape(256, -1)
    if first.shape[1] == 1 and second.shape[1] == 1:  # shared tables: one 256-entry gather (``take``: second[first[:, 0]], cheaper)
        return second.take(first[:, 0], 0)
    if first.shape[1] != second.shape[1]:
        width = max(first.shape[1], second.shape[1])
        first, second = np.broadcast_to(first, (256, width)), np.broadcast_to(second, (256, width))
    return np.take_along_axis(second, first.astype(np.intp), axis=0)


def to_table(values: np.ndarray) -> np.ndarray:
    """Round float64 curve values to nearest and saturate to a uint8 table (in place on ``values``)."""
    values = np.rint(values, out=values if values.dtype == np.float64 and values.flags.writeable else None)
    np.maximum(values, 0.0, out=values)
    np.minimum(values, 255.0, out=values)
    return values.astype(np.uint8)


def linear_table(scale: float, shift: float) -> np.ndarray:
    """Shared (256, 1) uint8 table of ``x * scale + shift``: the same values as ``table_from_curve`` of
    ``linear_curve`` with scalar parameters, in three to five numpy calls (it runs once or twice per image).
    Saturating before rounding gives the same bytes as ``to_table``: 0 and 255 are integers and rounding
    is monotone. The values are monotone in x (each rounding is), so the ends, computed in Python with the
    same two IEEE operations, say which bound can bite: only those are applied (a one-sided bound is a
    cheaper numpy call than a clip; NaN or infinite ends take the full clip)."""
    scale, shift = float(scale), float(shift)
    values = _X256 * scale
    values += shift
    first, last = shift, 255.0 * scale + shift  # values[0] (0 * scale is an exact zero) and values[255]
    lo, hi = (first, last) if first <= last else (last, first)
    if lo >= 0.0 and hi <= 255.0:
        pass  # every value is in range already
    elif lo >= 0.0 and hi < math.inf:
        np.minimum(values, 255.0, out=values)
    elif hi <= 255.0 and lo > -math.inf:
        np.maximum(values, 0.0, out=values)
    else:
        _clip(values, 0.0, 255.0, out=values)
    np.rint(values, out=values)
    return values.astype(np.uint8)


def apply_table(image: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Apply a (256,) or (256, C) table to a uint8 image in one pass; float tables give float output.

    A table shared by all channels runs as a byte translation (stringzilla's SIMD ``translate`` when the
    optional ``invariant[fast]`` extra is installed, else OpenCV's LUT on a single-channel view); identical
    results either way."""
    c = image.shape[2]
    dtype = table.dtype
    if dtype is _F32 and c == 1 and table.shape == _SHARED and image.dtype is _U8:  # the hot float path (a run ending in Normalize)
        return _hwc(cv2.LUT(image, table.reshape(256)))
    if _sz is not None and dtype == np.uint8 and table.size == 256 and image.flags.c_contiguous:  # hot path
        out = np.empty(image.shape, np.uint8)
        _translate(image, np.ascontiguousarray(table).reshape(-1), out)
        return out
    table = table.reshape(256, -1)
    if table.dtype == np.uint8 and (table.shape[1] == 1 or (table == table[:, :1]).all()):
        shared = np.ascontiguousarray(table[:, 0])
        if _sz is not None:
            out = np.empty(image.shape, np.uint8)
            _translate(np.ascontiguousarray(image), shared, out)
            return out
        flat = np.ascontiguousarray(image).reshape(image.shape[0], -1)
        return cv2.LUT(flat, shared).reshape(image.shape)
    if _sz is not None and table.dtype == np.uint8 and 1 < c <= 4 and table.shape[1] == c:
        return _translate_per_channel(image, table)
    if table.shape[1] == 1 and c > 1:
        table = np.repeat(table, c, axis=1)
    if table.dtype not in (np.uint8, np.float32, np.float64):
        table = table.astype(np.float32)
    if c > CV_MAX_CHANNELS:  # more channels than one OpenCV array holds: chunks with their tables' columns
        m = CV_MAX_CHANNELS
        return np.concatenate([apply_table(np.ascontiguousarray(image[:, :, a : a + m]), table[:, a : a + m]) for a in range(0, c, m)], axis=2)
    lut = table.reshape(256) if c == 1 else np.ascontiguousarray(table).reshape(1, 256, c)
    return _hwc(cv2.LUT(image, lut))


def _translate_per_channel(image: np.ndarray, table: np.ndarray) -> np.ndarray:
    """One table per channel on an interleaved uint8 image: split into planes (one OpenCV pass), translate
    each plane in place (SIMD, a third of the bytes each), merge (one pass). Measured 2.2x faster than
    translating the whole interleaved image once per channel and gathering with mixChannels, and faster
    than cv2.LUT with a (1, 256, C) table. Same bytes as the LUT. The planes are work arrays
    (``ops.scratch``): fresh ones cost more in first-touch page faults than the split itself."""
    planes = _split_into_work_planes(image, "translate_per_channel")
    for i, plane in enumerate(planes):
        _translate_inplace(plane, np.ascontiguousarray(table[:, i]))
    return cv2.merge(planes)


def _split_into_work_planes(image: np.ndarray, key: str) -> tuple[np.ndarray, ...]:
    """``cv2.split`` of an HWC image with 2-4 channels into this thread's work planes for ``key`` (contents
    are overwritten by the next call: merge them into a fresh array before returning)."""
    h, w, c = image.shape
    return cv2.split(np.ascontiguousarray(image), [work_array(f"{key}.plane{i}", (h, w), image.dtype) for i in range(c)])


def _translate_inplace(array: np.ndarray, table: np.ndarray) -> None:
    """array[...] = table[array] for a contiguous uint8 array, one SIMD pass."""
    _sz.translate(memoryview(array.reshape(-1)), memoryview(table.reshape(-1)), inplace=True)


def equalize_uint8(image: np.ndarray) -> np.ndarray:
    """PIL's per-channel equalize (``equalize_table``) of a uint8 image: per channel a histogram
    (cv2.calcHist on the interleaved image), then one split, per plane an in-place table translation,
    one merge (translating the interleaved image once per channel and gathering costs more). Same bytes
    as ``apply_table(image, equalize_table(ImageStats(image).hist(), 255))``."""
    c = image.shape[2]
    n = image.shape[0] * image.shape[1]
    if _sz is None or not 1 < c <= 4 or n >= 2**24:  # calcHist counts are float32
        return apply_table(image, equalize_table(ImageStats(image).hist(), 255).astype(np.uint8))
    image = np.ascontiguousarray(image)
    # histograms from the interleaved image: calcHist of a single-channel plane takes OpenCV's IPP path,
    # which runs extra threads: ~3x the CPU time of OpenCV's own loop over one channel of the interleaved
    # image (measured with process_time), for a wall time no better on a free core
    buf = np.zeros((c, 257), np.float32)  # calcHist writes each channel's counts into columns 1..256
    for i in range(c):
        cv2.calcHist([image], [i], None, [256], [0, 256], hist=buf[i, 1:])
    planes = _split_into_work_planes(image, "equalize_uint8")
    rows = _equalize_tables_inplace(buf, n) if n < 2**23 else None  # channel i's table: rows[i]
    if rows is None:  # a flat channel, or a larger image: in float64
        rows = equalize_rows_uint8(buf[:, 1:].astype(np.float64))
    for plane, row in zip(planes, rows):
        _translate_inplace(plane, row)
    return cv2.merge(planes)


def invert_integer(image: np.ndarray) -> np.ndarray:
    """``max - x`` for uint8 / uint16 images: the bitwise complement, one OpenCV pass."""
    return np.invert(np.ascontiguousarray(image))  # contiguous in, contiguous out


def apply_table16(image: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Apply a (65536, C) table to a uint16 image (gather per channel)."""
    c = image.shape[2]
    table = np.broadcast_to(table.reshape(65536, -1), (65536, c))
    out = np.empty(image.shape, table.dtype)
    for i in range(c):
        np.take(table[:, i], image[:, :, i], out=out[:, :, i])
    return out


def apply_curve(image: np.ndarray, curve: Curve) -> np.ndarray:
    """Apply a pointwise curve to any dtype: one table pass for uint8, float32 arithmetic otherwise."""
    if image.dtype == np.uint8:
        return apply_table(image, table_from_curve(curve, image.shape[2]))
    values = curve(image.astype(np.float32))
    return to_dtype(np.asarray(values, dtype=np.float32), image.dtype)


# -- pointwise curves (x in dtype units, per-channel parameters broadcast on the last axis) -------------------------


def linear_curve(scale: float | np.ndarray, shift: float | np.ndarray) -> Curve:
    """x * scale + shift (brightness, contrast, both)."""
    scale_a, shift_a = np.asarray(scale, np.float64), np.asarray(shift, np.float64)
    return lambda x: x * scale_a.astype(x.dtype) + shift_a.astype(x.dtype)


def contrast_curve(factor: float, pivot: np.ndarray) -> Curve:
    """Blend with the pivot (the image mean): (x - mean) * factor + mean, as torchvision's contrast."""
    return linear_curve(factor, (1.0 - factor) * np.asarray(pivot, np.float64))


def gamma_curve(gamma: float, top: float) -> Curve:
    """top * max(x / top, 0) ** gamma. The power is defined on [0, inf) only: float32 values a hair below 0
    (resampling or noise before this step) would give NaN, so the base is clamped at 0 first (the result
    is clipped to [0, top] anyway). Total for finite x and gamma > 0."""

    def curve(x: np.ndarray) -> np.ndarray:
        base = x * x.dtype.type(1.0 / top)  # a new array: x may be a caller's (read-only) table
        np.maximum(base, x.dtype.type(0.0), out=base)
        np.power(base, x.dtype.type(gamma), out=base)
        base *= x.dtype.type(top)
        return base

    return curve


_UNIT256 = _X256 * (1.0 / 255.0)  # gamma_curve's base for every uint8 level, computed once
_UNIT256.setflags(write=False)


def gamma_table(gamma: float) -> np.ndarray:
    """``to_table(gamma_curve(gamma, 255)(X256))``, the shared (256, 1) uint8 gamma table, in four numpy calls
    on 256 values instead of eight (it is built on every call): the base x / 255 is in [0, 1], so the clamp
    at 0 is a no-op, and its power with gamma > 0 stays in [0, 1], so the rounded levels need no clip."""
    values = np.power(_UNIT256, float(gamma))
    values *= 255.0
    np.rint(values, out=values)
    return values.astype(np.uint8)


def solarize_curve(threshold: float, top: float) -> Curve:
    """Invert values at or above ``threshold`` (dtype units), as PIL ImageOps.solarize."""
    return lambda x: np.where(x >= threshold, top - x, x)


def invert_curve(top: float) -> Curve:
    return lambda x: top - x


def posterize_curve(bits: int, dtype: np.dtype) -> Curve:
    """Keep the top ``bits`` bits (uint8 and uint16 bit masks; float32 uses 2**bits levels, floor)."""
    name = np.dtype(dtype).name
    if name == "float32":
        levels = float(2**bits)
        return lambda x: np.floor(x * x.dtype.type(levels)).clip(0, levels - 1) / x.dtype.type(levels)
    width = 8 if name == "uint8" else 16
    step = float(2 ** (width - bits))
    return lambda x: np.floor(x / step) * step


def posterize_integer(image: np.ndarray, bits: int) -> np.ndarray:
    """``posterize_curve(bits, dtype)`` of a uint8 / uint16 image: ``floor(x / 2**k) * 2**k`` with
    ``k = width - bits`` clears the low ``k`` bits, so it is ``x & ~(2**k - 1)`` (PIL's ImageOps.posterize),
    one vectorised pass instead of a table lookup. C-contiguous output whatever the input's strides."""
    width = image.dtype.itemsize * 8
    out = np.empty(image.shape, image.dtype)
    return np.bitwise_and(image, image.dtype.type(((1 << width) - 1) ^ ((1 << (width - bits)) - 1)), out=out)


def equalize_table(hist: np.ndarray, top: int) -> np.ndarray:
    """Per-channel histogram equalization table, PIL's ImageOps.equalize algorithm (also torchvision's):
    step = (N - count of the last occupied bin) // top; identity when step is 0. For 16-bit depth
    (top > 255) the step is not floored, else any image under 65536 pixels would be left unchanged.
    All channels at once. Counts are integers below 2**52 held exactly in float64, so floor(a / b) equals
    the floor division a // b (and is 2x faster in numpy)."""
    bins, c = hist.shape
    cum = np.cumsum(hist, axis=0)
    below = cum - hist  # count of values strictly below each bin
    last = bins - 1 - np.argmax(hist[::-1] > 0, axis=0)  # last occupied bin of each channel
    rest = cum[-1] - hist[last, np.arange(c)]  # 0 for an empty channel (cum[-1] = 0)
    step = np.floor(rest / top) if top <= 255 else rest / top
    flat = step == 0
    safe = np.where(flat, 1.0, step)
    table = np.floor(((np.floor(step / 2) if top <= 255 else step / 2) + below) / safe)
    np.minimum(table, top, out=table)
    if flat.any():
        table[:, flat] = np.arange(bins, dtype=np.float64)[:, None]
    return table


def _equalize_tables_inplace(buf: np.ndarray, n: int) -> list[np.ndarray] | None:
    """PIL's equalize tables (``equalize_table(counts, 255)``), one uint8 table of 256 entries per channel,
    from a float32 ``buf`` (C, 257): column 0 zero, columns 1.. each channel's integer counts of
    ``n < 2**23`` pixels. Works in place. None when a channel is flat (step 0: the general path's identity).
    ``equalize_rows_uint8``'s integers (tests/ops/test_planar_tables.py) in fewer calls, for
    ``equalize_uint8``, where the calls, not the arithmetic on 256 values, are the cost. Per channel in
    Python: the last occupied bin (from the top 16 bins, else a search), step = (n - its count) // 255;
    then T = min(255, (below + step // 2) // step):
    - n < 2**18: T = round((below + c) / step) with c = 0 for an odd step, 1/2 for an even one (the same
      integers: the quotient is never within 1 / (2 step) of a half), one cv2.convertScaleAbs per channel
      (float32 scaling: error < 1e-4, under that margin for steps below 1029), which also saturates;
    - else in float32 with floors: the running sums are exact and floor(fl32(a / b)) = a // b (a + b < 2**24)."""
    steps = []
    for i, tail in enumerate(buf[:, -16:].tolist()):
        k = 15
        while k >= 0 and tail[k] == 0:
            k -= 1
        if k >= 0:
            top = tail[k]
        else:  # the last occupied bin is below 240
            nonzero = np.flatnonzero(buf[i, 1:])
            top = float(buf[i, 1 + nonzero[-1]]) if len(nonzero) else 0.0
        step = (n - int(top)) // 255
        if step == 0:
            return None
        steps.append(step)
    if n < 2**18:
        np.add.accumulate(buf, axis=1, out=buf)  # column j: count of values strictly below bin j
        return [cv2.convertScaleAbs(buf[i, :-1], alpha=1.0 / step, beta=(step + 1) % 2 * 0.5 / step) for i, step in enumerate(steps)]  # (256, 1) each
    buf[:, 0] = [step // 2 for step in steps]
    np.add.accumulate(buf, axis=1, out=buf)  # column j: half step + count of values strictly below bin j
    table = buf[:, :-1]
    table /= np.array(steps, buf.dtype)[:, None]
    np.minimum(table, 255.0, out=table)
    return list(table.astype(np.uint8))  # truncation = floor for these non-negative values


def equalize_rows_uint8(rows: np.ndarray) -> np.ndarray:
    """``equalize_table(rows.T, 255).T`` as uint8 for (C, 256) float64 counts, one row per channel: the same
    integers in fewer numpy passes. Per channel in Python: the last occupied bin, step = (N - its count)
    // 255 (floor(a / 255) of float64 integers, as ``equalize_table``); then one pass for every table:
    (below + step // 2) / step, capped at 255, truncated to uint8 (= floor for these non-negative values)."""
    cum = np.cumsum(rows, axis=1)
    steps, halves = [], []
    for row, total in zip(rows, cum[:, -1].tolist()):
        k = row.shape[0] - 1
        while k > 0 and row[k] == 0:
            k -= 1
        step = math.floor((total - float(row[k])) / 255)
        if step == 0:  # a flat channel (or an empty one): identity; the general path handles it
            return equalize_table(rows.T, 255).T.astype(np.uint8)
        steps.append(step)
        halves.append(math.floor(step / 2))
    table = cum - rows  # count of values strictly below each bin
    table += np.array(halves, np.float64)[:, None]
    table /= np.array(steps, np.float64)[:, None]
    np.minimum(table, 255.0, out=table)
    return table.astype(np.uint8)


def autocontrast_curve(lo: np.ndarray, hi: np.ndarray, top: float) -> Curve:
    """Stretch each channel's [min, max] to [0, top] (channels with max == min are left unchanged)."""
    span = hi - lo
    flat = span <= 0
    scale = np.where(flat, 1.0, top / np.where(flat, 1.0, span))
    shift = np.where(flat, 0.0, -lo * scale)
    return linear_curve(scale, shift)


# -- colour kernels (3-channel RGB) -------------------------------------------------------------------------------


def to_gray(image: np.ndarray) -> np.ndarray:
    """RGB -> (H, W, 1) luma with ITU-R 601-2 weights, same dtype."""
    return _hwc(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))


_EYE3 = np.eye(3)
_GRAY_ROWS = np.outer(np.ones(3), GRAY_WEIGHTS)  # every output channel = the gray value


def saturation_matrix(factor: float) -> np.ndarray:
    """3x3 matrix of the blend ``factor * rgb + (1 - factor) * gray(rgb)`` (gray: ITU-R 601-2 luma)."""
    f = float(factor)
    return (f * _EYE3 + (1.0 - f) * _GRAY_ROWS).astype(np.float32)


def saturation(image: np.ndarray, factor: float) -> np.ndarray:
    """Blend with the grayscale image (torchvision adjust_saturation / PIL ImageEnhance.Color), as ONE
    colour-matrix pass (cv2.transform). The gray image is not rounded to uint8 first, so uint8 results are
    closer to the exact float formula than blending with a rounded gray image (OpenCV's 8-bit transform
    uses fixed-point coefficients: within 1 level of the exact result, off by one on ~4% of pixels of
    photos, vs ~8% for the rounded-gray blend; PIL rounds gray and truncates, also within 1)."""
    out = _hwc(cv2.transform(image, saturation_matrix(factor)))
    if image.dtype == np.float32:
        np.clip(out, 0.0, 1.0, out=out)
    return out


def hue_shift(image: np.ndarray, shift: float) -> np.ndarray:
    """Rotate hue by ``shift`` turns (torchvision's hue_factor, in [-0.5, 0.5]).

    uint8 uses OpenCV's full-range 8-bit HSV (256 hue levels; the rotation is a wrapping uint8 add on
    H); uint16 and float32 convert to float HSV (hue in degrees) and back, so they keep their precision."""
    if image.dtype == np.uint8:
        hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV_FULL)
        rows = hsv.reshape(hsv.shape[0], -1)  # add (shift, 0, 0) per pixel as one contiguous row vector:
        np.add(rows, _hue_row(int(round(shift * 256)) % 256, hsv.shape[1]), out=rows)  # wraps mod 256; 3x faster than a strided add
        return _hwc(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB_FULL))
    hsv = rgb_to_hsv_float(image)
    hue = hsv[:, :, 0]
    hue += np.float32(shift * 360.0)
    np.mod(hue, np.float32(360.0), out=hue)
    return hsv_float_to_dtype(hsv, image.dtype)


_HUE_ROWS: dict[tuple[int, int], np.ndarray] = {}


def _hue_row(shift: int, width: int) -> np.ndarray:
    """uint8 row (shift, 0, 0) * width, cached (at most 256 shifts per width)."""
    key = (shift, width)
    row = _HUE_ROWS.get(key)
    if row is None:
        if len(_HUE_ROWS) >= 1024:
            _HUE_ROWS.clear()
        row = np.zeros(width * 3, np.uint8)
        row[0::3] = shift
        row.setflags(write=False)
        _HUE_ROWS[key] = row
    return row


def rgb_to_hls_float(rgb: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """float32 RGB -> float32 HLS (H in degrees, L and S in [0, 1]) of the values clipped to [0, 1] first
    (into ``out`` when given: a float32 array of ``rgb``'s shape).
    OpenCV's saturation ``(max - min) / (2 - max - min)`` divides by zero where the lightness reaches 1 with
    some chroma, which values outside [0, 1] reach (e.g. (1.5, 0.5, 1.0): S = inf, NaN after the way back);
    every caller clips its RGB result to [0, 1], so clipping first keeps finite input finite and changes
    nothing for images in [0, 1] (the float convention, docs/spatial.md)."""
    lo, hi = cv2.minMaxLoc(rgb.reshape(rgb.shape[0], -1))[:2]
    if lo < 0.0 or hi > 1.0:
        rgb = np.clip(rgb, 0.0, 1.0)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2HLS) if out is None else cv2.cvtColor(rgb, cv2.COLOR_RGB2HLS, dst=out)


def rgb_to_hsv_float(image: np.ndarray) -> np.ndarray:
    """RGB of any dtype -> float32 HSV with H in degrees [0, 360), S and V in [0, 1]."""
    x = image.astype(np.float32) * np.float32(1.0 / max_value(image.dtype)) if image.dtype != np.float32 else image
    return cv2.cvtColor(x, cv2.COLOR_RGB2HSV)


def hsv_float_to_dtype(hsv: np.ndarray, dtype: np.dtype) -> np.ndarray:
    rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    if np.dtype(dtype) != np.float32:
        rgb *= np.float32(max_value(dtype))
    return to_dtype(rgb, dtype)


def shift_hsv(image: np.ndarray, hue_degrees: float, sat_shift: float, val_shift: float) -> np.ndarray:
    """Add ``hue_degrees`` to hue (mod 360), ``sat_shift`` and ``val_shift`` (fractions of full scale) to S, V."""
    if image.dtype == np.uint8:
        hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV_FULL)
        x = np.arange(256, dtype=np.float64)
        table = np.empty((256, 3), np.uint8)
        table[:, 0] = np.mod(np.rint(x + hue_degrees * 256.0 / 360.0), 256)
        table[:, 1] = np.clip(np.rint(x + sat_shift * 255.0), 0, 255)
        table[:, 2] = np.clip(np.rint(x + val_shift * 255.0), 0, 255)
        return cv2.cvtColor(apply_table(hsv, table), cv2.COLOR_HSV2RGB_FULL)
    hsv = rgb_to_hsv_float(image)
    if hsv is image:
        hsv = hsv.copy()
    h, s, v = hsv[:, :, 0], hsv[:, :, 1], hsv[:, :, 2]
    h += np.float32(hue_degrees)
    np.mod(h, np.float32(360.0), out=h)
    s += np.float32(sat_shift)
    v += np.float32(val_shift)
    np.clip(hsv[:, :, 1:], 0.0, 1.0, out=hsv[:, :, 1:])
    return hsv_float_to_dtype(hsv, image.dtype)


# -- neighbourhood kernels --------------------------------------------------------------------------------------

_SMOOTH = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], dtype=np.float32) / 13.0


@channel_chunks
def sharpness(image: np.ndarray, factor: float) -> np.ndarray:
    """PIL ImageEnhance.Sharpness / torchvision adjust_sharpness: blend with PIL's SMOOTH-filtered image
    (3x3 kernel [[1,1,1],[1,5,1],[1,1,1]]/13, border pixels left unfiltered); factor > 1 sharpens.
    Computed as one filter ``f * delta + (1 - f) * SMOOTH`` rounded once (PIL rounds the smoothed image,
    then truncates the blend; within 1 level of it)."""
    f = float(factor)
    if image.dtype == np.uint8 and image.shape[2] <= 4:
        # SMOOTH(x) = (3x3 box sum + 4x) / 13, so the blend is a*x + b*sum with exact integer box sums;
        # OpenCV's box filter and uint16 weighted sum are SIMD passes, its float filter2D is 3x slower.
        sums = cv2.boxFilter(image, cv2.CV_16U, (3, 3), normalize=False, borderType=cv2.BORDER_REPLICATE)
        wide = cv2.addWeighted(image.astype(np.uint16), f + 4.0 * (1.0 - f) / 13.0, sums, (1.0 - f) / 13.0, 0.0)
        out = _hwc(cv2.convertScaleAbs(wide))  # uint16 -> uint8, saturating (values are already rounded)
    else:
        kernel = (1.0 - f) * _SMOOTH
        kernel[1, 1] += f
        out = _hwc(cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REPLICATE))
        if image.dtype == np.float32:
            np.clip(out, 0.0, 1.0, out=out)
    out[0, :], out[-1, :], out[:, 0], out[:, -1] = image[0, :], image[-1, :], image[:, 0], image[:, -1]  # f*x + (1-f)*x
    return out


def clahe(image: np.ndarray, clip_limit: float, grid: tuple[int, int]) -> np.ndarray:
    """Contrast-limited adaptive histogram equalization (OpenCV). 1 channel: directly. RGB: on the luma
    (Y of YCrCb, which OpenCV supports for uint8, uint16 and float32 alike). Other channel counts: per
    channel. float32 runs on 16-bit codes.

    ``clip_limit`` means the same at every bit depth: it is relative to a 256-level histogram. OpenCV
    divides the limit by the number of bins (65536 for 16-bit), which for ordinary tile sizes clamps it
    to one count per bin whatever was asked; passing ``clip_limit * 256`` for 16-bit codes makes a uint16
    image that is a scaled uint8 image give the scaled uint8 result."""
    bins_ratio = 256.0 if image.dtype != np.uint8 else 1.0
    op = cv2.createCLAHE(clipLimit=float(clip_limit) * bins_ratio, tileGridSize=(int(grid[1]), int(grid[0])))
    if image.dtype == np.float32:
        codes = quantize16(image)
        return (clahe(codes, clip_limit, grid).astype(np.float32) * np.float32(1.0 / 65535.0)).astype(np.float32)
    c = image.shape[2]
    if c == 3:
        ycrcb = cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb)
        ycrcb[:, :, 0] = op.apply(np.ascontiguousarray(ycrcb[:, :, 0]))
        return cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2RGB)
    return np.stack([op.apply(np.ascontiguousarray(image[:, :, i])) for i in range(c)], axis=2)


# -- normalization ------------------------------------------------------------------------------------------------


def channel_affine_matrix(scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """(C, C + 1) float64 matrix of the per-channel map ``x * scale + shift`` (cv2.transform layout)."""
    channels = len(scale)
    matrix = np.zeros((channels, channels + 1), np.float64)
    matrix[np.arange(channels), np.arange(channels)] = scale
    matrix[:, channels] = shift
    matrix.setflags(write=False)
    return matrix


def affine_to_float32(image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """float32 ``image * scale + shift`` per channel, ``matrix`` from ``channel_affine_matrix`` (Normalize's
    kernel). 2-4 channels: a float32 conversion plus one ``cv2.transform`` pass (float32 input is not
    copied); for 3-channel uint8 that is about twice as fast as OpenCV's LUT with per-channel float tables.
    OpenCV applies the coefficients in float32, so results are within ~1e-7 absolute of the float64
    formula (the 1-channel uint8 table is rounded once from float64: the same pixel can differ in the last
    bit between a gray and an RGB image). One channel: a converting numpy multiply and an in-place add
    (``cv2.transform`` is slow on one channel; ``addWeighted`` would turn inf * 0 into NaN). More than 4:
    the conversion plus two numpy passes over rows with the coefficients tiled along each row
    (contiguous, unlike a broadcast on the last axis)."""
    channels = image.shape[2]
    if channels == 1:
        out = np.multiply(image, np.float32(matrix[0, 0]), dtype=np.float32)
        out += np.float32(matrix[0, 1])
        return out
    src = image if image.dtype == np.float32 else image.astype(np.float32)
    if channels <= 4:
        return _hwc(cv2.transform(src, matrix))
    h, w = image.shape[:2]
    out = (src.copy() if src is image else src).reshape(h, w * channels)
    out *= np.tile(np.diag(matrix).astype(np.float32), w)
    out += np.tile(matrix[:, channels].astype(np.float32), w)
    return out.reshape(h, w, channels)


# -- per-channel shift (RGBShift) and sepia ---------------------------------------------------------------------


def channel_shift_levels(fractions: np.ndarray | list[float], dtype: np.dtype | str) -> np.ndarray:
    """Per-channel shifts given as FRACTIONS of the dtype's range, in dtype units: rounded to whole levels
    for uint8 / uint16 (so OpenCV's saturating add and the float formula agree exactly), unrounded for
    float32."""
    dtype = np.dtype(dtype)
    levels = np.asarray(fractions, np.float64) * max_value(dtype)
    return levels if dtype == np.float32 else np.rint(levels)


def channel_shift(image: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """``clip(x + levels[c], 0, max)`` per channel for 1-4 channel images, one saturating OpenCV add
    (``levels`` from ``channel_shift_levels``: whole levels for integer dtypes, so no rounding question
    arises); float32 is clipped to [0, 1] afterwards. More channels: the float32 curve."""
    c = image.shape[2]
    if c > 4:
        return apply_curve(image, linear_curve(1.0, levels))
    if image.dtype == np.uint8 and np.size(levels) == c:
        # clip(x + level) per channel as a (256, C) table: the planar table pass measured 3.6x faster than
        # OpenCV 5.1's saturating add of a 4-tuple scalar on 256x256x3 (whole levels: the same bytes)
        shifted = np.arange(256, dtype=np.float64)[:, None] + np.asarray(levels, np.float64).reshape(1, c)
        return apply_table(image, np.clip(shifted, 0.0, 255.0).astype(np.uint8))
    scalar = tuple(float(v) for v in levels) + (0.0,) * (4 - c)
    out = _hwc(cv2.add(image, scalar))
    if image.dtype == np.float32:
        _clip(out, 0.0, 1.0, out=out)
    return out


SEPIA_MATRIX = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])  # rows: R', G', B'
SEPIA_MATRIX.setflags(write=False)
_SEPIA32 = SEPIA_MATRIX.astype(np.float32)


def sepia(image: np.ndarray) -> np.ndarray:
    """The classic sepia tone (the matrix albumentations' ToSepia and Microsoft's sepia recipe use) on an
    RGB image: one ``cv2.transform`` pass, saturating for uint8 / uint16 (OpenCV's 8-bit path uses
    fixed-point coefficients: within 1 level of the exact product), clipped to [0, 1] for float32."""
    out = _hwc(cv2.transform(image, _SEPIA32))
    if image.dtype == np.float32:
        _clip(out, 0.0, 1.0, out=out)
    return out

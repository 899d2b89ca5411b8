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

from typing import Callable

import cv2
import numpy as np

MAX_VALUE = {"uint8": 255.0, "uint16": 65535.0, "float32": 1.0}
GRAY_WEIGHTS = np.array([0.299, 0.587, 0.114])  # ITU-R 601-2 luma, as PIL "L" and OpenCV RGB2GRAY

Curve = Callable[[np.ndarray], np.ndarray]

try:  # optional SIMD byte translation (invariant[fast]); OpenCV's LUT gives the same bytes, slower
    import stringzilla as _sz
except ImportError:  # pragma: no cover - depends on the environment
    _sz = None


_MAX_BY_DTYPE = {np.dtype(k): v for k, v in MAX_VALUE.items()}


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
        self.dtype = ("uint8" if image.dtype == np.uint8 else str(image.dtype)) if image is not None else dtype
        self._hist = hist
        self._means: np.ndarray | None = None

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
            if image.dtype == np.uint8 and image.shape[0] * image.shape[1] < 2**24:  # calcHist counts are float32
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
                if c <= 4:
                    self._means = np.asarray(cv2.mean(image)[:c], dtype=np.float64)
                else:
                    self._means = image.reshape(-1, c).mean(axis=0, dtype=np.float64)
        return self._means

    def contrast_pivot(self) -> np.ndarray:
        """What contrast blends towards: the grayscale mean for RGB (torchvision), else each channel's mean."""
        means = self.means()
        if means.size == 3:
            return np.full(3, float(GRAY_WEIGHTS @ means))
        return means

    def minmax(self) -> tuple[np.ndarray, np.ndarray]:
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


class _MovedStats(ImageStats):
    def __init__(self, parent: ImageStats, table: np.ndarray) -> None:
        super().__init__(None, dtype="uint8")
        self._parent, self._table, self._channels = parent, table, parent.channels

    @property
    def channels(self) -> int:
        return self._channels

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


def table_from_curve(curve: Curve, channels: int) -> np.ndarray:
    """uint8 table of a curve defined on uint8 units: (256, 1) when the curve is the same for every
    channel (shared), else (256, channels)."""
    values = np.rint(np.asarray(curve(_X256), dtype=np.float64))
    np.clip(values, 0.0, 255.0, out=values)
    table = values.astype(np.uint8)
    return table if table.shape[1] in (1, channels) else np.ascontiguousarray(np.broadcast_to(table, (256, channels)))


def apply_table(image: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Apply a (256,) or (256, C) table to a uint8 image in one pass; float tables give float output.

    A table shared by all channels runs as a byte translation (stringzilla's SIMD ``translate`` when the
    optional ``invariant[fast]`` extra is installed, else OpenCV's LUT on a single-channel view); identical
    results either way."""
    c = image.shape[2]
    table = table.reshape(256, -1)
    if table.dtype == np.uint8 and (table.shape[1] == 1 or (table == table[:, :1]).all()):
        shared = np.ascontiguousarray(table[:, 0])
        if _sz is not None:
            out = np.array(image, order="C", copy=True)
            _sz.translate(memoryview(out), memoryview(shared), inplace=True)
            return out
        flat = np.ascontiguousarray(image).reshape(image.shape[0], -1)
        return cv2.LUT(flat, shared).reshape(image.shape)
    if table.shape[1] == 1 and c > 1:
        table = np.repeat(table, c, axis=1)
    if table.dtype not in (np.uint8, np.float32, np.float64):
        table = table.astype(np.float32)
    lut = table.reshape(256) if c == 1 else np.ascontiguousarray(table).reshape(1, 256, c)
    return _hwc(cv2.LUT(image, lut))


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
    """top * (x / top) ** gamma."""
    return lambda x: np.power(x * x.dtype.type(1.0 / top), x.dtype.type(gamma)) * x.dtype.type(top)


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


def equalize_table(hist: np.ndarray, top: int) -> np.ndarray:
    """Per-channel histogram equalization table, PIL's ImageOps.equalize algorithm (also torchvision's):
    step = (N - count of the last occupied bin) // top; identity when step is 0. For 16-bit depth
    (top > 255) the step is not floored, else any image under 65536 pixels would be left unchanged."""
    bins, c = hist.shape
    table = np.empty((bins, c), np.float64)
    for i in range(c):
        h = hist[:, i]
        occupied = np.nonzero(h)[0]
        rest = h.sum() - h[occupied[-1]] if occupied.size else 0.0
        step = rest // top if top <= 255 else rest / top
        if step == 0:
            table[:, i] = np.arange(bins)
            continue
        cum = np.concatenate([[0.0], np.cumsum(h)[:-1]])  # count of values strictly below each bin
        table[:, i] = np.minimum((step // 2 + cum) // step, top) if top <= 255 else np.minimum(np.floor((step / 2 + cum) / step), top)
    return table


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


def saturation(image: np.ndarray, factor: float) -> np.ndarray:
    """Blend with the grayscale image (torchvision adjust_saturation / PIL ImageEnhance.Color)."""
    gray = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    out = cv2.addWeighted(image, float(factor), gray, 1.0 - float(factor), 0.0)
    if image.dtype == np.float32:
        np.clip(out, 0.0, 1.0, out=out)
    return out


def hue_shift(image: np.ndarray, shift: float) -> np.ndarray:
    """Rotate hue by ``shift`` turns (torchvision's hue_factor, in [-0.5, 0.5]).

    uint8 uses OpenCV's full-range 8-bit HSV (256 hue levels; the rotation is a wrapping uint8 add on
    H); uint16 and float32 convert to float HSV (hue in degrees) and back, so they keep their precision."""
    if image.dtype == np.uint8:
        hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV_FULL)
        hue = hsv[:, :, 0]
        np.add(hue, np.uint8(int(round(shift * 256)) % 256), out=hue)  # uint8 arithmetic wraps mod 256
        return _hwc(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB_FULL))
    hsv = rgb_to_hsv_float(image)
    hue = hsv[:, :, 0]
    hue += np.float32(shift * 360.0)
    np.mod(hue, np.float32(360.0), out=hue)
    return hsv_float_to_dtype(hsv, image.dtype)


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
        return cv2.cvtColor(cv2.LUT(hsv, table.reshape(1, 256, 3)), cv2.COLOR_HSV2RGB_FULL)
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


def sharpness(image: np.ndarray, factor: float) -> np.ndarray:
    """PIL ImageEnhance.Sharpness / torchvision adjust_sharpness: blend with PIL's SMOOTH-filtered image
    (3x3 kernel [[1,1,1],[1,5,1],[1,1,1]]/13, border pixels left unfiltered); factor > 1 sharpens."""
    blurred = _hwc(cv2.filter2D(image, -1, _SMOOTH, borderType=cv2.BORDER_REPLICATE))
    blurred[0, :], blurred[-1, :], blurred[:, 0], blurred[:, -1] = image[0, :], image[-1, :], image[:, 0], image[:, -1]
    out = _hwc(cv2.addWeighted(image, float(factor), blurred, 1.0 - float(factor), 0.0))
    if image.dtype == np.float32:
        np.clip(out, 0.0, 1.0, out=out)
    return out


def clahe(image: np.ndarray, clip_limit: float, grid: tuple[int, int]) -> np.ndarray:
    """Contrast-limited adaptive histogram equalization (OpenCV). 1 channel: directly. RGB: on the luma
    (Y of YCrCb, which OpenCV supports for uint8, uint16 and float32 alike). Other channel counts: per
    channel. float32 runs on 16-bit codes."""
    op = cv2.createCLAHE(clipLimit=float(clip_limit), tileGridSize=(int(grid[1]), int(grid[0])))
    if image.dtype == np.float32:
        codes = quantize16(image)
        return (clahe(codes, clip_limit, grid).astype(np.float32) * np.float32(1.0 / 65535.0)).astype(np.float32)
    c = image.shape[2]
    if c == 3:
        ycrcb = cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb)
        ycrcb[:, :, 0] = op.apply(np.ascontiguousarray(ycrcb[:, :, 0]))
        return cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2RGB)
    return np.stack([op.apply(np.ascontiguousarray(image[:, :, i])) for i in range(c)], axis=2)

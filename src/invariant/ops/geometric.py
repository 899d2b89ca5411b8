"""Geometric kernels: warp an array by a 3x3 matrix in continuous coordinates, choosing the
cheapest exact implementation for the matrix at hand (view, slice+resize, affine, projective).

Convention: matrices map continuous output-independent coordinates ``(x, y, 1)`` of the input
to the output, where pixel column ``i`` spans ``[i, i + 1)``. OpenCV samples at pixel centres,
so kernels conjugate by a half-pixel shift before calling it.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable

import cv2
import numpy as np

def _cv_max_channels() -> int:
    """OpenCV's CV_CN_MAX, the most channels one array may hold in its calls (merge, split, multiply, filters):
    512 in OpenCV 4, 128 in OpenCV 5. Not exported to Python, so probed once (a merge of 1x1 planes)."""
    for n in (512, 128):
        try:
            cv2.merge([np.zeros((1, 1), np.uint8)] * n)
            return n
        except cv2.error:
            continue
    return 4


CV_MAX_CHANNELS = _cv_max_channels()


def channel_chunks(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """For a kernel that treats every channel alike and independently, and calls OpenCV: an (H, W, C) image
    with more channels than OpenCV holds in one array (``CV_MAX_CHANNELS``: a hyperspectral cube) runs in
    chunks of at most that many channels, their results concatenated (the same values, by independence)."""

    @functools.wraps(fn)
    def chunked(image: np.ndarray, *args: Any, **kwargs: Any) -> np.ndarray:
        c = image.shape[2]
        if c <= CV_MAX_CHANNELS:
            return fn(image, *args, **kwargs)
        parts = [fn(np.ascontiguousarray(image[:, :, a : a + CV_MAX_CHANNELS]), *args, **kwargs) for a in range(0, c, CV_MAX_CHANNELS)]
        return np.concatenate(parts, axis=2)

    return chunked

INTERPOLATIONS = {
    "nearest": cv2.INTER_NEAREST,
    "linear": cv2.INTER_LINEAR,
    "cubic": cv2.INTER_CUBIC,
    "area": cv2.INTER_AREA,
    "lanczos": cv2.INTER_LANCZOS4,
}
BORDER_MODES = {
    "constant": cv2.BORDER_CONSTANT,
    "reflect": cv2.BORDER_REFLECT_101,
    "replicate": cv2.BORDER_REPLICATE,
    "wrap": cv2.BORDER_WRAP,
    "symmetric": cv2.BORDER_REFLECT,  # mirrors including the edge pixel (numpy/torchvision "symmetric")
}

_EPS = 1e-9
HALF = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]], dtype=np.float64)
HALF_INV = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]], dtype=np.float64)


def to_pixel_centre(matrix: np.ndarray) -> np.ndarray:
    """Continuous-coordinate matrix -> the matrix OpenCV expects (pixel-centre coordinates)."""
    return np.array(pixel_centre_rows(matrix))


def pixel_centre_rows(matrix: np.ndarray | list[list[float]]) -> list[list[float]]:
    """``HALF_INV @ matrix @ HALF`` as three rows of Python floats, bit for bit what numpy's two products give:
    every product with an entry of ``HALF_INV`` or ``HALF`` (0, 0.5, 1, -0.5) is exact, so each entry is the
    products summed in numpy's order (first index first), with the exact zero terms left out (tested).
    ``matrix``: an array, or its ``tolist()`` rows (a caller that has them already)."""
    (a, b, c), (d, e, f), (g, h, k) = matrix if type(matrix) is list else matrix.tolist()
    p00, p01, p02 = a - 0.5 * g, b - 0.5 * h, c - 0.5 * k
    p10, p11, p12 = d - 0.5 * g, e - 0.5 * h, f - 0.5 * k
    return [[p00, p01, (p00 * 0.5 + p01 * 0.5) + p02], [p10, p11, (p10 * 0.5 + p11 * 0.5) + p12], [g, h, (g * 0.5 + h * 0.5) + k]]


def is_affine(matrix: np.ndarray) -> bool:
    r = matrix[2].tolist()
    return abs(r[0]) < _EPS and abs(r[1]) < _EPS and abs(r[2] - 1) < _EPS


def inverse(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a 3x3 matrix (closed form: ~10x faster than np.linalg.inv for one small matrix).
    Raises ``np.linalg.LinAlgError`` when singular."""
    return np.array(inverse_rows(matrix))  # each entry divided in Python: the same IEEE quotients as an array division


def inverse_rows(matrix: np.ndarray | list[list[float]]) -> list[list[float]]:
    """``inverse(matrix)`` as three rows of Python floats (for callers that read a few entries: no array).
    ``matrix``: an array, or its ``tolist()`` rows."""
    (a, b, c), (d, e, f), (g, h, k) = matrix if type(matrix) is list else matrix.tolist()
    A, B, C = e * k - f * h, -(d * k - f * g), d * h - e * g
    det = a * A + b * B + c * C
    if abs(det) < 1e-300:
        raise np.linalg.LinAlgError("singular matrix")
    return [
        [A / det, -(b * k - c * h) / det, (b * f - c * e) / det],
        [B / det, (a * k - c * g) / det, -(a * f - c * d) / det],
        [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
    ]


def is_identity(matrix: np.ndarray) -> bool:
    (a, b, c), (d, e, f), (g, h, k) = matrix.tolist()
    return max(abs(a - 1), abs(b), abs(c), abs(d), abs(e - 1), abs(f), abs(g), abs(h), abs(k - 1)) < 1e-9


def is_axis_aligned(matrix: np.ndarray) -> bool:
    (_, b, _), (d, _, _), (g, h, k) = matrix.tolist()
    return abs(g) < _EPS and abs(h) < _EPS and abs(k - 1) < _EPS and abs(b) < _EPS and abs(d) < _EPS


def _near_int(value: float) -> bool:
    return abs(value - round(value)) < 1e-6


def fill_vector(fill: float | tuple[float, ...], channels: int, dtype: np.dtype) -> np.ndarray:
    """A fill value as a (channels,) array of ``dtype``: a scalar repeats, a sequence must match."""
    values = np.atleast_1d(np.asarray(fill, dtype=np.float64))
    if values.size == 1:
        values = np.repeat(values, channels)
    if values.size != channels:
        raise ValueError(
            f"fill: expected a scalar or {channels} values (one per channel), got {values.size} values. "
            "Fix: pass one number, or one per channel."
        )
    return values.astype(dtype)


def _chunks(image: np.ndarray):
    """OpenCV border values hold at most 4 channels: process wider images 4 channels at a time."""
    channels = image.shape[2]
    for start in range(0, channels, 4):
        yield start, min(start + 4, channels)


def _restore_channels(out: np.ndarray, channels: int) -> np.ndarray:
    return out[:, :, None] if out.ndim == 2 else out


def _per_chunk(image: np.ndarray, fill, call, pad3: bool = False) -> np.ndarray:
    """Run ``call(chunk, fill_tuple)`` on <=4-channel chunks and reassemble (HWC in, HWC out).

    ``pad3``: run 3-channel chunks as 4 channels (a padded copy, then the pad dropped), with bit-identical
    results (tested). In OpenCV 5.1 that pays only for bilinear ``cv2.remap`` (~20% faster for uint8 and
    float32 even with the two conversions); its warps are as fast or faster on 3 channels directly, and
    nearest and cubic remaps too, so only the linear remaps ask for it."""
    channels = image.shape[2]
    if channels <= 4 and isinstance(fill, (int, float)):  # a scalar fill (the default 0): no array round trip
        return _run_chunk(image, (float(fill),) * channels, call, pad3)
    fill_all = fill_vector(fill, channels, np.float64)
    if channels <= 4:
        return _run_chunk(image, tuple(float(v) for v in fill_all), call, pad3)
    parts = []
    for a, b in _chunks(image):
        chunk = np.ascontiguousarray(image[:, :, a:b])
        parts.append(_run_chunk(chunk, tuple(float(v) for v in fill_all[a:b]), call, pad3))
    return np.concatenate(parts, axis=2)


_PAD3_DTYPES = frozenset(np.dtype(t) for t in (np.uint8, np.uint16, np.float32))  # the depths cv2.cvtColor takes


def _run_chunk(chunk: np.ndarray, fill: tuple[float, ...], call, pad3: bool) -> np.ndarray:
    channels = chunk.shape[2]
    if channels == 2:  # OpenCV 5.1 resamples 2-channel arrays with coarser bilinear weights than 1, 3 or 4
        # channels (warps and remaps: up to 4 uint8 / 876 uint16 levels off on a fifth of the pixels, 0.013
        # in float32): each channel alone, as fast (measured), the same values as any other channel count
        return cv2.merge([call(np.ascontiguousarray(chunk[:, :, i]), (fill[i], 0.0, 0.0, 0.0)) for i in range(2)])
    if pad3 and channels == 3 and chunk.dtype in _PAD3_DTYPES:  # (cvtColor takes no other depth: int32 labels go as float64)
        out = call(cv2.cvtColor(chunk, cv2.COLOR_RGB2RGBA), fill + (0.0,))
        return cv2.cvtColor(out, cv2.COLOR_RGBA2RGB)
    return _restore_channels(call(chunk, fill + (0.0,) * (4 - channels)), channels)


def filled(shape: tuple[int, int, int], dtype: np.dtype, value: np.ndarray) -> np.ndarray:
    """A new C-order (H, W, C) array holding ``value`` (one per channel, or one for all) in every pixel.

    numpy broadcasts a (C,) vector into an HWC array element by element (~1 ms for 256x256x3 uint8); a
    scalar fill or one filled row copied down the rows are contiguous copies (~20x faster)."""
    h, w, c = shape
    v = np.asarray(value, dtype).reshape(-1)
    out = np.empty(shape, dtype)
    if v.size == 1 or (v == v[0]).all():  # NaN fills differ from themselves: they take the row path
        out.fill(v[0])
        return out
    row = np.empty((w, c), dtype)
    row[...] = v
    out[...] = row
    return out


def _fill_around(out: np.ndarray, y0: int, x0: int, y1: int, x1: int, values: np.ndarray) -> None:
    """Write the fill ``values`` (one per channel) into ``out`` outside the rectangle [y0, y1) x [x0, x1):
    only the border strips, and as one scalar fill when every channel's value is the same (broadcasting
    a (C,) vector over an HWC array is several times slower than a memset)."""
    same = bool((values == values[0]).all())
    for region in (out[:y0], out[y1:], out[y0:y1, :x0], out[y0:y1, x1:]):
        if region.size:
            if same:
                region.fill(values[0])
            else:
                region[...] = values


def _window(image: np.ndarray, x0: int, y0: int, w: int, h: int, border: int, fill) -> np.ndarray:
    """image[y0:y0+h, x0:x0+w] with out-of-bounds parts filled by the border rule."""
    H, W = image.shape[:2]
    if x0 >= 0 and y0 >= 0 and x0 + w <= W and y0 + h <= H:
        return image[y0 : y0 + h, x0 : x0 + w]
    top, left = max(0, -y0), max(0, -x0)
    bottom, right = max(0, y0 + h - H), max(0, x0 + w - W)
    # clamp both ends into [0, size]: a window wholly left of / above the image must give an empty
    # inner part, not a negative (wrap-around) slice stop
    ya, yb = min(max(0, y0), H), max(0, min(H, y0 + h))
    xa, xb = min(max(0, x0), W), max(0, min(W, x0 + w))
    if border == cv2.BORDER_CONSTANT:
        inner = image[ya:max(ya, yb), xa:max(xa, xb)]
        out = np.empty((h, w) + image.shape[2:], dtype=image.dtype)
        ih, iw = inner.shape[:2] if inner.size else (0, 0)
        _fill_around(out, top, left, top + ih, left + iw, fill_vector(fill, image.shape[2], image.dtype))
        if inner.size:
            out[top : top + ih, left : left + iw] = inner
        return out
    # the border rule reads the whole image: padding the visible part is the same only when that part holds
    # every row / column the rule reaches; a reflection of more rows than are visible, a wrap, or a window
    # with no visible part reads beyond it, and that axis is padded from the whole image instead
    if not _visible_suffices(top, bottom, yb - ya, border):
        ya, yb = 0, H
    if not _visible_suffices(left, right, xb - xa, border):
        xa, xb = 0, W
    padded = _per_chunk(np.ascontiguousarray(image[ya:yb, xa:xb]), fill, lambda c, f: cv2.copyMakeBorder(c, top, bottom, left, right, border, value=f))
    oy, ox = y0 - ya + top, x0 - xa + left  # the window's corner in ``padded`` (0, 0 unless an axis was widened)
    if oy or ox or padded.shape[0] != h or padded.shape[1] != w:
        return np.ascontiguousarray(padded[oy : oy + h, ox : ox + w])
    return padded


def _visible_suffices(before: int, after: int, visible: int, border: int) -> bool:
    """Does padding the ``visible`` part of an axis by ``before`` / ``after`` under the non-constant OpenCV
    ``border`` rule give what padding the whole axis gives? Yes with no padding, with padding on both sides
    (the visible part is the whole axis), for replicate, and for a reflection no deeper than the visible part."""
    if not (before or after):
        return True
    if not visible:
        return False
    if (before and after) or border == cv2.BORDER_REPLICATE:
        return True
    deepest = before if before > after else after
    return deepest < visible if border == cv2.BORDER_REFLECT_101 else border == cv2.BORDER_REFLECT and deepest <= visible


# element sizes (channels * itemsize, bytes) cv2.transpose handles
_CV_TRANSPOSE_SIZES = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32}


def _transpose(image: np.ndarray) -> np.ndarray:
    """Contiguous HWC transpose (OpenCV when it supports the element size: ~15x faster than numpy)."""
    channels = image.shape[2]
    if channels * image.itemsize in _CV_TRANSPOSE_SIZES and channels <= 4:
        return _restore_channels(cv2.transpose(image), channels)
    return np.ascontiguousarray(image.transpose(1, 0, 2))


def _flip(image: np.ndarray, flip_x: bool, flip_y: bool) -> np.ndarray:
    """Contiguous copy of ``image`` mirrored as asked (a plain copy when no flip). An up-down flip is a copy
    of whole rows in reverse order: numpy's strided copy, as fast as or faster than ``cv2.flip`` for every
    size and dtype measured (1.7x for 512x512 float32); mirroring within rows is ``cv2.flip``."""
    if not (flip_x or flip_y):
        return np.ascontiguousarray(image)
    if not flip_x:
        return image[::-1].copy()  # (always a copy: a one-row view would pass as contiguous)
    if image.shape[2] <= 4:
        out = cv2.flip(image, (-1 if flip_y else 1) if flip_x else 0)
        return out[:, :, None] if out.ndim == 2 else out
    out = image[:, ::-1] if flip_x else image
    return np.ascontiguousarray(out[::-1] if flip_y else out)


def transpose_matrix() -> np.ndarray:
    """Swap x and y (a transpose of the pixel grid; its own inverse)."""
    return np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]], dtype=np.float64)


_TRANSPOSE = transpose_matrix()
_TRANSPOSE.flags.writeable = False


def cached_transpose_matrix() -> np.ndarray:
    """``transpose_matrix()`` shared read-only (a transpose states it every call; nothing in the engine
    writes to a step's matrix, and a write would raise instead of corrupting the cache)."""
    return _TRANSPOSE


def is_transposing(matrix: np.ndarray) -> bool:
    """True when the linear part is anti-diagonal (a 90-degree turn or a transpose, possibly flipped)."""
    (a, _, _), (_, e, _), (g, h, k) = matrix.tolist()
    return abs(g) < _EPS and abs(h) < _EPS and abs(k - 1) < _EPS and abs(a) < _EPS and abs(e) < _EPS


def axis_scales(matrix: np.ndarray, out_shape: tuple[int, int]) -> tuple[float, float]:
    """How much the matrix shrinks the input's x and y axes (output length of a unit input step),
    measured by the local Jacobian at the input point that lands on the output centre."""
    if is_affine(matrix):  # constant Jacobian: the column norms of the linear part
        (a, b, _), (c, d, _) = matrix[:2].tolist()
        return math.hypot(a, c), math.hypot(b, d)
    out_h, out_w = out_shape
    try:
        centre = apply_to_points(inverse(matrix), np.array([[out_w / 2.0, out_h / 2.0]]))[0]
    except np.linalg.LinAlgError:
        return 1.0, 1.0
    step = 0.5
    pts = np.array([centre, centre + (step, 0.0), centre + (0.0, step)])
    mapped = apply_to_points(matrix, pts)
    sx = float(np.hypot(*(mapped[1] - mapped[0]))) / step
    sy = float(np.hypot(*(mapped[2] - mapped[0]))) / step
    return sx, sy


_KERNEL_MARGIN = 5  # pixels beyond the sampled positions any interpolation kernel may read (lanczos: 4)


_CORNERS: dict[tuple[int, int], np.ndarray] = {}


def _canvas_corners(out_w: int, out_h: int) -> np.ndarray:
    """The canvas corners as homogeneous rows (4, 3), cached read-only per canvas size."""
    corners = _CORNERS.get((out_w, out_h))
    if corners is None:
        if len(_CORNERS) >= 256:
            _CORNERS.clear()
        corners = np.array([[0, 0, 1], [out_w, 0, 1], [out_w, out_h, 1], [0, out_h, 1]], dtype=np.float64)
        corners.setflags(write=False)
        _CORNERS[(out_w, out_h)] = corners
    return corners


def _crop_to_footprint(image: np.ndarray, matrix: np.ndarray, out_shape: tuple[int, int], constant: bool, rows: list | None = None):
    """Slice the source to the bounding box of what the output canvas samples (plus the kernel's
    reach), so per-call work (channel padding, pre-shrinks, cache traffic) scales with what is read.
    Only when no border rule can read pixels outside the box: the border is constant (sides that
    reach the image edge are then kept whole), or the footprint lies inside the image. ``rows``:
    ``matrix.tolist()`` when the caller has it. Returns ``matrix`` itself when nothing is sliced."""
    box = _footprint(image.shape[:2], matrix, out_shape, constant, rows)
    if box is None:
        return image, matrix
    x0, y0, x1, y1 = box
    return image[y0:y1, x0:x1], matrix @ translation(x0, y0)


def _footprint(in_shape: tuple[int, int], matrix: np.ndarray, out_shape: tuple[int, int], constant: bool, rows: list | None = None) -> tuple[int, int, int, int] | None:
    """The source window (x0, y0, x1, y1) ``_crop_to_footprint`` slices, or None when it keeps the whole source
    (``rows``: ``matrix.tolist()`` when the caller has it)."""
    H, W = in_shape
    out_h, out_w = out_shape
    rows = inverse_rows(matrix if rows is None else rows)
    if _keeps_whole_source(rows, W, H, out_w, out_h, constant):
        return None
    inv = np.array(rows)
    # the corners go through numpy's product (its rounding decides the crop); the rest is exact
    # element-wise work done on Python floats: far cheaper than numpy reductions over 4 values
    (x_a, y_a, z_a), (x_b, y_b, z_b), (x_c, y_c, z_c), (x_d, y_d, z_d) = (_canvas_corners(out_w, out_h) @ inv.T).tolist()
    if z_a <= 1e-9 or z_b <= 1e-9 or z_c <= 1e-9 or z_d <= 1e-9:
        return None
    xs, ys = (x_a / z_a, x_b / z_b, x_c / z_c, x_d / z_d), (y_a / z_a, y_b / z_b, y_c / z_c, y_d / z_d)
    if not math.isfinite(sum(xs) + sum(ys)):  # a NaN or infinity anywhere (min/max would skip a NaN)
        return None
    x_lo, x_hi, y_lo, y_hi = min(xs), max(xs), min(ys), max(ys)
    x0 = max(0, math.floor(x_lo) - _KERNEL_MARGIN)
    y0 = max(0, math.floor(y_lo) - _KERNEL_MARGIN)
    x1 = min(W, math.ceil(x_hi) + _KERNEL_MARGIN)
    y1 = min(H, math.ceil(y_hi) + _KERNEL_MARGIN)
    if x1 <= x0 or y1 <= y0 or (x1 - x0) * (y1 - y0) > 0.8 * W * H:
        return None
    if not constant and (x_lo < _KERNEL_MARGIN or y_lo < _KERNEL_MARGIN or x_hi > W - _KERNEL_MARGIN or y_hi > H - _KERNEL_MARGIN):
        return None
    return x0, y0, x1, y1


def _keeps_whole_source(inv: list[list[float]], W: int, H: int, out_w: int, out_h: int, constant: bool) -> bool:
    """A cheap exit of ``_footprint`` for an affine ``inv``, exact: True only when ``_footprint`` surely
    returns None (its box covers more than 80% of the source, or a non-constant border reads outside
    the image). The back-mapped corners' bounds are taken here in Python floats, which may differ from
    numpy's product (whose rounding decides the box) by a few ulps; every bound is widened by ``tol``,
    about a million times that, so a bound near an integer or a threshold goes to the exact path.
    False: the exact path decides (always for a projective ``inv``)."""
    (a, b, c), (d, e, f), (g, h, k) = inv
    if g != 0.0 or h != 0.0 or k != 1.0:
        return False
    ax, bx, dx, ex = a * out_w, b * out_h, d * out_w, e * out_h
    tol = 1e-9 * (1.0 + abs(c) + abs(f) + abs(ax) + abs(bx) + abs(dx) + abs(ex))
    if not tol < 0.25:  # (NaN or infinity anywhere: the exact path)
        return False
    x_lo = c + (ax if ax < 0.0 else 0.0) + (bx if bx < 0.0 else 0.0)  # the corners' extremes
    x_hi = c + (ax if ax > 0.0 else 0.0) + (bx if bx > 0.0 else 0.0)
    y_lo = f + (dx if dx < 0.0 else 0.0) + (ex if ex < 0.0 else 0.0)
    y_hi = f + (dx if dx > 0.0 else 0.0) + (ex if ex > 0.0 else 0.0)
    m = _KERNEL_MARGIN
    if not constant and (x_lo + tol < m or y_lo + tol < m or x_hi - tol > W - m or y_hi - tol > H - m):
        return True
    x0, y0 = math.floor(x_lo + tol) - m, math.floor(y_lo + tol) - m  # the largest the exact x0, y0 can be
    x1, y1 = math.ceil(x_hi - tol) + m, math.ceil(y_hi - tol) + m  # the smallest the exact x1, y1 can be
    x0, y0, x1, y1 = (x0 if x0 > 0 else 0), (y0 if y0 > 0 else 0), (x1 if x1 < W else W), (y1 if y1 < H else H)
    return x1 > x0 and y1 > y0 and (x1 - x0) * (y1 - y0) > 0.8 * W * H


def _antialias(image: np.ndarray, matrix: np.ndarray, out_shape: tuple[int, int], min_scale: float):
    """Pre-shrink ``image`` with INTER_AREA along each axis the matrix shrinks below ``min_scale``, so
    the warp itself shrinks by at most ``min_scale``; returns the image and the matrix that now applies."""
    sx, sy = axis_scales(matrix, out_shape)
    if sx >= min_scale and sy >= min_scale:
        return image, matrix
    H, W = image.shape[:2]
    new_w = max(1, int(round(W * sx / min_scale))) if sx < min_scale else W
    new_h = max(1, int(round(H * sy / min_scale))) if sy < min_scale else H
    small = resize(image, (new_h, new_w), "area")
    # continuous coordinates scale exactly by the size ratio
    return small, matrix @ scaling(W / new_w, H / new_h)


# Kernel codes chosen by ``classify`` (the first item of a kernel tuple is the input (H, W) it was
# classified for; ``warp`` re-classifies when handed an array of another size).
IDENTITY, WINDOW, TWINDOW, RESIZE, TGENERAL, GENERAL = range(6)
PLACE = 6  # the whole source resized onto an integer sub-rectangle of the canvas (a letterbox); border shows around it
CLIPPED_PLACE = 7  # the whole source resized onto an integer rectangle that reaches past the canvas: the part inside it, border around


def _int_window(a: float, e: float, tx: float, ty: float, out_h: int, out_w: int) -> tuple[int, int, bool, bool] | None:
    """For a diagonal matrix diag(a, e) + (tx, ty): the source window start and flips when it is a pure
    flip/integer translation, else None (Python floats: far cheaper than numpy scalars)."""
    if abs(abs(a) - 1) > _EPS or abs(abs(e) - 1) > _EPS:
        return None
    if abs(tx - round(tx)) > 1e-6 or abs(ty - round(ty)) > 1e-6:
        return None
    # output x_o = a * x_i + tx  ->  input window start (continuous) for output column 0
    flip_x, flip_y = a < 0, e < 0
    x0 = int(round(-tx)) if not flip_x else int(round(tx - out_w))
    y0 = int(round(-ty)) if not flip_y else int(round(ty - out_h))
    return x0, y0, flip_x, flip_y


def classify(matrix: np.ndarray, in_shape: tuple[int, int], out_shape: tuple[int, int]) -> tuple:
    """Pick the cheapest exact kernel for warping an ``in_shape`` array by ``matrix`` onto ``out_shape``:
    a tuple ``((H, W), code, *arguments)``. Spatial transforms classify once per call at plan time and
    cache the tuple in their private params, so executing does not re-derive it per array."""
    H, W = int(in_shape[0]), int(in_shape[1])
    out_h, out_w = int(out_shape[0]), int(out_shape[1])
    key = (H, W)
    (a, b, tx), (d, e, ty), (g, h, k) = matrix.tolist()
    if abs(g) > _EPS or abs(h) > _EPS or abs(k - 1) > _EPS:
        return (key, GENERAL)
    if abs(b) < _EPS and abs(d) < _EPS:  # axis-aligned
        if out_h == H and out_w == W and abs(a - 1) < 1e-9 and abs(e - 1) < 1e-9 and abs(tx) < 1e-9 and abs(ty) < 1e-9:
            return (key, IDENTITY)
        window = _int_window(a, e, tx, ty, out_h, out_w)
        if window is not None:
            return (key, WINDOW, *window)
        if abs(a) > _EPS and abs(e) > _EPS:  # scaling (maybe mirrored) over an integer source window:
            # slice + one resize (+ one flip of the result, exactly the op-by-op crop-resize-then-flip)
            xa, xb, ya, yb = -tx / a, (out_w - tx) / a, -ty / e, (out_h - ty) / e
            x0, x1 = (xa, xb) if a > 0 else (xb, xa)
            y0, y1 = (ya, yb) if e > 0 else (yb, ya)
            if _near_int(x0) and _near_int(y0) and _near_int(x1) and _near_int(y1):
                x0, y0, x1, y1 = int(round(x0)), int(round(y0)), int(round(x1)), int(round(y1))
                if x0 >= 0 and y0 >= 0 and x1 <= W and y1 <= H and x1 > x0 and y1 > y0:
                    return (key, RESIZE, x0, y0, x1, y1, min(abs(a), abs(e)), a < 0, e < 0)
            # the whole source onto an integer rectangle inside the canvas (letterbox: resize then pad)
            ox0, ox1 = sorted((tx, a * W + tx))
            oy0, oy1 = sorted((ty, e * H + ty))
            if _near_int(ox0) and _near_int(oy0) and _near_int(ox1) and _near_int(oy1):
                ox0, oy0, ox1, oy1 = int(round(ox0)), int(round(oy0)), int(round(ox1)), int(round(oy1))
                if ox0 >= 0 and oy0 >= 0 and ox1 <= out_w and oy1 <= out_h and ox1 > ox0 and oy1 > oy0:
                    return (key, PLACE, ox0, oy0, ox1, oy1, min(abs(a), abs(e)), a < 0, e < 0)
                edge_shows = ox0 >= 0 or oy0 >= 0 or ox1 <= out_w or oy1 <= out_h  # else the warp reads inside only
                if edge_shows and ox1 > ox0 and oy1 > oy0 and ox0 < out_w and oy0 < out_h and ox1 > 0 and oy1 > 0:
                    # the resized source is an integer rectangle reaching past the canvas (resize, then crop
                    # and/or pad: ScaleJitter, Resize -> CenterCrop): warp with the edge replicated, fill outside
                    return (key, CLIPPED_PLACE, ox0, oy0, ox1, oy1)
        return (key, GENERAL)
    if abs(a) < _EPS and abs(e) < _EPS:  # transposing: M = D T with D = M T diagonal
        window = _int_window(b, d, tx, ty, out_h, out_w)
        if window is not None:
            return (key, TWINDOW, *window)
        return (key, TGENERAL)
    return (key, GENERAL)


def window_kernel(in_shape: tuple[int, int], out_shape: tuple[int, int], x0: int, y0: int, flip_x: bool = False, flip_y: bool = False) -> tuple:
    """``classify``'s answer for a flip/integer crop reading the source window starting at (x0, y0),
    built directly (transforms that know they are index remaps skip classifying their matrix)."""
    H, W = int(in_shape[0]), int(in_shape[1])
    if x0 == 0 and y0 == 0 and not flip_x and not flip_y and int(out_shape[0]) == H and int(out_shape[1]) == W:
        return ((H, W), IDENTITY)
    return ((H, W), WINDOW, int(x0), int(y0), bool(flip_x), bool(flip_y))


def crop_resize_kernel(in_shape: tuple[int, int], out_shape: tuple[int, int], x0: int, y0: int, x1: int, y1: int, matrix: np.ndarray) -> tuple:
    """``classify``'s answer for ``matrix`` taking the integer source window [x0, x1) x [y0, y1) onto
    the whole ``out_shape`` canvas, built directly (falls back to ``classify`` outside the easy case)."""
    H, W = int(in_shape[0]), int(in_shape[1])
    out_h, out_w = int(out_shape[0]), int(out_shape[1])
    if x1 - x0 == out_w and y1 - y0 == out_h:  # no scaling: an integer crop (or the identity)
        return window_kernel(in_shape, out_shape, x0, y0)
    if not (0 <= x0 < x1 <= W and 0 <= y0 < y1 <= H):
        return classify(matrix, in_shape, out_shape)
    return ((H, W), RESIZE, int(x0), int(y0), int(x1), int(y1), min(float(matrix[0, 0]), float(matrix[1, 1])), False, False)


def window_copy(image: np.ndarray, kernel: tuple, out_shape: tuple[int, int], border_mode: str = "constant", fill: float | tuple[float, ...] = 0) -> np.ndarray:
    """``warp`` for a ``WINDOW`` or ``TWINDOW`` kernel ``((H, W), code, x0, y0, flip_x, flip_y)`` made for
    ``image``: the integer window at (x0, y0) of ``out_shape`` (of the transposed image for ``TWINDOW``),
    mirrored as the kernel says, as a contiguous copy (the border rule fills what lies outside the image)."""
    (H, W), code, x0, y0, flip_x, flip_y = kernel
    if code == TWINDOW:  # crop the source window (axes swapped), then transpose + flip in OpenCV
        src = _window(image, y0, x0, int(out_shape[0]), int(out_shape[1]), BORDER_MODES[border_mode], fill)
        return _flip(_transpose(src), flip_x, flip_y)
    if x0 == 0 and y0 == 0 and out_shape == kernel[0]:  # a whole-image flip: no slicing
        return _flip(image, flip_x, flip_y)
    out_h, out_w = int(out_shape[0]), int(out_shape[1])
    if not (flip_x or flip_y) and x0 >= 0 and y0 >= 0 and x0 + out_w <= W and y0 + out_h <= H:
        return image[y0 : y0 + out_h, x0 : x0 + out_w].copy()  # an inner crop: one contiguous copy
    return _flip(_window(image, x0, y0, out_w, out_h, BORDER_MODES[border_mode], fill), flip_x, flip_y)


def warp(
    image: np.ndarray,
    matrix: np.ndarray,
    out_shape: tuple[int, int],
    interpolation: str = "linear",
    border_mode: str = "constant",
    fill: float | tuple[float, ...] = 0,
    min_scale: float | None = None,
    kernel: tuple | None = None,
) -> np.ndarray:
    """Resample HWC ``image`` so that input point p lands at ``matrix @ p`` on an ``out_shape`` canvas.

    Picks the cheapest exact kernel: identity -> same array; flips, integer crops, transposes and
    90-degree turns -> slicing/transposing views made contiguous; axis-aligned scaling over an integer
    window -> one ``cv2.resize`` (then one ``cv2.flip`` when the scaling mirrors); otherwise ``warpAffine`` / ``warpPerspective``. ``kernel``: the
    choice made earlier by ``classify(matrix, image.shape[:2], out_shape)`` (computed here when None
    or made for another input size).

    ``min_scale``: anti-aliasing. Axes the matrix shrinks below this factor are first shrunk with
    INTER_AREA (a resize uses INTER_AREA outright). Default: 1.0 for ``interpolation="area"`` (area
    averaging whenever shrinking, also for rotations), else 0 (OpenCV's plain kernels, as
    albumentations). The planner raises it for fused runs that shrink more than their steps did.
    Returns a contiguous HWC array of the input dtype.
    """
    if kernel is None or kernel[0] != image.shape[:2]:
        kernel = classify(matrix, image.shape[:2], out_shape)
    code = kernel[1]
    if code == IDENTITY:
        return image
    if code == WINDOW:
        return window_copy(image, kernel, out_shape, border_mode, fill)
    if code == TWINDOW:
        return window_copy(image, kernel, out_shape, border_mode, fill)
    if min_scale is None:
        min_scale = 1.0 if interpolation == "area" else 0.0
    if code == RESIZE:
        _, _, x0, y0, x1, y1, smallest, flip_x, flip_y = kernel
        kind = interpolation
        if interpolation != "nearest" and smallest < min_scale:
            kind = "area"
        window = image[y0:y1, x0:x1]
        out = clip_overshoot(resize(window, out_shape, kind), window, kind)
        return _flip(out, flip_x, flip_y) if flip_x or flip_y else out
    if code == PLACE and border_mode == "constant":  # resize into the rectangle, fill around it (exactly resize-then-pad)
        _, _, ox0, oy0, ox1, oy1, smallest, flip_x, flip_y = kernel
        kind = "area" if interpolation != "nearest" and smallest < min_scale else interpolation
        inner = clip_overshoot(resize(image, (oy1 - oy0, ox1 - ox0), kind), image, kind)
        out_h, out_w = int(out_shape[0]), int(out_shape[1])
        out = np.empty((out_h, out_w) + image.shape[2:], dtype=image.dtype)
        _fill_around(out, oy0, ox0, oy1, ox1, fill_vector(fill, image.shape[2], image.dtype))
        out[oy0:oy1, ox0:ox1] = _flip(inner, flip_x, flip_y) if flip_x or flip_y else inner
        return out
    if code == CLIPPED_PLACE and border_mode == "constant":  # resize-then-crop/pad up to the kernels' rounding:
        # the edge pixels' outer halves replicate (as a resize reads them) instead of blending with the fill
        _, _, ox0, oy0, ox1, oy1 = kernel
        out = _warp_general(image, matrix, (int(out_shape[0]), int(out_shape[1])), interpolation, cv2.BORDER_REPLICATE, fill, min_scale)
        out = clip_overshoot(out, image, interpolation, fill)
        cx0, cy0, cx1, cy1 = max(ox0, 0), max(oy0, 0), min(ox1, out.shape[1]), min(oy1, out.shape[0])
        _fill_around(out, cy0, cx0, cy1, cx1, fill_vector(fill, image.shape[2], image.dtype))
        return out
    if code == TGENERAL:
        # p_out = M p_in = (M T) p_t with p_t the transposed image's coordinates: a diagonal problem
        out = warp(image.transpose(1, 0, 2), matrix @ transpose_matrix(), out_shape, interpolation, border_mode, fill, min_scale)
        return np.ascontiguousarray(out)
    out = _warp_general(image, matrix, (int(out_shape[0]), int(out_shape[1])), interpolation, BORDER_MODES[border_mode], fill, min_scale)
    return clip_overshoot(out, image, interpolation, fill if border_mode == "constant" else None)


OVERSHOOTING = frozenset({"cubic", "lanczos"})  # kernels with negative lobes: results can leave the input's range


def clip_overshoot(out: np.ndarray, source: np.ndarray, interpolation: str, fill: float | tuple[float, ...] | None = None) -> np.ndarray:
    """The library's float rule for resampling (warps, resizes, remaps, fused runs alike). Cubic and lanczos
    kernels have negative lobes, so near edges they ring past the values they interpolate (about -0.1 and
    1.1 from a [0, 1] photo), and pointwise curves (gamma, log) then see values outside their domain.
    float32 results of those kernels are clipped, per channel, to ``[min(0, lo), max(1, hi)]`` with
    ``[lo, hi]`` the channel's input range (widened by a constant border's ``fill``): images in the float
    convention [0, 1] stay in [0, 1] (as ``Downscale``), float data outside it (normalized images) is never
    squeezed into [0, 1], and no value a convex kernel (nearest, linear, area) could produce changes.
    Integer dtypes already saturate inside OpenCV; other kernels are left as they are (no extra pass).
    In place on ``out`` (a fresh resampled array); returns it."""
    if interpolation not in OVERSHOOTING or out.dtype != np.float32 or out.size == 0 or np.may_share_memory(out, source):  # (cheapest test first)
        return out
    channels = source.shape[2]
    if source.flags.c_contiguous:  # SIMD reductions down the rows, then a fold per channel
        rows = source.reshape(source.shape[0], -1)
        lo, hi = rows.min(axis=0).reshape(-1, channels).min(axis=0), rows.max(axis=0).reshape(-1, channels).max(axis=0)
    else:
        lo, hi = source.min(axis=(0, 1)), source.max(axis=(0, 1))
    np.minimum(lo, np.float32(0.0), out=lo)
    np.maximum(hi, np.float32(1.0), out=hi)
    if fill is not None:
        values = fill_vector(fill, channels, np.float32)
        np.minimum(lo, values, out=lo)
        np.maximum(hi, values, out=hi)
    np.clip(out, lo, hi, out=out)
    return out


def _warp_general(image: np.ndarray, matrix: np.ndarray, out_shape: tuple[int, int], interpolation: str, border: int, fill, min_scale: float) -> np.ndarray:
    """``warpAffine`` / ``warpPerspective`` over the footprint the output samples (with anti-aliasing)."""
    out_h, out_w = out_shape
    given, rows = matrix, matrix.tolist()  # (read once: the footprint and the pixel-centre matrix both take the rows)
    image, matrix = _crop_to_footprint(image, matrix, (out_h, out_w), border == cv2.BORDER_CONSTANT, rows)
    if min_scale > 0 and interpolation != "nearest":
        image, matrix = _antialias(image, matrix, (out_h, out_w), min_scale)
    rows = pixel_centre_rows(rows if matrix is given else matrix)  # Python floats: one small array below instead of two matrix products
    flags = cv2.INTER_LINEAR if interpolation == "area" else INTERPOLATIONS[interpolation]  # warps have no area kernel; the pre-shrink above did the averaging
    image = _cv_view(image)
    g, h, k = rows[2]
    if abs(g) < _EPS and abs(h) < _EPS and abs(k - 1) < _EPS:  # (``is_affine``)
        m = np.array(rows[:2])
        channels = image.shape[2]
        if channels <= 4 and channels != 2 and isinstance(fill, (int, float)):  # the everyday call: ``_per_chunk``'s first case, inline
            # (positional arguments: dst, flags, borderMode, borderValue; OpenCV's keyword parsing costs ~1 us)
            out = cv2.warpAffine(image, m, (out_w, out_h), None, flags, border, (float(fill),) * channels + (0.0,) * (4 - channels))
            return out[:, :, None] if out.ndim == 2 else out
        call = lambda c, f: cv2.warpAffine(c, m, (out_w, out_h), flags=flags, borderMode=border, borderValue=f)
    else:
        m = np.array(rows)
        call = lambda c, f: cv2.warpPerspective(c, m, (out_w, out_h), flags=flags, borderMode=border, borderValue=f)
    return _per_chunk(image, fill, call)


def _cv_view(image: np.ndarray) -> np.ndarray:
    """``image`` itself when OpenCV can take it without a copy (row-strided views of contiguous pixels,
    such as a crop), else a contiguous copy."""
    if image.strides[2] != image.itemsize or image.strides[1] != image.itemsize * image.shape[2]:
        return np.ascontiguousarray(image)
    return image


def resize(image: np.ndarray, out_shape: tuple[int, int], interpolation: str = "linear") -> np.ndarray:
    """Resize an HWC array to ``out_shape`` (h, w); nearest uses the pixel-centre-exact variant.
    A crop view goes to OpenCV as is (it reads row-strided memory): no extra copy."""
    out_h, out_w = int(out_shape[0]), int(out_shape[1])
    if image.shape[:2] == (out_h, out_w):
        return np.ascontiguousarray(image)
    flag = cv2.INTER_NEAREST_EXACT if interpolation == "nearest" else INTERPOLATIONS[interpolation]
    channels = image.shape[2]
    if channels <= 4:
        out = cv2.resize(_cv_view(image), (out_w, out_h), interpolation=flag)
        return _restore_channels(out, channels)
    # some OpenCV kernels (INTER_AREA downscaling) accept at most 4 channels: resize in chunks
    return np.concatenate([_restore_channels(cv2.resize(np.ascontiguousarray(image[:, :, a:b]), (out_w, out_h), interpolation=flag), b - a) for a, b in _chunks(image)], axis=2)


# ---- mask dtype handling: OpenCV has no int64/bool support -------------------------------------------------

_MASK_VIA = {np.dtype(np.int64): np.int32, np.dtype(np.bool_): np.uint8, np.dtype(np.int8): np.int16, np.dtype(np.uint32): np.float64}


def warp_mask(
    mask: np.ndarray, matrix: np.ndarray, out_shape: tuple[int, int], border_mode: str = "constant", fill: float = 0, kernel: tuple | None = None
) -> np.ndarray:
    """Nearest-neighbour warp of an HWC label mask; no new label value can appear."""
    via = _MASK_VIA.get(mask.dtype)
    work = mask.astype(via) if via is not None else mask
    out = warp(work, matrix, out_shape, "nearest", border_mode, fill, kernel=kernel)
    return out.astype(mask.dtype) if via is not None else out


# ---- instance-mask planes -----------------------------------------------------------------------------------

Box = tuple[int, int, int, int]  # integer (x0, y0, x1, y1), end exclusive
_EMPTY_BOX: Box = (0, 0, 0, 0)


def nonzero_box(plane: np.ndarray, within: Box | None = None) -> Box:
    """The tight integer box (x0, y0, x1, y1) of a 2-D array's nonzero pixels, searched inside ``within``
    (the whole plane when None); (0, 0, 0, 0) when there is none. OpenCV's boundingRect reads a uint8
    plane in one pass (many times numpy's any() reductions)."""
    x0, y0 = (within[0], within[1]) if within is not None else (0, 0)
    view = plane[within[1] : within[3], within[0] : within[2]] if within is not None else plane
    if view.size == 0:
        return _EMPTY_BOX
    if view.dtype != np.uint8:
        view = (view != 0).view(np.uint8)
    x, y, w, h = cv2.boundingRect(view)
    return (x0 + x, y0 + y, x0 + x + w, y0 + y + h) if w and h else _EMPTY_BOX


def _resize_map(n_in: int, n_out: int) -> np.ndarray:
    """Source index of each of ``n_out`` samples where ``resize(..., "nearest")`` (INTER_NEAREST_EXACT)
    takes ``n_in`` samples to ``n_out`` along one axis, read from OpenCV itself: an index row resized."""
    if n_in == n_out:
        return np.arange(n_in, dtype=np.int64)
    index = np.arange(n_in, dtype=np.float32)[None, :]  # float32 holds every index below 2**24 exactly
    return cv2.resize(index, (n_out, 1), interpolation=cv2.INTER_NEAREST_EXACT)[0].astype(np.int64)


def _outside(index: np.ndarray, size: int) -> np.ndarray:
    index[(index < 0) | (index >= size)] = -1
    return index


def plane_maps(matrix: np.ndarray, in_shape: tuple[int, int], out_shape: tuple[int, int], kernel: tuple | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """For ``warp_mask`` with a constant border, when the kernel it runs is separable (flips, crops, pads,
    axis-aligned scaling by ``cv2.resize``): the source column of every output column and the source row of
    every output row (-1: the border), so that ``out[y, x] = plane[rows[y], cols[x]]`` exactly as the kernel
    samples. None for the others (warpAffine, 90-degree turns)."""
    H, W = int(in_shape[0]), int(in_shape[1])
    out_h, out_w = int(out_shape[0]), int(out_shape[1])
    if kernel is None or kernel[0] != (H, W):
        kernel = classify(matrix, (H, W), (out_h, out_w))
    code = kernel[1]
    if code == IDENTITY:
        return np.arange(W, dtype=np.int64), np.arange(H, dtype=np.int64)
    if code == WINDOW:  # window [x0, x0 + out_w) x [y0, y0 + out_h) (outside: the border), then the flips
        _, _, x0, y0, flip_x, flip_y = kernel
        cols, rows = _outside(np.arange(x0, x0 + out_w, dtype=np.int64), W), _outside(np.arange(y0, y0 + out_h, dtype=np.int64), H)
        return (cols[::-1].copy() if flip_x else cols), (rows[::-1].copy() if flip_y else rows)
    if code == RESIZE:  # the window resized (nearest), then the flips
        _, _, x0, y0, x1, y1, _, flip_x, flip_y = kernel
        cols, rows = x0 + _resize_map(x1 - x0, out_w), y0 + _resize_map(y1 - y0, out_h)
        return (cols[::-1].copy() if flip_x else cols), (rows[::-1].copy() if flip_y else rows)
    if code == PLACE:  # the whole source resized (nearest) onto [ox0, ox1) x [oy0, oy1), flipped there; border around
        _, _, ox0, oy0, ox1, oy1, _, flip_x, flip_y = kernel
        cols, rows = np.full(out_w, -1, np.int64), np.full(out_h, -1, np.int64)
        inner_x, inner_y = _resize_map(W, ox1 - ox0), _resize_map(H, oy1 - oy0)
        cols[ox0:ox1] = inner_x[::-1] if flip_x else inner_x
        rows[oy0:oy1] = inner_y[::-1] if flip_y else inner_y
        return cols, rows
    return None


# plane dtypes the general (warpAffine) planar path takes: uint8, and bool (warp_mask warps it as uint8)
_GENERAL_PLANE_DTYPES = frozenset({np.dtype(np.uint8), np.dtype(np.bool_)})


def _general_map(matrix: np.ndarray, in_shape: tuple[int, int], out_shape: tuple[int, int]) -> np.ndarray | None:
    """For ``warp_mask`` of a uint8 plane whose kernel is a warpAffine (nearest, constant border): the flat
    source index ``row * W + col`` every output pixel reads (-1: the border), as OpenCV computes it: the flat
    index plus one (0 for the border), byte by byte as uint8 planes, each warped exactly as a uint8 plane is
    (same call: footprint crop, matrix, flags, border). OpenCV 5's nearest warp rounds ties differently from
    row to row (and for 1 and 4 channels), so the map is read whole rather than derived per axis. None when
    the warp is projective."""
    H, W = int(in_shape[0]), int(in_shape[1])
    out_h, out_w = int(out_shape[0]), int(out_shape[1])
    if H * W >= 2**31 - 1:
        return None
    box = _footprint((H, W), matrix, (out_h, out_w), True)
    fx0, fy0, fx1, fy1 = box if box is not None else (0, 0, W, H)
    m = to_pixel_centre(matrix @ translation(fx0, fy0) if box is not None else matrix)
    if not is_affine(m):
        return None
    index = (np.arange(fy0, fy1, dtype=np.int32)[:, None] * W + np.arange(fx0 + 1, fx1 + 1, dtype=np.int32)[None, :])
    flat = np.zeros((out_h, out_w), np.int32)
    shift = 0
    while H * W >> shift:  # every byte the largest index has
        byte = np.ascontiguousarray((index >> shift) & 0xFF).astype(np.uint8)
        moved = cv2.warpAffine(byte, m[:2], (out_w, out_h), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        flat |= moved.astype(np.int32) << shift if shift else moved
        shift += 8
    flat -= 1
    return flat


def _gather_planes(planes: list[np.ndarray], boxes: list[Box | None], matrix: np.ndarray, flat: np.ndarray) -> tuple[list[np.ndarray], list[Box]]:
    """``out[y, x] = plane.flat[flat[y, x]]`` (0 where -1) for each plane that is zero outside its box,
    computed only over the output rectangle the box lands on (its corners, widened a pixel, moved by
    ``matrix``, plus a pixel of margin: every output pixel whose nearest source pixel lies in the box;
    outside it the plane reads zeros)."""
    out_h, out_w = flat.shape
    outs: list[np.ndarray] = []
    out_boxes: list[Box] = []
    for plane, box in zip(planes, boxes):
        H, W = plane.shape
        x0, y0, x1, y1 = box if box is not None else nonzero_box(plane)
        out = np.zeros((out_h, out_w), plane.dtype)
        if x1 > x0 and y1 > y0:
            corners = np.array([[x0 - 1, y0 - 1], [x1 + 1, y0 - 1], [x1 + 1, y1 + 1], [x0 - 1, y1 + 1]], dtype=np.float64)
            moved = apply_to_points(matrix, corners)
            c0, r0 = (max(0, math.floor(v) - 1) for v in moved.min(axis=0).tolist())
            c1, r1 = (math.ceil(v) + 1 for v in moved.max(axis=0).tolist())
            c1, r1 = min(out_w, c1), min(out_h, r1)
            if c1 > c0 and r1 > r0:
                index = flat[r0:r1, c0:c1]
                if x1 < W or y1 < H:  # the last pixel is outside the box, so zero: -1 (the border) reads it
                    out[r0:r1, c0:c1] = plane.ravel().take(index)
                else:
                    out[r0:r1, c0:c1] = np.where(index >= 0, plane.ravel().take(np.maximum(index, 0)), 0)
                outs.append(out)
                out_boxes.append((c0, r0, c1, r1))
                continue
        outs.append(out)
        out_boxes.append(_EMPTY_BOX)
    return outs, out_boxes


def _is_zero(fill: float | tuple[float, ...]) -> bool:
    values = np.atleast_1d(np.asarray(fill, dtype=np.float64))
    return values.size == 1 and float(values[0]) == 0.0


def remap_planes(planes: list[np.ndarray], boxes: list[Box | None], cols: np.ndarray, rows: np.ndarray) -> tuple[list[np.ndarray], list[Box]]:
    """``out[y, x] = plane[rows[y], cols[x]]`` (0 where an index is -1) for each 2-D plane that is zero
    outside its box (None: found first): only the output rows and columns whose source lies in the box are
    read, the rest of each output is zeros. Returns the planes and a box each (zero outside it)."""
    out_h, out_w = len(rows), len(cols)
    outs: list[np.ndarray] = []
    out_boxes: list[Box] = []
    for plane, box in zip(planes, boxes):
        x0, y0, x1, y1 = box if box is not None else nonzero_box(plane)
        out = np.zeros((out_h, out_w), plane.dtype)
        if x1 > x0 and y1 > y0:
            cs = np.flatnonzero((cols >= x0) & (cols < x1))
            rs = np.flatnonzero((rows >= y0) & (rows < y1))
            if len(cs) and len(rs):
                c0, c1, r0, r1 = int(cs[0]), int(cs[-1]) + 1, int(rs[0]), int(rs[-1]) + 1
                if c1 - c0 == len(cs) and r1 - r0 == len(rs):  # monotone maps: one rectangle
                    out[r0:r1, c0:c1] = plane[rows[r0:r1, None], cols[None, c0:c1]]
                else:
                    out[np.ix_(rs, cs)] = plane[np.ix_(rows[rs], cols[cs])]
                outs.append(out)
                out_boxes.append((c0, r0, c1, r1))
                continue
        outs.append(out)
        out_boxes.append(_EMPTY_BOX)
    return outs, out_boxes


def warp_planes(
    planes: list[np.ndarray], boxes: list[Box | None], matrix: np.ndarray, out_shape: tuple[int, int], border_mode: str = "constant", fill: float = 0, kernel: tuple | None = None
) -> tuple[list[np.ndarray], list[Box | None]]:
    """``warp_mask`` of each 2-D instance-mask plane, with the same result: with a constant border of 0 and a
    separable kernel (``plane_maps``) only the part of each output its nonzero box lands on is computed (an
    instance is mostly zeros); otherwise each whole plane is warped. Returns the planes and their boxes
    (None: unknown)."""
    if not planes:
        return [], []
    in_shape = planes[0].shape[:2]
    if border_mode == "constant" and _is_zero(fill):
        if kernel is None or kernel[0] != in_shape:
            kernel = classify(matrix, in_shape, out_shape)
        maps = plane_maps(matrix, in_shape, out_shape, kernel)
        if maps is not None:
            outs, out_boxes = remap_planes(planes, boxes, *maps)
            return outs, list(out_boxes)
        if kernel[1] == GENERAL and planes[0].dtype in _GENERAL_PLANE_DTYPES:
            flat = _general_map(matrix, in_shape, out_shape)
            if flat is not None:
                outs, out_boxes = _gather_planes(planes, boxes, matrix, flat)
                return outs, list(out_boxes)
    return [warp_mask(p[:, :, None], matrix, out_shape, border_mode, fill, kernel)[:, :, 0] for p in planes], [None] * len(planes)


# ---- points ------------------------------------------------------------------------------------------------


def apply_to_points(matrix: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Map (N, 2) continuous points by a 3x3 matrix (projective division included)."""
    if len(xy) == 0:
        return xy.copy()
    out = xy @ matrix[:2, :2].T + matrix[:2, 2]
    if not is_affine(matrix):
        w = xy @ matrix[2, :2] + matrix[2, 2]
        out = out / w[:, None]
    return out


BOX_MODES = ("corners", "ellipse")


def apply_to_boxes(matrix: np.ndarray, boxes: np.ndarray, mode: str = "corners") -> np.ndarray:
    """Move (N, 4) xyxy boxes by a 3x3 matrix.

    ``"corners"`` (default, as albumentations' ``largest_box``): the enclosing axis-aligned box of
    the four mapped corners; never cuts the object, but grows under rotation. ``"ellipse"``: the
    enclosing box of the mapped inscribed ellipse (64 points); tighter for roundish objects
    (albumentations' ``rotate_method="ellipse"``). Identical for flips, crops and resizes.
    """
    if len(boxes) == 0:
        return boxes.copy()
    x0, y0, x1, y1 = boxes.T
    if mode == "ellipse" and not is_axis_aligned(matrix):
        t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
        cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
        pts = np.stack([cx[:, None] + rx[:, None] * np.cos(t), cy[:, None] + ry[:, None] * np.sin(t)], axis=2)
        mapped = apply_to_points(matrix, pts.reshape(-1, 2)).reshape(len(boxes), -1, 2)
    else:
        corners = np.stack([np.stack([x0, y0], 1), np.stack([x1, y0], 1), np.stack([x1, y1], 1), np.stack([x0, y1], 1)], 1)
        mapped = apply_to_points(matrix, corners.reshape(-1, 2)).reshape(-1, 4, 2)
    return np.concatenate([mapped.min(axis=1), mapped.max(axis=1)], axis=1)


def apply_to_keypoints(matrix: np.ndarray, kps: np.ndarray) -> np.ndarray:
    """Move (N, 4) keypoints (x, y, angle, scale): positions by the matrix, angle and scale by its
    local Jacobian applied to the keypoint's direction vector."""
    if len(kps) == 0:
        return kps.copy()
    out = kps.copy()
    xy = kps[:, :2]
    out[:, :2] = apply_to_points(matrix, xy)
    direction = np.stack([np.cos(kps[:, 2]), np.sin(kps[:, 2])], axis=1)
    step = 1e-3
    tip = apply_to_points(matrix, xy + step * direction)
    delta = (tip - out[:, :2]) / step
    out[:, 2] = np.arctan2(delta[:, 1], delta[:, 0])
    out[:, 3] = kps[:, 3] * np.hypot(delta[:, 0], delta[:, 1])
    return out


# ---- matrix builders ---------------------------------------------------------------------------------------


_EYE = np.eye(3)


def affine_matrix(a: float = 1.0, b: float = 0.0, c: float = 0.0, d: float = 0.0, e: float = 1.0, f: float = 0.0) -> np.ndarray:
    """The affine matrix [[a, b, c], [d, e, f], [0, 0, 1]] (a copy of a cached identity plus item sets:
    ~3x cheaper than np.array of nested lists, which matters at a few microseconds per call)."""
    m = _EYE.copy()
    m[0, 0], m[0, 1], m[0, 2], m[1, 0], m[1, 1], m[1, 2] = a, b, c, d, e, f
    return m


def translation(tx: float, ty: float) -> np.ndarray:
    m = _EYE.copy()  # (affine_matrix with two item sets instead of six: crops build one per call)
    m[0, 2], m[1, 2] = tx, ty
    return m


def scaling(sx: float, sy: float) -> np.ndarray:
    return affine_matrix(a=sx, e=sy)


_FLIPS: dict[tuple[int, int], np.ndarray] = {}


def _cached_flip(axis: int, size: int) -> np.ndarray:
    """Flip matrices are requested every call for the same few sizes: cache them read-only (nothing
    in the engine writes to a step's matrix; a write would raise instead of corrupting the cache)."""
    m = _FLIPS.get((axis, size))
    if m is None:
        if len(_FLIPS) > 256:
            _FLIPS.clear()
        m = affine_matrix(a=-1.0, c=size) if axis == 0 else affine_matrix(e=-1.0, f=size)
        m.setflags(write=False)
        _FLIPS[(axis, size)] = m
    return m


def hflip_matrix(width: int) -> np.ndarray:
    """Mirror left-right on a canvas ``width`` wide (a cached read-only array)."""
    return _cached_flip(0, int(width))


def vflip_matrix(height: int) -> np.ndarray:
    """Mirror top-bottom on a canvas ``height`` tall (a cached read-only array)."""
    return _cached_flip(1, int(height))


def crop_resize_matrix(x0: float, y0: float, crop_w: float, crop_h: float, out_w: int, out_h: int) -> np.ndarray:
    """Matrix taking the continuous window [x0, x0+crop_w) x [y0, y0+crop_h) onto an out_w x out_h canvas."""
    sx, sy = out_w / crop_w, out_h / crop_h
    return affine_matrix(a=sx, c=-x0 * sx, e=sy, f=-y0 * sy)


def is_exact(matrix: np.ndarray) -> bool:
    """True when the matrix is a pure index remap (flips, 90-degree turns, integer shifts): no interpolation."""
    (a, b, tx), (c, d, ty), (g, h, k) = matrix.tolist()
    if abs(g) > _EPS or abs(h) > _EPS or abs(k - 1) > _EPS:
        return False
    diagonal = abs(b) < _EPS and abs(c) < _EPS and abs(abs(a) - 1) < _EPS and abs(abs(d) - 1) < _EPS
    anti = abs(a) < _EPS and abs(d) < _EPS and abs(abs(b) - 1) < _EPS and abs(abs(c) - 1) < _EPS
    return (diagonal or anti) and _near_int(tx) and _near_int(ty)

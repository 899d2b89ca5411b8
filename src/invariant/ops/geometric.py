"""Geometric kernels: warp an array by a 3x3 matrix in continuous coordinates, choosing the
cheapest exact implementation for the matrix at hand (view, slice+resize, affine, projective).

Convention: matrices map continuous output-independent coordinates ``(x, y, 1)`` of the input
to the output, where pixel column ``i`` spans ``[i, i + 1)``. OpenCV samples at pixel centres,
so kernels conjugate by a half-pixel shift before calling it.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

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
}

_EPS = 1e-9
HALF = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]], dtype=np.float64)
HALF_INV = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]], dtype=np.float64)


def to_pixel_centre(matrix: np.ndarray) -> np.ndarray:
    """Continuous-coordinate matrix -> the matrix OpenCV expects (pixel-centre coordinates)."""
    return HALF_INV @ matrix @ HALF


def is_affine(matrix: np.ndarray) -> bool:
    r = matrix[2].tolist()
    return abs(r[0]) < _EPS and abs(r[1]) < _EPS and abs(r[2] - 1) < _EPS


def inverse(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a 3x3 matrix (closed form: ~10x faster than np.linalg.inv for one small matrix).
    Raises ``np.linalg.LinAlgError`` when singular."""
    (a, b, c), (d, e, f), (g, h, k) = matrix.tolist()
    A, B, C = e * k - f * h, -(d * k - f * g), d * h - e * g
    det = a * A + b * B + c * C
    if abs(det) < 1e-300:
        raise np.linalg.LinAlgError("singular matrix")
    return np.array(
        [[A, -(b * k - c * h), b * f - c * e], [B, a * k - c * g, -(a * f - c * d)], [C, -(a * h - b * g), a * e - b * d]]
    ) / det


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

    ``pad3``: run 3-channel chunks as 4 channels (a padded copy, then the pad dropped). OpenCV's
    warps and remaps have a vectorised 4-channel path: for uint8 this halves a 3-channel warp's time
    even with the two conversions, with bit-identical results (tested)."""
    channels = image.shape[2]
    fill_all = fill_vector(fill, channels, np.float64)
    if channels <= 4:
        return _run_chunk(image, tuple(float(v) for v in fill_all), call, pad3)
    parts = []
    for a, b in _chunks(image):
        chunk = np.ascontiguousarray(image[:, :, a:b])
        parts.append(_run_chunk(chunk, tuple(float(v) for v in fill_all[a:b]), call, pad3))
    return np.concatenate(parts, axis=2)


def _run_chunk(chunk: np.ndarray, fill: tuple[float, ...], call, pad3: bool) -> np.ndarray:
    channels = chunk.shape[2]
    if pad3 and channels == 3:
        out = call(cv2.cvtColor(chunk, cv2.COLOR_RGB2RGBA), fill + (0.0,))
        return cv2.cvtColor(out, cv2.COLOR_RGBA2RGB)
    return _restore_channels(call(chunk, fill + (0.0,) * (4 - channels)), channels)


def _integer_source_window(matrix: np.ndarray, out_h: int, out_w: int):
    """If ``matrix`` is a pure flip/integer-translation, return the source window and flips."""
    (a, b, tx), (d, e, ty), (g, h, k) = matrix.tolist()  # Python floats: far cheaper than numpy scalars
    if abs(g) > _EPS or abs(h) > _EPS or abs(k - 1) > _EPS or abs(b) > _EPS or abs(d) > _EPS:
        return None
    if abs(abs(a) - 1) > _EPS or abs(abs(e) - 1) > _EPS:
        return None
    if abs(tx - round(tx)) > 1e-6 or abs(ty - round(ty)) > 1e-6:
        return None
    # output x_o = a * x_i + tx  ->  input window start (continuous) for output column 0
    flip_x, flip_y = a < 0, e < 0
    x0 = int(round(-tx)) if not flip_x else int(round(tx - out_w))
    y0 = int(round(-ty)) if not flip_y else int(round(ty - out_h))
    return x0, y0, flip_x, flip_y


def _window(image: np.ndarray, x0: int, y0: int, w: int, h: int, border: int, fill) -> np.ndarray:
    """image[y0:y0+h, x0:x0+w] with out-of-bounds parts filled by the border rule."""
    H, W = image.shape[:2]
    if x0 >= 0 and y0 >= 0 and x0 + w <= W and y0 + h <= H:
        return image[y0 : y0 + h, x0 : x0 + w]
    top, left = max(0, -y0), max(0, -x0)
    bottom, right = max(0, y0 + h - H), max(0, x0 + w - W)
    inner = image[max(0, y0) : min(H, y0 + h), max(0, x0) : min(W, x0 + w)]
    if inner.size == 0 or border == cv2.BORDER_CONSTANT:
        out = np.empty((h, w) + image.shape[2:], dtype=image.dtype)
        out[...] = fill_vector(fill, image.shape[2], image.dtype)
        if inner.size:
            out[top : top + inner.shape[0], left : left + inner.shape[1]] = inner
        return out
    return _per_chunk(
        np.ascontiguousarray(inner), fill, lambda c, f: cv2.copyMakeBorder(c, top, bottom, left, right, border, value=f)
    )


# element sizes (channels * itemsize, bytes) cv2.transpose handles
_CV_TRANSPOSE_SIZES = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32}


def _transpose(image: np.ndarray) -> np.ndarray:
    """Contiguous HWC transpose (OpenCV when it supports the element size: ~15x faster than numpy)."""
    channels = image.shape[2]
    if channels * image.itemsize in _CV_TRANSPOSE_SIZES and channels <= 4:
        return _restore_channels(cv2.transpose(image), channels)
    return np.ascontiguousarray(image.transpose(1, 0, 2))


def _flip(image: np.ndarray, flip_x: bool, flip_y: bool) -> np.ndarray:
    """Contiguous copy of ``image`` mirrored as asked (cv2.flip; a plain copy when no flip)."""
    if not (flip_x or flip_y):
        return np.ascontiguousarray(image)
    code = -1 if flip_x and flip_y else (1 if flip_x else 0)
    if image.shape[2] <= 4:
        return _restore_channels(cv2.flip(image, code), image.shape[2])
    out = image[:, ::-1] if flip_x else image
    return np.ascontiguousarray(out[::-1] if flip_y else out)


def transpose_matrix() -> np.ndarray:
    """Swap x and y (a transpose of the pixel grid; its own inverse)."""
    return np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]], dtype=np.float64)


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


def _crop_to_footprint(image: np.ndarray, matrix: np.ndarray, out_shape: tuple[int, int], constant: bool):
    """Slice the source to the bounding box of what the output canvas samples (plus the kernel's
    reach), so per-call work (channel padding, pre-shrinks, cache traffic) scales with what is read.
    Only when no border rule can read pixels outside the box: the border is constant (sides that
    reach the image edge are then kept whole), or the footprint lies inside the image."""
    H, W = image.shape[:2]
    out_h, out_w = out_shape
    inv = inverse(matrix)
    corners = np.array([[0, 0, 1], [out_w, 0, 1], [out_w, out_h, 1], [0, out_h, 1]], dtype=np.float64) @ inv.T
    if (corners[:, 2] <= 1e-9).any():
        return image, matrix
    pts = corners[:, :2] / corners[:, 2:3]
    x0 = max(0, int(math.floor(pts[:, 0].min())) - _KERNEL_MARGIN)
    y0 = max(0, int(math.floor(pts[:, 1].min())) - _KERNEL_MARGIN)
    x1 = min(W, int(math.ceil(pts[:, 0].max())) + _KERNEL_MARGIN)
    y1 = min(H, int(math.ceil(pts[:, 1].max())) + _KERNEL_MARGIN)
    if x1 <= x0 or y1 <= y0 or (x1 - x0) * (y1 - y0) > 0.8 * W * H:
        return image, matrix
    if not constant and (pts[:, 0].min() < _KERNEL_MARGIN or pts[:, 1].min() < _KERNEL_MARGIN or pts[:, 0].max() > W - _KERNEL_MARGIN or pts[:, 1].max() > H - _KERNEL_MARGIN):
        return image, matrix
    return image[y0:y1, x0:x1], matrix @ translation(x0, y0)


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


def warp(
    image: np.ndarray,
    matrix: np.ndarray,
    out_shape: tuple[int, int],
    interpolation: str = "linear",
    border_mode: str = "constant",
    fill: float | tuple[float, ...] = 0,
    min_scale: float | None = None,
) -> np.ndarray:
    """Resample HWC ``image`` so that input point p lands at ``matrix @ p`` on an ``out_shape`` canvas.

    Picks the cheapest exact kernel: identity -> same array; flips, integer crops, transposes and
    90-degree turns -> slicing/transposing views made contiguous; axis-aligned scaling over an integer
    window -> one ``cv2.resize``; otherwise ``warpAffine`` / ``warpPerspective``.

    ``min_scale``: anti-aliasing. Axes the matrix shrinks below this factor are first shrunk with
    INTER_AREA (a resize uses INTER_AREA outright). Default: 1.0 for ``interpolation="area"`` (area
    averaging whenever shrinking, also for rotations), else 0 (OpenCV's plain kernels, as
    albumentations). The planner raises it for fused runs that shrink more than their steps did.
    Returns a contiguous HWC array of the input dtype.
    """
    if min_scale is None:
        min_scale = 1.0 if interpolation == "area" else 0.0
    out_h, out_w = int(out_shape[0]), int(out_shape[1])
    H, W = image.shape[:2]
    border = BORDER_MODES[border_mode]
    if (out_h, out_w) == (H, W) and is_identity(matrix):
        return image
    if is_transposing(matrix):
        # p_out = M p_in = (M T) p_t with p_t the transposed image's coordinates: a diagonal problem
        diagonal = matrix @ transpose_matrix()
        window = _integer_source_window(diagonal, out_h, out_w)
        if window is not None:  # crop the source window (axes swapped), then transpose + flip in OpenCV
            x0, y0, flip_x, flip_y = window
            src = _window(image, y0, x0, out_h, out_w, border, fill)
            return _flip(_transpose(src), flip_x, flip_y)
        out = warp(image.transpose(1, 0, 2), diagonal, out_shape, interpolation, border_mode, fill, min_scale)
        return np.ascontiguousarray(out)
    window = _integer_source_window(matrix, out_h, out_w)
    if window is not None:
        x0, y0, flip_x, flip_y = window
        return _flip(_window(image, x0, y0, out_w, out_h, border, fill), flip_x, flip_y)
    if is_axis_aligned(matrix) and matrix[0, 0] > 0 and matrix[1, 1] > 0:
        sx, sy, tx, ty = matrix[0, 0], matrix[1, 1], matrix[0, 2], matrix[1, 2]
        x0, y0 = -tx / sx, -ty / sy
        x1, y1 = x0 + out_w / sx, y0 + out_h / sy
        if all(_near_int(v) for v in (x0, y0, x1, y1)):
            x0, y0, x1, y1 = (int(round(v)) for v in (x0, y0, x1, y1))
            if x0 >= 0 and y0 >= 0 and x1 <= W and y1 <= H and x1 > x0 and y1 > y0:
                kind = interpolation
                if interpolation != "nearest" and min(sx, sy) < min_scale:
                    kind = "area"
                return resize(image[y0:y1, x0:x1], (out_h, out_w), kind)
    image, matrix = _crop_to_footprint(image, matrix, (out_h, out_w), border == cv2.BORDER_CONSTANT)
    if min_scale > 0 and interpolation != "nearest":
        image, matrix = _antialias(image, matrix, (out_h, out_w), min_scale)
    m = to_pixel_centre(matrix)
    flags = INTERPOLATIONS[interpolation]
    if interpolation == "nearest":
        flags = cv2.INTER_NEAREST
    elif interpolation == "area":  # warps have no area kernel; the pre-shrink above did the averaging
        flags = cv2.INTER_LINEAR
    if image.strides[2] != image.itemsize or image.strides[1] != image.itemsize * image.shape[2]:
        image = np.ascontiguousarray(image)  # OpenCV takes row-strided views, not pixel-strided ones
    if is_affine(m):
        call = lambda c, f: cv2.warpAffine(c, m[:2], (out_w, out_h), flags=flags, borderMode=border, borderValue=f)
    else:
        call = lambda c, f: cv2.warpPerspective(c, m, (out_w, out_h), flags=flags, borderMode=border, borderValue=f)
    return _per_chunk(image, fill, call, pad3=True)


def resize(image: np.ndarray, out_shape: tuple[int, int], interpolation: str = "linear") -> np.ndarray:
    """Resize an HWC array to ``out_shape`` (h, w); nearest uses the pixel-centre-exact variant."""
    out_h, out_w = out_shape
    if image.shape[:2] == (out_h, out_w):
        return np.ascontiguousarray(image)
    flag = cv2.INTER_NEAREST_EXACT if interpolation == "nearest" else INTERPOLATIONS[interpolation]
    channels = image.shape[2]
    if channels <= 4:
        out = cv2.resize(np.ascontiguousarray(image), (out_w, out_h), interpolation=flag)
        return _restore_channels(out, channels)
    # some OpenCV kernels (INTER_AREA downscaling) accept at most 4 channels: resize in chunks
    return np.concatenate([_restore_channels(cv2.resize(np.ascontiguousarray(image[:, :, a:b]), (out_w, out_h), interpolation=flag), b - a) for a, b in _chunks(image)], axis=2)


# ---- mask dtype handling: OpenCV has no int64/bool support -------------------------------------------------

_MASK_VIA = {np.dtype(np.int64): np.int32, np.dtype(np.bool_): np.uint8, np.dtype(np.int8): np.int16, np.dtype(np.uint32): np.float64}


def warp_mask(mask: np.ndarray, matrix: np.ndarray, out_shape: tuple[int, int], border_mode: str = "constant", fill: float = 0) -> np.ndarray:
    """Nearest-neighbour warp of an HWC label mask; no new label value can appear."""
    via = _MASK_VIA.get(mask.dtype)
    work = mask.astype(via) if via is not None else mask
    out = warp(work, matrix, out_shape, "nearest", border_mode, fill)
    return out.astype(mask.dtype) if via is not None else out


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


def translation(tx: float, ty: float) -> np.ndarray:
    return np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]], dtype=np.float64)


def scaling(sx: float, sy: float) -> np.ndarray:
    return np.array([[sx, 0, 0], [0, sy, 0], [0, 0, 1]], dtype=np.float64)


def hflip_matrix(width: int) -> np.ndarray:
    return np.array([[-1, 0, width], [0, 1, 0], [0, 0, 1]], dtype=np.float64)


def vflip_matrix(height: int) -> np.ndarray:
    return np.array([[1, 0, 0], [0, -1, height], [0, 0, 1]], dtype=np.float64)


def crop_resize_matrix(x0: float, y0: float, crop_w: float, crop_h: float, out_w: int, out_h: int) -> np.ndarray:
    """Matrix taking the continuous window [x0, x0+crop_w) x [y0, y0+crop_h) onto an out_w x out_h canvas."""
    return scaling(out_w / crop_w, out_h / crop_h) @ translation(-x0, -y0)


def is_exact(matrix: np.ndarray) -> bool:
    """True when the matrix is a pure index remap (flips, 90-degree turns, integer shifts): no interpolation."""
    (a, b, tx), (c, d, ty), (g, h, k) = matrix.tolist()
    if abs(g) > _EPS or abs(h) > _EPS or abs(k - 1) > _EPS:
        return False
    diagonal = abs(b) < _EPS and abs(c) < _EPS and abs(abs(a) - 1) < _EPS and abs(abs(d) - 1) < _EPS
    anti = abs(a) < _EPS and abs(d) < _EPS and abs(abs(b) - 1) < _EPS and abs(abs(c) - 1) < _EPS
    return (diagonal or anti) and _near_int(tx) and _near_int(ty)

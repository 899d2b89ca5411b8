"""Displacement-field kernels: non-rigid warps (elastic, grid, optical) as dense sampling maps.

A *field* is a pair ``(map_x, map_y)`` of float32 arrays with the OUTPUT canvas shape, in OpenCV's
pixel-index convention: output pixel ``(i, j)`` (centre at continuous ``(j + 0.5, i + 0.5)``) takes
its value from input pixel-index position ``(map_x[i, j], map_y[i, j])`` (continuous ``+ 0.5``).
Images and masks are resampled with one ``cv2.remap``; keypoints follow by locally inverting the
field (coarse search, then Newton steps); boxes follow as the extent of the output pixels whose
source lies inside the box (a mask-of-box, computed without drawing a mask).
"""

from __future__ import annotations

import cv2
import numpy as np

from ..core.errors import value_error
from .geometric import BORDER_MODES, INTERPOLATIONS, _MASK_VIA, _per_chunk, clip_overshoot, resize

# ---- generating fields ---------------------------------------------------------------------------------------


def identity_field(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The field that leaves an ``shape`` (h, w) image unchanged."""
    h, w = shape
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return xs, ys


def elastic_field(shape: tuple[int, int], alpha: float, sigma: float, seed: int, same_dxdy: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Simard et al. (2003) elastic field: uniform(-1, 1) noise per pixel, Gaussian-smoothed with
    ``sigma``, scaled by ``alpha`` (albumentations' ``noise_distribution="uniform"``).

    For ``sigma >= 6`` the noise is drawn and smoothed on a grid ``f = sigma // 3`` times coarser and
    upsampled bilinearly, its amplitude corrected by ``1 / f`` so the displacement RMS
    (``alpha * sqrt(1/3) / (2 sqrt(pi) sigma)`` per axis) is unchanged: the smoothed field has no
    detail finer than ``sigma`` anyway, and the blur costs about ``f**3`` times less.
    """
    h, w = shape
    rng = np.random.default_rng(seed)
    factor = max(1, int(sigma // 3))
    gh, gw = max(2, -(-h // factor)), max(2, -(-w // factor))
    n = 1 if same_dxdy else 2
    noise = rng.random((gh * n, gw), dtype=np.float32)
    noise *= 2
    noise -= 1
    fields = []
    for k in range(n):
        part = noise[k * gh : (k + 1) * gh]
        smooth = cv2.GaussianBlur(part, (0, 0), sigma / factor, borderType=cv2.BORDER_REPLICATE)
        if factor > 1:
            smooth = cv2.resize(smooth, (w, h), interpolation=cv2.INTER_LINEAR)
        smooth *= np.float32(alpha / factor)
        fields.append(smooth)
    dx, dy = (fields[0], fields[0]) if same_dxdy else (fields[0], fields[1])
    dx += np.arange(w, dtype=np.float32)[None, :]
    if same_dxdy:
        dy = dy - np.arange(w, dtype=np.float32)[None, :]
    dy += np.arange(h, dtype=np.float32)[:, None]
    return dx, dy


def grid_field(shape: tuple[int, int], steps_x: list[float], steps_y: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Grid distortion: the canvas is cut into ``len(steps)`` equal cells per axis; output cell ``k``
    shows a source span ``steps[k]`` times as wide (normalised so the spans tile the image), linearly
    interpolated inside each cell (albumentations' ``GridDistortion(normalized=True)``)."""
    h, w = shape

    def axis(n_px: int, steps: list[float]) -> np.ndarray:
        steps_arr = np.asarray(steps, dtype=np.float64)
        out_edges = np.linspace(0.0, n_px, len(steps_arr) + 1)
        src_edges = np.concatenate([[0.0], np.cumsum(steps_arr)]) / steps_arr.sum() * n_px
        centres = np.arange(n_px, dtype=np.float64) + 0.5
        return (np.interp(centres, out_edges, src_edges) - 0.5).astype(np.float32)

    xs, ys = axis(w, steps_x), axis(h, steps_y)
    return np.broadcast_to(xs[None, :], (h, w)).copy(), np.broadcast_to(ys[:, None], (h, w)).copy()


def optical_field(shape: tuple[int, int], k: float, mode: str = "camera") -> tuple[np.ndarray, np.ndarray]:
    """Radial lens distortion about the image centre, in coordinates normalised by the image size.

    ``"camera"``: source radius ``r * (1 + k r^2 + k r^4)`` (OpenCV's model with k1 = k2 = k, as
    albumentations' ``OpticalDistortion(mode="camera")``); ``"fisheye"``: ``r * (1 + k r^2)`` on
    coordinates normalised by the half-diagonal. ``k > 0`` is barrel, ``k < 0`` pincushion.
    """
    h, w = shape
    if mode == "camera":  # OpenCV evaluates exactly this model (C++, one pass); centre at continuous (w/2, h/2)
        cam = np.array([[w, 0, w / 2 - 0.5], [0, h, h / 2 - 0.5], [0, 0, 1]], dtype=np.float64)
        dist = np.array([k, k, 0, 0, 0], dtype=np.float64)
        return cv2.initUndistortRectifyMap(cam, dist, None, cam, (w, h), cv2.CV_32FC1)
    x = (np.arange(w, dtype=np.float32) + 0.5 - w / 2) / w
    y = (np.arange(h, dtype=np.float32) + 0.5 - h / 2) / h
    if mode == "fisheye":
        norm = np.float32(np.hypot(0.5, 0.5))
        x, y = x / norm, y / norm
    xx, yy = np.meshgrid(x, y)
    r2 = xx * xx + yy * yy
    factor = 1 + k * r2 if mode == "fisheye" else 1 + k * r2 + k * r2 * r2
    if mode == "fisheye":
        xx, yy = xx * norm, yy * norm
    map_x = (xx * factor) * w + (w / 2 - 0.5)
    map_y = (yy * factor) * h + (h / 2 - 0.5)
    return map_x.astype(np.float32), map_y.astype(np.float32)


def field_reveals(field: tuple[np.ndarray, np.ndarray], in_shape: tuple[int, int]) -> bool:
    """Does any output pixel sample outside the input canvas (so the border rule shows)?"""
    h, w = in_shape
    mx, my = field
    return bool(mx.min() < -0.5 or my.min() < -0.5 or mx.max() > w - 0.5 or my.max() > h - 0.5)


# ---- resampling -----------------------------------------------------------------------------------------------


def _map_scales(map_x: np.ndarray, map_y: np.ndarray) -> tuple[float, float]:
    """How many output pixels one input pixel spans along x and y, at the map's centre."""
    h, w = map_x.shape
    i, j = h // 2, w // 2
    i1, j1 = min(i + 1, h - 1), min(j + 1, w - 1)
    if i1 == i or j1 == j:
        return 1.0, 1.0
    jac = np.array([[map_x[i, j1] - map_x[i, j], map_x[i1, j] - map_x[i, j]], [map_y[i, j1] - map_y[i, j], map_y[i1, j] - map_y[i, j]]], dtype=np.float64)
    try:
        fwd = np.linalg.inv(jac)
    except np.linalg.LinAlgError:
        return 1.0, 1.0
    return float(np.hypot(*fwd[:, 0])), float(np.hypot(*fwd[:, 1]))


def remap(
    image: np.ndarray,
    map_x: np.ndarray,
    map_y: np.ndarray,
    interpolation: str = "linear",
    border_mode: str = "constant",
    fill: float | tuple[float, ...] = 0,
    min_scale: float = 0.0,
) -> np.ndarray:
    """Resample HWC ``image`` at the pixel-index positions ``(map_x, map_y)`` (one ``cv2.remap``).

    ``min_scale`` (fused chains that shrink): axes the maps shrink below it (measured at the centre)
    are first shrunk with INTER_AREA and the maps rescaled, so the result does not alias.
    """
    if min_scale > 0 and interpolation != "nearest":
        sx, sy = _map_scales(map_x, map_y)
        if sx < min_scale or sy < min_scale:
            H, W = image.shape[:2]
            new_w = max(1, int(round(W * sx / min_scale))) if sx < min_scale else W
            new_h = max(1, int(round(H * sy / min_scale))) if sy < min_scale else H
            image = resize(image, (new_h, new_w), "area")
            map_x = (map_x + np.float32(0.5)) * np.float32(new_w / W) - np.float32(0.5)
            map_y = (map_y + np.float32(0.5)) * np.float32(new_h / H) - np.float32(0.5)
    flags = cv2.INTER_LINEAR if interpolation == "area" else INTERPOLATIONS[interpolation]
    border = BORDER_MODES[border_mode]
    if not image.flags["C_CONTIGUOUS"]:
        image = np.ascontiguousarray(image)
    if max(image.shape[0], image.shape[1], map_x.shape[0], map_x.shape[1]) < _REMAP_LIMIT:
        out = _per_chunk(image, fill, lambda c, f: cv2.remap(c, map_x, map_y, flags, borderMode=border, borderValue=f), pad3=flags == cv2.INTER_LINEAR)
    else:
        out = _remap_tiled(image, map_x, map_y, flags, border, fill)
    return clip_overshoot(out, image, interpolation, fill if border_mode == "constant" else None)  # the float rule of ops.geometric


_REMAP_LIMIT = 32767  # cv2.remap asserts every side of its source and destination is below SHRT_MAX
_TILE = 8192  # output tile side for larger canvases
_REMAP_MARGIN = 5  # pixels beyond a sampled position any interpolation kernel reads (lanczos: 4)


def _axis_window(lo: float, hi: float, size: int, border: int) -> tuple[int, int]:
    """The source range [a, b) along one axis that a remap reading positions in [lo, hi] needs, such that
    cv2.remap on that window (maps shifted by ``a``) resolves every position, border rule included, to
    the same pixel as on the whole axis: a side of the window is the image's own edge wherever positions
    fall outside the image, and mirrored (reflect) or wrapped positions stay inside it."""
    # clamped into the axis: a tile whose positions all lie beyond one side still reads that side's edge
    # pixels (replicate), and its window is never empty (cv2.remap refuses an empty source)
    a = min(size - 1, max(0, int(np.floor(lo)) - _REMAP_MARGIN))
    b = max(1, min(size, int(np.ceil(hi)) + _REMAP_MARGIN + 1))
    outside_lo, outside_hi = lo - _REMAP_MARGIN < 0, hi + _REMAP_MARGIN + 1 > size
    if border == cv2.BORDER_WRAP and (outside_lo or outside_hi):
        return 0, size
    if border == cv2.BORDER_REFLECT_101:
        if outside_lo:  # -x reads x
            b = min(size, max(b, int(np.ceil(-lo)) + _REMAP_MARGIN + 1))
        if outside_hi:  # size - 1 + d reads size - 1 - d
            a = max(0, min(a, 2 * (size - 1) - int(np.ceil(hi)) - _REMAP_MARGIN))
    a -= a % 2  # an even shift: OpenCV rounds positions half to even, so shifted ties round the same way
    return a, max(b, a + 1)


def _remap_tiled(image: np.ndarray, map_x: np.ndarray, map_y: np.ndarray, flags: int, border: int, fill) -> np.ndarray:
    """``cv2.remap`` for canvases with a side of 32767 pixels or more (OpenCV stores coordinates in 16 bits):
    the output in tiles of at most ``_TILE`` pixels a side, each from the source window its maps reach
    (``_axis_window``), with its maps shifted into that window. A window that still does not fit (a field
    reaching across a whole long axis with ``border_mode="wrap"``, or displacements of 32767 pixels or
    more) is refused. Each output pixel reads exactly the source pixels and weights it would read untiled:
    shifting a float32 map down by a whole number is exact, and by an even one keeps how ties round."""
    H, W = image.shape[:2]
    h, w = map_x.shape
    out = np.empty((h, w, image.shape[2]), image.dtype)
    for r0 in range(0, h, _TILE):
        for c0 in range(0, w, _TILE):
            mx, my = map_x[r0 : r0 + _TILE, c0 : c0 + _TILE], map_y[r0 : r0 + _TILE, c0 : c0 + _TILE]
            x_lo, x_hi, y_lo, y_hi = float(mx.min()), float(mx.max()), float(my.min()), float(my.max())
            if not np.isfinite([x_lo, x_hi, y_lo, y_hi]).all():
                value_error("remap maps", "finite sampling positions", (x_lo, x_hi, y_lo, y_hi), "build the field from finite values")
            x0, x1 = _axis_window(x_lo, x_hi, W, border)
            y0, y1 = _axis_window(y_lo, y_hi, H, border)
            if max(x1 - x0, y1 - y0) >= _REMAP_LIMIT:
                value_error(
                    "remap",
                    f"a field whose {_TILE}x{_TILE} output tiles each read a source window under {_REMAP_LIMIT} pixels a side "
                    "(cv2.remap's limit)",
                    f"a window of {y1 - y0}x{x1 - x0} pixels for a {H}x{W} image",
                    "use border_mode='constant' or 'reflect' instead of 'wrap', smaller displacements, or crop the image first",
                )
            src = np.ascontiguousarray(image[y0:y1, x0:x1])
            sx, sy = mx - np.float32(x0), my - np.float32(y0)
            tile = _per_chunk(src, fill, lambda c, f: cv2.remap(c, sx, sy, flags, borderMode=border, borderValue=f), pad3=flags == cv2.INTER_LINEAR)
            out[r0 : r0 + mx.shape[0], c0 : c0 + mx.shape[1]] = tile
    return out


def remap_mask(mask: np.ndarray, map_x: np.ndarray, map_y: np.ndarray, border_mode: str = "constant", fill: float = 0) -> np.ndarray:
    """Nearest-neighbour remap of a label mask: no new label value can appear."""
    via = _MASK_VIA.get(mask.dtype)
    if mask.dtype in (np.dtype(np.int32), np.dtype(np.int64), np.dtype(np.uint32)):
        via = np.float64  # cv2.remap has no 32-bit integer support; float64 holds every int32 label exactly
    work = mask.astype(via) if via is not None else mask
    out = remap(work, map_x, map_y, "nearest", border_mode, fill)
    return out.astype(mask.dtype) if via is not None else out


# ---- annotations ----------------------------------------------------------------------------------------------


def _sampler(field: tuple[np.ndarray, np.ndarray]):
    """A function sampling both maps bilinearly (exact float weights) at float pixel-index positions,
    clamped to the map; vectorised over any number of positions."""
    mx, my = field
    h, w = mx.shape

    def sample(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.clip(x, 0, w - 1)
        y = np.clip(y, 0, h - 1)
        x0 = np.minimum(x.astype(np.int64), max(w - 2, 0))
        y0 = np.minimum(y.astype(np.int64), max(h - 2, 0))
        x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
        fx, fy = x - x0, y - y0
        w00, w01, w10, w11 = (1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy
        sx = mx[y0, x0] * w00 + mx[y0, x1] * w01 + mx[y1, x0] * w10 + mx[y1, x1] * w11
        sy = my[y0, x0] * w00 + my[y0, x1] * w01 + my[y1, x0] * w10 + my[y1, x1] * w11
        return sx, sy

    return sample


def invert_points(field: tuple[np.ndarray, np.ndarray], points: np.ndarray, iterations: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Forward-map (N, 2) continuous input points through a backward field: find output positions q
    with ``field(q) = p``. Coarse nearest search on a <=96-cell grid, then Newton steps with the
    field's local Jacobian (central differences). Returns (positions, jacobians of the backward map
    (N, 2, 2)); a point with no preimage on the canvas ends up outside it (extrapolated)."""
    mx, my = field
    h, w = mx.shape
    sample = _sampler(field)
    p = points - 0.5  # pixel-index coordinates
    stride = max(1, max(h, w) // 96)
    sub_x, sub_y = mx[::stride, ::stride], my[::stride, ::stride]
    dist = (sub_x[None] - p[:, 0, None, None].astype(np.float32)) ** 2 + (sub_y[None] - p[:, 1, None, None].astype(np.float32)) ** 2
    flat = dist.reshape(len(p), -1).argmin(axis=1)
    qy, qx = np.divmod(flat, sub_x.shape[1])
    q = np.stack([qx * stride, qy * stride], axis=1).astype(np.float64)
    e = 0.5
    offsets = np.array([[0, 0], [e, 0], [-e, 0], [0, e], [0, -e]])
    jac = np.tile(np.eye(2), (len(p), 1, 1))
    residual = np.zeros(p.shape, p.dtype)
    for it in range(iterations + 1):
        pts = q[:, None, :] + offsets[None]  # (N, 5, 2)
        fx, fy = sample(pts[..., 0], pts[..., 1])
        jac[:, 0, 0] = (fx[:, 1] - fx[:, 2]) / (2 * e)
        jac[:, 0, 1] = (fx[:, 3] - fx[:, 4]) / (2 * e)
        jac[:, 1, 0] = (fy[:, 1] - fy[:, 2]) / (2 * e)
        jac[:, 1, 1] = (fy[:, 3] - fy[:, 4]) / (2 * e)
        residual = np.stack([p[:, 0] - fx[:, 0], p[:, 1] - fy[:, 0]], axis=1)
        if it == iterations or np.abs(residual).max() < 1e-4:
            break
        step = _solve(jac, residual)
        inside = (q[:, 0] >= 0) & (q[:, 0] <= w - 1) & (q[:, 1] >= 0) & (q[:, 1] <= h - 1)
        # stay on the canvas while iterating; a point that wants to leave it is extrapolated below
        q = np.where(inside[:, None], np.clip(q + step, [0, 0], [w - 1, h - 1]), q)
    # a source point outside what the canvas shows: extrapolate (lands off-canvas, so it is removed/flagged)
    far = np.hypot(residual[:, 0], residual[:, 1]) > 0.5
    if far.any():
        pushed = q[far] + _solve(jac[far], residual[far])
        on_canvas = (pushed[:, 0] >= -0.5) & (pushed[:, 0] < w - 0.5) & (pushed[:, 1] >= -0.5) & (pushed[:, 1] < h - 0.5)
        # still on the canvas but with no true preimage (folded or hidden): move it just off the canvas
        pushed[on_canvas] = -1.0
        q[far] = pushed
    return q + 0.5, jac


def _solve(jac: np.ndarray, residual: np.ndarray) -> np.ndarray:
    """Per-point 2x2 solves (closed form); singular Jacobians fall back to the residual itself."""
    a, b, c, d = jac[:, 0, 0], jac[:, 0, 1], jac[:, 1, 0], jac[:, 1, 1]
    det = a * d - b * c
    ok = np.abs(det) > 1e-9
    safe = np.where(ok, det, 1.0)
    sx = (d * residual[:, 0] - b * residual[:, 1]) / safe
    sy = (-c * residual[:, 0] + a * residual[:, 1]) / safe
    return np.where(ok[:, None], np.stack([sx, sy], axis=1), residual)


def field_keypoints(field: tuple[np.ndarray, np.ndarray], kps: np.ndarray) -> np.ndarray:
    """Move (N, 4) keypoints (x, y, angle, scale) through a backward field: position by local
    inversion, angle and scale by the inverse of the field's Jacobian."""
    if len(kps) == 0:
        return kps.copy()
    out = kps.copy()
    q, jac = invert_points(field, kps[:, :2])
    out[:, :2] = q
    direction = np.stack([np.cos(kps[:, 2]), np.sin(kps[:, 2])], axis=1)
    moved = _solve(jac, direction)  # the forward Jacobian is the inverse of the field's
    out[:, 2] = np.arctan2(moved[:, 1], moved[:, 0])
    out[:, 3] = kps[:, 3] * np.hypot(moved[:, 0], moved[:, 1])
    return out


def field_boxes(field: tuple[np.ndarray, np.ndarray], boxes: np.ndarray) -> np.ndarray:
    """Move (N, 4) xyxy boxes through a backward field: the new box is the extent of the output
    pixels whose source position (pixel centre) lies inside the old box, i.e. the box of the warped
    box mask, at pixel resolution. A box whose source no output pixel samples becomes empty."""
    if len(boxes) == 0:
        return boxes.copy()
    mx, my = field
    h, w = mx.shape
    # output pixels sampling inside a box lie within the box grown by the largest displacement
    dx = float(np.abs(mx - np.arange(w, dtype=np.float32)[None, :]).max()) + 2
    dy = float(np.abs(my - np.arange(h, dtype=np.float32)[:, None]).max()) + 2
    out = np.zeros(boxes.shape, boxes.dtype)
    for n, (x0, y0, x1, y1) in enumerate(boxes):
        c0, c1 = max(0, int(x0 - dx)), min(w, int(np.ceil(x1 + dx)))
        r0, r1 = max(0, int(y0 - dy)), min(h, int(np.ceil(y1 + dy)))
        if c1 <= c0 or r1 <= r0:
            continue
        cx = mx[r0:r1, c0:c1] + np.float32(0.5)  # continuous source of each output pixel centre
        cy = my[r0:r1, c0:c1] + np.float32(0.5)
        inside = (cx >= x0) & (cx < x1) & (cy >= y0) & (cy < y1)
        cols = np.flatnonzero(inside.any(axis=0))
        if len(cols) == 0:
            continue
        rows = np.flatnonzero(inside[:, cols[0] : cols[-1] + 1].any(axis=1))
        out[n] = (c0 + cols[0], r0 + rows[0], c0 + cols[-1] + 1, r0 + rows[-1] + 1)
    return out

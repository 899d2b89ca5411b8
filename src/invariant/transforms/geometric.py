"""Rigid, affine and projective transforms on the geometry engine: each one only builds a 3x3 matrix
(continuous coordinates, pixel column i spans [i, i+1)) and an output canvas. Images, masks (nearest),
depth, boxes and keypoints follow generically, and consecutive ones fuse into one resampling.

Angles are degrees, positive = counter-clockwise on screen (OpenCV's ``getRotationMatrix2D`` and
albumentations' convention). Rotations, scales and shears act about the canvas centre ``(W/2, H/2)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.plan import Geometry
from ..core.transform import Params, SpatialTransform, as_range, check_choice
from ..ops import geometric as geo


def _centred(linear: np.ndarray, shape: tuple[int, int], tx: float = 0.0, ty: float = 0.0) -> np.ndarray:
    """``linear`` (2x2) acting about the canvas centre, then a translation by (tx, ty) pixels."""
    (a, b), (d, e) = np.asarray(linear, dtype=np.float64).tolist()
    return _centred_floats(a, b, d, e, shape, tx, ty)


def _centred_floats(a: float, b: float, d: float, e: float, shape: tuple[int, int], tx: float, ty: float) -> np.ndarray:
    """``_centred`` of the 2x2 ``[[a, b], [d, e]]`` given as Python floats."""
    h, w = shape
    cx, cy = w / 2, h / 2  # closed form in Python floats: T(c + t) @ L @ T(-c) without three small numpy products
    return geo.affine_matrix(a, b, cx + tx - (a * cx + b * cy), d, e, cy + ty - (d * cx + e * cy))


def rotation_linear(angle: float) -> np.ndarray:
    """2x2 rotation by ``angle`` degrees, counter-clockwise on screen (y points down)."""
    a = math.radians(angle)
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, s], [-s, c]])


def _xy_ranges(value: Any, argument: str, around: float, default_y: tuple[float, float] | None) -> tuple[tuple[float, float], tuple[float, float]]:
    """Read ``x``, ``(lo, hi)`` or ``{"x": ..., "y": ...}`` into an x range and a y range.
    A scalar or pair applies to x, and to y too unless ``default_y`` is given."""
    if isinstance(value, dict):
        unknown = set(value) - {"x", "y"}
        if unknown:
            value_error(argument, 'a dict with keys "x" and/or "y"', value, f"remove the keys {sorted(unknown)}")
        rx = as_range(value.get("x", around), f"{argument}['x']", around=around if around else 0.0)
        ry = as_range(value.get("y", around), f"{argument}['y']", around=around if around else 0.0)
        return rx, ry
    r = as_range(value, argument, around=around if around else 0.0)
    return r, (default_y if default_y is not None else r)


class _Geometric(SpatialTransform):
    """Shared options of the matrix transforms: the box mode for rotations/perspective."""

    _abstract = True

    def _init_geometric(self, box_mode: str) -> None:
        self.box_mode = check_choice(box_mode, "box_mode", geo.BOX_MODES)


class Rotate(_Geometric):
    """Rotate by an angle drawn uniformly from ``limit`` degrees about the centre, on the same canvas.

    ``crop_border=True`` then crops the largest axis-aligned rectangle holding no border pixels
    (the canvas shrinks, as albumentations' ``crop_border``). Boxes: ``box_mode="corners"`` (default,
    the enclosing box of the rotated corners) or ``"ellipse"`` (tighter for round objects).
    """

    def __init__(
        self,
        limit: float | tuple[float, float] = 90.0,
        interpolation: str = "linear",
        border_mode: str = "constant",
        fill: float | tuple[float, ...] = 0,
        fill_mask: float = 0,
        crop_border: bool = False,
        box_mode: str = "corners",
        p: float = 0.5,
    ) -> None:
        super().__init__(interpolation=interpolation, border_mode=border_mode, fill=fill, fill_mask=fill_mask, p=p)
        self.limit = as_range(limit, "limit", around=0.0)
        self.crop_border = bool(crop_border)
        self._init_geometric(box_mode)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"angle": float(rng.uniform(*self.limit))}

    batch_samples = True

    def sample_batch(self, bits: Any, rows: np.ndarray, sample: Any) -> dict[str, list]:
        return {"angle": bits.uniform(*self.limit, mask=rows).tolist()}

    def geometry(self, params: Params, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
        matrix = _centred(rotation_linear(params["angle"]), shape)
        if not self.crop_border:
            return matrix, shape
        h, w = shape
        # inscribed in the rotated canvas shrunk by half a pixel per side, so that no bilinear
        # footprint touches the border fill
        cw, ch = largest_rotated_rect(w - 1, h - 1, params["angle"])
        cw, ch = max(1, min(w, int(cw))), max(1, min(h, int(ch)))
        x0, y0 = (w - cw) // 2, (h - ch) // 2
        return geo.translation(-x0, -y0) @ matrix, (ch, cw)

    def effects(self) -> Effects:
        return Effects(geometric=True, max_rotation=max(abs(self.limit[0]), abs(self.limit[1])), rescales=self.crop_border)


def largest_rotated_rect(w: float, h: float, angle: float) -> tuple[float, float]:
    """Width and height of the largest axis-aligned rectangle inside a w x h rectangle rotated by
    ``angle`` degrees (the closed form of https://stackoverflow.com/a/16778797)."""
    a = math.radians(angle)
    sin_a, cos_a = abs(math.sin(a)), abs(math.cos(a))
    if w <= 0 or h <= 0:
        return 0.0, 0.0
    long_side, short_side = (w, h) if w >= h else (h, w)
    if short_side <= 2.0 * sin_a * cos_a * long_side or abs(sin_a - cos_a) < 1e-10:
        x = 0.5 * short_side
        wr, hr = (x / sin_a, x / cos_a) if w >= h else (x / cos_a, x / sin_a)
    else:
        cos_2a = cos_a * cos_a - sin_a * sin_a
        wr, hr = (w * cos_a - h * sin_a) / cos_2a, (h * cos_a - w * sin_a) / cos_2a
    return wr, hr


class Affine(_Geometric):
    """Scale, rotate, shear and translate about the centre: ``T @ Shear @ R @ S`` (albumentations' order).

    ``scale``: a factor or range (``keep_ratio=True``, the default, draws one factor for both axes;
    ``False`` or a ``{"x", "y"}`` dict draws them independently). ``translate_percent`` (fraction of
    width/height) or ``translate_px`` (integer pixels), a value, a range, or ``{"x", "y"}``.
    ``rotate`` degrees. ``shear`` degrees: a value/range shears x only (torchvision's reading);
    ``{"x": .., "y": ..}`` shears both. ``fit_output=True`` grows the canvas to hold the whole image.
    """

    def __init__(
        self,
        scale: float | tuple[float, float] | dict = 1.0,
        translate_percent: float | tuple[float, float] | dict | None = None,
        translate_px: int | tuple[int, int] | dict | None = None,
        rotate: float | tuple[float, float] = 0.0,
        shear: float | tuple[float, float] | dict = 0.0,
        interpolation: str = "linear",
        border_mode: str = "constant",
        fill: float | tuple[float, ...] = 0,
        fill_mask: float = 0,
        fit_output: bool = False,
        keep_ratio: bool = True,
        box_mode: str = "corners",
        p: float = 0.5,
    ) -> None:
        super().__init__(interpolation=interpolation, border_mode=border_mode, fill=fill, fill_mask=fill_mask, p=p)
        if isinstance(scale, (int, float)) and not isinstance(scale, bool):
            scale = (float(scale), float(scale))
        self.scale_x, self.scale_y = _xy_ranges(scale, "scale", 0.0, None)
        if min(self.scale_x[0], self.scale_y[0]) <= 0:
            value_error("scale", "positive scale factors", scale, "pass factors such as scale=(0.9, 1.1)")
        self.keep_ratio = bool(keep_ratio) and not isinstance(scale, dict)
        if translate_percent is not None and translate_px is not None:
            value_error("translate_px", "None when translate_percent is given", translate_px, "pass only one of translate_percent and translate_px")
        self.translate_percent = None if translate_percent is None else _xy_ranges(translate_percent, "translate_percent", 0.0, None)
        if translate_px is not None:
            raw = translate_px
            if not (isinstance(raw, dict) or isinstance(raw, (int, np.integer)) or (isinstance(raw, (tuple, list)) and all(isinstance(v, (int, np.integer)) for v in raw))):
                type_error("translate_px", "an int, an (min, max) pair of ints or a {'x', 'y'} dict", raw, "pass e.g. translate_px=(-10, 10)")
        self.translate_px = None if translate_px is None else _xy_ranges(translate_px, "translate_px", 0.0, None)
        self.rotate = as_range(rotate, "rotate", around=0.0)
        self.shear_x, self.shear_y = _xy_ranges(shear, "shear", 0.0, (0.0, 0.0))
        for r, name in ((self.shear_x, "x"), (self.shear_y, "y")):
            if max(abs(r[0]), abs(r[1])) >= 90:
                value_error("shear", "angles strictly between -90 and 90 degrees", shear, f"narrow the {name} shear range")
        self.fit_output = bool(fit_output)
        self._init_geometric(box_mode)

    batch_samples = True

    def sample_batch(self, bits: Any, rows: np.ndarray, sample: Any) -> dict[str, list]:
        """``sample_params`` for many streams: the same draws in the same order, the same formulas."""
        h, w = sample.shape
        if self.translate_px is not None:
            sx = bits.uniform(*self.scale_x, mask=rows)
            sy = sx if self.keep_ratio else bits.uniform(*self.scale_y, mask=rows)
            (x0, x1), (y0, y1) = self.translate_px
            tx = bits.integers(int(x0), int(x1) + 1, mask=rows).astype(np.float64)
            ty = bits.integers(int(y0), int(y1) + 1, mask=rows).astype(np.float64)
            angle = bits.uniform(*self.rotate, mask=rows)
            shear_x = bits.uniform(*self.shear_x, mask=rows)
            shear_y = bits.uniform(*self.shear_y, mask=rows)
            columns = {"scale_x": sx, "scale_y": sy, "angle": angle, "shear_x": shear_x, "shear_y": shear_y, "tx": tx, "ty": ty}
            return {k: v.tolist() for k, v in columns.items()}
        translate = self.translate_percent
        u = bits.random(4 + (not self.keep_ratio) + (2 if translate is not None else 0), mask=rows)
        (s0, s1), k = self.scale_x, 1
        sx = s0 + (s1 - s0) * u[:, 0]
        if self.keep_ratio:
            sy = sx
        else:
            sy, k = self.scale_y[0] + (self.scale_y[1] - self.scale_y[0]) * u[:, 1], 2
        if translate is not None:
            (x0, x1), (y0, y1) = translate
            tx, ty, k = (x0 + (x1 - x0) * u[:, k]) * w, (y0 + (y1 - y0) * u[:, k + 1]) * h, k + 2
        else:
            tx = ty = np.zeros(len(rows))
        (r0, r1), (a0, a1), (b0, b1) = self.rotate, self.shear_x, self.shear_y
        return {
            "scale_x": sx.tolist(),
            "scale_y": sy.tolist(),
            "angle": (r0 + (r1 - r0) * u[:, k]).tolist(),
            "shear_x": (a0 + (a1 - a0) * u[:, k + 1]).tolist(),
            "shear_y": (b0 + (b1 - b0) * u[:, k + 2]).tolist(),
            "tx": tx.tolist(),
            "ty": ty.tolist(),
        }

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        h, w = sample.shape
        if self.translate_px is None:  # every draw uniform: one generator call for all of them
            return self._sample_uniform(rng, h, w)
        sx = float(rng.uniform(*self.scale_x))
        sy = sx if self.keep_ratio else float(rng.uniform(*self.scale_y))
        tx = float(rng.integers(int(self.translate_px[0][0]), int(self.translate_px[0][1]) + 1))
        ty = float(rng.integers(int(self.translate_px[1][0]), int(self.translate_px[1][1]) + 1))
        return {
            "scale_x": sx,
            "scale_y": sy,
            "angle": float(rng.uniform(*self.rotate)),
            "shear_x": float(rng.uniform(*self.shear_x)),
            "shear_y": float(rng.uniform(*self.shear_y)),
            "tx": tx,
            "ty": ty,
        }

    def _sample_uniform(self, rng: np.random.Generator, h: int, w: int) -> Params:
        """``sample_params`` without ``translate_px``: the same doubles, in the same order, as one
        ``rng.uniform(lo, hi)`` per parameter (which is ``lo + (hi - lo) * rng.random()``), drawn at once."""
        translate = self.translate_percent
        u = rng.random(4 + (not self.keep_ratio) + (2 if translate is not None else 0)).tolist()
        (s0, s1), k = self.scale_x, 1
        sx = s0 + (s1 - s0) * u[0]
        if self.keep_ratio:
            sy = sx
        else:
            sy, k = self.scale_y[0] + (self.scale_y[1] - self.scale_y[0]) * u[1], 2
        if translate is not None:
            (x0, x1), (y0, y1) = translate
            tx, ty, k = (x0 + (x1 - x0) * u[k]) * w, (y0 + (y1 - y0) * u[k + 1]) * h, k + 2
        else:
            tx = ty = 0.0
        (r0, r1), (a0, a1), (b0, b1) = self.rotate, self.shear_x, self.shear_y
        return {
            "scale_x": sx,
            "scale_y": sy,
            "angle": r0 + (r1 - r0) * u[k],
            "shear_x": a0 + (a1 - a0) * u[k + 1],
            "shear_y": b0 + (b1 - b0) * u[k + 2],
            "tx": tx,
            "ty": ty,
        }

    def geometry(self, params: Params, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
        # albumentations negates the sampled shear; we do the same so equal arguments give equal images
        t1, t2 = math.tan(math.radians(-params["shear_x"])), math.tan(math.radians(-params["shear_y"]))
        sx, sy = params["scale_x"], params["scale_y"]
        if t1 == 0.0 and t2 == 0.0:
            # no shear (the common case): shear @ R @ diag(sx, sy) in Python floats, term by term as numpy
            # computes it. Every sum here adds an exact zero (a product with t1, t2 or an off-diagonal 0.0)
            # to one product, so the result does not depend on numpy's summation order or use of FMA:
            # bit-identical to the matrix products below (tested).
            a = math.radians(params["angle"])
            c, s = math.cos(a), math.sin(a)
            r00, r01, r10, r11 = 1.0 * c + t1 * -s, 1.0 * s + t1 * c, t2 * c + 1.0 * -s, t2 * s + 1.0 * c
            la, lb = r00 * sx + r01 * 0.0, r00 * 0.0 + r01 * sy
            ld, le = r10 * sx + r11 * 0.0, r10 * 0.0 + r11 * sy
            matrix = _centred_floats(la, lb, ld, le, shape, params["tx"], params["ty"])
        else:
            shear = np.array([[1.0, t1], [t2, 1.0]])
            linear = shear @ rotation_linear(params["angle"]) @ np.array([[sx, 0.0], [0.0, sy]])
            matrix = _centred(linear, shape, params["tx"], params["ty"])
        if not self.fit_output:
            return matrix, shape
        return fit_canvas(matrix, shape)

    def effects(self) -> Effects:
        rot = max(abs(self.rotate[0]), abs(self.rotate[1]))
        scales = (*self.scale_x, *self.scale_y)
        return Effects(geometric=True, max_rotation=rot, rescales=min(scales) != 1.0 or max(scales) != 1.0 or self.fit_output, deforms=any(self.shear_x + self.shear_y))


def fit_canvas(matrix: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
    """Shift ``matrix`` so the whole mapped image lands on a canvas just large enough to hold it."""
    h, w = shape
    corners = geo.apply_to_points(matrix, np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64))
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    out_w, out_h = (max(1, int(math.ceil(v - 1e-6))) for v in hi - lo)
    # centre the mapped image on the (integer-sized) canvas
    shift = (np.array([out_w, out_h]) - (lo + hi)) / 2
    return geo.translation(shift[0], shift[1]) @ matrix, (out_h, out_w)


class ShiftScaleRotate(Affine):
    """albumentations' ShiftScaleRotate: shift by a fraction of the size, scale by ``1 + scale_limit``,
    rotate by ``rotate_limit`` degrees, all about the centre (an ``Affine`` without shear)."""

    def __init__(
        self,
        shift_limit: float | tuple[float, float] = 0.0625,
        scale_limit: float | tuple[float, float] = 0.1,
        rotate_limit: float | tuple[float, float] = 45.0,
        interpolation: str = "linear",
        border_mode: str = "constant",
        fill: float | tuple[float, ...] = 0,
        fill_mask: float = 0,
        shift_limit_x: float | tuple[float, float] | None = None,
        shift_limit_y: float | tuple[float, float] | None = None,
        box_mode: str = "corners",
        p: float = 0.5,
    ) -> None:
        shift = as_range(shift_limit, "shift_limit", around=0.0)
        sx = shift if shift_limit_x is None else as_range(shift_limit_x, "shift_limit_x", around=0.0)
        sy = shift if shift_limit_y is None else as_range(shift_limit_y, "shift_limit_y", around=0.0)
        scale = as_range(scale_limit, "scale_limit", around=0.0, low=-1.0 + 1e-9)
        super().__init__(
            scale=(1.0 + scale[0], 1.0 + scale[1]),
            translate_percent={"x": sx, "y": sy},
            rotate=as_range(rotate_limit, "rotate_limit", around=0.0),
            interpolation=interpolation,
            border_mode=border_mode,
            fill=fill,
            fill_mask=fill_mask,
            box_mode=box_mode,
            p=p,
        )


class Perspective(_Geometric):
    """Random perspective: each image corner moves inward by ``|N(0, scale)|`` (mod 0.32) of the size,
    as albumentations does; the jittered quadrilateral is then mapped onto the full canvas
    (``keep_size=True``) or onto a canvas of its own width and height (``keep_size=False``).
    ``fit_output=True`` instead keeps the whole quadrilateral-mapped image on a grown canvas."""

    def __init__(
        self,
        scale: float | tuple[float, float] = (0.05, 0.1),
        keep_size: bool = True,
        fit_output: bool = False,
        interpolation: str = "linear",
        border_mode: str = "constant",
        fill: float | tuple[float, ...] = 0,
        fill_mask: float = 0,
        box_mode: str = "corners",
        p: float = 0.5,
    ) -> None:
        super().__init__(interpolation=interpolation, border_mode=border_mode, fill=fill, fill_mask=fill_mask, p=p)
        self.scale = as_range(scale, "scale", low=0.0, high=1.0)
        self.keep_size, self.fit_output = bool(keep_size), bool(fit_output)
        self._init_geometric(box_mode)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        sigma = float(rng.uniform(*self.scale))
        jitter = np.mod(np.abs(rng.normal(0.0, sigma, size=(4, 2))), 0.32)
        return {"jitter": jitter.round(8).tolist()}

    def geometry(self, params: Params, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
        h, w = shape
        (a0, a1), (b0, b1), (c0, c1), (d0, d1) = np.asarray(params["jitter"], dtype=np.float64).tolist()
        # corners tl, tr, br, bl moved inward by their jitter (fractions of width/height)
        src = np.array([[a0, a1], [1 - b0, b1], [1 - c0, 1 - c1], [d0, 1 - d1]]) * (w, h)
        if self.keep_size:
            out_w, out_h = w, h
        else:
            out_w = max(2, int(round(max(np.hypot(*(src[1] - src[0])), np.hypot(*(src[2] - src[3]))))))
            out_h = max(2, int(round(max(np.hypot(*(src[3] - src[0])), np.hypot(*(src[2] - src[1]))))))
        dst = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], dtype=np.float64)
        matrix = _homography(src, dst)
        if self.fit_output:
            return fit_canvas(matrix, shape)
        return matrix, (out_h, out_w)

    def effects(self) -> Effects:
        return Effects(geometric=True, deforms=True, rescales=True)


def _homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 3x3 matrix mapping 4 source points onto 4 destination points (direct linear solve in
    float64; OpenCV's getPerspectiveTransform only takes float32 points). The 8x8 system is written
    from Python floats (the same IEEE products as numpy's, without ~20 small-array operations)."""
    rows: list[list[float]] = []
    b: list[float] = []
    for (x, y), (u, v) in zip(np.asarray(src, np.float64).tolist(), np.asarray(dst, np.float64).tolist()):
        rows.append([x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y])
        rows.append([0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y])
        b += (u, v)
    out = np.empty(9)
    out[:8] = np.linalg.solve(np.array(rows), np.array(b))
    out[8] = 1.0
    return out.reshape(3, 3)


class RandomRotate90(_Geometric):
    """Rotate by a random multiple of 90 degrees (0, 90, 180 or 270, counter-clockwise); the canvas
    turns with the image. Executed as a transposed/flipped view made contiguous: no interpolation."""

    quarter_turns = True

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(p=p)
        self._init_geometric("corners")

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"factor": int(rng.integers(0, 4))}

    batch_samples = True

    def sample_batch(self, bits: Any, rows: np.ndarray, sample: Any) -> dict[str, list]:
        return {"factor": bits.integers(0, 4, mask=rows).tolist()}

    def geometry(self, params: Params, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
        return rot90_matrix(params["factor"], shape)

    def effects(self) -> Effects:
        return Effects(geometric=True, max_rotation=180.0)  # a 270-degree turn is a -90-degree one


def rot90_matrix(factor: int, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
    """Counter-clockwise turn by ``factor`` quarter turns (as ``np.rot90``) and the turned canvas."""
    h, w = shape
    k = int(factor) % 4
    if k == 0:
        return np.eye(3), shape
    if k == 1:  # (x, y) -> (y, w - x)
        return np.array([[0, 1, 0], [-1, 0, w], [0, 0, 1]], dtype=np.float64), (w, h)
    if k == 2:
        return np.array([[-1, 0, w], [0, -1, h], [0, 0, 1]], dtype=np.float64), (h, w)
    return np.array([[0, -1, h], [1, 0, 0], [0, 0, 1]], dtype=np.float64), (w, h)


class Transpose(_Geometric):
    """Swap rows and columns (reflection about the main diagonal); mirrors the image."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(p=p)
        self._init_geometric("corners")

    def geometry(self, params: Params, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
        return geo.transpose_matrix(), (shape[1], shape[0])

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        g = _TRANSPOSES.get(shape)  # depends on the canvas only: built once per size, its form stated
        if g is None:
            h, w = int(shape[0]), int(shape[1])
            g = Geometry((h, w), (w, h), geo.cached_transpose_matrix(), form=((h, w), geo.TWINDOW, 0, 0, False, False))
            if len(_TRANSPOSES) > 256:
                _TRANSPOSES.clear()
            _TRANSPOSES[shape] = g
        return g

    def effects(self) -> Effects:
        return Effects(geometric=True, mirrors_horizontal=True, mirrors_vertical=True, max_rotation=90.0)


_TRANSPOSES: dict[tuple[int, int], Geometry] = {}  # Transpose geometries by canvas (never changed once built)

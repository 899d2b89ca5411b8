"""Crops and resizes on the geometry engine: each is a matrix plus an output canvas, so they fuse
with neighbouring spatial transforms and move boxes and keypoints generically."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.plan import Geometry, TranslationGeometry
from ..core.transform import Params, SpatialTransform, as_range
from ..ops import geometric as geo


def _size(value: Any, argument: str) -> tuple[int, int]:
    """Read ``n`` or ``(h, w)`` as a positive (h, w)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (int(value), int(value))
    if not (isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)):
        type_error(argument, "an int or an (height, width) pair of ints", value, f"pass e.g. {argument}=(224, 224)")
    if value[0] <= 0 or value[1] <= 0:
        value_error(argument, "positive sizes", value, "pass sizes of at least 1 pixel")
    return int(value[0]), int(value[1])


def _refuse_height_width(cls: str, argument: str, value: Any, size: tuple[int, int]) -> None:
    """Refuse a second positional number that reads as albumentations' ``(height, width)`` call: ``cls`` takes
    torchvision's ``(size, ...)``, so ``CenterCrop(256, 256)`` would hand 256 to ``argument``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 1:
        type_error(argument, f"{cls}'s own {argument} (the size is one argument, as in torchvision)", value, f"for a {size[0]}x{value} crop pass {cls}(({size[0]}, {value})), or name the argument: {cls}(..., {argument}=...)")


def _randint(rng: np.random.Generator, n: int) -> int:
    """A uniform integer in [0, n): one double from the generator (~3x cheaper per call than
    ``rng.integers``; the bias, below 2**-53 relative, is far beneath sampling noise)."""
    return min(int(rng.random() * n), n - 1)


def _randint_batch(bits: Any, rows: np.ndarray, n: Any) -> np.ndarray:
    """``_randint`` for streams ``rows`` of a ``BatchPCG64`` (``n``: one bound or one per row)."""
    return np.minimum((bits.random(mask=rows) * n).astype(np.int64), np.asarray(n, np.int64) - 1)


def _window(shape: tuple[int, int], x: int, y: int, size: tuple[int, int]) -> Geometry:
    """The geometry of an integer crop at (x, y), stating the window it is (a crop's plan costs as much
    as its copy, so deriving the form from the matrix would matter)."""
    H, W = shape
    form = ((H, W), geo.IDENTITY) if x == 0 and y == 0 and size[0] == H and size[1] == W else ((H, W), geo.WINDOW, x, y, False, False)
    return TranslationGeometry(shape, size, -x, -y, form)


# CenterCrop geometries by (canvas, size): never changed once built (bounded)
_CENTRES: dict[tuple[tuple[int, int], tuple[int, int]], Geometry] = {}


class _Rescaling(SpatialTransform):
    """Crops and resizes: they change framing and scale, nothing else."""

    _abstract = True

    def effects(self) -> Effects:
        return Effects(geometric=True, rescales=True)


class RandomCrop(_Rescaling):
    """Crop a random ``size`` window, optionally after padding every side by ``padding`` pixels
    (the CIFAR recipe: ``RandomCrop(32, padding=4)``). The padding is never materialised: the crop
    window simply reaches outside the image and the border rule fills it."""

    def __init__(
        self,
        size: int | tuple[int, int],
        padding: int = 0,
        pad_if_needed: bool = False,
        border_mode: str = "constant",
        fill: float | tuple[float, ...] = 0,
        fill_mask: float = 0,
        p: float = 1.0,
    ) -> None:
        super().__init__(border_mode=border_mode, fill=fill, fill_mask=fill_mask, p=p)
        self.size = _size(size, "size")
        if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
            type_error("padding", "a non-negative int", padding, "pass e.g. padding=4")
        if isinstance(size, (int, np.integer)) and padding >= size > 1:  # RandomCrop(256, 256): albumentations' (height, width)
            value_error("padding", f"fewer pixels than the crop size {size} with an int size (padding is added on every side)", padding, f"for a {size}x{padding} crop pass RandomCrop(({size}, {padding})); to pad, name it: RandomCrop({size}, padding=4); a (height, width) size allows any padding")
        self.padding, self.pad_if_needed = int(padding), bool(pad_if_needed)

    example_args = {"size": (16, 16)}

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        h, w = self.size
        pad = self.padding
        H, W = sample.shape
        if pad:
            H, W = H + 2 * pad, W + 2 * pad
        if (h > H or w > W) and not self.pad_if_needed:
            value_error("size", f"a crop no larger than the (padded) image {H}x{W}", self.size, "pass pad_if_needed=True or a smaller size")
        # with pad_if_needed, the window is centred on the short axis; ``_randint`` written out (one call
        # less per draw: a crop's whole call costs a few microseconds)
        y = min(int(rng.random() * (H - h + 1)), H - h) if H >= h else -((h - H) // 2)
        x = min(int(rng.random() * (W - w + 1)), W - w) if W >= w else -((w - W) // 2)
        return {"x": x - pad, "y": y - pad}

    batch_samples = True

    def sample_batch(self, bits: Any, rows: np.ndarray, sample: Any) -> dict[str, list]:
        h, w = self.size
        H, W = sample.shape[0] + 2 * self.padding, sample.shape[1] + 2 * self.padding
        if (h > H or w > W) and not self.pad_if_needed:
            value_error("size", f"a crop no larger than the (padded) image {H}x{W}", self.size, "pass pad_if_needed=True or a smaller size")
        n = len(rows)
        y = _randint_batch(bits, rows, H - h + 1) if H >= h else np.full(n, -((h - H) // 2))
        x = _randint_batch(bits, rows, W - w + 1) if W >= w else np.full(n, -((w - W) // 2))
        return {"x": (x - self.padding).tolist(), "y": (y - self.padding).tolist()}

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        return _window(shape, params["x"], params["y"], self.size)


def _centre_offset(n: int, size: int) -> int:
    """Start of a centred ``size`` window on an axis of ``n`` pixels, as torchvision's ``center_crop``:
    ``round((n - size) / 2)`` (Python's round, half to even) when cropping; when padding, the image starts
    ``(size - n) // 2`` pixels in (the odd pixel of padding goes to the bottom/right). Rounding the
    negative offset instead would put the odd pixel on the top/left for every other shortfall."""
    return int(round((n - size) / 2.0)) if n >= size else -((size - n) // 2)


class CenterCrop(_Rescaling):
    """Crop the central ``size`` window (offset rounded as torchvision does); pads with the border rule
    when the image is smaller, the odd pixel of padding on the bottom/right (torchvision)."""

    def __init__(self, size: int | tuple[int, int], border_mode: str = "constant", fill: float | tuple[float, ...] = 0, fill_mask: float = 0, p: float = 1.0) -> None:
        self.size = _size(size, "size")
        _refuse_height_width("CenterCrop", "border_mode", border_mode, self.size)
        super().__init__(border_mode=border_mode, fill=fill, fill_mask=fill_mask, p=p)

    example_args = {"size": (16, 16)}

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        key = (shape, self.size)
        g = _CENTRES.get(key)  # depends on the canvas and the size only: built once per pair
        if g is None:
            h, w = self.size
            g = _window(shape, _centre_offset(shape[1], w), _centre_offset(shape[0], h), self.size)
            g.matrix.flags.writeable = False  # type: ignore[union-attr]  # shared: a write raises instead of corrupting
            if len(_CENTRES) > 256:
                _CENTRES.clear()
            _CENTRES[key] = g
        return g


class RandomResizedCrop(_Rescaling):
    """Crop a random area fraction ``scale`` with aspect ratio ``ratio`` and resize to ``size``,
    sampled exactly as torchvision does (10 tries, then a central fallback crop)."""

    def __init__(
        self,
        size: int | tuple[int, int],
        scale: tuple[float, float] = (0.08, 1.0),
        ratio: tuple[float, float] = (3 / 4, 4 / 3),
        interpolation: str = "linear",
        p: float = 1.0,
    ) -> None:
        super().__init__(interpolation=interpolation, p=p)
        self.size = _size(size, "size")
        _refuse_height_width("RandomResizedCrop", "scale", scale, self.size)  # an int past 1 is a width
        self.scale = as_range(scale, "scale", low=0.0, high=1.0)
        self.ratio = as_range(ratio, "ratio", low=1e-6)
        if self.scale[1] <= 0:
            value_error("scale", "a range with a positive upper end", scale, "pass e.g. scale=(0.08, 1.0)")

    example_args = {"size": (16, 16)}

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        H, W = sample.shape
        area = H * W
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        s0, s_span = self.scale[0], self.scale[1] - self.scale[0]
        r0, r_span = log_ratio[0], log_ratio[1] - log_ratio[0]
        for _ in range(10):
            # low + span * random() is exactly what Generator.uniform computes, at a third of the cost
            target_area = area * (s0 + s_span * rng.random())
            aspect = math.exp(r0 + r_span * rng.random())
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= W and 0 < h <= H:
                y = _randint(rng, H - h + 1)
                x = _randint(rng, W - w + 1)
                return {"x": x, "y": y, "w": w, "h": h}
        in_ratio = W / H
        if in_ratio < self.ratio[0]:
            w, h = W, int(round(W / self.ratio[0]))
        elif in_ratio > self.ratio[1]:
            h, w = H, int(round(H * self.ratio[1]))
        else:
            w, h = W, H
        return {"x": (W - w) // 2, "y": (H - h) // 2, "w": w, "h": h}

    batch_samples = True

    def sample_batch(self, bits: Any, rows: np.ndarray, sample: Any) -> dict[str, list]:
        """``sample_params`` for many streams in lockstep: every try draws for the streams still trying,
        an accepted stream then draws y and x, so each stream consumes exactly its own sequence."""
        H, W = sample.shape
        area = H * W
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        s0, s_span = self.scale[0], self.scale[1] - self.scale[0]
        r0, r_span = log_ratio[0], log_ratio[1] - log_ratio[0]
        n = len(rows)
        x, y, w, h = (np.zeros(n, np.int64) for _ in range(4))
        # every stream's 22 next doubles at once (10 tries of 2, then y and x); each stream then
        # consumes only what sample_params would have drawn: 2 per try, plus 2 once accepted
        u, ahead = bits.random_ahead(22, mask=rows)
        used = np.full(n, 20, np.int64)
        trying = np.arange(n)
        for k in range(10):
            if not trying.size:
                break
            target_area = area * (s0 + s_span * u[trying, 2 * k])
            # math.exp per value: numpy's vectorised exp may differ from libm's in the last bit
            aspect = np.array([math.exp(v) for v in (r0 + r_span * u[trying, 2 * k + 1]).tolist()])
            ww, hh = np.rint(np.sqrt(target_area * aspect)), np.rint(np.sqrt(target_area / aspect))  # round(): half to even
            ok = (ww > 0) & (ww <= W) & (hh > 0) & (hh <= H)
            done = trying[ok]
            if done.size:
                wd, hd = ww[ok].astype(np.int64), hh[ok].astype(np.int64)
                y[done] = np.minimum((u[done, 2 * k + 2] * (H - hd + 1)).astype(np.int64), H - hd)  # _randint
                x[done] = np.minimum((u[done, 2 * k + 3] * (W - wd + 1)).astype(np.int64), W - wd)
                w[done], h[done], used[done] = wd, hd, 2 * k + 4
            trying = trying[~ok]
        bits.consume(ahead, used, mask=rows)
        if trying.size:  # the central fallback crop
            in_ratio = W / H
            if in_ratio < self.ratio[0]:
                fw, fh = W, int(round(W / self.ratio[0]))
            elif in_ratio > self.ratio[1]:
                fh, fw = H, int(round(H * self.ratio[1]))
            else:
                fw, fh = W, H
            x[trying], y[trying], w[trying], h[trying] = (W - fw) // 2, (H - fh) // 2, fw, fh
        return {"x": x.tolist(), "y": y.tolist(), "w": w.tolist(), "h": h.tolist()}

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        out_h, out_w = self.size
        x, y, w, h = params["x"], params["y"], params["w"], params["h"]
        matrix = geo.crop_resize_matrix(x, y, w, h, out_w, out_h)
        return Geometry(shape, self.size, matrix, form=geo.crop_resize_kernel(shape, self.size, x, y, x + w, y + h, matrix))


class Resize(_Rescaling):
    """Resize to ``(height, width)``. ``Resize(256)`` (one int, no width) resizes the shorter side
    to 256 keeping the aspect ratio, as torchvision's ``Resize(256)``."""

    def __init__(self, height: int | tuple[int, int], width: int | None = None, interpolation: str = "linear", p: float = 1.0) -> None:
        super().__init__(interpolation=interpolation, p=p)
        if isinstance(height, (tuple, list)):
            if width is not None:
                value_error("width", "None when height is an (h, w) pair", width, "pass either Resize(h, w) or Resize((h, w))")
            self.height, self.width = _size(height, "height")
            self.shorter_side = False
        else:
            if width is None:
                self.height = self.width = _size(height, "height")[0]
                self.shorter_side = True
            else:
                self.height, self.width = _size((height, width), "height, width")
                self.shorter_side = False

    example_args = {"height": 24, "width": 20}

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        H, W = shape
        if self.shorter_side:
            if H <= W:
                out = (self.height, int(self.height * W / H))
            else:
                out = (int(self.height * H / W), self.height)
        else:
            out = (self.height, self.width)
        matrix = geo.scaling(out[1] / W, out[0] / H)
        return Geometry(shape, out, matrix, form=geo.crop_resize_kernel(shape, out, 0, 0, W, H, matrix))

"""Executors: they run a ``Plan``'s runs on its sample's arrays, choosing kernels from the geometry.

Kernels are found in a registry keyed by ``(operation, backend)`` (``register_kernel``), so another
backend (a batched torch executor) registers its own kernels for the same operations and runs the
same plans. Executors are found by name (``register_executor``, ``get_executor``). The numpy executor:

- ``SingleStep``: a spatial step that declares no execution of its own is resampled by the ``warp``
  (matrix) or ``remap`` (field) kernels, which pick a view, a slice + resize or a general warp from the
  geometry's form; any other step runs its transform's ``apply_image`` / ``apply_mask`` / ``apply_depth``.
- ``SpatialRun``: one resampling of the composed geometry (one warp, or one remap with fields), reading
  the run's source window with its border step's rule, fills of later revealing steps painted where
  they revealed. A run that shrinks more than 2x and notably more than its strongest single step is
  pre-shrunk with INTER_AREA, so one resampling never aliases worse than the op-by-op chain.
- ``TableRun``: ``core.lut``: one table pass per run of pointwise uint8 steps.
"""

from __future__ import annotations

from typing import Any, Callable

import cv2
import numpy as np

from ..ops import distort
from ..ops import geometric as geo
from . import lut
from .errors import value_error
from .plan import Plan, SingleStep, SpatialRun, Step, TableRun, analyse, interpolation_of
from .sample import ARRAY_KIND_TABLE as KINDS
from .sample import Planes, Sample, kind_fill
from .transform import _GENERIC, Transform, executes_generically

KERNELS: dict[tuple[str, str], Callable[..., Any]] = {}
EXECUTORS: dict[str, "Executor"] = {}
OPERATIONS = ("warp_image", "warp_mask", "remap_image", "remap_mask", "table", "paint")


def register_kernel(operation: str, backend: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: ``fn`` implements ``operation`` for ``backend``."""

    def add(fn: Callable[..., Any]) -> Callable[..., Any]:
        KERNELS[(operation, backend)] = fn
        return fn

    return add


def kernel(operation: str, backend: str) -> Callable[..., Any]:
    found = KERNELS.get((operation, backend))
    if found is None:
        have = sorted(b for (op, b) in KERNELS if op == operation)
        value_error("backend", f"a backend with a kernel for {operation!r} (registered: {have})", backend, "register one with register_kernel(operation, backend)")
    return found


class Executor:
    """Runs plans. Subclasses implement ``run(plan)``, writing the results into ``plan.sample.arrays``."""

    name = "base"

    def run(self, plan: Plan) -> None:
        raise NotImplementedError


def register_executor(name: str, executor: Executor) -> None:
    EXECUTORS[name] = executor


def get_executor(name: str) -> Executor:
    found = EXECUTORS.get(name)
    if found is None:
        value_error("executor", f"one of {sorted(EXECUTORS)}", name, "register it with register_executor(name, executor)")
    return found


# ---- numpy kernels ----------------------------------------------------------------------------------------------

register_kernel("warp_image", "numpy")(geo.warp)
register_kernel("warp_mask", "numpy")(geo.warp_mask)
register_kernel("remap_image", "numpy")(distort.remap)
register_kernel("remap_mask", "numpy")(distort.remap_mask)
register_kernel("table", "numpy")(lut.execute_run)

_CV_DTYPES = {np.dtype(t) for t in (np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32, np.float64)}


@register_kernel("paint", "numpy")
def paint(out: np.ndarray, source: np.ndarray, regions: list) -> np.ndarray:
    """Set ``out`` to each region's fill outside the region's ``inside`` uint8 mask (in order).
    OpenCV's masked copy onto a filled canvas is ~10x faster than numpy boolean assignment."""
    for inside, fill in regions:
        values = geo.fill_vector(fill, out.shape[2], out.dtype)
        if (values == values[0]).all():
            canvas = np.full(out.shape, values[0], out.dtype)
        else:
            canvas = np.empty(out.shape, out.dtype)  # C order, whatever out's layout
            canvas[...] = values
        if out.dtype in _CV_DTYPES and out.shape[2] <= 4:
            out = geo._restore_channels(cv2.copyTo(out, inside, canvas), out.shape[2])
        else:
            keep = inside.astype(bool)
            canvas[keep] = out[keep]
            out = canvas
    return out


# ---- the numpy executor -----------------------------------------------------------------------------------------

_WINDOW, _TWINDOW, _GEO_WARP, _window_copy = geo.WINDOW, geo.TWINDOW, geo.warp, geo.window_copy  # read per call by the single-step path

# Per array kind: "image" is the hot path and is called directly; every other kind is resampled as
# ``ARRAY_KIND_TABLE`` says (fixed interpolation, its fill attribute, mask kernels or not).
_fills = kind_fill


class NumpyExecutor(Executor):
    """Runs plans on numpy arrays with the kernels registered for ``backend`` (default "numpy")."""

    name = "numpy"

    def __init__(self, backend: str = "numpy") -> None:
        self.backend = backend
        self.warp, self.warp_mask = kernel("warp_image", backend), kernel("warp_mask", backend)
        self.remap, self.remap_mask = kernel("remap_image", backend), kernel("remap_mask", backend)
        self.table, self.paint = kernel("table", backend), kernel("paint", backend)

    def run(self, plan: Plan) -> None:
        self.execute(plan.steps, plan.sample, plan.fuse)

    def execute(self, steps: list[Step], sample: Sample, fuse: bool = True) -> None:
        if len(steps) == 1:  # (what analyse says of one step, without asking)
            step = steps[0]
            g = step.geometry
            if g is not None:
                # an integer window (a flip, a crop, a transpose) of one image as the pipeline's only step:
                # ``geo.window_copy`` directly, the kernel ``geo.warp`` picks for that form, without the
                # generic dispatch (a call costs microseconds)
                form = g._form  # stated by flips, crops and Transpose; never derived here
                arrays = sample.arrays
                if form is not None and (form[1] == _WINDOW or form[1] == _TWINDOW) and len(arrays) == 1 and self.warp is _GEO_WARP:
                    image = arrays.get("image")  # the keyword "image" always holds kind "image"
                    t = step.transform
                    if image is not None and image.shape[:2] == form[0] and (_GENERIC.get(type(t)) or executes_generically(t)):
                        arrays["image"] = _window_copy(image, form, g.out_shape, t.border_mode, t.fill)
                        return
            self.step(step, sample)
            return
        for run in analyse(steps, fuse):
            if type(run) is SingleStep:
                self.step(steps[run.index], sample)
            elif type(run) is SpatialRun:
                self.spatial_run(steps, run, sample)
            else:
                self.table_run(steps, run, sample)  # type: ignore[arg-type]

    def step(self, step: Step, sample: Sample) -> None:
        """One step on every array of the sample."""
        t, params, g = step.transform, step.params, step.geometry
        arrays, kinds = sample.arrays, sample.kinds
        generic = g is not None and (_GENERIC.get(type(t)) or executes_generically(t))
        if type(arrays.get("masks")) is Planes:  # (``_planes_only_if``, asked only when planes are there)
            # planes go through a matrix warp with the numpy kernels, and through a step that leaves masks alone
            planar = (generic and g.matrix is not None and self.warp_mask is geo.warp_mask) or (not generic and type(t).apply_mask is Transform.apply_mask)  # type: ignore[union-attr]
            _planes_only_if(sample, planar)
        if generic:
            if g.matrix is not None:  # type: ignore[union-attr]
                matrix, out_shape, form = g.matrix, g.out_shape, g.form  # type: ignore[union-attr]
                for name, array in arrays.items():
                    kind = kinds[name]
                    if type(array) is Planes:
                        arrays[name] = _warp_planes(array, matrix, out_shape, t.border_mode, kind_fill(t, kind), form)
                    elif kind == "image":
                        arrays[name] = self.warp(array, matrix, out_shape, t.interpolation, t.border_mode, t.fill, kernel=form)
                    elif KINDS[kind].mask_kernels:
                        arrays[name] = self.warp_mask(array, matrix, out_shape, t.border_mode, kind_fill(t, kind), kernel=form)
                    else:
                        arrays[name] = self.warp(array, matrix, out_shape, KINDS[kind].interpolation or t.interpolation, t.border_mode, kind_fill(t, kind), kernel=form)
            else:
                mx, my = g.field  # type: ignore[misc]
                for name, array in arrays.items():
                    kind = kinds[name]
                    if kind == "image":
                        arrays[name] = self.remap(array, mx, my, t.interpolation, t.border_mode, t.fill)
                    elif KINDS[kind].mask_kernels:
                        arrays[name] = self.remap_mask(array, mx, my, t.border_mode, kind_fill(t, kind))
                    else:
                        arrays[name] = self.remap(array, mx, my, KINDS[kind].interpolation or t.interpolation, t.border_mode, kind_fill(t, kind))
            return
        for name, array in arrays.items():
            kind = kinds[name]
            if kind == "image":
                arrays[name] = t.apply_image(array, params)
            else:
                arrays[name] = getattr(t, KINDS[kind].apply)(array, params)

    def table_run(self, steps: list[Step], run: TableRun, sample: Sample) -> None:
        k = run.start
        while k < run.end:
            j = self.table(steps, k, sample, run.end)
            if j > k:
                k = j
                continue
            self.step(steps[k], sample)
            k += 1

    def spatial_run(self, steps: list[Step], run: SpatialRun, sample: Sample) -> None:
        """Execute consecutive spatial steps as one resampling (one warp, or one remap with fields),
        reading ``run.window`` of the source (all of it when None) with the border step's rule."""
        run_steps = steps[run.start : run.end]
        border_at = run.border_at - run.start
        window, composite = run.window, run.composite
        x0, y0 = (window[0], window[1]) if window else (0, 0)

        def source(array: np.ndarray) -> np.ndarray:
            return array[window[1] : window[3], window[0] : window[2]] if window else array

        interp = "nearest"
        for s in run_steps:
            found = interpolation_of(s)
            if found is not None:
                interp = found
                break
        all_matrices = composite is not None or all(s.geometry.matrix is not None for s in run_steps)  # type: ignore[union-attr]
        if all_matrices and composite is None:
            composite = run_steps[0].geometry.matrix  # type: ignore[union-attr]
            for s in run_steps[1:]:
                composite = s.geometry.matrix @ composite  # type: ignore[union-attr,operator]
        min_scale = _run_min_scale(run_steps, interp, composite)
        border_t = run_steps[border_at].transform
        out_shape = run_steps[-1].geometry.out_shape  # type: ignore[union-attr]
        # steps after the border step that reveal: their fill is painted where they revealed
        painters = [k for k in range(border_at + 1, len(run_steps)) if run_steps[k].geometry.reveals]  # type: ignore[union-attr]
        _planes_only_if(sample, all_matrices and not painters and self.warp_mask is geo.warp_mask)
        if all_matrices:
            matrix = composite
            regions = _inside_regions(run_steps, painters, out_shape) if painters else []
            if window:
                matrix = matrix @ geo.translation(x0, y0)  # type: ignore[operator]
            form = None  # chosen once for every array of the sample (they share one size)
            for name, array in sample.arrays.items():
                kind = sample.kinds[name]
                if type(array) is Planes:
                    sample.arrays[name] = _warp_planes(array.window(window) if window else array, matrix, out_shape, border_t.border_mode, kind_fill(border_t, kind), None)
                    continue
                src = source(array)
                if form is None:
                    form = geo.classify(matrix, src.shape[:2], out_shape)  # type: ignore[arg-type]
                if kind == "image":
                    out = self.warp(src, matrix, out_shape, interp, border_t.border_mode, border_t.fill, min_scale, kernel=form)
                elif KINDS[kind].mask_kernels:
                    out = self.warp_mask(src, matrix, out_shape, border_t.border_mode, kind_fill(border_t, kind), kernel=form)
                else:
                    out = self.warp(src, matrix, out_shape, KINDS[kind].interpolation or interp, border_t.border_mode, kind_fill(border_t, kind), kernel=form)
                sample.arrays[name] = self.paint(out, array, [(r, _fills(run_steps[k].transform, kind)) for k, r in regions]) if regions else out
            return
        map_x, map_y, outside = _dense_maps(run_steps, painters, out_shape)
        if window:
            map_x, map_y = map_x - np.float32(x0), map_y - np.float32(y0)
        for name, array in sample.arrays.items():
            kind = sample.kinds[name]
            array = source(array)
            if kind == "image":
                out = self.remap(array, map_x, map_y, interp, border_t.border_mode, border_t.fill, min_scale)
            elif KINDS[kind].mask_kernels:
                out = self.remap_mask(array, map_x, map_y, border_t.border_mode, kind_fill(border_t, kind))
            else:
                out = self.remap(array, map_x, map_y, KINDS[kind].interpolation or interp, border_t.border_mode, kind_fill(border_t, kind))
            sample.arrays[name] = self.paint(out, array, [(r, _fills(run_steps[k].transform, kind)) for k, r in outside])


def _planes_only_if(sample: Sample, planar: bool) -> None:
    """Instance masks held as ``Planes`` stay planes only through the steps that can take them (``planar``);
    for every other step they are stacked first (the (H, W, N) form every kernel takes)."""
    masks = sample.arrays.get("masks")
    if not planar and type(masks) is Planes:
        sample.arrays["masks"] = masks.stack()


def _warp_planes(masks: Planes, matrix: np.ndarray, out_shape: tuple[int, int], border_mode: str, fill: Any, kernel: tuple | None) -> Planes:
    """``warp_mask`` of every plane (``geo.warp_planes``: only the part each instance lands on)."""
    planes, boxes = geo.warp_planes(masks.planes, masks.boxes, matrix, out_shape, border_mode, fill, kernel)
    return Planes(planes, int(out_shape[0]), int(out_shape[1]), masks.dtype, boxes)


register_executor("numpy", NumpyExecutor())


# A fused run is pre-shrunk (INTER_AREA) when it shrinks the image this much more than its strongest
# single step: op-by-op, each step only shrank by its own factor (and each bilinear pass low-passed the
# image a little), so one resampling must not alias more.
_SHRINK_SLACK = 0.75


def _run_min_scale(steps: list[Step], interp: str, composite: np.ndarray | None = None) -> float:
    """Anti-aliasing for the single resampling: when the run shrinks by more than 2x AND notably more
    than its strongest single step, pre-shrink (INTER_AREA) so the warp itself shrinks at most 2x;
    otherwise use the same kernel as op-by-op (no pre-shrink). ``composite``: the run's composed
    matrix when every step is a matrix (else the matrices are composed here, fields skipped)."""
    if interp == "area":
        return 1.0
    if interp == "nearest":
        return 0.0
    if composite is None:
        composite = np.eye(3)
        for s in steps:
            if s.geometry.matrix is not None:  # type: ignore[union-attr]
                composite = s.geometry.matrix @ composite  # type: ignore[union-attr]
    total = min(geo.axis_scales(composite, steps[-1].geometry.out_shape))  # type: ignore[union-attr]
    if total >= 0.5:
        return 0.0
    strongest = min(min(geo.axis_scales(s.geometry.matrix, s.geometry.out_shape)) if s.geometry.matrix is not None else 1.0 for s in steps)  # type: ignore[union-attr]
    return 0.5 if total < strongest * _SHRINK_SLACK else 0.0


def _inside_regions(steps: list[Step], painters: list[int], out_shape: tuple[int, int]) -> list:
    """For each painting step k whose canvas does not cover the output: (k, a uint8 mask of the output
    pixels op-by-op execution takes from step k's input canvas rather than from its fill)."""
    regions = []
    for k in painters:
        matrix = steps[k].geometry.matrix  # type: ignore[union-attr]
        for s in steps[k + 1 :]:
            matrix = s.geometry.matrix @ matrix  # type: ignore[union-attr,operator]
        inside = inside_mask(matrix, steps[k].in_shape, out_shape)  # type: ignore[arg-type]
        if inside is not None:
            regions.append((k, inside))
    return regions


_RUN_VALUES = np.tile(np.array([0, 1, 0], np.uint8), 4096)  # (outside, inside, outside) run values of 4096 rows


def inside_mask(matrix: np.ndarray, in_shape: tuple[int, int], out_shape: tuple[int, int]) -> np.ndarray | None:
    """uint8 mask of the ``out_shape`` pixels whose centre ``matrix`` maps back into the half-open canvas
    [0, W) x [0, H) of ``in_shape`` (None when that is every pixel).

    This is the rule a warp follows pixel by pixel (a centre mapping back to [i, i + 1) takes input pixel
    i; outside the canvas it takes the fill), so painting a fill outside this mask reproduces the step's
    own fill exactly for index remaps, where a rasterised polygon gains or loses edge pixels. The region
    is the intersection of four half-planes in output coordinates (projective ones included: with
    (u, v, z) = inverse(matrix) @ (x, y, 1), 0 <= u < W z and 0 <= v < H z imply z > 0), so each row
    is one interval of columns, solved per row: O(rows) arithmetic, then one run-length expansion."""
    (a, b, c), (d, e, f), (g, h, k) = geo.inverse(matrix).tolist()
    H, W = float(in_shape[0]), float(in_shape[1])
    out_h, out_w = int(out_shape[0]), int(out_shape[1])
    centres = np.arange(out_h) + 0.5  # pixel-centre y of each row
    lo, hi = np.zeros(out_h), np.full(out_h, float(out_w))
    dead = None
    # each constraint: alpha * X + beta1 * Y + beta0 >= 0 (> 0 where strict) at the pixel centre (X, Y)
    for alpha, beta1, beta0, strict in (
        (a, b, c, False),  # u >= 0
        (W * g - a, W * h - b, W * k - c, True),  # u < W z
        (d, e, f, False),  # v >= 0
        (H * g - d, H * h - e, H * k - f, True),  # v < H z
    ):
        if abs(alpha) > 1e-12:  # a column bound per row: X = -(beta1 * Y + beta0) / alpha, as a column index
            t = centres * (-beta1 / alpha) + (-beta0 / alpha - 0.5)
            if alpha > 0:
                lo = np.maximum(lo, np.floor(t) + 1 if strict else np.ceil(t))
            else:
                hi = np.minimum(hi, np.ceil(t) if strict else np.floor(t) + 1)
        else:  # independent of the column: the row is all in or all out
            beta = centres * beta1 + beta0
            out = beta <= 0 if strict else beta < 0
            dead = out if dead is None else dead | out
    lo = np.clip(lo, 0, out_w).astype(np.intp)
    hi = np.maximum(np.clip(hi, 0, out_w).astype(np.intp), lo)
    if dead is not None:
        hi[dead] = lo[dead]
    if lo.max() <= 0 and hi.min() >= out_w:
        return None
    # row-major runs (outside, inside, outside) per row: one np.repeat, several times faster than comparing
    lengths = np.stack([lo, hi - lo, out_w - hi], axis=1).ravel()
    return np.repeat(_RUN_VALUES[: 3 * out_h] if 3 * out_h <= len(_RUN_VALUES) else np.tile(_RUN_VALUES[:3], out_h), lengths).reshape(out_h, out_w)


def _apply_matrix(b: np.ndarray, xs: np.ndarray | None, ys: np.ndarray | None, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-index positions ``b @ (x, y)`` for explicit arrays, or for the identity grid of ``shape``."""
    m = geo.to_pixel_centre(b).astype(np.float32)
    if xs is None:
        h, w = shape
        xs = np.arange(w, dtype=np.float32)[None, :]
        ys = np.arange(h, dtype=np.float32)[:, None]
    nx = m[0, 0] * xs + m[0, 1] * ys + m[0, 2]
    ny = m[1, 0] * xs + m[1, 1] * ys + m[1, 2]
    if not geo.is_affine(b):
        nw = m[2, 0] * xs + m[2, 1] * ys + m[2, 2]
        nx, ny = nx / nw, ny / nw
    return np.broadcast_to(nx, shape).astype(np.float32, copy=True), np.broadcast_to(ny, shape).astype(np.float32, copy=True)


def _dense_maps(steps: list[Step], painters: list[int], out_shape: tuple[int, int]):
    """Compose the run backwards into one pair of sampling maps over the final canvas (pixel-index
    positions in the first input), plus, for each painting step, the pixels it did not reveal."""
    xs = ys = None  # None: the identity grid of the final canvas
    pending = np.eye(3)  # continuous map from (xs, ys) positions to the current canvas
    outside = []
    for k in range(len(steps) - 1, -1, -1):
        g = steps[k].geometry
        in_shape = steps[k].in_shape
        if g.matrix is not None:  # type: ignore[union-attr]
            pending = geo.inverse(g.matrix) @ pending  # type: ignore[union-attr]
        else:
            fx, fy = g.field  # type: ignore[union-attr,misc]
            stack = np.dstack([fx, fy])
            if xs is None:
                sampled = geo.warp(stack, geo.inverse(pending), out_shape, "linear", "replicate", 0)
            else:
                if not np.allclose(pending, np.eye(3)):
                    xs, ys = _apply_matrix(pending, xs, ys, out_shape)
                sampled = distort.remap(stack, xs, ys, "linear", "replicate")  # tiled past cv2.remap's 32767 px
            xs, ys = np.ascontiguousarray(sampled[:, :, 0]), np.ascontiguousarray(sampled[:, :, 1])
            pending = np.eye(3)
        if k in painters:
            if not np.allclose(pending, np.eye(3)) or xs is None:
                xs, ys = _apply_matrix(pending, xs, ys, out_shape)
                pending = np.eye(3)
            h, w = in_shape  # half-open, as a warp reads pixels (see ``inside_mask``)
            inside = (xs >= -0.5) & (ys >= -0.5) & (xs < w - 0.5) & (ys < h - 0.5)
            outside.append((k, inside.view(np.uint8)))
    if xs is None or not np.allclose(pending, np.eye(3)):
        xs, ys = _apply_matrix(pending, xs, ys, out_shape)
    return xs, ys, outside[::-1]

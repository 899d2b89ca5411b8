"""Planning one leaf, and executing a plan with fusion of consecutive spatial transforms.

Fusion rule: consecutive spatial steps (matrices and displacement fields) compose into ONE
resampling when they agree on interpolation (pure index remaps, like flips and integer crops, agree
with anything). A step after the first that reveals pixels outside its own input canvas joins the run
when every step before it is an exact window revealing nothing and together they map an integer source
window onto its canvas (crops, resizes, flips, quarter turns: the warp then reads that window of the
source with this step's border rule; a rotation and its inverse compose to a window too, but their
filled corners must stay filled), or when its border is constant (its fill is painted afterwards
where it revealed: on the output pixels whose centre maps back outside its input canvas, the rule a
warp itself follows, so index remaps match op-by-op exactly). Otherwise the run splits there.
Matrix-only runs execute as one ``geo.warp`` (which itself picks a view, slice+resize, or warp);
runs with fields compose into one pair of maps and one ``cv2.remap``. A run that shrinks more than 2x
and notably more than its strongest single step is pre-shrunk with INTER_AREA, so one resampling
never aliases worse than the op-by-op chain. Boxes and keypoints were already moved during planning, step by step, so
fusion never changes them.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from ..ops import distort
from ..ops import geometric as geo
from . import lut
from .sample import Sample
from .transform import Params, Transform

_TOL = 1e-6


def plan_leaf(
    t: Transform,
    rng: np.random.Generator | None,
    sample: Sample,
    plan: list,
    force: bool = False,
    params: Params | None = None,
) -> None:
    """Sample (unless replaying ``params``), move annotations, update the canvas, append to ``plan``."""
    if params is None:
        if not force and t.p < 1.0 and rng.random() >= t.p:  # type: ignore[union-attr]
            return
        t.check_input(sample)
        params = t.sample_params(rng, sample)  # type: ignore[arg-type]
    in_shape = sample.shape
    ann = sample.annotations
    if t.spatial:
        params = t.prepare(params, in_shape)  # type: ignore[attr-defined]
        annotated = len(ann.boxes) or len(ann.keypoints)
        if annotated:  # nothing to move otherwise
            ann.geometry_changed()
            t.apply_annotations(ann, params, in_shape)
        sample.shape = t.output_shape(params, in_shape)
        if _changes_format(type(t)):
            sample.channels = t.output_channels(params, sample.channels)
            sample.dtype = t.output_dtype(sample.dtype)
        if annotated:
            filter_annotations(sample)
    else:
        if _plans_something(type(t)):  # most pixel transforms keep annotations, shape, channels and dtype
            t.apply_annotations(ann, params, in_shape)
            sample.shape = t.output_shape(params, in_shape)
            sample.channels = t.output_channels(params, sample.channels)
            sample.dtype = t.output_dtype(sample.dtype)
        if t.occludes:  # occluders (CoarseDropout) lower box visibility
            filter_annotations(sample)
    plan.append((t, params, in_shape))


_FORMAT_CHANGERS: dict[type, bool] = {}


def _changes_format(cls: type) -> bool:
    """Does this class override ``output_channels`` or ``output_dtype`` (cached per class)?"""
    found = _FORMAT_CHANGERS.get(cls)
    if found is None:
        found = cls.output_channels is not Transform.output_channels or cls.output_dtype is not Transform.output_dtype
        _FORMAT_CHANGERS[cls] = found
    return found


_PLAN_HOOKS = ("apply_annotations", "output_shape", "output_channels", "output_dtype")
_PLANS_SOMETHING: dict[type, bool] = {}


def _plans_something(cls: type) -> bool:
    """Does this class override any planning hook (annotations, shape, channels, dtype)? Cached per class;
    when none is overridden the base methods change nothing, so planning skips calling them."""
    found = _PLANS_SOMETHING.get(cls)
    if found is None:
        found = any(getattr(cls, name) is not getattr(Transform, name) for name in _PLAN_HOOKS)
        _PLANS_SOMETHING[cls] = found
    return found


def filter_annotations(sample: Sample) -> None:
    """Apply the pipeline's box and keypoint rules on the current canvas (``Annotations.filter``):
    clip boxes and drop degenerate or failing ones, mark keypoints that left the canvas invisible
    for good (dropped under ``remove_invisible_keypoints``). Input goes through the same rules."""
    sample.annotations.filter(sample.shape, sample.rules)


def _apply(t: Transform, params: Params, sample: Sample) -> None:
    for name, array in sample.arrays.items():
        kind = sample.kinds[name]
        if kind == "image":
            sample.arrays[name] = t.apply_image(array, params)
        elif kind == "mask":
            sample.arrays[name] = t.apply_mask(array, params)
        else:
            sample.arrays[name] = t.apply_depth(array, params)


def _reveals(matrix: np.ndarray, in_shape: tuple[int, int], out_shape: tuple[int, int]) -> bool:
    """Does the output canvas map back outside the input canvas (so border filling matters)?"""
    h, w = out_shape
    try:
        (a, b, c), (d, e, f), (g, k, m) = geo.inverse(matrix).tolist()  # Python floats: 4 points, no arrays
    except np.linalg.LinAlgError:
        return True
    H, W = in_shape
    for x, y in ((0.0, 0.0), (w, 0.0), (w, h), (0.0, h)):
        z = g * x + k * y + m
        bx, by = (a * x + b * y + c) / z, (d * x + e * y + f) / z
        if bx < -_TOL or by < -_TOL or bx > W + _TOL or by > H + _TOL:
            return True
    return False


# ---- spatial runs ---------------------------------------------------------------------------------------------


def _kind(entry: Any) -> str | None:
    """"matrix" or "field" for a fusable spatial step, else None."""
    t, params, _ = entry
    if not (t.spatial and t.fusable):
        return None
    if "_matrix" in params:
        return "matrix"
    if "_field" in params:
        return "field"
    return None


def _fusable(entry: Any) -> bool:
    return _kind(entry) is not None


_EXACT_KERNELS = (geo.IDENTITY, geo.WINDOW, geo.TWINDOW)


def _interp_of(entry: Any) -> str | None:
    t, params, _ = entry
    if "_matrix" in params:
        kernel = params.get("_kernel")  # classified at plan time: index remaps are exactly these kernels
        if kernel[1] in _EXACT_KERNELS if kernel is not None else geo.is_exact(params["_matrix"]):
            return None  # a pure index remap agrees with any interpolation
    return t.interpolation


def _step_reveals(entry: Any) -> bool:
    t, params, in_shape = entry
    if "_reveals" not in params:  # cached: private keys are never recorded
        kernel = params.get("_kernel")
        known = _kernel_reveals(kernel, params["_out_shape"]) if kernel is not None and kernel[0] == tuple(in_shape) else None
        params["_reveals"] = _reveals(params["_matrix"], in_shape, params["_out_shape"]) if known is None else known
    return bool(params["_reveals"])


def _kernel_reveals(kernel: tuple, out_shape: tuple[int, int]) -> bool | None:
    """``_reveals`` read off a plan-time kernel when it is a view or slice (its source window is the
    back-mapped canvas); None when the kernel does not say."""
    (H, W), code = kernel[0], kernel[1]
    if code == geo.IDENTITY or code == geo.RESIZE:  # a resize window lies inside the source by construction
        return False
    out_h, out_w = out_shape
    if code == geo.WINDOW:
        x0, y0 = kernel[2], kernel[3]
        return x0 < 0 or y0 < 0 or x0 + out_w > W or y0 + out_h > H
    if code == geo.TWINDOW:  # the source window has the canvas' axes swapped
        x0, y0 = kernel[2], kernel[3]
        return y0 < 0 or x0 < 0 or y0 + out_h > W or x0 + out_w > H
    return None


def _source_window(prefix: np.ndarray, canvas: tuple[int, int], source: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """If the steps so far (``prefix``) map an integer-aligned source rectangle inside the source onto
    the whole current canvas (crops, resizes, flips, quarter turns), return that rectangle: warping from
    the sliced source with a later step's border rule then equals running that step on the
    intermediate image (up to interpolation)."""
    if not geo.is_affine(prefix) or not (geo.is_axis_aligned(prefix) or geo.is_transposing(prefix)):
        return None
    h, w = canvas
    (a, b, c), (d, e, f), _ = geo.inverse(prefix).tolist()  # affine: two corners map by hand
    xa, ya, xb, yb = c, f, a * w + b * h + c, d * w + e * h + f
    vals = [min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb)]
    if not all(abs(v - round(v)) < 1e-6 for v in vals):
        return None
    x0, y0, x1, y1 = (int(round(v)) for v in vals)
    H, W = source
    if x0 < 0 or y0 < 0 or x1 > W or y1 > H or x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


_WINDOW_KERNELS = (geo.IDENTITY, geo.WINDOW, geo.TWINDOW, geo.RESIZE)


def _reads_inside(entry: Any) -> bool:
    """Is this step an exact window of its input (identity, integer crop, flip, quarter turn, transpose,
    or a resize of an integer window onto its whole canvas) that reveals nothing? Only then is its
    output all source content, so a later step's border rule may be applied at the source window's
    edge instead: a step that revealed (a rotation's filled corners, a pad) must keep its fill, even
    when the run so far composes to a window (a rotation and its inverse)."""
    t, params, in_shape = entry
    if "_matrix" not in params:
        return False
    kernel = params.get("_kernel")
    if kernel is None or kernel[0] != tuple(in_shape):
        kernel = geo.classify(params["_matrix"], in_shape, params["_out_shape"])
    return kernel[1] in _WINDOW_KERNELS and not _step_reveals(entry)


def _run_end(plan: list, i: int) -> tuple[int, int, tuple[int, int, int, int] | None, np.ndarray | None]:
    """End (exclusive) of the fusable spatial run starting at ``i``, the index of the step whose border
    rule the single resampling uses, the source window it reads (None: the whole source), and the
    run's composed matrix (None when a field takes part).

    A later step that reveals outside its input canvas joins the run when (a) every step before it is
    an exact window that reveals nothing (``_reads_inside``: crops, resizes, flips, quarter turns) and
    together they map an integer source window onto its input canvas: its border rule then becomes the
    run's, applied at the window's edge; or (b) its border is constant:
    its fill is painted outside the image of its canvas. Otherwise the run ends before it."""
    interp = _interp_of(plan[i])
    border_step, window = i, None
    prefix = plan[i][1]["_matrix"] if "_matrix" in plan[i][1] else None
    j = i + 1
    while j < len(plan) and _fusable(plan[j]):
        interp_j = _interp_of(plan[j])
        if interp is not None and interp_j is not None and interp_j != interp:
            break
        if _step_reveals(plan[j]):
            found = None
            if border_step == i and prefix is not None and all(_reads_inside(plan[k]) for k in range(i, j)):
                found = _source_window(prefix, plan[j][2], plan[i][2])
            if found is not None:
                border_step, window = j, found
            elif plan[j][0].border_mode != "constant":
                break
        interp = interp or interp_j
        prefix = plan[j][1]["_matrix"] @ prefix if prefix is not None and "_matrix" in plan[j][1] else None
        j += 1
    return j, border_step, window, prefix


def execute(plan: list, sample: Sample, fuse: bool = True) -> None:
    """Apply a plan to every array of the sample, fusing spatial runs when ``fuse``."""
    n = len(plan)
    if n == 1:  # one step: nothing to fuse (spatial runs and table runs both need two steps)
        _apply(plan[0][0], plan[0][1], sample)
        return
    i = 0
    while i < n:
        entry = plan[i]
        t = entry[0]
        if fuse and t.spatial:
            if i + 1 < n and _fusable(entry) and _fusable(plan[i + 1]):
                j = _flips_after_resampling(plan, i)
                if j:
                    for k in range(i, j):
                        _apply(plan[k][0], plan[k][1], sample)
                    i = j
                    continue
                j, border_step, window, composite = _run_end(plan, i)
                if j > i + 1:
                    _execute_spatial_run(plan[i:j], border_step - i, window, sample, composite)
                    i = j
                    continue
        # (other fusion kinds, e.g. lookup-table runs of pixel ops, branch here)
        elif fuse and lut.capable(t):  # pointwise uint8 runs: one table pass (core/lut.py)
            j = lut.execute_run(plan, i, sample)
            if j > i:
                i = j
                continue
        _apply(t, entry[1], sample)
        i += 1


def _whole_flip(entry: Any) -> bool:
    """Is this step a flip of its whole canvas (an exact index remap that neither crops nor transposes)?"""
    kernel = entry[1].get("_kernel")
    return kernel is not None and kernel[1] == geo.WINDOW and kernel[2] == 0 and kernel[3] == 0 and tuple(entry[1]["_out_shape"]) == kernel[0]


def _flips_after_resampling(plan: list, i: int) -> int:
    """End of a run made of one crop-and-resize step followed only by whole-canvas flips (the everyday
    RandomResizedCrop + HorizontalFlip), else 0. Fused, the one kernel would resize and then flip anyway,
    so fusing saves no pixel work and only adds planning: such a run goes op by op (the same OpenCV calls
    on the same arrays, so the same bits)."""
    kernel = plan[i][1].get("_kernel")
    if kernel is None or kernel[1] != geo.RESIZE:  # a general warp folds the flip into its one call
        return 0
    j = i + 1
    while j < len(plan) and _fusable(plan[j]) and _whole_flip(plan[j]):
        j += 1
    return j if j > i + 1 and (j == len(plan) or not _fusable(plan[j])) else 0


def _fills(t: Any, kind: str) -> float | tuple[float, ...]:
    if kind == "image":
        return t.fill
    return t.fill_mask if kind == "mask" else 0


def _execute_spatial_run(
    steps: list, border_at: int, window: tuple[int, int, int, int] | None, sample: Sample, composite: np.ndarray | None = None
) -> None:
    """Execute consecutive spatial steps as one resampling (one warp, or one remap with fields),
    reading ``window`` of the source (all of it when None) with the border step's rule.
    ``composite``: the run's composed matrix when already known (None: composed here if all are matrices)."""
    x0, y0 = (window[0], window[1]) if window else (0, 0)

    def source(array: np.ndarray) -> np.ndarray:
        return array[window[1] : window[3], window[0] : window[2]] if window else array

    interp = "nearest"
    for s in steps:
        found = _interp_of(s)
        if found is not None:
            interp = found
            break
    all_matrices = composite is not None or all(_kind(s) == "matrix" for s in steps)
    if all_matrices and composite is None:
        composite = steps[0][1]["_matrix"]
        for s in steps[1:]:
            composite = s[1]["_matrix"] @ composite
    min_scale = _run_min_scale(steps, interp, composite)
    border_t = steps[border_at][0]
    out_shape = steps[-1][1]["_out_shape"]
    # steps after the border step that reveal: their fill is painted where they revealed
    painters = [k for k in range(border_at + 1, len(steps)) if _step_reveals(steps[k])]
    if all_matrices:
        matrix = composite
        regions = _inside_regions(steps, painters, out_shape) if painters else []
        if window:
            matrix = matrix @ geo.translation(x0, y0)
        kernel = None  # chosen once for every array of the sample (they share one size)
        for name, array in sample.arrays.items():
            kind = sample.kinds[name]
            src = source(array)
            if kernel is None:
                kernel = geo.classify(matrix, src.shape[:2], out_shape)
            if kind == "image":
                out = geo.warp(src, matrix, out_shape, interp, border_t.border_mode, border_t.fill, min_scale, kernel=kernel)
            elif kind == "mask":
                out = geo.warp_mask(src, matrix, out_shape, border_t.border_mode, border_t.fill_mask, kernel=kernel)
            else:
                out = geo.warp(src, matrix, out_shape, "nearest", border_t.border_mode, 0, kernel=kernel)
            sample.arrays[name] = _paint(out, array, [(r, _fills(steps[k][0], kind)) for k, r in regions]) if regions else out
        return
    map_x, map_y, outside = _dense_maps(steps, painters, out_shape)
    if window:
        map_x, map_y = map_x - np.float32(x0), map_y - np.float32(y0)
    for name, array in sample.arrays.items():
        kind = sample.kinds[name]
        array = source(array)
        if kind == "image":
            out = distort.remap(array, map_x, map_y, interp, border_t.border_mode, border_t.fill, min_scale)
        elif kind == "mask":
            out = distort.remap_mask(array, map_x, map_y, border_t.border_mode, border_t.fill_mask)
        else:
            out = distort.remap(array, map_x, map_y, "nearest", border_t.border_mode, 0)
        sample.arrays[name] = _paint(out, array, [(r, _fills(steps[k][0], kind)) for k, r in outside])


# A fused run is pre-shrunk (INTER_AREA) when it shrinks the image this much more than its strongest
# single step: op-by-op, each step only shrank by its own factor (and each bilinear pass low-passed the
# image a little), so one resampling must not alias more.
_SHRINK_SLACK = 0.75


def _run_min_scale(steps: list, interp: str, composite: np.ndarray | None = None) -> float:
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
        for t, params, _ in steps:
            if "_matrix" in params:
                composite = params["_matrix"] @ composite
    total = min(geo.axis_scales(composite, steps[-1][1]["_out_shape"]))
    if total >= 0.5:
        return 0.0
    strongest = min(min(geo.axis_scales(p["_matrix"], p["_out_shape"])) if "_matrix" in p else 1.0 for _, p, _ in steps)
    return 0.5 if total < strongest * _SHRINK_SLACK else 0.0


_CV_DTYPES = {np.dtype(t) for t in (np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32, np.float64)}


def _paint(out: np.ndarray, source: np.ndarray, regions: list) -> np.ndarray:
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


def _inside_regions(steps: list, painters: list[int], out_shape: tuple[int, int]) -> list:
    """For each painting step k whose canvas does not cover the output: (k, a uint8 mask of the output
    pixels op-by-op execution takes from step k's input canvas rather than from its fill)."""
    regions = []
    for k in painters:
        matrix = steps[k][1]["_matrix"]
        for s in steps[k + 1 :]:
            matrix = s[1]["_matrix"] @ matrix
        inside = inside_mask(matrix, steps[k][2], out_shape)
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


def _dense_maps(steps: list, painters: list[int], out_shape: tuple[int, int]):
    """Compose the run backwards into one pair of sampling maps over the final canvas (pixel-index
    positions in the first input), plus, for each painting step, the pixels it did not reveal."""
    xs = ys = None  # None: the identity grid of the final canvas
    pending = np.eye(3)  # continuous map from (xs, ys) positions to the current canvas
    outside = []
    for k in range(len(steps) - 1, -1, -1):
        t, params, in_shape = steps[k]
        if "_matrix" in params:
            pending = geo.inverse(params["_matrix"]) @ pending
        else:
            fx, fy = params["_field"]
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

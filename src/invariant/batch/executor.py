"""Batched execution of a ``Compose`` on ``(B, C, H, W)`` torch tensors, as a ``torch.nn.Module``.

``pipe.batched(device=None, channels_last=False)`` returns a ``BatchedPipeline``. Its ``forward(images,
indices=None, epoch=0, ...)`` plans every sample on the host with the generator the CPU path gives it,
``derive_rng(seed, epoch, index)`` (``core.rng``; ``AugmentedDataset`` and ``DistributedSampler`` use the
same), so sample ``i`` draws the same p decisions, crops, angles and colour factors whichever executor
runs it. Planning touches no pixel (numpy draws on a zero-stride placeholder image); boxes and keypoints
are moved and filtered by the planner itself, so they are the CPU path's exactly.

Execution walks the pipeline's leaves in order. Consecutive spatial leaves form one stage: each sample's
steps there compose into one (3, 3) matrix, and the stage is ONE ``grid_sample`` over the samples that
applied any of them (per interpolation), reading each sample's source window with its border step's
rule and painting the fill of later revealing steps where they revealed (the numpy executor's
``SpatialRun`` rules, ``core.plan.analyse``). A pixel leaf is one vectorised kernel
(``kernels_torch``) over the samples that applied it, with per-sample factors; samples whose p draw
skipped a step are untouched. uint8 input is held as float32 0..255 values rounded after every step,
as the numpy path's uint8 intermediates are.

``TorchExecutor`` (registered as ``"torch"``) runs one ``Plan`` through the same code:
``pipe.execute(plan, executor="torch")``.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Any, Sequence

import numpy as np

from ..core.compose import Compose
from ..core.errors import require_torch, type_error, value_error
from ..core.executor import Executor, _dense_maps, register_executor
from ..core.plan import Plan, SpatialRun, Step, analyse, interpolation_of
from ..core.batch_rng import BatchPCG64, fast_generator, seed_words
from ..core.call import read_sample
from ..core.rng import fresh_seed
from ..core.sample import Planes, kind_fill
from ..ops import geometric as geo
from ..core.transform import SpatialTransform, executes_generically
from ..core import hooks
from . import kernels_torch as K
from . import policies_torch as P
from .sampling import plan_batch

torch = require_torch("invariant.batch.executor (batched execution)")
F = torch.nn.functional

_INTERPOLATIONS = ("nearest", "linear", "cubic")
_BORDERS = ("constant", "reflect", "symmetric", "replicate")
# pixel steps whose output is no longer in the input's dtype units (nothing is rounded after them)
_FLOAT_OUTPUT = ("Normalize",)


def unsupported(t: Any) -> str | None:
    """Why leaf ``t`` has no batched execution (None when it has one)."""
    name = type(t).__name__
    if isinstance(t, SpatialTransform):
        if not executes_generically(t):
            return f"{name} (executes its own apply_image)"
        if t.interpolation not in _INTERPOLATIONS:
            return f"{name} (interpolation={t.interpolation!r}; batched: {', '.join(_INTERPOLATIONS)})"
        if t.border_mode not in _BORDERS:
            return f"{name} (border_mode={t.border_mode!r}; batched: {', '.join(_BORDERS)})"
        return None
    if name not in K.PIXEL_KERNELS:
        return f"{name} (no batched kernel)"
    return None


def _stages(leaves: list[Any]) -> tuple[list[tuple[bool, list[int]]], dict[int, int]]:
    """Consecutive spatial leaves form one stage (one resampling); every pixel leaf is its own stage."""
    stages: list[tuple[bool, list[int]]] = []
    stage_of: dict[int, int] = {}
    for i, leaf in enumerate(leaves):
        spatial = bool(leaf.spatial)
        if spatial and stages and stages[-1][0]:
            stages[-1][1].append(i)
        else:
            stages.append((spatial, [i]))
        stage_of[i] = len(stages) - 1
    return stages, stage_of


class _Resampling:
    """One sample's part of a spatial stage: backward matrix, interpolation, border rule and window."""

    __slots__ = ("index", "inverse", "interp", "mode", "fill", "fill_mask", "window", "painters", "fast", "maps", "outside")

    def __init__(self, index: int, steps: list[Step], shape: tuple[int, int]) -> None:
        self.index = index
        self.maps: tuple[np.ndarray, np.ndarray] | None = None
        self.outside: list[tuple[np.ndarray, Any, Any]] = []
        for s in steps:
            if s.geometry is None:
                value_error("pipeline", "spatial steps stating a geometry", type(s.transform).__name__, "run this transform with the numpy executor")
        if any(s.geometry.matrix is None for s in steps):  # type: ignore[union-attr]
            self._field(steps, shape)
            return
        composite = steps[0].geometry.matrix  # type: ignore[union-attr]
        for s in steps[1:]:
            composite = s.geometry.matrix @ composite  # type: ignore[union-attr,operator]
        self.inverse = np.linalg.inv(composite)
        interp = next((i for i in (interpolation_of(s) for s in steps) if i is not None), "linear")
        border_at, window = 0, None
        if len(steps) > 1:
            runs = analyse(steps, True)
            if len(runs) == 1 and type(runs[0]) is SpatialRun:
                border_at, window = runs[0].border_at, runs[0].window
        self.painters: list[tuple[np.ndarray, tuple[int, int], Any, Any]] = []
        for k in range(border_at + 1, len(steps)):
            g = steps[k].geometry
            if not g.reveals:  # type: ignore[union-attr]
                continue
            t = steps[k].transform
            if t.border_mode != "constant":
                value_error("pipeline", "one resampling per spatial stage", f"{type(t).__name__}(border_mode={t.border_mode!r}) revealing after another spatial step", "use border_mode='constant' for later revealing steps, or the numpy executor")
            matrix = g.matrix  # type: ignore[union-attr]
            for s in steps[k + 1 :]:
                matrix = s.geometry.matrix @ matrix  # type: ignore[union-attr,operator]
            self.painters.append((np.linalg.inv(matrix), steps[k].in_shape, t.fill, kind_fill(t, "mask")))
        t = steps[border_at].transform
        self.interp, self.mode, self.fill, self.fill_mask = interp, t.border_mode, t.fill, kind_fill(t, "mask")
        self.window = window if window is not None else (0, 0, shape[1], shape[0])
        out_h, out_w = steps[-1].geometry.out_shape  # type: ignore[union-attr]
        form = geo.classify(composite, shape, (out_h, out_w))
        self.fast: tuple | None = None
        if form[1] == geo.RESIZE:  # the numpy kernel slices the window and resizes it: edges replicate inside it
            self.mode, self.window = "replicate", tuple(form[2:6])
            if interp == "linear" and not self.painters:
                self.fast = ("resize", *form[2:6], form[7], form[8])
        elif self.mode == "constant" and self._place(composite, window, (out_h, out_w), form):
            self.fast = None  # a letterbox: the numpy kernel resizes the (windowed) source into a rectangle and fills around it
        elif form[1] == geo.IDENTITY and not self.painters:
            self.fast = ("slice", 0, 0, False, False)
        elif form[1] == geo.WINDOW and not self.painters:
            x0, y0 = form[2], form[3]
            wx0, wy0, wx1, wy1 = self.window  # the run's source window (a crop before a revealing step): a slice may not read past it
            if x0 >= wx0 and y0 >= wy0 and x0 + out_w <= wx1 and y0 + out_h <= wy1:
                self.fast = ("slice", x0, y0, form[4], form[5])

    def _place(self, composite: np.ndarray, window: tuple[int, int, int, int] | None, out_shape: tuple[int, int], form: tuple) -> bool:
        """Is this run the numpy executor's ``PLACE`` or ``CLIPPED_PLACE`` kernel (the run's source window resized
        onto an integer rectangle of the canvas, or one reaching past it, the fill around it: a letterbox, or
        a resize then crop and pad as ScaleJitter)? Then read it as that kernel does: edges
        replicated inside the rectangle (an upscale's outer half pixels are the edge pixels, not blended
        with the fill as a constant-border warp blends them) and the fill outside it. The form is classified
        on the window, as ``NumpyExecutor.spatial_run`` classifies it."""
        if window is not None:  # (``form``: the whole source's; no window, it is the one to read)
            x0, y0, x1, y1 = window
            form = geo.classify(composite @ geo.translation(x0, y0), (y1 - y0, x1 - x0), out_shape)
        if form[1] != geo.PLACE and form[1] != geo.CLIPPED_PLACE:
            return False
        ox0, oy0, ox1, oy1 = form[2:6]  # CLIPPED_PLACE: the rectangle reaches past the canvas on some side
        inside = np.zeros(out_shape, np.uint8)
        inside[max(oy0, 0) : oy1, max(ox0, 0) : ox1] = 1
        self.mode = "replicate"  # folding into the window = resizing the window (its edges replicate)
        self.outside = [(inside, self.fill, self.fill_mask), *self.outside]
        return True

    def _field(self, steps: list[Step], shape: tuple[int, int]) -> None:
        """A stage with displacement fields: the numpy executor's own composition of its fields and
        matrices into dense backward maps over the output canvas (``core.executor._dense_maps``, pixel
        positions in the input), read by ``grid_sample`` with the border step's rule."""
        runs = analyse(steps, True)
        border_at, window = 0, None
        if len(runs) == 1 and type(runs[0]) is SpatialRun:
            border_at, window = runs[0].border_at, runs[0].window
        painters = [k for k in range(border_at + 1, len(steps)) if steps[k].geometry.reveals]  # type: ignore[union-attr]
        for k in painters:
            t = steps[k].transform
            if t.border_mode != "constant":
                value_error("pipeline", "one resampling per spatial stage", f"{type(t).__name__}(border_mode={t.border_mode!r}) revealing after another spatial step", "use border_mode='constant' for later revealing steps, or the numpy executor")
        out_shape = steps[-1].geometry.out_shape  # type: ignore[union-attr]
        map_x, map_y, outside = _dense_maps(steps, painters, out_shape)
        self.maps = (map_x, map_y)
        self.outside = [(inside, steps[k].transform.fill, kind_fill(steps[k].transform, "mask")) for k, inside in outside]
        t = steps[border_at].transform
        self.interp = next((i for i in (interpolation_of(s) for s in steps) if i is not None), "nearest")
        self.mode, self.fill, self.fill_mask = t.border_mode, t.fill, kind_fill(t, "mask")
        self.window = window if window is not None else (0, 0, shape[1], shape[0])
        self.inverse, self.painters, self.fast = None, [], None


_SCRATCH = threading.local()


def _as_float(x: Any) -> tuple[Any, bool]:
    """``x`` as float32, and whether that is a reused scratch buffer: a uint8 batch is converted into a
    per-thread buffer kept between calls (CPU tensors above glibc's 32 MiB mmap threshold are mapped
    fresh and page-faulted on every allocation, which costs as much as the conversion itself). The
    buffer must not escape the step that asked for it."""
    if x.dtype == torch.float32:
        return x, False
    if x.dtype != torch.uint8 or x.device.type != "cpu" or x.numel() < (1 << 22):
        return x.float(), False
    buf = getattr(_SCRATCH, "buf", None)
    if buf is None or buf.numel() < x.numel():
        buf = _SCRATCH.buf = torch.empty(x.numel(), dtype=torch.float32)
    return buf[: x.numel()].view(x.shape).copy_(x), True


def _fill_tensor(fills: list[Any], channels: int, device: Any) -> Any:
    values = np.stack([np.broadcast_to(np.asarray(f, np.float64), (channels,)) for f in fills])
    return torch.as_tensor(values, dtype=torch.float32).to(device).view(len(fills), channels, 1, 1)


# The depth kind's fill for pixels a spatial step reveals: ``ARRAY_KIND_TABLE["depth"].fill`` is None, so 0
# ("no measurement"), whatever the transform's image or mask fill.
_DEPTH_FILL = kind_fill(None, "depth")


def _target_fill(fills: list[Any], channels: int, depth: int, device: Any) -> Any:
    """Per-sample fills of the label tensor: masks' ``fill_mask`` on its first ``channels - depth``
    channels, the depth kind's fill on its last ``depth`` (depth maps travel there, see ``run_batch``)."""
    mask_part = _fill_tensor(fills, channels - depth, device)
    if not depth:
        return mask_part
    return torch.cat([mask_part, torch.full((len(fills), depth, 1, 1), float(_DEPTH_FILL), dtype=torch.float32, device=device)], dim=1)


def run_batch(pipe_leaves: list[Any], stages: list[tuple[bool, list[int]]], stage_of: dict[int, int], plans: list[list[Step]], x: Any, masks: Any, integer: bool, top: float, depth: int = 0) -> tuple[Any, Any, bool]:
    """Execute per-sample step lists ``plans`` on the float32 batch ``x`` (and ``masks``, float).
    ``depth``: the last ``depth`` channels of ``masks`` are depth maps (kind "depth": moved nearest by the
    spatial stages with fill 0, untouched by pixel stages, which declare no ``applies_to_depth``)."""
    position = {id(leaf): i for i, leaf in enumerate(pipe_leaves)}
    per_stage: list[list[list[Step]]] = [[[] for _ in plans] for _ in stages]
    for b, steps in enumerate(plans):
        last = -1
        for s in steps:
            pos = position[id(s.transform)]
            if pos <= last and not (stages[stage_of[pos]][0] == P.POLICY and stage_of[pos] == stage_of[last]):  # a policy picks its ops in any order
                value_error("pipeline", "steps in the pipeline's leaf order (batched stages are aligned by leaf)", f"{type(s.transform).__name__} after a later leaf", "avoid containers that reorder (SomeOf with replace or shuffle), or use the numpy executor")
            last = pos
            per_stage[stage_of[pos]][b].append(s)
    P.merge_edges(stages, per_stage)
    spatial_stage = functools.partial(_spatial_stage, depth=depth) if depth else _spatial_stage
    pixel_stage = functools.partial(_pixel_stage, depth=depth) if depth else _pixel_stage
    owned = False  # x is still the caller's tensor
    for (spatial, leaves), stage_steps in zip(stages, per_stage):
        active = [b for b, s in enumerate(stage_steps) if s]
        if not active:
            continue
        if spatial == P.POLICY:
            x, masks, integer = P.policy_stage(stage_steps, x, masks, integer, top, spatial_stage, pixel_stage)
        elif spatial:
            x, masks = spatial_stage(stage_steps, active, x, masks, integer, top)
        else:
            x, masks, integer = pixel_stage(pipe_leaves[leaves[0]], stage_steps, active, x, masks, integer, top, owned)
        owned = True  # every stage returns fresh tensors: later ones may write into them
    return x, masks, integer


def _spatial_stage(stage_steps: list[list[Step]], active: list[int], x: Any, masks: Any, integer: bool, top: float = 255.0, depth: int = 0) -> tuple[Any, Any]:
    """One spatial stage. Per sample, by the composed matrix's form: an integer window with flips inside
    the source is sliced (exact, any dtype); a scaled window (crop + resize, the numpy kernel's slice +
    ``cv2.resize``) is sliced and resized with ``F.interpolate`` (bilinear, half-pixel centres, edges
    replicated inside the window); everything else goes through ONE ``grid_sample`` per
    (interpolation, border) group. ``masks`` (masks, then ``depth`` depth channels) are read nearest with
    the same matrices, windows and border rules; revealed pixels take ``fill_mask`` (masks) or 0 (depth)."""
    B, C, H, W = x.shape
    shapes = {tuple(stage_steps[b][-1].geometry.out_shape) for b in active}  # type: ignore[union-attr]
    if len(shapes) > 1 or (len(active) < B and shapes != {(H, W)}):
        names = sorted({type(s.transform).__name__ for b in active for s in stage_steps[b]})
        value_error("pipeline", "one output size for every sample of a batch", f"{names} giving sizes {sorted(shapes)}{' (some samples skipped the step)' if len(active) < B else ''}", "end the spatial steps with a fixed-size step applied with p=1 (Resize, RandomResizedCrop, CenterCrop)")
    out_shape: tuple[int, int] = shapes.pop()  # type: ignore[assignment]
    oh, ow = out_shape
    dev = x.device
    parts = [_Resampling(b, stage_steps[b], (H, W)) for b in active]
    if len(active) == B:
        new = torch.empty((B, C, oh, ow), dtype=x.dtype, device=dev)
        newm = None if masks is None else torch.empty((B, masks.shape[1], oh, ow), dtype=masks.dtype, device=dev)
    else:  # the others keep their (same-size) pixels
        new, newm = x.clone(), None if masks is None else masks.clone()
    groups: dict[tuple[str, str], list[_Resampling]] = {}
    for r in parts:
        b = r.index
        if r.fast is not None and r.fast[0] == "slice":
            _, x0, y0, fx, fy = r.fast
            new[b] = _flip(x[b, :, y0 : y0 + oh, x0 : x0 + ow], fx, fy)
            if newm is not None:
                newm[b] = _flip(masks[b, :, y0 : y0 + oh, x0 : x0 + ow], fx, fy)
        elif r.fast is not None:
            _, x0, y0, x1, y1, fx, fy = r.fast
            window = K.resize_window(x[b : b + 1, :, y0:y1, x0:x1], out_shape, integer)[0]
            if integer and window.dtype.is_floating_point:  # float storage of integer levels: round as a step does
                window = window.round_()
            new[b] = _flip(window, fx, fy)
            if newm is not None:
                newm[b] = _flip(F.interpolate(masks[b : b + 1, :, y0:y1, x0:x1].float(), size=out_shape, mode="nearest-exact")[0].to(masks.dtype), fx, fy)
        else:
            groups.setdefault((r.interp, r.mode, r.maps is not None), []).append(r)
    for (interp, mode, fields), group in groups.items():
        idx = [r.index for r in group]
        sel = torch.as_tensor(idx, device=dev)
        src, _ = _as_float(x if len(idx) == B else x.index_select(0, sel))  # read only: grid_read returns new tensors
        msrc = None if masks is None else (masks if len(idx) == B else masks.index_select(0, sel)).float()
        windows = np.array([r.window for r in group], np.float64)
        whole = bool((windows == np.array([0, 0, W, H])).all())
        grid = sx = sy = None
        if fields:  # dense maps of pixel positions: + 0.5 gives continuous coordinates
            sx = torch.from_numpy(np.stack([r.maps[0] for r in group])).to(dev).add_(0.5)  # type: ignore[index]
            sy = torch.from_numpy(np.stack([r.maps[1] for r in group])).to(dev).add_(0.5)  # type: ignore[index]
        elif mode == "constant" and whole:  # normalised coordinates straight away
            grid = K.normalised_grid(np.stack([r.inverse for r in group]), (H, W), out_shape, dev)
        else:
            inverses = np.stack([r.inverse for r in group])
            sx, sy = K.source_points(torch.as_tensor(inverses, dtype=torch.float64).to(dev), out_shape, not np.all(inverses[:, 2] == (0.0, 0.0, 1.0)))
        mimg = None
        if mode == "constant":
            fills = [r.fill for r in group]
            zero = all(np.all(np.asarray(f) == 0) for f in fills)
            fill = None if zero else _fill_tensor(fills, C, dev)
            shifted = src if zero else src - fill
            if not whole:
                shifted = shifted * K.window_mask((H, W), windows, dev)
            img = K.grid_read(shifted, sx, sy, interp, "zeros", grid)
            if not zero:
                img = img + fill
            if msrc is not None:
                mfill = _target_fill([r.fill_mask for r in group], msrc.shape[1], depth, dev)
                mshift = msrc - mfill
                if not whole:
                    mshift = torch.where(K.window_mask((H, W), windows, dev) > 0, mshift, 0.0)  # not a product: depth holes are NaN
                mimg = K.grid_read(mshift, sx, sy, "nearest", "zeros", grid) + mfill
        else:
            win = torch.as_tensor(windows, dtype=torch.float32).to(dev)
            fx_ = K.fold_border(sx, win[:, 0, None, None], win[:, 2, None, None], mode)
            fy_ = K.fold_border(sy, win[:, 1, None, None], win[:, 3, None, None], mode)
            img = K.grid_read(src, fx_, fy_, interp, "border")
            mimg = None if msrc is None else K.grid_read(msrc, fx_, fy_, "nearest", "border")
        for j, r in enumerate(group):
            for inside, fill_k, mfill_k in r.outside:
                outside = torch.from_numpy(inside == 0).to(dev)
                img[j] = torch.where(outside, _fill_tensor([fill_k], C, dev)[0], img[j])
                if mimg is not None:
                    mimg[j] = torch.where(outside, _target_fill([mfill_k], mimg.shape[1], depth, dev)[0], mimg[j])
            for inverse_k, (hk, wk), fill_k, mfill_k in r.painters:
                px, py = K.source_points(torch.as_tensor(inverse_k[None], dtype=torch.float64).to(dev), out_shape, not np.all(inverse_k[2] == (0.0, 0.0, 1.0)))
                outside = ((px < 0) | (py < 0) | (px >= wk) | (py >= hk))[0]
                img[j] = torch.where(outside, _fill_tensor([fill_k], C, dev)[0], img[j])
                if mimg is not None:
                    mimg[j] = torch.where(outside, _target_fill([mfill_k], mimg.shape[1], depth, dev)[0], mimg[j])
        if integer:  # bilinear and nearest reads are convex combinations of 0..top values: no clamp
            img = img.round_() if interp != "cubic" else img.round_().clamp_(0.0, top)
        if len(idx) == B and len(groups) == 1:  # the whole batch in one resampling: float storage (integer values)
            return img, (None if mimg is None else (torch.round(mimg).to(newm.dtype) if not newm.dtype.is_floating_point else mimg))
        P.copy_rows(new, idx, sel, img.to(new.dtype))
        if newm is not None and mimg is not None:
            P.copy_rows(newm, idx, sel, torch.round(mimg).to(newm.dtype) if not newm.dtype.is_floating_point else mimg)
    return new, newm


def _flip(a: Any, fx: bool, fy: bool) -> Any:
    dims = [d for d, f in ((-1, fx), (-2, fy)) if f]
    return a.flip(dims) if dims else a


_HOLE_KERNELS = ("CoarseDropout", "RandomErasing", "CutOut")


def _pixel_stage(t: Any, stage_steps: list[list[Step]], active: list[int], x: Any, masks: Any, integer: bool, top: float, owned: bool = False, depth: int = 0) -> tuple[Any, Any, bool]:
    """One pixel leaf over the samples that applied it: float in, rounded and saturated to 0..255 for
    uint8 input (clamped to [0, top] for float input) and kept as float32 storage (converting back to
    uint8 and out again would cost two passes per step), Normalize's float output kept. ``owned``: x is
    a tensor of this forward pass (not the caller's), so skipped samples' rows are kept in place. The last
    ``depth`` channels of ``masks`` are depth maps: no batched pixel kernel applies to depth (none declares
    ``applies_to_depth``), so erasing fills only the mask channels."""
    B = x.shape[0]
    name = type(t).__name__
    kernel = K.PIXEL_KERNELS[name]
    params = [stage_steps[b][0].params for b in active]
    floats = name in _FLOAT_OUTPUT
    if floats and len(active) < B:
        value_error(name, "applied to every sample of a batch (p=1)", f"applied to {len(active)} of {B}", f"construct {name} with p=1")
    if masks is not None and name == "AugMix" and t.geometric:
        value_error("AugMix targets", "images only when geometric ops are on (a blend of differently moved copies has no single mask)", "a mask or depth map", "use AugMix(geometric=False) for masks and depth maps")
    part = x if len(active) == B else x.index_select(0, torch.as_tensor(active, device=x.device))
    part, scratch = _as_float(part)
    result = kernel(t, part, params, top)
    if (result is x and not owned) or (scratch and result.untyped_storage().data_ptr() == part.untyped_storage().data_ptr()):
        result = result.clone()  # a kernel that changed nothing: never write into the caller's tensor or hand out scratch
    if floats:
        integer = False
    elif integer:
        result = result.round_().clamp_(0.0, top)
    else:
        result = result.clamp_(0.0, top)
    if masks is not None and name in _HOLE_KERNELS and t.fill_mask is not None:
        masks = masks.clone()
        for b, p in zip(active, params):
            for x0, y0, x1, y1 in p["holes"]:
                masks[b, : masks.shape[1] - depth, y0:y1, x0:x1] = float(t.fill_mask)
    if len(active) == B:
        return result, masks, integer
    if result.shape[1] != x.shape[1]:
        value_error(name, "the same channel count for every sample", "a channel change on some samples", f"construct {name} with p=1")
    out = x if owned and x.dtype == torch.float32 else x.to(torch.float32, copy=True)
    P.copy_rows(out, active, torch.as_tensor(active, device=x.device), result)
    return out, masks, integer


# ---- the module ---------------------------------------------------------------------------------------------


class BatchedPipeline(torch.nn.Module):
    """``pipe`` as a ``torch.nn.Module`` over ``(B, C, H, W)`` uint8 or float tensors (see the module doc).

    forward(images, indices=None, epoch=None, mask=None, depth=None, bboxes=None, keypoints=None, **label_fields):
    sample ``i`` uses ``derive_rng(seed, epoch, indices[i])``. ``indices`` default to a running counter
    (each call continues where the last stopped) and ``epoch`` to ``set_epoch``'s value (0). Returns the
    float32 image batch (values in the input's units: 0..255 for uint8, 0..65535 for uint16, 0..1 for float; Normalize's
    output when the pipeline normalizes), or, when any target is passed, a dict: ``image``, ``mask``
    (the same rank and dtype as given, resampled nearest), ``depth`` (a float (B, H, W) or (B, 1, H, W)
    tensor in, the same rank and dtype out: the numpy path's kind "depth", moved nearest by spatial steps
    with 0 where they reveal, left alone by pixel steps), and for boxes/keypoints one tensor per sample
    (a list: after filtering every sample keeps a different count) with label lists and
    ``bbox_indices`` / ``keypoint_indices``. ``last_timing`` holds the host planning and execution
    seconds of the last call (execution is asynchronous on an accelerator: time it synchronised)."""

    def __init__(self, pipe: Compose, device: Any = None, channels_last: bool = False, seed: int | None = None) -> None:
        super().__init__()
        if not isinstance(pipe, Compose):
            type_error("pipe", "an iv.Compose", pipe, "wrap the transforms in iv.Compose([...])")
        missing = [why for leaf in pipe._leaf_list if (why := unsupported(leaf)) is not None]
        if missing:
            value_error("pipeline", "transforms with batched kernels", "; ".join(missing), "run these with the numpy executor (per sample, e.g. in the Dataset), or drop them from the batched pipeline")
        self.pipe = pipe
        self.device = None if device is None else torch.device(device)
        self.channels_last = bool(channels_last)
        self.seed = int(seed if seed is not None else (pipe.seed if pipe.seed is not None else fresh_seed()))
        self.epoch = 0
        self._next = 0
        self.leaves = list(pipe._leaf_list)
        self.stages, self.stage_of = P.stages_of(pipe, self.leaves, _stages)
        self.last_timing: dict[str, float] = {}
        self.vectorised_sampling = True  # plan the batch at once when every leaf can (False: per sample, for comparison)

    def set_epoch(self, epoch: int) -> None:
        """The epoch used when ``forward`` gets none."""
        self.epoch = int(epoch)

    def plans(self, shape: tuple[int, int, int], dtype: np.dtype, indices: Sequence[int], epoch: int, targets: list[dict[str, Any]] | None = None) -> list[Plan]:
        """Each sample's ``Plan``, drawn with ``derive_rng(seed, epoch, index)`` on a placeholder image of
        ``shape`` (H, W, C) (no pixel is read: the library's batched transforms draw from the shape)."""
        placeholder = np.broadcast_to(np.zeros((1, 1, shape[2]), dtype), shape)
        # derive_rng(seed, epoch, index)'s streams: the batch's SeedSequence words at once (core.batch_rng)
        words = seed_words(self.seed, (epoch,), np.asarray(indices, np.int64))
        if not targets and self.vectorised_sampling:  # every leaf draws for the whole batch at once (batch.sampling)
            template, meta = read_sample(self.pipe, {"image": placeholder})
            planned = plan_batch(self.pipe, BatchPCG64(words), template, meta)
            if planned is not None:
                return planned
        out = []
        for k in range(len(indices)):
            extra = targets[k] if targets else {}
            out.append(self.pipe.plan(rng=fast_generator(words[k]), image=placeholder, **extra))
        return out

    def forward(self, images: Any, indices: Any = None, epoch: int | None = None, mask: Any = None, depth: Any = None, **targets: Any) -> Any:
        if not torch.is_tensor(images) or images.ndim != 4:
            type_error("images", "a (B, C, H, W) torch tensor", images, "stack the images: torch.stack(list_of_chw) or x.permute(0, 3, 1, 2) for (B, H, W, C)")
        if images.dtype not in (torch.uint8, torch.uint16, torch.float32, torch.float16, torch.bfloat16, torch.float64):
            value_error("images", "uint8, uint16 or float values", str(images.dtype), "convert with .float() / 255 or keep uint8")
        B, C, H, W = images.shape
        if self.device is not None:
            images = images.to(self.device, non_blocking=True)
        wide = images.dtype == torch.uint16  # held as float32 levels from the start (torch has few uint16 kernels)
        if wide:
            refused = sorted({type(leaf).__name__ for leaf in self.leaves if not leaf.spatial and type(leaf).__name__ not in K.UINT16_KERNELS})
            if refused:
                value_error("images", f"uint8 or float input for {', '.join(refused)} (no uint16 batched kernel)", "uint16", "convert to float (x.float() / 65535) or run these per sample with the numpy executor")
        integer = images.dtype == torch.uint8 or wide
        top = 65535.0 if wide else 255.0 if integer else 1.0
        if indices is None:
            indices = list(range(self._next, self._next + B))
            self._next += B
        else:
            indices = [int(i) for i in (indices.tolist() if hasattr(indices, "tolist") else indices)]
            if len(indices) != B:
                value_error("indices", f"{B} dataset indices (one per image)", len(indices), "pass the batch's dataset indices")
        epoch = self.epoch if epoch is None else int(epoch)
        per_sample = _split_targets(targets, B)
        t0 = time.perf_counter()
        plans = self.plans((H, W, C), np.dtype(np.uint16 if wide else np.uint8 if integer else np.float32), indices, epoch, per_sample)
        t1 = time.perf_counter()
        x = images if integer and not wide else images.to(torch.float32)  # uint8 until a step resamples or recolours it
        m = None
        if mask is not None:
            m = (mask[:, None] if mask.ndim == 3 else mask).to(x.device)
        nd = 0
        if depth is not None:  # depth channels ride after the mask channels (float32), with the depth kind's rules
            d = _depth_batch(depth, (B, H, W)).to(x.device)
            nd = d.shape[1]
            m = d if m is None else torch.cat([m.to(torch.float32), d], dim=1)
        x, m, _ = run_batch(self.leaves, self.stages, self.stage_of, [p.steps for p in plans], x, m, integer, top, nd)
        x = x.float() if x.dtype != torch.float32 else x
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        self.last_timing = {"plan_s": t1 - t0, "execute_s": time.perf_counter() - t1}
        if mask is None and depth is None and not targets:
            return x
        out: dict[str, Any] = {"image": x}
        if depth is not None:
            d, m = m[:, m.shape[1] - nd :], (m[:, : m.shape[1] - nd] if mask is not None else None)
            out["depth"] = (d[:, 0] if depth.ndim == 3 else d).to(depth.dtype)
            if m is not None and not mask.dtype.is_floating_point:
                m = torch.round(m).to(mask.dtype)
            elif m is not None:
                m = m.to(mask.dtype)
        if m is not None:
            out["mask"] = m[:, 0] if mask.ndim == 3 else m
        if targets:
            written = [_write_points(self.pipe, p) for p in plans]
            for key in written[0]:
                out[key] = [w[key] for w in written]
        return out


def _depth_batch(depth: Any, shape: tuple[int, int, int]) -> Any:
    """``depth`` as a (B, C, H, W) float32 tensor, checked against the images' (B, H, W)."""
    B, H, W = shape
    if not torch.is_tensor(depth) or depth.ndim not in (3, 4) or not depth.dtype.is_floating_point:
        type_error("depth", "a float (B, H, W) or (B, 1, H, W) torch tensor", depth, "pass metric depth as torch.from_numpy(depth_maps).float()")
    d = depth[:, None] if depth.ndim == 3 else depth
    if d.shape[0] != B or tuple(d.shape[2:]) != (H, W):
        value_error("depth", f"one (H, W) = ({H}, {W}) map per image, {B} of them", tuple(depth.shape), "resize the depth maps to the images' size before batching")
    return d.to(torch.float32)


def _split_targets(targets: dict[str, Any], n: int) -> list[dict[str, Any]] | None:
    """Per-sample keyword dicts from per-keyword lists (boxes, keypoints, their label fields)."""
    if not targets:
        return None
    out: list[dict[str, Any]] = [{} for _ in range(n)]
    for key, values in targets.items():
        if not isinstance(values, (list, tuple)) or len(values) != n:
            type_error(key, f"a list of {n} per-sample entries (ragged targets)", values, f"pass {key}=[sample_0, ..., sample_{n - 1}]")
        for k, v in enumerate(values):
            out[k][key] = v.detach().cpu().numpy() if torch.is_tensor(v) else v
    return out


def _write_points(pipe: Compose, plan: Plan) -> dict[str, Any]:
    """The sample's boxes/keypoints (and labels, indices) in the caller's format; arrays as tensors."""
    out: dict[str, Any] = {}
    targets = plan.sample.annotations.targets
    for kw in plan.meta["points"]:
        targets[kw].write(pipe, plan.sample.shape, out)
    return {k: torch.as_tensor(np.asarray(v)) if isinstance(v, np.ndarray) else v for k, v in out.items()}


# ---- the executor registered for single plans ---------------------------------------------------------------


class TorchExecutor(Executor):
    """Runs one ``Plan`` with the batched kernels (a batch of one), writing numpy arrays back:
    ``pipe.execute(plan, executor="torch")``. Image, mask and depth kinds (depth maps travel after the
    mask channels, as in ``BatchedPipeline.forward``)."""

    name = "torch"

    def run(self, plan: Plan) -> None:
        sample = plan.sample
        for n, a in sample.arrays.items():  # instance masks as one (H, W, N) stack: the batched kernels' form
            if type(a) is Planes:
                sample.arrays[n] = a.stack()
        leaves = _leaves_of(plan)
        stages, stage_of = _stages(leaves)
        if len(leaves) < len(plan.steps):  # a policy repeated an op: one stage run unit by unit (policies_torch)
            stages, stage_of = [(P.POLICY, list(range(len(leaves))))], {i: 0 for i in range(len(leaves))}
        image = sample.arrays["image"]
        integer = image.dtype == np.uint8
        if not integer and image.dtype != np.float32:
            value_error("image", "uint8 or float32 for the torch executor", str(image.dtype), "use the numpy executor")
        x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))[None]
        mask_names = [n for n, k in sample.kinds.items() if k == "mask"]
        depth_names = [n for n, k in sample.kinds.items() if k == "depth"]
        for n, k in sample.kinds.items():
            if k not in ("image", "mask", "depth") or (k == "image" and n != "image"):
                value_error(n, "image, mask and depth arrays for the torch executor", k, "use the numpy executor")
        m = None
        label_names = mask_names + depth_names
        nd = sum(sample.arrays[n].shape[2] for n in depth_names)
        if label_names:
            m = torch.from_numpy(np.ascontiguousarray(np.concatenate([sample.arrays[n] for n in label_names], axis=2).astype(np.float32).transpose(2, 0, 1)))[None]
        x, m, still_integer = run_batch(leaves, stages, stage_of, [plan.steps], x, m, integer, 255.0 if integer else 1.0, nd)
        out = x[0].permute(1, 2, 0)
        out = (out.to(torch.uint8) if still_integer else out.to(torch.float32)).numpy()  # uint8: values already rounded
        sample.arrays["image"] = np.ascontiguousarray(out)
        if m is not None:
            mm = m[0].permute(1, 2, 0).numpy()
            c0 = 0
            for n in label_names:
                c = sample.arrays[n].shape[2]
                part = mm[:, :, c0 : c0 + c]
                if not np.issubdtype(sample.arrays[n].dtype, np.floating):
                    part = np.rint(part)
                sample.arrays[n] = np.ascontiguousarray(part.astype(sample.arrays[n].dtype))
                c0 += c


def _leaves_of(plan: Plan) -> list[Any]:
    """The distinct transforms of a plan, in first-use order (the stage layout of a single plan)."""
    seen: dict[int, Any] = {}
    for s in plan.steps:
        seen.setdefault(id(s.transform), s.transform)
    leaves = list(seen.values())
    missing = [why for leaf in leaves if (why := unsupported(leaf)) is not None]
    if missing:
        value_error("plan", "transforms with batched kernels", "; ".join(missing), "use the numpy executor")
    return leaves


register_executor("torch", TorchExecutor())


def batched(pipe: Compose, device: Any = None, channels_last: bool = False, seed: int | None = None) -> BatchedPipeline:
    """``pipe.batched(...)``: the pipeline as a ``BatchedPipeline`` module."""
    return BatchedPipeline(pipe, device=device, channels_last=channels_last, seed=seed)


hooks.register("batched_pipeline", batched)

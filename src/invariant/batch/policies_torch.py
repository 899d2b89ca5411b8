"""Batched execution of the augmentation policies (RandAugment, TrivialAugmentWide, AutoAugment, AugMix).

Every sample draws its own ops and magnitudes from its own plan (``derive_rng(seed, epoch, index)``, as
on the numpy path); this module executes those per-sample op lists on a ``(B, C, H, W)`` batch:

- **Policy stages.** A policy container (``policies.base.Policy``) emits, per sample, a short list of
  its leaves in a random order (RandAugment draws with replacement), so its leaves cannot be aligned
  across samples by position as the executor aligns the rest of a pipeline. Its leaves form ONE stage
  (``POLICY``), executed in rounds: each sample's list is cut into units as the numpy executor fuses
  them (consecutive geometric ops: one resampling; each pixel op on its own; uint8 table runs are
  bit-identical to op-by-op, ``core.lut``), and round ``r`` runs every sample's ``r``-th unit: the
  geometric units of all samples as ONE spatial stage (per-sample composed matrices, one
  ``grid_sample``), the pixel units grouped by op, each op's kernel on its subset of rows. Leading
  geometric ops join the spatial stage before the policy and trailing ones the spatial stage after it,
  per sample, because the numpy path fuses them with those steps into one resampling.
- **Pixel ops** (``PolicyPixelOp``): on uint8, each sample's 256-entry table is built on the device in
  float64 from the same curve and statistics as ``PointwiseTransform.lookup_table`` (Brightness,
  Contrast with the gray mean, AutoContrast with each channel's min/max) and gathered, so they are
  exact; Solarize, Posterize, Invert, Equalize reuse ``kernels_torch``; Color blends with the gray
  image (a per-sample 3x3 matrix), Sharpness with PIL's SMOOTH filter from exact 3x3 box sums.
- **AugMix** is a pixel leaf: per sample ``width`` chains of 1-3 ops with Dirichlet weights and a Beta
  mixing weight from the plan; the chains run slot by slot (chain ``c``, depth ``d``), each op on the
  samples that drew it, geometric ops as one ``grid_sample`` per op with per-sample matrices; the mix is
  the numpy path's float32 expression.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..core.compose import Container
from ..core.errors import require_torch, value_error
from ..core.plan import Step
from ..ops.color import GRAY_WEIGHTS
from ..policies.augmix import AugMix
from ..policies.base import Policy
from ..policies.ops import PolicyGeometricOp
from . import kernels_torch as K
from .kernels_torch import register_pixel

torch = require_torch("invariant.batch.policies_torch (batched policies)")
F = torch.nn.functional

POLICY = "policy"  # the stage kind of a policy container's leaves (spatial stages are True, pixel False)


# ---- stage layout -------------------------------------------------------------------------------------------


def _policies(t: Any) -> list[Any]:
    """The policy containers inside ``t`` (outermost first)."""
    if isinstance(t, Policy):
        return [t]
    if isinstance(t, Container):
        return [p for c in t.transforms for p in _policies(c)]
    return []


def stages_of(pipe: Any, leaves: list[Any], plain: Callable[[list[Any]], tuple[list, dict[int, int]]]) -> tuple[list[tuple[Any, list[int]]], dict[int, int]]:
    """The executor's stages (``plain``: consecutive spatial leaves form one stage, each pixel leaf its
    own) with every policy container's leaves gathered into one ``POLICY`` stage."""
    owner: dict[int, int] = {}
    for k, policy in enumerate(_policies(pipe)):
        for leaf in policy.leaves():
            owner[id(leaf)] = k
    if not owner:
        return plain(leaves)
    stages: list[tuple[Any, list[int]]] = []
    stage_of: dict[int, int] = {}
    segment: list[int] = []  # leaves outside policies, laid out by ``plain``

    def flush() -> None:
        if segment:
            sub, _ = plain([leaves[i] for i in segment])
            for kind, local in sub:
                stages.append((kind, [segment[j] for j in local]))
                for j in local:
                    stage_of[segment[j]] = len(stages) - 1
            segment.clear()

    current = None
    for i, leaf in enumerate(leaves):
        k = owner.get(id(leaf))
        if k is None:
            segment.append(i)
            current = None
            continue
        flush()
        if current != k:
            stages.append((POLICY, []))
            current = k
        stages[-1][1].append(i)
        stage_of[i] = len(stages) - 1
    flush()
    return stages, stage_of


def merge_edges(stages: list[tuple[Any, list[int]]], per_stage: list[list[list[Step]]]) -> None:
    """Per sample, move a policy's leading geometric ops to the end of the spatial stage before it and its
    trailing ones to the start of the spatial stage after it (the numpy path fuses them there); when
    nothing is left between the two and the stage after keeps the size, the sample's steps of the stage
    after join the stage before too (one resampling for all, as numpy)."""
    for si, (kind, _) in enumerate(stages):
        if kind != POLICY:
            continue
        before = si > 0 and stages[si - 1][0] is True
        after = si + 1 < len(stages) and stages[si + 1][0] is True
        for b, steps in enumerate(per_stage[si]):
            if before:
                lead = 0
                while lead < len(steps) and steps[lead].transform.spatial:
                    lead += 1
                if lead:
                    per_stage[si - 1][b] = per_stage[si - 1][b] + steps[:lead]
                    steps = steps[lead:]
            if before and after and not steps:  # nothing left between two spatial stages: numpy fuses all three
                nxt = per_stage[si + 1][b]
                if nxt and tuple(nxt[-1].geometry.out_shape) == tuple(nxt[0].in_shape):  # type: ignore[union-attr]
                    per_stage[si - 1][b] = per_stage[si - 1][b] + nxt
                    per_stage[si + 1][b] = []
            if after and steps:
                trail = 0
                while trail < len(steps) and steps[len(steps) - 1 - trail].transform.spatial:
                    trail += 1
                if trail:
                    per_stage[si + 1][b] = steps[len(steps) - trail :] + per_stage[si + 1][b]
                    steps = steps[: len(steps) - trail]
            per_stage[si][b] = steps


def _units(steps: list[Step]) -> list[list[Step]]:
    """Consecutive spatial steps as one unit (one resampling), each pixel step on its own."""
    units: list[list[Step]] = []
    for s in steps:
        if s.transform.spatial and units and units[-1][0].transform.spatial:
            units[-1].append(s)
        else:
            units.append([s])
    return units


def policy_stage(stage_steps: list[list[Step]], x: Any, masks: Any, integer: bool, top: float, spatial_stage: Callable, pixel_stage: Callable) -> tuple[Any, Any, bool]:
    """Run a policy stage in rounds (module doc): round ``r`` executes every sample's ``r``-th unit, the
    geometric units as one spatial stage, the pixel units grouped by leaf (one kernel call per op)."""
    B = x.shape[0]
    units = [_units(steps) for steps in stage_steps]
    for r in range(max((len(u) for u in units), default=0)):
        spatial: list[list[Step]] = [[] for _ in range(B)]
        pixel: dict[int, tuple[Any, list[list[Step]]]] = {}
        for b, u in enumerate(units):
            if r >= len(u):
                continue
            unit = u[r]
            if unit[0].transform.spatial:
                spatial[b] = unit
            else:
                t = unit[0].transform
                pixel.setdefault(id(t), (t, [[] for _ in range(B)]))[1][b] = unit
        active = [b for b in range(B) if spatial[b]]
        if active:
            x, masks = spatial_stage(spatial, active, x, masks, integer, top)
        ops = [(t, lists) for t, lists in pixel.values() if type(t).__name__ == "PolicyPixelOp"]
        for t, lists in pixel.values():
            if type(t).__name__ != "PolicyPixelOp":  # another leaf inside a policy: the executor's pixel stage
                x, masks, integer = pixel_stage(t, lists, [b for b in range(B) if lists[b]], x, masks, integer, top)
        if ops:
            x = _policy_pixels(ops, x, integer, top)
    return x, masks, integer


def _policy_pixels(ops: list[tuple[Any, list[list[Step]]]], x: Any, integer: bool, top: float) -> Any:
    """One round's policy pixel ops: each op's kernel on the rows that drew it, written into ONE output
    (a copy of ``x`` only when some rows run no op this round), rounded and saturated to uint8 storage
    for uint8 input (clamped to [0, top] for float), as the executor's pixel stage."""
    B = x.shape[0]
    covered = sum(1 for _, lists in ops for b in range(B) if lists[b])
    out = torch.empty_like(x) if covered == B else x.clone()
    for t, lists in ops:
        rows = [b for b in range(B) if lists[b]]
        sel = torch.as_tensor(rows, device=x.device)
        part = x if len(rows) == B else x.index_select(0, sel)
        res = policy_pixel(t, part.float(), [lists[b][0].params for b in rows], top)
        if not integer:
            res = res.clamp(0.0, top)
        elif t.op == "Color":  # the other ops already give integers in 0..255 (tables, rounded blends)
            res = torch.round(res).clamp_(0.0, 255.0)
        if len(rows) == B:
            return res.to(x.dtype)
        copy_rows(out, rows, sel, res.to(x.dtype))
    return out


def copy_rows(dst: Any, rows: list[int], sel: Any, src: Any) -> None:
    """``dst[rows] = src``: one ``index_copy_`` on an accelerator; on CPU one copy per row (torch's CPU
    ``index_copy_`` of uint8 rows is about 60x slower than the row memcpys it amounts to)."""
    if dst.device.type != "cpu":
        dst.index_copy_(0, sel, src)
        return
    for j, b in enumerate(rows):
        dst[b].copy_(src[j])


# ---- pixel ops ----------------------------------------------------------------------------------------------


def _sums(x: Any) -> Any:
    """(n, C) float64 channel sums (exact for integer values below 2**53)."""
    return x.sum(dim=(2, 3), dtype=torch.float64)


def _pivot(x: Any) -> Any:
    """(n, C) float64 contrast pivot as ``ImageStats.contrast_pivot``: the gray mean
    ``0.299 r + 0.587 g + 0.114 b`` of the channel means (the same float64 operations) for RGB, each
    channel's mean otherwise."""
    n, c, h, w = x.shape
    means = _sums(x) * (1.0 / (h * w))
    if c == 3:
        pivot = 0.299 * means[:, 0] + 0.587 * means[:, 1] + 0.114 * means[:, 2]
        return pivot[:, None].expand(n, c)
    return means


def _linear(x: Any, scale: Any, shift: Any, top: float) -> Any:
    """``x * scale + shift`` with per-sample, per-channel (n, C) float64 parameters. uint8: the same
    float64 multiply and add the numpy path's table entry gets (``table_from_curve`` of ``linear_curve``
    on the integer level), rounded half-to-even and saturated as ``ops.color.to_table``: every pixel
    equals its table entry bit for bit, without a gather. Float: float32 multiply then add, as
    ``linear_curve`` on float32."""
    if top == 255.0:
        return torch.round(x.double() * scale[..., None, None] + shift[..., None, None]).clamp_(0.0, 255.0).float()
    return x * scale.float()[..., None, None] + shift.float()[..., None, None]


def _values(params: list, x: Any) -> Any:
    return torch.tensor([float(p["value"]) for p in params], dtype=torch.float64).to(x.device)


def _brightness(x: Any, params: list, top: float) -> Any:
    f = (1.0 + _values(params, x))[:, None].expand(x.shape[0], x.shape[1])
    return _linear(x, f, torch.zeros_like(f), top)


def _contrast(x: Any, params: list, top: float) -> Any:
    f = (1.0 + _values(params, x))[:, None].expand(x.shape[0], x.shape[1])
    return _linear(x, f, (1.0 - f) * _pivot(x), top)


def _autocontrast(x: Any, params: list, top: float) -> Any:
    """Stretch each channel's [min, max] to [0, top] (``ops.color.autocontrast_curve``)."""
    lo, hi = x.amin(dim=(2, 3)).double(), x.amax(dim=(2, 3)).double()
    span = hi - lo
    flat = span <= 0
    # a tensor divided by a tensor: torch computes ``scalar / tensor`` as a reciprocal product (1 ulp off)
    scale = torch.where(flat, torch.ones_like(span), torch.full_like(span, top) / torch.where(flat, torch.ones_like(span), span))
    shift = torch.where(flat, torch.zeros_like(span), -lo * scale)
    return _linear(x, scale, shift, top)


def _solarize(x: Any, params: list, top: float) -> Any:
    """Invert values at or above ``value / 255 * top``. uint8 compares integers with the threshold's
    ceiling (the same decision as the float64 table); float compares in float32 as the numpy curve."""
    thr = np.array([float(p["value"]) / 255.0 * top for p in params])
    if top == 255.0:
        thr = np.ceil(thr)
    t = torch.tensor(thr, dtype=torch.float32).to(x.device).view(-1, 1, 1, 1)
    return torch.where(x >= t, top - x, x)


def _posterize(x: Any, params: list, top: float) -> Any:
    return K.posterize(None, x, [{"bits": int(p["value"])} for p in params], top)


def _equalize(x: Any, params: list, top: float) -> Any:
    if top != 255.0:
        return _equalize_float(x)
    return K.equalize(None, x, params, top)


def _equalize_float(x: Any) -> Any:
    """Float [0, 1] equalization over 65536 levels, as ``Equalize.apply_image`` on float32: codes
    ``rint(x * 65535)``, PIL's table with an unfloored step (``equalize_table(hist, 65535)``), outputs
    ``table / 65535`` in float32."""
    n, c, h, w = x.shape
    codes = torch.round(x * np.float32(65535.0)).clamp_(0.0, 65535.0).reshape(n * c, h * w).long()
    hist = torch.zeros(n * c, 65536, dtype=torch.float64, device=x.device).scatter_add_(1, codes, torch.ones_like(codes, dtype=torch.float64))
    cum = hist.cumsum(1)
    below = cum - hist
    last = 65535 - torch.argmax((hist > 0).flip(1).to(torch.uint8), dim=1)
    rest = cum[:, -1] - hist.gather(1, last[:, None])[:, 0]
    step = rest / torch.full_like(rest, 65535.0)  # true division (a scalar divisor is a reciprocal product)
    flat = step == 0
    safe = torch.where(flat, torch.ones_like(step), step)
    table = torch.floor(((step / 2)[:, None] + below) / safe[:, None])
    table = torch.where(flat[:, None], torch.arange(65536, dtype=torch.float64, device=x.device)[None], table.clamp(max=65535.0))
    return (table * (1.0 / 65535.0)).float().gather(1, codes).view(n, c, h, w)


def _invert(x: Any, params: list, top: float) -> Any:
    return top - x


def _color(x: Any, params: list, top: float) -> Any:
    """Blend with the gray image, ``f * rgb + (1 - f) * gray`` (``ops.color.saturation``: one per-sample
    float32 3x3 colour matrix); 1-channel images are unchanged (PIL)."""
    n, c, h, w = x.shape
    if c != 3:
        return x
    f = np.array([1.0 + float(p["value"]) for p in params])
    mats = f[:, None, None] * np.eye(3) + (1.0 - f)[:, None, None] * np.outer(np.ones(3), GRAY_WEIGHTS)
    m = torch.as_tensor(mats.astype(np.float32)).to(x.device)
    out = torch.bmm(m, x.reshape(n, 3, h * w)).view(n, 3, h, w)
    return out


def _sharpness(x: Any, params: list, top: float) -> Any:
    """PIL's Sharpness (``ops.color.sharpness``): ``f * x + (1 - f) * SMOOTH(x)``, SMOOTH = (3x3 box sum +
    4 x) / 13 with replicated edges, border pixels unchanged. uint8: exact box sums weighted in float32
    (OpenCV's ``addWeighted`` on uint16); float: the same filter in float32."""
    n, c, h, w = x.shape
    if min(h, w) < 3:
        return x
    f = np.array([1.0 + float(p["value"]) for p in params])
    p = F.pad(x, (1, 1, 1, 1), mode="replicate")
    rows = p[:, :, :-2] + p[:, :, 1:-1] + p[:, :, 2:]
    sums = rows[..., :-2] + rows[..., 1:-1] + rows[..., 2:]  # 3x3 box sums (exact integers for uint8)
    a = torch.as_tensor((f + 4.0 * (1.0 - f) / 13.0).astype(np.float32)).to(x.device).view(-1, 1, 1, 1)
    bw = torch.as_tensor(((1.0 - f) / 13.0).astype(np.float32)).to(x.device).view(-1, 1, 1, 1)
    out = x * a + sums * bw
    if top == 255.0:
        out = torch.round(out).clamp_(0.0, 255.0)
    out[:, :, 0, :], out[:, :, -1, :], out[:, :, :, 0], out[:, :, :, -1] = x[:, :, 0, :], x[:, :, -1, :], x[:, :, :, 0], x[:, :, :, -1]
    return out


PIXEL_OPS: dict[str, Callable[[Any, list, float], Any]] = {
    "Identity": lambda x, params, top: x,
    "Brightness": _brightness,
    "Color": _color,
    "Contrast": _contrast,
    "Sharpness": _sharpness,
    "Posterize": _posterize,
    "Solarize": _solarize,
    "AutoContrast": _autocontrast,
    "Equalize": _equalize,
    "Invert": _invert,
}


def pixel_op(op: str, x: Any, params: list, top: float) -> Any:
    """Policy pixel op ``op`` on every row of ``x`` (one params dict per row, each with its ``value``)."""
    return PIXEL_OPS[op](x, params, top)


@register_pixel("PolicyPixelOp")
def policy_pixel(t: Any, x: Any, params: list, top: float) -> Any:
    """A policy pixel op (``policies.ops.PolicyPixelOp``), rows grouped by op name."""
    ops = [p.get("op", t.op) for p in params]
    if len(set(ops)) == 1:
        return pixel_op(ops[0], x, params, top)
    out = x.clone()
    for op in sorted(set(ops)):
        rows = [i for i, o in enumerate(ops) if o == op]
        sel = torch.as_tensor(rows, device=x.device)
        copy_rows(out, rows, sel, pixel_op(op, x.index_select(0, sel), [params[i] for i in rows], top))
    return out


# ---- AugMix -------------------------------------------------------------------------------------------------


def _warp(x: Any, matrices: np.ndarray, interpolation: str, fill: Any, integer: bool) -> Any:
    """Per-sample forward matrices (n, 3, 3) on same-size rows with a constant border (``geo.warp`` with
    border_mode="constant"), one ``grid_sample``."""
    n, c, h, w = x.shape
    grid = K.normalised_grid(np.linalg.inv(matrices), (h, w), (h, w), x.device)
    zero = bool(np.all(np.asarray(fill) == 0))
    if zero:
        out = K.grid_read(x, None, None, interpolation, "zeros", grid)
    else:
        value = torch.as_tensor(np.broadcast_to(np.asarray(fill, np.float64), (c,)).copy(), dtype=torch.float32).to(x.device).view(1, c, 1, 1)
        out = K.grid_read(x - value, None, None, interpolation, "zeros", grid) + value
    return torch.round(out).clamp_(0.0, 255.0) if integer else out


@register_pixel("AugMix")
def augmix(t: Any, x: Any, params: list, top: float) -> Any:
    """``(1 - m) x + m * sum_c w_c chain_c(x)`` per sample (``policies.augmix.AugMix.apply_image``): chain
    ``c`` of every sample runs depth slot by depth slot: the slot's geometric ops as one ``grid_sample``
    (per-sample matrices), each pixel op on the rows that drew it."""
    if not isinstance(t, AugMix):
        value_error("AugMix kernel", "an iv.AugMix", type(t).__name__, "register a kernel for this transform")
    n, c, h, w = x.shape
    integer = top == 255.0
    mix = torch.zeros_like(x)
    for k in range(t.width):
        y = x
        chains = [p["chains"][k] for p in params]
        for d in range(max(len(ch) for ch in chains)):
            geometric: list[int] = []  # every geometric op of this slot: one grid_sample (shared interpolation, fill)
            by_op: dict[int, list[int]] = {}
            for i, ch in enumerate(chains):
                if d < len(ch):
                    if isinstance(t._ops[int(ch[d][0])], PolicyGeometricOp):
                        geometric.append(i)
                    else:
                        by_op.setdefault(int(ch[d][0]), []).append(i)
            done = len(geometric) + sum(len(r) for r in by_op.values())
            new = torch.empty_like(y) if done == n else y.clone()
            if geometric:
                sel = torch.as_tensor(geometric, device=x.device)
                part = y if len(geometric) == n else y.index_select(0, sel)
                mats = np.stack([t._ops[int(chains[i][d][0])].geometry({"value": float(chains[i][d][1])}, (h, w))[0] for i in geometric])
                res = _warp(part, mats, t.interpolation, t.fill, integer)
                if len(geometric) == n:
                    new = res
                else:
                    copy_rows(new, geometric, sel, res)
            for op_index, rows in by_op.items():
                op = t._ops[op_index]
                sel = torch.as_tensor(rows, device=x.device)
                part = y if len(rows) == n else y.index_select(0, sel)
                values = [{"op": op.op, "value": float(chains[i][d][1])} for i in rows]
                res = pixel_op(op.op, part, values, top)
                res = torch.round(res).clamp_(0.0, 255.0) if integer else res.clamp(0.0, top)
                if len(rows) == n:
                    new = res
                else:
                    copy_rows(new, rows, sel, res)
            y = new
        wk = torch.tensor([np.float32(p["weights"][k]) for p in params], dtype=torch.float32).to(x.device).view(-1, 1, 1, 1)
        mix += wk * y  # numpy: mix += float32(w) * chain (a product, then a sum: no fused multiply-add)
    m = torch.tensor([np.float32(p["m"]) for p in params], dtype=torch.float32).to(x.device).view(-1, 1, 1, 1)
    return (1.0 - m) * x + m * mix

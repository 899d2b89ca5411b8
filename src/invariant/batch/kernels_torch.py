"""Batched torch kernels: one resampling per fused spatial run, one vectorised expression per pixel step.

Images are float32 ``(B, C, H, W)`` tensors holding values in the caller's dtype units (0..255 for uint8
input, 0..1 for float input). With uint8 input every step rounds half-to-even and saturates to 0..255
after it runs, as the numpy executor's uint8 intermediates do, so both paths see the same values between
steps. Every pixel kernel takes ``(transform, x, params_list, top)`` with one params dict per row of
``x`` (the samples that applied the step) and returns the new rows.

Coordinates follow the library's convention (pixel column ``i`` spans ``[i, i + 1)``): a backward map
gives each output pixel CENTRE ``(j + 0.5, i + 0.5)`` a continuous source point ``(sx, sy)``, and
``grid_sample(align_corners=False)`` reads that point with ``g = 2 * sx / W - 1``: -1 is the left edge
of pixel 0 and +1 the right edge of pixel W - 1, the same pixel-centre convention as OpenCV's
``warpAffine`` conjugated by the half-pixel shift (``ops.geometric.warp``).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..core.errors import require_torch, value_error
from ..ops import blur_noise as B
from ..ops.color import GRAY_WEIGHTS

torch = require_torch("invariant.batch.kernels_torch (batched execution)")
F = torch.nn.functional

PixelKernel = Callable[[Any, Any, list, float], Any]
PIXEL_KERNELS: dict[str, PixelKernel] = {}
# kernels whose float arithmetic with top = 65535 is the numpy path's uint16 arithmetic (parity-tested)
UINT16_KERNELS = {"Normalize", "RandomBrightnessContrast", "RandomGamma", "Invert", "Solarize", "ToGray", "GaussianBlur", "MedianBlur"}
UINT16_KERNELS |= {"CoarseDropout", "RandomErasing", "CutOut", "ColorJitter", "HueSaturationValue"}  # Posterize, Equalize: uint8 semantics


def register_pixel(*names: str) -> Callable[[PixelKernel], PixelKernel]:
    """Decorator: ``fn`` is the batched kernel of the pixel transforms called ``names``."""

    def add(fn: PixelKernel) -> PixelKernel:
        for name in names:
            PIXEL_KERNELS[name] = fn
        return fn

    return add


def _col(values: list[float], x: Any) -> Any:
    """(n, 1, 1, 1) float32 tensor of per-sample values on ``x``'s device (one host->device copy)."""
    return torch.tensor(values, dtype=torch.float32).to(x.device, non_blocking=True).view(-1, 1, 1, 1)


def gray(x: Any) -> Any:
    """ITU-R 601-2 luma ``0.299 R + 0.587 G + 0.114 B`` of (n, 3, H, W), as (n, 1, H, W) (three
    single-channel passes: no full-size weighted temporary)."""
    w = GRAY_WEIGHTS
    g = x[:, 0:1] * float(w[0])
    g.add_(x[:, 1:2], alpha=float(w[1]))
    return g.add_(x[:, 2:3], alpha=float(w[2]))


def contrast_pivot(x: Any) -> Any:
    """Per sample: the mean of the gray image for RGB (torchvision), each channel's own mean otherwise;
    float64 sums as the numpy path (``ImageStats.shared_pivot``: gray weights applied to channel means)."""
    # row sums in float32 (exact for integer values while 255 * W < 2**24), then float64 over the rows:
    # a float64 reduction straight over x converts the whole batch first
    means = x.sum(dim=3).to(torch.float64).sum(dim=2) / (x.shape[2] * x.shape[3])  # (n, C)
    if x.shape[1] == 3:
        w = torch.tensor(GRAY_WEIGHTS, dtype=torch.float64, device=x.device)
        return (means * w).sum(1).float().view(-1, 1, 1, 1)
    return means.float().view(x.shape[0], -1, 1, 1)


# ---- resampling ---------------------------------------------------------------------------------------------


def source_points(inverse: Any, out_shape: tuple[int, int], projective: bool = True) -> tuple[Any, Any]:
    """Continuous source coordinates ``(sx, sy)``, each (n, Ho, Wo), of every output pixel centre under
    the per-sample backward maps ``inverse`` (n, 3, 3) (``projective``: divided by the third row; the
    caller says so from its host copy, so nothing waits on the device)."""
    h, w = out_shape
    dev = inverse.device
    ys = torch.arange(h, dtype=torch.float32, device=dev) + 0.5
    xs = torch.arange(w, dtype=torch.float32, device=dev) + 0.5
    m = inverse.float()
    a, b, c = m[:, 0, 0, None, None], m[:, 0, 1, None, None], m[:, 0, 2, None, None]
    d, e, f = m[:, 1, 0, None, None], m[:, 1, 1, None, None], m[:, 1, 2, None, None]
    X, Y = xs.view(1, 1, w), ys.view(1, h, 1)
    sx = a * X + b * Y + c
    sy = d * X + e * Y + f
    if projective:
        z = m[:, 2, 0, None, None] * X + m[:, 2, 1, None, None] * Y + m[:, 2, 2, None, None]
        sx, sy = sx / z, sy / z
    return sx, sy


def fold_border(s: Any, lo: Any, hi: Any, mode: str) -> Any:
    """Map continuous coordinates outside ``[lo, hi)`` (per sample, (n, 1, 1)) back inside by ``mode``.

    For bilinear reads (separable, linear between neighbours), folding the coordinate equals padding
    the image: "reflect" (OpenCV REFLECT_101) mirrors about the outer pixel centres, "symmetric"
    (REFLECT) about the edges, "replicate" clamps to the outer pixel centres."""
    if mode == "replicate":
        return torch.minimum(torch.maximum(s, lo + 0.5), hi - 0.5)
    n = hi - lo
    if mode == "symmetric":  # within half a pixel of an edge the mirrored neighbour IS the edge pixel
        t = torch.remainder(s - lo, 2 * n)
        t = lo + torch.where(t >= n, 2 * n - t, t)
        return torch.minimum(torch.maximum(t, lo + 0.5), hi - 0.5)
    # reflect-101 in pixel-index units u = s - 0.5: period 2 (n - 1)
    u = s - lo - 0.5
    period = torch.clamp(2 * (n - 1), min=1)
    t = torch.remainder(u, period)
    t = torch.where(t > n - 1, period - t, t)
    return lo + t + 0.5


_MODES = {"linear": "bilinear", "nearest": "nearest", "cubic": "bicubic"}


def normalised_grid(inverses: np.ndarray, in_shape: tuple[int, int], out_shape: tuple[int, int], device: Any) -> Any:
    """The ``grid_sample`` grid (n, Ho, Wo, 2) of backward maps (n, 3, 3) in continuous pixel
    coordinates: the normalisation x_n = 2 x / W - 1 (align_corners=False) is folded into the matrix
    (N_in @ inverse), so each coordinate is one multiply-add pass over the output pixel centres."""
    H, W = in_shape
    n_in = np.array([[2.0 / W, 0.0, -1.0], [0.0, 2.0 / H, -1.0], [0.0, 0.0, 1.0]])
    m = n_in @ inverses
    m[:, 2] = inverses[:, 2]  # the projective row is unchanged
    h, w = out_shape
    mt = torch.as_tensor(m, dtype=torch.float32).to(device)
    X = (torch.arange(w, dtype=torch.float32, device=device) + 0.5).view(1, 1, w)
    Y = (torch.arange(h, dtype=torch.float32, device=device) + 0.5).view(1, h, 1)
    # separable: (n, 1, w, 2) column terms a x + (row terms b y + c) of (n, h, 1, 2): one broadcast add
    # writes the whole grid (the same float32 operations, in the same order, as per-pixel evaluation),
    # laid out as two planes (the inputs' permuted strides): 3x faster to write than interleaved x, y,
    # and grid_sample reads it by strides at the same speed
    cols = (mt[:, 0:2, 0, None, None] * X).permute(0, 2, 3, 1)  # (n, 1, w, 2)
    rows = (mt[:, 0:2, 1, None, None] * Y + mt[:, 0:2, 2, None, None]).permute(0, 2, 3, 1)  # (n, h, 1, 2)
    grid = cols + rows
    if not np.all(inverses[:, 2] == (0.0, 0.0, 1.0)):  # projective: rows 0-1 of N_in @ inverse give 2 x z / W - z
        z = mt[:, 2, 0, None, None] * X + mt[:, 2, 1, None, None] * Y + mt[:, 2, 2, None, None]
        grid /= z.unsqueeze(-1)
    return grid


def grid_read(x: Any, sx: Any, sy: Any, interpolation: str, padding: str, grid: Any = None) -> Any:
    """``grid_sample`` of (n, C, H, W) at continuous points (n, Ho, Wo) (or a ready ``grid``), align_corners=False."""
    h, w = x.shape[-2:]
    if grid is None:
        grid = torch.stack((sx * (2.0 / w) - 1.0, sy * (2.0 / h) - 1.0), dim=-1)
    return F.grid_sample(x, grid, mode=_MODES[interpolation], padding_mode=padding, align_corners=False)


def resize_window(window: Any, out_shape: tuple[int, int], integer: bool) -> Any:
    """Bilinear resize of one (1, C, h, w) window (half-pixel centres, edges replicated: cv2.resize's
    INTER_LINEAR convention). uint8 uses torch's fixed-point uint8 kernel on channels-last memory
    (rounded, ~8x faster than float), float input the float kernel."""
    if integer and window.dtype == torch.uint8:
        return F.interpolate(window.contiguous(memory_format=torch.channels_last), size=out_shape, mode="bilinear", align_corners=False)
    return F.interpolate(window.float(), size=out_shape, mode="bilinear", align_corners=False)


def window_mask(shape: tuple[int, int], windows: np.ndarray, device: Any) -> Any:
    """(n, 1, H, W) float mask: 1 inside each sample's integer window (x0, y0, x1, y1)."""
    h, w = shape
    win = torch.as_tensor(windows, dtype=torch.float32).to(device)
    xs = torch.arange(w, dtype=torch.float32, device=device).view(1, 1, w)
    ys = torch.arange(h, dtype=torch.float32, device=device).view(1, h, 1)
    inside = (xs >= win[:, 0, None, None]) & (xs < win[:, 2, None, None]) & (ys >= win[:, 1, None, None]) & (ys < win[:, 3, None, None])
    return inside.unsqueeze(1).float()


# ---- pixel kernels ------------------------------------------------------------------------------------------


@register_pixel("Normalize")
def normalize(t: Any, x: Any, params: list, top: float) -> Any:
    """``(x / max_pixel_value - mean) / std`` per channel (``transforms.normalize.Normalize``)."""
    c = x.shape[1]
    max_value = t.max_pixel_value if t.max_pixel_value is not None else top
    mean = np.broadcast_to(np.asarray(t.mean, np.float64), (c,))
    std = np.broadcast_to(np.asarray(t.std, np.float64), (c,))
    scale = torch.tensor(1.0 / (std * max_value), dtype=torch.float32, device=x.device).view(1, c, 1, 1)
    shift = torch.tensor(-mean / std, dtype=torch.float32, device=x.device).view(1, c, 1, 1)
    return torch.addcmul(shift, x, scale)


@register_pixel("RandomBrightnessContrast")
def brightness_contrast(t: Any, x: Any, params: list, top: float) -> Any:
    """``(x - pivot) * alpha + pivot + beta * top`` (or ``+ beta * pivot`` without brightness_by_max)."""
    alpha = _col([p["alpha"] for p in params], x)
    beta = _col([p["beta"] for p in params], x)
    pivot = contrast_pivot(x)
    shift = beta * top if t.brightness_by_max else beta * pivot
    return x * alpha + ((1.0 - alpha) * pivot + shift)


@register_pixel("RandomGamma")
def gamma(t: Any, x: Any, params: list, top: float) -> Any:
    """``top * (max(x, 0) / top) ** gamma``."""
    g = _col([p["gamma"] for p in params], x)
    return top * torch.pow(torch.clamp(x, min=0.0) / top, g)


@register_pixel("Invert")
def invert(t: Any, x: Any, params: list, top: float) -> Any:
    """``top - x``."""
    return top - x


@register_pixel("Solarize")
def solarize(t: Any, x: Any, params: list, top: float) -> Any:
    """``top - x`` where ``x >= threshold * top`` (PIL ImageOps.solarize)."""
    thr = _col([p["threshold"] * top for p in params], x)
    return torch.where(x >= thr, top - x, x)


@register_pixel("Posterize")
def posterize(t: Any, x: Any, params: list, top: float) -> Any:
    """Keep the top ``bits`` bits (uint8: ``floor(x / 2**(8-bits)) * 2**(8-bits)``; float: ``2**bits``
    levels, floored, as ``ops.color.posterize_curve``)."""
    bits = [p["bits"] for p in params]
    if top == 255.0:
        step = _col([float(2 ** (8 - b)) for b in bits], x)
        return torch.floor(x / step) * step
    levels = _col([float(2**b) for b in bits], x)
    return torch.minimum(torch.clamp(torch.floor(x * levels), min=0.0), levels - 1) / levels


@register_pixel("ToGray")
def to_gray(t: Any, x: Any, params: list, top: float) -> Any:
    """ITU-R 601-2 luma, repeated to ``num_output_channels``."""
    g = gray(x)
    if top == 255.0:
        g = torch.round(g)
    return g if t.num_output_channels == 1 else g.repeat(1, 3, 1, 1)


@register_pixel("Equalize")
def equalize(t: Any, x: Any, params: list, top: float) -> Any:
    """Per-channel histogram equalization, PIL's algorithm (``ops.color.equalize_table``): step =
    (N - count of the last occupied bin) // 255, table = (step // 2 + count below) // step. uint8 only."""
    if top != 255.0:
        value_error("Equalize (batched)", "a uint8 batch", "a float batch", "equalize uint8 images, or run the numpy executor")
    n, c, h, w = x.shape
    v = x.reshape(n * c, h * w).long().clamp(0, 255)
    hist = torch.zeros(n * c, 256, dtype=torch.float64, device=x.device).scatter_add_(1, v, torch.ones_like(v, dtype=torch.float64))
    cum = hist.cumsum(1)
    below = cum - hist
    occupied = hist > 0
    last = 255 - torch.argmax(occupied.flip(1).to(torch.uint8), dim=1)
    rest = cum[:, -1] - hist.gather(1, last[:, None])[:, 0]
    step = torch.floor(rest / 255.0)
    flat = step == 0
    safe = torch.where(flat, torch.ones_like(step), step)
    table = torch.floor((torch.floor(step / 2)[:, None] + below) / safe[:, None]).clamp(max=255.0)
    table = torch.where(flat[:, None], torch.arange(256, dtype=torch.float64, device=x.device)[None], table)
    return table.gather(1, v).float().view(n, c, h, w)


def reflect101_pad(x: Any, r: int) -> Any:
    """Pad the last two axes of ``x`` by ``r`` with OpenCV's BORDER_REFLECT_101 (``cv2.GaussianBlur``'s border),
    for any image size: ``F.pad(mode="reflect")`` needs ``r`` below each side (an image smaller than the
    kernel, e.g. 2x3 under a 5-tap blur, raised there), so those read the reflected indices instead
    (``cv2.borderInterpolate``: period 2 (n - 1), a 1-pixel axis repeats its pixel)."""
    h, w = x.shape[-2:]
    if r < h and r < w:
        return F.pad(x, (r, r, r, r), mode="reflect")

    def index(n: int) -> Any:
        i = torch.arange(-r, n + r, device=x.device)
        if n == 1:
            return torch.zeros_like(i)
        period = 2 * (n - 1)
        t = torch.remainder(i, period)
        return torch.where(t > n - 1, period - t, t)

    return x.index_select(-1, index(w)).index_select(-2, index(h))


@register_pixel("GaussianBlur")
def gaussian_blur(t: Any, x: Any, params: list, top: float) -> Any:
    """Separable Gaussian blur (``ops.blur_noise.gaussian_kernel`` taps), reflect-101 border; samples are
    grouped by kernel length so each group is two depthwise convolutions with per-sample kernels."""
    kernels = [B.gaussian_kernel(p["kernel_size"], p["sigma"]) for p in params]
    sizes = sorted({len(k) for k in kernels})
    out = x.clone() if len(sizes) > 1 or sizes == [1] else None  # one size: the group is the batch
    n, c, h, w = x.shape
    for size in sizes:
        idx = [i for i, k in enumerate(kernels) if len(k) == size]
        if size == 1:
            continue
        rows = torch.as_tensor(np.stack([kernels[i] for i in idx]), device=x.device)  # (m, k)
        m, r = len(idx), size // 2
        sel = torch.as_tensor(idx, device=x.device)
        part = (x if m == n else x.index_select(0, sel)).reshape(1, m * c, h, w)
        weight = rows.repeat_interleave(c, dim=0)  # (m*c, k)
        part = reflect101_pad(part, r)
        part = F.conv2d(part, weight.view(m * c, 1, 1, size), groups=m * c)
        part = F.conv2d(part, weight.view(m * c, 1, size, 1), groups=m * c)
        if out is None:
            return part.view(m, c, h, w)
        out.index_copy_(0, sel, part.view(m, c, h, w))
    return out


@register_pixel("MedianBlur")
def median_blur(t: Any, x: Any, params: list, top: float) -> Any:
    """Median of each pixel's k x k neighbourhood, replicate border (``cv2.medianBlur``; exact: k * k is
    odd, so the median is one of the values). Samples are grouped by kernel size; each group is padded
    once and its windows (an unfold view) are materialised a few samples at a time, in uint8 when the
    values are uint8 levels (a k * k copy of the image: 49x at k = 7)."""
    sizes = [int(p["kernel_size"]) for p in params]
    out = torch.empty_like(x)
    n, c, h, w = x.shape
    for k in sorted(set(sizes)):
        idx = [i for i, s in enumerate(sizes) if s == k]
        if k == 1:
            out[idx] = x[idx]
            continue
        r = k // 2
        part = x[idx]
        part = F.pad(part, (r, r, r, r), mode="replicate")
        if top == 255.0:
            part = part.to(torch.uint8)
        step = max(1, (1 << 25) // (c * h * w * k * k))  # samples per chunk: at most 32 Mi window values
        for j in range(0, len(idx), step):
            windows = part[j : j + step].unfold(2, k, 1).unfold(3, k, 1)  # (m, c, h, w, k, k) view
            med = windows.reshape(*windows.shape[:4], k * k).median(dim=-1).values
            out[idx[j : j + step]] = med.to(x.dtype)
    return out


@register_pixel("CoarseDropout", "RandomErasing", "CutOut")
def erase(t: Any, x: Any, params: list, top: float) -> Any:
    """Fill each sample's holes ([x0, y0, x1, y1] integer bounds) with a constant fill, one colour per
    hole ("random_uniform") or the image's channel means ("mean"); per-pixel noise ("random") is drawn
    by numpy's generator on the CPU path and has no batched kernel."""
    if t.fill == "random":
        value_error(f"{type(t).__name__}(fill='random') (batched)", "a fill the batch can reproduce", "per-pixel noise", "use fill=0, a colour, 'random_uniform' or 'mean'")
    out = x.clone()
    n, c, h, w = x.shape
    integer = top == 255.0
    for i, p in enumerate(params):
        holes = p["holes"]
        if not holes:
            continue
        if t.fill == "random_uniform":
            fills = [torch.tensor(np.rint(np.asarray(col) * top) if integer else np.asarray(col), dtype=torch.float32, device=x.device) for col in p["colors"]]
        else:
            if t.fill == "mean":
                value = x[i].double().mean(dim=(1, 2))
            else:
                value = torch.tensor(np.broadcast_to(np.asarray(t.fill, np.float64), (c,)).copy(), dtype=torch.float64, device=x.device)
            value = value.clamp(0, top)
            fill = (torch.round(value) if integer else value).float()
            fills = [fill] * len(holes)
        for (x0, y0, x1, y1), fill in zip(holes, fills):
            out[i, :, y0:y1, x0:x1] = fill.view(c, 1, 1)
    return out


# -- colour --------------------------------------------------------------------------------------------------


def rgb_to_hsv(x: Any) -> tuple[Any, Any, Any]:
    """Float HSV of (n, 3, H, W) in [0, 1] units: hue in turns [0, 1), saturation, value."""
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    v, _ = x.max(1, keepdim=True)
    mn, _ = x.min(1, keepdim=True)
    diff = v - mn
    s = torch.where(v > 0, diff / torch.where(v > 0, v, torch.ones_like(v)), torch.zeros_like(v))
    safe = torch.where(diff > 0, diff, torch.ones_like(diff))
    h = torch.where(v == r, (g - b) / safe, torch.where(v == g, 2.0 + (b - r) / safe, 4.0 + (r - g) / safe))
    h = torch.where(diff > 0, torch.remainder(h / 6.0, 1.0), torch.zeros_like(h))
    return h, s, v


_SDIV = np.array([0] + [int(np.rint((255 << 12) / i)) for i in range(1, 256)], np.int32)
_HDIV = np.array([0] + [int(np.rint((256 << 12) / (6.0 * i))) for i in range(1, 256)], np.int32)
_SECTOR = np.array([[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]])  # OpenCV's (b, g, r) rows


def rgb_to_hsv8(x: Any) -> tuple[Any, Any, Any]:
    """OpenCV's 8-bit ``COLOR_RGB2HSV_FULL`` on integer-valued (n, 3, H, W), bit for bit: its
    fixed-point division tables (``sdiv = round(255 * 2**12 / v)``, ``hdiv = round(256 * 2**12 / (6 *
    diff))``), rounding shifts by 12 bits and hue saturated to 255 (OpenCV ``color_hsv.simd.hpp``).
    int32 suffices: |h * hdiv| < 1275 * 174763 < 2**31."""
    xi = x.to(torch.int32)
    r, g, b = xi[:, 0:1], xi[:, 1:2], xi[:, 2:3]
    v = torch.maximum(torch.maximum(r, g), b)
    diff = v - torch.minimum(torch.minimum(r, g), b)
    sdiv = torch.as_tensor(_SDIV, device=x.device)[v.long()]
    hdiv = torch.as_tensor(_HDIV, device=x.device)[diff.long()]
    s = (diff * sdiv + 2048) >> 12
    h = torch.where(v == r, g - b, torch.where(v == g, b - r + 2 * diff, r - g + 4 * diff))
    h = (h * hdiv + 2048) >> 12
    h = torch.where(h < 0, h + 256, h).clamp_(max=255)
    return h.float(), s.float(), v.float()


def hsv_to_rgb(h: Any, s: Any, v: Any, sixths: Any = None) -> Any:
    """(n, 3, H, W) RGB of float HSV (hue in turns, or ``sixths`` of a turn), OpenCV's ``HSV2RGB_native``
    arithmetic: sector = floor(h6) mod 6, f = h6 - floor(h6), tab = (v, v (1 - s), v (1 - s f),
    v (1 - s (1 - f)))."""
    h6 = torch.remainder(h, 1.0) * 6.0 if sixths is None else sixths
    floor = torch.floor(h6)
    f = h6 - floor
    sector = torch.remainder(floor, 6.0)
    tab = torch.cat([v, v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))], 1)  # (n, 4, H, W)
    rows = torch.as_tensor(_SECTOR[:, ::-1].copy(), device=v.device)[sector.long().clamp_(0, 5)[:, 0]]  # (n, H, W, 3): r, g, b
    return tab.gather(1, rows.permute(0, 3, 1, 2))


def shift_hsv(x: Any, hue_turns: Any, sat: Any, val: Any, top: float) -> Any:
    """Add per-sample ``hue_turns`` (mod 1), ``sat`` and ``val`` (fractions of full scale) in HSV.

    uint8 follows OpenCV's 8-bit full-range HSV as the numpy path does (``rgb_to_hsv8``, then the shift
    on the integer H, S, V, then OpenCV's float HSV -> RGB with hue scaled by 6/255 (its 8-bit
    ``HSV2RGB_FULL`` uses a hue range of 255 where ``RGB2HSV_FULL`` uses 256), rounded)."""
    if top == 255.0:
        H, S, V = rgb_to_hsv8(x)
        H = torch.remainder(torch.round(H + hue_turns * 256.0), 256.0)
        S = torch.clamp(torch.round(S + sat * 255.0), 0, 255)
        V = torch.clamp(torch.round(V + val * 255.0), 0, 255)
        return hsv_to_rgb(None, S * np.float32(1 / 255), V * np.float32(1 / 255), sixths=H * np.float32(6 / 255)) * top  # OpenCV's 8-bit HSV2RGB_FULL: hue over 255
    h, s, v = rgb_to_hsv(x / top)
    h = torch.remainder(h + hue_turns, 1.0)
    return hsv_to_rgb(h, torch.clamp(s + sat, 0, 1), torch.clamp(v + val, 0, 1)) * top


_HSV8_TABLES: dict[str, tuple[Any, Any]] = {}


def hsv8_tables(device: Any) -> tuple[Any, Any]:
    """OpenCV's 8-bit full-range HSV conversions as two lookup tables over all 2**24 triples, built once
    per device by ``cv2.cvtColor`` itself (so exact by construction): ``to_hsv[(r << 16) | (g << 8) | b]``
    is ``(H << 16) | (S << 8) | V`` and ``to_rgb[(H << 16) | (S << 8) | V]`` holds R, G, B in its three
    low bytes in memory order. int32, 64 MiB each: two gathers replace ~60 elementwise passes of the
    arithmetic conversion (``rgb_to_hsv8`` / ``hsv_to_rgb``)."""
    key = str(torch.device(device))
    tables = _HSV8_TABLES.get(key)
    if tables is None:
        import cv2

        i = np.arange(256, dtype=np.uint8)
        every = np.empty((256, 256, 256, 3), np.uint8)  # every[a, b, c] = (a, b, c)
        every[..., 0] = i[:, None, None]
        every[..., 1] = i[None, :, None]
        every[..., 2] = i[None, None, :]
        flat = every.reshape(4096, 4096, 3)
        packed = np.zeros((1 << 24, 4), np.uint8)
        hsv = cv2.cvtColor(flat, cv2.COLOR_RGB2HSV_FULL).reshape(-1, 3).astype(np.int32)
        to_hsv = (hsv[:, 0] << 16) | (hsv[:, 1] << 8) | hsv[:, 2]
        packed[:, :3] = cv2.cvtColor(flat, cv2.COLOR_HSV2RGB_FULL).reshape(-1, 3)
        to_rgb = packed.view(np.int32).reshape(-1) if np.little_endian else packed[:, ::-1].copy().view(np.int32).reshape(-1)
        tables = (torch.from_numpy(to_hsv).to(device), torch.from_numpy(np.ascontiguousarray(to_rgb)).to(device))
        _HSV8_TABLES[key] = tables
    return tables


def rotate_hue8(x: Any, shifts: list[int]) -> Any:
    """OpenCV's 8-bit hue rotation (``ops.color.hue_shift`` on uint8: RGB2HSV_FULL, H + shift mod 256,
    HSV2RGB_FULL) of integer-valued (n, 3, H, W), sample i by ``shifts[i]`` levels, bit for bit through
    ``hsv8_tables``. Returns float32 (n, 3, H, W) integer values."""
    to_hsv, to_rgb = hsv8_tables(x.device)
    n, _, h, w = x.shape
    key = x[:, 0] * 65536.0 + (x[:, 1] * 256.0 + x[:, 2])  # exact in float32 (< 2**24)
    hsv = to_hsv.take(key.long())
    k = torch.tensor([(int(s) % 256) << 16 for s in shifts], dtype=torch.int32).to(x.device, non_blocking=True).view(n, 1, 1)
    hsv = hsv.add_(k).bitwise_and_(0xFFFFFF)
    rgb = to_rgb.take(hsv.long()).view(torch.uint8).view(n, h, w, 4)[..., :3]
    return torch.empty((n, 3, h, w), dtype=torch.float32, device=x.device).copy_(rgb.permute(0, 3, 1, 2))


@register_pixel("HueSaturationValue")
def hue_saturation_value(t: Any, x: Any, params: list, top: float) -> Any:
    """Hue shift in degrees, saturation and value shifts as fractions of full scale (per sample)."""
    hue = _col([p["hue"] / 360.0 for p in params], x)
    return shift_hsv(x, hue, _col([p["sat"] for p in params], x), _col([p["val"] for p in params], x), top)


@register_pixel("ColorJitter")
def color_jitter(t: Any, x: Any, params: list, top: float) -> Any:
    """torchvision's ColorJitter with each sample's own order and factors. At each of the four positions
    every sample's brightness (``b x``), contrast (``c x + (1 - c) gray mean``) or saturation (``s x +
    (1 - s) gray``) is ``a x + g gray + o`` with per-sample ``a``, ``g``, ``o``, so the position is ONE
    fused multiply-add over all samples (a = 1, g = o = 0 for those doing nothing or hue there), the gray
    image computed only when a sample saturates; the hue rotation (8-bit HSV tables for uint8, as the
    numpy path) runs on the samples that rotate at that position."""
    integer = top == 255.0
    n, c = x.shape[:2]
    identity = {"brightness": 1.0, "contrast": 1.0, "saturation": 1.0, "hue": 0.0}
    out = x
    for k in range(4):
        scale, blend, shift = np.ones(n), np.zeros(n), np.zeros(n)
        contrast = False
        hue: list[tuple[int, float]] = []
        for i, p in enumerate(params):
            name = p["order"][k]
            f = p.get(name)
            if f is None or f == identity[name]:
                continue
            if name == "hue":
                hue.append((i, f))
                continue
            scale[i] = f
            if name == "contrast":
                shift[i], contrast = 1.0 - f, True
            elif name == "saturation":
                blend[i] = 1.0 - f
        if (scale != 1.0).any():
            base = _col(shift.tolist(), x) * contrast_pivot(out) if contrast else None  # (n, 1 or c, 1, 1)
            if blend.any():
                g = _col(blend.tolist(), x) * gray(out)
                base = g if base is None else g + base
            a = _col(scale.tolist(), x)
            into = out if out is not x else None  # a tensor of this kernel: write in place (no fresh pages)
            out = torch.mul(out, a, out=into) if base is None else torch.addcmul(base, out, a, out=into)
            out = out.round_().clamp_(0.0, 255.0) if integer else out.clamp_(0.0, top)
        if hue:
            rows = [i for i, _ in hue]
            sel = torch.as_tensor(rows, device=x.device)
            part = out if len(rows) == n else out.index_select(0, sel)
            if integer:  # OpenCV's 8-bit hue is rotated by a whole number of its 256 levels (ops.color.hue_shift)
                part = rotate_hue8(part, [int(round(f * 256)) for _, f in hue])
            else:
                f = _col([f for _, f in hue], x)
                part = shift_hsv(part, f, torch.zeros_like(f), torch.zeros_like(f), top).clamp(0.0, top)
            if len(rows) == n:
                out = part
                continue
            out = out.clone() if out is x else out
            out.index_copy_(0, sel, part)
    return out

"""Test-time augmentation: run a model over deterministic views of a batch and merge the predictions.

Views are deterministic (identity, flips, scales, crops, chains of these), never random: TTA is an
inference-time estimator, applied identically to every image. For dense tasks (segmentation logits
``(B, K, h, w)``) every view's output is mapped back onto the input grid before merging: flips are
undone, scaled outputs are resized back, crop outputs are pasted where the crop came from, and each
pixel is averaged only over the views that saw it. Classification outputs ``(B, K)`` are merged as is.

Merge modes: ``"mean_softmax"`` (average of probabilities; returns probabilities), ``"mean_logits"``
(average of logits; returns logits), ``"max"`` (per-class maximum of probabilities over views).
Tensors stay on their device; nothing here assumes CPU or CUDA.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..core.errors import require_torch, type_error, value_error

torch = require_torch("invariant.training.tta")
F = torch.nn.functional

Size = tuple[int, int]
MERGES = ("mean_softmax", "mean_logits", "max")


class View:
    """A deterministic view: ``apply`` a batch, and ``invert`` a dense output (with its coverage)."""

    def out_size(self, size: Size) -> Size:
        return size

    def apply(self, x: Any) -> Any:
        return x

    def invert(self, y: Any, cover: Any, size: Size) -> tuple[Any, Any]:
        """Map a dense output ``y`` (and coverage ``cover``, None = everywhere) back to the view's input grid ``size``."""
        return _resize(y, size), (None if cover is None else _resize(cover, size, "nearest"))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


def _resize(t: Any, size: Size, mode: str = "bilinear") -> Any:
    if tuple(t.shape[-2:]) == tuple(size):
        return t
    if mode == "nearest":
        return F.interpolate(t, size=size, mode="nearest")
    return F.interpolate(t, size=size, mode=mode, align_corners=False)


class Identity(View):
    """The input as is."""


class HFlip(View):
    """Mirror left-right; dense outputs are mirrored back."""

    def apply(self, x: Any) -> Any:
        return x.flip(-1)

    def invert(self, y: Any, cover: Any, size: Size) -> tuple[Any, Any]:
        y, cover = super().invert(y.flip(-1), None if cover is None else cover.flip(-1), size)
        return y, cover


class VFlip(View):
    """Mirror top-bottom; dense outputs are mirrored back."""

    def apply(self, x: Any) -> Any:
        return x.flip(-2)

    def invert(self, y: Any, cover: Any, size: Size) -> tuple[Any, Any]:
        return super().invert(y.flip(-2), None if cover is None else cover.flip(-2), size)


class Scale(View):
    """Resize by ``factor`` (``mode``: "bilinear", "bicubic", "nearest", "area"); dense outputs are resized back."""

    def __init__(self, factor: float, mode: str = "bilinear") -> None:
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or factor <= 0:
            value_error("factor", "a positive scale factor", factor, "pass e.g. Scale(1.25)")
        if mode not in ("bilinear", "bicubic", "nearest", "area"):
            value_error("mode", "one of 'bilinear', 'bicubic', 'nearest', 'area'", mode, "pass mode='bilinear'")
        self.factor, self.mode = float(factor), mode

    def out_size(self, size: Size) -> Size:
        return max(1, round(size[0] * self.factor)), max(1, round(size[1] * self.factor))

    def apply(self, x: Any) -> Any:
        size = self.out_size(tuple(x.shape[-2:]))
        if self.mode == "nearest" or self.mode == "area":
            return F.interpolate(x, size=size, mode=self.mode)
        return F.interpolate(x, size=size, mode=self.mode, align_corners=False, antialias=self.factor < 1)


_POSITIONS = ("center", "top_left", "top_right", "bottom_left", "bottom_right")


class Crop(View):
    """An ``(h, w)`` window at ``position`` (center or a corner); dense outputs are pasted back there."""

    def __init__(self, size: int | Size, position: str = "center") -> None:
        size = (size, size) if isinstance(size, int) else tuple(size)
        if len(size) != 2 or not all(isinstance(s, int) and s > 0 for s in size):
            type_error("size", "an int or an (h, w) pair of positive ints", size, "pass e.g. Crop(224)")
        if position not in _POSITIONS:
            value_error("position", f"one of {_POSITIONS}", position, "pass position='center'")
        self.size, self.position = (int(size[0]), int(size[1])), position

    def _offset(self, size: Size) -> Size:
        (H, W), (h, w) = size, self.size
        if h > H or w > W:
            value_error("Crop size", f"at most the input size {size}", self.size, "scale the input up first or crop smaller")
        top = {"center": int(round((H - h) / 2.0)), "top_left": 0, "top_right": 0}.get(self.position, H - h)
        left = {"center": int(round((W - w) / 2.0)), "top_left": 0, "bottom_left": 0}.get(self.position, W - w)
        return top, left

    def out_size(self, size: Size) -> Size:
        return self.size

    def apply(self, x: Any) -> Any:
        top, left = self._offset(tuple(x.shape[-2:]))
        return x[..., top : top + self.size[0], left : left + self.size[1]]

    def invert(self, y: Any, cover: Any, size: Size) -> tuple[Any, Any]:
        y = _resize(y, self.size)
        cover = torch.ones_like(y[:, :1]) if cover is None else _resize(cover, self.size, "nearest")
        top, left = self._offset(size)
        pad = (left, size[1] - left - self.size[1], top, size[0] - top - self.size[0])
        return F.pad(y, pad), F.pad(cover, pad)


class Chain(View):
    """Views applied in order (e.g. ``Chain(Scale(1.125), Crop(224), HFlip())``); inverted in reverse."""

    def __init__(self, *views: View) -> None:
        self.views = [as_view(v) for v in views]

    def out_size(self, size: Size) -> Size:
        for v in self.views:
            size = v.out_size(size)
        return size

    def apply(self, x: Any) -> Any:
        for v in self.views:
            x = v.apply(x)
        return x

    def invert(self, y: Any, cover: Any, size: Size) -> tuple[Any, Any]:
        sizes = [size]
        for v in self.views[:-1]:
            sizes.append(v.out_size(sizes[-1]))
        for v, s in zip(reversed(self.views), reversed(sizes)):
            y, cover = v.invert(y, cover, s)
        return y, cover


_NAMED = {"identity": Identity, "hflip": HFlip, "vflip": VFlip}


def as_view(view: Any) -> View:
    if isinstance(view, View):
        return view
    if isinstance(view, str) and view in _NAMED:
        return _NAMED[view]()
    type_error("views", "View objects or one of 'identity', 'hflip', 'vflip'", view, "use iv.tta.Scale(1.25), iv.tta.Crop(224), ...")
    raise AssertionError  # pragma: no cover


def five_crops(size: int | Size) -> list[View]:
    """The classic five crops (centre and four corners)."""
    return [Crop(size, p) for p in _POSITIONS]


class TTA(torch.nn.Module):
    """Wrap ``model`` to predict over deterministic ``views`` and merge.

    ``task="classification"`` expects ``(B, K)`` outputs; ``task="dense"`` expects ``(B, K, h, w)``
    and maps every view's output back to the input grid (B, K, H, W) before merging.
    Example: ``TTA(model, ["identity", "hflip", Scale(1.25)], merge="mean_softmax")(images)``.
    """

    def __init__(self, model: Any, views: Sequence[Any] = ("identity", "hflip"), merge: str = "mean_softmax", task: str = "classification", class_dim: int = 1) -> None:
        super().__init__()
        if not callable(model):
            type_error("model", "a callable model (torch.nn.Module)", model, "pass the trained network")
        if merge not in MERGES:
            value_error("merge", f"one of {MERGES}", merge, "pass merge='mean_softmax'")
        if task not in ("classification", "dense"):
            value_error("task", "'classification' or 'dense'", task, "use task='dense' for segmentation logits")
        views = [as_view(v) for v in views]
        if not views:
            value_error("views", "at least one view", views, "pass e.g. ['identity', 'hflip']")
        self.model, self.views, self.merge, self.task, self.class_dim = model, views, merge, task, class_dim

    def forward(self, x: Any) -> Any:
        size = (int(x.shape[-2]), int(x.shape[-1]))
        outs, covers = [], []
        for view in self.views:
            y = self.model(view.apply(x))
            if self.merge != "mean_logits":
                y = torch.softmax(y, dim=self.class_dim)
            cover = None
            if self.task == "dense":
                if y.ndim != 4:
                    value_error("model output", "(B, K, h, w) dense logits for task='dense'", y, "use task='classification' for (B, K) outputs")
                y, cover = view.invert(y, None, size)
            outs.append(y)
            covers.append(cover)
        if all(c is None for c in covers):
            stacked = torch.stack(outs)
            return stacked.max(0).values if self.merge == "max" else stacked.mean(0)
        covers = [torch.ones_like(o[:, :1]) if c is None else c for o, c in zip(outs, covers)]
        if self.merge == "max":
            masked = [torch.where(c > 0, o, torch.full_like(o, float("-inf"))) for o, c in zip(outs, covers)]
            best = torch.stack(masked).max(0).values
            return torch.where(torch.isfinite(best), best, torch.zeros_like(best))
        total = sum(o * c for o, c in zip(outs, covers))
        count = sum(covers)
        return total / count.clamp(min=1e-12)

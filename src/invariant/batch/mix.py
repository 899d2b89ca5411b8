"""MixUp and CutMix on batches of tensors, with soft (optionally smoothed) targets.

MixUp (Zhang et al., 2018): ``x = lam * x_i + (1 - lam) * x_j``, ``lam ~ Beta(alpha, alpha)``.
CutMix (Yun et al., 2019): a box of size ``W*sqrt(1-lam) x H*sqrt(1-lam)`` around a uniform centre,
clipped to the image, is pasted from the partner image; ``lam`` is then recomputed from the pasted
area actually kept, so targets always match pixels. The partner of sample ``i`` is ``index[i]`` of a
random permutation (odd batch sizes work; a sample may be its own partner, as in the papers' code).

Differences from minimal MixUp/CutMix sketches: the number of classes is always given (inferring it from the
batch's largest label silently produces targets of the wrong width), and all randomness comes from
an explicit ``torch.Generator`` (CPU; the drawn permutation moves to the batch's device), so a seed
reproduces a run on any device.
"""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from ..core.errors import require_torch, type_error, value_error
from ..core.rng import fresh_seed

torch = require_torch("invariant.batch (MixUp, CutMix and the batch losses)")


class Mixed(NamedTuple):
    """The result of one mixing call: ``lam`` is the weight of each sample's own label,
    ``index`` its partner's position in the batch, ``box`` the pasted (x1, y1, x2, y2) for CutMix."""

    images: Any
    targets: Any
    lam: float
    index: Any
    box: tuple[int, int, int, int] | None


def _check_classes(num_classes: Any) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        type_error("num_classes", "a positive int (the size of the label space)", num_classes, "pass num_classes=1000 for ImageNet; never infer it from one batch")
    return int(num_classes)


def _check_smoothing(smoothing: Any) -> float:
    if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float)) or not 0.0 <= smoothing < 1.0:
        value_error("label_smoothing", "a number in [0, 1)", smoothing, "pass e.g. label_smoothing=0.1")
    return float(smoothing)


def _check_alpha(alpha: Any, name: str) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not alpha > 0:
        value_error(name, "a positive Beta concentration", alpha, f"pass e.g. {name}=1.0 (set the switch probability to 0 to disable)")
    return float(alpha)


def one_hot(labels: Any, num_classes: int, smoothing: float = 0.0) -> Any:
    """Float targets ``(B, num_classes)`` on the labels' device: ``1 - s + s/K`` on the true class and
    ``s/K`` elsewhere (label smoothing ``s``). Already-soft ``(B, K)`` targets are smoothed the same way."""
    num_classes = _check_classes(num_classes)
    smoothing = _check_smoothing(smoothing)
    if not isinstance(labels, torch.Tensor):
        type_error("labels", "a torch tensor of class indices (B,) or soft targets (B, num_classes)", labels, "convert with torch.as_tensor(labels)")
    if labels.is_floating_point() and labels.ndim == 2:
        if labels.shape[1] != num_classes:
            value_error("labels", f"soft targets with {num_classes} columns", labels, "pass targets of width num_classes")
        soft = labels
    elif not labels.is_floating_point() and labels.ndim == 1:
        if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
            value_error("labels", f"class indices in [0, {num_classes})", labels, "check num_classes and the dataset's label encoding")
        soft = torch.zeros(labels.shape[0], num_classes, device=labels.device, dtype=torch.float32)
        soft.scatter_(1, labels.long().view(-1, 1), 1.0)
    else:
        value_error("labels", "integer class indices of shape (B,) or float soft targets of shape (B, num_classes)", labels, "flatten the labels to one index per sample")
    if smoothing:
        soft = soft * (1.0 - smoothing) + smoothing / num_classes
    return soft


def make_generator(generator: Any = None, seed: int | None = None) -> Any:
    """A CPU ``torch.Generator``: the one given, else one seeded with ``seed`` (drawn from the OS when None)."""
    if generator is not None:
        if not isinstance(generator, torch.Generator):
            type_error("generator", "a torch.Generator", generator, "pass torch.Generator().manual_seed(0) or use seed=")
        return generator
    return torch.Generator().manual_seed(fresh_seed() if seed is None else int(seed))


def sample_beta(alpha: float, generator: Any) -> float:
    """One Beta(alpha, alpha) draw whose randomness comes from ``generator`` only."""
    seed = int(torch.randint(0, 2**62, (1,), generator=generator).item())
    return float(np.random.default_rng(seed).beta(alpha, alpha))


def _check_batch(images: Any, labels: Any, min_ndim: int) -> None:
    if not isinstance(images, torch.Tensor):
        type_error("images", "a torch tensor batch (B, C, H, W)", images, "stack the batch with torch.stack or use a DataLoader")
    if images.ndim < min_ndim:
        value_error("images", f"a batch with at least {min_ndim} dimensions (B, C, H, W)", images, "add the batch dimension")
    if not isinstance(labels, torch.Tensor) or labels.ndim == 0 or labels.shape[0] != images.shape[0]:
        value_error("labels", f"one label per image ({images.shape[0]})", labels, "pass the labels of this batch")


def _partner(batch: int, generator: Any, device: Any) -> Any:
    return torch.randperm(batch, generator=generator).to(device)


def mixup(images: Any, labels: Any, num_classes: int, alpha: float = 0.4, label_smoothing: float = 0.0, generator: Any = None, lam: float | None = None) -> Mixed:
    """Blend every image with a partner: ``lam * x + (1 - lam) * x[index]``; targets mix the same way."""
    _check_batch(images, labels, 1)
    if not images.is_floating_point():
        type_error("images", "a floating-point batch", images, "convert first, e.g. images.float() / 255 (MixUp blends pixel values)")
    g = make_generator(generator)
    lam = sample_beta(_check_alpha(alpha, "alpha"), g) if lam is None else float(lam)
    index = _partner(images.shape[0], g, images.device)
    soft = one_hot(labels, num_classes, label_smoothing)
    mixed = images * lam + images[index] * (1.0 - lam)
    return Mixed(mixed, soft * lam + soft[index] * (1.0 - lam), lam, index, None)


def cutmix_box(height: int, width: int, lam: float, generator: Any) -> tuple[int, int, int, int]:
    """The CutMix paste box (x1, y1, x2, y2): side ratio sqrt(1 - lam), uniform centre, clipped."""
    ratio = math.sqrt(max(0.0, 1.0 - lam))
    cut_w, cut_h = int(width * ratio), int(height * ratio)
    cx = int(torch.randint(0, width, (1,), generator=generator).item())
    cy = int(torch.randint(0, height, (1,), generator=generator).item())
    x1, x2 = min(max(cx - cut_w // 2, 0), width), min(max(cx + cut_w // 2, 0), width)
    y1, y2 = min(max(cy - cut_h // 2, 0), height), min(max(cy + cut_h // 2, 0), height)
    return x1, y1, x2, y2


def cutmix(images: Any, labels: Any, num_classes: int, alpha: float = 1.0, label_smoothing: float = 0.0, generator: Any = None, lam: float | None = None) -> Mixed:
    """Paste a box from each image's partner (spatial dims are the last two: (B, C, H, W)); the
    returned ``lam`` is ``1 - pasted_area / (H * W)`` after clipping, and targets use it."""
    _check_batch(images, labels, 3)
    g = make_generator(generator)
    lam0 = sample_beta(_check_alpha(alpha, "alpha"), g) if lam is None else float(lam)
    height, width = int(images.shape[-2]), int(images.shape[-1])
    x1, y1, x2, y2 = cutmix_box(height, width, lam0, g)
    index = _partner(images.shape[0], g, images.device)
    mixed = images.clone()
    mixed[..., y1:y2, x1:x2] = images[index][..., y1:y2, x1:x2]
    lam = 1.0 - (x2 - x1) * (y2 - y1) / float(height * width)
    soft = one_hot(labels, num_classes, label_smoothing)
    return Mixed(mixed, soft * lam + soft[index] * (1.0 - lam), lam, index, (x1, y1, x2, y2))


class _Mixer:
    """Shared state of the batch mixers: class count, smoothing, and an owned generator."""

    def __init__(self, num_classes: int, label_smoothing: float, seed: int | None, generator: Any) -> None:
        self.num_classes = _check_classes(num_classes)
        self.label_smoothing = _check_smoothing(label_smoothing)
        self.seed = fresh_seed() if seed is None and generator is None else seed
        self.generator = make_generator(generator, self.seed)
        if self.seed is None:  # a caller's generator: its initial seed keys the worker streams (MixCollate)
            self.seed = int(self.generator.initial_seed())
        self.last: Mixed | None = None

    def reseed(self, seed: int) -> None:
        self.seed = int(seed)
        self.generator = torch.Generator().manual_seed(self.seed)

    def mix(self, images: Any, labels: Any) -> Mixed:
        raise NotImplementedError

    def __call__(self, images: Any, labels: Any) -> tuple[Any, Any]:
        """Return ``(mixed_images, soft_targets)``; details of the call are kept in ``self.last``."""
        self.last = self.mix(images, labels)
        return self.last.images, self.last.targets


class MixUp(_Mixer):
    """Batch MixUp: ``images, targets = MixUp(num_classes=10, alpha=0.4)(images, labels)``."""

    def __init__(self, num_classes: int, alpha: float = 0.4, label_smoothing: float = 0.0, seed: int | None = None, generator: Any = None) -> None:
        super().__init__(num_classes, label_smoothing, seed, generator)
        self.alpha = _check_alpha(alpha, "alpha")

    def mix(self, images: Any, labels: Any) -> Mixed:
        return mixup(images, labels, self.num_classes, self.alpha, self.label_smoothing, self.generator)


class CutMix(_Mixer):
    """Batch CutMix: ``images, targets = CutMix(num_classes=10, alpha=1.0)(images, labels)``."""

    def __init__(self, num_classes: int, alpha: float = 1.0, label_smoothing: float = 0.0, seed: int | None = None, generator: Any = None) -> None:
        super().__init__(num_classes, label_smoothing, seed, generator)
        self.alpha = _check_alpha(alpha, "alpha")

    def mix(self, images: Any, labels: Any) -> Mixed:
        return cutmix(images, labels, self.num_classes, self.alpha, self.label_smoothing, self.generator)


class MixUpCutMix(_Mixer):
    """Per batch, CutMix with probability ``cutmix_prob``, else MixUp with ``mixup_prob``, else
    neither (targets are then the smoothed one-hot labels). The DeiT/ConvNeXt recipe is
    ``MixUpCutMix(num_classes, mixup_alpha=0.8, cutmix_alpha=1.0, label_smoothing=0.1)``."""

    def __init__(
        self,
        num_classes: int,
        mixup_alpha: float = 0.4,
        cutmix_alpha: float = 1.0,
        mixup_prob: float = 0.5,
        cutmix_prob: float = 0.5,
        label_smoothing: float = 0.0,
        seed: int | None = None,
        generator: Any = None,
    ) -> None:
        super().__init__(num_classes, label_smoothing, seed, generator)
        self.mixup_alpha = _check_alpha(mixup_alpha, "mixup_alpha")
        self.cutmix_alpha = _check_alpha(cutmix_alpha, "cutmix_alpha")
        for name, value in (("mixup_prob", mixup_prob), ("cutmix_prob", cutmix_prob)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                value_error(name, "a probability in [0, 1]", value, f"pass e.g. {name}=0.5")
        if mixup_prob + cutmix_prob > 1.0 + 1e-9:
            value_error("mixup_prob + cutmix_prob", "at most 1", (mixup_prob, cutmix_prob), "lower one of them; the rest of the batches are left unmixed")
        self.mixup_prob, self.cutmix_prob = float(mixup_prob), float(cutmix_prob)
        self.mode: str = "none"

    def mix(self, images: Any, labels: Any) -> Mixed:
        r = float(torch.rand(1, generator=self.generator).item())
        if r < self.cutmix_prob:
            self.mode = "cutmix"
            return cutmix(images, labels, self.num_classes, self.cutmix_alpha, self.label_smoothing, self.generator)
        if r < self.cutmix_prob + self.mixup_prob:
            self.mode = "mixup"
            return mixup(images, labels, self.num_classes, self.mixup_alpha, self.label_smoothing, self.generator)
        self.mode = "none"
        _check_batch(images, labels, 1)
        index = torch.arange(images.shape[0], device=images.device)
        return Mixed(images, one_hot(labels, self.num_classes, self.label_smoothing), 1.0, index, None)


class MixCollate:
    """A DataLoader ``collate_fn`` that collates then mixes: ``DataLoader(ds, collate_fn=MixCollate(CutMix(10)))``.

    Inside worker processes each worker re-seeds its copy of the mixer from ``(mixer seed, worker id)``,
    so workers do not repeat each other's lambdas and boxes. The mixer seed is ``seed=`` or, for a mixer
    built with ``generator=``, that generator's ``initial_seed()``: either way two identical runs mix
    identically with any number of workers."""

    def __init__(self, mixer: _Mixer, collate_fn: Callable[[Sequence[Any]], Any] | None = None) -> None:
        if not isinstance(mixer, _Mixer):
            type_error("mixer", "an iv.MixUp, iv.CutMix or iv.MixUpCutMix", mixer, "build the mixer first")
        self.mixer = mixer
        self.collate_fn = collate_fn
        self._worker: int | None = None

    def __call__(self, batch: Sequence[Any]) -> tuple[Any, Any]:
        from torch.utils.data import default_collate, get_worker_info

        info = get_worker_info()
        if info is not None and self._worker != info.id:
            self._worker = info.id
            seq = np.random.SeedSequence([int(self.mixer.seed), int(info.id)])
            self.mixer.reseed(int(seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)))
        images, labels = (self.collate_fn or default_collate)(batch)
        return self.mixer(images, labels)

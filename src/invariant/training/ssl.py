"""Multi-view datasets: n independently augmented views per image (SimCLR, BYOL, DINO-style multi-crop)
and AugMix's (clean, aug1, aug2) triplets.

Each view draws from its own generator derived from ``(seed, epoch, index, view)``, so views differ,
an epoch is reproducible, and nothing depends on DataLoader worker count (see ``training.dataset``).
A ``shared`` pipeline (e.g. the random crop of the AugMix recipe) runs once, before the views split.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..core.compose import Compose, RandomApply
from ..core.errors import type_error, value_error
from ..core.rng import derive_rng
from ..core.transform import Transform
from .dataset import AugmentedDataset


def simclr_pipeline(size: int = 224, s: float = 1.0, blur_p: float = 0.5, normalize: bool = True, to_tensor: bool = True, seed: int | None = None) -> Compose:
    """The SimCLR view pipeline (Chen et al. 2020, appendix A): RandomResizedCrop(size, scale 0.08-1),
    HorizontalFlip(0.5), ColorJitter(0.8s, 0.8s, 0.8s, 0.2s) with p=0.8, RandomGrayscale(p=0.2),
    GaussianBlur (kernel ~10% of ``size``, odd; sigma 0.1-2.0) with p=``blur_p`` (the paper blurs 50% of
    the time on ImageNet and not at all on CIFAR-10: pass ``blur_p=0``), then Normalize and ToTensor."""
    from ..transforms.blur_noise import GaussianBlur
    from ..transforms.color import ColorJitter, RandomGrayscale
    from ..transforms.crops import RandomResizedCrop
    from ..transforms.flips import HorizontalFlip
    from ..transforms.normalize import Normalize, ToTensor

    if isinstance(size, bool) or not isinstance(size, int) or size < 8:
        value_error("size", "an int >= 8 (output side in pixels)", size, "pass e.g. size=224")
    if isinstance(s, bool) or not isinstance(s, (int, float)) or not 0 <= s <= 2.5:
        value_error("s", "a colour-jitter strength in [0, 2.5] (hue = 0.2*s must be <= 0.5)", s, "pass s=1.0 (ImageNet) or s=0.5 (CIFAR)")
    kernel = int(0.1 * size) | 1
    steps: list[Transform] = [
        RandomResizedCrop(size, scale=(0.08, 1.0)),
        HorizontalFlip(p=0.5),
        RandomApply([ColorJitter(brightness=0.8 * s, contrast=0.8 * s, saturation=0.8 * s, hue=0.2 * s)], p=0.8),
        RandomGrayscale(p=0.2),
    ]
    if blur_p > 0:
        steps.append(GaussianBlur(kernel_size=kernel, sigma=(0.1, 2.0), p=blur_p))
    if normalize:
        steps.append(Normalize())
    if to_tensor:
        steps.append(ToTensor())
    return Compose(steps, seed=seed)


class MultiViewDataset(AugmentedDataset):
    """``base[i]`` -> ``(view_1, ..., view_n)`` (or ``((views...), label)`` for ``(image, label)`` items).

    views: one Compose used for all ``n_views`` views, or a list of Composes (one per view, e.g. BYOL's
    asymmetric pair or multi-crop). shared: an optional Compose run once per item before the views.
    """

    def __init__(
        self,
        base: Sequence[Any],
        views: Compose | Sequence[Compose],
        n_views: int = 2,
        shared: Compose | None = None,
        seed: int | None = None,
        epochs: int | None = None,
        output: str = "image",
    ) -> None:
        pipelines = [views] * int(n_views) if isinstance(views, Compose) else list(views)
        if not pipelines or not all(isinstance(p, Compose) for p in pipelines):
            type_error("views", "an iv.Compose or a non-empty list of them", views, "wrap each view's transforms in iv.Compose([...])")
        if isinstance(views, Compose) and (isinstance(n_views, bool) or int(n_views) < 1):
            value_error("n_views", "an int >= 1", n_views, "pass n_views=2 for SimCLR")
        if shared is not None and not isinstance(shared, Compose):
            type_error("shared", "an iv.Compose or None", shared, "wrap the shared transforms in iv.Compose([...])")
        super().__init__(base, pipelines[0], seed=seed, epochs=epochs, output=output)
        self.views, self.shared = pipelines, shared

    def _move_schedules(self) -> None:
        progress = self.progress()
        if self.epochs and progress != self._progress_seen:
            for p in {id(p): p for p in [*self.views, *([self.shared] if self.shared else [])]}.values():
                p.set_progress(progress)
            self._progress_seen = progress

    def __getitem__(self, index: int) -> Any:
        self._move_schedules()
        item = self.base[index]
        label, has_label = None, isinstance(item, tuple) and len(item) == 2
        if has_label:
            item, label = item
        data = dict(item) if isinstance(item, dict) else {"image": np.asarray(item)}
        if self.shared is not None:
            shared_out = self.shared(rng=derive_rng(self.seed, self.epoch, index, 0), **data)
            data = {k: v for k, v in shared_out.items() if k in data}
        views = tuple(p(rng=derive_rng(self.seed, self.epoch, index, k + 1), **data)[self.output] for k, p in enumerate(self.views))
        return (views, label) if has_label else views


class AugMixDataset(MultiViewDataset):
    """AugMix's training input: ``((clean, aug1, aug2), label)`` where ``preprocess`` (e.g. random crop +
    flip) runs once, the two augmented views add an independent ``AugMix`` each, and ``postprocess``
    (e.g. Normalize, ToTensor) ends all three. Train with ``iv.augmix_loss(model(clean), model(aug1),
    model(aug2), labels)``."""

    def __init__(
        self,
        base: Sequence[Any],
        augmix: Transform | None = None,
        preprocess: Sequence[Transform] = (),
        postprocess: Sequence[Transform] = (),
        seed: int | None = None,
        epochs: int | None = None,
    ) -> None:
        from ..policies.augmix import AugMix

        augmix = AugMix() if augmix is None else augmix
        if not isinstance(augmix, Transform):
            type_error("augmix", "an iv.AugMix (or any transform)", augmix, "pass iv.AugMix(severity=3)")
        post = list(postprocess)
        views = [Compose(post), Compose([augmix, *post]), Compose([augmix, *post])]
        shared = Compose(list(preprocess)) if preprocess else None
        super().__init__(base, views, shared=shared, seed=seed, epochs=epochs)

"""Multispectral satellite tiles (R, G, B, NIR): every orientation valid, colour jitter on visible bands only.

No canonical up or down and all cardinal directions are fine (flips and 90-degree turns), geometry
applies identically to every band; brightness/contrast only on the visible bands (NIR is a different
physical quantity: leave it untouched); one normalisation statistic per band.
"""

from __future__ import annotations

from typing import Sequence

from ...core.compose import Compose
from ..task import Task
from ._common import T, finish, stats


def satellite_task(bands: Sequence[str] = ("R", "G", "B", "NIR"), name: str = "satellite land cover") -> Task:
    """Overhead imagery: no laterality, no orientation, no cardinal direction; spectra carry the label."""
    return Task(name, modality="multispectral", bands=tuple(bands), laterality=False, orientation=False, cardinal_direction=False, color_semantics=True, metric_values=False)


def satellite(
    mean: Sequence[float],
    std: Sequence[float],
    bands: Sequence[str] = ("R", "G", "B", "NIR"),
    size: int = 256,
    to_tensor: bool = False,
    seed: int | None = None,
) -> tuple[Compose, Task]:
    """Pipeline for (H, W, len(bands)) uint8/uint16/float32 tiles. ``mean``/``std``: one value per band
    (``iv.compute_stats``). Steps: RandomResizedCrop(size, scale 0.5-1), HorizontalFlip, VerticalFlip,
    RandomRotate90, OnChannels(RandomBrightnessContrast(0.2, 0.2, p=0.6), visible bands; brightness
    relative to each band's mean, so any bit depth works), Normalize per band."""
    task = satellite_task(bands)
    mean, std = stats(mean, std, len(task.bands or ()), "satellite")
    visible = task.visible_channels
    transforms = [
        T("RandomResizedCrop", size=size, scale=(0.5, 1.0)),
        T("HorizontalFlip", p=0.5),
        T("VerticalFlip", p=0.5),
        T("RandomRotate90", p=0.5),
    ]
    if visible:
        transforms.append(T("OnChannels", transform=T("RandomBrightnessContrast", brightness_limit=0.2, contrast_limit=0.2, brightness_by_max=False, p=1.0), channels=visible, p=0.6))
    transforms.append(T("Normalize", mean=mean, std=std))
    return Compose(finish(transforms, to_tensor), seed=seed, task=task), task

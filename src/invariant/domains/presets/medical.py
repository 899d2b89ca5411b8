"""Grayscale medical images (X-ray, CT, MRI slices): mild geometry and exposure changes, no flips.

Heart laterality matters (no flips), X-rays are taken nearly upright (rotation <= 5 degrees), exposure
varies (brightness/contrast 0.3), tissue deforms (elastic p=0.3), focus varies (blur p=0.2), and the
statistics are the dataset's own: hue, saturation, grayscale conversion and ImageNet statistics are
meaningless on one channel and are refused by the task's check.
"""

from __future__ import annotations

from typing import Sequence

from ...core.compose import Compose
from ..task import Task
from ._common import T, finish, stats


def xray_task(name: str = "chest x-ray") -> Task:
    """Chest X-ray: laterality and orientation matter, rotation <= 5 degrees, one channel."""
    return Task(name, modality="grayscale", laterality=True, orientation=True, max_rotation=5.0, cardinal_direction=False, color_semantics=False, metric_values=False)


def xray(
    mean: float | Sequence[float],
    std: float | Sequence[float],
    size: int = 512,
    to_tensor: bool = False,
    seed: int | None = None,
) -> tuple[Compose, Task]:
    """Medical grayscale pipeline for 1-channel uint8 or uint16 images (H, W) or (H, W, 1).

    ``mean``/``std``: the training set's statistics in [0, 1] units (``iv.compute_stats``; required, never
    ImageNet's). Steps: RandomResizedCrop(size, scale 0.85-1), ShiftScaleRotate(shift 0.05, scale 0.05,
    rotate 5, p=0.8), RandomBrightnessContrast(0.3, 0.3, p=0.8; brightness relative to the image mean,
    so 12-bit data stored in uint16 is handled like full-range data), ElasticTransform(alpha=60, sigma=4, p=0.3),
    GaussianBlur(3-5, p=0.2), Normalize(mean, std). No HorizontalFlip."""
    mean, std = stats(mean, std, 1, "X-ray")
    task = xray_task()
    transforms = [
        T("RandomResizedCrop", size=size, scale=(0.85, 1.0)),
        T("ShiftScaleRotate", shift_limit=0.05, scale_limit=0.05, rotate_limit=5.0, p=0.8),
        T("RandomBrightnessContrast", brightness_limit=0.3, contrast_limit=0.3, brightness_by_max=False, p=0.8),
        T("ElasticTransform", alpha=60.0, sigma=4.0, p=0.3),
        T("GaussianBlur", kernel_size=(3, 5), p=0.2),
        T("Normalize", mean=mean, std=std),
    ]
    return Compose(finish(transforms, to_tensor), seed=seed, task=task), task

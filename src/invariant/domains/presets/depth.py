"""Depth maps alone, and RGB images paired with their depth maps: geometry only, depth values kept.

Depth pixels are metric measurements (uint16 millimetres or float32 metres), with 0 (or NaN) marking a
missing return. Valid: flips, crops, mild rotation (all resampled with nearest neighbour, so no depth is
invented between surfaces and holes stay holes; the revealed border is a hole, 0), mild sensor noise
that grows with distance, hole masking that simulates missing returns, normalisation by the sensor range.
Not valid: brightness/contrast/colour jitter, blur, ImageNet statistics (the task's check refuses them).
"""

from __future__ import annotations

from ...core.compose import Compose
from ..task import Task
from ._common import T, finish

DEPTH_TARGETS = {"depth": "depth"}


def depth_task(name: str = "depth maps") -> Task:
    """Depth data: metric values, upright scenes (gravity), mirrors fine."""
    return Task(name, modality="depth", laterality=False, orientation=True, cardinal_direction=False, color_semantics=False, metric_values=True)


def rgbd_task(name: str = "RGB + depth") -> Task:
    """An RGB image plus its depth map (a target of kind "depth")."""
    return Task(name, modality="rgbd", laterality=False, orientation=True, cardinal_direction=False, color_semantics=False, metric_values=True)


def _geometric(size: tuple[int, int], rotate: float) -> list:
    return [
        T("RandomResizedCrop", size=size, scale=(0.8, 1.0), interpolation="nearest"),
        T("HorizontalFlip", p=0.5),
        T("Rotate", limit=rotate, interpolation="nearest", border_mode="constant", fill=0, p=0.3),
    ]


def depth(
    max_depth: float,
    size: tuple[int, int] = (480, 640),
    min_depth: float = 0.0,
    rotate: float = 5.0,
    to_tensor: bool = False,
    seed: int | None = None,
) -> tuple[Compose, Task]:
    """Pipeline for a depth map alone; call ``pipe(depth=d)`` (NaN holes allowed) or ``pipe(image=d)``
    (0 holes). ``max_depth``/``min_depth`` in the map's units (10000 for indoor mm, 80.0 for LiDAR metres).
    Steps: RandomResizedCrop(size, scale 0.8-1, nearest), HorizontalFlip, Rotate(+-rotate, nearest, p=0.3),
    DepthNoise(1%, p=0.3), DepthHoles(p=0.5), DepthNormalize(min_depth, max_depth). Output: float32 in [0, 1],
    holes 0."""
    task = depth_task()
    transforms = _geometric(size, rotate) + [
        T("DepthNoise", sigma=(0.0, 0.01), p=0.3),
        T("DepthHoles", p=0.5),
        T("DepthNormalize", max_depth=max_depth, min_depth=min_depth),
    ]
    return Compose(finish(transforms, to_tensor), additional_targets=DEPTH_TARGETS, seed=seed, task=task), task


def rgbd(
    max_depth: float,
    size: tuple[int, int] = (480, 640),
    min_depth: float = 0.0,
    rotate: float = 5.0,
    to_tensor: bool = False,
    seed: int | None = None,
) -> tuple[Compose, Task]:
    """Pipeline for ``pipe(image=rgb, depth=d)``: one geometric draw moves both (the RGB with the transform's
    interpolation, the depth with nearest, so they stay pixel-aligned); colour jitter and ImageNet
    normalisation touch only the RGB; sensor noise, hole masking and range normalisation only the depth."""
    task = rgbd_task()
    transforms = [
        T("RandomResizedCrop", size=size, scale=(0.8, 1.0)),
        T("HorizontalFlip", p=0.5),
        T("Rotate", limit=rotate, border_mode="constant", fill=0, p=0.3),
        T("ColorJitter", brightness=0.3, contrast=0.3, saturation=0.3, hue=0.05, p=0.8),
        T("DepthNoise", sigma=(0.0, 0.01), apply_to_image=False, p=0.3),
        T("DepthHoles", apply_to_image=False, p=0.5),
        T("Normalize"),
        T("DepthNormalize", max_depth=max_depth, min_depth=min_depth, apply_to_image=False),
    ]
    return Compose(finish(transforms, to_tensor), additional_targets=DEPTH_TARGETS, seed=seed, task=task), task

"""Video clips: every frame of a clip gets the same parameters (one draw per clip, replayed).

Temporal consistency is required (a flip on frame 3 but not frame 7 is a camera jump
no real camera makes). :func:`augment_clip` draws once on the first frame (``return_params=True``) and
replays that draw on every other frame (``Compose.replay``), like albumentations' ReplayCompose.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ...core.compose import Compose
from ...core.errors import type_error, value_error
from ...transforms.normalize import IMAGENET_MEAN, IMAGENET_STD
from ..task import Task
from ._common import T, finish


def video_task(name: str = "video clips") -> Task:
    """Natural video: mirror-invariant, upright, colour not semantic, one draw per clip."""
    return Task(name, modality="video", laterality=False, orientation=True, cardinal_direction=False, color_semantics=False, metric_values=False)


def video(size: int = 224, to_tensor: bool = False, seed: int | None = None) -> tuple[Compose, Task]:
    """The clip pipeline (apply with :func:`augment_clip`): RandomResizedCrop(size, scale 0.7-1),
    HorizontalFlip, ColorJitter(0.3, 0.3, 0.3, 0.1, p=0.8), GaussianBlur(3-5, p=0.2), ImageNet Normalize."""
    task = video_task()
    transforms = [
        T("RandomResizedCrop", size=size, scale=(0.7, 1.0)),
        T("HorizontalFlip", p=0.5),
        T("ColorJitter", brightness=0.3, contrast=0.3, saturation=0.3, hue=0.1, p=0.8),
        T("GaussianBlur", kernel_size=(3, 5), p=0.2),
        T("Normalize", mean=IMAGENET_MEAN, std=IMAGENET_STD),
    ]
    return Compose(finish(transforms, to_tensor), seed=seed, task=task), task


def augment_clip(
    pipeline: Compose,
    frames: np.ndarray | Sequence[np.ndarray],
    rng: np.random.Generator | None = None,
    return_params: bool = False,
    **targets: Any,
) -> Any:
    """Augment every frame of a clip with ONE parameter draw.

    ``frames``: a (T, H, W, C) or (T, H, W) array, or a list of same-size frames. Extra per-frame targets
    (e.g. ``depth=`` a (T, H, W) array, for pipelines that declare them) are replayed alongside.
    Returns the augmented clip stacked like the input (a (T, ...) array, or a (T, C, H, W) tensor after
    ToTensor), plus the recorded params when ``return_params``; extra targets come back as a dict."""
    if not isinstance(pipeline, Compose):
        type_error("pipeline", "an iv.Compose", pipeline, "wrap the transforms in iv.Compose([...])")
    if isinstance(frames, np.ndarray):
        if frames.ndim not in (3, 4):
            value_error("frames", "a (T, H, W) or (T, H, W, C) array", frames, "stack the clip's frames along axis 0")
        clip = list(frames)
    elif isinstance(frames, (list, tuple)) and frames:
        clip = list(frames)
    else:
        type_error("frames", "a (T, H, W[, C]) array or a non-empty list of frames", frames, "pass the clip's frames")
    for name, value in targets.items():
        if len(value) != len(clip):
            value_error(name, f"{len(clip)} frames like `frames`", value, f"give {name} one entry per frame")
    first = pipeline(image=clip[0], rng=rng, return_params=True, **{k: v[0] for k, v in targets.items()})
    params = first.pop("params")
    outs = [first] + [pipeline.replay(params, image=f, **{k: v[i + 1] for k, v in targets.items()}) for i, f in enumerate(clip[1:])]
    images = _stack([o["image"] for o in outs])
    if targets:
        result: Any = (images, {k: _stack([o[k] for o in outs]) for k in targets})
    else:
        result = images
    return (result, params) if return_params else result


def _stack(items: list[Any]) -> Any:
    if isinstance(items[0], np.ndarray):
        return np.stack(items)
    import torch

    return torch.stack(items)

"""Natural RGB photographs: the ImageNet train/val recipes, CIFAR, SimCLR views and a curriculum.

Sources (torchvision's ImageNet recipe after Szegedy et al. 2015, the CIFAR pad-and-crop recipe, SimCLR by Chen et
al. 2020, curriculum augmentation after Bengio et al. 2009). Natural images: left/right does not
matter, up/down does (upside-down cats are not real), colour does not carry the label.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core.compose import Compose, RandomApply
from ...core.schedule import Linear, Step
from ...transforms.normalize import IMAGENET_MEAN, IMAGENET_STD
from ..task import Task
from ._common import T, finish

CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)  # published CIFAR-10 training-set statistics
CIFAR10_STD = (0.2470, 0.2435, 0.2616)


def natural_task(name: str = "natural images") -> Task:
    """Natural photographs: mirror-invariant, upright (rotations up to 15 degrees), colour not semantic."""
    return Task(name, modality="rgb", laterality=False, orientation=True, cardinal_direction=False, color_semantics=False, metric_values=False)


def imagenet_train(size: int = 224, to_tensor: bool = False, seed: int | None = None) -> tuple[Compose, Task]:
    """ImageNet training pipeline (torchvision's, plus SimCLR's blur): RandomResizedCrop(scale 0.08-1, ratio 3/4-4/3),
    horizontal flip, ColorJitter(0.4, 0.4, 0.4, 0.1), RandomGrayscale(0.2), GaussianBlur(23, sigma 0.1-2),
    ImageNet normalisation. Input: uint8 RGB (H, W, 3)."""
    task = natural_task("ImageNet classification (train)")
    transforms = [
        T("RandomResizedCrop", size=size, scale=(0.08, 1.0), ratio=(0.75, 1.33)),
        T("HorizontalFlip", p=0.5),
        T("ColorJitter", brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, p=1.0),
        T("RandomGrayscale", p=0.2),
        T("GaussianBlur", kernel_size=23, sigma=(0.1, 2.0), p=1.0),
        T("Normalize", mean=IMAGENET_MEAN, std=IMAGENET_STD),
    ]
    return Compose(finish(transforms, to_tensor), seed=seed, task=task), task


def imagenet_val(size: int = 224, resize: int = 256, to_tensor: bool = False) -> tuple[Compose, Task]:
    """Deterministic evaluation: resize the shorter side to ``resize``, centre-crop ``size``, normalise.
    Never augment the validation set: its score must measure the data as it is."""
    task = natural_task("ImageNet classification (val)")
    transforms = [T("Resize", height=resize), T("CenterCrop", size=size), T("Normalize", mean=IMAGENET_MEAN, std=IMAGENET_STD)]
    return Compose(finish(transforms, to_tensor), task=task), task


def cifar(size: int = 32, padding: int = 4, mean: tuple[float, ...] = CIFAR10_MEAN, std: tuple[float, ...] = CIFAR10_STD, to_tensor: bool = False, seed: int | None = None) -> tuple[Compose, Task]:
    """The CIFAR recipe: pad 4 + random 32x32 crop, horizontal flip, CIFAR-10 statistics."""
    task = natural_task("CIFAR classification")
    transforms = [T("RandomCrop", size=size, padding=padding), T("HorizontalFlip", p=0.5), T("Normalize", mean=mean, std=std)]
    return Compose(finish(transforms, to_tensor), seed=seed, task=task), task


def simclr(size: int = 224, s: float = 1.0, to_tensor: bool = False, seed: int | None = None) -> tuple[Compose, Task]:
    """One SimCLR view (call it twice, or use :func:`two_views`): RandomResizedCrop(0.08-1), flip,
    ColorJitter(0.8s, 0.8s, 0.8s, 0.2s) with p=0.8, RandomGrayscale(0.2), GaussianBlur with a kernel of
    10% of the size (odd) and sigma 0.1-2. The task declares the invariances the representation learns."""
    task = Task("SimCLR views", modality="rgb", laterality=False, orientation=True, cardinal_direction=False, color_semantics=False, metric_values=False)
    k = int(0.1 * size) | 1
    transforms = [
        T("RandomResizedCrop", size=size, scale=(0.08, 1.0)),
        T("HorizontalFlip", p=0.5),
        RandomApply([T("ColorJitter", brightness=0.8 * s, contrast=0.8 * s, saturation=0.8 * s, hue=0.2 * s, p=1.0)], p=0.8),
        T("RandomGrayscale", p=0.2),
        T("GaussianBlur", kernel_size=k, sigma=(0.1, 2.0), p=1.0),
        T("Normalize", mean=IMAGENET_MEAN, std=IMAGENET_STD),
    ]
    return Compose(finish(transforms, to_tensor), seed=seed, task=task), task


def two_views(pipeline: Compose, image: np.ndarray, rng: np.random.Generator | None = None) -> tuple[Any, Any]:
    """Two independently augmented views of one image (a positive pair for NT-Xent)."""
    return pipeline(image=image, rng=rng)["image"], pipeline(image=image, rng=rng)["image"]


def curriculum(size: int = 224, to_tensor: bool = False, seed: int | None = None) -> tuple[Compose, Task]:
    """A curriculum variant of the natural recipe, as schedules over training progress in [0, 1]
    (``pipe.set_progress(epoch / (epochs - 1))``, called by ``AugmentedDataset.set_epoch``): crop scale
    (0.5, 1) -> (0.1, 1); ColorJitter brightness/contrast/saturation 0.1 -> 0.4, hue 0.02 -> 0.1; blur
    p 0.05 -> 0.3; CoarseDropout off until progress 0.3, then p stepping up to 0.4 and holes 16 -> 32 px."""
    task = natural_task("natural images (curriculum)")
    transforms = [
        T("RandomResizedCrop", size=size, scale=Linear((0.5, 1.0), (0.1, 1.0))),
        T("HorizontalFlip", p=0.5),
        T("ColorJitter", brightness=Linear(0.1, 0.4), contrast=Linear(0.1, 0.4), saturation=Linear(0.1, 0.4), hue=Linear(0.02, 0.1), p=0.8),
        T("GaussianBlur", kernel_size=(3, 7), p=Linear(0.05, 0.3)),
        T(
            "CoarseDropout",
            num_holes_range=(1, 8),
            hole_height_range=Linear((8, 16), (8, 32)),
            hole_width_range=Linear((8, 16), (8, 32)),
            p=Step([0.3, 0.5, 0.7, 0.9], [0.0, 0.16, 0.24, 0.32, 0.4]),
        ),
        T("Normalize", mean=IMAGENET_MEAN, std=IMAGENET_STD),
    ]
    return Compose(finish(transforms, to_tensor), seed=seed, task=task), task

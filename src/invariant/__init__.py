"""invariant: image augmentation that declares, checks and executes the invariances of a task."""

from __future__ import annotations

__version__ = "0.1.0"

from .core.compose import Compose, Container, OneOf, RandomApply, Sequential, SomeOf
from .core.errors import TorchMissingError
from .core.rng import derive_rng
from .core.schedule import Cosine, Custom, Linear, Schedule, Step
from .core.serialization import ConfigError, from_dict, load, save, to_dict
from .core.transform import REGISTRY, SpatialTransform, Transform
from .transforms.crops import CenterCrop, RandomCrop, RandomResizedCrop, Resize
from .transforms.flips import HorizontalFlip, VerticalFlip
from .transforms.functional import Lambda
from .transforms.normalize import IMAGENET_MEAN, IMAGENET_STD, Normalize, ToTensor, compute_stats


def available_transforms() -> list[str]:
    """Names of every registered transform (what configs may name)."""
    return sorted(REGISTRY)


def __getattr__(name: str):  # lazy torch-only helpers keep `import invariant` free of torch
    if name in ("AugmentedDataset",):
        from .training import dataset

        return getattr(dataset, name)
    raise AttributeError(f"module 'invariant' has no attribute {name!r}")

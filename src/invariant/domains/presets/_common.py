"""Shared helpers of the presets: transform lookup by name (families land independently) and stats checks."""

from __future__ import annotations

from typing import Any, Sequence

from ... import policies  # noqa: F401  (registers the policies)
from ...core.errors import type_error, value_error
from ...core.transform import REGISTRY, Transform
from ...transforms import (  # noqa: F401  (registers every transform family the presets name)
    blur_noise, channels, color, crops, degrade, depth, distortions, dropout, flips, geometric, intensity, normalize,
)


def T(name: str, **kwargs: Any) -> Transform:
    """Build the registered transform ``name`` (every family is imported above, so all are registered)."""
    cls = REGISTRY.get(name)
    if cls is None:
        raise ImportError(f"preset needs the transform {name!r}, which this build of invariant does not register. Fix: upgrade invariant.")
    return cls(**kwargs)


def stats(mean: Any, std: Any, channels: int, what: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Dataset statistics, one value per channel, required (never silently ImageNet's)."""
    out = []
    for name, value in (("mean", mean), ("std", std)):
        if value is None:
            value_error(name, f"the {what} training set's per-channel {name} ({channels} value(s))", None, "compute it with iv.compute_stats(training_images)")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = (float(value),)
        if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != channels:
            type_error(name, f"{channels} number(s), one per channel", value, "compute them with iv.compute_stats(training_images)")
        out.append(tuple(float(v) for v in value))
    return out[0], out[1]


def finish(transforms: list[Transform], to_tensor: bool) -> list[Transform]:
    if to_tensor:
        transforms.append(T("ToTensor"))
    return transforms

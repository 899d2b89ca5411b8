"""Shared fixtures: real photos from scikit-image, converted to every dtype and channel count."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np
import pytest

cv2.setNumThreads(0)  # sequential; 1 can deadlock forked DataLoader workers with OpenCV 5


def _photo_small() -> np.ndarray:
    from skimage import data

    return cv2.resize(data.astronaut(), (64, 48), interpolation=cv2.INTER_AREA)


_PHOTO = None


def photo(dtype: str = "uint8", channels: int = 3, size: tuple[int, int] | None = None) -> np.ndarray:
    """A real photo (skimage astronaut) as ``dtype`` with ``channels`` channels (HWC, or HW when 1 and flat)."""
    global _PHOTO
    if _PHOTO is None:
        _PHOTO = _photo_small()
    rgb = _PHOTO if size is None else cv2.resize(_PHOTO, (size[1], size[0]), interpolation=cv2.INTER_AREA)
    if channels == 1:
        base = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[:, :, None]
    elif channels == 3:
        base = rgb
    else:
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[:, :, None]
        extra = [255 - gray] * (channels - 3)
        base = np.concatenate([rgb, *extra], axis=2)
    if dtype == "uint8":
        return np.ascontiguousarray(base)
    if dtype == "uint16":
        return np.ascontiguousarray(base.astype(np.uint16) * 257)
    return np.ascontiguousarray(base.astype(np.float32) / 255.0)


@pytest.fixture
def rgb() -> np.ndarray:
    return photo()


def example_transform(name: str, **override):
    """The registered transform ``name`` built from its ``example_args`` (plus ``override``), always applied
    (``p=1`` where it takes one): what the registry-wide tests run."""
    import inspect

    from invariant.core.transform import REGISTRY

    cls = REGISTRY[name]
    kwargs = dict(cls.example_args)
    if "p" in inspect.signature(cls.__init__).parameters:
        kwargs["p"] = 1.0
    kwargs.update(override)
    return cls(**kwargs)


def call_with_sources(pipe, **data):
    """Call ``pipe`` on ``data``; multi-sample transforms (Mosaic, CopyPaste) get copies of the call as
    their ``sources`` (registry-wide tests run every transform on one input)."""
    n = sum(leaf.sources_needed() for leaf in pipe.leaves())
    if n:
        data["sources"] = [dict(data) for _ in range(n)]
    return pipe(**data)

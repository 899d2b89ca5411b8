"""From image files to training batches: decoding (reduced-size JPEG when the pipeline allows),
file datasets with per-sample seeding, and a DataLoader helper with worker hygiene.

``import invariant.io`` does not import torch; ``make_loader``, ``collate`` and ``DeviceNormalize``
import it when first used.
"""

from __future__ import annotations

from typing import Any

from .coco import CocoDetectionDataset, annotation_mask
from .datasets import FileDataset, ImageFolderDataset, ManifestDataset
from .decode import DecodeError, available_decoders, decode, decode_file, decode_mask, read_bytes
from .headers import ImageHeader, read_header
from .reduced import decode_augment, plan_scale

_LAZY = {"make_loader": "loader", "collate": "loader", "limit_threads": "loader", "default_workers": "loader", "DeviceNormalize": "device"}

__all__ = [
    "CocoDetectionDataset", "DecodeError", "DeviceNormalize", "FileDataset", "ImageFolderDataset", "ImageHeader",
    "ManifestDataset", "annotation_mask", "available_decoders", "collate", "decode", "decode_augment", "decode_file",
    "decode_mask", "default_workers", "limit_threads", "make_loader", "plan_scale", "read_bytes", "read_header",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'invariant.io' has no attribute {name!r}")

"""Batch-level augmentation and losses (PyTorch): MixUp, CutMix, soft targets, AugMix JSD, NT-Xent, and
batched execution of a pipeline on (B, C, H, W) tensors (``BatchedPipeline``, ``pipe.batched()``).

Importing this package needs torch; ``import invariant`` does not (the names are exported lazily).
"""

from __future__ import annotations

from .losses import augmix_loss, jsd_consistency, nt_xent, soft_target_cross_entropy
from .mix import CutMix, MixCollate, Mixed, MixUp, MixUpCutMix, cutmix, mixup, one_hot
from .executor import BatchedPipeline, TorchExecutor

__all__ = [
    "BatchedPipeline",
    "TorchExecutor",
    "CutMix",
    "MixCollate",
    "Mixed",
    "MixUp",
    "MixUpCutMix",
    "augmix_loss",
    "cutmix",
    "jsd_consistency",
    "mixup",
    "nt_xent",
    "one_hot",
    "soft_target_cross_entropy",
]

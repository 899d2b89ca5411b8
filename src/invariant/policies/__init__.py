"""Augmentation policies: AutoAugment, RandAugment, TrivialAugmentWide, AugMix, and their operation set."""

from __future__ import annotations

from .augmix import AUGMIX_OPS, AugMix
from .autoaugment import POLICIES, AutoAugment
from .ops import SPACES, PolicyGeometricOp, PolicyPixelOp
from .randaugment import RANDAUGMENT_OPS, RandAugment, parse_spec
from .trivialaugment import TRIVIALAUGMENT_OPS, TrivialAugmentWide
from .pba import PBAPolicy

__all__ = [
    "AUGMIX_OPS",
    "AugMix",
    "AutoAugment",
    "POLICIES",
    "PolicyGeometricOp",
    "PolicyPixelOp",
    "RANDAUGMENT_OPS",
    "RandAugment",
    "SPACES",
    "TRIVIALAUGMENT_OPS",
    "TrivialAugmentWide",
    "parse_spec",
    "PBAPolicy",
]

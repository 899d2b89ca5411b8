"""TrivialAugmentWide (Mueller & Hutter, 2021, "TrivialAugment: Tuning-free Yet State-of-the-Art Data
Augmentation"): per call ONE op drawn uniformly, at a magnitude bin drawn uniformly from 0..30, over the
"wide" ranges (shear 0.99, translate 32 px, rotate 135 degrees, enhance 0.99, posterize down to 2 bits),
as torchvision's ``TrivialAugmentWide``. No hyperparameters to tune."""

from __future__ import annotations

import numpy as np

from ..core.errors import type_error
from ..core.sample import Sample
from .base import Policy
from .ops import make_op
from .randaugment import RANDAUGMENT_OPS

# TrivialAugmentWide draws from RandAugment's 14 operations (Mueller & Hutter 2021), with wider ranges.
TRIVIALAUGMENT_OPS = RANDAUGMENT_OPS


class TrivialAugmentWide(Policy):
    """One uniformly drawn op at a uniformly drawn magnitude bin (``num_bins`` bins, default 31)."""

    def __init__(self, num_bins: int = 31, interpolation: str = "linear", fill: float | tuple[float, ...] = 0, p: float = 1.0) -> None:
        if isinstance(num_bins, bool) or not isinstance(num_bins, (int, np.integer)) or num_bins < 2:
            type_error("num_bins", "an int >= 2", num_bins, "pass num_bins=31 (the default)")
        self.num_bins = num_bins
        common = dict(magnitude=(0, int(num_bins) - 1), num_bins=num_bins, space="wide", interpolation=interpolation, fill=fill)
        self._set_ops([(make_op, dict(common, op=name)) for name in TRIVIALAUGMENT_OPS], p)

    def plan_children(self, rng: np.random.Generator, sample: Sample, plan: list) -> None:
        op = self.transforms[int(rng.integers(0, len(self.transforms)))]
        self.plan_op(op, rng, sample, plan, force=True)

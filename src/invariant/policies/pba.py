"""The policy of Population Based Augmentation (Ho et al., "Population Based Augmentation: Efficient
Learning of Augmentation Policy Schedules", ICML 2019, Algorithm 1).

Per call: draw how many operations to apply, ``count`` in {0, 1, 2} with probabilities (0.2, 0.3, 0.5);
visit the operations in a fresh random order and apply each with its own probability ``p``, stopping
once ``count`` have been applied. Each operation carries its own probability and magnitude, so a
learned schedule is a list of these per-op values per epoch: give each op's ``p`` and ``magnitude``
as an ``iv.Step`` of training progress and the policy replays it (``training.pba`` writes it so).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..core.compose import Container
from ..core.errors import type_error, value_error
from ..core.planner import plan_leaf
from ..core.sample import Sample
from ..core.transform import Transform
from .base import Policy

PBA_COUNT_WEIGHTS = (0.2, 0.3, 0.5)  # P(count = 0, 1, 2): Ho et al. 2019, Algorithm 1


class PBAPolicy(Policy):
    """``PBAPolicy(transforms, count_weights=(0.2, 0.3, 0.5))``: apply at most ``count`` of the children
    (``count`` drawn with ``count_weights`` over 0, 1, 2, ...), visited in a random order, each applied
    with its own ``p``; stop once ``count`` were applied. Children are leaf transforms (usually
    ``PolicyGeometricOp``/``PolicyPixelOp`` with ``num_bins=11``, the paper's magnitudes 0..9 of 10)."""

    def __init__(self, transforms: Sequence[Transform], count_weights: Sequence[float] = PBA_COUNT_WEIGHTS, p: float = 1.0) -> None:
        Container.__init__(self, transforms, p)
        for i, t in enumerate(self.transforms):
            if isinstance(t, Container):
                type_error(f"transforms[{i}]", "a leaf transform (an operation with its own p)", t, "list the operations themselves, not a container")
        numbers = isinstance(count_weights, (tuple, list)) and all(isinstance(w, (int, float, np.integer, np.floating)) and not isinstance(w, bool) for w in count_weights)
        if not numbers or not count_weights:
            type_error("count_weights", "a non-empty sequence of probabilities for count = 0, 1, 2, ...", count_weights, "pass e.g. count_weights=(0.2, 0.3, 0.5)")
        weights = [float(w) for w in count_weights]
        if any(w < 0 for w in weights) or abs(sum(weights) - 1.0) > 1e-6:
            value_error("count_weights", "non-negative probabilities summing to 1", count_weights, "pass e.g. count_weights=(0.2, 0.3, 0.5)")
        self.count_weights = tuple(count_weights)
        self._weights = np.array(weights) / sum(weights)

    example_args: dict[str, Any] = {"transforms": []}

    def plan_children(self, rng: np.random.Generator, sample: Sample, plan: list) -> None:
        count = int(rng.choice(len(self._weights), p=self._weights))
        if count == 0 or not self.transforms:
            return
        for i in rng.permutation(len(self.transforms)):
            op = self.transforms[int(i)]
            if rng.random() < op.p:
                plan_leaf(op, rng, sample, plan, force=True)
                count -= 1
                if count == 0:
                    return

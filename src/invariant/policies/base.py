"""Shared machinery of the augmentation policies: a policy is a container of policy ops that picks,
per call, which of its ops to plan. Planning goes through the engine, so geometric ops move boxes,
masks and keypoints and fuse with neighbouring spatial steps, and calls can be recorded and replayed."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..core.compose import Container
from ..core.effects import Effects
from ..core.planner import plan_leaf
from ..core.sample import Sample
from ..core.transform import Transform


class Policy(Container):
    """Base of AutoAugment / RandAugment / TrivialAugmentWide (their ops are the container's leaves)."""

    _abstract = True

    def _set_ops(self, specs: Sequence[tuple[Any, dict[str, Any]]], p: float) -> None:
        """Build the ops from ``(factory, kwargs)`` specs. On a re-initialisation (a schedule moved an
        argument) the existing op objects are re-initialised in place, so pipelines that index their
        leaves (replay, recorded params) keep working."""
        old = self.__dict__.get("transforms")
        if old is not None and len(old) == len(specs) and all(getattr(o, "op", None) == k.get("op") for o, (_, k) in zip(old, specs)):
            for op, (factory, kwargs) in zip(old, specs):
                fresh = factory(**kwargs)
                op.__dict__.clear()
                op.__dict__.update(fresh.__dict__)
            Container.__init__(self, old, p)
            return
        Container.__init__(self, [factory(**kwargs) for factory, kwargs in specs], p)

    def plan_op(self, op: Transform, rng: np.random.Generator, sample: Sample, plan: list, force: bool) -> None:
        plan_leaf(op, rng, sample, plan, force=force)

    def effects(self) -> Effects:
        total = Effects()
        for op in self.transforms:
            total = total.union(op.effects())
        return total

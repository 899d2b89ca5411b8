"""Vectorised planning of a batch: every sample's steps from ``derive_rng(seed, epoch, index)``'s stream,
drawn for the whole batch at once.

Per-sample planning (``pipe.plan(rng=...)`` per sample) spends its time building one numpy Generator per
sample and calling each transform's ``sample_params`` with Python scalars. Here the batch's streams are
``core.batch_rng.BatchPCG64`` (numpy's SeedSequence + PCG64, on arrays); leaf by leaf, the ``p`` draw is
one ``random()`` over the streams (those with ``p < 1``), and the streams that applied the leaf draw its
parameters with ``Transform.sample_batch`` (the same doubles, in the same order, with the same formulas
as ``sample_params``). Each stream therefore consumes exactly its own sequence, and every sample's
parameters equal the per-sample planner's (tested against it). Steps are then appended by the planner
itself (``plan_leaf`` replaying the drawn parameters), so geometry and canvas bookkeeping are shared.

``plan_batch`` returns None when a pipeline needs the per-sample path: a container (OneOf, SomeOf,
Sequential, a Compose with ``p < 1``), a transform whose ``sample_params`` is not vectorised, one that
reads targets or other samples, or point targets in the call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.batch_rng import BatchPCG64
from ..core.compose import Compose, Container
from ..core.plan import Plan
from ..core.planner import plan_leaf
from ..core.sample import Annotations, Sample
from ..core.transform import Transform


def samples_batched(t: Any) -> bool:
    """Can leaf ``t`` be planned for a batch at once? It draws nothing (the base ``sample_params``) or
    declares ``batch_samples``, and reads neither targets nor other samples."""
    if isinstance(t, Container) or not isinstance(t, Transform):
        return False
    if t.reads_targets or t.multi_sample or t.selects_items:
        return False
    cls = type(t)
    if cls.sample_params is Transform.sample_params:
        return True
    # the vectorised sampler must be the drawing one's own (or a subclass's): a subclass overriding
    # sample_params without sample_batch keeps the per-sample path
    return bool(t.batch_samples) and issubclass(_definer(cls, "sample_batch"), _definer(cls, "sample_params"))


def _definer(cls: type, name: str) -> type:
    """The class in ``cls``'s MRO that defines ``name``."""
    return next(c for c in cls.__mro__ if name in c.__dict__)


def batch_plannable(pipe: Compose) -> bool:
    """Is every top-level transform of ``pipe`` a leaf that ``samples_batched`` (and ``pipe.p == 1``)?"""
    return pipe.p >= 1.0 and all(samples_batched(t) for t in pipe.transforms)


def rows_of(columns: dict[str, list], n: int) -> list[dict[str, Any]]:
    """Per-row parameter dicts from ``sample_batch``'s columns."""
    if not columns:
        return [{} for _ in range(n)]
    keys = list(columns)
    return [dict(zip(keys, values)) for values in zip(*columns.values())]


def plan_batch(pipe: Compose, bits: BatchPCG64, template: Sample, meta: dict[str, Any]) -> list[Plan] | None:
    """Every stream's ``Plan`` on a copy of ``template`` (a sample read from the call, without point
    targets; ``meta`` its write-back notes), or None when ``pipe`` needs per-sample planning."""
    if not batch_plannable(pipe) or len(template.annotations):
        return None
    n = len(bits)
    samples = [Sample(template.arrays, template.kinds, Annotations(), template.shape, template.dtype, template.channels, template.rules) for _ in range(n)]
    steps: list[list[Any]] = [[] for _ in range(n)]
    every = np.arange(n)
    for t in pipe.transforms:
        rows = every
        if t.p < 1.0:  # plan_leaf: ``rng.random() >= t.p`` skips the leaf
            rows = every[bits.random() < t.p]
        if not rows.size:
            continue
        # parameters are drawn on each sample's canvas: group the streams by canvas (usually one group)
        groups: dict[tuple, list[int]] = {}
        for b in rows.tolist():
            s = samples[b]
            groups.setdefault((s.shape, s.dtype, s.channels), []).append(b)
        for members in groups.values():
            first = samples[members[0]]
            t.check_input(first)
            picked = np.asarray(members)
            params = rows_of(t.sample_batch(bits, picked, first), len(members)) if t.batch_samples else [{} for _ in members]
            for b, p in zip(members, params):
                plan_leaf(t, None, samples[b], steps[b], params=p)
    return [Plan(steps[b], samples[b], meta, pipe.fuse) for b in range(n)]

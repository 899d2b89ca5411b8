"""Planning one leaf: sample its parameters (unless replaying recorded ones), state its geometry, move
boxes and keypoints, update the canvas, and append a typed ``Step`` to the plan.

Execution is elsewhere: ``core.plan.analyse`` groups steps into runs (fusion analysis, pure) and an
executor (``core.executor``) runs them. Boxes and keypoints are moved here, step by step, so fusion
never changes them.
"""

from __future__ import annotations

import numpy as np

from .plan import Step
from .sample import Sample
from .transform import Params, Transform


def plan_leaf(
    t: Transform,
    rng: np.random.Generator | None,
    sample: Sample,
    plan: list,
    force: bool = False,
    params: Params | None = None,
) -> None:
    """Sample (unless replaying ``params``), move annotations, update the canvas, append to ``plan``."""
    if params is None:
        if not force and t.p < 1.0 and rng.random() >= t.p:  # type: ignore[union-attr]
            return
        t.check_input(sample)
        params = t.sample_params(rng, sample)  # type: ignore[arg-type]
    in_shape = sample.shape
    ann = sample.annotations
    if t.multi_sample:  # combines other samples' pixels now: see Transform.plan_sample
        t.plan_sample(sample, params, plan)
        plan.append(Step(t, params, in_shape))
        return
    if t.spatial:
        geometry = t.plan_geometry(params, in_shape)  # type: ignore[attr-defined]
        annotated = ann.targets  # point targets present (each skips its own work when it holds no item)
        if annotated:  # nothing to move otherwise
            ann.geometry_changed()
            ann.move(geometry, t.box_mode)  # type: ignore[attr-defined]
        sample.shape = geometry.out_shape
        if _changes_format(type(t)):
            sample.channels = t.output_channels(params, sample.channels)
            sample.dtype = t.output_dtype(sample.dtype)
        if annotated:
            filter_annotations(sample)
        plan.append(Step(t, params, in_shape, geometry))
        return
    if _plans_something(type(t)):  # most pixel transforms keep annotations, shape, channels and dtype
        t.apply_annotations(ann, params, in_shape)
        sample.shape = t.output_shape(params, in_shape)
        sample.channels = t.output_channels(params, sample.channels)
        sample.dtype = t.output_dtype(sample.dtype)
    if t.occludes:  # occluders (CoarseDropout) lower box visibility
        filter_annotations(sample)
    plan.append(Step(t, params, in_shape))


_FORMAT_CHANGERS: dict[type, bool] = {}


def _changes_format(cls: type) -> bool:
    """Does this class override ``output_channels`` or ``output_dtype`` (cached per class)?"""
    found = _FORMAT_CHANGERS.get(cls)
    if found is None:
        found = cls.output_channels is not Transform.output_channels or cls.output_dtype is not Transform.output_dtype
        _FORMAT_CHANGERS[cls] = found
    return found


_PLAN_HOOKS = ("apply_annotations", "output_shape", "output_channels", "output_dtype")
_PLANS_SOMETHING: dict[type, bool] = {}


def _plans_something(cls: type) -> bool:
    """Does this class override any planning hook (annotations, shape, channels, dtype)? Cached per class;
    when none is overridden the base methods change nothing, so planning skips calling them."""
    found = _PLANS_SOMETHING.get(cls)
    if found is None:
        found = any(getattr(cls, name) is not getattr(Transform, name) for name in _PLAN_HOOKS)
        _PLANS_SOMETHING[cls] = found
    return found


def filter_annotations(sample: Sample) -> None:
    """Apply the pipeline's box and keypoint rules on the current canvas (``Annotations.filter``):
    clip boxes and drop degenerate or failing ones, mark keypoints that left the canvas invisible
    for good (dropped under ``remove_invisible_keypoints``). Input goes through the same rules."""
    sample.annotations.filter(sample.shape, sample.rules)

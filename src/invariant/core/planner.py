"""Planning one leaf: sample its parameters (unless replaying recorded ones), state its geometry, move
boxes and keypoints, update the canvas, and append a typed ``Step`` to the plan.

Execution is elsewhere: ``core.plan.analyse`` groups steps into runs (fusion analysis, pure) and an
executor (``core.executor``) runs them. Boxes and keypoints are moved here, step by step, so fusion
never changes them.
"""

from __future__ import annotations

import numpy as np

from .errors import value_error
from .plan import Step
from .sample import ARRAY_KIND_TABLE, Annotations, Sample, as_stack
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
        reads = t.reads_targets
        params = t.sample_params(rng, SampleView(sample, plan, reads) if reads else sample)  # type: ignore[arg-type]
    in_shape = sample.shape
    ann = sample.annotations
    if t.selects_items:
        select_items(t, params, sample)
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
        changes = _FORMAT_CHANGERS.get(type(t))  # (``_changes_format``'s cache read first: one call less per step)
        if changes if changes is not None else _changes_format(type(t)):
            sample.channels = t.output_channels(params, sample.channels)
            sample.dtype = t.output_dtype(sample.dtype)
        if annotated:
            filter_annotations(sample)
        plan.append(Step(t, params, in_shape, geometry))
        return
    hooks = _PLAN_HOOKS_OF.get(type(t))
    if hooks is None:
        hooks = _plan_hooks_of(type(t))
    if hooks:  # most pixel transforms keep annotations, shape, channels and dtype: the base hooks change nothing
        annotations, shape, channels, dtype = hooks  # (only the overridden ones are called)
        if annotations:
            t.apply_annotations(ann, params, in_shape)
        if shape:
            sample.shape = t.output_shape(params, in_shape)
        if channels:
            sample.channels = t.output_channels(params, sample.channels)
        if dtype:
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
_PLAN_HOOKS_OF: dict[type, tuple[bool, ...]] = {}


def _plan_hooks_of(cls: type) -> tuple[bool, ...]:
    """Which planning hooks (``_PLAN_HOOKS``, in order) this class overrides, or () when none (cached per
    class): the base methods return what they are given, so planning calls only the overridden ones."""
    found = _PLAN_HOOKS_OF.get(cls)
    if found is None:
        flags = tuple(getattr(cls, name) is not getattr(Transform, name) for name in _PLAN_HOOKS)
        found = _PLAN_HOOKS_OF[cls] = flags if any(flags) else ()
    return found


WINDOWED, PIXEL = 1, 2  # ``alone_kind``'s answers (0: neither)
_ALONE: dict[type, int] = {}


def alone_kind(t: Transform) -> int:
    """How a pipeline whose only transform is ``t`` may run an image-only call in one go (per class):
    ``WINDOWED``: a spatial step the executor resamples from its geometry (it overrides no ``apply_*``);
    keeping channels and dtype; ``PIXEL``: a pixel step that neither moves annotations nor changes the
    canvas (``apply_annotations``, ``output_shape``) and occludes nothing. Either way it reads only the
    canvas (no ``reads_targets``, no other samples, no item selection), so for such a call ``plan_leaf``
    only samples it (and states its geometry), and the executor runs its one step on the one image; the
    canvas bookkeeping left out is read by no later step. 0: anything else (the general path)."""
    cls = type(t)
    found = _ALONE.get(cls)
    if found is None:
        from .transform import executes_generically

        plain = not (cls.multi_sample or cls.selects_items or cls.reads_targets or cls.occludes)
        if not plain:
            found = 0
        elif cls.spatial:
            found = WINDOWED if executes_generically(t) and not _changes_format(cls) else 0
        else:  # (channels and dtype may change: the one output array says so itself)
            found = PIXEL if cls.apply_annotations is Transform.apply_annotations and cls.output_shape is Transform.output_shape else 0
        _ALONE[cls] = found
    return found


def filter_annotations(sample: Sample) -> None:
    """Apply the pipeline's box and keypoint rules on the current canvas (``Annotations.filter``):
    clip boxes and drop degenerate or failing ones, mark keypoints that left the canvas invisible
    for good (dropped under ``remove_invisible_keypoints``). Input goes through the same rules."""
    sample.annotations.filter(sample.shape, sample.rules)


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


class SampleView:
    """What ``sample_params`` receives from a transform declaring ``reads_targets``: the canvas
    (``shape``, ``dtype``, ``channels``), point targets and arrays of the declared kinds as they are at
    this step, read-only. Arrays are brought to this step by executing the steps planned so far on
    copies of those arrays only (a mask after a crop is the cropped mask)."""

    __slots__ = ("shape", "dtype", "channels", "annotations", "rules", "_sample", "_steps", "_kinds", "_arrays")

    def __init__(self, sample: Sample, steps: list[Step], kinds: tuple[str, ...]) -> None:
        self.shape, self.dtype, self.channels = sample.shape, sample.dtype, sample.channels
        self.annotations, self.rules = sample.annotations, sample.rules
        self._sample, self._steps, self._kinds, self._arrays = sample, list(steps), kinds, None

    @property
    def boxes(self) -> np.ndarray:
        """The boxes (absolute xyxy on the current canvas), read-only."""
        return _read_only(self.annotations.boxes)

    @property
    def keypoints(self) -> np.ndarray:
        """The keypoints (x, y, ... on the current canvas), read-only."""
        return _read_only(self.annotations.keypoints)

    def arrays(self, kind: str) -> dict[str, np.ndarray]:
        """Name -> HWC array of every target of ``kind`` (a kind the transform declared), as at this step."""
        if kind not in self._kinds or kind not in ARRAY_KIND_TABLE:
            value_error("kind", f"an array kind declared in reads_targets {self._kinds}", kind, "declare it: reads_targets = (..., kind)")
        if self._arrays is None:
            self._arrays = {}
        if kind not in self._arrays:
            s = self._sample
            picked = {n: a for n, a in s.arrays.items() if s.kinds[n] == kind}
            if picked and self._steps:
                from .executor import NumpyExecutor

                sub = Sample(dict(picked), {n: kind for n in picked}, Annotations(), self._steps[0].in_shape, s.dtype, s.channels, s.rules)
                NumpyExecutor().execute(self._steps, sub, getattr(s.rules, "fuse", True))
                picked = sub.arrays
            self._arrays[kind] = {n: _read_only(as_stack(a)) for n, a in picked.items()}
        return self._arrays[kind]


def select_items(t: Transform, params: Params, sample: Sample) -> None:
    """Keep the point-target items ``t.kept_items(params)`` names (their labels and indices go with them)."""
    for keyword, keep in t.kept_items(params).items():
        target = sample.annotations.targets.get(keyword)
        if target is None:
            continue
        keep = np.asarray(keep, dtype=bool)
        if keep.shape != (len(target),):
            value_error(f"{type(t).__name__} params", f"one flag per {keyword} item ({len(target)})", keep.shape, "replay parameters on inputs with the same annotations")
        target.keep(keep)

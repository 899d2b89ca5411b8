"""``iv.check(pipeline, task)``: compare what every transform declares it changes (``effects()``)
with what the task's labels depend on (``Task``), and report each violation with a concrete fix.

Nothing passes silently: a missing task checks nothing and the report says so; properties the task
leaves undeclared are listed as unchecked; a transform whose ``effects()`` is None (a ``Lambda``)
is reported as having undeclared effects. Scheduled arguments (curricula) are checked over the whole
schedule, not just at the current progress.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from ..core import hooks
from ..core.compose import Compose, Container
from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.schedule import Schedule
from ..core.transform import Transform
from .task import Task, as_task

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
ON_VIOLATION = ("error", "warn")


class DomainWarning(UserWarning):
    """A pipeline breaks its declared task (``Compose(..., task=..., on_violation="warn")``)."""


@dataclass(frozen=True)
class Violation:
    """One transform breaking one declared property, with the action that fixes it."""

    transform: str  # repr of the offending transform
    path: str  # where it sits, e.g. "transforms[2].transforms[0]"
    property: str  # laterality, orientation, cardinal_direction, color_semantics, metric_values, modality, undeclared effects
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path} {self.transform} [{self.property}]: {self.problem}. Fix: {self.fix}"


@dataclass
class Report:
    """The outcome of a check. ``ok`` is True only when a task was declared and nothing broke it."""

    task: Task | None
    violations: list[Violation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def checked(self) -> bool:
        return self.task is not None

    @property
    def ok(self) -> bool:
        return self.checked and not self.violations

    def __bool__(self) -> bool:
        return self.ok

    def properties(self) -> set[str]:
        return {v.property for v in self.violations}

    def __str__(self) -> str:
        if not self.checked:
            head = "NOT CHECKED: no task declared"
        else:
            status = "OK" if self.ok else f"{len(self.violations)} violation(s)"
            head = f"task {self.task.name!r} ({self.task.modality}): {status}"  # type: ignore[union-attr]
        lines = [head] + [f"  - {v}" for v in self.violations] + [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# Walking the pipeline and reading effects
# ---------------------------------------------------------------------------------------------------------------


def leaves_with_paths(pipeline: Any) -> Iterator[tuple[str, Transform]]:
    """Every non-container transform with its path in the tree."""
    if isinstance(pipeline, Container):
        for i, child in enumerate(pipeline.transforms):
            for path, leaf in leaves_with_paths(child):
                yield (f"transforms[{i}]" + (f".{path}" if path else "")), leaf
    else:
        yield "", pipeline


def _scheduled_instances(t: Transform) -> list[Transform]:
    """``t`` re-built at progress 0, 0.1, ..., 1 when it holds schedules (checks a curriculum end to end)."""
    args = t.init_args()
    if not any(isinstance(v, Schedule) for v in args.values()):
        return [t]
    out = []
    for p in np.linspace(0.0, 1.0, 11):
        resolved = {k: (v(float(p)) if isinstance(v, Schedule) else v) for k, v in args.items()}
        out.append(type(t)(**resolved))
    return out


def effects_of(t: Transform) -> Effects | None:
    """What ``t`` can change: its own ``effects()``; the union over children for containers (OneOf and
    SomeOf included: any child may run); the union over the schedule for scheduled arguments.
    None when any part is undeclared."""
    if isinstance(t, Container):
        total = Effects()
        for child in t.transforms:
            e = effects_of(child)
            if e is None:
                return None
            total = total.union(e)
        return total
    total = None
    for inst in _scheduled_instances(t):
        e = inst.effects()
        if e is None:
            return None
        if not isinstance(e, Effects):
            type_error(f"{type(t).__name__}.effects()", "an iv Effects or None", e, "return core.effects.Effects(...)")
        total = e if total is None else total.union(e)
    return total


# ---------------------------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------------------------


def _is_gray(t: Transform, e: Effects) -> bool:
    return e.grayscale


def _stats(t: Transform) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    mean, std = getattr(t, "mean", None), getattr(t, "std", None)
    try:
        return tuple(float(v) for v in np.atleast_1d(mean)), tuple(float(v) for v in np.atleast_1d(std))
    except (TypeError, ValueError):
        return None


def _imagenet_stats(t: Transform) -> bool:
    stats = _stats(t)
    if stats is None:
        return False
    mean, std = stats
    k = min(len(mean), len(std), 3)
    return bool(np.allclose(mean[:k], IMAGENET_MEAN[:k], atol=2e-3) and np.allclose(std[:k], IMAGENET_STD[:k], atol=2e-3))


_FILL_KEYS = ("fill", "fill_value", "value")  # RandomErasing names its fill ``value``


def _fill_argument(t: Transform) -> str:
    """The name of ``t``'s own fill argument, so a fix names an argument ``t`` actually takes."""
    args = t.init_args()
    return next((key for key in _FILL_KEYS if key in args), "fill")


def _fill_is_hole(t: Transform) -> bool:
    args = t.init_args()
    for key in _FILL_KEYS:
        if key in args:
            v = args[key]
            return isinstance(v, (int, float)) and not isinstance(v, bool) and (v == 0 or v != v)
    return False


def _fmt_arg(value: Any) -> str:
    if isinstance(value, tuple):
        return f"({', '.join(_fmt_arg(v) for v in value)})"
    return f"{value:g}" if isinstance(value, float) else repr(value)


def _rotation_fix(t: Transform, bound: float) -> str:
    """A fix naming ``t``'s own rotation argument (``limit`` for Rotate, ``rotate`` for Affine,
    ``rotate_limit`` for ShiftScaleRotate, ...), found by trying each numeric argument at the bound and
    keeping the first whose rebuilt transform declares a rotation within it, so the fix is known to work."""
    args = t.init_args()
    for key, value in args.items():
        if key == "p" or isinstance(value, (bool, str, Transform, Schedule)) or value is None:
            continue
        numeric = isinstance(value, (int, float)) or isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        if not numeric:
            continue
        for candidate in (float(bound), (-float(bound), float(bound))):
            try:
                e = type(t)(**{**args, key: candidate}).effects()
            except (TypeError, ValueError):
                continue
            if isinstance(e, Effects) and e.max_rotation <= bound + 1e-9:
                return f"bound the angle to <= {bound:g} degrees (e.g. {key}={_fmt_arg(candidate)})"
    return f"drop it, or replace it with a rotation bounded to <= {bound:g} degrees (e.g. iv.Rotate(limit={bound:g}))"


def _depth_targets(pipeline: Any) -> bool:
    return isinstance(pipeline, Compose) and "depth" in pipeline.additional_targets.values()


def _rules(t: Transform, e: Effects, task: Task, pipeline: Any) -> Iterator[tuple[str, str, str]]:
    """Yield (property, problem, fix) for every declared property ``t`` breaks."""
    name = type(t).__name__
    mirrors = e.mirrors_horizontal or e.mirrors_vertical
    if task.laterality and mirrors:
        how = "mirrors left and right" if e.mirrors_horizontal else "mirrors top and bottom, which also swaps handedness (a horizontal mirror plus a half turn)"
        yield "laterality", f"{how}; left/right carries the label", "drop it (no flips for this task)"
    if task.lateral_keypoints and mirrors and getattr(pipeline, "keypoint_swap", None) is None:
        yield "lateral_keypoints", "mirrors the image, so a left keypoint lands where a right one belongs, and the pipeline declares no pairs to swap", "declare them: Compose(..., keypoint_swap=iv.COCO_PERSON) or keypoint_swap=[(left, right), ...]"
    if task.orientation and e.mirrors_vertical:
        yield "orientation", "turns the image upside down; up/down carries the label", "drop it"
    if task.cardinal_direction and mirrors:
        yield "cardinal_direction", "mirrors the image, swapping compass directions", "drop it (north must stay up)"
    bound = task.rotation_bound()
    if bound is not None and e.max_rotation > bound + 1e-9:
        prop = "orientation" if task.orientation else "cardinal_direction" if task.cardinal_direction else "max_rotation"
        if bound == 0:
            fix = "drop it (the task allows no rotation)"
        elif e.max_rotation >= 90 and t.quarter_turns:
            fix = f"drop it ({name} turns by multiples of 90 degrees); use a rotation bounded to <= {bound:g} degrees instead"
        else:
            fix = _rotation_fix(t, bound)
        yield prop, f"rotates by up to {e.max_rotation:g} degrees; the task allows {bound:g}", fix
    if task.color_semantics and (e.alters_color or _is_gray(t, e)):
        yield "color_semantics", "changes hue/saturation or removes colour; colour carries the label", "drop it (brightness/contrast jitter keeps hue)"

    metric = task.metric and task.modality != "rgbd"
    if metric:
        what = "depth values are metric distances" if task.modality == "depth" else "pixel values are measurements"
        if e.alters_intensity or e.alters_color:
            yield "metric_values", f"changes pixel values photometrically; {what} (a +20% brightness turns 2 m into 2.4 m)", "drop it; use geometric transforms, mild sensor noise (iv.DepthNoise) and hole masking (iv.DepthHoles) only"
        if e.blurs:
            yield "metric_values", f"averages neighbouring values across edges, inventing values between surfaces; {what}", "drop it"
        if e.mixes_images:
            yield "metric_values", f"blends values of different images; {what}", "drop it"
        if e.adds_noise and not t.applies_to_depth:
            yield "metric_values", "adds noise that is not declared valid for metric data (it would also turn 0/NaN holes into fake values)", "use iv.DepthNoise (mild, relative to the value, keeps holes)"
        if e.occludes and not t.applies_to_depth and not _fill_is_hole(t):
            yield "metric_values", "erases regions with a value that is not a missing-return hole", f"use iv.DepthHoles (fills 0/NaN like a missing return) or {_fill_argument(t)}=0"
        interp = t.init_args().get("interpolation")
        if task.modality == "depth" and e.geometric and interp not in (None, "nearest") and not _depth_targets(pipeline):
            yield "metric_values", f"resamples with {interp!r} interpolation, inventing depths between surfaces and around holes", "pass interpolation='nearest', or pass the map as a depth target: Compose(..., additional_targets={'depth': 'depth'}) resamples it with nearest"

    if task.modality in ("grayscale", "multispectral", "depth") and e.normalizes and _imagenet_stats(t):
        fix = "normalise by sensor range with iv.DepthNormalize(max_depth=...)" if task.modality == "depth" else "use dataset statistics: Normalize(mean=..., std=...) from iv.compute_stats(training_images), one value per band"
        yield "modality", f"uses ImageNet statistics, which describe natural RGB photographs, on {task.modality} data", fix
    if task.modality == "grayscale":
        if _is_gray(t, e):
            yield "modality", "converts to grayscale, but the image is already grayscale", "drop it"
        elif e.alters_color:
            yield "modality", "hue/saturation/channel mixing have no meaning on a single channel", "drop it; keep brightness/contrast only (RandomBrightnessContrast, or ColorJitter with saturation=0, hue=0)"
    if task.modality == "multispectral":
        visible = task.visible_channels
        touched = e.channels if e.channels is not None else tuple(range(len(task.bands or ())))
        invisible = [task.bands[c] for c in touched if c < len(task.bands) and c not in visible]  # type: ignore[index]
        if (e.alters_color or e.alters_intensity or _is_gray(t, e)) and (invisible or e.channels is None):
            kind = "hue/saturation/gray mixing" if e.alters_color or _is_gray(t, e) else "brightness/contrast jitter"
            inner = getattr(t, "channels_selected", None) is not None  # already an OnChannels: change its channels
            wrap = f"channels={visible} in this OnChannels" if inner else f"iv.OnChannels({name}(...), channels={visible})"
            fix = f"restrict it to the visible bands via {wrap}" if visible else "drop it (no visible bands)"
            yield "modality", f"applies {kind}, designed for visible light, to non-visible band(s) {', '.join(invisible) or 'all'}", fix
        stats = _stats(t) if e.normalizes else None
        if stats is not None and len(task.bands or ()) > 1 and (len(stats[0]) == 1 or len(stats[1]) == 1):
            yield "modality", "normalises every band with the same statistics; bands are different physical quantities", "use per-band statistics: Normalize(mean=(...one per band...), std=(...)) from iv.compute_stats"
    if task.modality == "depth" and e.normalizes and not t.applies_to_depth and not _imagenet_stats(t):
        stats = _stats(t)
        if stats is not None and any(m != 0 for m in stats[0]):
            yield "metric_values", "subtracts a mean, moving 0 holes to a value the model reads as a depth", "normalise by sensor range with iv.DepthNormalize(max_depth=...), which keeps holes at 0"


def check(pipeline: Any, task: Task | dict | None) -> Report:
    """Check every transform of ``pipeline`` (a Compose, a container, one transform, or a list) against
    ``task``. Returns a :class:`Report`; ``report.ok`` is False when any transform breaks the task,
    and also when no task was declared (nothing was checked)."""
    if isinstance(pipeline, (list, tuple)):
        pipeline = Compose(list(pipeline))
    if not isinstance(pipeline, Transform):
        type_error("pipeline", "an iv.Compose, container or transform", pipeline, "pass the pipeline you train with")
    task = as_task(task)
    if task is None:
        return Report(None, [], ["no task declared, so nothing was checked; declare one, e.g. iv.Task(modality='grayscale', laterality=True)"])
    report = Report(task)
    for path, leaf in leaves_with_paths(pipeline):
        where = path or "pipeline"
        e = effects_of(leaf)
        if e is None:
            report.violations.append(
                Violation(repr(leaf), where, "undeclared effects", "declares no effects(), so nothing about it can be checked",
                          "replace it with a library transform, or subclass iv.Transform and declare effects()")
            )
            continue
        for prop, problem, fix in _rules(leaf, e, task, pipeline):
            report.violations.append(Violation(repr(leaf), where, prop, problem, fix))
    if task.modality == "rgbd" and isinstance(pipeline, Compose) and not _depth_targets(pipeline):
        report.violations.append(
            Violation("Compose", "pipeline", "metric_values", "has no target of kind 'depth', so the depth map would get photometric jitter and linear interpolation",
                      "build it with Compose(..., additional_targets={'depth': 'depth'}) and call pipe(image=rgb, depth=depth)")
        )
    undeclared = task.undeclared()
    if undeclared:
        report.notes.append(f"not declared, so not checked: {', '.join(undeclared)}")
    if task.modality == "video":
        report.notes.append("temporal consistency is a property of how the pipeline is called: use iv.presets.augment_clip (one draw per clip)")
    return report


def enforce(pipeline: Any, task: Any, on_violation: str = "error") -> Task:
    """Used by ``Compose(..., task=...)``: check at construction and raise or warn."""
    if on_violation not in ON_VIOLATION:
        value_error("on_violation", f"one of {ON_VIOLATION}", on_violation, "pass on_violation='error' (refuse) or 'warn'")
    checked = as_task(task)
    if checked is None:
        type_error("task", "an iv.Task", task, "declare the task with iv.Task(...)")
    report = check(pipeline, checked)
    if report.violations:
        text = f"pipeline breaks its declared task.\n{report}"
        if on_violation == "error":
            raise ValueError(f"task: {text}\nFix: apply the fixes above, or pass on_violation='warn' to build it anyway")
        warnings.warn(text, DomainWarning, stacklevel=4)
    return checked


hooks.register("task_check", enforce)  # Compose(task=...) reaches the check through this declared hook

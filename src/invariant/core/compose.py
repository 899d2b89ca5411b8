"""Containers and the pipeline engine.

A call runs in two phases. *Planning* (``Compose.plan``) walks the container tree with the pipeline's
generator: each applied leaf samples its parameters, states its geometry, moves boxes and keypoints
(cheap), and updates the canvas shape, giving a typed ``Plan`` (``core.plan``). *Execution*
(``Compose.execute``) hands the plan to an executor (``core.executor``), which runs the fusion
analysis' runs on the arrays. Replay plans from recorded parameters instead of sampling.
"""

from __future__ import annotations

from typing import Any, Iterator, Sequence

import numpy as np

from ..ops import geometric as geo
from ..targets import bboxes as bbox_mod
from ..targets import keypoints as kp_mod
from ..targets.base import registered_targets
from ..targets.oriented_bboxes import check_obb_format
from ..targets.shape_boxes import boxes_from_shapes, check_bbox_from, check_shape_sources
from . import hooks
from .errors import refuse_positional, type_error, value_error
from .executor import Executor, get_executor
from .call import image_meta, image_sample, read_sample, write_image, write_sample
from .plan import Plan, Step
from .planner import _ALONE, PIXEL, alone_kind, plan_leaf
from .sample import ARRAY_KINDS, Annotations, Sample
from .sources import check_multi_sample_settings, check_order
from .transform import Params, Transform, check_choice, check_number, check_probability

PlanEntry = Step
_NUMPY = get_executor("numpy")
LAYOUTS = ("auto", "HWC")


def _refuse_rng(rng: Any) -> None:
    """A call's ``rng`` must be a numpy Generator; say how to get one from what was passed."""
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        fix = f"pass rng=np.random.default_rng({int(rng)}) (one generator for many calls), or seed the pipeline once with Compose(..., seed={int(rng)})"
    else:
        fix = "pass rng=np.random.default_rng(seed), or leave rng out to use the pipeline's own generator"
    type_error("rng", "a numpy.random.Generator or None", rng, fix)


def _field_names(value: Any, argument: str) -> tuple[str, ...]:
    """Keyword names of per-item label fields: a list or tuple of identifiers (a bare string would be read as
    its characters)."""
    names = None if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__") else tuple(value)
    if names is None or not all(isinstance(v, str) and v.isidentifier() for v in names):
        type_error(argument, "a list of keyword names", value, f"pass {argument}=[{value!r}]" if isinstance(value, str) else f"pass e.g. {argument}=['labels']")
    return names


class Container(Transform):
    """Base of transforms that hold other transforms."""

    _abstract = True

    def __init__(self, transforms: Sequence[Transform], p: float = 1.0) -> None:
        super().__init__(p)
        if isinstance(transforms, (Transform, str, bytes, dict)) or not hasattr(transforms, "__iter__"):
            type_error("transforms", "a list of transforms", transforms, f"wrap it in a list: {type(self).__name__}([...])")
        transforms = list(transforms)
        for i, t in enumerate(transforms):
            if not isinstance(t, Transform):
                type_error(f"transforms[{i}]", "an invariant transform", t, "build it from iv.* classes, or wrap a function in iv.Lambda")
        for i, t in enumerate(transforms[:-1]):
            if any(leaf.terminal for leaf in _leaves_of(t)):
                value_error(f"transforms[{i}]", "ToTensor as the last transform", t, "move ToTensor to the end of the pipeline")
        self.transforms = transforms

    def leaves(self) -> Iterator[Transform]:
        for t in self.transforms:
            yield from _leaves_of(t)

    def plan_into(self, rng: np.random.Generator, sample: Sample, plan: list[PlanEntry]) -> None:
        """Sample this block (with probability ``p``) and append its applied steps to ``plan``."""
        if self.p < 1.0 and rng.random() >= self.p:
            return
        self.plan_children(rng, sample, plan)

    def plan_children(self, rng: np.random.Generator, sample: Sample, plan: list[PlanEntry]) -> None:
        for t in self.transforms:
            _plan(t, rng, sample, plan)

    def set_progress(self, progress: float) -> None:
        """Move every scheduled argument of every transform to training progress in [0, 1]."""
        for leaf in self.leaves():
            leaf.set_progress(progress)
        _apply_schedules(self, progress)

    def __len__(self) -> int:
        return len(self.transforms)

    def __getitem__(self, i: int) -> Transform:
        return self.transforms[i]

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(t) for t in self.transforms)
        return f"{type(self).__name__}([\n  {inner}\n], p={self.p})"


def _leaves_of(t: Transform) -> Iterator[Transform]:
    if isinstance(t, Container):
        yield from t.leaves()
    else:
        yield t


def _plan(t: Transform, rng: np.random.Generator, sample: Sample, plan: list[PlanEntry]) -> None:
    if isinstance(t, Container):
        t.plan_into(rng, sample, plan)
    else:
        plan_leaf(t, rng, sample, plan)


def _apply_schedules(t: Transform, progress: float) -> None:
    from .schedule import apply_schedules

    apply_schedules(t, progress)
    if isinstance(t, Container):
        for child in t.transforms:
            if not isinstance(child, Container):
                apply_schedules(child, progress)
            else:
                _apply_schedules(child, progress)


class Sequential(Container):
    """Apply every child in order (each with its own ``p``); the whole block runs with probability ``p``."""

    example_args = {"transforms": []}


class RandomApply(Container):
    """Apply the block of children with probability ``p`` (default 0.5), as torchvision's RandomApply."""

    def __init__(self, transforms: Sequence[Transform], p: float = 0.5) -> None:
        super().__init__(transforms, p)

    example_args = {"transforms": []}


class OneOf(Container):
    """Pick exactly one child, with probability proportional to the children's ``p`` (albumentations'
    semantics); the chosen child is then applied unconditionally."""

    def __init__(self, transforms: Sequence[Transform], p: float = 1.0) -> None:
        super().__init__(transforms, p)
        weights = np.array([t.p for t in self.transforms], dtype=np.float64)
        self._weights = weights / weights.sum() if weights.sum() > 0 else None

    def plan_children(self, rng: np.random.Generator, sample: Sample, plan: list[PlanEntry]) -> None:
        if not self.transforms:
            return
        ps = [t.p for t in self.transforms]
        if ps != self.__dict__.get("_weights_of"):  # children's p may move (schedules, set_progress)
            weights = np.array(ps, dtype=np.float64)
            self._weights = weights / weights.sum() if weights.sum() > 0 else None
            self.__dict__["_weights_of"] = ps
        if self._weights is None:
            return
        chosen = self.transforms[int(rng.choice(len(self.transforms), p=self._weights))]
        if isinstance(chosen, Container):
            chosen.plan_children(rng, sample, plan)
        else:
            plan_leaf(chosen, rng, sample, plan, force=True)

    example_args = {"transforms": []}


class SomeOf(Container):
    """Pick ``n`` children uniformly at random (without replacement unless ``replace``) and apply
    them in the order picked, each with its own ``p``."""

    def __init__(self, transforms: Sequence[Transform], n: int = 1, replace: bool = False, p: float = 1.0) -> None:
        super().__init__(transforms, p)
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            type_error("n", "a non-negative integer", n, f"pass how many transforms to apply, e.g. n={min(2, len(self.transforms))}")
        if not replace and n > len(self.transforms):
            value_error("n", f"at most {len(self.transforms)} (the number of transforms) when replace=False", n, "lower n or pass replace=True")
        self.n, self.replace = int(n), bool(replace)

    def plan_children(self, rng: np.random.Generator, sample: Sample, plan: list[PlanEntry]) -> None:
        if not self.transforms or self.n == 0:
            return
        for i in rng.choice(len(self.transforms), size=self.n, replace=self.replace):
            _plan(self.transforms[int(i)], rng, sample, plan)

    example_args = {"transforms": [], "n": 0}


class Compose(Container):
    """A pipeline: containers plus target configuration, a seeded generator, fusion and replay.

    Parameters
    ----------
    transforms: the transforms to apply in order.
    bbox_format: "pascal_voc", "coco", "yolo" or "normalized".
    label_fields: keyword names whose per-box values travel with the boxes (default ``("labels",)``).
    keypoint_format: "xy" or "xyas" (x, y, angle in degrees, scale).
    keypoint_label_fields: per-keypoint label keywords (default ``("keypoint_labels",)``).
    min_area, min_visibility, min_width, min_height: boxes failing these at input or after any spatial
        step are removed together with their labels, and so are degenerate boxes (a side under
        ``targets.bboxes.min_side``); ``out["bbox_indices"]`` says which input boxes survive.
    remove_invisible_keypoints: drop keypoints that are off the canvas at input or leave it (default),
        or keep them and report ``out["keypoints_visible"]``; visibility once lost is never regained.
    additional_targets: extra array keywords and their kind, e.g. ``{"depth": "depth", "image2": "image"}``.
    seed: seeds the pipeline's own generator; the same seed gives the same outputs.
    fuse: execute consecutive spatial transforms as one resampling (default True).
    task: an ``iv.Task`` declaring what the labels depend on; the pipeline is checked at construction
        (``iv.check``) and refused (``on_violation="error"``) or built with a warning (``"warn"``).
    oriented_bbox_format: "cxcywha" (centre, size, angle in degrees) or "xyxyxyxy" (4 corners) for
        ``oriented_bboxes`` (``targets/oriented_bboxes.py``); ``oriented_label_fields`` their label keywords.
    polygon_label_fields: per-instance label keywords of ``polygons`` (``targets/polygons.py``).
    bbox_from: "corners" (default: the box enclosing the moved corners), "mask" or "polygon" (the tight box of
        each box's instance mask / polygon after the spatial steps; ``targets/shape_boxes.py``).
    layout: "auto" (default) refuses 3-D arrays that look channel-first (at most 4 leading rows and a
        last axis over 4x that and over 16, e.g. (3, 512, 512)); "HWC" declares every 3-D array
        (H, W, C) as given, for genuinely short images with many bands such as a (4, 64, 200) strip.
    keypoint_swap: left/right keypoint pairs that a mirroring step (negative determinant: flips,
        transposes) exchanges: an ``iv.KeypointSchema`` (e.g. ``iv.COCO_PERSON``; keypoints are read as
        instances of its size) or pairs ``[(1, 2), ...]``. Per-keypoint COCO flags travel as
        ``keypoints_visibility`` (0/1/2; off the canvas -> 0, under an erased hole 2 -> 1).
    bind_instances: box ``i``, instance mask ``masks[i]`` and the keypoints whose ``keypoint_instances``
        label is ``i`` survive or drop together; ``out["masks"][j]`` belongs to ``out["bboxes"][j]`` and
        ``out["instance_indices"]`` lists the surviving instances (``core.sources``).

    Calling: ``pipe(image=..., mask=..., bboxes=..., rng=None, return_params=False, sources=None)``
    (``sources``: a list of keyword dicts, the extra samples multi-sample transforms such as Mosaic take); ``rng`` is a
    ``numpy.random.Generator`` used for this call instead of the pipeline's own (an int is refused:
    re-seeding every call would repeat the same augmentation; seed the pipeline with ``seed=``).
    """

    example_args = {"transforms": []}

    def __init__(
        self,
        transforms: Sequence[Transform],
        bbox_format: str = "pascal_voc",
        label_fields: Sequence[str] = ("labels",),
        keypoint_format: str = "xy",
        keypoint_label_fields: Sequence[str] = ("keypoint_labels",),
        min_area: float = 0.0,
        min_visibility: float = 0.0,
        min_width: float = 0.0,
        min_height: float = 0.0,
        remove_invisible_keypoints: bool = True,
        additional_targets: dict[str, str] | None = None,
        seed: int | None = None,
        fuse: bool = True,
        p: float = 1.0,
        task: Any = None,
        on_violation: str = "error",
        layout: str = "auto",
        keypoint_swap: Any = None,
        oriented_bbox_format: str = "cxcywha",
        oriented_label_fields: Sequence[str] = ("oriented_labels",),
        polygon_label_fields: Sequence[str] = ("polygon_labels",),
        bbox_from: str = "corners",
        bind_instances: bool = False,
    ) -> None:
        super().__init__(transforms, p)
        self.bbox_format = bbox_mod.check_format(bbox_format)
        self.keypoint_format = kp_mod.check_format(keypoint_format)
        self.label_fields = _field_names(label_fields, "label_fields")
        self.keypoint_label_fields = _field_names(keypoint_label_fields, "keypoint_label_fields")
        self.min_area = check_number(min_area, "min_area", low=0.0)
        self.min_width, self.min_height = check_number(min_width, "min_width", low=0.0), check_number(min_height, "min_height", low=0.0)
        self.min_visibility = check_probability(min_visibility, "min_visibility")
        self.remove_invisible_keypoints = bool(remove_invisible_keypoints)
        if additional_targets is not None and not isinstance(additional_targets, dict):
            type_error("additional_targets", "a dict of name -> kind", additional_targets, "pass e.g. additional_targets={'depth': 'depth', 'image2': 'image'}")
        self.additional_targets = dict(additional_targets or {})
        for name, kind in self.additional_targets.items():
            if kind not in ARRAY_KINDS:
                value_error(f"additional_targets[{name!r}]", f"one of {ARRAY_KINDS}", kind, "declare each extra array as 'image', 'mask' or 'depth'")
            if name in _RESERVED or name in registered_targets():
                value_error("additional_targets", "names other than the built-in keywords", name, "pick another name")
        self.layout = check_choice(layout, "layout", LAYOUTS)
        self.oriented_bbox_format, self.bbox_from = check_obb_format(oriented_bbox_format), check_bbox_from(bbox_from)
        self.oriented_label_fields = _field_names(oriented_label_fields, "oriented_label_fields")
        self.polygon_label_fields = _field_names(polygon_label_fields, "polygon_label_fields")
        self.bind_instances = bool(bind_instances)  # box i, masks[i], keypoints of instance i: one unit (core.sources)
        if self.bind_instances and "keypoint_instances" not in self.keypoint_label_fields:
            self.keypoint_label_fields = (*self.keypoint_label_fields, "keypoint_instances")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            type_error("seed", "a non-negative integer or None", seed, "pass e.g. seed=0, or None for a fresh random seed")
        self.seed = seed
        self.fuse = bool(fuse)
        self._rng = np.random.default_rng(seed)
        self._leaf_list = list(self.leaves())
        check_order(self._leaf_list)  # multi-sample transforms first (core.sources)
        _refuse_ignored_inner_settings(self)
        self.keypoint_swap = kp_mod.check_swap(keypoint_swap)
        if self.keypoint_swap is not None:
            self.__dict__["_init_args"]["keypoint_swap"] = self.keypoint_swap.to_dict()  # configs stay plain data
        check_multi_sample_settings(self, self._leaf_list)
        self._takes_sources = any(t.multi_sample for t in self._leaf_list)
        self.task = None
        if task is not None:  # the check lives in ``domains``, registered as the "task_check" hook
            self.task = hooks.hook("task_check")(self, task, on_violation)
            self.__dict__["_init_args"]["task"] = self.task.to_dict()  # configs stay plain data

    # -- seeding -----------------------------------------------------------------------------------------------
    def reseed(self, seed: int | None) -> None:
        """Restart the pipeline's generator from ``seed``."""
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    # -- calling -----------------------------------------------------------------------------------------------
    def __call__(self, *args: Any, rng: np.random.Generator | None = None, return_params: bool = False, **data: Any) -> dict[str, Any]:
        if args:
            refuse_positional("pipeline", args)
        # plan, then the numpy executor: ``execute(self.plan(**data))`` without building the Plan record
        # (a call's overhead is a few microseconds, so the record and the hops would show)
        sample = image_sample(self, data.get("image")) if len(data) == 1 and self.bbox_from == "corners" else None
        if sample is not None:  # the common call pipe(image=...) of an everyday image: no metadata to build
            meta = None
        else:
            sample, meta = read_sample(self, data)
            if self.bbox_from != "corners":
                check_shape_sources(self, data)
        if rng is None:
            rng = self._rng
        elif not isinstance(rng, np.random.Generator):
            _refuse_rng(rng)
        transforms = self.transforms
        if meta is None and len(transforms) == 1 and not return_params and self.p >= 1.0:
            t = transforms[0]
            kind = _ALONE.get(type(t))
            if kind is None:  # a container (OneOf, a policy, ...) plans its own leaves: never in one go
                kind = _ALONE[type(t)] = 0 if isinstance(t, Container) else alone_kind(t)
            if kind:
                return _call_alone(self, t, kind, rng, sample, data["image"].ndim)
        steps: list[Step] = []
        if self.p >= 1.0:
            for t in self.transforms:
                if isinstance(t, Container):
                    t.plan_into(rng, sample, steps)
                else:
                    plan_leaf(t, rng, sample, steps)
        else:
            self.plan_into(rng, sample, steps)
        _NUMPY.execute(steps, sample, self.fuse)
        if meta is None:
            ndim = data["image"].ndim
            out = write_image(sample, ndim)
            if out is None:  # a step changed what the sample holds (ToTensor, an added array)
                out = write_sample(self, sample, image_meta(ndim))
        else:
            if self.bbox_from != "corners":
                boxes_from_shapes(sample, self)
            out = write_sample(self, sample, meta)
        if return_params:
            out["params"] = self._record(steps)
        return out

    def plan(self, *, rng: np.random.Generator | None = None, **data: Any) -> Plan:
        """Read a call's keywords and sample it: the typed ``Plan`` of the steps to execute (boxes and
        keypoints already moved), without touching any pixel. ``pipe.execute(plan)`` runs it;
        ``pipe(**data)`` is ``pipe.execute(pipe.plan(**data))``."""
        return self._plan(rng, data)

    def _plan(self, rng: np.random.Generator | None, data: dict[str, Any]) -> Plan:
        sample, meta = read_sample(self, data)
        if self.bbox_from != "corners":
            check_shape_sources(self, data)
        steps: list[Step] = []
        if rng is None:
            rng = self._rng
        elif not isinstance(rng, np.random.Generator):
            _refuse_rng(rng)
        if self.p >= 1.0:  # the common case, without the container call chain
            for t in self.transforms:
                if isinstance(t, Container):
                    t.plan_into(rng, sample, steps)
                else:
                    plan_leaf(t, rng, sample, steps)
        else:
            self.plan_into(rng, sample, steps)
        return Plan(steps, sample, meta, self.fuse)

    def execute(self, plan: Plan, executor: str | Executor = "numpy", return_params: bool = False) -> dict[str, Any]:
        """Run ``plan`` with ``executor`` (a registered name or an ``Executor``) and return the outputs in
        the caller's keywords and formats, as a call does."""
        runner = get_executor(executor) if isinstance(executor, str) else executor
        runner.run(plan)
        if self.bbox_from != "corners":
            boxes_from_shapes(plan.sample, self)
        out = write_sample(self, plan.sample, plan.meta)
        if return_params:
            out["params"] = self._record(plan.steps)
        return out

    def replay_plan(self, params: list[dict[str, Any]], **data: Any) -> Plan:
        """The ``Plan`` of recorded parameters (``out["params"]``) on new inputs (see ``replay``)."""
        sample, meta = self._read(data)
        if self.bbox_from != "corners":
            check_shape_sources(self, data)
        plan: list[PlanEntry] = []
        for entry in params:
            try:
                leaf = self._leaf_list[int(entry["index"])]
            except (KeyError, IndexError, TypeError, ValueError):
                value_error("params", "a list recorded by this pipeline (return_params=True)", entry, "replay with the same pipeline that recorded it")
            if type(leaf).__name__ != entry.get("name"):
                value_error("params", f"an entry for {type(leaf).__name__}", entry, "replay with the same pipeline that recorded it")
            plan_leaf(leaf, None, sample, plan, params=dict(entry["params"]))
        return Plan(plan, sample, meta, self.fuse)

    def batched(self, device: Any = None, channels_last: bool = False, seed: int | None = None) -> Any:
        """This pipeline as a ``torch.nn.Module`` over ``(B, C, H, W)`` tensors (``batch/executor.py``,
        needs torch): sample ``i`` draws from ``derive_rng(seed, epoch, index)`` as on the CPU path."""
        return hooks.hook("batched_pipeline")(self, device=device, channels_last=channels_last, seed=seed)

    def replay(self, params: list[dict[str, Any]], **data: Any) -> dict[str, Any]:
        """Apply recorded parameters (``out["params"]`` of an earlier call) to new inputs of the same size:
        every frame of a clip, or an RGB image's depth map."""
        return self.execute(self.replay_plan(params, **data))

    def _record(self, steps: list[Step]) -> list[dict[str, Any]]:
        index = {id(leaf): i for i, leaf in enumerate(self._leaf_list)}
        return [{"index": index[id(s.transform)], "name": type(s.transform).__name__, "params": dict(s.params)} for s in steps]

    # -- reading and writing samples ---------------------------------------------------------------------------
    def _read(self, data: dict[str, Any]) -> tuple[Sample, dict[str, Any]]:
        return read_sample(self, data)

    def _write(self, sample: Sample, meta: dict[str, Any]) -> dict[str, Any]:
        return write_sample(self, sample, meta)


def _call_alone(pipe: Compose, t: Transform, kind: int, rng: np.random.Generator, sample: Sample, ndim: int) -> dict[str, Any]:
    """``pipe(image=...)`` when ``t`` is the pipeline's only transform and ``alone_kind(t)`` (``kind``) says
    it may run in one go: exactly what ``plan_leaf`` and the numpy executor do for that one step on that
    one image (same draws, same kernel, same output), without the plan list, the ``Step`` record and the
    dispatch, which would cost as much as a flip's or a crop's pixel work."""
    if t.p < 1.0 and rng.random() >= t.p:
        return write_image(sample, ndim) or write_sample(pipe, sample, image_meta(ndim))
    t.check_input(sample)
    params = t.sample_params(rng, sample)
    arrays = sample.arrays
    if kind == PIXEL:
        arrays["image"] = t.apply_image(arrays["image"], params)
        return write_image(sample, ndim) or write_sample(pipe, sample, image_meta(ndim))
    in_shape = sample.shape
    g = t.plan_geometry(params, in_shape)  # type: ignore[attr-defined]
    sample.shape = g.out_shape
    if _NUMPY.warp is _GEO_WARP and g.field is None:
        form = g._form
        if form is not None and (form[1] == _WINDOW or form[1] == _TWINDOW) and form[0] == in_shape:
            out = _window_copy(arrays["image"], form, g.out_shape, t.border_mode, t.fill)  # C-contiguous
            return {"image": out[:, :, 0] if ndim == 2 else out}
        # what ``NumpyExecutor.step`` runs for a matrix step on an image
        arrays["image"] = _GEO_WARP(arrays["image"], g.matrix, g.out_shape, t.interpolation, t.border_mode, t.fill, kernel=g.form)
    else:
        _NUMPY.execute([Step(t, params, in_shape, g)], sample, pipe.fuse)
    return write_image(sample, ndim) or write_sample(pipe, sample, image_meta(ndim))


_WINDOW, _TWINDOW, _GEO_WARP, _window_copy = geo.WINDOW, geo.TWINDOW, geo.warp, geo.window_copy


_TARGET_SETTINGS = (
    "bbox_format", "label_fields", "keypoint_format", "keypoint_label_fields", "min_area", "min_visibility",
    "min_width", "min_height", "remove_invisible_keypoints", "additional_targets", "seed", "layout",
    "keypoint_swap",
    "oriented_bbox_format", "oriented_label_fields", "polygon_label_fields", "bbox_from",
    "bind_instances",
)  # fmt: skip


def _refuse_ignored_inner_settings(outer: "Compose") -> None:
    """A Compose nested in another acts as a plain block: the outer pipeline reads the inputs, owns the
    generator and applies the box rules. Settings given to the inner one would be ignored, so refuse them."""
    import inspect

    defaults = {k: v.default for k, v in inspect.signature(Compose.__init__).parameters.items()}
    stack = list(outer.transforms)
    while stack:
        t = stack.pop()
        if isinstance(t, Compose):
            given = t.init_args()
            changed = [k for k in _TARGET_SETTINGS if k in given and _differs(given[k], defaults[k])]
            if changed:
                value_error(
                    "transforms (a nested Compose)",
                    "target and seeding settings only on the outermost Compose",
                    {k: given[k] for k in changed},
                    f"move {', '.join(changed)} to the outer Compose, or use iv.Sequential for the inner block",
                )
        if isinstance(t, Container):
            stack.extend(t.transforms)


def _differs(value: Any, default: Any) -> bool:
    if isinstance(value, (list, tuple)) and isinstance(default, (list, tuple)):
        return list(value) != list(default)
    return value != default and not (value in (None, {}) and default in (None, {}))


_RESERVED = {"image", "mask", "masks", "bboxes", "keypoints", "rng", "return_params", "sources"}


hooks.register("standalone_pipeline", Compose)

"""The Transform base class, the registry, and the spatial base every geometric transform uses.

A transform does two separate things: ``sample_params(rng, sample)`` draws its random parameters
once per call (plain data, so calls can be recorded and replayed), and the ``apply_*`` kernels
apply those parameters deterministically, one per target kind. Spatial transforms only describe a
3x3 matrix and an output canvas; images, masks, boxes and keypoints follow it generically.
"""

from __future__ import annotations

import contextvars
import difflib
import functools
import inspect
import math
from typing import Any, ClassVar

import numpy as np

from ..ops import geometric as geo
from . import hooks
from .effects import Effects
from .plan import Geometry
from .sample import ARRAY_KIND_TABLE, kind_fill
from .errors import image_description, refuse_positional, type_error, value_error

Params = dict[str, Any]
REGISTRY: dict[str, type["Transform"]] = {}


def library_transforms() -> dict[str, type["Transform"]]:
    """The registered transforms that ship with invariant (user-defined ones are registered too,
    for serialization, but are not part of the library's tables and contract sweep)."""
    return {name: cls for name, cls in REGISTRY.items() if cls.__module__.startswith("invariant.")}

DTYPES = ("uint8", "uint16", "float32")


def check_probability(p: Any, argument: str = "p") -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        type_error(argument, "a probability in [0, 1]", p, f"pass a number, e.g. {argument}=0.5")
    if not 0.0 <= float(p) <= 1.0:
        value_error(argument, "a probability in [0, 1]", p, f"pass a number between 0 and 1, e.g. {argument}=0.5")
    return float(p)


def check_choice(value: Any, argument: str, choices: tuple[str, ...] | list[str]) -> str:
    if value not in choices:
        value_error(argument, f"one of {tuple(choices)}", value, f"use one of {', '.join(map(repr, choices))}")
    return value


_NUMBER = (int, float, np.integer, np.floating)
# the signature defaults of the transform being constructed, so argument checks can give examples that work
_CONSTRUCTING: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("_CONSTRUCTING", default={})


def _is_number(value: Any) -> bool:
    return isinstance(value, _NUMBER) and not isinstance(value, bool)


def _fmt(value: float) -> str:
    return repr(int(value)) if isinstance(value, (int, np.integer)) or float(value).is_integer() and abs(value) < 1e15 else f"{float(value):.4g}"


def _range_example(argument: str, around: float | None, low: float | None, high: float | None) -> str | None:
    """An example for ``argument`` that works: the transform's own default as written in its signature
    (read from the constructor being run; a default is valid by construction), unless it is degenerate
    (0 or (x, x): the operation off) and bounds are declared, then the middle half of the bounds; None
    when nothing sensible is known (then no example is given rather than a wrong one)."""
    default = _CONSTRUCTING.get().get(argument)
    if _is_number(default):
        given: tuple[Any, Any] | None = (default, default) if around is None else (around - abs(default), around + abs(default))
        text = _fmt(default)
    elif isinstance(default, (tuple, list)) and len(default) == 2 and all(_is_number(v) for v in default):
        given, text = (default[0], default[1]), f"({_fmt(default[0])}, {_fmt(default[1])})"
    else:
        given, text = None, ""
    if low is not None and high is not None and (given is None or given[0] == given[1]):
        q = (high - low) / 4
        return f"{argument}=({_fmt(low + q)}, {_fmt(high - q)})"
    return f"{argument}={text}" if given is not None else None


def as_range(value: Any, argument: str, *, around: float | None = None, low: float | None = None, high: float | None = None) -> tuple[float, float]:
    """Read ``x`` or ``(lo, hi)``. A scalar means ``(around - x, around + x)``, or ``(-x, x)`` when around is 0,
    or ``(x, x)`` when ``around`` is None. Both ends must be finite, ordered and within ``[low, high]``."""
    example = _range_example(argument, around, low, high)
    eg = f", e.g. {example}" if example else ""
    if _is_number(value):
        v = float(value)
        lo_hi = (v, v) if around is None else (around - abs(v), around + abs(v))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_number(v) for v in value):
        lo_hi = (float(value[0]), float(value[1]))
    else:
        type_error(argument, "a number or a (min, max) pair of numbers", value, f"pass a number or a (min, max) pair{eg}")
    if not (math.isfinite(lo_hi[0]) and math.isfinite(lo_hi[1])):
        value_error(argument, "finite numbers (no NaN or infinity)", value, f"pass finite values{eg}")
    if lo_hi[0] > lo_hi[1]:
        value_error(argument, "min <= max", value, f"swap the two values: {argument}=({_fmt(lo_hi[1])}, {_fmt(lo_hi[0])})")
    if low is not None and lo_hi[0] < low or high is not None and lo_hi[1] > high:
        value_error(argument, f"values within [{low}, {high}]", value, f"narrow the range{eg}")
    return lo_hi


def check_number(value: Any, argument: str, *, low: float | None = None, high: float | None = None, integer: bool = False) -> Any:
    """A finite number (an int when ``integer``) within ``[low, high]``; the fix shows the transform's default."""
    default = _CONSTRUCTING.get().get(argument)
    eg = f", e.g. {argument}={default!r}" if _is_number(default) else ""
    kinds = (int, np.integer) if integer else _NUMBER
    what = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, kinds):
        type_error(argument, what, value, f"pass {what}{eg}")
    if not math.isfinite(value):
        value_error(argument, f"{what} (finite)", value, f"pass a finite value{eg}")
    if low is not None and value < low or high is not None and value > high:
        span = f">= {low}" if high is None else f"<= {high}" if low is None else f"in [{low}, {high}]"
        value_error(argument, f"{what} {span}", value, f"pass a value {span}{eg}")
    return int(value) if integer else float(value)


def check_finite(value: Any, argument: str, allow_infinite: bool = False) -> None:
    """Refuse NaN anywhere in an argument (numbers, tuples, lists, dicts, float arrays, schedules' endpoints),
    and +-inf unless ``allow_infinite``. Run on every bound constructor argument of every transform, so no
    NaN reaches a kernel (a NaN brightness turns every pixel NaN; a NaN angle, an all-fill image)."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, Transform)):
        return
    if isinstance(value, (float, np.floating)):
        if math.isnan(value) or math.isinf(value) and not allow_infinite:
            what = "a number, not NaN" if allow_infinite else "a finite number (no NaN or infinity)"
            root = argument.split("[")[0].split(".")[0]
            default = _CONSTRUCTING.get().get(root)
            eg = f", e.g. {root}={default!r}" if _is_number(default) or isinstance(default, tuple) and all(_is_number(v) for v in default) else ""
            value_error(argument, what, value, f"pass a finite value{eg}")
    elif isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            check_finite(v, f"{argument}[{i}]", allow_infinite)
    elif isinstance(value, dict):
        for k, v in value.items():
            check_finite(v, f"{argument}[{k!r}]", allow_infinite)
    elif isinstance(value, np.ndarray) and value.dtype.kind in "fc":
        bad = np.isnan(value) if allow_infinite else ~np.isfinite(value)
        if bad.any():
            value_error(argument, "finite numbers (no NaN or infinity)", value, "replace the NaN/inf entries")
    else:
        from .schedule import Schedule

        if isinstance(value, Schedule):
            try:
                spec = value.to_dict()
            except TypeError:  # an unserializable user schedule: nothing to read
                return
            for k, v in spec.items():
                if k not in ("schedule", "name"):
                    check_finite(v, f"{argument}.{k}", allow_infinite)


_DTYPES_OK: dict[type, frozenset] = {}  # class -> its ``dtypes`` as numpy dtypes (``Transform.check_input``)


class Transform:
    """Base of every transform. Subclasses are registered by class name for serialization.

    Declarations read by the engine, the contract tests and the domain checker:
    ``dtypes`` (supported image dtypes), ``channels`` (None = any count, else allowed counts),
    ``targets`` (array kinds besides images that the transform changes).
    """

    dtypes: ClassVar[tuple[str, ...]] = DTYPES
    channels: ClassVar[tuple[int, ...] | None] = None
    spatial: ClassVar[bool] = False
    applies_to_depth: ClassVar[bool] = False
    terminal: ClassVar[bool] = False  # must be last (ToTensor)
    # capabilities the engine and the tools read (declared here, so nothing is looked up by name or getattr):
    occludes: ClassVar[bool] = False  # erases regions: boxes are re-filtered by visibility after it (CoarseDropout)
    fusable: ClassVar[bool] = True  # a spatial step that may join a fused resampling run
    lut_fusable: ClassVar[bool] = False  # pointwise on uint8: may join a lookup-table run (``lookup_table``)
    lut_ends_run: ClassVar[bool] = False  # its table leaves uint8 (Normalize): it may end a table run, never start one
    quarter_turns: ClassVar[bool] = False  # rotates only by multiples of 90 degrees (RandomRotate90)
    # reads other samples (``sources=``) and composes the arrays while planning (Mosaic, CopyPaste): see
    # ``plan_sample``; ``sources_needed`` is how many it takes per call
    multi_sample: ClassVar[bool] = False
    # (count, magnitude) argument names of a RandAugment-style policy, read by the tuner; None otherwise
    policy_knobs: ClassVar[tuple[str, str] | None] = None
    # what ``sample_params`` reads besides the canvas, as it is at this step: point-target keywords
    # ("bboxes", "keypoints") and array kinds ("mask"); declared, it receives a read-only
    # ``core.planner.SampleView`` instead of the sample (object-aware crops)
    reads_targets: ClassVar[tuple[str, ...]] = ()
    # ``kept_items(params)`` names point-target items to drop at this step (RandomIoUCrop drops boxes
    # whose centre leaves the crop): {keyword: boolean list over the items present when sampled}
    selects_items: ClassVar[bool] = False
    # ``sample_batch`` draws many samples' parameters at once, exactly as ``sample_params`` would per sample
    # (the batched executor's vectorised planning, ``batch.sampling``). An instance may turn it off when a
    # setting needs draws it does not vectorise (``self.batch_samples = False``).
    batch_samples: ClassVar[bool] = False
    # arguments the contract test uses when the transform has required arguments
    example_args: ClassVar[Params] = {}
    # constructor arguments that may be +-inf (e.g. magnitude_std=inf: uniform magnitudes); NaN never is
    allow_infinite: ClassVar[frozenset[str]] = frozenset()
    _abstract: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_abstract" not in cls.__dict__:
            cls._abstract = False
        if not cls._abstract:
            if cls.__name__ in REGISTRY and REGISTRY[cls.__name__] is not cls:
                raise RuntimeError(f"transform name {cls.__name__!r} registered twice")
            REGISTRY[cls.__name__] = cls
        if "__init__" in cls.__dict__:
            cls.__init__ = _record_init_args(cls.__init__)  # type: ignore[method-assign]

    def __init__(self, p: float = 1.0) -> None:
        self.p = check_probability(p)

    # -- what subclasses implement ----------------------------------------------------------------------------
    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        """Draw this call's random parameters; ``sample`` gives shape, dtype, channels, annotations."""
        return {}

    def sample_batch(self, bits: Any, rows: np.ndarray, sample: Any) -> dict[str, list]:
        """Read when ``batch_samples``: the parameters of streams ``rows`` of ``bits`` (a
        ``core.batch_rng.BatchPCG64``), all on the canvas ``sample``, as columns {name: one value per row},
        drawing from each stream exactly what ``sample_params`` draws from that sample's generator."""
        return {}

    def output_shape(self, params: Params, shape: tuple[int, int]) -> tuple[int, int]:
        return shape

    def kept_items(self, params: Params) -> dict[str, Any]:
        """Read when ``selects_items``: {point-target keyword: booleans over its items as sampled}; the
        planner keeps the True ones (with their labels and indices) before the step moves them."""
        return {}

    def output_dtype(self, dtype: np.dtype) -> np.dtype:
        return dtype

    def output_channels(self, params: Params, channels: int) -> int:
        return channels

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return image

    def apply_mask(self, mask: np.ndarray, params: Params) -> np.ndarray:
        return mask

    def apply_depth(self, depth: np.ndarray, params: Params) -> np.ndarray:
        return self.apply_image(depth, params) if self.applies_to_depth else depth

    def apply_annotations(self, annotations: Any, params: Params, shape: tuple[int, int]) -> None:
        """Move or occlude boxes and keypoints in place (non-spatial transforms usually do nothing)."""

    def plan_sample(self, sample: Any, params: Params, plan: list) -> None:
        """Multi-sample transforms only: combine ``sample`` with its sources as ``params`` say, arrays and
        annotations in place, while planning (the executor then leaves the step's arrays as they are)."""

    def sources_needed(self) -> int:
        """How many extra samples (``sources=``) one application takes."""
        return 0

    def lookup_table(self, params: Params, dtype: np.dtype, channels: int, stats: Any) -> np.ndarray | None:
        """The (256, C) or shared (256, 1) table this step is for a uint8 image with these parameters, or
        None when it is not pointwise for them. Read only when ``lut_fusable`` (``core.lut``); ``stats``
        (``ops.color.ImageStats``) describes the image as it is at this step."""
        return None

    def set_progress(self, progress: float) -> None:
        """Move scheduled arguments to training progress in [0, 1] (containers pass it to their leaves)."""

    # -- conveniences ----------------------------------------------------------------------------------------
    def check_input(self, sample: Any) -> None:
        dtype_ok = _DTYPES_OK.get(type(self))  # per class (run on every step of every call)
        if dtype_ok is None:
            dtype_ok = _DTYPES_OK[type(self)] = frozenset(np.dtype(d) for d in self.dtypes)
        if sample.dtype not in dtype_ok:
            value_error(
                f"{type(self).__name__} image",
                f"dtype in {self.dtypes}",
                input_description(sample),
                "convert the image (e.g. to float32) or choose a transform that supports this dtype",
            )
        if self.channels is not None and sample.channels not in self.channels:
            value_error(
                f"{type(self).__name__} image",
                f"{' or '.join(map(str, self.channels))} channels",
                input_description(sample),
                self.channel_fix(),
            )

    def effects(self) -> "Effects | None":
        """What this transform can change (see ``core.effects``); None means undeclared."""
        return None

    def channel_fix(self) -> str:
        return "select the channels it applies to with iv.OnChannels(transform, channels=...)"

    def init_args(self) -> Params:
        """The constructor arguments this transform was built with (used by to_dict and schedules)."""
        return dict(getattr(self, "_init_args", {}))

    def to_dict(self) -> Params:
        return hooks.hook("transform_to_dict")(self)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.init_args().items())
        return f"{type(self).__name__}({args})"

    def __call__(self, *args: Any, **data: Any) -> dict[str, Any]:
        """Apply this transform alone, as a one-element Compose with a fresh generator."""
        if args:
            refuse_positional(type(self).__name__, args)
        pipe = self.__dict__.get("_standalone")
        if pipe is None:
            pipe = hooks.hook("standalone_pipeline")([self])
            self.__dict__["_standalone"] = pipe
        return pipe(**data)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_standalone", None)
        state.pop("_known_keys", None)  # per process: derived from the target types registered there
        return state


def input_description(sample: Any) -> Any:
    """What a step received, for error messages: the image's real size, channel count and dtype."""
    return image_description(sample.shape, sample.channels, sample.dtype)


def _bind_error(cls: type, signature: inspect.Signature, kwargs: dict[str, Any], exc: TypeError) -> str:
    """The constructor's binding error, naming the transform once and suggesting the closest argument
    name for a misspelt keyword."""
    names = [n for n, prm in signature.parameters.items() if n != "self" and prm.kind not in (prm.VAR_POSITIONAL, prm.VAR_KEYWORD)]
    takes_any = any(prm.kind is prm.VAR_KEYWORD for prm in signature.parameters.values())
    unknown = [k for k in kwargs if k not in names] if not takes_any else []
    listing = f"its arguments are {', '.join(names)}" if names else "it takes no arguments"
    if unknown:
        key = unknown[0]
        close = difflib.get_close_matches(key, names, n=1, cutoff=0.5)
        fix = f"did you mean {close[0]!r}? ({listing})" if close else f"use one of its arguments ({listing})"
        return f"{cls.__name__}: got an unexpected keyword argument {key!r}. Fix: {fix}"
    detail = str(exc).split("() ", 1)[-1]  # Python may prefix the function's name
    return f"{cls.__name__}: {detail}. Fix: pass only its arguments ({listing})"


def _record_init_args(init: Any) -> Any:
    signature = inspect.signature(init)
    defaults = {n: prm.default for n, prm in signature.parameters.items() if prm.default is not prm.empty}

    @functools.wraps(init)
    def wrapper(self: Transform, *args: Any, **kwargs: Any) -> None:
        outermost = "_init_args" not in self.__dict__
        if outermost:
            cls = type(self)
            try:
                bound = signature.bind(self, *args, **kwargs)
            except TypeError as exc:
                raise TypeError(_bind_error(cls, signature, kwargs, exc)) from None
            bound.apply_defaults()
            recorded = dict(bound.arguments)
            recorded.pop("self", None)
            extra = recorded.pop("kwargs", None)
            if extra:
                recorded.update(extra)
            token = _CONSTRUCTING.set(defaults)
            try:
                for name, value in recorded.items():  # no NaN (and no inf unless declared) reaches any transform
                    check_finite(value, name, name in cls.allow_infinite)
                self.__dict__["_init_args"] = recorded
                from .schedule import Schedule, resolve_initial

                if any(isinstance(v, Schedule) for v in recorded.values()):
                    init(self, **resolve_initial(recorded))
                    return
                init(self, *args, **kwargs)
            finally:
                _CONSTRUCTING.reset(token)
            return
        init(self, *args, **kwargs)

    wrapper.__signature__ = signature  # type: ignore[attr-defined]
    return wrapper


# ---------------------------------------------------------------------------------------------------------------
# Spatial transforms: a matrix and an output canvas; every target follows it through one generic path.
# ---------------------------------------------------------------------------------------------------------------

INTERPOLATION_NAMES = tuple(geo.INTERPOLATIONS)
BORDER_NAMES = tuple(geo.BORDER_MODES)


class SpatialTransform(Transform):
    """A geometric transform. It states its geometry, once per call, in one of two ways:
    ``geometry(params, shape) -> (matrix, out_shape)`` (a 3x3 matrix and the output canvas), or
    ``plan_geometry(params, shape) -> Geometry`` when it knows more (a field, or that its matrix is an
    integer window, as flips and crops do). Images, masks, depth, boxes and keypoints follow the geometry
    generically; executing it (a view, slice + resize, warp, remap) is the executor's choice."""

    spatial = True
    box_mode: str = "corners"  # how boxes follow a matrix: enclosing box of the corners, or of the ellipse
    _abstract = True

    def __init__(
        self,
        interpolation: str = "linear",
        border_mode: str = "constant",
        fill: float | tuple[float, ...] = 0,
        fill_mask: float = 0,
        p: float = 1.0,
    ) -> None:
        super().__init__(p)
        self.interpolation = check_choice(interpolation, "interpolation", INTERPOLATION_NAMES)
        self.border_mode = check_choice(border_mode, "border_mode", BORDER_NAMES)
        self.fill = fill
        self.fill_mask = fill_mask

    def geometry(self, params: Params, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
        if type(self).plan_geometry is SpatialTransform.plan_geometry:
            raise TypeError(f"{type(self).__name__} must define geometry(params, shape) -> (matrix, out_shape)")
        g = self.plan_geometry(params, shape)
        return g.matrix, g.out_shape  # type: ignore[return-value]

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        """The step's ``Geometry`` on an input canvas of ``shape`` (the planner calls this once per call)."""
        matrix, out_shape = self.geometry(params, shape)
        return Geometry(shape, (int(out_shape[0]), int(out_shape[1])), matrix)

    def output_shape(self, params: Params, shape: tuple[int, int]) -> tuple[int, int]:
        return self.plan_geometry(params, shape).out_shape

    # Direct use outside a pipeline (a pipeline's executor resamples spatial steps itself).
    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return _execute_alone(self, params, {"image": image}, "image")

    def apply_mask(self, mask: np.ndarray, params: Params) -> np.ndarray:
        return _execute_alone(self, params, {"mask": mask}, "mask")

    def apply_depth(self, depth: np.ndarray, params: Params) -> np.ndarray:
        return _execute_alone(self, params, {"depth": depth}, "depth")

    def apply_annotations(self, annotations: Any, params: Params, shape: tuple[int, int]) -> None:
        annotations.move(self.plan_geometry(params, shape), self.box_mode)


def _execute_alone(t: SpatialTransform, params: Params, arrays: dict[str, np.ndarray], kind: str) -> np.ndarray:
    """One spatial step on one array with the numpy kernels (direct calls of ``apply_*``)."""
    from ..ops import distort

    array = arrays[kind]
    g = t.plan_geometry(params, array.shape[:2])
    spec = ARRAY_KIND_TABLE[kind]
    interpolation = spec.interpolation or t.interpolation
    fill = kind_fill(t, kind)
    if g.matrix is not None:
        if spec.mask_kernels:
            return geo.warp_mask(array, g.matrix, g.out_shape, t.border_mode, fill, kernel=g.form)
        return geo.warp(array, g.matrix, g.out_shape, interpolation, t.border_mode, fill, kernel=g.form)
    mx, my = g.field  # type: ignore[misc]
    if spec.mask_kernels:
        return distort.remap_mask(array, mx, my, t.border_mode, fill)
    return distort.remap(array, mx, my, interpolation, t.border_mode, fill)


_GENERIC: dict[type, bool] = {}


def executes_generically(t: Any) -> bool:
    """Is ``t`` a spatial transform that executors resample from its geometry (it overrides no ``apply_*``)?"""
    cls = type(t)
    found = _GENERIC.get(cls)
    if found is None:
        found = isinstance(t, SpatialTransform) and all(getattr(cls, n) is getattr(SpatialTransform, n) for n in ("apply_image", "apply_mask", "apply_depth"))
        _GENERIC[cls] = found
    return found

"""Task declarations: what a task's labels depend on, and what its pixels are.

Augmentation asserts "the label does not change under this transform" (Chen et al. 2020: training fits
``p_aug(x, y) = E_t[p(t(x), y)]``). A :class:`Task` states the opposite side of that contract:
which properties of the image the label *does* depend on, so ``iv.check`` can refuse transforms
that change them. Each property is tri-state:

- ``True``: the label depends on it (a transform that changes it is a violation);
- ``False``: declared irrelevant (anything goes);
- ``None``: not declared (the checker does not check it, and says so in its report).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ..core.errors import type_error, value_error

MODALITIES = ("rgb", "grayscale", "multispectral", "depth", "rgbd", "video")
"""rgb: 3-channel colour photographs. grayscale: 1 channel (X-ray, CT, MRI). multispectral: N named
bands (e.g. R, G, B, NIR). depth: metric distance maps (pixel values are measurements, 0/NaN are
holes). rgbd: an RGB image plus a depth map passed as an additional target of kind "depth".
video: clips of RGB frames (one parameter draw per clip)."""

VISIBLE_BANDS = ("R", "G", "B")
DEFAULT_BANDS = {"rgb": ("R", "G", "B"), "video": ("R", "G", "B"), "rgbd": ("R", "G", "B"), "grayscale": ("gray",), "depth": ("depth",)}
PROPERTIES = ("laterality", "orientation", "cardinal_direction", "color_semantics", "metric_values")
UPRIGHT_ROTATION = 15.0  # default rotation bound when up/down matters (mid-range of the usual +-10-20 degrees)


def _tri(value: Any, argument: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    type_error(argument, "True (the label depends on it), False (it does not) or None (undeclared)", value, f"pass {argument}=True or False")


@dataclass(frozen=True)
class Task:
    """What a task's labels are (not) invariant to, and what its data are.

    Parameters
    ----------
    name: a label for reports.
    modality: one of ``MODALITIES``.
    bands: channel names, required for "multispectral" (e.g. ``("R", "G", "B", "NIR")``); bands named
        R, G, B are the visible ones that colour/brightness jitter may touch.
    laterality: left/right matters (chest X-rays: the heart is on the left; hands; text). Forbids mirrors.
    orientation: up/down matters (digits: 6 and 9; text; upright scenes). Forbids vertical mirrors and
        rotations beyond ``max_rotation`` (default 15 degrees).
    cardinal_direction: absolute direction matters (satellite tasks where north matters). Forbids mirrors
        and rotations beyond ``max_rotation`` (default 0).
    color_semantics: colour carries the label (traffic lights, ripeness). Forbids hue/saturation/gray.
    metric_values: pixel values are measurements (depth, CT Hounsfield units). Forbids photometric jitter,
        blur, mixing; noise and dropout only from transforms declared valid for metric data.
    max_rotation: the largest rotation (degrees) that keeps the label; checked whenever given.
    lateral_keypoints: the keypoints have left/right roles (COCO person: eyes, ears, limbs). A mirror is
        then allowed only in a pipeline declaring the pairs it swaps (``Compose(keypoint_swap=...)``).
    """

    name: str = "task"
    modality: str = "rgb"
    bands: tuple[str, ...] | None = None
    laterality: bool | None = None
    orientation: bool | None = None
    cardinal_direction: bool | None = None
    color_semantics: bool | None = None
    metric_values: bool | None = None
    max_rotation: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    lateral_keypoints: bool | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            type_error("name", "a string", self.name, "pass name='chest x-ray'")
        if self.modality not in MODALITIES:
            value_error("modality", f"one of {MODALITIES}", self.modality, f"use one of {', '.join(map(repr, MODALITIES))}")
        for prop in PROPERTIES:
            _tri(getattr(self, prop), prop)
        _tri(self.lateral_keypoints, "lateral_keypoints")
        bands = self.bands
        if bands is None:
            if self.modality == "multispectral":
                value_error("bands", "the band names of a multispectral task", None, "pass e.g. bands=('R', 'G', 'B', 'NIR')")
            bands = DEFAULT_BANDS[self.modality]
        if isinstance(bands, str) or not all(isinstance(b, str) for b in bands) or len(bands) == 0:
            type_error("bands", "a non-empty tuple of band names", bands, "pass e.g. bands=('R', 'G', 'B', 'NIR')")
        object.__setattr__(self, "bands", tuple(bands))
        if self.max_rotation is not None:
            if isinstance(self.max_rotation, bool) or not isinstance(self.max_rotation, (int, float)) or not 0 <= self.max_rotation <= 180:
                value_error("max_rotation", "degrees in [0, 180] or None", self.max_rotation, "pass e.g. max_rotation=5")
            object.__setattr__(self, "max_rotation", float(self.max_rotation))
        object.__setattr__(self, "notes", tuple(self.notes))

    # -- derived ---------------------------------------------------------------------------------------------
    @property
    def metric(self) -> bool | None:
        """Are the image's own values measurements? (depth data always are)."""
        return True if self.modality == "depth" else self.metric_values

    @property
    def visible_channels(self) -> tuple[int, ...]:
        """Indices of the R, G, B bands (the ones visible-light jitter is designed for)."""
        return tuple(i for i, b in enumerate(self.bands or ()) if b.upper() in VISIBLE_BANDS)

    def rotation_bound(self) -> float | None:
        """The largest rotation the task allows, or None when rotation is unconstrained/undeclared."""
        if self.max_rotation is not None:
            return self.max_rotation
        if self.cardinal_direction:
            return 0.0
        if self.orientation:
            return UPRIGHT_ROTATION
        return None

    def undeclared(self) -> tuple[str, ...]:
        """Properties left as None: the checker reports them as not checked."""
        return tuple(p for p in PROPERTIES if getattr(self, p) is None and not (p == "metric_values" and self.modality == "depth"))

    # -- serialization ---------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["bands"] = list(self.bands or ())
        d["notes"] = list(self.notes)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Task":
        if not isinstance(data, dict):
            type_error("task", "a Task or a dict from Task.to_dict()", data, "pass iv.Task(...)")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            value_error("task", f"keys among {sorted(known)}", unknown, "remove the unknown keys")
        args = dict(data)
        if args.get("bands") is not None:
            args["bands"] = tuple(args["bands"])
        if args.get("notes") is not None:
            args["notes"] = tuple(args["notes"])
        return cls(**args)


def as_task(task: Any) -> Task | None:
    """Accept a Task, its dict form, or None."""
    if task is None or isinstance(task, Task):
        return task
    if isinstance(task, dict):
        return Task.from_dict(task)
    type_error("task", "an iv.Task (or its dict form) or None", task, "declare the task with iv.Task(modality=..., laterality=..., ...)")

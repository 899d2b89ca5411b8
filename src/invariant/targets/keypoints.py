"""Keypoint formats. Internally a keypoint is float64 ``(x, y, angle, scale)`` in continuous pixel
coordinates (the centre of pixel column ``i`` is ``x = i + 0.5``), angle in radians."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..core.errors import type_error, value_error
from ..ops.distort import field_keypoints
from ..ops.geometric import apply_to_keypoints
from .base import PointTarget, read_labels, register_target, rows_fix

# "xy": (x, y); "xyas": (x, y, angle in degrees, scale). Angles are degrees at the API and
# radians inside, as in albumentations' (x, y, angle, scale).
KEYPOINT_FORMATS = ("xy", "xyas")
VISIBILITY_KEYWORD = "keypoints_visibility"  # per-keypoint COCO flags v, read and written with the keypoints
COCO_FLAGS = (0, 1, 2)  # COCO v: 0 not labelled (or off the canvas), 1 labelled but occluded, 2 visible

# The 17 COCO person keypoints in the order of the COCO keypoint annotations (Lin et al. 2014;
# ``person_keypoints_*.json`` categories[0]["keypoints"]).
COCO_PERSON_KEYPOINTS = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)


@dataclass(frozen=True)
class KeypointSchema:
    """The keypoints of one instance (``names``, in order) and the left/right pairs a mirror swaps.

    A call's keypoints are read as consecutive instances of ``len(names)`` keypoints each. When a step
    mirrors (its matrix has a negative determinant: a flip, a transpose, an odd number of them fused),
    the keypoints of each pair exchange roles: the row of ``left_eye`` then holds the point that was the
    right eye, which the mirror moved to where a left eye appears."""

    names: tuple[str, ...]
    swap: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        names = tuple(self.names)
        if not names or not all(isinstance(n, str) for n in names):
            type_error("names", "a non-empty sequence of keypoint names", self.names, "pass e.g. COCO_PERSON_KEYPOINTS")
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "swap", _check_pairs(self.swap, len(names)))

    def permutation(self) -> np.ndarray:
        """Slot -> the slot it exchanges with under a mirror (itself when unpaired)."""
        perm = np.arange(len(self.names))
        for i, j in self.swap:
            perm[i], perm[j] = j, i
        return perm

    def to_dict(self) -> dict[str, Any]:
        return {"names": list(self.names), "swap": [list(p) for p in self.swap]}


def lateral_pairs(names: Sequence[str]) -> tuple[tuple[int, int], ...]:
    """Pairs of ``names`` that differ only by a ``left``/``right`` part (``left_eye``/``right_eye``)."""
    index = {n: i for i, n in enumerate(names)}
    pairs = []
    for i, n in enumerate(names):
        if "left" in n and n.replace("left", "right") in index:
            pairs.append((i, index[n.replace("left", "right")]))
    return tuple(pairs)


def _check_pairs(pairs: Any, size: int | None) -> tuple[tuple[int, int], ...]:
    try:
        out = tuple((int(a), int(b)) for a, b in pairs)
        ok = all(float(a) == int(a) and float(b) == int(b) for a, b in pairs)
    except (TypeError, ValueError):
        out, ok = (), False
    flat = [v for p in out for v in p]
    if not ok or any(v < 0 or (size is not None and v >= size) for v in flat) or len(set(flat)) != len(flat):
        where = f" in [0, {size})" if size is not None else ""
        value_error("keypoint_swap", f"pairs (i, j) of distinct keypoint slots{where}, each slot in at most one pair", pairs, "pass e.g. keypoint_swap=[(1, 2), (3, 4)] or KeypointSchema(names, swap)")
    return out


COCO_PERSON = KeypointSchema(COCO_PERSON_KEYPOINTS, ((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)))
"""The COCO person schema: the eight left/right pairs of ``COCO_PERSON_KEYPOINTS``."""

# COCO person skeleton: the 19 limbs of the 17 COCO keypoints, 1-based pairs as stored in the "skeleton" of
# the person category of person_keypoints_{train,val}2017.json (Lin et al., "Microsoft COCO", ECCV 2014).
COCO_PERSON_SKELETON = (
    (16, 14), (14, 12), (17, 15), (15, 13), (12, 13), (6, 12), (7, 13), (6, 7), (6, 8), (7, 9),
    (8, 10), (9, 11), (2, 3), (1, 2), (1, 3), (2, 4), (3, 5), (4, 6), (5, 7),
)  # fmt: skip


def check_swap(value: Any) -> KeypointSchema | None:
    """``Compose(keypoint_swap=...)``: None, a ``KeypointSchema`` (or its ``to_dict()``), or bare pairs
    ``[(i, j), ...]``, read as a schema of ``max(index) + 1`` unnamed keypoints per instance."""
    if value is None or isinstance(value, KeypointSchema):
        return value
    if isinstance(value, dict) and set(value) == {"names", "swap"}:
        return KeypointSchema(tuple(value["names"]), tuple(tuple(p) for p in value["swap"]))
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        type_error("keypoint_swap", "None, an iv KeypointSchema or pairs [(i, j), ...]", value, "pass iv.COCO_PERSON, or pairs such as keypoint_swap=[(1, 2), (3, 4)]")
    pairs = _check_pairs(value, None)
    if not pairs:
        value_error("keypoint_swap", "at least one pair (or None)", value, "pass None when no keypoints are lateral")
    size = max(v for p in pairs for v in p) + 1
    return KeypointSchema(tuple(f"keypoint_{i}" for i in range(size)), pairs)


def check_format(fmt: str) -> str:
    if fmt not in KEYPOINT_FORMATS:
        value_error("keypoint_format", f"one of {KEYPOINT_FORMATS}", fmt, "pass 'xy' or 'xyas'")
    return fmt


def keypoints_to_internal(keypoints: object, fmt: str) -> np.ndarray:
    fmt = check_format(fmt)
    width = 2 if fmt == "xy" else 4
    try:
        arr = np.asarray(keypoints, dtype=np.float64)
    except (TypeError, ValueError):
        value_error("keypoints", f"an (N, {width}) array-like of numbers", keypoints, "pass [[x, y], ...]")
    if arr.size == 0:
        return np.zeros((0, 4), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != width:
        value_error("keypoints", f"an (N, {width}) array for keypoint_format={fmt!r}", arr, rows_fix(arr, width, "keypoints", "match keypoint_format to your columns"))
    if not np.isfinite(arr).all():
        value_error("keypoints", "finite coordinates", arr, "remove keypoints with NaN or inf")
    out = np.zeros((len(arr), 4), dtype=np.float64)
    out[:, :2] = arr[:, :2]
    out[:, 3] = 1.0
    if fmt == "xyas":
        out[:, 2] = np.deg2rad(arr[:, 2])
        out[:, 3] = arr[:, 3]
    return out


def inside(kps: np.ndarray, height: int, width: int) -> np.ndarray:
    """Which keypoints lie on the canvas, the closed rectangle ``[0, W] x [0, H]`` of continuous
    coordinates. Closed, so that flips, quarter turns and transposes (which map the canvas onto itself
    exactly) never change a keypoint's visibility: a flip sends ``x = 0`` to ``x = W``."""
    x, y = kps[:, 0], kps[:, 1]
    return (x >= 0) & (x <= width) & (y >= 0) & (y <= height)


def keypoints_from_internal(kps: np.ndarray, fmt: str) -> np.ndarray:
    if fmt == "xy":
        return kps[:, :2].copy()
    out = kps.copy()
    out[:, 2] = np.rad2deg(np.mod(out[:, 2], 2 * np.pi))
    return out


class KeypointTarget(PointTarget):
    """Keypoints (keyword ``keypoints``, in the pipeline's ``keypoint_format``), internal (x, y, angle, scale).

    ``visible`` is sticky: a keypoint off the canvas at input or after any spatial step stays invisible even
    if a later step moves its coordinates back onto the canvas (its content is gone).

    COCO flags (``keypoints_visibility``, one ``v`` in 0/1/2 per keypoint) are optional: given, they travel
    with the keypoints and are updated: a keypoint off the canvas becomes 0, one under an occluding hole
    (CoarseDropout, RandomErasing) goes from 2 to 1, and they are written back under the same keyword.
    With ``Compose(keypoint_swap=...)`` a mirroring step exchanges the roles of each left/right pair
    (``KeypointSchema``)."""

    per_item = ("keypoints", "visible", "flags")

    def __init__(self, keypoints: np.ndarray, flags: np.ndarray | None = None) -> None:
        self.keypoints = keypoints
        self.visible = np.ones(len(keypoints), dtype=bool)
        self.has_flags = flags is not None
        self.flags = flags if flags is not None else np.full(len(keypoints), 2, np.int64)
        self.schema: KeypointSchema | None = None
        self.input_labels: dict[str, Any] = {}

    @classmethod
    def label_fields(cls, pipe: Any) -> tuple[str, ...]:
        return tuple(pipe.keypoint_label_fields) + (VISIBILITY_KEYWORD,)

    @classmethod
    def read(cls, pipe: Any, data: dict[str, Any], shape: tuple[int, int]) -> KeypointTarget:
        kps = keypoints_to_internal(data[cls.keyword], pipe.keypoint_format)
        n = len(kps)
        labels = read_labels(data, cls.label_fields(pipe), n, "keypoints")
        flags = labels.pop(VISIBILITY_KEYWORD, None)
        if flags is not None:
            flags = _check_flags(flags)
        target = cls(kps, flags)
        target.init_items(n, labels)
        schema = getattr(pipe, "keypoint_swap", None)
        if schema is not None and n:
            k = len(schema.names)
            if n % k:
                value_error("keypoints", f"whole instances of {k} keypoints (keypoint_swap's schema), i.e. a multiple of {k}", f"{n} keypoints", f"pass every instance's {k} keypoints, with flags 0 for unlabelled ones")
            target.schema, target.input_labels = schema, labels
        return target

    def move_matrix(self, matrix: np.ndarray, box_mode: str) -> None:
        if len(self.keypoints):
            self.keypoints = apply_to_keypoints(matrix, self.keypoints)
            if self.schema is not None and np.linalg.det(np.asarray(matrix, np.float64)[:2, :2]) < 0:
                self.mirror_roles()

    def mirror_roles(self) -> None:
        """A mirror happened: each keypoint takes its partner's role (input index), rows stay in input order,
        and the labels follow the roles (they are the input labels of the new indices)."""
        assert self.schema is not None
        k = len(self.schema.names)
        roles = (self.indices // k) * k + self.schema.permutation()[self.indices % k]
        order = np.argsort(roles, kind="stable")
        for name in self.per_item:
            setattr(self, name, getattr(self, name)[order])
        self.indices = roles[order]
        self.labels = {key: ([values[i] for i in self.indices] if not isinstance(values, np.ndarray) else values[self.indices]) for key, values in self.input_labels.items()}

    def move_field(self, field: tuple[np.ndarray, np.ndarray]) -> None:
        if len(self.keypoints):
            self.keypoints = field_keypoints(field, self.keypoints)

    def filter(self, shape: tuple[int, int], rules: Any) -> None:
        """Keypoints off the canvas lose visibility for good (COCO flag 0); dropped under ``remove_invisible_keypoints``."""
        if len(self.keypoints):
            self.visible = self.visible & inside(self.keypoints, *shape)
            self.flags = np.where(self.visible, self.flags, 0)
            if rules.remove_invisible_keypoints:
                self.keep(self.visible)

    def occlude(self, holes: list[Any]) -> None:
        """A visible keypoint (flag 2) inside an erased hole (xyxy, current canvas) becomes occluded (flag 1)."""
        if not len(self.keypoints) or not len(holes):
            return
        h = np.asarray(holes, np.float64).reshape(-1, 4)
        x, y = self.keypoints[:, :1], self.keypoints[:, 1:2]
        covered = ((x >= h[:, 0]) & (x < h[:, 2]) & (y >= h[:, 1]) & (y < h[:, 3])).any(axis=1)
        self.flags = np.where(covered & (self.flags == 2), 1, self.flags)

    def write(self, pipe: Any, shape: tuple[int, int], out: dict[str, Any]) -> None:
        out["keypoints"] = keypoints_from_internal(self.keypoints, pipe.keypoint_format).astype(np.float32)
        self.write_bookkeeping(out, "keypoint_indices")
        if self.has_flags:
            out[VISIBILITY_KEYWORD] = self.flags.astype(np.int64)
        if not pipe.remove_invisible_keypoints:  # sticky: off the canvas at input or after any spatial step
            out["keypoints_visible"] = self.visible.copy()


def _check_flags(flags: Any) -> np.ndarray:
    arr = np.asarray(flags)
    if arr.ndim != 1 or not np.isin(arr, COCO_FLAGS).all() or (arr.dtype.kind not in "iuf" and arr.size):
        value_error(VISIBILITY_KEYWORD, "one COCO flag per keypoint: 0 (not labelled), 1 (occluded) or 2 (visible)", flags, "pass the v of each keypoint's (x, y, v) triple")
    return arr.astype(np.int64)


register_target("keypoints", KeypointTarget)

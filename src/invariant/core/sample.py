"""The sample: every target of one call, typed by kind, plus the bookkeeping that keeps
annotations honest (which input boxes and keypoints survive, and how visible each box is)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from ..ops.geometric import CV_MAX_CHANNELS, Box, nonzero_box
from ..targets.base import PointTarget

@dataclass(frozen=True, slots=True)
class ArrayKind:
    """How one kind of array target follows the steps. ``interpolation``: None to use the spatial
    transform's own, else the one resampling always uses. ``fill``: the transform attribute holding the value
    for pixels a spatial step reveals (None: 0). ``mask_kernels``: resample with the label-safe mask kernels
    (``warp_mask`` / ``remap_mask``: nearest, exact for any integer dtype). ``apply``: the ``Transform``
    method a non-generic step runs on it, which decides which pixel transforms apply."""

    interpolation: str | None
    fill: str | None
    mask_kernels: bool
    apply: str
    applies: str  # which transforms change it, in words (docs/architecture.md's table)


# Kinds of array targets. "image": every transform applies. "mask": spatial transforms only,
# nearest-neighbour, so no new label value appears. "depth": spatial transforms only (nearest,
# so holes stay holes and no depth is invented between surfaces) plus transforms that declare
# themselves valid for metric data (e.g. sensor noise).
ARRAY_KIND_TABLE: dict[str, ArrayKind] = {
    "image": ArrayKind(None, "fill", False, "apply_image", "every transform"),
    "mask": ArrayKind("nearest", "fill_mask", True, "apply_mask", "spatial transforms, and those that define apply_mask (dropout's fill_mask)"),
    "depth": ArrayKind("nearest", None, False, "apply_depth", "spatial transforms, and pixel transforms declaring applies_to_depth"),
}
ARRAY_KINDS = tuple(ARRAY_KIND_TABLE)


def kind_fill(t: Any, kind: str) -> Any:
    """The fill of spatial transform ``t`` for pixels it reveals in an array of ``kind``."""
    attr = ARRAY_KIND_TABLE[kind].fill
    return getattr(t, attr) if attr is not None else 0


class Planes:
    """Instance masks (the ``masks`` keyword) held as N separate C-contiguous (H, W) planes of one dtype, as
    callers pass and get them, instead of one (H, W, N) stack: a stack's channels are interleaved, so every
    step reads and writes all N of them at every pixel (a 1024x1024 canvas with 40 instances is 40 MB), while
    an instance is mostly zeros. ``boxes[i]``: an integer box outside which plane i is zero (None: not known
    yet, found on demand), so planar kernels (``ops.geometric.warp_planes``) resample only that part. The
    planes are never written in place: a step that changes one makes a new array. Code that wants the stack
    calls ``as_stack``."""

    __slots__ = ("planes", "boxes", "height", "width", "dtype")

    def __init__(self, planes: list[np.ndarray], height: int, width: int, dtype: np.dtype, boxes: list[Box | None] | None = None) -> None:
        self.planes = planes
        self.boxes = boxes if boxes is not None else [None] * len(planes)
        self.height, self.width, self.dtype = int(height), int(width), np.dtype(dtype)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(H, W, N), the shape of the equivalent stack."""
        return (self.height, self.width, len(self.planes))

    def __len__(self) -> int:
        return len(self.planes)

    def box(self, i: int) -> Box:
        """Plane i's tight nonzero box (computed inside its known box, then remembered)."""
        known = self.boxes[i]
        tight = nonzero_box(self.planes[i], known)
        self.boxes[i] = tight
        return tight

    def window(self, window: tuple[int, int, int, int]) -> Planes:
        """The part [x0, x1) x [y0, y1) of every plane (views; boxes found again on demand)."""
        x0, y0, x1, y1 = window
        return Planes([p[y0:y1, x0:x1] for p in self.planes], y1 - y0, x1 - x0, self.dtype)

    def stack(self) -> np.ndarray:
        """The (H, W, N) stack (OpenCV's merge where it takes the dtype and count: one pass)."""
        if not self.planes:
            return np.zeros((self.height, self.width, 0), self.dtype)
        if len(self.planes) <= CV_MAX_CHANNELS and self.dtype in _CV_MERGE:
            return cv2.merge(self.planes).reshape(self.height, self.width, len(self.planes))
        return np.stack(self.planes, axis=2)

    @classmethod
    def from_stack(cls, stack: np.ndarray) -> Planes:
        """Planes of an (H, W, N) stack (copies: OpenCV's split where it takes the dtype and count)."""
        h, w, n = stack.shape
        if 1 < n <= CV_MAX_CHANNELS and stack.dtype in _CV_MERGE and stack.flags.c_contiguous:
            planes = list(cv2.split(stack))
        else:
            planes = [np.ascontiguousarray(stack[:, :, c]) for c in range(n)]
        return cls(planes, h, w, stack.dtype)


# dtypes cv2.merge / cv2.split take (up to CV_MAX_CHANNELS planes: 512 in OpenCV 4, 128 in OpenCV 5)
_CV_MERGE = frozenset(np.dtype(t) for t in (np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32, np.float64))


def as_stack(array: Any) -> Any:
    """An array target as an (H, W, C) array: ``Planes`` stacked, anything else as it is."""
    return array.stack() if type(array) is Planes else array


_NO_BOXES = np.zeros((0, 4))
_NO_VALUES = np.zeros(0)
_NO_INDICES = np.zeros(0, dtype=np.int64)
_NO_FLAGS = np.zeros(0, dtype=bool)


class Annotations:
    """The point-like targets of one call: keyword -> its state (a ``targets.base.PointTarget``: boxes,
    keypoints, any registered type), in registration order. Every operation is one loop over them, so a
    new target type needs no change here."""

    __slots__ = ("targets",)

    def __init__(self) -> None:
        self.targets: dict[str, PointTarget] = {}

    def __len__(self) -> int:
        """Items over every target (0: nothing to move or filter)."""
        n = 0
        for t in self.targets.values():
            n += len(t)
        return n

    def move(self, geometry: Any, box_mode: str = "corners") -> None:
        """Move every target by a step's geometry: its matrix (boxes by ``box_mode``: the enclosing box of
        the moved corners, or of the inscribed ellipse), or its displacement field."""
        matrix = geometry.matrix
        if matrix is not None:
            for t in self.targets.values():
                t.move_matrix(matrix, box_mode)
        else:
            for t in self.targets.values():
                t.move_field(geometry.field)

    def filter(self, shape: tuple[int, int], rules: Any) -> None:
        """Apply the pipeline's ``rules`` (a Compose) on a canvas of ``shape``: at input and after every
        spatial step, so the same input is treated the same whichever steps ran. Each target clips to the
        canvas and drops what fails the rules (boxes: degenerate or min_*; keypoints: off the canvas under
        ``remove_invisible_keypoints``), with its labels."""
        for t in self.targets.values():
            t.filter(shape, rules)

    def occlude(self, holes: Any) -> None:
        """Erase xyxy ``holes`` (current canvas coordinates) from every target that tracks visibility."""
        for t in self.targets.values():
            t.occlude(holes)

    def geometry_changed(self) -> None:
        for t in self.targets.values():
            t.geometry_changed()

    # Read-only views of the built-in targets (empty when absent).
    @property
    def boxes(self) -> np.ndarray:
        t = self.targets.get("bboxes")
        return t.boxes if t is not None else _NO_BOXES  # type: ignore[attr-defined]

    @property
    def keypoints(self) -> np.ndarray:
        t = self.targets.get("keypoints")
        return t.keypoints if t is not None else _NO_BOXES  # type: ignore[attr-defined]

    @property
    def box_indices(self) -> np.ndarray:
        t = self.targets.get("bboxes")
        return t.indices if t is not None else _NO_INDICES

    @property
    def keypoint_indices(self) -> np.ndarray:
        t = self.targets.get("keypoints")
        return t.indices if t is not None else _NO_INDICES

    @property
    def keypoint_visible(self) -> np.ndarray:
        t = self.targets.get("keypoints")
        return t.visible if t is not None else _NO_FLAGS  # type: ignore[attr-defined]

    def visibility(self) -> np.ndarray:
        t = self.targets.get("bboxes")
        return t.visibility() if t is not None else _NO_VALUES  # type: ignore[attr-defined]


@dataclass(slots=True)
class Sample:
    """Arrays by name with their kind (all HWC internally), shared annotations, the canvas shape."""

    arrays: dict[str, np.ndarray]
    kinds: dict[str, str]
    annotations: Annotations
    shape: tuple[int, int]
    dtype: np.dtype
    channels: int
    rules: Any = None  # the pipeline's box/keypoint filtering rules (a Compose)
    sources: Any = None  # extra samples of the call (``core.sources.SourceSet``), read by multi-sample steps

    def names_of(self, kind: str) -> list[str]:
        return [n for n, k in self.kinds.items() if k == kind]

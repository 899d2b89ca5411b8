"""The point-target protocol: what a point-like annotation (boxes, keypoints, and any type added later)
implements so that the engine reads, moves, filters and writes it without knowing what it is.

A target type is one subclass of ``PointTarget`` and one ``register_target(keyword, cls)`` call. One
instance holds one call's state of that type: internal float arrays (one row per item), per-item label
fields, and ``indices`` (each surviving item's position in the input), kept in step by ``keep``.
The engine drives it through one loop over the registered types (``core.sample.Annotations``):

- ``read(pipe, data, shape)`` at input: validate the user's keyword, convert to internal arrays
- ``move_matrix(matrix, box_mode)`` / ``move_field(field)`` at every spatial step (a 3x3 matrix from input
  to output pixel coordinates, or a backward displacement field ``(map_x, map_y)``)
- ``filter(shape, rules)`` at input and after every spatial or occluding step: clip to the canvas and
  drop items failing the pipeline's rules (``rules`` is the Compose: min_area, remove_invisible_keypoints...)
- ``write(pipe, shape, out)`` at output: convert back to the user's format, with labels and indices
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..core.errors import type_error, value_error


# hidden per-box label: the box's instance mask position in the stacked ``masks`` (set by core.sources)
CHANNEL = "_channel"


class PointTarget:
    """One call's state of a point-like target type (see the module docstring for the protocol).

    Subclasses set ``keyword`` (the call keyword, e.g. ``"bboxes"``), ``per_item`` (the names of the
    attributes holding one row per item, subset together by ``keep``) and implement ``read``, ``move_matrix``,
    ``move_field``, ``filter`` and ``write``. ``label_fields(pipe)`` names the per-item label keywords."""

    keyword: ClassVar[str] = ""
    per_item: ClassVar[tuple[str, ...]] = ()
    # the label keywords of this type when ``label_fields`` is not overridden
    default_label_fields: ClassVar[tuple[str, ...]] = ()

    indices: np.ndarray
    labels: dict[str, Any]

    def __len__(self) -> int:
        return len(self.indices)

    @classmethod
    def label_fields(cls, pipe: Any) -> tuple[str, ...]:
        """The per-item label keywords ``pipe`` accepts for this type."""
        return cls.default_label_fields

    @classmethod
    def read(cls, pipe: Any, data: dict[str, Any], shape: tuple[int, int]) -> PointTarget:
        """Validate ``data[cls.keyword]`` (the user's value, in ``pipe``'s format) and its label keywords
        (``read_labels``) on a canvas of ``shape``; return the internal state (``init_items`` sets indices)."""
        raise NotImplementedError

    def move_matrix(self, matrix: np.ndarray, box_mode: str) -> None:
        """Move every item by a 3x3 matrix (input -> output pixel coordinates)."""
        raise NotImplementedError

    def move_field(self, field: tuple[np.ndarray, np.ndarray]) -> None:
        """Move every item through a backward displacement field ``(map_x, map_y)``."""
        raise NotImplementedError

    def filter(self, shape: tuple[int, int], rules: Any) -> None:
        """Clip to a canvas of ``shape`` and drop (``keep``) items failing the pipeline's ``rules``."""
        raise NotImplementedError

    def write(self, pipe: Any, shape: tuple[int, int], out: dict[str, Any]) -> None:
        """Put the items back into ``out`` in the user's format, with their labels and input indices."""
        raise NotImplementedError

    # Occlusion (dropout-style holes): only targets that track visibility care; the others ignore it.
    def occlude(self, holes: list[Any]) -> None:
        """Erase xyxy ``holes`` (current canvas coordinates)."""

    def geometry_changed(self) -> None:
        """A spatial step is about to move the items (holes so far live in the old canvas)."""

    def keep(self, keep: np.ndarray) -> None:
        """Keep the items where the boolean ``keep`` is True: every per-item array, label and index."""
        if keep.all():
            return
        for name in self.per_item:
            setattr(self, name, getattr(self, name)[keep])
        self.indices = self.indices[keep]
        self.labels = {k: _take(v, keep) for k, v in self.labels.items()}

    def init_items(self, n: int, labels: dict[str, Any]) -> None:
        """Set the bookkeeping of ``n`` input items: indices 0..n-1 and their labels."""
        self.indices = np.arange(n)
        self.labels = labels

    def write_bookkeeping(self, out: dict[str, Any], indices_key: str) -> None:
        """Labels (as filtered) and the survivors' input indices under ``indices_key``."""
        out.update(self.labels)
        out[indices_key] = self.indices.copy()


def _take(values: Any, keep: np.ndarray) -> Any:
    if isinstance(values, np.ndarray):
        return values[keep]
    return [v for v, k in zip(values, keep) if k]


# keyword -> target type, in registration order (the order in which targets are read, moved and written)
_TARGETS: dict[str, type[PointTarget]] = {}
_generation = [0]  # bumped on every registration, so pipelines re-derive their accepted keywords


def register_target(keyword: str, cls: type[PointTarget]) -> type[PointTarget]:
    """Register point-target type ``cls`` under the call keyword ``keyword`` (e.g. ``"bboxes"``)."""
    if not isinstance(keyword, str) or not keyword.isidentifier():
        value_error("keyword", "a Python identifier (the call keyword)", keyword, "pass e.g. 'segments'")
    if not (isinstance(cls, type) and issubclass(cls, PointTarget)):
        type_error("cls", "a subclass of invariant.targets.base.PointTarget", cls, "subclass PointTarget and implement its methods")
    if keyword in _TARGETS and _TARGETS[keyword] is not cls:
        value_error("keyword", "a keyword no other target type uses", keyword, f"{keyword!r} is taken by {_TARGETS[keyword].__name__}; pick another")
    cls.keyword = keyword
    _TARGETS[keyword] = cls
    _generation[0] += 1
    return cls


def unregister_target(keyword: str) -> None:
    """Remove a registered target type (tests registering a temporary type clean up with this)."""
    _TARGETS.pop(keyword, None)
    _generation[0] += 1


def registered_targets() -> dict[str, type[PointTarget]]:
    """keyword -> target type, in registration order (a live view: do not modify)."""
    return _TARGETS


def generation() -> int:
    return _generation[0]


def rows_fix(arr: np.ndarray, width: int, keyword: str, columns_fix: str) -> str:
    """The fix for an array of item rows (``keyword``: boxes, keypoints, ...) that is not (N, ``width``): one
    row given without its list (shape (``width``,)), or columns that do not match (``columns_fix``)."""
    if arr.ndim == 1 and len(arr) == width:
        return f"wrap a single row in a list: {keyword}=[[...]] (an (N, {width}) array, here N = 1)"
    if arr.ndim == 2:
        return columns_fix
    return f"pass one row of {width} numbers per item, {keyword}=[[...], ...]"


def read_labels(data: dict[str, Any], fields: tuple[str, ...], n: int, what: str) -> dict[str, Any]:
    """The label keywords among ``fields`` present in ``data``, each checked to hold ``n`` values (a sequence or
    an array with one entry per item; a string or a mapping is refused: iterating it would give characters
    or keys)."""
    labels = {}
    item = "box" if what.endswith("bboxes") else what[:-1]
    for f in fields:
        if data.get(f) is None:
            continue
        values = data[f]
        if isinstance(values, (str, bytes, dict)) or (isinstance(values, np.ndarray) and values.ndim == 0) or not hasattr(values, "__iter__"):
            one = values.item() if isinstance(values, np.ndarray) else values
            type_error(f, f"one value per {item} (a list, tuple or array)", values, f"pass {f}=[...] with one entry per {item}, e.g. {f}=[{one!r}] for one {item}")
        if not isinstance(values, np.ndarray):
            values = list(values)
        if len(values) != n:
            value_error(f, f"{n} value{'s' if n != 1 else ''}, one per entry of {what}", values, f"give exactly one {f} value per {item}")
        labels[f] = values
    return labels

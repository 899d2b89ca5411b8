"""File-backed datasets: decode (reduced when the pipeline allows) and augment, per-sample seeded.

Each sample's generator comes from ``derive_rng(seed, epoch, index)`` (``core.rng``, as in
``training.dataset.AugmentedDataset``), so augmentations do not depend on ``num_workers``, worker
order or start method. Works with ``torch.utils.data.DataLoader`` (map-style: ``__len__`` and
``__getitem__``) without importing torch. Bad files raise ``DecodeError`` naming the file; with
``on_error="skip"`` they are replaced by the next readable sample, counted in ``skipped`` (shared
across DataLoader workers) and reported with a warning naming each file.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import warnings
from multiprocessing import context as mp_context
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..core.compose import Compose
from ..core.errors import type_error, value_error
from ..training.distributed import EpochSeeded
from .decode import DecodeError, decode, decode_mask, read_bytes
from .reduced import decode_augment

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
ON_ERROR = ("raise", "skip")


class _SharedCounter:
    """An int in shared memory (with a lock) when handed to worker processes; plain otherwise."""

    def __init__(self, value: int = 0) -> None:
        self._value = multiprocessing.Value("q", value)

    @property
    def value(self) -> int:
        return int(self._value.value)

    def add(self, n: int = 1) -> None:
        with self._value.get_lock():
            self._value.value += n

    def __getstate__(self) -> dict[str, Any]:
        if mp_context.get_spawning_popen() is not None:
            return {"shared": self._value}
        return {"plain": self.value}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._value = state["shared"] if "shared" in state else multiprocessing.Value("q", state["plain"])


class SeededDataset(EpochSeeded):
    """The one base of per-sample-seeded datasets (``FileDataset`` and ``training.AugmentedDataset``
    build on it): sample ``i`` of epoch ``e`` is augmented with ``derive_rng(seed, epoch, i)``
    (``EpochSeeded``: seed and epoch in shared memory, ``state_dict``), scheduled arguments follow the
    epoch when ``epochs`` is given, and inside a DataLoader worker OpenCV/BLAS/torch run single-threaded.

    Subclasses implement ``__len__`` and ``load(index, rng)``; ``__getitem__`` checks the index, moves
    the schedule and calls ``item(index)`` (by default ``load(index, rng_for(index))``)."""

    pipeline: Compose | None
    epochs: int | None

    def _init_dataset(self, pipeline: Compose | None, seed: int | None, epochs: int | None, optional: bool = True) -> None:
        if not isinstance(pipeline, Compose) and not (optional and pipeline is None):
            type_error("pipeline", "an iv.Compose" + (" or None" if optional else ""), pipeline, "wrap your transforms in iv.Compose([...])")
        self.pipeline, self.epochs = pipeline, epochs
        self._init_seeding(seed)
        self._progress_seen: float | None = None

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__}: a SeededDataset subclass implements __len__ (how many samples it holds)")

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_worker_ready", None)
        return state

    def progress(self) -> float:
        """Training progress in [0, 1] of the current epoch (0 without ``epochs``)."""
        if not self.epochs or self.epochs <= 1:
            return 0.0
        return min(self.epoch / (self.epochs - 1), 1.0)

    def _update_progress(self) -> None:
        if self.pipeline is None or not self.epochs:
            return
        progress = self.progress()
        if progress != self._progress_seen:
            self.pipeline.set_progress(progress)
            self._progress_seen = progress

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if not isinstance(index, (int, np.integer)) or not -n <= index < n:
            raise IndexError(f"index: expected an int in [{-n}, {n}), got {index!r}. Fix: index within the dataset's length.")
        if not self.__dict__.get("_worker_ready"):
            _single_thread_in_worker()
            self.__dict__["_worker_ready"] = True
        self._update_progress()
        return self.item(int(index) % n)

    def item(self, index: int) -> Any:
        """Sample ``index`` (in range), augmented with its own generator."""
        return self.load(index, self.rng_for(index))

    def load(self, index: int, rng: np.random.Generator) -> Any:
        """Sample ``index`` augmented with ``rng``."""
        raise NotImplementedError(f"{type(self).__name__}: a SeededDataset subclass implements load(index, rng) (read sample index, augment it with rng)")


def _single_thread_in_worker() -> None:
    """Inside a DataLoader worker, make OpenCV/BLAS/torch single-threaded: N workers x N threads
    would oversubscribe the cores. The main process is left alone (and torch is never imported here)."""
    import sys

    if "torch" not in sys.modules:
        return
    try:
        from torch.utils.data import get_worker_info
    except ImportError:  # pragma: no cover
        return
    if get_worker_info() is not None:
        from .loader import limit_threads

        limit_threads()


class FileDataset(SeededDataset):
    """Base: ``records`` (dicts with at least ``path``) decoded and augmented by ``pipeline``.

    pipeline: an ``iv.Compose`` (None: decoded image only, unaugmented).
    seed: base seed for per-sample generators (drawn once here when None; under ``torch.distributed``
    rank 0's is broadcast to every rank). ``state_dict()`` / ``load_state_dict()`` carry (seed, epoch).
    epochs: total epochs; when given, ``set_epoch`` also moves scheduled arguments.
    on_error: "raise" (default) or "skip" (replace by the next readable sample, counted and warned).
    mode: "rgb", "gray" or "unchanged" (see ``io.decode``). backend: JPEG decoder ("auto" = fastest).
    reduce: allow reduced-size JPEG decoding when the pipeline starts by shrinking the image.
    """

    def __init__(
        self,
        records: Sequence[dict[str, Any]],
        pipeline: Compose | None = None,
        seed: int | None = None,
        epochs: int | None = None,
        on_error: str = "raise",
        mode: str = "rgb",
        backend: str = "auto",
        reduce: bool = True,
    ) -> None:
        if on_error not in ON_ERROR:
            value_error("on_error", f"one of {ON_ERROR}", on_error, "use 'raise' (default) or 'skip' to skip and count bad files")
        self._init_dataset(pipeline, seed, epochs)
        self.records = list(records)
        self.on_error = on_error
        self.mode, self.backend, self.reduce = mode, backend, bool(reduce)
        self._skipped = _SharedCounter(0)

    def __len__(self) -> int:
        return len(self.records)

    @property
    def skipped(self) -> int:
        """How many bad files were skipped so far (all workers together)."""
        return self._skipped.value

    # -- loading --------------------------------------------------------------------------------------------
    def item(self, index: int) -> Any:
        n = len(self.records)
        for attempt in range(n):
            i = (index + attempt) % n
            try:
                return self.load(i, self.rng_for(index))
            except DecodeError as exc:
                if self.on_error == "raise":
                    raise
                self._skipped.add()
                warnings.warn(f"skipped a bad file ({exc}); sample {index} uses sample {(i + 1) % n} instead", RuntimeWarning, stacklevel=3)
        raise DecodeError(f"{self.records[index]['path']}: every file of the dataset failed to load. Fix: check the paths.")

    def targets(self, record: dict[str, Any], shape: tuple[int, int] | None) -> dict[str, Any]:
        """Extra pipeline keywords of one record (boxes, labels, mask); overridden by subclasses."""
        return {}

    def output(self, out: dict[str, Any], record: dict[str, Any]) -> Any:
        """What ``__getitem__`` returns for one augmented record."""
        return out["image"], record.get("label", -1)

    def load(self, i: int, rng: np.random.Generator) -> Any:
        record = self.records[i]
        path = str(record["path"])
        data = read_bytes(path)
        targets = self.targets(record, None)
        if self.pipeline is None:
            image = decode(data, mode=self.mode, backend=self.backend, source=path)
            out = {"image": image, **targets}
        else:
            out = decode_augment(data, self.pipeline, rng=rng, mode=self.mode, backend=self.backend, reduce=self.reduce, source=path, **targets)
        return self.output(out, record)


class ImageFolderDataset(FileDataset):
    """``root/<class>/<image>`` as torchvision's ImageFolder: classes are the sorted subfolder names,
    labels their indices. Returns ``(image, label)``. Other arguments: see ``FileDataset``."""

    def __init__(self, root: str | os.PathLike[str], pipeline: Compose | None = None, extensions: Sequence[str] = IMAGE_EXTENSIONS, **kwargs: Any) -> None:
        root_path = Path(root)
        if not root_path.is_dir():
            value_error("root", "an existing folder with one subfolder per class", os.fspath(root), "check the path")
        self.classes = sorted(d.name for d in root_path.iterdir() if d.is_dir())
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        exts = tuple(e.lower() for e in extensions)
        records = [
            {"path": str(p), "label": self.class_to_idx[c]}
            for c in self.classes
            for p in sorted((root_path / c).rglob("*"))
            if p.is_file() and p.suffix.lower() in exts
        ]
        if not records:
            value_error("root", f"class subfolders holding {exts} files", os.fspath(root), "put images in root/<class_name>/ folders")
        super().__init__(records, pipeline, **kwargs)


class ManifestDataset(FileDataset):
    """Records from a CSV (header row) or JSON-lines file, or a list of dicts. Columns/keys: ``path``
    (relative to ``root``, default the manifest's folder), optional ``label``, ``boxes`` (a list of
    boxes in the pipeline's ``bbox_format``; in CSV a JSON string), ``box_labels`` (one per box),
    ``mask`` (path of a label-mask image).

    Returns ``(image, label)`` when no record has boxes or a mask, else the pipeline's output dict
    plus ``"label"`` and ``"path"``. Boxes travel as ``bboxes`` with labels ``labels`` (keep
    ``"labels"`` in the pipeline's ``label_fields``).
    """

    def __init__(self, manifest: str | os.PathLike[str] | Sequence[dict[str, Any]], pipeline: Compose | None = None, root: str | os.PathLike[str] | None = None, **kwargs: Any) -> None:
        if isinstance(manifest, (str, os.PathLike)):
            path = Path(manifest)
            rows = _read_manifest(path)
            base = Path(root) if root is not None else path.parent
        else:
            rows, base = [dict(r) for r in manifest], Path(root) if root is not None else Path(".")
        records = []
        for n, row in enumerate(rows):
            if not row.get("path"):
                value_error(f"manifest row {n}", "a 'path' entry", row, "give every row the image path (relative to root)")
            record = {"path": str(base / str(row["path"]))}
            if row.get("label") not in (None, ""):
                record["label"] = _as_label(row["label"])
            if row.get("boxes") not in (None, ""):
                boxes = json.loads(row["boxes"]) if isinstance(row["boxes"], str) else row["boxes"]
                record["boxes"] = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
                labels = row.get("box_labels")
                labels = json.loads(labels) if isinstance(labels, str) and labels else labels
                record["box_labels"] = list(labels) if labels is not None else [0] * len(record["boxes"])
            if row.get("mask") not in (None, ""):
                record["mask"] = str(base / str(row["mask"]))
            records.append(record)
        self.structured = any("boxes" in r or "mask" in r for r in records)
        super().__init__(records, pipeline, **kwargs)

    def targets(self, record: dict[str, Any], shape: tuple[int, int] | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "boxes" in record:
            out["bboxes"], out["labels"] = record["boxes"], record["box_labels"]
        if "mask" in record:
            out["mask"] = decode_mask(record["mask"])
        return out

    def output(self, out: dict[str, Any], record: dict[str, Any]) -> Any:
        if not self.structured:
            return out["image"], record.get("label", -1)
        return {**out, "label": record.get("label", -1), "path": record["path"]}


def _as_label(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    return value


def _read_manifest(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        value_error("manifest", "an existing CSV or JSON-lines file", os.fspath(path), "check the path")
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        rows = []
        with open(path, encoding="utf-8") as f:
            for line_no, line in enumerate(f, 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise ValueError(f"{path}:{line_no}: expected one JSON object per line, got {line.strip()[:60]!r} ({exc.msg}). Fix: write the manifest as JSON lines.") from None
        return rows
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# ---- extra samples for multi-sample transforms (Mosaic, CopyPaste) -------------------------------------------

# a fixed extra key so the choice of sources is a stream independent of the augmentation's own
# ``derive_rng(seed, epoch, index)`` generator even when both datasets share one seed
_SOURCES_STREAM = 0x536F7572  # "Sour"


class WithSources(EpochSeeded):
    """Wrap a map-style dataset of keyword dicts so that item ``i`` also carries ``sources``: ``n`` other
    items drawn uniformly (without replacement, never ``i`` itself when the dataset has more than ``n``
    items) from a generator derived from ``(seed, epoch, index)``. The result feeds a pipeline with
    multi-sample transforms, e.g. ``AugmentedDataset(WithSources(base, n=3), iv.Compose([iv.Mosaic(640)]))``;
    the draw does not depend on worker count or order. ``set_epoch`` changes the draw (call it on this
    wrapper as well as on the dataset augmenting it); ``source_indices(i)`` says which items were drawn."""

    def __init__(self, base: Sequence[Any], n: int, seed: int | None = None) -> None:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            type_error("n", "a positive int (extra samples per item)", n, "pass e.g. n=3 for a 2x2 Mosaic")
        if len(base) < 2:
            value_error("base", "a dataset of at least 2 items", len(base), "multi-sample transforms need other samples to draw from")
        self.base, self.n = base, int(n)
        self._init_seeding(seed)

    def __len__(self) -> int:
        return len(self.base)

    def source_indices(self, index: int) -> list[int]:
        """The items drawn as sources of item ``index`` in the current epoch."""
        from ..core.rng import derive_rng

        size = len(self.base)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not -size <= index < size:
            value_error("index", f"an int in [0, {size})", index, "index within the dataset")
        index = int(index) % size
        rng = derive_rng(self.seed, self.epoch, index, _SOURCES_STREAM)
        others = np.delete(np.arange(size), index) if size > self.n else np.arange(size)
        return [int(i) for i in rng.choice(others, size=self.n, replace=len(others) < self.n)]

    def _item(self, index: int) -> dict[str, Any]:
        item = self.base[index]
        if not isinstance(item, dict):
            type_error(f"base[{index}]", "a dict of pipeline keywords (image=..., bboxes=..., ...)", item, "return dicts from the base dataset, e.g. {'image': ..., 'bboxes': ..., 'labels': ...}")
        return item

    def __getitem__(self, index: int) -> dict[str, Any]:
        item = dict(self._item(index))
        item["sources"] = [dict(self._item(j)) for j in self.source_indices(index)]
        return item

"""Extra samples for multi-sample transforms (Mosaic, CopyPaste) and instance binding.

A call may carry ``sources=[{...}, ...]``: other samples with the same keywords as the primary one. Each
is read and checked like the primary (``core.call.read_sample``) and held, untouched, in a ``SourceSet`` on
the primary ``Sample``. A multi-sample step (``Transform.multi_sample``) takes the next sources in order
when it is planned and records their positions in its parameters, so ``replay`` with the same ``sources``
rebuilds the same output.

Instance binding (``Compose(bind_instances=True)``): box ``i``, instance mask ``masks[i]``, polygon instance
``polygons[i]`` and the keypoints whose ``keypoint_instances`` is ``i`` are one instance. Boxes decide: when a
box is dropped (clipped away, failing ``min_*``, fully occluded by CopyPaste), its mask, polygon and keypoints
leave with it (and a box whose polygon was clipped away entirely leaves with it), polygons come back in box
order, and ``out["instance_indices"]`` lists the surviving instances (with ``out["bbox_sources"]`` after a
multi-sample step). Not yet supported beside multi-sample steps, and refused when the pipeline is built:
``keypoint_swap`` and ``bbox_from="polygon"`` (both match items by input index, which merged samples share);
CopyPaste refuses ``polygons`` (it pastes masks, not outlines). Internally each box carries the position of its mask in the stacked ``masks`` array
as the hidden label ``_channel``; it is set at input whenever ``masks`` and ``bboxes`` have the same length.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..targets.base import CHANNEL
from .errors import Described, type_error, value_error

INSTANCE_FIELD = "keypoint_instances"  # per-keypoint label: the instance (box index) a keypoint belongs to

# the label each point target gets for "which sample did this item come from" (0: the primary sample,
# k: sources[k - 1]); other registered target types get ``<keyword>_sources``
_SOURCE_LABELS = {"bboxes": "bbox_sources", "keypoints": "keypoint_sources"}


def source_label(keyword: str) -> str:
    return _SOURCE_LABELS.get(keyword, f"{keyword}_sources")


@dataclass
class SourceSet:
    """The extra samples of one call (read and checked), and how many multi-sample steps have taken."""

    samples: list[Any]
    cursor: int = 0
    taken: list[int] = field(default_factory=list)

    def take(self, n: int, who: str) -> list[int]:
        """The positions of the next ``n`` sources (an error naming ``who`` when too few were passed)."""
        if self.cursor + n > len(self.samples):
            value_error(
                "sources",
                f"{self.cursor + n} extra samples ({who} needs {n}{' after earlier steps took ' + str(self.cursor) if self.cursor else ''})",
                f"{len(self.samples)} given",
                "pass sources=[{'image': ..., 'bboxes': ..., ...}, ...] or wrap the dataset in iv.io.datasets.WithSources(dataset, n=...)",
            )
        out = list(range(self.cursor, self.cursor + n))
        self.cursor += n
        return out


def read_sources(pipe: Any, value: Any, primary: Any, read: Any) -> SourceSet:
    """Check ``sources=`` (a list of keyword dicts) and read each with ``read`` (``core.call.read_sample``).
    Every source must carry the same arrays (instance ``masks`` may be absent or empty), point targets and
    label fields as the primary sample, with the same image dtype and channel count."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(s, dict) for s in value):
        type_error("sources", "a list of dicts with the same keywords as the call (image=..., bboxes=..., ...)", value, "pass sources=[{'image': other_image, ...}, ...]")
    samples = []
    for k, data in enumerate(value):
        if "sources" in data:
            value_error(f"sources[{k}]", "a sample without its own sources", sorted(data), "pass every extra sample in the one top-level sources list")
        sample, meta = read_source(pipe, data, k, read)
        _check_like(f"sources[{k}]", sample, primary)
        samples.append(sample)
    return SourceSet(samples)


def _check_like(name: str, sample: Any, primary: Any) -> None:
    arrays = {n for n in sample.arrays if n != "masks"}
    want = {n for n in primary.arrays if n != "masks"}
    if arrays != want:
        value_error(name, f"the primary sample's arrays {sorted(want)}", sorted(arrays), "give every source the same array keywords as the call")
    if sample.dtype != primary.dtype or sample.channels != primary.channels:
        value_error(name, f"images of dtype {primary.dtype} with {primary.channels} channels, like the primary image", f"dtype {sample.dtype} with {sample.channels} channels", "convert the source images to the primary image's dtype and channel count")
    for n in want:
        a, b = sample.arrays[n], primary.arrays[n]
        if a.dtype != b.dtype or a.shape[2] != b.shape[2]:
            value_error(f"{name}[{n!r}]", f"dtype {b.dtype} with {b.shape[2]} channels, like the primary {n!r}", a, f"convert {n} to the primary sample's dtype and channel count")
    if "masks" in sample.arrays and "masks" in primary.arrays and sample.arrays["masks"].dtype != primary.arrays["masks"].dtype:
        value_error(f"{name}['masks']", f"instance masks of dtype {primary.arrays['masks'].dtype}", Described(f"instance masks of dtype {sample.arrays['masks'].dtype}"), "give every sample's instance masks one dtype")
    have = {kw: sorted(k for k in t.labels if k != CHANNEL) for kw, t in sample.annotations.targets.items()}
    need = {kw: sorted(k for k in t.labels if k != CHANNEL) for kw, t in primary.annotations.targets.items()}
    if have != need:
        value_error(name, f"the primary sample's annotations and label fields {need}", have, "pass the same point targets and label keywords in every source (empty lists where a sample has none)")


# ---- reading and writing bound instances -------------------------------------------------------------------------


def mark_channels(pipe: Any, annotations: Any, n_masks: int | None) -> None:
    """At input, before the input filter: when ``masks`` has one entry per box, give each box its mask
    position (the hidden ``_channel`` label), so masks can follow their boxes. Under ``bind_instances`` the
    counts must agree and ``keypoint_instances`` must name existing boxes (or -1)."""
    boxes = annotations.targets.get("bboxes")
    if boxes is not None and n_masks is not None and n_masks == len(boxes.indices):
        boxes.labels[CHANNEL] = boxes.indices.copy()
    if not getattr(pipe, "bind_instances", False):
        return
    if boxes is not None and n_masks is not None and CHANNEL not in boxes.labels:
        value_error("masks", f"one instance mask per box ({len(boxes.indices)} boxes) under bind_instances=True", f"{n_masks} masks", "pass masks[i] for bboxes[i], or build the pipeline without bind_instances")
    polygons = annotations.targets.get("polygons")
    if polygons is not None and boxes is not None and len(polygons.indices) != len(boxes.indices):
        value_error("polygons", f"one polygon instance per box ({len(boxes.indices)} boxes) under bind_instances=True", f"{len(polygons.indices)} polygon instances", "pass polygons[i] for bboxes[i], or build the pipeline without bind_instances")
    kps = annotations.targets.get("keypoints")
    if kps is not None and INSTANCE_FIELD in kps.labels:
        ids = np.asarray(kps.labels[INSTANCE_FIELD])
        limit = len(boxes.indices) if boxes is not None else 0
        if len(ids) and (ids.dtype.kind not in "iu" or ids.min() < -1 or ids.max() >= limit):
            value_error(INSTANCE_FIELD, f"integer box indices in [-1, {limit}) (-1: no instance)", ids, "give each keypoint the index of its box in bboxes, or -1")


def write_bound(pipe: Any, sample: Any, out: dict[str, Any]) -> None:
    """At output, after the point targets were written: drop the hidden label; under ``bind_instances`` keep
    only the masks and keypoints of surviving boxes, masks in box order (``masks[j]`` belongs to
    ``bboxes[j]``), and report ``instance_indices``."""
    channels = out.pop(CHANNEL, None)
    if not getattr(pipe, "bind_instances", False) or "bboxes" not in out:
        return
    src = np.asarray(out.get("bbox_sources", np.zeros(len(out["bboxes"]), np.int64)))
    ids = np.asarray(out["bbox_indices"])
    if "polygons" in out:  # polygon i is instance i: a box whose polygon left the canvas leaves too
        psrc = np.asarray(out.get(source_label("polygons"), np.zeros(len(out["polygons"]), np.int64))).tolist()
        row = {key: j for j, key in enumerate(zip(psrc, np.asarray(out["polygon_indices"]).tolist()))}
        keep = np.array([key in row for key in zip(src.tolist(), ids.tolist())], dtype=bool)
        if not keep.all():
            for key in ("bboxes", "bbox_indices", *sample.annotations.targets["bboxes"].labels):
                if key in out:
                    v = out[key]
                    out[key] = v[keep] if isinstance(v, np.ndarray) else [x for x, k in zip(v, keep) if k]
            channels = None if channels is None else np.asarray(channels)[keep]
            src, ids = src[keep], ids[keep]
        order = np.array([row[key] for key in zip(src.tolist(), ids.tolist())], dtype=np.int64)  # polygons in box order
        for key in ("polygons", "polygon_indices", *sample.annotations.targets["polygons"].labels):
            if key in out:
                v = out[key]
                out[key] = v[order] if isinstance(v, np.ndarray) else [v[j] for j in order]
    out["instance_indices"] = ids.copy()
    if channels is not None and "masks" in out:
        masks = out["masks"]
        ch = np.asarray(channels, dtype=np.int64)
        out["masks"] = [masks[c] for c in ch] if isinstance(masks, list) else np.ascontiguousarray(masks[ch])
    if "keypoints" in out and INSTANCE_FIELD in out:
        alive = set(zip(src.tolist(), ids.tolist()))
        inst = np.asarray(out[INSTANCE_FIELD], dtype=np.int64)
        ksrc = np.asarray(out.get("keypoint_sources", np.zeros(len(inst), np.int64)))
        keep = np.array([i == -1 or (s, i) in alive for s, i in zip(ksrc.tolist(), inst.tolist())], dtype=bool)
        if not keep.all():
            for key in ("keypoints", "keypoint_indices", "keypoints_visible", "keypoint_sources", *pipe.keypoint_label_fields):
                if key in out:
                    v = out[key]
                    out[key] = v[keep] if isinstance(v, np.ndarray) else [x for x, k in zip(v, keep) if k]


# ---- helpers for multi-sample transforms ------------------------------------------------------------------------


def clone_targets(sample: Any) -> dict[str, Any]:
    """Independent copies of a sample's point targets (a source may be read by several steps)."""
    return {kw: copy.deepcopy(t) for kw, t in sample.annotations.targets.items()}


def tag_source(target: Any, keyword: str, number: int) -> None:
    """Label every item of ``target`` with the sample it came from (kept when already tagged)."""
    name = source_label(keyword)
    if name not in target.labels:
        target.labels[name] = np.full(len(target.indices), number, dtype=np.int64)


def concat_targets(parts: list[Any]) -> Any:
    """One target holding the items of ``parts`` (same type and label fields) in order."""
    first = parts[0]
    out = copy.copy(first)
    for name in first.per_item:
        setattr(out, name, np.concatenate([getattr(p, name) for p in parts], axis=0))
    out.indices = np.concatenate([p.indices for p in parts]).astype(np.int64)
    labels = {}
    for key, value in first.labels.items():
        if all(isinstance(p.labels[key], np.ndarray) for p in parts):
            labels[key] = np.concatenate([p.labels[key] for p in parts])
        else:
            labels[key] = [x for p in parts for x in list(p.labels[key])]
    out.labels = labels
    if hasattr(out, "holes"):
        out.holes = []
    return out


def check_multi_sample_settings(pipe: Any, leaves: list[Any]) -> None:
    """Settings not yet supported beside multi-sample transforms are refused when the pipeline is built
    (instead of giving wrong labels): left/right keypoint swapping and polygon-derived boxes both match
    items by their input index, which several merged samples share."""
    names = [type(t).__name__ for t in leaves if t.multi_sample]
    if not names:
        return
    if getattr(pipe, "keypoint_swap", None) is not None:
        value_error("keypoint_swap", f"no keypoint swap map beside {names[0]} (not supported with multi-sample transforms yet)", "a swap map", f"drop keypoint_swap, or apply {names[0]} in a pipeline of its own before the mirroring one")
    if getattr(pipe, "bbox_from", "corners") == "polygon":
        value_error("bbox_from", f"'corners' or 'mask' beside {names[0]} ('polygon' is not supported with multi-sample transforms yet)", "polygon", "pass bbox_from='mask' with one instance mask per box")


def read_source(pipe: Any, data: dict[str, Any], k: int, read: Any) -> Any:
    """One extra sample read like the call; an error names it (``sources[k]``) instead of the call's keyword."""
    try:
        return read(pipe, data)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"sources[{k}]: {exc}") from exc


def check_order(leaves: list[Any]) -> None:
    """Multi-sample transforms combine pixels while planning, so none may follow another kind of transform
    in the pipeline (checked when the pipeline is built, and again when a call is planned)."""
    before = None
    for leaf in leaves:
        if not leaf.multi_sample:
            before = before or leaf
        elif before is not None:
            value_error(
                "transforms",
                "multi-sample transforms (Mosaic, CopyPaste) before every other transform",
                f"{type(leaf).__name__} after {type(before).__name__}",
                f"move {type(leaf).__name__} to the start of the pipeline (other multi-sample transforms may precede it)",
            )

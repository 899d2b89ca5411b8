"""Lookup-table fusion: a run of consecutive pointwise uint8 steps executes as ONE table pass.

A transform opts in with ``lut_fusable = True`` and a method
``lookup_table(params, dtype, channels, stats) -> (256, C) uint8 table | None`` (None: not pointwise for
these parameters, e.g. ColorJitter that drew a saturation change). ``stats`` is an
``ops.color.ImageStats`` for the image as it is *at that step*: statistics a step needs (contrast's mean,
equalize's histogram, autocontrast's min/max) come from the original image's per-channel histogram pushed
through the earlier tables, never from another pass over the pixels. A step declaring ``lut_ends_run``
(``Normalize``: a uint8 -> float32 table) may only end a run, on 1-channel images; on 2+ channels it declines (its own convert + multiply-add kernel
is faster than OpenCV's per-channel float LUT), so the run's uint8 output goes through that kernel.

Exactness: the op-by-op path of every opted-in transform computes the same table from the histogram of
its actual input and applies it with the same kernel, and histogram counts move exactly through a table,
so the fused output equals the op-by-op output bit for bit.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..ops.color import ImageStats, apply_table, compose_tables
from .sample import Sample, as_stack

_U8 = np.dtype(np.uint8)
_SHARED = (256, 1)
_IMAGE = ("image",)


def capable(t: Any) -> bool:
    """Can this transform take part in a table run (statically; its params may still say no)?"""
    return t.lut_fusable


def table_for(t: Any, params: dict[str, Any], channels: int, stats: ImageStats) -> np.ndarray | None:
    """The (256, C) or shared (256, 1) table of one step for a uint8 image, or None when not pointwise."""
    table = t.lookup_table(params, _U8, channels, stats)
    if table is None:
        return None
    if type(table) is np.ndarray and table.shape == _SHARED:  # (what most steps return: nothing to reshape)
        return table
    return np.asarray(table).reshape(256, -1)  # (256, 1): shared by every channel


def compose(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The table of ``second`` after ``first`` ((256, C) or shared (256, 1); ``first`` must be uint8)."""
    return compose_tables(first, second)


def build_run(steps: list, start: int, end: int, image: np.ndarray) -> tuple[np.ndarray | None, int]:
    """Compose the tables of ``steps[start:end]`` for ``image``; stop early at a step that is not pointwise
    for its parameters or after a float-valued table. Returns (table, index after the last step used)."""
    channels = image.shape[2]
    stats = ImageStats(image)
    composed: np.ndarray | None = None
    k = start
    while k < end:
        step = steps[k]
        table = table_for(step.transform, step.params, channels, stats)
        if table is None:
            break
        composed = np.ascontiguousarray(table) if composed is None else compose_tables(composed, table)
        k += 1
        dtype = composed.dtype
        if dtype is not _U8 and dtype != _U8:
            break
        if k < end:  # the statistics the next step reads
            stats = stats.through(table)
    return composed, k


def execute_run(steps: list, i: int, sample: Sample, limit: int | None = None) -> int:
    """Execute ``steps[i:j]`` (``j <= limit``) as one table pass per image when at least two consecutive
    steps are pointwise uint8 tables; returns ``j``, or ``i`` when nothing was fused (caller goes op by op). When
    the parameters cut the run to its first step, that step's table (already built, statistics
    included) is applied as is: op by op would only compute the same table again."""
    n = len(steps) if limit is None else limit
    if i + 1 >= n:
        return i
    first = steps[i].transform
    if not (first.lut_fusable and steps[i + 1].transform.lut_fusable) or first.lut_ends_run:  # (``capable``, inline)
        return i  # cheap exit first: a run needs two table-capable steps (one that ends runs cannot start one)
    arrays, kinds = sample.arrays, sample.kinds
    if len(kinds) == 1 and kinds.get("image") == "image":  # the everyday call (``sample.names_of``, without building the list)
        names: Sequence[str] = _IMAGE
    else:
        names = [name for name, kind in kinds.items() if kind == "image"]
        if not names:
            return i
    for name in names:
        dtype = getattr(arrays[name], "dtype", None)
        if dtype is not _U8 and dtype != _U8:
            return i
    end = i
    while end < n:
        t = steps[end].transform
        if not t.lut_fusable or t.spatial:
            break
        if t.lut_ends_run:  # ends a run only where it has a table (1 channel), else it runs its own kernel
            params = steps[end].params
            for a in names:
                if t.lookup_table(params, _U8, arrays[a].shape[2], None) is None:
                    break
            else:
                end += 1
            break
        end += 1
    if end - i < 2:
        return i
    if len(names) == 1 and len(kinds) == 1:  # one image and nothing else (the everyday call): no per-name dicts
        name = names[0]
        table, stop = build_run(steps, i, end, arrays[name])
        if stop == i:
            return i
        arrays[name] = apply_table(arrays[name], table)  # type: ignore[arg-type]
        return stop
    built = {name: build_run(steps, i, end, sample.arrays[name]) for name in names}
    stop = min(k for _, k in built.values())
    if stop == i:
        return i  # (a run of one step still applies its table: the one op by op would compute again)
    tables = {n: (table if k == stop else build_run(steps, i, stop, sample.arrays[n])[0]) for n, (table, k) in built.items()}
    for name in names:
        sample.arrays[name] = apply_table(sample.arrays[name], tables[name])  # type: ignore[arg-type]
    for name, kind in sample.kinds.items():
        if kind == "image":
            continue
        for step in steps[i:stop]:
            t, params, array = step.transform, step.params, as_stack(sample.arrays[name])
            sample.arrays[name] = t.apply_mask(array, params) if kind == "mask" else t.apply_depth(array, params)
    return stop

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

from typing import Any

import numpy as np

from ..ops.color import ImageStats, apply_table, compose_tables
from .sample import Sample, as_stack

_U8 = np.dtype(np.uint8)


def capable(t: Any) -> bool:
    """Can this transform take part in a table run (statically; its params may still say no)?"""
    return t.lut_fusable


def table_for(t: Any, params: dict[str, Any], channels: int, stats: ImageStats) -> np.ndarray | None:
    """The (256, C) or shared (256, 1) table of one step for a uint8 image, or None when not pointwise."""
    table = t.lookup_table(params, _U8, channels, stats)
    if table is None:
        return None
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
        t, params = step.transform, step.params
        table = table_for(t, params, channels, stats)
        if table is None:
            break
        composed = np.ascontiguousarray(table) if composed is None else compose(composed, table)
        k += 1
        if composed.dtype != np.uint8:
            break
        stats = stats.through(table)
    return composed, k


def execute_run(steps: list, i: int, sample: Sample, limit: int | None = None) -> int:
    """Execute ``steps[i:j]`` (``j <= limit``) as one table pass per image when at least two consecutive
    steps are pointwise uint8 tables; returns ``j``, or ``i`` when nothing was fused (caller goes op by op). When
    the parameters cut the run to its first step, that step's table (already built, statistics
    included) is applied as is: op by op would only compute the same table again."""
    n = len(steps) if limit is None else limit
    if i + 1 >= n or not capable(steps[i].transform) or not capable(steps[i + 1].transform) or steps[i].transform.lut_ends_run:
        return i  # cheap exit first: a run needs two table-capable steps (one that ends runs cannot start one)
    names = sample.names_of("image")
    if not names or any(getattr(sample.arrays[n], "dtype", None) != np.uint8 for n in names):
        return i
    end = i
    while end < n and capable(steps[end].transform) and not steps[end].transform.spatial:
        t = steps[end].transform
        if t.lut_ends_run:  # ends a run only where it has a table (1 channel), else it runs its own kernel
            if all(t.lookup_table(steps[end].params, _U8, sample.arrays[a].shape[2], None) is not None for a in names):
                end += 1
            break
        end += 1
    if end - i < 2:
        return i
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

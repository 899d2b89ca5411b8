"""Planning one leaf, and executing a plan with fusion of consecutive spatial transforms.

Fusion rule: consecutive spatial steps compose into one matrix and one resampling when they agree
on interpolation (steps that are pure index remaps, like flips and integer crops, agree with
anything) and no step after the first reveals pixels outside its own input canvas (such a step
needs its border rule applied to the intermediate image, so the run is split there). Boxes and
keypoints were already moved during planning, step by step, so fusion never changes them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops import geometric as geo
from .sample import Sample
from .transform import Params, Transform

_TOL = 1e-6


def plan_leaf(
    t: Transform,
    rng: np.random.Generator | None,
    sample: Sample,
    plan: list,
    force: bool = False,
    params: Params | None = None,
) -> None:
    """Sample (unless replaying ``params``), move annotations, update the canvas, append to ``plan``."""
    if params is None:
        if not force and t.p < 1.0 and rng.random() >= t.p:  # type: ignore[union-attr]
            return
        t.check_input(sample)
        params = t.sample_params(rng, sample)  # type: ignore[arg-type]
    in_shape = sample.shape
    if t.spatial:
        params = t.prepare(params, in_shape)  # type: ignore[attr-defined]
    t.apply_annotations(sample.annotations, params, in_shape)
    sample.shape = t.output_shape(params, in_shape)
    sample.channels = t.output_channels(params, sample.channels)
    sample.dtype = t.output_dtype(sample.dtype)
    if t.spatial:
        filter_annotations(sample)
    plan.append((t, params, in_shape))


def filter_annotations(sample: Sample) -> None:
    """Clip boxes to the canvas and drop (with their labels) those failing the pipeline's rules;
    drop keypoints that left the canvas when the pipeline asks for it."""
    ann, rules = sample.annotations, sample.rules
    height, width = sample.shape
    if len(ann.boxes):
        b = ann.boxes
        b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0, width)
        b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0, height)
        w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
        keep = (w > 0) & (h > 0) & (w >= rules.min_width) & (h >= rules.min_height) & (w * h >= rules.min_area)
        if rules.min_visibility > 0:
            keep &= ann.visibility() >= rules.min_visibility
        ann.keep_boxes(keep)
    if len(ann.keypoints) and rules.remove_invisible_keypoints:
        x, y = ann.keypoints[:, 0], ann.keypoints[:, 1]
        ann.keep_keypoints((x >= 0) & (x < width) & (y >= 0) & (y < height))


def _apply(t: Transform, params: Params, sample: Sample) -> None:
    for name, array in sample.arrays.items():
        kind = sample.kinds[name]
        if kind == "image":
            sample.arrays[name] = t.apply_image(array, params)
        elif kind == "mask":
            sample.arrays[name] = t.apply_mask(array, params)
        else:
            sample.arrays[name] = t.apply_depth(array, params)


def _reveals(matrix: np.ndarray, in_shape: tuple[int, int], out_shape: tuple[int, int]) -> bool:
    """Does the output canvas map back outside the input canvas (so border filling matters)?"""
    h, w = out_shape
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
    try:
        back = geo.apply_to_points(np.linalg.inv(matrix), corners)
    except np.linalg.LinAlgError:
        return True
    H, W = in_shape
    return bool((back[:, 0] < -_TOL).any() or (back[:, 1] < -_TOL).any() or (back[:, 0] > W + _TOL).any() or (back[:, 1] > H + _TOL).any())


def _fusable(entry: Any) -> bool:
    t, params, _ = entry
    return t.spatial and "_matrix" in params and getattr(t, "fusable", True)


def _interp_of(entry: Any) -> str | None:
    t, params, _ = entry
    return None if geo.is_exact(params["_matrix"]) else t.interpolation


def execute(plan: list, sample: Sample, fuse: bool = True) -> None:
    """Apply a plan to every array of the sample, fusing spatial runs when ``fuse``."""
    i, n = 0, len(plan)
    while i < n:
        entry = plan[i]
        if not (fuse and _fusable(entry)):
            _apply(entry[0], entry[1], sample)
            i += 1
            continue
        interp = _interp_of(entry)
        matrix, out_shape = entry[1]["_matrix"], entry[1]["_out_shape"]
        j = i + 1
        while j < n and _fusable(plan[j]):
            t_j, params_j, in_shape_j = plan[j]
            interp_j = _interp_of(plan[j])
            if interp is not None and interp_j is not None and interp_j != interp:
                break
            if _reveals(params_j["_matrix"], in_shape_j, params_j["_out_shape"]):
                break
            interp = interp or interp_j
            matrix = params_j["_matrix"] @ matrix
            out_shape = params_j["_out_shape"]
            j += 1
        if j == i + 1:
            _apply(entry[0], entry[1], sample)
        else:
            first = entry[0]
            fused = {"_matrix": matrix, "_out_shape": out_shape}
            for name, array in sample.arrays.items():
                kind = sample.kinds[name]
                if kind == "image":
                    sample.arrays[name] = geo.warp(array, matrix, out_shape, interp or "nearest", first.border_mode, first.fill)
                elif kind == "mask":
                    sample.arrays[name] = first.apply_mask(array, fused)
                else:
                    sample.arrays[name] = first.apply_depth(array, fused)
        i = j

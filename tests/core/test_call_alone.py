"""The lean call: ``pipe(image=...)`` of a one-transform pipeline runs planning and execution in one go
(``core.compose._call_alone``, ``core.planner.alone_kind``). It must be exactly the planned path
(``pipe.execute(pipe.plan(image=...))``: ``plan_leaf`` and the numpy executor): same pixels, same random
draws, same aliasing, for every registered transform, dtype and layout."""

from __future__ import annotations

import numpy as np
import pytest

import invariant as iv
from invariant.core.planner import PIXEL, WINDOWED, alone_kind

from ..conftest import photo
from ..test_contract import LEAVES, build
from invariant.core.transform import REGISTRY


def _single_image_cases():
    for name in LEAVES:
        cls = REGISTRY[name]
        if build(name).sources_needed():  # takes other samples: never an image-only call
            continue
        for dtype in cls.dtypes:
            for channels in (1, 3):
                if cls.channels is not None and channels not in cls.channels:
                    continue
                yield pytest.param(name, dtype, channels, id=f"{name}-{dtype}-{channels}c")


def _same(a, b) -> bool:
    if hasattr(a, "numpy"):
        a, b = a.numpy(), b.numpy()
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


@pytest.mark.parametrize("name,dtype,channels", list(_single_image_cases()))
def test_one_transform_call_is_the_planned_path(name: str, dtype: str, channels: int) -> None:
    image = photo(dtype, channels)
    if channels == 1:
        image = np.ascontiguousarray(image[:, :, 0])  # (H, W): the output keeps the caller's layout
    lean, planned, recorded = (iv.Compose([build(name)], seed=3) for _ in range(3))
    for _ in range(3):  # successive calls: the generators must stay in step
        out = lean(image=image)["image"]
        ref = planned.execute(planned.plan(image=image))["image"]
        rec = recorded(image=image, return_params=True)["image"]  # return_params takes the general path
        assert _same(out, ref) and _same(out, rec), name
        assert lean._rng.bit_generator.state == planned._rng.bit_generator.state, f"{name} drew differently"
        if isinstance(out, np.ndarray):
            assert out.flags.c_contiguous == ref.flags.c_contiguous
            assert np.shares_memory(out, image) == np.shares_memory(ref, image), name


@pytest.mark.parametrize("p", [0.0, 0.5])
def test_probability_draws_match_the_planned_path(p: float) -> None:
    image = photo("uint8", 3)
    for t in (iv.HorizontalFlip(p=p), iv.RandomCrop(20, p=p), iv.Invert(p=p), iv.RandomResizedCrop(24, p=p)):
        lean, planned = iv.Compose([t], seed=5), iv.Compose([t], seed=5)
        for _ in range(8):
            out = lean(image=image)["image"]
            ref = planned.execute(planned.plan(image=image))["image"]
            assert _same(out, ref)
            assert np.shares_memory(out, image) == np.shares_memory(ref, image)


def test_lean_kinds() -> None:
    """Which transforms run alone in one go: spatial steps resampled from their geometry, pixel steps that
    plan nothing; not those reading targets, selecting items or taking other samples."""
    assert alone_kind(iv.HorizontalFlip()) == WINDOWED and alone_kind(iv.RandomResizedCrop(8)) == WINDOWED
    assert alone_kind(iv.Invert()) == PIXEL and alone_kind(iv.Normalize()) == PIXEL
    assert alone_kind(iv.BBoxSafeRandomCrop()) == 0  # reads the boxes
    assert alone_kind(iv.CoarseDropout()) == 0  # occludes: boxes are re-filtered after it
    assert alone_kind(iv.Mosaic()) == 0  # takes other samples


def test_bad_inputs_raise_as_before() -> None:
    """The lean call checks the image inline but leaves every refusal to ``read_sample``."""
    pipe = iv.Compose([iv.HorizontalFlip(p=1)])
    for bad, error in (
        (np.zeros((3, 64, 64), np.uint8), "channel-first"),
        (np.zeros((8, 8, 3), np.float64), "dtype"),
        (np.full((8, 8, 3), np.nan, np.float32), "finite"),
        (np.zeros((0, 8, 3), np.uint8), "non-empty"),
        ([[1, 2], [3, 4]], "numpy array"),
    ):
        with pytest.raises((TypeError, ValueError), match=error):
            pipe(image=bad)
    with pytest.raises(TypeError, match="rng"):
        pipe(image=np.zeros((8, 8, 3), np.uint8), rng=3)


def _containers():
    """Every container alone in a pipeline (a container plans its own leaves, so it never runs in one go)."""
    return [
        iv.OneOf([iv.HorizontalFlip(p=1), iv.VerticalFlip(p=1)]),
        iv.SomeOf([iv.HorizontalFlip(p=1), iv.Invert(p=1), iv.Rotate(30, p=1)], n=2),
        iv.Sequential([iv.Invert(p=1), iv.HorizontalFlip(p=1)]),
        iv.RandAugment(num_ops=2, magnitude=15),
        iv.RandAugment(num_ops=1, magnitude=20, ops=("ShearX",)),
        iv.TrivialAugmentWide(),
        iv.AutoAugment(),
    ]


@pytest.mark.parametrize("index", range(7))
def test_a_container_alone_is_the_planned_path(index: int) -> None:
    image = photo("uint8", 3)
    lean, planned = iv.Compose([_containers()[index]], seed=11), iv.Compose([_containers()[index]], seed=11)
    changed = 0
    for _ in range(6):
        out = lean(image=image)["image"]
        ref = planned.execute(planned.plan(image=image))["image"]
        assert _same(out, ref)
        changed += not np.array_equal(out, image)
    assert changed >= 5  # every one of these changes the image on (nearly) every call


def test_a_container_alone_runs_its_leaves() -> None:
    """Independent of the planner: the only leaf of a OneOf / Sequential is applied (numpy references)."""
    image = photo("uint8", 3)
    assert np.array_equal(iv.Compose([iv.OneOf([iv.HorizontalFlip(p=1)])])(image=image)["image"], image[:, ::-1])
    assert np.array_equal(iv.Compose([iv.Sequential([iv.Invert(p=1), iv.VerticalFlip(p=1)])])(image=image)["image"], (255 - image)[::-1])

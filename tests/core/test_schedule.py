"""Curriculum schedules: endpoints, p and RandAugment's M scheduled, the guide's example in a few lines,
driven by the dataset adapter's epoch without rebuilding the pipeline."""

from __future__ import annotations

import math

import numpy as np
import pytest

import invariant as iv
from invariant.core.schedule import Schedule


@pytest.mark.parametrize("schedule,start,end", [(iv.Linear(0.1, 0.4), 0.1, 0.4), (iv.Cosine(0.1, 0.4), 0.1, 0.4), (iv.Linear(5, 15), 5, 15), (iv.Linear((0.5, 1.0), (0.08, 1.0)), (0.5, 1.0), (0.08, 1.0))])
def test_schedules_hit_their_endpoints(schedule: Schedule, start, end) -> None:
    assert schedule(0.0) == pytest.approx(start) and schedule(1.0) == pytest.approx(end)
    assert schedule(-1.0) == pytest.approx(start) and schedule(2.0) == pytest.approx(end)  # clamped


def test_midpoints_by_hand() -> None:
    assert iv.Linear(0.1, 0.4)(0.5) == pytest.approx(0.25)
    assert iv.Cosine(0.0, 1.0)(0.25) == pytest.approx(0.5 - 0.5 * math.cos(math.pi / 4))
    assert iv.Linear(5, 15)(0.42) == 9  # ints stay ints (rounded): 5 + 4.2
    step = iv.Step([0.3], [0.0, 0.4])
    assert (step(0.0), step(0.29), step(0.3), step(1.0)) == (0.0, 0.0, 0.4, 0.4)
    assert iv.Custom(lambda t: t**2)(0.5) == 0.25


def _guide_curriculum() -> iv.Compose:
    """The guide's curriculum (brightness 0.1 -> 0.4; CoarseDropout only after 30% of training), as data."""
    return iv.Compose([
        iv.RandomResizedCrop(64, scale=iv.Linear((0.5, 1.0), (0.1, 1.0))),
        iv.HorizontalFlip(p=0.5),
        iv.ColorJitter(brightness=iv.Linear(0.1, 0.4), contrast=iv.Linear(0.1, 0.4), p=0.8),
        iv.CoarseDropout(num_holes_range=(1, 8), p=iv.Step([0.3], [0.0, 0.4])),
    ], seed=0)


def test_guide_curriculum_moves_without_rebuilding() -> None:
    pipe = _guide_curriculum()
    jitter, dropout = pipe.transforms[2], pipe.transforms[3]
    assert jitter.brightness == pytest.approx((0.9, 1.1)) and dropout.p == 0.0
    pipe.set_progress(0.5)
    assert pipe.transforms[2] is jitter  # same objects, re-initialised in place
    assert jitter.brightness == pytest.approx((0.75, 1.25)) and dropout.p == 0.4
    pipe.set_progress(1.0)
    assert jitter.brightness == pytest.approx((0.6, 1.4)) and pipe.transforms[0].scale == pytest.approx((0.1, 1.0))
    # the schedule itself survives serialization
    again = iv.from_dict(iv.to_dict(pipe))
    again.set_progress(0.0)
    assert again.transforms[2].brightness == pytest.approx((0.9, 1.1)) and again.transforms[3].p == 0.0


def test_dataset_adapter_drives_the_curriculum_per_epoch() -> None:
    pytest.importorskip("torch")
    skimage = pytest.importorskip("skimage")
    pipe = _guide_curriculum()
    ds = iv.AugmentedDataset([skimage.data.astronaut()[::4, ::4].copy()] * 4, pipe, seed=1, epochs=11)
    ds.set_epoch(0)
    ds[0]
    assert pipe.transforms[3].p == 0.0
    ds.set_epoch(3)  # progress 0.3
    ds[0]
    assert pipe.transforms[3].p == 0.4 and pipe.transforms[2].brightness == pytest.approx((0.81, 1.19))
    ds.set_epoch(10)
    assert ds[1].shape == (64, 64, 3)
    assert pipe.transforms[2].brightness == pytest.approx((0.6, 1.4))


def test_randaugment_magnitude_and_p_can_be_scheduled() -> None:
    ra = iv.RandAugment(num_ops=2, magnitude=iv.Linear(5, 15), p=iv.Linear(0.5, 1.0))
    pipe = iv.Compose([ra], seed=0)
    ops = list(ra.transforms)
    assert ra.magnitude == 5 and all(op.magnitude == 5 for op in ops) and ra.p == 0.5
    pipe.set_progress(1.0)
    assert ra.magnitude == 15 and ra.p == 1.0
    assert all(a is b and a.magnitude == 15 for a, b in zip(ops, ra.transforms))  # ops updated in place
    img = np.zeros((32, 32, 3), np.uint8) + 100
    out = pipe(image=img, return_params=True)  # recording still finds the leaves
    np.testing.assert_array_equal(pipe.replay(out["params"], image=img)["image"], out["image"])
    rotate = next(op for op in ops if op.op == "Rotate")
    assert abs(rotate.sample_params(np.random.default_rng(0), _Shape())["value"]) == pytest.approx(15.0)  # 30 * 15/30


class _Shape:
    shape = (32, 32)


def test_scheduling_a_compose_argument_keeps_its_random_stream():
    """Regression: set_progress re-ran Compose.__init__ for a scheduled Compose argument, which restarted
    the generator from ``seed``, so every epoch drew the same augmentations."""
    img = np.zeros((20, 30, 3), np.uint8)
    pipe = iv.Compose([iv.Rotate(limit=45, p=1)], min_visibility=iv.Linear(0.0, 0.5), seed=3)
    angles = []
    for _ in range(3):
        pipe.set_progress(0.5)
        angles.append(pipe(image=img, return_params=True)["params"][0]["params"]["angle"])
    assert pipe.min_visibility == 0.25
    assert len(set(angles)) == 3

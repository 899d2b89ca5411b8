"""The typed plan (``Compose.plan``), the pure fusion analysis, and executors found through registries:
a second executor with its own kernels, registered from this file (outside ``core``), runs the same plans."""

from __future__ import annotations

import json

import numpy as np

import invariant as iv
from invariant.core.executor import Executor, NumpyExecutor, register_executor, register_kernel
from invariant.core.plan import Geometry, Plan, SingleStep, SpatialRun, Step, TableRun, analyse

from ..conftest import photo


def test_plan_is_typed_and_its_params_are_only_the_draws() -> None:
    pipe = iv.Compose([iv.RandomResizedCrop(24), iv.HorizontalFlip(p=1), iv.RandomBrightnessContrast(p=1)], seed=3)
    plan = pipe.plan(image=photo())
    assert isinstance(plan, Plan) and [type(s.transform).__name__ for s in plan] == ["RandomResizedCrop", "HorizontalFlip", "RandomBrightnessContrast"]
    for step in plan:
        assert isinstance(step, Step) and not any(k.startswith("_") for k in step.params)
        json.dumps(step.params)  # plain data: serialisable
    rrc, flip, rbc = plan.steps
    assert set(rrc.params) == {"x", "y", "w", "h"} and flip.params == {}
    assert isinstance(rrc.geometry, Geometry) and rrc.geometry.out_shape == (24, 24) and rrc.in_shape == (48, 64)
    np.testing.assert_array_equal(flip.geometry.matrix, [[-1, 0, 24], [0, 1, 0], [0, 0, 1]])
    assert rbc.geometry is None
    # executing the plan is the call: same bits as pipe(...) with the same seed
    out = pipe.execute(plan)
    np.testing.assert_array_equal(out["image"], iv.Compose(pipe.transforms, seed=3)(image=photo())["image"])


def test_fusion_analysis_is_pure_and_typed() -> None:
    """Runs come from declarations and geometries alone: no array is touched (the sample has none)."""
    pipe = iv.Compose(
        [iv.Rotate(20, p=1), iv.RandomCrop(30), iv.HorizontalFlip(p=1), iv.RandomBrightnessContrast(p=1), iv.RandomGamma(p=1), iv.GaussianBlur(p=1)],
        seed=0,
    )
    plan = pipe.plan(image=photo())
    plan.sample.arrays.clear()
    runs = analyse(plan.steps)
    assert [type(r) for r in runs] == [SpatialRun, TableRun, SingleStep]
    assert (runs[0].start, runs[0].end, runs[0].border_at, runs[0].window) == (0, 3, 0, None)
    assert runs[1:] == [TableRun(3, 5), SingleStep(5)]
    expected = plan.steps[2].geometry.matrix @ plan.steps[1].geometry.matrix @ plan.steps[0].geometry.matrix
    np.testing.assert_allclose(runs[0].composite, expected)
    assert [type(r) for r in analyse(plan.steps, fuse=False)] == [SingleStep] * 6
    # a reflect border after a revealing rotation cannot join: the run splits there
    split = iv.Compose([iv.Rotate(20, p=1), iv.Rotate(10, border_mode="reflect", p=1)], seed=0).plan(image=photo())
    assert [type(r) for r in split.runs()] == [SingleStep, SingleStep]


class NearestExecutor(Executor):
    """A tiny second executor: every step on its own; spatial matrix steps by its own nearest-neighbour
    kernel (numpy fancy indexing, independent of OpenCV), registered under backend "test-nearest"."""

    name = "test-nearest"

    def __init__(self) -> None:
        from invariant.core.executor import kernel

        self.warp = kernel("warp_image", "test-nearest")
        self.fallback = NumpyExecutor()

    def run(self, plan: Plan) -> None:
        for step in plan.steps:
            g = step.geometry
            if g is not None and g.matrix is not None:
                for name, array in plan.sample.arrays.items():
                    plan.sample.arrays[name] = self.warp(array, g.matrix, g.out_shape)
            else:
                self.fallback.step(step, plan.sample)


@register_kernel("warp_image", "test-nearest")
def _nearest_warp(array: np.ndarray, matrix: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
    """Output pixel centre (x + 0.5, y + 0.5) maps back through inverse(matrix) to the source pixel it lands in."""
    h, w = out_shape
    ys, xs = np.mgrid[0:h, 0:w] + 0.5
    back = np.linalg.inv(matrix) @ np.stack([xs.ravel(), ys.ravel(), np.ones(h * w)])
    sx, sy = np.floor(back[0] / back[2]).astype(int), np.floor(back[1] / back[2]).astype(int)
    assert ((sx >= 0) & (sx < array.shape[1]) & (sy >= 0) & (sy < array.shape[0])).all(), "test plans stay inside"
    return np.ascontiguousarray(array[sy, sx].reshape(h, w, -1))


register_executor("test-nearest", NearestExecutor())


def test_a_second_executor_registered_outside_core_runs_the_same_plans() -> None:
    """Exact index remaps (crops, flips, quarter turns, transposes) give the same bits in both executors;
    pixel steps run through the transforms' own kernels; boxes were moved at planning, so they agree too."""
    transforms = [iv.RandomCrop(40), iv.HorizontalFlip(p=1), iv.RandomRotate90(p=1), iv.Transpose(p=1), iv.Invert(p=1), iv.VerticalFlip(p=1)]
    boxes = np.array([[20.0, 10, 50, 30], [5, 5, 15, 15]])
    for seed in range(6):
        pipe = iv.Compose(transforms, seed=seed)
        ours = pipe.execute(pipe.plan(image=photo(), mask=photo("uint8", 1), bboxes=boxes, labels=[1, 2]), executor="test-nearest")
        pipe.reseed(seed)
        reference = pipe(image=photo(), mask=photo("uint8", 1), bboxes=boxes, labels=[1, 2])
        for key in ("image", "mask", "bboxes", "labels"):
            np.testing.assert_array_equal(ours[key], reference[key])


def test_recorded_params_replay_through_a_plan() -> None:
    pipe = iv.Compose([iv.Affine(rotate=(-30, 30), p=1), iv.RandomResizedCrop(24), iv.HorizontalFlip()], seed=1)
    out = pipe(image=photo(), return_params=True)
    plan = pipe.replay_plan(out["params"], image=photo())
    assert [s.params for s in plan] == [e["params"] for e in out["params"]]
    np.testing.assert_array_equal(pipe.execute(plan)["image"], out["image"])

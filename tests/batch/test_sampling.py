"""Vectorised batch planning (``batch.sampling``) against the per-sample planner: every sample's steps,
parameters (values and Python types) and canvas equal ``pipe.plan(rng=derive_rng(seed, epoch, index))``."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

import invariant as iv  # noqa: E402
from invariant.batch.sampling import batch_plannable, plan_batch, samples_batched  # noqa: E402
from invariant.core.batch_rng import BatchPCG64  # noqa: E402
from invariant.core.call import read_sample  # noqa: E402
from invariant.core.rng import derive_rng  # noqa: E402

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)

PIPELINES = {
    "flip": lambda: [iv.HorizontalFlip(p=0.5), iv.VerticalFlip(p=0.3), iv.CenterCrop(40)],
    "rrc": lambda: [iv.RandomResizedCrop(32)],
    # a narrow scale range with an extreme ratio range makes many tries fail (and some streams fall back)
    "rrc_rejections": lambda: [iv.RandomResizedCrop(16, scale=(0.9, 1.0), ratio=(0.05, 20.0))],
    "affine": lambda: [iv.Affine(rotate=(-30, 30), scale=(0.8, 1.2), translate_percent=(-0.1, 0.1), shear=(-10, 10), p=0.7), iv.CenterCrop(40)],
    "affine_xy": lambda: [iv.Affine(scale={"x": (0.7, 1.1), "y": (0.9, 1.3)}, shear={"x": (-5, 5), "y": (-3, 3)}, p=1)],
    "fit_output_then_rrc": lambda: [iv.Affine(rotate=(-40, 40), fit_output=True, p=0.6), iv.RandomResizedCrop(24)],
    "colour": lambda: [iv.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8), iv.ToGray(p=0.2), iv.GaussianBlur(kernel_size=23, sigma=(0.1, 2.0), p=0.5)],
    # a fixed kernel size calls rng.integers(0, 1), which draws nothing: checked by the leaves after it
    "blur_then_more": lambda: [iv.GaussianBlur(kernel_size=5, sigma=(0.1, 2.0), p=0.7), iv.RandomGamma(p=0.5), iv.RandomResizedCrop(24)],
    "blur_from_sigma": lambda: [iv.GaussianBlur(kernel_size=0, sigma=(0.3, 3.0), p=0.9), iv.ColorJitter(brightness=0.3, contrast=0.2)],
    "pointwise": lambda: [iv.RandomBrightnessContrast(p=0.7), iv.RandomGamma(p=0.6), iv.Solarize(threshold=(0.3, 0.9), p=0.4), iv.HueSaturationValue(p=0.5)],
    "rotate_crop": lambda: [iv.Rotate(limit=(-25, 25), p=0.6), iv.RandomCrop(40, padding=4), iv.RandomCrop(52, pad_if_needed=True, p=0.5)],
    # per-sample canvases: each sampler reads its own sample's shape (streams grouped by canvas)
    "scales": lambda: [iv.RandomScale(scale_limit=(-0.3, 0.2), p=0.7), iv.LongestMaxSize(max_size=(30, 40, 50), p=0.8), iv.SmallestMaxSize(max_size=24), iv.RandomCrop(20)],
    # rng.integers: Lemire draws on buffered 32-bit halves, mixed with doubles
    "integers": lambda: [iv.GaussianBlur(kernel_size=(3, 7), p=0.7), iv.Posterize(bits=(2, 7), p=0.6), iv.RandomRotate90(p=0.5), iv.RandomGamma(p=0.5), iv.Affine(translate_px=(-5, 9), rotate=(-10, 10), p=0.8), iv.ShiftScaleRotate(p=0.5), iv.GaussianBlur(kernel_size=(3, 11), p=1)],
    "simclr": lambda: [iv.RandomResizedCrop(32), iv.HorizontalFlip(p=0.5), iv.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8), iv.ToGray(p=0.2), iv.GaussianBlur(kernel_size=23, sigma=(0.1, 2.0), p=0.5), iv.Normalize(MEAN, STD)],
}


def _placeholder(shape: tuple[int, int, int], dtype: type = np.uint8) -> np.ndarray:
    return np.broadcast_to(np.zeros((1, 1, shape[2]), dtype), shape)


@pytest.mark.parametrize("name", sorted(PIPELINES))
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_batch_plans_equal_per_sample_plans(name: str, dtype: type) -> None:
    pipe = iv.Compose(PIPELINES[name](), seed=0)
    assert batch_plannable(pipe)
    image = _placeholder((48, 64, 3), dtype)
    for seed, epoch in ((0, 0), (2**40 + 3, 5)):
        indices = list(range(0, 600, 3)) + [2**33 + 1]
        template, meta = read_sample(pipe, {"image": image})
        bits = BatchPCG64.derive(seed, epoch, indices)
        plans = plan_batch(pipe, bits, template, meta)
        assert plans is not None
        for k, (plan, index) in enumerate(zip(plans, indices)):
            rng = derive_rng(seed, epoch, index)
            ref = pipe.plan(rng=rng, image=image)
            # every stream consumed exactly what the per-sample planner drew (even after the last leaf)
            assert rng.bit_generator.state == bits.generator(k).bit_generator.state
            assert [type(s.transform).__name__ for s in plan.steps] == [type(s.transform).__name__ for s in ref.steps]
            for ours, theirs in zip(plan.steps, ref.steps):
                assert ours.params == theirs.params
                assert {k: type(v) for k, v in ours.params.items()} == {k: type(v) for k, v in theirs.params.items()}
                assert ours.in_shape == theirs.in_shape
                if theirs.geometry is not None:
                    np.testing.assert_array_equal(ours.geometry.matrix, theirs.geometry.matrix)
            assert (plan.sample.shape, plan.sample.channels, plan.sample.dtype) == (ref.sample.shape, ref.sample.channels, ref.sample.dtype)


def test_rejection_path_is_exercised() -> None:
    """The rrc_rejections pipeline really has streams that retry and streams that fall back."""
    t = iv.RandomResizedCrop(16, scale=(0.9, 1.0), ratio=(0.05, 20.0))
    # count draws per stream: 4 (accepted at once), 2k + 2 (accepted at try k) or 20 (fallback)
    counts = set()
    for index in range(300):
        g, ref = derive_rng(0, 0, index), derive_rng(0, 0, index)
        t.sample_params(g, type("S", (), {"shape": (48, 64)})())
        n = 0
        while ref.bit_generator.state != g.bit_generator.state and n < 30:
            ref.random()
            n += 1
        counts.add(n)
    assert 4 in counts and 20 in counts and len(counts) >= 4


def test_unsupported_pipelines_fall_back() -> None:
    class Redrawn(iv.Rotate):  # overrides sample_params without a sample_batch of its own
        _abstract = True  # not registered as a transform

        def sample_params(self, rng: np.random.Generator, sample: object) -> dict:
            return {"angle": float(rng.normal())}

    assert not samples_batched(Redrawn(limit=10))
    assert samples_batched(iv.Rotate(limit=10)) and samples_batched(iv.ShiftScaleRotate())
    assert not samples_batched(iv.GaussNoise())  # draws a 63-bit seed: wider than numpy's 32-bit path
    assert not batch_plannable(iv.Compose([iv.OneOf([iv.HorizontalFlip(), iv.VerticalFlip()])]))
    assert not batch_plannable(iv.Compose([iv.HorizontalFlip()], p=0.5))
    pipe = iv.Compose([iv.RandomResizedCrop(16), iv.GaussNoise(p=1)], seed=1)
    template, meta = read_sample(pipe, {"image": _placeholder((32, 32, 3))})
    assert plan_batch(pipe, BatchPCG64.derive(1, 0, [0, 1]), template, meta) is None


def test_batched_module_same_output_either_way() -> None:
    """``BatchedPipeline`` gives the same tensors with vectorised and per-sample planning."""
    import torch

    pipe = iv.Compose(PIPELINES["simclr"](), seed=3)
    x = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (12, 3, 48, 64), dtype=np.uint8))
    aug = pipe.batched()
    fast = aug(x, indices=list(range(100, 112)), epoch=2)
    aug.vectorised_sampling = False
    slow = aug(x, indices=list(range(100, 112)), epoch=2)
    torch.testing.assert_close(fast, slow, rtol=0, atol=0)

"""Batched policies (RandAugment, TrivialAugmentWide, AutoAugment, AugMix) against the per-sample numpy
path for the same ``derive_rng(seed, epoch, index)``, on real photos (skimage.data).

Tolerances (uint8 levels; docs/batched.md, "Parity with the per-sample path"):
- pixel ops whose numpy path is an integer table (Identity, Brightness, Contrast, AutoContrast,
  Solarize, Posterize, Equalize, Invert) and Sharpness: exact. The batch builds each sample's table in
  float64 from the same curve and statistics (exact integer sums, the same float64 gray-mean
  arithmetic) and gathers it; Sharpness weights exact box sums as OpenCV's uint16 ``addWeighted``.
- TranslateX/Y (whole pixels): exact. ShearX/Y, Rotate: the general-warp tolerance of
  test_executor_parity (OpenCV's 1/32-pixel positions vs grid_sample's float weights).
- Color: OpenCV's 8-bit ``transform`` rounds fixed-point coefficients: at most 1 level (ColorJitter's
  saturation tolerance).
- whole policies: a 1-level difference before Equalize / Solarize / AutoContrast / Posterize can be
  moved far by the table (Equalize spreads neighbouring levels, Solarize flips a value at its
  threshold), so: under 1% of values off by more than 1, mean under 0.1.
- float input (0..1): pixel ops within 1e-4, warps within one uint8 level (1/255); whole policies
  mean under 0.01 level, under 0.1% of values off by more than 1 (a threshold after a warp).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import invariant as iv  # noqa: E402
from invariant.batch import cutmix, mixup  # noqa: E402
from invariant.core.rng import derive_rng  # noqa: E402
from invariant.data import load_photo  # noqa: E402
from invariant.policies.randaugment import RANDAUGMENT_OPS  # noqa: E402

SEED, EPOCH = 7, 3
NAMES = ("astronaut", "chelsea", "coffee", "rocket")
INDICES = list(range(3, 19))


@pytest.fixture(scope="module")
def photos() -> np.ndarray:
    out = []
    for k in range(len(INDICES)):
        img = load_photo(NAMES[k % len(NAMES)])
        side = min(img.shape[:2])
        small = cv2.resize(np.ascontiguousarray(img[:side, :side, :3]), (80, 80), interpolation=cv2.INTER_AREA)
        out.append(np.ascontiguousarray(small[::-1] if k % 3 == 1 else small[:, ::-1] if k % 3 == 2 else small))
    return np.stack(out)


def _both(pipe: iv.Compose, photos: np.ndarray, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    aug = pipe.batched(seed=SEED)
    x = torch.from_numpy(photos).permute(0, 3, 1, 2).contiguous()
    if mask is None:
        got, got_mask = aug(x, indices=INDICES, epoch=EPOCH).permute(0, 2, 3, 1).numpy(), None
        refs = [pipe(image=img, rng=derive_rng(SEED, EPOCH, i))["image"] for img, i in zip(photos, INDICES)]
        return got, np.stack(refs).astype(np.float32), None, None
    out = aug(x, indices=INDICES, epoch=EPOCH, mask=torch.from_numpy(mask))
    refs = [pipe(image=img, mask=m, rng=derive_rng(SEED, EPOCH, i)) for img, m, i in zip(photos, mask, INDICES)]
    return out["image"].permute(0, 2, 3, 1).numpy(), np.stack([r["image"] for r in refs]).astype(np.float32), out["mask"].numpy(), np.stack([r["mask"] for r in refs])


def _ops_drawn(pipe: iv.Compose, photos: np.ndarray) -> list[tuple[str, float]]:
    return [(s.params["op"], round(float(s.params["value"]), 6)) for img, i in zip(photos, INDICES) for s in pipe.plan(rng=derive_rng(SEED, EPOCH, i), image=img).steps]


EXACT_OPS = ("Identity", "Brightness", "Contrast", "Sharpness", "Posterize", "Solarize", "AutoContrast", "Equalize", "Invert", "TranslateX", "TranslateY")


@pytest.mark.parametrize("op", RANDAUGMENT_OPS + ("Invert",))
def test_each_op_per_sample_magnitudes(op: str, photos: np.ndarray) -> None:
    # magnitude_std=inf: every sample draws its own magnitude (and sign) from [0, 20]
    pipe = iv.Compose([iv.RandAugment(num_ops=1, magnitude=20, magnitude_std=math.inf, ops=(op,))])
    drawn = _ops_drawn(pipe, photos)
    if op not in ("Identity", "AutoContrast", "Equalize", "Invert"):
        assert len({v for _, v in drawn}) >= 3, "per-sample magnitudes (Posterize: a few whole bit counts)"
    got, ref, _, _ = _both(pipe, photos)
    if op != "Identity":
        assert np.abs(ref - photos).max() > 0  # the op did something
    d = np.abs(got - ref)
    if op in EXACT_OPS:
        assert d.max() == 0, (op, d.max())
    elif op == "Color":
        assert d.max() <= 1 and (d > 0).mean() < 0.06, (d.max(), (d > 0).mean())
    else:  # ShearX/Y, Rotate: general warps
        assert d.mean() < 0.1 and (d > 1).mean() < 0.01, (d.mean(), (d > 1).mean())


@pytest.mark.parametrize("op", RANDAUGMENT_OPS + ("Invert",))
def test_each_op_float_input(op: str, photos: np.ndarray) -> None:
    pipe = iv.Compose([iv.RandAugment(num_ops=1, magnitude=20, magnitude_std=math.inf, ops=(op,))])
    x = photos.astype(np.float32) / 255.0
    got, ref, _, _ = _both(pipe, x)
    tol = 1.0 / 255.0 if op in ("ShearX", "ShearY", "Rotate", "TranslateX", "TranslateY") else 1e-4
    assert np.abs(got - ref).max() <= tol, (op, np.abs(got - ref).max())


POLICIES = {
    "RandAugment": [iv.RandAugment(num_ops=2, magnitude=9)],
    "RandAugment-mstd": [iv.RandAugment(num_ops=3, magnitude=15, magnitude_std=0.5)],
    "TrivialAugmentWide": [iv.TrivialAugmentWide()],
    "AutoAugment-imagenet": [iv.AutoAugment("imagenet")],
    "AutoAugment-cifar10": [iv.AutoAugment("cifar10")],
    "AutoAugment-svhn": [iv.AutoAugment("svhn", fill=128)],
    "AugMix": [iv.AugMix()],
    "AugMix-all-ops": [iv.AugMix(severity=5, width=2, depth=2, all_ops=True)],
    "AugMix-pixel": [iv.AugMix(geometric=False, alpha=0.5)],
    "RandAugment-p": [iv.RandAugment(num_ops=2, magnitude=9, p=0.5), iv.Solarize(p=0.3)],
}


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_policy_matches_per_sample_path(name: str, photos: np.ndarray) -> None:
    pipe = iv.Compose(POLICIES[name])
    got, ref, _, _ = _both(pipe, photos)
    d = np.abs(got - ref)
    assert d.mean() < 0.1 and (d > 1).mean() < 0.01, (d.mean(), (d > 1).mean(), d.max())
    changed = [not np.array_equal(r, p) for r, p in zip(ref, photos)]
    assert sum(changed) >= len(INDICES) // 2  # samples draw different ops: most images change


def test_samples_draw_different_ops(photos: np.ndarray) -> None:
    pipe = iv.Compose([iv.RandAugment(num_ops=2, magnitude=9)])
    drawn = _ops_drawn(pipe, photos)
    assert len({op for op, _ in drawn}) >= 8


def test_geometric_ops_fuse_with_neighbouring_spatial_steps(photos: np.ndarray) -> None:
    # numpy fuses Rotate + the policy's leading geometric ops (and its trailing ones + Affine) into one
    # warp each; resampling twice instead would blur (mean error of several levels)
    ops = ("Rotate", "ShearX", "ShearY", "Solarize")
    pipe = iv.Compose([iv.Rotate(limit=20, p=1.0, border_mode="constant"), iv.RandAugment(num_ops=3, magnitude=15, ops=ops), iv.Affine(scale=(0.9, 1.1), p=1.0)])
    plans = [pipe.plan(rng=derive_rng(SEED, EPOCH, i), image=img) for img, i in zip(photos, INDICES)]
    assert any(len(p.runs()) < len(p.steps) for p in plans)  # some samples do fuse
    got, ref, _, _ = _both(pipe, photos)
    d = np.abs(got - ref)
    assert d.mean() < 0.3 and (d > 1).mean() < 0.03, (d.mean(), (d > 1).mean())


def test_after_a_crop_resize(photos: np.ndarray) -> None:
    # RandomResizedCrop's own tolerance (1 level on up to a fifth of values) passes through the policy's
    # tables (Solarize/Equalize move a few of those values far)
    pipe = iv.Compose([iv.RandomResizedCrop(64), iv.HorizontalFlip(p=0.5), iv.RandAugment(num_ops=2, magnitude=9), iv.Normalize()])
    got, ref, _, _ = _both(pipe, photos)
    d = np.abs(got - ref) * 255 * 0.226  # Normalize's std: back to levels (roughly)
    assert np.median(d) < 0.5 and (d > 2).mean() < 0.06, (np.median(d), (d > 2).mean())


def test_masks_follow_geometric_ops(photos: np.ndarray) -> None:
    mask = np.zeros(photos.shape[:3], np.uint8)
    mask[:, 20:60, 10:50] = 1
    mask[:, 30:40, 30:70] = 2
    pipe = iv.Compose([iv.RandAugment(num_ops=2, magnitude=12, ops=("Rotate", "TranslateX", "TranslateY", "ShearX", "Brightness"))])
    _, _, got, ref = _both(pipe, photos, mask)
    assert got.dtype == ref.dtype and got.shape == ref.shape
    assert (got != ref).mean() < 0.005
    assert not np.array_equal(ref, mask)  # the masks moved


def test_augmix_refuses_masks_with_geometric_ops(photos: np.ndarray) -> None:
    aug = iv.Compose([iv.AugMix()]).batched(seed=SEED)
    x = torch.from_numpy(photos).permute(0, 3, 1, 2).contiguous()
    with pytest.raises(ValueError, match="AugMix"):
        aug(x, indices=INDICES, mask=torch.zeros(x.shape[0], x.shape[2], x.shape[3], dtype=torch.uint8))


def test_torch_executor_runs_a_repeated_op(photos: np.ndarray) -> None:
    pipe = iv.Compose([iv.RandAugment(num_ops=4, magnitude=9, ops=("Solarize", "Posterize"))])
    for img, i in zip(photos[:6], INDICES):
        plan = pipe.plan(rng=derive_rng(SEED, EPOCH, i), image=img)
        ref = pipe.execute(pipe.plan(rng=derive_rng(SEED, EPOCH, i), image=img))["image"]
        got = pipe.execute(plan, executor="torch")["image"]
        np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("mixer", ["mixup", "cutmix"])
def test_mixing_after_batched_policy_in_a_training_step(mixer: str, photos: np.ndarray) -> None:
    pipe = iv.Compose([iv.RandomResizedCrop(48), iv.RandAugment(num_ops=2, magnitude=9), iv.Normalize()])
    aug = pipe.batched(seed=SEED)
    labels = torch.arange(len(INDICES)) % 4
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(4, 4))
    x = aug(torch.from_numpy(photos).permute(0, 3, 1, 2), indices=INDICES, epoch=EPOCH)
    g = torch.Generator().manual_seed(0)
    mixed = (mixup if mixer == "mixup" else cutmix)(x, labels, 4, generator=g)
    if mixer == "mixup":  # the algebraic identity, against the policy's own output
        torch.testing.assert_close(mixed.images, mixed.lam * x + (1 - mixed.lam) * x[mixed.index])
    else:
        x0, y0, x1, y1 = mixed.box
        torch.testing.assert_close(mixed.images[:, :, y0:y1, x0:x1], x[mixed.index][:, :, y0:y1, x0:x1])
        assert mixed.lam == pytest.approx(1 - (x1 - x0) * (y1 - y0) / (48 * 48))
    eye = torch.eye(4)
    torch.testing.assert_close(mixed.targets, mixed.lam * eye[labels] + (1 - mixed.lam) * eye[labels[mixed.index]])
    loss = torch.sum(-mixed.targets * torch.log_softmax(model(mixed.images), 1), 1).mean()
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


@pytest.mark.parametrize("name", ["RandAugment-mstd", "AutoAugment-svhn", "AugMix", "AugMix-all-ops"])
def test_policy_float_input(name: str, photos: np.ndarray) -> None:
    # float32 warps differ from OpenCV's by ~1e-3 of the range; a Solarize/Posterize threshold after a warp
    # can flip the rare value that lands on it (the uint8 amplification rule, in float)
    pipe = iv.Compose(POLICIES[name])
    got, ref, _, _ = _both(pipe, photos.astype(np.float32) / 255.0)
    d = np.abs(got - ref) * 255.0
    assert d.mean() < 0.01 and (d > 1).mean() < 1e-3, (d.mean(), (d > 1).mean())

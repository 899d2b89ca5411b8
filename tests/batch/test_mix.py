"""MixUp / CutMix: target sums, lambda equal to the pasted area, shapes, gradients, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from invariant.batch import CutMix, MixCollate, MixUp, MixUpCutMix, cutmix, mixup, one_hot, soft_target_cross_entropy  # noqa: E402


def _constant_batch(b: int, h: int = 17, w: int = 23) -> torch.Tensor:
    """Image i is filled with the value i + 1, so every pixel says which image it came from."""
    return (torch.arange(b, dtype=torch.float32) + 1).view(b, 1, 1, 1).expand(b, 3, h, w).clone()


def test_one_hot_and_label_smoothing_values() -> None:
    t = one_hot(torch.tensor([0, 2]), num_classes=4, smoothing=0.1)
    expected = np.array([[0.925, 0.025, 0.025, 0.025], [0.025, 0.025, 0.925, 0.025]])  # 1 - s + s/K, s/K
    np.testing.assert_allclose(t.numpy(), expected, atol=1e-7)


def test_num_classes_is_explicit_not_inferred_from_batch() -> None:
    images, labels = torch.rand(5, 3, 8, 8), torch.tensor([0, 1, 1, 0, 2])  # max label 2
    _, targets = MixUp(num_classes=10, seed=0)(images, labels)
    assert targets.shape == (5, 10)
    with pytest.raises(ValueError, match="labels"):
        one_hot(torch.tensor([0, 10]), num_classes=10)
    with pytest.raises(TypeError, match="num_classes"):
        MixUp(num_classes=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("batch", [1, 2, 7, 8])
def test_mixup_targets_sum_to_one_and_match_the_formula(batch: int) -> None:
    images, labels = torch.rand(batch, 3, 9, 11), torch.randint(0, 5, (batch,))
    out = mixup(images, labels, num_classes=5, alpha=0.4, label_smoothing=0.1, generator=torch.Generator().manual_seed(batch))
    assert out.images.shape == images.shape and out.targets.shape == (batch, 5)
    torch.testing.assert_close(out.targets.sum(1), torch.ones(batch))
    lam, j = out.lam, out.index
    torch.testing.assert_close(out.images, lam * images + (1 - lam) * images[j])
    eye = torch.eye(5) * 0.9 + 0.02
    torch.testing.assert_close(out.targets, lam * eye[labels] + (1 - lam) * eye[labels[j]])


def test_mixup_rejects_integer_images() -> None:
    with pytest.raises(TypeError, match="images"):
        MixUp(num_classes=3, seed=0)(torch.zeros(2, 3, 4, 4, dtype=torch.uint8), torch.tensor([0, 1]))


@pytest.mark.parametrize("seed", range(30))
def test_cutmix_lambda_equals_fraction_of_own_pixels(seed: int) -> None:
    batch = 7  # odd on purpose
    images, labels = _constant_batch(batch), torch.arange(batch) % 4
    out = cutmix(images, labels, num_classes=4, alpha=1.0, generator=torch.Generator().manual_seed(seed))
    for i in range(batch):
        j = int(out.index[i])
        if j == i:
            continue
        pixels = out.images[i].numel()
        own = int((out.images[i] == i + 1).sum()) / pixels
        assert own == pytest.approx(out.lam, abs=1e-12)
        assert int((out.images[i] == j + 1).sum()) / pixels == pytest.approx(1 - out.lam, abs=1e-12)
    x1, y1, x2, y2 = out.box
    assert 0 <= x1 <= x2 <= 23 and 0 <= y1 <= y2 <= 17
    torch.testing.assert_close(out.targets.sum(1), torch.ones(batch))
    assert out.targets[torch.arange(batch), labels].min() >= out.lam - 1e-6


def test_cutmix_box_is_clipped_and_lambda_recomputed() -> None:
    """With lam=0 the box is the full image size around a random centre, so it is always clipped;
    the recomputed lambda is 1 - clipped area, never the drawn 0."""
    images, labels = _constant_batch(4, 10, 10), torch.tensor([0, 1, 2, 3])
    for seed in range(20):
        out = cutmix(images, labels, num_classes=4, lam=0.0, generator=torch.Generator().manual_seed(seed))
        x1, y1, x2, y2 = out.box
        assert out.lam == pytest.approx(1 - (x2 - x1) * (y2 - y1) / 100)
        assert out.lam > 0  # a 10x10 box centred anywhere but (5, 5) is clipped


def test_same_seed_same_mix_and_different_seed_differs() -> None:
    images, labels = torch.rand(6, 3, 16, 16), torch.randint(0, 3, (6,))
    a = CutMix(3, seed=1)(images, labels)
    b = CutMix(3, seed=1)(images, labels)
    torch.testing.assert_close(a[0], b[0])
    outs = {tuple(CutMix(3, seed=s).mix(images, labels).box) for s in range(8)}
    assert len(outs) > 1


@pytest.mark.parametrize("mixer", [MixUp(4, seed=0), CutMix(4, seed=0), MixUpCutMix(4, seed=0)])
def test_gradients_flow_through_mixing(mixer) -> None:
    images = torch.rand(5, 3, 8, 8, requires_grad=True)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 64, 4))
    mixed, targets = mixer(images, torch.tensor([0, 1, 2, 3, 0]))
    loss = soft_target_cross_entropy(model(mixed), targets)
    loss.backward()
    assert images.grad is not None and images.grad.abs().sum() > 0
    assert model[1].weight.grad.abs().sum() > 0


def test_switch_probabilities() -> None:
    images, labels = torch.rand(4, 3, 8, 8), torch.tensor([0, 1, 2, 3])
    assert _modes(MixUpCutMix(4, cutmix_prob=1.0, mixup_prob=0.0, seed=0), images, labels) == {"cutmix"}
    assert _modes(MixUpCutMix(4, cutmix_prob=0.0, mixup_prob=1.0, seed=0), images, labels) == {"mixup"}
    off = MixUpCutMix(4, cutmix_prob=0.0, mixup_prob=0.0, label_smoothing=0.2, seed=0)
    mixed, targets = off(images, labels)
    assert mixed is images and off.mode == "none"
    torch.testing.assert_close(targets, one_hot(labels, 4, 0.2))
    counts = {"cutmix": 0, "mixup": 0, "none": 0}
    mixer = MixUpCutMix(4, cutmix_prob=0.5, mixup_prob=0.3, seed=3)
    for _ in range(1000):
        mixer(images, labels)
        counts[mixer.mode] += 1
    assert abs(counts["cutmix"] - 500) < 60 and abs(counts["mixup"] - 300) < 60 and abs(counts["none"] - 200) < 60
    with pytest.raises(ValueError, match="mixup_prob"):
        MixUpCutMix(4, mixup_prob=0.7, cutmix_prob=0.7)


def _modes(mixer, images, labels) -> set[str]:
    modes = set()
    for _ in range(10):
        mixer(images, labels)
        modes.add(mixer.mode)
    return modes


def test_collate_form_in_a_dataloader() -> None:
    data = [(torch.rand(3, 12, 12), i % 3) for i in range(9)]
    loader = torch.utils.data.DataLoader(data, batch_size=4, collate_fn=MixCollate(CutMix(num_classes=3, seed=0)))
    shapes = [(x.shape, y.shape) for x, y in loader]
    assert shapes[-1] == (torch.Size([1, 3, 12, 12]), torch.Size([1, 3]))  # last batch of 1 works
    for x, y in loader:
        torch.testing.assert_close(y.sum(1), torch.ones(len(y)))


def _mixed_run(make_mixer, workers: int = 2) -> list[torch.Tensor]:
    """Every mixed batch of one pass over a fixed dataset through a DataLoader with ``workers`` processes."""
    data = [(torch.full((1, 8, 8), float(i)), i % 3) for i in range(16)]
    loader = torch.utils.data.DataLoader(data, batch_size=4, num_workers=workers, collate_fn=MixCollate(make_mixer()))
    return [x for x, _ in loader]


@pytest.mark.parametrize(
    "make_mixer",
    [
        pytest.param(lambda s: CutMix(num_classes=3, generator=torch.Generator().manual_seed(s)), id="cutmix-generator"),
        pytest.param(lambda s: MixUp(num_classes=3, generator=torch.Generator().manual_seed(s)), id="mixup-generator"),
        pytest.param(lambda s: CutMix(num_classes=3, seed=s), id="cutmix-seed"),
    ],
)
def test_seeded_mixer_is_reproducible_across_dataloader_workers(make_mixer) -> None:
    """A generator seeded by the caller keys the worker streams like ``seed=``: two identical runs with two
    worker processes mix identically, and another seed mixes differently."""
    first, again, other = (_mixed_run(lambda s=s: make_mixer(s)) for s in (3, 3, 4))
    assert len(first) == len(again) == 4
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not all(torch.equal(a, b) for a, b in zip(first, other))


def test_generator_mixer_records_the_generator_seed() -> None:
    assert CutMix(num_classes=3, generator=torch.Generator().manual_seed(12345)).seed == 12345

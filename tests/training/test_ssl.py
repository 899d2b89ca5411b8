"""Multi-view datasets and the SimCLR preset."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
skimage = pytest.importorskip("skimage")

import invariant as iv  # noqa: E402
from invariant.training.ssl import AugMixDataset, MultiViewDataset, simclr_pipeline  # noqa: E402


def _photos() -> list[tuple[np.ndarray, int]]:
    return [(skimage.data.astronaut()[::4, ::4].copy(), 0), (skimage.data.chelsea()[::4, ::4].copy(), 1), (skimage.data.coffee()[::4, ::4].copy(), 2)]


def test_simclr_preset_matches_the_paper_recipe() -> None:
    pipe = simclr_pipeline(size=96)
    names = [type(t).__name__ for t in pipe.transforms]
    assert names == ["RandomResizedCrop", "HorizontalFlip", "RandomApply", "RandomGrayscale", "GaussianBlur", "Normalize", "ToTensor"]
    rrc, flip, jitter_block, gray, blur = pipe.transforms[:5]
    assert rrc.size == (96, 96) and rrc.scale == (0.08, 1.0) and flip.p == 0.5
    jitter = jitter_block.transforms[0]
    assert jitter_block.p == 0.8 and type(jitter).__name__ == "ColorJitter"
    assert jitter.init_args()["brightness"] == pytest.approx(0.8) and jitter.init_args()["hue"] == pytest.approx(0.2)
    assert gray.p == 0.2
    assert blur.init_args()["kernel_size"] == 9 and blur.sigma == (0.1, 2.0)  # int(0.1 * 96) | 1 = 9
    assert simclr_pipeline(size=224).transforms[4].init_args()["kernel_size"] == 23  # the guide's 23 at 224


def test_views_are_independent_reproducible_and_shaped() -> None:
    ds = MultiViewDataset(_photos(), simclr_pipeline(size=64), n_views=3, seed=5)
    (views, label) = ds[1]
    assert label == 1 and len(views) == 3
    assert all(v.shape == (3, 64, 64) and v.dtype == torch.float32 for v in views)
    assert not torch.equal(views[0], views[1]) and not torch.equal(views[1], views[2])
    again, _ = MultiViewDataset(_photos(), simclr_pipeline(size=64), n_views=3, seed=5)[1]
    assert all(torch.equal(a, b) for a, b in zip(views, again))
    ds.set_epoch(1)
    assert not torch.equal(ds[1][0][0], views[0])


def test_multiview_in_a_dataloader_batches_views() -> None:
    ds = MultiViewDataset(_photos(), simclr_pipeline(size=32), seed=0)
    (v1, v2), labels = next(iter(torch.utils.data.DataLoader(ds, batch_size=3)))
    assert v1.shape == v2.shape == (3, 3, 32, 32) and labels.tolist() == [0, 1, 2]
    loss = iv.nt_xent(v1.flatten(1), v2.flatten(1), temperature=0.5)
    assert torch.isfinite(loss)


def test_augmix_dataset_yields_clean_and_two_augmented_views() -> None:
    base = [(img, y) for img, y in _photos()]
    ds = AugMixDataset(base, iv.AugMix(severity=3), preprocess=[iv.RandomCrop(64)], postprocess=[iv.Normalize(), iv.ToTensor()], seed=1)
    (clean, aug1, aug2), label = ds[0]
    assert clean.shape == aug1.shape == aug2.shape == (3, 64, 64) and label == 0
    assert not torch.equal(aug1, aug2) and not torch.equal(clean, aug1)
    # the shared crop ran once: clean is exactly Normalize(crop) of the original photo
    crop = iv.Compose([iv.RandomCrop(64)])(rng=iv.derive_rng(1, 0, 0, 0), image=base[0][0])["image"]
    expected = iv.Compose([iv.Normalize(), iv.ToTensor()])(image=crop)["image"]
    assert torch.equal(clean, expected)

"""Per-sample seeding: an augmented epoch is identical for 0, 1 and 2 DataLoader workers and for
both start methods; epochs differ; the classic shared-numpy-seed bug cannot happen."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader  # noqa: E402

import invariant as iv  # noqa: E402
from invariant.training.dataset import AugmentedDataset  # noqa: E402

from ..conftest import photo  # noqa: E402


class Photos:
    """A tiny real-photo dataset: crops of the astronaut photo with labels."""

    def __init__(self, n: int = 12) -> None:
        base = photo("uint8", 3, size=(96, 128))
        self.items = [(np.ascontiguousarray(base[i % 4 * 8 : i % 4 * 8 + 64, i % 3 * 16 : i % 3 * 16 + 96]), i % 3) for i in range(n)]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int):
        return self.items[i]


def make_dataset() -> AugmentedDataset:
    pipe = iv.Compose([iv.RandomResizedCrop(24, scale=(0.2, 1.0)), iv.HorizontalFlip(), iv.Normalize(), iv.ToTensor()])
    return AugmentedDataset(Photos(), pipe, seed=123)


def epoch(ds: AugmentedDataset, workers: int, context: str | None = None) -> torch.Tensor:
    loader = DataLoader(ds, batch_size=4, num_workers=workers, multiprocessing_context=context if workers else None)
    return torch.cat([x for x, _ in loader])


@pytest.mark.parametrize("workers,context", [(1, "fork"), (2, "fork"), (2, "spawn")])
def test_epoch_identical_for_any_worker_count_and_start_method(workers, context):
    ds = make_dataset()
    reference = epoch(ds, 0)
    assert torch.equal(epoch(ds, workers, context), reference)


def test_epochs_differ_and_set_epoch_reaches_persistent_workers():
    ds = make_dataset()
    loader = DataLoader(ds, batch_size=4, num_workers=2, persistent_workers=True)
    e0 = torch.cat([x for x, _ in loader])
    ds.set_epoch(1)
    e1 = torch.cat([x for x, _ in loader])
    assert not torch.equal(e0, e1)
    ds.set_epoch(0)
    assert torch.equal(torch.cat([x for x, _ in loader]), e0)
    assert torch.equal(e1, epoch(_at_epoch(make_dataset(), 1), 0))


def _at_epoch(ds: AugmentedDataset, e: int) -> AugmentedDataset:
    ds.set_epoch(e)
    return ds


def test_workers_do_not_repeat_each_other():
    """The guide's classic bug: with a shared numpy seed, workers produce identical augmentations
    for the same position in their batches. Here every sample gets its own generator."""
    ds = make_dataset()
    same_image = [ds.base[0]] * 8
    ds.base = same_image
    out = epoch(ds, 2)
    distinct = {tuple(x.flatten()[:50].tolist()) for x in out}
    assert len(distinct) > 4


def test_curriculum_progress_follows_the_epoch():
    pipe = iv.Compose([iv.RandomResizedCrop(16, scale=iv.Linear((0.9, 1.0), (0.1, 1.0)))])
    ds = AugmentedDataset([photo()] * 2, pipe, seed=0, epochs=11)
    ds[0]
    assert pipe.transforms[0].scale == (0.9, 1.0)
    ds.set_epoch(10)
    ds[0]
    assert pipe.transforms[0].scale == pytest.approx((0.1, 1.0))

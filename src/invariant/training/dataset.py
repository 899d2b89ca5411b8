"""A PyTorch ``Dataset`` adapter whose augmentation is a pure function of (seed, epoch, index).

The classic bug (every DataLoader worker inheriting one numpy seed, so workers repeat each other's
augmentations) cannot happen: no global generator is used. Each sample's generator is derived
from ``(seed, epoch, index)``, so an epoch's augmented data are identical for any ``num_workers``
and either process start method. The epoch and the seed live in shared memory, so ``set_epoch`` and
``load_state_dict`` reach persistent workers too.

Under ``torch.distributed`` (DDP) nothing changes per sample: with no seed given, rank 0's seed is
broadcast to every rank (``training.distributed.agree_seed``), so sample *i* of epoch *e* gets the
same augmentation on 1, 2 or 4 ranks. ``state_dict()`` / ``load_state_dict()`` carry (seed, epoch).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..core.compose import Compose
from ..core.errors import require_torch
from ..io.datasets import SeededDataset, _single_thread_in_worker  # noqa: F401  (the one seeded-dataset base)

try:  # the adapter subclasses torch's Dataset when torch is there, so DataLoader accepts it
    from torch.utils.data import Dataset as _Base
except ImportError:  # pragma: no cover - torch is an optional extra
    _Base = object  # type: ignore[misc,assignment]


class AugmentedDataset(SeededDataset, _Base):  # type: ignore[misc]
    """Wrap a base dataset and a pipeline. ``base[i]`` may return an image, an ``(image, label)``
    pair, or a dict of pipeline keywords. Returns the pipeline output for images/dicts, or
    ``(image, label)`` for pairs. Seeding, epochs and schedules: ``io.datasets.SeededDataset``.

    seed: base seed; when None one is drawn once here, in the main process, so workers agree (and,
    under ``torch.distributed``, rank 0's is broadcast so every rank agrees: build the dataset on every
    rank after ``init_process_group``).
    epochs: total epochs; when given, ``set_epoch`` also moves scheduled arguments (curriculum).
    """

    def __init__(self, base: Sequence[Any], pipeline: Compose, seed: int | None = None, epochs: int | None = None, output: str = "image") -> None:
        require_torch("AugmentedDataset")
        self._init_dataset(pipeline, seed, epochs, optional=False)
        self.base = base
        self.output = output

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, index: int) -> Any:  # torch's Dataset defines one too: the base class's comes first
        return SeededDataset.__getitem__(self, index)

    def load(self, index: int, rng: np.random.Generator) -> Any:
        item = self.base[index]
        assert self.pipeline is not None
        if isinstance(item, dict):
            return self.pipeline(rng=rng, **item)
        if isinstance(item, tuple) and len(item) == 2:
            image, label = item
            return self.pipeline(rng=rng, image=np.asarray(image))[self.output], label
        return self.pipeline(rng=rng, image=np.asarray(item))[self.output]

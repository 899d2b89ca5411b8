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
from ..core.errors import require_torch, type_error
from .distributed import EpochSeeded

try:  # the adapter subclasses torch's Dataset when torch is there, so DataLoader accepts it
    from torch.utils.data import Dataset as _Base
except ImportError:  # pragma: no cover - torch is an optional extra
    _Base = object  # type: ignore[misc,assignment]


class AugmentedDataset(EpochSeeded, _Base):  # type: ignore[misc]
    """Wrap a base dataset and a pipeline. ``base[i]`` may return an image, an ``(image, label)``
    pair, or a dict of pipeline keywords. Returns the pipeline output for images/dicts, or
    ``(image, label)`` for pairs.

    seed: base seed; when None one is drawn once here, in the main process, so workers agree (and,
    under ``torch.distributed``, rank 0's is broadcast so every rank agrees: build the dataset on every
    rank after ``init_process_group``).
    epochs: total epochs; when given, ``set_epoch`` also moves scheduled arguments (curriculum).
    """

    def __init__(self, base: Sequence[Any], pipeline: Compose, seed: int | None = None, epochs: int | None = None, output: str = "image") -> None:
        require_torch("AugmentedDataset")
        if not isinstance(pipeline, Compose):
            type_error("pipeline", "an iv.Compose", pipeline, "wrap your transforms in iv.Compose([...])")
        self.base, self.pipeline = base, pipeline
        self._init_seeding(seed)
        self.epochs = epochs
        self.output = output
        self._progress_seen: float | None = None

    def __len__(self) -> int:
        return len(self.base)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_worker_ready", None)
        return state

    def progress(self) -> float:
        if not self.epochs or self.epochs <= 1:
            return 0.0
        return min(self.epoch / (self.epochs - 1), 1.0)

    def __getitem__(self, index: int) -> Any:
        if not self.__dict__.get("_worker_ready"):
            _single_thread_in_worker()
            self.__dict__["_worker_ready"] = True
        progress = self.progress()
        if self.epochs and progress != self._progress_seen:
            self.pipeline.set_progress(progress)
            self._progress_seen = progress
        item = self.base[index]
        rng = self.rng_for(index)
        if isinstance(item, dict):
            return self.pipeline(rng=rng, **item)
        if isinstance(item, tuple) and len(item) == 2:
            image, label = item
            return self.pipeline(rng=rng, image=np.asarray(image))[self.output], label
        return self.pipeline(rng=rng, image=np.asarray(item))[self.output]


def _single_thread_in_worker() -> None:
    """Inside a DataLoader worker, make OpenCV/BLAS/torch single-threaded: N workers x N threads
    would oversubscribe the cores. The main process is left alone."""
    try:
        from torch.utils.data import get_worker_info
    except ImportError:  # pragma: no cover
        return
    if get_worker_info() is not None:
        from ..io.loader import limit_threads

        limit_threads()

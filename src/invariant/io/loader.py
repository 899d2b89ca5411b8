"""``make_loader``: a torch DataLoader with worker hygiene and uint8 batches.

* Workers run single-threaded OpenCV, BLAS/OpenMP and torch (``worker_init_fn``): with N workers
  each spawning a thread per core, a machine oversubscribes N-fold and gets slower, not faster.
* ``persistent_workers`` (no re-spawn, no re-import each epoch) and ``pin_memory`` (only when CUDA
  is there) are set by default; a seeded ``torch.Generator`` makes the shuffle order reproducible.
* Batches stay uint8 (CHW, a quarter of float32's bytes through worker queues, pinning and the
  host-to-device copy); ``DeviceNormalize`` converts and normalises on the device in one pass.
  Pipelines ending with ``Normalize``/``ToTensor`` still work: float arrays collate as float.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

import numpy as np

from ..core.errors import require_torch, value_error
from ..core.rng import derive_rng, fresh_seed


def limit_threads() -> None:
    """Make this process single-threaded for OpenCV, BLAS/OpenMP pools and torch intra-op."""
    import cv2

    # 0 = run sequentially. Not 1: with OpenCV 5.0's pthreads backend, setNumThreads(1) in a forked
    # worker whose parent had already used the pool deadlocks in the next parallel call.
    cv2.setNumThreads(0)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"  # for pools created from now on
    try:  # pools already running (numpy's OpenBLAS was loaded before the fork)
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass


class _WorkerInit:
    """Picklable worker_init_fn: thread limits, then the user's own init (if any)."""

    def __init__(self, user: Callable[[int], None] | None) -> None:
        self.user = user

    def __call__(self, worker_id: int) -> None:
        limit_threads()
        if self.user is not None:
            self.user(worker_id)


def _to_tensor(value: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, np.ndarray):
        if value.ndim == 3:  # HWC image -> CHW (uint8 stays uint8)
            value = value.transpose(2, 0, 1)
        return torch.from_numpy(np.ascontiguousarray(value))
    return value


def _stack(values: list[Any]) -> Any:
    import torch

    first = values[0]
    if isinstance(first, (np.ndarray, torch.Tensor)):
        tensors = [_to_tensor(v) for v in values]
        if all(t.shape == tensors[0].shape for t in tensors):
            return torch.stack(tensors)
        return tensors  # variable size (e.g. masks, no final crop): a list
    if isinstance(first, (bool, int, np.integer)):
        return torch.as_tensor(np.asarray(values, dtype=np.int64))
    if isinstance(first, (float, np.floating)):
        return torch.as_tensor(np.asarray(values, dtype=np.float32))
    return list(values)


def _per_object(value: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, list) and value and isinstance(value[0], np.ndarray):  # list of (H, W) masks
        return torch.from_numpy(np.stack(value))
    return torch.as_tensor(np.asarray(value))


_PER_OBJECT = {"bboxes", "labels", "bbox_indices", "keypoints", "keypoint_labels", "keypoint_indices", "masks", "keypoints_visible"}


def collate(batch: Sequence[Any]) -> Any:
    """Collate samples keeping dtypes: HWC uint8 images -> (N, C, H, W) uint8 tensor; ints -> int64;
    per-object fields (boxes, labels, masks, keypoints) -> lists of tensors, one per image."""
    import torch

    first = batch[0]
    if isinstance(first, tuple):
        return tuple(_stack([item[k] for item in batch]) for k in range(len(first)))
    if isinstance(first, dict):
        out = {}
        for key in first:
            values = [item[key] for item in batch]
            if key in _PER_OBJECT:
                out[key] = [_per_object(v) for v in values]
            else:
                out[key] = _stack(values)
        return out
    return _stack(list(batch))


class EpochShuffle:
    """Shuffle order as a pure function of (seed, epoch): the same for any ``num_workers`` and for
    persistent or fresh workers (torch's own RandomSampler order depends on how many iterators were
    made). The epoch is the dataset's ``epoch`` (``set_epoch``) when it has one, else a call count."""

    def __init__(self, dataset: Any, seed: int) -> None:
        self.dataset, self.seed, self._calls = dataset, int(seed), 0

    def __len__(self) -> int:
        return len(self.dataset)

    def __iter__(self) -> Any:
        epoch = getattr(self.dataset, "epoch", None)
        if epoch is None:
            epoch, self._calls = self._calls, self._calls + 1
        order = derive_rng(self.seed, int(epoch), _SHUFFLE_STREAM).permutation(len(self.dataset))
        return iter(order.tolist())


_SHUFFLE_STREAM = 2**40  # a key no sample index reaches, so the order stream is independent of samples' streams


def default_workers() -> int:
    """One worker per core the process may use, minus one for the training loop, at most 8."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(8, cores - 1))


def make_loader(
    dataset: Any,
    batch_size: int,
    shuffle: bool = False,
    num_workers: int | None = None,
    pin_memory: bool | None = None,
    persistent_workers: bool | None = None,
    prefetch_factor: int | None = None,
    drop_last: bool = False,
    collate_fn: Callable[[Sequence[Any]], Any] | None = None,
    worker_init_fn: Callable[[int], None] | None = None,
    seed: int | None = None,
    **kwargs: Any,
) -> Any:
    """A ``torch.utils.data.DataLoader`` with the recommendations applied (each can be overridden).

    num_workers: default ``default_workers()``. pin_memory: default ``torch.cuda.is_available()``.
    persistent_workers: default True when there are workers. collate_fn: default ``collate``
    (uint8 stays uint8). shuffle: order from ``EpochShuffle`` (a function of seed and epoch).
    seed: seeds the shuffle order (default: the dataset's ``seed`` if any).
    """
    torch = require_torch("make_loader")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        value_error("batch_size", "a positive int", batch_size, "pass e.g. batch_size=64")
    workers = default_workers() if num_workers is None else int(num_workers)
    if workers < 0:
        value_error("num_workers", "0 or more", num_workers, "pass 0 to load in the main process")
    seed = seed if seed is not None else getattr(dataset, "seed", None)
    seed = fresh_seed() if seed is None else int(seed)
    generator = torch.Generator()
    generator.manual_seed(seed & 0x7FFF_FFFF_FFFF_FFFF)
    if shuffle and "sampler" not in kwargs and "batch_sampler" not in kwargs:
        kwargs["sampler"], shuffle = EpochShuffle(dataset, seed), False
    options: dict[str, Any] = dict(
        batch_size=int(batch_size),
        shuffle=shuffle,
        num_workers=workers,
        pin_memory=torch.cuda.is_available() if pin_memory is None else bool(pin_memory),
        drop_last=drop_last,
        collate_fn=collate_fn or collate,
        generator=generator,
    )
    if workers > 0:
        options["worker_init_fn"] = _WorkerInit(worker_init_fn)
        options["persistent_workers"] = True if persistent_workers is None else bool(persistent_workers)
        if prefetch_factor is not None:
            options["prefetch_factor"] = int(prefetch_factor)
    options.update(kwargs)
    return torch.utils.data.DataLoader(dataset, **options)

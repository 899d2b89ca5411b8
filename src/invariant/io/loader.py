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
from ..training.distributed import EpochSampler, EpochShuffle, agree_seed, process_group  # noqa: F401  (EpochShuffle: older name)


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
    if isinstance(first, tuple) and all(isinstance(v, tuple) and len(v) == len(first) for v in values):
        return tuple(_stack([v[k] for v in values]) for k in range(len(first)))  # e.g. MultiViewDataset's views
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


STATE_KEYS = ("epoch", "position", "seed", "shuffle_seed")


class _Counted:
    """The DataLoader's iterator, counting the batches the training loop has taken (for ``state_dict``)."""

    def __init__(self, inner: Any, epoch: int, start: int) -> None:
        # no reference back to the loader: a cycle would leave the workers' shutdown to the garbage
        # collector, which may finalise their queues first (then each worker's join waits 5 s)
        self.inner, self.epoch, self.start, self.batches, self.done = inner, epoch, start, 0, False

    def __iter__(self) -> "_Counted":
        return self

    def __len__(self) -> int:
        return len(self.inner)

    def __next__(self) -> Any:
        try:
            batch = next(self.inner)
        except StopIteration:
            self.done = True
            raise
        self.batches += 1
        return batch


def _loader_class() -> Any:
    import torch

    class Loader(torch.utils.data.DataLoader):
        """A ``DataLoader`` that can be checkpointed mid-epoch: ``state_dict()`` gives (epoch, position,
        seed); ``load_state_dict()`` makes the next iteration continue exactly where the saved job stood,
        with the same samples, order and augmentations (on any ``num_workers``, and under DDP on any
        world size). ``set_epoch`` moves the dataset and the sampler together."""

        def __iter__(self) -> Any:  # type: ignore[override]
            sampler = self._epoch_sampler()
            epoch = sampler.epoch if sampler is not None else 0  # what the sampler's next iteration uses
            start = sampler.pending_start(epoch) if sampler is not None else 0
            counted = _Counted(super().__iter__(), epoch, start)
            self.__dict__["_last_iterator"] = counted
            return counted

        def _epoch_sampler(self) -> EpochSampler | None:
            sampler = self.sampler if self.batch_sampler is not None else None
            return sampler if isinstance(sampler, EpochSampler) else None

        def set_epoch(self, epoch: int) -> None:
            """Start of each epoch: sets the dataset's epoch (augmentations) and the sampler's (order)."""
            sampler = self._epoch_sampler()
            if sampler is not None:
                sampler.set_epoch(int(epoch))  # forwards to the dataset
                return
            if hasattr(self.dataset, "set_epoch"):
                self.dataset.set_epoch(int(epoch))
            if hasattr(self.sampler, "set_epoch"):  # e.g. a DistributedSampler passed in
                self.sampler.set_epoch(int(epoch))

        def state_dict(self) -> dict[str, Any]:
            """``{"epoch", "position", "seed", "shuffle_seed"}``. position: samples of the epoch's global
            order consumed by all ranks together (this rank's batches x batch size x world size); after a
            finished epoch, the next epoch at position 0. The same on every rank: save rank 0's."""
            sampler = self._check_resumable("state_dict")
            counted = self.__dict__.get("_last_iterator")
            seed = getattr(self.dataset, "seed", None)
            state = {"seed": None if seed is None else int(seed), "shuffle_seed": sampler.seed}
            if counted is None:  # nothing iterated yet: where the next iteration will start
                epoch = sampler.epoch
                return {"epoch": epoch, "position": sampler.pending_start(epoch), **state}
            if counted.done:
                return {"epoch": counted.epoch + 1, "position": 0, **state}
            n = len(self.dataset)
            position = counted.start + counted.batches * int(self.batch_size) * sampler.num_replicas
            return {"epoch": counted.epoch, "position": min(position, n), **state}

        def load_state_dict(self, state: dict[str, Any]) -> None:
            """Restore ``state_dict()``: the dataset's seed and epoch, the order's seed, and the position
            the next iteration starts from. Call it before iterating; then iterate as usual, calling
            ``set_epoch`` from ``state["epoch"]`` on."""
            from ..core.errors import type_error

            sampler = self._check_resumable("load_state_dict")
            if not isinstance(state, dict) or not set(STATE_KEYS) <= set(state):
                type_error("state", f"a dict with keys {STATE_KEYS} (from loader.state_dict())", state, "pass what loader.state_dict() returned")
            epoch = state["epoch"]
            if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
                value_error("state['epoch']", "a non-negative int", epoch, "pass what loader.state_dict() returned")
            n = len(self.dataset)
            position = state["position"]
            if isinstance(position, bool) or not isinstance(position, (int, np.integer)) or not 0 <= position <= n:
                value_error("state['position']", f"an int in [0, {n}] (samples of the epoch already consumed)", position, "pass what loader.state_dict() returned, for this dataset")
            from ..training.distributed import check_seed

            shuffle_seed = check_seed(state["shuffle_seed"], "state['shuffle_seed']")
            if state["seed"] is not None:
                seed = check_seed(state["seed"], "state['seed']")
                if hasattr(self.dataset, "load_state_dict"):
                    self.dataset.load_state_dict({"seed": seed, "epoch": int(epoch)})
                else:
                    self.dataset.seed = seed
            sampler.seed = shuffle_seed
            self.set_epoch(int(epoch))
            sampler.resume(int(epoch), int(position))
            self.__dict__["_last_iterator"] = None

        def _check_resumable(self, method: str) -> EpochSampler:
            sampler = self._epoch_sampler()
            if sampler is None or self.batch_size is None:
                value_error(
                    "loader", "a make_loader loader with its own sampler (no sampler= or batch_sampler= passed)", self.sampler,
                    f"leave sampler/batch_sampler out of make_loader (shuffle=True and DDP sharding are built in) to use {method}()",
                )  # fmt: skip
            return sampler

    Loader.__qualname__ = "Loader"
    return Loader


_LOADER: Any = None


def loader_class() -> Any:
    """The ``Loader`` class (a ``torch.utils.data.DataLoader`` subclass; built on first use so that
    importing this module does not import torch)."""
    global _LOADER
    if _LOADER is None:
        _LOADER = _loader_class()
    return _LOADER


def __getattr__(name: str) -> Any:
    if name == "Loader":
        return loader_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    distributed: bool | None = None,
    **kwargs: Any,
) -> Any:
    """A ``torch.utils.data.DataLoader`` with the recommendations applied (each can be overridden).

    num_workers: default ``default_workers()``. pin_memory: default ``torch.cuda.is_available()``.
    persistent_workers: default True when there are workers. collate_fn: default ``collate``
    (uint8 stays uint8). shuffle: order from ``EpochSampler`` (a function of seed and epoch).
    seed: seeds the shuffle order (default: the dataset's ``seed`` if any; else drawn, and under
    ``torch.distributed`` broadcast from rank 0).
    distributed: shard the epoch over the ranks of the ``torch.distributed`` process group (default:
    when one is initialised); rank r of W loads ``order[r::W]``, like ``DistributedSampler``.
    Returns a ``Loader``: a DataLoader with ``set_epoch``, and ``state_dict`` / ``load_state_dict`` for
    mid-epoch checkpoints (those need the built-in sampler: pass no ``sampler`` or ``batch_sampler``).
    """
    torch = require_torch("make_loader")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        value_error("batch_size", "a positive int", batch_size, "pass e.g. batch_size=64")
    workers = default_workers() if num_workers is None else int(num_workers)
    if workers < 0:
        value_error("num_workers", "0 or more", num_workers, "pass 0 to load in the main process")
    seed = seed if seed is not None else getattr(dataset, "seed", None)
    seed = agree_seed(seed)
    generator = torch.Generator()
    generator.manual_seed(seed & 0x7FFF_FFFF_FFFF_FFFF)
    own_sampler = "sampler" not in kwargs and "batch_sampler" not in kwargs
    if own_sampler:
        if distributed is None:
            distributed = process_group() is not None
        world = None if distributed else 1
        rank = None if distributed else 0
        if distributed and process_group() is None:
            value_error("distributed", "True only after torch.distributed.init_process_group", distributed, "initialise the process group first, or leave distributed out")
        kwargs["sampler"], shuffle = EpochSampler(dataset, seed, shuffle=bool(shuffle), num_replicas=world, rank=rank), False
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
    return loader_class()(dataset, **options)

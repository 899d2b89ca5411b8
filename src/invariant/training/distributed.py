"""Distributed data parallel: every rank augments sample *i* of epoch *e* identically, at any scale.

A sample's augmentation is a pure function of ``(seed, epoch, index)`` (``core.rng.derive_rng``), so
what remains for several processes is to agree on the seed and on which rank loads which index:

* ``agree_seed``: when ``torch.distributed`` has a process group and no seed was given, rank 0 draws
  one and broadcasts it (a collective: every rank must construct its datasets in the same order,
  after ``init_process_group``). A given seed is used as is on every rank.
* ``EpochSampler``: the epoch's order (a permutation drawn from ``(seed, epoch)``, or ``0..n-1``)
  is the same on every rank and for any world size; rank ``r`` of ``W`` takes ``order[r::W]``, the
  tail padded like ``torch.utils.data.DistributedSampler`` so every rank gets as many samples. A
  job resumed at global position ``p`` continues with ``order[p:]``, split the same way, so it
  loads exactly what the interrupted job would have loaded next (on the same or another world size).

The checkpoint state (epoch, position, seed) is kept by the loader (``io.loader.Loader``, returned by
``make_loader``): ``loader.state_dict()`` / ``loader.load_state_dict(state)``.
"""

from __future__ import annotations

import multiprocessing
import sys
from multiprocessing import context as mp_context
from typing import Any, Iterator

import numpy as np

from ..core.errors import type_error, value_error
from ..core.rng import derive_rng, fresh_seed

SHUFFLE_STREAM = 2**40  # a key no sample index reaches, so the order stream is independent of samples' streams
SEED_LIMIT = 2**64


def process_group() -> Any:
    """``torch.distributed`` when a default process group is initialised in this process, else None.
    Never imports torch: without torch already imported there can be no process group."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    dist = getattr(torch, "distributed", None)
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return None
    return dist


def rank_and_world() -> tuple[int, int]:
    """``(rank, world_size)`` of the default process group; ``(0, 1)`` without one."""
    dist = process_group()
    return (0, 1) if dist is None else (int(dist.get_rank()), int(dist.get_world_size()))


def check_seed(seed: Any, argument: str = "seed") -> int:
    """``seed`` as an int in [0, 2**64), or a clear error (numpy's SeedSequence refuses negatives)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        type_error(argument, "an int in [0, 2**64) or None", seed, "pass e.g. seed=0, or None to draw one")
    if not 0 <= int(seed) < SEED_LIMIT:
        value_error(argument, "an int in [0, 2**64)", seed, "pass a non-negative seed below 2**64, e.g. seed % 2**64")
    return int(seed)


def agree_seed(seed: Any = None, argument: str = "seed") -> int:
    """The seed every rank uses: ``seed`` when given; else one drawn from the OS, by rank 0 and
    broadcast to all ranks when a ``torch.distributed`` process group is initialised.

    The broadcast is a collective: with a process group, every rank must make the same calls (build
    its datasets and loaders in the same order). Outside one, it is just ``fresh_seed()``."""
    if seed is not None:
        return check_seed(seed, argument)
    drawn = fresh_seed()
    dist = process_group()
    if dist is None:
        return drawn
    box = [drawn]
    dist.broadcast_object_list(box, src=0)
    return int(box[0])


class _SharedEpoch:
    """An int in shared memory when handed to worker processes at start-up; a plain int otherwise.
    typecode: "q" (signed 64-bit, epochs) or "Q" (unsigned 64-bit, seeds)."""

    def __init__(self, value: int = 0, typecode: str = "q") -> None:
        self._typecode = typecode
        self._value = multiprocessing.RawValue(typecode, value)

    @property
    def value(self) -> int:
        return int(self._value.value)

    @value.setter
    def value(self, v: int) -> None:
        self._value.value = int(v)

    def __getstate__(self) -> dict[str, Any]:
        if mp_context.get_spawning_popen() is not None:
            return {"shared": self._value, "typecode": self._typecode}
        return {"plain": self.value, "typecode": self._typecode}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._typecode = state.get("typecode", "q")
        if "shared" in state:
            self._value = state["shared"]
        else:
            self._value = multiprocessing.RawValue(self._typecode, state["plain"])


class EpochSeeded:
    """Seed and epoch of a per-sample-seeded dataset, both in shared memory (they reach persistent
    DataLoader workers), with ``state_dict`` / ``load_state_dict`` for checkpoints."""

    def _init_seeding(self, seed: int | None) -> None:
        self._seed = _SharedEpoch(agree_seed(seed), "Q")
        self._epoch = _SharedEpoch(0)

    @property
    def seed(self) -> int:
        """Base seed of every sample's generator (the same on every rank)."""
        return self._seed.value

    @seed.setter
    def seed(self, value: int) -> None:
        self._seed.value = check_seed(value)

    @property
    def epoch(self) -> int:
        return self._epoch.value

    def set_epoch(self, epoch: int) -> None:
        """Call at the start of each epoch (also reaches persistent workers)."""
        self._epoch.value = int(epoch)

    def rng_for(self, index: int) -> np.random.Generator:
        """Sample ``index``'s generator in the current epoch."""
        return derive_rng(self.seed, self.epoch, index)

    def state_dict(self) -> dict[str, int]:
        """``{"seed", "epoch"}``: what a resumed job needs to augment exactly as this one would."""
        return {"seed": self.seed, "epoch": self.epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore ``state_dict()``'s seed and epoch (reaches already running persistent workers)."""
        if not isinstance(state, dict) or not {"seed", "epoch"} <= set(state):
            type_error("state", "a dict with 'seed' and 'epoch' (from state_dict())", state, "pass what dataset.state_dict() returned")
        epoch = state["epoch"]
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
            value_error("state['epoch']", "a non-negative int", epoch, "pass what dataset.state_dict() returned")
        self.seed = check_seed(state["seed"], "state['seed']")
        self.set_epoch(int(epoch))


class EpochSampler:
    """The indices this rank loads in one epoch: a pure function of (seed, epoch, rank, world size).

    dataset: anything with ``len``; when it has an ``epoch`` (``set_epoch``) that epoch is used, else
    the sampler's own (``set_epoch``, or one more at each iteration when never set).
    shuffle: a permutation drawn from ``(seed, epoch)``; False: ``0..n-1``.
    num_replicas, rank: the world size and this rank (default: the process group's, else 1 and 0).
    """

    def __init__(self, dataset: Any, seed: int, shuffle: bool = True, num_replicas: int | None = None, rank: int | None = None) -> None:
        group_rank, group_world = rank_and_world()
        world = group_world if num_replicas is None else num_replicas
        me = group_rank if rank is None else rank
        if isinstance(world, bool) or not isinstance(world, (int, np.integer)) or world < 1:
            value_error("num_replicas", "a positive int (the world size)", num_replicas, "pass torch.distributed.get_world_size(), or leave it out")
        if isinstance(me, bool) or not isinstance(me, (int, np.integer)) or not 0 <= me < world:
            value_error("rank", f"an int in [0, {world})", rank, "pass torch.distributed.get_rank(), or leave it out")
        self.dataset, self.seed, self.shuffle = dataset, check_seed(seed), bool(shuffle)
        self.num_replicas, self.rank = int(world), int(me)
        self._epoch: int | None = None  # set_epoch's value (datasets without an epoch of their own)
        self._calls = 0
        self._resume: tuple[int, int] | None = None  # (epoch, global start) for the next iteration of that epoch

    # -- epoch ---------------------------------------------------------------------------------------------
    def _dataset_epoch(self) -> int | None:
        epoch = getattr(self.dataset, "epoch", None)
        return int(epoch) if isinstance(epoch, (int, np.integer)) and not isinstance(epoch, bool) else None

    @property
    def epoch(self) -> int:
        """The epoch the next iteration will use."""
        own = self._dataset_epoch()
        if own is not None:
            return own
        return self._epoch if self._epoch is not None else self._calls

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch (forwarded to the dataset when it has ``set_epoch``)."""
        if hasattr(self.dataset, "set_epoch"):
            self.dataset.set_epoch(int(epoch))
        self._epoch = int(epoch)

    def resume(self, epoch: int, position: int) -> None:
        """Make the next iteration of ``epoch`` start at global ``position`` (samples of the epoch's
        order consumed by all ranks together before the checkpoint)."""
        n = len(self.dataset)
        if isinstance(position, bool) or not isinstance(position, (int, np.integer)) or not 0 <= position <= n:
            value_error("position", f"an int in [0, {n}] (samples of the epoch already consumed)", position, "pass the position saved by state_dict()")
        self._resume = (int(epoch), int(position))

    def pending_start(self, epoch: int) -> int:
        """The global start the next iteration of ``epoch`` will use (0 unless resuming)."""
        return self._resume[1] if self._resume is not None and self._resume[0] == epoch else 0

    # -- order ---------------------------------------------------------------------------------------------
    def order(self, epoch: int) -> np.ndarray:
        """The epoch's global order, the same on every rank and for every world size."""
        n = len(self.dataset)
        if self.shuffle:
            return derive_rng(self.seed, int(epoch), SHUFFLE_STREAM).permutation(n)
        return np.arange(n)

    def indices(self, epoch: int, start: int = 0) -> np.ndarray:
        """This rank's indices of ``epoch`` from global position ``start`` on."""
        order = self.order(epoch)
        rest = order[start:]
        world = self.num_replicas
        if world > 1 and len(rest) % world:
            pad = world - len(rest) % world  # like DistributedSampler: repeat the order's head
            rest = np.concatenate([rest, np.resize(order, pad)])
        return rest[self.rank :: world]

    def __len__(self) -> int:
        epoch = self.epoch
        return len(self.indices(epoch, self.pending_start(epoch)))

    def __iter__(self) -> Iterator[int]:
        epoch = self.epoch
        if self._dataset_epoch() is None and self._epoch is None:
            self._calls += 1  # no epoch given anywhere: a new order per iteration
        start = self.pending_start(epoch)
        self._resume = None
        return iter(self.indices(epoch, start).tolist())


class EpochShuffle(EpochSampler):
    """Shuffle order as a pure function of (seed, epoch) on one process (``EpochSampler`` with one rank)."""

    def __init__(self, dataset: Any, seed: int) -> None:
        super().__init__(dataset, seed, shuffle=True, num_replicas=1, rank=0)

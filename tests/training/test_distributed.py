"""DDP with real process groups: torch.distributed (gloo, 127.0.0.1) on 1, 2 and 4 processes.

Every rank records, for each sample it loads, (epoch, index, hash of the augmented uint8 image). The
reference is computed here, in one process, without any loader: ``pipe(rng=derive_rng(seed, epoch, i))``
and the epoch order ``derive_rng(seed, epoch, 2**40).permutation(n)`` split ``order[r::W]`` with the
tail padded from the head (DistributedSampler's rule). So sample i of epoch e must hash the same on any
world size and num_workers, ranks must agree on a seed nobody passed, and a job stopped mid-epoch and
restarted from ``loader.state_dict()`` must continue with exactly the samples it would have loaded.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.distributed as dist  # noqa: E402

import invariant as iv  # noqa: E402
from invariant.core.rng import derive_rng  # noqa: E402
from invariant.io import make_loader  # noqa: E402
from invariant.training.dataset import AugmentedDataset  # noqa: E402
from invariant.training.distributed import EpochSampler, agree_seed  # noqa: E402
from invariant.training.ssl import AugMixDataset, MultiViewDataset  # noqa: E402

N, BATCH, EPOCHS = 22, 2, 2  # 22 samples: not a multiple of 4, so the 4-rank split pads the tail


class Crops:
    """Tiny real-photo items (the astronaut photo's 16x16 tiles) labelled with their own index."""

    def __init__(self) -> None:
        from skimage import data

        photo = data.astronaut()[::8, ::8]  # 64x64
        self.items = [np.ascontiguousarray(photo[(i // 4) * 8 % 48 : (i // 4) * 8 % 48 + 16, (i % 4) * 12 : (i % 4) * 12 + 16]) for i in range(N)]

    def __len__(self) -> int:
        return N

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        return self.items[i], i


def pipeline() -> iv.Compose:
    return iv.Compose([iv.RandomResizedCrop(12, scale=(0.3, 1.0)), iv.HorizontalFlip(), iv.ColorJitter(brightness=0.4, contrast=0.4, p=0.8)])


def digest(chw: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(chw).tobytes()).hexdigest()[:16]


def view_pipelines(kind: str) -> list[iv.Compose]:
    """The per-view pipelines of a multi-view dataset: two SimCLR-like views, or AugMix's (clean, aug1, aug2)."""
    if kind == "augmix":
        return [iv.Compose([]), iv.Compose([iv.AugMix(severity=2, width=2)]), iv.Compose([iv.AugMix(severity=2, width=2)])]
    return [pipeline(), pipeline()]


def reference_hash(seed: int, epoch: int, index: int, views: str = "") -> str:
    image = Crops()[index][0]
    if not views:
        return digest(pipeline()(rng=derive_rng(seed, epoch, index), image=image)["image"].transpose(2, 0, 1))
    pipes = view_pipelines(views)
    return "+".join(digest(p(rng=derive_rng(seed, epoch, index, k + 1), image=image)["image"].transpose(2, 0, 1)) for k, p in enumerate(pipes))


def reference_indices(seed: int, epoch: int, world: int, rank: int, start: int = 0) -> list[int]:
    order = derive_rng(seed, epoch, 2**40).permutation(N)
    rest = list(order[start:])
    while len(rest) % world:
        rest.append(order[(len(rest) - (N - start)) % N])
    return [int(i) for i in rest[rank::world]]


# -- the rank processes ---------------------------------------------------------------------------------
def _rank_main(rank: int, world: int, port: int, cfg: dict[str, Any], out: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world, timeout=timedelta(seconds=60))
    try:
        if cfg.get("views") == "augmix":
            ds: Any = AugMixDataset(Crops(), iv.AugMix(severity=2, width=2), seed=cfg.get("seed"))
        elif cfg.get("views"):
            ds = MultiViewDataset(Crops(), view_pipelines(cfg["views"]), seed=cfg.get("seed"))
        else:
            ds = AugmentedDataset(Crops(), pipeline(), seed=cfg.get("seed"))
        loader = make_loader(ds, batch_size=BATCH, shuffle=True, num_workers=cfg["workers"])
        start_epoch = 0
        if cfg.get("resume_from"):
            state = json.loads(Path(cfg["resume_from"]).read_text())
            loader.load_state_dict(state)
            start_epoch = state["epoch"]
        records, saved = [], None
        for epoch in range(start_epoch, EPOCHS):
            loader.set_epoch(epoch)
            for b, (images, index) in enumerate(loader):
                views = images if isinstance(images, (tuple, list)) else (images,)
                for k, i in enumerate(index.tolist()):
                    records.append([epoch, i, "+".join(digest(v[k].numpy()) for v in views)])
                if cfg.get("stop") == [epoch, b + 1]:  # stop mid-epoch, as a killed job would, after a checkpoint
                    saved = loader.state_dict()
                    break
            if saved is not None:
                break
        states: list[Any] = [None] * world
        dist.all_gather_object(states, saved)
        seeds: list[Any] = [None] * world
        dist.all_gather_object(seeds, [ds.seed, loader.sampler.seed, len(loader)])
        if rank == 0 and saved is not None:
            Path(out, "checkpoint.json").write_text(json.dumps(saved))
        Path(out, f"rank{rank}.json").write_text(json.dumps({"records": records, "states": states, "seeds": seeds}))
        del loader  # stop the persistent workers now, not in the interpreter's exit (which waits on them)
    finally:
        dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_job(world: int, cfg: dict[str, Any], out: Path) -> list[dict[str, Any]]:
    """Start ``world`` processes (spawn), one gloo process group on loopback; their per-rank records."""
    import torch.multiprocessing as mp

    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    mp.spawn(_rank_main, args=(world, free_port(), cfg, str(out)), nprocs=world, join=True)
    return [json.loads((out / f"rank{r}.json").read_text()) for r in range(world)]


def check_against_reference(ranks: list[dict[str, Any]], seed: int, epochs: range, views: str = "") -> None:
    world = len(ranks)
    for rank, result in enumerate(ranks):
        for epoch in epochs:
            got = [(i, h) for e, i, h in result["records"] if e == epoch]
            expected = reference_indices(seed, epoch, world, rank)
            assert [i for i, _ in got] == expected, f"rank {rank} epoch {epoch}: order differs"
            for i, h in got:
                assert h == reference_hash(seed, epoch, i, views), f"rank {rank} epoch {epoch} index {i}: augmentation differs"
    for epoch in epochs:  # all ranks together cover the epoch
        assert {i for r in ranks for e, i, _ in r["records"] if e == epoch} == set(range(N))


# -- tests ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("world,workers", [(1, 2), (2, 1), (4, 0)])
def test_same_augmentation_per_index_on_1_2_and_4_ranks(tmp_path, world, workers):
    """Nobody passes a seed: rank 0 draws one and broadcasts it, so every rank reports the same; and
    sample i of epoch e matches the one-process reference whatever the world size and worker count."""
    ranks = run_job(world, {"workers": workers}, tmp_path)
    seeds = ranks[0]["seeds"]
    assert all(s == seeds[0] for s in seeds), f"ranks disagree on the seed: {seeds}"
    seed, shuffle_seed, per_rank_batches = seeds[0]
    assert shuffle_seed == seed and per_rank_batches == math.ceil(math.ceil(N / world) / BATCH)
    check_against_reference(ranks, seed, range(EPOCHS))


@pytest.mark.parametrize("views", ["simclr", "augmix"])
def test_multiview_and_augmix_datasets_on_2_ranks(tmp_path, views):
    """MultiViewDataset (two views) and AugMixDataset ((clean, aug1, aug2)): every view of sample i of
    epoch e as the one-process reference, view k from derive_rng(seed, epoch, i, k + 1)."""
    ranks = run_job(2, {"workers": 1, "views": views}, tmp_path)
    seed = ranks[0]["seeds"][0][0]
    assert ranks[1]["seeds"][0][0] == seed  # broadcast
    check_against_reference(ranks, seed, range(EPOCHS), views=views)


@pytest.fixture(scope="module")
def stopped_job(tmp_path_factory) -> tuple[Path, list[dict[str, Any]]]:
    """A 2-rank job (1 worker each, no seed given) that stops after 3 batches of epoch 1, as a killed job
    would, having saved rank 0's ``loader.state_dict()``."""
    out = tmp_path_factory.mktemp("stopped")
    return out, run_job(2, {"workers": 1, "stop": [1, 3]}, out)


def test_stopped_job_checkpoint(stopped_job):
    _, first = stopped_job
    states = first[0]["states"]
    assert states[0] == states[1] and states[0]["epoch"] == 1 and states[0]["position"] == 3 * BATCH * 2  # every rank says the same
    seed = states[0]["seed"]
    assert first[0]["seeds"][0][0] == seed == first[1]["seeds"][0][0]  # nobody passed a seed: rank 0's was broadcast
    for rank, result in enumerate(first):
        assert [i for e, i, _ in result["records"] if e == 1] == reference_indices(seed, 1, 2, rank)[: 3 * BATCH]
    check_against_reference(first, seed, range(1))  # epoch 0 complete and right


@pytest.mark.parametrize("resume_world", [2, 4])
def test_resume_continues_with_the_same_augmentations(tmp_path, stopped_job, resume_world):
    """A new job (fresh processes, no workers; also on 4 ranks) loads the checkpoint and continues: it loads
    exactly the rest of epoch 1's order, split over its ranks, with the same augmentations, then epoch 1
    is done; nothing is lost or repeated (but the padding rule's repeats of the order's head)."""
    folder, first = stopped_job
    state = first[0]["states"][0]
    seed, position = state["seed"], state["position"]
    second = run_job(resume_world, {"workers": 0, "resume_from": str(folder / "checkpoint.json")}, tmp_path)
    for rank, result in enumerate(second):
        assert result["seeds"][0][0] == seed  # the checkpoint's seed, not a fresh one
        assert [i for e, i, _ in result["records"] if e == 1] == reference_indices(seed, 1, resume_world, rank, start=position)
        for e, i, h in result["records"]:
            assert h == reference_hash(seed, e, i)
    order = [int(i) for i in derive_rng(seed, 1, 2**40).permutation(N)]
    before = [i for r in first for e, i, _ in r["records"] if e == 1]
    after = [i for r in second for e, i, _ in r["records"] if e == 1]
    padding = order[: (-(N - position)) % resume_world]
    assert sorted(before) == sorted(order[:position]) and sorted(after) == sorted(order[position:] + padding)
    if resume_world == 2:  # same world size: the two halves are the uninterrupted job's epoch 1, rank by rank
        for rank in range(2):
            joined = [i for e, i, _ in first[rank]["records"] if e == 1] + [i for e, i, _ in second[rank]["records"] if e == 1]
            assert joined == reference_indices(seed, 1, 2, rank)


# -- one process: the state API and seed agreement without a process group -------------------------------
def test_state_dict_round_trip_in_one_process_with_workers():
    ds = AugmentedDataset(Crops(), pipeline(), seed=7)
    loader = make_loader(ds, batch_size=4, shuffle=True, num_workers=2)
    assert loader.state_dict() == {"epoch": 0, "position": 0, "seed": 7, "shuffle_seed": 7}
    full = [(b[0].clone(), b[1].clone()) for b in loader]  # epoch 0 entire
    assert loader.state_dict()["epoch"] == 1 and loader.state_dict()["position"] == 0
    loader.set_epoch(0)
    it = iter(loader)
    next(it), next(it)
    state = loader.state_dict()
    assert state == {"epoch": 0, "position": 8, "seed": 7, "shuffle_seed": 7}
    other = make_loader(AugmentedDataset(Crops(), pipeline(), seed=99), batch_size=4, shuffle=True, num_workers=2)
    next(iter(other))  # its persistent workers already hold seed 99: load_state_dict must reach them
    other.load_state_dict(state)
    assert len(other) == len(full) - 2
    rest = list(other)
    for (x, y), (fx, fy) in zip(rest, full[2:], strict=True):
        assert torch.equal(x, fx) and torch.equal(y, fy)
    assert other.state_dict()["epoch"] == 1


def test_bad_states_and_seeds_are_refused():
    ds = AugmentedDataset(Crops(), pipeline(), seed=7)
    loader = make_loader(ds, batch_size=4, num_workers=0)
    with pytest.raises(TypeError, match="state: expected a dict with keys"):
        loader.load_state_dict({"epoch": 0})
    with pytest.raises(ValueError, match=r"state\['position'\]: expected an int in \[0, 22\]"):
        loader.load_state_dict({"epoch": 0, "position": 99, "seed": 7, "shuffle_seed": 7})
    with pytest.raises(ValueError, match="seed: expected an int in"):
        AugmentedDataset(Crops(), pipeline(), seed=-1)
    with pytest.raises(ValueError, match="sampler"):
        make_loader(ds, batch_size=4, num_workers=0, sampler=list(range(N))).state_dict()
    assert agree_seed(5) == 5 and 0 <= agree_seed() < 2**64  # no process group: drawn locally
    sampler = EpochSampler(ds, seed=3, shuffle=False, num_replicas=4, rank=3)
    assert list(sampler) == [3, 7, 11, 15, 19, 1]  # 22 padded to 24 with the head (0, 1), like DistributedSampler

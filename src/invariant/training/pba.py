"""Population Based Augmentation (Ho, Liang, Stoica, Abbeel, Chen: "Population Based Augmentation:
Efficient Learning of Augmentation Policy Schedules", ICML 2019), run on Ray Tune's
``PopulationBasedTraining`` scheduler.

A population of small CNNs trains in parallel, one epoch per step. Every ``interval`` epochs the
scheduler ranks the members by validation accuracy; a member in the bottom quantile copies the weights
and policy of a member in the top quantile (*exploit*, truncation selection, ``truncation_split``)
and then perturbs the copied policy (*explore*, ``explore``). The search space is the paper's: every
operation appears twice, each copy with a probability index 0..10 (p = i / 10) and a magnitude 0..9
(a level of 10, ``num_bins=11``); explore resamples a value uniformly with probability 0.2, otherwise
moves it by 0, 1, 2 or 3 steps up or down (equally likely) and clips it to its domain (the paper's
Algorithm 2, as in the reference code ``pba/search.py``). The search starts from the all-zero policy,
as the reference implementation does.

The result is the best member's *schedule*: the policy it (and the members whose weights it inherited)
trained with in each epoch. It is written as a pipeline of one ``iv.PBAPolicy`` whose operations'
``p`` and ``magnitude`` are ``iv.Step`` schedules of training progress (epoch ``e`` of ``E`` is progress
``e / (E - 1)``, as ``AugmentedDataset`` sets it), so ``iv.load`` replays it, stretched over any number
of epochs.

Ray is optional (``pip install "invariant[pba]"``); it starts in-process on this machine by default
(``ray.init(num_cpus=...)``, no dashboard, usage statistics off) or joins a running cluster at ``address``
(which must have invariant installed). Test data are never read by the search.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..core.compose import Compose
from ..core.errors import type_error, value_error
from ..core.schedule import Step
from ..policies.ops import make_op
from ..policies.pba import PBAPolicy
from .adapters import LabelledImages
from .trainer import check_epochs

# The paper's 15 operations less Cutout (not a policy op here): each appears twice in the policy.
PBA_OPS = (
    "ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Brightness", "Color", "Contrast", "Sharpness",
    "Posterize", "Solarize", "AutoContrast", "Equalize", "Invert",
)  # fmt: skip
PROB_MAX = 10  # probability index 0..10 -> p = index / 10
MAG_MAX = 9  # magnitude 0..9
NUM_BINS = 11  # level = magnitude / 10 of the op's range (PBA's PARAMETER_MAX = 10)
RESAMPLE_PROBABILITY = 0.2
STEP_SIZES = (0, 1, 2, 3)


def policy_slots(ops: Sequence[str] = PBA_OPS, copies: int = 2) -> list[str]:
    """The operation of each slot: every op ``copies`` times (the paper uses 2)."""
    return [op for op in ops for _ in range(copies)]


def zero_policy(n_slots: int) -> list[int]:
    """The starting policy of the search: [p0, m0, p1, m1, ...] all 0."""
    return [0] * (2 * n_slots)


def random_policy(n_slots: int, rng: np.random.Generator) -> list[int]:
    """A policy drawn uniformly from the domain (p index 0..10, magnitude 0..9), one start per member."""
    return [int(rng.integers(0, _top(i) + 1)) for i in range(2 * n_slots)]


def _top(index: int) -> int:
    return PROB_MAX if index % 2 == 0 else MAG_MAX


def explore(policy: Sequence[int], rng: Any, resample_probability: float = RESAMPLE_PROBABILITY) -> list[int]:
    """Ho et al. 2019, Algorithm 2: for every value of the flat policy [p0, m0, p1, m1, ...]: with
    probability ``resample_probability`` draw it uniformly from its domain (p: 0..10, m: 0..9); else
    draw ``amt`` from {0, 1, 2, 3}, subtract it (probability 1/2) or add it, and clip to the domain.
    ``rng`` is a ``numpy.random.Generator`` (``random()`` and ``integers(low, high)``)."""
    out = []
    for i, value in enumerate(policy):
        top = _top(i)
        if rng.random() < resample_probability:
            out.append(int(rng.integers(0, top + 1)))
            continue
        amt = STEP_SIZES[int(rng.integers(0, len(STEP_SIZES)))]
        moved = value - amt if rng.random() < 0.5 else value + amt
        out.append(int(min(max(moved, 0), top)))
    return out


def truncation_split(scores: Sequence[float], quantile: float = 0.25) -> tuple[list[int], list[int]]:
    """Truncation selection (Jaderberg et al. 2017, PBT; Ray Tune's rule): indices of the bottom and top
    ``quantile`` of the members by score (higher is better), ``ceil(n * quantile)`` each but at most half
    the population; ties keep member order. Bottom members copy a top member's weights and policy."""
    if not 0.0 < quantile <= 0.5:
        value_error("quantile", "a fraction in (0, 0.5]", quantile, "pass e.g. quantile=0.25")
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    if len(order) <= 1:
        return [], []
    k = min(int(math.ceil(len(order) * quantile)), len(order) // 2)
    return order[:k], order[-k:]


def policy_table(slots: Sequence[str], policy: Sequence[int]) -> list[dict[str, Any]]:
    """The flat policy as readable rows: op, probability, magnitude."""
    return [{"op": op, "p": policy[2 * i] / PROB_MAX, "magnitude": int(policy[2 * i + 1])} for i, op in enumerate(slots)]


def _stepped(values: list[Any], milestones: list[float]) -> Any:
    return values[0] if all(v == values[0] for v in values) else Step(milestones, values)


def schedule_pipeline(slots: Sequence[str], history: Sequence[tuple[int, Sequence[int]]], seed: int | None = None) -> Compose:
    """The pipeline that replays ``history`` (a list of (epoch, flat policy), one per epoch from 0):
    one ``PBAPolicy`` whose ops have ``p`` and ``magnitude`` as ``Step`` schedules of progress. Epoch
    ``e`` of the ``E`` searched is progress ``e / (E - 1)``; the milestones sit half-way between epochs."""
    epochs = sorted(int(e) for e, _ in history)
    if not history or epochs != list(range(len(history))):
        value_error("history", "one (epoch, policy) per epoch, epochs 0, 1, 2, ...", [e for e, _ in history], "pass the best member's full history")
    policies = [list(p) for _, p in sorted(history, key=lambda item: int(item[0]))]
    n = len(policies)
    milestones = [(k - 0.5) / (n - 1) for k in range(1, n)] if n > 1 else []
    ops = []
    for i, op in enumerate(slots):
        p = _stepped([pol[2 * i] / PROB_MAX for pol in policies], milestones)
        m = _stepped([int(pol[2 * i + 1]) for pol in policies], milestones)
        ops.append(make_op(op, magnitude=m, num_bins=NUM_BINS, p=p))
    return Compose([PBAPolicy(ops)], seed=seed)


# -- the population (Ray Tune) ------------------------------------------------------------------------------------
@dataclass
class PBASettings:
    population: int = 4
    epochs: int = 12
    interval: int = 2  # epochs between exploit/explore
    quantile: float = 0.25
    lr: float = 3e-3
    batch_size: int = 64
    seed: int = 0
    cpus: int = 2  # local Ray: CPUs to start with (one member trains per CPU)
    init: str = "random"  # "random": each member starts from a uniform draw; "zeros": the reference code's start

    @classmethod
    def quick(cls, **overrides: Any) -> "PBASettings":
        """A smoke run of about a minute on 2 cores: 4 members, 4 epochs, exploit/explore after every epoch."""
        base = dict(population=4, epochs=4, interval=1)
        base.update(overrides)
        return cls(**base)


@dataclass
class PBAResult:
    settings: PBASettings
    slots: list[str]
    history: list[tuple[int, list[int]]]  # the best member's (epoch, flat policy) for every epoch
    best_val_acc: float
    # every member's last result; seed_member: whose seed (data order) it trains with, copied on exploit
    members: list[dict[str, Any]] = field(default_factory=list)
    pipeline: Compose | None = None
    paths: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    exploits: int = 0  # how many times a member copied another's weights and policy


def _lr_at(step: int, total: int, lr: float, pct_start: float = 0.15) -> float:
    """One-cycle learning rate (linear warm-up to ``lr``, cosine decay), as ``train_model``'s
    ``OneCycleLR``, as a pure function of the step so a copied member continues the same curve."""
    warm = max(1, int(pct_start * total))
    if step < warm:
        return lr / 25.0 + (lr - lr / 25.0) * step / warm
    t = min(1.0, (step - warm) / max(1, total - warm))
    return lr / 1e4 + (lr - lr / 1e4) * 0.5 * (1 + math.cos(math.pi * t))


def _member_class() -> Any:
    """The Ray Tune class Trainable of one member (built lazily: Ray is an optional import)."""
    from ray import tune

    class PBAMember(tune.Trainable):
        """One member: a small CNN trained one epoch per step with the policy in its config."""

        def setup(self, config: dict[str, Any], train: Any = None, val: Any = None) -> None:
            import cv2
            import torch

            torch.set_num_threads(1)
            cv2.setNumThreads(0)
            self.train_data, self.val_data = train, val
            self._fresh(config)

        def _fresh(self, config: dict[str, Any]) -> None:
            import torch

            from .models import small_cnn
            from .trainer import _Converter

            self.config_ = dict(config)
            self.policy = [int(v) for v in config["policy"]]
            self.convert = _Converter(self.train_data, standardise=True)
            torch.manual_seed(int(config["seed"]) * 1000 + int(config["member"]))
            classes = max(len(self.train_data.classes), int(self.train_data.labels.max()) + 1)
            self.model = small_cnn(self.train_data.channels, classes)
            self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=float(config["lr"]), weight_decay=1e-4)
            self.epoch, self.step_count = 0, 0
            self.lineage: list[list[Any]] = []

        def step(self) -> dict[str, Any]:
            import torch
            from torch.utils.data import DataLoader

            from .dataset import AugmentedDataset
            from .trainer import _evaluate

            cfg = self.config_
            pipe = schedule_pipeline(cfg["slots"], [(0, self.policy)])
            seed = int(cfg["seed"]) * 1000 + int(cfg["member"])
            dataset = AugmentedDataset(self.train_data, pipe, seed=seed)
            dataset.set_epoch(self.epoch)
            gen = torch.Generator().manual_seed(seed * 100003 + self.epoch)
            loader = DataLoader(dataset, batch_size=int(cfg["batch_size"]), shuffle=True, generator=gen, num_workers=0, collate_fn=lambda items: (self.convert([i[0] for i in items]), torch.as_tensor([i[1] for i in items])))
            total = int(cfg["epochs"]) * len(loader)
            self.model.train()
            for x, y in loader:
                for group in self.optimizer.param_groups:
                    group["lr"] = _lr_at(self.step_count, total, float(cfg["lr"]))
                loss = torch.nn.functional.cross_entropy(self.model(x), y)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.optimizer.step()
                self.step_count += 1
            val_x, val_y = self.convert(list(self.val_data.images)), torch.as_tensor(self.val_data.labels)
            val_loss, val_acc = _evaluate(self.model, val_x, val_y)
            self.lineage.append([self.epoch, list(self.policy)])
            self.epoch += 1
            return {"val_acc": val_acc, "val_loss": val_loss, "epoch": self.epoch, "member": int(cfg["member"]), "lineage": json.dumps(self.lineage)}

        def save_checkpoint(self, checkpoint_dir: str) -> None:
            import torch

            state = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "epoch": self.epoch, "step_count": self.step_count, "lineage": self.lineage}
            torch.save(state, os.path.join(checkpoint_dir, "member.pt"))

        def load_checkpoint(self, checkpoint: str) -> None:
            import torch

            state = torch.load(os.path.join(checkpoint, "member.pt"), weights_only=False)
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
            self.epoch, self.step_count, self.lineage = state["epoch"], state["step_count"], state["lineage"]

        def reset_config(self, new_config: dict[str, Any]) -> bool:
            # A reused actor: a new trial starts from scratch; an exploited one is restored from the copied
            # checkpoint right after this (weights, epoch, lineage), keeping the explored policy.
            self._fresh(new_config)
            return True

    return PBAMember


def _scheduler(settings: PBASettings, rng: np.random.Generator) -> Any:
    from ray.tune.schedulers import PopulationBasedTraining

    class TruncationPBT(PopulationBasedTraining):
        """Ray's PBT with the split taken from ``truncation_split`` and explore from ``explore``."""

        exploits = 0

        def _quantiles(self) -> tuple[list[Any], list[Any]]:
            trials = [t for t, s in self._trial_state.items() if s.last_score is not None and not math.isnan(s.last_score) and not t.is_finished()]
            bottom, top = truncation_split([self._trial_state[t].last_score for t in trials], self._quantile_fraction)
            return [trials[i] for i in bottom], [trials[i] for i in top]

    def perturb(config: dict[str, Any]) -> dict[str, Any]:
        TruncationPBT.exploits += 1
        config["policy"] = explore(config["policy"], rng)
        return config

    return TruncationPBT(
        time_attr="training_iteration", perturbation_interval=settings.interval, quantile_fraction=settings.quantile,
        custom_explore_fn=perturb, log_config=False, synch=True,
    )  # fmt: skip


def check_settings(settings: PBASettings) -> PBASettings:
    if not isinstance(settings, PBASettings):
        type_error("settings", "a PBASettings", settings, "pass PBASettings(...) or PBASettings.quick()")
    check_epochs(settings.epochs)
    for name in ("population", "interval", "cpus"):
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            value_error(name, "a positive integer", value, f"pass e.g. {name}=2")
    if settings.population < 2:
        value_error("population", "at least 2 members (one to copy from, one to copy)", settings.population, "pass e.g. population=4")
    if settings.init not in ("random", "zeros"):
        value_error("init", "'random' or 'zeros'", settings.init, "pass init='random' (default) or init='zeros'")
    if settings.interval >= settings.epochs:
        value_error("interval", f"fewer epochs than the search's {settings.epochs}", settings.interval, "lower interval or raise epochs")
    return settings


def _ray_init(address: str | None, cpus: int) -> bool:
    """Start Ray here (or join ``address``) unless this process already did; True if this call did."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no telemetry
    import ray

    if ray.is_initialized():
        return False
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    return True


def run_pba(
    train: LabelledImages,
    val: LabelledImages,
    settings: PBASettings | None = None,
    *,
    out: str | Path | None = None,
    address: str | None = None,
    echo: Callable[[str], None] = print,
) -> PBAResult:
    """Search a PBA schedule on ``train`` (scored on ``val``) and return it; with ``out``, write
    ``schedule.json``, ``pba.yaml`` (``iv.load`` replays it) and ``schedule.png``."""
    try:
        from ray import tune
    except ImportError as exc:
        raise ImportError('invariant pba needs Ray Tune: pip install "invariant[pba]" (or pip install "ray[tune]" matplotlib)') from exc
    settings = check_settings(settings or PBASettings())
    start = time.perf_counter()
    started = _ray_init(address, settings.cpus)
    slots = policy_slots()
    rng = np.random.default_rng(settings.seed)
    import random

    random.seed(settings.seed)  # Ray's PBT picks the donor with the random module (in this process)
    starts = [zero_policy(len(slots)) if settings.init == "zeros" else random_policy(len(slots), rng) for _ in range(settings.population)]
    scheduler = _scheduler(settings, rng)
    storage = Path(out if out is not None else Path.cwd() / "invariant-pba").absolute() / "ray"
    config = {
        "member": tune.grid_search(list(range(settings.population))),
        "policy": tune.sample_from(lambda config: starts[int(config["member"])]), "slots": slots, "seed": settings.seed, "lr": settings.lr,
        "batch_size": settings.batch_size, "epochs": settings.epochs,
    }  # fmt: skip
    trainable = tune.with_resources(tune.with_parameters(_member_class(), train=train, val=val), {"cpu": 1})
    tuner = tune.Tuner(
        trainable,
        param_space=config,
        tune_config=tune.TuneConfig(scheduler=scheduler, metric="val_acc", mode="max", reuse_actors=True),
        run_config=tune.RunConfig(name="pba", storage_path=str(storage), stop={"training_iteration": settings.epochs}, verbose=0),
    )
    try:
        grid = tuner.fit()
    finally:
        if started:  # free the workers (and their CPUs) for whatever runs next
            import ray

            ray.shutdown()
    errors = [str(r.error) for r in grid if r.error is not None]
    if errors:
        raise RuntimeError(f"pba: {len(errors)} member(s) failed: {errors[0]}")
    members = [{"trial": r.metrics["trial_id"], "seed_member": r.metrics["member"], "val_acc": r.metrics["val_acc"], "val_loss": r.metrics["val_loss"], "epochs": r.metrics["epoch"]} for r in grid]
    best = grid.get_best_result(metric="val_acc", mode="max", scope="last")
    lineage = [(int(e), [int(v) for v in p]) for e, p in json.loads(best.metrics["lineage"])]
    result = PBAResult(settings, slots, lineage, float(best.metrics["val_acc"]), members, schedule_pipeline(slots, lineage, seed=settings.seed))
    result.exploits = scheduler.exploits
    result.seconds = time.perf_counter() - start
    if out is not None:
        write_outputs(result, Path(out))
    echo(f"pba: {settings.population} members x {settings.epochs} epochs, {result.exploits} exploit/explore steps, best validation accuracy {100 * result.best_val_acc:.1f}% ({result.seconds:.0f} s)")
    return result


def write_outputs(result: PBAResult, out: Path) -> dict[str, Path]:
    from ..core.serialization import save

    out.mkdir(parents=True, exist_ok=True)
    schedule = [{"epoch": e, "policy": policy_table(result.slots, p)} for e, p in result.history]
    payload = {"settings": asdict(result.settings), "best_val_acc": result.best_val_acc, "members": result.members, "exploits": result.exploits, "seconds": result.seconds, "schedule": schedule}
    paths = {"schedule": out / "schedule.json", "pipeline": out / "pba.yaml", "plot": out / "schedule.png"}
    paths["schedule"].write_text(json.dumps(payload, indent=2))
    assert result.pipeline is not None
    save(result.pipeline, paths["pipeline"])
    plot_schedule(result.slots, result.history, paths["plot"])
    result.paths = paths
    return paths


def op_curves(slots: Sequence[str], history: Sequence[tuple[int, Sequence[int]]]) -> dict[str, tuple[list[float], list[float]]]:
    """Per op and epoch: the summed probability of its copies and its strength sum(p * magnitude) (the
    quantity Figure 3 of Ho et al. plots per operation)."""
    curves: dict[str, tuple[list[float], list[float]]] = {}
    for _, policy in history:
        totals: dict[str, list[float]] = {}
        for i, op in enumerate(slots):
            p, m = policy[2 * i] / PROB_MAX, policy[2 * i + 1]
            t = totals.setdefault(op, [0.0, 0.0])
            t[0] += p
            t[1] += p * m
        for op, (p, s) in totals.items():
            curves.setdefault(op, ([], []))
            curves[op][0].append(p)
            curves[op][1].append(s)
    return curves


def plot_schedule(slots: Sequence[str], history: Sequence[tuple[int, Sequence[int]]], path: Path) -> Path:
    """Two panels over epochs, one line per op: summed probability, and strength sum(p * magnitude)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [int(e) + 1 for e, _ in history]
    fig, (ax_p, ax_m) = plt.subplots(1, 2, figsize=(12, 4.5))
    colours = plt.get_cmap("tab20").colors
    for k, (op, (probs, strength)) in enumerate(op_curves(slots, history).items()):
        style = dict(marker="os^D"[k % 4], ms=3, color=colours[k % len(colours)], ls="-" if k < 10 else "--", label=op)
        ax_p.plot(epochs, probs, **style)
        ax_m.plot(epochs, strength, **style)
    ax_p.set(xlabel="epoch (1-based)", ylabel="probability (sum over its 2 copies)", title="Learned schedule: probability")
    ax_m.set(xlabel="epoch (1-based)", ylabel="sum of p x magnitude (0..9)", title="Learned schedule: strength")
    ax_m.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    from matplotlib.ticker import MaxNLocator

    for ax in (ax_p, ax_m):
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


# -- comparison at equal compute ------------------------------------------------------------------------------------
@dataclass
class CompareRow:
    name: str
    search_epochs: int  # member/trial epochs spent choosing the pipeline (0: none)
    final_epochs: int
    val_acc: float
    test_acc: float
    seconds: float  # the final training run


def compare(
    dataset: str = "mnist",
    sizes: tuple[int, int, int] = (2400, 600, 2000),
    settings: PBASettings | None = None,
    *,
    final_epochs: int = 20,
    grid_n: Sequence[int] = (1, 2),
    grid_m: Sequence[int] = (5, 13),
    out: str | Path = "invariant-pba",
    address: str | None = None,
    threads: int = 2,
    echo: Callable[[str], None] = print,
) -> list[CompareRow]:
    """The PBA schedule against RandAugment's best grid point and the demo's fixed domain-aware pipeline
    (and no augmentation), at the same compute: the RandAugment grid has as many points as PBA has
    members and trains each for as many epochs (equal search cost; the fixed pipelines have none); then
    every pipeline trains one fresh model for ``final_epochs`` with the same seed, data order and
    checkpoint rule (best validation accuracy), and the held-out test split is read once per model."""
    import torch

    from ..policies.randaugment import RandAugment
    from .adapters import from_arrays
    from .datasets_builtin import load_split
    from .demo import build_pipeline
    from .trainer import train_model
    from .tuning import tune

    settings = check_settings(settings or PBASettings())
    check_epochs(final_epochs, "final_epochs")
    if len(grid_n) * len(grid_m) != settings.population:
        value_error("grid_n/grid_m", f"a RandAugment grid of {settings.population} points (the PBA population, for equal search compute)", (list(grid_n), list(grid_m)), "pass e.g. grid_n=(1, 2), grid_m=(5, 13) for a population of 4")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    split = load_split(dataset, *sizes, seed=settings.seed)
    train = from_arrays(split.train_images, split.train_labels, split.classes)
    val = from_arrays(split.val_images, split.val_labels, split.classes)
    test = from_arrays(split.test_images, split.test_labels, split.classes)
    echo(split.describe())
    searched = run_pba(train, val, settings, out=out, address=address, echo=echo)
    torch.set_num_threads(threads)
    ra = tune(
        Compose([RandAugment()]), train, val, n_trials=settings.population, epochs=settings.epochs, lr=settings.lr,
        batch_size=settings.batch_size, seed=settings.seed, grid_n=grid_n, grid_m=grid_m, out=out / "randaugment.yaml", progress=False,
    )  # fmt: skip
    knobs = {k.rsplit(".", 1)[-1]: v for k, v in ra.best_params.items()}
    aware, _ = build_pipeline("domain-aware", dataset)
    search = settings.population * settings.epochs
    candidates = [
        ("PBA schedule", searched.pipeline, search),
        (f"RandAugment best of {settings.population} (N={knobs.get('num_ops')}, M={knobs.get('magnitude')})", ra.best_pipeline, search),
        ("domain-aware (fixed)", aware, 0),
        ("none", None, 0),
    ]
    rows = []
    for name, pipe, spent in candidates:
        r = train_model(pipe, train, val, test, epochs=final_epochs, lr=settings.lr, batch_size=settings.batch_size, seed=settings.seed, name=name, progress=False)
        rows.append(CompareRow(name, spent, final_epochs, r.val_acc, float(r.test_acc or 0.0), r.seconds))
        echo(f"{name}: validation {100 * r.val_acc:.1f}%, held-out test {100 * float(r.test_acc or 0.0):.1f}%")
    table = compare_table(rows)
    echo(table)
    (out / "compare.md").write_text(f"{split.describe()}\n\n{table}\n")
    (out / "compare.json").write_text(json.dumps({"data": split.describe(), "settings": asdict(settings), "final_epochs": final_epochs, "rows": [asdict(r) for r in rows]}, indent=2))
    return rows


def compare_table(rows: Sequence[CompareRow]) -> str:
    """A markdown table of the comparison (accuracies in percent)."""
    lines = ["| pipeline | search (model-epochs) | final epochs | val acc | held-out test acc |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.name} | {r.search_epochs} | {r.final_epochs} | {100 * r.val_acc:.1f}% | {100 * r.test_acc:.1f}% |")
    return "\n".join(lines)

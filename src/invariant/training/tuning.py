"""Tune augmentation magnitudes with Optuna on validation loss (the guide's step 3).

Search spaces are read off the pipeline itself:

* a top-level ``RandAugment``: a grid over its two knobs, N (operations per image) and M (global
  magnitude), as the guide recommends ("a simple 2D grid search over (N, M) suffices");
* every other top-level transform: its probability ``p`` and one ``strength`` multiplier applied to
  all of its magnitude arguments (rotation limits, shear, translation, brightness/contrast limits,
  blur sigma, elastic alpha, ...); scale ranges around 1 move away from or towards 1. Searched with
  TPE (default) or random sampling.

Every trial trains the same network from the same weights on the same image order; the objective
is the lowest validation loss over the epochs. Test data are never read. The study lives in an
Optuna storage: by default a local SQLite file (embedded, nothing to start); any database URL
Optuna accepts works, so several processes or machines can share a study, and re-running with the
same storage and study name resumes it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..core.compose import Compose
from ..core.errors import type_error, value_error
from ..core.schedule import Schedule
from ..core.transform import Transform
from .adapters import LabelledImages
from .trainer import _has_normalize, train_model

ZERO_CENTRED = {
    "limit", "rotate", "degrees", "shear", "translate_percent", "translate", "alpha", "sigma", "magnitude", "distort_limit",
    "brightness", "contrast", "saturation", "hue", "std_range", "var_limit", "sigma_limit", "shift_limit", "scale_limit",
}  # fmt: skip
NOT_MAGNITUDES = {"blur_limit", "p", "size", "height", "width"}  # kernel sizes must stay odd integers
RANDAUGMENT_N = ("num_ops", "n")
RANDAUGMENT_M = ("magnitude", "m")


@dataclass
class TuneResult:
    study_name: str
    storage: str
    best_value: float  # lowest validation loss
    best_params: dict[str, Any]
    best_pipeline: Compose
    n_trials: int  # finished trials in the study (all workers, all sessions)
    method: str  # "grid over RandAugment N and M" or "tpe"/"random" over p and strength
    path: Path | None = None


def _is_magnitude(name: str, value: Any) -> bool:
    if name in NOT_MAGNITUDES or isinstance(value, (bool, Schedule)):
        return False
    numeric = isinstance(value, (int, float)) or (isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value))
    if not numeric:
        return False
    if name == "scale":  # a zoom range around 1 (Affine); crop-area ranges like (0.08, 1) are left alone
        lo, hi = (value, value) if isinstance(value, (int, float)) else value
        return 0.5 <= lo <= 1.0 <= hi <= 2.0
    return name in ZERO_CENTRED or name.endswith("_limit")


def magnitude_args(t: Transform) -> list[str]:
    """The arguments of ``t`` that ``strength`` scales. Next to an ``alpha`` (elastic warps), ``sigma``
    is the smoothness of the displacement field, not a strength, and is left alone."""
    args = t.init_args()
    return [k for k, v in args.items() if _is_magnitude(k, v) and not (k == "sigma" and "alpha" in args)]


def _scaled(name: str, value: Any, strength: float) -> Any:
    def one(v: float) -> float | int:
        out = 1.0 + (v - 1.0) * strength if name == "scale" else v * strength
        return int(round(out)) if isinstance(v, int) and not isinstance(v, bool) and name != "scale" else float(out)

    if isinstance(value, (tuple, list)):
        return tuple(one(v) for v in value)
    return one(value)


def randaugment_knobs(t: Transform) -> tuple[str, str] | None:
    """(N argument, M argument) of a RandAugment-like transform, or None."""
    if type(t).__name__ != "RandAugment":
        return None
    args = t.init_args()
    n = next((a for a in RANDAUGMENT_N if a in args), None)
    m = next((a for a in RANDAUGMENT_M if a in args), None)
    return (n, m) if n and m else None


def _rebuild(t: Transform, changes: dict[str, Any]) -> Transform:
    args = t.init_args()
    args.update(changes)
    return type(t)(**args)


def _rebuild_scaled(t: Transform, changes: dict[str, Any], strength: float) -> tuple[Transform, float]:
    """``t`` rebuilt with ``changes`` and its magnitudes scaled by ``strength``, and the strength used.

    Where the transform's own argument checks refuse a scaled value (a hue beyond half a turn, a contrast
    limit beyond 1, an UnsharpMask alpha beyond 1), the strength moves towards 1 (the pipeline as given,
    always valid) by bisection to the largest value the checks accept: a trial then tests the strongest
    valid setting instead of failing."""
    args, names = t.init_args(), magnitude_args(t)

    def build(s: float) -> Transform:
        return _rebuild(t, {**changes, **{a: _scaled(a, args[a], s) for a in names}})

    try:
        return build(strength), strength
    except (ValueError, TypeError):  # refused: search between 1 (valid) and the requested strength
        good, bad = 1.0, strength
    for _ in range(24):
        middle = (good + bad) / 2.0
        try:
            build(middle)
            good = middle
        except (ValueError, TypeError):
            bad = middle
    return build(good), good


def apply_params(pipeline: Compose, params: dict[str, Any], effective: dict[str, float] | None = None) -> Compose:
    """The pipeline with trial parameters (keys ``"<index>.<Name>.<knob>"``) applied. ``effective``
    (optional) receives the strength actually used for each strength key (see ``_rebuild_scaled``)."""
    transforms = list(pipeline.transforms)
    grouped: dict[int, dict[str, Any]] = {}
    for key, value in params.items():
        index, _, knob = key.split(".", 2)
        grouped.setdefault(int(index), {})[knob] = (key, value)
    for index, knobs in grouped.items():
        t = transforms[index]
        changes = {knob: value for knob, (_, value) in knobs.items() if knob != "strength"}
        if "strength" in knobs and magnitude_args(t):
            key, value = knobs["strength"]
            transforms[index], used = _rebuild_scaled(t, changes, float(value))
            if effective is not None:
                effective[key] = used
        else:
            transforms[index] = _rebuild(t, changes)
    args = pipeline.init_args()
    args["transforms"] = transforms
    return Compose(**args)


def search_space(pipeline: Compose, grid_n: Sequence[int] = (1, 2, 3), grid_m: Sequence[int] = (5, 9, 13)) -> tuple[str, dict[str, Any]]:
    """("grid", {key: values}) when the pipeline has a RandAugment, else ("magnitudes", {key: (lo, hi)})."""
    if not isinstance(pipeline, Compose):
        type_error("pipeline", "an iv.Compose", pipeline, "load the config with iv.load(path)")
    for i, t in enumerate(pipeline.transforms):
        knobs = randaugment_knobs(t)
        if knobs:
            return "grid", {f"{i}.RandAugment.{knobs[0]}": list(grid_n), f"{i}.RandAugment.{knobs[1]}": list(grid_m)}
    space: dict[str, Any] = {}
    for i, t in enumerate(pipeline.transforms):
        if _has_normalize(Compose([t])):
            continue
        name = type(t).__name__
        if "p" in t.init_args() and not isinstance(t.init_args()["p"], Schedule):
            space[f"{i}.{name}.p"] = (0.0, 1.0)
        if magnitude_args(t):
            space[f"{i}.{name}.strength"] = (0.25, 2.0)
    if not space:
        value_error("pipeline", "transforms with a probability or magnitude arguments to tune", pipeline, "add augmentations (e.g. Affine, GaussianBlur) to the config")
    return "magnitudes", space


def default_storage(folder: str | Path) -> str:
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(path / 'study.db').resolve()}"


def _storage(url: str) -> Any:
    import optuna

    if url.startswith("sqlite"):  # concurrent workers on one file: wait for the lock instead of failing
        return optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 60}})
    return url


def _grid_points(space: dict[str, Any]) -> set[tuple[Any, ...]]:
    import itertools

    return set(itertools.product(*space.values()))


def _open_study(storage_url: str, study_name: str, sampler: Any, attempts: int = 8) -> Any:
    """Create or load the study. Workers started together on a fresh database race to create its
    tables; the loser sees an integrity/lock error and simply retries once the tables exist."""
    import time

    import optuna
    from sqlalchemy.exc import SQLAlchemyError

    pruner = optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=1)
    for attempt in range(attempts):
        try:
            return optuna.create_study(storage=_storage(storage_url), study_name=study_name, direction="minimize", load_if_exists=True, sampler=sampler, pruner=pruner)
        except (SQLAlchemyError, optuna.exceptions.DuplicatedStudyError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.25 * (attempt + 1))
    raise RuntimeError("unreachable")  # pragma: no cover


def tune(
    pipeline: Compose,
    train: LabelledImages,
    val: LabelledImages,
    *,
    n_trials: int = 20,
    storage: str | None = None,
    study_name: str = "invariant-tune",
    sampler: str = "auto",
    epochs: int = 6,
    lr: float = 3e-3,
    batch_size: int = 64,
    seed: int = 0,
    grid_n: Sequence[int] = (1, 2, 3),
    grid_m: Sequence[int] = (5, 9, 13),
    out: str | Path | None = None,
    progress: bool = True,
) -> TuneResult:
    """Run ``n_trials`` more trials of the study (creating or resuming it) and return the best so far.

    sampler: "auto" (grid for RandAugment, TPE otherwise), "grid", "tpe" or "random".
    out: where to write the best pipeline as YAML (loadable by ``iv.load`` and ``invariant preview``).
    """
    import optuna

    if sampler not in ("auto", "grid", "tpe", "random"):
        value_error("sampler", "one of 'auto', 'grid', 'tpe', 'random'", sampler, "pass e.g. sampler='tpe'")
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        value_error("n_trials", "a positive integer", n_trials, "pass e.g. n_trials=20")
    kind, space = search_space(pipeline, grid_n, grid_m)
    if sampler == "grid" and kind != "grid":
        value_error("sampler", "'grid' only for pipelines with a RandAugment (N, M)", sampler, "use sampler='tpe' or 'random' for individual magnitudes")
    storage_url = storage or default_storage(out.parent if out is not None else Path("invariant-tune"))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # Workers sharing a study must not propose identical points: the sampler seed mixes in the process id.
    sampler_seed = (seed * 1_000_003 + os.getpid()) % (2**31)
    if kind == "grid":
        chosen = optuna.samplers.GridSampler(space, seed=sampler_seed)
        method = "grid over RandAugment N and M"
    elif sampler == "random":
        chosen, method = optuna.samplers.RandomSampler(seed=sampler_seed), "random search over p and strength"
    else:
        chosen, method = optuna.samplers.TPESampler(seed=sampler_seed, n_startup_trials=5), "TPE over p and strength"
    study = _open_study(storage_url, study_name, chosen)

    def objective(trial: Any) -> float:
        params: dict[str, Any] = {}
        for key, domain in space.items():
            if kind == "grid":
                params[key] = trial.suggest_categorical(key, domain)
            else:
                params[key] = trial.suggest_float(key, *domain)
        trial.set_user_attr("pid", os.getpid())
        used: dict[str, float] = {}
        pipe = apply_params(pipeline, params, used)
        capped = {k: v for k, v in used.items() if v != params[k]}
        if capped:  # the transform's own limits capped the strength: say what was really trained
            trial.set_user_attr("effective_strength", capped)

        def report(stats: Any) -> None:
            trial.report(stats.val_loss, stats.epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()

        result = train_model(pipe, train, val, None, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, name=f"trial {trial.number}", progress=False, on_epoch=report)
        trial.set_user_attr("val_acc", max(h.val_acc for h in result.history))
        return min(h.val_loss for h in result.history)

    if kind == "grid":  # a finished grid is not re-run on resume; only the missing points are
        seen = {tuple(t.params.get(k) for k in space) for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE}
        total = 1
        for values in space.values():
            total *= len(values)
        n_trials = min(n_trials, total - len(seen & _grid_points(space)))
    if n_trials > 0:
        study.optimize(objective, n_trials=n_trials, catch=(ValueError,), show_progress_bar=progress)
    finished = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not finished:
        raise RuntimeError(f"study {study_name!r}: no trial finished (all failed or were pruned). Fix: check the pipeline with `invariant preview` and widen the epochs.")
    best = study.best_trial
    best_pipe = apply_params(pipeline, best.params)
    path = None
    if out is not None:
        from ..core.serialization import save

        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        save(best_pipe, path)
    return TuneResult(study_name, storage_url, float(best.value), dict(best.params), best_pipe, len(finished), method, path)

"""Tune augmentation magnitudes with Optuna on validation loss.

Search spaces are read off the pipeline itself:

* a top-level ``RandAugment``: a grid over its two knobs, N (operations per image) and M (global
  magnitude). Cubuk et al., "RandAugment: Practical automated data augmentation with a reduced search
  space" (CVPR Workshops 2020), show that this two-parameter space is small enough for a plain grid
  search. The grid is enumerated in a fixed order (N outer, M inner) and a resumed study continues
  with the first points it does not hold yet;
* every other top-level transform: its probability ``p`` and one ``strength`` multiplier applied to
  all of its magnitude arguments (rotation limits, shear, translation, brightness/contrast limits,
  blur sigma, elastic alpha, ...); scale ranges around 1 move away from or towards 1. Searched with
  TPE (default) or random sampling.

Magnitudes stay within two kinds of limits, the transform's own argument checks and the pipeline's
declared ``task`` (``Compose(..., task=iv.Task(...))``: e.g. at most 15 degrees of rotation when up/down
carries the label): a strength beyond either is lowered by bisection to the largest value both accept,
and the trial records the strength it really trained (``effective_strength``) and why (``capped_by``).
The best pipeline is checked against the task with ``iv.check`` before it is returned or written.
Trials that fail are counted and reported with their error, never dropped silently.

Every trial trains the same network from the same weights on the same image order; the objective
is the lowest validation loss over the epochs. Test data are never read. The study lives in an
Optuna storage: by default a local SQLite file (embedded, nothing to start); any database URL
Optuna accepts works, so several processes or machines can share a study, and re-running with the
same storage and study name resumes it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from ..core.compose import Compose
from ..core.errors import Described, type_error, value_error
from ..core.schedule import Schedule
from ..core.transform import Transform
from .adapters import LabelledImages
from .trainer import _has_normalize, check_epochs, train_model

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
    n_run: int = 0  # trials started by this call
    n_pruned: int = 0  # of those, stopped early by the pruner
    failures: list[str] = field(default_factory=list)  # of those, the failed ones with their error
    task_check: str | None = None  # iv.check's report on the best pipeline (None: no task declared)
    notes: list[str] = field(default_factory=list)  # what the caller should know (no task declared, grid finished)

    @property
    def n_failed(self) -> int:
        return len(self.failures)


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
    knobs = t.policy_knobs  # declared by the policy (RandAugment: num_ops, magnitude)
    if knobs is None:
        return None
    args = t.init_args()
    return knobs if knobs[0] in args and knobs[1] in args else None


def _rebuild(t: Transform, changes: dict[str, Any]) -> Transform:
    args = t.init_args()
    args.update(changes)
    return type(t)(**args)


def keeps_canvas(t: Transform, example: Any) -> bool:
    """Whether ``t`` returns images of the size of ``example`` (a training image) whenever it runs (flips,
    rotations, colour, a crop to the images' own size), so its ``p`` can be tuned: a crop, resize or pad
    to another size with p below 1 makes batches of two image sizes, on which every trial fails. Probed with
    each spatial leaf forced to run (p=1), three draws; a leaf that cannot run on the example (a crop larger
    than it) counts as changing the size."""
    for leaf in Compose([t]).leaves():
        if not (leaf.spatial or leaf.multi_sample):
            continue
        try:
            forced = _rebuild(leaf, {"p": 1.0}) if "p" in leaf.init_args() else leaf
            pipe = Compose([forced], seed=0)
            if any(pipe(image=example)["image"].shape[:2] != example.shape[:2] for _ in range(3)):
                return False
        except (ValueError, TypeError):
            return False
    return True


def _task_violations(t: Transform, task: Any, pipeline: Compose) -> list[str]:
    """What ``iv.check`` says ``t`` breaks in ``task``, checked in the pipeline's context (its extra
    targets decide, e.g., how depth maps are resampled)."""
    from ..domains.check import check

    context = Compose([t], additional_targets=pipeline.additional_targets or None)
    return [f"{v.property}: {v.problem}" for v in check(context, task).violations if v.path.startswith("transforms[0]")]


def _rebuild_scaled(t: Transform, changes: dict[str, Any], strength: float, accept: Callable[[Transform], list[str]] | None = None) -> tuple[Transform, float, str | None]:
    """``t`` rebuilt with ``changes`` and its magnitudes scaled by ``strength``, the strength used, and
    why it was lowered (None when it was not).

    Where the transform's own argument checks refuse a scaled value (a hue beyond half a turn, a contrast
    limit beyond 1, an UnsharpMask alpha beyond 1), or ``accept`` (the declared task's check) reports a
    violation (a rotation beyond what the labels survive), the strength moves towards 1 (the pipeline as
    given, valid by construction) by bisection to the largest value both accept: a trial then tests the
    strongest valid setting instead of failing or breaking the task."""
    args, names = t.init_args(), magnitude_args(t)

    def build(s: float) -> Transform:
        built = _rebuild(t, {**changes, **{a: _scaled(a, args[a], s) for a in names}})
        problems = accept(built) if accept is not None else []
        if problems:
            raise ValueError(f"the declared task: {'; '.join(problems)}")
        return built

    try:
        return build(strength), strength, None
    except (ValueError, TypeError) as exc:  # refused: search between 1 (valid) and the requested strength
        reason = str(exc) if str(exc).startswith("the declared task") else f"{type(t).__name__}'s argument limits ({exc})"
        good, bad = 1.0, strength
    for _ in range(24):
        middle = (good + bad) / 2.0
        try:
            build(middle)
            good = middle
        except (ValueError, TypeError):
            bad = middle
    return build(good), good, reason


def apply_params(
    pipeline: Compose, params: dict[str, Any], effective: dict[str, float] | None = None, capped_by: dict[str, str] | None = None
) -> Compose:
    """The pipeline with trial parameters (keys ``"<index>.<Name>.<knob>"``) applied. ``effective``
    (optional) receives the strength actually used for each strength key, ``capped_by`` why a strength
    was lowered (see ``_rebuild_scaled``). The pipeline's declared task bounds every strength."""
    if not isinstance(pipeline, Compose):
        type_error("pipeline", "an iv.Compose", pipeline, "load the config with iv.load(path)")
    task = pipeline.task
    accept = (lambda built: _task_violations(built, task, pipeline)) if task is not None else None
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
            transforms[index], used, reason = _rebuild_scaled(t, changes, float(value), accept)
            if effective is not None:
                effective[key] = used
            if capped_by is not None and reason is not None:
                capped_by[key] = reason
        else:
            transforms[index] = _rebuild(t, changes)
    args = pipeline.init_args()
    args["transforms"] = transforms
    return Compose(**args)


def search_space(pipeline: Compose, grid_n: Sequence[int] = (1, 2, 3), grid_m: Sequence[int] = (5, 9, 13), example: Any = None) -> tuple[str, dict[str, Any]]:
    """("grid", {key: values}) when the pipeline has a RandAugment, else ("magnitudes", {key: (lo, hi)}).
    With ``example`` (a training image), the p of a step that changes the image size is left as given
    (``keeps_canvas``)."""
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
        if "p" in t.init_args() and not isinstance(t.init_args()["p"], Schedule) and (example is None or keeps_canvas(t, example)):
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


STORAGE_EXPECTED = "a database URL such as sqlite:///study.db or postgresql://user@host/db"


def check_storage(url: Any, argument: str = "storage") -> str:
    """``url`` if it is a database URL Optuna can open (SQLAlchemy syntax, a dialect this install knows);
    else a one-line error naming ``argument``, instead of a SQLAlchemy traceback from deep in Optuna."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    fix = "pass e.g. sqlite:///study.db (a SQLite file, nothing to start), or leave it out to use study.db in the output folder"
    if not isinstance(url, str):
        type_error(argument, STORAGE_EXPECTED, url, fix)
    try:
        make_url(url).get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError):
        value_error(argument, STORAGE_EXPECTED, url, fix)
    return url


def _storage(url: str) -> Any:
    import optuna

    if url.startswith("sqlite"):  # concurrent workers on one file: wait for the lock instead of failing
        return optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 60}})
    return url


def grid_points(space: dict[str, Any]) -> list[dict[str, Any]]:
    """Every grid point in one fixed order: ``itertools.product`` over the keys (first key outermost)."""
    import itertools

    return [dict(zip(space, values)) for values in itertools.product(*space.values())]


GRID_INDEX = "invariant_grid_index"  # trial system attribute: the grid point the trial was given
ERROR = "error"  # trial user attribute: why the trial failed (an error, not an interruption)


def _held_point(trial: Any, points: list[dict[str, Any]]) -> int | None:
    """The grid index a trial holds, or None. Finished, pruned, running and waiting trials hold their
    point; a failed trial holds it only when it recorded an ``error`` (the same point would fail again),
    so a point whose run was killed mid-trial is tried again on resume."""
    import optuna

    if trial.state == optuna.trial.TrialState.FAIL and ERROR not in trial.user_attrs:
        return None
    index = trial.system_attrs.get(GRID_INDEX)
    if index is not None:
        return int(index)
    for i, point in enumerate(points):  # trials written by another sampler: match by parameters
        if trial.params and all(trial.params.get(k) == v for k, v in point.items()):
            return i
    return None


def unvisited(study: Any, points: list[dict[str, Any]], exclude: int | None = None) -> list[int]:
    """Indices of the grid points no trial of ``study`` holds (trial ``exclude`` aside), in grid order."""
    held = {_held_point(t, points) for t in study.get_trials(deepcopy=False) if t.number != exclude}
    return [i for i in range(len(points)) if i not in held]


GRID_FULL = -1  # GRID_INDEX of a trial that started when every point was taken: pruned before it trains
CLAIM_WAIT_S = 30.0  # how long a trial waits for a just-started lower-numbered trial to claim its point


def _claim_point(study: Any, number: int, points: list[dict[str, Any]], wait_s: float = CLAIM_WAIT_S) -> int:
    """The grid point trial ``number`` takes: the first one no lower-numbered trial holds, once every
    lower-numbered trial that just started has claimed its own (it writes GRID_INDEX in ``before_trial``).

    Workers on other machines create trials at the same moment; choosing "the first point nobody holds"
    from a snapshot let two of them take the same point (on PostgreSQL, 4 workers on a 12-point grid
    ran 13 to 17 trials). Ordering the claims by trial number, which the storage gives out uniquely,
    removes the race: a trial never looks at higher numbers, and a higher number waits for the lower
    ones. A lower trial that never claims (its process died between creating the trial and writing
    the point, or another sampler made it) is waited for only while it is younger than ``wait_s``."""
    import datetime
    import time

    import optuna

    deadline = time.monotonic() + wait_s
    while True:
        lower = [t for t in study.get_trials(deepcopy=False) if t.number < number]
        now = datetime.datetime.now()  # Optuna stamps datetime_start with the local clock
        pending = [
            t for t in lower
            if t.state == optuna.trial.TrialState.RUNNING and GRID_INDEX not in t.system_attrs and not t.params
            and t.datetime_start is not None and (now - t.datetime_start).total_seconds() < wait_s
        ]  # fmt: skip
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    held = {_held_point(t, points) for t in lower}
    free = [i for i in range(len(points)) if i not in held]
    return free[0] if free else GRID_FULL


def ordered_grid_sampler(space: dict[str, Any]) -> Any:
    """An Optuna sampler giving each new trial the first grid point the study does not hold yet.

    Optuna's ``GridSampler`` visits points in a random order per process, and when a resumed run asked
    for more trials than points were left it re-ran visited points (pruned points were not counted as
    done), so a resumed grid repeated points and skipped others. Here the order is fixed and the point is
    stored on the trial when it starts (claimed in trial-number order, ``_claim_point``), so a resumed
    run continues the grid and workers sharing a study, on one machine or many, never run a point twice.
    A trial started after the last point was taken holds ``GRID_FULL`` and is pruned before training."""
    import optuna

    points = grid_points(space)

    class OrderedGridSampler(optuna.samplers.BaseSampler):
        def __init__(self) -> None:
            self.given: dict[int, int] = {}

        def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Any]:
            return {}

        def sample_relative(self, study: Any, trial: Any, search_space: dict[str, Any]) -> dict[str, Any]:
            return {}

        def before_trial(self, study: Any, trial: Any) -> None:
            index = _claim_point(study, trial.number, points)
            self.given[trial.number] = index
            study._storage.set_trial_system_attr(trial._trial_id, GRID_INDEX, index)

        def sample_independent(self, study: Any, trial: Any, param_name: str, param_distribution: Any) -> Any:
            index = self.given.get(trial.number, trial.system_attrs.get(GRID_INDEX, 0))
            return points[max(index, 0)][param_name]

    return OrderedGridSampler()


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
        except (SQLAlchemyError, optuna.exceptions.DuplicatedStudyError) as exc:
            if attempt == attempts - 1:
                message = str(exc).splitlines()[0]
                raise ValueError(f"storage: could not open {storage_url!r} ({type(exc).__name__}: {message}). Fix: check that the database exists and is reachable, or use a SQLite file: sqlite:///study.db") from exc
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
    The pipeline's declared task (``Compose(..., task=...)``) bounds every tuned magnitude, and the best
    pipeline is checked against it before it is returned or written.
    """
    import optuna

    from ..domains.check import check

    if sampler not in ("auto", "grid", "tpe", "random"):
        value_error("sampler", "one of 'auto', 'grid', 'tpe', 'random'", sampler, "pass e.g. sampler='tpe'")
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        value_error("n_trials", "a positive integer", n_trials, "pass e.g. n_trials=20")
    check_epochs(epochs)
    if storage is not None:
        check_storage(storage)
    kind, space = search_space(pipeline, grid_n, grid_m, example=train[0][0] if train is not None and len(train) else None)
    if sampler == "grid" and kind != "grid":
        value_error("sampler", "'grid' only for pipelines with a RandAugment (N, M)", sampler, "use sampler='tpe' or 'random' for individual magnitudes")
    notes: list[str] = []
    task = pipeline.task
    if task is None:
        notes.append(
            "the pipeline declares no task, so tuned magnitudes are bounded only by each transform's own argument checks; "
            "declare what the labels survive (Compose(..., task=iv.Task(...)), or a task: entry in the config) to keep them within it"
        )
    else:
        start = check(pipeline, task)
        if start.violations:
            value_error("pipeline", f"a starting pipeline that satisfies its declared task {task.name!r}", Described(str(start)), "apply iv.check's fixes first; tuning starts from the pipeline as given")
    storage_url = storage or default_storage(out.parent if out is not None else Path("invariant-tune"))
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # failed trials are reported by this function, once
    # Workers sharing a study must not propose identical points: the sampler seed mixes in the process id.
    sampler_seed = (seed * 1_000_003 + os.getpid()) % (2**31)
    if kind == "grid":
        chosen, method = ordered_grid_sampler(space), "grid over RandAugment N and M"
    elif sampler == "random":
        chosen, method = optuna.samplers.RandomSampler(seed=sampler_seed), "random search over p and strength"
    else:
        chosen, method = optuna.samplers.TPESampler(seed=sampler_seed, n_startup_trials=5), "TPE over p and strength"
    study = _open_study(storage_url, study_name, chosen)
    ran: list[int] = []

    def objective(trial: Any) -> float:
        ran.append(trial.number)
        if kind == "grid" and chosen.given.get(trial.number) == GRID_FULL:  # other workers took the last points
            trial.set_user_attr("grid_full", True)
            raise optuna.TrialPruned()
        params: dict[str, Any] = {}
        for key, domain in space.items():
            if kind == "grid":
                params[key] = trial.suggest_categorical(key, domain)
            else:
                params[key] = trial.suggest_float(key, *domain)
        trial.set_user_attr("pid", os.getpid())
        try:
            used: dict[str, float] = {}
            reasons: dict[str, str] = {}
            pipe = apply_params(pipeline, params, used, reasons)
            capped = {k: v for k, v in used.items() if v != params[k]}
            if capped:  # argument limits or the task capped the strength: say what was really trained, and why
                trial.set_user_attr("effective_strength", capped)
                trial.set_user_attr("capped_by", reasons)

            def report(stats: Any) -> None:
                trial.report(stats.val_loss, stats.epoch)
                if trial.should_prune():
                    raise optuna.TrialPruned()

            result = train_model(pipe, train, val, None, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, name=f"trial {trial.number}", progress=False, on_epoch=report)
        except optuna.TrialPruned:
            raise
        except Exception as exc:  # recorded on the trial, then counted and reported below
            trial.set_user_attr(ERROR, f"{type(exc).__name__}: {exc}")
            raise
        trial.set_user_attr("val_acc", max(h.val_acc for h in result.history))
        return min(h.val_loss for h in result.history)

    if kind == "grid":  # continue the grid in its fixed order; points the study holds are not re-run
        points = grid_points(space)
        left = unvisited(study, points)
        if n_trials > len(left):
            notes.append(f"the grid has {len(points)} points and the study holds {len(points) - len(left)}: {len(left)} left to run" + ("" if left else " (the grid is finished)"))
        n_trials = min(n_trials, len(left))

        def stop_when_done(study: Any, trial: Any) -> None:  # other workers may finish the grid first
            if not unvisited(study, points):
                study.stop()

        callbacks = [stop_when_done]
    else:
        callbacks = []
    if n_trials > 0:
        study.optimize(objective, n_trials=n_trials, catch=(Exception,), callbacks=callbacks, show_progress_bar=progress)
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    this_run = [trials[n] for n in ran if n in trials]
    failures = [f"trial {t.number} {dict(t.params)}: {t.user_attrs.get(ERROR, 'failed')}" for t in this_run if t.state == optuna.trial.TrialState.FAIL]
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in this_run)
    finished = [t for t in trials.values() if t.state == optuna.trial.TrialState.COMPLETE]
    if not finished:
        detail = f" Failures: {'; '.join(failures)}." if failures else ""
        # a ValueError: the pipeline or data given cannot train (the CLI prints it as one line, exit code 1)
        raise ValueError(f"study {study_name!r}: no trial finished (all failed or were pruned).{detail} Fix: check the pipeline with `invariant preview` and widen the epochs.")
    best = study.best_trial
    best_pipe = apply_params(pipeline, best.params)
    checked = None
    if task is not None:
        report = check(best_pipe, task)
        if report.violations:  # apply_params bounds every magnitude by the task: reaching this is a bug
            raise RuntimeError(f"tune: the best pipeline breaks the declared task, refusing to return it.\n{report}")
        checked = str(report)
    path = None
    if out is not None:
        from ..core.serialization import save

        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        save(best_pipe, path)
    return TuneResult(
        study_name, storage_url, float(best.value), dict(best.params), best_pipe, len(finished), method, path,
        n_run=len(this_run), n_pruned=pruned, failures=failures, task_check=checked, notes=notes,
    )  # fmt: skip

"""`invariant tune`: search spaces read off the pipeline, resumable Optuna studies shared by workers."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("torch")
optuna = pytest.importorskip("optuna")

import invariant as iv
from invariant.cli import main
from invariant.core.transform import REGISTRY
from invariant.training.adapters import from_arrays
from invariant.training.datasets_builtin import load_split
from invariant.training.tuning import apply_params, search_space, tune

TINY = ["--quick", "--train-size", "200", "--epochs", "1", "--no-progress"]


def _pipeline() -> iv.Compose:
    return iv.Compose([iv.Affine(rotate=(-10.0, 10.0), scale=(0.9, 1.1), shear=4.0, p=0.5), iv.HorizontalFlip(p=0.5), iv.RandomResizedCrop(28, scale=(0.08, 1.0))])


def test_search_space_and_strength_by_hand() -> None:
    kind, space = search_space(_pipeline())
    assert kind == "magnitudes"
    assert space == {"0.Affine.p": (0.0, 1.0), "0.Affine.strength": (0.25, 2.0), "1.HorizontalFlip.p": (0.0, 1.0), "2.RandomResizedCrop.p": (0.0, 1.0)}
    tuned = apply_params(_pipeline(), {"0.Affine.strength": 0.5, "0.Affine.p": 0.25, "1.HorizontalFlip.p": 0.0})
    args = tuned.transforms[0].init_args()
    assert args["rotate"] == (-5.0, 5.0)  # limits halved
    assert args["scale"] == pytest.approx((0.95, 1.05))  # zoom range pulled halfway towards 1
    assert args["shear"] == 2.0 and args["p"] == 0.25
    assert tuned.transforms[1].p == 0.0
    assert tuned.transforms[2].init_args()["scale"] == (0.08, 1.0)  # crop-area range is not a magnitude
    elastic = apply_params(iv.Compose([iv.ElasticTransform(alpha=10.0, sigma=4.0), iv.GaussianBlur(sigma=(0.2, 1.0))]), {"0.ElasticTransform.strength": 2.0, "1.GaussianBlur.strength": 2.0})
    assert elastic.transforms[0].init_args()["alpha"] == 20.0 and elastic.transforms[0].init_args()["sigma"] == 4.0  # smoothness kept
    assert elastic.transforms[1].init_args()["sigma"] == (0.4, 2.0)


def test_randaugment_grid_covers_n_by_m_once(tmp_path) -> None:
    pipe = iv.Compose([REGISTRY["RandAugment"]()])
    kind, space = search_space(pipe, grid_n=(1, 2), grid_m=(5, 9))
    assert kind == "grid" and space == {"0.RandAugment.num_ops": [1, 2], "0.RandAugment.magnitude": [5, 9]}
    split = load_split("mnist", 100, 50, 10, seed=0)
    train, val = from_arrays(split.train_images, split.train_labels), from_arrays(split.val_images, split.val_labels)
    storage = f"sqlite:///{tmp_path / 'grid.db'}"
    result = tune(pipe, train, val, n_trials=10, storage=storage, study_name="g", grid_n=(1, 2), grid_m=(5, 9), epochs=1, progress=False)
    assert result.n_trials == 4 and result.method.startswith("grid")
    study = optuna.load_study(study_name="g", storage=storage)
    assert sorted((t.params["0.RandAugment.num_ops"], t.params["0.RandAugment.magnitude"]) for t in study.trials) == [(1, 5), (1, 9), (2, 5), (2, 9)]
    again = tune(pipe, train, val, n_trials=10, storage=storage, study_name="g", grid_n=(1, 2), grid_m=(5, 9), epochs=1, progress=False)
    assert again.n_trials == 4 and len(optuna.load_study(study_name="g", storage=storage).trials) == 4  # finished grid: nothing re-run
    assert result.best_pipeline.transforms[0].init_args()["num_ops"] == result.best_params["0.RandAugment.num_ops"]


def test_tune_writes_a_loadable_best_config_and_resumes(tmp_path) -> None:
    split = load_split("mnist", 200, 100, 10, seed=0)
    train, val = from_arrays(split.train_images, split.train_labels), from_arrays(split.val_images, split.val_labels)
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    first = tune(_pipeline(), train, val, n_trials=2, storage=storage, study_name="s", epochs=1, out=tmp_path / "best.yaml", progress=False)
    assert first.n_trials == 2 and first.path is not None
    loaded = iv.load(first.path)
    assert [type(t).__name__ for t in loaded.transforms] == ["Affine", "HorizontalFlip", "RandomResizedCrop"]
    assert loaded.transforms[1].p == pytest.approx(first.best_params["1.HorizontalFlip.p"])
    second = tune(_pipeline(), train, val, n_trials=1, storage=storage, study_name="s", epochs=1, progress=False)
    assert second.n_trials == 3  # resumed: the earlier trials are still there
    assert second.best_value <= first.best_value
    assert main(["preview", str(first.path), "-n", "2", "--out", str(tmp_path / "p.png")]) == 0


def test_two_workers_share_one_sqlite_study(tmp_path) -> None:
    config = tmp_path / "pipe.yaml"
    iv.save(_pipeline(), config)
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    cmd = [sys.executable, "-m", "invariant.cli", "tune", str(config), "--trials", "2", "--storage", storage, "--study", "shared", "--threads", "1", *TINY]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    workers = [subprocess.Popen([*cmd, "--out", str(tmp_path / f"w{i}")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for i in range(2)]
    outputs = [w.communicate(timeout=240) for w in workers]
    for w, (out, err) in zip(workers, outputs):
        assert w.returncode == 0, err
    study = optuna.load_study(study_name="shared", storage=storage)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(done) == 4 and len({t.number for t in done}) == 4
    assert {t.user_attrs["pid"] for t in done} == {w.pid for w in workers}  # both processes wrote into one study
    # the worker that finished last saw the other's trials too
    assert any("4 finished trials in the study" in out for out, _ in outputs)


def test_cli_tune_prints_and_writes_yaml(tmp_path, capsys) -> None:
    config = tmp_path / "pipe.yaml"
    iv.save(iv.Compose([iv.HorizontalFlip(p=0.5)]), config)
    assert main(["tune", str(config), "--trials", "1", "--out", str(tmp_path / "t"), *TINY]) == 0
    printed = capsys.readouterr().out
    assert "Validation data only" in printed and "1.HorizontalFlip.p" not in printed and "0.HorizontalFlip.p =" in printed
    assert (tmp_path / "t" / "study.db").exists() and "name: HorizontalFlip" in (tmp_path / "t" / "best.yaml").read_text()
    assert main(["tune", str(config), "--sampler", "grid", "--out", str(tmp_path / "t")]) == 1
    assert "RandAugment" in capsys.readouterr().err


def test_strength_beyond_a_transforms_own_limits_is_capped_not_failed() -> None:
    # hue 0.3 x 2 = 0.6 turns is refused by ColorJitter (|hue| <= 0.5): the trial trains the largest
    # strength the transform accepts (hue just under 0.5) and reports it, instead of failing
    effective: dict[str, float] = {}
    pipe = apply_params(iv.Compose([iv.ColorJitter(0.4, 0.4, 0.4, 0.3)]), {"0.ColorJitter.strength": 2.0}, effective)
    used = effective["0.ColorJitter.strength"]
    assert 1.66 < used < 5 / 3 + 1e-9
    assert 0.499 < pipe[0].init_args()["hue"] <= 0.5
    assert pipe[0].init_args()["brightness"] == pytest.approx(0.4 * used)
    effective.clear()  # within the limits: exactly the requested strength
    pipe = apply_params(iv.Compose([iv.ColorJitter(0.4, 0.4, 0.4, 0.1)]), {"0.ColorJitter.strength": 2.0}, effective)
    assert effective["0.ColorJitter.strength"] == 2.0 and pipe[0].init_args()["hue"] == pytest.approx(0.2)


# -- the declared task bounds every tuned magnitude ----------------------------------------------------------------
from invariant.core.transform import library_transforms  # noqa: E402
from invariant.training import tuning  # noqa: E402
from invariant.training.demo import build_pipeline, digits_task  # noqa: E402
from invariant.training.tuning import magnitude_args  # noqa: E402

TASKS = {
    "upright": iv.Task(name="upright", orientation=True),  # rotation <= 15 degrees
    "north-up": iv.Task(name="north-up", cardinal_direction=True),  # no rotation at all
    "five-degrees": iv.Task(name="five-degrees", max_rotation=5.0),
    "colour": iv.Task(name="colour", color_semantics=True),
    "grayscale": iv.Task(name="grayscale", modality="grayscale"),
}


def _tunable_examples() -> list[tuple[str, list[iv.Transform]]]:
    """Every library transform with magnitudes to tune, as its example instance plus milder versions
    (magnitudes at 5% and 15%: a 90-degree example limit becomes 4.5 and 13.5 degrees), so tasks that
    refuse the example still have starting points that satisfy them."""
    built = []
    for name, cls in sorted(library_transforms().items()):
        try:
            t = cls(**cls.example_args)
        except (TypeError, ValueError, ImportError):  # needs arguments no example gives (Lambda, containers)
            continue
        if magnitude_args(t):
            mild = [tuning._rebuild_scaled(t, {}, s)[0] for s in (0.05, 0.15)]
            built.append((name, [t, *mild] + ([iv.Affine(rotate=(-10.0, 10.0), shear=3.0)] if name == "Affine" else [])))
    return built


TUNABLE = _tunable_examples()


def test_tunable_examples_cover_the_rotating_transforms() -> None:
    names = {name for name, _ in TUNABLE}
    assert {"Affine", "Rotate", "ColorJitter"} <= names and len(names) >= 10


ROTATING = {"Affine", "Rotate", "ShiftScaleRotate"}


@pytest.mark.parametrize("name,starts", TUNABLE, ids=[n for n, _ in TUNABLE])
def test_tuned_strength_never_breaks_the_declared_task(name: str, starts: list[iv.Transform]) -> None:
    """Property over every tunable library transform, several starting magnitudes and several tasks:
    whatever strength a trial asks for, the pipeline it trains passes iv.check (the independent
    reference); a lowered strength is recorded with its reason, and is the largest the task allows."""
    key = f"0.{name}.strength"
    capped_by_task = 0
    for transform in starts:
        for task_name, task in TASKS.items():
            try:
                pipe = iv.Compose([transform], task=task)
            except ValueError:  # breaks this task as given: tune refuses such a start (tested below)
                continue
            for strength in (0.25, 2.0, 8.0):
                effective: dict[str, float] = {}
                reasons: dict[str, str] = {}
                tuned = apply_params(pipe, {key: strength}, effective, reasons)
                report = iv.check(tuned, task)
                assert report.ok, f"{task_name}, strength {strength}: {report}"
                used = effective[key]
                assert (used == strength) == (key not in reasons)
                assert min(1.0, strength) <= used <= max(1.0, strength)
                if reasons.get(key, "").startswith("the declared task"):
                    capped_by_task += 1
                    with pytest.raises(ValueError):  # a little more would break the task: the cap is tight
                        iv.Compose([apply_params(iv.Compose([transform]), {key: used * 1.01 + 0.01})[0]], task=task)
    if name in ROTATING:
        assert capped_by_task > 0  # the property is not vacuous for the transforms that rotate


def test_tune_caps_the_demo_pipeline_at_the_digits_task(tmp_path, monkeypatch) -> None:
    """The demo's domain-aware pipeline rotates up to 12 degrees; the digits task allows 15. A trial
    asking for strength 2 (24 degrees) trains strength 1.25 (15 degrees) instead of failing, and says so."""
    pipe, _ = build_pipeline("domain-aware", "mnist")
    assert pipe.task == digits_task("mnist")
    trained = _fake_training(monkeypatch)
    train = val = None
    storage = f"sqlite:///{tmp_path / 'task.db'}"
    study = optuna.create_study(study_name="t", storage=storage, direction="minimize")
    study.enqueue_trial({"0.Affine.strength": 2.0, "0.Affine.p": 0.9})
    result = tune(pipe, train, val, n_trials=2, storage=storage, study_name="t", epochs=1, out=tmp_path / "best.yaml", progress=False)
    assert result.n_run == 2 and result.failures == [] and result.n_trials + result.n_pruned == 2 and len(trained) == 2
    assert iv.check(trained[0]["pipe"], digits_task("mnist")).ok  # what the capped trial really trained
    assert trained[0]["pipe"].transforms[0].init_args()["rotate"] == pytest.approx((-15.0, 15.0))
    first = optuna.load_study(study_name="t", storage=storage).trials[0]
    assert first.state == optuna.trial.TrialState.COMPLETE
    assert first.user_attrs["effective_strength"]["0.Affine.strength"] == pytest.approx(15.0 / 12.0, abs=1e-6)
    assert "task" in first.user_attrs["capped_by"]["0.Affine.strength"]
    loaded = iv.load(result.path)  # the written pipeline keeps its task and satisfies it
    assert loaded.task == digits_task("mnist") and iv.check(loaded, loaded.task).ok
    assert max(abs(v) for v in loaded.transforms[0].init_args()["rotate"]) <= 15.0 + 1e-9
    assert result.task_check is not None and "OK" in result.task_check.splitlines()[0]


def test_tune_refuses_a_start_that_breaks_its_task_and_notes_a_missing_task(tmp_path, monkeypatch) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        broken = iv.Compose([iv.Rotate(limit=40.0)], task=TASKS["upright"], on_violation="warn")
    with pytest.raises(ValueError, match="pipeline: expected a starting pipeline that satisfies its declared task"):
        tune(broken, None, None, n_trials=1, storage=f"sqlite:///{tmp_path / 'b.db'}", epochs=1, progress=False)
    _fake_training(monkeypatch)
    result = tune(iv.Compose([iv.Rotate(limit=10.0)]), None, None, n_trials=1, storage=f"sqlite:///{tmp_path / 'n.db'}", epochs=1, progress=False)
    assert result.task_check is None and any("declares no task" in note for note in result.notes)


# -- failed trials are counted and reported --------------------------------------------------------------------------
def _fake_training(monkeypatch, fail_on: set[int] | None = None, loss=None) -> list[dict]:
    """Replace training by a deterministic stand-in: the tests below are about the study bookkeeping."""
    import types

    calls: list[dict] = []

    def fake(pipe, train, val, test, *, on_epoch=None, **kwargs):
        calls.append({"pipe": pipe, **kwargs})
        if fail_on is not None and len(calls) in fail_on:
            raise RuntimeError(f"boom in call {len(calls)}")
        values = loss(pipe, len(calls)) if loss is not None else [1.0]
        history = []
        for epoch, value in enumerate(values, 1):
            stats = types.SimpleNamespace(epoch=epoch, val_loss=value, val_acc=0.5)
            history.append(stats)
            if on_epoch is not None:
                on_epoch(stats)
        return types.SimpleNamespace(history=history)

    monkeypatch.setattr(tuning, "train_model", fake)
    return calls


def test_failed_trials_are_counted_and_reported(tmp_path, monkeypatch, capsys) -> None:
    _fake_training(monkeypatch, fail_on={2})
    result = tune(_pipeline(), None, None, n_trials=3, storage=f"sqlite:///{tmp_path / 'f.db'}", study_name="f", sampler="random", epochs=1, progress=False)
    assert result.n_run == 3 and result.n_failed == 1 and result.n_trials == 2
    assert "RuntimeError: boom in call 2" in result.failures[0] and result.failures[0].startswith("trial 1 ")
    config = tmp_path / "pipe.yaml"
    iv.save(_pipeline(), config)
    _fake_training(monkeypatch, fail_on={1})
    assert main(["tune", str(config), "--trials", "2", "--sampler", "random", "--out", str(tmp_path / "cli"), *TINY]) == 0
    printed = capsys.readouterr().out
    assert "this run: 2 trials, 1 finished, 0 pruned, 1 failed" in printed and "boom in call 1" in printed


# -- a resumed grid continues the grid ----------------------------------------------------------------------------
def test_resumed_grid_runs_the_next_points_without_repeats(tmp_path, monkeypatch) -> None:
    """Three, then more, runs on one SQLite study: the points tried are exactly the first N of the grid
    (N outer, M inner), none twice, and a finished grid runs nothing. Later trials report worse losses,
    so the median pruner stops some of them: pruned points count as tried."""
    import itertools

    grid_n, grid_m = (1, 2, 3), (5, 9, 13)
    expected = list(itertools.product(grid_n, grid_m))  # the reference order
    _fake_training(monkeypatch, loss=lambda pipe, call: [1.0 + call, 1.0 + call])
    pipe = iv.Compose([REGISTRY["RandAugment"]()])
    storage = f"sqlite:///{tmp_path / 'grid.db'}"
    total = 0
    for trials in (2, 3, 2, 20, 5):
        result = tune(pipe, None, None, n_trials=trials, storage=storage, study_name="g", grid_n=grid_n, grid_m=grid_m, epochs=2, progress=False)
        total = min(total + trials, len(expected))
        study = optuna.load_study(study_name="g", storage=storage)
        tried = [(t.params["0.RandAugment.num_ops"], t.params["0.RandAugment.magnitude"]) for t in study.trials]
        assert tried == expected[:total], (trials, tried)
    assert any(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    assert result.n_run == 0 and any("grid is finished" in note for note in result.notes)


# -- bad arguments ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["notaurl", "nosuchdialect://host/db", ""])
def test_bad_storage_is_a_clear_error(url: str, tmp_path, capsys) -> None:
    with pytest.raises(ValueError, match=r"storage: expected a database URL such as sqlite:///study.db"):
        tune(_pipeline(), None, None, n_trials=1, storage=url or "notaurl", epochs=1, progress=False)
    config = tmp_path / "pipe.yaml"
    iv.save(_pipeline(), config)
    assert main(["tune", str(config), "--storage", url, "--out", str(tmp_path / "o"), *TINY]) == 1
    err = capsys.readouterr().err
    assert err.startswith("invariant tune: error: --storage: expected a database URL such as sqlite:///study.db or postgresql://")
    assert "Fix:" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_the_p_of_a_step_that_changes_the_image_size_is_not_tuned(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: `invariant tune` on [RandomCrop(24, pad_if_needed=True), HorizontalFlip()] tuned the crop's p,
    so batches mixed 24x24 and 28x28 digits, every trial failed ("all input arrays must have the same shape")
    and the CLI ended in a RuntimeError traceback. A step whose output size differs from the training images'
    keeps its p; a crop to the images' own size is still tuned."""
    digit = np.zeros((28, 28), np.uint8)
    pipe = iv.Compose([iv.RandomCrop(24, pad_if_needed=True), iv.HorizontalFlip(p=0.5), iv.RandomResizedCrop(28), iv.OneOf([iv.Resize(20, 20), iv.Rotate(10)], p=0.5)])
    kind, space = search_space(pipe, example=digit)
    assert kind == "magnitudes" and "1.HorizontalFlip.p" in space and "2.RandomResizedCrop.p" in space
    assert "0.RandomCrop.p" not in space and "3.OneOf.p" not in space
    assert "0.RandomCrop.p" in search_space(pipe)[1]  # without an example nothing is probed
    config = tmp_path / "crop.yaml"
    iv.save(iv.Compose([iv.RandomCrop(24, pad_if_needed=True), iv.HorizontalFlip()]), config)
    assert main(["tune", str(config), "--trials", "2", "--out", str(tmp_path / "t"), *TINY]) == 0
    assert "no trial finished" not in capsys.readouterr().err

"""`invariant tune`: search spaces read off the pipeline, resumable Optuna studies shared by workers."""

from __future__ import annotations

import os
import subprocess
import sys

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

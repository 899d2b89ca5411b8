"""`invariant tune` on a real PostgreSQL server: two processes, one study, shared through the database.

The server is the one `.ci/run` starts (Debian's postgresql, 127.0.0.1, a throwaway cluster); its URL
comes in ``INVARIANT_TEST_POSTGRES_URL``. Under CI (``CI=true``) a missing server or driver is a
failure, not a skip: the test exists to prove the multi-machine recipe against the real thing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid

import pytest

pytest.importorskip("torch")
optuna = pytest.importorskip("optuna")

import invariant as iv  # noqa: E402
from invariant.training.tuning import apply_params  # noqa: E402

URL_VARIABLE = "INVARIANT_TEST_POSTGRES_URL"
IN_CI = os.environ.get("CI", "").lower() == "true"
TINY = ["--quick", "--train-size", "200", "--val-size", "100", "--epochs", "1", "--no-progress", "--threads", "1"]
GRID_N, GRID_M = ["1", "2"], ["3", "9", "15"]


def _server_url() -> str:
    """The test server's URL, or a skip locally / a failure in CI, saying what is missing."""
    url = os.environ.get(URL_VARIABLE)
    problem = None
    if not url:
        problem = f"{URL_VARIABLE} is not set (.ci/run starts a PostgreSQL server on 127.0.0.1 and sets it)"
    else:
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            problem = "psycopg2 is not installed (pip install -e '.[dev]' or 'invariant[postgres]')"
    if problem is not None:
        if IN_CI:
            pytest.fail(f"CI=true but {problem}", pytrace=False)
        pytest.skip(problem)
    return str(url)


def test_two_tune_processes_share_one_study_on_postgresql(tmp_path) -> None:
    url = _server_url()
    study_name = f"pg-{uuid.uuid4().hex[:10]}"
    config = tmp_path / "pipe.yaml"
    iv.save(iv.Compose([iv.RandAugment(num_ops=2, magnitude=9)]), config)
    cmd = [sys.executable, "-m", "invariant.cli", "tune", str(config), "--storage", url, "--study", study_name, "--trials", "6",
           "--grid-n", *GRID_N, "--grid-m", *GRID_M, *TINY]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    workers = [subprocess.Popen([*cmd, "--out", str(tmp_path / f"w{i}")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for i in range(2)]
    try:
        outputs = [w.communicate(timeout=300) for w in workers]
    finally:
        for w in workers:
            w.kill()
    for w, (out, err) in zip(workers, outputs):
        assert w.returncode == 0, f"{out}\n{err}"
    try:
        study = optuna.load_study(study_name=study_name, storage=url)
        trials = study.get_trials(deepcopy=False)
        # none lost: every trial the two processes started reached an end state (no RUNNING, no FAIL;
        # PRUNED: stopped by the median rule after the first epoch)
        assert {t.state for t in trials} <= {optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED}, [(t.number, t.state) for t in trials]
        # none repeated: the 2 x 3 grid, each point exactly once, between the two of them; a trial started
        # after the last point was taken trains nothing and is pruned without parameters
        ran_points = [t for t in trials if t.params]
        points = sorted((t.params["0.RandAugment.num_ops"], t.params["0.RandAugment.magnitude"]) for t in ran_points)
        assert points == [(n, m) for n in (1, 2) for m in (3, 9, 15)]
        assert all(t.state == optuna.trial.TrialState.PRUNED and t.user_attrs.get("grid_full") for t in trials if not t.params)
        assert sorted(t.number for t in trials) == list(range(len(trials)))
        # shared: both processes ran trials of this one study
        assert {t.user_attrs["pid"] for t in ran_points} == {w.pid for w in workers}
        ran = [int(re.search(r"this run: (\d+) trials", out).group(1)) for out, _ in outputs]
        assert sum(ran) == len(trials) and all(r >= 1 for r in ran)
        # the process that finished last saw the whole study, and its best pipeline is the study's best
        complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
        last = [i for i, (out, _) in enumerate(outputs) if f": {len(complete)} finished trials in the study" in out]
        assert complete and last, [out for out, _ in outputs]
        best = min(complete, key=lambda t: t.value)
        assert study.best_trial.number == best.number
        for i in last:
            assert f"best validation loss {best.value:.4f}" in outputs[i][0]
            written = (tmp_path / f"w{i}" / "best.yaml").read_text()
            expected = tmp_path / "expected.yaml"
            iv.save(apply_params(iv.load(config), best.params), expected)
            assert written == expected.read_text()
    finally:
        optuna.delete_study(study_name=study_name, storage=url)


RACE_WORKER = """
import sys, time
import optuna
from invariant.training.tuning import GRID_FULL, _open_study, grid_points, ordered_grid_sampler, unvisited

url, name = sys.argv[1], sys.argv[2]
space = {"a": [0, 1, 2, 3], "b": [0, 1, 2]}
optuna.logging.set_verbosity(optuna.logging.ERROR)
sampler = ordered_grid_sampler(space)
study = _open_study(url, name, sampler)
points = grid_points(space)

def objective(trial):
    if sampler.given.get(trial.number) == GRID_FULL:
        raise optuna.TrialPruned()
    trial.suggest_categorical("a", space["a"]), trial.suggest_categorical("b", space["b"])
    time.sleep(0.05)
    return 0.0

def stop(study, trial):
    if not unvisited(study, points):
        study.stop()

study.optimize(objective, n_trials=len(points), callbacks=[stop])
"""


def test_racing_workers_claim_each_grid_point_once() -> None:
    """Four processes start on one 12-point grid at the same moment with near-instant trials: the
    worst case for two workers taking the same point (before the claims were ordered by trial number,
    such runs held 13 to 17 trials). Each point must run exactly once."""
    url = _server_url()
    study_name = f"race-{uuid.uuid4().hex[:10]}"
    workers = [subprocess.Popen([sys.executable, "-c", RACE_WORKER, url, study_name], stderr=subprocess.PIPE, text=True) for _ in range(4)]
    try:
        errors = [w.communicate(timeout=120)[1] for w in workers]
    finally:
        for w in workers:
            w.kill()
    assert all(w.returncode == 0 for w in workers), errors
    try:
        trials = optuna.load_study(study_name=study_name, storage=url).get_trials(deepcopy=False)
        ran = sorted((t.params["a"], t.params["b"]) for t in trials if t.params)
        assert ran == [(a, b) for a in range(4) for b in range(3)]
        assert all(t.state == optuna.trial.TrialState.PRUNED for t in trials if not t.params)
    finally:
        optuna.delete_study(study_name=study_name, storage=url)

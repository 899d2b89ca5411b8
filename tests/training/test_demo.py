"""`invariant demo` end to end (--quick), the offline data it reads, and the seeded trainer."""

from __future__ import annotations

import csv
import gzip
import json
import re

import cv2
import numpy as np
import pytest

pytest.importorskip("torch")

from invariant.cli import main
from invariant.training import datasets_builtin as db
from invariant.training.adapters import from_arrays
from invariant.training.demo import PIPELINES, build_pipeline, check_pipeline
from invariant.training.trainer import train_model


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, dict]:
    out = tmp_path_factory.mktemp("demo")
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["demo", "--quick", "--out", str(out), "--no-progress", "--seed", "3"])
    return code, buffer.getvalue(), {"out": out, "json": json.loads((out / "results.json").read_text())}


def test_quick_demo_writes_a_complete_report(quick_report: tuple[int, str, dict]) -> None:
    code, printed, info = quick_report
    out = info["out"]
    assert code == 0
    for name in PIPELINES:
        grid = cv2.imread(str(out / f"samples_{name}.png"))
        assert grid is not None and grid.shape[0] > 100 and grid.shape[1] > 400
        assert (out / "pipelines" / f"{name}.yaml").exists()
    curves = cv2.imread(str(out / "learning_curves.png"))
    assert curves is not None and curves.shape[1] > 600
    summary = (out / "summary.md").read_text()
    assert "held-out test acc" in summary and "learning_curves.png" in summary
    assert "<table" in (out / "summary.html").read_text()


def test_quick_demo_numbers_are_measured_and_well_formed(quick_report: tuple[int, str, dict]) -> None:
    _, printed, info = quick_report
    payload = info["json"]
    epochs = payload["settings"]["epochs"]
    assert [r["name"] for r in payload["results"]] == list(PIPELINES)
    for r in payload["results"]:
        assert len(r["history"]) == epochs
        assert 1 <= r["best_epoch"] <= epochs
        for key in ("train_acc", "val_acc", "test_acc"):
            assert 0.0 <= r[key] <= 1.0
        # the reported validation accuracy is the best epoch's, as recorded in the history
        assert r["val_acc"] == max(h["val_acc"] for h in r["history"])
        assert r["val_acc"] == r["history"][r["best_epoch"] - 1]["val_acc"]
        # the printed table shows the same measured numbers (parsed back from stdout)
        row = re.search(rf"^{re.escape(r['name'])}\s+([\d.]+)%\s+([\d.]+)%\s+([\d.]+)%\s+(\d+)/(\d+)$", printed, re.M)
        assert row is not None, printed
        assert float(row.group(1)) == pytest.approx(100 * r["train_acc"], abs=0.051)
        assert float(row.group(3)) == pytest.approx(100 * r["test_acc"], abs=0.051)
        assert int(row.group(4)) == r["best_epoch"]
    by_name = {r["name"]: r["test_acc"] for r in payload["results"]}
    for name in ("domain-aware", "domain-violating"):
        delta = re.search(rf"{name} ([+-][\d.]+) points", printed)
        assert delta is not None and float(delta.group(1)) == pytest.approx(100 * (by_name[name] - by_name["none"]), abs=0.051)
    # 10 classes: any trained network is far above chance (10%) on real digits
    assert all(r["test_acc"] > 0.3 for r in payload["results"])


def test_violating_pipeline_is_flagged_before_training(quick_report: tuple[int, str, dict]) -> None:
    import invariant as iv

    if not hasattr(iv, "check"):
        pytest.fail("iv.check is missing: the demo cannot flag the domain-violating pipeline")
    report = check_pipeline(build_pipeline("domain-violating")[0], "mnist")
    assert report is not None and "violation" in report and "HorizontalFlip" in report and "Rotate" in report
    assert "violation" not in check_pipeline(build_pipeline("domain-aware")[0], "mnist").split("\n")[0]
    _, printed, info = quick_report
    assert "[domain-violating] iv.check before training" in printed
    assert "Rotate" in (info["out"] / "summary.md").read_text()


def test_mnist_file_matches_an_independent_csv_parse() -> None:
    images, labels = db.load_mnist_5k()
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [500] * 10
    with gzip.open(db.mnist_5k_path(), "rt") as f:
        rows = [next(csv.reader(f)) for _ in range(3)]
    for i, row in enumerate(rows):
        assert int(row[-1]) == labels[i]
        assert [int(v) for v in row[:-1]] == images[i].ravel().tolist()


def test_split_is_stratified_disjoint_and_seeded() -> None:
    split = db.load_split("mnist", 2400, 600, 2000, seed=0)
    assert (len(split.train_labels), len(split.val_labels), len(split.test_labels)) == (2400, 600, 2000)
    assert np.bincount(split.train_labels).tolist() == [240] * 10
    assert np.bincount(split.test_labels).tolist() == [200] * 10
    keys = [{im.tobytes() for im in part} for part in (split.train_images, split.val_images, split.test_images)]
    assert sum(map(len, keys)) == len(set().union(*keys))  # no image in two parts (all 5000 are distinct)
    again = db.load_split("mnist", 2400, 600, 2000, seed=0)
    assert np.array_equal(again.test_images, split.test_images)
    assert not np.array_equal(db.load_split("mnist", 2400, 600, 2000, seed=1).test_labels, split.test_labels)


def test_fashion_mnist_missing_files_give_a_clear_error(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(db, "FASHION_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        db.load_split("fashion-mnist")
    assert main(["demo", "--quick", "--dataset", "fashion-mnist", "--out", str(tmp_path / "r"), "--no-progress"]) == 1
    assert "dataset-fashion-mnist" in capsys.readouterr().err


@pytest.mark.skipif(not db.fashion_mnist_available(), reason="Debian dataset-fashion-mnist not installed on this machine")
def test_fashion_mnist_reads_the_idx_files() -> None:
    split = db.load_split("fashion-mnist", 100, 50, 100, seed=0)
    assert split.train_images.shape == (100, 28, 28) and split.classes[9] == "Ankle boot"
    x_train, y_train, x_test, y_test = db.load_fashion_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_test).tolist() == [1000] * 10  # the published balanced test set


def test_trainer_is_deterministic_and_never_needs_test_data() -> None:
    split = db.load_split("mnist", 200, 100, 100, seed=0)
    train = from_arrays(split.train_images, split.train_labels)
    val = from_arrays(split.val_images, split.val_labels)
    pipe, _ = build_pipeline("domain-violating")
    a = train_model(pipe, train, val, None, epochs=2, seed=5, progress=False)
    b = train_model(pipe, train, val, None, epochs=2, seed=5, progress=False)
    assert a.test_acc is None
    assert [h.val_loss for h in a.history] == [h.val_loss for h in b.history]
    assert a.train_acc == b.train_acc


def test_saved_pipelines_keep_the_digits_task(quick_report: tuple[int, str, dict]) -> None:
    """The YAML files the demo writes carry its task, so iv.load re-checks them and `invariant tune`
    keeps tuned magnitudes within it; the violating one loads with a warning naming its violations."""
    import invariant as iv
    from invariant.domains.check import DomainWarning
    from invariant.training.demo import digits_task

    folder = quick_report[2]["out"] / "pipelines"
    for name in ("none", "domain-aware"):
        loaded = iv.load(folder / f"{name}.yaml")
        assert loaded.task == digits_task("mnist") and iv.check(loaded, loaded.task).ok
    with pytest.warns(DomainWarning, match="HorizontalFlip"):
        violating = iv.load(folder / "domain-violating.yaml")
    assert violating.task == digits_task("mnist") and not iv.check(violating, violating.task).ok

"""Corruption report: CE / mCE / relative mCE against hand-computed numbers, errors of a lookup classifier
against an independent count, and the `invariant robustness` CLI end to end in a subprocess."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from invariant.ops.corruptions import corrupt_batch
from invariant.training.robustness import ErrorTable, corruption_report, evaluate, format_reports, make_report, normalised_errors, write_report

# A fake two-corruption, three-severity table, worked by hand:
# model:    clean 0.10, a = [0.20, 0.30, 0.40] (sum 0.90), b = [0.15, 0.15, 0.30] (sum 0.60)
# baseline: clean 0.20, a = [0.40, 0.50, 0.60] (sum 1.50), b = [0.30, 0.30, 0.60] (sum 1.20)
# CE_a = 0.9 / 1.5 = 0.6, CE_b = 0.6 / 1.2 = 0.5, mCE = 0.55
# relative CE_a = (0.9 - 3 * 0.1) / (1.5 - 3 * 0.2) = 0.6 / 0.9 = 2/3
# relative CE_b = (0.6 - 0.3) / (1.2 - 0.6) = 0.3 / 0.6 = 0.5, relative mCE = (2/3 + 1/2) / 2 = 7/12
MODEL = ErrorTable(0.10, {"a": [0.20, 0.30, 0.40], "b": [0.15, 0.15, 0.30]}, (1, 2, 3))
BASE = ErrorTable(0.20, {"a": [0.40, 0.50, 0.60], "b": [0.30, 0.30, 0.60]}, (1, 2, 3))


def test_ce_mce_and_relative_mce_by_hand() -> None:
    ce, rel = normalised_errors(MODEL, BASE)
    assert ce == pytest.approx({"a": 0.6, "b": 0.5})
    assert rel == pytest.approx({"a": 2 / 3, "b": 0.5})
    report = make_report("m", MODEL, BASE, "base")
    assert report.mce == pytest.approx(0.55) and report.relative_mce == pytest.approx(7 / 12)
    assert report.mean_error == pytest.approx((0.9 + 0.6) / 6)
    own = make_report("base", BASE, BASE, "base")  # the baseline against itself: 100% by definition
    assert own.mce == pytest.approx(1.0) and own.relative_mce == pytest.approx(1.0)
    assert "| m | 10.0 | 25.0 | 55.0 | 58.3 |" in format_reports([report])


def test_undefined_relative_ce_is_nan_not_a_crash() -> None:
    flat = ErrorTable(0.2, {"a": [0.2, 0.2, 0.2], "b": [0.3, 0.3, 0.6]}, (1, 2, 3))  # baseline not hurt by "a"
    ce, rel = normalised_errors(MODEL, flat)
    assert math.isnan(rel["a"]) and rel["b"] == pytest.approx(0.3 / 0.6) and ce["a"] == pytest.approx(0.9 / 0.6)
    assert make_report("m", MODEL, flat).relative_mce == pytest.approx(0.5)  # mean over the defined ones
    with pytest.raises(ValueError, match="baseline"):
        normalised_errors(MODEL, ErrorTable(0.1, {"a": [0.1, 0.1, 0.1]}, (1, 2, 3)))


def _digits() -> tuple[np.ndarray, np.ndarray]:
    from invariant.training.datasets_builtin import load_split

    split = load_split("mnist", 100, 10, 40, seed=0)
    return split.test_images, split.test_labels


def test_errors_of_a_lookup_classifier_match_an_independent_count() -> None:
    """A classifier that knows the clean images by heart (and answers wrong otherwise) errs exactly on the
    images a corruption changed: counted here directly from the corrupted arrays."""
    images, labels = _digits()
    known = {im.tobytes(): int(y) for im, y in zip(images, labels)}

    def lookup(batch: np.ndarray) -> np.ndarray:
        return np.array([known.get(im.tobytes(), -1) for im in batch])

    def always_zero(batch: np.ndarray) -> np.ndarray:
        return np.zeros((len(batch), 10))  # scores: argmax is class 0

    names = ("jpeg_compression", "defocus_blur")
    tables = evaluate({"lookup": lookup, "zero": always_zero}, images, labels, severities=(1, 3), corruptions=names, seed=5)
    assert tables["lookup"].clean == 0.0
    for k, name in enumerate(names):
        for j, sev in enumerate((1, 3)):
            corrupted = corrupt_batch(images, name, sev, seed=5 * 1009 + k)
            changed = np.mean([not np.array_equal(a, b) for a, b in zip(corrupted, images)])
            assert tables["lookup"].errors[name][j] == pytest.approx(changed)
            assert tables["zero"].errors[name][j] == pytest.approx(np.mean(labels != 0))
    assert tables["lookup"].errors["defocus_blur"][0] == 0.0  # radius 3/8 px at 28 px: the identity
    report = corruption_report(lookup, images, labels, baseline=always_zero, severities=(3,), corruptions=("jpeg_compression",))
    assert report.ce["jpeg_compression"] == pytest.approx(report.table.errors["jpeg_compression"][0] / np.mean(labels != 0))


def test_bad_arguments_are_refused() -> None:
    images, labels = _digits()
    with pytest.raises(ValueError, match="labels"):
        evaluate({"m": lambda b: np.zeros(len(b))}, images, labels[:-1])
    with pytest.raises(TypeError, match="models"):
        evaluate({"m": "not callable"}, images, labels)  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="severity"):
        evaluate({"m": lambda b: np.zeros(len(b))}, images, labels, severities=(6,))
    with pytest.raises(ValueError, match="model"):
        evaluate({"m": lambda b: np.zeros(3)}, images, labels, corruptions=("contrast",), severities=(1,))


def test_write_report_files(tmp_path: Path) -> None:
    paths = write_report([make_report("m", MODEL, BASE, "base"), make_report("base", BASE, BASE, "base")], tmp_path, note="fake table")
    assert paths["png"].read_bytes()[:4] == b"\x89PNG"
    data = json.loads(paths["json"].read_text())
    assert data[0]["mce"] == pytest.approx(0.55) and data[0]["errors"]["a"] == [0.2, 0.3, 0.4]
    assert "| m | 10.0 | 25.0 | 55.0 | 58.3 |" in paths["md"].read_text()


def test_cli_end_to_end_trains_evaluates_and_reloads(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"), "OMP_NUM_THREADS": "1"}
    out = tmp_path / "rob"
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "invariant.cli", "robustness", "--quick", "--epochs", "1", "--train-size", "200", "--test", "20",
           "--severities", "1", "--out", str(out), "--no-progress", "--threads", "1"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert time.perf_counter() - start < 120  # the brief's budget is 60 s; headroom for a shared 2-core machine
    data = json.loads((out / "robustness.json").read_text())
    assert [r["name"] for r in data] == ["none", "domain-aware", "augmix"]
    assert len(data[0]["errors"]) == 15 and all(len(v) == 1 for v in data[0]["errors"].values())
    assert data[0]["mce"] == pytest.approx(1.0)  # the baseline against itself
    assert (out / "robustness.png").read_bytes()[:4] == b"\x89PNG" and "mCE" in (out / "robustness.md").read_text()
    assert sorted(p.name for p in (out / "models").iterdir()) == ["augmix.pt", "domain-aware.pt", "models.json", "none.pt"]
    # a second run loads the saved models (no training) and reproduces the same numbers
    again = subprocess.run([sys.executable, "-m", "invariant.cli", "robustness", str(out), "--test", "20", "--severities", "1", "--out", str(tmp_path / "again"), "--threads", "1"],
                           capture_output=True, text=True, timeout=300, env=env)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "models loaded from" in again.stdout and "training none" not in again.stdout
    assert json.loads((tmp_path / "again" / "robustness.json").read_text()) == data
    missing = subprocess.run([sys.executable, "-m", "invariant.cli", "robustness", str(tmp_path / "nothing"), "--epochs", "0"], capture_output=True, text=True, timeout=120, env=env)
    assert missing.returncode == 1 and "--epochs" in missing.stderr


def test_demo_robustness_stage_saves_models_and_writes_the_report(tmp_path: Path) -> None:
    from invariant.training.demo import DemoSettings, run_demo
    from invariant.training.robustness import load_models

    settings = DemoSettings(train=200, val=100, test=100, epochs=1, threads=1, robustness_test=20)
    lines: list[str] = []
    run_demo(tmp_path, settings, progress=False, echo=lines.append)
    data = json.loads((tmp_path / "robustness" / "robustness.json").read_text())
    assert [r["name"] for r in data] == ["none", "domain-aware", "augmix"] and all(r["baseline"] == "none" for r in data)
    assert all(len(errs) == 5 for errs in data[2]["errors"].values()) and (tmp_path / "robustness" / "robustness.png").is_file()
    models, mean, std, meta = load_models(tmp_path / "models")
    assert sorted(models) == ["augmix", "domain-aware", "domain-violating", "none"] and meta["epochs"] == 1
    assert 0 < mean < 1 and 0 < std < 1
    assert any("augmix" in line for line in lines)
    # the reloaded baseline reproduces the stage's clean error on the same 20 held-out digits
    from invariant.training.datasets_builtin import load_split
    from invariant.training.robustness import torch_classifier

    split = load_split("mnist", 200, 100, 100, seed=0)
    predicted = torch_classifier(models["none"], mean, std)(split.test_images[:20])
    assert float(np.mean(predicted != split.test_labels[:20])) == pytest.approx(data[0]["clean_error"])

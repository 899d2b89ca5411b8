"""Population Based Augmentation: the explore/exploit operators against hand-computed values and their
analytic distribution, PBAPolicy against Algorithm 1's count distribution, the schedule -> YAML ->
iv.load round trip per epoch, and `invariant pba --quick` end to end through Ray in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import invariant as iv
from invariant.policies.ops import make_op
from invariant.training.pba import MAG_MAX, PROB_MAX, explore, policy_slots, schedule_pipeline, truncation_split

IN_CI = os.environ.get("CI", "").lower() == "true"


class ScriptedRng:
    """Hands out scripted draws and records the integer ranges asked for."""

    def __init__(self, randoms: list[float], integers: list[int]) -> None:
        self.randoms, self.ints, self.ranges = list(randoms), list(integers), []

    def random(self) -> float:
        return self.randoms.pop(0)

    def integers(self, low: int, high: int) -> int:
        self.ranges.append((low, high))
        value = self.ints.pop(0)
        assert low <= value < high
        return value


def test_explore_by_hand() -> None:
    # slots: (p=5, m=4), (p=10, m=0), (p=0, m=9)
    rng = ScriptedRng(
        randoms=[0.1, 0.5, 0.3, 0.9, 0.7, 0.25, 0.1, 0.2, 0.5, 0.19],
        integers=[7, 3, 2, 3, 1, 9],
    )
    out = explore([5, 4, 10, 0, 0, 9], rng)
    # p 5: 0.1 < 0.2 -> resampled to 7; m 4: amt 3, 0.3 < 0.5 -> subtract -> 1;
    # p 10: amt 2, add -> 12 clipped to 10; m 0: amt 3, subtract -> -3 clipped to 0;
    # p 0: 0.2 is not < 0.2 -> perturb, amt 1, 0.5 is not < 0.5 -> add -> 1; m 9: 0.19 -> resampled to 9.
    assert out == [7, 1, 10, 0, 1, 9]
    assert rng.ranges == [(0, 11), (0, 4), (0, 4), (0, 4), (0, 4), (0, 10)]  # p domain 0..10, m domain 0..9, amt 0..3
    assert not rng.randoms and not rng.ints


def test_explore_distribution_matches_algorithm_2() -> None:
    """From p index 5: P(k) = 0.2/11 + 0.8 * P(|k - 5| = amt, sign) with amt uniform on 0..3, sign 1/2."""
    rng = np.random.default_rng(0)
    n = 60_000
    draws = np.array([explore([5, 8], rng) for _ in range(n)])
    expected_p = np.full(PROB_MAX + 1, 0.2 / 11)
    expected_p[5] += 0.8 * 0.25  # amt 0, either sign
    for amt in (1, 2, 3):
        expected_p[5 - amt] += 0.8 * 0.25 * 0.5
        expected_p[5 + amt] += 0.8 * 0.25 * 0.5
    counts = np.bincount(draws[:, 0], minlength=PROB_MAX + 1) / n
    np.testing.assert_allclose(counts, expected_p, atol=0.006)
    # magnitude 8 (top 9): +2 and +3 both clip to 9
    expected_m = np.full(MAG_MAX + 1, 0.2 / 10)
    expected_m[8] += 0.8 * 0.25
    expected_m[7] += 0.8 * 0.125
    expected_m[6] += 0.8 * 0.125
    expected_m[5] += 0.8 * 0.125
    expected_m[9] += 0.8 * 0.375
    np.testing.assert_allclose(np.bincount(draws[:, 1], minlength=MAG_MAX + 1) / n, expected_m, atol=0.006)
    assert abs(expected_p.sum() - 1) < 1e-12 and abs(expected_m.sum() - 1) < 1e-12


def test_truncation_split_by_hand() -> None:
    assert truncation_split([0.5, 0.9, 0.1, 0.7]) == ([2], [1])  # ceil(4 * 0.25) = 1
    assert truncation_split([0.3, 0.8, 0.1, 0.7, 0.2, 0.9, 0.5, 0.6]) == ([2, 4], [1, 5])  # ceil(8 * 0.25) = 2
    assert truncation_split([0.2, 0.4, 0.3]) == ([0], [1])  # ceil(0.75) = 1
    assert truncation_split([0.6, 0.4], quantile=0.5) == ([1], [0])
    assert truncation_split([0.9, 0.1, 0.5, 0.3, 0.7], quantile=0.5) == ([1, 3], [4, 0])  # ceil(2.5) = 3 > 5 / 2 -> 2
    assert truncation_split([0.5, 0.5, 0.5, 0.5]) == ([0], [3])  # ties keep member order
    assert truncation_split([0.5]) == ([], [])
    with pytest.raises(ValueError, match="quantile"):
        truncation_split([0.1, 0.2], quantile=0.8)


def _applied(pipe: iv.Compose, n: int) -> np.ndarray:
    image = np.zeros((8, 8), np.uint8)
    return np.array([len(pipe.plan(image=image).steps) for _ in range(n)])


def test_pba_policy_count_distribution() -> None:
    """Algorithm 1: with every op at p = 1, exactly `count` ops apply, count ~ (0.2, 0.3, 0.5)."""
    ops = [make_op(o, magnitude=3, num_bins=11, p=1.0) for o in ("Brightness", "Contrast", "Invert")]
    counts = np.bincount(_applied(iv.Compose([iv.PBAPolicy(ops)], seed=1), 20_000), minlength=4) / 20_000
    np.testing.assert_allclose(counts, [0.2, 0.3, 0.5, 0.0], atol=0.012)
    # p = 0 everywhere: nothing, whatever the count
    off = [make_op("Invert", magnitude=0, num_bins=11, p=0.0) for _ in range(3)]
    assert _applied(iv.Compose([iv.PBAPolicy(off)], seed=2), 500).max() == 0
    # count fixed at 2, two ops at p = 0.5: the number applied is Binomial(2, 0.5) (the cap is never hit early)
    half = [make_op(o, magnitude=0, num_bins=11, p=0.5) for o in ("Invert", "Equalize")]
    got = np.bincount(_applied(iv.Compose([iv.PBAPolicy(half, count_weights=(0, 0, 1))], seed=3), 20_000), minlength=3) / 20_000
    np.testing.assert_allclose(got, [0.25, 0.5, 0.25], atol=0.012)
    # count fixed at 1 with three ops at p = 1: the applied op is uniform over the three (random order)
    pipe = iv.Compose([iv.PBAPolicy(ops, count_weights=(0, 1))], seed=4)
    image = np.zeros((8, 8), np.uint8)
    names = [pipe.plan(image=image).steps[0].transform.op for _ in range(9000)]
    for op in ("Brightness", "Contrast", "Invert"):
        assert abs(names.count(op) / 9000 - 1 / 3) < 0.02
    with pytest.raises(ValueError, match="count_weights"):
        iv.PBAPolicy(ops, count_weights=(0.5, 0.6))
    with pytest.raises(TypeError, match="leaf"):
        iv.PBAPolicy([iv.OneOf(ops)])


def test_schedule_yaml_round_trip_replays_each_epoch(tmp_path: Path) -> None:
    from invariant.training.adapters import from_arrays
    from invariant.training.dataset import AugmentedDataset

    slots = ["Rotate", "Rotate", "Invert", "Solarize"]
    history = [
        (0, [0, 0, 3, 0, 10, 0, 5, 9]),
        (1, [2, 4, 3, 0, 10, 0, 6, 9]),
        (2, [2, 7, 1, 1, 0, 0, 6, 2]),
    ]
    path = tmp_path / "pba.yaml"
    iv.save(schedule_pipeline(slots, history, seed=0), path)
    loaded = iv.load(path)
    data = from_arrays(np.zeros((4, 8, 8), np.uint8), np.zeros(4, np.int64), ["0"])

    def values(pipe: iv.Compose) -> list[float]:
        out: list[float] = []
        for op in pipe.transforms[0].transforms:
            out += [op.p * PROB_MAX, op.magnitude]
        return out

    for epochs, expected_index in ((3, [0, 1, 2]), (5, [0, 1, 1, 2, 2])):  # 5: stretched, milestones at progress 0.25 and 0.75
        dataset = AugmentedDataset(data, loaded, seed=0, epochs=epochs)
        for epoch, index in enumerate(expected_index):
            dataset.set_epoch(epoch)
            dataset[0]
            assert values(loaded) == pytest.approx(history[index][1]), (epochs, epoch)
    ops = loaded.transforms[0].transforms
    assert [op.op for op in ops] == slots and all(op.num_bins == 11 for op in ops)
    assert isinstance(loaded.transforms[0], iv.PBAPolicy)
    with pytest.raises(ValueError, match="history"):
        schedule_pipeline(slots, [(0, history[0][1]), (2, history[2][1])])


def test_policy_slots_are_the_papers_ops_twice() -> None:
    slots = policy_slots()
    assert len(slots) == 28 and all(slots.count(op) == 2 for op in set(slots))
    assert "Cutout" not in slots and {"Rotate", "ShearX", "Equalize", "Invert", "Posterize", "Solarize"} <= set(slots)


def test_cli_quick_through_ray(tmp_path: Path) -> None:
    try:
        import matplotlib  # noqa: F401
        import ray  # noqa: F401
    except ImportError as exc:
        if IN_CI:
            pytest.fail(f"CI=true but the pba extra is missing: {exc}", pytrace=False)
        pytest.skip(f"needs the pba extra (ray[tune], matplotlib): {exc}")
    out = tmp_path / "pba"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"), RAY_USAGE_STATS_ENABLED="0")
    args = ["--quick", "--train-size", "200", "--val-size", "100", "--population", "2", "--epochs", "2", "--no-progress", "--out", str(out)]
    done = subprocess.run([sys.executable, "-m", "invariant.cli", "pba", *args], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    schedule = json.loads((out / "schedule.json").read_text())
    assert [row["epoch"] for row in schedule["schedule"]] == [0, 1]
    assert schedule["exploits"] == 1  # interval 1, 2 epochs, synchronous: after epoch 1 the bottom member copied and explored
    assert len(schedule["members"]) == 2
    # the copied member resumed from the donor's checkpoint (epoch counter, weights, lineage), not from scratch
    assert [m["epochs"] for m in schedule["members"]] == [2, 2]
    loaded = iv.load(out / "pba.yaml")
    from invariant.training.adapters import from_arrays
    from invariant.training.dataset import AugmentedDataset

    dataset = AugmentedDataset(from_arrays(np.zeros((2, 8, 8), np.uint8), np.zeros(2, np.int64), ["0"]), loaded, seed=0, epochs=2)
    for row in schedule["schedule"]:
        dataset.set_epoch(row["epoch"])
        dataset[0]
        ops = loaded.transforms[0].transforms
        assert [(op.op, op.p, op.magnitude) for op in ops] == [(s["op"], pytest.approx(s["p"]), s["magnitude"]) for s in row["policy"]]
    import cv2

    plot = cv2.imread(str(out / "schedule.png"))
    assert plot is not None and plot.shape[0] > 200 and plot.shape[1] > 400

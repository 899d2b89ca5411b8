"""Per-call overhead of the engine, old tree vs new tree, interleaved: ``python benchmarks/engine_overhead.py
OLD_SRC NEW_SRC`` runs each measurement in a fresh subprocess per tree (PYTHONPATH switched), alternating
old/new for several rounds, and prints the median of each (one thread, same photo). Timed in process CPU
time (``time.process_time``), not wall time: on a shared machine other processes' load then stretches
neither side's figures by the time it was descheduled."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

CHILD = r"""
import os, json, time, timeit
os.environ["OMP_NUM_THREADS"] = "1"
import cv2, numpy as np
cv2.setNumThreads(0)
import invariant as iv
from skimage import data
photo = cv2.resize(data.astronaut(), (256, 256), interpolation=cv2.INTER_AREA)
tiny = np.ascontiguousarray(photo[:32, :32])
cases = {
    "1-transform 32x32 (HorizontalFlip p=1)": (iv.Compose([iv.HorizontalFlip(p=1.0)], seed=0), tiny),
    "1-transform 32x32 (RandomBrightnessContrast)": (iv.Compose([iv.RandomBrightnessContrast(p=1.0)], seed=0), tiny),
    "RRC224+HFlip+Normalize 256x256": (iv.Compose([iv.RandomResizedCrop(224), iv.HorizontalFlip(), iv.Normalize()], seed=0), photo),
    "Rotate+Crop+HFlip 256x256 (fused)": (iv.Compose([iv.Rotate(20, p=1), iv.RandomCrop(200), iv.HorizontalFlip()], seed=0), photo),
    # kernels with per-channel tables (planar table pass) and the single-step path on a 256x256 photo
    "HorizontalFlip 256x256": (iv.Compose([iv.HorizontalFlip(p=1.0)], seed=0), photo),
    "Equalize 256x256": (iv.Compose([iv.Equalize(p=1.0)], seed=0), photo),
    "HueSaturationValue 256x256": (iv.Compose([iv.HueSaturationValue(p=1.0)], seed=0), photo),
    "RGBShift 256x256": (iv.Compose([iv.RGBShift(p=1.0)], seed=0), photo),
    "AutoContrast 256x256": (iv.Compose([iv.AutoContrast(p=1.0)], seed=0), photo),
    "RBC+Gamma+Normalize 256x256 (one table)": (iv.Compose([iv.RandomBrightnessContrast(p=1), iv.RandomGamma(p=1), iv.Normalize()], seed=0), photo),
}
out = {}
for name, (pipe, img) in cases.items():
    for _ in range(200):
        pipe(image=img)
    t = timeit.Timer(lambda: pipe(image=img), timer=time.process_time)
    n = 2000 if img.shape[0] == 32 else 300
    out[name] = min(t.repeat(5, n)) / n * 1e6
print(json.dumps(out))
"""


def run(src: str) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=src, OMP_NUM_THREADS="1")
    res = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    old, new = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    results: dict[str, dict[str, list[float]]] = {"old": {}, "new": {}}
    for r in range(rounds):
        for label, src in (("old", old), ("new", new)) if r % 2 == 0 else (("new", new), ("old", old)):
            for name, us in run(src).items():
                results[label].setdefault(name, []).append(us)
    print(f"{'case':48s} {'old us':>9s} {'new us':>9s} {'new/old':>8s} {'min ratio':>9s}")
    for name in results["old"]:
        o, n = statistics.median(results["old"][name]), statistics.median(results["new"][name])
        lo = min(results["new"][name]) / min(results["old"][name])
        print(f"{name:48s} {o:9.1f} {n:9.1f} {n / o:8.3f} {lo:9.3f}")


if __name__ == "__main__":
    main()

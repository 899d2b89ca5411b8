"""Side-by-side throughput harness: our transform vs the anchors, same images, one thread, one process.

Usage from a benchmark script::

    from harness import setup_single_thread, load_photos, run_pairs, print_table
    setup_single_thread()
    images = load_photos(size=(256, 256))
    rows = run_pairs([("HorizontalFlip", ours_fn, {"albumentations": alb_fn})], images)
    print_table(rows)

Each callable takes one image (HWC uint8 numpy) and returns anything. Times are the median of
``repeats`` timed passes over all images, after a warm-up pass; ratio = ours / anchor throughput.
"""

from __future__ import annotations

import os

# Single thread before numpy/cv2/torch load their thread pools.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import platform
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import cv2
import numpy as np

Fn = Callable[[np.ndarray], Any]


def setup_single_thread() -> dict[str, str]:
    """Pin OpenCV and torch to one thread; returns the versions found (for the table header)."""
    cv2.setNumThreads(0)
    versions = {"python": platform.python_version(), "numpy": np.__version__, "opencv": cv2.__version__}
    try:
        import invariant

        versions["invariant"] = invariant.__version__
    except ImportError:  # pragma: no cover
        pass
    for name in ("albumentations", "torch", "torchvision", "kornia"):
        try:
            module = __import__(name)
            versions[name] = module.__version__
        except Exception:
            continue
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    return versions


def invariant_call(*transforms: Any, extras: Callable[[np.ndarray], dict] | None = None) -> Fn:
    """One image -> ``iv.Compose(transforms, seed=0)(image=..., **extras(image))``."""
    import invariant as iv

    pipe = iv.Compose(list(transforms), seed=0)
    if extras is None:
        return lambda img: pipe(image=img)
    return lambda img: pipe(image=img, **extras(img))


def albumentations_call(*transforms: Any, extras: Callable[[np.ndarray], dict] | None = None, **compose_kwargs: Any) -> Fn:
    """One image -> ``A.Compose(transforms, seed=0, **compose_kwargs)(image=..., **extras(image))``."""
    import warnings

    import albumentations as A

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = A.Compose(list(transforms), seed=0, **compose_kwargs)
    if extras is None:
        return lambda img: pipe(image=img)
    return lambda img: pipe(image=img, **extras(img))


def load_photos(size: tuple[int, int] | None = (256, 256), native: bool = False) -> list[np.ndarray]:
    """Real RGB photos bundled with scikit-image and scikit-learn, resized to ``size`` (h, w) or native."""
    from skimage import data as skdata

    photos = [skdata.astronaut(), skdata.coffee(), skdata.chelsea(), skdata.rocket(), skdata.immunohistochemistry()]
    try:
        from sklearn.datasets import load_sample_images

        photos += list(load_sample_images().images)
    except Exception:  # pragma: no cover - sklearn is in the bench extra
        pass
    photos = [np.ascontiguousarray(p[:, :, :3]) for p in photos]
    if native or size is None:
        return photos
    return [cv2.resize(p, (size[1], size[0]), interpolation=cv2.INTER_AREA) for p in photos]


@dataclass
class Row:
    name: str
    ours: float  # images / s
    anchors: dict[str, float] = field(default_factory=dict)

    def ratio(self, anchor: str) -> float | None:
        value = self.anchors.get(anchor)
        return None if not value else self.ours / value


def _throughput(fn: Fn, images: list[np.ndarray], repeats: int, min_time: float) -> float:
    for image in images:  # warm-up
        fn(image)
    rates = []
    for _ in range(repeats):
        n, start = 0, time.perf_counter()
        while True:
            for image in images:
                fn(image)
            n += len(images)
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        rates.append(n / elapsed)
    return statistics.median(rates)


def run_pairs(
    pairs: list[tuple[str, Fn, dict[str, Fn]]],
    images: list[np.ndarray],
    repeats: int = 5,
    min_time: float = 0.2,
    verbose: bool = True,
) -> list[Row]:
    """Time each (name, ours, {anchor_name: anchor_fn}) on the same images, interleaving ours and
    the anchors per repeat so machine noise hits both alike."""
    rows = []
    for name, ours, anchors in pairs:
        ours_rates: list[float] = []
        anchor_rates: dict[str, list[float]] = {a: [] for a in anchors}
        for _ in range(repeats):
            ours_rates.append(_throughput(ours, images, 1, min_time))
            for a, fn in anchors.items():
                anchor_rates[a].append(_throughput(fn, images, 1, min_time))
        row = Row(name, statistics.median(ours_rates), {a: statistics.median(r) for a, r in anchor_rates.items()})
        rows.append(row)
        if verbose:
            print(format_row(row, list(anchors)), flush=True)
    return rows


def format_row(row: Row, anchors: list[str]) -> str:
    parts = [f"{row.name:<40}", f"{row.ours:>10.0f}"]
    for a in anchors:
        v, r = row.anchors.get(a), row.ratio(a)
        parts.append(f"{v:>10.0f}" if v else f"{'-':>10}")
        parts.append(f"{r:>6.2f}x" if r else f"{'-':>7}")
    return " ".join(parts)


def markdown_table(rows: list[Row], anchors: list[str], title: str = "") -> str:
    head = "| transform | invariant img/s | " + " | ".join(f"{a} img/s | ratio vs {a}" for a in anchors) + " |"
    sep = "|" + "---|" * (2 + 2 * len(anchors))
    lines = ([f"**{title}**", ""] if title else []) + [head, sep]
    for row in rows:
        cells = [row.name, f"{row.ours:.0f}"]
        for a in anchors:
            v, r = row.anchors.get(a), row.ratio(a)
            cells += [f"{v:.0f}" if v else "-", f"{r:.2f}x" if r else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def print_table(rows: list[Row], anchors: list[str] | None = None, title: str = "") -> str:
    anchors = anchors or sorted({a for r in rows for a in r.anchors})
    text = markdown_table(rows, anchors, title)
    print(text)
    return text

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
# albumentations 2.0.8 checks PyPI for updates and AlbumentationsX sends telemetry on import unless told not to
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
os.environ.setdefault("ALBUMENTATIONS_NO_TELEMETRY", "1")

import platform
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import cv2
import numpy as np

Fn = Callable[[np.ndarray], Any]


def albumentations_flavour() -> tuple[str, str]:
    """(column label, version) of the ``albumentations`` module importable here: albumentations 2.0.8 (the
    original) or AlbumentationsX (its maintained successor, installed as ``albumentationsx`` and imported
    under the same name)."""
    from importlib import metadata

    try:
        x_version = metadata.version("albumentationsx")
    except metadata.PackageNotFoundError:
        x_version = None  # not AlbumentationsX: albumentations 2.0.8, or none at all
    if x_version is not None:
        return f"AlbumentationsX {x_version}", x_version
    try:
        import albumentations
    except ImportError:  # a venv for another anchor only (bench_batched.py --anchor torchvision)
        return "albumentations", "not installed"
    return "albumentations", albumentations.__version__


ALB, ALB_VERSION = albumentations_flavour()  # the anchor column's name in every table
IS_X = ALB.startswith("AlbumentationsX")

# albumentations 2.0.8 keywords -> AlbumentationsX's (ranges are always (low, high) tuples there; a scalar
# limit x of a symmetric range is (-x, x)); AlbumentationsX ignores some old keywords instead of refusing them
_X_RENAMES = {
    "blur_limit": "blur_range", "sigma_limit": "sigma_range", "gamma_limit": "gamma_range", "clip_limit": "clip_range",
    "color_shift": "color_shift_range", "intensity": "intensity_range", "limit": "angle_range",
    "shift_limit": "shift_range", "scale_limit": "scale_range", "rotate_limit": "rotate_range",
    "brightness_limit": "brightness_range", "contrast_limit": "contrast_range",
    "r_shift_limit": "r_shift_range", "g_shift_limit": "g_shift_range", "b_shift_limit": "b_shift_range",
    "hue_shift_limit": "hue_shift_range", "sat_shift_limit": "sat_shift_range", "val_shift_limit": "val_shift_range",
    "num_shadows_limit": "num_shadows_range", "temperature_limit": "temperature_range", "noise_limit": "noise_range",
    "sigma_x_limit": "sigma_x_range", "sigma_y_limit": "sigma_y_range", "beta_limit": "beta_range",
    "primary_distortion_limit": "primary_distortion_range", "secondary_distortion_limit": "secondary_distortion_range",
    "max_factor": "max_factor_range", "step_factor": "step_factor_range", "alias_blur": "alias_blur_range",
    "cutoff": "cutoff_range", "p_replace": "p_replace_range", "n_segments": "n_segments_range",
    "amount": "amount_range", "salt_vs_pepper": "salt_vs_pepper_range", "max_objects": "max_objects_range",
    "num_masks_x": "num_masks_x_range", "num_masks_y": "num_masks_y_range",
    "mask_x_length": "mask_x_length_range", "mask_y_length": "mask_y_length_range",
}  # fmt: skip
# keywords whose AlbumentationsX name depends on the transform (``alpha`` stays ``alpha`` in FancyPCA)
_X_RENAMES_BY_TRANSFORM = {
    ("Sharpen", "alpha"): "alpha_range", ("Sharpen", "lightness"): "lightness_range",
    ("Emboss", "alpha"): "alpha_range", ("Emboss", "strength"): "strength_range", ("Defocus", "radius"): "radius_range",
}  # fmt: skip
# XYMasking's 2.0.8 keywords take ``int | (low, high)``, a scalar x meaning exactly x: (x, x) in AlbumentationsX
_FIXED = {"num_masks_x", "num_masks_y", "mask_x_length", "mask_y_length"}
_SYMMETRIC = {"limit", "shift_limit", "scale_limit", "rotate_limit", "brightness_limit", "contrast_limit", "r_shift_limit",
              "g_shift_limit", "b_shift_limit", "hue_shift_limit", "sat_shift_limit", "val_shift_limit"}  # fmt: skip
_X_UNSUPPORTED = {("ElasticTransform", "alpha"), ("ElasticTransform", "sigma")}  # AlbumentationsX: another parametrisation


def alb(name: str, **kwargs: Any) -> Any:
    """``A.<name>(**kwargs)`` with albumentations 2.0.8 keywords, translated for AlbumentationsX (same meaning:
    its hue is in degrees, 2x OpenCV's half-degree units; ColorJitter's factors become (1 - x, 1 + x) ranges).
    None when AlbumentationsX has no equivalent of the arguments (the row then has no value in its column)."""
    import warnings

    import albumentations as A

    if IS_X:
        if any((name, k) in _X_UNSUPPORTED for k in kwargs):
            return None
        translated: dict[str, Any] = {}
        for key, value in kwargs.items():
            if name == "ColorJitter" and key in ("brightness", "contrast", "saturation", "hue"):
                translated[f"{key}_range"] = (-value, value) if key == "hue" else (max(0.0, 1 - value), 1 + value)
                continue
            if key in _SYMMETRIC and not isinstance(value, (tuple, list)):
                value = (-value, value)
            if key in _FIXED and not isinstance(value, (tuple, list)):
                value = (value, value)
            if key == "hue_shift_limit":
                value = (2 * value[0], 2 * value[1])
            new_key = _X_RENAMES_BY_TRANSFORM.get((name, key)) or _X_RENAMES.get(key, key)
            translated[new_key] = tuple(value) if isinstance(value, list) else value
        if name == "RandomBrightnessContrast":  # 2.0.8 scales brightness by the dtype's max; X by default not
            translated.setdefault("brightness_by_max", True)
        kwargs = translated
    if not hasattr(A, name):  # a transform this albumentations lacks: "-" in its column
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(A, name)(**kwargs)


def alb_target_params(**kwargs: Any) -> dict[str, Any]:
    """``bbox_params`` / ``keypoint_params`` for A.Compose from 2.0.8 keywords (``format`` is ``coord_format``
    in AlbumentationsX)."""
    import albumentations as A

    key = "coord_format" if IS_X else "format"
    return {
        "bbox_params": A.BboxParams(**{key: kwargs["bbox_format"]}, label_fields=kwargs.get("label_fields")),
        "keypoint_params": A.KeypointParams(**{key: kwargs["keypoint_format"]}),
    }


def alb_bbox_params(bbox_format: str, label_fields: list[str] | None = None) -> Any:
    """``A.BboxParams`` for boxes only, from 2.0.8 keywords (``format`` is ``coord_format`` in AlbumentationsX)."""
    import albumentations as A

    return A.BboxParams(**{"coord_format" if IS_X else "format": bbox_format}, label_fields=label_fields)


def setup_single_thread() -> dict[str, str]:
    """Pin OpenCV and torch to one thread; returns the versions found (for the table header)."""
    cv2.setNumThreads(0)
    versions = {"python": platform.python_version(), "numpy": np.__version__, "opencv": cv2.__version__}
    try:
        import invariant

        versions["invariant"] = invariant.__version__
    except ImportError:  # pragma: no cover
        pass
    if ALB_VERSION != "not installed":
        versions["albumentationsx" if IS_X else "albumentations"] = ALB_VERSION
    for name in ("torch", "torchvision", "kornia"):
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
    """One image -> ``A.Compose(transforms, seed=0, **compose_kwargs)(image=..., **extras(image))``; None when
    a transform is None (no equivalent in the installed albumentations, see ``alb``)."""
    if any(t is None for t in transforms):
        return None  # type: ignore[return-value]
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
        anchors = {a: fn for a, fn in anchors.items() if fn is not None}
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

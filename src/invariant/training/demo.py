"""``invariant demo``: what declared invariances buy on a small labelled set, measured on real digits
that ship offline.

2,400 labelled training images (a small data set, where augmentation matters most), one small CNN,
one seed and one training budget, three pipelines:

* ``none``: no augmentation (the four-line preprocessing of the scenario);
* ``domain-aware``: what a digit's label survives: small rotations, shifts, scaling and shear,
  elastic pen-stroke wobble, mild blur and contrast changes;
* ``domain-violating``: horizontal mirrors and 180-degree turns, which destroy digit labels (a
  mirrored 2 is not a 2, and a 6 turned over is a 9).

Each pipeline is built and saved with the data set's task declaration (``digits_task``), so a saved
config keeps it: ``iv.load`` re-checks it, and ``invariant tune`` keeps tuned magnitudes within it.

The checkpoint of each run is picked on a validation split; the held-out test split is evaluated
once, on that checkpoint. Every number in the report is measured by the run that wrote it.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable


from ..core.compose import Compose
from ..core.serialization import from_dict, save
from ..core.transform import REGISTRY
from .adapters import LabelledImages, from_arrays
from .datasets_builtin import load_split
from .models import small_cnn
from .trainer import RunResult, train_model

# Each pipeline is data: (transform name, arguments). Transforms not registered in this build are
# left out and reported, so the demo runs whatever has landed.
PIPELINES: dict[str, dict[str, Any]] = {
    "none": {"description": "no augmentation", "transforms": []},
    "domain-aware": {
        "description": "small rotation/shift/scale/shear, elastic strokes, mild blur and contrast",
        "transforms": [
            ("Affine", {"rotate": (-12.0, 12.0), "scale": (0.9, 1.1), "translate_percent": (-0.08, 0.08), "shear": (-8.0, 8.0), "p": 0.9}),
            ("ElasticTransform", {"alpha": 8.0, "sigma": 3.0, "p": 0.4}),
            ("GaussianBlur", {"kernel_size": (3, 3), "sigma": (0.1, 0.7), "p": 0.2}),
            ("RandomBrightnessContrast", {"brightness_limit": 0.1, "contrast_limit": 0.25, "p": 0.4}),
        ],
    },
    "domain-violating": {
        "description": "horizontal mirrors and 180-degree turns (destroy digit labels)",
        "transforms": [
            ("HorizontalFlip", {"p": 0.5}),
            ("Rotate", {"limit": (180.0, 180.0), "p": 0.5}),
        ],
    },
}


@dataclass
class DemoSettings:
    dataset: str = "mnist"
    train: int = 2400
    val: int = 600
    test: int = 2000
    epochs: int = 30
    lr: float = 3e-3
    batch_size: int = 64
    seed: int = 0
    threads: int = 2
    robustness_test: int = 1000  # held-out images corrupted by the robustness stage (0: skip the stage)

    @classmethod
    def quick(cls, **overrides: Any) -> "DemoSettings":
        """Under a minute on 2 cores: fewer images and epochs (a smoke run, not the experiment)."""
        base = dict(train=1200, val=300, test=1000, epochs=5, robustness_test=0)  # the robustness stage: `invariant robustness --quick`
        base.update(overrides)
        return cls(**base)


@dataclass
class DemoReport:
    settings: DemoSettings
    results: list[RunResult]
    missing: dict[str, list[str]] = field(default_factory=dict)
    check: dict[str, str] = field(default_factory=dict)
    out: Path = Path(".")
    table: str = ""


def _spec_to_config(spec: tuple[str, dict[str, Any]], missing: list[str]) -> dict[str, Any] | None:
    name, args = spec
    if name not in REGISTRY:
        missing.append(name)
        return None
    args = dict(args)
    if "transforms" in args:
        children = [_spec_to_config(s, missing) for s in args["transforms"]]
        args["transforms"] = [c for c in children if c is not None]
    return {"name": name, "args": args}


def build_pipeline(name: str, dataset: str | None = None) -> tuple[Compose, list[str]]:
    """The demo pipeline called ``name`` and the transform names this build lacks (left out). With
    ``dataset``, the pipeline carries that data set's task (``digits_task``); the domain-violating one
    is built with ``on_violation="warn"``, since breaking the task is what it demonstrates."""
    if name not in PIPELINES:
        raise ValueError(f"name: expected one of {sorted(PIPELINES)}, got {name!r}. Fix: pick one of those.")
    missing: list[str] = []
    children = [_spec_to_config(s, missing) for s in PIPELINES[name]["transforms"]]
    args: dict[str, Any] = {"transforms": [c for c in children if c is not None]}
    task = digits_task(dataset) if dataset is not None else None
    if task is not None:
        args.update(task=task.to_dict(), on_violation="warn" if name == "domain-violating" else "error")
    with warnings.catch_warnings():  # the violation is reported by check_pipeline, with the rest of the run
        warnings.simplefilter("ignore", UserWarning)
        pipe = from_dict({"pipeline": {"name": "Compose", "args": args}})
    if not isinstance(pipe, Compose):  # from_dict of a Compose config always gives one
        raise TypeError(f"demo pipeline {name!r} did not build a Compose")
    return pipe, missing


def digits_task(dataset: str) -> Any:
    """The task declaration for the data set, or None when this build has no ``iv.Task``."""
    try:
        from ..domains.task import Task
    except ImportError:
        return None
    if dataset == "mnist":
        return Task(name="handwritten digits", modality="grayscale", laterality=True, orientation=True)
    return Task(name="clothing photos (Fashion-MNIST)", modality="grayscale", laterality=False, orientation=True)


def check_pipeline(pipe: Compose, dataset: str) -> str | None:
    """Run ``iv.check`` on the pipeline against the dataset's task; returns its printed report, or None."""
    from ..domains.check import check

    task = digits_task(dataset)
    if task is None:
        return None
    return str(check(pipe, task))


def sample_grid(pipe: Compose, data: LabelledImages, path: Path, seed: int, n: int = 32) -> Path:
    """What the network sees in epoch 1: the first ``n`` training images through the pipeline,
    with the same per-sample generators the training run uses."""
    from .dataset import AugmentedDataset
    from .preview import save_grid

    dataset = AugmentedDataset(data, pipe, seed=seed)
    images = [dataset[i][0] for i in range(min(n, len(data)))]
    return save_grid(images, path, columns=8, cell=56, pad=2)


def format_table(results: list[RunResult], epochs: int) -> str:
    """The printed results table (accuracies in percent)."""
    header = f"{'pipeline':<18} {'train acc':>9} {'val acc':>8} {'held-out test acc':>17} {'best-val epoch':>14}"
    lines = [header, "-" * len(header)]
    for r in results:
        test = f"{100 * r.test_acc:.1f}%" if r.test_acc is not None else "n/a"
        lines.append(f"{r.name:<18} {100 * r.train_acc:>8.1f}% {100 * r.val_acc:>7.1f}% {test:>17} {f'{r.best_epoch}/{epochs}':>14}")
    return "\n".join(lines)


def compare_line(results: list[RunResult]) -> str:
    """One measured sentence: each pipeline's held-out accuracy against no augmentation."""
    base = next((r for r in results if r.name == "none" and r.test_acc is not None), None)
    if base is None:
        return ""
    parts = [f"{r.name} {100 * (r.test_acc - base.test_acc):+.1f} points" for r in results if r is not base and r.test_acc is not None]
    return "Held-out test accuracy against no augmentation: " + ", ".join(parts) + "."


def plot_curves(results: list[RunResult], path: Path) -> Path:
    """Validation accuracy and training/validation loss per epoch, one line per pipeline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
    for r in results:
        epochs = [h.epoch for h in r.history]
        line = ax_acc.plot(epochs, [100 * h.val_acc for h in r.history], marker="o", ms=3, label=r.name)[0]
        ax_acc.axvline(r.best_epoch, color=line.get_color(), ls=":", lw=1)
        ax_loss.plot(epochs, [h.val_loss for h in r.history], color=line.get_color(), label=f"{r.name} (validation)")
        ax_loss.plot(epochs, [h.train_loss for h in r.history], color=line.get_color(), ls="--", label=f"{r.name} (train, augmented)")
    settled = [100 * h.val_acc for r in results for h in r.history[len(r.history) // 3 :]]
    ax_acc.set_ylim(max(0.0, min(settled) - 5.0), 100.0)  # zoom on where the runs settle
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy (%)", title="Validation accuracy (dotted: best epoch)")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="Loss", yscale="log")
    ax_acc.legend()
    ax_loss.legend(fontsize=7)
    ax_acc.grid(alpha=0.3)
    ax_loss.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _write_summary(report: DemoReport, split_text: str) -> None:
    out, s = report.out, report.settings
    lines = [
        "# invariant demo: augmentation as declared invariances",
        "",
        f"Data: {split_text}. Model: `invariant.training.models.small_cnn`, trained from the same initial weights "
        f"for {s.epochs} epochs (AdamW, one-cycle learning rate {s.lr}, batch {s.batch_size}, seed {s.seed}) with each pipeline.",
        "The checkpoint is the epoch with the best validation accuracy; the held-out test set is evaluated once, on that checkpoint, "
        "and never used to choose anything. Train accuracy is on the clean (non-augmented) training images.",
        "",
        "```",
        report.table,
        "```",
        "",
        compare_line(report.results) + " (One seed; rerun with `--seed` to see the spread.)",
        "",
        "![learning curves](learning_curves.png)",
        "",
    ]
    for r in report.results:
        spec = PIPELINES[r.name]
        lines += [f"## {r.name}: {spec['description']}", "", f"Pipeline file: `pipelines/{r.name}.yaml` (try `invariant preview pipelines/{r.name}.yaml`).", ""]
        if report.missing.get(r.name):
            lines += [f"Not in this build, left out: {', '.join(report.missing[r.name])}.", ""]
        if report.check.get(r.name):
            lines += ["`iv.check` said:", "", "```", report.check[r.name], "```", ""]
        lines += [f"![{r.name} samples](samples_{r.name}.png)", ""]
    (out / "summary.md").write_text("\n".join(lines))
    rows = "".join(
        f"<tr><td>{r.name}</td><td>{100 * r.train_acc:.1f}%</td><td>{100 * r.val_acc:.1f}%</td><td>{'n/a' if r.test_acc is None else f'{100 * r.test_acc:.1f}%'}</td><td>{r.best_epoch}/{s.epochs}</td></tr>"
        for r in report.results
    )
    grids = "".join(f"<h3>{r.name}</h3><img src='samples_{r.name}.png'>" for r in report.results)
    html = (
        "<!doctype html><meta charset='utf-8'><title>invariant demo</title><body style='font-family:sans-serif;max-width:1000px'>"
        f"<h1>invariant demo</h1><p>{split_text}</p><table border=1 cellpadding=4><tr><th>pipeline</th><th>train acc</th><th>val acc</th>"
        f"<th>held-out test acc</th><th>best-val epoch</th></tr>{rows}</table><img src='learning_curves.png' style='width:100%'>{grids}</body>"
    )
    (out / "summary.html").write_text(html)


def run_demo(out: str | Path = "invariant-report", settings: DemoSettings | None = None, progress: bool = True, echo: Callable[[str], None] = print) -> DemoReport:
    """Train the three pipelines, print the table, and write the report folder ``out``."""
    import cv2
    import torch

    settings = settings or DemoSettings()
    torch.set_num_threads(settings.threads)
    cv2.setNumThreads(0)  # sequential OpenCV; 1 can deadlock forked DataLoader workers with OpenCV 5
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    split = load_split(settings.dataset, settings.train, settings.val, settings.test, seed=settings.seed)
    train = from_arrays(split.train_images, split.train_labels, split.classes)
    val = from_arrays(split.val_images, split.val_labels, split.classes)
    test = from_arrays(split.test_images, split.test_labels, split.classes)
    echo(split.describe())
    report = DemoReport(settings, [], out=out)
    models: dict[str, Any] = {}
    started = time.perf_counter()
    for name in PIPELINES:
        pipe, missing = build_pipeline(name, settings.dataset)
        if missing:
            report.missing[name] = missing
            echo(f"[{name}] not in this build, left out: {', '.join(missing)}")
        (out / "pipelines").mkdir(exist_ok=True)
        save(pipe, out / "pipelines" / f"{name}.yaml")
        checked = check_pipeline(pipe, settings.dataset) if name != "none" else None
        if checked:
            report.check[name] = checked
            echo(f"[{name}] iv.check before training:\n{checked}")
        sample_grid(pipe, train, out / f"samples_{name}.png", settings.seed)
        held: list[Any] = []
        result = train_model(
            pipe, train, val, test, epochs=settings.epochs, lr=settings.lr, batch_size=settings.batch_size, seed=settings.seed, name=name, progress=progress,
            model_fn=lambda c, k: held.append(small_cnn(c, k)) or held[-1],
        )  # fmt: skip
        report.results.append(result)
        models[name] = held[-1]  # train_model leaves the best-validation weights in it
    report.table = format_table(report.results, settings.epochs)
    echo(report.table)
    echo(compare_line(report.results))
    plot_curves(report.results, out / "learning_curves.png")
    _write_summary(report, split.describe())
    payload = {
        "settings": asdict(settings),
        "data": split.describe(),
        "seconds": time.perf_counter() - started,
        "missing": report.missing,
        "results": [asdict(r) for r in report.results],
    }
    (out / "results.json").write_text(json.dumps(payload, indent=2))
    _robustness(models, train, val, split, settings, out, progress, echo)
    echo(f"report written to {out}/summary.md (and summary.html)")
    return report


def _robustness(models: dict[str, Any], train: LabelledImages, val: LabelledImages, split: Any, settings: DemoSettings, out: Path, progress: bool, echo: Callable[[str], None]) -> None:
    """Save the trained models to ``out/models`` (for ``invariant robustness``); with ``robustness_test > 0`` the
    robustness stage: an AugMix model (JSD loss, same budget) is trained and saved too, and the none /
    domain-aware / AugMix models are evaluated under the 15 ImageNet-C corruptions (``out/robustness``)."""
    from .robustness import robustness_stage, save_models, standardisation, train_augmix

    mean, std = standardisation(split.train_images)
    meta = {k: getattr(settings, k) for k in ("dataset", "train", "val", "test", "seed", "epochs", "lr", "batch_size")}
    if settings.robustness_test <= 0:
        save_models(models, mean, std, out / "models", meta)
        return
    echo("[augmix] training with AugMix and the JSD consistency loss")
    augmix, _ = train_augmix(train, val, epochs=settings.epochs, lr=settings.lr, batch_size=settings.batch_size, seed=settings.seed, progress=progress)
    save_models({**models, "augmix": augmix}, mean, std, out / "models", meta)
    chosen = {"none": models["none"], "domain-aware": models["domain-aware"], "augmix": augmix}
    n = min(settings.robustness_test, len(split.test_labels))
    note = f"Demo models ({settings.epochs} epochs, {settings.train} training images, seed {settings.seed}) on {n} held-out test images; baseline 'none'."
    robustness_stage(chosen, mean, std, split.test_images[:n], split.test_labels[:n], out / "robustness", seed=settings.seed, note=note, echo=echo)

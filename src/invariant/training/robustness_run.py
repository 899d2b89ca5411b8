"""``invariant robustness`` end to end: train (or load) the demo's models and score them under the corruptions.

Apart from ``training/robustness.py`` (the measurement: error tables, CE/mCE, reports, the AugMix trainer) so
that the demo, which calls the measurement, and this command, which builds the demo's pipelines, do not
import each other."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

from ..core.errors import value_error
from .robustness import ROBUSTNESS_MODELS, Report, load_models, robustness_stage, save_models, standardisation, train_augmix


def train_demo_model(name: str, train: Any, val: Any, *, epochs: int, lr: float, batch_size: int, seed: int, dataset: str = "mnist", progress: bool = False) -> Any:
    """The demo's model for pipeline ``name`` ("none", "domain-aware", ...) or "augmix" (JSD loss), at its best validation checkpoint."""
    if name == "augmix":
        return train_augmix(train, val, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, progress=progress)[0]
    from .demo import build_pipeline
    from .models import small_cnn
    from .trainer import train_model

    pipe, _ = build_pipeline(name, dataset)
    held: list[Any] = []

    def model_fn(channels: int, classes: int) -> Any:
        held.append(small_cnn(channels, classes))
        return held[-1]

    train_model(pipe, train, val, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, name=name, model_fn=model_fn, progress=progress)
    return held[-1]  # train_model loads the best-validation weights into this module before returning


def run_robustness(folder: str | Path | None, out: str | Path, *, quick: bool = False, epochs: int = 3, test: int | None = None,
                   severities: Sequence[int] = (1, 2, 3, 4, 5), seed: int = 0, progress: bool = True, train_size: int = 1200,
                   echo: Callable[[str], None] = print) -> list[Report]:  # fmt: skip
    """``invariant robustness``: load the demo's saved models from ``folder/models`` (or, with ``quick`` or
    when none are saved, train none / domain-aware / AugMix models here), corrupt the demo's held-out
    test digits and write the report into ``out``."""
    import time

    from .adapters import from_arrays
    from .datasets_builtin import load_split

    started = time.perf_counter()
    models_dir = Path(folder) / "models" if folder is not None else None
    if not quick and models_dir is not None and (models_dir / "models.json").is_file():
        models, mean, std, meta = load_models(models_dir)
        split = load_split(meta["dataset"], meta["train"], meta["val"], meta["test"], seed=meta["seed"])
        source = f"models loaded from {models_dir} ({meta['epochs']} epochs, {meta['train']} training images, seed {meta['seed']})"
    else:
        if not quick:
            echo(f"no saved models in {models_dir}: training them here (as --quick would, with {epochs} epochs)")
        meta = {"dataset": "mnist", "train": int(train_size), "val": 300, "test": 1000, "seed": seed, "epochs": epochs, "lr": 3e-3, "batch_size": 64}
        split = load_split("mnist", meta["train"], meta["val"], meta["test"], seed=seed)
        train = from_arrays(split.train_images, split.train_labels, split.classes)
        val = from_arrays(split.val_images, split.val_labels, split.classes)
        mean, std = standardisation(split.train_images)
        models = {}
        for name in ROBUSTNESS_MODELS:
            echo(f"training {name} ({epochs} epochs)")
            models[name] = train_demo_model(name, train, val, epochs=epochs, lr=meta["lr"], batch_size=meta["batch_size"], seed=seed, progress=progress)
        save_models(models, mean, std, Path(out) / "models", meta)
        source = f"models trained here ({epochs} epochs, {meta['train']} training images, seed {seed})"
    n = len(split.test_labels) if test is None else min(int(test), len(split.test_labels))
    if quick and test is None:
        n = min(500, n)
    if n < 1:
        value_error("--test", "a positive number of held-out images", test, "pass e.g. --test 500")
    note = (
        f"{source}; evaluated on {n} held-out {meta['dataset']} test images (never used in training or model selection), "
        f"severities {', '.join(map(str, severities))}, corruption seed {seed}. Baseline for CE/mCE: the model trained without augmentation ('none')."
    )
    echo(note)
    reports = robustness_stage(models, mean, std, split.test_images[:n], split.test_labels[:n], out, severities=severities, seed=seed, note=note, echo=echo)
    echo(f"robustness: {time.perf_counter() - started:.0f} s")
    return reports

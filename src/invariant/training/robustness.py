"""Corruption robustness report (Hendrycks & Dietterich, ICLR 2019): a classifier's error on held-out
images under the 15 ImageNet-C corruptions (``ops.corruptions``) at severities 1..5.

With ``E[c, s]`` the top-1 error under corruption ``c`` at severity ``s`` and ``E_clean`` the clean
error, against a baseline model ``b`` (AlexNet in the paper; here any model, e.g. one trained
without augmentation):

* corruption error      ``CE_c = sum_s E[c, s] / sum_s E_b[c, s]``
* mean corruption error ``mCE = mean_c CE_c``
* relative mCE          ``mean_c  sum_s (E[c, s] - E_clean) / sum_s (E_b[c, s] - E_b,clean)``

Every model sees the same corrupted images (each corrupted set is drawn once, from ``seed``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..core.errors import type_error, value_error
from ..ops.corruptions import CORRUPTIONS, check_corruption, corrupt_batch

Classifier = Callable[[np.ndarray], np.ndarray]  # (N, H, W[, C]) images -> (N,) labels or (N, K) scores


@dataclass
class ErrorTable:
    """Top-1 errors of one model: ``clean`` and ``errors[corruption][severity - 1]``."""

    clean: float
    errors: dict[str, list[float]]
    severities: tuple[int, ...] = (1, 2, 3, 4, 5)


@dataclass
class Report:
    """Errors of a model and, when a baseline was given, its CE per corruption, mCE and relative mCE."""

    name: str
    table: ErrorTable
    ce: dict[str, float] = field(default_factory=dict)
    relative_ce: dict[str, float] = field(default_factory=dict)
    mce: float | None = None
    relative_mce: float | None = None
    baseline: str | None = None

    @property
    def mean_error(self) -> float:
        """Unnormalised mean corruption error (mean of E[c, s] over corruptions and severities)."""
        return float(np.mean([e for errs in self.table.errors.values() for e in errs]))

    def to_dict(self) -> dict[str, Any]:
        t = self.table
        return {
            "name": self.name, "baseline": self.baseline, "clean_error": t.clean, "severities": list(t.severities), "errors": t.errors,
            "mean_corruption_error_unnormalised": self.mean_error, "ce": self.ce, "mce": self.mce, "relative_ce": self.relative_ce, "relative_mce": self.relative_mce,
        }  # fmt: skip


def normalised_errors(table: ErrorTable, base: ErrorTable) -> tuple[dict[str, float], dict[str, float]]:
    """(CE_c, relative CE_c) per corruption of ``table`` against the baseline ``base`` (formulas in the module docstring).
    A relative CE whose baseline degradation is 0 is ``nan`` (undefined) rather than a division by zero."""
    if set(table.errors) != set(base.errors) or table.severities != base.severities:
        value_error("baseline", "errors over the same corruptions and severities", sorted(base.errors), "evaluate both models with the same corruptions and severities")
    ce, rel = {}, {}
    for c, errs in table.errors.items():
        b = base.errors[c]
        ce[c] = float(sum(errs) / sum(b)) if sum(b) > 0 else math.nan
        denom = sum(e - base.clean for e in b)
        rel[c] = float(sum(e - table.clean for e in errs) / denom) if denom != 0 else math.nan
    return ce, rel


def _nanmean(values: Sequence[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return float(np.mean(finite)) if finite else math.nan


def make_report(name: str, table: ErrorTable, baseline: ErrorTable | None = None, baseline_name: str | None = None) -> Report:
    """A Report of ``table``; with ``baseline``, CE per corruption, mCE and relative mCE."""
    report = Report(name, table, baseline=baseline_name)
    if baseline is not None:
        report.ce, report.relative_ce = normalised_errors(table, baseline)
        report.mce, report.relative_mce = _nanmean(list(report.ce.values())), _nanmean(list(report.relative_ce.values()))
    return report


def _error(model: Classifier, images: np.ndarray, labels: np.ndarray) -> float:
    out = np.asarray(model(images))
    predicted = out.argmax(axis=1) if out.ndim == 2 else out
    if predicted.shape != labels.shape:
        value_error("model", f"a callable returning {len(labels)} labels or an (N, K) score array", out, "return model(images).argmax(1)")
    return float(np.mean(predicted != labels))


def evaluate(
    models: Mapping[str, Classifier],
    images: np.ndarray,
    labels: np.ndarray,
    severities: Sequence[int] = (1, 2, 3, 4, 5),
    corruptions: Sequence[str] = CORRUPTIONS,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, ErrorTable]:
    """Error tables of every model on the same corrupted copies of ``images`` (each set drawn once)."""
    if not models:
        value_error("models", "at least one classifier", models, "pass {'name': classifier}")
    for name, m in models.items():
        if not callable(m):
            type_error(f"models[{name!r}]", "a callable mapping an image batch to labels or scores", m, "wrap a torch model with torch_classifier(model, mean, std)")
    images, labels = np.asarray(images), np.asarray(labels)
    if len(images) != len(labels) or len(images) == 0:
        value_error("labels", f"one label per image ({len(images)} images)", labels, "pass the labels of the same images")
    severities = tuple(int(s) for s in severities)
    for c in corruptions:
        for s in severities:
            check_corruption(c, s)
    tables = {n: ErrorTable(_error(m, images, labels), {}, severities) for n, m in models.items()}
    for k, c in enumerate(corruptions):
        for s in severities:
            corrupted = corrupt_batch(images, c, s, seed=seed * 1009 + k)
            for n, m in models.items():
                tables[n].errors.setdefault(c, []).append(_error(m, corrupted, labels))
        if progress is not None:
            progress(f"{c}: " + ", ".join(f"{n} {100 * np.mean(t.errors[c]):.1f}%" for n, t in tables.items()))
    return tables


def corruption_report(
    model: Classifier,
    images: np.ndarray,
    labels: np.ndarray,
    baseline: Classifier | ErrorTable | None = None,
    severities: Sequence[int] = (1, 2, 3, 4, 5),
    corruptions: Sequence[str] = CORRUPTIONS,
    seed: int = 0,
    name: str = "model",
) -> Report:
    """Errors of ``model`` under each corruption and severity; with a ``baseline`` (a classifier, or an
    ErrorTable over the same corruptions and severities) also CE, mCE and relative mCE."""
    models: dict[str, Classifier] = {name: model}
    if baseline is not None and not isinstance(baseline, ErrorTable):
        models["baseline"] = baseline
    tables = evaluate(models, images, labels, severities, corruptions, seed)
    base = baseline if isinstance(baseline, ErrorTable) else tables.get("baseline")
    return make_report(name, tables[name], base, "baseline" if base is not None else None)


def torch_classifier(module: Any, mean: float | Sequence[float], std: float | Sequence[float], batch_size: int = 1000) -> Classifier:
    """A Classifier from a torch module that takes standardised NCHW float input: images are scaled to
    [0, 1] (uint8 / 255), standardised with ``mean`` and ``std`` and run in eval mode without gradients."""
    import torch

    mean_a, std_a = np.asarray(mean, np.float32).reshape(-1), np.asarray(std, np.float32).reshape(-1)

    def predict(images: np.ndarray) -> np.ndarray:
        x = images.astype(np.float32) / (255.0 if images.dtype == np.uint8 else 1.0)
        x = x[..., None] if x.ndim == 3 else x
        x = (x - mean_a) / std_a
        module.eval()
        out = []
        with torch.no_grad():
            for i in range(0, len(x), batch_size):
                out.append(module(torch.from_numpy(np.ascontiguousarray(x[i : i + batch_size].transpose(0, 3, 1, 2)))).argmax(1).numpy())
        return np.concatenate(out)

    return predict


# -- output ----------------------------------------------------------------------------------------------------------
def format_reports(reports: Sequence[Report]) -> str:
    """Markdown table: clean error, unnormalised mean corruption error, mCE and relative mCE per model (percent)."""

    def pct(v: float | None) -> str:
        return "n/a" if v is None or math.isnan(v) else f"{100 * v:.1f}"

    base = next((r.baseline for r in reports if r.baseline), None)
    lines = [
        f"| model | clean error % | mean corruption error % | mCE % (vs {base or 'n/a'}) | relative mCE % |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {r.name} | {pct(r.table.clean)} | {pct(r.mean_error)} | {pct(r.mce)} | {pct(r.relative_mce)} |" for r in reports]
    return "\n".join(lines)


def format_per_corruption(reports: Sequence[Report]) -> str:
    """Markdown table: mean error over severities per corruption (percent) and CE per model."""
    names = list(reports[0].table.errors)
    header = "| corruption | " + " | ".join(f"{r.name} err % | {r.name} CE %" for r in reports) + " |"
    lines = [header, "|---|" + "---:|" * (2 * len(reports))]
    for c in names:
        cells = []
        for r in reports:
            ce = r.ce.get(c)
            cells += [f"{100 * np.mean(r.table.errors[c]):.1f}", "n/a" if ce is None or math.isnan(ce) else f"{100 * ce:.1f}"]
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_heatmap(reports: Sequence[Report], path: str | Path) -> Path:
    """One heat map per model: top-1 error (%) per corruption (rows) x severity (columns), shared colour scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(reports[0].table.errors)
    sev = reports[0].table.severities
    fig, axes = plt.subplots(1, len(reports), figsize=(2.2 + 1.1 * len(sev) * len(reports), 0.35 * len(names) + 1.6), squeeze=False)
    for ax, r in zip(axes[0], reports):
        grid = 100 * np.array([r.table.errors[c] for c in names])
        im = ax.imshow(grid, vmin=0, vmax=100, cmap="magma_r", aspect="auto")
        for (i, j), v in np.ndenumerate(grid):
            ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7, color="white" if v > 55 else "black")
        ax.set_xticks(range(len(sev)), [str(s) for s in sev])
        ax.set_yticks(range(len(names)), names if ax is axes[0][0] else [""] * len(names))
        mce = "" if r.mce is None else f", mCE {100 * r.mce:.0f}%"
        ax.set_title(f"{r.name}\nclean {100 * r.table.clean:.1f}%{mce}", fontsize=9)
        ax.set_xlabel("severity")
    fig.colorbar(im, ax=axes[0].tolist(), label="top-1 error (%)", shrink=0.8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def write_report(reports: Sequence[Report], out: str | Path, note: str = "") -> dict[str, Path]:
    """Write ``robustness.md``, ``robustness.json`` and ``robustness.png`` (heat map) into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    png = plot_heatmap(reports, out / "robustness.png")
    md = [
        "# Corruption robustness (ImageNet-C corruptions, Hendrycks & Dietterich 2019)",
        "",
        note,
        "",
        "CE_c = sum_s E[c,s] / sum_s E_base[c,s]; mCE = mean_c CE_c; relative mCE = mean_c sum_s (E[c,s] - E_clean) / sum_s (E_base[c,s] - E_base,clean).",
        "",
        format_reports(reports),
        "",
        format_per_corruption(reports),
        "",
        "![error per corruption and severity](robustness.png)",
        "",
    ]
    (out / "robustness.md").write_text("\n".join(md))
    (out / "robustness.json").write_text(json.dumps([r.to_dict() for r in reports], indent=2))
    return {"md": out / "robustness.md", "json": out / "robustness.json", "png": png}


# -- the demo's robustness stage -----------------------------------------------------------------------------------
def train_augmix(train: Any, val: Any, *, epochs: int, lr: float = 3e-3, batch_size: int = 64, seed: int = 0, weight: float = 12.0, progress: bool = False) -> tuple[Any, float]:
    """Train the demo's ``small_cnn`` with AugMix (severity 3, width 3, the paper's op set) and the JSD
    consistency loss ``CE + 12 JS(p_clean, p_aug1, p_aug2)`` (Hendrycks et al. 2020), under the same
    optimiser, schedule and seed as ``train_model``; returns (model at its best validation accuracy, that accuracy)."""
    import copy

    import torch
    from torch.utils.data import DataLoader

    from ..batch.losses import augmix_loss
    from ..policies.augmix import AugMix
    from .models import small_cnn
    from .ssl import AugMixDataset
    from .trainer import _Converter, _evaluate, check_epochs

    check_epochs(epochs)
    convert = _Converter(train, standardise=True)
    torch.manual_seed(seed)
    model = small_cnn(train.channels, max(len(train.classes), int(train.labels.max()) + 1))
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    dataset = AugMixDataset(train, AugMix(severity=3), seed=seed, epochs=epochs)

    def collate(items: list) -> tuple:
        views = [convert([it[0][k] for it in items]) for k in range(3)]
        return views, torch.as_tensor([it[1] for it in items])

    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed), num_workers=0, collate_fn=collate)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * len(loader), pct_start=0.15)
    val_x, val_y = convert(list(val.images)), torch.as_tensor(val.labels)
    best_key, best_state, best_acc = None, None, 0.0
    for epoch in range(epochs):
        dataset.set_epoch(epoch)
        model.train()
        for (x0, x1, x2), y in loader:
            logits = model(torch.cat([x0, x1, x2]))
            l0, l1, l2 = logits.split(len(y))
            loss = augmix_loss(l0, l1, l2, y, weight=weight)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
        val_loss, val_acc = _evaluate(model, val_x, val_y)
        if progress:
            print(f"  augmix epoch {epoch + 1}/{epochs}: val acc {val_acc:.3f}", flush=True)
        if best_key is None or (val_acc, -val_loss) > best_key:
            best_key, best_state, best_acc = (val_acc, -val_loss), copy.deepcopy(model.state_dict()), val_acc
    if best_state is not None:
        model.load_state_dict(best_state)
    return model, best_acc


ROBUSTNESS_MODELS = ("none", "domain-aware", "augmix")


def standardisation(train_images: np.ndarray) -> tuple[float, float]:
    """(mean, std) of the clean training images scaled to [0, 1]: what ``train_model`` standardises with."""
    x = train_images.astype(np.float64) / 255.0
    return float(x.mean()), max(float(x.std()), 1e-6)


def save_models(models: Mapping[str, Any], mean: float, std: float, folder: str | Path, meta: Mapping[str, Any]) -> Path:
    """Save each model's state_dict to ``folder/<name>.pt`` and the input standardisation to ``folder/models.json``."""
    import torch

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, m in models.items():
        torch.save(m.state_dict(), folder / f"{name}.pt")
    (folder / "models.json").write_text(json.dumps({"mean": mean, "std": std, "models": list(models), "architecture": "small_cnn", **meta}, indent=2))
    return folder


def load_models(folder: str | Path) -> tuple[dict[str, Any], float, float, dict[str, Any]]:
    """The models saved by ``save_models`` (``small_cnn`` weights), their mean/std and metadata."""
    import torch

    from .models import small_cnn

    folder = Path(folder)
    meta_path = folder / "models.json"
    if not meta_path.is_file():
        raise FileNotFoundError(f"{meta_path}: no saved models here. Fix: run `invariant demo --out {folder.parent}` first, or `invariant robustness --quick`.")
    meta = json.loads(meta_path.read_text())
    models = {}
    for name in meta["models"]:
        state = torch.load(folder / f"{name}.pt", map_location="cpu", weights_only=True)
        model = small_cnn(int(state["0.weight"].shape[1]), int(state[next(k for k in reversed(list(state)) if k.endswith("weight"))].shape[0]))
        model.load_state_dict(state)
        models[name] = model
    return models, float(meta["mean"]), float(meta["std"]), meta


def robustness_stage(models: Mapping[str, Any], mean: float, std: float, test_images: np.ndarray, test_labels: np.ndarray, out: str | Path, *,
                     baseline: str = "none", severities: Sequence[int] = (1, 2, 3, 4, 5), seed: int = 0, note: str = "",
                     echo: Callable[[str], None] = print) -> list[Report]:  # fmt: skip
    """Evaluate ``models`` on corrupted held-out images, write the report and heat map into ``out``."""
    if baseline not in models:
        value_error("baseline", f"one of the models {sorted(models)}", baseline, "pass the name of the model trained without augmentation")
    classifiers = {n: torch_classifier(m, mean, std) for n, m in models.items()}
    tables = evaluate(classifiers, test_images, test_labels, severities=severities, seed=seed, progress=echo)
    reports = [make_report(n, t, tables[baseline], baseline) for n, t in tables.items()]
    paths = write_report(reports, out, note)
    echo(format_reports(reports))
    echo(f"wrote {paths['md']}, {paths['json']}, {paths['png']}")
    return reports

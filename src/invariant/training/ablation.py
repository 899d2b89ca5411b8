"""Leave-one-out ablation of a pipeline's transforms: each variant removes one transform, and the
change in validation loss against the full pipeline says what that transform contributes.

Every variant trains the same network from the same weights, on the same images in the same
order, for the same number of epochs; only the pipeline differs. Only the validation split is
used; a test set is never looked at, because choosing transforms on it would leak it into the
pipeline. Normalisation and ToTensor are not augmentations and stay in every variant.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.compose import Compose
from ..core.errors import type_error
from ..core.transform import Transform
from .adapters import LabelledImages
from .trainer import check_epochs, train_model

VALIDATION_NOTE = "Ablation uses the validation split only; no test data are read."


@dataclass
class AblationRow:
    variant: str  # "full pipeline", "without Affine", "no augmentation"
    removed: list[str]
    val_loss: float  # lowest validation loss over the epochs
    val_acc: float  # highest validation accuracy over the epochs
    delta_loss: float = 0.0  # val_loss - full pipeline's val_loss (> 0: removing it hurt, so it helps)

    @property
    def verdict(self) -> str:
        if not self.removed or self.variant == "no augmentation":
            return ""
        return "keep (removing it raised val loss)" if self.delta_loss > 0 else "no measurable benefit here"


def _is_augmentation(t: Transform) -> bool:
    from .trainer import _has_normalize

    return not _has_normalize(Compose([t]))


def _label(t: Transform) -> str:
    return type(t).__name__


def _with(pipeline: Compose, transforms: list[Transform]) -> Compose:
    """``pipeline`` with other transforms and the same settings (box rules, targets, declared task)."""
    args = pipeline.init_args()
    args["transforms"] = transforms
    return Compose(**args)


def ablation_variants(pipeline: Compose) -> list[tuple[str, list[str], Compose]]:
    """(name, removed transform names, pipeline) for the full pipeline, each leave-one-out variant
    over its top-level augmentations, and no augmentation at all; every variant keeps the pipeline's
    settings (box rules, extra targets, declared task)."""
    if not isinstance(pipeline, Compose):
        type_error("pipeline", "an iv.Compose", pipeline, "load the config with iv.load(path)")
    top = list(pipeline.transforms)
    removable = [i for i, t in enumerate(top) if _is_augmentation(t)]
    if not removable:
        raise ValueError("pipeline: expected at least one augmentation to ablate, got only normalisation/ToTensor. Fix: add the transforms you want to compare.")
    names = [_label(t) for t in top]
    variants = [("full pipeline", [], pipeline)]
    for i in removable:
        label = names[i] if names.count(names[i]) == 1 else f"{names[i]}#{i}"
        variants.append((f"without {label}", [label], _with(pipeline, [t for j, t in enumerate(top) if j != i])))
    if len(removable) > 1:
        variants.append(("no augmentation", [names[i] for i in removable], _with(pipeline, [t for j, t in enumerate(top) if j not in removable])))
    return variants


def ablate(
    pipeline: Compose,
    train: LabelledImages,
    val: LabelledImages,
    *,
    epochs: int = 10,
    lr: float = 3e-3,
    batch_size: int = 64,
    seed: int = 0,
    progress: bool = True,
) -> list[AblationRow]:
    """Train every variant and return rows sorted by validation loss (best first)."""
    check_epochs(epochs)
    variants = ablation_variants(pipeline)
    rows: list[AblationRow] = []
    bar: Any = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(variants), desc="ablation", unit="variant")
    for name, removed, pipe in variants:
        result = train_model(pipe, train, val, None, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, name=name, progress=False)
        rows.append(AblationRow(name, removed, min(h.val_loss for h in result.history), max(h.val_acc for h in result.history)))
        if bar is not None:
            bar.set_postfix_str(f"{name}: val loss {rows[-1].val_loss:.4f}")
            bar.update(1)
    if bar is not None:
        bar.close()
    full = rows[0].val_loss
    for row in rows:
        row.delta_loss = row.val_loss - full
    return sorted(rows, key=lambda r: r.val_loss)


def format_ablation(rows: list[AblationRow]) -> str:
    header = f"{'variant':<34} {'val loss':>9} {'vs full':>9} {'val acc':>8}  verdict"
    lines = [header, "-" * (len(header) + 30)]
    for r in rows:
        delta = "" if r.variant == "full pipeline" else f"{r.delta_loss:+.4f}"
        lines.append(f"{r.variant:<34} {r.val_loss:>9.4f} {delta:>9} {100 * r.val_acc:>7.1f}%  {r.verdict}")
    return "\n".join(lines + [VALIDATION_NOTE])


def plot_ablation(rows: list[AblationRow], path: str | Path) -> Path:
    """Horizontal bar chart of validation loss per variant (the full pipeline highlighted)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(rows) + 1.5))
    colors = ["tab:orange" if r.variant == "full pipeline" else "tab:blue" for r in rows]
    ax.barh([r.variant for r in rows][::-1], [r.val_loss for r in rows][::-1], color=colors[::-1])
    for y, r in enumerate(rows[::-1]):
        ax.text(r.val_loss, y, f" {r.val_loss:.4f} ({100 * r.val_acc:.1f}%)", va="center", fontsize=8)
    ax.set(xlabel="lowest validation loss (lower is better)", title="Leave-one-out ablation (validation split only)")
    ax.set_xlim(0, max(r.val_loss for r in rows) * 1.35)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

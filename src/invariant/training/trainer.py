"""A seeded train / evaluate loop for comparing augmentation pipelines under one budget.

Every run with the same ``seed`` starts from the same weights and sees the training images in the
same order; only the augmentation differs (drawn per sample from (seed, epoch, index) by
``AugmentedDataset``). The checkpoint is chosen on the validation set (best accuracy, ties broken
by lower loss); the test set, when given, is evaluated once, on that checkpoint, and never
influences a choice.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..core.compose import Compose
from ..core.errors import Described, require_torch, type_error, value_error
from .adapters import LabelledImages

DTYPE_SCALE = {"uint8": 255.0, "uint16": 65535.0, "float32": 1.0}


@dataclass
class EpochStats:
    epoch: int  # 1-based
    train_loss: float  # on the augmented batches seen this epoch
    train_acc: float
    val_loss: float
    val_acc: float


@dataclass
class RunResult:
    """One training run. ``train_acc`` is measured on the clean (non-augmented) training images and
    ``test_acc`` on the held-out set, both with the best-validation checkpoint."""

    name: str
    history: list[EpochStats] = field(default_factory=list)
    best_epoch: int = 0
    val_loss: float = float("nan")
    val_acc: float = float("nan")
    train_acc: float = float("nan")
    test_acc: float | None = None
    seconds: float = 0.0


def _has_normalize(pipeline: Compose | None) -> bool:
    if pipeline is None:
        return False
    for leaf in pipeline.leaves():
        effects = leaf.effects()
        if (effects is not None and effects.normalizes) or leaf.terminal:
            return True
    return False


class _Converter:
    """Stack pipeline outputs into a float NCHW tensor: scale by the dtype range and standardise with
    the clean training set's per-channel mean/std, unless the pipeline normalises itself."""

    def __init__(self, train: LabelledImages, standardise: bool) -> None:
        self.standardise = standardise
        images = train.images.astype(np.float64) / DTYPE_SCALE[train.images.dtype.name]
        axes = (0, 1, 2)
        self.mean = images.mean(axis=axes).reshape(-1) if standardise else np.zeros(1)
        self.std = np.maximum(images.std(axis=axes).reshape(-1), 1e-6) if standardise else np.ones(1)

    def __call__(self, images: list[Any]) -> Any:
        import torch

        shapes = sorted({tuple(im.shape) for im in images})
        if len(shapes) > 1:  # np.stack / torch.stack would only say "all input arrays must have the same shape"
            value_error(
                "pipeline",
                "images of one size in a batch (the model takes a fixed-size input)",
                Described(f"a batch of {len(images)} augmented images of shapes {', '.join(map(str, shapes))}"),
                "give crops, resizes and pads p=1, or end the pipeline with a Resize or CenterCrop to one size",
            )
        if hasattr(images[0], "permute"):  # ToTensor at the end of the pipeline: already CHW
            batch = torch.stack([im if im.ndim == 3 else im[None] for im in images]).float()
            return batch
        arr = np.stack([im if im.ndim == 3 else im[:, :, None] for im in images])
        scale = DTYPE_SCALE.get(arr.dtype.name, 1.0) if self.standardise else 1.0
        out = arr.astype(np.float32) / np.float32(scale)
        if self.standardise:
            out = (out - self.mean.astype(np.float32)) / self.std.astype(np.float32)
        return torch.from_numpy(np.ascontiguousarray(out.transpose(0, 3, 1, 2)))


def _evaluate(model: Any, images: Any, labels: Any, batch_size: int = 500) -> tuple[float, float]:
    import torch

    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(labels), batch_size):
            logits = model(images[start : start + batch_size])
            target = labels[start : start + batch_size]
            loss_sum += float(torch.nn.functional.cross_entropy(logits, target, reduction="sum"))
            correct += int((logits.argmax(1) == target).sum())
    return loss_sum / len(labels), correct / len(labels)


def check_epochs(epochs: Any, argument: str = "epochs") -> int:
    """``epochs`` if it is a positive int. One check for every entry point (demo, ablate, tune, the
    Python API), so ``--epochs 0`` is refused everywhere instead of meaning "the default" in some."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        value_error(argument, "a positive integer (training epochs)", epochs, f"pass e.g. {argument} 10" if argument.startswith("--") else f"pass e.g. {argument}=10")
    return epochs


def train_model(
    pipeline: Compose | None,
    train: LabelledImages,
    val: LabelledImages,
    test: LabelledImages | None = None,
    *,
    epochs: int = 10,
    lr: float = 3e-3,
    weight_decay: float = 1e-4,
    batch_size: int = 64,
    seed: int = 0,
    name: str = "run",
    model_fn: Callable[[int, int], Any] | None = None,
    progress: bool = True,
    on_epoch: Callable[[EpochStats], None] | None = None,
) -> RunResult:
    """Train a fresh model on ``train`` augmented by ``pipeline`` (None = no augmentation), keep the
    checkpoint with the best validation accuracy, and report clean-train and test accuracy there.

    AdamW with a one-cycle schedule (short warm-up, cosine decay) over ``epochs``; DataLoader with ``num_workers=0``.
    ``on_epoch`` is called after each epoch (tuning uses it to prune hopeless trials).
    """
    torch = require_torch("train_model")
    from torch.utils.data import DataLoader

    from .dataset import AugmentedDataset
    from .models import small_cnn

    if pipeline is not None and not isinstance(pipeline, Compose):
        type_error("pipeline", "an iv.Compose or None", pipeline, "wrap the transforms in iv.Compose([...])")
    check_epochs(epochs)
    if train.images.shape[1:] != val.images.shape[1:]:
        value_error("val", f"images shaped like the training images {train.images.shape[1:]}", val.images, "resize both sets to one size")
    pipe = pipeline if pipeline is not None else Compose([])
    convert = _Converter(train, standardise=not _has_normalize(pipeline))
    num_classes = max(len(train.classes), int(train.labels.max()) + 1)
    torch.manual_seed(seed)
    model = (model_fn or (lambda c, k: small_cnn(c, k)))(train.channels, num_classes)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    loader_gen = torch.Generator().manual_seed(seed)
    dataset = AugmentedDataset(train, pipe, seed=seed, epochs=epochs)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=loader_gen, num_workers=0, collate_fn=lambda items: (convert([i[0] for i in items]), torch.as_tensor([i[1] for i in items])))
    steps = epochs * len(loader)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=0.15)
    val_x, val_y = convert(list(val.images)), torch.as_tensor(val.labels)
    result = RunResult(name)
    best_key: tuple[float, float] | None = None
    best_state: dict[str, Any] | None = None
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc=f"{name:>16}", unit="batch", leave=True, dynamic_ncols=True)
    start = time.perf_counter()
    for epoch in range(epochs):
        dataset.set_epoch(epoch)
        model.train()
        loss_sum, correct, seen = 0.0, 0, 0
        for x, y in loader:
            logits = model(x)
            loss = torch.nn.functional.cross_entropy(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            loss_sum += float(loss.detach()) * len(y)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(y)
            if bar is not None:
                bar.update(1)
        val_loss, val_acc = _evaluate(model, val_x, val_y)
        stats = EpochStats(epoch + 1, loss_sum / seen, correct / seen, val_loss, val_acc)
        result.history.append(stats)
        if bar is not None:
            bar.set_postfix(epoch=epoch + 1, val_acc=f"{val_acc:.3f}", val_loss=f"{val_loss:.3f}")
        key = (val_acc, -val_loss)
        if best_key is None or key > best_key:
            best_key, best_state, result.best_epoch = key, copy.deepcopy(model.state_dict()), epoch + 1
            result.val_acc, result.val_loss = val_acc, val_loss
        if on_epoch is not None:
            on_epoch(stats)
    if bar is not None:
        bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    result.train_acc = _evaluate(model, convert(list(train.images)), torch.as_tensor(train.labels))[1]
    if test is not None:
        result.test_acc = _evaluate(model, convert(list(test.images)), torch.as_tensor(test.labels))[1]
    result.seconds = time.perf_counter() - start
    return result

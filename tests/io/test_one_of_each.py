"""One COCO reader and one seeded-dataset base (issue 13): the other import paths resolve to the same
objects, and no second implementation is left in the source tree."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np

import invariant
from invariant.io import coco, datasets
from invariant.training import annotations

SRC = Path(invariant.__file__).parent


def test_training_annotations_reexports_the_coco_reader() -> None:
    for name in ("annotation_mask", "polygons_mask", "read_coco", "rle_decode", "_rle_decode"):
        assert getattr(annotations, name) is getattr(coco, name)
    assert coco._rle_decode is coco.rle_decode and coco._decode_rle_string is coco.decode_counts


def test_no_second_rle_or_coco_parser_in_the_tree() -> None:
    """Every function that walks RLE runs or decodes COCO's compressed RLE strings lives in io/coco.py."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if path == SRC / "io" / "coco.py":
            continue
        text = path.read_text()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef):
                body = ast.get_source_segment(text, node) or ""
                lowered = body.lower()
                walks_rle = re.search(r"\brle", lowered) is not None and "counts" in body and ("reshape" in body or "repeat" in body)
                decodes_string = ("0x1f" in lowered or "0x20" in lowered) and ("ord(" in body or "chr(" in body)
                if walks_rle or decodes_string:
                    offenders.append(f"{path.relative_to(SRC)}:{node.name}")
    assert offenders == []


def test_one_seeded_dataset_base() -> None:
    torch = __import__("pytest").importorskip("torch")  # AugmentedDataset needs torch (an optional extra)
    from invariant.training.dataset import AugmentedDataset

    assert issubclass(datasets.FileDataset, datasets.SeededDataset) and issubclass(AugmentedDataset, datasets.SeededDataset)
    for name in ("progress", "_update_progress", "_init_dataset", "__getstate__"):  # defined once, on the base
        assert name in vars(datasets.SeededDataset)
        assert name not in vars(datasets.FileDataset) and name not in vars(AugmentedDataset)
    assert "SeededDataset" in AugmentedDataset.__getitem__.__code__.co_names  # delegates (torch's Dataset has one too)
    # the same (seed, epoch, index) -> the same generator draws for both kinds
    image = np.zeros((8, 8, 3), np.uint8)
    pipe = invariant.Compose([invariant.HorizontalFlip()])
    aug = AugmentedDataset([image], pipe, seed=5)
    aug.set_epoch(3)
    files = datasets.FileDataset([{"path": "unused.png"}], pipe, seed=5)
    files.set_epoch(3)
    expected = np.random.Generator(np.random.PCG64(np.random.SeedSequence([5, 3, 0]))).integers(1 << 30, size=4)
    assert np.array_equal(aug.rng_for(0).integers(1 << 30, size=4), expected)
    assert np.array_equal(files.rng_for(0).integers(1 << 30, size=4), expected)
    assert isinstance(aug, torch.utils.data.Dataset)


def test_seeded_base_moves_schedules_once_per_epoch() -> None:
    calls = []

    class Numbers(datasets.SeededDataset):
        def __init__(self) -> None:
            self._init_dataset(invariant.Compose([invariant.HorizontalFlip()]), seed=1, epochs=5)

        def __len__(self) -> int:
            return 3

        def load(self, index: int, rng: np.random.Generator) -> int:
            return int(rng.integers(1 << 30))

    ds = Numbers()
    ds.pipeline.set_progress = calls.append  # type: ignore[union-attr,method-assign]
    first = [ds[i] for i in range(3)]
    ds.set_epoch(2)
    second = [ds[i] for i in range(3)] + [ds[-1]]
    assert calls == [0.0, 0.5]  # epoch 0 of 5, then epoch 2 of 5: (epoch / (epochs - 1))
    assert first != second[:3] and second[2] == second[3]  # epochs differ; index -1 is index 2
    ds.set_epoch(0)
    assert [ds[i] for i in range(3)] == first  # a pure function of (seed, epoch, index)
    __import__("pytest").raises(IndexError, ds.__getitem__, 3)

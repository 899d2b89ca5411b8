"""`invariant ablate` and the dataset adapters behind it."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import invariant as iv
from invariant.cli import main
from invariant.training.ablation import ablate, ablation_variants, format_ablation
from invariant.training.adapters import from_arrays, from_folder, from_torch_dataset, split_validation
from invariant.training.datasets_builtin import load_split


def _pipeline() -> iv.Compose:
    return iv.Compose([iv.HorizontalFlip(p=0.5), iv.RandomResizedCrop(28, scale=(0.6, 1.0)), iv.Normalize(mean=0.13, std=0.31)])


def test_variants_leave_one_augmentation_out_and_keep_normalize() -> None:
    variants = ablation_variants(_pipeline())
    assert [v[0] for v in variants] == ["full pipeline", "without HorizontalFlip", "without RandomResizedCrop", "no augmentation"]
    for name, removed, pipe in variants:
        kinds = [type(t).__name__ for t in pipe.transforms]
        assert kinds[-1] == "Normalize"  # not an augmentation: never ablated
        assert not set(removed) & set(kinds)
    with pytest.raises(ValueError, match="at least one augmentation"):
        ablation_variants(iv.Compose([iv.Normalize()]))


def test_ablate_ranks_by_validation_loss_and_never_reads_test() -> None:
    split = load_split("mnist", 200, 100, 10, seed=0)
    train = from_arrays(split.train_images, split.train_labels)
    val = from_arrays(split.val_images, split.val_labels)
    rows = ablate(_pipeline(), train, val, epochs=1, progress=False)
    assert [r.val_loss for r in rows] == sorted(r.val_loss for r in rows)
    full = next(r for r in rows if r.variant == "full pipeline")
    assert full.delta_loss == 0.0
    for r in rows:
        assert r.delta_loss == pytest.approx(r.val_loss - full.val_loss)
        assert 0.0 <= r.val_acc <= 1.0 and np.isfinite(r.val_loss)
    assert "validation split only" in format_ablation(rows)


def test_cli_ablate_on_a_user_folder(tmp_path, capsys) -> None:
    split = load_split("mnist", 60, 20, 10, seed=1)
    for i, (image, label) in enumerate(zip(split.train_images, split.train_labels)):
        if label in (3, 7):
            folder = tmp_path / "digits" / f"class_{label}"
            folder.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(folder / f"{i}.png"), image)
    config = tmp_path / "pipe.yaml"
    iv.save(iv.Compose([iv.HorizontalFlip(p=0.5), iv.RandomResizedCrop(24, scale=(0.7, 1.0))]), config)
    out = tmp_path / "abl"
    code = main(["ablate", str(config), "--data", str(tmp_path / "digits"), "--size", "24", "--grayscale", "--epochs", "1", "--out", str(out), "--no-progress"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "class_3, class_7" in printed and "validation split only" in printed
    rows = json.loads((out / "ablation.json").read_text())
    assert {r["variant"] for r in rows} == {"full pipeline", "without HorizontalFlip", "without RandomResizedCrop", "no augmentation"}
    assert cv2.imread(str(out / "ablation.png")) is not None and "```" in (out / "ablation.md").read_text()


def test_cli_ablate_quick_on_builtin_digits(tmp_path, capsys) -> None:
    config = tmp_path / "pipe.yaml"
    iv.save(iv.Compose([iv.HorizontalFlip(p=0.5), iv.VerticalFlip(p=0.5)]), config)
    assert main(["ablate", str(config), "--quick", "--train-size", "200", "--epochs", "1", "--out", str(tmp_path / "a"), "--no-progress"]) == 0
    assert "mnist: 200 train / 200 validation images" in capsys.readouterr().out


def test_folder_adapter_reads_classes_and_resizes(tmp_path) -> None:
    from skimage import data as skdata

    for name, photo in (("cat", skdata.chelsea()), ("coffee", skdata.coffee())):
        (tmp_path / name).mkdir()
        cv2.imwrite(str(tmp_path / name / "a.jpg"), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    data = from_folder(tmp_path, size=(20, 30))
    assert data.classes == ("cat", "coffee") and data.images.shape == (2, 20, 30, 3) and data.labels.tolist() == [0, 1]
    reference = cv2.resize(cv2.imread(str(tmp_path / "cat" / "a.jpg"))[:, :, ::-1], (30, 20), interpolation=cv2.INTER_AREA)
    assert np.array_equal(data.images[0], reference)


def test_torch_dataset_and_numpy_adapters() -> None:
    from torch.utils.data import TensorDataset

    chw = torch.rand(6, 3, 8, 10)
    data = from_torch_dataset(TensorDataset(chw, torch.arange(6) % 2))
    assert data.images.shape == (6, 8, 10, 3) and data.images.dtype == np.float32
    assert np.array_equal(data.images[2], chw[2].permute(1, 2, 0).numpy())
    train, val = split_validation(from_arrays(np.zeros((20, 4, 4), np.uint8), np.arange(20) % 2), 0.2, seed=0)
    assert len(train) == 16 and np.bincount(val.labels).tolist() == [2, 2]
    with pytest.raises(ValueError, match="labels"):
        from_arrays(np.zeros((3, 4, 4), np.uint8), [0, 1])
    with pytest.raises(TypeError, match="images"):
        from_arrays([[0]], [0])

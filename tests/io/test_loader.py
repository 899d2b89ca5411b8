"""make_loader with a real torch DataLoader (0 and 2 workers): determinism, uint8 batches, thread
hygiene inside workers, shared skip counts, and DeviceNormalize against a hand computation."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import invariant as iv  # noqa: E402
from invariant.io import ImageFolderDataset, collate, make_loader  # noqa: E402
from invariant.io.device import DeviceNormalize  # noqa: E402


def recipe() -> iv.Compose:
    return iv.Compose([iv.RandomResizedCrop(96), iv.HorizontalFlip()])


def _epoch(loader, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
    loader.dataset.set_epoch(epoch)
    images, labels = zip(*loader)
    return torch.cat(images), torch.cat(labels)


def test_batches_identical_for_0_and_2_workers(image_folder):
    results = {}
    for workers in (0, 2):
        ds = ImageFolderDataset(image_folder, recipe(), seed=11)
        loader = make_loader(ds, batch_size=3, shuffle=True, num_workers=workers)
        results[workers] = [_epoch(loader, e) for e in (0, 1)]
        if workers:
            assert loader.persistent_workers and loader.pin_memory == torch.cuda.is_available()
    for (img0, lab0), (img2, lab2) in zip(results[0], results[2]):
        assert img0.dtype == torch.uint8 and img0.shape == (4, 3, 96, 96)
        assert torch.equal(img0, img2) and torch.equal(lab0, lab2)
    assert not torch.equal(results[0][0][0], results[0][1][0])  # epochs differ (set_epoch reached workers)
    # a batch is the dataset's own samples, HWC -> CHW, uint8 kept
    ds = ImageFolderDataset(image_folder, recipe(), seed=11)
    images, labels = next(iter(make_loader(ds, batch_size=4, num_workers=0)))
    for i in range(4):
        image, label = ds[i]
        assert torch.equal(images[i], torch.from_numpy(image).permute(2, 0, 1)) and labels[i] == label


class _ThreadProbe:
    """Reports the thread settings seen inside the process that loads each sample."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> tuple[int, int, int]:
        import cv2
        from threadpoolctl import threadpool_info

        blas = max((p["num_threads"] for p in threadpool_info()), default=1)
        return cv2.getNumThreads(), blas, torch.get_num_threads()


def test_workers_are_single_threaded():
    loader = make_loader(_ThreadProbe(), batch_size=2, num_workers=2, persistent_workers=False)
    for cv_threads, blas_threads, torch_threads in loader:
        assert cv_threads.tolist() == [1, 1] and blas_threads.tolist() == [1, 1] and torch_threads.tolist() == [1, 1]


def test_skips_are_counted_across_workers(image_folder, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(image_folder, root)
    (root / "cat" / "bad1.jpg").write_bytes(b"garbage")
    (root / "space" / "bad2.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    ds = ImageFolderDataset(root, recipe(), seed=0, on_error="skip")
    loader = make_loader(ds, batch_size=2, num_workers=2, persistent_workers=False)
    images, labels = _epoch(loader, 0)
    assert images.shape[0] == 6 and ds.skipped == 2


def test_collate_keeps_per_object_fields_as_lists():
    batch = [
        {"image": np.zeros((8, 8, 3), np.uint8), "bboxes": np.zeros((2, 4), np.float32), "labels": [1, 2], "image_id": 5},
        {"image": np.ones((8, 8, 3), np.uint8), "bboxes": np.zeros((0, 4), np.float32), "labels": [], "image_id": 6},
    ]
    out = collate(batch)
    assert out["image"].shape == (2, 3, 8, 8) and out["image"].dtype == torch.uint8
    assert [b.shape for b in out["bboxes"]] == [(2, 4), (0, 4)] and out["labels"][0].tolist() == [1, 2]
    assert out["image_id"].tolist() == [5, 6]


def test_device_normalize_matches_hand_computation():
    from skimage import data

    image = data.astronaut()
    batch = torch.from_numpy(np.stack([image, image[::-1]])).permute(0, 3, 1, 2).contiguous()
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    out = DeviceNormalize(mean, std)(batch)
    expected = (np.stack([image, image[::-1]]).astype(np.float64) / 255.0 - mean) / std
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out.permute(0, 2, 3, 1).numpy(), expected, atol=1e-5)
    in_worker = iv.Compose([iv.Normalize(mean, std)])(image=image)["image"]  # same numbers as normalising in workers
    np.testing.assert_allclose(out[0].permute(1, 2, 0).numpy(), in_worker, atol=1e-5)
    assert DeviceNormalize()(batch[0]).shape == (3, 512, 512)
    with pytest.raises(ValueError, match="std"):
        DeviceNormalize(std=(0.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="channels"):
        DeviceNormalize()(torch.zeros(1, 4, 2, 2, dtype=torch.uint8))


class _Resizes:
    def __len__(self) -> int:
        return 2

    def __getitem__(self, i: int) -> int:
        import cv2

        return int(cv2.resize(np.full((1200, 1200, 3), i, np.uint8), (300, 300)).sum())


def test_workers_do_not_deadlock_after_parent_used_opencv_threads():
    """OpenCV 5's pthreads pool deadlocks a forked worker that calls setNumThreads(1) once the parent
    had used the pool; the worker hygiene must leave workers usable (DataLoader timeout catches a hang)."""
    import cv2

    before = cv2.getNumThreads()
    try:
        cv2.setNumThreads(2)
        cv2.resize(np.zeros((2000, 2000, 3), np.uint8), (500, 500))  # the parent's pool is now running
        loader = make_loader(_Resizes(), batch_size=1, num_workers=2, persistent_workers=False, timeout=30)
        assert [int(v) for (v,) in loader] == [0, 300 * 300 * 3]
    finally:
        cv2.setNumThreads(before)

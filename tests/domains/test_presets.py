"""Presets: each passes its own task's check and runs end to end on real data of its kind."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import invariant as iv
from invariant.transforms.normalize import IMAGENET_MEAN, IMAGENET_STD

ALL = {
    "imagenet_train": lambda: iv.presets.imagenet_train(size=64),
    "imagenet_val": lambda: iv.presets.imagenet_val(size=64, resize=80),
    "cifar": lambda: iv.presets.cifar(),
    "simclr": lambda: iv.presets.simclr(size=64),
    "curriculum": lambda: iv.presets.curriculum(size=64),
    "xray": lambda: iv.presets.xray(mean=0.3, std=0.2, size=96),
    "satellite": lambda: iv.presets.satellite(mean=(0.2, 0.2, 0.2, 0.3), std=(0.1, 0.1, 0.1, 0.15), size=64),
    "depth": lambda: iv.presets.depth(max_depth=2.0, size=(60, 80)),
    "rgbd": lambda: iv.presets.rgbd(max_depth=2.0, size=(60, 80)),
    "video": lambda: iv.presets.video(size=64),
}


@pytest.mark.parametrize("name", sorted(ALL))
def test_each_preset_passes_its_own_check(name: str) -> None:
    pipe, task = ALL[name]()
    report = iv.check(pipe, task)
    assert report.ok, str(report)
    assert pipe.task == task and task.undeclared() == ()


def test_presets_require_dataset_statistics() -> None:
    with pytest.raises(ValueError, match="compute_stats"):
        iv.presets.xray(mean=None, std=None)
    with pytest.raises(TypeError, match="4 number"):
        iv.presets.satellite(mean=(0.5,), std=(0.2,))


def test_natural_presets_on_a_photo(astronaut: np.ndarray) -> None:
    for name in ("imagenet_train", "simclr", "curriculum"):
        pipe, _ = ALL[name]()
        pipe.reseed(0)
        out = pipe(image=astronaut)["image"]
        assert out.shape == (64, 64, 3) and out.dtype == np.float32 and np.isfinite(out).all()
    v1, v2 = iv.presets.two_views(iv.presets.simclr(size=64, seed=0)[0], astronaut)
    assert v1.shape == v2.shape == (64, 64, 3) and not np.array_equal(v1, v2)


def test_imagenet_val_matches_opencv_by_hand(astronaut: np.ndarray) -> None:
    pipe, _ = iv.presets.imagenet_val(size=224, resize=256)
    out = pipe(image=astronaut)["image"]
    ref = cv2.resize(astronaut, (256, 256), interpolation=cv2.INTER_LINEAR)[16:240, 16:240].astype(np.float64) / 255.0
    ref = (ref - np.array(IMAGENET_MEAN)) / np.array(IMAGENET_STD)
    assert np.abs(out - ref).max() < 0.03  # one uint8 level after division by std (0.0175) plus rounding


def test_cifar_is_pad_crop_flip_by_hand(astronaut: np.ndarray) -> None:
    image = cv2.resize(astronaut, (32, 32), interpolation=cv2.INTER_AREA)
    pipe, _ = iv.presets.cifar(seed=0)
    padded = np.pad(image, ((4, 4), (4, 4), (0, 0))).astype(np.float64) / 255.0
    seen = set()
    for _ in range(8):
        out = pipe(image=image, return_params=True)
        crop = next(e["params"] for e in out["params"] if e["name"] == "RandomCrop")
        flipped = any(e["name"] == "HorizontalFlip" for e in out["params"])
        ref = padded[crop["y"] + 4 : crop["y"] + 36, crop["x"] + 4 : crop["x"] + 36]
        ref = (ref[:, ::-1] if flipped else ref - 0) - np.array(iv.presets.CIFAR10_MEAN)
        np.testing.assert_allclose(out["image"], ref / np.array(iv.presets.CIFAR10_STD), atol=1e-4)
        seen.add(flipped)
    assert seen == {True, False}


@pytest.mark.parametrize("source", ["mri_uint16", "nuclei_uint16", "ct_uint16", "mri_uint8"])
def test_xray_preset_on_real_single_channel_images(source: str, request: pytest.FixtureRequest) -> None:
    if source == "mri_uint8":
        mri = request.getfixturevalue("mri_uint16")
        image = (mri.astype(np.float64) * 255 / mri.max()).astype(np.uint8)
    else:
        image = request.getfixturevalue(source)
    mean, std = iv.compute_stats([image])
    pipe, task = iv.presets.xray(mean=mean, std=std, size=96, seed=0)
    assert iv.check(pipe, task).ok
    outs = [pipe(image=image)["image"] for _ in range(4)]
    for out in outs:
        assert out.shape == (96, 96) and out.dtype == np.float32 and np.isfinite(out).all()
    # dataset statistics: the augmented outputs stay roughly standardised (ImageNet stats would not)
    allv = np.concatenate([o.ravel() for o in outs])
    assert abs(allv.mean()) < 1.0 and 0.3 < allv.std() < 2.0


def _rgbn_tile(astronaut: np.ndarray) -> np.ndarray:
    """No package ships a real multispectral tile: build a 4-band uint16 RGBN array from a real photo
    (R, G, B scaled to 16 bits) plus a synthetic NIR band (bright where green dominates, like vegetation)."""
    rgb = cv2.resize(astronaut, (128, 128), interpolation=cv2.INTER_AREA).astype(np.float64) / 255.0
    nir = np.clip(0.3 + 0.8 * (rgb[:, :, 1] - rgb[:, :, 0]) + 0.2 * rgb.mean(axis=2), 0, 1)
    return np.round(np.dstack([rgb, nir]) * 65535).astype(np.uint16)


def test_satellite_preset_leaves_nir_untouched(astronaut: np.ndarray) -> None:
    tile = _rgbn_tile(astronaut)
    mean, std = iv.compute_stats([tile])
    pipe, task = iv.presets.satellite(mean=mean, std=std, size=64, seed=0)
    geometric = iv.Compose(pipe.transforms[:4])
    jittered = 0
    for _ in range(6):
        out = pipe(image=tile, return_params=True)
        geo_params = [e for e in out["params"] if e["index"] < 4]
        moved = geometric.replay(geo_params, image=tile)["image"].astype(np.float64) / 65535.0
        expected = (moved - np.array(mean)) / np.array(std)
        np.testing.assert_allclose(out["image"][:, :, 3], expected[:, :, 3], atol=1e-4)  # NIR: geometry + its own stats only
        if any(e["name"] == "OnChannels" and not e["params"].get("skip") for e in out["params"]):
            jittered += 1
            assert np.abs(out["image"][:, :, :3] - expected[:, :, :3]).max() > 1e-2  # visible bands were jittered
    assert jittered > 0


def test_hue_jitter_on_the_tile_is_refused(astronaut: np.ndarray) -> None:
    _, task = iv.presets.satellite(mean=(0.2,) * 4, std=(0.1,) * 4)
    with pytest.raises(ValueError, match=r"NIR[\s\S]*OnChannels"):
        iv.Compose([iv.HorizontalFlip(), iv.ColorJitter(hue=0.1)], task=task)
    # restricted to R, G, B the modality rule is satisfied, but this task declares that colour carries the label
    restricted = iv.check(iv.Compose([iv.OnChannels(iv.ColorJitter(hue=0.1), channels=(0, 1, 2))]), task)
    assert restricted.properties() == {"color_semantics"}
    assert iv.check(iv.Compose([iv.OnChannels(iv.ColorJitter(brightness=0.2), channels=(0, 1, 2))]), task).ok

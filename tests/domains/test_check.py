"""iv.check: each known-bad pipeline from the guide fails with the right property and fix; honest reports."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import invariant as iv
from invariant.core.effects import Effects
from invariant.domains import effects_of

XRAY = iv.Task("chest x-ray", modality="grayscale", laterality=True, orientation=True, max_rotation=5, cardinal_direction=False, color_semantics=False, metric_values=False)
DIGITS = iv.Task("digits", modality="grayscale", laterality=True, orientation=True, cardinal_direction=False, color_semantics=False, metric_values=False)
DEPTH = iv.Task("depth", modality="depth", laterality=False, orientation=True, cardinal_direction=False, color_semantics=False)
RGBN = iv.Task("tiles", modality="multispectral", bands=("R", "G", "B", "NIR"), laterality=False, orientation=False, cardinal_direction=False, color_semantics=False, metric_values=False)
NATURAL = iv.Task("photos", modality="rgb", laterality=False, orientation=True, cardinal_direction=False, color_semantics=False, metric_values=False)


def only(report: iv.Report) -> iv.Violation:
    assert len(report.violations) == 1, str(report)
    return report.violations[0]


class Mirror(iv.Transform):
    """Test-local transform that declares a horizontal mirror (its kernel is irrelevant to the checker)."""

    def effects(self) -> Effects:
        return Effects(geometric=True, mirrors_horizontal=True)


class Recolour(iv.Transform):
    def effects(self) -> Effects:
        return Effects(alters_color=True, channels=(0, 1, 2))


class Silent(iv.Transform):
    """Declares nothing: must be reported, never silently passed."""


def test_no_task_checks_nothing_and_says_so() -> None:
    report = iv.check(iv.Compose([iv.HorizontalFlip()]), None)
    assert not report.checked and not report.ok and not bool(report)
    assert report.violations == []
    assert "NOT CHECKED" in str(report) and "nothing was checked" in str(report)


def test_undeclared_properties_are_listed_as_unchecked() -> None:
    report = iv.check(iv.Compose([iv.HorizontalFlip()]), iv.Task("partial", laterality=False))
    assert report.ok
    assert "not checked: orientation, cardinal_direction, color_semantics, metric_values" in " ".join(report.notes)


def test_horizontal_flip_on_laterality_task() -> None:
    v = only(iv.check(iv.Compose([iv.HorizontalFlip(p=0.5), iv.CenterCrop(8)]), XRAY))
    assert v.property == "laterality" and v.path == "transforms[0]" and v.transform.startswith("HorizontalFlip")
    assert "mirrors left and right" in v.problem and v.fix.startswith("drop it")


def test_vertical_flip_breaks_laterality_and_orientation() -> None:
    report = iv.check(iv.Compose([iv.VerticalFlip()]), XRAY)
    assert report.properties() == {"laterality", "orientation"}


def test_half_turns_on_digits_fail_and_small_rotation_passes() -> None:
    report = iv.check(iv.Compose([iv.RandomRotate90(), iv.Rotate(limit=180), iv.Affine(rotate=(-90, 90))]), DIGITS)
    assert [v.property for v in report.violations] == ["orientation"] * 3
    assert "drop it (RandomRotate90" in report.violations[0].fix
    assert report.violations[1].fix == "bound the angle to <= 15 degrees (e.g. limit=15)"
    assert "up to 90 degrees" in report.violations[2].problem
    assert iv.check(iv.Compose([iv.Rotate(limit=10)]), DIGITS).ok
    # an explicit bound (the X-ray's 5 degrees) is the one enforced
    v = only(iv.check(iv.Compose([iv.ShiftScaleRotate(rotate_limit=10)]), XRAY))
    assert v.property == "orientation" and "<= 5 degrees" in v.fix
    assert iv.check(iv.Compose([iv.ShiftScaleRotate(shift_limit=0.05, scale_limit=0.05, rotate_limit=5)]), XRAY).ok


def test_cardinal_direction_forbids_mirrors_and_turns() -> None:
    north_up = iv.Task("wind direction", modality="rgb", cardinal_direction=True)
    report = iv.check(iv.Compose([iv.HorizontalFlip(), iv.RandomRotate90(), iv.RandomCrop(8)]), north_up)
    assert [v.property for v in report.violations] == ["cardinal_direction", "cardinal_direction"]
    assert report.violations[1].fix.startswith("drop it (the task allows no rotation)")


def test_colour_jitter_and_brightness_on_depth() -> None:
    report = iv.check(iv.Compose([iv.ColorJitter(brightness=0.4, contrast=0.4), iv.RandomBrightnessContrast(0.2, 0.2)]), DEPTH)
    assert [v.property for v in report.violations] == ["metric_values", "metric_values"]
    assert "2 m into 2.4 m" in report.violations[0].problem and report.violations[0].fix.startswith("drop it")


def test_depth_noise_blur_and_interpolation_rules() -> None:
    report = iv.check(iv.Compose([iv.GaussNoise(), iv.GaussianBlur(), iv.Rotate(limit=5)]), DEPTH)
    assert [v.property for v in report.violations] == ["metric_values"] * 3
    assert "iv.DepthNoise" in report.violations[0].fix
    assert "averages neighbouring values" in report.violations[1].problem
    assert "interpolation='nearest'" in report.violations[2].fix
    ok = iv.Compose([iv.Rotate(limit=5, interpolation="nearest"), iv.HorizontalFlip(), iv.RandomCrop(8), iv.DepthNoise(), iv.DepthHoles(), iv.DepthNormalize(max_depth=10.0)])
    assert iv.check(ok, DEPTH).ok, str(iv.check(ok, DEPTH))
    # a depth *target* is always resampled with nearest by the engine, so linear is fine for the pipeline
    assert iv.check(iv.Compose([iv.Rotate(limit=5)], additional_targets={"depth": "depth"}), DEPTH).ok


def test_normalize_statistics_by_modality() -> None:
    gray = only(iv.check(iv.Compose([iv.Normalize(mean=(0.485,), std=(0.229,))]), XRAY))
    assert gray.property == "modality" and "ImageNet statistics" in gray.problem and "iv.compute_stats" in gray.fix
    tile = only(iv.check(iv.Compose([iv.Normalize(mean=(0.485, 0.456, 0.406, 0.31), std=(0.229, 0.224, 0.225, 0.2))]), RGBN))
    assert "ImageNet" in tile.problem
    shared = only(iv.check(iv.Compose([iv.Normalize(mean=0.3, std=0.2)]), RGBN))
    assert "same statistics" in shared.problem and "per-band" in shared.fix
    depth = iv.check(iv.Compose([iv.Normalize()]), DEPTH)
    assert any("iv.DepthNormalize" in v.fix for v in depth.violations)
    assert iv.check(iv.Compose([iv.Normalize(mean=(0.2, 0.3, 0.25, 0.4), std=(0.1, 0.1, 0.1, 0.2))]), RGBN).ok
    assert iv.check(iv.Compose([iv.Normalize()]), NATURAL).ok


def test_hue_on_four_band_tile_and_on_grayscale() -> None:
    v = only(iv.check(iv.Compose([iv.ColorJitter(hue=0.1)]), RGBN))
    assert v.property == "modality" and "NIR" in v.problem
    assert "iv.OnChannels(ColorJitter(...), channels=(0, 1, 2))" in v.fix
    bc = only(iv.check(iv.Compose([iv.RandomBrightnessContrast()]), RGBN))
    assert "brightness/contrast" in bc.problem and "OnChannels" in bc.fix
    g = only(iv.check(iv.Compose([iv.HueSaturationValue()]), XRAY))
    assert g.property == "modality" and "single channel" in g.problem
    # brightness/contrast only is the guide's medical advice: allowed
    assert iv.check(iv.Compose([iv.ColorJitter(brightness=0.3, contrast=0.3)]), XRAY).ok
    # test-local transform restricted to the visible bands passes
    assert iv.check(iv.Compose([Recolour()]), RGBN).ok


def test_random_grayscale_on_grayscale() -> None:
    v = only(iv.check(iv.Compose([iv.RandomGrayscale(p=0.2)]), XRAY))
    assert v.property == "modality" and "already grayscale" in v.problem and v.fix == "drop it"


def test_colour_semantics() -> None:
    lights = iv.Task("traffic lights", color_semantics=True)
    assert only(iv.check(iv.Compose([iv.ColorJitter(hue=0.1)]), lights)).property == "color_semantics"
    assert iv.check(iv.Compose([iv.ColorJitter(brightness=0.3)]), lights).ok


def test_undeclared_effects_are_reported() -> None:
    report = iv.check(iv.Compose([iv.Lambda(image=lambda x: x), Silent()]), NATURAL)
    assert [v.property for v in report.violations] == ["undeclared effects"] * 2
    assert "declare effects()" in report.violations[0].fix


def test_containers_are_walked_and_unioned() -> None:
    pipe = iv.Compose([iv.OneOf([iv.Rotate(limit=3), Mirror()]), iv.SomeOf([iv.RandomRotate90(), iv.CenterCrop(4)], n=1)])
    report = iv.check(pipe, XRAY)
    assert [(v.path, v.property) for v in report.violations] == [("transforms[0].transforms[1]", "laterality"), ("transforms[1].transforms[0]", "orientation")]
    union = effects_of(pipe.transforms[0])
    assert union.mirrors_horizontal and union.max_rotation == 3 and union.geometric
    assert effects_of(iv.Sequential([iv.HorizontalFlip(), iv.Lambda(image=lambda x: x)])) is None


def test_schedules_are_checked_over_the_whole_curriculum() -> None:
    pipe = iv.Compose([iv.Rotate(limit=iv.Linear(5.0, 40.0))])
    assert pipe.transforms[0].limit == (-5.0, 5.0)  # mild at progress 0 ...
    v = only(iv.check(pipe, DIGITS))  # ... but the schedule reaches 40 degrees
    assert "up to 40 degrees" in v.problem


def test_rgbd_needs_a_depth_target() -> None:
    rgbd = iv.Task("rgbd", modality="rgbd", laterality=False, orientation=True)
    v = only(iv.check(iv.Compose([iv.HorizontalFlip(), iv.ColorJitter(brightness=0.3)]), rgbd))
    assert v.property == "metric_values" and "additional_targets={'depth': 'depth'}" in v.fix
    assert iv.check(iv.Compose([iv.HorizontalFlip(), iv.ColorJitter(brightness=0.3)], additional_targets={"depth": "depth"}), rgbd).ok


def test_compose_refuses_or_warns_at_construction() -> None:
    with pytest.raises(ValueError, match=r"task: pipeline breaks its declared task[\s\S]*laterality[\s\S]*Fix: drop it"):
        iv.Compose([iv.HorizontalFlip()], task=XRAY)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe = iv.Compose([iv.HorizontalFlip()], task=XRAY, on_violation="warn")
    assert [w.category for w in caught] == [iv.DomainWarning] and caught[0].filename == __file__
    assert pipe.task == XRAY
    with pytest.raises(ValueError, match="on_violation"):
        iv.Compose([iv.CenterCrop(4)], task=XRAY, on_violation="ignore")
    with pytest.raises(TypeError, match="task"):
        iv.Compose([iv.CenterCrop(4)], task="x-ray")


def test_task_survives_serialization() -> None:
    pipe = iv.Compose([iv.CenterCrop(4)], task=XRAY)
    config = iv.to_dict(pipe)
    assert config["pipeline"]["args"]["task"]["laterality"] is True
    again = iv.from_dict(config)
    assert again.task == XRAY
    out = again(image=np.zeros((8, 8), np.uint8))
    assert out["image"].shape == (4, 4)


def test_task_validation() -> None:
    with pytest.raises(ValueError, match="modality"):
        iv.Task(modality="hyperspectral")
    with pytest.raises(ValueError, match="bands"):
        iv.Task(modality="multispectral")
    with pytest.raises(TypeError, match="laterality"):
        iv.Task(laterality="yes")
    with pytest.raises(ValueError, match="max_rotation"):
        iv.Task(max_rotation=270)
    assert RGBN.visible_channels == (0, 1, 2)


def test_random_erasing_value_zero_is_a_depth_hole() -> None:
    """Regression: RandomErasing names its fill ``value``; value=0 (a missing return) used to be flagged."""
    assert iv.check(iv.Compose([iv.RandomErasing(value=0)]), DEPTH).ok
    v = only(iv.check(iv.Compose([iv.RandomErasing(value=5)]), DEPTH))
    assert v.property == "metric_values" and "not a missing-return hole" in v.problem


def test_on_channels_over_invisible_bands_fix_names_its_channels() -> None:
    """Regression: the fix for an OnChannels touching NIR used to suggest wrapping it in another OnChannels."""
    v = only(iv.check(iv.Compose([iv.OnChannels(iv.ColorJitter(0.2, 0.2, 0.2, 0.1), channels=(2, 3))]), RGBN))
    assert "NIR" in v.problem and "OnChannels(OnChannels" not in v.fix and "channels=(0, 1, 2)" in v.fix


# -- fixes name each transform's own arguments (issue 12, item 6) ------------------------------------------------


def _rotating_instances():
    """Every library transform the checker can flag for rotation, found generically: the example build and
    each numeric argument pushed to 60 degrees / (-60, 60)."""
    import inspect

    from invariant.core.compose import Container
    from invariant.core.transform import library_transforms

    found = {}
    for name, cls in sorted(library_transforms().items()):
        if issubclass(cls, Container):
            continue
        base = dict(cls.example_args)
        tries = [base]
        for arg, prm in inspect.signature(cls.__init__).parameters.items():
            value = base.get(arg, prm.default)
            if arg != "p" and (isinstance(value, (int, float)) and not isinstance(value, bool) or isinstance(value, tuple) and len(value) == 2):
                tries += [{**base, arg: 60.0}, {**base, arg: (-60.0, 60.0)}]
        for kwargs in tries:
            try:
                t = cls(**kwargs)
            except (TypeError, ValueError):
                continue
            e = t.effects()
            if e is not None and e.max_rotation > 5:
                found.setdefault(name, t)
    return sorted(found.items())


ROTATING = _rotating_instances()


def test_the_rotation_sweep_finds_the_reported_transforms() -> None:
    assert {"Rotate", "Affine", "ShiftScaleRotate", "RandomRotate90"} <= {n for n, _ in ROTATING}


@pytest.mark.parametrize("name,t", ROTATING, ids=[n for n, _ in ROTATING])
def test_rotation_fix_names_an_argument_of_that_transform_and_works(name: str, t: iv.Transform) -> None:
    """The Affine fix said "e.g. limit=15" (Affine's argument is ``rotate``): a fix must name the flagged
    transform's own argument, and applying it must pass the check."""
    import ast
    import inspect
    import re

    task = iv.Task("t", modality="rgb", laterality=False, orientation=False, max_rotation=5, cardinal_direction=False, color_semantics=False, metric_values=False)
    v = only(iv.check([t], task))
    match = re.search(r"\(e\.g\. (\w+)=(.+)\)$", v.fix)
    if match is None:
        assert v.fix.startswith("drop it"), v.fix
        return
    key, literal = match.groups()
    assert key in inspect.signature(type(t).__init__).parameters, v.fix
    fixed = type(t)(**{**t.init_args(), key: ast.literal_eval(literal)})
    assert iv.check([fixed], task).ok


def test_affine_fix_names_rotate() -> None:
    v = only(iv.check([iv.Affine(rotate=40)], DIGITS))
    assert v.fix == "bound the angle to <= 15 degrees (e.g. rotate=15)"
    assert only(iv.check([iv.ShiftScaleRotate(rotate_limit=40, p=1)], DIGITS)).fix.endswith("(e.g. rotate_limit=15)")


def test_occlusion_fix_names_the_transforms_own_fill_argument() -> None:
    for t, arg in [(iv.RandomErasing(value=7), "value"), (iv.CoarseDropout(fill=7), "fill")]:
        v = only(iv.check([t], DEPTH))
        assert v.fix.endswith(f"or {arg}=0"), v.fix
        assert iv.check([type(t)(**{arg: 0})], DEPTH).ok

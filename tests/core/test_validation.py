"""Constructor and call validation as properties over every registered transform: no NaN/inf argument
is accepted, ranges are ordered, a misspelt keyword names the transform once and suggests the closest
argument, every example a fix gives is itself accepted, and error texts describe the real input."""

from __future__ import annotations

import ast
import inspect
import math
import re
from typing import Any, Iterator

import numpy as np
import pytest

import invariant as iv
from invariant.core.transform import REGISTRY, library_transforms

NAMES = sorted(library_transforms())
SKIP_ARGS = {"self", "transforms", "transform", "task", "image", "mask"}  # transforms/functions, checked elsewhere


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def numeric_arguments() -> Iterator[tuple[str, str, Any]]:
    """(transform, argument, value) for every argument whose default or example value is a number or a
    numeric pair: the arguments NaN and infinity can reach."""
    for name in NAMES:
        cls = REGISTRY[name]
        for arg, prm in inspect.signature(cls.__init__).parameters.items():
            value = cls.example_args.get(arg, prm.default)
            if arg in SKIP_ARGS or value is prm.empty:
                continue
            if _number(value) or isinstance(value, (tuple, list)) and len(value) == 2 and all(_number(v) for v in value):
                yield name, arg, value


NUMERIC = list(numeric_arguments())
# ascending pairs are (low, high) ranges, except ``*size`` arguments: (height, width), any order
RANGES = [(n, a, v) for n, a, v in NUMERIC if isinstance(v, (tuple, list)) and v[0] < v[1] and not a.endswith("size")]


def build(name: str, /, **overrides: Any) -> iv.Transform:
    cls = REGISTRY[name]
    return cls(**{**cls.example_args, **overrides})


def test_the_sweep_covers_the_reported_arguments() -> None:
    covered = {(n, a) for n, a, _ in NUMERIC}
    assert {("Rotate", "limit"), ("RandomBrightnessContrast", "brightness_limit"), ("Rotate", "fill"), ("Affine", "rotate")} <= covered
    assert len(RANGES) >= 20


@pytest.mark.parametrize("name,arg,value", NUMERIC, ids=[f"{n}-{a}" for n, a, _ in NUMERIC])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
def test_non_finite_numbers_are_refused_at_construction(name: str, arg: str, value: Any, bad: float) -> None:
    cls = REGISTRY[name]
    if bad == math.inf and arg in cls.allow_infinite:  # declared meaningful (magnitude_std=inf: uniform magnitudes)
        assert build(name, **{arg: bad}).init_args()[arg] == math.inf
        return
    with pytest.raises(ValueError, match=re.escape(arg)):
        build(name, **{arg: bad})


@pytest.mark.parametrize("name,arg,value", RANGES, ids=[f"{n}-{a}" for n, a, _ in RANGES])
def test_ranges_refuse_non_finite_ends_and_reversed_order(name: str, arg: str, value: Any) -> None:
    lo, hi = value
    for bad in [(math.nan, hi), (lo, math.nan), (lo, math.inf), (-math.inf, hi)]:
        with pytest.raises(ValueError, match=re.escape(arg)):
            build(name, **{arg: bad})
    with pytest.raises(ValueError, match=re.escape(arg)):
        build(name, **{arg: (hi, lo)})
    build(name, **{arg: (lo, hi)})  # the ordered range itself is accepted


def test_nan_is_refused_inside_dicts_lists_and_schedules() -> None:
    with pytest.raises(ValueError, match=r"translate_percent\['x'\]"):
        iv.Affine(translate_percent={"x": (0.0, math.nan)})
    with pytest.raises(ValueError, match=r"fill\[1\]"):
        iv.Rotate(fill=(0, math.nan, 0))
    with pytest.raises(ValueError, match=r"brightness_limit\.end"):
        iv.RandomBrightnessContrast(brightness_limit=iv.Linear(0.1, math.nan))
    with pytest.raises(ValueError, match="mean"):
        iv.Normalize(mean=np.array([0.5, np.nan, 0.5]))


def test_nan_brightness_no_longer_reaches_the_kernel() -> None:
    """The reported symptom: a NaN limit turned every pixel NaN. Now it never constructs; a finite limit
    keeps float images finite."""
    with pytest.raises(ValueError, match="brightness_limit"):
        iv.RandomBrightnessContrast(brightness_limit=math.nan, p=1)
    out = iv.Compose([iv.RandomBrightnessContrast(brightness_limit=0.2, p=1)], seed=0)(image=np.full((8, 8, 3), 0.5, np.float32))["image"]
    assert np.isfinite(out).all()


def test_magnitude_std_may_be_infinite_but_never_nan() -> None:
    assert iv.RandAugment(magnitude_std=math.inf).transforms[1].magnitude_std == math.inf
    for cls in (iv.RandAugment, iv.AutoAugment):
        with pytest.raises(ValueError, match="magnitude_std"):
            cls(magnitude_std=math.nan)
        with pytest.raises(ValueError, match="magnitude_std"):
            cls(magnitude_std=-math.inf)


# ---------------------------------------------------------------------------------------------------------------
# Misspelt keywords and fixes that work
# ---------------------------------------------------------------------------------------------------------------


def _typo(arg: str) -> str:
    """Drop one inner letter: 'limit' -> 'limt' (the reported typo's shape)."""
    i = max(1, len(arg) // 2)
    return arg[:i] + arg[i + 1 :]


TYPOS = [(n, a) for n in NAMES for a in inspect.signature(REGISTRY[n].__init__).parameters if a not in ("self", "p") and len(a) >= 4]


@pytest.mark.parametrize("name,arg", TYPOS, ids=[f"{n}-{a}" for n, a in TYPOS])
def test_a_misspelt_keyword_names_the_transform_once_and_suggests_the_argument(name: str, arg: str) -> None:
    typo = _typo(arg)
    with pytest.raises(TypeError) as info:
        build(name, **{typo: 1})
    text = str(info.value)
    assert text.count(name) == 1, text
    assert f"unexpected keyword argument {typo!r}" in text
    assert f"did you mean {arg!r}" in text, text


@pytest.mark.parametrize("name,arg", TYPOS, ids=[f"{n}-{a}" for n, a in TYPOS])
def test_a_misspelt_keyword_in_a_config_names_the_transform_once(name: str, arg: str) -> None:
    typo = _typo(arg)
    with pytest.raises(iv.ConfigError) as info:
        iv.from_dict({"name": name, "args": {**build(name).to_dict()["args"], typo: 1}})
    text = str(info.value)
    assert text.count(f"{name}:") == 1 and f"did you mean {arg!r}" in text, text


WRONG_TYPES = ("?!", [[1]], {"zz": 1})
ALL_ARGS = [(n, a) for n in NAMES for a in inspect.signature(REGISTRY[n].__init__).parameters if a not in SKIP_ARGS]
EXAMPLE = re.compile(r"(?:e\.g\.|:) (\w+)=(\([^()]*\)|'[^']*'|[-\w.]+)")


@pytest.mark.parametrize("name,arg", ALL_ARGS, ids=[f"{n}-{a}" for n, a in ALL_ARGS])
def test_wrong_types_get_a_clear_error_whose_example_is_accepted(name: str, arg: str) -> None:
    """A value of the wrong type is refused with TypeError/ValueError naming the argument (never a bare
    float()/int() error), and every ``arg=value`` example the fix gives builds the transform."""
    params = inspect.signature(REGISTRY[name].__init__).parameters
    for wrong in WRONG_TYPES:
        try:
            build(name, **{arg: wrong})
        except (TypeError, ValueError) as exc:
            text = str(exc)
        else:
            continue  # some arguments legitimately take strings/sequences/dicts
        assert arg in text and "Fix:" in text, text
        for key, literal in EXAMPLE.findall(text):
            if key in params:
                build(name, **{key: ast.literal_eval(literal)})


def test_reported_rotate_example_is_its_own_default_not_an_unrelated_pair() -> None:
    with pytest.raises(TypeError) as info:
        iv.Rotate(limit="a")
    assert "limit=90" in str(info.value) and "(0.5, 1.0)" not in str(info.value)
    with pytest.raises(TypeError, match=r"hue=\(-0\.25, 0\.25\)"):  # default 0 (off): the middle of the bounds instead
        iv.ColorJitter(hue="a")


# ---------------------------------------------------------------------------------------------------------------
# Call-time checks
# ---------------------------------------------------------------------------------------------------------------


CHANNEL_LIMITED = [n for n in NAMES if REGISTRY[n].channels is not None or n == "ColorJitter"]


@pytest.mark.parametrize("name", CHANNEL_LIMITED)
def test_channel_errors_describe_the_real_input(name: str) -> None:
    """The reported text said "got ndarray of shape (0, 0, 1)" for a (512, 512) image."""
    t = build(name, p=1.0) if "p" in inspect.signature(REGISTRY[name].__init__).parameters else build(name)
    if name == "ColorJitter":
        t = iv.ColorJitter(brightness=0.4, saturation=0.4)
    allowed = t.channels or (3,)
    bad = next(c for c in (2, 5, 1) if c not in allowed)
    dtype = t.dtypes[0]
    image = np.zeros((37, 41, bad) if bad > 1 else (37, 41), dtype)
    with pytest.raises(ValueError) as info:
        iv.Compose([t])(image=image)
    text = str(info.value)
    assert "37x41 image" in text and f"{bad} channel" in text and "(0, 0" not in text, text


DTYPE_LIMITED = [n for n in NAMES if set(REGISTRY[n].dtypes) != {"uint8", "uint16", "float32"} and not REGISTRY[n].terminal]


@pytest.mark.parametrize("name", DTYPE_LIMITED)
def test_dtype_errors_describe_the_real_input(name: str) -> None:
    t = build(name, p=1.0) if "p" in inspect.signature(REGISTRY[name].__init__).parameters else build(name)
    dtype = next(d for d in ("uint16", "float32", "uint8") if d not in t.dtypes)
    channels = (t.channels or (3,))[0]
    with pytest.raises(ValueError) as info:
        iv.Compose([t])(image=np.zeros((30, 40, channels), dtype))
    text = str(info.value)
    assert f"30x40 image (height x width) with {channels} channel" in text and f"dtype {dtype}" in text and "shape (0" not in text, text


def test_a_transform_called_with_positional_data_says_to_name_the_targets() -> None:
    """Regression: ``iv.HorizontalFlip()(image)`` ended in Python's "takes 1 positional argument but 2 were given"."""
    image = np.zeros((8, 8, 3), np.uint8)
    for args, got in (((image,), "got ndarray of shape (8, 8, 3)"), ((image, image), "got 2 positional arguments")):
        with pytest.raises(TypeError) as err:
            iv.HorizontalFlip()(*args)
        text = str(err.value)
        assert text.startswith("the HorizontalFlip call: expected the data as keywords") and got in text and "Fix: name every target: aug(image=image)" in text
    np.testing.assert_array_equal(iv.HorizontalFlip(p=1)(image=image)["image"], image[:, ::-1])


def test_a_pipeline_called_with_positional_data_says_to_name_the_targets() -> None:
    """``pipe(image)`` ended in Python's "takes 1 positional argument but 2 were given"."""
    image = np.zeros((8, 8, 3), np.uint8)
    pipe = iv.Compose([iv.HorizontalFlip(p=1)])
    with pytest.raises(TypeError) as err:
        pipe(image)
    text = str(err.value)
    assert text.startswith("the pipeline call: expected the data as keywords") and "ndarray of shape (8, 8, 3)" in text
    np.testing.assert_array_equal(pipe(image=image)["image"], image[:, ::-1])


@pytest.mark.parametrize("container", [iv.Compose, iv.OneOf, iv.SomeOf])
def test_a_container_given_one_transform_says_to_wrap_it_in_a_list(container: Any) -> None:
    """``Compose(HorizontalFlip())`` said "'HorizontalFlip' object is not iterable"."""
    with pytest.raises(TypeError, match=rf"transforms: expected a list of transforms, got HorizontalFlip .*wrap it in a list: {container.__name__}\(\[\.\.\.\]\)"):
        container(iv.HorizontalFlip())
    assert len(container((iv.HorizontalFlip(), iv.VerticalFlip())).transforms) == 2  # a tuple is a list of transforms too


@pytest.mark.parametrize("field", ["label_fields", "keypoint_label_fields", "oriented_label_fields", "polygon_label_fields"])
def test_label_fields_given_as_one_string_are_refused(field: str) -> None:
    """``label_fields="labels"`` was split into the keywords 'l', 'a', 'b', ... and failed later, naming them."""
    with pytest.raises(TypeError, match=rf"{field}: expected a list of keyword names, got str 'cls'\. Fix: pass {field}=\['cls'\]"):
        iv.Compose([iv.HorizontalFlip()], **{field: "cls"})
    with pytest.raises(TypeError, match=rf"{field}: expected a list of keyword names"):
        iv.Compose([iv.HorizontalFlip()], **{field: ["class id"]})
    pipe = iv.Compose([iv.HorizontalFlip(p=1)], bbox_format="pascal_voc", **{field: ("cls",)})
    assert getattr(pipe, field)[:1] == ("cls",)

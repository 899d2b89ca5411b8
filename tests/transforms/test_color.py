"""Colour and intensity transforms against independent references.

References and tolerances (uint8, real photos):
- PIL ImageEnhance Brightness / Color / Sharpness: |diff| <= 1 (PIL truncates, we round); Contrast: <= 2
  (PIL rounds the mean of its rounded "L" image; we use the exact grayscale mean).
- PIL ImageOps equalize / posterize / solarize / invert: exact; autocontrast: <= 1 (PIL truncates).
- PIL convert("L") for ToGray: <= 1.
- Hue: a float64 numpy implementation of torchvision's RGB->HSV->RGB hue shift; uint16/float32 within
  0.5 level (of 255), uint8 (8-bit HSV) mean error < 1 level and max <= 8 levels.
- uint16 and float32 results equal uint8 results after scaling within 1 level per uint8 rounding step
  (2.5 for a three-step ColorJitter; hue: see above).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps
from skimage import data

import invariant as iv


def _small(img: np.ndarray, w: int = 128, h: int = 96) -> np.ndarray:
    return np.ascontiguousarray(cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA))


PHOTOS = {"astronaut": _small(data.astronaut()), "coffee": _small(data.coffee()), "chelsea": _small(data.chelsea())}


def jitter(img: np.ndarray, **factors: float) -> np.ndarray:
    """ColorJitter applied with explicit factors in the given order."""
    cj = iv.ColorJitter(0.5, 0.5, 0.5, 0.2)
    params = {"order": list(factors), "brightness": None, "contrast": None, "saturation": None, "hue": None, **factors}
    return cj.apply_image(img, params)


def diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.astype(np.float64) - np.asarray(b, dtype=np.float64))


def pil(img: np.ndarray) -> Image.Image:
    return Image.fromarray(img)


@pytest.mark.parametrize("name", sorted(PHOTOS))
@pytest.mark.parametrize("factor", [0.6, 1.3])
def test_brightness_contrast_saturation_match_pil(name: str, factor: float) -> None:
    img = PHOTOS[name]
    assert diff(jitter(img, brightness=factor), np.asarray(ImageEnhance.Brightness(pil(img)).enhance(factor))).max() <= 1
    assert diff(jitter(img, contrast=factor), np.asarray(ImageEnhance.Contrast(pil(img)).enhance(factor))).max() <= 2
    assert diff(jitter(img, saturation=factor), np.asarray(ImageEnhance.Color(pil(img)).enhance(factor))).max() <= 1


def test_contrast_pivots_on_grayscale_mean() -> None:
    img = PHOTOS["coffee"]
    out = jitter(img.astype(np.float32) / 255, contrast=0.0)  # factor 0: every pixel becomes the mean
    expected = (img.astype(np.float64) @ np.array([0.299, 0.587, 0.114])).mean() / 255
    assert np.allclose(out, expected, atol=1e-6)


def _hue_reference(img: np.ndarray, shift: float) -> np.ndarray:
    """torchvision's _rgb_to_hsv / _hsv_to_rgb hue shift, in float64 numpy, values in [0, 1]."""
    r, g, b = np.moveaxis(img.astype(np.float64), -1, 0)
    maxc, minc = np.maximum(np.maximum(r, g), b), np.minimum(np.minimum(r, g), b)
    cr = maxc - minc
    s = cr / np.where(maxc == 0, 1, maxc)
    crd = np.where(cr == 0, 1, cr)
    rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    h = np.mod(h + shift, 1.0)
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(int) % 6
    v = maxc
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = np.zeros(img.shape)
    for k, (a, bb, c) in enumerate(choices):
        sel = i == k
        out[sel] = np.stack([a[sel], bb[sel], c[sel]], axis=-1)
    return out


@pytest.mark.parametrize("shift", [-0.4, -0.1, 0.05, 0.25])
def test_hue_matches_torchvision_formula(shift: float) -> None:
    img = PHOTOS["coffee"]
    ref = _hue_reference(img / 255.0, shift) * 255
    for dtype, top in (("float32", 1.0), ("uint16", 65535.0)):
        x = img.astype(np.float32) / 255 if dtype == "float32" else img.astype(np.uint16) * 257
        out = jitter(x, hue=shift).astype(np.float64) / top * 255
        assert diff(out, ref).max() <= 0.5, dtype
    d8 = diff(jitter(img, hue=shift), ref)
    assert d8.mean() < 1.0 and d8.max() <= 8


def test_pil_imageops_exact() -> None:
    img = PHOTOS["chelsea"]
    eq = iv.Equalize(p=1)
    assert np.array_equal(eq.apply_image(img, {}), np.asarray(ImageOps.equalize(pil(img))))
    for bits in (1, 3, 6):
        assert np.array_equal(iv.Posterize(p=1).apply_image(img, {"bits": bits}), np.asarray(ImageOps.posterize(pil(img), bits)))
    assert np.array_equal(iv.Solarize(p=1).apply_image(img, {"threshold": 128 / 255}), np.asarray(ImageOps.solarize(pil(img), 128)))
    assert np.array_equal(iv.Invert(p=1).apply_image(img, {}), np.asarray(ImageOps.invert(pil(img))))
    low = (img // 2 + 40).astype(np.uint8)  # a low-contrast image
    assert diff(iv.AutoContrast(p=1).apply_image(low, {}), np.asarray(ImageOps.autocontrast(pil(low)))).max() <= 1


def test_gray_sharpness_match_pil() -> None:
    img = PHOTOS["astronaut"]
    gray = iv.ToGray(num_output_channels=1).apply_image(img, {})
    assert gray.shape == img.shape[:2] + (1,)
    assert diff(gray[:, :, 0], np.asarray(pil(img).convert("L"))).max() <= 1
    three = iv.RandomGrayscale(p=1.0).apply_image(img, {})
    assert three.shape == img.shape and np.array_equal(three[:, :, 0], three[:, :, 2])
    for factor in (0.0, 0.5, 2.0):
        ours = iv.Sharpness().apply_image(img, {"factor": factor})
        assert diff(ours, np.asarray(ImageEnhance.Sharpness(pil(img)).enhance(factor))).max() <= 1, factor


def test_gamma_and_brightness_contrast_formulas() -> None:
    img = PHOTOS["coffee"]
    x = img.astype(np.float64)
    assert diff(iv.RandomGamma().apply_image(img, {"gamma": 1.5}), 255 * (x / 255) ** 1.5).max() <= 0.5
    mean = x @ np.array([0.299, 0.587, 0.114])
    out = iv.RandomBrightnessContrast().apply_image(img, {"alpha": 1.3, "beta": 0.1})
    assert diff(out, np.clip((x - mean.mean()) * 1.3 + mean.mean() + 25.5, 0, 255)).max() <= 0.5


def _scaled(img: np.ndarray, dtype: str) -> np.ndarray:
    return img.astype(np.uint16) * 257 if dtype == "uint16" else img.astype(np.float32) / 255


CONSISTENCY = [
    (iv.RandomBrightnessContrast(), {"alpha": 1.4, "beta": -0.1}),
    (iv.RandomGamma(), {"gamma": 0.7}),
    (iv.Solarize(), {"threshold": 0.6}),
    (iv.Invert(), {}),
    (iv.Posterize(), {"bits": 3}),
    (iv.AutoContrast(), {}),
    (iv.ColorJitter(0.4, 0.4, 0.4), {"order": ["contrast", "saturation", "brightness", "hue"], "brightness": 1.2, "contrast": 0.7, "saturation": 1.5, "hue": None}),
    (iv.Sharpness(), {"factor": 1.8}),
    (iv.ToGray(), {}),
]


@pytest.mark.parametrize("dtype", ["uint16", "float32"])
@pytest.mark.parametrize("index", range(len(CONSISTENCY)))
def test_deep_dtypes_consistent_with_uint8(dtype: str, index: int) -> None:
    t, params = CONSISTENCY[index]
    img = PHOTOS["astronaut"]
    if isinstance(t, iv.AutoContrast):
        img = (img // 2 + 40).astype(np.uint8)
    top = 65535.0 if dtype == "uint16" else 1.0
    deep = t.apply_image(_scaled(img, dtype), params)
    assert deep.dtype == np.dtype(dtype)
    # one rounding per uint8 step: 1 level, except ColorJitter's three chained steps, whose roundings the
    # later factors amplify (0.5 * 1.5 * 1.2 + 0.5 * 1.2 + 0.5 < 2.5)
    tol = 2.5 if isinstance(t, iv.ColorJitter) else 1.0
    assert diff(deep.astype(np.float64) / top * 255, t.apply_image(img, params)).max() <= tol + 1e-6, type(t).__name__


def test_equalize_uint16_uses_full_depth() -> None:
    mri = (np.linspace(0, 1, 64 * 64).reshape(64, 64, 1) ** 3 * 4000).astype(np.uint16)  # narrow 16-bit range
    out = iv.Equalize().apply_image(mri, {})
    assert out.dtype == np.uint16 and out.max() > 60000 and len(np.unique(out)) > 1000  # not squeezed via uint8


def test_hsv_shift_all_dtypes_agree() -> None:
    img = PHOTOS["chelsea"]
    t = iv.HueSaturationValue()
    params = {"hue": 30.0, "sat": 0.1, "val": -0.05}
    ref = t.apply_image(img.astype(np.float32) / 255, params) * 255
    assert diff(t.apply_image(img.astype(np.uint16) * 257, params) / 257.0, ref).max() <= 0.5
    d8 = diff(t.apply_image(img, params), ref)
    assert d8.mean() < 1.5 and d8.max() <= 10


def test_clahe_gray_matches_opencv_and_rgb_keeps_chroma() -> None:
    gray = cv2.cvtColor(PHOTOS["astronaut"], cv2.COLOR_RGB2GRAY)[:, :, None]
    ours = iv.CLAHE(tile_grid_size=(4, 4)).apply_image(gray, {"clip_limit": 3.0})
    assert np.array_equal(ours[:, :, 0], cv2.createCLAHE(3.0, (4, 4)).apply(gray[:, :, 0]))
    camera = data.camera()[:, :, None].astype(np.uint16) * 257
    deep = iv.CLAHE().apply_image(camera, {"clip_limit": 2.0})
    assert deep.dtype == np.uint16 and deep.std() > 0


def test_channel_shuffle_is_a_permutation() -> None:
    img = PHOTOS["coffee"]
    out = iv.Compose([iv.ChannelShuffle(p=1)], seed=3)(image=img, return_params=True)
    order = out["params"][0]["params"]["order"]
    assert sorted(order) == [0, 1, 2] and np.array_equal(out["image"], img[:, :, order])


def test_colorjitter_sampling_follows_torchvision_ranges() -> None:
    cj = iv.ColorJitter(brightness=0.4, contrast=(0.5, 0.9), saturation=0.3, hue=0.1)
    pipe = iv.Compose([cj], seed=0)
    firsts = set()
    for _ in range(60):
        p = pipe(image=PHOTOS["coffee"], return_params=True)["params"][0]["params"]
        assert sorted(p["order"]) == ["brightness", "contrast", "hue", "saturation"]
        firsts.add(p["order"][0])
        assert 0.6 <= p["brightness"] <= 1.4 and 0.5 <= p["contrast"] <= 0.9
        assert 0.7 <= p["saturation"] <= 1.3 and -0.1 <= p["hue"] <= 0.1
    assert len(firsts) == 4  # random order


@pytest.mark.parametrize("channels", [1, 4])
def test_hue_saturation_refuse_non_rgb_with_a_fix(channels: int) -> None:
    img = np.zeros((8, 8, channels), np.uint8)
    for t in (iv.ColorJitter(saturation=0.4), iv.ColorJitter(hue=0.1), iv.HueSaturationValue(p=1)):
        with pytest.raises(ValueError, match="only defined for 3-channel RGB.*OnChannels"):
            t(image=img)
    with pytest.raises(ValueError, match="already grayscale"):
        iv.ToGray()(image=np.zeros((8, 8), np.uint8))
    # brightness/contrast alone are fine on any channel count
    assert iv.ColorJitter(brightness=0.3, contrast=0.3)(image=img)["image"].shape == img.shape


def test_bad_arguments_name_the_argument() -> None:
    with pytest.raises(ValueError, match="hue"):
        iv.ColorJitter(hue=0.7)
    with pytest.raises(ValueError, match="bits"):
        iv.Posterize(bits=9)
    with pytest.raises(ValueError, match="gamma"):
        iv.RandomGamma(gamma=(-1.0, 1.0))
    with pytest.raises(ValueError, match="num_output_channels"):
        iv.ToGray(num_output_channels=2)


def test_on_channels_touches_only_chosen_channels() -> None:
    rgb = PHOTOS["astronaut"]
    nir = (255 - cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))[:, :, None]
    rgbn = np.concatenate([rgb, nir], axis=2)
    cj = iv.ColorJitter(0.4, 0.4, 0.4, 0.1)
    pipe = iv.Compose([iv.OnChannels(cj, channels=(0, 1, 2))], seed=5)
    out = pipe(image=rgbn, return_params=True)
    assert np.array_equal(out["image"][:, :, 3], nir[:, :, 0])
    assert np.array_equal(out["image"][:, :, :3], cj.apply_image(rgb, out["params"][0]["params"]))
    restored = iv.from_dict(pipe.to_dict())
    assert np.array_equal(restored(image=rgbn)["image"], iv.Compose([iv.OnChannels(cj, channels=(0, 1, 2))], seed=5)(image=rgbn)["image"])
    with pytest.raises(ValueError, match="channels"):
        iv.OnChannels(cj, channels=(0, 1, 5))(image=rgbn)


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_channel_shuffle_every_order_matches_numpy(channels: int) -> None:
    img = np.ascontiguousarray(np.dstack([PHOTOS["coffee"], PHOTOS["chelsea"][:, :, :1]])[:, :, :channels])
    import itertools

    for order in itertools.permutations(range(channels)):  # identity, RGB<->BGR and the mixChannels orders
        out = iv.ChannelShuffle(p=1).apply_image(img, {"order": list(order)})
        assert out.flags.c_contiguous and np.array_equal(out, img[:, :, list(order)]), order


@pytest.mark.parametrize("factor", [0.0, 0.6, 1.4, 2.0])
def test_saturation_within_one_level_of_the_exact_blend(factor: float) -> None:
    img = PHOTOS["astronaut"]
    x = img.astype(np.float64)
    gray = x @ np.array([0.299, 0.587, 0.114])
    exact = np.clip(np.rint(factor * x + (1 - factor) * gray[:, :, None]), 0, 255)
    out = jitter(img, saturation=factor)
    assert diff(out, exact).max() <= 1 and (out != exact).mean() < 0.1


def test_sharpness_grayscale_and_float_match_pil() -> None:
    gray = np.ascontiguousarray(cv2.cvtColor(PHOTOS["chelsea"], cv2.COLOR_RGB2GRAY))
    for factor in (0.3, 1.7, 3.0):
        ref = np.asarray(ImageEnhance.Sharpness(Image.fromarray(gray)).enhance(factor))
        ours = iv.Sharpness().apply_image(gray[:, :, None], {"factor": factor})
        assert diff(ours[:, :, 0], ref).max() <= 1, factor
        deep = iv.Sharpness().apply_image(gray[:, :, None].astype(np.float32) / 255, {"factor": factor})
        assert diff(deep[:, :, 0] * 255, ref).max() <= 1.5, factor  # float: no rounding; PIL truncates


def test_clahe_uint16_clip_limit_has_an_effect_like_uint8() -> None:
    """OpenCV's 16-bit CLAHE clips each of 65536 bins at max(1, clip * tile_area / 65536); unscaled, every
    clip_limit would give the same output for ordinary tiles. The limit is rescaled to mean the same as for uint8."""
    camera = data.camera()[:, :, None]
    deep = camera.astype(np.uint16) * 257
    low, high = (iv.CLAHE().apply_image(deep, {"clip_limit": c}) for c in (1.0, 4.0))
    assert not np.array_equal(low, high)  # uint8 OpenCV: clip 1 and 4 differ by ~18 levels on average
    ref = cv2.createCLAHE(4.0, (8, 8)).apply(camera[:, :, 0]).astype(np.float64)
    assert np.abs(high[:, :, 0] / 257.0 - ref).mean() < 2.0

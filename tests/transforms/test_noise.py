"""Noise transforms: the moments of the noise match the parameters (within statistical tolerance on a
full-size photo or a flat field), Poisson variance equals the mean in linear light for ShotNoise, the sRGB
curve matches IEC 61966-2-1's published constants, uint16 behaves like uint8 in its own units."""

from __future__ import annotations

import numpy as np
import pytest

import invariant as iv
from invariant.ops import noise as N

DTYPES = ("uint8", "uint16", "float32")
TOP = {"uint8": 255.0, "uint16": 65535.0, "float32": 1.0}


def _astronaut(dtype: str) -> np.ndarray:
    from skimage import data

    rgb = data.astronaut()
    if dtype == "uint8":
        return rgb
    if dtype == "uint16":
        return rgb.astype(np.uint16) * 257
    return rgb.astype(np.float32) / 255.0


def _flat(value: float, dtype: str, size: int = 512) -> np.ndarray:
    return np.full((size, size, 1), value * TOP[dtype], np.dtype(dtype))


def _apply(t: iv.Transform, image: np.ndarray, seed: int = 0) -> tuple[np.ndarray, dict]:
    out = iv.Compose([t], seed=seed)(image=image, return_params=True)
    return out["image"], out["params"][0]["params"]


def test_srgb_curve_constants() -> None:
    # IEC 61966-2-1: the two pieces meet at 0.04045 / 0.0031308; mid grey 0.5 -> 0.21404; round trip
    assert abs(float(N.srgb_to_linear(0.5)) - 0.214041) < 1e-6
    assert abs(float(N.srgb_to_linear(0.04045)) - 0.04045 / 12.92) < 1e-12
    v = np.linspace(0, 1, 1001)
    np.testing.assert_allclose(N.linear_to_srgb(N.srgb_to_linear(v)), v, atol=1e-12)


@pytest.mark.parametrize("dtype", ("uint16", "float32"))
@pytest.mark.parametrize("level", (0.3, 0.7))
def test_shot_noise_poisson_in_linear_light(dtype: str, level: float) -> None:
    scale = 0.002
    image = _flat(level, dtype)
    out, _ = _apply(iv.ShotNoise(scale_range=(scale, scale), p=1), image)
    assert out.dtype == image.dtype
    lin = N.srgb_to_linear(out.astype(np.float64) / TOP[dtype]).ravel()
    mean_lin = float(N.srgb_to_linear(level))
    counts = lin / scale  # photon counts: Poisson(mean_lin / scale), so variance == mean
    lam = mean_lin / scale
    n = counts.size
    assert abs(counts.mean() - lam) < 5 * np.sqrt(lam / n)
    assert abs(counts.var() / counts.mean() - 1.0) < 0.03  # the Poisson identity var == mean (n = 262144)
    # integer counts (up to the uint16 quantisation of the re-encoded value)
    if dtype == "float32":
        assert np.abs(counts - np.rint(counts)).max() < 1e-3


def test_shot_noise_uint8_mean_preserved_on_photo() -> None:
    image = _astronaut("uint8")
    out, params = _apply(iv.ShotNoise(p=1), image, seed=1)
    diff = N.srgb_to_linear(out / 255.0) - N.srgb_to_linear(image / 255.0)
    assert abs(diff.mean()) < 2e-3 and diff.std() > 1e-3


@pytest.mark.parametrize("dtype", DTYPES)
def test_salt_and_pepper_fractions(dtype: str) -> None:
    image = _astronaut(dtype)
    out, params = _apply(iv.SaltAndPepper(amount=(0.1, 0.1), salt_vs_pepper=(0.3, 0.3), p=1), image)
    changed = (out != image).any(axis=2)
    salt = (out == TOP[dtype]).all(axis=2) & changed
    pepper = (out == 0).all(axis=2) & changed
    n = changed.size
    # hits on a pixel that already is white (salt) or black (pepper) are invisible: expected visible fractions
    can_salt = (image != TOP[dtype]).any(axis=2).mean()
    can_pepper = (image != 0).any(axis=2).mean()
    assert abs(salt.sum() / n - 0.03 * can_salt) < 5 * np.sqrt(0.03 / n)
    assert abs(pepper.sum() / n - 0.07 * can_pepper) < 5 * np.sqrt(0.07 / n)
    assert not (changed & ~salt & ~pepper).any()  # every other pixel is untouched


def test_salt_and_pepper_hits_are_independent_per_pixel() -> None:
    """Hits are drawn as a Binomial count placed uniformly: over many seeds each pixel is hit with probability
    ``amount`` independently, so the per-image count has the binomial variance n p (1 - p) (a fixed count
    per image, as AlbumentationsX draws, would have none) and every position is equally likely."""
    image = np.full((16, 16, 1), 128, np.uint8)
    n, amount, seeds = image.size, 0.25, 2000
    hits = np.stack([N.salt_and_pepper(image, amount, 0.5, seed)[:, :, 0] != 128 for seed in range(seeds)])
    counts = hits.reshape(seeds, -1).sum(axis=1)
    assert abs(counts.mean() - n * amount) < 5 * np.sqrt(n * amount * (1 - amount) / seeds)
    assert 0.85 < counts.var() / (n * amount * (1 - amount)) < 1.15  # sd of this ratio ~ sqrt(2 / seeds) = 0.03
    per_pixel = hits.mean(axis=0)
    assert np.abs(per_pixel - amount).max() < 5 * np.sqrt(amount * (1 - amount) / seeds)
    # two neighbouring pixels are hit together with probability amount ** 2 (independence)
    both = (hits[:, :, :-1] & hits[:, :, 1:]).mean()
    assert abs(both - amount**2) < 5 * np.sqrt(amount**2 / (seeds * n))


@pytest.mark.parametrize("dtype", DTYPES)
def test_multiplicative_noise_elementwise_moments(dtype: str) -> None:
    image = (_astronaut("float32") * 0.5 + 0.25) * TOP[dtype]
    image = image.astype(np.dtype(dtype)) if dtype != "float32" else image.astype(np.float32)
    out, _ = _apply(iv.MultiplicativeNoise(multiplier=(0.8, 1.2), elementwise=True, per_channel=True, p=1), image)
    ratio = out.astype(np.float64) / image.astype(np.float64)
    tol = 0.01 if dtype == "uint8" else 0.002
    assert abs(ratio.mean() - 1.0) < tol
    assert abs(ratio.var() - 0.4**2 / 12) < 0.1 * 0.4**2 / 12
    assert ratio.min() > 0.8 - tol and ratio.max() < 1.2 + tol


@pytest.mark.parametrize("per_channel", [True, False])
def test_multiplicative_noise_elementwise_field_is_iid_uniform(per_channel: bool) -> None:
    # the field the spec promises: i.i.d. U[low, high] per pixel (and channel): range, mean and variance
    # (within 5 standard errors), a flat histogram (chi-square), no correlation between neighbours or
    # channels, a pure function of the seed, different seeds giving unrelated fields
    low, high = 0.6, 1.4
    field = N.multiplier_field(12345, (512, 384, 3), low, high, per_channel, True).astype(np.float64)
    assert field.shape == (512, 384, 3 if per_channel else 1)
    n = field.size
    assert field.min() >= low and field.max() <= high
    var = (high - low) ** 2 / 12
    assert abs(field.mean() - (low + high) / 2) < 5 * np.sqrt(var / n)
    assert abs(field.var() - var) < 5 * np.sqrt((high - low) ** 4 / 180 / n)  # var of U's sample variance: (h-l)^4/180n
    counts = np.histogram(field, bins=64, range=(low, high))[0]
    chi2 = ((counts - n / 64) ** 2 / (n / 64)).sum()
    assert chi2 < 63 + 5 * np.sqrt(2 * 63)  # chi-square with 63 degrees of freedom
    z = (field - field.mean()) / field.std()
    for a, b in ((z[:, :-1], z[:, 1:]), (z[:-1], z[1:])) + (((z[..., 0], z[..., 1]),) if per_channel else ()):
        assert abs((a * b).mean()) < 5 / np.sqrt(a.size)
    np.testing.assert_array_equal(N.multiplier_field(12345, (512, 384, 3), low, high, per_channel, True), field.astype(np.float32))
    other = N.multiplier_field(12346, (512, 384, 3), low, high, per_channel, True).astype(np.float64)
    assert abs(((other - other.mean()) / other.std() * z).mean()) < 5 / np.sqrt(n)


def test_multiplicative_noise_elementwise_is_rounded_product_with_the_field() -> None:
    # uint8 and uint16: out = round_half_even(x * m) saturated, m the field of the recorded seed
    for dtype in ("uint8", "uint16"):
        image = _astronaut(dtype)
        out, params = _apply(iv.MultiplicativeNoise(multiplier=(0.5, 1.5), elementwise=True, per_channel=True, p=1), image)
        m = N.multiplier_field(params["seed"], image.shape, 0.5, 1.5, True, True)
        # the product is formed in float32 (as albumentations), numpy's float32 multiply here
        np.testing.assert_array_equal(out, np.clip(np.rint(image.astype(np.float32) * m), 0, TOP[dtype]))
        exact = np.clip(np.rint(image.astype(np.float64) * m.astype(np.float64)), 0, TOP[dtype])
        assert np.abs(out.astype(np.float64) - exact).max() <= 1  # float32 rounding moves near-ties only


def test_multiplicative_noise_one_factor_is_scaling() -> None:
    image = _astronaut("float32")
    out, params = _apply(iv.MultiplicativeNoise(multiplier=(0.5, 1.5), p=1), image)
    m = N.multiplier_field(params["seed"], image.shape, 0.5, 1.5, False, False)
    assert m.shape == (1, 1, 1)
    np.testing.assert_allclose(out, np.clip(image * m[0, 0, 0], 0, 1), atol=1e-7)


@pytest.mark.parametrize("dtype", DTYPES)
def test_speckle_noise_moments(dtype: str) -> None:
    std, mean = 0.1, 0.05
    image = (_astronaut("float32") * 0.5 + 0.2) * TOP[dtype]
    image = image.astype(np.dtype(dtype)) if dtype != "float32" else image.astype(np.float32)
    out, _ = _apply(iv.SpeckleNoise(std_range=(std, std), mean_range=(mean, mean), p=1), image)
    n = out.astype(np.float64) / image.astype(np.float64) - 1.0  # (out - x) / x
    q = 0.5 / (0.2 * 255) if dtype == "uint8" else 1e-4  # rounding noise relative to the darkest pixel
    assert abs(n.mean() - mean) < 3e-3
    assert abs(n.std() - std) < 0.02 * std + q


def test_speckle_matches_skimage_definition() -> None:
    # skimage.util.random_noise(mode="speckle"): out = image + image * N(mean, var); same normal draws here
    image = _astronaut("float32")
    out, params = _apply(iv.SpeckleNoise(std_range=(0.1, 0.1), p=1), image)
    noise = np.random.default_rng(params["seed"]).normal(params["mean"], params["std"], image.shape).astype(np.float32)
    np.testing.assert_allclose(out, np.clip(image + image * noise, 0, 1), atol=1e-7)


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError):
        iv.ShotNoise(scale_range=(0.0, 0.1))
    with pytest.raises(ValueError):
        iv.SaltAndPepper(amount=(0.1, 1.5))
    with pytest.raises(ValueError):
        iv.MultiplicativeNoise(multiplier=(-0.1, 1.0))
    with pytest.raises(TypeError):
        iv.SpeckleNoise(std_range="big")

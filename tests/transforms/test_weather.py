"""Weather and lighting transforms against albumentations 2.0.8's functional kernels for the same drawn
parameters, published constants (Planckian table of Zini et al., fb.resnet.torch's ImageNet PCA), numpy
computations written here, and invariants (only brightening / darkening where the effect applies,
dtype and range kept, same seed -> same output)."""

from __future__ import annotations

import numpy as np
import pytest
from albumentations.augmentations.pixel import functional as AF

import invariant as iv
from invariant.ops import weather as W

from ..conftest import photo

RGB = photo("uint8", 3, size=(120, 160))


def _run(t: iv.Transform, image: np.ndarray, seed: int = 0) -> tuple[np.ndarray, dict]:
    out = iv.Compose([t], seed=seed)(image=image, return_params=True)
    return out["image"], out["params"][0]["params"]


def test_fog_equals_albumentations_kernel_and_only_brightens() -> None:
    t = iv.RandomFog(alpha_coef=0.1, fog_coef_range=(0.5, 0.9), p=1)
    for seed in range(3):
        out, prm = _run(t, RGB, seed)
        ref = AF.add_fog(RGB, prm["intensity"], 0.1, [tuple(c) for c in prm["centres"]], prm["radii"])
        assert len(prm["centres"]) > 0
        np.testing.assert_array_equal(out, ref)
    # without the final blur, fog only moves pixels towards white: a flat gray image never darkens
    gray = np.full((60, 80, 3), 90, np.uint8)
    fogged, _ = _run(t, gray, 1)
    assert fogged.min() >= 90 and fogged.max() > 90


@pytest.mark.parametrize("dtype", ["uint16", "float32"])
def test_fog_other_dtypes_match_uint8_in_relative_units(dtype: str) -> None:
    t = iv.RandomFog(p=1)
    out8, prm = _run(t, RGB, 3)
    image = photo(dtype, 3, size=(120, 160))
    out = t.apply_image(image, prm)
    assert out.dtype == np.dtype(dtype)
    scale = 65535.0 if dtype == "uint16" else 1.0
    diff = np.abs(out.astype(np.float64) / scale * 255 - out8)
    # uint8 rounds after every one of the hundreds of progressive blends; the wider dtypes barely round
    assert diff.max() <= 4.0 and diff.mean() <= 0.5


def test_rain_equals_albumentations_kernel() -> None:
    t = iv.RandomRain(slant_range=(-8, 8), drop_width=1, blur_value=5, brightness_coefficient=0.8, p=1)
    for seed in range(3):
        out, prm = _run(t, RGB, seed)
        drops = np.asarray(prm["drops"], np.int64)
        assert len(drops) == 120 // 3 and prm["length"] == 120 // 8
        assert (drops[:, 0] >= 0).all() and (drops[:, 0] < 160).all() and (drops[:, 1] < 120 - 15).all()
        ref = AF.add_rain(RGB, prm["slant"], prm["length"], 1, (200, 200, 200), 5, 0.8, drops)
        np.testing.assert_array_equal(out, ref)


def test_rain_types_set_the_drop_count() -> None:
    for kind, n in [("drizzle", 30), ("heavy", 120), ("torrential", 240)]:
        assert len(_run(iv.RandomRain(rain_type=kind, p=1), RGB)[1]["drops"]) == n


def test_rain_without_darkening_only_brightens() -> None:
    t = iv.RandomRain(brightness_coefficient=1.0, p=1)
    out, prm = _run(t, RGB, 4)
    assert (out >= RGB).all() and (out > RGB).any()


def test_snow_equals_albumentations_and_brightens_only_below_threshold() -> None:
    t = iv.RandomSnow(brightness_coeff=2.0, snow_point_range=(0.2, 0.4), p=1)
    out, prm = _run(t, RGB, 0)
    np.testing.assert_array_equal(out, AF.add_snow_bleach(RGB, prm["snow_point"], 2.0))
    import cv2

    light_in = cv2.cvtColor(RGB, cv2.COLOR_RGB2HLS)[:, :, 1].astype(int)
    light_out = cv2.cvtColor(out, cv2.COLOR_RGB2HLS)[:, :, 1].astype(int)
    threshold = prm["snow_point"] * 255 / 2 + 255 / 3
    above = light_in >= threshold
    # pixels above the threshold keep their lightness (HLS round trip: at most 1 level)
    assert np.abs(light_out[above] - light_in[above]).max() <= 1
    below = (light_in < threshold) & (light_in > 4)
    assert (light_out[below] >= light_in[below]).all()


def test_snow_float_matches_uint8() -> None:
    t = iv.RandomSnow(p=1)
    out8, prm = _run(t, RGB, 2)
    f = t.apply_image(RGB.astype(np.float32) / 255, prm)
    assert f.dtype == np.float32 and 0 <= f.min() and f.max() <= 1
    assert np.mean(np.abs(f * 255 - out8)) < 1.5


def test_shadow_matches_albumentations_and_only_darkens_inside_polygons() -> None:
    one = iv.RandomShadow(num_shadows_limit=(1, 1), shadow_intensity_range=(0.3, 0.6), p=1)
    for seed in range(3):
        out, prm = _run(one, RGB, seed)
        ref = AF.add_shadow(RGB, [np.asarray(p, np.int32) for p in prm["polygons"]], np.asarray(prm["intensities"]))
        assert np.abs(out.astype(int) - ref).max() <= 1  # albumentations truncates, we round
    t = iv.RandomShadow(num_shadows_limit=(2, 3), shadow_intensity_range=(0.3, 0.6), p=1)
    out, prm = _run(t, RGB, 5)
    assert (out <= RGB).all()
    import cv2

    region = np.zeros(RGB.shape[:2], np.uint8)
    for poly in prm["polygons"]:
        cv2.fillPoly(region, [np.asarray(poly, np.int32)], 1)
    np.testing.assert_array_equal(out[region == 0], RGB[region == 0])
    # roi: polygons inside the bottom half by default
    assert all(y >= 60 for poly in prm["polygons"] for _, y in poly)


def _sun_flare_reference(image: np.ndarray, centre: tuple, src_radius: int, circles: list) -> np.ndarray:
    """albumentations' ``add_sun_flare_overlay`` recomputed exactly: whole-image blends in float64, each
    rounded half to even and saturated to uint8 (what ``cv2.addWeighted`` on uint8 specifies)."""
    import cv2

    overlay, output = image.copy(), image.astype(np.float64)
    for alpha, (x, y), radius, colour in circles:
        cv2.circle(overlay, (int(x), int(y)), int(radius), tuple(float(c) for c in colour), -1)
        output = np.clip(np.rint(overlay * alpha + output * (1 - alpha)), 0, 255)
    weighted, total = sum(a * r for a, _, r, _ in circles), sum(r for _, _, r, _ in circles)
    times = src_radius // 10
    alphas = np.linspace(0.0, min(weighted / total * 5 if total else 0.0, 1.0), num=times)
    radii = np.linspace(1, src_radius, num=times)
    overlay = output.astype(np.uint8)
    for i in range(times):
        cv2.circle(overlay, (int(centre[0]), int(centre[1])), int(radii[i]), (255, 255, 255), -1)
        a = alphas[times - i - 1] ** 3
        output = np.clip(np.rint(overlay * a + output * (1 - a)), 0, 255)
    return output.astype(np.uint8)


def test_sun_flare_matches_albumentations_kernel() -> None:
    t = iv.RandomSunFlare(src_radius=80, p=1)
    for seed in range(6):
        out, prm = _run(t, RGB, seed)
        circles = [(a, tuple(c), r, tuple(col)) for a, c, r, col in prm["circles"]]
        np.testing.assert_array_equal(out, _sun_flare_reference(RGB, prm["centre"], 80, circles))
        # albumentations itself: the same discs and weights, but OpenCV's 8-bit addWeighted approximates the
        # blend with SIMD code that differs per CPU (measured: 1 level on AVX2 machines, 2 with AVX-512, on
        # up to 6% of pixels), and each of the ~10 chained blends re-rounds
        ref = AF.add_sun_flare_overlay(RGB, tuple(prm["centre"]), 80, (255, 255, 255), circles)
        assert np.abs(out.astype(int) - ref).max() <= 2
        assert np.mean(out != ref) < 0.1


ZINI_TABLE = {  # spot values of the published black-body table (Zini et al. 2022 code), R, G, B
    3000: (0.6743, 0.4029, 0.0013),
    6500: (0.4816, 0.4604, 0.4782),
    10000: (0.4054, 0.4653, 0.6121),
    15000: (0.3503, 0.4653, 0.6933),
}


@pytest.mark.parametrize("temperature", [3000, 4250, 6500, 7777, 10000, 15000])
def test_planckian_gains_equal_published_table(temperature: int) -> None:
    from albumentations.augmentations.pixel.functional import PLANCKIAN_COEFFS

    for mode in ("blackbody", "cied"):
        table = PLANCKIAN_COEFFS[mode]
        t = min(max(temperature, min(table)), max(table))
        left = t // 500 * 500
        right = min(left + 500, max(table))
        w = 0 if right == left else (t - left) / 500
        rgb = (1 - w) * np.array(table[left]) + w * np.array(table[right])
        gains = W.planckian_gains(temperature, mode)
        np.testing.assert_allclose(gains, (rgb[0] / rgb[1], 1.0, rgb[2] / rgb[1]), rtol=1e-12)
    if temperature in ZINI_TABLE:
        r, g, b = ZINI_TABLE[temperature]
        np.testing.assert_allclose(W.planckian_gains(temperature, "blackbody"), (r / g, 1, b / g), rtol=1e-12)


def test_planckian_jitter_image_against_albumentations() -> None:
    t = iv.PlanckianJitter(temperature_limit=(4000, 9000), p=1)
    image = RGB.astype(np.float32) / 255
    for seed in range(4):
        out, prm = _run(t, image, seed)
        assert 4000 <= prm["temperature"] <= 9000
        ref = AF.planckian_jitter(image, int(prm["temperature"]), "blackbody")
        exact = np.clip(image * np.float32(W.planckian_gains(prm["temperature"], "blackbody")), 0, 1)
        np.testing.assert_allclose(out, exact, atol=1e-6)
        if float(prm["temperature"]).is_integer():
            np.testing.assert_allclose(out, ref, atol=1e-6)
    # albumentations samples integer kelvin: compare at an integer temperature drawn by hand
    out = t.apply_image(image, {"temperature": 7250.0})
    np.testing.assert_allclose(out, AF.planckian_jitter(image, 7250, "blackbody"), atol=1e-6)
    # below 6500 K (warm light) red is boosted relative to blue
    warm = t.apply_image(image, {"temperature": 4000.0})
    assert warm[..., 0].mean() > image[..., 0].mean() and warm[..., 2].mean() < image[..., 2].mean()


def test_planckian_uint8_table_and_fusion() -> None:
    t = iv.PlanckianJitter(p=1)
    out, prm = _run(t, RGB, 3)
    gains = np.asarray(W.planckian_gains(prm["temperature"], "blackbody"))
    np.testing.assert_array_equal(out, np.clip(np.rint(RGB * gains), 0, 255).astype(np.uint8))
    pipe = [iv.PlanckianJitter(p=1), iv.RandomToneCurve(p=1)]
    fused = iv.Compose(pipe, seed=1)(image=RGB)["image"]
    assert np.abs(fused.astype(int) - iv.Compose(pipe, seed=1, fuse=False)(image=RGB)["image"]).max() <= 1


def test_linear_gradient_equals_albumentations() -> None:
    for angle in [0, 90, 180, 270, 45, 135, 225, 315, 33.3, 200.0]:
        for h, w in [(40, 60), (1, 5)]:
            np.testing.assert_allclose(W.linear_gradient(h, w, angle), AF.create_directional_gradient(h, w, angle), atol=1e-5)


def test_planckian_gaussian_sampling_stays_in_limits() -> None:
    t = iv.PlanckianJitter(sampling_method="gaussian", p=1)
    temps = [_run(t, RGB, s)[1]["temperature"] for s in range(40)]
    assert min(temps) >= 3000 and max(temps) <= 15000 and np.std(temps) > 0


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
@pytest.mark.parametrize("per_channel", [False, True])
def test_tone_curve_monotone_endpoints_fixed(dtype: str, per_channel: bool) -> None:
    top = {"uint8": 255, "uint16": 65535, "float32": 1.0}[dtype]
    ramp = np.linspace(0, top, 256 * 3).astype(dtype).reshape(16, 48, 1).repeat(3, axis=2)
    t = iv.RandomToneCurve(scale=0.3, per_channel=per_channel, p=1)
    for seed in range(5):
        out, prm = _run(t, np.ascontiguousarray(ramp), seed)
        flat = out.reshape(-1, 3).astype(np.float64)
        assert (np.diff(flat, axis=0) >= 0).all()
        assert (flat[0] == 0).all() and (flat[-1] == top).all()


def test_tone_curve_equals_albumentations_and_fuses() -> None:
    t = iv.RandomToneCurve(scale=0.2, p=1)
    out, prm = _run(t, RGB, 1)
    np.testing.assert_array_equal(out, AF.move_tone_curve(RGB, float(prm["low"][0]), float(prm["high"][0])))
    tp = iv.RandomToneCurve(scale=0.2, per_channel=True, p=1)
    out, prm = _run(tp, RGB, 1)
    np.testing.assert_array_equal(out, AF.move_tone_curve(RGB, np.asarray(prm["low"]), np.asarray(prm["high"])))
    # in a table run with another pointwise step the result is the same as step by step
    pipe = [iv.RandomToneCurve(scale=0.2, p=1), iv.RandomGamma(p=1)]
    fused = iv.Compose(pipe, seed=3)(image=RGB)["image"]
    unfused = iv.Compose(pipe, seed=3, fuse=False)(image=RGB)["image"]
    assert np.abs(fused.astype(int) - unfused).max() <= 1


@pytest.mark.parametrize("mode", ["linear", "corner", "gaussian"])
def test_illumination_matches_albumentations_gain(mode: str) -> None:
    image = RGB.astype(np.float32) / 255
    t = iv.Illumination(mode=mode, intensity_range=(0.1, 0.3), p=1)
    for seed in range(4):
        out, prm = _run(t, image, seed)
        i = prm["intensity"]
        if mode == "linear":
            ref = AF.apply_linear_illumination(image, i, prm["angle"])
        elif mode == "corner":
            ref = AF.apply_corner_illumination(image, i, prm["corner"])
        else:
            ref = AF.apply_gaussian_illumination(image, i, tuple(prm["centre"]), prm["sigma"])
        np.testing.assert_allclose(out, np.clip(ref, 0, 1), atol=2e-3)


def test_illumination_brighten_and_darken_directions() -> None:
    image = np.full((40, 60, 3), 0.5, np.float32)
    up, _ = _run(iv.Illumination(mode="gaussian", effect_type="brighten", p=1), image, 0)
    down, _ = _run(iv.Illumination(mode="gaussian", effect_type="darken", p=1), image, 0)
    assert (up >= 0.5 - 1e-6).all() and (up > 0.5).any() and (down <= 0.5 + 1e-6).all() and (down < 0.5).any()
    # corner (albumentations' formula): the lit corner keeps its value, the gain falls with the distance to it
    for seed in range(4):
        out, prm = _run(iv.Illumination(mode="corner", effect_type="brighten", p=1), image, seed)
        cy, cx = [(0, 0), (0, 59), (39, 59), (39, 0)][prm["corner"]]
        assert abs(out[cy, cx, 0] - 0.5) < 1e-6
        yy, xx = np.mgrid[:40, :60]
        d = np.hypot(yy - cy, xx - cx).ravel()
        g = out[..., 0].ravel()[np.argsort(d, kind="stable")]
        assert (np.diff(g) <= 1e-6).all()


def test_plasma_pattern_equals_albumentations_for_the_same_generator() -> None:
    for shape, roughness in [((120, 160), 3.0), ((33, 65), 0.5)]:
        ours = W.plasma(shape, roughness, np.random.default_rng(9))
        ref = AF.generate_plasma_pattern(shape, roughness, np.random.default_rng(9))
        np.testing.assert_array_equal(ours, ref)
        assert ours.shape == shape and ours.min() == 0 and ours.max() == 1


def test_plasma_brightness_contrast_and_shadow_match_albumentations() -> None:
    image = RGB.astype(np.float32) / 255
    # albumentations' arithmetic clips every intermediate to [0, 1], so its negative factors have no effect:
    # compare where the formulas agree (positive factors)
    t = iv.PlasmaBrightnessContrast(brightness_range=(0.05, 0.3), contrast_range=(0.05, 0.3), p=1)
    for seed in range(3):
        out, prm = _run(t, image, seed)
        pattern = W.plasma(image.shape[:2], 3.0, prm["seed"])
        ref = AF.apply_plasma_brightness_contrast(image, prm["brightness"], prm["contrast"], pattern)
        np.testing.assert_allclose(out, ref, atol=1e-6)
    # negative brightness darkens exactly by b P where nothing clips
    out = iv.PlasmaBrightnessContrast().apply_image(image, {"brightness": -0.2, "contrast": 0.0, "seed": 4})
    pattern = W.plasma(image.shape[:2], 3.0, 4)[..., None]
    inside = (image - 0.2 * pattern > 0)
    np.testing.assert_allclose(out[inside], (image - np.float32(0.2) * pattern)[inside], atol=1e-6)
    out, prm = _run(iv.PlasmaShadow(p=1), image, 2)
    pattern = W.plasma(image.shape[:2], 3.0, prm["seed"])
    np.testing.assert_allclose(out, AF.apply_plasma_shadow(image, prm["intensity"], pattern), atol=1e-6)
    assert (out <= image + 1e-7).all()


def test_fancy_pca_adds_eigenvector_combination() -> None:
    image = RGB.astype(np.float32) / 255
    out, prm = _run(iv.FancyPCA(alpha=0.1, p=1), image, 0)
    alphas = np.asarray(prm["alphas"])
    cov = np.cov(image.reshape(-1, 3).astype(np.float64), rowvar=False)
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1]
    expected = vecs[:, order] @ (alphas * vals[order])
    # the added vector is the same at every unclipped pixel and equals V (alpha * lambda), eigenvalues descending
    inside = ((image + expected) > 0).all(axis=2) & ((image + expected) < 1).all(axis=2)
    added = (out - image)[inside].astype(np.float64)
    np.testing.assert_allclose(added, np.broadcast_to(expected, added.shape), atol=1e-6)
    assert expected.shape == (3,)


def test_fancy_pca_imagenet_constants() -> None:
    # fb.resnet.torch datasets/imagenet.lua pca: eigval and eigvec (columns are eigenvectors)
    np.testing.assert_array_equal(W.IMAGENET_EIGVAL, [0.2175, 0.0188, 0.0045])
    v = W.IMAGENET_EIGVEC
    np.testing.assert_allclose(v.T @ v, np.eye(3), atol=2e-3)  # orthonormal up to 4-digit rounding
    image = RGB.astype(np.float32) / 255
    out, prm = _run(iv.FancyPCA(alpha=0.1, eigen="imagenet", p=1), image, 1)
    shift = v @ (np.asarray(prm["alphas"]) * W.IMAGENET_EIGVAL)
    inside = ((image + shift) > 0).all(axis=2) & ((image + shift) < 1).all(axis=2)
    np.testing.assert_allclose((out - image)[inside], np.broadcast_to(shift, (int(inside.sum()), 3)), atol=1e-6)
    with pytest.raises(ValueError, match="eigen='image'"):
        iv.Compose([iv.FancyPCA(eigen="imagenet", p=1)])(image=image[..., :1])


@pytest.mark.parametrize(
    "t",
    [
        iv.RandomFog(p=1), iv.RandomRain(p=1), iv.RandomShadow(p=1), iv.Illumination(mode="gaussian", p=1),
        iv.PlasmaBrightnessContrast(p=1), iv.PlasmaShadow(p=1), iv.FancyPCA(p=1), iv.RandomToneCurve(p=1),
    ],
    ids=lambda t: type(t).__name__,
)
@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
def test_dtype_range_and_determinism(t: iv.Transform, dtype: str) -> None:
    image = photo(dtype, 4)
    a = iv.Compose([t], seed=5)(image=image)["image"]
    b = iv.Compose([t], seed=5)(image=image)["image"]
    top = {"uint8": 255, "uint16": 65535, "float32": 1.0}[dtype]
    assert a.dtype == image.dtype and a.shape == image.shape and a.min() >= 0 and a.max() <= top
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, image)


def test_bad_arguments_are_explained() -> None:
    with pytest.raises(ValueError, match="fog_coef_range"):
        iv.RandomFog(fog_coef_range=(0.5, 2))
    with pytest.raises(ValueError, match="rain_type"):
        iv.RandomRain(rain_type="snow")
    with pytest.raises(TypeError, match="shadow_roi"):
        iv.RandomShadow(shadow_roi=(0, 1))
    with pytest.raises(ValueError, match="temperature_limit"):
        iv.PlanckianJitter(temperature_limit=(1000, 5000))
    with pytest.raises(ValueError, match="OnChannels"):
        iv.Compose([iv.RandomSnow(p=1)])(image=photo("uint8", 1))


def test_task_check_reads_the_declared_effects() -> None:
    colour = iv.Task(name="ripeness", color_semantics=True)
    for t in (iv.PlanckianJitter(), iv.RandomSnow(), iv.RandomSunFlare(), iv.FancyPCA(), iv.ChannelDropout(), iv.RandomToneCurve(per_channel=True)):
        report = iv.check([t], colour)
        assert not report.ok and any(v.property == "color_semantics" for v in report.violations), type(t).__name__
    for t in (iv.RandomFog(), iv.RandomShadow(), iv.Illumination(), iv.PlasmaShadow(), iv.RandomToneCurve(), iv.GridDropout()):
        assert iv.check([t], colour).ok, type(t).__name__

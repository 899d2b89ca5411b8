"""RGBShift, ToSepia and UnsharpMask (hard and soft mask) against independent references: the numpy formula of a
per-channel shift, the sepia matrix applied in float64 numpy, and unsharp masking written out in the test (float64
numpy with OpenCV's Gaussian) plus albumentations' own kernel on float images; fused == op by op."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

import invariant as iv
from invariant.core import lut
from invariant.ops import color as C

PHOTOS = [np.ascontiguousarray(cv2.resize(f(), (160, 120), interpolation=cv2.INTER_AREA)) for f in (data.astronaut, data.coffee, data.chelsea)]
SEPIA = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])  # published constants


def _as(image8: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "uint8":
        return image8
    if dtype == "uint16":
        return image8.astype(np.uint16) * np.uint16(257)
    return (image8.astype(np.float32) / np.float32(255.0)).astype(np.float32)


def _run(transform: iv.Transform, image: np.ndarray, seed: int) -> tuple[np.ndarray, dict]:
    out = iv.Compose([transform], seed=seed)(image=image, return_params=True)
    return out["image"], out["params"][0]["params"]


# -- RGBShift -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
def test_rgb_shift_matches_the_numpy_formula(dtype: str) -> None:
    t = iv.RGBShift(0.2, (-0.3, 0.1), (0.05, 0.4), p=1)
    for seed, photo in enumerate(PHOTOS):
        image = _as(photo, dtype)
        out, params = _run(t, image, seed)
        shift = np.array(params["shift"])
        assert -0.2 <= shift[0] <= 0.2 and -0.3 <= shift[1] <= 0.1 and 0.05 <= shift[2] <= 0.4
        if dtype == "float32":
            expected = np.clip(image.astype(np.float64) + shift, 0.0, 1.0)
            np.testing.assert_allclose(out, expected, atol=1e-6)
        else:
            top = 255 if dtype == "uint8" else 65535
            expected = np.clip(image.astype(np.int64) + np.rint(shift * top).astype(np.int64), 0, top)
            np.testing.assert_array_equal(out, expected)
        assert out.dtype == image.dtype and out.shape == image.shape


def test_rgb_shift_uint16_consistent_with_uint8_after_scaling() -> None:
    t = iv.RGBShift(0.25, 0.25, 0.25, p=1)
    for seed, photo in enumerate(PHOTOS):
        out8, p8 = _run(t, photo, seed)
        out16, p16 = _run(t, _as(photo, "uint16"), seed)
        assert p8 == p16  # the same fractions drawn
        diff = np.abs(out16.astype(np.int64) - out8.astype(np.int64) * 257)
        assert diff.max() <= 129  # the shift rounds to whole uint8 levels (< 0.5 level = 128.5 uint16 levels)


def test_rgb_shift_fixed_shift_saturates() -> None:
    image = np.array([[[0, 128, 250], [10, 5, 255]]], np.uint8)
    out = iv.RGBShift((10 / 255, 10 / 255), (-20 / 255, -20 / 255), (0.0, 0.0), p=1)(image=image)["image"]
    np.testing.assert_array_equal(out, [[[10, 108, 250], [20, 0, 255]]])


@pytest.mark.parametrize("seed", range(6))
def test_fused_equals_op_by_op_exactly(seed: int) -> None:
    chains = [
        [iv.RGBShift(0.2, 0.2, 0.2, p=1), iv.RandomBrightnessContrast(0.3, 0.3, p=1), iv.Normalize()],
        [iv.RandomGamma((0.5, 2.0), p=1), iv.RGBShift(0.3, 0.3, 0.3, p=1), iv.Equalize(p=1)],
        [iv.RGBShift(0.2, 0.2, 0.2, p=1), iv.ColorJitter(brightness=0.4, contrast=0.4), iv.RGBShift(0.1, 0.1, 0.1, p=1), iv.Invert(p=1)],
    ]
    steps = chains[seed % len(chains)]
    image = PHOTOS[seed % len(PHOTOS)]
    fused = iv.Compose(steps, seed=seed, fuse=True)
    plain = iv.Compose(steps, seed=seed, fuse=False)
    for _ in range(3):
        a, b = fused(image=image)["image"], plain(image=image)["image"]
        assert a.dtype == b.dtype and np.array_equal(a, b), [type(s).__name__ for s in steps]


def test_rgb_shift_errors_and_channels() -> None:
    with pytest.raises(ValueError, match="r_shift_limit.*255"):
        iv.RGBShift(r_shift_limit=20)
    with pytest.raises(ValueError, match="b_shift_limit"):
        iv.RGBShift(b_shift_limit=(-30, 30))
    for channels in (1, 4):
        with pytest.raises(ValueError, match="RandomBrightnessContrast.*OnChannels"):
            iv.RGBShift(p=1)(image=np.zeros((8, 8, channels), np.uint8))
    rgbn = np.ascontiguousarray(np.concatenate([PHOTOS[0], PHOTOS[1][:, :, :1]], axis=2))
    out = iv.OnChannels(iv.RGBShift(0.2, 0.2, 0.2, p=1), channels=(0, 1, 2))(image=rgbn)["image"]
    np.testing.assert_array_equal(out[:, :, 3], rgbn[:, :, 3])
    assert not np.array_equal(out[:, :, :3], rgbn[:, :, :3])


# -- ToSepia ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
def test_sepia_matches_the_matrix_in_float64(dtype: str) -> None:
    for photo in PHOTOS:
        image = _as(photo, dtype)
        out = iv.ToSepia(p=1)(image=image)["image"]
        top = C.MAX_VALUE[dtype]
        exact = np.clip(image.astype(np.float64) @ SEPIA.T, 0.0, top)
        assert out.dtype == image.dtype and out.shape == image.shape
        if dtype == "float32":
            np.testing.assert_allclose(out, exact, atol=1e-5)
        else:
            assert np.abs(out.astype(np.float64) - exact).max() <= 1.0  # within 1 level
        # a sepia image is warm: red >= green >= blue before saturation
        assert (out[..., 0].astype(np.float64) >= out[..., 2]).all()


def test_sepia_refuses_non_rgb_with_a_fix() -> None:
    for channels in (1, 4):
        with pytest.raises(ValueError, match="sepia.*OnChannels"):
            iv.ToSepia(p=1)(image=np.zeros((8, 8, channels), np.uint8))


# -- UnsharpMask --------------------------------------------------------------------------------------------


def _unsharp_reference(image: np.ndarray, ksize: int, sigma: float, alpha: float, threshold: float) -> np.ndarray:
    """albumentations' unsharp-mask algorithm written out in float64, in the dtype's own units."""
    top = C.MAX_VALUE[image.dtype.name]
    x = image.astype(np.float64)

    def gauss(a: np.ndarray) -> np.ndarray:
        out = cv2.GaussianBlur(a, (ksize, ksize), sigmaX=sigma, borderType=cv2.BORDER_REFLECT_101)
        return out.reshape(a.shape)

    blur = gauss(x)
    residual = x - blur
    mask = (np.abs(residual) > threshold * top).astype(np.float64)
    sharp = np.clip(x + alpha * residual, 0.0, top)
    soft = gauss(mask)
    return sharp * soft + x * (1.0 - soft)


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
def test_unsharp_mask_soft_matches_the_reference(dtype: str) -> None:
    t = iv.UnsharpMask(blur_limit=(3, 9), sigma_limit=(0.0, 2.0), alpha=(0.2, 1.0), threshold=5 / 255, soft_mask=True, p=1)
    for seed, photo in enumerate(PHOTOS):
        image = _as(photo, dtype)
        out, params = _run(t, image, seed)
        expected = _unsharp_reference(image, params["kernel_size"], params["sigma"], params["alpha"], 5 / 255)
        assert out.dtype == image.dtype and out.shape == image.shape
        if dtype == "float32":
            np.testing.assert_allclose(out, expected, atol=2e-5)
        else:
            # float32 arithmetic rounded once; a pixel whose |detail| sits on the threshold may flip
            err = np.abs(out.astype(np.float64) - np.clip(np.rint(expected), 0, C.MAX_VALUE[dtype]))
            assert np.mean(err <= 1.0) > 0.999 and err.max() <= C.MAX_VALUE[dtype] * 0.01
        assert not np.array_equal(out, image)


def _unsharp_hard_reference(image: np.ndarray, ksize: int, sigma: float, alpha: float, threshold: float) -> np.ndarray:
    """PIL's / AlbumentationsX's hard-threshold unsharp mask written out in float64, in the dtype's own units:
    the sharpened value where |x - G(x)| > threshold, else x."""
    top = C.MAX_VALUE[image.dtype.name]
    x = image.astype(np.float64)
    blur = cv2.GaussianBlur(x, (ksize, ksize), sigmaX=sigma, borderType=cv2.BORDER_REFLECT_101).reshape(x.shape)
    sharp = np.clip(x + alpha * (x - blur), 0.0, top)
    return np.where(np.abs(x - blur) > threshold * top, sharp, x)


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
def test_unsharp_mask_hard_matches_the_reference(dtype: str) -> None:
    t = iv.UnsharpMask(blur_limit=(3, 9), sigma_limit=(0.0, 2.0), alpha=(0.2, 1.0), threshold=5 / 255, soft_mask=False, p=1)
    for seed, photo in enumerate(PHOTOS):
        image = _as(photo, dtype)
        out, params = _run(t, image, seed)
        expected = _unsharp_hard_reference(image, params["kernel_size"], params["sigma"], params["alpha"], 5 / 255)
        assert out.dtype == image.dtype and out.shape == image.shape
        top = C.MAX_VALUE[dtype]
        # the blur is rounded to the dtype (uint8: OpenCV's fixed point, within ~1 level), which moves the
        # sharpened value by up to alpha * 1.5 levels; a pixel whose |detail| is within 1.5 levels of the
        # threshold may switch, by at most alpha * (threshold + 2 levels) (+1 for rounding)
        unit = 1.0 if dtype != "float32" else 1 / 255
        x = image.astype(np.float64)
        blur = cv2.GaussianBlur(x, (params["kernel_size"],) * 2, sigmaX=params["sigma"], borderType=cv2.BORDER_REFLECT_101).reshape(x.shape)
        near = np.abs(np.abs(x - blur) - 5 / 255 * top) <= 1.5 * unit
        err = np.abs(out.astype(np.float64) - (expected if dtype == "float32" else np.rint(expected)))
        assert err[~near].max() <= 2 * unit and near.mean() < 0.25
        assert err.max() <= params["alpha"] * (5 / 255 * top + 2 * unit) + unit
        assert not np.array_equal(out, image)


def test_unsharp_mask_hard_is_albumentationsx_algorithm_on_uint8() -> None:
    """AlbumentationsX 2.5.1's ``unsharp_mask`` (cv2.GaussianBlur, cv2.addWeighted, a hard masked copy)
    written out with the same OpenCV calls: the same bytes."""
    image = PHOTOS[1]
    for ksize, sigma, alpha in ((3, 0.0, 0.5), (7, 1.5, 0.3), (5, 0.0, 1.0)):
        ours = iv.UnsharpMask(blur_limit=ksize, sigma_limit=sigma, alpha=alpha, threshold=10 / 255, soft_mask=False, p=1)(image=image)["image"]
        blurred = cv2.GaussianBlur(image, (ksize, ksize), sigmaX=sigma)
        sharpened = cv2.addWeighted(image, 1.0 + alpha, blurred, -alpha, 0)
        theirs = np.where(cv2.absdiff(image, blurred) > 10, sharpened, image)
        np.testing.assert_array_equal(ours, theirs)


def test_unsharp_mask_matches_albumentations_kernel_on_float() -> None:
    from albumentations.augmentations.pixel import functional as AF

    image = _as(PHOTOS[1], "float32")
    for ksize, sigma, alpha in ((3, 0.0, 0.5), (7, 1.5, 0.3), (5, 0.0, 1.0)):
        ours = iv.UnsharpMask(blur_limit=ksize, sigma_limit=sigma, alpha=alpha, threshold=10 / 255, soft_mask=True, p=1)(image=image)["image"]
        theirs = AF.unsharp_mask(image, ksize, sigma=sigma, alpha=alpha, threshold=10)
        np.testing.assert_allclose(ours, theirs, atol=1e-4)


@pytest.mark.parametrize("channels", [1, 2, 4, 7])
def test_unsharp_mask_any_channel_count(channels: int) -> None:
    image = np.ascontiguousarray(np.concatenate([PHOTOS[0], PHOTOS[1], PHOTOS[2]], axis=2)[:, :, :channels])
    out = iv.UnsharpMask(blur_limit=5, sigma_limit=1.0, alpha=0.5, threshold=0.0, p=1)(image=image)["image"]
    assert out.shape == image.shape and out.dtype == np.uint8
    for c in range(channels):  # each channel is sharpened on its own, as a 1-channel image would be
        single = iv.UnsharpMask(blur_limit=5, sigma_limit=1.0, alpha=0.5, threshold=0.0, p=1)(image=np.ascontiguousarray(image[:, :, c : c + 1]))["image"]
        np.testing.assert_array_equal(out[:, :, c : c + 1], single)


def test_unsharp_mask_identities() -> None:
    image = PHOTOS[2]
    same = iv.UnsharpMask(blur_limit=5, sigma_limit=1.0, alpha=0.0, p=1)(image=image)["image"]
    np.testing.assert_array_equal(same, image)  # alpha 0: nothing added
    flat = iv.UnsharpMask(blur_limit=5, sigma_limit=1.0, alpha=1.0, threshold=1.0, p=1)(image=image)["image"]
    np.testing.assert_array_equal(flat, image)  # no detail is above the full range: mask empty


def test_unsharp_mask_errors() -> None:
    with pytest.raises(ValueError, match="threshold.*255"):
        iv.UnsharpMask(threshold=10)
    with pytest.raises(ValueError, match="blur_limit"):
        iv.UnsharpMask(blur_limit=4)
    with pytest.raises(ValueError, match="sigma_limit"):
        iv.UnsharpMask(blur_limit=0, sigma_limit=0.0)
    with pytest.raises(ValueError, match="alpha"):
        iv.UnsharpMask(alpha=(0.2, 1.5))
    with pytest.raises(TypeError, match="threshold"):
        iv.UnsharpMask(threshold="10")
    with pytest.raises(TypeError, match="soft_mask"):
        iv.UnsharpMask(soft_mask="yes")


def test_rgb_shift_stays_out_of_table_runs_and_neighbours_still_fuse(monkeypatch: pytest.MonkeyPatch) -> None:
    # a per-channel table would make the run slower than op by op (docs/pixel.md): RGBShift runs its own
    # cv2.add, RandomBrightnessContrast + RandomGamma after it still become one table pass
    from invariant.transforms.intensity import RGBShift, RandomGamma

    steps = [iv.RGBShift(0.2, 0.2, 0.2, p=1), iv.RandomBrightnessContrast(0.3, 0.3, p=1), iv.RandomGamma(p=1), iv.Normalize()]
    expected = iv.Compose(steps, seed=5, fuse=False)(image=PHOTOS[0])["image"]
    calls = []
    real = RGBShift.apply_image
    monkeypatch.setattr(RGBShift, "apply_image", lambda self, image, params: calls.append(1) or real(self, image, params))

    def refuse(self: RandomGamma, image: np.ndarray, params: dict) -> np.ndarray:
        raise AssertionError("RandomGamma ran op by op: its table run with RandomBrightnessContrast was not fused")

    monkeypatch.setattr(RandomGamma, "apply_image", refuse)
    np.testing.assert_array_equal(iv.Compose(steps, seed=5, fuse=True)(image=PHOTOS[0])["image"], expected)
    assert calls == [1] and not lut.capable(steps[0])


def test_limit_errors_suggest_the_converted_value() -> None:
    with pytest.raises(ValueError, match=r"r_shift_limit=\(-0.1176, 0.1176\)"):
        iv.RGBShift(r_shift_limit=(-30, 30))
    with pytest.raises(ValueError, match=r"threshold=0.0392"):
        iv.UnsharpMask(threshold=10)
    with pytest.raises(ValueError, match=">= 0"):
        iv.UnsharpMask(threshold=-0.1)
    with pytest.raises(ValueError, match="largest threshold is 1.0"):
        iv.UnsharpMask(threshold=300)

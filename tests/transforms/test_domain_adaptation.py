"""HistogramMatching, FDA and PixelDistributionAdaptation against independent references: scikit-image's
match_histograms, the FDA paper's amplitude swap written out with numpy's FFT plus its mean identity,
scikit-learn's PCA / StandardScaler / MinMaxScaler, albumentations 2.0.8's kernels. References are real
photos (scikit-image's bundled data)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import invariant as iv
from invariant.ops import domain_adaptation as D

from ..conftest import photo


def _coffee(size: tuple[int, int] = (40, 56)) -> np.ndarray:
    import cv2
    from skimage import data

    return cv2.resize(data.coffee(), (size[1], size[0]), interpolation=cv2.INTER_AREA)


def _apply(t: iv.Transform, image: np.ndarray, seed: int = 0) -> tuple[np.ndarray, dict]:
    out = iv.Compose([t], seed=seed)(image=image, return_params=True)
    return out["image"], out["params"][0]["params"]


@pytest.mark.parametrize("dtype", ("uint8", "uint16", "float32"))
def test_histogram_matching_equals_skimage(dtype: str) -> None:
    from skimage.exposure import match_histograms

    image = photo(dtype, 3)
    ref = _coffee()
    out, _ = _apply(iv.HistogramMatching([ref], blend_ratio=1.0, p=1), image)
    top = {"uint8": 255, "uint16": 65535, "float32": 1.0}[dtype]
    expected = match_histograms(image.astype(np.float64) / top, ref.astype(np.float64) / 255, channel_axis=-1) * top
    if dtype == "float32":
        np.testing.assert_allclose(out, expected, atol=1e-6)
    else:
        np.testing.assert_array_equal(out, np.clip(np.rint(expected), 0, top).astype(dtype))


def test_histogram_matching_blend() -> None:
    image, ref = photo("float32", 3), _coffee()
    out, params = _apply(iv.HistogramMatching([ref], blend_ratio=(0.3, 0.6), p=1), image)
    full = D.match_histograms(image.astype(np.float64), ref / 255.0)
    np.testing.assert_allclose(out, (1 - params["blend"]) * image + params["blend"] * full, atol=1e-6)


def _paper_fda(src: np.ndarray, trg: np.ndarray, beta: float) -> np.ndarray:
    """Yang & Soatto's FDA_source_to_target_np (one channel), written out."""
    fs, ft = np.fft.fft2(src), np.fft.fft2(trg)
    amp_s, pha_s, amp_t = np.abs(fs), np.angle(fs), np.abs(ft)
    a_s, a_t = np.fft.fftshift(amp_s), np.fft.fftshift(amp_t)
    h, w = src.shape
    b = int(np.floor(min(h, w) * beta))
    c_h, c_w = int(np.floor(h / 2.0)), int(np.floor(w / 2.0))
    a_s[c_h - b : c_h + b + 1, c_w - b : c_w + b + 1] = a_t[c_h - b : c_h + b + 1, c_w - b : c_w + b + 1]
    a_s = np.fft.ifftshift(a_s)
    return np.real(np.fft.ifft2(a_s * np.exp(1j * pha_s)))


def test_fda_matches_paper_code_and_mean_identity() -> None:
    image = photo("float32", 3).astype(np.float64)
    ref = _coffee(image.shape[:2]) / 255.0
    for beta in (0.0, 0.05, 0.1):
        out = D.fda(image, ref, beta)
        for c in range(3):
            np.testing.assert_allclose(out[:, :, c], _paper_fda(image[:, :, c], ref[:, :, c], beta), atol=1e-10)
            assert abs(out[:, :, c].mean() - ref[:, :, c].mean()) < 1e-10  # the DC term is the reference's
    # the phase is the image's: with the reference = the image itself nothing changes
    np.testing.assert_allclose(D.fda(image, image, 0.1), image, atol=1e-10)


@pytest.mark.parametrize("shape", ((1, 1), (2, 3), (5, 4), (31, 40), (64, 33)))
def test_fda_matches_paper_code_on_odd_and_tiny_shapes(shape: tuple[int, int]) -> None:
    """Odd sides put the centre of the shifted spectrum off the middle; tiny ones make the window the whole
    spectrum; a zero coefficient has phase 0 (the paper's formula then gives the reference's amplitude)."""
    rng = np.random.default_rng(sum(shape))
    image, ref = rng.random(shape + (2,)), rng.random(shape + (2,))
    image[:, :, 1] = 0.25  # a flat channel: every non-DC coefficient is zero
    for beta in (0.0, 0.1, 0.3, 0.5):
        out = D.fda(image, ref, beta)
        for c in range(2):
            np.testing.assert_allclose(out[:, :, c], _paper_fda(image[:, :, c], ref[:, :, c], beta), atol=1e-10)


def test_fda_transform_resizes_reference_and_clips() -> None:
    image = photo("uint8", 3)
    ref = _coffee((80, 120))
    out, params = _apply(iv.FDA([ref], beta_limit=(0.05, 0.05), p=1), image)
    import cv2

    small = cv2.resize(ref / 255.0, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_AREA)
    expected = np.clip(D.fda(image / 255.0, small, 0.05), 0, 1) * 255
    np.testing.assert_allclose(out, expected, atol=0.5 + 1e-3)


@pytest.mark.parametrize("kind", ("pca", "standard", "minmax"))
def test_pixel_distribution_adaptation_equals_sklearn(kind: str) -> None:
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    image = photo("float32", 3).astype(np.float64)
    ref = _coffee() / 255.0
    make = {"pca": PCA, "standard": StandardScaler, "minmax": MinMaxScaler}[kind]
    own, theirs = make().fit(image.reshape(-1, 3)), make().fit(ref.reshape(-1, 3))
    expected = theirs.inverse_transform(own.transform(image.reshape(-1, 3))).reshape(image.shape)
    np.testing.assert_allclose(D.pixel_distribution_adaptation(image, ref, kind), expected, atol=1e-9)


def test_pixel_distribution_adaptation_moments() -> None:
    image = photo("float32", 3)
    ref = _coffee() / 255.0
    x, r = image.reshape(-1, 3).astype(np.float64), ref.reshape(-1, 3)
    # "standard", unclipped: per-channel means and standard deviations become the reference's
    std = D.pixel_distribution_adaptation(image.astype(np.float64), ref, "standard").reshape(-1, 3)
    np.testing.assert_allclose(std.mean(0), r.mean(0), atol=1e-12)
    np.testing.assert_allclose(std.std(0), r.std(0), atol=1e-12)
    # "pca" (no whitening, as albumentations): the reference's mean and principal axes, the image's variances
    pca = D.pixel_distribution_adaptation(image.astype(np.float64), ref, "pca").reshape(-1, 3)
    np.testing.assert_allclose(pca.mean(0), r.mean(0), atol=1e-12)
    img_var = np.linalg.eigvalsh(np.cov(x.T))  # ascending
    ref_vec = np.linalg.eigh(np.cov(r.T))[1]
    np.testing.assert_allclose(np.cov(pca.T), ref_vec @ np.diag(img_var) @ ref_vec.T, atol=1e-12)
    out, _ = _apply(iv.PixelDistributionAdaptation([(ref * 255).round().astype(np.uint8)], blend_ratio=1.0, transform_type="standard", p=1), image)
    expected = np.clip(D.pixel_distribution_adaptation(image.astype(np.float64), np.round(ref * 255) / 255, "standard"), 0, 1)
    np.testing.assert_allclose(out, expected, atol=1e-5)  # the transform fits the image's statistics in float32


def test_references_callable_names_and_serialization(tmp_path) -> None:
    image = photo("uint8", 3)
    ref = _coffee()
    by_array = _apply(iv.HistogramMatching([ref], p=1), image, seed=4)[0]
    by_fn = _apply(iv.HistogramMatching(lambda: [ref], p=1), image, seed=4)[0]
    np.testing.assert_array_equal(by_array, by_fn)
    pipe = iv.Compose([iv.PixelDistributionAdaptation([ref, photo("uint16", 3)], p=1)], seed=2)
    restored = iv.from_dict(iv.to_dict(pipe))  # arrays are written as [0, 1] floats: the uint16 one keeps its scale
    np.testing.assert_array_equal(restored(image=image)["image"], pipe(image=image)["image"])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(pipe))(image=image)["image"], pipe(image=image)["image"])
    named = _apply(iv.FDA(["coffee"], p=1), image)[0]
    assert named.shape == image.shape


def test_bad_references_raise() -> None:
    with pytest.raises(TypeError):
        iv.FDA(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(TypeError):
        iv.FDA([])
    with pytest.raises(ValueError):
        iv.HistogramMatching([np.zeros((8, 8, 3), np.int32)])
    with pytest.raises(ValueError):
        iv.HistogramMatching(["no_such_photo"])
    with pytest.raises(ValueError):
        iv.FDA([_coffee()], beta_limit=(0.1, 0.9))
    with pytest.raises(ValueError):
        iv.PixelDistributionAdaptation([_coffee()], transform_type="ica")


@pytest.mark.parametrize("dtype", ("uint8", "float32"))
@pytest.mark.parametrize("kind", ("pca", "standard", "minmax"))
def test_pixel_distribution_adaptation_of_one_pixel_is_finite(dtype: str, kind: str) -> None:
    """A 1x1 image has no spread (np.cov's n - 1 denominator is 0: NaN, then LinAlgError in eigh before)."""
    ref = _coffee((8, 8))
    image = photo(dtype, 3)[:1, :1]
    out = iv.Compose([iv.PixelDistributionAdaptation([ref], transform_type=kind, p=1)], seed=0)(image=image)["image"]
    assert out.shape == image.shape and out.dtype == image.dtype and np.isfinite(out.astype(np.float64)).all()
    one = iv.Compose([iv.PixelDistributionAdaptation([image], transform_type=kind, p=1)], seed=0)(image=photo(dtype, 3))["image"]
    assert np.isfinite(one.astype(np.float64)).all()  # a one-pixel reference too

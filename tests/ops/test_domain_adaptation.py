"""The PCA fit's statistics kernels against numpy: ``column_means`` is ``ndarray.mean(axis=0)`` and
``covariance`` is ``np.cov(rowvar=False)``, bit for bit (PixelDistributionAdaptation's outputs depend on
every bit of both through the rounding of the adapted image)."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from invariant.ops import domain_adaptation as D


def _pixel_rows() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    photos = [data.astronaut(), data.coffee(), data.chelsea()]
    rows = [p.reshape(-1, 3).astype(np.float32) * np.float32(1 / 255) for p in photos]  # how the transform calls it
    rows += [(rng.integers(0, 65536, (4097, 3)).astype(np.float32) * np.float32(1 / 65535))]
    for c in (1, 2, 3, 4, 5):
        for dtype in (np.float32, np.float64):
            # values over six decades per column: a sum in another order rounds differently
            scale = 10.0 ** rng.integers(-3, 4, (1, c))
            rows.append((rng.random((int(rng.integers(2, 50_000)), c)) * scale).astype(dtype))
    rows.append(data.coffee().reshape(-1, 3))  # uint8: numpy's own mean (float64 accumulation)
    return rows


@pytest.mark.parametrize("index", range(len(_pixel_rows())))
def test_column_means_and_covariance_equal_numpy_bit_for_bit(index: int) -> None:
    pixels = _pixel_rows()[index]
    means, expected = D.column_means(pixels), pixels.mean(axis=0)
    assert means.dtype == expected.dtype and np.array_equal(means, expected)
    c = pixels.shape[1]
    cov, expected_cov = D.covariance(pixels), np.cov(pixels, rowvar=False).reshape(c, c)
    assert cov.shape == (c, c) and cov.dtype == expected_cov.dtype and np.array_equal(cov, expected_cov)


def test_covariance_of_two_rows_and_a_strided_view_equal_numpy() -> None:
    pixels = np.array([[0.1, 0.7, 0.2], [0.4, 0.3, 0.9]], np.float32)
    assert np.array_equal(D.covariance(pixels), np.cov(pixels, rowvar=False))
    strided = np.random.default_rng(1).random((300, 6)).astype(np.float32)[:, ::2]  # not C-contiguous
    assert np.array_equal(D.column_means(strided), strided.mean(axis=0))
    assert np.array_equal(D.covariance(strided), np.cov(strided, rowvar=False))

"""Domain-adaptation kernels: histogram matching, Fourier domain adaptation, pixel-distribution adaptation.
Inputs are float64 arrays in [0, 1] (HWC) so that an image and its reference of any dtype compare in the same
units; callers convert back to the image's dtype."""

from __future__ import annotations

import cv2
import numpy as np

from .color import max_value
from .geometric import CV_MAX_CHANNELS


def to_unit(image: np.ndarray) -> np.ndarray:
    """HWC float64 in [0, 1] (uint8 / 255, uint16 / 65535, float32 as is)."""
    x = np.asarray(image)
    x = x if x.ndim == 3 else x[:, :, None]
    return x.astype(np.float64) / max_value(x.dtype) if x.dtype != np.float64 else x


def fit_reference(reference: np.ndarray, shape: tuple[int, int], channels: int, resize: bool) -> np.ndarray:
    """The reference in [0, 1] with the image's channel count (a reference with another count is reduced to its
    channel mean, repeated) and, when ``resize``, the image's size (INTER_AREA)."""
    ref = to_unit(reference)
    if ref.shape[2] != channels:
        ref = np.repeat(ref.mean(axis=2, keepdims=True), channels, axis=2)
    if resize and ref.shape[:2] != tuple(shape):  # per plane: cv2.resize takes at most 4 channels
        ref = np.dstack([cv2.resize(np.ascontiguousarray(ref[:, :, c]), (shape[1], shape[0]), interpolation=cv2.INTER_AREA) for c in range(channels)])
    return ref


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(distinct values in [0, 1] units, their counts, the index of each element's value or None for integer
    planes, whose values index the table directly): bincount for uint8/uint16 (no sort), np.unique otherwise."""
    flat = values.ravel()
    if flat.dtype in (np.uint8, np.uint16):
        counts = np.bincount(flat, minlength=int(max_value(flat.dtype)) + 1)
        present = np.flatnonzero(counts)
        return present / max_value(flat.dtype), counts[present], None
    distinct, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True)
    return distinct.astype(np.float64) / (1.0 if flat.dtype.kind == "f" else max_value(flat.dtype)), counts, inverse


def match_cumulative_cdf(source: np.ndarray, template: np.ndarray) -> np.ndarray:
    """One channel of ``skimage.exposure.match_histograms`` (its general path), in [0, 1] units: each distinct
    source value goes to the template value at the same quantile (linear interpolation between template
    quantiles). Planes are uint8, uint16 (counted with a bincount and mapped with a table) or float."""
    values, counts, inverse = _distinct(source)
    t_values, t_counts, _ = _distinct(template)
    s_q = np.cumsum(counts) / source.size
    t_q = np.cumsum(t_counts) / template.size
    mapped = np.interp(s_q, t_q, t_values)
    if inverse is not None:
        return mapped[inverse].reshape(source.shape)
    table = np.zeros(int(max_value(source.dtype)) + 1)
    table[np.rint(values * max_value(source.dtype)).astype(np.intp)] = mapped
    return table[source]


def match_table(source: np.ndarray, template: np.ndarray) -> np.ndarray:
    """For a uint8/uint16 ``source`` plane: the matched value in [0, 1] of every level 0..max (levels absent
    from the source keep their own value; they are never looked up)."""
    return match_tables(source[:, :, None], template[:, :, None])[:, 0]


def _channel_distinct(image: np.ndarray, c: int) -> tuple[np.ndarray, np.ndarray]:
    """``_distinct(image[:, :, c])[:2]`` of an HWC image. uint8 channels are counted with cv2.calcHist on the
    interleaved image (no strided copy of the channel; same integer counts as the bincount)."""
    if image.dtype == np.uint8 and image.shape[0] * image.shape[1] < 2**24 and image.shape[2] <= CV_MAX_CHANNELS:  # calcHist counts are float32
        counts = cv2.calcHist([image], [c], None, [256], [0, 256]).reshape(256).astype(np.int64)
        present = np.flatnonzero(counts)
        return present / 255.0, counts[present]
    values, counts, _ = _distinct(image[:, :, c])
    return values, counts


def match_tables(image: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``match_table`` of every channel of a uint8/uint16 HWC ``image`` against the same channel of an HWC
    ``reference`` (any dtype, same channel count): a (levels, C) float64 table in [0, 1]."""
    top = max_value(image.dtype)
    size, t_size = image.shape[0] * image.shape[1], reference.shape[0] * reference.shape[1]
    reference = np.ascontiguousarray(reference) if reference.dtype == np.uint8 else reference
    tables = np.empty((int(top) + 1, image.shape[2]))
    for c in range(image.shape[2]):
        values, counts = _channel_distinct(image, c)
        t_values, t_counts = _channel_distinct(reference, c)
        table = tables[:, c]
        table[:] = np.arange(int(top) + 1) / top
        table[np.rint(values * top).astype(np.intp)] = np.interp(np.cumsum(counts) / size, np.cumsum(t_counts) / t_size, t_values)
    return tables


def match_histograms(image: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Per-channel histogram matching (scikit-image semantics), float64 [0, 1] result; both HWC with the same
    channel count, each uint8, uint16 or float ([0, 1])."""
    return np.dstack([match_cumulative_cdf(image[:, :, c], reference[:, :, c]) for c in range(image.shape[2])])


def fda(image: np.ndarray, reference: np.ndarray, beta: float) -> np.ndarray:
    """Fourier domain adaptation (Yang & Soatto 2020, "FDA: Fourier domain adaptation for semantic segmentation",
    CVPR; their ``low_freq_mutate_np``): per channel, replace the amplitude spectrum of ``image`` inside the
    centred square of half-side ``b = floor(min(h, w) beta)`` (rows ``h//2 - b .. h//2 + b``) by the
    reference's, keep the image's phase, and return the real part of the inverse FFT (unclipped). The DC
    term is always swapped, so each channel's mean becomes the reference's."""
    h, w, c = image.shape
    b = int(np.floor(min(h, w) * beta))
    ch, cw = h // 2, w // 2
    h1, h2, w1, w2 = max(0, ch - b), min(h, ch + b + 1), max(0, cw - b), min(w, cw + b + 1)
    # the window in the unshifted spectrum (fftshift moves index u to (u + n // 2) mod n); outside it the
    # spectrum is kept as it is rather than rebuilt from its amplitude and phase, and inside it the swap is
    # ``F * |R| / |F|`` (``|R|`` where F = 0, whose phase is 0): the paper's ``|R| exp(i angle(F))`` without
    # the polar round trip over the whole spectrum; every channel in one 2-D FFT each way
    window = np.ix_((np.arange(h1, h2) - ch) % h, (np.arange(w1, w2) - cw) % w)
    spectrum = np.fft.fft2(image, axes=(0, 1))
    target = np.abs(np.fft.fft2(reference, axes=(0, 1))[window])
    inner = spectrum[window]
    size = np.abs(inner)
    nonzero = size > 0
    spectrum[window] = np.where(nonzero, inner * (target / np.where(nonzero, size, 1.0)), target)
    return np.fft.ifft2(spectrum, axes=(0, 1)).real


def column_means(pixels: np.ndarray) -> np.ndarray:
    """``pixels.mean(axis=0)`` of (n, c) pixels, bit for bit, ~3x faster for float rows. numpy reduces a
    C-contiguous (n, c) array along axis 0 one row after another (per column a sequential sum in the array's
    float type, c-long inner loops); ``cv2.integral`` of the (n, 1, c) column adds in the same order
    (tests/ops/test_domain_adaptation.py checks the two agree). The sum is divided by the count as numpy's
    mean does (an intp count: in float64, cast back)."""
    n, c = pixels.shape
    depth = {np.dtype(np.float32): cv2.CV_32F, np.dtype(np.float64): cv2.CV_64F}.get(pixels.dtype)
    if depth is None or not 2 <= c <= 4 or n < 2 or not pixels.flags.c_contiguous:  # one column: numpy sums pairwise
        return pixels.mean(axis=0)
    sums = cv2.integral(pixels.reshape(n, 1, c), sdepth=depth).reshape(n + 1, 2, c)[-1, -1].copy()
    return np.true_divide(sums, np.intp(n), out=sums, casting="unsafe")


def covariance(pixels: np.ndarray) -> np.ndarray:
    """``np.cov(pixels, rowvar=False)`` of (n, c) pixels as a (c, c) array, bit for bit: the same float64
    copy, centring and BLAS product as numpy's, with the column means from ``column_means``."""
    n, c = pixels.shape
    if n < 2:  # one pixel has no spread (np.cov's n - 1 = 0 would give NaN, and eigh then raises)
        return np.zeros((c, c))
    x = np.array(pixels, dtype=np.float64)
    x -= column_means(x)
    xt = x.T  # np.cov's (c, n) view: dot(X, X.T) of the same memory takes the same BLAS path (syrk)
    cov = np.dot(xt, xt.T.conj())
    cov *= np.true_divide(1, n - 1)
    return cov


class Fitted:
    """A per-channel-vector transform fitted on (n, c) pixels: "pca" (centre, rotate to principal axes,
    scikit-learn's sign rule: the largest-magnitude entry of each axis positive), "standard" (zero mean, unit
    variance), "minmax" (to [0, 1])."""

    def __init__(self, kind: str, pixels: np.ndarray) -> None:
        self.kind = kind
        if kind == "pca":
            self.mean = column_means(pixels)
            # principal axes from the c x c covariance (eigh; descending variance), not an SVD of all pixels
            _, vecs = np.linalg.eigh(covariance(pixels))
            vt = vecs[:, ::-1].T
            signs = np.sign(vt[np.arange(len(vt)), np.argmax(np.abs(vt), axis=1)])
            signs[signs == 0] = 1.0
            self.axes = vt * signs[:, None]
        elif kind == "standard":
            self.mean = pixels.mean(axis=0)
            std = pixels.std(axis=0)
            self.scale = np.where(std > 0, std, 1.0)
        else:
            self.low = pixels.min(axis=0)
            span = pixels.max(axis=0) - self.low
            self.scale = np.where(span > 0, span, 1.0)

    def forward(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "pca":
            return (x - self.mean) @ self.axes.T
        if self.kind == "standard":
            return (x - self.mean) / self.scale
        return (x - self.low) / self.scale

    def inverse(self, z: np.ndarray) -> np.ndarray:
        if self.kind == "pca":
            return z @ self.axes + self.mean
        if self.kind == "standard":
            return z * self.scale + self.mean
        return z * self.scale + self.low


def adaptation_affine(image: np.ndarray, reference: "np.ndarray | Fitted", kind: str) -> tuple[np.ndarray, np.ndarray]:
    """``(M, t)`` with ``reference_fit.inverse(image_fit.forward(x)) = x @ M + t`` for pixel rows ``x``: every
    ``kind`` is an affine map of the channel vector, so the adaptation is one matrix product per pixel."""
    c = image.shape[-1]
    own = Fitted(kind, image.reshape(-1, c))
    ref = reference if isinstance(reference, Fitted) else Fitted(kind, reference.reshape(-1, c))
    if kind == "pca":
        m = own.axes.T @ ref.axes
        return m, ref.mean - own.mean @ m
    if kind == "standard":
        m = np.diag(ref.scale / own.scale)
        return m, ref.mean - own.mean @ m
    m = np.diag(ref.scale / own.scale)
    return m, ref.low - own.low @ m


def pixel_distribution_adaptation(image: np.ndarray, reference: np.ndarray, kind: str) -> np.ndarray:
    """Albumentations' PixelDistributionAdaptation: fit ``kind`` ("pca", "standard", "minmax") on the image's
    pixels and on the reference's, map the image into the image-fitted space and back out through the
    reference-fitted inverse, so the image takes on the reference's per-channel (or principal-axis) statistics."""
    h, w, c = image.shape
    m, t = adaptation_affine(image, reference, kind)
    return (image.reshape(-1, c) @ m + t).reshape(h, w, c)

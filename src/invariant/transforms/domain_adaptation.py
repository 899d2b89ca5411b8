"""Domain adaptation from reference images: HistogramMatching, FDA, PixelDistributionAdaptation. Kernels in
``ops.domain_adaptation``. References are given by the caller and never downloaded: a list of arrays (uint8,
uint16 or float32, HW or HWC), names of scikit-image's bundled photos (``"coffee"``; needs scikit-image), or a
callable returning such a list (called once, on first use). Each call draws one reference (its index is in the
params, so a replay uses the same one). Image and reference are compared in [0, 1] units, so their dtypes
may differ; a reference with another channel count is reduced to its channel mean (repeated per channel)."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.transform import Params, Transform, as_range, check_choice
from ..ops import domain_adaptation as D
from ..ops.color import apply_table, max_value, to_dtype

References = Sequence[Any] | Callable[[], Sequence[Any]]
_FIX = "pass a list of HWC arrays, e.g. reference_images=[ref1, ref2], photo names such as ['coffee'], or a function returning a list"


def _bundled_photo(name: str) -> np.ndarray:
    try:
        from skimage import data as skdata
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"reference image {name!r} names a scikit-image photo: pip install scikit-image") from exc
    if not hasattr(skdata, name):
        value_error("reference_images", "arrays or scikit-image photo names such as 'coffee', 'astronaut', 'chelsea'", name, _FIX)
    image = np.asarray(getattr(skdata, name)())
    return np.ascontiguousarray(image[:, :, :3] if image.ndim == 3 else image)


def _as_reference(item: Any) -> np.ndarray:
    """One reference as an array: an image array, a photo name, or nested lists of [0, 1] floats (how to_dict
    writes an array)."""
    if isinstance(item, str):
        return _bundled_photo(item)
    if isinstance(item, list):
        item = np.asarray(item, np.float32)
        if item.dtype != np.float32 or not (item.min() >= 0 and item.max() <= 1):
            value_error("reference_images", "nested lists of floats in [0, 1] (an array written by to_dict)", "a list outside [0, 1]", _FIX)
    if not isinstance(item, np.ndarray):
        type_error("reference_images", "image arrays, photo names or a function returning them", item, _FIX)
    if item.ndim not in (2, 3) or item.dtype not in (np.uint8, np.uint16, np.float32) or min(item.shape[:2]) < 1:
        value_error("reference_images", "HW or HWC arrays of uint8, uint16 or float32", f"{item.dtype} array of shape {item.shape}", _FIX)
    if item.dtype == np.float32 and not np.isfinite(item).all():
        value_error("reference_images", "finite float32 values", "NaN or infinity", _FIX)
    return item


class ReferenceTransform(Transform):
    """Shared handling of ``reference_images`` (see the module docstring)."""

    _abstract = True

    def _init_references(self, reference_images: References) -> None:
        if callable(reference_images):
            self._source: Any = reference_images
            self._references: list[np.ndarray] | None = None
            return
        if isinstance(reference_images, (str, np.ndarray)) or not isinstance(reference_images, (list, tuple)) or not reference_images:
            type_error("reference_images", "a non-empty list of references or a function returning one", reference_images, _FIX)
        self._source = list(reference_images)
        self._references = [_as_reference(r) for r in reference_images]
        # record arrays as [0, 1] float32 so to_dict / from_dict keep their scale whatever their dtype
        recorded = [r if isinstance(r, str) else (a if a.dtype == np.float32 else (a / np.float32(max_value(a.dtype))).astype(np.float32)) for r, a in zip(reference_images, self._references)]
        if hasattr(self, "_init_args"):
            self._init_args["reference_images"] = recorded

    def references(self) -> list[np.ndarray]:
        if self._references is None:
            got = self._source()
            if not isinstance(got, (list, tuple)) or not got:
                type_error("reference_images", "a function returning a non-empty list of images", got, _FIX)
            self._references = [_as_reference(r) for r in got]
        return self._references

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if callable(state.get("_source")):
            state["_references"] = None  # reload in the worker (a function may hold large data lazily)
        return state

    def _pick(self, rng: np.random.Generator) -> int:
        return int(rng.integers(0, len(self.references())))

    def _reference(self, params: Params, image: np.ndarray, resize: bool) -> np.ndarray:
        return D.fit_reference(self.references()[params["index"]], image.shape[:2], image.shape[2], resize)

    def effects(self) -> Effects:
        return Effects(alters_intensity=True, alters_color=True)


def _finish(unit: np.ndarray, dtype: np.dtype) -> np.ndarray:
    return to_dtype(unit * max_value(dtype), dtype)


class HistogramMatching(ReferenceTransform):
    """Match each channel's histogram to a reference's (scikit-image's ``exposure.match_histograms``: every
    value goes to the reference value at the same quantile), then blend ``(1 - r) x + r matched`` with
    ``r`` ~ U[blend_ratio] (as albumentations' HistogramMatching). The reference keeps its own size."""

    example_args = {"reference_images": ["coffee"]}

    def __init__(self, reference_images: References, blend_ratio: float | tuple[float, float] = (0.5, 1.0), p: float = 0.5) -> None:
        super().__init__(p)
        self._init_references(reference_images)
        self.blend_ratio = as_range(blend_ratio, "blend_ratio", low=0.0, high=1.0)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"index": self._pick(rng), "blend": float(rng.uniform(*self.blend_ratio))}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        ref = self.references()[params["index"]]
        ref = ref if ref.ndim == 3 else ref[:, :, None]
        if ref.shape[2] != image.shape[2]:
            ref = self._reference(params, image, resize=False)  # the channel mean in [0, 1], repeated
        b = params["blend"]
        if image.dtype == np.float32:
            x = D.to_unit(image)
            return _finish(x + b * (D.match_histograms(image, ref) - x), image.dtype)
        # integer images: one table per channel (value -> blended matched value)
        top = max_value(image.dtype)
        levels = (np.arange(int(top) + 1) / top)[:, None]
        tables = _finish(levels + b * (D.match_tables(image, ref) - levels), image.dtype)
        if image.dtype == np.uint8:
            return apply_table(image, tables)  # one SIMD translation per plane
        out = np.empty_like(image)
        for c in range(image.shape[2]):
            out[:, :, c] = tables[:, c][image[:, :, c]]
        return out


class FDA(ReferenceTransform):
    """Fourier domain adaptation (Yang & Soatto 2020, CVPR): the low-frequency amplitude spectrum (a centred
    square of half-side ``floor(min(h, w) beta)``, ``beta`` ~ U[beta_limit]) is taken from a reference resized
    to the image, the phase is kept (``ops.domain_adaptation.fda``). The paper uses beta 0.01 to 0.09."""

    example_args = {"reference_images": ["coffee"]}

    def __init__(self, reference_images: References, beta_limit: float | tuple[float, float] = (0.0, 0.1), p: float = 0.5) -> None:
        super().__init__(p)
        self._init_references(reference_images)
        self.beta_limit = as_range(beta_limit, "beta_limit", low=0.0, high=0.5)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"index": self._pick(rng), "beta": float(rng.uniform(*self.beta_limit))}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        out = D.fda(D.to_unit(image), self._reference(params, image, resize=True), params["beta"])
        return _finish(np.clip(out, 0.0, 1.0), image.dtype)


class PixelDistributionAdaptation(ReferenceTransform):
    """Give the image a reference's pixel distribution (albumentations' PixelDistributionAdaptation): fit
    ``transform_type`` ("pca", "standard", "minmax") on the image's pixels and on the reference's, map the image
    through its own forward transform and the reference's inverse, blend ``(1 - r) x + r adapted`` with ``r`` ~
    U[blend_ratio]. Computed in float64 [0, 1] units for every dtype (albumentations goes through uint8)."""

    example_args = {"reference_images": ["coffee"]}

    def __init__(
        self,
        reference_images: References,
        blend_ratio: float | tuple[float, float] = (0.25, 1.0),
        transform_type: str = "pca",
        p: float = 0.5,
    ) -> None:
        super().__init__(p)
        self._init_references(reference_images)
        self.blend_ratio = as_range(blend_ratio, "blend_ratio", low=0.0, high=1.0)
        self.transform_type = check_choice(transform_type, "transform_type", ("pca", "standard", "minmax"))

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"index": self._pick(rng), "blend": float(rng.uniform(*self.blend_ratio))}

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        h, w, c = image.shape
        key = (params["index"], c)
        cache = self.__dict__.setdefault("_fits", {})
        if key not in cache:  # the reference's fit depends only on the reference and the channel count
            cache[key] = D.Fitted(self.transform_type, self._reference(params, image, resize=False).reshape(-1, c))
        levels = image.astype(np.float32)
        x = levels * np.float32(1.0 / max_value(image.dtype))
        m, t = D.adaptation_affine(x, cache[key], self.transform_type)
        b = params["blend"]
        top = max_value(image.dtype)
        # blend folded into the map, [0, 1] units folded in too: out = image @ ((1 - b) I + b M) + b t top
        blended = ((1 - b) * np.eye(len(m)) + b * m).astype(np.float32)
        out = levels.reshape(-1, c) @ blended
        out += (b * t * top).astype(np.float32)
        return to_dtype(out.reshape(h, w, c), image.dtype)

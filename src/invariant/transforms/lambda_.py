"""Lambda: wrap user functions as a transform (restored from configs only when the caller passes them)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..core.errors import type_error, value_error
from ..core.transform import Params, Transform


class Lambda(Transform):
    """Apply user functions per target kind: ``image(img) -> img``, ``mask(mask) -> mask``.
    Functions must keep the height and width; use a spatial transform to change geometry."""

    def __init__(self, image: Callable[[np.ndarray], np.ndarray] | None = None, mask: Callable[[np.ndarray], np.ndarray] | None = None, name: str = "lambda", p: float = 1.0) -> None:
        super().__init__(p)
        for arg, fn in (("image", image), ("mask", mask)):
            if fn is not None and not callable(fn):
                type_error(arg, "a callable or None", fn, "pass a function array -> array")
        self.image_fn, self.mask_fn, self.name = image, mask, name

    def _call(self, fn: Callable | None, array: np.ndarray, what: str) -> np.ndarray:
        if fn is None:
            return array
        out = np.asarray(fn(array))
        if out.shape[:2] != array.shape[:2]:
            raise ValueError(f"Lambda {self.name!r} {what} function: expected the height and width {array.shape[:2]} to be kept, got {out.shape[:2]}. Fix: use a spatial transform to resize.")
        if what == "image" and out.dtype != array.dtype:  # the pipeline plans later steps for the input's dtype
            value_error(
                f"Lambda {self.name!r} {what} function",
                f"an output of the input's dtype {array.dtype}",
                out,
                "cast back inside the function, e.g. .astype(x.dtype), or convert the dtype outside the pipeline",
            )
        return out if out.ndim == 3 else out[:, :, None]

    def effects(self) -> None:
        """A user function's effects are unknown; the domain checker reports it as undeclared."""
        return None

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return self._call(self.image_fn, image, "image")

    def apply_mask(self, mask: np.ndarray, params: Params) -> np.ndarray:
        return self._call(self.mask_fn, mask, "mask")



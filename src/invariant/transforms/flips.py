"""Flips: pure index remaps, executed as views (no interpolation) and fused with neighbours."""

from __future__ import annotations

import numpy as np

from ..core.effects import Effects
from ..core.transform import Params, SpatialTransform
from ..ops import geometric as geo


class HorizontalFlip(SpatialTransform):
    """Mirror left-right. Label-preserving for most natural images; not for laterality tasks
    (chest X-rays, hands, text)."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(p=p)

    def geometry(self, params: Params, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
        return geo.hflip_matrix(shape[1]), shape

    def kernel(self, params: Params, shape: tuple[int, int], matrix: np.ndarray, out_shape: tuple[int, int]) -> tuple:
        return geo.window_kernel(shape, out_shape, 0, 0, flip_x=True)

    def prepare(self, params: Params, shape: tuple[int, int]) -> Params:
        # the generic prepare (geometry + kernel) written out: a flip's plan is a few microseconds of a
        # call that otherwise costs one cv2.flip, so the method hops matter
        h, w = int(shape[0]), int(shape[1])
        params["_matrix"] = geo.hflip_matrix(w)
        params["_out_shape"] = (h, w)
        params["_kernel"] = ((h, w), geo.WINDOW, 0, 0, True, False)
        return params

    def effects(self) -> Effects:
        return Effects(geometric=True, mirrors_horizontal=True)


class VerticalFlip(SpatialTransform):
    """Mirror top-bottom. Valid where there is no canonical up (satellite, microscopy)."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(p=p)

    def geometry(self, params: Params, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
        return geo.vflip_matrix(shape[0]), shape

    def kernel(self, params: Params, shape: tuple[int, int], matrix: np.ndarray, out_shape: tuple[int, int]) -> tuple:
        return geo.window_kernel(shape, out_shape, 0, 0, flip_y=True)

    def prepare(self, params: Params, shape: tuple[int, int]) -> Params:
        h, w = int(shape[0]), int(shape[1])  # the generic prepare written out (see HorizontalFlip)
        params["_matrix"] = geo.vflip_matrix(h)
        params["_out_shape"] = (h, w)
        params["_kernel"] = ((h, w), geo.WINDOW, 0, 0, False, True)
        return params

    def effects(self) -> Effects:
        return Effects(geometric=True, mirrors_vertical=True)

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

    def effects(self) -> Effects:
        return Effects(geometric=True, mirrors_horizontal=True)


class VerticalFlip(SpatialTransform):
    """Mirror top-bottom. Valid where there is no canonical up (satellite, microscopy)."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(p=p)

    def geometry(self, params: Params, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
        return geo.vflip_matrix(shape[0]), shape

    def effects(self) -> Effects:
        return Effects(geometric=True, mirrors_vertical=True)

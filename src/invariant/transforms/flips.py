"""Flips: pure index remaps (their geometry states the integer window they are, so executors use a view,
no interpolation), fused with neighbours."""

from __future__ import annotations

from ..core.effects import Effects
from ..core.plan import Geometry
from ..core.transform import Params, SpatialTransform
from ..ops import geometric as geo


_CACHE: dict[tuple[bool, tuple[int, int]], Geometry] = {}


def _remember(key: tuple[bool, tuple[int, int]], g: Geometry) -> Geometry:
    """Keep a flip geometry for reuse (geometries are never changed once built; bounded)."""
    if len(_CACHE) > 256:
        _CACHE.clear()
    _CACHE[key] = g
    return g


class HorizontalFlip(SpatialTransform):
    """Mirror left-right. Label-preserving for most natural images; not for laterality tasks
    (chest X-rays, hands, text)."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(p=p)

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        g = _CACHE.get((True, shape))  # a flip's geometry depends on the canvas only: built once per size
        if g is None:
            h, w = int(shape[0]), int(shape[1])  # the whole canvas, mirrored in x: stated, not derived
            g = _remember((True, shape), Geometry((h, w), (h, w), geo.hflip_matrix(w), form=((h, w), geo.WINDOW, 0, 0, True, False)))
        return g

    def effects(self) -> Effects:
        return Effects(geometric=True, mirrors_horizontal=True)


class VerticalFlip(SpatialTransform):
    """Mirror top-bottom. Valid where there is no canonical up (satellite, microscopy)."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(p=p)

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        g = _CACHE.get((False, shape))
        if g is None:
            h, w = int(shape[0]), int(shape[1])
            g = _remember((False, shape), Geometry((h, w), (h, w), geo.vflip_matrix(h), form=((h, w), geo.WINDOW, 0, 0, False, True)))
        return g

    def effects(self) -> Effects:
        return Effects(geometric=True, mirrors_vertical=True)

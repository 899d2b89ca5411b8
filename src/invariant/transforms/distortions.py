"""Non-rigid distortions as displacement fields (``ops.distort``): ElasticTransform, GridDistortion,
OpticalDistortion. Their recorded parameters are plain data (a seed, step lists, a coefficient);
the dense field is rebuilt from them once per call, so calls replay exactly. Images, masks
(nearest), depth, boxes and keypoints follow the field generically, and the planner fuses a field
with neighbouring matrix transforms into one ``cv2.remap``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.plan import Geometry
from ..core.transform import Params, SpatialTransform, as_range, check_choice
from ..ops import distort


class FieldTransform(SpatialTransform):
    """A spatial transform described by a backward field (``field(params, shape)``) instead of a matrix.
    The output canvas equals the input canvas."""

    _abstract = True

    def field(self, params: Params, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        raise TypeError(f"{type(self).__name__} must define field(params, shape) -> (map_x, map_y)")

    def plan_geometry(self, params: Params, shape: tuple[int, int]) -> Geometry:
        fld = self.field(params, shape)
        return Geometry(shape, (int(fld[0].shape[0]), int(fld[0].shape[1])), field=fld)

    def effects(self) -> Effects:
        return Effects(geometric=True, deforms=True)


class ElasticTransform(FieldTransform):
    """Elastic deformation (Simard et al., 2003, "Best practices for convolutional neural networks
    applied to visual document analysis"): per-pixel uniform(-1, 1) displacements smoothed by a
    Gaussian of ``sigma`` pixels and scaled by ``alpha`` pixels (Simard et al.: ``alpha=34, sigma=4`` on
    28x28 digits). Settings used for medical images are
    ``alpha=120, sigma=6`` (strong) and ``alpha=60, sigma=4``. With a mirroring ``border_mode``
    ("reflect", "wrap") objects near the edge get mirrored copies that no box covers; the default
    is "constant" for that reason (as albumentations)."""

    def __init__(
        self,
        alpha: float = 60.0,
        sigma: float = 6.0,
        same_dxdy: bool = False,
        interpolation: str = "linear",
        border_mode: str = "constant",
        fill: float | tuple[float, ...] = 0,
        fill_mask: float = 0,
        p: float = 0.5,
    ) -> None:
        super().__init__(interpolation=interpolation, border_mode=border_mode, fill=fill, fill_mask=fill_mask, p=p)
        for name, value in (("alpha", alpha), ("sigma", sigma)):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                type_error(name, "a number", value, f"pass e.g. {name}=6.0")
        if alpha < 0 or sigma <= 0:
            value_error("sigma" if sigma <= 0 else "alpha", "alpha >= 0 and sigma > 0", (alpha, sigma), "pass e.g. alpha=60, sigma=6")
        self.alpha, self.sigma, self.same_dxdy = float(alpha), float(sigma), bool(same_dxdy)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"seed": int(rng.integers(0, 2**31 - 1))}

    def field(self, params: Params, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        return distort.elastic_field(shape, self.alpha, self.sigma, params["seed"], self.same_dxdy)


class GridDistortion(FieldTransform):
    """Cut the image into ``num_steps`` x ``num_steps`` cells and stretch each row and column of cells
    by ``1 + u``, ``u`` uniform in ``distort_limit`` (normalised so the cells still tile the image)."""

    def __init__(
        self,
        num_steps: int = 5,
        distort_limit: float | tuple[float, float] = 0.3,
        interpolation: str = "linear",
        border_mode: str = "constant",
        fill: float | tuple[float, ...] = 0,
        fill_mask: float = 0,
        p: float = 0.5,
    ) -> None:
        super().__init__(interpolation=interpolation, border_mode=border_mode, fill=fill, fill_mask=fill_mask, p=p)
        if isinstance(num_steps, bool) or not isinstance(num_steps, (int, np.integer)) or num_steps < 1:
            type_error("num_steps", "a positive int", num_steps, "pass e.g. num_steps=5")
        self.num_steps = int(num_steps)
        self.distort_limit = as_range(distort_limit, "distort_limit", around=0.0, low=-1.0 + 1e-6)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        lo, hi = self.distort_limit
        return {
            "steps_x": (1.0 + rng.uniform(lo, hi, self.num_steps)).tolist(),
            "steps_y": (1.0 + rng.uniform(lo, hi, self.num_steps)).tolist(),
        }

    def field(self, params: Params, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        return distort.grid_field(shape, params["steps_x"], params["steps_y"])


class OpticalDistortion(FieldTransform):
    """Radial lens distortion with coefficient ``k`` uniform in ``distort_limit`` (barrel for k > 0,
    pincushion for k < 0), ``mode`` "camera" (OpenCV model, k1 = k2 = k) or "fisheye"."""

    def __init__(
        self,
        distort_limit: float | tuple[float, float] = 0.05,
        mode: str = "camera",
        interpolation: str = "linear",
        border_mode: str = "constant",
        fill: float | tuple[float, ...] = 0,
        fill_mask: float = 0,
        p: float = 0.5,
    ) -> None:
        super().__init__(interpolation=interpolation, border_mode=border_mode, fill=fill, fill_mask=fill_mask, p=p)
        self.distort_limit = as_range(distort_limit, "distort_limit", around=0.0)
        self.mode = check_choice(mode, "mode", ("camera", "fisheye"))

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        return {"k": float(rng.uniform(*self.distort_limit))}

    def field(self, params: Params, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        return distort.optical_field(shape, params["k"], self.mode)

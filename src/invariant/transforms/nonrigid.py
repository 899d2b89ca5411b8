"""Non-rigid warps stated as displacement fields (``ops.nonrigid``): ThinPlateSpline and GridElasticDeform.
Like ElasticTransform they record plain data (control-point or node displacements), rebuild the dense field
per call, move boxes and keypoints through the generic field machinery, and fuse with neighbouring spatial
steps into one ``cv2.remap``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import type_error
from ..core.transform import Params, as_range, check_number
from ..ops import nonrigid as NR
from .distortions import FieldTransform


def _positive_int(value: Any, argument: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        type_error(argument, f"an int >= {low}", value, f"pass e.g. {argument}={low + 2}")
    return int(value)


class ThinPlateSpline(FieldTransform):
    """Thin-plate spline warp (Bookstein 1989, "Principal warps: thin-plate splines and the decomposition of
    deformations"): a ``num_control_points`` x ``num_control_points`` grid of control points over the canvas
    (normalised coordinates, spanning [0.1, 0.9]) moves each point by ``N(0, scale^2)`` (fractions of the
    canvas side, ``scale`` ~ U[scale_range]); the smooth minimal-bending-energy map through them warps the
    image (as albumentations' ThinPlateSpline)."""

    def __init__(
        self,
        scale_range: float | tuple[float, float] = (0.02, 0.05),
        num_control_points: int = 4,
        interpolation: str = "linear",
        border_mode: str = "constant",
        fill: float | tuple[float, ...] = 0,
        fill_mask: float = 0,
        p: float = 0.5,
    ) -> None:
        super().__init__(interpolation=interpolation, border_mode=border_mode, fill=fill, fill_mask=fill_mask, p=p)
        self.scale_range = as_range(scale_range, "scale_range", low=0.0, high=1.0)
        self.num_control_points = _positive_int(num_control_points, "num_control_points", 2)

    def control_points(self) -> np.ndarray:
        g = np.linspace(0.1, 0.9, self.num_control_points)
        xx, yy = np.meshgrid(g, g)
        return np.stack([xx.ravel(), yy.ravel()], 1)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        scale = float(rng.uniform(*self.scale_range))
        return {"offsets": rng.normal(0.0, scale, (self.num_control_points**2, 2)).tolist()}

    def field(self, params: Params, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        src = self.control_points()
        return NR.tps_field(shape, src, src + np.asarray(params["offsets"], np.float64))


class GridElasticDeform(FieldTransform):
    """Elastic grid (mesh) deformation, as albumentations' GridElasticDeform: the canvas is cut into ``num_grid_xy`` cells; every
    interior grid node moves by ``U(-magnitude, magnitude)`` pixels per axis (border nodes stay, so the frame
    is kept) and displacements are interpolated bilinearly inside each cell."""

    def __init__(
        self,
        num_grid_xy: int | tuple[int, int] = (4, 4),
        magnitude: float = 10.0,
        interpolation: str = "linear",
        border_mode: str = "constant",
        fill: float | tuple[float, ...] = 0,
        fill_mask: float = 0,
        p: float = 0.5,
    ) -> None:
        super().__init__(interpolation=interpolation, border_mode=border_mode, fill=fill, fill_mask=fill_mask, p=p)
        pair = (num_grid_xy, num_grid_xy) if isinstance(num_grid_xy, (int, np.integer)) and not isinstance(num_grid_xy, bool) else num_grid_xy
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            type_error("num_grid_xy", "an int or an (x, y) pair of ints >= 1", num_grid_xy, "pass e.g. num_grid_xy=(4, 4)")
        self.num_grid_xy = (_positive_int(pair[0], "num_grid_xy", 1), _positive_int(pair[1], "num_grid_xy", 1))
        self.magnitude = check_number(magnitude, "magnitude", low=0.0)

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        gx, gy = self.num_grid_xy
        d = rng.uniform(-self.magnitude, self.magnitude, (2, gy + 1, gx + 1))
        d[:, [0, -1], :] = 0.0
        d[:, :, [0, -1]] = 0.0
        return {"dx": d[0].tolist(), "dy": d[1].tolist()}

    def field(self, params: Params, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        return NR.grid_elastic_field(shape, np.asarray(params["dx"]), np.asarray(params["dy"]))

"""ThinPlateSpline and GridElasticDeform: the spline against scipy's thin-plate RBF interpolator (an
independent implementation) and Bookstein's identities (exact interpolation of control points, affine
reproduction), the grid field against scipy's bilinear RegularGridInterpolator; both go through the
displacement-field engine (fused with neighbouring spatial steps, keypoints follow the pixels)."""

from __future__ import annotations

import numpy as np
import pytest

import invariant as iv
from invariant.core.plan import SpatialRun
from invariant.ops import nonrigid as NR

from ..conftest import photo


def test_tps_matches_scipy_rbf_thin_plate() -> None:
    from scipy.interpolate import RBFInterpolator

    rng = np.random.default_rng(0)
    src = rng.uniform(0, 1, (9, 2))
    dst = src + rng.normal(0, 0.05, (9, 2))
    w, a = NR.tps_fit(src, dst)
    pts = rng.uniform(0, 1, (200, 2))
    ref = RBFInterpolator(src, dst, kernel="thin_plate_spline", degree=1)(pts)
    np.testing.assert_allclose(NR.tps_evaluate(pts, src, w, a), ref, atol=1e-9)


def test_tps_interpolates_and_reproduces_affine() -> None:
    rng = np.random.default_rng(1)
    src = rng.uniform(0, 1, (12, 2))
    dst = src + rng.normal(0, 0.03, (12, 2))
    w, a = NR.tps_fit(src, dst)
    np.testing.assert_allclose(NR.tps_evaluate(src, src, w, a), dst, atol=1e-10)
    m = np.array([[1.1, 0.2], [-0.1, 0.9]])
    w2, a2 = NR.tps_fit(src, src @ m + [0.05, -0.02])
    assert np.abs(w2).max() < 1e-9  # no bending for an affine map
    pts = rng.uniform(0, 1, (50, 2))
    np.testing.assert_allclose(NR.tps_evaluate(pts, src, w2, a2), pts @ m + [0.05, -0.02], atol=1e-10)


@pytest.mark.parametrize("shape", ((48, 64), (300, 260), (700, 600)))
def test_tps_field_is_backward_spline(shape: tuple[int, int]) -> None:
    from scipy.interpolate import RBFInterpolator

    t = iv.ThinPlateSpline(scale_range=(0.05, 0.05), p=1)
    params = t.sample_params(np.random.default_rng(3), None)
    mx, my = t.field(params, shape)
    h, w = shape
    src = t.control_points()
    dst = src + np.asarray(params["offsets"])
    back = RBFInterpolator(dst, src, kernel="thin_plate_spline", degree=1)
    ys, xs = np.mgrid[0:h:7, 0:w:5]
    ref = back(np.stack([(xs.ravel() + 0.5) / w, (ys.ravel() + 0.5) / h], 1))
    # exact up to 512 px per side (every pixel evaluated, float32 positions); beyond, a 512-node grid refined
    # bilinearly, within 0.05 px
    tol = 1e-3 if max(shape) <= 512 else 0.05
    np.testing.assert_allclose(mx[ys, xs].ravel(), ref[:, 0] * w - 0.5, atol=tol)
    np.testing.assert_allclose(my[ys, xs].ravel(), ref[:, 1] * h - 0.5, atol=tol)


def test_tps_moves_keypoint_with_content() -> None:
    # a control point's content moves to its destination: a keypoint there follows, and the image pixel too
    image = photo("float32", 3, size=(96, 128))
    t = iv.ThinPlateSpline(scale_range=(0.04, 0.04), num_control_points=3, p=1)
    pipe = iv.Compose([t], seed=5)
    h, w = image.shape[:2]
    src = t.control_points()[4] * [w, h]  # the centre control point
    out = pipe(image=image, keypoints=[src.tolist()], return_params=True)
    dst = (t.control_points()[4] + np.asarray(out["params"][0]["params"]["offsets"])[4]) * [w, h]
    np.testing.assert_allclose(out["keypoints"][0], dst, atol=0.05)


def test_grid_elastic_field_is_bilinear_between_nodes() -> None:
    from scipy.interpolate import RegularGridInterpolator

    t = iv.GridElasticDeform(num_grid_xy=(4, 3), magnitude=6.0, p=1)
    params = t.sample_params(np.random.default_rng(2), None)
    h, w = 61, 81
    mx, my = t.field(params, (h, w))
    dx, dy = np.asarray(params["dx"]), np.asarray(params["dy"])
    assert dx.shape == (4, 5) and np.abs(dx).max() <= 6.0
    assert not dx[0].any() and not dx[-1].any() and not dx[:, 0].any() and not dx[:, -1].any()
    ny, nx = np.linspace(0, h - 1, 4), np.linspace(0, w - 1, 5)
    yy, xx = np.mgrid[0:h, 0:w]
    pts = np.stack([yy.ravel(), xx.ravel()], 1)
    np.testing.assert_allclose(mx.ravel(), xx.ravel() + RegularGridInterpolator((ny, nx), dx)(pts), atol=1e-4)
    np.testing.assert_allclose(my.ravel(), yy.ravel() + RegularGridInterpolator((ny, nx), dy)(pts), atol=1e-4)
    # the frame stays: border pixels sample themselves
    np.testing.assert_allclose(mx[0], np.arange(w), atol=1e-4)
    np.testing.assert_allclose(my[:, -1], np.arange(h), atol=1e-4)


@pytest.mark.parametrize("name", ("ThinPlateSpline", "GridElasticDeform"))
def test_fields_fuse_with_neighbours(name: str) -> None:
    image = photo("uint8", 3, size=(192, 256))
    t = getattr(iv, name)(p=1)
    pipe = iv.Compose([iv.HorizontalFlip(p=1), t, iv.Rotate(10, p=1)], seed=0)
    plan = pipe.plan(image=image)
    runs = plan.runs()
    assert len(runs) == 1 and isinstance(runs[0], SpatialRun)
    fused = pipe.execute(plan)["image"]
    unfused = iv.Compose([iv.HorizontalFlip(p=1), getattr(iv, name)(p=1), iv.Rotate(10, p=1)], seed=0, fuse=False)(image=image)["image"]
    # one resampling vs three: they differ by interpolation error only (away from the revealed border)
    diff = np.abs(fused.astype(int) - unfused.astype(int))[30:-30, 30:-30]
    assert diff.mean() < 2.5 and np.median(diff) <= 1


def test_bad_arguments_raise() -> None:
    with pytest.raises(TypeError):
        iv.ThinPlateSpline(num_control_points=1)
    with pytest.raises(ValueError):
        iv.ThinPlateSpline(scale_range=(-0.1, 0.1))
    with pytest.raises(TypeError):
        iv.GridElasticDeform(num_grid_xy=(0, 3))
    with pytest.raises(ValueError):
        iv.GridElasticDeform(magnitude=-1)

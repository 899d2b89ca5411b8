"""The geometry kernels against OpenCV/numpy references and hand trigonometry: the pixel-centre
convention, the view/transposition fast paths, anti-aliased downscaling, box modes, and the
property that keypoints follow the pixel they sit on (hypothesis over random matrices)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import invariant as iv
from invariant.ops import geometric as geo

from ..conftest import photo

# continuous <-> OpenCV pixel-index conventions, written out independently of the library
SHIFT = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]], float)
UNSHIFT = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]], float)


def cv_rotation(w: int, h: int, angle: float, scale: float = 1.0) -> np.ndarray:
    """cv2.getRotationMatrix2D about the image centre in pixel-index coordinates, as a 3x3."""
    m = np.vstack([cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, scale), [0, 0, 1]])
    return m


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
@pytest.mark.parametrize("channels", [1, 3, 5])
def test_warp_matches_cv2_rotation(dtype, channels):
    img = photo(dtype, channels)
    h, w = img.shape[:2]
    m_px = cv_rotation(w, h, 33.0, 1.1)
    matrix = SHIFT @ m_px @ UNSHIFT  # the same map in continuous coordinates
    out = geo.warp(img, matrix, (h, w), "linear", "constant", 0)
    ref = np.stack([cv2.warpAffine(np.ascontiguousarray(img[:, :, c]), m_px[:2], (w, h), flags=cv2.INTER_LINEAR) for c in range(channels)], 2)
    assert out.dtype == img.dtype and out.shape == img.shape and out.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(out.astype(float), ref.astype(float), atol=1e-4 if dtype == "float32" else 0)


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
@pytest.mark.parametrize("channels", [1, 3, 5])
def test_quarter_turns_and_transpose_are_exact_views(dtype, channels):
    img = photo(dtype, channels)
    h, w = img.shape[:2]
    # x' = y, y' = W - x is a counter-clockwise quarter turn (np.rot90 with k=1)
    rot = np.array([[0, 1, 0], [-1, 0, w], [0, 0, 1]], float)
    np.testing.assert_array_equal(geo.warp(img, rot, (w, h), "cubic"), np.rot90(img, 1))
    np.testing.assert_array_equal(geo.warp(img, geo.transpose_matrix(), (w, h), "linear"), img.transpose(1, 0, 2))
    flip_t = geo.hflip_matrix(h) @ geo.transpose_matrix()
    out = geo.warp(img, flip_t, (w, h), "linear")
    np.testing.assert_array_equal(out, img.transpose(1, 0, 2)[:, ::-1])
    assert out.flags["C_CONTIGUOUS"]


def test_integer_crop_with_padding_is_a_slice_with_fill():
    img = photo("uint8", 3)
    out = geo.warp(img, geo.translation(4, -3), (20, 30), "linear", "constant", (1, 2, 3))
    np.testing.assert_array_equal(out[:, 4:], img[3:23, 0:26])
    np.testing.assert_array_equal(out[:, :4], np.broadcast_to(np.array([1, 2, 3], np.uint8), (20, 4, 3)))


def _stripes(h: int = 256, w: int = 256) -> np.ndarray:
    """A fine pattern (period 3 px) that aliases badly under point-sampled downscaling."""
    x = np.arange(w)
    row = (127.5 + 127.5 * np.sin(2 * np.pi * x / 3.0)).astype(np.float32)
    return np.ascontiguousarray(np.broadcast_to(row[None, :, None], (h, w, 1)))


def test_strong_downscale_is_antialiased():
    img = _stripes()
    # a rotation by 10 degrees plus a 5x shrink: a general warp, not a resize
    matrix = SHIFT @ np.vstack([cv2.getRotationMatrix2D((25.5, 25.5), 10, 1.0), [0, 0, 1]]) @ UNSHIFT @ geo.scaling(0.2, 0.2)
    ours = geo.warp(img, matrix, (52, 52), "linear", min_scale=0.5)
    naive = geo.warp(img, matrix, (52, 52), "linear")  # OpenCV's plain bilinear, as albumentations
    inner = (slice(12, 40), slice(12, 40))
    # the true local mean of the pattern is 127.5: the pre-shrunk warp stays close, the naive one aliases
    # (INTER_AREA leaves a beat because its 2.5 px cells are not a multiple of the 3 px period)
    assert np.abs(ours[inner] - 127.5).mean() < 15
    assert np.abs(naive[inner] - 127.5).mean() > 3.5 * np.abs(ours[inner] - 127.5).mean()


def test_axis_aligned_downscale_uses_area():
    img = photo("float32", 3, size=(200, 300))
    out = geo.warp(img, geo.scaling(0.25, 0.25), (50, 75), "linear", min_scale=0.5)
    np.testing.assert_allclose(out, cv2.resize(img, (75, 50), interpolation=cv2.INTER_AREA), atol=1e-5)
    plain = geo.warp(img, geo.scaling(0.25, 0.25), (50, 75), "linear")
    np.testing.assert_allclose(plain, cv2.resize(img, (75, 50), interpolation=cv2.INTER_LINEAR), atol=1e-5)


def test_area_interpolation_antialiases_rotations():
    img = _stripes()
    matrix = SHIFT @ np.vstack([cv2.getRotationMatrix2D((25.5, 25.5), 10, 1.0), [0, 0, 1]]) @ UNSHIFT @ geo.scaling(0.2, 0.2)
    area = geo.warp(img, matrix, (52, 52), "area")
    inner = (slice(12, 40), slice(12, 40))
    assert np.abs(area[inner] - 127.5).mean() < 10


def test_boxes_corner_mode_matches_hand_trigonometry():
    angle = 30.0
    a = math.radians(angle)
    cx, cy = 50.0, 40.0
    # rotation about (cx, cy), counter-clockwise on screen: x' = c(x-cx) + s(y-cy) + cx, y' = -s(x-cx) + c(y-cy) + cy
    matrix = geo.translation(cx, cy) @ np.array([[math.cos(a), math.sin(a), 0], [-math.sin(a), math.cos(a), 0], [0, 0, 1]]) @ geo.translation(-cx, -cy)
    box = np.array([[20.0, 10.0, 60.0, 30.0]])
    xs = []
    ys = []
    for x, y in [(20, 10), (60, 10), (60, 30), (20, 30)]:
        xs.append(math.cos(a) * (x - cx) + math.sin(a) * (y - cy) + cx)
        ys.append(-math.sin(a) * (x - cx) + math.cos(a) * (y - cy) + cy)
    np.testing.assert_allclose(geo.apply_to_boxes(matrix, box)[0], [min(xs), min(ys), max(xs), max(ys)], atol=1e-9)


def test_ellipse_mode_is_tighter_and_exact_for_a_disc():
    a = math.radians(45)
    matrix = geo.translation(50, 50) @ np.array([[math.cos(a), math.sin(a), 0], [-math.sin(a), math.cos(a), 0], [0, 0, 1]]) @ geo.translation(-50, -50)
    box = np.array([[40.0, 40.0, 60.0, 60.0]])  # a square around a disc of radius 10 centred on (50, 50)
    corners = geo.apply_to_boxes(matrix, box, "corners")[0]
    ellipse = geo.apply_to_boxes(matrix, box, "ellipse")[0]
    np.testing.assert_allclose(corners, [50 - 10 * math.sqrt(2), 50 - 10 * math.sqrt(2), 50 + 10 * math.sqrt(2), 50 + 10 * math.sqrt(2)], atol=1e-9)
    np.testing.assert_allclose(ellipse, [40, 40, 60, 60], atol=0.05)
    # identical for axis-aligned maps
    np.testing.assert_allclose(geo.apply_to_boxes(geo.scaling(2, 3), box, "ellipse"), geo.apply_to_boxes(geo.scaling(2, 3), box, "corners"))


matrices = st.tuples(
    st.floats(-180, 180), st.floats(0.7, 1.4), st.floats(-20, 20), st.floats(-8, 8), st.floats(-8, 8), st.floats(-1e-3, 1e-3), st.floats(-1e-3, 1e-3)
)


def _random_matrix(params) -> np.ndarray:
    angle, scale, shear, tx, ty, px, py = params
    a = math.radians(angle)
    lin = np.array([[1, math.tan(math.radians(shear))], [0, 1]]) @ np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]]) * scale
    m = np.eye(3)
    m[:2, :2] = lin
    m = geo.translation(32 + tx, 32 + ty) @ m @ geo.translation(-32, -32)
    m[2, :2] = (px, py)
    m[2, 2] = 1 - 32 * (px + py)  # keeps w(centre) = 1 so the centre region stays on the canvas
    return m


@settings(max_examples=40, deadline=None)
@given(matrices, st.floats(20, 44), st.floats(20, 44))
def test_keypoints_follow_the_pixel_they_sit_on(params, x, y):
    """Draw a blob at a point, warp the image, and find the blob's centroid: it must land where
    apply_to_points sends the point (the image and point paths share the convention)."""
    matrix = _random_matrix(params)
    img = np.zeros((64, 64, 1), np.float32)
    yy, xx = np.mgrid[0:64, 0:64] + 0.5
    img[:, :, 0] = np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.5**2))
    out = geo.warp(img, matrix, (64, 64), "linear")[:, :, 0].astype(np.float64)
    mapped = geo.apply_to_points(matrix, np.array([[x, y]]))[0]
    # centroid over a window around the mapped point (skip cases where the blob leaves the canvas)
    if not (8 <= mapped[0] <= 56 and 8 <= mapped[1] <= 56):
        return
    win = (np.abs(xx - mapped[0]) < 8) & (np.abs(yy - mapped[1]) < 8)
    weights = out * win
    centroid = np.array([(weights * xx).sum(), (weights * yy).sum()]) / weights.sum()
    np.testing.assert_allclose(centroid, mapped, atol=0.35)


@settings(max_examples=40, deadline=None)
@given(matrices)
def test_points_match_cv2_perspective_transform(params):
    matrix = _random_matrix(params)
    pts = np.random.default_rng(0).uniform(0, 64, (10, 2))
    ref = cv2.perspectiveTransform(pts[None].astype(np.float64), matrix)[0]
    np.testing.assert_allclose(geo.apply_to_points(matrix, pts), ref, atol=1e-8)
    # the box of mapped corners contains every mapped point of the box
    box = np.array([[10.0, 12.0, 40.0, 50.0]])
    moved = geo.apply_to_boxes(matrix, box)[0]
    inner = np.random.default_rng(1).uniform([10, 12], [40, 50], (50, 2))
    mapped = geo.apply_to_points(matrix, inner)
    assert (mapped[:, 0] >= moved[0] - 1e-9).all() and (mapped[:, 0] <= moved[2] + 1e-9).all()
    assert (mapped[:, 1] >= moved[1] - 1e-9).all() and (mapped[:, 1] <= moved[3] + 1e-9).all()


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.uint8, np.int32])
def test_warp_mask_keeps_label_set(dtype):
    mask = np.zeros((40, 50, 1), dtype)
    mask[5:20, 10:30] = 1
    if dtype != np.bool_:
        mask[22:35, 5:45] = 7
    matrix = geo.translation(25, 20) @ np.array([[0.8, 0.5, 0], [-0.5, 0.8, 0], [0, 0, 1]]) @ geo.translation(-25, -20)
    out = geo.warp_mask(mask, matrix, (40, 50))
    assert out.dtype == mask.dtype
    assert set(np.unique(out).tolist()) <= set(np.unique(mask).tolist())


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
def test_padded_four_channel_path_is_bit_identical(dtype):
    """3-channel warps run as 4 channels for speed; the result must equal OpenCV on 3 channels."""
    img = photo(dtype, 3)
    h, w = img.shape[:2]
    persp = np.array([[0.9, 0.1, 3.0], [-0.05, 1.1, -2.0], [1e-4, -2e-4, 1.0]])
    out = geo.warp(img, SHIFT @ persp @ UNSHIFT, (h, w), "linear", "reflect")
    ref = cv2.warpPerspective(img, persp, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("border", ["constant", "reflect", "replicate", "wrap"])
def test_small_footprint_warps_match_opencv_for_every_border(border):
    """Warps that read a small part of a large source (crop+rotate chains) slice the source first;
    the result must equal OpenCV on the whole image, whatever the border rule (up to OpenCV's
    fixed-point rounding of the shifted coordinates: at most 1 grey level on a few pixels)."""
    from skimage import data

    img = data.astronaut()
    flags = {"constant": cv2.BORDER_CONSTANT, "reflect": cv2.BORDER_REFLECT_101, "replicate": cv2.BORDER_REPLICATE, "wrap": cv2.BORDER_WRAP}
    for centre in [(256, 256), (20, 30), (500, 480)]:  # inside, and hanging over the edges
        m_px = np.vstack([cv2.getRotationMatrix2D(centre, 25, 2.5), [0, 0, 1]])
        m_px[:2, 2] -= np.array(centre) - 32  # the region around `centre`, magnified onto a 64x64 canvas
        out = geo.warp(img, SHIFT @ m_px @ UNSHIFT, (64, 64), "linear", border)
        ref = cv2.warpAffine(img, m_px[:2], (64, 64), flags=cv2.INTER_LINEAR, borderMode=flags[border])
        diff = np.abs(out.astype(int) - ref.astype(int))
        assert diff.max() <= 1 and (diff > 0).mean() < 0.002


def _footprint_reference(image, matrix, out_shape, constant):
    """The source-cropping rule written with numpy arrays (bounding box of the back-mapped canvas corners,
    plus the kernel margin; crop only when it saves over 20% and no border rule can reach outside)."""
    H, W = image.shape[:2]
    out_h, out_w = out_shape
    corners = np.array([[0, 0, 1], [out_w, 0, 1], [out_w, out_h, 1], [0, out_h, 1]], dtype=np.float64) @ np.linalg.inv(matrix).T
    if (corners[:, 2] <= 1e-9).any():
        return None
    pts = corners[:, :2] / corners[:, 2:3]
    m = geo._KERNEL_MARGIN
    x0, y0 = max(0, math.floor(pts[:, 0].min()) - m), max(0, math.floor(pts[:, 1].min()) - m)
    x1, y1 = min(W, math.ceil(pts[:, 0].max()) + m), min(H, math.ceil(pts[:, 1].max()) + m)
    if x1 <= x0 or y1 <= y0 or (x1 - x0) * (y1 - y0) > 0.8 * W * H:
        return None
    if not constant and (pts[:, 0].min() < m or pts[:, 1].min() < m or pts[:, 0].max() > W - m or pts[:, 1].max() > H - m):
        return None
    return x0, y0, x1, y1


def test_source_crop_follows_the_footprint_rule():
    rng = np.random.default_rng(0)
    image = np.zeros((300, 400, 1), np.uint8)
    cropped = 0
    for i in range(3000):
        angle, scale = float(rng.uniform(-180, 180)), float(rng.choice([0.5, 1.0, 2.0, 4.0, 8.0]) * rng.uniform(0.8, 1.2))
        m_px = np.vstack([cv2.getRotationMatrix2D((float(rng.uniform(0, 400)), float(rng.uniform(0, 300))), angle, scale), [0, 0, 1]])
        if i % 5 == 0:
            m_px[2, :2] = rng.uniform(-1e-3, 1e-3, 2)  # perspective, sometimes sending a corner past the horizon
        matrix = SHIFT @ m_px @ UNSHIFT
        out_shape = (int(rng.integers(16, 300)), int(rng.integers(16, 300)))
        constant = bool(i % 2)
        src, new_matrix = geo._crop_to_footprint(image, matrix, out_shape, constant)
        ref = _footprint_reference(image, matrix, out_shape, constant)
        # the library inverts in closed form, the reference with LAPACK: both agree away from rounding ties
        if ref is None:
            assert src is image and new_matrix is matrix
            continue
        cropped += 1
        x0, y0, x1, y1 = ref
        assert src.shape[:2] == (y1 - y0, x1 - x0) and np.shares_memory(src, image)
        assert src.__array_interface__["data"][0] - image.__array_interface__["data"][0] == y0 * image.strides[0] + x0 * image.strides[1]
        np.testing.assert_allclose(new_matrix, matrix @ geo.translation(x0, y0), rtol=0, atol=0)
    assert cropped > 300  # the rule was exercised both ways


@pytest.mark.parametrize("channels", [1, 2, 3, 4, 5])
def test_scalar_fill_equals_the_same_fill_per_channel(channels):
    img = np.ascontiguousarray(np.dstack([photo("uint8", 3)] * 2)[:, :, :channels])
    h, w = img.shape[:2]
    matrix = SHIFT @ cv_rotation(w, h, 30.0, 0.7) @ UNSHIFT
    for fill in (0, 7, 200.0, True):
        out = geo.warp(img, matrix, (h, w), "linear", "constant", fill)
        per_channel = geo.warp(img, matrix, (h, w), "linear", "constant", tuple([float(fill)] * channels))
        np.testing.assert_array_equal(out, per_channel)
        assert (out[0, 0] == np.uint8(float(fill))).all()  # the corner is outside the rotated image


def test_inverse_matches_linalg():
    rng = np.random.default_rng(1)
    for _ in range(500):
        m = rng.normal(size=(3, 3))
        np.testing.assert_allclose(geo.inverse(m), np.linalg.inv(m), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(geo.inverse(m) @ m, np.eye(3), atol=1e-9)
    with pytest.raises(np.linalg.LinAlgError):
        geo.inverse(np.zeros((3, 3)))


_NP_BORDERS = {"reflect": "reflect", "replicate": "edge", "wrap": "wrap", "symmetric": "symmetric"}


@pytest.mark.parametrize("border_mode", sorted(_NP_BORDERS))
def test_windows_reaching_outside_read_the_whole_image_by_the_border_rule(border_mode: str) -> None:
    """A crop window partly (or wholly) outside the image takes its outside pixels by the border rule applied
    to the whole image, as padding the image first (numpy's np.pad) and cropping: a reflection or a wrap reads
    rows and columns beyond the window's visible part (it used to pad the visible part only)."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (9, 14, 3), dtype=np.uint8)
    big = 60
    padded = np.pad(image, ((big, big), (big, big), (0, 0)), mode=_NP_BORDERS[border_mode])
    for x0, y0, w, h in ((-6, -3, 26, 6), (8, -6, 4, 5), (-4, -3, 3, 3), (10, 7, 12, 9), (-30, 2, 5, 4), (3, 20, 6, 2)):
        kernel = ((9, 14), geo.WINDOW, x0, y0, False, False)
        out = geo.window_copy(image, kernel, (h, w), border_mode)
        np.testing.assert_array_equal(out, padded[big + y0 : big + y0 + h, big + x0 : big + x0 + w])


@pytest.mark.parametrize("border_mode", sorted(_NP_BORDERS))
def test_random_crop_padding_is_padding_the_whole_image(border_mode: str) -> None:
    """RandomCrop(padding=p, border_mode=...) is np.pad of the whole image then a crop at the drawn offset."""
    rng = np.random.default_rng(1)
    image = rng.integers(0, 255, (9, 14), dtype=np.uint8)
    padded = np.pad(image, 40, mode=_NP_BORDERS[border_mode])
    for seed in range(20):
        pipe = iv.Compose([iv.RandomCrop((6, 26), padding=6, border_mode=border_mode, p=1)], seed=seed)
        out = pipe(image=image, return_params=True)
        x, y = out["params"][0]["params"]["x"], out["params"][0]["params"]["y"]
        np.testing.assert_array_equal(out["image"], padded[40 + y : 40 + y + 6, 40 + x : 40 + x + 26])
        lean = iv.Compose([iv.RandomCrop((6, 26), padding=6, border_mode=border_mode, p=1)], seed=seed)(image=image)["image"]
        np.testing.assert_array_equal(lean, out["image"])


@pytest.mark.parametrize("dtype", ("uint8", "uint16", "float32"))
@pytest.mark.parametrize("flag", (cv2.INTER_NEAREST, cv2.INTER_LINEAR, cv2.INTER_CUBIC))
def test_three_channel_chunks_equal_each_channel_alone(dtype: str, flag: int) -> None:
    """``_per_chunk`` runs a 3-channel image directly or padded to 4 channels (``pad3``, used where OpenCV is
    faster that way): both give the same bits, and every channel equals warping / remapping that channel alone,
    fill included."""
    from invariant.ops.geometric import _per_chunk

    image = photo(dtype, 3)
    h, w = image.shape[:2]
    rng = np.random.default_rng(7)
    matrix = cv2.getRotationMatrix2D((w / 3, h / 2), 33.0, 0.8)
    mx, my = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    mx += rng.normal(0, 4, mx.shape).astype(np.float32) + 9
    my += rng.normal(0, 4, my.shape).astype(np.float32) - 7
    fill = (10.0, 20.0, 30.0) if dtype != "float32" else (0.1, 0.2, 0.3)
    calls = (
        lambda c, f: cv2.warpAffine(c, matrix, (w - 5, h + 3), flags=flag, borderMode=cv2.BORDER_CONSTANT, borderValue=f),
        lambda c, f: cv2.remap(c, mx, my, flag, borderMode=cv2.BORDER_CONSTANT, borderValue=f),
    )
    for call in calls:
        reference = np.stack([call(np.ascontiguousarray(image[:, :, c]), (fill[c],)) for c in range(3)], axis=2)
        direct, padded = _per_chunk(image, fill, call, pad3=False), _per_chunk(image, fill, call, pad3=True)
        np.testing.assert_array_equal(direct, padded)  # the two routes are bit-identical
        if dtype == "float32":  # OpenCV's 1-channel float kernels may round the last bit differently
            np.testing.assert_allclose(direct, reference, rtol=0, atol=1e-6)
        else:
            np.testing.assert_array_equal(direct, reference)


def test_pixel_centre_rows_are_numpys_two_products_bit_for_bit():
    """``pixel_centre_rows`` (Python floats) gives exactly the bits of ``HALF_INV @ matrix @ HALF`` computed by
    numpy, for affine and projective matrices of every scale (the matrix handed to warpAffine must not move)."""
    rng = np.random.default_rng(3)
    for i in range(20000):
        if i % 3 == 0:
            m = rng.normal(size=(3, 3)) * 10.0 ** rng.integers(-4, 5, size=(3, 3))
        elif i % 3 == 1:
            angle, scale = rng.uniform(-np.pi, np.pi), rng.uniform(0.5, 2.0)
            c, s = np.cos(angle) * scale, np.sin(angle) * scale
            m = np.array([[c, s, rng.uniform(-500, 500)], [-s, c, rng.uniform(-500, 500)], [0.0, 0.0, 1.0]])
        else:
            m = np.eye(3)
            m[:2] += rng.normal(size=(2, 3)) * [[1e-3, 1e-3, 100.0], [1e-3, 1e-3, 100.0]]
        ref = geo.HALF_INV @ m @ geo.HALF
        assert np.array(geo.pixel_centre_rows(m)).tobytes() == ref.tobytes()
        assert geo.to_pixel_centre(m).tobytes() == ref.tobytes()


def _footprint_numpy_rule(in_shape, matrix, out_shape, constant):
    """``_footprint``'s rule with the library's own rounding (closed-form inverse, numpy's corner product),
    without the cheap exit: the reference the exit must never contradict."""
    H, W = in_shape
    out_h, out_w = out_shape
    corners = np.array([[0, 0, 1], [out_w, 0, 1], [out_w, out_h, 1], [0, out_h, 1]], dtype=np.float64) @ geo.inverse(matrix).T
    if (corners[:, 2] <= 1e-9).any():
        return None
    xs, ys = (corners[:, 0] / corners[:, 2]).tolist(), (corners[:, 1] / corners[:, 2]).tolist()
    if not math.isfinite(sum(xs) + sum(ys)):
        return None
    m = geo._KERNEL_MARGIN
    x0, y0 = max(0, math.floor(min(xs)) - m), max(0, math.floor(min(ys)) - m)
    x1, y1 = min(W, math.ceil(max(xs)) + m), min(H, math.ceil(max(ys)) + m)
    if x1 <= x0 or y1 <= y0 or (x1 - x0) * (y1 - y0) > 0.8 * W * H:
        return None
    if not constant and (min(xs) < m or min(ys) < m or max(xs) > W - m or max(ys) > H - m):
        return None
    return x0, y0, x1, y1


def test_footprint_cheap_exit_never_contradicts_the_exact_rule():
    """The cheap exit of ``_footprint`` (Python-float bounds widened by a tolerance) answers "whole source"
    only where numpy's product says so too, and ``_footprint`` equals the exact rule everywhere: near-identity
    affines (the exit's everyday case), rotations, zooms, integer translations whose corners land exactly on
    the margin and area thresholds, and projective maps (never taken by the exit)."""
    rng = np.random.default_rng(4)
    exits = 0
    cases = []
    for i in range(6000):
        H, W = int(rng.integers(8, 600)), int(rng.integers(8, 600))
        out_h, out_w = (H, W) if i % 2 else (int(rng.integers(8, 600)), int(rng.integers(8, 600)))
        kind = i % 4
        if kind == 0:  # near identity (the X-ray recipe's Affine)
            angle, scale = math.radians(rng.uniform(-5, 5)), rng.uniform(0.95, 1.05)
            c, s = math.cos(angle) * scale, math.sin(angle) * scale
            m = geo.affine_matrix(c, s, rng.uniform(-0.05, 0.05) * W, -s, c, rng.uniform(-0.05, 0.05) * H)
        elif kind == 1:  # any rotation and zoom
            angle, scale = rng.uniform(-np.pi, np.pi), float(rng.choice([0.25, 0.5, 1.0, 2.0, 8.0]))
            c, s = math.cos(angle) * scale, math.sin(angle) * scale
            m = geo.affine_matrix(c, s, rng.uniform(-2, 2) * W, -s, c, rng.uniform(-2, 2) * H)
        elif kind == 2:  # integer translations and exact scalings: corners on integers, areas on the thresholds
            sx = float(rng.choice([1.0, 2.0, 0.5, 1.25]))
            m = geo.affine_matrix(sx, 0.0, float(rng.integers(-W, W)), 0.0, sx, float(rng.integers(-H, H)))
        else:  # projective
            m = geo.affine_matrix(1.0, 0.02, rng.uniform(-20, 20), -0.01, 1.0, rng.uniform(-20, 20))
            m[2, :2] = rng.uniform(-1e-3, 1e-3, 2)
        cases.append(((H, W), m, (out_h, out_w)))
    for (H, W), m, (out_h, out_w) in cases:
        for constant in (True, False):
            ref = _footprint_numpy_rule((H, W), m, (out_h, out_w), constant)
            if geo._keeps_whole_source(geo.inverse_rows(m), W, H, out_w, out_h, constant):
                exits += 1
                assert ref is None
            assert geo._footprint((H, W), m, (out_h, out_w), constant) == ref
    assert exits > 3000  # the exit is taken on most everyday maps


def _resize_then_crop_pad(image: np.ndarray, size: tuple[int, int], x: int, y: int, out: tuple[int, int], fill: int) -> np.ndarray:
    """Reference: cv2.resize of the whole image, then the canvas window at (x, y) (negative: padding), fill outside."""
    big = cv2.resize(image, (size[1], size[0]), interpolation=cv2.INTER_LINEAR).reshape(size[0], size[1], -1)
    canvas = np.full((out[0], out[1], image.shape[2]), fill, image.dtype)
    sy0, sx0 = max(y, 0), max(x, 0)
    sy1, sx1 = min(y + out[0], size[0]), min(x + out[1], size[1])
    canvas[sy0 - y : sy1 - y, sx0 - x : sx1 - x] = big[sy0:sy1, sx0:sx1]
    return canvas


@pytest.mark.parametrize(
    "size, x, y",
    [((150, 200), 5, -10), ((150, 200), -7, 3), ((260, 90), 12, 20), ((97, 340), -3, -4), ((150, 200), 0, -10)],
)
@pytest.mark.parametrize("channels", [1, 3])
def test_upscale_reaching_past_the_canvas_replicates_its_edges_as_resize_then_crop(size, x, y, channels) -> None:
    """The whole source scaled onto an integer rectangle that reaches past the canvas on some side and leaves
    fill on another (ScaleJitter, Resize -> CenterCrop fused): the kernel reads the edge pixels' outer halves
    as a resize does (replicated), not blended with the fill as a constant-border warp would (~40 levels)."""
    image = photo(97, 131)[:, :, :channels]
    H, W = image.shape[:2]
    out_shape = (160, 190)
    matrix = geo.translation(-x, -y) @ geo.scaling(size[1] / W, size[0] / H)
    kernel = geo.classify(matrix, (H, W), out_shape)
    assert kernel[1] == geo.CLIPPED_PLACE
    got = geo.warp(image, matrix, out_shape, "linear", "constant", 40)
    want = _resize_then_crop_pad(image, size, x, y, out_shape, 40)
    assert got.shape == want.shape
    assert np.abs(got.astype(int) - want).max() <= 1


def test_fused_upscale_then_crop_matches_the_unfused_chain() -> None:
    image = photo(97, 131)
    for steps in ([iv.Resize(150, 200), iv.CenterCrop((160, 190))], [iv.Resize(150, 200), iv.CenterCrop((170, 210), fill=7)]):
        fused = iv.Compose(steps)(image=image)["image"]
        alone = iv.Compose(steps, fuse=False)(image=image)["image"]
        assert np.abs(fused.astype(int) - alone).max() <= 1

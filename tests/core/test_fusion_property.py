"""Property: a fused spatial chain equals the op-by-op chain (``fuse=False``).

Random chains of 1-5 spatial steps (crops smaller and larger than the canvas, padded crops, flips,
transposes, quarter turns, rotations including pairs that cancel, affine translate/scale, resizes,
displacement fields; constant borders with various fills and reflect/replicate borders) run on a real
photo, a constant-255 image (any leak of content into a fill region shows) and a label mask, with boxes.

- Boxes are moved at plan time, so they and their indices must be identical.
- A chain made only of index remaps (flips, integer crops and pads, quarter turns, transposes, integer
  translations) must give identical arrays: there is nothing to interpolate.
- Otherwise one resampling and several differ by where each samples. Op by op, each resampling step
  moves a sample by at most half a pixel diagonal (0.71 px: nearest rounding, or the reach of the
  bilinear kernel) in its own output, which the later steps scale by their zoom; the sum over steps of
  0.75 x that zoom, plus one pixel for the fused run's own rounding and anti-aliasing, bounds how far
  apart fused and op-by-op sample (``_radius``). The reference for where that matters is computed
  independently: every output pixel centre is followed backwards through each step's own matrix or
  field (numpy, and the border rule's reflection where a step reflects). Then, away from every step's
  canvas edge by more than the radius:
  * the constant image is identical: no content leaks into a fill region, no fill covers content;
  * mask fills are identical, and two labels differ only near a label edge of the source, or where
    op-by-op shows fused's label within the radius;
  * where every step read its own canvas (no fill, no border rule), a fused photo value lies within the
    range of the source pixels the one resampling could read (1 px of kernel reach plus the footprint
    of an output pixel), give or take 2 grey levels of rounding (``CUBIC_OVERSHOOT`` with cubic kernels).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import invariant as iv
from invariant.data import load_photo

H0, W0 = 48, 64
FILLS = (0, 60, 128)
MASK_FILLS = (0, 7, 9)
BORDERS = ("constant", "constant", "reflect", "replicate")
# OpenCV's cubic kernel (a = -0.75): its 4 weights along an axis sum to 1 with absolute values summing
# to at most 1.375 (at half-pixel offsets), so 1.375 ** 2 in 2-D: a result may leave the range of the
# pixels it reads by (1.890625 - 1) / 2 of that range, at most 114 grey levels
CUBIC_OVERSHOOT = 114


def _photo() -> np.ndarray:
    return cv2.resize(load_photo("astronaut"), (W0, H0), interpolation=cv2.INTER_AREA)


BLOCK = 16  # label blocks of BLOCK x BLOCK pixels


def _labels() -> np.ndarray:
    """Label blocks 10..21: apart from every mask fill, so fill and content are told apart."""
    yy, xx = np.mgrid[0:H0, 0:W0]
    return (10 + (yy // BLOCK) * 4 + xx // BLOCK).astype(np.uint8)


BOXES = [[2, 2, 14, 12], [40, 30, 62, 46], [20, 10, 44, 38], [0, 40, 4, 48]]

border = st.tuples(st.sampled_from(BORDERS), st.sampled_from(FILLS), st.sampled_from(MASK_FILLS))
sizes = st.tuples(st.integers(3, 80), st.integers(3, 90))  # small crops can land wholly inside an earlier padding
angles = st.sampled_from([-33.0, -12.0, -5.5, 3.0, 12.0, 20.0, 45.0])

step = st.one_of(
    st.tuples(st.just("center_crop"), sizes, border),
    st.tuples(st.just("random_crop"), sizes, st.integers(0, 4), border),
    st.tuples(st.just("hflip")),
    st.tuples(st.just("vflip")),
    st.tuples(st.just("transpose")),
    st.tuples(st.just("rot90")),
    st.tuples(st.just("rotate"), angles, st.sampled_from(("linear", "linear", "nearest", "cubic")), border),
    # +a then -a: composes to the identity (RandAugment's +-m pairs); drawn more often, as it needs a
    # revealing step after it to matter
    *[st.tuples(st.just("rotate_pair"), angles, border, border)] * 3,
    st.tuples(st.just("translate"), st.integers(-12, 12), st.integers(-12, 12), border),
    st.tuples(st.just("affine"), st.floats(0.8, 1.25), st.floats(-20, 20), st.integers(-8, 8), border),
    st.tuples(st.just("resize"), st.floats(0.7, 1.5), st.floats(0.7, 1.5)),
    st.tuples(st.just("field"), st.sampled_from(("elastic", "grid", "optical")), border),
)

EXACT = {"center_crop", "random_crop", "hflip", "vflip", "transpose", "rot90", "translate"}


def _border_args(b: tuple) -> dict:
    mode, fill, fill_mask = b
    return {"border_mode": mode, "fill": fill, "fill_mask": fill_mask}


def build(specs: list) -> tuple[list, float]:
    """Fresh transforms for ``specs`` and the sampling-distance bound ``_radius`` for them."""
    chain, zooms = [], []  # zooms: (is_resampling, zoom of this step)
    h, w = H0, W0
    turned = False  # after a quarter turn drawn at call time, the canvas may be either way round
    for spec in specs:
        kind = spec[0]
        if kind == "center_crop":
            (h, w), b = spec[1], spec[2]
            chain.append(iv.CenterCrop((h, w), **_border_args(b)))
        elif kind == "random_crop":
            (h, w), pad, b = spec[1], spec[2], spec[3]
            chain.append(iv.RandomCrop((h, w), padding=pad, pad_if_needed=True, **_border_args(b)))
        elif kind == "hflip":
            chain.append(iv.HorizontalFlip(p=1))
        elif kind == "vflip":
            chain.append(iv.VerticalFlip(p=1))
        elif kind == "transpose":
            chain.append(iv.Transpose(p=1))
            h, w = w, h
        elif kind == "rot90":
            chain.append(iv.RandomRotate90(p=1))
            turned = True
        elif kind == "rotate":
            a, interp, b = spec[1], spec[2], spec[3]
            chain.append(iv.Rotate(limit=(a, a), interpolation=interp, p=1, **_border_args(b)))
        elif kind == "rotate_pair":
            a, b1, b2 = spec[1], spec[2], spec[3]
            chain.append(iv.Rotate(limit=(a, a), p=1, **_border_args(b1)))
            chain.append(iv.Rotate(limit=(-a, -a), p=1, **_border_args(b2)))
            zooms.append((True, 1.0))
        elif kind == "translate":
            tx, ty, b = spec[1], spec[2], spec[3]
            chain.append(iv.Affine(translate_px={"x": (tx, tx), "y": (ty, ty)}, p=1, **_border_args(b)))
        elif kind == "affine":
            s, a, t, b = spec[1], spec[2], spec[3], spec[4]
            chain.append(iv.Affine(scale=(s, s), rotate=(a, a), translate_px={"x": (t, t), "y": (0, 0)}, p=1, **_border_args(b)))
            zooms.append((True, s))
            continue
        elif kind == "resize":
            fy, fx = spec[1], spec[2]
            nh, nw = max(8, int(h * fy)), max(8, int(w * fx))
            chain.append(iv.Resize(nh, nw))
            zoom = max(nh / h, nw / w, nh / w, nw / h) if turned else max(nh / h, nw / w)
            zooms.append((True, zoom))
            h, w = nh, nw
            continue
        elif kind == "field":
            name, b = spec[1], spec[2]
            cls = {"elastic": iv.ElasticTransform, "grid": iv.GridDistortion, "optical": iv.OpticalDistortion}[name]
            chain.append(cls(p=1, **_border_args(b)))
            zooms.append((True, 1.0))
            zooms.append((True, 1.0))  # a field's local stretch: one more pixel of reach
            continue
        zooms.append((kind not in EXACT, 1.0))
    return chain, _radius(zooms)


def _radius(zooms: list) -> float:
    """Bound on the distance between fused and op-by-op sample positions (module docstring)."""
    reach, after = 1.0, 1.0
    for resampling, zoom in reversed(zooms):
        if resampling:
            reach += 0.75 * after
        after *= zoom
    return reach


def _window(radius: float) -> np.ndarray:
    r = int(math.ceil(radius))
    return np.ones((2 * r + 1, 2 * r + 1), np.uint8)


def _back_positions(chain: list, recorded: list, out_shape: tuple[int, int]):
    """Follow every output pixel centre backwards through each step's own matrix or field (numpy and
    cv2.remap of coordinates, independent of the planner). Yields, from the last step to the first,
    (continuous position in the step's input canvas, that canvas' (H, W), input pixels per output pixel,
    whether its border rule reads content outside the canvas); positions outside the canvas of a step
    with such a rule continue from where the rule reads."""
    shapes, geoms = [(H0, W0)], []
    for t, rec in zip(chain, recorded):
        params = dict(rec["params"])
        if hasattr(t, "field"):
            fx, fy = t.field(params, shapes[-1])
            geoms.append((fx, fy))
            shapes.append(fx.shape)
        else:
            matrix, out = t.geometry(params, shapes[-1])
            geoms.append(np.asarray(matrix, np.float64))
            shapes.append((int(out[0]), int(out[1])))
    assert shapes[-1] == tuple(out_shape)
    h, w = out_shape
    x, y = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    for k in range(len(chain) - 1, -1, -1):
        g = geoms[k]
        if isinstance(g, tuple):  # backward maps in pixel-index positions, sampled bilinearly
            ix, iy = (x - 0.5).astype(np.float32), (y - 0.5).astype(np.float32)
            x = cv2.remap(g[0], ix, iy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float64) + 0.5
            y = cv2.remap(g[1], ix, iy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float64) + 0.5
        else:
            inv = np.linalg.inv(g)
            z = inv[2, 0] * x + inv[2, 1] * y + inv[2, 2]
            x, y = (inv[0, 0] * x + inv[0, 1] * y + inv[0, 2]) / z, (inv[1, 0] * x + inv[1, 1] * y + inv[1, 2]) / z
        dxr, dxc = np.gradient(x) if min(h, w) > 1 else (np.ones_like(x), np.ones_like(x))
        dyr, dyc = np.gradient(y) if min(h, w) > 1 else (np.ones_like(y), np.ones_like(y))
        stretch = np.maximum(np.maximum(np.hypot(dxc, dyc), np.hypot(dxr, dyr)), 1e-6)
        yield x, y, shapes[k], stretch, chain[k].border_mode != "constant"
        x, y = _fold(x, shapes[k][1], chain[k].border_mode), _fold(y, shapes[k][0], chain[k].border_mode)


def _fold(x: np.ndarray, size: int, mode: str) -> np.ndarray:
    """Where a border rule reads for continuous position ``x`` outside [0, size): OpenCV's
    BORDER_REFLECT_101 and BORDER_REPLICATE on pixel indices (constant: unchanged, it is fill)."""
    p = x - 0.5  # pixel-index position
    if mode == "reflect":
        period = 2 * max(size - 1, 1)
        p = np.abs(p) % period
        p = np.where(p > size - 1, period - p, p)
    elif mode == "replicate":
        p = np.clip(p, 0, size - 1)
    return p + 0.5


def _edge_distance(x: np.ndarray, y: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Distance from (x, y) to the boundary of the canvas [0, W] x [0, H] (inside or outside)."""
    H, W = shape
    out_x, out_y = np.maximum(-x, x - W), np.maximum(-y, y - H)
    inside = (out_x <= 0) & (out_y <= 0)
    return np.where(inside, np.minimum(-out_x, -out_y), np.hypot(np.maximum(out_x, 0), np.maximum(out_y, 0)))


def _check_close(fused: dict, steps: dict, radius: float, chain: list, recorded: list, slack: int) -> None:
    """Non-index-remap chains: agreement wherever the outcome cannot depend on where within ``radius``
    output pixels a sample lands (see the module docstring)."""
    k = _window(radius)
    out_shape = steps["mask"].shape[:2]
    near = np.zeros(out_shape, bool)  # within the radius of some step's canvas edge
    content = np.ones(out_shape, bool)  # inside every step's canvas: source content, no fill, no border rule
    for x, y, shape, stretch, reads_content in _back_positions(chain, recorded, out_shape):
        # within the radius in output pixels, or within it in this canvas' own pixels: a border rule
        # (replicate/reflect) collapses many outputs onto one read near the edge (stretch -> 0 there), and
        # an interpolation kernel reaches its pixel neighbours whatever the zoom
        edge = _edge_distance(x, y, shape)
        near |= (edge / stretch <= radius) | (edge <= radius)
        if not reads_content:
            content &= (x >= 0) & (y >= 0) & (x < shape[1]) & (y < shape[0])
    x, y = _fold(x, W0, chain[0].border_mode), _fold(y, H0, chain[0].border_mode)  # where the source is read
    label_edge = np.minimum(np.abs(x - BLOCK * np.round(x / BLOCK)), np.abs(y - BLOCK * np.round(y / BLOCK)))
    near_label = ~content | (label_edge / stretch <= radius)
    far = ~near
    # constant image: away from every canvas edge, fill and content are exactly where op-by-op has them
    a, b = fused["flat"][:, :, 0], steps["flat"][:, :, 0]
    bad = far & (a != b)
    assert not bad.any(), f"fill/content disagree away from edges at {np.argwhere(bad)[:5].tolist()}: fused {a[bad][:5]}, op-by-op {b[bad][:5]}"
    # masks: the same for fills; two labels may differ only near a label edge or where op-by-op shows it nearby
    a, b = fused["mask"], steps["mask"]
    fill = np.isin(a, MASK_FILLS) | np.isin(b, MASK_FILLS)
    bad = far & fill & (a != b)
    assert not bad.any(), f"mask fill/label disagree away from edges at {np.argwhere(bad)[:5].tolist()}: fused {a[bad][:5]}, op-by-op {b[bad][:5]}"
    for label in np.unique(a[far & ~fill & (a != b)]):
        seen = cv2.dilate((b == label).astype(np.uint8), k).astype(bool)
        bad = far & ~near_label & (a == label) & (b != label) & ~seen
        assert not bad.any(), f"label {label} where op-by-op has none within {radius:.2f} px, at {np.argwhere(bad)[:5].tolist()}"
    # photo: fused resampled the source once at these positions, so it lies within the source's range there
    inside = far & content
    ix, iy = np.clip(np.floor(x).astype(int), 0, W0 - 1), np.clip(np.floor(y).astype(int), 0, H0 - 1)
    reach = np.ceil(1 + stretch).astype(int)  # kernel reach (1 px) plus the footprint of an output pixel
    a = fused["image"].astype(int)
    for r in np.unique(reach[inside]):
        sel = inside & (reach == r)
        lo = cv2.erode(PHOTO, _window(r)).astype(int)[iy[sel], ix[sel]] - slack
        hi = cv2.dilate(PHOTO, _window(r)).astype(int)[iy[sel], ix[sel]] + slack
        bad = (a[sel] < lo) | (a[sel] > hi)
        assert not bad.any(), f"{bad.sum()} photo values outside the source's range at their position, e.g. {np.argwhere(sel)[bad.any(axis=1)][:3].tolist()}"


PHOTO, LABELS = _photo(), _labels()
FLAT = np.full((H0, W0, 1), 255, np.uint8)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(step, min_size=1, max_size=5), st.integers(0, 2**16))
def test_fused_equals_op_by_op(specs, seed):
    data = {"image": PHOTO, "flat": FLAT, "mask": LABELS, "bboxes": BOXES, "labels": [0, 1, 2, 3]}
    chain, radius = build(specs)
    fused = iv.Compose(chain, seed=seed, additional_targets={"flat": "image"})(**data, return_params=True)
    chain, _ = build(specs)
    steps = iv.Compose(chain, seed=seed, fuse=False, additional_targets={"flat": "image"})(**data)
    np.testing.assert_array_equal(fused["bboxes"], steps["bboxes"])
    np.testing.assert_array_equal(fused["bbox_indices"], steps["bbox_indices"])
    assert fused["labels"] == steps["labels"]
    for name in ("image", "flat", "mask"):
        assert fused[name].shape == steps[name].shape, name
    if all(spec[0] in EXACT for spec in specs):
        for name in ("image", "flat", "mask"):  # index remaps: nothing to interpolate, identical
            np.testing.assert_array_equal(fused[name], steps[name], err_msg=name)
    else:
        slack = CUBIC_OVERSHOOT if any(spec[0] == "rotate" and spec[2] == "cubic" for spec in specs) else 2
        _check_close(fused, steps, radius, chain, fused["params"], slack)


def test_issue_counterexamples():
    """The two reported chains: a crop of a pad (fill one pixel short) and two cancelling rotations
    followed by a shift (the first rotation's fill was not painted, cropped content came back)."""
    img = np.full((40, 40), 255, np.uint8)
    chain = lambda: [iv.CenterCrop((20, 50)), iv.CenterCrop((30, 60))]  # noqa: E731
    fused, steps = iv.Compose(chain())(image=img)["image"], iv.Compose(chain(), fuse=False)(image=img)["image"]
    expected = np.zeros((30, 60), np.uint8)
    expected[5:25, 10:50] = 255  # the 40-wide, 20-tall crop placed at (5, 10) of the 60 x 30 canvas (numpy reference)
    np.testing.assert_array_equal(steps, expected)
    np.testing.assert_array_equal(fused, expected)
    img = np.zeros((48, 64), np.uint8)
    img[42:45, 0:3] = 255
    mask = (img > 0).astype(np.uint8)
    chain = lambda: [  # noqa: E731
        iv.Rotate(limit=(-12, -12), p=1),
        iv.Rotate(limit=(12, 12), p=1),
        iv.Affine(translate_px={"x": (0, 0), "y": (-8, -8)}, p=1),
    ]
    box = {"bboxes": [[0, 42, 3, 45]], "labels": [1]}
    fused = iv.Compose(chain())(image=img, mask=mask, **box)
    steps = iv.Compose(chain(), fuse=False)(image=img, mask=mask, **box)
    # the corner square lies outside the first rotation's canvas (cropped off): gone, with its box
    assert steps["labels"] == [] and fused["labels"] == []
    assert (steps["image"] > 0).sum() == 0 and (fused["image"] > 0).sum() == 0
    assert (fused["mask"] > 0).sum() == 0

"""Non-rigid displacement fields in ``ops.distort``'s convention (``(map_x, map_y)``, backward, pixel-index
positions, float32, output-canvas shape): thin-plate splines and elastic grids. The executor resamples
images, masks and depth from them and fuses them with neighbouring spatial steps."""

from __future__ import annotations

import numpy as np


def tps_kernel(r2: np.ndarray) -> np.ndarray:
    """The thin-plate radial basis ``U(r) = r^2 log r^2`` (Bookstein 1989), written in ``r^2``; ``U(0) = 0``."""
    r2 = np.asarray(r2, np.float64)
    return np.where(r2 > 0, r2 * np.log(np.where(r2 > 0, r2, 1.0)), 0.0)


def tps_fit(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Thin-plate spline through ``n`` points mapping ``src[i] -> dst[i]`` (Bookstein 1989, "Principal warps"):
    ``f(p) = A [1, x, y] + sum_i w_i U(|p - src_i|)`` minimising bending energy. Solves
    ``[[K, P], [P^T, 0]] [w; A] = [dst; 0]``; returns ``(w (n, 2), A (3, 2))``."""
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    n = len(src)
    d2 = ((src[:, None, :] - src[None, :, :]) ** 2).sum(-1)
    p = np.hstack([np.ones((n, 1)), src])
    lhs = np.zeros((n + 3, n + 3))
    lhs[:n, :n] = tps_kernel(d2)
    lhs[:n, n:] = p
    lhs[n:, :n] = p.T
    rhs = np.vstack([dst, np.zeros((3, 2))])
    sol = np.linalg.lstsq(lhs, rhs, rcond=None)[0]
    return sol[:n], sol[n:]


def tps_evaluate(points: np.ndarray, src: np.ndarray, weights: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """``f(points)`` for a spline from ``tps_fit``: (m, 2) -> (m, 2)."""
    pts = np.asarray(points, np.float64)
    d2 = ((pts[:, None, :] - np.asarray(src, np.float64)[None, :, :]) ** 2).sum(-1)
    return affine[0] + pts @ affine[1:] + tps_kernel(d2) @ weights


def tps_grid(xs: np.ndarray, ys: np.ndarray, src: np.ndarray, weights: np.ndarray, affine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f`` on the grid ``xs`` x ``ys`` (the same values as ``tps_evaluate`` on the meshgrid), one control point
    at a time on (len(ys), len(xs)) planes: no (pixels, points, 2) temporary."""
    fx = affine[0, 0] + affine[1, 0] * xs[None, :] + affine[2, 0] * ys[:, None]
    fy = affine[0, 1] + affine[1, 1] * xs[None, :] + affine[2, 1] * ys[:, None]
    fx = np.broadcast_to(fx, (len(ys), len(xs))).copy()
    fy = np.broadcast_to(fy, (len(ys), len(xs))).copy()
    u = np.empty_like(fx)
    logs = np.empty_like(fx)
    for (cx, cy), (wx, wy) in zip(np.asarray(src, np.float64), weights):
        np.add((xs - cx)[None, :] ** 2, ((ys - cy) ** 2)[:, None], out=u)  # r^2
        np.maximum(u, 1e-300, out=logs)
        np.log(logs, out=logs)
        u *= logs  # r^2 log r^2 (0 at r = 0)
        fx += wx * u
        fy += wy * u
    return fx, fy


def tps_field(shape: tuple[int, int], src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Backward field of the thin-plate warp that moves control points ``src`` to ``dst`` (both (n, 2) in
    coordinates normalised by the canvas, x / w and y / h of continuous positions): each output pixel samples
    the spline fitted from ``dst`` to ``src``, so the image content at ``src[i]`` appears at ``dst[i]``."""
    h, w = shape
    weights, affine = tps_fit(dst, src)
    # every pixel up to 512 per side; beyond, a 512-node grid refined bilinearly (within 0.05 px, tested)
    gy, gx = min(h, 512), min(w, 512)
    ys = (np.linspace(0.5, h - 0.5, gy)) / h
    xs = (np.linspace(0.5, w - 0.5, gx)) / w
    mx, my = tps_grid(xs, ys, dst, weights, affine)
    mx = (mx * w - 0.5).astype(np.float32)
    my = (my * h - 0.5).astype(np.float32)
    if (gy, gx) == (h, w):
        return mx, my
    return _upsample_nodes(mx, (h, w)), _upsample_nodes(my, (h, w))


def _upsample_nodes(nodes: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear interpolation of values given at ``nodes.shape`` points spread evenly from the first to the last
    pixel centre (node i of n at pixel (i (size - 1) / (n - 1))) onto every pixel of ``shape``."""
    h, w = shape
    gy, gx = nodes.shape
    fy = np.arange(h) * ((gy - 1) / max(h - 1, 1))
    fx = np.arange(w) * ((gx - 1) / max(w - 1, 1))
    y0 = np.minimum(np.floor(fy).astype(np.intp), gy - 2) if gy > 1 else np.zeros(h, np.intp)
    x0 = np.minimum(np.floor(fx).astype(np.intp), gx - 2) if gx > 1 else np.zeros(w, np.intp)
    ty = (fy - y0)[:, None] if gy > 1 else np.zeros((h, 1))
    tx = (fx - x0)[None, :] if gx > 1 else np.zeros((1, w))
    y1 = np.minimum(y0 + 1, gy - 1)
    x1 = np.minimum(x0 + 1, gx - 1)
    a = nodes[y0][:, x0] * (1 - tx) + nodes[y0][:, x1] * tx
    b = nodes[y1][:, x0] * (1 - tx) + nodes[y1][:, x1] * tx
    return (a * (1 - ty) + b * ty).astype(np.float32)


def grid_elastic_field(shape: tuple[int, int], dx: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Backward field of an elastic grid: node displacements ``dx``, ``dy`` (pixels, (gy + 1, gx + 1) arrays over
    a grid of gx x gy cells whose nodes sit at ``k (size - 1) / cells`` pixels), interpolated bilinearly inside
    each cell, added to the identity. The caller zeroes border nodes to keep the image frame in place."""
    h, w = shape
    ox = _upsample_nodes(np.asarray(dx, np.float32), (h, w))
    oy = _upsample_nodes(np.asarray(dy, np.float32), (h, w))
    ox += np.arange(w, dtype=np.float32)[None, :]
    oy += np.arange(h, dtype=np.float32)[:, None]
    return ox, oy

"""Exact 7x7 median filter of uint8 images as a separable min/max network (Adams, "Fast median filters
using separable sorting networks", ACM TOG 2021), bit for bit ``cv2.medianBlur(image, 7)``.

Each step is one ``np.minimum`` / ``np.maximum`` over a whole (banded) image: the image is padded with
3 replicated pixels per side (``cv2.medianBlur``'s border) and flattened, so moving the 7x7 window down one
row is an offset of one padded row and right one pixel an offset of ``channels`` elements; every step is a
contiguous 1-D slice pair, for any channel count. The network per output pixel:

1. sort each vertical 7-window (merge sort built from Batcher odd-even merges);
2. sort each rank's horizontal 7-window the same way: the 7x7 window is now a grid sorted along rows and
   columns, so element (a, b) (1-based) has at least a * b elements <= it and (8 - a) * (8 - b) >= it;
3. only the 29 elements with both counts <= 25 can be the median (10 are known to lie below and 10 above
   it), so the median is the 15th smallest of them: merge their sorted rows and keep that one output.

Steps are hash-consed with their window offset factored out (``min(x[i + 2], x[i + 3])`` is
``min(x[i], x[i + 1])`` shifted by 2), so the pair, 4- and 3-sorts a window shares with its neighbours are
computed once per pixel, and only steps that reach the output are run (368 min/max passes per pixel,
against cv2.medianBlur's histogram algorithm, ~33 ns per 8-bit pixel at 7x7). Correctness is checked
exhaustively by tests/transforms/test_median_network.py (0-1 principle over all column-sorted inputs)
besides equality with OpenCV on photos and edge cases.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import cv2
import numpy as np

Ref = tuple[int, tuple[int, int]]  # (node id, (dy, dx) offset of its window); node -1 is the input pixel
K = 7
RADIUS = K // 2


class Network:
    """A hash-consed DAG of min/max nodes over shifted copies of one image."""

    def __init__(self) -> None:
        self.nodes: list[tuple[str, Ref, Ref]] = []
        self._index: dict[tuple[str, Ref, Ref], int] = {}

    def _op(self, op: str, x: Ref, y: Ref) -> Ref:
        if x == y:
            return x
        (a, (ay, ax)), (b, (by, bx)) = x, y
        my, mx = min(ay, by), min(ax, bx)
        lo, hi = sorted([(a, (ay - my, ax - mx)), (b, (by - my, bx - mx))])
        key = (op, lo, hi)
        node = self._index.get(key)
        if node is None:
            node = self._index[key] = len(self.nodes)
            self.nodes.append(key)
        return node, (my, mx)

    def min(self, x: Ref, y: Ref) -> Ref:
        return self._op("min", x, y)

    def max(self, x: Ref, y: Ref) -> Ref:
        return self._op("max", x, y)

    def merge(self, x: list[Ref], y: list[Ref]) -> list[Ref]:
        """Batcher's odd-even merge of two ascending lists (any lengths)."""
        if not x or not y:
            return list(x or y)
        if len(x) == 1 and len(y) == 1:
            return [self.min(x[0], y[0]), self.max(x[0], y[0])]
        even, odd = self.merge(x[0::2], y[0::2]), self.merge(x[1::2], y[1::2])
        out = [even[0]]
        i = 0
        while i < len(odd) and i + 1 < len(even):
            out += [self.min(even[i + 1], odd[i]), self.max(even[i + 1], odd[i])]
            i += 1
        return out + even[i + 1 :] + odd[i:]

    def sort(self, xs: list[Ref]) -> list[Ref]:
        """Merge sort; 7 splits 4 + 3 so the pair and 4-sorts are shared by sliding windows."""
        if len(xs) <= 1:
            return list(xs)
        half = 4 if len(xs) == 7 else (len(xs) + 1) // 2
        return self.merge(self.sort(xs[:half]), self.sort(xs[half:]))

    def live(self, out: Ref) -> list[int]:
        """Ids of the nodes ``out`` depends on, in creation (= topological) order."""
        need: set[int] = set()
        stack = [out[0]]
        while stack:
            n = stack.pop()
            if n >= 0 and n not in need:
                need.add(n)
                stack += [self.nodes[n][1][0], self.nodes[n][2][0]]
        return sorted(need)


def shifted(ref: Ref, dy: int, dx: int) -> Ref:
    return ref[0], (ref[1][0] + dy, ref[1][1] + dx)


def median7_network() -> tuple[Network, Ref]:
    """The per-pixel network (see the module docstring); returns it and the median's reference."""
    net = Network()
    column = net.sort([(-1, (dy, 0)) for dy in range(K)])  # ranks of the vertical window at dx = 0
    grid = [net.sort([shifted(column[r], 0, dx) for dx in range(K)]) for r in range(K)]
    half = (K * K + 1) // 2  # 25: the median's rank
    rows = [[grid[a - 1][b - 1] for b in range(1, K + 1) if a * b <= half and (K + 1 - a) * (K + 1 - b) <= half] for a in range(1, K + 1)]
    n_candidates = sum(map(len, rows))  # 29; 10 discarded elements lie below the median and 10 above
    below = (K * K - n_candidates) // 2
    while len(rows) > 1:  # merge the shortest sorted rows first
        rows.sort(key=len)
        rows = [net.merge(rows[0], rows[1]), *rows[2:]]
    return net, rows[0][half - 1 - below]


@lru_cache(maxsize=None)
def _program() -> tuple[tuple[tuple[bool, int, int, tuple[int, int], int, tuple[int, int]], ...], int, tuple[int, int]]:
    """The live network as straight-line code over reusable buffers: (is_min, dst, src_a, off_a, src_b,
    off_b) steps (src -1: the padded input), the buffer count, and the output's (buffer, offset)."""
    net, (out_node, out_off) = median7_network()
    order = net.live((out_node, out_off))
    last_use = {}
    for step, n in enumerate(order):
        for src, _ in net.nodes[n][1:]:
            last_use[src] = step
    last_use[out_node] = len(order)
    slot: dict[int, int] = {}
    free: list[int] = []
    n_buffers = 0
    steps = []
    for step, n in enumerate(order):
        op, (a, oa), (b, ob) = net.nodes[n]
        sa, sb = slot.get(a, -1), slot.get(b, -1)
        if free:
            dst = free.pop()
        else:
            dst, n_buffers = n_buffers, n_buffers + 1
        slot[n] = dst
        for src in {a, b}:  # release inputs after their last use (never the step's own output: shifted
            if src >= 0 and last_use[src] == step:  # overlapping operands would make numpy copy them)
                free.append(slot[src])
        steps.append((op == "min", dst, sa, oa, sb, ob))
    return tuple(steps), n_buffers, (slot[out_node], out_off)


_BAND_BYTES = 1 << 17  # rows per band: about 128 KB of padded image, so a band's buffers stay in cache
_WORK = threading.local()


class _Plan:
    """Buffers and bound ufunc calls for one image shape (reused by the thread while the shape repeats)."""

    def __init__(self, h: int, w: int, c: int) -> None:
        steps, n_buffers, (out_slot, (oy, ox)) = _program()
        stride = (w + 2 * RADIUS) * c  # elements per padded row
        n_bands = max(1, min(h, -(-h * stride // _BAND_BYTES)))
        rows = -(-h // n_bands)  # output rows per band
        n_bands = -(-h // rows)
        self.shape, self.rows, self.n_bands = (h, w, c), rows, n_bands
        self.padded = np.empty((n_bands * rows + 2 * RADIUS, w + 2 * RADIUS, c), np.uint8)
        self.bottom = n_bands * rows - h + RADIUS
        band_len = (rows + 2 * RADIUS + 1) * stride
        work = np.empty((n_buffers, band_len), np.uint8)
        # the length each step must cover: what its consumers read at their offsets (reverse pass)
        need = [0] * len(steps)
        out_len = (rows - 1) * stride + w * c
        flat = lambda off: off[0] * stride + off[1] * c  # noqa: E731
        length = {len(steps) - 1: out_len + flat((oy, ox))}
        owner: dict[int, int] = {}  # buffer -> index of the step whose value it currently holds
        readers: list[list[tuple[int, int]]] = [[] for _ in steps]  # step -> [(source step, offset)]
        for i, (_, dst, sa, oa, sb, ob) in enumerate(steps):
            for src, off in ((sa, oa), (sb, ob)):
                if src >= 0:
                    readers[i].append((owner[src], flat(off)))
            owner[dst] = i
        for i in range(len(steps) - 1, -1, -1):
            need[i] = length.get(i, 0)
            for src, off in readers[i]:
                length[src] = max(length.get(src, 0), need[i] + off)
        self.calls: list[list[tuple]] = []
        padded_flat = self.padded.reshape(-1)
        for band in range(n_bands):
            base = padded_flat[band * rows * stride :]
            calls = []
            for i, (is_min, dst, sa, oa, sb, ob) in enumerate(steps):
                n = need[i]
                a = (work[sa] if sa >= 0 else base)[flat(oa) : flat(oa) + n]
                b = (work[sb] if sb >= 0 else base)[flat(ob) : flat(ob) + n]
                calls.append((np.minimum if is_min else np.maximum, a, b, work[dst][:n]))
            self.calls.append(calls)
        off = flat((oy, ox))
        self.result = work[out_slot][off : off + rows * stride].reshape(rows, stride)[:, : w * c]

    def run(self, image: np.ndarray) -> np.ndarray:
        h, w, c = self.shape
        pad = RADIUS
        cv2.copyMakeBorder(image, pad, self.bottom, pad, pad, cv2.BORDER_REPLICATE, dst=self.padded if c > 1 else self.padded[:, :, 0])
        out = np.empty((h, w * c), np.uint8)
        rows = self.rows
        for band, calls in enumerate(self.calls):
            for fn, a, b, dst in calls:
                fn(a, b, out=dst)
            top = band * rows
            out[top : top + rows] = self.result[: h - top]
        return out.reshape(h, w, c)


def median7_uint8(image: np.ndarray) -> np.ndarray:
    """``cv2.medianBlur(image, 7)`` of an HWC uint8 image with any channel count, bit for bit (replicate
    border), via the separable network above."""
    h, w, c = image.shape
    plan = getattr(_WORK, "plan", None)
    if plan is None or plan.shape != (h, w, c):
        plan = _WORK.plan = _Plan(h, w, c)
    src = np.ascontiguousarray(image)
    return plan.run(src if c > 1 else src[:, :, 0])

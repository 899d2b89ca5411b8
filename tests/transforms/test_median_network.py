"""The 7x7 uint8 median network (ops.median_network) against cv2.medianBlur, bit for bit: real photos,
saturated and constant images, images smaller than the kernel, 1-5, 8 and 129 channels, non-contiguous
views, concurrent threads and hypothesis-drawn images; plus an exhaustive 0-1 principle proof that the
network selects the median, and a brute-force check of the order oracle's states."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import invariant as iv
from invariant.data import load_photo
from invariant.ops import blur_noise as B
from invariant.ops import median_network as M


def _opencv(image: np.ndarray) -> np.ndarray:
    """cv2.medianBlur(., 7) per channel (OpenCV's 7x7 8-bit median takes 1, 3 or 4 channels)."""
    planes = [cv2.medianBlur(np.ascontiguousarray(image[:, :, i]), 7) for i in range(image.shape[2])]
    return np.stack(planes, axis=2)


def _check(image: np.ndarray) -> None:
    out = M.median7_uint8(image)
    assert out.shape == image.shape and out.dtype == np.uint8 and out.flags.c_contiguous
    assert np.array_equal(out, _opencv(image)), image.shape


def test_network_is_exact_by_the_zero_one_principle() -> None:
    """A min/max network selects rank r for every input iff it does for every 0-1 input (thresholding
    commutes with min and max). The network reads the block's 6-high columns and each private row only
    through sorts (checked on all 2**6 and 2**7 0-1 inputs), so it suffices to run it on inputs whose 7
    block columns and private row are already sorted: 7**7 * 8 cases per output row."""
    net, outs = M.median7_network()
    column = net.sort(M.BLOCK)
    cols = np.array(list(itertools.product((0, 1), repeat=6)), dtype=bool)
    for k, ref in enumerate(column):
        got = _evaluate(net, ref, lambda plane, dy, dx: cols[:, M.BLOCK.index((plane, (dy, 0)))])
        assert np.array_equal(got, cols.sum(1) >= 6 - k)
    row = np.array(list(itertools.product((0, 1), repeat=7)), dtype=bool)
    for private in M.PRIVATE:
        for k, ref in enumerate(net.sort([M.shifted(private, 0, dx) for dx in range(7)])):
            assert np.array_equal(_evaluate(net, ref, lambda plane, dy, dx: row[:, dx]), row.sum(1) >= 7 - k)
    ones = np.array(list(itertools.product(range(7), repeat=7)), dtype=np.int8)  # ones per sorted block column
    block = [[np.packbits(ones[:, dx] >= 6 - r) for r in range(6)] for dx in range(7)]
    zeros, full = np.packbits(np.zeros(len(ones), bool)), np.packbits(np.ones(len(ones), bool))
    for private, out in zip(M.PRIVATE, outs):
        for k in range(8):  # k ones in the sorted private row

            def pixel(plane: int, dy: int, dx: int, k: int = k, private: tuple = private) -> np.ndarray:
                if (plane, (dy, 0)) == private:
                    return full if dx >= 7 - k else zeros
                return block[dx][M.BLOCK.index((plane, (dy, 0)))]

            got = np.unpackbits(_evaluate(net, out, pixel))[: len(ones)].astype(bool)
            assert np.array_equal(got, ones.sum(1) + k >= 25)  # the median of 49 bits is 1 iff 25+ are 1


def _evaluate(net: M.Network, ref: M.Ref, pixel) -> np.ndarray:
    """Value of ``ref`` for the window at the origin, with bitwise and/or as min/max on 0-1 inputs;
    ``pixel(plane, plane_row, column)`` gives the inputs."""
    memo: dict = {}

    def value(node: int, dy: int, dx: int) -> np.ndarray:
        if node < 0:
            return pixel(node, dy, dx)
        key = (node, dy, dx)
        if key not in memo:
            op, (a, (ay, ax)), (b, (by, bx)) = net.nodes[node]
            x, y = value(a, dy + ay, dx + ax), value(b, dy + by, dx + bx)
            memo[key] = (x & y) if op == "min" else (x | y)
        return memo[key]

    return value(ref[0], *ref[1])


def test_zero_one_check_catches_a_wrong_network() -> None:
    """The check above is not vacuous: on the same inputs the output differs from rank 24 and rank 26."""
    net, outs = M.median7_network()
    ones = np.array(list(itertools.product(range(7), repeat=7)), dtype=np.int8)
    block = [[np.packbits(ones[:, dx] >= 6 - r) for r in range(6)] for dx in range(7)]
    zeros = np.packbits(np.zeros(len(ones), bool))
    got = np.unpackbits(
        _evaluate(net, outs[0], lambda plane, dy, dx: zeros if (plane, (dy, 0)) == M.PRIVATE[0] else block[dx][M.BLOCK.index((plane, (dy, 0)))])
    )[: len(ones)].astype(bool)
    assert np.array_equal(got, ones.sum(1) >= 25)
    assert not np.array_equal(got, ones.sum(1) >= 24) and not np.array_equal(got, ones.sum(1) >= 26)


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea"])
def test_photos_equal_opencv(name: str) -> None:
    photo = load_photo(name)
    _check(photo)
    _check(np.ascontiguousarray(photo[:, :, :1]))
    _check(np.ascontiguousarray(photo[::3, ::2]))


@pytest.mark.parametrize("channels", [1, 2, 3, 4, 5])
def test_edge_shapes_and_values(channels: int) -> None:
    rng = np.random.default_rng(channels)
    shapes = [(1, 1), (1, 9), (9, 1), (3, 3), (6, 6), (7, 7), (8, 5), (13, 29), (64, 33), (300, 17)]
    for h, w in shapes:
        _check(rng.integers(0, 256, (h, w, channels), dtype=np.uint8))
        _check(rng.choice(np.array([0, 255], np.uint8), (h, w, channels)))  # saturation
        _check(np.full((h, w, channels), 77, np.uint8))


def test_many_channels() -> None:
    rng = np.random.default_rng(7)
    for c in (8, 129):  # above OpenCV's 4-channel filters and its binding's 128-channel border
        _check(rng.integers(0, 256, (23, 31, c), dtype=np.uint8))


def test_non_contiguous_and_banded_inputs() -> None:
    photo = load_photo("astronaut")
    _check(photo[10:300:2, 5:400:3])  # strided view
    _check(photo[:, :, ::-1])  # reversed channels
    tall = np.ascontiguousarray(np.concatenate([photo[:, :64]] * 3, axis=0))  # several bands, uneven last
    _check(tall)


def test_median_blur_dispatches_and_keeps_results(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(B, "median7_uint8", lambda image: calls.append(image.shape) or M.median7_uint8(image))
    photo = load_photo("coffee")[:128, :160]
    assert np.array_equal(B.median_blur(photo, 7), cv2.medianBlur(photo, 7))
    assert np.array_equal(iv.MedianBlur(7, p=1)(image=photo)["image"], cv2.medianBlur(photo, 7))
    small = np.ascontiguousarray(photo[:40, :40])  # below the size where the network pays off: OpenCV
    assert np.array_equal(B.median_blur(small, 7), cv2.medianBlur(small, 7))
    assert calls == [photo.shape, photo.shape]


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 40), st.sampled_from([1, 3, 4])), elements=st.integers(0, 255)),
)
def test_hypothesis_images_equal_opencv(image: np.ndarray) -> None:
    _check(image)


def test_staircases_are_all_sorted_zero_one_grids() -> None:
    """The order oracle's states: exactly the 0-1 6x7 grids ascending along rows and columns (brute force
    over all 2**42 would be too many, so compare against 2**12 on a 3x4 grid and count C(13, 6) on 6x7)."""
    every = np.array(list(itertools.product((False, True), repeat=12)), bool).reshape(-1, 3, 4)
    sorted_ = every[(np.diff(every.astype(int), axis=1) >= 0).all((1, 2)) & (np.diff(every.astype(int), axis=2) >= 0).all((1, 2))]
    got = M.staircases(3, 4)
    assert sorted(map(bytes, got)) == sorted(map(bytes, sorted_))
    assert len(M.staircases(6, 7)) == 1716 == len({bytes(g) for g in M.staircases(6, 7)})


def test_threads_keep_their_own_buffers() -> None:
    """Each thread caches its own plan (planes and work buffers): concurrent calls on different shapes
    must not share them."""
    from concurrent.futures import ThreadPoolExecutor

    photo = load_photo("astronaut")
    crops = [np.ascontiguousarray(photo[: 100 + 17 * i, : 120 + 9 * i]) for i in range(8)] * 3
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(M.median7_uint8, crops))
    for crop, out in zip(crops, outs):
        assert np.array_equal(out, cv2.medianBlur(crop, 7))

"""Per-thread work arrays: reused per key while shape and dtype repeat, distinct across keys and threads,
fresh above the size cap; and the kernels that use them return arrays a later call never touches."""

from __future__ import annotations

import threading

import numpy as np

from invariant.ops import blur_noise as B
from invariant.ops import degrade as D
from invariant.ops import scratch

from ..conftest import photo


def test_reused_per_key_shape_and_dtype() -> None:
    a = scratch.work_array("test.a", (8, 9), np.float32)
    assert a.shape == (8, 9) and a.dtype == np.float32 and a.flags["C_CONTIGUOUS"]
    assert scratch.work_array("test.a", (8, 9), np.float32) is a
    assert scratch.work_array("test.a", (8, 9), np.uint8) is not a  # another dtype: a new array
    b = scratch.work_array("test.b", (8, 9), np.float32)
    assert not np.shares_memory(b, scratch.work_array("test.a", (8, 9), np.float32))


def test_fresh_above_the_cap() -> None:
    side = int(np.sqrt(scratch.MAX_BYTES / 4)) + 1
    big = scratch.work_array("test.big", (side, side), np.float32)
    assert big.nbytes > scratch.MAX_BYTES
    assert scratch.work_array("test.big", (side, side), np.float32) is not big


def test_a_thread_keeps_at_most_the_total(monkeypatch) -> None:
    monkeypatch.setattr(scratch, "TOTAL_BYTES", 3000)
    monkeypatch.setattr(scratch._LOCAL, "arrays", {}, raising=False)
    first = scratch.work_array("test.t1", (1000,), np.uint8)
    second = scratch.work_array("test.t2", (1500,), np.uint8)
    assert scratch.work_array("test.t1", (1000,), np.uint8) is first
    assert scratch.work_array("test.t2", (1500,), np.uint8) is second
    over = scratch.work_array("test.t3", (1000,), np.uint8)  # 3500 bytes in all: fresh, not kept
    assert scratch.work_array("test.t3", (1000,), np.uint8) is not over
    assert sum(a.nbytes for a in scratch._LOCAL.arrays.values()) <= 3000
    # a key whose shape changes is replaced, its old array no longer counted
    assert scratch.work_array("test.t2", (2000,), np.uint8) is scratch.work_array("test.t2", (2000,), np.uint8)


def test_each_thread_has_its_own() -> None:
    mine = scratch.work_array("test.thread", (4, 4), np.uint8)
    theirs: list[np.ndarray] = []
    worker = threading.Thread(target=lambda: theirs.append(scratch.work_array("test.thread", (4, 4), np.uint8)))
    worker.start()
    worker.join()
    assert not np.shares_memory(mine, theirs[0])


def test_kernels_return_arrays_later_calls_leave_alone() -> None:
    for dtype in ("uint8", "uint16", "float32"):
        image = photo(dtype, 3)
        first = B.iso_noise(image, 0.05, 0.5, seed=1)
        kept = first.copy()
        second = B.iso_noise(np.ascontiguousarray(image[::-1]), 0.05, 0.5, seed=2)
        assert not np.shares_memory(first, second)
        np.testing.assert_array_equal(first, kept)
    image = photo("uint8", 3)
    first = D.image_compression(image, 40)
    kept = first.copy()
    D.image_compression(np.ascontiguousarray(image[::-1]), 90)
    np.testing.assert_array_equal(first, kept)


def test_iso_noise_planes_fresh_and_into_out_agree() -> None:
    fresh = B.iso_noise_planes(5, (12, 17), 20.0, 3.0)
    out = (np.full((12, 17), np.nan, np.float32), np.full((12, 17), np.nan, np.float32))
    filled = B.iso_noise_planes(5, (12, 17), 20.0, 3.0, out=out)
    assert filled[0] is out[0] and filled[1] is out[1]
    for a, b in zip(fresh, filled):
        np.testing.assert_array_equal(a, b)
    # no hue noise: the plane is zero even when the given array held something else
    hue, _ = B.iso_noise_planes(5, (12, 17), 20.0, 0.0, out=out)
    assert not hue.any()

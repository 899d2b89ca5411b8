"""Per-thread work arrays for a kernel's intermediates.

A fresh array of a few hundred KB or more is memory the process may have just handed back to the
operating system (glibc trims the heap top and unmaps large blocks on free), so its first touch costs one
page fault per 4 KB page. On some machines (measured on a virtualised Sapphire Rapids host) that costs
about as much as the arithmetic: ISONoise on a 256x256 photo took 2.4 ms with fresh intermediates and
1.3 ms with the heap kept. A kernel whose intermediates never leave it reuses them here instead.

Rules for callers: a work array's contents are garbage on entry; it never leaves the kernel (return a
fresh array or a copy); one key per intermediate, so two live intermediates never share memory; keys are
kernel-qualified names (``"iso_noise.hls"``). A thread keeps at most ``MAX_BYTES`` per array and
``TOTAL_BYTES`` in all; beyond that arrays are allocated fresh, as before.
"""

from __future__ import annotations

import math
import threading

import numpy as np

MAX_BYTES = 8 << 20  # a larger intermediate is allocated fresh (its arithmetic dwarfs the page faults)
TOTAL_BYTES = 32 << 20  # what one thread keeps across all keys
_LOCAL = threading.local()


def work_array(key: str, shape: tuple[int, ...], dtype: np.dtype | type) -> np.ndarray:
    """An uninitialised C-contiguous array of ``shape`` and ``dtype``, reused by this thread for ``key`` while
    the shape and dtype repeat (fresh when it would exceed ``MAX_BYTES`` or the thread's ``TOTAL_BYTES``)."""
    arrays = getattr(_LOCAL, "arrays", None)
    if arrays is None:
        arrays = _LOCAL.arrays = {}
    buf = arrays.get(key)
    if buf is not None and buf.shape == shape and buf.dtype == dtype:
        return buf
    dtype = np.dtype(dtype)
    shape = tuple(int(s) for s in shape)
    nbytes = dtype.itemsize * math.prod(shape)
    kept = sum(a.nbytes for k, a in arrays.items() if k != key)
    if nbytes > MAX_BYTES or kept + nbytes > TOTAL_BYTES:
        return np.empty(shape, dtype)
    buf = arrays[key] = np.empty(shape, dtype)
    return buf

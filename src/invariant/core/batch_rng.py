"""The generators of many samples at once, bit-identical to ``derive_rng(seed, *keys, index)``.

``derive_rng`` builds ``Generator(PCG64(SeedSequence([seed, *keys, index])))``: numpy's SeedSequence
hashing and PCG64 seeding cost tens of microseconds per sample, most of a sample's planning time. Here
the same arithmetic runs on numpy arrays for a whole batch of indices:

* ``seed_words`` is ``SeedSequence([seed, *keys, index]).generate_state(4, np.uint64)`` for every index
  (numpy's ``bit_generator.pyx``: 32-bit ``hashmix``/``mix`` over a pool of 4 words, then 8 output words).
* ``BatchPCG64`` seeds one PCG64 stream per index from those words (``pcg64_set_seed``: a 128-bit LCG,
  here in uint64 halves) and draws ``next_uint64``, ``random()``, ``uniform()`` and ``integers()`` for
  all streams in lockstep, with an optional mask (only the masked streams advance, so streams that
  draw different counts stay exact). ``random(n)`` is one array pass (jump-ahead constants);
  ``random_ahead`` / ``consume`` serve rejection loops (look ahead, then advance each stream by what it
  used).
* ``generator(i)`` is stream ``i``'s ``numpy.random.Generator`` at its current position, for the
  per-sample code path (a transform without a vectorised sampler).
* ``fast_generator(words)`` builds the numpy Generator from precomputed words through numpy's own
  PCG64 seeding (about 8x cheaper than going through SeedSequence, same stream).

Exactness against numpy is tested for many seeds, keys and indices (``tests/core/test_batch_rng.py``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

import numpy as np
from numpy.random.bit_generator import ISeedSequence

from .errors import value_error

# numpy/random/bit_generator.pyx
_INIT_A = 0x43B0D7E5
_MULT_A = 0x931E8875
_INIT_B = 0x8B51F9DD
_MULT_B = 0x58F38DED
_MIX_MULT_L = 0xCA01F9DD
_MIX_MULT_R = 0x4973F715
_POOL = 4
_M32 = 0xFFFFFFFF
# numpy/random/src/pcg64/pcg64.h: PCG_DEFAULT_MULTIPLIER_128
_PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645
_MULT_HI = np.uint64(_PCG_MULT >> 64)
_MULT_LO = np.uint64(_PCG_MULT & 0xFFFFFFFFFFFFFFFF)
_U32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_DOUBLE = 1.0 / 9007199254740992.0  # 2**-53, numpy's next_double


def _words32(n: int) -> list[int]:
    """SeedSequence's little-endian 32-bit words of a non-negative int (``[0]`` for 0)."""
    if n == 0:
        return [0]
    out = []
    while n:
        out.append(n & _M32)
        n >>= 32
    return out


def _hash_constants(count: int, init: int, mult: int) -> tuple[np.ndarray, np.ndarray]:
    """The (xor, multiply) constants of ``count`` consecutive hashes: SeedSequence's hash constant
    sequence does not depend on the data, so a run of hashes is one array expression. (count, 1) each."""
    xors, mults, hc = [], [], init
    for _ in range(count):
        xors.append(hc)
        hc = (hc * mult) & _M32
        mults.append(hc)
    return np.array(xors, np.uint64)[:, None], np.array(mults, np.uint64)[:, None]


def _hash(values: np.ndarray, consts: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """``hashmix`` (or ``generate_state``'s hash) of rows of uint32 values with their constants
    (uint64 products wrap mod 2**64: their low 32 bits are exact)."""
    v = ((values ^ consts[0]) * consts[1]) & _U32
    return v ^ (v >> np.uint64(16))


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """SeedSequence's ``mix``."""
    result = (np.uint64(_MIX_MULT_L) * x - np.uint64(_MIX_MULT_R) * y) & _U32
    return result ^ (result >> np.uint64(16))


def _check_int(value: object, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or int(value) < 0:
        value_error(name, "a non-negative integer (numpy's SeedSequence takes no negative entropy)", value, f"pass {name} as an int >= 0")
    return int(value)


def seed_words(seed: int, keys: Sequence[int], indices: Sequence[int] | np.ndarray) -> np.ndarray:
    """``SeedSequence([seed, *keys, index]).generate_state(4, np.uint64)`` for every index: (B, 4) uint64."""
    prefix: list[int] = []
    for k, v in enumerate([seed, *keys]):
        prefix += _words32(_check_int(v, "seed" if k == 0 else "keys"))
    idx = np.asarray(indices)
    if idx.ndim != 1 or not (np.issubdtype(idx.dtype, np.integer) or idx.size == 0):
        value_error("indices", "a 1-D sequence of non-negative integers", idx.dtype if idx.ndim == 1 else idx.shape, "pass e.g. range(start, start + batch)")
    if idx.size and int(idx.min()) < 0:
        value_error("indices", "non-negative integers", int(idx.min()), "pass dataset indices (>= 0)")
    idx = idx.astype(np.uint64)
    out = np.empty((idx.size, 4), np.uint64)
    big = idx >= np.uint64(2**32)
    for group in (np.flatnonzero(~big), np.flatnonzero(big)):
        if group.size == 0:
            continue
        sub = idx[group]
        if big[group[0]]:  # two words (indices >= 2**32, < 2**64)
            tail = [sub & _U32, sub >> _S32]
        else:
            tail = [sub]
        entropy = np.stack([np.full(sub.size, w, np.uint64) for w in prefix] + tail)
        out[group] = _generate(_pool(entropy))
    return out


def _pool(entropy: np.ndarray) -> np.ndarray:
    """``SeedSequence.mix_entropy`` of (L, B) uint32 words (no spawn key): the (4, B) pool. Every
    source's hashes into the other words are one expression (the destinations do not feed each other)."""
    n_words = entropy.shape[0]
    consts = _hash_constants(_POOL + _POOL * (_POOL - 1) + (n_words - _POOL) * _POOL if n_words > _POOL else _POOL * _POOL, _INIT_A, _MULT_A)
    first = entropy[:_POOL] if n_words >= _POOL else np.concatenate([entropy, np.zeros((_POOL - n_words, entropy.shape[1]), np.uint64)])
    mixer = _hash(first, (consts[0][:_POOL], consts[1][:_POOL]))
    at = _POOL
    for i_src in range(_POOL):
        dst = [i for i in range(_POOL) if i != i_src]
        h = _hash(mixer[i_src][None], (consts[0][at : at + 3], consts[1][at : at + 3]))
        mixer[dst] = _mix(mixer[dst], h)
        at += 3
    for i_src in range(_POOL, n_words):
        h = _hash(entropy[i_src][None], (consts[0][at : at + _POOL], consts[1][at : at + _POOL]))
        mixer = _mix(mixer, h)
        at += _POOL
    return mixer


_GENERATE = _hash_constants(8, _INIT_B, _MULT_B)


def _generate(pool: np.ndarray) -> np.ndarray:
    """``generate_state(4, np.uint64)``: 8 uint32 words from the cycled pool, paired little-endian: (B, 4)."""
    words = _hash(np.concatenate([pool, pool]), _GENERATE)
    return (words[0::2] | (words[1::2] << _S32)).T


def _mulhi64(a: np.ndarray, b: Any) -> np.ndarray:
    """High 64 bits of the 128-bit product of uint64 arrays (32-bit limbs)."""
    a_lo, a_hi = a & _U32, a >> _S32
    b_lo, b_hi = b & _U32, b >> _S32
    ll, lh, hl, hh = a_lo * b_lo, a_lo * b_hi, a_hi * b_lo, a_hi * b_hi
    mid = (ll >> _S32) + (lh & _U32) + (hl & _U32)
    return hh + (lh >> _S32) + (hl >> _S32) + (mid >> _S32)


def _mul128(ahi: Any, alo: Any, bhi: Any, blo: Any) -> tuple[np.ndarray, np.ndarray]:
    """(ahi, alo) * (bhi, blo) mod 2**128, uint64 halves (broadcasting)."""
    return _mulhi64(alo, blo) + alo * bhi + ahi * blo, alo * blo


@lru_cache(maxsize=64)
def _jumps(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For k = 1..n: the LCG after k steps is ``A_k * state + G_k * inc`` (mod 2**128), with
    ``A_k = MULT**k`` and ``G_k = 1 + MULT + ... + MULT**(k - 1)``: (A_hi, A_lo, G_hi, G_lo), each (n,)."""
    a, g, rows = 1, 0, []
    for _ in range(n):
        g = (g * _PCG_MULT + 1) % 2**128
        a = (a * _PCG_MULT) % 2**128
        rows.append((a >> 64, a & 0xFFFFFFFFFFFFFFFF, g >> 64, g & 0xFFFFFFFFFFFFFFFF))
    return tuple(np.array(col, np.uint64) for col in zip(*rows))  # type: ignore[return-value]


def _add128(ahi: np.ndarray, alo: np.ndarray, bhi: np.ndarray, blo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo = alo + blo
    return ahi + bhi + (lo < alo).astype(np.uint64), lo


def _rows(mask: np.ndarray | None, n: int) -> np.ndarray:
    """A mask (bool or index array, or None for all) as an index array."""
    if mask is None:
        return np.arange(n)
    mask = np.asarray(mask)
    return np.flatnonzero(mask) if mask.dtype == bool else mask.astype(np.intp)


def _output(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """PCG64's XSL-RR output of 128-bit states: ``rotr64(hi ^ lo, hi >> 58)``."""
    x = hi ^ lo
    rot = hi >> np.uint64(58)
    return (x >> rot) | (x << ((np.uint64(64) - rot) & np.uint64(63)))


class _Words(ISeedSequence):
    """A seed sequence that hands numpy's PCG64 precomputed ``generate_state(4, uint64)`` words."""

    __slots__ = ("words",)

    def __init__(self, words: np.ndarray) -> None:
        self.words = words

    def generate_state(self, n_words: int, dtype: type = np.uint32) -> np.ndarray:
        if n_words != 4 or np.dtype(dtype) != np.uint64:  # only PCG64's request is precomputed
            value_error("n_words", "4 uint64 words (PCG64's seeding request)", (n_words, np.dtype(dtype).name), "seed other bit generators with numpy's SeedSequence")
        return self.words.copy()


def fast_generator(words: np.ndarray) -> np.random.Generator:
    """``Generator(PCG64(ss))`` for ``words = ss.generate_state(4, np.uint64)`` (a row of ``seed_words``):
    numpy seeds PCG64 from the words itself, so the stream is identical, without SeedSequence's cost."""
    return np.random.Generator(np.random.PCG64(_Words(np.ascontiguousarray(words, np.uint64))))


class BatchPCG64:
    """PCG64 streams (numpy's XSL-RR output), one per row of ``words`` (``seed_words``), drawn in lockstep.

    ``BatchPCG64.derive(seed, epoch, indices)`` holds the streams of ``derive_rng(seed, epoch, index)``."""

    def __init__(self, words: np.ndarray) -> None:
        words = np.asarray(words, np.uint64)
        if words.ndim != 2 or words.shape[1] != 4:
            value_error("words", "a (B, 4) uint64 array of SeedSequence words", words.shape, "build it with seed_words(seed, keys, indices)")
        self.words = words
        # pcg_setseq_128_srandom_r: inc = (initseq << 1) | 1; state = 0; step; state += initstate; step
        ihi, ilo = words[:, 2], words[:, 3]
        self.inc_hi = (ihi << np.uint64(1)) | (ilo >> np.uint64(63))
        self.inc_lo = (ilo << np.uint64(1)) | np.uint64(1)
        # from state 0 one step gives inc; plus initstate; one more step: (inc + initstate) * MULT + inc
        hi, lo = _add128(self.inc_hi, self.inc_lo, words[:, 0], words[:, 1])
        self.hi, self.lo = _add128(*_mul128(hi, lo, _MULT_HI, _MULT_LO), self.inc_hi, self.inc_lo)
        # pcg64_next32's buffer: the upper half of the last uint64 a 32-bit draw split (has_uint32, uinteger)
        self.has32, self.buf32 = np.zeros(len(words), bool), np.zeros(len(words), np.uint64)

    @classmethod
    def derive(cls, seed: int, *keys_and_indices: object) -> "BatchPCG64":
        """``derive(seed, *keys, indices)``: the streams of ``derive_rng(seed, *keys, index)`` per index."""
        *keys, indices = keys_and_indices
        return cls(seed_words(seed, keys, indices))  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(self.lo)

    def _states(self, n: int, mask: np.ndarray | None, advance: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """The states of the streams (the masked ones) after each of the next ``n`` steps, at once
        (jump-ahead constants): (B, n) hi and lo halves. ``advance``: the streams keep the last."""
        hi, lo = (self.hi, self.lo) if mask is None else (self.hi[mask], self.lo[mask])
        ihi, ilo = (self.inc_hi, self.inc_lo) if mask is None else (self.inc_hi[mask], self.inc_lo[mask])
        a_hi, a_lo, g_hi, g_lo = _jumps(n)
        shi, slo = _mul128(hi[:, None], lo[:, None], a_hi, a_lo)
        chi, clo = _mul128(ihi[:, None], ilo[:, None], g_hi, g_lo)
        shi, slo = _add128(shi, slo, chi, clo)
        if not advance:
            return shi, slo
        if mask is None:
            self.hi, self.lo = shi[:, -1].copy(), slo[:, -1].copy()
        else:
            self.hi[mask], self.lo[mask] = shi[:, -1], slo[:, -1]
        return shi, slo

    def _raw(self, n: int, mask: np.ndarray | None) -> np.ndarray:
        """``next_uint64`` n times per stream: (B, n), XSL-RR of each state after its step."""
        return _output(*self._states(n, mask))

    def random_ahead(self, n: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """The next ``n`` ``random()`` doubles of each stream (of the masked ones), (B', n), WITHOUT
        advancing, for samplers whose draw count depends on the values (rejection loops). Then call
        ``consume(ahead, used, mask)`` with the second value and how many doubles each stream used."""
        hi, lo = self._states(n, mask, advance=False)
        return (_output(hi, lo) >> np.uint64(11)) * _DOUBLE, (hi, lo)

    def consume(self, ahead: tuple[np.ndarray, np.ndarray], used: np.ndarray, mask: np.ndarray | None = None) -> None:
        """Advance each stream by ``used`` (0..n) draws of a ``random_ahead(n, mask)`` look-ahead."""
        hi, lo = ahead
        used = np.asarray(used, np.int64)
        if used.shape != (hi.shape[0],) or used.size and (used.min() < 0 or used.max() > hi.shape[1]):
            value_error("used", f"one count in 0..{hi.shape[1]} per looked-ahead stream ({hi.shape[0]})", used, "pass how many doubles each stream used")
        rows, last = np.arange(len(used)), np.maximum(used - 1, 0)
        moved = used > 0
        cur_hi, cur_lo = (self.hi, self.lo) if mask is None else (self.hi[mask], self.lo[mask])
        new_hi, new_lo = np.where(moved, hi[rows, last], cur_hi), np.where(moved, lo[rows, last], cur_lo)
        if mask is None:
            self.hi, self.lo = new_hi, new_lo
        else:
            self.hi[mask], self.lo[mask] = new_hi, new_lo

    def next_uint64(self, mask: np.ndarray | None = None) -> np.ndarray:
        """One ``next_uint64`` per stream (per masked stream: ``mask`` is a bool or index array)."""
        return self._raw(1, mask)[:, 0]

    def random(self, n: int | None = None, mask: np.ndarray | None = None) -> np.ndarray:
        """``rng.random()`` per stream, shape (B,) (or (B, n) for ``rng.random(n)``); masked: rows of ``mask``."""
        u = (self._raw(1 if n is None else n, mask) >> np.uint64(11)) * _DOUBLE
        return u[:, 0] if n is None else u

    def next_uint32(self, mask: np.ndarray | None = None) -> np.ndarray:
        """``pcg64_next32`` per stream: the buffered upper half when there is one, else the lower half of
        a fresh ``next_uint64`` (whose upper half is buffered). uint64 array of uint32 values."""
        rows = _rows(mask, len(self.lo))
        out = np.empty(len(rows), np.uint64)
        held = self.has32[rows]
        have = rows[held]
        out[held] = self.buf32[have]
        self.has32[have] = False
        need = rows[~held]
        if need.size:
            x = self.next_uint64(need)
            out[~held] = x & _U32
            self.has32[need], self.buf32[need] = True, x >> _S32
        return out

    def integers(self, low: int, high: int, mask: np.ndarray | None = None) -> np.ndarray:
        """``rng.integers(low, high)`` per stream (int64, one scalar call each): numpy's
        ``random_bounded_uint64`` for a range below 2**32: nothing drawn for one value, else Lemire's
        method on ``next_uint32`` (the rare rejected streams draw again, alone)."""
        low, high = int(low), int(high)
        rows = _rows(mask, len(self.lo))
        span = high - low - 1  # numpy's rng
        if span < 0 or span > _M32:
            value_error("high", f"low < high <= low + 2**32 (got low={low})", high, "draw wider ranges per sample with numpy")
        if span == 0:
            return np.full(len(rows), low, np.int64)
        if span == _M32:
            return low + self.next_uint32(rows).astype(np.int64)
        excl = np.uint64(span + 1)
        threshold = np.uint64((_M32 - span) % (span + 1))
        m = self.next_uint32(rows) * excl
        bad = np.flatnonzero((m & _U32) < threshold)
        while bad.size:
            m[bad] = self.next_uint32(rows[bad]) * excl
            bad = bad[(m[bad] & _U32) < threshold]
        return low + (m >> _S32).astype(np.int64)

    def uniform(self, low: float, high: float, mask: np.ndarray | None = None) -> np.ndarray:
        """``rng.uniform(low, high)`` per stream: numpy's ``low + (high - low) * next_double``."""
        return low + (high - low) * self.random(mask=mask)

    def generator(self, i: int) -> np.random.Generator:
        """Stream ``i`` as a ``numpy.random.Generator`` at its current position (for per-sample code)."""
        g = fast_generator(self.words[i])
        g.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": (int(self.hi[i]) << 64) | int(self.lo[i]), "inc": (int(self.inc_hi[i]) << 64) | int(self.inc_lo[i])},
            "has_uint32": int(self.has32[i]),
            "uinteger": int(self.buf32[i]),
        }
        return g

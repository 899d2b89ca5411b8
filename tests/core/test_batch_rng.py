"""``core.batch_rng`` against numpy itself: SeedSequence words, PCG64 seeding state, and the streams
(``random``, ``next_uint64``, masked lockstep draws) of ``derive_rng(seed, *keys, index)``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invariant.core.batch_rng import BatchPCG64, fast_generator, seed_words
from invariant.core.rng import derive_rng, fresh_seed

# word-count edges of SeedSequence's entropy: 0 (one zero word), 2**32 - 1 / 2**32 (one / two words),
# 63-bit seeds (fresh_seed), and key lists that overflow the 4-word pool
SEEDS = [0, 1, 12345, 2**32 - 1, 2**32, 2**40 + 7, 2**63 - 5]
KEYS = [(), (0,), (3,), (2**33,), (1, 2, 3), (2**35, 2**36)]
INDICES = np.array([0, 1, 2, 77, 1000, 2**31, 2**32 - 1, 2**32, 2**40 + 3, 123456789, 2**62 + 11])


def _state(bits: BatchPCG64, k: int) -> tuple[int, int]:
    return (int(bits.hi[k]) << 64) | int(bits.lo[k]), (int(bits.inc_hi[k]) << 64) | int(bits.inc_lo[k])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("keys", KEYS)
def test_words_and_state_match_numpy(seed: int, keys: tuple[int, ...]) -> None:
    words = seed_words(seed, keys, INDICES)
    bits = BatchPCG64(words)
    for k, index in enumerate(INDICES.tolist()):
        ss = np.random.SeedSequence([seed, *keys, index])
        assert words[k].tolist() == ss.generate_state(4, np.uint64).tolist()
        state = np.random.PCG64(ss).state["state"]
        assert _state(bits, k) == (state["state"], state["inc"])


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**63 - 1),
    epoch=st.integers(0, 2**40),
    indices=st.lists(st.integers(0, 2**63 - 1), min_size=1, max_size=12),
)
def test_streams_match_derive_rng(seed: int, epoch: int, indices: list[int]) -> None:
    """random(), random(n), next_uint64 and masked draws interleaved: every stream equals numpy's."""
    bits = BatchPCG64.derive(seed, epoch, indices)
    refs = [derive_rng(seed, epoch, i) for i in indices]
    mask = np.arange(len(indices)) % 3 == 1
    a = bits.random()
    b = bits.random(3)
    c = bits.random(mask=mask)
    d = bits.next_uint64(np.flatnonzero(~mask))
    e = bits.random()
    rows = iter(range(int(mask.sum())))
    others = iter(range(int((~mask).sum())))
    for k, g in enumerate(refs):
        assert a[k] == g.random()
        assert b[k].tolist() == g.random(3).tolist()
        if mask[k]:
            assert c[next(rows)] == g.random()
        else:
            assert int(d[next(others)]) == int(g.bit_generator.random_raw())
        assert e[k] == g.random()
        assert bits.generator(k).random(4).tolist() == g.random(4).tolist()  # a numpy Generator at the same position


def test_fast_generator_is_numpys_stream() -> None:
    for seed in (0, fresh_seed()):
        for index in (0, 5, 2**33):
            words = seed_words(seed, (7,), [index])[0]
            ours, theirs = fast_generator(words), derive_rng(seed, 7, index)
            assert ours.random(6).tolist() == theirs.random(6).tolist()
            assert ours.integers(0, 10, 20).tolist() == theirs.integers(0, 10, 20).tolist()
            assert ours.normal(size=5).tolist() == theirs.normal(size=5).tolist()


def test_bad_input_names_the_argument() -> None:
    with pytest.raises(ValueError, match="indices"):
        seed_words(0, (0,), [-1])
    with pytest.raises(ValueError, match="seed"):
        seed_words(-3, (0,), [1])
    with pytest.raises(ValueError, match="keys"):
        seed_words(0, (1.5,), [1])
    with pytest.raises(ValueError, match="indices"):
        seed_words(0, (0,), np.zeros((2, 2), int))
    with pytest.raises(ValueError, match="words"):
        BatchPCG64(np.zeros((3, 2), np.uint64))
    with pytest.raises(ValueError, match="n_words"):
        np.random.MT19937(np.random.SeedSequence(0)).__class__(fast_generator(seed_words(0, (), [0])[0]).bit_generator.seed_seq)


def test_look_ahead_then_consume_matches_numpy() -> None:
    """``random_ahead`` shows each stream's next doubles without moving it; ``consume`` moves each by its
    own count (0 included), after which the streams continue exactly as numpy's."""
    indices = list(range(40))
    bits = BatchPCG64.derive(9, 1, indices)
    refs = [derive_rng(9, 1, i) for i in indices]
    rows = np.arange(0, 40, 2)
    u, ahead = bits.random_ahead(6, mask=rows)
    assert bits.random_ahead(6, mask=rows)[0].tolist() == u.tolist()  # nothing moved
    used = np.arange(len(rows)) % 7  # 0..6
    bits.consume(ahead, used, mask=rows)
    after = bits.random()
    for j, k in enumerate(rows.tolist()):
        assert u[j].tolist() == derive_rng(9, 1, indices[k]).random(6).tolist()
    for k, g in enumerate(refs):
        if k % 2 == 0:
            g.random(int(used[k // 2]))
        assert after[k] == g.random()
    with pytest.raises(ValueError, match="used"):
        bits.consume(ahead, np.full(len(rows), 7), mask=rows)


def test_integers_match_numpy_with_the_32_bit_buffer() -> None:
    """``integers`` (numpy's Lemire draws on buffered 32-bit halves) interleaved with ``random`` and
    masks: the values and the whole generator state (including ``has_uint32``) equal numpy's. The range
    2**31 + 12345 rejects about half of the draws, so the redraw loop runs."""
    indices = list(range(300))
    bits = BatchPCG64.derive(3, 1, indices)
    refs = [derive_rng(3, 1, i) for i in indices]
    some = np.arange(300) % 3 != 0
    calls = [(0, 4, None), ("random", None), (3, 8, some), (0, 1, None), (-5, 2**32 - 5, None), (0, 3, some), ("random", some), (0, 2**31 + 12345, None), (7, 10, None)]
    for call in calls:
        mask = call[-1]
        rows = range(300) if mask is None else np.flatnonzero(mask).tolist()
        if call[0] == "random":
            ours, theirs = bits.random(mask=mask), [refs[k].random() for k in rows]
        else:
            ours, theirs = bits.integers(call[0], call[1], mask), [int(refs[k].integers(call[0], call[1])) for k in rows]
            assert ours.dtype == np.int64
        assert ours.tolist() == theirs
    for k, g in enumerate(refs):
        assert bits.generator(k).bit_generator.state == g.bit_generator.state
    with pytest.raises(ValueError, match="high"):
        bits.integers(0, 2**33)

"""Random generators derived from (seed, epoch, index), so augmentation never depends on worker
count, worker order or process start method."""

from __future__ import annotations

import numpy as np


def derive_rng(seed: int, *keys: int) -> np.random.Generator:
    """An independent generator for ``(seed, *keys)``, e.g. ``derive_rng(seed, epoch, index)``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), *(int(k) for k in keys)])))


def fresh_seed() -> int:
    """A random 63-bit seed from the OS, drawn once (in the main process) when none is given."""
    return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))

"""The trainer behind demo, ablate and tune (training/trainer.py): batching the pipeline's outputs."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from invariant.training.adapters import from_arrays
from invariant.training.trainer import _Converter


def test_a_batch_of_two_image_sizes_names_the_pipeline_and_the_fix() -> None:
    """Regression: a crop with p < 1 (24x24 and 28x28 digits in one batch) ended in numpy's "all input arrays
    must have the same shape", which names neither the pipeline nor the fix."""
    rng = np.random.default_rng(0)
    train = from_arrays(rng.integers(0, 256, (4, 28, 28), dtype=np.uint8), np.arange(4) % 2)
    convert = _Converter(train, standardise=True)
    same = convert([rng.integers(0, 256, (28, 28), dtype=np.uint8) for _ in range(3)])
    assert tuple(same.shape) == (3, 1, 28, 28)
    with pytest.raises(ValueError) as err:
        convert([np.zeros((24, 24), np.uint8), np.zeros((28, 28), np.uint8), np.zeros((24, 24), np.uint8)])
    text = str(err.value)
    assert text.startswith("pipeline: expected images of one size in a batch") and "(24, 24), (28, 28)" in text
    assert "Fix: give crops, resizes and pads p=1" in text

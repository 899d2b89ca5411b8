"""Lambda: user functions inside a pipeline."""

from __future__ import annotations

import numpy as np
import pytest

import invariant as iv

from ..conftest import photo


def test_lambda_applies_the_function_to_images_and_masks():
    img = photo()
    mask = (img[:, :, 0] > 100).astype(np.uint8)
    out = iv.Compose([iv.Lambda(image=lambda x: 255 - x, mask=lambda m: 1 - m)])(image=img, mask=mask)
    np.testing.assert_array_equal(out["image"], 255 - img)
    np.testing.assert_array_equal(out["mask"], 1 - mask)


def test_lambda_changing_the_image_dtype_is_refused_with_a_clear_message():
    """Regression: a function returning float64 crashed a later warp inside OpenCV, and a uint8 ->
    float32 one left the pipeline planning later steps for uint8."""
    img = photo()
    pipe = iv.Compose([iv.Lambda(image=lambda x: x / 255.0, name="scale"), iv.Rotate(limit=10, p=1)])
    with pytest.raises(ValueError, match=r"Lambda 'scale' image function.*dtype uint8.*float64.*Fix: cast"):
        pipe(image=img)

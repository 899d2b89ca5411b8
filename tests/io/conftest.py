"""Real JPEGs for the input-pipeline tests: scikit-image photos (two native JPEGs, others upscaled
to realistic sizes, some odd sizes) and, when the foolbox wheel has been fetched with
``pip download foolbox --no-deps -d ~/.cache/invariant``, its 20 ImageNet samples (read from
the zip, foolbox is never imported)."""

from __future__ import annotations

import glob
import os
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest


def foolbox_wheel() -> str | None:
    candidates = [os.environ.get("INVARIANT_FOOLBOX_WHEEL", "")]
    candidates += sorted(glob.glob(os.path.expanduser("~/.cache/invariant/foolbox-*.whl")))
    candidates += sorted(glob.glob("/tmp/wheels/foolbox-*.whl"))
    return next((c for c in candidates if c and os.path.isfile(c)), None)


def foolbox_imagenet_jpegs(limit: int = 20) -> dict[str, bytes]:
    wheel = foolbox_wheel()
    if wheel is None:
        return {}
    with zipfile.ZipFile(wheel) as z:
        names = sorted(n for n in z.namelist() if n.startswith("foolbox/data/imagenet_") and n.endswith(".jpg"))
        return {Path(n).stem: z.read(n) for n in names[:limit]}


def encode_jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(rgb[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def _skimage_file(name: str) -> np.ndarray:
    import skimage

    path = Path(skimage.__file__).parent / "data" / name
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def photo_jpegs() -> dict[str, bytes]:
    """name -> JPEG bytes of real photos at 872-2000 px (odd sizes included)."""
    from skimage import data

    out = {
        "retina_1411": encode_jpeg(_skimage_file("retina.jpg")),
        "hubble_872x1000": encode_jpeg(_skimage_file("hubble_deep_field.jpg")),
        "astronaut_2000": encode_jpeg(cv2.resize(data.astronaut(), (2000, 2000), interpolation=cv2.INTER_CUBIC)),
        "coffee_1001x1499": encode_jpeg(cv2.resize(data.coffee(), (1499, 1001), interpolation=cv2.INTER_CUBIC)),
    }
    return out


@pytest.fixture(scope="session")
def jpegs() -> dict[str, bytes]:
    return {**photo_jpegs(), **foolbox_imagenet_jpegs(4)}


@pytest.fixture(scope="session")
def image_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """root/<class>/<file>.jpg with two classes of real photos (640-1200 px)."""
    from skimage import data

    root = tmp_path_factory.mktemp("folder")
    photos = {"cat": [data.chelsea(), data.coffee()], "space": [data.astronaut(), data.rocket()]}
    for cls, images in photos.items():
        (root / cls).mkdir()
        for k, img in enumerate(images):
            big = cv2.resize(img[:, :, :3], (img.shape[1] * 2, img.shape[0] * 2), interpolation=cv2.INTER_CUBIC)
            (root / cls / f"{k}.jpg").write_bytes(encode_jpeg(big))
    return root

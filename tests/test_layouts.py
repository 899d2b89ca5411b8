"""Memory layout never changes a result: every registered transform (and fused chains) gives the same output
for a Fortran-ordered array, a transposed view, negative-stride views and the C-contiguous copy of the same
pixels under the same seed, and returns C-contiguous arrays. (OpenCV functions that write into a
caller-allocated ``dst`` reject non-C layouts, so an ``np.empty_like`` of the input crashed ChannelShuffle.)"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pytest

import invariant as iv
from invariant.core.compose import Container
from invariant.core.transform import REGISTRY, library_transforms

from .conftest import call_with_sources, example_transform, photo

# leaves, plus containers that build from their own example_args (the policies)
NAMES = sorted(name for name, cls in library_transforms().items() if not issubclass(cls, Container) or "example_args" in vars(cls))


def build(name: str) -> iv.Transform:
    return example_transform(name)


def layouts(image: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
    """The same pixels in other memory layouts (each checked equal to ``image`` and not C-contiguous)."""
    yield "fortran", np.asfortranarray(image)
    yield "transposed-view", np.ascontiguousarray(image.transpose(1, 0, 2)).transpose(1, 0, 2)
    yield "negative-strides", np.ascontiguousarray(image[::-1, ::-1])[::-1, ::-1]
    yield "negative-channel-stride", np.ascontiguousarray(image[:, :, ::-1])[:, :, ::-1]


def cases():
    for name in NAMES:
        cls = REGISTRY[name]
        for dtype in cls.dtypes:
            for channels in (1, 3, 4):
                if cls.channels is not None and channels not in cls.channels:
                    continue
                yield pytest.param(name, dtype, channels, id=f"{name}-{dtype}-{channels}c")


def _array(x) -> np.ndarray:
    return x.numpy() if hasattr(x, "numpy") else x


@pytest.mark.parametrize("name,dtype,channels", list(cases()))
def test_layout_does_not_change_the_output(name: str, dtype: str, channels: int) -> None:
    image = photo(dtype, channels)
    expected = call_with_sources(iv.Compose([build(name)], seed=5), image=image)["image"]
    for layout, x in layouts(image):
        assert np.array_equal(x, image) and (channels == 1 or not x.flags.c_contiguous)
        out = call_with_sources(iv.Compose([build(name)], seed=5), image=x)["image"]
        assert np.array_equal(_array(out), _array(expected)), f"{name}: {layout} input changed the output"
        if isinstance(out, np.ndarray):
            assert out.flags.c_contiguous, f"{name}: {layout} input gave a non-C-contiguous output"


CHAINS = {
    "fused-spatial": lambda: [iv.Rotate(limit=20, p=1.0), iv.HorizontalFlip(p=1.0), iv.CenterCrop((40, 56))],
    "fused-lut": lambda: [iv.RandomBrightnessContrast(p=1.0), iv.RandomGamma(p=1.0), iv.Invert(p=1.0)],
    "mixed": lambda: [iv.RandomResizedCrop((32, 40)), iv.ChannelShuffle(p=1.0), iv.GridDistortion(p=1.0), iv.ToGray(p=1.0)],
}


@pytest.mark.parametrize("chain", sorted(CHAINS))
@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
def test_layout_does_not_change_fused_chains_or_masks(chain: str, dtype: str) -> None:
    image = photo(dtype, 3)
    mask = (photo("uint8", 1)[:, :, 0] // 86).astype(np.uint8)
    expected = iv.Compose(CHAINS[chain](), seed=9)(image=image, mask=mask)
    for (layout, x), (_, m) in zip(layouts(image), layouts(mask[:, :, None])):
        out = iv.Compose(CHAINS[chain](), seed=9)(image=x, mask=m[:, :, 0])
        assert np.array_equal(out["image"], expected["image"]), f"{chain}: {layout} image changed the output"
        assert np.array_equal(out["mask"], expected["mask"]), f"{chain}: {layout} mask changed the output"
        assert out["image"].flags.c_contiguous

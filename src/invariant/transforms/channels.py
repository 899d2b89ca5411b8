"""OnChannels: apply a pixel transform to chosen channels only (the RGB bands of an RGBN satellite tile,
the intensity channel of an image with an extra mask-like band), leaving the other channels untouched."""

from __future__ import annotations

import copy
from typing import Any, Sequence

import numpy as np

from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.transform import Params, Transform
from .intensity import RandomBrightnessContrast


class OnChannels(Transform):
    """``OnChannels(ColorJitter(0.4, 0.4, 0.4, 0.1), channels=(0, 1, 2))`` jitters R, G, B of a 4-channel
    image and copies NIR through. The wrapped transform sees an image made of the chosen channels (so its
    own channel checks apply to that count) and must keep dtype and channel count. Spatial transforms are
    refused: moving some channels but not others would misalign the image."""

    def __init__(self, transform: Transform, channels: Sequence[int] = (0, 1, 2), p: float = 1.0) -> None:
        super().__init__(p)
        if not isinstance(transform, Transform) or transform.spatial or hasattr(transform, "transforms"):
            type_error("transform", "one pixel-level (non-spatial) invariant transform", transform, "wrap e.g. iv.ColorJitter(...); apply spatial transforms to all channels")
        if isinstance(channels, (int, np.integer)):
            channels = (int(channels),)
        if not isinstance(channels, (tuple, list)) or not channels or not all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) and c >= 0 for c in channels):
            type_error("channels", "a non-empty sequence of channel indices", channels, "pass e.g. channels=(0, 1, 2)")
        if len(set(channels)) != len(channels):
            value_error("channels", "distinct channel indices", channels, "list each channel once")
        self.transform = transform
        self.channels_selected = tuple(int(c) for c in channels)
        self.dtypes = transform.dtypes  # type: ignore[misc]

    example_args = {"transform": RandomBrightnessContrast(0.3, 0.3, p=1.0), "channels": (0,)}

    def _sub_sample(self, sample: Any) -> Any:
        sub = copy.copy(sample)
        sub.channels = len(self.channels_selected)
        return sub

    def check_input(self, sample: Any) -> None:
        if max(self.channels_selected) >= sample.channels:
            value_error("OnChannels channels", f"indices below the image's {sample.channels} channels", self.channels_selected, "select channels that exist")
        self.transform.check_input(self._sub_sample(sample))
        if self.transform.output_channels({}, len(self.channels_selected)) != len(self.channels_selected):
            value_error("OnChannels transform", "a transform that keeps the channel count", self.transform, "use e.g. ToGray(num_output_channels=3) on 3 channels")

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        inner = self.transform
        if inner.p < 1.0 and rng.random() >= inner.p:  # the wrapped transform keeps its own probability
            return {"skip": True}
        return inner.sample_params(rng, self._sub_sample(sample))

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        if params.get("skip"):
            return image.copy()
        chosen = list(self.channels_selected)
        result = self.transform.apply_image(np.ascontiguousarray(image[:, :, chosen]), params)
        if result.dtype != image.dtype:
            value_error("OnChannels transform", f"a transform that keeps the dtype {image.dtype}", self.transform, "put dtype-changing steps (Normalize) outside OnChannels")
        out = image.copy()
        out[:, :, chosen] = result
        return out

    def apply_mask(self, mask: np.ndarray, params: Params) -> np.ndarray:
        return mask if params.get("skip") else self.transform.apply_mask(mask, params)

    def apply_annotations(self, annotations: Any, params: Params, shape: tuple[int, int]) -> None:
        if not params.get("skip"):
            self.transform.apply_annotations(annotations, params, shape)

    def effects(self) -> Effects | None:
        """The wrapped transform's effects, restricted to the selected channels; None (undeclared)
        when the wrapped transform declares nothing, so the checker never passes it silently."""
        inner = self.transform.effects()
        return None if inner is None else inner.only_channels(self.channels_selected)

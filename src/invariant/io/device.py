"""``DeviceNormalize``: normalise uint8 batches on the device they were moved to (torch only)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

from ..core.errors import value_error
from ..transforms.normalize import IMAGENET_MEAN, IMAGENET_STD


class DeviceNormalize(torch.nn.Module):
    """uint8 (N, C, H, W) or (C, H, W) batch -> ``(x / max_pixel_value - mean) / std`` as float32 (or
    ``dtype``), one fused multiply-add on the batch's device. Collate uint8, move the batch with
    ``batch.to(device, non_blocking=True)``, then call this: a quarter of float32's bytes cross
    the worker queues, the pinned buffer and the PCIe link."""

    def __init__(self, mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD, max_pixel_value: float = 255.0, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        mean_a = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        std_a = np.atleast_1d(np.asarray(std, dtype=np.float64))
        if mean_a.ndim != 1 or std_a.ndim != 1 or (std_a <= 0).any():
            value_error("std", "one positive value per channel (and mean alike)", std, "use your data's statistics (iv.compute_stats)")
        if max_pixel_value <= 0:
            value_error("max_pixel_value", "a positive number", max_pixel_value, "use 255 for uint8 images")
        self.register_buffer("scale", torch.from_numpy(1.0 / (std_a * max_pixel_value)).float().view(1, -1, 1, 1), persistent=False)
        self.register_buffer("shift", torch.from_numpy(-mean_a / std_a).float().view(1, -1, 1, 1), persistent=False)
        self.dtype = dtype

    def forward(self, x: Any) -> torch.Tensor:
        single = x.ndim == 3
        if single:
            x = x.unsqueeze(0)
        if self.scale.shape[1] not in (1, x.shape[1]):
            value_error("DeviceNormalize input", f"{self.scale.shape[1]} channels (N, C, H, W)", x, "pass channels-first batches, as collate makes them")
        scale, shift = self.scale.to(x.device), self.shift.to(x.device)
        out = torch.addcmul(shift, x.to(torch.float32), scale).to(self.dtype)
        return out[0] if single else out

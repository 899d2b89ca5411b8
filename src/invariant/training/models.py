"""A small convolutional network written in the project (pure torch), sized for 2 CPU cores.

Three 3x3 conv blocks (16, 32, 64 channels, each followed by batch norm, ReLU and 2x2 max-pool),
an adaptive 3x3 average pool so any input size works, dropout and one linear layer. About 30k
parameters: it trains on 2,400 MNIST digits in about a second per epoch on two cores, and is big
enough to overfit them, which is what makes the effect of augmentation visible.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import require_torch, value_error


def small_cnn(in_channels: int = 1, num_classes: int = 10, width: int = 16, dropout: float = 0.2) -> Any:
    """Build the network (a ``torch.nn.Sequential``); weights come from torch's global generator,
    so call ``torch.manual_seed`` first for a reproducible start."""
    torch = require_torch("small_cnn")
    nn = torch.nn
    for name, value in (("in_channels", in_channels), ("num_classes", num_classes), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            value_error(name, "a positive integer", value, f"pass e.g. {name}=16")
    if not 0.0 <= dropout < 1.0:
        value_error("dropout", "a probability in [0, 1)", dropout, "pass e.g. dropout=0.2")

    def block(cin: int, cout: int) -> list[Any]:
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True), nn.MaxPool2d(2)]

    return nn.Sequential(
        *block(in_channels, width),
        *block(width, 2 * width),
        *block(2 * width, 4 * width),
        nn.AdaptiveAvgPool2d(3),
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Linear(4 * width * 9, num_classes),
    )

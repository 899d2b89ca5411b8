"""What a transform changes, declared by the transform itself and read by the domain checker.

A task declares what its labels are invariant to (``invariant.domains``); every transform declares
its ``effects()``; ``iv.check`` compares the two. Fields are conservative upper bounds for the
transform's configured arguments (e.g. ``max_rotation`` is the largest angle it can produce).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Effects:
    geometric: bool = False  # moves pixels (any spatial transform)
    mirrors_horizontal: bool = False  # left-right reflection is possible
    mirrors_vertical: bool = False  # top-bottom reflection is possible
    max_rotation: float = 0.0  # largest absolute rotation in degrees it can apply (180 for a half turn)
    deforms: bool = False  # non-rigid warps (elastic, grid, optical)
    rescales: bool = False  # changes scale / crops
    alters_intensity: bool = False  # brightness, contrast, gamma, equalize... (changes pixel values)
    alters_color: bool = False  # hue, saturation, channel mixing or shuffling, grayscale conversion
    grayscale: bool = False  # converts colour to gray (ToGray, RandomGrayscale); also set alters_color
    adds_noise: bool = False
    blurs: bool = False
    occludes: bool = False  # erases regions (cutout, erasing)
    mixes_images: bool = False  # blends or pastes other samples (mixup, cutmix)
    normalizes: bool = False  # deterministic value standardisation
    channels: tuple[int, ...] | None = None  # channels it touches (None = all)

    def union(self, other: "Effects") -> "Effects":
        values = {}
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name == "max_rotation":
                values[f.name] = max(a, b)
            elif f.name == "channels":
                values[f.name] = None if a is None or b is None else tuple(sorted(set(a) | set(b)))
            else:
                values[f.name] = a or b
        return Effects(**values)

    def only_channels(self, channels: tuple[int, ...]) -> "Effects":
        return replace(self, channels=tuple(channels))


NONE = Effects()

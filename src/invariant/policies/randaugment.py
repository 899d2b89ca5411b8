"""RandAugment (Cubuk et al., 2020, "RandAugment: Practical automated data augmentation with a reduced
search space"): apply ``num_ops`` operations drawn uniformly (with replacement) from the paper's 14, all
at one global magnitude ``M``.

Magnitude scale: ``M`` is a bin on 0..30 (``num_bins=31``), the scale of torchvision's RandAugment:
``M / 30`` of each op's range (see ``policies.ops``), so M=30 is the strongest (rotate 30 degrees, shear
0.3, ...), M=9 (the paper's ImageNet ResNet-50 setting as torchvision reads it) is 30% of that.
timm divides by 10 instead (its ``m9`` is 90% of the range): timm's ``mX`` corresponds to our ``3X``.
The string spec follows timm's grammar but reads ``m`` on OUR 0..30 scale.
"""

from __future__ import annotations

import math
import re
from typing import Any, Sequence

import numpy as np

from ..core.errors import type_error, value_error
from ..core.sample import Sample
from .base import Policy
from .ops import GEOMETRIC_OPS, PIXEL_OPS, make_op

# The paper's 14 operations (Section 3 of the RandAugment paper; torchvision's list, same order).
RANDAUGMENT_OPS = (
    "Identity",
    "ShearX",
    "ShearY",
    "TranslateX",
    "TranslateY",
    "Rotate",
    "Brightness",
    "Color",
    "Contrast",
    "Sharpness",
    "Posterize",
    "Solarize",
    "AutoContrast",
    "Equalize",
)


class RandAugment(Policy):
    """``RandAugment(num_ops=2, magnitude=9)``: per call, ``num_ops`` ops drawn uniformly with replacement,
    each at magnitude bin ``magnitude`` on 0..``num_bins - 1`` with a random sign.

    magnitude_std: Gaussian noise on the magnitude per op and call (timm's ``mstd``); ``math.inf`` draws it
        uniformly from [0, magnitude].
    ops: a subset of the op names (default the paper's 14) -- e.g. drop the geometric ones for a task whose
        labels are not invariant to shear.
    magnitude can follow a schedule: ``RandAugment(magnitude=iv.Linear(5, 15))`` (curriculum).
    """

    allow_infinite = frozenset({"magnitude_std"})  # inf: uniform magnitudes (timm)
    policy_knobs = ("num_ops", "magnitude")  # what the tuner searches (count of ops, magnitude)

    def __init__(
        self,
        num_ops: int = 2,
        magnitude: float = 9,
        magnitude_std: float = 0.0,
        num_bins: int = 31,
        ops: Sequence[str] = RANDAUGMENT_OPS,
        interpolation: str = "linear",
        fill: float | tuple[float, ...] = 0,
        p: float = 1.0,
    ) -> None:
        if isinstance(num_ops, bool) or not isinstance(num_ops, (int, np.integer)) or num_ops < 0:
            type_error("num_ops", "a non-negative int", num_ops, "pass e.g. num_ops=2")
        if isinstance(num_bins, bool) or not isinstance(num_bins, (int, np.integer)) or num_bins < 2:
            type_error("num_bins", "an int >= 2", num_bins, "pass num_bins=31 (the default)")
        if isinstance(ops, str) or not isinstance(ops, (tuple, list)):
            type_error("ops", "a sequence of op names", ops, "pass e.g. ops=('Rotate', 'Brightness')")
        names = tuple(ops)
        unknown = [n for n in names if n not in GEOMETRIC_OPS + PIXEL_OPS]
        if unknown or not names:
            value_error("ops", f"a non-empty subset of {RANDAUGMENT_OPS + ('Invert',)}", ops, f"remove {unknown}")
        self.num_ops, self.ops, self.num_bins = int(num_ops), names, int(num_bins)
        self.magnitude, self.magnitude_std = magnitude, magnitude_std
        common = dict(magnitude=magnitude, num_bins=num_bins, space="standard", magnitude_std=magnitude_std, interpolation=interpolation, fill=fill)
        self._set_ops([(make_op, dict(common, op=name)) for name in names], p)

    def plan_children(self, rng: np.random.Generator, sample: Sample, plan: list) -> None:
        for i in rng.integers(0, len(self.transforms), size=self.num_ops):
            self.plan_op(self.transforms[int(i)], rng, sample, plan, force=True)

    @classmethod
    def from_string(cls, spec: str, **kwargs: Any) -> "RandAugment":
        """Build from a timm spec string, read with timm's meaning: ``"rand-m9-n2-mstd0.5"`` is timm's
        magnitude 9 of 10 (our 27 of 30), 2 ops, magnitude noise 0.5 on timm's scale (our 1.5); mstd
        above 100 means uniform. A recipe pasted from timm therefore keeps its strength. Extra keyword
        arguments pass through."""
        return cls(**parse_spec(spec), **kwargs)


TIMM_TO_OURS = 3  # timm divides magnitudes by 10, we (as torchvision) by 30


def parse_spec(spec: str) -> dict[str, Any]:
    """``"rand-m9-n2-mstd0.5"`` (timm's 0..10 scale) -> ``{"magnitude": 27, "num_ops": 2, "magnitude_std": 1.5}``
    on our 0..30 scale."""
    if not isinstance(spec, str) or not spec.startswith("rand"):
        value_error("spec", "a string like 'rand-m9-n2-mstd0.5'", spec, "start the spec with 'rand'")
    out: dict[str, Any] = {}
    for part in spec.split("-")[1:]:
        match = re.fullmatch(r"(mstd|m|n)(\d+(?:\.\d*)?|inf)", part)
        if match is None:
            value_error("spec", "sections m<int>, n<int>, mstd<float> separated by '-'", part, "timm's w/inc/mmax sections are not supported; remove them")
        key, val = match.groups()
        if key == "m":
            out["magnitude"] = (float(val) if "." in val else int(val)) * TIMM_TO_OURS
        elif key == "n":
            out["num_ops"] = int(val)
        else:
            std = float(val)
            out["magnitude_std"] = math.inf if std > 100 else std * TIMM_TO_OURS
    return out

"""AugMix (Hendrycks et al., 2020, "AugMix: A Simple Data Processing Method to Improve Robustness and
Uncertainty"), following the reference code (google-research/augmix):

    ws ~ Dirichlet(alpha, ..., alpha) (``width`` chains), m ~ Beta(alpha, alpha)
    mix = sum_i ws[i] * chain_i(x), each chain 1-3 ops (``depth=-1``) drawn with replacement
    out = (1 - m) * x + m * mix

Each op draws its level uniformly from [0.1, severity] (out of 10). The op set is the paper's: ops
that overlap the ImageNet-C corruptions (contrast, colour, brightness, sharpness, blur, noise) are
left out so robustness is measured honestly; ``all_ops=True`` adds the four enhance ops as the
reference's ``augmentations_all``.

Geometric ops make the mixture a blend of differently *moved* copies, so masks, boxes and keypoints
have no single position: with ``geometric=True`` (the paper) a call with such targets is refused;
``geometric=False`` keeps only pixel ops, and then masks/boxes are simply unchanged.
The JSD loss and the (clean, aug1, aug2) dataset are ``iv.augmix_loss`` and ``iv.AugMixDataset``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.effects import Effects
from ..core.errors import type_error, value_error
from ..core.transform import Params, Transform
from ..ops import color as C
from ..ops import geometric as geo
from .ops import GEOMETRIC_OPS, PolicyGeometricOp, make_op, op_value

AUGMIX_OPS = ("AutoContrast", "Equalize", "Posterize", "Rotate", "Solarize", "ShearX", "ShearY", "TranslateX", "TranslateY")
AUGMIX_ALL_EXTRA = ("Color", "Contrast", "Brightness", "Sharpness")


class AugMix(Transform):
    """Mix ``width`` random augmentation chains with the original image (see module docstring).

    severity: 1..10, the upper end of each op's level (the reference default is 3).
    width: number of chains (k, default 3). depth: ops per chain, or -1 for 1-3 at random.
    alpha: Dirichlet and Beta concentration (default 1).
    """

    def __init__(
        self,
        severity: int = 3,
        width: int = 3,
        depth: int = -1,
        alpha: float = 1.0,
        all_ops: bool = False,
        geometric: bool = True,
        interpolation: str = "linear",
        fill: float | tuple[float, ...] = 0,
        p: float = 1.0,
    ) -> None:
        super().__init__(p)
        for name, value, low, high in (("severity", severity, 1, 10), ("width", width, 1, 64), ("depth", depth, -1, 64)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high or value == 0 and name == "depth":
                value_error(name, f"an int in [{low}, {high}]" + (" other than 0" if name == "depth" else ""), value, f"pass e.g. {name}={ {'severity': 3, 'width': 3, 'depth': -1}[name]}")
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha <= 0:
            value_error("alpha", "a positive number", alpha, "pass alpha=1.0")
        if not isinstance(all_ops, bool) or not isinstance(geometric, bool):
            type_error("all_ops/geometric", "booleans", (all_ops, geometric), "pass True or False")
        self.severity, self.width, self.depth, self.alpha = int(severity), int(width), int(depth), float(alpha)
        self.all_ops, self.geometric = all_ops, geometric
        names = AUGMIX_OPS + (AUGMIX_ALL_EXTRA if all_ops else ())
        if not geometric:
            names = tuple(n for n in names if n not in GEOMETRIC_OPS)
        # the ops serve as kernels only; their magnitude is drawn here, per the reference code
        self._ops = [make_op(n, magnitude=0, num_bins=11, space="augmix", interpolation=interpolation, fill=fill) for n in names]
        self.interpolation, self.fill = interpolation, fill

    example_args = {"geometric": False}

    def sample_params(self, rng: np.random.Generator, sample: Any) -> Params:
        if self.geometric:
            ann = sample.annotations
            if any(k != "image" for k in sample.kinds.values()) or len(ann):  # any point target (boxes, keypoints, ...)
                value_error(
                    "AugMix targets",
                    "images only when geometric ops are on (a blend of differently moved copies has no single mask or box)",
                    sorted(k for k, v in sample.kinds.items() if v != "image") or "point targets (boxes/keypoints/...)",
                    "use AugMix(geometric=False) for masks/boxes, or augment the image alone",
                )
        weights = rng.dirichlet([self.alpha] * self.width)
        m = float(rng.beta(self.alpha, self.alpha))
        chains = []
        for _ in range(self.width):
            depth = self.depth if self.depth > 0 else int(rng.integers(1, 4))
            chain = []
            for _ in range(depth):
                k = int(rng.integers(0, len(self._ops)))
                op = self._ops[k]
                level = float(rng.uniform(0.1, self.severity)) / 10.0
                value = op_value(op.op, level, "augmix", sample.shape) if op.op not in ("AutoContrast", "Equalize") else 0.0
                if op.op in GEOMETRIC_OPS and rng.random() < 0.5:
                    value = -value
                chain.append([k, value])
            chains.append(chain)
        return {"weights": [float(w) for w in weights], "m": m, "chains": chains}

    def _run_chain(self, image: np.ndarray, chain: list) -> np.ndarray:
        out = image
        for k, value in chain:
            op = self._ops[int(k)]
            params = {"value": float(value)}
            if isinstance(op, PolicyGeometricOp):
                matrix, shape = op.geometry(params, out.shape[:2])
                out = geo.warp(out, matrix, shape, self.interpolation, "constant", self.fill)
            else:
                out = op.apply_image(out, params)
        return out

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        mix = np.zeros(image.shape, np.float32)
        for w, chain in zip(params["weights"], params["chains"]):
            mix += np.float32(w) * self._run_chain(image, chain).astype(np.float32)
        m = np.float32(params["m"])
        out = (np.float32(1.0) - m) * image.astype(np.float32) + m * mix
        return C.to_dtype(out, image.dtype)

    def effects(self) -> Effects:
        rotation = 30.0 * self.severity / 10.0 if self.geometric else 0.0
        # all_ops adds Color/Contrast/Brightness/Sharpness; Sharpness below factor 1 smooths (blurs)
        return Effects(geometric=self.geometric, deforms=self.geometric, max_rotation=rotation, alters_intensity=True, alters_color=self.all_ops, blurs=self.all_ops)

"""Weather, lighting and dropout transforms vs albumentations 2.0.8: same photos, one thread, equivalent
arguments, side by side in one process (ratio > 1: invariant is faster). The random draws differ
between the libraries (each uses its own generator); the work per call is the same kind.

    python benchmarks/bench_robustness.py [--native] [--quick]

Run with an interpreter whose ``albumentations`` is AlbumentationsX (its own venv) and the anchor column is
AlbumentationsX's: ``harness.alb`` translates the 2.0.8 keywords (``run_all.py --x-python`` merges both).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import ALB, alb, alb_bbox_params, albumentations_call, invariant_call, load_photos, print_table, run_pairs, setup_single_thread  # noqa: E402

import numpy as np  # noqa: E402

import invariant as iv  # noqa: E402


def pairs() -> list:
    def mask_extras(img: np.ndarray) -> dict:
        mask = np.zeros(img.shape[:2], np.uint8)
        mask[30:150, 20:120] = 1
        mask[100:200, 150:230] = 2
        return {"mask": mask}

    def box_extras(img: np.ndarray) -> dict:
        return {"bboxes": [[20.0, 30.0, 120.0, 150.0], [100.0, 60.0, 200.0, 110.0]], "labels": [1, 2]}

    bbox_params = {"bbox_params": alb_bbox_params("pascal_voc", ["labels"])}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = [
            ("RandomFog", iv.RandomFog(p=1), alb("RandomFog", p=1)),
            ("RandomRain", iv.RandomRain(p=1), alb("RandomRain", p=1)),
            ("RandomSnow(bleach)", iv.RandomSnow(p=1), alb("RandomSnow", method="bleach", p=1)),
            ("RandomShadow", iv.RandomShadow(p=1), alb("RandomShadow", p=1)),
            ("RandomSunFlare(src_radius=100)", iv.RandomSunFlare(src_radius=100, p=1), alb("RandomSunFlare", src_radius=100, p=1)),
            ("PlanckianJitter", iv.PlanckianJitter(p=1), alb("PlanckianJitter", p=1)),
            ("RandomToneCurve", iv.RandomToneCurve(p=1), alb("RandomToneCurve", p=1)),
            ("Illumination(linear)", iv.Illumination(p=1), alb("Illumination", p=1)),
            ("Illumination(corner)", iv.Illumination(mode="corner", p=1), alb("Illumination", mode="corner", p=1)),
            ("Illumination(gaussian)", iv.Illumination(mode="gaussian", p=1), alb("Illumination", mode="gaussian", p=1)),
            ("PlasmaBrightnessContrast", iv.PlasmaBrightnessContrast(p=1), alb("PlasmaBrightnessContrast", p=1)),
            ("PlasmaShadow", iv.PlasmaShadow(p=1), alb("PlasmaShadow", p=1)),
            ("FancyPCA", iv.FancyPCA(p=1), alb("FancyPCA", p=1)),
            ("GridDropout(0.5)", iv.GridDropout(p=1), alb("GridDropout", p=1)),
            ("XYMasking(2x10px, 2x10px)", iv.XYMasking(num_masks_x=2, num_masks_y=2, mask_x_length=10, mask_y_length=10, p=1), alb("XYMasking", num_masks_x=2, num_masks_y=2, mask_x_length=10, mask_y_length=10, p=1)),
            ("PixelDropout(0.01)", iv.PixelDropout(p=1), alb("PixelDropout", p=1)),
            ("ChannelDropout", iv.ChannelDropout(p=1), alb("ChannelDropout", p=1)),
        ]
        rows = [(name, invariant_call(ours), {ALB: albumentations_call(theirs)}) for name, ours, theirs in table]
        rows.append(("MaskDropout (mask)", invariant_call(iv.MaskDropout(p=1), extras=mask_extras), {ALB: albumentations_call(alb("MaskDropout", p=1), extras=mask_extras)}))
        rows.append(
            (
                "ConstrainedCoarseDropout (boxes)",
                invariant_call(iv.ConstrainedCoarseDropout(num_holes_range=(1, 3), hole_height_range=(0.1, 0.3), hole_width_range=(0.1, 0.3), p=1), extras=box_extras),
                {ALB: albumentations_call(alb("ConstrainedCoarseDropout", num_holes_range=(1, 3), hole_height_range=(0.1, 0.3), hole_width_range=(0.1, 0.3), bbox_labels=[1, 2], p=1), extras=box_extras, **bbox_params)},
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--native", action="store_true", help="native-size photos instead of 256x256")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    versions = setup_single_thread()
    print(" ".join(f"{k}={v}" for k, v in versions.items()))
    images = load_photos(native=True) if args.native else load_photos((256, 256))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = run_pairs(pairs(), images, repeats=3 if args.quick else 5, min_time=0.1 if args.quick else 0.2)
    print()
    size = "native-size" if args.native else "256x256"
    print_table(rows, [ALB], title=f"Weather, lighting and dropout, {size} photos, 1 thread")


if __name__ == "__main__":
    main()

"""Camera/optics, noise, non-rigid and domain-adaptation transforms vs albumentations 2.0.8 with equivalent
arguments: same photos (256x256), one thread, side by side in one process (``harness.run_pairs``).

    python benchmarks/bench_optics.py [--quick] [--only NAME]

Equivalences: arguments are the same names and values in both libraries unless a row says otherwise.
AdvancedBlur: albumentations also multiplies its kernel by noise (noise_limit), which we do not (row run
with noise_limit=(1, 1)). SpeckleNoise has no albumentations counterpart (timed alone). Reference images
for the domain-adaptation rows are scikit-image's coffee photo (albumentations 2.0.8: passed as call metadata,
its documented interface).

Run with an interpreter whose ``albumentations`` is AlbumentationsX (its own venv) and the anchor column is
AlbumentationsX's: ``harness.alb`` translates the 2.0.8 keywords (``run_all.py --x-python`` merges both).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import ALB, alb, albumentations_call, invariant_call, load_photos, print_table, run_pairs, setup_single_thread  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

import invariant as iv  # noqa: E402


def transform_pairs() -> list:
    from skimage import data

    ref = cv2.resize(data.coffee(), (256, 256), interpolation=cv2.INTER_AREA)

    def pair(name, ours, theirs, key=None):
        extras = (lambda img: {key: [ref]}) if key else None  # albumentations 2.0.8 reads references from call metadata
        return (name, invariant_call(ours), {ALB: albumentations_call(theirs, extras=extras)} if theirs is not None else {})

    return [
        pair("Blur(3-7)", iv.Blur((3, 7), p=1), alb("Blur", blur_limit=(3, 7), p=1)),
        pair("AdvancedBlur(3-7)", iv.AdvancedBlur(p=1), alb("AdvancedBlur", noise_limit=(1.0, 1.0), p=1)),
        pair("Defocus(3-10, .1-.5)", iv.Defocus(p=1), alb("Defocus", p=1)),
        pair("ZoomBlur(1-1.31, .01-.03)", iv.ZoomBlur(p=1), alb("ZoomBlur", p=1)),
        pair("GlassBlur(.7, 4, 2)", iv.GlassBlur(p=1), alb("GlassBlur", p=1)),
        pair("ChromaticAberration(.02, .05)", iv.ChromaticAberration(p=1), alb("ChromaticAberration", p=1)),
        pair("Sharpen(.2-.5, .5-1)", iv.Sharpen(p=1), alb("Sharpen", p=1)),
        pair("Emboss(.2-.5, .2-.7)", iv.Emboss(p=1), alb("Emboss", p=1)),
        pair("RingingOvershoot(7-15)", iv.RingingOvershoot(p=1), alb("RingingOvershoot", blur_limit=(7, 15), cutoff=(math.pi / 4, math.pi / 2), p=1)),
        pair("Superpixels(0-.1, 100)", iv.Superpixels(p=1), alb("Superpixels", p=1)),
        pair("ShotNoise(.001-.01)", iv.ShotNoise(p=1), alb("ShotNoise", scale_range=(0.001, 0.01), p=1)),
        pair("SaltAndPepper(.01-.06)", iv.SaltAndPepper(p=1), alb("SaltAndPepper", p=1)),
        pair("MultiplicativeNoise(.9-1.1) elementwise", iv.MultiplicativeNoise(elementwise=True, per_channel=True, p=1), alb("MultiplicativeNoise", elementwise=True, per_channel=True, p=1)),
        pair("SpeckleNoise(.05-.2) [no albumentations op]", iv.SpeckleNoise(p=1), None),
        pair("ThinPlateSpline(.02-.05, 4)", iv.ThinPlateSpline(p=1), alb("ThinPlateSpline", scale_range=(0.02, 0.05), num_control_points=4, p=1)),
        pair("GridElasticDeform(4x4, 10)", iv.GridElasticDeform(p=1), alb("GridElasticDeform", num_grid_xy=(4, 4), magnitude=10, p=1)),
        pair("HistogramMatching(.5-1)", iv.HistogramMatching([ref], p=1), alb("HistogramMatching", p=1), "hm_metadata"),
        pair("FDA(0-.1)", iv.FDA([ref], p=1), alb("FDA", beta_limit=(0.0, 0.1), p=1), "fda_metadata"),
        pair("PixelDistributionAdaptation(pca)", iv.PixelDistributionAdaptation([ref], p=1), alb("PixelDistributionAdaptation", p=1), "pda_metadata"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 timed passes instead of 5")
    parser.add_argument("--only", default=None, help="run rows whose name contains this text")
    args = parser.parse_args()
    versions = setup_single_thread()
    print(" ".join(f"{k}={v}" for k, v in versions.items()))
    photos = load_photos((256, 256))
    pairs = [p for p in transform_pairs() if args.only is None or args.only in p[0]]
    rows = run_pairs(pairs, photos, repeats=3 if args.quick else 5)
    print()
    print_table(rows, [ALB], title="Optics, noise, non-rigid and domain adaptation, 256x256 photos, 1 thread")


if __name__ == "__main__":
    main()

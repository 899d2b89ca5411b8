"""Spatial transforms and fused spatial chains vs albumentations 2.0.8 (or AlbumentationsX, when that is
what ``import albumentations`` finds): same photos, one thread,
equivalent arguments, side by side (ratio > 1: invariant is faster).

    python benchmarks/bench_spatial.py [--native] [--quick] [--targets]

``--targets`` also passes a mask, boxes and keypoints with every call (the cost of moving them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import ALB, alb as anchor, alb_target_params, albumentations_call, invariant_call, load_photos, print_table, run_pairs, setup_single_thread  # noqa: E402

import numpy as np  # noqa: E402

import invariant as iv  # noqa: E402


def pairs(with_targets: bool) -> list:
    import albumentations as A

    boxes = [[20.0, 30.0, 120.0, 150.0], [100.0, 60.0, 200.0, 110.0]]
    kps = [[50.0, 60.0], [150.0, 90.0]]

    def extras(img: np.ndarray) -> dict:
        if not with_targets:
            return {}
        mask = np.zeros(img.shape[:2], np.uint8)
        mask[30:150, 20:120] = 1
        return {"mask": mask, "bboxes": boxes, "labels": [1, 2], "keypoints": kps}

    def ours(*transforms):
        return invariant_call(*transforms, extras=extras)

    def alb(*transforms):
        kw = {}
        if with_targets:
            kw = alb_target_params(bbox_format="pascal_voc", label_fields=["labels"], keypoint_format="xy")
        return albumentations_call(*transforms, extras=extras, **kw)

    ssr_alb = anchor("ShiftScaleRotate", shift_limit=0.0625, scale_limit=0.1, rotate_limit=45, p=1)
    elastic = anchor("ElasticTransform", alpha=60, sigma=6, noise_distribution="uniform", p=1)
    aff_kw = dict(scale=(0.9, 1.1), rotate=(-30, 30), shear=(-10, 10), translate_percent=(-0.1, 0.1))
    return [
        ("Rotate(45)", ours(iv.Rotate(45, p=1)), {ALB: alb(anchor("Rotate", limit=45, p=1))}),
        ("Rotate(45, crop_border)", ours(iv.Rotate(45, crop_border=True, p=1)), {ALB: alb(anchor("Rotate", limit=45, crop_border=True, p=1))}),
        ("Affine(scale,rotate,shear,translate)", ours(iv.Affine(**aff_kw, p=1)), {ALB: alb(A.Affine(**aff_kw, keep_ratio=True, p=1))}),
        ("Affine(rotate=30, fit_output)", ours(iv.Affine(rotate=30, fit_output=True, p=1)), {ALB: alb(A.Affine(rotate=(30, 30), fit_output=True, p=1))}),
        ("ShiftScaleRotate", ours(iv.ShiftScaleRotate(p=1)), {ALB: alb(ssr_alb)}),
        ("Perspective(0.05, 0.1)", ours(iv.Perspective(p=1)), {ALB: alb(A.Perspective(p=1))}),
        ("RandomRotate90", ours(iv.RandomRotate90(p=1)), {ALB: alb(A.RandomRotate90(p=1))}),
        ("Transpose", ours(iv.Transpose(p=1)), {ALB: alb(A.Transpose(p=1))}),
        ("ElasticTransform(60, 6)", ours(iv.ElasticTransform(alpha=60, sigma=6, p=1)), {ALB: alb(elastic)}),
        ("GridDistortion", ours(iv.GridDistortion(p=1)), {ALB: alb(A.GridDistortion(p=1))}),
        ("OpticalDistortion", ours(iv.OpticalDistortion(p=1)), {ALB: alb(A.OpticalDistortion(p=1))}),
        (
            "chain: RRC(224)+HFlip+Affine",
            ours(iv.RandomResizedCrop(224), iv.HorizontalFlip(), iv.Affine(rotate=(-15, 15), scale=(0.9, 1.1), p=1)),
            {ALB: alb(A.RandomResizedCrop((224, 224)), A.HorizontalFlip(), A.Affine(rotate=(-15, 15), scale=(0.9, 1.1), keep_ratio=True, p=1))},
        ),
        (
            "chain: Resize(224)+Rotate(30)+VFlip",
            ours(iv.Resize(224, 224), iv.Rotate(30, p=1), iv.VerticalFlip(p=1)),
            {ALB: alb(A.Resize(224, 224), anchor("Rotate", limit=30, p=1), A.VerticalFlip(p=1))},
        ),
        (
            "chain: RandomCrop(200)+Rotate90+Transpose+HFlip",
            ours(iv.RandomCrop(200), iv.RandomRotate90(p=1), iv.Transpose(p=1), iv.HorizontalFlip(p=1)),
            {ALB: alb(A.RandomCrop(200, 200), A.RandomRotate90(p=1), A.Transpose(p=1), A.HorizontalFlip(p=1))},
        ),
        (
            "chain: SSR+Elastic+Resize(128)",
            ours(iv.ShiftScaleRotate(p=1), iv.ElasticTransform(alpha=60, sigma=6, p=1), iv.Resize(128, 128)),
            {ALB: alb(ssr_alb, elastic, A.Resize(128, 128))},
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--native", action="store_true", help="native-size photos instead of 256x256")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--targets", action="store_true", help="also pass mask, boxes and keypoints")
    args = parser.parse_args()
    versions = setup_single_thread()
    print(" ".join(f"{k}={v}" for k, v in versions.items()))
    images = load_photos(native=True) if args.native else load_photos((256, 256))
    rows = run_pairs(pairs(args.targets), images, repeats=3 if args.quick else 5, min_time=0.1 if args.quick else 0.2)
    print()
    size = "native-size" if args.native else "256x256"
    print_table(rows, [ALB], title=f"Spatial transforms, {size} photos{' with mask/boxes/keypoints' if args.targets else ''}, 1 thread")


if __name__ == "__main__":
    main()

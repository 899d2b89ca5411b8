"""Detection building blocks vs albumentations 2.0.8: letterbox (LongestMaxSize + PadIfNeeded, also with
a flip and an affine), RandomSizedBBoxSafeCrop and RandomScale, every call with 20 boxes and their labels
(plus a mask with ``--mask``); same photos, one thread, one process (ratio > 1: invariant is faster).

    python benchmarks/bench_detection.py [--quick] [--mask] [--size 256]

Photos are the harness's real ones at native size (or resized to ``--size``). The 20 boxes per image are
drawn once from a seeded generator inside each photo (benchmark load, not test data: no bundled photo
carries 20 annotated objects).

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

import cv2  # noqa: E402
import numpy as np  # noqa: E402

import invariant as iv  # noqa: E402

N_BOXES = 20


def boxes_for(shape: tuple[int, int], seed: int = 0) -> list[list[float]]:
    """20 pascal_voc boxes inside an (h, w) canvas, 5-40 % of each side."""
    rng = np.random.default_rng(seed)
    h, w = shape
    bw, bh = rng.uniform(0.05, 0.4, N_BOXES) * w, rng.uniform(0.05, 0.4, N_BOXES) * h
    x0, y0 = rng.uniform(0, 1, N_BOXES) * (w - bw), rng.uniform(0, 1, N_BOXES) * (h - bh)
    return np.stack([x0, y0, x0 + bw, y0 + bh], axis=1).round(1).tolist()


def pairs(with_mask: bool) -> list:
    cache: dict[tuple[int, int], dict] = {}

    def extras(img: np.ndarray) -> dict:
        key = img.shape[:2]
        if key not in cache:
            boxes = boxes_for(key)
            data = {"bboxes": boxes, "labels": list(range(N_BOXES))}
            if with_mask:
                mask = np.zeros(key, np.uint8)
                for i, (x0, y0, x1, y1) in enumerate(boxes):
                    mask[int(y0) : int(y1), int(x0) : int(x1)] = i % 20 + 1
                data["mask"] = mask
            cache[key] = data
        return cache[key]

    def ours(*transforms):
        return invariant_call(*transforms, extras=extras)

    def theirs(*transforms):
        return albumentations_call(*transforms, extras=extras, bbox_params=alb_bbox_params("pascal_voc", ["labels"]))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        letterbox_alb = (alb("LongestMaxSize", max_size=640), alb("PadIfNeeded", min_height=640, min_width=640, border_mode=cv2.BORDER_CONSTANT, fill=114))
    return [
        (
            "LongestMaxSize(640)+PadIfNeeded(640)",
            ours(iv.LongestMaxSize(640), iv.PadIfNeeded(640, 640, fill=114)),
            {ALB: theirs(*letterbox_alb)},
        ),
        (
            "letterbox(640)+HFlip+Affine",
            ours(iv.LongestMaxSize(640), iv.PadIfNeeded(640, 640, fill=114), iv.HorizontalFlip(p=1), iv.Affine(rotate=(-10, 10), scale=(0.9, 1.1), p=1)),
            {ALB: theirs(*letterbox_alb, alb("HorizontalFlip", p=1), alb("Affine", rotate=(-10, 10), scale=(0.9, 1.1), keep_ratio=True, p=1))},
        ),
        (
            "RandomSizedBBoxSafeCrop(320, 320)",
            ours(iv.RandomSizedBBoxSafeCrop(320, 320)),
            {ALB: theirs(alb("RandomSizedBBoxSafeCrop", height=320, width=320))},
        ),
        (
            "RandomScale(0.3)",
            ours(iv.RandomScale(scale_limit=0.3, p=1)),
            {ALB: theirs(alb("RandomScale", scale_limit=0.3, p=1))},
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--mask", action="store_true", help="also pass a label mask")
    parser.add_argument("--size", type=int, default=0, help="resize photos to size x size (0: native)")
    args = parser.parse_args()
    versions = setup_single_thread()
    print(" ".join(f"{k}={v}" for k, v in versions.items()))
    images = load_photos((args.size, args.size)) if args.size else load_photos(native=True)
    rows = run_pairs(pairs(args.mask), images, repeats=3 if args.quick else 5, min_time=0.1 if args.quick else 0.2)
    print()
    size = f"{args.size}x{args.size}" if args.size else "native-size"
    print_table(rows, [ALB], title=f"Detection transforms, {size} photos, {N_BOXES} boxes{' and a mask' if args.mask else ''}, 1 thread")


if __name__ == "__main__":
    main()

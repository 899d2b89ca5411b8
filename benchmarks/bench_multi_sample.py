"""Mosaic (2x2, 256x256 output) vs albumentations 2.0.8's Mosaic on the same photos, one thread, side by
side; CopyPaste alone (albumentations 2.0.8 has no CopyPaste transform). ``--targets`` adds boxes with
labels (and, for CopyPaste, one instance mask per box).

    python benchmarks/bench_multi_sample.py [--quick] [--targets]

The two Mosaics lay cells out differently (ultralytics' layout here; cells cropped or letterboxed to
``cell_shape`` there, ``fit_mode="contain"`` chosen as the closest), so this times the same job (four
photos in, one 256x256 mosaic out), not the same pixels.

Run with an interpreter whose ``albumentations`` is AlbumentationsX (its own venv) and the anchor column is
AlbumentationsX's: ``harness.alb`` translates the 2.0.8 keywords (``run_all.py --x-python`` merges both).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import ALB, alb, alb_bbox_params, load_photos, print_table, run_pairs, setup_single_thread  # noqa: E402

import numpy as np  # noqa: E402

import invariant as iv  # noqa: E402


def pairs(images: list[np.ndarray], with_targets: bool) -> list:
    import albumentations as A

    by_id = {id(img): k for k, img in enumerate(images)}

    def annotations(img: np.ndarray) -> dict:
        if not with_targets:
            return {}
        h, w = img.shape[:2]
        boxes = [[0.1 * w, 0.1 * h, 0.5 * w, 0.6 * h], [0.4 * w, 0.3 * h, 0.9 * w, 0.9 * h]]
        return {"bboxes": boxes, "labels": [1, 2]}

    def with_masks(img: np.ndarray) -> dict:
        out = annotations(img)
        if with_targets:
            masks = []
            for x0, y0, x1, y1 in out["bboxes"]:
                m = np.zeros(img.shape[:2], np.uint8)
                m[int(y0) : int(y1), int(x0) : int(x1)] = 1
                masks.append(m)
            out["masks"] = masks
        return out

    def others(img: np.ndarray, n: int) -> list[np.ndarray]:
        k = by_id[id(img)]
        return [images[(k + j) % len(images)] for j in range(1, n + 1)]

    mosaic = iv.Compose([iv.Mosaic(256)], seed=0)
    kw = {"bbox_params": alb_bbox_params("pascal_voc", ["labels"])} if with_targets else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        anchor = A.Compose([alb("Mosaic", target_size=(256, 256), cell_shape=(256, 256), center_range=(0.25, 0.75), fit_mode="contain", fill=114, p=1)], seed=0, **kw)

    def ours(img: np.ndarray):
        return mosaic(image=img, **annotations(img), sources=[{"image": o, **annotations(o)} for o in others(img, 3)])

    def theirs(img: np.ndarray):
        return anchor(image=img, **annotations(img), mosaic_metadata=[{"image": o, **annotations(o)} for o in others(img, 3)])

    paste = iv.Compose([iv.CopyPaste(scale_range=(0.5, 1.5))], seed=0)

    def ours_paste(img: np.ndarray):
        return paste(image=img, **with_masks(img), sources=[{"image": o, **with_masks(o)} for o in others(img, 1)])

    rows = [("Mosaic 2x2 -> 256x256", ours, {ALB: theirs})]
    if with_targets:
        rows.append(("CopyPaste(scale 0.5-1.5)", ours_paste, {}))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--targets", action="store_true", help="also pass boxes with labels (and instance masks for CopyPaste)")
    args = parser.parse_args()
    versions = setup_single_thread()
    print(" ".join(f"{k}={v}" for k, v in versions.items()))
    images = load_photos(native=True)
    rows = run_pairs(pairs(images, args.targets), images, repeats=3 if args.quick else 5, min_time=0.1 if args.quick else 0.2)
    print()
    print_table(rows, [ALB], title=f"Multi-sample transforms, native-size photos{' with boxes' if args.targets else ''}, 1 thread")


if __name__ == "__main__":
    main()

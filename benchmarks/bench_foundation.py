"""Foundation transforms vs albumentations 2.0.8 (or AlbumentationsX, when that is what ``import
albumentations`` finds) and kornia: same photos, one thread, side by side.

    python benchmarks/bench_foundation.py [--native] [--quick]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import ALB, albumentations_call, invariant_call, load_photos, print_table, run_pairs, setup_single_thread  # noqa: E402

import invariant as iv  # noqa: E402


def kornia_fn(*augs):
    """A kornia pipeline on one image: numpy HWC uint8 -> float tensor (1, C, H, W) -> augment.
    The conversion is included: it is what a numpy-based dataset pays to use kornia per sample."""
    try:
        import kornia.augmentation as K
        import torch
    except ImportError:
        return None
    seq = K.AugmentationSequential(*[a(K) for a in augs])

    def run(img):
        x = torch.from_numpy(img).permute(2, 0, 1).unsqueeze(0).float().div_(255)
        return seq(x)

    return run


def with_kornia(anchors: dict, *augs) -> dict:
    fn = kornia_fn(*augs)
    if fn is not None:
        anchors["kornia"] = fn
    return anchors


def pairs() -> list:
    import albumentations as A

    ours, alb = invariant_call, albumentations_call
    mean, std = iv.IMAGENET_MEAN, iv.IMAGENET_STD
    return [
        ("HorizontalFlip", ours(iv.HorizontalFlip(p=1)), with_kornia({ALB: alb(A.HorizontalFlip(p=1))}, lambda K: K.RandomHorizontalFlip(p=1.0))),
        ("VerticalFlip", ours(iv.VerticalFlip(p=1)), with_kornia({ALB: alb(A.VerticalFlip(p=1))}, lambda K: K.RandomVerticalFlip(p=1.0))),
        ("RandomCrop(128)", ours(iv.RandomCrop(128)), {ALB: alb(A.RandomCrop(128, 128))}),
        ("CenterCrop(128)", ours(iv.CenterCrop(128)), {ALB: alb(A.CenterCrop(128, 128))}),
        ("RandomResizedCrop(224)", ours(iv.RandomResizedCrop(224)), with_kornia({ALB: alb(A.RandomResizedCrop((224, 224)))}, lambda K: K.RandomResizedCrop((224, 224)))),
        ("Resize(224, 224)", ours(iv.Resize(224, 224)), {ALB: alb(A.Resize(224, 224))}),
        ("Normalize", ours(iv.Normalize()), {ALB: alb(A.Normalize(mean=mean, std=std))}),
        (
            "RRC(224)+HFlip+Normalize",
            ours(iv.RandomResizedCrop(224), iv.HorizontalFlip(), iv.Normalize()),
            {ALB: alb(A.RandomResizedCrop((224, 224)), A.HorizontalFlip(), A.Normalize(mean=mean, std=std))},
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--native", action="store_true", help="native-size photos instead of 256x256")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    versions = setup_single_thread()
    print(" ".join(f"{k}={v}" for k, v in versions.items()))
    images = load_photos(native=True) if args.native else load_photos((256, 256))
    rows = run_pairs(pairs(), images, repeats=3 if args.quick else 7)
    print()
    print_table(rows, [ALB, "kornia"], title=f"Foundation transforms, {'native-size' if args.native else '256x256'} photos, 1 thread")


if __name__ == "__main__":
    main()

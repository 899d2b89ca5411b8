"""Batched execution on CPU tensors: ``pipe.batched()`` vs kornia 0.9.0 ``AugmentationSequential`` with
the same settings, same photos, one process, one thread (``harness.setup_single_thread``).

    python benchmarks/bench_batched.py [--batch 64 256] [--repeats 3]

Input: a (B, 3, 256, 256) uint8 batch of the harness photos (cycled); every recipe ends at 224x224.
kornia takes float input, so its time includes ``x.float() / 255``. Columns: images/s of ours and
kornia, ratio (ours / kornia), our parameter-sampling share (host planning / (planning + execution)),
host planning per image with the batch planned at once (``batch.sampling``, the default) and per sample
(``vectorised_sampling = False``: one numpy Generator and ``pipe.plan`` per sample, as before), and the
per-sample numpy path (``pipe(image=...)`` over the same images) for reference. Run the same
script on an accelerator machine with ``--device cuda`` for the GPU rows (timed with synchronisation).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import load_photos, setup_single_thread  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import invariant as iv  # noqa: E402

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def recipes() -> dict[str, tuple[list, object]]:
    """name -> (our transforms, kornia augmentation list or None)."""
    import kornia.augmentation as K

    crop = [iv.CenterCrop(224)]
    kcrop = [K.CenterCrop(224)]
    simclr = [iv.RandomResizedCrop(224), iv.HorizontalFlip(p=0.5), iv.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8), iv.ToGray(p=0.2), iv.GaussianBlur(kernel_size=23, sigma=(0.1, 2.0), p=0.5), iv.Normalize(MEAN, STD)]
    ksimclr = [K.RandomResizedCrop((224, 224)), K.RandomHorizontalFlip(p=0.5), K.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8), K.RandomGrayscale(p=0.2), K.RandomGaussianBlur((23, 23), (0.1, 2.0), p=0.5), K.Normalize(torch.tensor(MEAN), torch.tensor(STD))]
    return {
        "HorizontalFlip": ([iv.HorizontalFlip(p=0.5)] + crop, [K.RandomHorizontalFlip(p=0.5)] + kcrop),
        "RandomResizedCrop": ([iv.RandomResizedCrop(224)], [K.RandomResizedCrop((224, 224))]),
        "Affine": ([iv.Affine(rotate=(-30, 30), scale=(0.8, 1.2), translate_percent=(-0.1, 0.1), shear=(-10, 10), p=1)] + crop, [K.RandomAffine(degrees=30, translate=(0.1, 0.1), scale=(0.8, 1.2), shear=10, p=1.0)] + kcrop),
        "ColorJitter": ([iv.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8)] + crop, [K.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8)] + kcrop),
        "GaussianBlur": ([iv.GaussianBlur(kernel_size=23, sigma=(0.1, 2.0), p=0.5)] + crop, [K.RandomGaussianBlur((23, 23), (0.1, 2.0), p=0.5)] + kcrop),
        "ImageNet recipe": ([iv.RandomResizedCrop(224), iv.HorizontalFlip(p=0.5), iv.Normalize(MEAN, STD)], [K.RandomResizedCrop((224, 224)), K.RandomHorizontalFlip(p=0.5), K.Normalize(torch.tensor(MEAN), torch.tensor(STD))]),
        "SimCLR two views": (simclr, ksimclr),
        "RandAugment": ([iv.RandAugment(num_ops=2, magnitude=9)] + crop, [K.auto.RandAugment(n=2, m=9)] + kcrop),
    }


def _rate(fn, n: int, repeats: int, min_time: float = 1.0) -> float:
    fn()  # warm-up
    rates = []
    for _ in range(repeats):
        done, start = 0, time.perf_counter()
        while True:
            fn()
            done += n
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        rates.append(done / elapsed)
    return statistics.median(rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, nargs="+", default=[64])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args(argv)
    versions = setup_single_thread()
    import kornia
    from kornia.augmentation import AugmentationSequential

    versions["kornia"] = kornia.__version__
    dev = torch.device(args.device)
    sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)
    photos = load_photos(size=(256, 256))
    print(" ".join(f"{k} {v}" for k, v in sorted(versions.items())), f"| device {dev} | threads {torch.get_num_threads()}")
    print("| recipe | batch | ours img/s | kornia img/s | ratio | sampling share | sampling us/img (batch / per sample) | numpy per-sample img/s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (ours, theirs) in recipes().items():
        if args.only and name not in args.only:
            continue
        views = 2 if name.startswith("SimCLR") else 1
        pipe = iv.Compose(ours, seed=0)
        kaug = AugmentationSequential(*theirs).to(dev)
        for b in args.batch:
            batch = np.stack([photos[i % len(photos)] for i in range(b)])
            x = torch.from_numpy(batch).permute(0, 3, 1, 2).contiguous().to(dev)
            try:
                aug = pipe.batched(seed=0)
            except ValueError as exc:
                aug, why = None, str(exc).split(", got ")[-1].split(". Fix")[0]
            shares: list[float] = []
            plan_us: list[float] = []

            def run_ours() -> None:
                for v in range(views):
                    aug(x, epoch=v)
                    t = aug.last_timing
                    shares.append(t["plan_s"] / (t["plan_s"] + t["execute_s"]))
                    plan_us.append(1e6 * t["plan_s"] / b)
                sync()

            def run_kornia() -> None:
                for _ in range(views):
                    kaug(x.float() / 255.0)
                sync()

            def run_numpy() -> None:
                for _ in range(views):
                    for img in batch:
                        pipe(image=img)

            ours_rate = _rate(run_ours, b, args.repeats) if aug is not None else None
            kornia_rate = _rate(run_kornia, b, args.repeats)
            numpy_rate = _rate(run_numpy, b, 1) if b <= 64 else None
            sampling = "-"
            if aug is not None:  # per-sample planning (the fallback path) on the same batch, for comparison
                aug.vectorised_sampling = False
                shape, per_sample = (x.shape[2], x.shape[3], x.shape[1]), []
                for _ in range(3):
                    start = time.perf_counter()
                    aug.plans(shape, np.dtype(np.uint8), range(b), 0)
                    per_sample.append(1e6 * (time.perf_counter() - start) / b)
                aug.vectorised_sampling = True
                sampling = f"{statistics.median(plan_us):.1f} / {statistics.median(per_sample):.1f}"
            ratio = f"{ours_rate / kornia_rate:.2f}x" if ours_rate else "-"
            ours_txt = f"{ours_rate:.0f}" if ours_rate else f"no batched kernel: {why}"
            share = f"{100 * statistics.median(shares):.0f}%" if shares else "-"
            numpy_txt = f"{numpy_rate:.0f}" if numpy_rate else "-"
            print(f"| {name} | {b} | {ours_txt} | {kornia_rate:.0f} | {ratio} | {share} | {sampling} | {numpy_txt} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

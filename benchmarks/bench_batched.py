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
import re
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
    """name -> (our transforms, kornia augmentation list or None where kornia has no such op: AugMix)."""
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
        "TrivialAugmentWide": ([iv.TrivialAugmentWide()] + crop, [K.auto.TrivialAugment()] + kcrop),
        "AutoAugment (ImageNet)": ([iv.AutoAugment("imagenet")] + crop, [K.auto.AutoAugment("imagenet")] + kcrop),
        "AugMix": ([iv.AugMix()] + crop, None),
    }


def _rates(fns: list, n: int, repeats: int, min_time: float = 1.0) -> list[float]:
    """Images/s of each of ``fns`` (each processing ``n`` images per call): warmed up, then timed in
    interleaved passes of at least ``min_time`` seconds (A, B, A, B, ...), median over ``repeats``."""
    for fn in fns:
        fn()  # warm-up (and our lazily built tables)
    rates: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            done, start = 0, time.perf_counter()
            while True:
                fn()
                done += n
                elapsed = time.perf_counter() - start
                if elapsed >= min_time:
                    break
            rates[k].append(done / elapsed)
    return [statistics.median(r) for r in rates]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one shorter timed pass per library (run_all --quick)")
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
    min_time = 0.3 if args.quick else 1.0
    repeats = 1 if args.quick else args.repeats
    where = f"GPU ({torch.cuda.get_device_name(dev)})" if dev.type == "cuda" else f"CPU tensors, {torch.get_num_threads()} thread"
    print(" ".join(f"{k} {v}" for k, v in sorted(versions.items())), f"| device {dev} | threads {torch.get_num_threads()}")
    print()
    print(f"**Batched execution (`pipe.batched()`) on {where}, torch {torch.__version__}: 256x256 uint8 batches -> 224x224, vs kornia {kornia.__version__} AugmentationSequential (float input; its x.float() / 255 timed)**")
    print()
    print("| recipe | batch | invariant img/s | kornia img/s | ratio vs kornia | sampling share | sampling us/img (batch / per sample) | numpy per-sample img/s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (ours, theirs) in recipes().items():
        if args.only and name not in args.only:
            continue
        views = 2 if name.startswith("SimCLR") else 1
        pipe = iv.Compose(ours, seed=0)
        kaug = AugmentationSequential(*theirs).to(dev) if theirs is not None else None  # None: kornia has no such op
        for b in args.batch:
            batch = np.stack([photos[i % len(photos)] for i in range(b)])
            x = torch.from_numpy(batch).permute(0, 3, 1, 2).contiguous().to(dev)
            try:
                aug = pipe.batched(seed=0)
            except ValueError as exc:
                aug, why = None, ", ".join(dict.fromkeys(re.findall(r"(\w+) \(no batched kernel\)", str(exc)))) or str(exc)
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

            timed = [run for run, present in ((run_ours, aug), (run_kornia, kaug)) if present is not None]
            rates = iter(_rates(timed, b, repeats, min_time)) if timed else iter(())
            ours_rate = next(rates) if aug is not None else None
            kornia_rate = next(rates) if kaug is not None else None
            numpy_rate = _rates([run_numpy], b, 1, min_time)[0] if b <= 64 else None
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
            ratio = f"{ours_rate / kornia_rate:.2f}x" if ours_rate and kornia_rate else "-"
            ours_txt = f"{ours_rate:.0f}" if ours_rate else f"refused: no batched kernel for {why}"
            share = f"{100 * statistics.median(shares):.0f}%" if shares else "-"
            numpy_txt = f"{numpy_rate:.0f}" if numpy_rate else "-"
            kornia_txt = f"{kornia_rate:.0f}" if kornia_rate else "-"
            print(f"| {name} | {b} | {ours_txt} | {kornia_txt} | {ratio} | {share} | {sampling} | {numpy_txt} |", flush=True)
    if dev.type != "cuda":
        why = "no CUDA device on the machine that wrote this table" if not torch.cuda.is_available() else "this run used the CPU"
        print()
        print("**Batched execution on a GPU**")
        print()
        print("| recipe | batch | invariant img/s | kornia img/s | ratio vs kornia |")
        print("|---|---|---|---|---|")
        print(f"| all of the above | 64, 256 | not measured: {why} (`python benchmarks/bench_batched.py --device cuda`) | - | - |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

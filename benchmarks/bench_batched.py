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

``--anchor torchvision`` (run in a venv with torchvision 0.29.1 / torch 2.14.1, see docs/benchmarks.md;
``run_all.py --tv-python`` does it and merges the columns by row) times ``torchvision.transforms.v2`` on
the same uint8 batches instead of kornia, interleaved with ``pipe.batched()`` in that process. v2 draws
ONE set of parameters per call and applies it to the whole batch (same crop, flip, jitter, ops for all
B images), which is less work than invariant's and kornia's draw per image: the table title says so.
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


def our_recipes() -> dict[str, list]:
    """name -> our transforms (every recipe ends at 224x224)."""
    crop = [iv.CenterCrop(224)]
    simclr = [iv.RandomResizedCrop(224), iv.HorizontalFlip(p=0.5), iv.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8), iv.ToGray(p=0.2), iv.GaussianBlur(kernel_size=23, sigma=(0.1, 2.0), p=0.5), iv.Normalize(MEAN, STD)]
    return {
        "HorizontalFlip": [iv.HorizontalFlip(p=0.5)] + crop,
        "RandomResizedCrop": [iv.RandomResizedCrop(224)],
        "Affine": [iv.Affine(rotate=(-30, 30), scale=(0.8, 1.2), translate_percent=(-0.1, 0.1), shear=(-10, 10), p=1)] + crop,
        "ColorJitter": [iv.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8)] + crop,
        "GaussianBlur": [iv.GaussianBlur(kernel_size=23, sigma=(0.1, 2.0), p=0.5)] + crop,
        "ImageNet recipe": [iv.RandomResizedCrop(224), iv.HorizontalFlip(p=0.5), iv.Normalize(MEAN, STD)],
        "SimCLR two views": simclr,
        "RandAugment": [iv.RandAugment(num_ops=2, magnitude=9)] + crop,
        "TrivialAugmentWide": [iv.TrivialAugmentWide()] + crop,
        "AutoAugment (ImageNet)": [iv.AutoAugment("imagenet")] + crop,
        "AugMix": [iv.AugMix()] + crop,
    }


def torchvision_recipes() -> dict[str, object]:
    """name -> ``torchvision.transforms.v2.Compose`` with the same settings as ``our_recipes`` on uint8
    tensors (bilinear resize without antialiasing, like ours; ``ToDtype`` float + ``Normalize`` where ours
    normalises). Each call draws one set of parameters for the whole batch."""
    import torch
    from torchvision.transforms import v2

    crop = [v2.CenterCrop(224)]
    norm = [v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD)]
    rrc = v2.RandomResizedCrop(224, antialias=False)
    jitter = v2.RandomApply([v2.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8)
    blur = v2.RandomApply([v2.GaussianBlur(23, sigma=(0.1, 2.0))], p=0.5)
    recipes = {
        "HorizontalFlip": [v2.RandomHorizontalFlip(p=0.5)] + crop,
        "RandomResizedCrop": [rrc],
        "Affine": [v2.RandomAffine(degrees=30, translate=(0.1, 0.1), scale=(0.8, 1.2), shear=10)] + crop,
        "ColorJitter": [jitter] + crop,
        "GaussianBlur": [blur] + crop,
        "ImageNet recipe": [rrc, v2.RandomHorizontalFlip(p=0.5)] + norm,
        "SimCLR two views": [rrc, v2.RandomHorizontalFlip(p=0.5), jitter, v2.RandomGrayscale(p=0.2), blur] + norm,
        "RandAugment": [v2.RandAugment(num_ops=2, magnitude=9)] + crop,
        "TrivialAugmentWide": [v2.TrivialAugmentWide()] + crop,
        "AutoAugment (ImageNet)": [v2.AutoAugment(v2.AutoAugmentPolicy.IMAGENET)] + crop,
        "AugMix": [v2.AugMix()] + crop,
    }
    return {name: v2.Compose(ts) for name, ts in recipes.items()}


def recipes() -> dict[str, tuple[list, object]]:
    """name -> (our transforms, kornia augmentation list or None where kornia has no such op: AugMix)."""
    import kornia.augmentation as K

    kcrop = [K.CenterCrop(224)]
    ksimclr = [K.RandomResizedCrop((224, 224)), K.RandomHorizontalFlip(p=0.5), K.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8), K.RandomGrayscale(p=0.2), K.RandomGaussianBlur((23, 23), (0.1, 2.0), p=0.5), K.Normalize(torch.tensor(MEAN), torch.tensor(STD))]
    theirs = {
        "HorizontalFlip": [K.RandomHorizontalFlip(p=0.5)] + kcrop,
        "RandomResizedCrop": [K.RandomResizedCrop((224, 224))],
        "Affine": [K.RandomAffine(degrees=30, translate=(0.1, 0.1), scale=(0.8, 1.2), shear=10, p=1.0)] + kcrop,
        "ColorJitter": [K.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8)] + kcrop,
        "GaussianBlur": [K.RandomGaussianBlur((23, 23), (0.1, 2.0), p=0.5)] + kcrop,
        "ImageNet recipe": [K.RandomResizedCrop((224, 224)), K.RandomHorizontalFlip(p=0.5), K.Normalize(torch.tensor(MEAN), torch.tensor(STD))],
        "SimCLR two views": ksimclr,
        "RandAugment": [K.auto.RandAugment(n=2, m=9)] + kcrop,
        "TrivialAugmentWide": [K.auto.TrivialAugment()] + kcrop,
        "AutoAugment (ImageNet)": [K.auto.AutoAugment("imagenet")] + kcrop,
    }
    return {name: (ours, theirs.get(name)) for name, ours in our_recipes().items()}


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


def _batched(pipe: iv.Compose) -> tuple[object | None, str]:
    """(``pipe.batched(seed=0)``, "") or (None, the transforms it refused for: no batched kernel)."""
    try:
        return pipe.batched(seed=0), ""
    except ValueError as exc:
        return None, ", ".join(dict.fromkeys(re.findall(r"(\w+) \(no batched kernel\)", str(exc)))) or str(exc)


def _where(dev: torch.device) -> str:
    """The device words of a table title."""
    return f"GPU ({torch.cuda.get_device_name(dev)})" if dev.type == "cuda" else f"CPU tensors, {torch.get_num_threads()} thread"


TITLE_STEM = "Batched execution (`pipe.batched()`) on {where}"  # run_all pairs the two venvs' tables by it


def main_torchvision(args: argparse.Namespace, versions: dict[str, str]) -> int:
    """``pipe.batched()`` vs ``torchvision.transforms.v2`` on the same uint8 batches, interleaved in this
    process; one table whose rows (recipe, batch) match the kornia run's, for ``run_all.py --tv-python``."""
    import torchvision

    dev = torch.device(args.device)
    sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)
    photos = load_photos(size=(256, 256))
    min_time = 0.3 if args.quick else 1.0
    repeats = 1 if args.quick else args.repeats
    torch.manual_seed(0)
    print(" ".join(f"{k} {v}" for k, v in sorted(versions.items())), f"| device {dev} | threads {torch.get_num_threads()}")
    print()
    stem = TITLE_STEM.format(where=_where(dev))
    print(
        f"**{stem}: torchvision {torchvision.__version__} transforms.v2 on uint8 tensors, torch {torch.__version__}, in its own venv "
        "(its ratio measured there, invariant interleaved in the same process). torchvision v2 draws ONE set of parameters per call "
        "and applies it to the whole batch (same crop, flip, jitter, ops for all B images); invariant and kornia draw per image**"
    )
    print()
    print("| recipe | batch | invariant img/s | torchvision img/s | ratio vs torchvision |")
    print("|---|---|---|---|---|")
    tv = torchvision_recipes()
    for name, ours in our_recipes().items():
        if args.only and name not in args.only:
            continue
        views = 2 if name.startswith("SimCLR") else 1
        pipe, theirs = iv.Compose(ours, seed=0), tv[name]
        for b in args.batch:
            batch = np.stack([photos[i % len(photos)] for i in range(b)])
            x = torch.from_numpy(batch).permute(0, 3, 1, 2).contiguous().to(dev)
            aug, why = _batched(pipe)

            def run_ours() -> None:
                for v in range(views):
                    aug(x, epoch=v)
                sync()

            def run_tv() -> None:
                for _ in range(views):
                    theirs(x)
                sync()

            timed = [run_ours, run_tv] if aug is not None else [run_tv]
            rates = _rates(timed, b, repeats, min_time)
            ours_rate, tv_rate = (rates[0], rates[1]) if aug is not None else (None, rates[0])
            ours_txt = f"{ours_rate:.0f}" if ours_rate else f"refused: no batched kernel for {why}"
            ratio = f"{ours_rate / tv_rate:.2f}x" if ours_rate else "-"
            print(f"| {name} | {b} | {ours_txt} | {tv_rate:.0f} | {ratio} |", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one shorter timed pass per library (run_all --quick)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--anchor", choices=("kornia", "torchvision"), default="kornia", help="torchvision: time torchvision.transforms.v2 instead of kornia (its own venv)")
    args = parser.parse_args(argv)
    versions = setup_single_thread()
    if args.anchor == "torchvision":
        return main_torchvision(args, versions)
    import kornia
    from kornia.augmentation import AugmentationSequential

    versions["kornia"] = kornia.__version__
    dev = torch.device(args.device)
    sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)
    photos = load_photos(size=(256, 256))
    min_time = 0.3 if args.quick else 1.0
    repeats = 1 if args.quick else args.repeats
    print(" ".join(f"{k} {v}" for k, v in sorted(versions.items())), f"| device {dev} | threads {torch.get_num_threads()}")
    print()
    stem = TITLE_STEM.format(where=_where(dev))
    print(f"**{stem}: torch {torch.__version__}, 256x256 uint8 batches -> 224x224, vs kornia {kornia.__version__} AugmentationSequential (float input; its x.float() / 255 timed)**")
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
            aug, why = _batched(pipe)
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

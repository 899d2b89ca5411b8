"""The committed dtype/channel support table matches the transforms' own declarations."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from invariant.core.transform import REGISTRY

_PATH = Path(__file__).resolve().parents[1] / "tools" / "docs_tables.py"
_SPEC = importlib.util.spec_from_file_location("docs_tables", _PATH)
docs_tables = importlib.util.module_from_spec(_SPEC)  # a repository tool, not an installed module
_SPEC.loader.exec_module(docs_tables)


def test_support_table_is_up_to_date() -> None:
    assert docs_tables.DEFAULT_PATH.read_text() == docs_tables.support_table(), "run: python tools/docs_tables.py"


def test_table_reflects_declarations() -> None:
    text = docs_tables.support_table()
    assert "| ColorJitter | pixel | yes | yes | yes | 3 |" in text
    assert "| GaussianBlur | pixel | yes | yes | yes | any |" in text
    assert all(f"| {name} |" in text for name in ("Equalize", "CoarseDropout", "OnChannels") if name in REGISTRY)

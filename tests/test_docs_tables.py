"""The committed dtype/channel support table matches the transforms' own declarations."""

from __future__ import annotations

from invariant import docs_tables
from invariant.core.transform import REGISTRY


def test_support_table_is_up_to_date() -> None:
    assert docs_tables.DEFAULT_PATH.read_text() == docs_tables.support_table(), "run: python -m invariant.docs_tables"


def test_table_reflects_declarations() -> None:
    text = docs_tables.support_table()
    assert "| ColorJitter | pixel | yes | yes | yes | 3 |" in text
    assert "| GaussianBlur | pixel | yes | yes | yes | any |" in text
    assert all(f"| {name} |" in text for name in ("Equalize", "CoarseDropout", "OnChannels") if name in REGISTRY)

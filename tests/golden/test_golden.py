"""Every output of the golden corpus (``make_golden.py``: every registered transform, fused chains, replay,
policies, presets, extra targets, reduced decoding) is bit-identical to the recorded reference.

The hashes were recorded with the numpy and OpenCV versions stored in ``golden.json``; OpenCV's float
kernels may round differently in another release, so with other versions the comparison is skipped
(``GOLDEN_STRICT=1`` forces it). A hash that changes on purpose is re-recorded with
``python tests/golden/make_golden.py`` in the same commit that explains the change."""

from __future__ import annotations

import json
import os

import pytest

from . import make_golden as golden


def test_golden_outputs_unchanged() -> None:
    recorded = json.loads(golden.GOLDEN.read_text())
    if recorded["versions"] != golden.versions() and os.environ.get("GOLDEN_STRICT") != "1":
        pytest.skip(f"golden hashes were recorded with {recorded['versions']}, running {golden.versions()}")
    expected = recorded["cases"]
    found = golden.compute()
    assert sorted(found) == sorted(expected), "the corpus changed: re-record it on the reference commit"
    changed = {name: sorted(k for k in set(found[name]) | set(expected[name]) if found[name].get(k) != expected[name].get(k)) for name in expected if found[name] != expected[name]}
    assert not changed, f"{len(changed)} of {len(expected)} golden cases changed, e.g. {dict(list(changed.items())[:10])}"


def test_corpus_covers_every_library_transform() -> None:
    from invariant.core.compose import Container
    from invariant.core.transform import library_transforms

    names = {key.split("/")[1] for key in json.loads(golden.GOLDEN.read_text())["cases"] if key.startswith("single/")}
    leaves = {n for n, cls in library_transforms().items() if not issubclass(cls, Container)}
    assert leaves <= names
    assert len(json.loads(golden.GOLDEN.read_text())["cases"]) >= 200

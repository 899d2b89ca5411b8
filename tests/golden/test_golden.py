"""Every output of the golden corpus (``make_golden.py``: every registered transform, fused chains, replay,
policies, presets, extra targets, reduced decoding) is bit-identical to the recorded reference.

The hashes were recorded with the numpy and OpenCV versions stored in ``golden.json``; OpenCV's float
kernels may round differently in another release, so with other versions the comparison is skipped
(``GOLDEN_STRICT=1`` forces it). They also round differently per CPU (numpy and OpenCV dispatch float
kernels to AVX2 or AVX-512 code): the reference recording names its CPU kind, and ``cpu_variants`` holds,
per other kind, the cases whose outputs differ there (``make_golden.py --cpu-variant``, recorded on such a
machine at a commit where the reference was current); a case passes when it equals one of its recordings.
A hash that changes on purpose is re-recorded with ``python tests/golden/make_golden.py`` in the same
commit that explains the change."""

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
    options = golden.accepted(recorded)
    found = golden.compute()
    assert sorted(found) == sorted(expected), "the corpus changed: re-record it on the reference commit"
    changed = {name: sorted(k for k in set(found[name]) | set(expected[name]) if found[name].get(k) != expected[name].get(k)) for name in expected if found[name] not in options[name]}
    assert not changed, f"{len(changed)} of {len(expected)} golden cases changed on {golden.cpu_kind()}, e.g. {dict(list(changed.items())[:10])}"


def test_cpu_variants_are_few_and_float() -> None:
    """A CPU variant is only floating-point rounding: few cases, each with a float32 input or stage."""
    recorded = json.loads(golden.GOLDEN.read_text())
    for kind, variant in recorded.get("cpu_variants", {}).items():
        assert kind != recorded["cpu"]
        assert len(variant) <= 0.05 * len(recorded["cases"]), f"{kind}: {len(variant)} cases differ; that is not rounding"
        for name, hashes in variant.items():
            assert "float32" in name or name.startswith("chain/"), f"{kind}: {name} differs but has no float input"
            assert hashes != recorded["cases"][name]


def test_corpus_covers_every_library_transform() -> None:
    from invariant.core.compose import Container
    from invariant.core.transform import library_transforms

    names = {key.split("/")[1] for key in json.loads(golden.GOLDEN.read_text())["cases"] if key.startswith("single/")}
    leaves = {n for n, cls in library_transforms().items() if not issubclass(cls, Container)}
    assert leaves <= names
    assert len(json.loads(golden.GOLDEN.read_text())["cases"]) >= 200

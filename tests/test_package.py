"""Packaging contract: importable without torch, version exposed, torch-only parts fail clearly."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import invariant as iv

BLOCK_TORCH = "import sys; sys.modules['torch'] = None\n"


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCK_TORCH + code], capture_output=True, text=True, timeout=120)


def test_import_and_version_without_torch():
    proc = run("import invariant as iv; print(iv.__version__)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == iv.__version__


def test_torch_only_parts_name_the_extra():
    proc = run("import invariant as iv\ntry:\n    iv.ToTensor()\nexcept ImportError as e:\n    print(e)\n")
    assert proc.returncode == 0, proc.stderr
    assert "pip install 'invariant[torch]'" in proc.stdout


def test_numpy_pipeline_works_without_torch():
    code = "import numpy as np, invariant as iv\nout = iv.Compose([iv.HorizontalFlip(p=1), iv.Normalize()])(image=np.zeros((4, 4, 3), np.uint8))\nprint(out['image'].dtype)"
    proc = run(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "float32"


CITES_MISSING_DOC = re.compile(r"\bthe guide\b|\bguide's|\bDESIGN\.md\b", flags=re.I)


def test_docs_and_sources_stand_alone():
    """No shipped text cites a document that does not ship ("the guide", DESIGN.md): README.md,
    docs/*.md and every source file state their facts and cite papers instead."""
    root = Path(__file__).resolve().parents[1]
    files = [root / "README.md", *sorted((root / "docs").glob("*.md")), *sorted((root / "src").rglob("*.py"))]
    assert len(files) > 20
    hits = [
        f"{path.relative_to(root)}:{n}: {line.strip()}"
        for path in files
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if CITES_MISSING_DOC.search(line)
    ]
    assert not hits, "cites a document that does not ship:\n" + "\n".join(hits)

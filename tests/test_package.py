"""Packaging contract: importable without torch, version exposed, torch-only parts fail clearly."""

from __future__ import annotations

import subprocess
import sys

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

"""The README's example runs as written (a newcomer's first contact must not be broken)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python example"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {"__name__": "readme"})
    printed = capsys.readouterr().out
    assert "(224, 224, 3)" in printed and "violation" in printed


def test_readme_commands_match_ci():
    text = README.read_text()
    ci = (README.parent / ".ci" / "run").read_text()
    test_command = 'python3 -m pip install -e ".[dev]" && python3 -m pytest -n 2'
    assert test_command in text and test_command in ci
    assert "invariant demo" in text

"""The README's example runs as written after the README's first install command alone, and CI runs the
README's test command in a fresh virtual environment (a newcomer's first contact must not be broken)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PYPROJECT = ROOT / "pyproject.toml"
CI = ROOT / ".ci" / "run"
DEMO_COMMAND = 'python3 -m pip install -e ".[demo]" "torch==2.13.0" && invariant demo'
TEST_COMMAND = 'python3 -m pip install -e ".[dev]" && python3 -m pytest -n 2'


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def _canonical(name: str) -> str:
    """PEP 503 normalised distribution name ("PyYAML" -> "pyyaml", "opencv_python" -> "opencv-python")."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(req: str) -> str:
    return _canonical(re.split(r"[\s<>=!~;\[]", req.strip(), maxsplit=1)[0])


def test_readme_python_example_runs(capsys):
    blocks = _python_blocks()
    assert blocks, "README has no python example"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {"__name__": "readme"})
    printed = capsys.readouterr().out
    assert "(224, 224, 3)" in printed and "violation" in printed


def test_readme_example_imports_are_installed_by_the_first_command():
    """Every module the example imports comes from the standard library, invariant itself, its core
    dependencies or a package the first command installs (the demo extra plus the pinned torch)."""
    assert DEMO_COMMAND in README.read_text()
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    allowed = {_requirement_name(r) for r in project["dependencies"] + project["optional-dependencies"]["demo"]}
    allowed |= {"torch", "invariant"}
    providers = packages_distributions()  # import name -> distributions installing it
    imported: set[str] = set()
    for block in _python_blocks():
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    assert imported, "the README example imports nothing"
    missing = {}
    for module in sorted(imported - set(sys.stdlib_module_names)):
        dists = {_canonical(d) for d in providers.get(module, [module])}
        if not dists & allowed:
            missing[module] = sorted(dists)
    assert not missing, f"README example imports modules the first command does not install: {missing}"


def test_ci_runs_the_readme_test_command_in_a_fresh_venv():
    """.ci/run recreates its own virtual environment, then runs both halves of the README's test
    command inside it (each may be wrapped in ``timeout ...``), so CI resolves what a new user gets."""
    text = README.read_text()
    assert TEST_COMMAND in text and "invariant demo" in text
    lines = [re.sub(r"^timeout \S+ ", "", ln.strip()) for ln in CI.read_text().splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    install, test = (part.strip() for part in TEST_COMMAND.split("&&"))
    venv = re.search(r"^VENV=(\S+)", CI.read_text(), flags=re.M)
    assert venv, ".ci/run must name its virtual environment in VENV="
    order = [
        'rm -rf "$VENV"',
        'python3 -m venv "$VENV"',
        'source "$VENV/bin/activate"',
        install,
        test,
    ]
    positions = []
    for step in order:
        found = [i for i, ln in enumerate(lines) if ln == step or ln.startswith(step + "  #")]
        assert found, f".ci/run lacks the step {step!r}"
        positions.append(found[0])
    assert positions == sorted(positions), f".ci/run runs {order} out of order"
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert any(venv.group(1).startswith(p.rstrip("*")) for p in ignored if p.endswith("/")), (
        f"{venv.group(1)} is not under a git-ignored folder"
    )

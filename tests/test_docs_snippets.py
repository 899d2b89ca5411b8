"""Every ```python block in README.md and docs/*.md runs as written, so the docs cannot rot.

Rule: each block runs on its own, in a fresh namespace (``__name__ == "docs"``), in an empty temporary
working directory (blocks write nothing into the repository). A block must therefore carry its own
imports. A block that needs what a test machine cannot have (a CUDA GPU, a large or external data
set) says so in a comment line ``# doctest: skip (reason)``; it is reported as skipped with that
reason, and a marker without a reason fails. Slow blocks are made smaller, never skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", flags=re.S | re.M)
SKIP = re.compile(r"^[ \t]*#[ \t]*doctest:[ \t]*skip\b(.*)$", flags=re.M)
REASON = re.compile(r"^[ \t]*\((.*\S.*)\)[ \t]*$")


def _blocks() -> list[tuple[Path, int, str]]:
    """(file, 1-based line of the block's first code line, code) for every ```python block."""
    found = []
    for path in DOCS:
        text = path.read_text()
        for m in FENCE.finditer(text):
            found.append((path, text.count("\n", 0, m.start(1)) + 1, m.group(1)))
    return found


BLOCKS = _blocks()


def skip_reason(code: str) -> str | None:
    """The reason of the block's ``# doctest: skip (reason)`` marker, None without a marker;
    ValueError for a marker without a reason in parentheses."""
    markers = SKIP.findall(code)
    if not markers:
        return None
    reason = REASON.match(markers[0])
    if len(markers) > 1 or reason is None:
        raise ValueError(f"a doctest skip marker needs one reason in parentheses, got {markers!r}")
    return reason.group(1).strip()


def test_every_python_fence_is_collected():
    """The extractor sees every opened ```python fence (an unclosed or indented one would hide a block)."""
    opened = sum(p.read_text().count("```python") for p in DOCS)
    assert BLOCKS and len(BLOCKS) == opened


@pytest.mark.parametrize("reason_text", ["", " ", " ()", " (   )", " because"])
def test_skip_marker_without_a_reason_fails(reason_text):
    with pytest.raises(ValueError, match="reason"):
        skip_reason(f"import torch\n# doctest: skip{reason_text}\n")


def test_skip_marker_reason_is_read():
    assert skip_reason("# doctest: skip (needs a CUDA GPU)\nx = 1\n") == "needs a CUDA GPU"
    assert skip_reason("x = 1  # no marker\n") is None


@pytest.mark.parametrize(
    "path, line, code", BLOCKS, ids=[f"{p.relative_to(ROOT)}:{line}" for p, line, _ in BLOCKS]
)
def test_docs_block_runs(path, line, code, tmp_path, monkeypatch):
    reason = skip_reason(code)  # a reasonless marker raises: the test fails
    if reason is not None:
        pytest.skip(f"{path.relative_to(ROOT)}:{line}: {reason}")
    where = f"{path.relative_to(ROOT)}:{line}"
    bound = top_level_names(code)
    assert bound, f"{where}: the block binds nothing (no import, assignment or definition): a docs block shows code to run"
    monkeypatch.chdir(tmp_path)
    matplotlib.use("Agg")
    namespace = {"__name__": "docs"}
    try:  # pad with blank lines so a traceback names the block's real line in the markdown file
        exec(compile("\n" * (line - 1) + code, str(path), "exec"), namespace)
    except Exception as exc:
        raise AssertionError(f"{where}: the block raised {type(exc).__name__}: {exc}") from exc
    missing = sorted(bound - namespace.keys())
    assert not missing, f"{where}: the block ran but did not bind {missing}"


def top_level_names(code: str) -> set[str]:
    """The names a block's top-level statements bind: imports, assignments, function and class definitions."""
    import ast

    names: set[str] = set()
    for node in ast.parse(code).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        else:  # (a for loop's target is not bound when it runs zero times: not counted)
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                targets = [node.target]
            elif isinstance(node, ast.With):
                targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
            else:
                targets = []
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    return names


def test_top_level_names_reads_what_a_block_binds():
    code = "import numpy as np\nimport os.path\nfrom a import b as c\nx, (y, z) = 1, (2, 3)\ndef f(): q = 1\nclass K: pass\nfor i in []: pass\nwith open('p') as fh: pass\nprint(x)\n"
    assert top_level_names(code) == {"np", "os", "c", "x", "y", "z", "f", "K", "fh"}
    assert top_level_names("print(1)\n# a comment\n") == set()



def test_blocks_need_only_what_the_readme_first_install_brings():
    """Regression: a newcomer who ran the README's first command (`pip install -e ".[demo]"`) could not run nine
    docs blocks (ModuleNotFoundError: skimage). Every module a block imports, and scikit-image behind
    ``iv.data.load_photo``, must come from the core dependencies or the ``demo`` extra (the README's own
    example is checked the same way in tests/test_readme.py)."""
    import ast
    import sys
    import tomllib
    from importlib.metadata import packages_distributions

    from .test_readme import _canonical, _requirement_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    allowed = {_requirement_name(r) for r in project["dependencies"] + project["optional-dependencies"]["demo"]}
    providers = packages_distributions()  # import name -> distributions installing it
    missing = []
    for path, line, code in BLOCKS:
        if skip_reason(code) is not None:
            continue
        modules = {"skimage"} if "load_photo" in code else set()
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Import):
                modules.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
        for module in sorted(modules - set(sys.stdlib_module_names) - {"invariant"}):
            dists = {_canonical(d) for d in providers.get(module, [module])}
            if not dists & allowed:
                missing.append(f"{path.relative_to(ROOT)}:{line} imports {module} ({', '.join(sorted(dists))})")
    assert not missing, "not in the core dependencies or the demo extra:\n" + "\n".join(missing)

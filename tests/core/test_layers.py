"""The import graph of ``src/invariant`` (parsed with ``ast``, imports inside functions included): every module
imports only its own layer or layers below it, and no set of modules imports each other in a cycle.

Layers, lowest first (docs/architecture.md):
  0. ``core.errors``, ``core.hooks``, ``core.version``: the ground floor every layer may use (error texts,
     declared hooks, the version)
  1. ``ops`` (kernels), ``targets`` (annotation formats)
  2. ``core`` (samples, Transform, containers, planning, fusion analysis, executors, serialization)
  3. ``transforms``, ``policies`` (what users compose)
  4. ``domains`` (tasks, the pipeline check, presets)
  5. ``io``, ``batch``, ``training``, ``data`` (datasets, decoding, batch mixing, tools)
  6. ``cli`` and the package root ``invariant``
"""

from __future__ import annotations

import ast
from pathlib import Path

import invariant

ROOT = Path(invariant.__file__).parent
LAYERS = {"ops": 1, "targets": 1, "core": 2, "transforms": 3, "policies": 3, "domains": 4, "io": 5, "batch": 5, "training": 5, "data": 5, "cli": 6}


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def import_graph() -> dict[str, set[str]]:
    """module -> the invariant modules it names in any import statement (a name imported from a package
    counts as that submodule when one exists)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if a.name.split(".")[0] == "invariant"}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.split(".")[0] != "invariant":
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    targets.add(sub if sub in modules else target)
        graph[name] = {t for t in targets if t != name and t in modules}
    return graph


GROUND = {"invariant.core.errors", "invariant.core.hooks", "invariant.core.version"}


def layer(module: str) -> int:
    if module in GROUND:
        return 0
    parts = module.split(".")
    return LAYERS.get(parts[1], 6) if len(parts) > 1 else 6


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read() -> None:
    graph = import_graph()
    assert "invariant.core.planner" in graph["invariant.core.compose"]
    assert "invariant.core.transform" in graph["invariant.transforms.flips"]


def test_core_imports_only_core_ops_and_targets() -> None:
    graph = import_graph()
    upward = {m: sorted(t for t in ts if layer(t) > 2) for m, ts in graph.items() if m.startswith("invariant.core") and any(layer(t) > 2 for t in ts)}
    assert not upward, f"core imports from above it: {upward}"


def test_every_module_imports_only_its_layer_or_below() -> None:
    graph = import_graph()
    upward = {m: sorted(t for t in ts if layer(t) > layer(m)) for m, ts in graph.items() if any(layer(t) > layer(m) for t in ts)}
    assert not upward, f"imports from a higher layer: {upward}"


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_a_cycle_would_be_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]

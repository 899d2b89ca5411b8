"""Pipelines as data: ``to_dict`` / ``from_dict`` and YAML/JSON files, versioned.

Configs are data, not code. ``from_dict`` builds only registered transforms and never imports or
evaluates a name found in a file; transforms wrapping user functions (``Lambda``) and custom
schedules are restored only from functions the caller passes in. A malformed config fails with the
key path (and, for files, the line).
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any, Callable

import numpy as np
import yaml

from . import hooks
from .schedule import SCHEDULES, Custom, Schedule
from .transform import REGISTRY, Transform

FORMAT_VERSION = 1
# The most values (mappings, lists, scalars) one config may expand to. YAML aliases let a few hundred bytes
# name billions of values (nested aliases, "billion laughs"); decoding stops here instead of copying them.
# Real pipelines have a few hundred.
MAX_CONFIG_NODES = 100_000


class ConfigError(ValueError):
    """A pipeline config that cannot be built; the message names the key path (and line)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _encode(value: Any) -> Any:
    if isinstance(value, Transform):
        return transform_to_dict(value)
    if isinstance(value, Schedule):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if callable(value):
        return {"function": getattr(value, "__name__", "function")}
    return value


def transform_to_dict(t: Transform) -> dict[str, Any]:
    return {"name": type(t).__name__, "args": {k: _encode(v) for k, v in t.init_args().items()}}


def to_dict(pipeline: Transform) -> dict[str, Any]:
    from .version import __version__

    return {"format_version": FORMAT_VERSION, "invariant_version": __version__, "pipeline": transform_to_dict(pipeline)}


def _fail(path: list[Any], problem: str, fix: str) -> None:
    where = "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in path) or "<root>"
    advice = "" if "Fix:" in problem else f". Fix: {fix}"  # the transform's own error already says how
    raise ConfigError(f"config{where}: {problem}{advice}", path)


class _Budget:
    """Counts the values decoded from one config and refuses it past ``MAX_CONFIG_NODES``."""

    __slots__ = ("left",)

    def __init__(self, limit: int = MAX_CONFIG_NODES) -> None:
        self.left = limit

    def spend(self, path: list[Any]) -> None:
        self.left -= 1
        if self.left < 0:
            _fail(
                path,
                f"the config expands to more than {MAX_CONFIG_NODES} values (nested YAML aliases/anchors repeat data)",
                "write the pipeline out without nested aliases (iv.save writes none); a config this large is not a pipeline",
            )


def _is_transform_spec(value: dict, path: list[Any]) -> bool:
    """``{name, args}``, or ``{name}`` alone (args default to {}) where a transform is expected: a
    registered name, or an entry of a ``transforms`` list / a ``transform`` argument."""
    if "name" not in value or not set(value) <= {"name", "args"}:
        return False
    if "args" in value:
        return True
    in_slot = bool(path) and (path[-1] == "transform" or len(path) > 1 and path[-2] == "transforms")
    return isinstance(value["name"], str) and (value["name"] in REGISTRY or in_slot)


def _decode(value: Any, path: list[Any], functions: dict[str, Callable], budget: _Budget) -> Any:
    budget.spend(path)
    if isinstance(value, dict):
        if _is_transform_spec(value, path):
            return _build(value, path, functions, budget)
        if "schedule" in value:
            kind = value["schedule"]
            if kind == "Custom":
                name = value.get("name")
                if name not in functions:
                    _fail(path, f"custom schedule {name!r} needs its function", f"pass functions={{{name!r}: fn}} to from_dict")
                return Custom(functions[name], name)
            if kind not in SCHEDULES:
                _fail(path + ["schedule"], f"unknown schedule {kind!r}", f"use one of {sorted(SCHEDULES)}")
            args = {k: _decode(v, path + [k], functions, budget) for k, v in value.items() if k != "schedule"}
            try:
                return SCHEDULES[kind](**args)
            except (TypeError, ValueError) as exc:
                _fail(path, str(exc), "check the schedule's arguments")
        if "function" in value and len(value) == 1:
            name = value["function"]
            if name not in functions:
                _fail(path, f"this transform wraps the user function {name!r}", f"pass functions={{{name!r}: fn}} to from_dict")
            return functions[name]
        return {k: _decode(v, path + [k], functions, budget) for k, v in value.items()}
    if isinstance(value, list):
        decoded = [_decode(v, path + [i], functions, budget) for i, v in enumerate(value)]
        return decoded
    return value


def _build(spec: Any, path: list[Any], functions: dict[str, Callable], budget: _Budget | None = None) -> Transform:
    budget = budget or _Budget()
    if not isinstance(spec, dict) or "name" not in spec:
        _fail(path, f"expected a mapping with 'name' and 'args', got {type(spec).__name__}", "write each transform as {name: ..., args: {...}}")
    name = spec["name"]
    if not isinstance(name, str) or name not in REGISTRY:
        close = difflib.get_close_matches(str(name), list(REGISTRY), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? Otherwise " if close else ""
        _fail(path + ["name"], f"unknown transform {name!r}", f"{hint}use a registered transform name (see iv.available_transforms())")
    args = spec.get("args", {}) or {}
    if not isinstance(args, dict):
        _fail(path + ["args"], f"expected a mapping, got {type(args).__name__}", "write args as key: value pairs")
    decoded = {k: _decode(v, path + ["args", k], functions, budget) for k, v in args.items()}
    decoded = {k: tuple(v) if isinstance(v, list) and k not in ("transforms",) and not any(isinstance(x, (Transform, list)) for x in v) else v for k, v in decoded.items()}
    try:
        return REGISTRY[name](**decoded)
    except (TypeError, ValueError) as exc:
        text = str(exc)
        _fail(path + ["args"], text if text.startswith(f"{name}:") else f"{name}: {text}", "correct the argument named above")
    raise AssertionError("unreachable")  # pragma: no cover


def from_dict(config: dict[str, Any], functions: dict[str, Callable] | None = None) -> Transform:
    """Build a pipeline from ``to_dict`` output. ``functions`` maps names to user functions for
    ``Lambda`` transforms and custom schedules; nothing is ever imported by name."""
    functions = dict(functions or {})
    if not isinstance(config, dict):
        _fail([], f"expected a mapping, got {type(config).__name__}", "load a file written by iv.save or pipe.to_dict()")
    if "pipeline" not in config:
        if "name" in config:  # a bare transform dict
            return _build(config, [], functions)
        _fail([], "missing key 'pipeline'", "load a file written by iv.save or pipe.to_dict()")
    version = config.get("format_version", FORMAT_VERSION)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        _fail(["format_version"], f"format version {version!r} is newer than this library's ({FORMAT_VERSION})", "upgrade invariant")
    return _build(config["pipeline"], ["pipeline"], functions)


def save(pipeline: Transform, path: str | Path) -> None:
    """Write a pipeline as YAML (.yaml/.yml) or JSON (.json)."""
    path = Path(path)
    data = to_dict(pipeline)
    if path.suffix in (".yaml", ".yml"):
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    elif path.suffix == ".json":
        path.write_text(json.dumps(data, indent=2))
    else:
        raise ValueError(f"path: expected a .yaml, .yml or .json file name, got {path.name!r}. Fix: choose one of those suffixes.")


def _line_of(text: str, path: list[Any]) -> int | None:
    """The 1-based line of ``path`` in a YAML/JSON document (JSON is YAML), best effort."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = None
    for key in path:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == key]
            if not match:
                break
            line = match[0][0].start_mark.line + 1
            node = match[0][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def load(path: str | Path, functions: dict[str, Callable] | None = None) -> Transform:
    """Read a pipeline from a YAML or JSON file (safe loading only)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"config: file {str(path)!r} does not exist. Fix: check the path.")
    text = path.read_text()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}:{line} is not valid YAML/JSON ({getattr(exc, 'problem', exc)}). Fix: correct the syntax there.", []) from None
    try:
        return from_dict(data, functions)
    except ConfigError as exc:
        key_path = exc.args[1] if len(exc.args) > 1 else []
        line = _line_of(text, key_path)
        where = f"{path}:{line}" if line else str(path)
        raise ConfigError(f"{where}: {exc.args[0]}", key_path) from None


hooks.register("transform_to_dict", transform_to_dict)

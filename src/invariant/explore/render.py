"""What the page asks for: build the edited pipeline step by step, check it against the task, render
the grid of augmented samples, time every step, say which steps fused, and export the pipeline.

Timing runs each call's plan twice on the same draw: once step by step (each step's own cost) and
once the way ``Compose`` executes it: ``pipe.plan(...)``, then the numpy executor run by run as the fusion
analysis (``plan.runs()``) groups it (spatial runs become one resampling, pointwise uint8 runs one lookup
table), recording each group it executes.
The grid shows the second run's output, which equals ``pipe(...)`` for the same generator (tested).
"""

from __future__ import annotations

import base64
import re
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import yaml

from ..core.call import write_sample
from ..core.compose import Compose, Container
from ..core.executor import get_executor
from ..core.plan import Plan, SingleStep, SpatialRun
from ..core.serialization import ConfigError, from_dict, to_dict
from ..core.transform import Transform
from ..domains import Task, check
from ..domains.presets import depth_task, natural_task, rgbd_task, satellite_task, video_task, xray_task
from ..training.preview import RANGE_FRACTION, declared_normalization, draw_sample, out_of_range

TASK_PRESETS = {
    "natural": natural_task,
    "xray": xray_task,
    "satellite": satellite_task,
    "depth": depth_task,
    "rgbd": rgbd_task,
    "video": video_task,
}
MAX_SAMPLES = 24  # augmented samples per image in one request
MAX_IMAGES = 8  # images in one request
_ARGUMENT = re.compile(r"^(?:config\S*: )?(?:[A-Z]\w*: )?([a-z_]\w*)(?:\[[^\]]*\])*(?:\.\w+)*: ")
# compose settings of a loaded CONFIG that rendering keeps (boxes are drawn in pascal_voc pixels)
_RENDER_SETTINGS = ("min_area", "min_visibility", "min_width", "min_height", "remove_invisible_keypoints", "fuse")


def task_from(spec: Any) -> Task | None:
    """None, a preset name (``TASK_PRESETS``) or a ``Task.to_dict()`` mapping -> Task."""
    if spec is None or spec == "":
        return None
    if isinstance(spec, str):
        if spec not in TASK_PRESETS:
            raise ValueError(f"task: expected one of {sorted(TASK_PRESETS)}, got {spec!r}. Fix: pick a preset from the list (or none).")
        return TASK_PRESETS[spec]()
    if isinstance(spec, dict):
        return Task.from_dict(spec)
    raise TypeError(f"task: expected a preset name or a Task mapping, got {type(spec).__name__}. Fix: pick a preset from the list.")


def argument_of(message: str) -> str | None:
    """The argument an error message names first (``Rotate: limit: expected ...`` -> ``limit``)."""
    m = _ARGUMENT.match(message)
    return m.group(1) if m else None


@dataclass
class Built:
    """The enabled steps that built, where each came from on the page, and the errors of the others."""

    transforms: list[Transform]
    ui_index: list[int]  # built position -> page position
    errors: dict[int, dict[str, Any]]  # page position -> {message, argument}


def build_steps(steps: Any) -> Built:
    """Build every enabled step with ``iv.from_dict`` (only registered transforms, never a name imported
    from the request); a step that does not build is left out and its error kept for the page."""
    if not isinstance(steps, list):
        raise TypeError(f"pipeline: expected a list of steps, got {type(steps).__name__}. Fix: send [{{name, args, enabled}}, ...].")
    transforms, where, errors = [], [], {}
    for i, step in enumerate(steps):
        if not isinstance(step, dict) or not isinstance(step.get("name"), str):
            errors[i] = {"message": f"pipeline[{i}]: expected {{name, args}}, got {step!r:.60}. Fix: add steps from the list.", "argument": None}
            continue
        if step.get("enabled", True) is False:
            continue
        try:
            t = from_dict({"name": step["name"], "args": step.get("args") or {}})
        except (ConfigError, ValueError, TypeError) as exc:
            text = str(exc)
            text = text.split(": ", 1)[1] if text.startswith("config[") else text
            errors[i] = {"message": text, "argument": argument_of(text.split(": ", 1)[1] if text.startswith(f"{step['name']}: ") else text)}
            continue
        transforms.append(t)
        where.append(i)
    return Built(transforms, where, errors)


def compose(built: Built, settings: dict[str, Any] | None = None, task: Task | None = None) -> Compose:
    return Compose(list(built.transforms), **(settings or {}), **({"task": task} if task is not None else {}))


def check_report(built: Built, task: Task | None) -> dict[str, Any]:
    """``iv.check`` of the built steps, each violation tied to the page's step."""
    report = check(Compose(list(built.transforms)), task)
    violations = []
    for v in report.violations:
        m = re.match(r"transforms\[(\d+)\]", v.path)
        step = built.ui_index[int(m.group(1))] if m else None
        violations.append({"step": step, "path": v.path, "transform": v.transform, "property": v.property, "problem": v.problem, "fix": v.fix, "text": str(v)})
    return {"checked": report.checked, "ok": report.ok, "violations": violations, "notes": list(report.notes), "text": str(report)}


# -- export --------------------------------------------------------------------------------------------------
def _py(value: Any) -> str:
    if isinstance(value, Transform):
        return _py_transform(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(_py(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_py(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_py(v)}" for k, v in value.items()) + "}"
    if isinstance(value, np.generic):
        return repr(value.item())
    return repr(value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b) and type(a) is type(b) or (isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool) and a == b)
    except (TypeError, ValueError):
        return False


def _py_transform(t: Transform) -> str:
    import inspect

    params = inspect.signature(type(t).__init__).parameters
    parts = []
    for k, v in t.init_args().items():
        prm = params.get(k)
        if prm is not None and prm.default is not prm.empty and _same(v, prm.default):
            continue
        parts.append(f"{k}={_py(v)}")
    return f"iv.{type(t).__name__}({', '.join(parts)})"


def export(built: Built, task: Task | None, settings: dict[str, Any] | None = None) -> dict[str, str]:
    """The pipeline as YAML (``iv.load`` reads it) and as the equivalent Python. The task is attached to
    the YAML's Compose (checked again on load) only when the pipeline passes it."""
    settings = dict(settings or {})
    report = check(Compose(list(built.transforms)), task) if task is not None else None
    attach = task is not None and report is not None and report.ok
    pipe = compose(built, settings, task if attach else None)
    head = ""
    if task is not None and not attach:
        head = f"# task {task.name!r} not attached: the pipeline breaks it ({len(report.violations)} violation(s); see iv.check)\n"  # type: ignore[union-attr]
    text = head + yaml.safe_dump(to_dict(pipe), sort_keys=False)
    lines = ["import invariant as iv", ""]
    if task is not None:
        lines.append(f"task = iv.{task!r}")
    inner = ",\n".join(f"        {_py(t)}" for t in built.transforms)
    extra = "".join(f"    {k}={_py(v)},\n" for k, v in settings.items())
    task_arg = "    task=task,\n" if attach else ""
    lines.append("pipe = iv.Compose(\n    [\n" + (inner + ",\n" if inner else "") + "    ],\n" + extra + task_arg + ")")
    if task is not None:
        lines.append("print(iv.check(pipe, task))")
    return {"yaml": text, "python": "\n".join(lines) + "\n"}


def import_yaml(text: Any) -> dict[str, Any]:
    """A YAML/JSON pipeline (as ``iv.save`` writes) -> the page's steps and the Compose settings.
    Errors are the library's own (``iv.from_dict``: key path, line)."""
    from ..core.serialization import _line_of

    if not isinstance(text, str):
        raise TypeError(f"yaml: expected the text of a pipeline file, got {type(text).__name__}. Fix: paste a YAML pipeline.")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"yaml:{line} is not valid YAML/JSON ({getattr(exc, 'problem', exc)}). Fix: correct the syntax there.") from None
    try:
        pipe = from_dict(data)
    except ConfigError as exc:
        path = exc.args[1] if len(exc.args) > 1 else []
        line = _line_of(text, path)
        raise ConfigError(f"yaml{f' line {line}' if line else ''}: {exc.args[0]}") from None
    return pipeline_state(pipe)


def pipeline_state(pipe: Transform) -> dict[str, Any]:
    """(steps, settings, task) of a loaded pipeline: a Compose's children become steps, its other
    non-default settings are kept for export; any other transform is one step."""
    if not isinstance(pipe, Compose):
        return {"steps": [{"name": type(pipe).__name__, "args": to_dict(pipe)["pipeline"]["args"], "enabled": True}], "settings": {}, "task": None}
    import inspect

    defaults = {k: p.default for k, p in inspect.signature(Compose.__init__).parameters.items()}
    settings = {k: v for k, v in pipe.init_args().items() if k not in ("transforms", "task", "on_violation") and not _same(v, defaults.get(k))}
    steps = [{"name": type(t).__name__, "args": to_dict(t)["pipeline"]["args"], "enabled": True} for t in pipe.transforms]
    return {"steps": steps, "settings": settings, "task": pipe.task.to_dict() if pipe.task is not None else None}


# -- rendering -----------------------------------------------------------------------------------------------
def execute_timed(plan: Plan) -> list[tuple[str, int, int, float]]:
    """Execute ``plan`` with the numpy executor, run by run as ``plan.runs()`` (the fusion analysis)
    groups it, and return the groups it ran: (kind, start, end, seconds) with kind "resampling" (a fused
    spatial run), "table" (steps that became one lookup table) or "step" (one step on its own)."""
    executor = get_executor("numpy")
    steps, sample = plan.steps, plan.sample
    groups: list[tuple[str, int, int, float]] = []
    clock = time.perf_counter
    for run in plan.runs():
        t0 = clock()
        if type(run) is SingleStep:
            executor.step(steps[run.index], sample)
            groups.append(("step", run.index, run.index + 1, clock() - t0))
        elif type(run) is SpatialRun:
            executor.spatial_run(steps, run, sample)
            groups.append(("resampling", run.start, run.end, clock() - t0))
        else:  # a table run: the executor settles which prefixes become one table (as NumpyExecutor.table_run)
            k = run.start
            while k < run.end:
                t0 = clock()
                j = executor.table(steps, k, sample, run.end)
                if j > k:
                    groups.append(("table", k, j, clock() - t0))
                    k = j
                    continue
                executor.step(steps[k], sample)
                groups.append(("step", k, k + 1, clock() - t0))
                k += 1
    return groups


def _leaf_owner(transforms: list[Transform], ui_index: list[int]) -> dict[int, int]:
    owner = {}
    for t, ui in zip(transforms, ui_index):
        for leaf in t.leaves() if isinstance(t, Container) else [t]:
            owner[id(leaf)] = ui
    return owner


def run_once(pipe: Compose, data: dict[str, Any], rng: np.random.Generator) -> tuple[dict[str, Any], list, list[float], list[tuple[str, int, int, float]], float]:
    """One call of ``pipe`` on ``data``: (output, plan steps, per-step seconds step by step, executed
    groups, planning seconds). The output is the fused execution's, as ``pipe(**data, rng=rng)`` returns."""
    t0 = time.perf_counter()
    plan = pipe.plan(rng=rng, **data)
    planning = time.perf_counter() - t0
    executor = get_executor("numpy")
    sample = plan.sample
    arrays = dict(sample.arrays)
    alone = []
    for step in plan.steps:
        t0 = time.perf_counter()
        executor.step(step, sample)
        alone.append(time.perf_counter() - t0)
    sample.arrays = dict(arrays)
    groups = execute_timed(plan)
    return write_sample(pipe, sample, plan.meta), plan.steps, alone, groups, planning


def tile_png(image: np.ndarray, cell: int) -> str:
    """A drawn RGB tile, shrunk to fit ``cell`` pixels, as a PNG data URL."""
    h, w = image.shape[:2]
    s = min(1.0, cell / max(h, w))
    if s < 1.0:
        image = cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    ok, png = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover - OpenCV always encodes uint8 RGB
        raise RuntimeError("PNG encoding failed")
    return "data:image/png;base64," + base64.b64encode(png.tobytes()).decode("ascii")


class SampleCache:
    """Decoded (and shrunk) inputs by (image id, max side): each render does not decode again."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self.items: OrderedDict[tuple[str, int], tuple[dict[str, Any], list[str] | None]] = OrderedDict()

    def get(self, entry: Any, max_side: int) -> tuple[dict[str, Any], list[str] | None]:
        key = (entry.id, max_side)
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key]
        sample, names = entry.load()
        sample = shrink(sample, max_side)
        self.items[key] = (sample, names)
        while len(self.items) > self.size:
            self.items.popitem(last=False)
        return sample, names


def shrink(sample: dict[str, Any], max_side: int) -> dict[str, Any]:
    """Resize a sample (with its boxes, masks, keypoints) so its longer side is at most ``max_side``
    (0: keep), with the library's own ``Resize``."""
    from ..transforms.crops import Resize

    h, w = sample["image"].shape[:2]
    if not max_side or max(h, w) <= max_side:
        return sample
    s = max_side / max(h, w)
    out = Compose([Resize(max(1, round(h * s)), max(1, round(w * s)), interpolation="area")], bbox_format="pascal_voc")(**sample)
    return {k: v for k, v in out.items() if k != "bbox_indices"}


def render(built: Built, entries: list[Any], cache: SampleCache, n: int = 6, seed: int = 0, cell: int = 224, max_side: int = 768,
           settings: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """The grid (per image: the input, then ``n`` augmented samples, drawn), per-step timing and fusion."""
    keep = {k: v for k, v in (settings or {}).items() if k in _RENDER_SETTINGS}
    pipe = Compose(list(built.transforms), bbox_format="pascal_voc", **keep)
    normalization = declared_normalization(pipe)
    owner = _leaf_owner(built.transforms, built.ui_index)
    steps: dict[int, dict[str, float]] = {ui: {"applied": 0, "seconds": 0.0} for ui in built.ui_index}
    fused: dict[tuple[str, tuple[int, ...]], dict[str, float]] = {}
    calls, total, planning_total = 0, 0.0, 0.0
    rows, errors = [], []
    for entry in entries:
        sample, names = cache.get(entry, max_side)
        row = {"id": entry.id, "name": entry.name, "shape": list(sample["image"].shape), "original": tile_png(draw_sample(dict(sample), names), cell), "samples": [], "flags": []}
        for k in range(n):
            rng = np.random.default_rng([int(seed), zlib.crc32(entry.id.encode()), k])
            try:
                out, plan, alone, groups, planning = run_once(pipe, sample, rng)
            except (ValueError, TypeError) as exc:
                errors.append({"image": entry.id, "message": str(exc), "step": _step_named(str(exc), built)})
                break
            calls += 1
            planning_total += planning
            total += planning + sum(g[3] for g in groups)
            for t, seconds in zip((step.transform for step in plan), alone):
                s = steps[owner[id(t)]]
                s["applied"] += 1
                s["seconds"] += seconds
            for kind, a, b, seconds in groups:
                if kind == "step":
                    continue
                key = (kind, tuple(owner[id(plan[m].transform)] for m in range(a, b)))
                g = fused.setdefault(key, {"count": 0, "seconds": 0.0, "alone": 0.0})
                g["count"] += 1
                g["seconds"] += seconds
                g["alone"] += sum(alone[a:b])
            tile = draw_sample(out, names, normalization=normalization)
            fraction = out_of_range(out["image"], normalization)
            if fraction > RANGE_FRACTION:
                border = max(2, round(max(tile.shape[:2]) / 60))
                cv2.rectangle(tile, (0, 0), (tile.shape[1] - 1, tile.shape[0] - 1), (220, 0, 0), border)
                row["flags"].append(f"sample {k + 1}: {fraction:.0%} of values outside [0, 1] by more than 0.05 (normalisation applied twice?)")
            row["samples"].append(tile_png(tile, cell))
        rows.append(row)
    timing = {
        "calls": calls,
        "ms_per_call": 1e3 * total / calls if calls else 0.0,
        "planning_ms_per_call": 1e3 * planning_total / calls if calls else 0.0,
        "steps": [{"step": ui, "applied": int(s["applied"]), "ms_per_applied_call": 1e3 * s["seconds"] / s["applied"] if s["applied"] else 0.0} for ui, s in steps.items()],
        "fused": [
            {"kind": kind, "steps": list(dict.fromkeys(key)), "count": int(g["count"]), "ms": 1e3 * g["seconds"] / g["count"], "ms_step_by_step": 1e3 * g["alone"] / g["count"]}
            for (kind, key), g in fused.items()
        ],
    }  # fmt: skip
    return {"rows": rows, "timing": timing, "errors": errors}


def _step_named(message: str, built: Built) -> int | None:
    """The page step an execution error names (``ToGray image: expected ...``), if any."""
    m = re.match(r"^([A-Z]\w*)\b", message)
    if not m:
        return None
    for t, ui in zip(built.transforms, built.ui_index):
        if type(t).__name__ == m.group(1):
            return ui
    return None

"""Controls for every registered transform, read from its constructor.

Each argument's control comes from two sources that cannot drift from the code: the constructor's
signature (names, defaults, annotations) and the argument checks the constructor itself runs
(``as_range``, ``check_number``, ``check_choice``, ``check_probability`` in ``core.transform``), whose
declared bounds and choices are recorded while each transform is built once with its defaults.
Arguments no check declares bounds for get soft slider bounds around their default; the typed value
is always sent as is, so the library's own check decides and its error text is shown.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import math
import sys
import threading
from typing import Any, Callable

from ..core import transform as core_transform
from ..core.compose import Container
from ..core.serialization import _encode
from ..core.transform import library_transforms

_CHECKS = ("as_range", "check_number", "check_choice", "check_probability")
_RECORDING: contextvars.ContextVar[list[tuple[str, tuple, dict]] | None] = contextvars.ContextVar("_RECORDING", default=None)
_PATCH_LOCK = threading.Lock()


def _recorder(kind: str, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls = _RECORDING.get()
        if calls is not None:
            calls.append((kind, args, kwargs))
        return original(*args, **kwargs)

    return wrapper


def _record_checks(builders: dict[str, Callable[[], Any]]) -> dict[str, list[tuple[str, tuple, dict]]]:
    """Run each builder with the library's argument checks recording their calls. The checks are swapped
    for recording wrappers in every ``invariant`` module that imported them (they are looked up by module
    global at call time), under a lock, and restored before returning; the wrappers call the originals,
    so any other thread calling a check meanwhile gets the same result."""
    originals = {name: getattr(core_transform, name) for name in _CHECKS}
    found: dict[str, list[tuple[str, tuple, dict]]] = {}
    with _PATCH_LOCK:
        patched: list[tuple[Any, str, Any]] = []
        try:
            for module in list(sys.modules.values()):
                if not getattr(module, "__name__", "").startswith("invariant"):
                    continue
                for name, original in originals.items():
                    if getattr(module, name, None) is original:
                        setattr(module, name, _recorder(name, original))
                        patched.append((module, name, original))
            for key, build in builders.items():
                calls: list[tuple[str, tuple, dict]] = []
                token = _RECORDING.set(calls)
                try:
                    build()
                except (TypeError, ValueError):
                    pass  # reported by the schema's own "constructs" field
                finally:
                    _RECORDING.reset(token)
                found[key] = calls
        finally:
            for module, name, original in patched:
                setattr(module, name, original)
    return found


def _bounds(calls: list[tuple[str, tuple, dict]]) -> dict[str, dict[str, Any]]:
    """argument name -> what its checks declared (first declaration of each kind wins)."""
    out: dict[str, dict[str, Any]] = {}
    for kind, args, kwargs in calls:
        if kind == "check_probability":
            argument = args[1] if len(args) > 1 else kwargs.get("argument", "p")
            info = {"check": "probability", "low": 0.0, "high": 1.0}
        elif len(args) > 1 and isinstance(args[1], str):
            argument = args[1]
            if kind == "check_choice":
                choices = args[2] if len(args) > 2 else kwargs.get("choices", ())
                info = {"check": "choice", "choices": [str(c) for c in choices]}
            elif kind == "check_number":
                info = {"check": "number", "low": kwargs.get("low"), "high": kwargs.get("high"), "integer": bool(kwargs.get("integer", False))}
            else:
                info = {"check": "range", "low": kwargs.get("low"), "high": kwargs.get("high"), "around": kwargs.get("around")}
        else:
            continue
        out.setdefault(argument, info)
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_pair(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and len(v) == 2 and all(_is_number(x) for x in v)


def _soft(values: list[float], low: float | None, high: float | None) -> tuple[float, float]:
    """Slider bounds: the declared ones, else a span around the default (values beyond it are typed)."""
    big = max([abs(v) for v in values] + [0.0])
    span = max(1.0, 4.0 * big) if big < 1 or all(float(v).is_integer() for v in values) else max(1.0, 2.0 * big)
    lo = low if low is not None else (0.0 if all(v >= 0 for v in values) else -span)
    hi = high if high is not None else max(span, lo + 1.0)
    return float(lo), float(hi)


# Soft slider spans (degrees) for angle arguments whose checks declare no bounds.
_ANGLES = {"rotate": 180.0, "limit": 180.0, "rotate_limit": 180.0, "shear": 45.0, "angle": 360.0}
# Fill values: a pixel value in the image's own range (0-255, 0-65535 or 0-1), so a typed number, no slider.
_FILLS = frozenset({"fill", "fill_mask", "value", "hole_value"})


def _control(name: str, default: Any, declared: dict[str, Any] | None) -> dict[str, Any]:
    """How the page edits one argument: slider, range (two sliders), bool, choice, number, text, or json."""
    if declared and declared["check"] == "choice":
        return {"control": "choice", "choices": declared["choices"]}
    if isinstance(default, bool):
        return {"control": "bool"}
    if isinstance(default, str):
        return {"control": "text"}
    if name in _FILLS and _is_number(default):
        return {"control": "number"}
    low = declared.get("low") if declared else None
    high = declared.get("high") if declared else None
    low = None if low is not None and not math.isfinite(low) else low
    high = None if high is not None and not math.isfinite(high) else high
    integer = bool(declared and declared.get("integer"))
    if _is_number(default):
        integer = integer or (isinstance(default, int) and not (declared and declared["check"] in ("probability",)))
        around = declared.get("around") if declared and declared["check"] == "range" else None
        if around is not None:  # a scalar x means (around - x, around + x): the slider runs over |x|
            room = [b for b in ((around - low) if low is not None else None, (high - around) if high is not None else None) if b is not None]
            lo, hi = 0.0, min(room) if room else _ANGLES.get(name, _soft([default], 0.0, None)[1])
        elif name in _ANGLES and low is None and high is None:
            lo, hi = (0.0 if default >= 0 else -_ANGLES[name]), _ANGLES[name]
        else:
            lo, hi = _soft([float(default)], low, high)
        return {"control": "slider", "low": lo, "high": hi, "integer": integer, "declared": bool(declared and (low is not None or high is not None))}
    if _is_pair(default):
        integer = integer or all(isinstance(v, int) for v in default)
        if name in _ANGLES and low is None and high is None:
            lo, hi = -_ANGLES[name], _ANGLES[name]
        else:
            lo, hi = _soft([float(v) for v in default], low, high)
        return {"control": "range", "low": lo, "high": hi, "integer": integer, "declared": bool(declared and (low is not None or high is not None))}
    return {"control": "json"}


def _family(cls: type) -> str:
    """The defining module's last name (geometric, color, policies' module, ...): groups the search list."""
    return cls.__module__.rsplit(".", 1)[-1]


def _doc(cls: type) -> str:
    return inspect.cleandoc(cls.__doc__ or "").split("\n\n")[0].replace("\n", " ")


@functools.lru_cache(maxsize=1)
def transform_schemas() -> tuple[dict[str, Any], ...]:
    """One schema per library transform, sorted by name: its arguments with defaults and controls."""
    registry = library_transforms()
    specs: dict[str, dict[str, Any]] = {}
    for name, cls in registry.items():
        signature = inspect.signature(cls.__init__)
        defaults: dict[str, Any] = {}
        required: list[str] = []
        for arg, prm in signature.parameters.items():
            if arg == "self" or prm.kind in (prm.VAR_POSITIONAL, prm.VAR_KEYWORD):
                continue
            if prm.default is prm.empty:
                required.append(arg)
            else:
                defaults[arg] = prm.default
        defaults.update(cls.example_args)  # the contract tests' working set: fills required arguments consistently
        order = [a for a in signature.parameters if a in defaults]
        specs[name] = {"cls": cls, "defaults": {a: defaults[a] for a in order}, "required": required, "signature": signature}
    recorded = _record_checks({name: functools.partial(spec["cls"], **spec["defaults"]) for name, spec in specs.items()})
    out = []
    for name in sorted(specs):
        spec = specs[name]
        cls, signature = spec["cls"], spec["signature"]
        declared = _bounds(recorded[name])
        args = []
        for arg, default in spec["defaults"].items():
            encoded = _encode(default)
            annotation = signature.parameters[arg].annotation
            entry = {
                "name": arg,
                "default": encoded,
                "required": arg in spec["required"],
                "annotation": annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation)),
            }
            if arg == "p":
                entry.update({"control": "slider", "low": 0.0, "high": 1.0, "integer": False, "declared": True})
            else:
                entry.update(_control(arg, encoded, declared.get(arg)))
            args.append(entry)
        out.append({
            "name": name,
            "family": _family(cls),
            "doc": _doc(cls),
            "spatial": bool(cls.spatial),
            "container": issubclass(cls, Container),
            "args": args,
        })  # fmt: skip
    return tuple(out)


def schema_of(name: str) -> dict[str, Any] | None:
    return next((s for s in transform_schemas() if s["name"] == name), None)


def default_args(name: str) -> dict[str, Any]:
    """The argument values a newly added step starts with (JSON-ready)."""
    schema = schema_of(name)
    return {} if schema is None else {a["name"]: a["default"] for a in schema["args"]}


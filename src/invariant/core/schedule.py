"""Schedules: any numeric constructor argument of any transform can follow training progress.

``iv.ColorJitter(brightness=iv.Linear(0.1, 0.4))`` is a transform whose brightness moves from 0.1 at
progress 0 to 0.4 at progress 1. The pipeline is never rebuilt: ``pipe.set_progress(t)`` (called by
the dataset adapter when the epoch changes) re-initialises only the transforms that hold schedules.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

from .errors import type_error, value_error


class Schedule:
    """A value as a function of training progress in [0, 1]."""

    kind = "schedule"

    def __call__(self, progress: float) -> Any:
        raise TypeError(f"{type(self).__name__} must define __call__(progress)")

    def to_dict(self) -> dict[str, Any]:
        raise TypeError(f"{type(self).__name__} cannot be serialized")


def _num(v: Any, name: str) -> Any:
    if isinstance(v, (tuple, list)):
        return type(v)(_num(x, name) for x in v)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        type_error(name, "a number or a tuple of numbers", v, "pass numeric endpoints")
    return v


def _lerp(a: Any, b: Any, w: float) -> Any:
    if isinstance(a, (tuple, list)):
        return type(a)(_lerp(x, y, w) for x, y in zip(a, b))
    value = a * (1.0 - w) + b * w  # exact endpoints at w = 0 and w = 1
    return round(value) if isinstance(a, int) and isinstance(b, int) else value


class Linear(Schedule):
    """``start`` at progress 0 to ``end`` at progress 1, linearly (tuples interpolate elementwise)."""

    def __init__(self, start: Any, end: Any) -> None:
        self.start, self.end = _num(start, "start"), _num(end, "end")

    def __call__(self, progress: float) -> Any:
        return _lerp(self.start, self.end, min(max(progress, 0.0), 1.0))

    def to_dict(self) -> dict[str, Any]:
        return {"schedule": "Linear", "start": self.start, "end": self.end}


class Cosine(Schedule):
    """``start`` to ``end`` along a half cosine (slow at both ends)."""

    def __init__(self, start: Any, end: Any) -> None:
        self.start, self.end = _num(start, "start"), _num(end, "end")

    def __call__(self, progress: float) -> Any:
        w = 0.5 - 0.5 * math.cos(math.pi * min(max(progress, 0.0), 1.0))
        return _lerp(self.start, self.end, w)

    def to_dict(self) -> dict[str, Any]:
        return {"schedule": "Cosine", "start": self.start, "end": self.end}


class Step(Schedule):
    """Piecewise constant: ``values[i]`` from ``milestones[i-1]`` on (``values[0]`` before the first)."""

    def __init__(self, milestones: Sequence[float], values: Sequence[Any]) -> None:
        if len(values) != len(milestones) + 1:
            value_error("values", f"{len(milestones) + 1} values (one more than milestones)", values, "add a value before the first milestone")
        if list(milestones) != sorted(milestones):
            value_error("milestones", "increasing progress values", milestones, "sort the milestones")
        self.milestones, self.values = [float(m) for m in milestones], list(values)

    def __call__(self, progress: float) -> Any:
        i = sum(1 for m in self.milestones if progress >= m)
        return self.values[i]

    def to_dict(self) -> dict[str, Any]:
        return {"schedule": "Step", "milestones": self.milestones, "values": self.values}


class Custom(Schedule):
    """Any callable of progress. Serialized by name only; ``from_dict`` needs the function passed in."""

    def __init__(self, fn: Callable[[float], Any], name: str | None = None) -> None:
        if not callable(fn):
            type_error("fn", "a callable progress -> value", fn, "pass a function")
        self.fn, self.name = fn, name or getattr(fn, "__name__", "custom")

    def __call__(self, progress: float) -> Any:
        return self.fn(progress)

    def to_dict(self) -> dict[str, Any]:
        return {"schedule": "Custom", "name": self.name}


SCHEDULES = {"Linear": Linear, "Cosine": Cosine, "Step": Step}


def apply_schedules(transform: Any, progress: float) -> None:
    """Re-initialise ``transform`` with every scheduled argument evaluated at ``progress``."""
    args = transform.init_args()
    if not any(isinstance(v, Schedule) for v in args.values()):
        return
    resolved = {k: (v(progress) if isinstance(v, Schedule) else v) for k, v in args.items()}
    recorded = transform.__dict__["_init_args"]
    rng = transform.__dict__.get("_rng")  # a pipeline's generator must keep its stream, not restart from seed
    type(transform).__init__.__wrapped__(transform, **resolved)  # type: ignore[attr-defined]
    if rng is not None:
        transform.__dict__["_rng"] = rng
    transform.__dict__["_init_args"] = recorded
    transform.__dict__["_progress"] = progress


def resolve_initial(args: dict[str, Any]) -> dict[str, Any]:
    return {k: (v(0.0) if isinstance(v, Schedule) else v) for k, v in args.items()}

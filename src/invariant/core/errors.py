"""Error helpers: every user-facing error names the argument, the expectation, what was got, and a fix."""

from __future__ import annotations

from typing import Any, NoReturn


def describe(value: Any) -> str:
    """A short description of a value for error messages (type, and dtype/shape for arrays)."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None and dtype is not None:
        return f"{type(value).__name__} of shape {tuple(shape)} and dtype {dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def message(argument: str, expected: str, got: Any, fix: str) -> str:
    return f"{argument}: expected {expected}, got {describe(got)}. Fix: {fix}"


def value_error(argument: str, expected: str, got: Any, fix: str) -> NoReturn:
    raise ValueError(message(argument, expected, got, fix))


def type_error(argument: str, expected: str, got: Any, fix: str) -> NoReturn:
    raise TypeError(message(argument, expected, got, fix))


class TorchMissingError(ImportError):
    """Raised by torch-only features when PyTorch is not installed."""


def require_torch(feature: str) -> Any:
    """Import torch or raise a clear error telling the user which extra to install."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - exercised in the no-torch CI step
        raise TorchMissingError(
            f"{feature} needs PyTorch, which is not installed. "
            "Fix: pip install 'invariant[torch]' (or install the torch build for your CUDA version first)."
        ) from exc
    return torch

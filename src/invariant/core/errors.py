"""Error helpers: every user-facing error names the argument, the expectation, what was got, and a fix."""

from __future__ import annotations

from typing import Any, NoReturn


class Described:
    """A stand-in for a value in an error message, shown as ``text``: used where the offending value is
    known only by its properties (a pipeline step sees the image's size, channels and dtype, not the array)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def image_description(shape: tuple[int, ...], channels: int, dtype: Any) -> Described:
    """``"a 512x512 image with 1 channel and dtype uint8"``: what a step received, whether the caller
    passed it as (H, W) or (H, W, 1)."""
    return Described(f"a {shape[0]}x{shape[1]} image (height x width) with {channels} channel{'' if channels == 1 else 's'} and dtype {dtype}")


def describe(value: Any) -> str:
    """A short description of a value for error messages (type, and dtype/shape for arrays)."""
    if isinstance(value, Described):
        return value.text
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


def refuse_positional(name: str, args: tuple[Any, ...]) -> NoReturn:
    """A pipeline or transform called with positional data (``pipe(image)``): every target is a keyword."""
    got = args[0] if len(args) == 1 else Described(f"{len(args)} positional arguments")
    type_error(f"the {name} call", "the data as keywords (image=..., mask=..., bboxes=...)", got, "name every target: aug(image=image), adding mask=..., bboxes=... as needed")


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

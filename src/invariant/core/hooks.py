"""Declared hooks: how the ground floor reaches code that lives above it without importing it.

``core`` imports only ``core``, ``ops`` and ``targets``. Where the engine needs a service defined higher
up (the task check of ``domains``) or later in ``core`` itself (the one-transform pipeline a bare
``Transform.__call__`` runs, the serializer behind ``Transform.to_dict``), the provider registers a
function here when it is imported, and the engine calls it through ``hook(name)``. A missing provider is
a clear error instead of an import cycle.
"""

from __future__ import annotations

from typing import Any, Callable

_HOOKS: dict[str, Callable[..., Any]] = {}
_PROVIDERS = {
    "task_check": "invariant.domains",
    "standalone_pipeline": "invariant.core.compose",
    "transform_to_dict": "invariant.core.serialization",
    "batched_pipeline": "invariant.batch.executor",
}
_LAZY = {"batched_pipeline"}  # providers that need optional packages (torch): imported on first use


def register(name: str, function: Callable[..., Any]) -> None:
    """Provide the service ``name`` (one of the declared hook names)."""
    if name not in _PROVIDERS:
        raise ValueError(f"name: expected one of {sorted(_PROVIDERS)}, got {name!r}. Fix: register one of the declared hooks.")
    _HOOKS[name] = function


def hook(name: str) -> Callable[..., Any]:
    """The function registered for ``name`` (``import invariant`` imports every provider)."""
    found = _HOOKS.get(name)
    if found is None and name in _LAZY:
        import importlib

        importlib.import_module(_PROVIDERS[name])
        found = _HOOKS.get(name)
    if found is None:
        raise RuntimeError(f"hook {name!r}: expected its provider {_PROVIDERS[name]} to be imported, got nothing registered. Fix: import invariant (or {_PROVIDERS[name]}) first.")
    return found

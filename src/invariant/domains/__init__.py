"""Domains: task declarations (what labels depend on), the pipeline checker, and presets per data type."""

from .check import DomainWarning, Report, Violation, check, effects_of
from .task import MODALITIES, Task

__all__ = ["DomainWarning", "MODALITIES", "Report", "Task", "Violation", "check", "effects_of"]

"""The package version (here, at the ground floor, so serialization can stamp configs without importing
the package root)."""

__version__ = "0.1.0"

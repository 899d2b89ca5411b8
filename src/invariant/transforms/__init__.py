"""User-facing transforms, one module per family."""

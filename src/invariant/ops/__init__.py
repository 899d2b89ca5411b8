"""Kernels: pure, deterministic functions on numpy arrays. No randomness, no pipeline knowledge."""

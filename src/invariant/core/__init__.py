"""Core engine: samples and targets, the Transform base, containers, seeding, serialization."""

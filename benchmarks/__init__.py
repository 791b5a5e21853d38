"""Benchmarks: ``python -m benchmarks [name ...]`` prints figures (no timed assertions)."""

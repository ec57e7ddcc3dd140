"""Benchmark data generator and timing harness (see README.md)."""

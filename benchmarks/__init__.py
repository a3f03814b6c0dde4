"""Benchmarks for gokernel: `python -m benchmarks.cells` (cell latency), `python -m benchmarks.discovery`."""

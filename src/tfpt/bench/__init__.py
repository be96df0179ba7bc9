"""Benchmarks measured process by process: fresh pytest-benchmark processes and the merged run they make."""

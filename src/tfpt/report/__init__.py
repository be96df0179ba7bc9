"""The benchmark report: pytest-benchmark's saved runs -> the study's table, GFLOP/s vs the machine's peak,
history plots, and a significance-gated regression verdict."""

#!/usr/bin/env bash
# Benchmark history across CI runs: restore the saved storage, benchmark, compare with the previous run, save.
#   BENCH_HISTORY=/path/kept/between/ci/runs scripts/bench-history.sh [extra pytest args]
# Exit status: the report's (1 on a significant regression, 2 when nothing could be read), else pytest's.
set -euo pipefail
cd "$(dirname "$0")/.."
history=${BENCH_HISTORY:?set BENCH_HISTORY to a folder your CI keeps between runs (cache or artifact)}
mkdir -p "$history" .benchmarks
cp -a "$history"/. .benchmarks/ 2>/dev/null || true          # restore every earlier run
.venv/bin/python -m pytest benchmarks -m "not gpu" --benchmark-autosave "$@"
status=0
.venv/bin/python -m tfpt.report --storage .benchmarks --out reports || status=$?
cp -a .benchmarks/. "$history"/                               # keep this run, even a regressed one
exit $status

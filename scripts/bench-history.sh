#!/usr/bin/env bash
# Benchmark history on one machine across runs: restore the kept runs, benchmark, keep this run, report.
#   BENCH_HISTORY=/path/kept/between/runs scripts/bench-history.sh [extra pytest args]
#   TFPT_REPORT_ARGS='--factor 0.5'   options for the report (default: the README's shared-runner setting)
# Runs are copied both ways by `python -m tfpt.report.history` (temp file + rename under a lock on the target
# folder), so a crash or a second writer cannot leave a half-written run; a run is never overwritten.
# Exit status: the report's (0 ok, 1 regression, 2 usage, 3 bad input, 4 nothing to compare), else pytest's.
set -euo pipefail
cd "$(dirname "$0")/.."
history=${BENCH_HISTORY:?set BENCH_HISTORY to a folder kept between runs (a checkout of a history branch, or an artifact)}
py=.venv/bin/python
mkdir -p "$history" .benchmarks
$py -m tfpt.report.history "$history" .benchmarks                 # restore every earlier run
$py -m pytest benchmarks -m "not gpu" --benchmark-autosave --bench-epoch-rounds 6 "$@"
$py -m tfpt.report.history .benchmarks "$history"                 # keep this run, even a regressed one
status=0
# shellcheck disable=SC2086
$py -m tfpt.report --storage "$history" --out reports ${TFPT_REPORT_ARGS:---factor 0.5} || status=$?
exit $status

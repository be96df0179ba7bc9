"""Benchmarks with the process as the unit: N fresh pytest processes of the chosen benchmarks, merged into one
run saved where `pytest --benchmark-autosave` saves (so `tfpt-report` gates it), each benchmark carrying its
per-process medians; the report's gate then compares process medians (tfpt.bench.processes).

    python -m tfpt.cli.bench --processes 3 -k "latency and cpu"     # 3 fresh processes, saved as one run
    python -m tfpt.cli.bench --processes 5 -k "test_epoch and tf"   # more for a noisier figure

Prints each benchmark's median over the processes with its 95 % bootstrap interval and the processes' spread.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tfpt import procs, stats
from tfpt.bench import processes as P
from tfpt.cli.args import int_at_least
from tfpt.cli.exitcodes import BAD_INPUT, OK, RUNTIME, USAGE, Formatter, Parser, UserError, epilog, report


def parse_args(argv=None) -> argparse.Namespace:
    p = Parser(prog="tfpt-bench", description=__doc__, formatter_class=Formatter,
               epilog=epilog(OK, USAGE, BAD_INPUT, RUNTIME))
    p.add_argument("--processes", type=int_at_least(1), default=3,
                   help="fresh processes (default 3: the gate compares process medians from 3 a side)")
    p.add_argument("-k", default=None, help="pytest -k expression choosing the benchmarks (default: all)")
    p.add_argument("--tests", nargs="+", default=["benchmarks"], help="test paths (default: benchmarks)")
    p.add_argument("--storage", type=Path, default=Path(".benchmarks"),
                   help="pytest-benchmark's storage folder (default: %(default)s)")
    p.add_argument("--pytest-args", nargs=argparse.REMAINDER, default=[], help="passed on to each pytest")
    args = p.parse_args(argv)
    P.check_storage(args.storage)  # before the run: saving must not fail after it
    P.check_side(sys.executable, args.tests, args.k, pytest_args=args.pytest_args, what="tfpt-bench's Python")
    return args


def summary(doc: dict) -> str:
    lines = ["| benchmark | median of process medians [95 % CI] | processes | slowest / fastest process |",
             "|---|---|---|---|"]
    for b in doc["benchmarks"]:
        per = b["extra_info"]["process_medians"]
        est = stats.median(per)
        unit, k = ("ms", 1e3) if est.value < 1 else ("s", 1.0)
        lo = f" [{k * est.lo:.4g}, {k * est.hi:.4g}]" if est.lo is not None else ""
        rss = b["extra_info"].get("process_peak_rss_mb")  # the memory group: the peak RSS is what it gates
        peak = f"; peak RSS {min(rss):.0f}-{max(rss):.0f} MiB" if rss else ""
        lines.append(f"| {b.get('fullname') or b['name']} | {k * est.value:.4g} {unit}{lo} | {len(per)} | "
                     f"{max(per) / min(per):.3f}x{peak} |")
    return "\n".join(lines)


@procs.interruptible("tfpt-bench")
def main(argv=None) -> int:
    try:
        args = parse_args(argv)
    except UserError as exc:
        return report(exc)
    except P.ProcessFailed as exc:  # collecting the benchmarks failed
        print(f"error: {exc}; fix: run that pytest alone to see why", file=sys.stderr)
        return exc.code
    from pytest_benchmark.utils import get_machine_id
    docs = []
    with procs.temp_dir(prefix="tfpt-bench-") as tmp:
        for i in range(1, args.processes + 1):
            print(f"== benchmark process {i}/{args.processes}", file=sys.stderr, flush=True)
            try:
                docs.append(P.run_one(sys.executable, args.tests, args.k, tmp / f"p{i}.json",
                                      pytest_args=args.pytest_args, label=f"process {i}"))
            except P.ProcessFailed as exc:
                print(f"error: {exc}; fix: run that pytest alone to see why", file=sys.stderr)
                return exc.code
    doc = P.merge(docs)
    if not doc["benchmarks"]:
        print(f"error: -k {args.k!r}: no benchmark ran in every process; fix: check the expression with "
              "`pytest benchmarks --collect-only -k ...`", file=sys.stderr)
        return USAGE
    commit = doc.get("commit_info") or {}
    tag = f"{commit.get('id') or 'nocommit'}_{(doc.get('datetime') or '').replace(':', '')[:15]}_processes"
    print(summary(doc))  # first: the timings are on screen whatever happens to the file
    path = P.next_path(args.storage, get_machine_id(), tag)
    from tfpt.data.datasets import atomic_write
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(doc, indent=1).encode())
    except OSError as exc:  # checked writable before the run; changed since
        print(f"error: --storage {args.storage}: a folder this user can write; saving {path.name} failed "
              f"({exc.strerror or exc}); fix: the timings are above; re-run with a writable --storage",
              file=sys.stderr)
        return RUNTIME
    print(f"\nsaved {len(doc['benchmarks'])} benchmarks from {args.processes} processes as {path}")
    return OK


if __name__ == "__main__":
    sys.exit(main())

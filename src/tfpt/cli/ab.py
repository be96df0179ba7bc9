"""A/B: did version B make the benchmarks slower than version A? Both run on this machine in one run, in pairs
of processes (A B, B A, A B, ...), each process a fresh `pytest` of the chosen benchmarks with timing on; the
unit is the process: each benchmark's median within one process is one sample, and each ratio B / A is the ratio
of the medians of those process medians with its 95 % bootstrap interval (tfpt.stats).

    python -m tfpt.cli.ab --a .tox/tf215-torch213 --b .tox/tf221-torch214 -k "latency and cpu"
    python -m tfpt.cli.ab --a ../main-before --b . --target 5% --budget 10m -k test_step

A side is a tox env or venv folder (its bin/python runs in this folder), a checkout holding .venv (its
.venv/bin/python runs in that checkout), or a Python interpreter. Why processes, not rounds: rounds inside one
process share its allocator, thread placement and kernel choice, so two unchanged processes differ by more than
their rounds' spread says (two back-to-back unchanged runs of PyTorch's bf16 batch-1 call: 0.45 vs 0.84 ms, p of
1e-64 across rounds); history from another day cannot separate an upgrade from the machine's drift either.

A benchmark is "B slower" when the whole interval of B / A lies above 1 + --min-effect, "B faster" when below
1 - --min-effect, else "no difference resolved"; where a process of either side flagged rounds of it idle (an
epoch worker's wall time its CPU time does not explain) there is no verdict, only the flags (tfpt.stats.verdict).
Exit 1 when any is "B slower". Each row says the smallest slowdown it would call in 9 runs of 10 ("could see ≥ N
%", json `mde` as a fraction: tfpt.stats.mde at POWER, from the same bootstrap and --min-effect), and the summary
line the run's smallest and largest. --target 5% keeps adding pairs (after --processes) until every row could
see 5 %, or --budget (default 10 min) leaves no time for another pair; the table says whether it was reached,
which is no error (a progress line per pair on stderr; json `run`: pairs, target, reached, seconds).

Spread controls, on by default (docs/measurements/2026-12-06-ab-spread-controls.md: 3 processes each, 2-4 others
running: the max / min of PyTorch's process medians): every framework's thread pools at --threads 1 (OMP, MKL,
TF intra/inter-op through their environment variables, so any version of a side obeys), each process pinned to
one CPU (--pin), each round timed in the process's CPU time (--timer cpu). A training step's process medians
spread 16.6x with the frameworks' own 2 threads and wall time, 2.76x at 1 thread pinned, 1.16x in CPU time on
top; batch-1 latency 1.17x, 1.06x, 1.04x. A waiting process costs no CPU time, so --timer cpu cannot see a
slowdown that is a wait (a lock, a sleep: the planted TFPT_BENCH_SLOWER busy-waits for that reason), and one
thread cannot see a change in how a framework scales over cores: `--threads 0 --no-pin --timer wall` measures as
a user runs it.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from tfpt import procs, stats
from tfpt.bench import processes
from tfpt.bench.processes import ProcessFailed, check_side, run_one
from tfpt.cli.args import int_at_least, writable_file
from tfpt.cli.exitcodes import BAD_INPUT, OK, REGRESSION, RUNTIME, USAGE, Formatter, Parser, UserError, epilog, report

MIN_EFFECT = 0.02  # a resolved change smaller than this is reported, not called
POWER = 0.9  # "could see": the slowdown called in this fraction of runs like this one (stats.mde)
DEFAULT_BUDGET = 600  # seconds of adding pairs with --target and no --budget
THREADS, TIMER = 1, "cpu"  # the spread controls by default: see the module's docstring
# The benchmarks' matmul yardstick between rounds (benchmarks/conftest.py) is for the report's gate; tfpt-ab compares
# process medians and never reads it: without it a process of PyTorch's latency and step skips about 45 multiplies
# (1024^3, ~13 ms each at 1 thread), and the rounds after each (3x the median of a batch-1 call) need no settling.
NO_YARDSTICK = {"TFPT_BENCH_YARDSTICK": "0"}


class Side:
    """One version: the interpreter that runs its pytest and the folder it runs in."""

    def __init__(self, label: str, spec: str):
        path = Path(spec)
        self.label, self.spec = label, spec
        if path.is_dir() and (path / "bin" / "python").exists():  # a tox env or a venv
            self.python, self.cwd = path / "bin" / "python", Path.cwd()
        elif path.is_dir() and (path / ".venv" / "bin" / "python").exists():  # a checkout with its venv
            self.python, self.cwd = path / ".venv" / "bin" / "python", path
        elif path.is_file() and os.access(path, os.X_OK):
            self.python, self.cwd = path, Path.cwd()
        else:
            raise UserError(f"--{label.lower()} {spec}", "a tox env or venv folder (with bin/python), a checkout "
                            "holding .venv, or a Python interpreter", "pass e.g. .tox/<env> or the path of a "
                            "checkout", BAD_INPUT)

    def env(self, args) -> dict:
        return procs.child_env(**dict(kv.split("=", 1) for kv in (args.a_env if self.label == "A" else args.b_env)))

    def check(self, args) -> None:
        """Before any benchmark runs: this side's Python has tfpt and pytest, its tests exist and -k selects some
        (tfpt.bench.processes.check_side); UserError (one line) if not."""
        check_side(self.python, args.tests, args.k, cwd=self.cwd, env=self.env(args),
                   pytest_args=args.pytest_args, own_args=timer_args(args.timer),
                   what=f"--{self.label.lower()} {self.spec}")


def one_process(side: Side, args, tmp: Path, i: int) -> tuple[dict, dict]:
    """({benchmark name: median seconds}, {benchmark name: rounds flagged idle, where any}) of one fresh pytest
    process of `side`, run with the spread controls (`controls`)."""
    env = {**side.env(args), **processes.thread_env(args.threads), **NO_YARDSTICK}
    print(f"== {side.label} process {i}: {side.python}", file=sys.stderr, flush=True)
    doc = run_one(side.python, args.tests, args.k, tmp / f"{side.label}-{i}.json", cwd=side.cwd, env=env,
                  pytest_args=[*timer_args(args.timer), *args.pytest_args], cpus=args.cpus,
                  label=f"side {side.label} ({side.spec}), process {i}")
    idle = {b["name"]: len(b.get("extra_info", {}).get("idle_rounds") or ()) for b in doc["benchmarks"]}
    return {b["name"]: b["stats"]["median"] for b in doc["benchmarks"]}, {n: k for n, k in idle.items() if k}


def timer_args(timer: str) -> list[str]:
    """pytest-benchmark's clock for each round: wall (its default) or the process's CPU time (all threads)."""
    return ["--benchmark-timer=time.process_time"] if timer == "cpu" else []


def worst(rows: list) -> tuple[float, str]:
    """(the largest minimum detectable slowdown of `rows`, its benchmark): inf where a row has none."""
    return max(((r["mde"] if r.get("mde") is not None else math.inf), r["name"]) for r in rows) if rows else \
        (math.inf, "")


def interleaved(a: Side, b: Side, args, tmp: Path, measure=None, clock=time.monotonic) -> tuple[dict, dict, dict]:
    """({side label: [per-process {name: median}]}, {side label: [per-process {name: idle rounds}]}, the run: pairs,
    target reached or not, seconds). Pairs of processes, the first side alternating (A, B, B, A, A, B, ...: an
    effect of going first or second, or a drift, falls on both sides alike); at least --processes pairs, then, with
    --target or --budget, more while some benchmark's MDE (`stats.mde` at POWER) is above the target and another
    pair fits in the budget, as long as the pairs took so far say one takes. A progress line per pair.
    `measure(side, i)`: one process's (medians, idle), `one_process` unless a test fakes it."""
    measure = measure or (lambda side, i: one_process(side, args, tmp, i))
    got: dict = {"A": [], "B": []}
    idle: dict = {"A": [], "B": []}
    start, took, i = clock(), [], 0
    adaptive = args.target is not None or args.budget is not None
    target = args.target if args.target is not None else 0.0
    while True:
        i += 1
        t0 = clock()
        for side in ((a, b) if i % 2 else (b, a)):
            medians, flagged = measure(side, i)
            got[side.label].append(medians)
            idle[side.label].append(flagged)
        took.append(clock() - t0)
        spent = clock() - start
        rows = verdicts(got, args.min_effect, idle)
        mde, name = worst(rows)
        print(f"-- pair {i}: {i} processes a side, worst could see "
              + (f"≥ {_pct(mde)} ({name})" if not math.isinf(mde) else "- (an interval needs 3 a side)")
              + (f", target {_pct(args.target)}" if args.target is not None else "")
              + (f", {_dur(spent)} of {_dur(args.budget)}" if args.budget is not None else f", {_dur(spent)}"),
              file=sys.stderr, flush=True)
        if not rows:  # no benchmark both sides ran (all skipped?): more pairs would not change that
            break
        if i < args.processes:
            continue
        if not adaptive or mde <= target:
            break
        if args.budget is not None and spent + float(np.median(took)) > args.budget:
            break
    run = {"pairs": i, "target": args.target, "budget_s": args.budget, "seconds": round(clock() - start, 1),
           "reached": (mde <= target) if args.target is not None else None, "worst_mde": None if math.isinf(mde)
           else mde, "worst": name, "controls": controls(args)}
    return got, idle, run


def _flags(name: str, idle: dict | None) -> list[str]:
    """Which processes of each side flagged rounds of `name` idle, in words."""
    out = []
    for side, per in (idle or {}).items():
        hit = [(i, p[name]) for i, p in enumerate(per, 1) if p.get(name)]
        if hit:
            out.append(f"{side}: idle rounds in process " + ", ".join(f"{i} ({k})" for i, k in hit))
    return out


def verdicts(got: dict, min_effect: float = MIN_EFFECT, idle: dict | None = None) -> list[dict]:
    """Per benchmark both sides ran in every process: the process medians, B / A with its interval, the verdict
    (none where a process of either side flagged rounds of it idle: `idle`, as `interleaved` returns it)."""
    names = set.intersection(*(set(p) for side in got.values() for p in side)) if got["A"] and got["B"] else set()
    rows = []
    for name in sorted(names):
        a = [p[name] for p in got["A"]]
        b = [p[name] for p in got["B"]]
        r = stats.ratio(b, a)
        call = stats.verdict(r, "B slower", "B faster", _flags(name, idle), margin=min_effect,
                             unit="processes a side")
        rows.append({"name": name, "a_s": a, "b_s": b, "ratio": r.as_dict(), "verdict": call,
                     "mde": stats.mde(r, min_effect, POWER)})
    return rows


def _pct(x: float | None) -> str:
    return "-" if x is None or math.isinf(x) else f"{100 * x:.0f} %" if x >= 0.1 else f"{100 * x:.1f} %"


def _could_see(mde: float | None) -> str:
    return f"≥ {_pct(mde)}" if mde is not None else "-"


def _dur(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return (f"{m} min {s} s" if s else f"{m} min") if m else f"{s} s"


def summary(rows: list) -> str:
    """The smallest and largest slowdown this run could have called, and where: "this run could see slowdowns
    ≥ 12 % (latency) to ≥ 35 % (epoch)"."""
    seen = sorted((r["mde"], r["name"]) for r in rows if r.get("mde") is not None)
    if not seen:
        return "this run could see no slowdown: no interval"
    (lo, lo_name), (hi, hi_name) = seen[0], seen[-1]
    span = f"≥ {_pct(lo)} ({lo_name})" + (f" to ≥ {_pct(hi)} ({hi_name})" if len(seen) > 1 else "")
    return (f"this run could see slowdowns {span} (each called in 9 of 10 runs like this one); a smaller one passes "
            f"as {stats.UNRESOLVED}")


def outcome(run: dict | None) -> str:
    """The run's size and, with --target, whether it was reached: "target ≥ 5 %: reached after 7 processes a side
    (2 min 10 s)" or "... not reached: worst ≥ 8 % (name) when the 10 min budget ended ..."."""
    if not run:
        return ""
    size = f"{run['pairs']} processes a side ({_dur(run['seconds'])})"
    c = run.get("controls") or {}
    n = c.get("threads") or 0
    threads = {0: "the frameworks' own threads", 1: "1 thread"}.get(n, f"{n} threads")
    how = f"; {threads}, {'pinned' if c.get('cpus') else 'not pinned'}, {c.get('timer', 'wall')} time"
    if run.get("target") is None:
        return f"{size}{how}"
    if run["reached"]:
        return f"target ≥ {_pct(run['target'])}: reached after {size}{how}"
    why = f"the {_dur(run['budget_s'])} budget left no time for another pair" if run.get("budget_s") else "stopped"
    return (f"target ≥ {_pct(run['target'])}: NOT reached, worst ≥ {_pct(run['worst_mde'])} ({run['worst']}) after "
            f"{size}, {why}{how}")


def _ms(s: float) -> str:
    return f"{1e3 * s:.3g} ms" if s < 1 else f"{s:.3g} s"


def table(rows: list, a: Side, b: Side, run: dict | None = None) -> str:
    lines = [f"A = {a.spec}, B = {b.spec}; process medians, interleaved in pairs A B, B A, A B, ...", "",
             "| benchmark | A, median of processes | B, median of processes | B / A [95 % CI] | could see | verdict |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        r = stats.Estimate(**row["ratio"])
        lines.append(f"| {row['name']} | {_ms(float(np.median(row['a_s'])))} | {_ms(float(np.median(row['b_s'])))} "
                     f"| {r.text('{:.3f}')} | {_could_see(row.get('mde'))} | {row['verdict']} |")
    return "\n".join([*lines, "", *([outcome(run)] if run else []), summary(rows)])


def fraction(text: str) -> float:
    """--target: a slowdown as a percentage (5%) or a fraction (0.05), above 0 and below 100 %."""
    t = text.strip()
    try:
        value = float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a slowdown such as 5% or 0.05, got {text!r}") from None
    if not 0 < value < 1:  # also NaN
        raise argparse.ArgumentTypeError(f"expected a slowdown above 0 and below 100 % (5% or 0.05), got {text!r}")
    return value


def duration(text: str) -> float:
    """--budget: seconds (600, 600s) or minutes (10m) or hours (1h), more than 0."""
    t = text.strip().lower()
    scale = {"s": 1, "m": 60, "h": 3600}.get(t[-1:], None)
    try:
        value = float(t[:-1] if scale else t) * (scale or 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a duration such as 10m, 90s or 600 (seconds), got {text!r}") \
            from None
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a duration above 0 such as 10m or 600, got {text!r}")
    return value


def controls(args) -> dict:
    """The spread controls of this run's benchmark processes, as --json records them."""
    return {"threads": args.threads, "cpus": sorted(args.cpus) if args.cpus else None, "timer": args.timer}


def parse_args(argv=None) -> argparse.Namespace:
    p = Parser(prog="tfpt-ab", description=__doc__, formatter_class=Formatter,
               epilog=epilog(OK, REGRESSION, USAGE, BAD_INPUT, RUNTIME))
    p.add_argument("--a", required=True,
                   help="version A (the baseline): a tox env/venv folder, a checkout, or a Python")
    p.add_argument("--b", required=True, help="version B (the candidate), as --a")
    p.add_argument("-k", default="latency and cpu", help="pytest -k expression choosing the benchmarks "
                   "(default: %(default)s)")
    p.add_argument("--processes", type=int_at_least(3), default=3,
                   help="fresh processes per side (>= 3: an interval needs 3 samples a side); with --target or "
                   "--budget the fewest before more are added")
    p.add_argument("--target", type=fraction, default=None, metavar="SLOWDOWN",
                   help="add (A, B) process pairs until every benchmark could see a slowdown this small (5%% or "
                   "0.05; its MDE, called in 9 of 10 runs) or the budget ends")
    p.add_argument("--budget", type=duration, default=None, metavar="TIME",
                   help=f"wall time for adding pairs (10m, 90s, 600); with --target, default {DEFAULT_BUDGET // 60} "
                   "min; alone: add pairs until it ends")
    p.add_argument("--min-effect", type=float, default=MIN_EFFECT,
                   help="a resolved change smaller than this fraction is not called")
    p.add_argument("--threads", type=int_at_least(0), default=THREADS,
                   help="every framework's thread pools fixed at this many (OMP, MKL, TF intra/inter-op); 0: their "
                   "own defaults")
    p.add_argument("--pin", action=argparse.BooleanOptionalAction, default=True,
                   help="pin each benchmark process to --threads CPUs (the last ones), so it keeps its core")
    p.add_argument("--timer", choices=("cpu", "wall"), default=TIMER,
                   help="each round timed in the process's CPU time (all threads) or in wall time")
    p.add_argument("--tests", nargs="+", default=["benchmarks"], help="test paths (default: benchmarks)")
    p.add_argument("--a-env", action="append", default=[], metavar="NAME=VALUE",
                   help="an environment variable for side A's processes only (repeatable)")
    p.add_argument("--b-env", action="append", default=[], metavar="NAME=VALUE",
                   help="for side B's only, e.g. TFPT_BENCH_SLEEP=0.01 to plant a slowdown")
    p.add_argument("--pytest-args", nargs=argparse.REMAINDER, default=[], help="passed on to each pytest")
    p.add_argument("--json", type=Path, default=None, help="also write every process's medians and the verdicts")
    args = p.parse_args(argv)
    if not 0 <= args.min_effect < 1:
        raise UserError(f"--min-effect {args.min_effect}", "a fraction in [0, 1)", "pass e.g. 0.02", USAGE)
    if args.target is not None and args.target <= args.min_effect:
        raise UserError(f"--target {_pct(args.target)}", f"a slowdown above --min-effect {args.min_effect:g} (a "
                        "change under it is never called, so no run reaches the target)",
                        "pass a larger --target or a smaller --min-effect", USAGE)
    if args.target is not None and args.budget is None:
        args.budget = float(DEFAULT_BUDGET)
    args.cpus = processes.pinned_cpus(args.threads) if args.pin else None
    for kv in args.a_env + args.b_env:
        if "=" not in kv or not kv.split("=", 1)[0]:
            raise UserError(f"--a-env/--b-env {kv!r}", "NAME=VALUE", "pass e.g. TFPT_BENCH_SLEEP=0.01", USAGE)
    if args.json is not None:
        writable_file("--json", args.json)  # exit 3, as tfpt-compare's: checked before any process runs
    args.sides = Side("A", args.a), Side("B", args.b)
    for side in args.sides:
        side.check(args)
    return args


@procs.interruptible("tfpt-ab")
def main(argv=None) -> int:
    try:
        args = parse_args(argv)
    except UserError as exc:
        return report(exc)
    except ProcessFailed as exc:  # collecting a side's benchmarks failed
        print(f"error: {exc}; fix: run that side's pytest alone to see why", file=sys.stderr)
        return exc.code
    a, b = args.sides
    with procs.temp_dir(prefix="tfpt-ab-") as tmp:
        try:
            got, idle, run = interleaved(a, b, args, tmp)
        except ProcessFailed as exc:
            print(f"error: {exc}; fix: run that side's pytest alone to see why", file=sys.stderr)
            return exc.code
    rows = verdicts(got, args.min_effect, idle)
    if not rows:
        print(f"error: -k {args.k!r}: benchmarks both sides ran in every process, but none matched; fix: check the "
              "expression with `pytest benchmarks --collect-only -k ...` on each side", file=sys.stderr)
        return USAGE
    print(table(rows, a, b, run))
    if args.json:
        from tfpt.data.datasets import atomic_write
        atomic_write(args.json, json.dumps({"a": a.spec, "b": b.spec, "processes": got, "idle_rounds": idle,
                                            "rows": rows, "run": {**run, "min_effect": args.min_effect,
                                                                  "power": POWER}}, indent=1).encode())
    return REGRESSION if any(r["verdict"] == "B slower" for r in rows) else OK


if __name__ == "__main__":
    sys.exit(main())

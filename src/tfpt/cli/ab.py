"""A/B: did version B make the benchmarks slower than version A? Both run on this machine in one run, interleaved
process by process (A, B, A, B, ...), each process a fresh `pytest` of the chosen benchmarks with timing on; the
unit is the process: each benchmark's median within one process is one sample, and each ratio B / A is the ratio
of the medians of those process medians with its 95 % bootstrap interval (tfpt.stats).

    python -m tfpt.cli.ab --a .tox/tf215-torch213 --b .tox/tf221-torch214 -k "latency and cpu"
    python -m tfpt.cli.ab --a ../main-before --b . --processes 5 -k test_step

A side is a tox env or venv folder (its bin/python runs in this folder), a checkout holding .venv (its
.venv/bin/python runs in that checkout), or a Python interpreter. Why processes, not rounds: rounds inside one
process share its allocator, thread placement and kernel choice, so two unchanged processes differ by more than
their rounds' spread says (two back-to-back unchanged runs of PyTorch's bf16 batch-1 call: 0.45 vs 0.84 ms, p of
1e-64 across rounds); history from another day cannot separate an upgrade from the machine's drift either.

A benchmark is "B slower" when the whole interval of B / A lies above 1 + --min-effect, "B faster" when below
1 - --min-effect, else "no difference resolved"; where a process of either side flagged rounds of it idle (an
epoch worker's wall time its CPU time does not explain) there is no verdict, only the flags (tfpt.stats.verdict).
Exit 1 when any is "B slower". Each row says the smallest slowdown it could have called ("could see ≥ N %", json
`mde` as a fraction: tfpt.stats.mde, from the same bootstrap and --min-effect), and the summary line the run's
smallest and largest: 3 processes a side resolved only about 1.5x in latency, so a 10 % slower upgrade passed
there as "no difference resolved"; more --processes narrow it.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

from tfpt import procs, stats
from tfpt.bench.processes import ProcessFailed, check_side, run_one
from tfpt.cli.args import int_at_least, writable_file
from tfpt.cli.exitcodes import BAD_INPUT, OK, REGRESSION, RUNTIME, USAGE, Formatter, Parser, UserError, epilog, report

MIN_EFFECT = 0.05  # a resolved change smaller than this is reported, not called


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
        check_side(self.python, args.tests, args.k, cwd=self.cwd, env=self.env(args), pytest_args=args.pytest_args,
                   what=f"--{self.label.lower()} {self.spec}")


def one_process(side: Side, args, tmp: Path, i: int) -> tuple[dict, dict]:
    """({benchmark name: median seconds}, {benchmark name: rounds flagged idle, where any}) of one fresh pytest
    process of `side`."""
    env = side.env(args)
    print(f"== {side.label} process {i}/{args.processes}: {side.python}", file=sys.stderr, flush=True)
    doc = run_one(side.python, args.tests, args.k, tmp / f"{side.label}-{i}.json", cwd=side.cwd, env=env,
                  pytest_args=args.pytest_args, label=f"side {side.label} ({side.spec}), process {i}")
    idle = {b["name"]: len(b.get("extra_info", {}).get("idle_rounds") or ()) for b in doc["benchmarks"]}
    return {b["name"]: b["stats"]["median"] for b in doc["benchmarks"]}, {n: k for n, k in idle.items() if k}


def interleaved(a: Side, b: Side, args, tmp: Path) -> tuple[dict, dict]:
    """({side label: [per-process {name: median}]}, {side label: [per-process {name: idle rounds}]}), the
    processes run A, B, A, B, ..."""
    got: dict = {"A": [], "B": []}
    idle: dict = {"A": [], "B": []}
    for i in range(1, args.processes + 1):
        for side in (a, b):
            medians, flagged = one_process(side, args, tmp, i)
            got[side.label].append(medians)
            idle[side.label].append(flagged)
    return got, idle


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
                     "mde": stats.mde(r, min_effect)})
    return rows


def _could_see(mde: float | None) -> str:
    return f"≥ {100 * mde:.0f} %" if mde is not None else "-"


def summary(rows: list) -> str:
    """The smallest and largest slowdown this run could have called, and where: "this run could see slowdowns
    ≥ 12 % (latency) to ≥ 35 % (epoch)"."""
    seen = sorted((r["mde"], r["name"]) for r in rows if r.get("mde") is not None)
    if not seen:
        return "this run could see no slowdown: no interval"
    (lo, lo_name), (hi, hi_name) = seen[0], seen[-1]
    span = f"≥ {100 * lo:.0f} % ({lo_name})" + (f" to ≥ {100 * hi:.0f} % ({hi_name})" if len(seen) > 1 else "")
    return f"this run could see slowdowns {span}; a smaller one passes as {stats.UNRESOLVED}"


def _ms(s: float) -> str:
    return f"{1e3 * s:.3g} ms" if s < 1 else f"{s:.3g} s"


def table(rows: list, a: Side, b: Side) -> str:
    lines = [f"A = {a.spec}, B = {b.spec}; process medians, interleaved A, B, A, B, ...", "",
             "| benchmark | A, median of processes | B, median of processes | B / A [95 % CI] | could see | verdict |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        r = stats.Estimate(**row["ratio"])
        lines.append(f"| {row['name']} | {_ms(float(np.median(row['a_s'])))} | {_ms(float(np.median(row['b_s'])))} "
                     f"| {r.text('{:.3f}')} | {_could_see(row.get('mde'))} | {row['verdict']} |")
    return "\n".join([*lines, "", summary(rows)])


def parse_args(argv=None) -> argparse.Namespace:
    p = Parser(prog="tfpt-ab", description=__doc__, formatter_class=Formatter,
               epilog=epilog(OK, REGRESSION, USAGE, BAD_INPUT, RUNTIME))
    p.add_argument("--a", required=True,
                   help="version A (the baseline): a tox env/venv folder, a checkout, or a Python")
    p.add_argument("--b", required=True, help="version B (the candidate), as --a")
    p.add_argument("-k", default="latency and cpu", help="pytest -k expression choosing the benchmarks "
                   "(default: %(default)s)")
    p.add_argument("--processes", type=int_at_least(3), default=3,
                   help="fresh processes per side (>= 3: an interval needs 3 samples a side; default 3)")
    p.add_argument("--min-effect", type=float, default=MIN_EFFECT,
                   help="a resolved change smaller than this fraction is not called (default %(default)s)")
    p.add_argument("--tests", nargs="+", default=["benchmarks"], help="test paths (default: benchmarks)")
    p.add_argument("--a-env", action="append", default=[], metavar="NAME=VALUE",
                   help="an environment variable for side A's processes only (repeatable)")
    p.add_argument("--b-env", action="append", default=[], metavar="NAME=VALUE",
                   help="for side B's only, e.g. TFPT_BENCH_SLEEP=0.01 to plant a slowdown")
    p.add_argument("--pytest-args", nargs=argparse.REMAINDER, default=[], help="passed on to each pytest")
    p.add_argument("--json", type=Path, default=None, help="also write every process's medians and the verdicts")
    args = p.parse_args(argv)
    if not 0 <= args.min_effect < 1:
        raise UserError(f"--min-effect {args.min_effect}", "a fraction in [0, 1)", "pass e.g. 0.05", USAGE)
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
            got, idle = interleaved(a, b, args, tmp)
        except ProcessFailed as exc:
            print(f"error: {exc}; fix: run that side's pytest alone to see why", file=sys.stderr)
            return exc.code
    rows = verdicts(got, args.min_effect, idle)
    if not rows:
        print(f"error: -k {args.k!r}: benchmarks both sides ran in every process, but none matched; fix: check the "
              "expression with `pytest benchmarks --collect-only -k ...` on each side", file=sys.stderr)
        return USAGE
    print(table(rows, a, b))
    if args.json:
        from tfpt.data.datasets import atomic_write
        atomic_write(args.json, json.dumps({"a": a.spec, "b": b.spec, "processes": got, "idle_rounds": idle,
                                            "rows": rows}, indent=1).encode())
    return REGRESSION if any(r["verdict"] == "B slower" for r in rows) else OK


if __name__ == "__main__":
    sys.exit(main())

"""tfpt-ab's measuring campaign: process spread per spread control, a --target A/B, unchanged and planted A/Bs counted.

    python -m tfpt.cli.ab_campaign reports/ab-campaign             # the full campaign, 35 min at most
    python -m tfpt.cli.ab_campaign /tmp/dry --abs 2 --target-budget 1m --ab-budget 30s --spread-processes 2

Run on a quiet machine from the checkout (both sides are this checkout's Python; side B gets TFPT_BENCH_SLOWER=F
for a planted slowdown: every timed body F slower, busy-waiting, tfpt.bench.planted). Three parts, each written
to OUT/campaign.json as it ends (a stopped campaign keeps what it measured) and summed up in OUT/campaign.md:

  spread   --spread-processes fresh processes of each spread-control configuration (tfpt.cli.ab's --threads,
           --pin, --timer: all on, each one off, all off), round-robin: each benchmark's process medians, their
           max / min and the sd of their logs;
  target   one `tfpt-ab --target 5% --budget 10m` of unchanged code: reached or not, processes a side, each
           benchmark's MDE, wall time;
  abs      --abs A/Bs each of unchanged code, B planted 10 % slower and B planted 5 % slower, in turn (U, 10, 5, U,
           ...: drift falls on each kind alike), each `--target 5% --budget <--ab-budget>`: per kind and benchmark
           how many were called "B slower" (false alarms where unchanged; caught where planted), their MDEs,
           processes and wall times.

--total stops starting A/Bs that could end past it. Exit 0 once the parts ran, 2 for a usage mistake, 3 when OUT
already holds a campaign (nothing is overwritten), 5 when a benchmark process failed.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from tfpt import procs, stats
from tfpt.bench import processes
from tfpt.bench.processes import ProcessFailed
from tfpt.cli import ab
from tfpt.cli.args import int_at_least
from tfpt.cli.exitcodes import BAD_INPUT, OK, RUNTIME, USAGE, Formatter, Parser, UserError, epilog, report

K = "(test_latency and torch-cpu-as-written) or (test_step and torch-cpu and float32)"
TESTS = ["benchmarks/test_bench_inference.py", "benchmarks/test_bench_training.py"]  # collecting these alone: a
# process of PyTorch's two benchmarks took 5.3 s here, 10.5 s collecting all of benchmarks/
CONFIGS = {  # name: (threads, pin, timer)
    "all on (default)": (1, True, "cpu"),
    "no pin": (1, False, "cpu"),
    "wall time": (1, True, "wall"),
    "own threads": (0, False, "cpu"),
    "all off": (0, False, "wall"),
}
KINDS = {"unchanged": 0.0, "planted 10 %": 0.10, "planted 5 %": 0.05}
AB_BUDGET_MAX = 50.0
MARGIN = 30.0  # seconds kept for what an A/B's budget does not cover: its last pair past it, the summary


def spread(args, side: ab.Side, tmp: Path, say) -> dict:
    """Part (a): {config: {benchmark: [process medians]}}, the configurations round-robin."""
    got: dict = {c: {} for c in CONFIGS}
    for i in range(1, args.spread_processes + 1):
        for name, (threads, pin, timer) in CONFIGS.items():
            cpus = processes.pinned_cpus(threads) if pin else None
            env = {**side.env(args.ab), **processes.thread_env(threads), **ab.NO_YARDSTICK}
            say(f"spread: {name}, process {i}/{args.spread_processes}")
            doc = processes.run_one(side.python, args.tests, args.k, tmp / "spread.json", cwd=side.cwd, env=env,
                                    pytest_args=ab.timer_args(timer), cpus=cpus, label=f"spread {name}, {i}")
            for b in doc["benchmarks"]:
                got[name].setdefault(b["name"], []).append(b["stats"]["median"])
    return got


def spread_rows(got: dict) -> list[dict]:
    rows = []
    for config, by_name in got.items():
        for name, med in sorted(by_name.items()):
            v = np.asarray(med, float)
            rows.append({"config": config, "benchmark": name, "processes": len(v), "median_s": float(np.median(v)),
                         "max_over_min": float(v.max() / v.min()),
                         "log_sd": float(np.std(np.log(v), ddof=1)) if len(v) > 1 else None})
    return rows


def one_ab(args, kind: str, slower: float, budget: float, target: float, tmp: Path) -> dict:
    """One A/B through tfpt-ab's own loop (its sides checked once, by parse_args): its run record and rows."""
    run_args = argparse.Namespace(**{**vars(args.ab), "b_env": [f"TFPT_BENCH_SLOWER={slower}"] if slower else [],
                                     "budget": budget, "target": target})
    a, b = run_args.sides
    t0 = time.monotonic()
    got, idle, run = ab.interleaved(a, b, run_args, tmp)
    rows = ab.verdicts(got, run_args.min_effect, idle)
    return {"kind": kind, "slower": slower, "run": run, "wall_s": round(time.monotonic() - t0, 1),
            "rows": [{k: r[k] for k in ("name", "ratio", "verdict", "mde", "a_s", "b_s")} for r in rows]}


def tally(abs_: list[dict]) -> list[dict]:
    """Per kind and benchmark: A/Bs, called "B slower", called "B faster", MDEs, processes a side, wall times."""
    out = []
    for kind in KINDS:
        runs = [r for r in abs_ if r["kind"] == kind]
        for name in sorted({row["name"] for r in runs for row in r["rows"]}):
            rows = [row for r in runs for row in r["rows"] if row["name"] == name]
            mdes = [row["mde"] for row in rows if row["mde"] is not None]
            out.append({"kind": kind, "benchmark": name, "abs": len(rows),
                        "slower": sum(row["verdict"] == "B slower" for row in rows),
                        "faster": sum(row["verdict"] == "B faster" for row in rows),
                        "ratios": [round(row["ratio"]["value"], 4) for row in rows],
                        "mde_median": float(np.median(mdes)) if mdes else None,
                        "mde_max": max(mdes) if mdes else None,
                        "pairs_median": float(np.median([r["run"]["pairs"] for r in runs])),
                        "wall_s_median": float(np.median([r["wall_s"] for r in runs]))})
    return out


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def markdown(doc: dict) -> str:
    lines = [f"# tfpt-ab campaign ({doc['started'][:10]})", "",
             f"- **Date**: {doc['started']} to {doc.get('ended', '(stopped)')} UTC, "
             f"{doc.get('wall_s', 0) / 60:.1f} min",
             f"- **Machine**: {doc['machine']}; load average at start {doc['load_start']}, at end "
             f"{doc.get('load_end', '-')}", f"- **Command**: `{doc['command']}`",
             f"- **Benchmarks**: -k \"{doc['k']}\" in {' '.join(doc['tests'])}", ""]
    if doc.get("spread"):
        lines += ["## (a) Process medians per spread control", "",
                  "| configuration | benchmark | processes | median | max / min | sd of logs |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {r['config']} | {r['benchmark']} | {r['processes']} | {ab._ms(r['median_s'])} | "
                  f"{r['max_over_min']:.3f} | {_pct(r['log_sd'])} |" for r in doc["spread"]]
        lines.append("")
    if doc.get("target"):
        t = doc["target"]
        lines += ["## (b) One A/B of unchanged code, --target 5% --budget 10m", "",
                  f"{'reached' if t['run']['reached'] else 'NOT reached'} after {t['run']['pairs']} processes a side, "
                  f"{t['wall_s'] / 60:.1f} min", "", "| benchmark | B / A [95 % CI] | could see | verdict |",
                  "|---|---|---|---|"]
        lines += [f"| {r['name']} | {stats.Estimate(**r['ratio']).text('{:.3f}')} | ≥ {_pct(r['mde'])} | "
                  f"{r['verdict']} |" for r in t["rows"]]
        lines.append("")
    if doc.get("abs"):
        lines += [f"## (c) A/Bs: unchanged, B planted 10 % and 5 % slower (each --target {_pct(doc['ab_target'])} "
                  f"--budget {doc['ab_budget_s']:.0f}s)", "",
                  "| kind | benchmark | A/Bs | called B slower | called B faster | B / A estimates | median MDE | "
                  "worst MDE | processes a side (median) | wall (median) |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in tally(doc["abs"]):
            what = "false alarms" if r["kind"] == "unchanged" else "caught"
            lines.append(f"| {r['kind']} | {r['benchmark']} | {r['abs']} | {r['slower']} ({what}) | {r['faster']} | "
                         f"{min(r['ratios']):.3f}-{max(r['ratios']):.3f} | {_pct(r['mde_median'])} | "
                         f"{_pct(r['mde_max'])} | {r['pairs_median']:.0f} | {r['wall_s_median']:.0f} s |")
        lines.append("")
    return "\n".join(lines)


def save(out: Path, doc: dict) -> None:
    from tfpt.data.datasets import atomic_write
    atomic_write(out / "campaign.json", json.dumps(doc, indent=1).encode())
    atomic_write(out / "campaign.md", markdown(doc).encode())


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return f"{model}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def duration_or_0(text: str) -> float:
    return 0.0 if text.strip() == "0" else ab.duration(text)


def parse_args(argv=None) -> argparse.Namespace:
    p = Parser(prog="python -m tfpt.cli.ab_campaign", description=__doc__, formatter_class=Formatter,
               epilog=epilog(OK, USAGE, BAD_INPUT, RUNTIME))
    p.add_argument("out", type=Path, help="folder for campaign.json and campaign.md (made if missing)")
    p.add_argument("-k", default=K, help="the benchmarks (pytest -k)")
    p.add_argument("--tests", nargs="+", default=TESTS, help="test paths")
    p.add_argument("--spread-processes", type=int_at_least(0), default=3, help="processes per configuration")
    p.add_argument("--target-budget", type=duration_or_0, default=600.0, help="budget of part (b); 0 skips it")
    p.add_argument("--abs", type=int_at_least(0), default=10, help="A/Bs of each kind in part (c)")
    p.add_argument("--ab-budget", type=ab.duration, default=None,
                   help=f"budget of each A/B in part (c); default: what --total leaves after parts (a) and (b), "
                   f"shared by the A/Bs, at most {AB_BUDGET_MAX:.0f} s (30 in 25 min)")
    p.add_argument("--ab-target", type=ab.fraction, default=0.05, help="target of each A/B in part (c)")
    p.add_argument("--total", type=ab.duration, default=35 * 60.0,
                   help="no A/B is started that could end past this (from the start)")
    args = p.parse_args(argv)
    args.out = Path(args.out)
    if args.out.exists() and not args.out.is_dir():
        raise UserError(f"out {args.out}", "a folder, got a file", "name a new folder", BAD_INPUT)
    for name in ("campaign.json", "campaign.md"):
        if (args.out / name).exists():
            raise UserError(f"out {args.out}", f"a folder without a campaign; it holds {name}",
                            "name a new folder (nothing is overwritten)", BAD_INPUT)
    args.ab = ab.parse_args(["--a", sys.executable, "--b", sys.executable, "-k", args.k, "--tests", *args.tests,
                             "--target", "5%"])  # checks the side: tfpt, pytest, the tests, -k selects
    return args


def run(args, say) -> dict:
    start = time.monotonic()
    doc = {"started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "machine": machine(), "load_start": [round(x, 2) for x in os.getloadavg()],
           "command": " ".join(["python -m tfpt.cli.ab_campaign", *sys.argv[1:]]), "k": args.k, "tests": args.tests,
           "configs": {k: dict(zip(("threads", "pin", "timer"), v, strict=True)) for k, v in CONFIGS.items()},
           "ab_target": args.ab_target, "ab_budget_s": args.ab_budget, "abs": []}
    args.out.mkdir(parents=True, exist_ok=True)
    side = args.ab.sides[0]

    def left() -> float:
        return args.total - (time.monotonic() - start)

    with procs.temp_dir(prefix="tfpt-campaign-") as tmp:
        if args.spread_processes:
            doc["spread"] = spread_rows(spread(args, side, tmp, say))
            save(args.out, doc)
        if args.target_budget and left() > args.target_budget + MARGIN:
            say("target: one A/B of unchanged code, --target 5%")
            doc["target"] = one_ab(args, "unchanged", 0.0, args.target_budget, 0.05, tmp)
            save(args.out, doc)
        if args.ab_budget is None:  # part (c) shares what is left; an A/B overruns its budget by up to a pair
            args.ab_budget = max(20.0, min(AB_BUDGET_MAX, (left() - MARGIN) / max(1, args.abs * len(KINDS)) - 5))
        doc["ab_budget_s"] = args.ab_budget
        say(f"abs: {args.abs * len(KINDS)} A/Bs of at most {args.ab_budget:.0f} s each")
        for i in range(args.abs):
            for kind, slower in KINDS.items():
                if left() < args.ab_budget + MARGIN:
                    doc["stopped"] = f"--total reached before {kind} A/B {i + 1}"
                    break
                say(f"abs: {kind} A/B {i + 1}/{args.abs}")
                doc["abs"].append(one_ab(args, kind, slower, args.ab_budget, args.ab_target, tmp))
                save(args.out, doc)
    doc.update(ended=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               wall_s=round(time.monotonic() - start, 1), load_end=[round(x, 2) for x in os.getloadavg()])
    save(args.out, doc)
    return doc


@procs.interruptible("ab_campaign")
def main(argv=None) -> int:
    try:
        args = parse_args(argv)
    except UserError as exc:
        return report(exc)
    except ProcessFailed as exc:
        print(f"error: {exc}; fix: run that side's pytest alone to see why", file=sys.stderr)
        return exc.code
    t0 = time.monotonic()

    def say(text: str) -> None:
        print(f"[campaign {(time.monotonic() - t0) / 60:4.1f} min] {text}", file=sys.stderr, flush=True)
    try:
        doc = run(args, say)
    except ProcessFailed as exc:
        print(f"error: {exc}; fix: run that side's pytest alone to see why", file=sys.stderr)
        return exc.code
    print(markdown(doc))
    print(f"written: {args.out / 'campaign.json'}, {args.out / 'campaign.md'}", file=sys.stderr)
    return OK


if __name__ == "__main__":
    sys.exit(main())

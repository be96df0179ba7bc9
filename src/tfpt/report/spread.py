"""How far unchanged re-runs move per benchmark group: two saved runs compared by the gate, each group's worst ratio.

    python -m tfpt.report.spread STORAGE            # the two newest runs below STORAGE (scripts/process-spread)

For each group (the benchmark's quantity: pair-step, export-latency, memory, ...) it prints the benchmarks compared,
the worst slower and faster ratio on the gated basis and in seconds (peak RSS for memory), the widest
detectable-change figure, and how many the gate called regressed at its default factors. Between two unchanged runs
every regression is a false one; the worst ratio is what a group's factor must stay above. numpy and scipy only.
"""
from __future__ import annotations

import sys
from pathlib import Path

from tfpt import procs
from tfpt.cli.exitcodes import BAD_INPUT, OK, REGRESSION, Formatter, Parser, epilog, message
from tfpt.report.regressions import factor_for, gate
from tfpt.report.storage import load_runs


def group_of(v) -> str:
    return v.quantity or "?"


def spread(before, after) -> dict:
    """{group: {"n", "worst", "worst_s", "best", "mde", "regressed", "by_process", "factor"}} of one comparison at the
    default factors: worst = the largest after / before on the gated basis, worst_s in seconds (None for peak RSS),
    best = the smallest."""
    (verdicts,) = gate([(before, after)])
    out: dict = {}
    for v in verdicts:
        if v.basis == "seconds" and v.note.startswith("the yardstick"):
            continue  # the matmul itself is not gated
        g = out.setdefault(group_of(v), {"n": 0, "worst": 0.0, "worst_s": None, "best": float("inf"), "mde": None,
                                         "regressed": 0, "by_process": True, "factor": None})
        g["n"] += 1
        g["worst"], g["best"] = max(g["worst"], v.ratio), min(g["best"], v.ratio)
        if v.ratio_s is not None:
            g["worst_s"] = max(g["worst_s"] or 0.0, v.ratio_s, 1 / v.ratio_s if v.ratio_s > 0 else 0.0)
        if v.mde is not None:
            g["mde"] = max(g["mde"] or 0.0, v.mde)
        g["regressed"] += v.regressed
        g["by_process"] = g["by_process"] and v.by_process
        g["factor"] = None if v.basis == "peak RSS" else factor_for(v.quantity, None, v.by_process)
    return out


def table(groups: dict) -> str:
    lines = ["| group | benchmarks | compared on | worst slower | worst faster | worst either way (s) "
             "| widest could-see | factor | regressed |", "|---|---|---|---|---|---|---|---|---|"]
    for name, g in sorted(groups.items()):
        on = "process medians" if g["by_process"] else "rounds of one process"
        ws = f"{g['worst_s']:.3f}x" if g["worst_s"] is not None else "-"
        mde = f"≥ {100 * g['mde']:.0f} %" if g["mde"] is not None else "-"
        f = f"{100 * g['factor']:.0f} %" if g["factor"] is not None else "peak RSS bound"
        lines.append(f"| {name} | {g['n']} | {on} | {g['worst']:.3f}x | {g['best']:.3f}x | {ws} | {mde} | {f} "
                     f"| {g['regressed']} |")
    return "\n".join(lines)


@procs.interruptible("python -m tfpt.report.spread")
def main(argv=None) -> int:
    p = Parser(prog="python -m tfpt.report.spread", description=__doc__, formatter_class=Formatter,
               epilog=epilog(OK, REGRESSION, BAD_INPUT))
    p.add_argument("storage", type=Path, help="a pytest-benchmark storage folder holding at least two runs")
    a = p.parse_args(argv)
    runs = load_runs(a.storage, lambda msg: print(f"warning: {msg}", file=sys.stderr)) if a.storage.is_dir() else []
    if len(runs) < 2:
        print(message(str(a.storage), f"a storage folder with two saved runs; found {len(runs)}",
                      "run tfpt-bench twice with --storage there (scripts/process-spread does)"), file=sys.stderr)
        return BAD_INPUT
    before, after = runs[-2], runs[-1]
    groups = spread(before, after)
    print(f"{before.path.name} -> {after.path.name}\n\n{table(groups)}")
    return REGRESSION if any(g["regressed"] for g in groups.values()) else OK


if __name__ == "__main__":
    sys.exit(main())

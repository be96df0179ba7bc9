"""Turn saved benchmark runs into a Markdown report with plots; exit 1 on a significant regression.

    python -m tfpt.report [--storage .benchmarks] [--out reports] [--factor 0.10] [--alpha 0.05]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tfpt.report.regressions import compare_runs
from tfpt.report.storage import load_runs
from tfpt.report.tables import history_plots, measurements_section, peak_table, study_table, version_table

REPO = Path.cwd()  # commands read and write relative to where they are run


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--storage", type=Path, default=REPO / ".benchmarks")
    p.add_argument("--out", type=Path, default=REPO / "reports")
    p.add_argument("--factor", type=float, default=0.10, help="slowdown that counts (default 0.10 = 10 %%)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level of the Mann-Whitney U test")
    a = p.parse_args(argv)
    runs = load_runs(a.storage)
    if not runs:
        print(f"error: no readable benchmark runs under {a.storage}; run "
              f"`pytest benchmarks --benchmark-autosave` first", file=sys.stderr)
        return 2
    a.out.mkdir(parents=True, exist_ok=True)
    latest = runs[-1]
    parts = [f"# Benchmark report\n\n{len(runs)} saved run(s) in `{a.storage}`; latest: {latest.label}, "
             f"{latest.datetime}, machine {latest.machine.get('cpu', {}).get('brand_raw', '?')}, "
             f"{latest.machine.get('cpu', {}).get('count', '?')} CPUs.\n",
             "## The study's table, regenerated from the newest saved figures\n", study_table(runs),
             "\n## Throughput against the machine's float32 matrix-multiply peak\n", peak_table(latest)]
    plots = history_plots(runs, a.out)
    parts.append("\n## History\n")
    parts += [f"![{q}]({png.name})" for q, png in plots.items()] or ["(one run: nothing to plot yet)"]
    regressed = []
    same_env = [r for r in runs if r.env_key == latest.env_key]
    if len(same_env) >= 2:
        previous = same_env[-2]
        verdicts = compare_runs(previous, latest, a.factor, a.alpha)
        parts.append(f"\n## Regressions: {previous.path.stem} -> {latest.path.stem} (same versions and env) "
                     f"(slower by > {100 * a.factor:.0f} % and Mann-Whitney U p < {a.alpha})\n")
        parts.append("| benchmark | median before | median after | ratio | p | verdict |\n|---|---|---|---|---|---|")
        for v in verdicts:
            verdict = "**REGRESSION**" if v.regressed else (v.note or "ok")
            p = f"{v.p_value:.3g}" if v.p_value is not None else "-"
            parts.append(f"| {v.name} | {v.before:.4g} s | {v.after:.4g} s | {v.ratio:.2f} | {p} | {verdict} |")
            if v.regressed:
                regressed.append(v)
    else:
        parts.append("\n## Regressions\n\nOnly one run saved with these versions: nothing to compare yet.")
    parts.append("\n## Versions\n\nEach metric per TensorFlow / PyTorch combination (tox envs and plain runs); "
                 "defaults that differ between versions are listed.\n")
    parts.append(version_table(runs, REPO / "reports"))
    parts.append(measurements_section(REPO / "reports"))
    text = "\n".join(parts) + "\n"
    (a.out / "report.md").write_text(text)
    print(text)
    if regressed:
        print(f"{len(regressed)} significant regression(s): " + ", ".join(v.name for v in regressed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

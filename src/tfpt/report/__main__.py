"""Turn saved benchmark runs into report.md, report.html (self-contained) and report.json; exit 1 on a
significant regression.

For every machine + versions + tox env whose newest run belongs to the current batch (the newest run's
commit), the newest run is compared with the previous run of that same key. Times are gated on their ratio to
the run's own matmul yardstick where both runs hold one (else on seconds): slower by more than --factor and a
one-sided Mann-Whitney U p, adjusted for false discoveries over all gated benchmarks (Benjamini-Hochberg),
below --alpha. Peak RSS is gated by --rss-bound. Malformed runs are skipped with a warning naming file and field.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path

from tfpt.cli import exitcodes
from tfpt.report import html
from tfpt.report.regressions import RSS_BOUND, default_factors, gate
from tfpt.report.storage import load_runs, newest_pairs
from tfpt.report.tables import (history_series, inference_table, measurements_section, peak_table, study_figures,
                                study_table, version_table)

CODES = (exitcodes.OK, exitcodes.REGRESSION, exitcodes.USAGE, exitcodes.BAD_INPUT, exitcodes.NOTHING)


def _number(low: float, high: float | None, what: str):
    """argparse type: a finite float with low < x (< high)."""
    def parse(text: str) -> float:
        try:
            x = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(x) or x <= low or (high is not None and x >= high):
            raise argparse.ArgumentTypeError(f"{text} is out of range: expected {what}")
        return x
    return parse


def parser() -> exitcodes.Parser:
    p = exitcodes.Parser(prog="tfpt-report", description=__doc__, formatter_class=exitcodes.Formatter,
                         epilog=exitcodes.epilog(*CODES))
    p.add_argument("--storage", type=Path, default=Path(".benchmarks"),
                   help="pytest-benchmark storage folder (every *.json below it is read)")
    p.add_argument("--out", type=Path, default=Path("reports"), help="folder for report.md/.html/.json and plots")
    p.add_argument("--factor", type=_number(0, None, "a finite number > 0"), default=None,
                   help="slowdown that counts, as a fraction (0.10 = 10 %%), for every benchmark; default per "
                        f"group, measured above unchanged re-runs: {default_factors().replace('%', '%%')}")
    p.add_argument("--alpha", type=_number(0, 1, "0 < alpha < 1"), default=0.05,
                   help="false-discovery level for the Mann-Whitney U tests (Benjamini-Hochberg)")
    p.add_argument("--rss-bound", type=_number(0, None, "a finite number > 0"), default=RSS_BOUND,
                   help="peak-RSS growth that counts as a regression (0.10 = 10 %%)")
    p.add_argument("--machine", choices=("node", "cpu"), default="node",
                   help="what makes two runs the same machine: host name + CPU brand + CPU count (node), or CPU "
                        "brand + count only (cpu: for CI runner pools whose host names change every run)")
    return p


def _check_out(p, out: Path) -> None:
    if out.exists() and not out.is_dir():
        p.error(f"argument --out: {out} is a file, expected a folder")
    parent = out
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        p.error(f"argument --out: {parent} is a file, so {out} cannot be created")
    if not os.access(parent, os.W_OK | os.X_OK):
        p.error(f"argument --out: {parent} is not writable")


def _write(path: Path, text: str) -> None:
    """Temp file in the same folder + rename: a reader never sees half a report."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _gate_markdown(comparisons, factor, alpha, rss_bound) -> list[str]:
    limit = f"{100 * factor:.0f} %" if factor is not None else default_factors()
    parts = [f"\n## Regressions (slower by > {limit} in seconds and ÷ matmul, Mann-Whitney U p < {alpha} "
             f"on both after Benjamini-Hochberg over all gated benchmarks; peak RSS: > +{100 * rss_bound:.0f} %)\n"]
    for before, after, verdicts in comparisons:
        if before is None:
            parts.append(f"{after.label}: only one run of this machine, versions and env: nothing to compare yet.\n")
            continue
        parts.append(f"### {before.path.stem} -> {after.label}\n")
        parts.append("| benchmark | gated on | median before | median after | ratio | ratio (s) | p | p (BH) | verdict |\n"
                     "|---|---|---|---|---|---|---|---|---|")
        for v in verdicts:
            unit = "MiB" if v.basis == "peak RSS" else "s"
            verdict = ("**REGRESSION**" if v.regressed else "ok") + (f" ({v.note})" if v.note else "")
            p = f"{v.p_value:.3g}" if v.p_value is not None else "-"
            pa = f"{v.p_adjusted:.3g}" if v.p_adjusted is not None else "-"
            rs = f"{v.ratio_s:.3f}" if v.ratio_s is not None else "-"
            parts.append(f"| {v.name} | {v.basis} | {v.before:.4g} {unit} | {v.after:.4g} {unit} | {v.ratio:.3f} "
                         f"| {rs} | {p} | {pa} | {verdict} |")
        parts.append("")
    return parts


def main(argv=None) -> int:
    p = parser()
    a = p.parse_args(argv)
    _check_out(p, a.out)
    if a.storage.exists() and not a.storage.is_dir():
        print(exitcodes.message(f"--storage {a.storage}", "a folder of saved runs, got a file",
                                "pass the folder pytest-benchmark saves into (.benchmarks)"), file=sys.stderr)
        return exitcodes.BAD_INPUT
    found: list = []
    runs = load_runs(a.storage, found=found, by_node=a.machine == "node")
    if not runs and found:
        print(exitcodes.message(f"--storage {a.storage}", f"none of its {len(found)} JSON files is a valid run "
                                "(warnings above name each file and field)", "repair or delete them"),
              file=sys.stderr)
        return exitcodes.BAD_INPUT
    if not runs:
        print(exitcodes.message(f"--storage {a.storage}", "no readable benchmark runs: nothing to compare",
                                "run `pytest benchmarks --benchmark-autosave` first"), file=sys.stderr)
        return exitcodes.NOTHING

    pairs = newest_pairs(runs)
    gated = gate([(b, n) for b, n in pairs if b is not None], a.factor, a.alpha, a.rss_bound)
    it = iter(gated)
    comparisons = [(b, n, next(it) if b is not None else []) for b, n in pairs]
    regressed = [v for _, _, vs in comparisons for v in vs if v.regressed]
    latest = runs[-1]
    cpu = latest.machine.get("cpu") or {}
    intro = (f"{len(runs)} saved run(s) in `{a.storage}`; latest: {latest.label}, {latest.datetime}, machine "
             f"{latest.machine.get('node', '?')} ({cpu.get('brand_raw', '?')}, {cpu.get('count', '?')} CPUs).")

    # Everything is composed in memory first; files are written only once all of it succeeded.
    series = history_series(runs)
    svgs = {title: html.svg_plot(title, s, "peak RSS (MiB)" if title.startswith("memory") else "median s (bar: min-max)") for title, s in series.items()}
    files = {f"history-{i:02d}.svg": svg for i, svg in enumerate(svgs.values())}
    md = [f"# Benchmark report\n\n{intro}\n", "## The study's table, regenerated from the newest saved figures\n",
          study_table(runs), "\n## Throughput against the machine's float32 matrix-multiply peak\n", peak_table(latest),
          "\n## Inference: in-memory models and every export's runtime (CPU)\n", inference_table(latest),
          *_gate_markdown(comparisons, a.factor, a.alpha, a.rss_bound),
          "\n## History (one series per version pair; x: the run's datetime)\n",
          *([f"![{t}]({name})" for t, name in zip(svgs, files)] or ["(no runs to plot)"]),
          "\n## Versions\n\nEach metric per TensorFlow / PyTorch combination (tox envs and plain runs); defaults "
          "that differ between versions are listed.\n", version_table(runs, Path("reports")),
          measurements_section(Path("reports"))]
    fig = html.Figures()
    study = study_figures(runs)
    page = html.page("Benchmark report", [
        ("Runs", f"<p>{html.escape(intro)}</p>"),
        ("The study's table", html.study_html(fig, study) + "<p class='note'>Medians of the newest run; "
         "brackets: bootstrap 95 % interval of the median from the saved rounds (3 or more).</p>"),
        ("Inference (CPU): in-memory models and every export's runtime", html.inference_html(fig, latest)),
        ("Regression gate", html.gate_html(fig, comparisons, a.factor, a.alpha, a.rss_bound)),
        ("Versions (newest median per version pair, CPU)", html.versions_html(fig, runs)),
        ("History", "<div class='plots'>" + "".join(f"<figure>{s}</figure>" for s in svgs.values()) + "</div>"),
    ])
    code = exitcodes.REGRESSION if regressed else exitcodes.OK
    data = {"storage": str(a.storage), "runs": [str(r.path) for r in runs], "exit_code": code,
            "settings": {"factor": a.factor, "alpha": a.alpha, "rss_bound": a.rss_bound},
            "figures": fig.values, "study": study,
            "verdicts": [dict(v.__dict__, before_run=str(b.path), after_run=str(n.path))
                         for b, n, vs in comparisons for v in vs]}
    text = "\n".join(md) + "\n"
    files.update({"report.md": text, "report.html": page, "report.json": json.dumps(data, indent=1, default=str)})
    a.out.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        _write(a.out / name, content)
    print(text)
    if regressed:
        print(f"{len(regressed)} significant regression(s): " + ", ".join(v.name for v in regressed), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())

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
import re
import sys
import tempfile
from pathlib import Path

from tfpt import procs
from tfpt.cli import exitcodes
from tfpt.cli.exitcodes import UserError
from tfpt.report import html
from tfpt.report.regressions import RSS_BOUND, default_factors, gate
from tfpt.report.storage import load_runs, newest_pairs
from tfpt.report.tables import (
    answers_markdown,
    gate_markdown,
    history_series,
    inference_table,
    measurements_section,
    peak_table,
    read_measurements,
    study_figures,
    study_table,
    version_table,
)

CODES = (exitcodes.OK, exitcodes.REGRESSION, exitcodes.USAGE, exitcodes.BAD_INPUT, exitcodes.NOTHING,
         exitcodes.NOT_GATED, exitcodes.INTERRUPTED)


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


def _check_out(p, out: Path, storage: Path) -> None:
    if out.exists() and not out.is_dir():
        p.error(f"argument --out: {out} is a file, expected a folder")
    o, s = out.resolve(), storage.resolve()
    if o == s or s in o.parents:
        p.error(f"argument --out: {out} is {'--storage itself' if o == s else 'inside --storage ' + str(storage)}, "
                "where every *.json is read as a saved run; expected a folder outside it, e.g. reports")
    parent = out
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        p.error(f"argument --out: {parent} is a file, so {out} cannot be created")
    # Asked by doing, where the report is written (a temporary folder beside --out, then the files into --out):
    # os.access says yes to root on /sys/kernel, where creating anything fails (EPERM).
    beside = out.parent
    while not beside.exists():
        beside = beside.parent
    for where in (beside, out) if out.is_dir() else (beside,):
        try:
            tempfile.TemporaryDirectory(dir=where, prefix=".tfpt-report-probe.").cleanup()
        except OSError as exc:
            raise UserError(f"--out {out}", f"a folder this user can write; {where} refused a new folder "
                            f"({exc.strerror or type(exc).__name__})", "pass a writable folder, e.g. --out reports") \
                from None


REPORT_FILE = re.compile(r"^(report\.(md|html|json)|history-\d+\.svg)$")


def write_report(out: Path, files: dict) -> None:
    """Every file is written into a temporary folder beside `out` first; only when all of them are there are
    they swapped in, as one step that SIGINT/SIGTERM cannot split (signals wait for it), and the previous report's
    files that the new one does not have (fewer history plots) are removed in the same step. Interrupted before
    that, the old report stays whole and the temporary folder is removed. Other files in `out` (the tests'
    measurements-*.json) are left alone."""
    parent = out.parent
    parent.mkdir(parents=True, exist_ok=True)
    with procs.temp_dir(dir=parent, prefix=f".{out.name}.", suffix=".tmp") as tmp:
        for name, content in files.items():
            (tmp / name).write_text(content, encoding="utf-8")
        with procs.signals_held():
            if not out.exists():
                tmp.rename(out)  # the whole folder at once
                return
            for name in files:
                os.replace(tmp / name, out / name)
            for old in out.iterdir():
                if REPORT_FILE.match(old.name) and old.name not in files and old.is_file():
                    old.unlink()


def measurement_warnings(folder: Path) -> list[str]:
    """The conformance figures the report reads (reports/measurements-*.json), checked: one warning per file or
    figure that the tables cannot use, naming the file and the field (tfpt.report.tables.read_measurements)."""
    return read_measurements(folder)[1]


@procs.interruptible("tfpt-report")
def main(argv=None) -> int:
    p = parser()
    a = p.parse_args(argv)
    try:
        _check_out(p, a.out, a.storage)
    except UserError as exc:
        return exitcodes.report(exc)
    if not a.storage.exists():
        print(exitcodes.message(f"--storage {a.storage}", "a folder of saved runs; nothing is there, so nothing to "
                                "compare", "pass the folder pytest-benchmark saves into, or run `pytest benchmarks "
                                "--benchmark-autosave` first"), file=sys.stderr)
        return exitcodes.NOTHING
    if not a.storage.is_dir():
        print(exitcodes.message(f"--storage {a.storage}", "a folder of saved runs, got a file",
                                "pass the folder pytest-benchmark saves into (.benchmarks)"), file=sys.stderr)
        return exitcodes.BAD_INPUT
    found: list = []
    warn = lambda msg: print(f"warning: {msg}", file=sys.stderr)  # noqa: E731
    runs = load_runs(a.storage, warn, found=found, by_node=a.machine == "node")
    if not runs and found:
        print(exitcodes.message(f"--storage {a.storage}", f"none of its {len(found)} JSON files is a valid run "
                                "(warnings above name each file and field)", "repair or delete them"),
              file=sys.stderr)
        return exitcodes.BAD_INPUT
    if not runs:
        print(exitcodes.message(f"--storage {a.storage}", "no readable benchmark runs: nothing to compare",
                                "run `pytest benchmarks --benchmark-autosave` first"), file=sys.stderr)
        return exitcodes.NOTHING
    if not runs[-1].benchmarks:
        print(exitcodes.message(f"newest run {runs[-1].path}", "at least one benchmark, it holds none (the gate "
                                "would be empty and the previous run's figures shown as the newest)",
                                "rerun the benchmarks with --benchmark-autosave, or delete that file"),
              file=sys.stderr)
        return exitcodes.NOT_GATED
    for r in runs:
        if not r.benchmarks:
            warn(f"skipping {r.path}: field benchmarks: expected at least one benchmark, got an empty list")
    runs = [r for r in runs if r.benchmarks]
    for msg in measurement_warnings(Path("reports")):
        warn(msg)

    pairs = newest_pairs(runs)
    gated = gate([(b, n) for b, n in pairs if b is not None], a.factor, a.alpha, a.rss_bound)
    it = iter(gated)
    comparisons = [(b, n, next(it) if b is not None else []) for b, n in pairs]
    regressed = [v for _, _, vs in comparisons for v in vs if v.regressed]
    latest = runs[-1]
    info = latest.info
    intro = (f"{len(runs)} saved run(s) in `{a.storage}`; latest: {latest.label}, {latest.datetime}, machine "
             f"{info.node or '?'} ({info.cpu_brand or '?'}, {info.cpu_count or '?'} CPUs).")

    # Everything is composed in memory first; files are written only once all of it succeeded.
    series = history_series(runs)
    svgs = {title: html.svg_plot(title, s, "peak RSS (MiB)" if title.startswith("memory") else
                                 "median s (bar: min-max)") for title, s in series.items()}
    files = {f"history-{i:02d}.svg": svg for i, svg in enumerate(svgs.values())}
    fig = html.Figures()
    study = study_figures(runs)
    md = [f"# Benchmark report\n\n{answers_markdown(study, comparisons)}\n\n{intro}\n",
          "## The study's table, regenerated from the newest saved figures\n",
          study_table(runs), "\n## Throughput against the machine's float32 matrix-multiply peak\n", peak_table(latest),
          "\n## Inference: in-memory models and every export's runtime (CPU)\n", inference_table(latest),
          *gate_markdown(comparisons, a.factor, a.alpha, a.rss_bound),
          "\n## History (one series per version pair; x: the run's datetime)\n",
          *([f"![{t}]({name})" for t, name in zip(svgs, files, strict=True)] or ["(no runs to plot)"]),
          "\n## Versions\n\nEach metric per combination of framework versions (tox envs and plain runs); "
          "defaults that differ between versions are listed.\n", version_table(runs, Path("reports")),
          measurements_section(Path("reports"))]
    page = html.page("Benchmark report", [
        ("TF vs PyTorch, and regressions", html.answers_html(fig, study, comparisons)
         + f"<p class='note'>{html.escape(intro)}</p>"),
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
    try:
        write_report(a.out, files)
    except OSError as exc:  # the probe passed, then the disk filled or the folder changed: nothing half-written
        print(exitcodes.message(f"--out {a.out}", f"a folder this user can write; writing the report failed "
                                f"({exc.strerror or type(exc).__name__}: {exc.filename or a.out}), the previous "
                                "report left as it was", "free space or fix the folder's permissions, then rerun"),
              file=sys.stderr)
        return exitcodes.BAD_INPUT
    print(text)
    if regressed:
        print(f"{len(regressed)} significant regression(s): " + ", ".join(v.name for v in regressed), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())

"""The report as one self-contained web page: inline CSS and inline SVG plots, no script, no external file, no
network. Every figure shown is wrapped in an element carrying `data-key`; the same key holds the unrounded value
in report.json's "figures", so a test (or a reader) can check the page against the data."""
from __future__ import annotations

import math
from datetime import datetime
from html import escape

from tfpt.frameworks import registry
from tfpt.report.storage import variant
from tfpt.report.tables import (
    BASES_NOTE,
    NAMES,
    STUDY_ROWS,
    all_frameworks,
    columns,
    compared,
    could_see,
    headline_verdicts,
    mde_span,
    published_cells,
    ratio_label,
    regression_summary,
)

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.6em 0 1.4em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f3f3f3}.ci{color:#666;font-size:.85em}
.bad{color:#b00;font-weight:bold}.ok{color:#060}.note{color:#666;font-size:.9em;text-align:left}
.plots{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}figcaption{font-size:.9em;color:#444}
svg text{font:10px system-ui,sans-serif;fill:#333}
.answers{font-size:1.1em;line-height:1.7;padding-left:1.2em}
"""
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


class Figures:
    """Collects every number shown: `fig(key, value)` returns its HTML and records the value for report.json."""

    def __init__(self):
        self.values: dict = {}

    def __call__(self, key: str, value, fmt: str = "{:.4g}", cls: str = "num") -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return '<span class="na">–</span>'
        self.values[key] = value
        return f'<span class="{cls}" data-key="{escape(key)}">{fmt.format(value)}</span>'


def time_html(fig: Figures, key: str, seconds) -> str:
    """A time in the unit its size suits (ms below 1 s, else s); the figure is recorded in that unit, under
    `<key>.ms` or `<key>.s`, so the page and report.json agree digit for digit."""
    if seconds is None:
        return fig(key, None)
    if seconds < 1:
        return fig(f"{key}.ms", 1e3 * seconds, "{:.3g}") + " ms"
    return fig(f"{key}.s", seconds, "{:.3g}") + " s"


def answers_html(fig: Figures, study: dict, comparisons) -> str:
    """The page's first lines: TF vs PyTorch per headline figure with its interval, then the regressions."""
    items = []
    for h in headline_verdicts(study):
        k, unit = f"study.{h['key']}", h["unit"]
        ratio = (f"; {escape(ratio_label())} {fig(k + '.ratio', study[k + '.ratio'], '{:.3g}')}"
                 f"{_interval(fig, k + '.ratio', study)}" if k + ".ratio" in study else "")
        keys = [(fw, f"{k}.{fw.id}") for fw in all_frameworks() if f"{k}.{fw.id}" in study]
        each = ", ".join(f"{escape(fw.name)} {fig(key, study[key])} {unit}{_interval(fig, key, study)}"
                         for fw, key in keys)
        items.append(f"<li><b>{escape(h['what'])}</b>: {each}{ratio}: <b>{escape(h['verdict'])}</b></li>")
    if not items:
        a, b = compared()
        items.append(f"<li><b>{escape(a.label)} vs {escape(b.name)}</b>: no training or memory benchmark of both "
                     "frameworks in these runs</li>")
    said, worst, n = regression_summary(comparisons)
    if said == "not gated":
        items.append("<li><b>regressions: not gated</b>: only one run of each machine, versions and env so far</li>")
    elif worst is None:
        items.append(f"<li><b class='ok'>regressions: none</b> ({fig('answers.gated', n, '{:d}')} benchmarks "
                     f"gated{escape(mde_span(comparisons))})</li>")
    else:
        p = f", p (BH) {fig('answers.worst.p_bh', worst.p_adjusted, '{:.2g}')}" if worst.p_adjusted is not None else ""
        items.append(f"<li><b class='bad'>regressions: {fig('answers.regressed', int(said), '{:d}')}</b> of "
                     f"{fig('answers.gated', n, '{:d}')} gated; worst: {escape(worst.name)}, "
                     f"{fig('answers.worst.ratio', worst.ratio, '{:.3g}')}× slower ({escape(worst.basis)}{p})</li>")
    return "<ul class='answers'>" + "".join(items) + "</ul>"


def _interval(fig: Figures, key: str, study: dict) -> str:
    if key + ".lo" not in study:
        return ""
    return (f' <span class="ci">[{fig(key + ".lo", study[key + ".lo"], cls="lo")}, '
            f'{fig(key + ".hi", study[key + ".hi"], cls="hi")}]</span>')


def study_html(fig: Figures, study: dict) -> str:
    """The study's table: a column per framework measured (and each the study measured), the A / B ratio, the
    study's published figures."""
    shown = columns(study)
    head = [fw.name for fw in shown] + [ratio_label()] + [f"study: {fw.name}" for fw in registry.studied()]
    rows = ["<tr><th></th>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"]
    for key, label, unit, published in STUDY_ROWS:
        if not any(f"study.{key}.{fw.id}" in study for fw in shown):
            continue  # not measured in these runs: left out
        cells = []
        for col in [fw.id for fw in shown] + [None]:  # None: the ratio
            k = f"study.{key}.{col or 'ratio'}"
            if col is None and key == "acc":
                cells.append("–")
            elif k in study:
                cells.append(fig(k, study[k]) + (f" {unit}" if col else "") + _interval(fig, k, study))
            else:
                cells.append("not measured")
        rows.append(f"<tr><td>{escape(label)}</td>" + "".join(f"<td>{c}</td>" for c in cells)
                    + "".join(f"<td>{escape(c)}</td>" for c in published_cells(published)) + "</tr>")
    if len(rows) == 1:
        return "<p>No training or memory benchmark in these runs: the study's table has nothing to show.</p>"
    return "<table>" + "".join(rows) + "</table>"


def gate_html(fig: Figures, comparisons, factor, alpha, rss_bound) -> str:
    if not comparisons:
        return "<p>No runs to compare.</p>"
    parts = [f"<p class='note'>{escape(BASES_NOTE)}</p>"]
    for i, (before, after, verdicts) in enumerate(comparisons):
        if before is None:
            parts.append(f"<p>{escape(after.label)}: only one run of this machine, versions and env: nothing to "
                         f"compare yet.</p>")
            continue
        parts.append(f"<h3>{escape(before.path.stem)} → {escape(after.label)}</h3>")
        rows = ["<tr><th>benchmark</th><th>judged on</th><th>gated on</th><th>median before</th><th>median after</th>"
                "<th>ratio</th><th>ratio (s)</th><th>p</th><th>p (BH)</th><th>could see</th><th>verdict</th></tr>"]
        for v in verdicts:
            k = f"gate.{i}.{v.name}"
            if v.basis == "peak RSS":
                before, after = (f"{fig(k + '.before', v.before)} MiB", f"{fig(k + '.after', v.after)} MiB")
            else:
                before, after = time_html(fig, k + ".before", v.before), time_html(fig, k + ".after", v.after)
            verdict = (f'<span class="note">no verdict: {escape(v.flagged)}</span>' if v.flagged else
                       '<span class="bad">REGRESSION</span>' if v.regressed else '<span class="ok">ok</span>')
            if v.note:
                verdict += f' <span class="note">{escape(v.note)}</span>'
            rows.append(f"<tr><td>{escape(v.name)}</td><td>{escape(v.judged_by or '-')}</td><td>{escape(v.basis)}</td>"
                        f"<td>{before}</td><td>{after}</td>"
                        f"<td>{fig(k + '.ratio', v.ratio, '{:.3f}')}</td>"
                        f"<td>{fig(k + '.ratio_s', v.ratio_s, '{:.3f}')}</td>"
                        f"<td>{fig(k + '.p', v.p_value, '{:.3g}')}</td>"
                        f"<td>{fig(k + '.p_bh', v.p_adjusted, '{:.3g}')}</td>"
                        f"<td>{escape(could_see(v))}</td>"
                        f"<td style='text-align:left'>{verdict}</td></tr>")
        parts.append("<table>" + "".join(rows) + "</table>")
    return "\n".join(parts)


def inference_html(fig: Figures, run) -> str:
    from tfpt.report.tables import inference_figures
    rows = ["<tr><th>framework</th><th>how</th><th>runtime</th><th>batch 1 (ms)</th><th>batch 1,024 (ms)</th>"
            "<th>% of matmul peak</th></tr>"]
    for r in inference_figures(run):
        k = f"inference.{r['framework']}.{r['how']}"
        rows.append(f"<tr><td>{escape(r['framework'])}</td><td>{escape(r['how'])}</td>"
                    f"<td>{escape(r['runtime'] or '-')}</td>"
                    f"<td>{fig(k + '.latency_ms', r.get('latency_ms'), '{:.3f}')}</td>"
                    f"<td>{fig(k + '.throughput_ms', r.get('throughput_ms'), '{:.1f}')}</td>"
                    f"<td>{fig(k + '.pct_of_peak', r.get('pct_of_peak'), '{:.0f}')}</td></tr>")
    return "<table>" + "".join(rows) + "</table>" if len(rows) > 1 else "<p>No inference benchmark in this run.</p>"


def versions_html(fig: Figures, runs) -> str:
    """Newest median of each CPU benchmark per version pair (and tox env)."""
    cols: dict = {}
    for run in runs:
        for b in run.benchmarks:
            e = b["extra_info"]
            if e.get("quantity") == "peak":  # the run's yardstick: envs are timed alone, minutes apart
                cols.setdefault(run.pair_label, {})["float32 2048³ matmul (yardstick)"] = (b["stats"]["median"], "s")
            elif e.get("quantity") and e.get("framework") in NAMES and e.get("device", "cpu") == "cpu":
                value = e["peak_rss_mb"] if e["quantity"] == "memory" else b["stats"]["median"]
                row = f"{e['quantity']} {NAMES[e['framework']]}" + (
                    f" ({variant(e)})" if variant(e) != "as-written" else "")
                cols.setdefault(run.pair_label, {})[row] = (value, "MiB" if e["quantity"] == "memory" else "s")
    if not cols:
        return "<p>No runs.</p>"
    labels = sorted(cols)
    rows_ = sorted({r for c in cols.values() for r in c})
    out = ["<tr><th>metric</th>" + "".join(f"<th>{escape(lb)}</th>" for lb in labels) + "</tr>"]
    for r in rows_:
        cells = []
        for lb in labels:
            got = cols[lb].get(r)
            if not got:
                cells.append("–")
            elif got[1] == "s":
                cells.append(time_html(fig, f"versions.{lb}.{r}", got[0]))
            else:
                cells.append(f"{fig(f'versions.{lb}.{r}', got[0])} {got[1]}")
        out.append(f"<tr><td>{escape(r)}</td>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "<table>" + "".join(out) + "</table>"


def _when(text: str) -> float:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return float("nan")


def svg_plot(title: str, series: dict, ylabel: str, width: int = 420, height: int = 240) -> str:
    """Median per run (dot) with the run's spread (vertical bar) against the run's datetime; one colour per
    series. Self-contained SVG text."""
    left, right, top, bottom = 74, 10, 22, 58
    pts = [(s, _when(t), y, lo, hi) for s, ps in series.items() for t, y, lo, hi in ps]
    pts = [p for p in pts if math.isfinite(p[1])]
    if not pts:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="40"><text x="4" y="20">' \
               f'{escape(title)}: no dated runs</text></svg>'
    t0, t1 = min(p[1] for p in pts), max(p[1] for p in pts)
    y0, y1 = min(p[3] for p in pts), max(p[4] for p in pts)
    pad = (y1 - y0) * 0.08 or abs(y1) * 0.05 or 1.0
    y0, y1 = y0 - pad, y1 + pad
    pw, ph = width - left - right, height - top - bottom

    def X(t):
        return left + (pw / 2 if t1 == t0 else (t - t0) / (t1 - t0) * pw)

    def Y(v):
        return top + ph - (v - y0) / (y1 - y0) * ph
    el = [f'<text x="{left}" y="14" style="font-weight:bold">{escape(title)}</text>',
          f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>']
    for k in range(5):
        v = y0 + (y1 - y0) * k / 4
        el.append(f'<text x="{left - 4}" y="{Y(v) + 3:.1f}" text-anchor="end">{v:.4g}</text>')
    el.append(f'<text transform="translate(12,{top + ph / 2}) rotate(-90)" text-anchor="middle">'
              f'{escape(ylabel)}</text>')
    for t, anchor in ((t0, "start"), (t1, "end")) if t1 != t0 else ((t0, "middle"),):
        stamp = datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M")
        el.append(f'<text x="{X(t):.1f}" y="{top + ph + 14}" text-anchor="{anchor}">{stamp}</text>')
    for i, (label, ps) in enumerate(series.items()):
        c = COLORS[i % len(COLORS)]
        xy = sorted((_when(t), y, lo, hi) for t, y, lo, hi in ps)
        xy = [p for p in xy if math.isfinite(p[0])]
        if len(xy) > 1:
            el.append(f'<polyline fill="none" stroke="{c}" stroke-width="1.2" points="'
                      + " ".join(f"{X(t):.1f},{Y(y):.1f}" for t, y, _, _ in xy) + '"/>')
        for t, y, lo, hi in xy:
            if hi > lo:
                el.append(f'<line x1="{X(t):.1f}" x2="{X(t):.1f}" y1="{Y(lo):.1f}" y2="{Y(hi):.1f}" '
                          f'stroke="{c}" stroke-width="2" opacity=".55"/>')
            el.append(f'<circle cx="{X(t):.1f}" cy="{Y(y):.1f}" r="3" fill="{c}"/>')
        ly, lx = top + ph + 28 + 12 * i, left
        el.append(f'<rect x="{lx:.0f}" y="{ly - 8}" width="8" height="8" fill="{c}"/>'
                  f'<text x="{lx + 11:.0f}" y="{ly}">{escape(label)}</text>')
    h = max(height, top + ph + 34 + 12 * len(series))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" viewBox="0 0 {width} {h}" '
            f'role="img" aria-label="{escape(title)}">' + "".join(el) + "</svg>")


def page(title: str, sections: list[tuple[str, str]]) -> str:
    body = "\n".join(f"<section><h2>{escape(h)}</h2>\n{content}</section>" for h, content in sections)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">'
            f'<title>{escape(title)}</title>'
            f'<style>{CSS}</style></head><body><h1>{escape(title)}</h1>\n{body}\n</body></html>\n')

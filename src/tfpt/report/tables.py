"""The report's tables and plots, from runs loaded by tfpt.report.storage."""
from __future__ import annotations

import json
from pathlib import Path

from tfpt import frameworks
from tfpt.frameworks import registry
from tfpt.report.regressions import default_factors
from tfpt.report.storage import variant, version_label
from tfpt.spec import CNN, total_params
from tfpt.stats import Estimate, bootstrap, verdict

NAMES = frameworks.NAMES


def all_frameworks():
    """Every registered framework, in the registry's order: the report has a column (or a row) for each it
    measured."""
    return tuple(registry.REGISTRY.values())


def compared():
    """The two frameworks of the headline ratio (A / B): the first two the study measured, TensorFlow and PyTorch
    (their records hold its published figures; the epoch time and RAM are from the paper it cites, on that paper's
    machine)."""
    a, b = registry.studied()[:2]
    return a, b


def ratio_label() -> str:
    """'TF / PyTorch'."""
    a, b = compared()
    return f"{a.label} / {b.name}"


def columns(study: dict) -> list:
    """The frameworks the study's table shows: those the study measured, and every other one these runs did."""
    return [fw for fw in all_frameworks()
            if fw.published or any(k.startswith("study.") and k.split(".")[2] == fw.id for k in study)]


def _find(runs, quantity, fw, device="cpu", mode="as-written"):
    """The newest saved benchmark of that quantity, framework, device and mode (a run may hold a subset)."""
    for run in reversed(runs):
        for b in run.benchmarks:
            e = b.get("extra_info", {})
            if (e.get("quantity") == quantity and e.get("framework") == fw and e.get("device") == device
                    and variant(e) == mode):
                return b
    return None


def _ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


def duration(seconds: float) -> str:
    """A time in the unit its size suits: `870 µs` is never printed as `0.00087 s`; ms below 1 s, else s."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def study_figures(runs) -> dict:
    """The study's figures from the newest run of each kind with the newest run's key (else any run):
    {key: value} in the units shown (%, s, GB), with bootstrap intervals as `<key>.lo` / `<key>.hi`."""
    scope = [r for r in runs if r.key == runs[-1].key]

    def find(q, fw, mode="as-written"):
        return _find(scope, q, fw, mode=mode) or _find(runs, q, fw, mode=mode)
    out: dict = {}
    for row, q, mode in (("epoch_s", "epoch", "as-written"), ("tuned_epoch_s", "epoch", "tuned"),
                         ("bf16_epoch_s", "epoch", "tuned-bf16")):
        bench = {fw.id: find(q, fw.id, mode) for fw in all_frameworks()}
        for fw, b in bench.items():
            if b:
                out[f"study.{row}.{fw}"] = b["stats"]["median"]
                idle = b.get("extra_info", {}).get("idle_rounds")
                if idle:  # rounds the epoch worker flagged idle: the verdict on this row is withheld
                    out[f"study.{row}.{fw}.idle"] = len(idle)
                    out[f"study.{row}.{fw}.rounds"] = len(b["stats"].get("data") or []) or len(idle)
                ci = bootstrap(b["stats"].get("data"))
                if ci:
                    out[f"study.{row}.{fw}.lo"], out[f"study.{row}.{fw}.hi"] = ci
        top, bottom = (bench[fw.id] for fw in compared())
        if top and bottom:
            out[f"study.{row}.ratio"] = top["stats"]["median"] / bottom["stats"]["median"]
            ci = bootstrap(top["stats"].get("data"), bottom["stats"].get("data"))
            if ci:
                out[f"study.{row}.ratio.lo"], out[f"study.{row}.ratio.hi"] = ci
    mem = {fw.id: find("memory", fw.id) for fw in all_frameworks()}
    for fw, b in mem.items():
        if b:
            out[f"study.rss_gb.{fw}"] = b["extra_info"]["peak_rss_mb"] / 1024
    a, b_ = compared()
    if mem[a.id] and mem[b_.id]:
        out["study.rss_gb.ratio"] = out[f"study.rss_gb.{a.id}"] / out[f"study.rss_gb.{b_.id}"]
    for fw in mem:
        bf16, f32 = find("epoch", fw, "tuned-bf16"), find("epoch", fw, "tuned")
        if bf16 and f32 and f32["stats"]["median"] > 0:  # bf16 against float32, same run where both are
            out[f"study.bf16_speedup.{fw}"] = f32["stats"]["median"] / bf16["stats"]["median"]
        src = find("epoch", fw) or mem[fw]
        acc = (src or {}).get("extra_info", {}).get("test_acc")
        if acc is not None:
            out[f"study.acc.{fw}"] = 100 * acc
    return out


STUDY_ROWS = (  # (row key, label, unit, the study's published figure: (its key in the records, format, ratio?))
    ("acc", "test accuracy after 1 epoch", "%", ("acc", "{:.2f} % (5 ep.)", False)),
    ("epoch_s", "median seconds per epoch", "s", ("epoch_s", "{:.2f} s", True)),
    ("tuned_epoch_s", "median seconds per epoch, tuned mode", "s", None),
    ("bf16_epoch_s", "median seconds per epoch, tuned, bfloat16 mixed precision", "s", None),
    ("bf16_speedup", "bfloat16 speed-up (tuned float32 epoch ÷ bf16 epoch)", "×", None),
    ("rss_gb", "peak RSS (own process)", "GB", ("ram_gb", "{:.1f} GB", True)),
)


def published_cells(published) -> list[str]:
    """The study's figure of a STUDY_ROWS row for each framework it measured ("11.19 s", "7.67 s (ratio 1.46)":
    the ratio A / B on B's cell), "" where it published none."""
    studied = registry.studied()
    if published is None:
        return ["" for _ in studied]
    key, fmt, with_ratio = published
    values = [fw.study(key) for fw in studied]
    cells = [fmt.format(v) if v is not None else "" for v in values]
    if with_ratio and len(values) > 1 and values[0] and values[1]:
        cells[1] += f" (ratio {values[0] / values[1]:.2f})"
    return cells


# The headline figures a report answers first: (row key, what, the word for the better one: a ratio A / B above 1
# (TensorFlow / PyTorch) says B is it, below 1 says A is).
HEADLINES = (
    ("epoch_s", "epoch time, as written", "faster"),
    ("tuned_epoch_s", "epoch time, tuned", "faster"),
    ("bf16_epoch_s", "epoch time, tuned bfloat16", "faster"),
    ("rss_gb", "peak RSS", "smaller"),
)
UNITS = {"epoch_s": "s", "tuned_epoch_s": "s", "bf16_epoch_s": "s", "rss_gb": "GB", "acc": "%"}


def headline_verdicts(study: dict) -> list[dict]:
    """One answer per headline figure measured for both frameworks: {key, what, unit, verdict} with the study
    keys of its TF, PyTorch and ratio figures (`study.<key>.tf` ...), the verdict called only where the ratio's
    bootstrap interval excludes 1; accuracy is stated, with no verdict (one evaluation per framework)."""
    out = []
    a, b = compared()
    for key, what, word in HEADLINES:
        above, below = f"{b.name} {word}", f"{a.name} {word}"
        ratio = study.get(f"study.{key}.ratio")
        if ratio is None:
            continue
        est = Estimate(ratio, study.get(f"study.{key}.ratio.lo"), study.get(f"study.{key}.ratio.hi"), 0)
        flags = [f"{fw.name}: {study[f'study.{key}.{fw.id}.idle']} of {study[f'study.{key}.{fw.id}.rounds']} "
                 "rounds idle" for fw in compared() if f"study.{key}.{fw.id}.idle" in study]
        said = verdict(est, above, below, flags) if key != "rss_gb" else \
            (verdict(est, above, below) if est.lo is not None else "one sample per framework, no interval")
        out.append({"key": key, "what": what, "unit": UNITS[key], "verdict": said})
    if all(f"study.acc.{fw.id}" in study for fw in compared()):
        out.append({"key": "acc", "what": "test accuracy", "unit": "%",
                    "verdict": "one evaluation per framework, no interval"})
    return out


def regression_summary(comparisons) -> tuple[str, object | None, int]:
    """("none" / "N" / "not gated", the worst regressed Verdict or None, benchmarks gated)."""
    gated = [v for before, _, vs in comparisons if before is not None for v in vs]
    regressed = [v for v in gated if v.regressed]
    worst = max(regressed, key=lambda v: v.ratio, default=None)
    return ("not gated" if not gated else str(len(regressed)) if regressed else "none"), worst, len(gated)


def flagged_count(comparisons) -> int:
    """Gated benchmarks given no verdict because the suite flagged their figures (idle rounds)."""
    return sum(1 for before, _, vs in comparisons if before is not None for v in vs if v.flagged)


def _value(study: dict, key: str, unit: str) -> str:
    ci = f" [{study[key + '.lo']:.3g}, {study[key + '.hi']:.3g}]" if key + ".lo" in study else ""
    return f"{study[key]:.4g} {unit}{ci}" if unit else f"{study[key]:.3g}{ci}"


def answers_markdown(study: dict, comparisons) -> str:
    """The report's first lines: TF vs PyTorch per headline figure with its interval, then the regressions."""
    lines = []
    for h in headline_verdicts(study):
        k, unit = f"study.{h['key']}", h["unit"]
        ratio = f"; {ratio_label()} {_value(study, k + '.ratio', '')}" if k + ".ratio" in study else ""
        each = ", ".join(f"{fw.name} {_value(study, f'{k}.{fw.id}', unit)}" for fw in all_frameworks()
                         if f"{k}.{fw.id}" in study)
        lines.append(f"- **{h['what']}**: {each}{ratio}: {h['verdict']}")
    if not lines:
        a, b = compared()
        lines.append(f"- **{a.label} vs {b.name}**: no training or memory benchmark of both frameworks in these runs "
                     "(`pytest benchmarks -k \"epoch or memory\" --benchmark-autosave` adds them)")
    said, worst, n = regression_summary(comparisons)
    if said == "not gated":
        lines.append("- **regressions: not gated**: only one run of each machine, versions and env so far")
    elif worst is None:
        k = flagged_count(comparisons)
        lines.append(f"- **regressions: none** ({n} benchmarks gated" + (f"; {k} given no verdict: idle rounds "
                                                                          "flagged" if k else "")
                     + mde_span(comparisons) + ")")
    else:
        p = f", p (BH) {worst.p_adjusted:.2g}" if worst.p_adjusted is not None else ""
        lines.append(f"- **regressions: {said}** of {n} gated; worst: {worst.name}, {worst.ratio:.2f}x slower "
                     f"({worst.basis}{p})")
    return "\n".join(lines)


def study_table(runs) -> str:
    """The study's table (markdown) from the newest figure of each kind; intervals are bootstrap 95 %. Rows of
    what these runs did not measure are left out."""
    f = study_figures(runs)
    if not any(k.startswith(("study.epoch_s", "study.tuned", "study.bf16", "study.rss", "study.acc")) for k in f):
        return "No training or memory benchmark in these runs: the study's table has nothing to show."

    def cell(key, unit=""):
        if key not in f:
            return "not measured" if unit else "-"
        ci = f" [{f[key + '.lo']:.4g}, {f[key + '.hi']:.4g}]" if key + ".lo" in f else ""
        return f"{f[key]:.4g}{' ' + unit if unit else ''}{ci}"
    shown, studied = columns(f), registry.studied()
    head = [fw.name for fw in shown] + [ratio_label()] + [f"study: {fw.name}" for fw in studied]
    rows = ["| | " + " | ".join(head) + " |", "|---|" + "---|" * len(head)]
    for key, label, unit, published in STUDY_ROWS:
        if not any(f"study.{key}.{fw.id}" in f for fw in shown):
            continue
        ratio = cell(f"study.{key}.ratio") if key != "acc" else "-"
        rows.append(f"| {label} | " + " | ".join([*(cell(f"study.{key}.{fw.id}", unit) for fw in shown), ratio,
                                                  *published_cells(published)]) + " |")
    blank = [""] * len(studied)
    rows.append("| parameters | " + " | ".join([*(f"{total_params(CNN):,}" for _ in shown), "1.00", *blank]) + " |")
    installed = dict(runs[-1].info.frameworks)
    rows.append("| version | " + " | ".join([*(" / ".join(f"{lb} {installed.get(d) or '?'}" for d, lb
                                                           in registry.version_dists() if d in fw.distributions)
                                               for fw in shown), "", *blank]) + " |")
    return "\n".join(rows) + "\n\nIntervals: bootstrap 95 % of the median from the saved rounds (3 or more)."


def peak_table(run) -> str:
    peak = next((b for b in run.benchmarks if b.get("extra_info", {}).get("quantity") == "peak"), None)
    flop = peak and peak["extra_info"].get("flops")
    peak_gflops = flop / peak["stats"]["median"] / 1e9 if flop and peak["stats"]["median"] > 0 else None
    head = (f"Measured float32 2048³ matrix multiply in this run: **{peak_gflops:.0f} GFLOP/s**.\n\n" if peak_gflops
            else "No matmul peak in this run.\n\n")
    rows = ["| benchmark | mode | framework | device | median | GFLOP/s | % of peak |", "|---|---|---|---|---|---|---|"]
    for b in run.benchmarks:
        e = b.get("extra_info", {})
        timed = e.get("quantity") in ("epoch", "step", "latency", "throughput")
        if timed and e.get("flops") and b["stats"]["median"] > 0:
            g = e["flops"] / b["stats"]["median"] / 1e9
            pct = f"{100 * g / peak_gflops:.0f} %" if peak_gflops else "-"
            rows.append(f"| {e['quantity']} | {variant(e)} | {NAMES.get(e.get('framework'), e.get('framework'))} | "
                        f"{e.get('device', '-')} | {duration(b['stats']['median'])} | {g:.1f} | {pct} |")
    return head + "\n".join(rows)


def _peak_gflops(run) -> float | None:
    peak = next((b for b in run.benchmarks if b.get("extra_info", {}).get("quantity") == "peak"), None)
    flop = peak and peak["extra_info"].get("flops")
    return flop / peak["stats"]["median"] / 1e9 if flop and peak["stats"]["median"] > 0 else None


def inference_figures(run) -> list[dict]:
    """One row per way of running the trained CNN on the CPU: the in-memory models (as written, tuned) and every
    export format's runtime: median ms at batch 1 and at batch 1,024, and the batch-1,024 GFLOP/s as % of the
    run's matmul peak."""
    peak, rows = _peak_gflops(run), {}
    kinds = {"latency": "latency", "throughput": "throughput", "export-latency": "latency",
             "export-throughput": "throughput"}
    for b in run.benchmarks:
        e = b.get("extra_info", {})
        q = e.get("quantity")
        if q not in kinds or e.get("device", "cpu") != "cpu" or e.get("pair"):
            continue
        fw = NAMES.get(e.get("framework"), e.get("framework"))
        key = (fw, e["format"], e.get("runtime", "")) if q.startswith("export") else \
            (fw, f"in memory, {variant(e)}", "")
        row = rows.setdefault(key, {"framework": key[0], "how": key[1], "runtime": key[2]})
        row[f"{kinds[q]}_ms"] = 1e3 * b["stats"]["median"]
        if kinds[q] == "throughput" and e.get("flops") and peak:
            row["pct_of_peak"] = 100 * e["flops"] / b["stats"]["median"] / 1e9 / peak
    return sorted(rows.values(), key=lambda r: (r["framework"], not r["how"].startswith("in memory"), r["how"]))


def inference_table(run) -> str:
    rows = inference_figures(run)
    if not rows:
        return "No inference benchmark in this run."
    out = ["| framework | how | runtime | batch 1 (ms) | batch 1,024 (ms) | % of matmul peak |",
           "|---|---|---|---|---|---|"]
    fmt = lambda v, f: f.format(v) if v is not None else "-"  # noqa: E731
    for r in rows:
        out.append(f"| {r['framework']} | {r['how']} | {r['runtime'] or '-'} | {fmt(r.get('latency_ms'), '{:.3f}')} | "
                   f"{fmt(r.get('throughput_ms'), '{:.1f}')} | {fmt(r.get('pct_of_peak'), '{:.0f} %')} |")
    return "\n".join(out)


def history_series(runs) -> dict:
    """{plot title: {series label: [(datetime, median, low, high)]}}: one plot per quantity x framework x device
    x mode, one series per version pair (and machine, where runs come from several); low-high is the run's
    min-max over its rounds (peak RSS: one sample, no spread)."""
    machines = {r.machine_key for r in runs}
    plots: dict = {}
    for run in runs:
        label = run.pair_label + (f" @ {run.machine_key[0]}" if len(machines) > 1 else "")
        for b in run.benchmarks:
            e = b["extra_info"]
            q = e.get("quantity")
            if not q:
                continue
            title = f"{q}: {NAMES.get(e.get('framework'), e.get('framework') or '')} {e.get('device', '')}".strip()
            if variant(e) != "as-written":
                title += f" ({variant(e)})"
            if q == "memory":
                v = e["peak_rss_mb"]
                point = (run.datetime, v, v, v)
            else:
                st = b["stats"]
                data = st.get("data") or [st.get("min", st["median"]), st.get("max", st["median"])]
                point = (run.datetime, st["median"], min(data), max(data))
            plots.setdefault(title, {}).setdefault(label, []).append(point)
    return dict(sorted(plots.items()))


def _kind(value) -> str:
    return "nothing" if value is None else type(value).__name__


def _figure_rows() -> list[tuple]:
    """The conformance figures the version table shows: (row label, figure name, cell from the figure, what the
    figure must be). `read_measurements` checks each file's figures with the same cell functions, so a figure
    the table cannot show is left out with a warning, never a traceback."""
    rows = [("forward max abs diff, spec tf->torch", "pair spec forward max |Δ| tf->torch",
             lambda f: f"{max(f.values()):.2g}", "an object of numbers, one per layer"),
            ("gradient max rel. error, spec", "pair spec gradient relative error",
             lambda f: f"{max(v for n, v in f.items() if not n.startswith('loss')):.2g}",
             "an object of numbers, one per weight")]
    for backend in frameworks.keras_backends():  # a row per Keras backend and reference, in every env that ran it
        for against in ("vs Keras on TensorFlow", "vs PyTorch"):
            rows.append((f"forward max abs diff, spec, {backend.name} {against}",
                         f"keras backend {backend.id} pair spec forward max |Δ|",
                         lambda f, a=against: f"{f[a]:.2g}", f"an object with a number under {against!r}"))
    for fw in frameworks.ALL:
        rows.append((f"MNIST 1 epoch {NAMES[fw]}", f"mnist 1 epoch {fw}", lambda f: f"{100 * f['test_acc']:.2f} %",
                     "an object with test_acc, a number"))
    return rows


def _readable(name: str, value, rows) -> str | None:
    """None where the tables can read this figure, else what it must be."""
    if name.startswith("defaults "):
        ok = len(name.split()) == 2 and isinstance(value, dict)
        return None if ok else "an object of defaults under `defaults <framework>`"
    for _, figure, cell, expected in rows:
        if figure == name:
            try:
                cell(value)
            except (TypeError, ValueError, KeyError, AttributeError, IndexError):
                return expected
    return None


def read_measurements(folder: Path) -> tuple[dict, list[str]]:
    """({env: {"versions": ..., "figures": {...}}} from reports/measurements-<env>-<worker>.json (workers merged),
    [one warning per file or figure the tables cannot use, naming the file and the field]). Each file is checked
    first: env a string, versions an object of version strings, figures an object; each figure the tables read
    must be readable by them."""
    out: dict = {}
    warnings: list[str] = []
    rows = _figure_rows()
    for f in sorted(Path(folder).glob("measurements-*.json")):
        try:
            doc = json.loads(f.read_text())
        except (OSError, ValueError, RecursionError) as exc:
            warnings.append(f"skipping {f}: field (whole file): not readable JSON ({type(exc).__name__}: {exc})")
            continue
        if not isinstance(doc, dict):
            warnings.append(f"skipping {f}: field (top level): expected an object, got {_kind(doc)}")
            continue
        problem = next(((key, what) for key, kind, what in (
            ("env", str, "a string"), ("versions", dict, "an object of version strings"),
            ("figures", dict, "an object")) if not isinstance(doc.get(key), kind)), None)
        if problem is None:
            bad = [k for k, v in doc["versions"].items() if v is not None and not isinstance(v, str)]
            problem = (f"versions.{bad[0]}", "a version string or null") if bad else None
        if problem is not None:
            key, what = problem
            value = doc
            for part in key.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            warnings.append(f"skipping {f}: field {key}: expected {what}, got {_kind(value)}")
            continue
        figures = {}
        for name, value in doc["figures"].items():
            expected = _readable(name, value, rows)
            if expected is None:
                figures[name] = value
            else:
                warnings.append(f"{f}: field figures.{json.dumps(name, ensure_ascii=False)}: expected {expected}, "
                                f"got {_kind(value)} {json.dumps(value, default=str)[:40]}: that figure left out")
        entry = out.setdefault(doc["env"], {"versions": doc["versions"], "figures": {}})
        entry["figures"].update(figures)
    return out, warnings


def load_measurements(folder: Path) -> dict:
    """{env: {"versions": ..., "figures": {...}}}: what read_measurements keeps."""
    return read_measurements(folder)[0]


def _defaults(figures: dict) -> dict:
    return {k.split()[1]: v for k, v in figures.items() if k.startswith("defaults ")}


def measurements_section(folder: Path) -> str:
    """Figures the conformance tests measured in the newest 'main' run (else any env)."""
    envs = load_measurements(folder)
    if not envs:
        return "\n## Conformance figures\n\nNo `reports/measurements-*.json`: run the tests to add them."
    env = "main" if "main" in envs else sorted(envs)[-1]
    figures = envs[env]["figures"]
    lines = [f"\n## Conformance figures (test run: {env})\n"]
    lines += [f"- **{k}**: {json.dumps(v, default=float)}" for k, v in figures.items() if not k.startswith("defaults ")]
    from tfpt.checks.defaults import KEYS
    d = _defaults(figures)
    if d:
        order = [f for f in frameworks.ALL if f in d]
        lines += ["\n### Defaults audit\n", "| default | " + " | ".join(order) + " |", "|---|" + "---|" * len(order)]
        lines += [f"| {k} | " + " | ".join(str(d[f].get(k)) for f in order) + " |" for k in KEYS]
    return "\n".join(lines)


def _label(versions: dict, env: str | None) -> str:
    return version_label(versions) + (f" ({env})" if env else "")


def version_table(runs, folder: Path) -> str:
    """Each metric per framework-version combination: benchmarks from saved runs (newest per combination),
    conformance figures and the defaults audit from each env's measurements; changed defaults listed."""
    cols: dict = {}
    for run in runs:
        key = run.versions
        cols.setdefault(key, {"env": run.info.tox_env, "bench": {}, "fig": {}})
        for b in run.benchmarks:
            e = b.get("extra_info", {})
            if e.get("quantity") == "peak":  # the run's float32 matmul: each env is timed alone, minutes apart
                cols[key]["bench"][("peak", "machine")] = b["stats"]["median"]
            elif (e.get("quantity") and e.get("framework") in NAMES and e.get("device") == "cpu"
                    and variant(e) == "as-written"):
                value = e["peak_rss_mb"] if e["quantity"] == "memory" else b["stats"]["median"]
                cols[key]["bench"][(e["quantity"], e["framework"])] = value
    dists = [d for d, _ in registry.version_dists()]
    for env, doc in load_measurements(folder).items():
        v = doc["versions"]
        key = tuple(v.get(d) for d in dists)
        col = cols.setdefault(key, {"env": env if env != "main" else None, "bench": {}, "fig": {}})
        col["fig"] = doc["figures"]
    if not cols:
        return "No runs."
    keys = sorted(cols, key=lambda k: tuple(map(str, k)))
    head = "| metric | " + " | ".join(_label(dict(zip(dists, k, strict=True)), cols[k]["env"]) for k in keys) + " |"
    rows = [head, "|---|" + "---|" * len(keys)]
    peaks = [cols[k]["bench"].get(("peak", "machine")) for k in keys]
    if any(v is not None for v in peaks):
        rows.append("| float32 2048³ matmul, the run's yardstick (ms) | "
                    + " | ".join(f"{v * 1e3:.3g}" if v is not None else "-" for v in peaks) + " |")
    units = {"epoch": ("s", 1), "step": ("ms", 1e3), "latency": ("ms", 1e3), "throughput": ("ms", 1e3),
             "memory": ("MiB", 1)}
    for q, (unit, scale) in units.items():
        for fw in frameworks.ALL:
            vals = [cols[k]["bench"].get((q, fw)) for k in keys]
            if any(v is not None for v in vals):
                cells = [f"{v * scale:.{4 if unit == 'MiB' else 3}g}" if v is not None else "-" for v in vals]
                rows.append(f"| {q} {NAMES[fw]} ({unit}) | " + " | ".join(cells) + " |")

    def fig(k, name, pick):
        f = cols[k]["fig"].get(name)
        return pick(f) if f is not None else "-"
    for label, name, cell, _ in _figure_rows():
        rows.append(f"| {label} | " + " | ".join(fig(k, name, cell) for k in keys) + " |")
    rows = [r for r in rows if set(r.strip("|").split("|")[1:]) != {" - "}]  # not measured in any run: left out
    from tfpt.checks.defaults import KEYS
    for fw in frameworks.ALL:
        per = [_defaults(cols[k]["fig"]).get(fw) for k in keys]
        known = [p for p in per if p]
        for name in KEYS:
            values = {str(p.get(name)) for p in known}
            if len(values) > 1:
                rows.append(f"| default changed: {NAMES[fw]} {name} | "
                            + " | ".join(str(p.get(name)) if p else "-" for p in per) + " |")
    return "\n".join(rows)


ONE_PROCESS = "one process: no detectable-change figure"
# Said above every gate table: a verdict's "judged on" column names which of the two it is.
BASES_NOTE = ("Two bases, per verdict in the \"judged on\" column: a plain `pytest --benchmark-autosave` run is one "
              "process, a sample of one, so its rounds are compared (Mann-Whitney U) against the wider round-level "
              "factors (\"rounds of one process, factor 60 %\"); runs saved by `tfpt-bench --processes N` are "
              "compared process by process (Welch's t on the process medians) against factors measured on unchanged "
              "re-runs by process (\"3 and 3 processes, factor 10 %\").")


def could_see(v) -> str:
    """The smallest slowdown the gate could call for this verdict, in words (Verdict.mde)."""
    if v.mde is not None:
        return f"≥ {100 * v.mde:.0f} %"
    return "-" if v.basis == "peak RSS" or v.p_value is None else ONE_PROCESS


def mde_span(comparisons) -> str:
    """"; could see ≥ 12 % (name) to ≥ 35 % (name)" over the gated verdicts that have an MDE, else ""."""
    seen = sorted((v.mde, v.name) for b, _, vs in comparisons if b is not None for v in vs if v.mde is not None)
    if not seen:
        return ""
    (lo, lo_name), (hi, hi_name) = seen[0], seen[-1]
    return f"; could see slowdowns ≥ {100 * lo:.0f} % ({lo_name})" + \
        (f" to ≥ {100 * hi:.0f} % ({hi_name})" if len(seen) > 1 else "")


def gate_markdown(comparisons, factor, alpha, rss_bound) -> list[str]:
    """The gate's section: one table per compared key, times in the unit their size suits."""
    limit = f"{100 * factor:.0f} %" if factor is not None else default_factors()
    parts = [f"\n## Regressions (slower by > {limit} in seconds and ÷ matmul, Mann-Whitney U p < {alpha} "
             f"on both after Benjamini-Hochberg over all gated benchmarks; peak RSS: > +{100 * rss_bound:.0f} %)\n",
             BASES_NOTE + "\n"]
    for before, after, verdicts in comparisons:
        if before is None:
            parts.append(f"{after.label}: only one run of this machine, versions and env: nothing to compare yet.\n")
            continue
        parts.append(f"### {before.path.stem} -> {after.label}\n")
        parts.append("| benchmark | judged on | gated on | median before | median after | ratio | ratio (s) | p "
                     "| p (BH) | could see | verdict |\n|---|---|---|---|---|---|---|---|---|---|---|")
        for v in verdicts:
            show = (lambda x: f"{x:.4g} MiB") if v.basis == "peak RSS" else duration
            verdict_ = (f"no verdict: {v.flagged}" if v.flagged else "**REGRESSION**" if v.regressed else "ok") \
                + (f" ({v.note})" if v.note else "")
            p = f"{v.p_value:.3g}" if v.p_value is not None else "-"
            pa = f"{v.p_adjusted:.3g}" if v.p_adjusted is not None else "-"
            rs = f"{v.ratio_s:.3f}" if v.ratio_s is not None else "-"
            parts.append(f"| {v.name} | {v.judged_by or '-'} | {v.basis} | {show(v.before)} | {show(v.after)} "
                         f"| {v.ratio:.3f} | {rs} | {p} | {pa} | {could_see(v)} | {verdict_} |")
        parts.append("")
    return parts

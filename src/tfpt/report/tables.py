"""The report's tables and plots, from runs loaded by tfpt.report.storage."""
from __future__ import annotations

import json
from pathlib import Path

from models.spec import CNN, total_params

# The study's published figures; the epoch time and RAM are from the paper it cites, on that paper's machine.
STUDY = {"tf": {"acc": 99.14, "epoch_s": 11.19, "ram_gb": 1.7}, "torch": {"acc": 98.95, "epoch_s": 7.67, "ram_gb": 3.5}}
NAMES = {"tf": "TensorFlow", "torch": "PyTorch"}


def _find(runs, quantity, fw, device="cpu", mode="as-written"):
    """The newest saved benchmark of that quantity, framework, device and mode (a run may hold a subset)."""
    for run in reversed(runs):
        for b in run.benchmarks:
            e = b.get("extra_info", {})
            if (e.get("quantity") == quantity and e.get("framework") == fw and e.get("device") == device
                    and e.get("mode", "as-written") == mode):
                return b
    return None


def _ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


def study_table(runs) -> str:
    """The study's table from the newest figure of each kind across `runs` (oldest first)."""
    run = runs[-1]
    rows = ["| | TensorFlow | PyTorch | TF / PyTorch | study: TF | study: PyTorch |", "|---|---|---|---|---|---|"]
    epoch = {fw: _find(runs, "epoch", fw) for fw in ("tf", "torch")}
    mem = {fw: _find(runs, "memory", fw) for fw in ("tf", "torch")}
    acc = {fw: (epoch[fw] or mem[fw] or {}).get("extra_info", {}).get("test_acc") for fw in ("tf", "torch")}
    secs = {fw: epoch[fw]["stats"]["mean"] if epoch[fw] else None for fw in ("tf", "torch")}
    tuned = {fw: _find(runs, "epoch", fw, mode="tuned") for fw in ("tf", "torch")}
    tsecs = {fw: tuned[fw]["stats"]["mean"] if tuned[fw] else None for fw in ("tf", "torch")}
    rss = {fw: mem[fw]["extra_info"]["peak_rss_mb"] / 1024 if mem[fw] else None for fw in ("tf", "torch")}

    def cell(v, fmt):
        return fmt.format(v) if v is not None else "not measured"
    rows.append(f"| test accuracy after 1 epoch | {cell(acc['tf'] and 100 * acc['tf'], '{:.2f} %')} | "
                f"{cell(acc['torch'] and 100 * acc['torch'], '{:.2f} %')} | - | 99.14 % (5 ep.) | 98.95 % (5 ep.) |")
    rows.append(f"| seconds per epoch | {cell(secs['tf'], '{:.1f} s')} | {cell(secs['torch'], '{:.1f} s')} | "
                f"{_ratio(secs['tf'], secs['torch'])} | 11.19 s | 7.67 s (ratio 1.46) |")
    rows.append(f"| seconds per epoch, tuned mode | {cell(tsecs['tf'], '{:.1f} s')} | {cell(tsecs['torch'], '{:.1f} s')} | "
                f"{_ratio(tsecs['tf'], tsecs['torch'])} | | |")
    rows.append(f"| peak RSS (own process) | {cell(rss['tf'], '{:.2f} GB')} | {cell(rss['torch'], '{:.2f} GB')} | "
                f"{_ratio(rss['tf'], rss['torch'])} | 1.7 GB | 3.5 GB (ratio 0.49) |")
    rows.append(f"| parameters | {total_params(CNN):,} | {total_params(CNN):,} | 1.00 | | |")
    fw = run.machine.get("frameworks", {})
    rows.append(f"| version | TF {fw.get('tensorflow', '?')} / Keras {fw.get('keras', '?')} | torch {fw.get('torch', '?')} | | | |")
    return "\n".join(rows)


def peak_table(run) -> str:
    peak = next((b for b in run.benchmarks if b.get("extra_info", {}).get("quantity") == "peak"), None)
    peak_gflops = peak["extra_info"]["flops"] / peak["stats"]["median"] / 1e9 if peak else None
    head = (f"Measured float32 2048³ matrix multiply in this run: **{peak_gflops:.0f} GFLOP/s**.\n\n" if peak_gflops
            else "No matmul peak in this run.\n\n")
    rows = ["| benchmark | mode | framework | device | median | GFLOP/s | % of peak |", "|---|---|---|---|---|---|---|"]
    for b in run.benchmarks:
        e = b.get("extra_info", {})
        if e.get("quantity") in ("epoch", "step", "latency", "throughput") and e.get("flops"):
            g = e["flops"] / b["stats"]["median"] / 1e9
            pct = f"{100 * g / peak_gflops:.0f} %" if peak_gflops else "-"
            rows.append(f"| {e['quantity']} | {e.get('mode', 'as-written')} | {NAMES.get(e['framework'], e['framework'])} | "
                        f"{e['device']} | {b['stats']['median']:.4g} s | {g:.1f} | {pct} |")
    return head + "\n".join(rows)


def history_plots(runs, out: Path) -> dict:
    """One PNG per quantity: median seconds per (framework, device) across runs."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict = {}
    for i, run in enumerate(runs):
        for b in run.benchmarks:
            e = b.get("extra_info", {})
            q = e.get("quantity")
            if not q:
                continue
            key = f"{NAMES.get(e.get('framework'), e.get('framework'))} {e.get('device', '')}".strip()
            if e.get("mode", "as-written") != "as-written":
                key += f" {e['mode']}"
            value = e["peak_rss_mb"] if q == "memory" else b["stats"]["median"]
            series.setdefault(q, {}).setdefault(key, []).append((i, value))
    plots = {}
    for q, lines in series.items():
        fig, ax = plt.subplots(figsize=(6, 3.2))
        for key, pts in sorted(lines.items()):
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=key)
        ax.set_title(f"{q} per saved run")
        ax.set_xlabel("run (oldest -> newest)")
        ax.set_ylabel("peak RSS (MiB)" if q == "memory" else "median seconds")
        ax.set_xticks(range(len(runs)))
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = out / f"history-{q}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        plots[q] = path
    return plots


def load_measurements(folder: Path) -> dict:
    """{env: {"versions": ..., "figures": {...}}} from reports/measurements-<env>-<worker>.json (workers merged)."""
    out: dict = {}
    for f in sorted(Path(folder).glob("measurements-*.json")):
        try:
            doc = json.loads(f.read_text())
            entry = out.setdefault(doc["env"], {"versions": doc["versions"], "figures": {}})
            entry["figures"].update(doc["figures"])
        except (ValueError, KeyError, TypeError):
            continue
    return out


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
    from tfpt.adapters.defaults import KEYS
    d = _defaults(figures)
    if d:
        order = [f for f in ("tf", "torch") if f in d]
        lines += ["\n### Defaults audit\n", "| default | " + " | ".join(order) + " |", "|---|" + "---|" * len(order)]
        lines += [f"| {k} | " + " | ".join(str(d[f].get(k)) for f in order) + " |" for k in KEYS]
    return "\n".join(lines)


def _label(versions: dict, env: str | None) -> str:
    return f"TF {versions.get('tensorflow', '-')} / torch {versions.get('torch', '-')}" + (f" ({env})" if env else "")


def version_table(runs, folder: Path) -> str:
    """Each metric per framework-version combination: benchmarks from saved runs (newest per combination),
    conformance figures and the defaults audit from each env's measurements; changed defaults listed."""
    cols: dict = {}
    for run in runs:
        v = run.machine.get("frameworks", {})
        key = (v.get("tensorflow"), v.get("torch"))
        cols.setdefault(key, {"env": run.machine.get("tox_env"), "bench": {}, "fig": {}})
        for b in run.benchmarks:
            e = b.get("extra_info", {})
            if e.get("quantity") and e.get("framework") in NAMES and e.get("device") == "cpu":
                value = e["peak_rss_mb"] if e["quantity"] == "memory" else b["stats"]["median"]
                cols[key]["bench"][(e["quantity"], e["framework"])] = value
    for env, doc in load_measurements(folder).items():
        v = doc["versions"]
        key = (v.get("tensorflow"), v.get("torch"))
        cols.setdefault(key, {"env": env if env != "main" else None, "bench": {}, "fig": {}})["fig"] = doc["figures"]
    if not cols:
        return "No runs."
    keys = sorted(cols, key=lambda k: (str(k[0]), str(k[1])))
    head = "| metric | " + " | ".join(_label({"tensorflow": k[0], "torch": k[1]}, cols[k]["env"]) for k in keys) + " |"
    rows = [head, "|---|" + "---|" * len(keys)]
    units = {"epoch": ("s", 1), "step": ("ms", 1e3), "latency": ("ms", 1e3), "throughput": ("ms", 1e3), "memory": ("MiB", 1)}
    for q, (unit, scale) in units.items():
        for fw in ("tf", "torch"):
            vals = [cols[k]["bench"].get((q, fw)) for k in keys]
            if any(v is not None for v in vals):
                rows.append(f"| {q} {NAMES[fw]} ({unit}) | " + " | ".join(f"{v * scale:.3g}" if v is not None else "-" for v in vals) + " |")

    def fig(k, name, pick):
        f = cols[k]["fig"].get(name)
        return pick(f) if f is not None else "-"
    rows.append("| forward max abs diff, spec tf->torch | " + " | ".join(
        fig(k, "forward max |Δ| spec tf->torch", lambda f: f"{max(f.values()):.2g}") for k in keys) + " |")
    rows.append("| gradient max rel. error, spec | " + " | ".join(
        fig(k, "gradient relative error spec", lambda f: f"{max(v for n, v in f.items() if not n.startswith('loss')):.2g}") for k in keys) + " |")
    for fw in ("tf", "torch"):
        rows.append(f"| MNIST 1 epoch {NAMES[fw]} | " + " | ".join(
            fig(k, f"mnist 1 epoch {fw}", lambda f: f"{100 * f['test_acc']:.2f} %") for k in keys) + " |")
    from tfpt.adapters.defaults import KEYS
    for fw in ("tf", "torch"):
        per = [_defaults(cols[k]["fig"]).get(fw) for k in keys]
        known = [p for p in per if p]
        for name in KEYS:
            values = {str(p.get(name)) for p in known}
            if len(values) > 1:
                rows.append(f"| default changed: {NAMES[fw]} {name} | " + " | ".join(str(p.get(name)) if p else "-" for p in per) + " |")
    return "\n".join(rows)

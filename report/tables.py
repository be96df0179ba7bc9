"""The report's tables and plots, from runs loaded by report.storage."""
from __future__ import annotations

import json
from pathlib import Path

from models.spec import CNN, total_params

# The study's published figures; the epoch time and RAM are from the paper it cites, on that paper's machine.
STUDY = {"tf": {"acc": 99.14, "epoch_s": 11.19, "ram_gb": 1.7}, "torch": {"acc": 98.95, "epoch_s": 7.67, "ram_gb": 3.5}}
NAMES = {"tf": "TensorFlow", "torch": "PyTorch"}


def _find(runs, quantity, fw, device="cpu"):
    """The newest saved benchmark of that quantity, framework and device (a run may hold a subset)."""
    for run in reversed(runs):
        for b in run.benchmarks:
            e = b.get("extra_info", {})
            if e.get("quantity") == quantity and e.get("framework") == fw and e.get("device") == device:
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
    rss = {fw: mem[fw]["extra_info"]["peak_rss_mb"] / 1024 if mem[fw] else None for fw in ("tf", "torch")}

    def cell(v, fmt):
        return fmt.format(v) if v is not None else "not measured"
    rows.append(f"| test accuracy after 1 epoch | {cell(acc['tf'] and 100 * acc['tf'], '{:.2f} %')} | "
                f"{cell(acc['torch'] and 100 * acc['torch'], '{:.2f} %')} | - | 99.14 % (5 ep.) | 98.95 % (5 ep.) |")
    rows.append(f"| seconds per epoch | {cell(secs['tf'], '{:.1f} s')} | {cell(secs['torch'], '{:.1f} s')} | "
                f"{_ratio(secs['tf'], secs['torch'])} | 11.19 s | 7.67 s (ratio 1.46) |")
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
    rows = ["| benchmark | framework | device | median | GFLOP/s | % of peak |", "|---|---|---|---|---|---|"]
    for b in run.benchmarks:
        e = b.get("extra_info", {})
        if e.get("quantity") in ("epoch", "step", "latency", "throughput") and e.get("flops"):
            g = e["flops"] / b["stats"]["median"] / 1e9
            pct = f"{100 * g / peak_gflops:.0f} %" if peak_gflops else "-"
            rows.append(f"| {e['quantity']} | {NAMES.get(e['framework'], e['framework'])} | {e['device']} | "
                        f"{b['stats']['median']:.4g} s | {g:.1f} | {pct} |")
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


def measurements_section(folder: Path) -> str:
    """Figures the conformance tests measured (reports/measurements-*.json), if a test run left them."""
    files = sorted(Path(folder).glob("measurements-*.json"))
    if not files:
        return "\n## Conformance figures\n\nNo `reports/measurements-*.json`: run the tests to add them."
    merged = {}
    for f in files:
        try:
            merged.update(json.loads(f.read_text()))
        except ValueError:
            continue
    lines = ["\n## Conformance figures (from the last test run)\n"]
    for key, value in merged.items():
        if key.startswith("defaults "):
            continue
        lines.append(f"- **{key}**: {json.dumps(value, default=float)}")
    try:
        from fixtures.defaults import KEYS
        fws = {k.split()[1]: (k.split()[2], v) for k, v in merged.items() if k.startswith("defaults ")}
        if fws:
            order = [f for f in ("tf", "torch") if f in fws]
            lines += ["\n### Defaults audit\n", "| default | " + " | ".join(f"{f} {fws[f][0]}" for f in order) + " |",
                      "|---|" + "---|" * len(order)]
            lines += [f"| {k} | " + " | ".join(str(fws[f][1].get(k)) for f in order) + " |" for k in KEYS]
    except ImportError:
        pass
    return "\n".join(lines)

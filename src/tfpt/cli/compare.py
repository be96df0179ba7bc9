"""The study's comparison: each framework trains the spec CNN with the study's settings in its own process,
then one side-by-side table: test accuracy, seconds per epoch, peak RSS, parameters, time to accuracy, versions.

    python -m tfpt.cli.compare [--dataset mnist|fashion] [--epochs 1] [--frameworks tf,torch] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tfpt.data import datasets
from tfpt import frameworks
from tfpt.procs import child_env

STUDY = {"tf": {"test_acc": 0.9914}, "torch": {"test_acc": 0.9895}}  # the study's published 5-epoch figures


def run_worker(fw: str, args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "tfpt.training.worker", "--framework", fw, "--dataset", args.dataset,
               "--epochs", str(args.epochs), "--seed", str(args.seed), "--order", args.order,
               "--target", str(args.target), "--mode", args.mode, "--out", str(out)]
        if args.eval_every:
            cmd += ["--eval-every", str(args.eval_every)]
        print(f"== {fw}: training {args.epochs} epoch(s) of {args.dataset} in its own process", file=sys.stderr, flush=True)
        proc = subprocess.run(cmd, env=child_env())
        if proc.returncode != 0 or not out.is_file():
            raise SystemExit(f"the {fw} worker failed (exit {proc.returncode}); its messages are above")
        return json.loads(out.read_text())


def table(results: dict) -> str:
    fws = list(results)
    def row(label, fn):
        return f"| {label} | " + " | ".join(fn(results[f]) for f in fws) + " |"
    names = {"tf": "TensorFlow", "torch": "PyTorch"}
    last = {f: results[f]["epochs"][-1] for f in fws}
    lines = [
        "| | " + " | ".join(names[f] for f in fws) + " |",
        "|---|" + "---|" * len(fws),
        row(f"test accuracy after {len(results[fws[0]]['epochs'])} epoch(s)", lambda r: f"{100 * r['epochs'][-1]['test_acc']:.2f} %"),
        row("seconds per epoch (training; mean)", lambda r: f"{sum(e['seconds'] for e in r['epochs']) / len(r['epochs']):.1f} s"),
        row("seconds per epoch, each", lambda r: " / ".join(f"{e['seconds']:.1f}" for e in r["epochs"])),
        row("evaluation of 10,000 test images", lambda r: f"{r['epochs'][-1]['eval_seconds']:.1f} s"),
        row(f"time to {100 * results[fws[0]]['target']:.1f} % test accuracy",
            lambda r: f"{r['time_to_accuracy']:.1f} s" if r["time_to_accuracy"] is not None else "not reached"),
        row("final training loss", lambda r: f"{r['epochs'][-1]['loss']:.4f}"),
        row("peak RSS of the process", lambda r: f"{r['peak_rss_mb']:.0f} MB"),
        row("parameters", lambda r: f"{r['params']:,}"),
        row("version", lambda r: (f"TF {r['versions'].get('tensorflow')} / Keras {r['versions'].get('keras')}"
                                  if r["framework"] == "tf" else f"torch {r['versions'].get('torch')}")),
    ]
    if all(f in STUDY for f in fws):
        lines.append(row("the study (5 epochs, its machine)", lambda r: f"{100 * STUDY[r['framework']]['test_acc']:.2f} %"))
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=sorted(datasets.INFO), default="mnist")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--frameworks", default="tf,torch", help="comma-separated: tf, torch")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--order", choices=("native", "shared"), default="native",
                   help="native: each framework shuffles as the study did; shared: both see one seeded order")
    p.add_argument("--target", type=float, default=0.99, help="test accuracy for time-to-accuracy (default 0.99)")
    p.add_argument("--eval-every", type=int, default=None, help="also evaluate every N steps (time-to-accuracy)")
    p.add_argument("--mode", choices=("as-written", "tuned"), default="as-written",
                   help="as-written: the study's code paths; tuned: same math, faster feeding (see README)")
    p.add_argument("--json", type=Path, default=None, help="also write all results as JSON here")
    args = p.parse_args(argv)
    fws = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    unknown = [f for f in fws if f not in frameworks.FRAMEWORKS]
    if unknown or not fws:
        p.error(f"--frameworks takes tf and/or torch, got {args.frameworks!r}")
    missing = [f for f in fws if not frameworks.installed(f)]
    if missing:
        p.error("; ".join(frameworks.missing_reason(f) for f in missing))
    try:
        datasets.load(args.dataset)  # verify (and cache) once, before any worker starts
    except datasets.DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results = {fw: run_worker(fw, args) for fw in fws}
    print(f"\nThe study's comparison on {args.dataset}, batch 32, Adam defaults, seed {args.seed}, "
          f"order {args.order}, mode {args.mode}; each framework in its own process:\n")
    print(table(results))
    if args.json:
        datasets.atomic_write(args.json, json.dumps(results, indent=1).encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Measure each tuning option on its own, each configuration in a fresh worker process, full MNIST epochs:
the evidence behind the TUNED tables of runners/torch_train.py and runners/keras_train.py.

    python -m tfpt.cli.tune [--epochs 2] [--frameworks tf,torch]

Prints per configuration the seconds of each epoch (the first includes one-time tracing/compilation), the
achieved GFLOP/s of the last epoch and its % of a float32 matmul peak measured in this process just before.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tfpt.study.spec import CNN, train_flops_per_image
from tfpt.procs import child_env
from tfpt.cli.args import framework_list, int_at_least  # noqa: F401
from tfpt.cli.exitcodes import BAD_INPUT, OK, RUNTIME, USAGE, Formatter, Parser, epilog  # noqa: F401

CANDIDATES = {
    "torch": {
        "as-written (DataLoader)": {"loader": "dataloader"},
        "preloaded batches": {"loader": "preloaded"},
        "preloaded + channels_last": {"loader": "preloaded", "channels_last": True},
        "preloaded + torch.compile": {"loader": "preloaded", "compile": True},
        "DataLoader + channels_last": {"loader": "dataloader", "channels_last": True},
    },
    "tf": {
        "as-written (fit on numpy)": {},
        "tf.data + prefetch": {"data": "tf.data"},
        "jit_compile (XLA)": {"jit_compile": True},
        "steps_per_execution 50": {"steps_per_execution": 50},
        "XLA + steps_per_execution 50": {"jit_compile": True, "steps_per_execution": 50},
        "tf.data + steps_per_execution 50": {"data": "tf.data", "steps_per_execution": 50},
    },
}


def matmul_gflops(reps: int = 10) -> float:
    """The same float32 2048^3 multiply the benchmarks' `peak` group times (torch if installed, else numpy)."""
    from tfpt.adapters.workloads import matmul_peak
    body, flop = matmul_peak()
    body()
    t0 = time.perf_counter()
    for _ in range(reps):
        body()
    return flop * reps / (time.perf_counter() - t0) / 1e9


def measure(fw: str, options: dict, epochs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        cmd = [sys.executable, "-m", "tfpt.training.worker", "--framework", fw, "--epochs", str(epochs), "--no-eval",
               "--options", json.dumps(options), "--out", str(out)]
        proc = subprocess.run(cmd, env=child_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
        return json.loads(out.read_text())


def main(argv=None) -> int:
    p = Parser(prog="python -m tfpt.cli.tune", description=__doc__, formatter_class=Formatter,
               epilog=epilog(OK, USAGE, RUNTIME))
    p.add_argument("--epochs", type=int_at_least(1), default=2, help="epochs per configuration")
    p.add_argument("--frameworks", type=framework_list, default="torch,tf", help="tf and/or torch")
    p.add_argument("--only", default=None, help="comma-separated configuration labels to run (default: all)")
    a = p.parse_args(argv)
    peak = matmul_gflops()
    flop = train_flops_per_image(CNN) * 60000
    print(f"float32 2048^3 matmul: {peak:.0f} GFLOP/s; one epoch = {flop / 1e12:.2f} TFLOP")
    print("| framework | configuration | seconds per epoch | GFLOP/s (last) | % of peak |\n|---|---|---|---|---|")
    for fw in a.frameworks:
        for label, options in CANDIDATES[fw].items():
            if a.only and label not in a.only.split(","):
                continue
            r = measure(fw, options, a.epochs)
            if "error" in r:
                print(f"| {fw} | {label} | failed: {r['error'][:120]} | | |", flush=True)
                continue
            secs = [e["seconds"] for e in r["epochs"]]
            g = flop / secs[-1] / 1e9
            print(f"| {fw} | {label} | {' / '.join(f'{s:.1f}' for s in secs)} | {g:.0f} | {100 * g / peak:.0f} % |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

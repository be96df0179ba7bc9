"""Measure each tuning option on its own, each configuration in a fresh worker process, full MNIST epochs:
the evidence behind the TUNED tables of the two trainers (tfpt.frameworks.torch.train, tfpt.frameworks.keras.train).

    python -m tfpt.cli.tune [--epochs 2] [--frameworks tf,torch]
    python -m tfpt.cli.tune --inference [--rounds 7]      # the inference candidates (tfpt.frameworks.<folder>.bench)

Prints per configuration the seconds of each epoch (the first includes one-time tracing/compilation), the
achieved GFLOP/s of the last epoch and its % of a float32 matmul peak measured in this process just before.

--inference times every inference candidate of a framework in one process per framework, interleaved (each
round times every candidate once, then the matmul), at batch 1 and 1,024: the median ms per call, and at
1,024 the forward GFLOP/s as % of the float32 2048^3 matmul's GFLOP/s timed in the same rounds (the benchmarks'
`peak`).
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tfpt import frameworks, procs
from tfpt.cli.args import framework_list, int_at_least
from tfpt.cli.exitcodes import INTERRUPTED, OK, RUNTIME, USAGE, Formatter, Parser, UserError, epilog, report
from tfpt.frameworks.registry import TF, TORCH
from tfpt.procs import child_env
from tfpt.spec import CNN, train_flops_per_image

TF_BENCH = TF.part("bench")  # TensorFlow's inference modes (tfpt.frameworks.keras.bench; imports no framework)

CANDIDATES = {
    TORCH.id: {
        "as-written (DataLoader)": {"loader": "dataloader"},
        "preloaded batches": {"loader": "preloaded"},
        "preloaded + channels_last": {"loader": "preloaded", "channels_last": True},
        "preloaded + torch.compile": {"loader": "preloaded", "compile": True},
        "DataLoader + channels_last": {"loader": "dataloader", "channels_last": True},
    },
    TF.id: {
        "as-written (fit on numpy)": {},
        "tf.data + prefetch": {"data": "tf.data"},
        "jit_compile (XLA)": {"jit_compile": True},
        "steps_per_execution 50": {"steps_per_execution": 50},
        "XLA + steps_per_execution 50": {"jit_compile": True, "steps_per_execution": 50},
        "tf.data + steps_per_execution 50": {"data": "tf.data", "steps_per_execution": 50},
    },
}


INFERENCE = {
    TORCH.id: {"as-written": {}, "channels_last": {"channels_last": True},
              "TorchScript trace + freeze": {"freeze": True},
              "freeze + channels_last": {"freeze": True, "channels_last": True},
              "torch.compile": {"compile": True}},
    TF.id: {"as-written (eager)": {}, "tf.function": {"function": True},
           "tf.function + XLA": {"function": True, "xla_max_batch": TF_BENCH.XLA_ALWAYS},
           "concrete function": {"function": True, "concrete": True},
           "concrete function + XLA": {"function": True, "concrete": True, "xla_max_batch": TF_BENCH.XLA_ALWAYS},
           "the suite's tuned mode": TF_BENCH.INFER_MODES["tuned"]},  # PyTorch's is "TorchScript trace + freeze"
}


def inference_rounds(fw: str, rounds: int, only: list | None = None) -> list[dict]:
    """In this process (one framework): every candidate's median ms per call at batch 1 and 1,024, interleaved."""
    import numpy as np

    from tfpt import frameworks
    frameworks.torch_first()  # the yardstick is torch's multiply; torch before TensorFlow (tfpt.frameworks)
    from tfpt.bench.workloads import flops
    from tfpt.bench.yardstick import matmul_peak
    from tfpt.data.datasets import synthetic
    infer = frameworks.get(fw).part("bench").infer
    ds, out, (peak_body, peak_flop) = synthetic(n_train=64, n_test=1024, seed=0), [], matmul_peak()
    for batch, calls in ((1, 200), (1024, 2)):
        bodies = {label: infer(ds, "cpu", 0, batch, "as-written", opts) for label, opts in INFERENCE[fw].items()
                  if not only or label in only}
        for body in bodies.values():
            body(), body()  # first trace / compile / allocation
        ms, peak_s = {label: [] for label in bodies}, []
        for _ in range(rounds):
            for label, body in bodies.items():
                t0 = time.perf_counter()
                for _ in range(calls):
                    body()
                ms[label].append(1e3 * (time.perf_counter() - t0) / calls)
            t0 = time.perf_counter()
            peak_body()
            peak_s.append(time.perf_counter() - t0)
        peak_rate = peak_flop / float(np.median(peak_s))  # FLOP/s
        for label, values in ms.items():
            med = float(np.median(values))
            out.append({"framework": fw, "candidate": label, "batch": batch, "ms": med,
                        "pct": 100 * flops("latency", batch) / (med / 1e3) / peak_rate})
    return out


def _failed(failures: list) -> int:
    """Exit 5 with one line when a configuration failed: a table with failed rows is not a result."""
    if not failures:
        return OK
    print(f"error: {len(failures)} configuration(s) failed: {'; '.join(failures)}; fix: read the rows above "
          "(each names its worker's last line)", file=sys.stderr)
    return RUNTIME


def _only(text: str | None) -> list | None:
    return [w.strip() for w in text.split(",") if w.strip()] if text else None


def inference(frameworks, rounds: int, only: list | None = None) -> int:
    failures: list = []
    print("| framework | candidate | batch 1 (ms) | batch 1,024 (ms) | batch 1,024 % of matmul |")
    print("|---|---|---|---|---|")
    for fw in frameworks:  # one process per framework: the two never share one (see tfpt.pytest_plugin)
        labels = [label for label in INFERENCE[fw] if not only or label in only]
        if not labels:
            continue
        proc = procs.run([sys.executable, "-c", f"import json, tfpt.cli.tune as t; "
                          f"print(json.dumps(t.inference_rounds({fw!r}, {rounds}, {labels!r})))"], capture=True,
                         env=child_env())
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1][:160]
            print(f"| {fw} | failed: {last} | | | |")
            failures.append(f"{fw} inference")
            continue
        rows = json.loads(proc.stdout.strip().splitlines()[-1])
        for label in labels:
            one, big = (next(r for r in rows if r["candidate"] == label and r["batch"] == b) for b in (1, 1024))
            print(f"| {fw} | {label} | {one['ms']:.3f} | {big['ms']:.1f} | {big['pct']:.0f} % |", flush=True)
    return _failed(failures)


def matmul_gflops(reps: int = 10) -> float:
    """The same float32 2048^3 multiply the benchmarks' `peak` group times (torch if installed, else numpy)."""
    from tfpt.bench.yardstick import matmul_peak
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
        proc = procs.run(cmd, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
        return json.loads(out.read_text())


def check_args(a) -> None:
    """--only names known configurations of the chosen frameworks; every chosen framework can be imported."""
    for fw in a.frameworks:
        if not frameworks.installed(fw):
            hidden = fw in frameworks.hidden()
            raise UserError(f"--frameworks {fw}", f"an installed framework, but {frameworks.missing_reason(fw)}",
                            ("unset TFPT_HIDE_FRAMEWORKS" if hidden else "install it (see requirements.txt)")
                            + f", or leave {fw} out of --frameworks", USAGE)
    if a.only is not None:
        table = INFERENCE if a.inference else CANDIDATES
        known = [label for fw in a.frameworks for label in table[fw]]
        asked = [w.strip() for w in a.only.split(",") if w.strip()]
        unknown = [w for w in asked if w not in known]
        if unknown or not asked:
            raise UserError(f"--only {a.only!r}", "configuration labels of the chosen frameworks, comma separated; "
                            f"unknown: {', '.join(map(repr, unknown)) or 'none given'}",
                            f"choose from {'; '.join(known)}", USAGE)


@procs.interruptible("python -m tfpt.cli.tune")
def main(argv=None) -> int:
    p = Parser(prog="python -m tfpt.cli.tune", description=__doc__, formatter_class=Formatter,
               epilog=epilog(OK, USAGE, RUNTIME, INTERRUPTED))
    p.add_argument("--epochs", type=int_at_least(1), default=2, help="epochs per configuration")
    p.add_argument("--frameworks", type=framework_list(), default="torch,tf", help="tf and/or torch")
    p.add_argument("--only", default=None, help="comma-separated configuration labels to run (default: all)")
    p.add_argument("--inference", action="store_true", help="time the inference candidates instead of training")
    p.add_argument("--rounds", type=int_at_least(1), default=7, help="--inference: interleaved rounds")
    a = p.parse_args(argv)
    try:
        check_args(a)
    except UserError as exc:
        return report(exc)
    if a.inference:
        return inference(a.frameworks, a.rounds, _only(a.only))
    peak = matmul_gflops()
    flop = train_flops_per_image(CNN) * 60000
    print(f"float32 2048^3 matmul: {peak:.0f} GFLOP/s; one epoch = {flop / 1e12:.2f} TFLOP")
    print("| framework | configuration | seconds per epoch | GFLOP/s (last) | % of peak |\n|---|---|---|---|---|")
    failures: list = []
    for fw in a.frameworks:
        for label, options in CANDIDATES[fw].items():
            if a.only and label not in _only(a.only):
                continue
            r = measure(fw, options, a.epochs)
            if "error" in r:
                print(f"| {fw} | {label} | failed: {r['error'][:120]} | | |", flush=True)
                failures.append(f"{fw} {label}")
                continue
            secs = [e["seconds"] for e in r["epochs"]]
            g = flop / secs[-1] / 1e9
            print(f"| {fw} | {label} | {' / '.join(f'{s:.1f}' for s in secs)} | {g:.0f} | {100 * g / peak:.0f} % |",
                  flush=True)
    return _failed(failures)


if __name__ == "__main__":
    sys.exit(main())

"""Side by side in one process: a bare hand-written loop, the suite's as-written epoch and its tuned epoch,
interleaved (bare, as-written, tuned, bare, ...) after one warm-up epoch, so machine drift hits all alike.
This machine's epoch times drift by up to 40 % between minutes; only interleaved medians compare fairly.

    python -m tfpt.cli.overhead --framework torch [--repeats 3]

Harness overhead = median(as-written) / median(bare) - 1. The suite side is runners.*_train.train with its
progress lines on (what `make compare` runs); the bare side is the shortest loop that does the same training:
DataLoader + Adam + CrossEntropyLoss, or model.fit on numpy arrays, with the study's settings
(tfpt.settings.STUDY) through the trainers' make_optimizer / make_loss.
"""
from __future__ import annotations

import json
import statistics
import sys
import time

from tfpt import frameworks, procs
from tfpt.cli.args import int_at_least
from tfpt.cli.exitcodes import OK, RUNTIME, USAGE, Formatter, Parser, epilog
from tfpt.data import datasets


def suite(fw, ds, seed, mode="as-written"):
    trainer = frameworks.get(fw).module("trainer")
    _, result = trainer.train(ds, epochs=1, seed=seed, progress=True, evaluate_epochs=False, mode=mode)
    return result.epochs[-1].seconds


@procs.interruptible("python -m tfpt.cli.overhead")
def main(argv=None) -> int:
    p = Parser(prog="python -m tfpt.cli.overhead", description=__doc__, formatter_class=Formatter,
               epilog=epilog(OK, USAGE, RUNTIME))
    p.add_argument("--framework", choices=frameworks.FRAMEWORKS, required=True, help="which framework's loop")
    p.add_argument("--repeats", type=int_at_least(1), default=2, help="interleaved repeats of each loop")
    a = p.parse_args(argv)
    bare = frameworks.get(a.framework).part("loops").bare  # PyTorch's imports torch first (tfpt.frameworks)
    ds = datasets.load("mnist")
    bare(ds, 0)  # warm-up: one-time kernel and graph set-up
    runs = {"bare": lambda i: bare(ds, i), "as-written": lambda i: suite(a.framework, ds, i),
            "tuned": lambda i: suite(a.framework, ds, i, "tuned")}
    times = {k: [] for k in runs}
    cpu = {k: [] for k in runs}  # process CPU seconds of the whole call: insensitive to time the VM lost
    for i in range(a.repeats):
        for name, fn in runs.items():
            c0 = time.process_time()
            times[name].append(fn(i + 1))
            cpu[name].append(time.process_time() - c0)
    med = {k: statistics.median(v) for k, v in times.items()}
    cmed = {k: statistics.median(v) for k, v in cpu.items()}
    out = {"framework": a.framework, "seconds": times, "median": med, "cpu_seconds": cpu, "cpu_median": cmed,
           "harness_overhead": med["as-written"] / med["bare"] - 1,
           "harness_overhead_cpu": cmed["as-written"] / cmed["bare"] - 1,
           "tuned_speedup": med["as-written"] / med["tuned"]}
    print(json.dumps(out))
    print(f"{a.framework}: bare {med['bare']:.2f} s, suite as-written {med['as-written']:.2f} s "
          f"(overhead {100 * out['harness_overhead']:+.1f} %), tuned {med['tuned']:.2f} s "
          f"(x{out['tuned_speedup']:.2f}) per epoch, medians of {a.repeats}; CPU-time overhead "
          f"{100 * out['harness_overhead_cpu']:+.1f} %", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

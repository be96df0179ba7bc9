"""One framework's cost of a user's model pair, in a process of its own: load the pair's weights, check the forward
pass, then time a training step, batch-1 latency and large-batch throughput, with peak RSS per phase.

    python -m tfpt.training.pair_cost --job job.json --out result.json     (written by tfpt.cli.pair_compare)

The job names the framework, the pair (MODULE:ATTR, imported here: a pair module that imports the other framework
at its top fails here, by design), the weight file the parent wrote for this framework's side (Keras: .weights.h5,
loaded by Keras on any backend; PyTorch: a state_dict), and the batches as .npy files in this side's layout. Its
environment is the comparison worker's (tfpt.frameworks.worker_env: the Keras backend fixed, the other frameworks'
modules hidden), so the peak RSS here is this framework's alone.

Order: import -> load (build, weights) -> forward check (the loaded model's output on the check batch against the
parent's output of the same side, at the pair's forward tolerance: a worker that did not load the same function,
or a Keras backend that computes another, measures nothing and says so) -> step (Adam with the study's settings,
tfpt.settings.STUDY, through tfpt.frameworks.<folder>.train's make_optimizer / make_loss; Keras: `train_on_batch` after
`compile(jit_compile=False)`, the study's as-written mode, on every backend; PyTorch: zero_grad, loss, backward,
step) -> latency (the plain call at batch 1: Keras `model(x, training=False)`, PyTorch the module under
inference_mode, as tfpt.training.serving times the study's) -> throughput (the same call at the large batch).
Each timed region is measured on both clocks (tfpt.training.clock) and described with its idle verdict; each
call or step is timed alone and the region's figure is the median. `phases` holds VmHWM/VmRSS after each phase
(tfpt.training.worker.Phases).
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from tfpt import frameworks
from tfpt.cli.exitcodes import BAD_INPUT
from tfpt.data.datasets import atomic_write
from tfpt.training.clock import PER_CALL, Stamp, describe
from tfpt.training.worker import Phases, peak_rss_mb

PHASES = ("import", "load", "step", "latency", "throughput")
PHASE_NAMES = {"import": "after import", "load": "after model + weights", "step": "after the training steps",
               "latency": "after the batch-1 calls", "throughput": "after the large-batch calls"}
MODE = PER_CALL  # regions of calls are judged at one busy core (tfpt.training.clock.PER_CALL_RATIO)


def load_pair(ref: str):
    """The ModelPair `ref` (MODULE:ATTR) names, its module imported here."""
    module, _, attr = ref.partition(":")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        return getattr(importlib.import_module(module), attr)
    except ImportError as exc:  # the parent imported it: here only a framework this worker hides can be missing
        raise PairImportError(f"--pair {ref}: a module this framework's worker can import, but importing it here "
                              f"failed ({exc}); each framework is measured in a process of its own, with the others "
                              "hidden; fix: import each framework inside the builder that uses it, not at the "
                              "module's top") from None


class PairImportError(Exception):
    """The pair's module imports a framework this worker hides (one line for the user)."""


def _timed(call, n: int, warmup: int) -> tuple[list[float], object]:
    """Seconds of each of `n` calls after `warmup` untimed ones, and the Span of the n together."""
    for _ in range(warmup):
        call()
    times, start = [], Stamp()
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return times, Stamp() - start


def check(out: np.ndarray, expected: np.ndarray, tol: dict) -> dict:
    """This worker's output on the check batch against the parent's output of the same side."""
    from tfpt.compare import compare
    from tfpt.tolerances import Tol
    result = compare({"output": expected}, {"output": np.asarray(out, expected.dtype)}, Tol(**tol))
    return {"agrees": result.ok, "max_abs": result.max_abs, "message": result.message("model output")}


def run(job: dict) -> dict:
    """The whole measurement of one framework; a dict of figures (or, where the forward check fails, the check
    alone)."""
    fw = frameworks.get(job["framework"])
    phases = Phases()
    side_cls = fw.part("bench").Side  # its folder's side (Keras on any backend: the keras folder)
    side_cls.load_framework()
    phases.mark("import")
    pair = load_pair(job["ref"])
    arrays = {k: np.load(v) for k, v in job["arrays"].items()}
    side = side_cls(pair, job["weights"], job["seed"])
    phases.mark("load")
    out = {"framework": fw.id, "pair": pair.name, "versions": frameworks.versions(), "pid": os.getpid(),
           "how": side_cls.HOW, "batch": job["batch"], "throughput_batch": job["throughput_batch"]}
    out["check"] = check(side.output(arrays["x_check"]), arrays["expected"], job["tol"])
    if not out["check"]["agrees"]:
        return out
    times, span = _timed(side.step_fn(arrays["x_step"], arrays["y_step"], fw.head(pair)), job["steps"], 2)
    phases.mark("step")
    out["step"] = {**describe(span, fw.id, MODE), "n": len(times), "step_s": float(np.median(times))}
    times, span = _timed(side.infer_fn(arrays["x_one"]), job["latency_calls"], 5)
    phases.mark("latency")
    out["latency"] = {**describe(span, fw.id, MODE), "n": len(times), "latency_ms": 1000 * float(np.median(times))}
    times, span = _timed(side.infer_fn(arrays["x_big"]), job["throughput_calls"], 1)
    phases.mark("throughput")
    out["throughput"] = {**describe(span, fw.id, MODE), "n": len(times),
                         "throughput_ips": job["throughput_batch"] / float(np.median(times))}
    out.update(phases={p: phases.marks[p] for p in PHASES}, peak_rss_mb=peak_rss_mb())
    loaded = frameworks.foreign_loaded(fw.id)
    out.update(other_framework_loaded=bool(loaded), foreign_modules_loaded=loaded)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--job", type=Path, required=True, help="the job the parent wrote (JSON)")
    p.add_argument("--out", type=Path, required=True, help="where to write the result (JSON)")
    a = p.parse_args(argv)
    job = json.loads(a.job.read_text())
    os.dup2(2, 1)  # whatever the framework prints goes to stderr
    try:
        result = run(job)
    except PairImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_INPUT
    atomic_write(a.out, json.dumps(result, indent=1).encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())

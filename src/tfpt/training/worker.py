"""One framework's training run in a process of its own: the other framework is never imported here, so the
peak RSS it reports belongs to this framework alone. Writes a JSON result; progress goes to stderr.

    python -m tfpt.training.worker --framework torch --dataset mnist --epochs 1 --out result.json
    python -m tfpt.training.worker --framework tf --serve      # the epoch benchmark's timed epochs (below)

--pair spec (default) trains the spec CNN; --pair study trains that framework's model of the study as written
(Keras: softmax head, sparse cross-entropy on probabilities; PyTorch: StudyNet with its extra ReLU, logits,
CrossEntropyLoss), each with the study's settings (tfpt.settings.STUDY).

Timing: the trainer's `prepare` (build, compile, data conversion, a warm-up that traces and is undone) runs
before any clock starts; each epoch's seconds are time.perf_counter around exactly the trainer's `epoch` training
loop, the figure tfpt-compare reports and the epoch benchmark times.

Memory: `phases` holds, at each boundary (after import, after data load, after model + optimizer (with the
float32 copy of the training images and the warm-up), after training, after evaluation), the kernel's exact peak
RSS so far (/proc/self/status VmHWM, the high-water mark of this process's own address space, monotonic) and the
current RSS (VmRSS). Not getrusage's ru_maxrss: Linux carries it across exec, so a worker started by a process
holding 1.58 GB (pytest with both frameworks) reported exactly that 1,580.8 MB for both frameworks. `--eval-batch` sets
how many test images one forward pass of the evaluation takes (default 1000, what both trainers did).

--serve: prepare, print `{"ready": ...}` as one JSON line on stdout, then for each stdin line `epoch` train one
epoch and print `{"seconds": ...}`; `done` evaluates and prints the whole result. The framework's own stdout
output is sent to stderr so the protocol lines stay clean.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import sys
import time
from pathlib import Path

from tfpt import frameworks
from tfpt.data import datasets
from tfpt.frameworks import devices
from tfpt.settings import EVAL_BATCH, RUN_MODES, STUDY_CODE
from tfpt.spec import MODELS, model_spec, total_params
from tfpt.training import serving

PHASES = ("import", "data", "model", "train", "eval")  # the order a run passes them
PHASE_NAMES = {"import": "after import", "data": "after data load",
               "model": "after model + optimizer", "train": "after training", "eval": "after evaluation"}


def _status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """The peak RSS of this process's own address space (VmHWM). getrusage's ru_maxrss is the fallback where
    /proc is absent; on Linux it is not used: it keeps the parent's high-water mark across fork + exec."""
    hwm = _status_mb("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float | None:
    """Current resident set size from /proc/self/status (VmRSS, kB); psutil where /proc is absent."""
    rss = _status_mb("VmRSS")
    if rss is not None:
        return rss
    try:
        import psutil
        return psutil.Process().memory_info().rss / 2**20
    except ImportError:
        return None


class Phases:
    """Peak and current RSS at each phase boundary, with seconds since the process started its run."""

    def __init__(self):
        self.t0 = time.perf_counter()
        self.marks: dict = {}

    def mark(self, phase: str) -> None:
        self.marks[phase] = {"peak_rss_mb": peak_rss_mb(), "rss_mb": rss_mb(),
                             "seconds": time.perf_counter() - self.t0}


def limited(ds: datasets.Dataset, limit: int | None) -> datasets.Dataset:
    """The first `limit` training and test images (tests of the plumbing; never for figures)."""
    if not limit:
        return ds
    return dataclasses.replace(ds, x_train=ds.x_train[:limit], y_train=ds.y_train[:limit],
                               x_test=ds.x_test[:limit], y_test=ds.y_test[:limit])


def start(framework: str, dataset: str, epochs: int, seed: int, order: str, target: float | None,
          eval_every: int | None, progress: bool = True, device: str = "cpu", mode: str = "as-written",
          options: dict | None = None, evaluate_epochs: bool = True, pair: str = "spec",
          eval_batch: int = EVAL_BATCH, limit: int | None = None, phases: Phases | None = None):
    """Import the framework, load the data, `prepare` the trainer: (trainer module, state, info, phases)."""
    if not frameworks.installed(framework):
        raise SystemExit(frameworks.missing_reason(framework))
    phases = phases or Phases()
    t0 = time.perf_counter()
    trainer = frameworks.get(framework).module("trainer")
    phases.mark("import")
    ds = limited(datasets.load(dataset) if dataset != "synthetic" else datasets.synthetic(), limit)
    phases.mark("data")
    spec = model_spec(pair, framework)
    state = trainer.prepare(ds, epochs=epochs, seed=seed, order=order, target=target, eval_every=eval_every,
                            progress=progress, device=device, mode=mode, options=options,
                            evaluate_epochs=evaluate_epochs, spec=spec, eval_batch=eval_batch)
    phases.mark("model")
    # after the last epoch's training, before its evaluation (earlier epochs' evaluations count as training)
    state.on_trained = lambda st: phases.mark("train") if st.done == st.epochs else None
    info = {"pair": pair, "model": spec.name, "params": total_params(spec), "device": device,
            "eval_batch": eval_batch, "limit": limit, "setup_seconds": time.perf_counter() - t0}
    return trainer, state, info, phases


def finish(framework: str, trainer, state, info: dict, phases: Phases, serve_figures: bool = True) -> dict:
    """The result: the trainer's RunResult, the phases (an evaluation is run here when the epochs had none), and
    the trained model's latency at batch 1 and throughput at batch 1,024 (tfpt.training.serving) unless
    `serve_figures` is off."""
    if "train" not in phases.marks:
        phases.mark("train")
    if not state.evaluate_epochs or not state.result.epochs:
        e0 = time.perf_counter()
        acc = trainer.evaluate(state.model, state.ds.x_test, state.ds.y_test, state.settings, state.eval_batch)
        info["final_eval"] = {"test_acc": acc, "seconds": time.perf_counter() - e0}
    phases.mark("eval")
    out = state.result.as_dict()
    out.update(info, peak_rss_mb=peak_rss_mb(), phases={p: phases.marks[p] for p in PHASES},
               device_peak_mb=devices.peak_memory_mb(framework, info["device"]),
               versions=frameworks.versions(), pid=os.getpid())
    if serve_figures and hasattr(trainer, "serving_call"):
        # after the figures above: the batch-1,024 forward would otherwise raise the run's peak RSS
        out["serving"] = serving.figures(trainer.serving_call, state, state.ds.x_test)
        out["serving"]["peak_rss_mb"] = peak_rss_mb()
    out.update(_foreign(framework))
    return out


def run_study_code(framework: str, dataset: str, epochs: int, seed: int, options: dict | None = None,
                   limit: int | None = None) -> dict:
    """The study's own code of `framework` (its folder's study_code module), with the same phases and result."""
    if not frameworks.installed(framework):
        raise SystemExit(frameworks.missing_reason(framework))
    phases = Phases()
    t0 = time.perf_counter()
    module = frameworks.get(framework).module("study_code")
    phases.mark("import")
    result = module.run(dataset, epochs, seed, phases, options, limit)
    phases.mark("eval")
    spec = model_spec("study", framework)
    out = result.as_dict()
    out.update(pair="study", model=spec.name, params=total_params(spec), device="cpu", eval_batch=module.EVAL_BATCH,
               limit=limit, setup_seconds=time.perf_counter() - t0, peak_rss_mb=peak_rss_mb(),
               phases={p: phases.marks[p] for p in PHASES}, device_peak_mb=None, versions=frameworks.versions(),
               pid=os.getpid(), **_foreign(framework))
    return out


def run(framework: str, dataset: str, epochs: int, seed: int, order: str, target: float | None,
        eval_every: int | None, progress: bool = True, device: str = "cpu", mode: str = "as-written",
        options: dict | None = None, evaluate_epochs: bool = True, pair: str = "spec",
        eval_batch: int = EVAL_BATCH, limit: int | None = None) -> dict:
    trainer, state, info, phases = start(framework, dataset, epochs, seed, order, target, eval_every, progress,
                                         device, mode, options, evaluate_epochs, pair, eval_batch, limit)
    for _ in range(epochs):
        trainer.epoch(state)
    return finish(framework, trainer, state, info, phases)


def serve(a, proto) -> int:
    """The epoch benchmark's side: one JSON line per request on `proto`."""
    trainer, state, info, phases = start(a.framework, a.dataset, a.epochs, a.seed, a.order, None, None, False,
                                         a.device, a.mode, a.options, False, a.pair, a.eval_batch, a.limit)

    def say(obj):
        proto.write(json.dumps(obj) + "\n")
        proto.flush()
    say({"ready": True, "pid": os.getpid(), **_foreign(a.framework)})
    requests = (line.strip() for line in sys.stdin)
    # A trainer whose framework has set-up or teardown around each training call serves all epochs in one call
    # (Keras: one model.fit, tfpt.frameworks.keras.train.serve_epochs); the others one `epoch` call per request.
    last = trainer.serve_epochs(state, requests, say) if hasattr(trainer, "serve_epochs") else "per-epoch"
    if last == "per-epoch":
        last = None
        for cmd in requests:
            if cmd == "epoch":
                state.epochs = state.done + 1
                say(dataclasses.asdict(trainer.epoch(state)))
            elif cmd == "done":
                last = cmd
                break
            else:
                say({"error": f"unknown request {cmd!r}; expected epoch or done"})
    if last == "done":
        say(finish(a.framework, trainer, state, info, phases, serve_figures=False))
        return 0
    return 1


def _foreign(framework: str) -> dict:
    """Whether another framework's own modules are loaded here (they would count in this framework's RSS)."""
    loaded = frameworks.foreign_loaded(framework)
    return {"other_framework_loaded": bool(loaded), "foreign_modules_loaded": loaded}


def _clean_env(framework: str, argv) -> None:
    """Run as a command: re-start this worker with `framework`'s worker environment (its Keras backend fixed,
    the other frameworks' modules hidden: frameworks.worker_env) unless it was started with it."""
    want = frameworks.worker_env(framework)
    if argv is None and any(os.environ.get(k) != v for k, v in want.items()):
        os.execve(sys.executable, [sys.executable, "-m", "tfpt.training.worker", *sys.argv[1:]],
                  {**os.environ, **want})


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--framework", choices=frameworks.ALL, required=True)
    p.add_argument("--dataset", choices=sorted(datasets.INFO) + ["synthetic"], default="mnist",
                   help="synthetic: the tiny seeded stand-in (plumbing tests only)")
    p.add_argument("--pair", choices=sorted(MODELS), default="spec", help="spec: the spec CNN; study: the study's "
                   "model of this framework as written")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--order", choices=("native", "shared"), default="native")
    p.add_argument("--target", type=float, default=None)
    p.add_argument("--eval-every", type=int, default=None)
    p.add_argument("--eval-batch", type=_positive, default=EVAL_BATCH,
                   help=f"test images per forward pass of the evaluation (default {EVAL_BATCH})")
    p.add_argument("--limit", type=_positive, default=None,
                   help="train and test on the first N images only (plumbing tests; never for figures)")
    p.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    p.add_argument("--mode", choices=RUN_MODES, default="as-written",
                   help=f"{STUDY_CODE}: the study's own code (its models and data pipelines; --pair, --order, "
                        "--eval-batch, --target and --eval-every do not apply)")
    p.add_argument("--options", type=json.loads, default=None, help="JSON: override single tuning options")
    p.add_argument("--no-eval", action="store_true", help="skip the per-epoch test evaluation")
    p.add_argument("--serve", action="store_true", help="timed epochs on request (the epoch benchmark)")
    p.add_argument("--out", type=Path, default=None, help="where to write the JSON result (required unless --serve)")
    a = p.parse_args(argv)
    if a.out is None and not a.serve:
        p.error("--out is required unless --serve")
    if a.serve and a.mode == STUDY_CODE:
        p.error(f"--serve times one epoch per request; --mode {STUDY_CODE} is one fit call for all epochs")
    if a.mode == STUDY_CODE and frameworks.get(a.framework).study_code is None:
        p.error(f"--mode {STUDY_CODE}: the study wrote code for {' and '.join(frameworks.registry.with_study_code())}"
                f" only, not {a.framework}")
    _clean_env(a.framework, argv)
    try:
        if a.serve:
            proto = os.fdopen(os.dup(1), "w")
            os.dup2(2, 1)  # anything the framework prints goes to stderr; stdout carries the protocol alone
            sys.stdout = sys.stderr
            return serve(a, proto)
        if a.mode == STUDY_CODE:
            os.dup2(2, 1)  # Keras' progress bar (as the study ran it) to stderr: stdout stays the caller's
            result = run_study_code(a.framework, a.dataset, a.epochs, a.seed, a.options, a.limit)
            datasets.atomic_write(a.out, json.dumps(result, indent=1).encode())
            return 0
        result = run(a.framework, a.dataset, a.epochs, a.seed, a.order, a.target, a.eval_every, device=a.device,
                     mode=a.mode, options=a.options, evaluate_epochs=not a.no_eval, pair=a.pair,
                     eval_batch=a.eval_batch, limit=a.limit)
    except datasets.DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    datasets.atomic_write(a.out, json.dumps(result, indent=1).encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())

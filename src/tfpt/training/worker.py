"""One framework's training run in a process of its own: the other framework is never imported here, so the
peak RSS it reports belongs to this framework alone. Writes a JSON result; progress goes to stderr.

    python -m tfpt.training.worker --framework torch --dataset mnist --epochs 1 --out result.json

--pair spec (default) trains the spec CNN; --pair study trains that framework's model of the study as written
(Keras: softmax head, sparse cross-entropy on probabilities; PyTorch: StudyNet with its extra ReLU, logits,
CrossEntropyLoss), each with the study's settings (tfpt.settings.STUDY).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

from tfpt.data import datasets
from tfpt import frameworks
from models.adapters import PAIRS
from models.spec import total_params


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def device_peak_mb(framework: str, device: str) -> float | None:
    """Peak accelerator memory from the framework's own counters (None on the CPU)."""
    if device != "gpu":
        return None
    if framework == "torch":
        import torch
        return torch.cuda.max_memory_allocated() / 2**20
    import tensorflow as tf
    return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20


def run(framework: str, dataset: str, epochs: int, seed: int, order: str, target: float | None,
        eval_every: int | None, progress: bool = True, device: str = "cpu", mode: str = "as-written",
        options: dict | None = None, evaluate_epochs: bool = True, pair: str = "spec") -> dict:
    if not frameworks.installed(framework):
        raise SystemExit(frameworks.missing_reason(framework))
    t0 = time.perf_counter()
    ds = datasets.load(dataset)
    from tfpt.adapters import trainer as _trainer
    trainer = _trainer(framework)
    setup_seconds = time.perf_counter() - t0
    spec = PAIRS[pair][framework]
    _, result = trainer.train(ds, epochs=epochs, seed=seed, order=order, target=target, eval_every=eval_every,
                              progress=progress, device=device, mode=mode, options=options,
                              evaluate_epochs=evaluate_epochs, spec=spec)
    out = result.as_dict()
    out.update(pair=pair, model=spec.name, params=total_params(spec), peak_rss_mb=peak_rss_mb(), setup_seconds=setup_seconds, device=device,
               device_peak_mb=device_peak_mb(framework, device),
               versions=frameworks.versions(), other_framework_loaded=_other_loaded(framework), pid=os.getpid())
    return out


def _other_loaded(framework: str) -> bool:
    return ("torch" if framework == "tf" else "tensorflow") in sys.modules


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--framework", choices=frameworks.FRAMEWORKS, required=True)
    p.add_argument("--dataset", choices=sorted(datasets.INFO), default="mnist")
    p.add_argument("--pair", choices=sorted(PAIRS), default="spec", help="spec: the spec CNN; study: the study's "
                   "model of this framework as written")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--order", choices=("native", "shared"), default="native")
    p.add_argument("--target", type=float, default=None)
    p.add_argument("--eval-every", type=int, default=None)
    p.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    p.add_argument("--mode", choices=("as-written", "tuned"), default="as-written")
    p.add_argument("--options", type=json.loads, default=None, help="JSON: override single tuning options")
    p.add_argument("--no-eval", action="store_true", help="skip the per-epoch test evaluation")
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args(argv)
    try:
        result = run(a.framework, a.dataset, a.epochs, a.seed, a.order, a.target, a.eval_every, device=a.device,
                     mode=a.mode, options=a.options, evaluate_epochs=not a.no_eval, pair=a.pair)
    except datasets.DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    datasets.atomic_write(a.out, json.dumps(result, indent=1).encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())

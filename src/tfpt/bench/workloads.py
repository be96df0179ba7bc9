"""What the benchmarks time, framework-neutral: batch sizes, the test batch and FLOP counts; the bodies are each
framework folder's `bench` module (tfpt.frameworks.<folder>.bench: `step`, `infer`), picked through the record.

Each `step` / `infer` returns the body `benchmark.pedantic` times, its state built outside the timing. The epoch
is timed in a worker process holding one framework (tfpt.bench.epoch_worker), through the trainer's `epoch` call:
the same measurement tfpt-compare reports; the machine's speed beside them is tfpt.bench.yardstick. FLOP counts
come from the spec (tfpt.spec), so the report can turn times into GFLOP/s.
Optimizer, loss, input scaling and batch size come from the study's settings (tfpt.settings.STUDY) through the
trainers' make_optimizer / make_loss, as in training.
"""
from __future__ import annotations

import numpy as np

from tfpt.settings import STUDY
from tfpt.spec import CNN, forward_macs, layer_macs, train_flops_per_image  # noqa: F401  (re-exported)

BATCH = STUDY.batch_size
LATENCY_BATCH = 1
LATENCY_SETTLE = 3  # untimed calls after each yardstick sample of a latency benchmark (Yardstick.settled)
THROUGHPUT_BATCH = 1024


def flops(quantity: str, batch: int = BATCH, samples: int = 60000) -> float:
    if quantity == "epoch":
        return float(train_flops_per_image(CNN)) * samples
    if quantity == "step":
        return float(train_flops_per_image(CNN)) * batch
    return 2.0 * forward_macs(CNN) * batch


def test_batch(x_test_uint8: np.ndarray, batch: int) -> np.ndarray:
    """The first `batch` test images (repeated when the set is smaller), scaled as in training."""
    reps = -(-batch // len(x_test_uint8))
    return STUDY.scale_inputs(np.concatenate([x_test_uint8] * reps)[:batch])

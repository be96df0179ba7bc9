"""Per-call latency and throughput of a trained model, in the worker that trained it: the model as the run left
it, called plainly (Keras: model(x, training=False) on a numpy batch; PyTorch: the module under inference_mode on
an NCHW tensor), at batch 1 and at batch 1,024 of test images: the figures tfpt-compare sets beside the epoch
seconds, one per process, so its intervals come from fresh processes as the others do. Each call is timed alone
with time.perf_counter after untimed warm-up calls; the median of the calls is the process's figure."""
from __future__ import annotations

import time

import numpy as np

from tfpt.bench.workloads import LATENCY_BATCH, THROUGHPUT_BATCH, test_batch

LATENCY_CALLS, THROUGHPUT_CALLS = 200, 10  # timed calls per process (batch 1: ~1-6 ms each here)
WARMUP_CALLS = 5


def timed_calls(call, n: int, warmup: int = WARMUP_CALLS) -> list[float]:
    """Seconds of each of `n` calls, after `warmup` untimed ones."""
    for _ in range(warmup):
        call()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        out.append(time.perf_counter() - t0)
    return out


def figures(serving_call, state, x_test_uint8: np.ndarray, calls: tuple[int, int] = (LATENCY_CALLS,
            THROUGHPUT_CALLS)) -> dict:
    """{"latency_ms": median ms per call at batch 1, "throughput_ips": images per second at batch 1,024 (from the
    median call), and the batches and call counts}. `serving_call(state, x)` gives the trainer's plain call."""
    one = timed_calls(serving_call(state, test_batch(x_test_uint8, LATENCY_BATCH)), calls[0])
    big = timed_calls(serving_call(state, test_batch(x_test_uint8, THROUGHPUT_BATCH)), calls[1], warmup=1)
    return {"latency_ms": 1000 * float(np.median(one)), "latency_batch": LATENCY_BATCH, "latency_calls": calls[0],
            "throughput_ips": THROUGHPUT_BATCH / float(np.median(big)), "throughput_batch": THROUGHPUT_BATCH,
            "throughput_calls": calls[1]}

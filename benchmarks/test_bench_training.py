"""Training cost per framework x device: one full MNIST epoch and one step (batch 32), the study's settings."""
import numpy as np
import pytest

from tfpt.adapters import workloads
from fixtures.params import fw_device_params

pytestmark = pytest.mark.benchmark


@pytest.mark.benchmark(group="epoch")
@pytest.mark.parametrize("mode", ["as-written", "tuned", "tuned-bf16"])
@pytest.mark.parametrize("fw, device", fw_device_params())
def test_epoch(fw, device, mode, benchmark, timed, describe, seed, pytestconfig, worker_limit):
    """Successive training epochs (1, 2, ...) in a worker process that holds `fw` alone, through the trainer's
    `epoch` call after its `prepare` (build, compile, data conversion and the first trace are never timed): the
    measurement tfpt-compare reports. Each round's time is checked against the worker's own figure for it."""
    worker = workloads.EpochWorker(fw, device, seed, mode, limit=worker_limit)
    try:
        assert not worker.ready["other_framework_loaded"], f"the {fw} worker loaded the other framework"
        own = []
        timed(lambda: own.append(worker.epoch()), rounds=pytestconfig.getoption("bench_epoch_rounds"), device=device)
        result = worker.finish()
    finally:
        worker.close()
    acc = result["final_eval"]["test_acc"]
    timed = list(benchmark.stats.stats.data) if benchmark.stats else []
    describe(fw, device, "epoch", workloads.flops("epoch"), test_acc=acc, worker_epoch_s=own,
             worker_pid=result["pid"], warmup_steps="trainer's prepare", train_limit=worker_limit)["mode"] = mode
    planted = workloads.injected_sleep(), workloads.injected_slowdown()  # zero unless a gate test plants them
    for outer, inner in zip(timed, own):  # pytest's clock around the request vs the worker's around the epoch
        expected = planted[0] + inner * (1 + planted[1])
        assert abs(outer - expected) <= 0.05 + 0.01 * inner, (outer, inner)
    assert acc > (0.9 if worker_limit is None else 0.5)  # the epochs really trained (chance: 0.1)


@pytest.mark.benchmark(group="step")
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("fw, device", fw_device_params())
def test_step(fw, device, dtype, timed, describe, mnist, seed):
    body = workloads.STEP[fw](mnist, device, seed, dtype)
    body()  # first call builds graphs / allocates; not what a step costs
    timed(body, rounds=50, warmup_rounds=5, device=device)
    describe(fw, device, "step", workloads.flops("step"), batch=workloads.BATCH, dtype=dtype)

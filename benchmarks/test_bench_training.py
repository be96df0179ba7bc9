"""Training cost per framework x device: one full MNIST epoch and one step (batch 32), the study's settings."""
import pytest

from fixtures.machine import accuracy_bound
from fixtures.params import fw_device_params
from tfpt import frameworks
from tfpt.bench import planted, workloads
from tfpt.bench.epoch_worker import EpochWorker
from tfpt.training import clock

pytestmark = pytest.mark.benchmark


@pytest.mark.benchmark(group="epoch")
@pytest.mark.parametrize("mode", ["as-written", "tuned", "tuned-bf16"])
@pytest.mark.parametrize("fw, device", fw_device_params())
def test_epoch(fw, device, mode, benchmark, timed, describe, seed, pytestconfig, worker_limit):
    """Successive training epochs (1, 2, ...) in a worker process that holds `fw` alone, after the trainer's
    `prepare` (build, compile, data conversion and the first trace are never timed), Keras' inside one model.fit
    call (no fit set-up or teardown in a request): the measurement tfpt-compare reports. Every round's figures
    must add up to this process's clock around the request, and a figure short by 10 % (or by twice the check's
    allowance, where more: tfpt.training.clock.shortened) must not."""
    worker = EpochWorker(fw, device, seed, mode, limit=worker_limit)
    try:
        assert not worker.ready["other_framework_loaded"], f"the {fw} worker loaded the other framework"
        timed(worker.epoch, rounds=pytestconfig.getoption("bench_epoch_rounds"), device=device)
        result = worker.finish()
    finally:
        worker.close()
    acc = result["final_eval"]["test_acc"]
    own = [log["seconds"] for log in worker.logs]
    describe(fw, device, "epoch", workloads.flops("epoch"), test_acc=acc, worker_epoch_s=own,
             worker_cpu_s=[log["cpu_seconds"] for log in worker.logs],
             idle_rounds=[i for i, log in enumerate(worker.logs) if log["idle"]],
             worker_pid=result["pid"], warmup_steps="trainer's prepare", train_limit=worker_limit)["mode"] = mode
    for log in worker.logs:
        gap = clock.unaccounted(log["parent_seconds"], log)
        assert gap is None, f"{fw} {mode} epoch {log['epoch']}: {gap:+.3f} s of the request not in its figures {log}"
        short = {**log, "seconds": clock.shortened(log["seconds"], log["parent_seconds"])}  # must be caught
        assert clock.unaccounted(log["parent_seconds"], short) is not None, f"{fw} {mode}: control passed {short}"
    slower = planted.injected_slowdown()  # zero unless a gate test plants it
    rounds = list(benchmark.stats.stats.data) if benchmark.stats else []
    for outer, log in zip(rounds, worker.logs, strict=False):  # pytest's clock around the request and planted waits
        expected = planted.injected_sleep() + log["parent_seconds"] + slower * log["seconds"]
        assert abs(outer - expected) <= 0.05 + 0.01 * outer, (outer, expected)
    assert acc > (0.9 if worker_limit is None else accuracy_bound(0.5))  # the epochs really trained (chance: 0.1)


@pytest.mark.benchmark(group="step")
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("fw, device", fw_device_params())
def test_step(fw, device, dtype, timed, describe, mnist, seed):
    body = frameworks.get(fw).part("bench").step(mnist, device, seed, dtype)
    body()  # first call builds graphs / allocates; not what a step costs
    timed(body, rounds=50, warmup_rounds=5, device=device)
    describe(fw, device, "step", workloads.flops("step"), batch=workloads.BATCH, dtype=dtype)

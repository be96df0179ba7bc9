"""Training cost per framework x device: one full MNIST epoch and one step (batch 32), the study's settings."""
import numpy as np
import pytest

from tfpt.adapters import workloads
from fixtures.params import fw_device_params

pytestmark = pytest.mark.benchmark


@pytest.mark.benchmark(group="epoch")
@pytest.mark.parametrize("mode", ["as-written", "tuned"])
@pytest.mark.parametrize("fw, device", fw_device_params())
def test_epoch(fw, device, mode, benchmark, describe, mnist, seed, pytestconfig):
    body, state = workloads.EPOCH[fw](mnist, device, seed, mode)
    # one warm-up epoch: the first in a process pays one-time kernel set-up (measured 21 s vs 13 s for TF)
    benchmark.pedantic(body, rounds=pytestconfig.getoption("bench_epoch_rounds"), iterations=1, warmup_rounds=1)
    from tfpt.adapters import trainer
    acc = trainer(fw).evaluate(state["model"], mnist.x_test, mnist.y_test)
    describe(fw, device, "epoch", workloads.flops("epoch"), test_acc=acc)["mode"] = mode
    assert acc > 0.9  # the timed epoch really trained


@pytest.mark.benchmark(group="step")
@pytest.mark.parametrize("fw, device", fw_device_params())
def test_step(fw, device, benchmark, describe, mnist, seed):
    body = workloads.STEP[fw](mnist, device, seed)
    body()  # first call builds graphs / allocates; not what a step costs
    benchmark.pedantic(body, rounds=50, iterations=1, warmup_rounds=5)
    describe(fw, device, "step", workloads.flops("step"), batch=workloads.BATCH)

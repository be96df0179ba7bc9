"""Inference per framework x device: latency at batch 1, throughput at batch 1024."""
import numpy as np
import pytest

from tfpt.adapters import workloads
from fixtures.params import fw_device_params

pytestmark = pytest.mark.benchmark


@pytest.mark.benchmark(group="latency")
@pytest.mark.parametrize("fw, device", fw_device_params())
def test_latency(fw, device, timed, describe, mnist, seed):
    body = workloads.INFER[fw](mnist, device, seed, workloads.LATENCY_BATCH)
    out = body()
    timed(body, rounds=200, warmup_rounds=10, device=device)
    describe(fw, device, "latency", workloads.flops("latency", workloads.LATENCY_BATCH), batch=workloads.LATENCY_BATCH)
    assert tuple(out.shape) == (1, 10)  # a tensor on the device (torch-gpu) or an array


@pytest.mark.benchmark(group="throughput")
@pytest.mark.parametrize("fw, device", fw_device_params())
def test_throughput(fw, device, timed, describe, mnist, seed):
    body = workloads.INFER[fw](mnist, device, seed, workloads.THROUGHPUT_BATCH)
    body()
    timed(body, rounds=10, warmup_rounds=1, device=device)
    describe(fw, device, "throughput", workloads.flops("throughput", workloads.THROUGHPUT_BATCH),
             batch=workloads.THROUGHPUT_BATCH)


@pytest.mark.benchmark(group="peak")
def test_matmul_peak(benchmark):
    body, flop = workloads.matmul_peak()
    body()
    benchmark.pedantic(body, rounds=10, iterations=1, warmup_rounds=2)
    benchmark.extra_info.update(quantity="peak", flops=flop, framework="machine", device="cpu")

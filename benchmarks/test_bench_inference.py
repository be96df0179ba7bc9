"""Inference per framework x device x mode: latency at batch 1, throughput at batch 1024. "as-written" is the
study's plain call, "tuned" the measured-fastest way to run the same model (tfpt.frameworks.<folder>.bench)."""
import pytest

from fixtures.params import fw_device_params
from tfpt import frameworks
from tfpt.bench import workloads
from tfpt.bench.yardstick import matmul_peak

pytestmark = pytest.mark.benchmark
MODES = pytest.mark.parametrize("mode", ["as-written", "tuned", "tuned-bf16"])


@pytest.mark.benchmark(group="latency")
@MODES
@pytest.mark.parametrize("fw, device", fw_device_params())
def test_latency(fw, device, mode, timed, describe, mnist, seed):
    body = frameworks.get(fw).part("bench").infer(mnist, device, seed, workloads.LATENCY_BATCH, mode)
    out = body()
    timed(body, rounds=200, warmup_rounds=10, device=device, settle=workloads.LATENCY_SETTLE)
    describe(fw, device, "latency", workloads.flops("latency", workloads.LATENCY_BATCH),
             batch=workloads.LATENCY_BATCH)["mode"] = mode
    assert tuple(out.shape) == (1, 10)  # a tensor on the device (torch-gpu) or an array


@pytest.mark.benchmark(group="throughput")
@MODES
@pytest.mark.parametrize("fw, device", fw_device_params())
def test_throughput(fw, device, mode, timed, describe, mnist, seed):
    body = frameworks.get(fw).part("bench").infer(mnist, device, seed, workloads.THROUGHPUT_BATCH, mode)
    assert tuple(body().shape) == (workloads.THROUGHPUT_BATCH, 10)
    timed(body, rounds=10, warmup_rounds=1, device=device)
    describe(fw, device, "throughput", workloads.flops("throughput", workloads.THROUGHPUT_BATCH),
             batch=workloads.THROUGHPUT_BATCH)["mode"] = mode


@pytest.mark.benchmark(group="peak")
def test_matmul_peak(benchmark):
    body, flop = matmul_peak()
    body()
    benchmark.pedantic(body, rounds=10, iterations=1, warmup_rounds=2)
    benchmark.extra_info.update(quantity="peak", flops=flop, framework="machine", device="cpu")

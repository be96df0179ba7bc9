"""Benchmark fixtures: what every saved run carries (framework versions, device, dataset, FLOPs)."""
import os
import time

import pytest

from fixtures.machine import images
from tfpt import frameworks
from tfpt.bench.epoch_worker import EpochWorker
from tfpt.bench.planted import slowed
from tfpt.bench.yardstick import Yardstick


@pytest.fixture
def describe(benchmark, request):
    """Fill `extra_info` for a framework x device case; returns the dict to add figures to."""
    def fill(fw: str, device: str, quantity: str, flops: float, **more):
        v, record = frameworks.versions(), frameworks.get(fw)
        benchmark.extra_info.update(
            framework=fw, device=device, quantity=quantity, dataset="mnist", flops=flops,
            version=v.get(record.version_dist),
            keras=v.get("keras") if record.side == frameworks.KERAS_SIDE else None, mode="as-written", **more)
        return benchmark.extra_info
    return fill


UNTIMED_IMAGES = 2048


@pytest.fixture
def worker_limit(benchmark):
    """The training images a worker-process benchmark uses: all of them when timing (--benchmark-autosave and the
    like), the first 2,048 when timing is disabled (plain pytest runs each benchmark body once so that none can rot:
    the same worker, phases and clocks on 1/30 of the epoch). The 6 epoch bodies and 4 memory workers took 255 s of
    the default run's 811 s on full data; each mode's accuracy after a full epoch is the training tests' own check
    (equivalence/test_training.py). TFPT_TEST_SPEEDUP scales the 2,048 as a faster or slower machine would see
    them (fixtures/machine.py)."""
    return images(UNTIMED_IMAGES) if benchmark.disabled else None


@pytest.fixture
def timed(benchmark):
    """`benchmark.pedantic` with the matmul yardstick timed between rounds (untimed setup), about 20 samples per
    benchmark, saved in `extra_info` so the report gates each round as its ratio to the machine speed of its
    own seconds. With timing disabled (plain pytest) the body just runs once; with TFPT_BENCH_YARDSTICK=0 (tfpt-ab's
    processes, which compare process medians and never read it) the rounds run back to back, no multiply between."""
    def run(body, rounds: int, warmup_rounds: int = 0, device: str = "cpu", settle: int = 0):
        """settle: untimed calls of `body` after each yardstick sample, for sub-ms bodies (Yardstick.settled).
        The planted slowdowns (`slowed`): --bench-sleep S makes every timed call S seconds longer, --bench-slower F
        (TFPT_BENCH_SLOWER) F slower, busy; an epoch worker's client plants F itself, beside the worker's figures."""
        body = slowed(body, proportional=not isinstance(getattr(body, "__self__", None), EpochWorker),
                      clock=getattr(benchmark, "_timer", time.perf_counter))  # the clock its rounds are timed in
        if benchmark.disabled or os.environ.get("TFPT_BENCH_YARDSTICK") == "0":  # tfpt-ab reads no yardstick
            return benchmark.pedantic(body, rounds=rounds, warmup_rounds=warmup_rounds, iterations=1)
        stick = Yardstick(device, every=max(1, rounds // 20), warmup_rounds=warmup_rounds)
        setup = stick.settled(body, settle) if settle else stick.sample
        out = benchmark.pedantic(body, setup=setup, rounds=rounds, warmup_rounds=warmup_rounds, iterations=1)
        benchmark.extra_info.update(stick.info())
        return out
    return run

"""The gate's planted slowdowns reach the timed bodies: --bench-sleep S moves a timed benchmark's saved rounds by
S, and --bench-slower F makes each epoch the epoch benchmark times F slower than the worker's own figure."""
import json
import time

import pytest

from tests.test_headline_commands import run_pytest

STEP = ("benchmarks/test_bench_training.py", "-k", "test_step and torch and cpu and float32")


def saved_rounds(tmp_path, name, *extra) -> list:
    out = tmp_path / f"{name}.json"
    proc = run_pytest(*STEP, f"--benchmark-json={out}", *extra, tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (bench,) = json.loads(out.read_text())["benchmarks"]
    return bench["stats"]["data"]


@pytest.mark.cli
@pytest.mark.torch
def test_bench_sleep_lengthens_every_saved_round_by_its_seconds(tmp_path):
    """One-sided on both runs, so a busy machine (a torch step's rounds spread 3-130 ms under load here) cannot
    fail it: a sleep of S = 0.2 s makes every round at least S; without it the fastest of 50 steps (about 5 ms)
    is not."""
    plain = saved_rounds(tmp_path, "plain")
    slept = saved_rounds(tmp_path, "slept", "--bench-sleep", "0.2")
    assert min(slept) >= 0.2 and min(plain) < 0.2, (min(plain), min(slept))


@pytest.mark.cli
@pytest.mark.torch
def test_bench_slower_lengthens_each_served_epoch(monkeypatch):
    from tfpt.bench.epoch_worker import EpochWorker
    monkeypatch.setenv("TFPT_BENCH_SLOWER", "0.5")
    worker = EpochWorker("torch", dataset="synthetic", limit=256)
    try:
        t0 = time.perf_counter()
        own = worker.epoch()
        outer = time.perf_counter() - t0
        worker.finish()
    finally:
        worker.close()
    assert outer == pytest.approx(worker.logs[0]["parent_seconds"] + 0.5 * own, abs=0.05)
    assert outer > 1.45 * own

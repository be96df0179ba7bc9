"""Peak memory per framework, each in a process that never loads the other framework (a process holding both
says nothing about either): a worker trains one MNIST epoch and reports the kernel's exact peak RSS
(/proc/self/status VmHWM) at each phase (after import, data load, model + optimizer, training, evaluation); the
memory-profiler figure (RSS sampled every 0.2 s from outside) is kept beside it. The evaluation batch is a
parameter: 1,000 test images per forward pass (what the trainers do) and 10,000 (all in one). On a GPU the worker
also reports the framework's own peak device-memory counter."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.params import fw_device_params
from tfpt.procs import child_env

pytestmark = pytest.mark.benchmark
REPO = Path(__file__).resolve().parent.parent


def measured_worker(fw: str, device: str, out: Path, eval_batch: int = 1000,
                    limit: int | None = None) -> tuple[float, dict]:
    from memory_profiler import memory_usage
    cmd = [sys.executable, "-m", "tfpt.training.worker", "--framework", fw, "--device", device, "--epochs", "1",
           "--eval-batch", str(eval_batch), "--out", str(out)] + (["--limit", str(limit)] if limit else [])
    proc = subprocess.Popen(cmd, cwd=REPO, env=child_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # a Popen is sampled until it exits (the function form would re-run a call with < 5 samples)
    peak = memory_usage(proc=proc, interval=0.2, include_children=True, max_usage=True)
    _, err = proc.communicate()
    assert proc.returncode == 0, err[-3000:]
    return float(peak), json.loads(out.read_text())


@pytest.mark.benchmark(group="memory")
@pytest.mark.parametrize("eval_batch", [1000, 10000], ids=["eval1000", "eval10000"])
@pytest.mark.parametrize("fw, device", fw_device_params())
def test_peak_rss_in_own_process(fw, device, eval_batch, benchmark, describe, tmp_path, worker_limit):
    result = {}
    def measure():
        peak, run = measured_worker(fw, device, tmp_path / "r.json", eval_batch, worker_limit)
        result.update(peak=peak, run=run)
    benchmark.pedantic(measure, rounds=1, iterations=1)
    run = result["run"]
    assert not run["other_framework_loaded"], f"the {fw} worker loaded the other framework"
    phases = run["phases"]
    # peak_rss_mb is the kernel's exact figure (the report's "peak RSS"); the sampled one is kept beside it
    describe(fw, device, "memory" if eval_batch == 1000 else "memory-eval-batch", 0.0,
             peak_rss_mb=run["peak_rss_mb"], sampled_peak_rss_mb=result["peak"], eval_batch=eval_batch,
             phases_peak_rss_mb={p: v["peak_rss_mb"] for p, v in phases.items()},
             phases_rss_mb={p: v["rss_mb"] for p, v in phases.items()},
             device_peak_mb=run["device_peak_mb"], test_acc=run["epochs"][-1]["test_acc"],
             epoch_s=run["epochs"][-1]["seconds"], train_limit=worker_limit)
    peaks = [phases[p]["peak_rss_mb"] for p in ("import", "data", "model", "train", "eval")]
    assert peaks == sorted(peaks) and peaks[-1] == pytest.approx(run["peak_rss_mb"], abs=1.0), phases
    # a 0.2 s sample can miss the peak, never exceed it by more than page-accounting noise; it samples the whole
    # process, so its bound is the process's last peak: after the serving figures' batch-1,024 calls, which come
    # after the run's own figure (tfpt.training.serving)
    last = run.get("serving", {}).get("peak_rss_mb", run["peak_rss_mb"])
    assert result["peak"] <= last * 1.02 + 5, (result["peak"], last, run["peak_rss_mb"])
    assert run["peak_rss_mb"] > 100  # a framework process with a model and MNIST holds far more than 100 MiB

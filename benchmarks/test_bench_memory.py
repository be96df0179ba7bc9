"""Peak memory per framework, each in a process that never loads the other framework (a process holding both
says nothing about either): memory-profiler samples a worker that trains one MNIST epoch. On a GPU the
worker also reports the framework's own peak device-memory counter."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixtures.params import fw_device_params
from tfpt.procs import child_env

pytestmark = pytest.mark.benchmark
REPO = Path(__file__).resolve().parent.parent


def measured_worker(fw: str, device: str, out: Path) -> tuple[float, dict]:
    from memory_profiler import memory_usage
    cmd = [sys.executable, "-m", "tfpt.training.worker", "--framework", fw, "--device", device, "--epochs", "1",
           "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=REPO, env=child_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # a Popen is sampled until it exits (the function form would re-run a call with < 5 samples)
    peak = memory_usage(proc=proc, interval=0.2, include_children=True, max_usage=True)
    _, err = proc.communicate()
    assert proc.returncode == 0, err[-3000:]
    return float(peak), json.loads(out.read_text())


@pytest.mark.benchmark(group="memory")
@pytest.mark.parametrize("fw, device", fw_device_params())
def test_peak_rss_in_own_process(fw, device, benchmark, describe, tmp_path):
    result = {}
    benchmark.pedantic(lambda: result.update(zip(("peak", "run"), measured_worker(fw, device, tmp_path / "r.json"))),
                       rounds=1, iterations=1)
    run = result["run"]
    assert not run["other_framework_loaded"], f"the {fw} worker loaded the other framework"
    describe(fw, device, "memory", 0.0, peak_rss_mb=result["peak"], ru_maxrss_mb=run["peak_rss_mb"],
             device_peak_mb=run["device_peak_mb"], test_acc=run["epochs"][-1]["test_acc"],
             epoch_s=run["epochs"][-1]["seconds"])
    assert result["peak"] > 100  # a framework process with a model and MNIST holds far more than 100 MiB

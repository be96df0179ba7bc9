"""Made-up pytest-benchmark storage for the report's tests: runs shaped like the ones `pytest benchmarks
--benchmark-autosave` saves (same fields, realistic rounds and noise), so no test ever times anything."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

MACHINE = {"node": "box-1", "cpu": {"brand_raw": "Made-up CPU @ 2.0GHz", "count": 2},
           "frameworks": {"tensorflow": "2.21.0", "keras": "3.15.1", "torch": "2.14.1"}, "tox_env": None}

# (name, quantity, framework, mode, median seconds, rounds): the suite's benchmarks on a 2-core machine; the
# epoch benchmark with 6 rounds (`--bench-epoch-rounds 6`), enough for the gate to decide on it.
SUITE = [
    ("test_matmul_peak", "peak", "machine", "as-written", 0.17, 10),
    ("test_epoch[tf-cpu-as-written]", "epoch", "tf", "as-written", 12.0, 6),
    ("test_epoch[torch-cpu-as-written]", "epoch", "torch", "as-written", 8.0, 6),
    ("test_epoch[tf-cpu-tuned]", "epoch", "tf", "tuned", 9.0, 6),
    ("test_epoch[torch-cpu-tuned]", "epoch", "torch", "tuned", 7.0, 6),
    ("test_step[tf-cpu]", "step", "tf", "as-written", 0.005, 50),
    ("test_step[torch-cpu]", "step", "torch", "as-written", 0.003, 50),
    ("test_latency[tf-cpu]", "latency", "tf", "as-written", 0.0012, 200),
    ("test_latency[torch-cpu]", "latency", "torch", "as-written", 0.0004, 200),
    ("test_throughput[tf-cpu]", "throughput", "tf", "as-written", 0.05, 10),
    ("test_throughput[torch-cpu]", "throughput", "torch", "as-written", 0.04, 10),
]
FLOPS = {"peak": 2 * 2048.0 ** 3, "epoch": 1.37e12, "step": 7.3e8, "latency": 7.6e6, "throughput": 7.8e9}
RSS_MB = {"tf": 1700.0, "torch": 3500.0}


def bench(name, data, quantity="step", fw="torch", mode="as-written", **extra) -> dict:
    data = [float(x) for x in data]
    info = {"quantity": quantity, "framework": fw, "device": "cpu", "mode": mode, "flops": 1e9}
    info.update(extra)
    return {"group": quantity, "name": name, "fullname": f"benchmarks/x.py::{name}", "extra_info": info,
            "stats": {"median": float(np.median(data)), "mean": float(np.mean(data)), "min": min(data),
                      "max": max(data), "rounds": len(data), "data": data}}


def memory(fw: str, rss_mb: float) -> dict:
    b = bench(f"test_peak_rss_in_own_process[{fw}-cpu]", [30.0], "memory", fw, peak_rss_mb=rss_mb, test_acc=0.98)
    return b


YARDSTICK_S = 0.012  # the 1024³ multiply timed between rounds


def suite(rng, noise=0.02, scale=1.0, add=0.0, slower=None, rss=1.0) -> list[dict]:
    """One run of the whole suite: every round = median x (1 + noise x N(0,1)) x scale + add; `slower` maps a
    benchmark name to an extra factor on its rounds (not on the yardstick samples beside them); `rss` scales peak
    RSS. Each benchmark carries its interleaved yardstick samples (the machine's speed: x scale), as saved."""
    out = []
    for name, q, fw, mode, median, rounds in SUITE:
        machine = scale
        data = median * (1 + noise * rng.standard_normal(rounds)) * machine * (slower or {}).get(name, 1.0) + add
        extra = {"test_acc": 0.985} if q == "epoch" else {}
        if q != "peak":
            every = max(1, rounds // 20)
            extra.update(yardstick_every=every, yardstick_flops=2 * 1024.0 ** 3, yardstick_s=list(
                YARDSTICK_S * machine * (1 + noise * rng.standard_normal(-(-rounds // every)))))
        out.append(bench(name, data, q, fw, mode, flops=FLOPS[q], **extra))
    # the peak RSS varies by <= 0.1 % between runs (measured)
    out += [memory(fw, mb * rss * (1 + 0.001 * rng.standard_normal())) for fw, mb in RSS_MB.items()]
    return out


def save(storage: Path, n: int, benchmarks, machine=None, commit="c0ffee", folder="Linux-CPython-3.11-64bit",
         **top) -> Path:
    """Write run number n (its datetime n minutes after a fixed start) as pytest-benchmark names it."""
    where = Path(storage) / folder
    where.mkdir(parents=True, exist_ok=True)
    doc = {"machine_info": machine or MACHINE, "commit_info": {"id": f"{commit}{n}"},
           "datetime": f"2026-11-28T10:{n:02d}:00.000000", "version": "5.3.1", "benchmarks": benchmarks, **top}
    path = where / f"{n:04d}_{commit}{n}.json"
    path.write_text(json.dumps(doc))
    return path

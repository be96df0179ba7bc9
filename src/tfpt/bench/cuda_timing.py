"""The framework-neutral half of the CUDA comparison's timing (tfpt.bench.cuda_compare): how long each quantity
is timed (Plan), each call between two device syncs, and this process's peak RSS per quantity; the measurement on
torch's CUDA is tfpt.frameworks.torch.cuda, each framework's bodies its folder's `cuda` module."""
from __future__ import annotations

import time

QUANTITIES = ("step", "latency", "throughput")


class Plan:
    """How long each quantity is timed: rounds sized from one call so a quantity takes about `budget_s`,
    between `fewest` and `most` rounds, after `warmup` untimed calls."""

    def __init__(self, budget_s: float = 3.0, fewest: int = 10, most: int = 300, warmup: int = 10,
                 batches: tuple[int, ...] = (1024, 16384)):
        self.budget_s, self.fewest, self.most, self.warmup, self.batches = budget_s, fewest, most, warmup, batches


QUICK = Plan(budget_s=0.05, fewest=3, most=3, warmup=1, batches=(256,))  # a dry run: every path, seconds in all


def peak_rss_mib() -> float | None:
    """This process's peak RSS (VmHWM) in MiB; None where /proc cannot tell."""
    try:
        with open("/proc/self/status") as fh:
            line = next((s for s in fh if s.startswith("VmHWM:")), None)
    except OSError:
        return None
    return int(line.split()[1]) / 1024 if line else None


def reset_peak_rss() -> bool:
    """Restart VmHWM from the current RSS (Linux: `5` to /proc/self/clear_refs), so each quantity's peak is its own;
    False where the kernel refuses (the figure is then the process's peak so far, and says so)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def timed(call, plan: Plan, sync) -> list[float]:
    """Per-call seconds, each call between two syncs. The first call (graph building, allocation, cuDNN's
    choice of kernels) and the warm-up are not timed; a call over a tenth of the budget is warmed up once."""
    def clock() -> float:
        sync()
        t0 = time.perf_counter()
        call()
        sync()
        return time.perf_counter() - t0
    first = clock()
    for _ in range(plan.warmup if first * 10 < plan.budget_s else 1):
        call()
    first = clock()
    rounds = int(min(plan.most, max(plan.fewest, plan.budget_s / max(first, 1e-6))))
    return [clock() for _ in range(rounds)]


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            line = next((s for s in fh if s.startswith("model name")), "")
        return line.split(":", 1)[1].strip() if line else "cpu"
    except OSError:
        return "cpu"
